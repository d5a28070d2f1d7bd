//! A tenant's own pages: imprint, privacy notice, accessibility statement, and its branding assets.
//! On the state-wide site they let the citizen find the authority, by name, place or postcode.

use std::collections::HashSet;
use std::sync::Arc;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::Layout;
use crate::catalogue::TenantProfile;
use crate::db::{Db, catalogue as queries};
use crate::error::AppError;
use crate::tenancy::{Directory, Tenant, TenantDirectory};

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
    /// The page's own path on the state-wide site, where the search form sends to.
    action: String,
    suche: String,
    result_text: String,
    authorities: Vec<super::catalogue::Link>,
    previous_href: Option<String>,
    next_href: Option<String>,
}

/// How many authorities one page of the state-wide legal pages lists.
const AUTHORITIES_PER_PAGE: usize = 50;

/// `?suche=` (a name, a place or a postcode) and `?seite=` of the state-wide legal pages.
#[derive(Deserialize)]
pub struct ChooseQuery {
    suche: Option<String>,
    seite: Option<String>,
}

pub enum LegalResponse {
    Tenant(Box<LegalPageView>),
    Choose(Box<ChooseAuthorityPage>),
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
    query: &ChooseQuery,
    db: &Db,
    directory: &TenantDirectory,
) -> Result<LegalResponse, AppError> {
    if let Some(tenant) = &layout.site.tenant {
        let profile = queries::tenant_profile(db, &tenant.id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(LegalResponse::Tenant(Box::new(LegalPageView { layout, page, profile })));
    }
    Ok(LegalResponse::Choose(Box::new(
        choose_authority(page, layout, query, db, directory).await?,
    )))
}

/// The state-wide legal page: every authority is responsible for its own, so the citizen finds it
/// by name, place or postcode, a page of names at a time, however many authorities there are.
async fn choose_authority(
    page: LegalPage,
    layout: Layout,
    query: &ChooseQuery,
    db: &Db,
    directory: &TenantDirectory,
) -> Result<ChooseAuthorityPage, AppError> {
    let suche: String = query
        .suche
        .as_deref()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(100)
        .collect();
    let key = queries::place_key(&suche);
    let matching: Vec<&Arc<Tenant>> = if key.is_empty() {
        directory.all().iter().collect()
    } else {
        let of_place: HashSet<String> = queries::tenants_of_place(db, &key).await?.into_iter().collect();
        directory
            .all()
            .iter()
            .filter(|t| of_place.contains(&t.id) || t.name_key.contains(&key))
            .collect()
    };
    let pages = matching.len().div_ceil(AUTHORITIES_PER_PAGE).max(1);
    let seite = query
        .seite
        .as_deref()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let lang = layout.lang;
    let result_text = if pages == 1 {
        lang.t1("legal-choose-count", "count", matching.len())
    } else {
        lang.tn(
            "legal-choose-page",
            [
                ("count", matching.len().into()),
                ("page", seite.into()),
                ("pages", pages.into()),
            ],
        )
    };
    let action = layout.href(page.path());
    let page_href =
        |n: usize| super::catalogue::url_with(&action, &[("suche", Some(&suche)), ("seite", Some(&n.to_string()))]);
    let authorities = matching
        .iter()
        .skip((seite - 1) * AUTHORITIES_PER_PAGE)
        .take(AUTHORITIES_PER_PAGE)
        .map(|t| super::catalogue::Link {
            href: format!("/{}{}", t.slug, page.path()),
            label: t.name.clone(),
        })
        .collect();
    Ok(ChooseAuthorityPage {
        title_key: page.title_key(),
        previous_href: (seite > 1).then(|| page_href(seite - 1)),
        next_href: (seite < pages).then(|| page_href(seite + 1)),
        action,
        suche,
        result_text,
        authorities,
        layout,
    })
}

pub async fn imprint(
    layout: Layout,
    query: web::Query<ChooseQuery>,
    db: web::Data<Db>,
    directory: Directory,
) -> Result<LegalResponse, AppError> {
    legal(LegalPage::Imprint, layout, &query, &db, &directory).await
}

pub async fn privacy(
    layout: Layout,
    query: web::Query<ChooseQuery>,
    db: web::Data<Db>,
    directory: Directory,
) -> Result<LegalResponse, AppError> {
    legal(LegalPage::Privacy, layout, &query, &db, &directory).await
}

pub async fn accessibility(
    layout: Layout,
    query: web::Query<ChooseQuery>,
    db: web::Data<Db>,
    directory: Directory,
) -> Result<LegalResponse, AppError> {
    legal(LegalPage::Accessibility, layout, &query, &db, &directory).await
}

/// The tenant's colour as a stylesheet, so the CSP needs no inline styles.
pub async fn theme_css(path: web::Path<(String,)>, directory: Directory) -> Result<HttpResponse, AppError> {
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
    directory: Directory,
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
