//! A tenant's own pages: imprint, privacy notice, accessibility statement, and its branding assets.
//! On the state-wide site these pages list the authorities to choose from.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::Layout;
use crate::catalogue::TenantProfile;
use crate::db::{Db, catalogue as queries};
use crate::error::AppError;
use crate::tenancy::TenantDirectory;

/// Which of the three legal pages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LegalPage {
    Imprint,
    Privacy,
    Accessibility,
}

impl LegalPage {
    fn path(self) -> &'static str {
        match self {
            Self::Imprint => "/impressum",
            Self::Privacy => "/datenschutz",
            Self::Accessibility => "/barrierefreiheit",
        }
    }

    fn title_key(self) -> &'static str {
        match self {
            Self::Imprint => "imprint-title",
            Self::Privacy => "privacy-title",
            Self::Accessibility => "accessibility-title",
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "legal.html")]
pub struct LegalPageView {
    layout: Layout,
    page: LegalPage,
    profile: TenantProfile,
}

#[derive(Template, WebTemplate)]
#[template(path = "legal_choose.html")]
pub struct ChooseAuthorityPage {
    layout: Layout,
    title_key: &'static str,
    authorities: Vec<super::catalogue::Link>,
}

pub enum LegalResponse {
    Tenant(Box<LegalPageView>),
    Choose(ChooseAuthorityPage),
}

impl actix_web::Responder for LegalResponse {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, req: &actix_web::HttpRequest) -> HttpResponse {
        match self {
            Self::Tenant(page) => page.respond_to(req).map_into_boxed_body(),
            Self::Choose(page) => page.respond_to(req).map_into_boxed_body(),
        }
    }
}

async fn legal(
    page: LegalPage,
    layout: Layout,
    db: &Db,
    directory: &TenantDirectory,
) -> Result<LegalResponse, AppError> {
    match &layout.site.tenant {
        Some(tenant) => {
            let profile = queries::tenant_profile(db, &tenant.id)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(LegalResponse::Tenant(Box::new(LegalPageView { layout, page, profile })))
        }
        None => {
            let authorities = directory
                .all()
                .iter()
                .map(|t| super::catalogue::Link {
                    href: format!("/{}{}", t.slug, page.path()),
                    label: t.name.clone(),
                })
                .collect();
            Ok(LegalResponse::Choose(ChooseAuthorityPage {
                layout,
                title_key: page.title_key(),
                authorities,
            }))
        }
    }
}

pub async fn imprint(
    layout: Layout,
    db: web::Data<Db>,
    directory: web::Data<TenantDirectory>,
) -> Result<LegalResponse, AppError> {
    legal(LegalPage::Imprint, layout, &db, &directory).await
}

pub async fn privacy(
    layout: Layout,
    db: web::Data<Db>,
    directory: web::Data<TenantDirectory>,
) -> Result<LegalResponse, AppError> {
    legal(LegalPage::Privacy, layout, &db, &directory).await
}

pub async fn accessibility(
    layout: Layout,
    db: web::Data<Db>,
    directory: web::Data<TenantDirectory>,
) -> Result<LegalResponse, AppError> {
    legal(LegalPage::Accessibility, layout, &db, &directory).await
}

/// The tenant's colour as a stylesheet, so the CSP needs no inline styles.
pub async fn theme_css(
    path: web::Path<(String,)>,
    directory: web::Data<TenantDirectory>,
) -> Result<HttpResponse, AppError> {
    let tenant = directory.by_slug(&path.0).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(format!(":root {{ --portal-brand: {}; }}\n", tenant.brand_color)))
}

/// The tenant's logo. It comes from the operator's files; the sandbox CSP keeps scripts in it inert anyway.
pub async fn logo(
    path: web::Path<(String,)>,
    db: web::Data<Db>,
    directory: web::Data<TenantDirectory>,
) -> Result<HttpResponse, AppError> {
    let tenant = directory.by_slug(&path.0).ok_or(AppError::NotFound)?;
    let svg = queries::tenant_logo(&db, &tenant.id).await?.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
        .body(svg))
}
