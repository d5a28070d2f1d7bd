//! `/antraege`: the citizen's drafts and sent applications across all tenants, and deleting a draft.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::submit::service_name;
use super::{DraftPath, Drafts, Opened, draft_href, view};
use crate::attachments::Attachments;
use crate::auth::session::Sessions;
use crate::catalogue::CatalogueCache;
use crate::db::Db;
use crate::db::applications::{self as queries, Deleted};
use crate::db::attachments as db_attachments;
use crate::db::payments;
use crate::error::AppError;
use crate::i18n::local_date;
use crate::query::encode_query_value as encoded;
use crate::routes::Layout;
use crate::routes::page::{CsrfForm, respond, see_other};
use crate::tenancy::Directory;

pub struct DraftItem {
    service_name: String,
    authority: String,
    saved: String,
    expires: String,
    continue_href: String,
    delete_href: String,
}

pub struct CaseItem {
    service_name: String,
    authority: String,
    reference: String,
    submitted: String,
    delivery: String,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "application/list.html")]
pub struct ApplicationsPage {
    layout: Layout,
    notice: Option<String>,
    drafts: Vec<DraftItem>,
    cases: Vec<CaseItem>,
    /// The next page of sent applications, older ones.
    older_href: Option<String>,
    /// A page of older applications: the drafts are on the first.
    first_page: bool,
}

/// Sent applications per page.
const PAGE: i64 = 20;

#[derive(Deserialize)]
pub struct ListQuery {
    /// A draft just saved for later.
    gespeichert: Option<String>,
    geloescht: Option<String>,
    /// Only cases older than this one (the last of the page before).
    vor: Option<String>,
}

pub async fn list(
    req: HttpRequest,
    layout: Layout,
    query: web::Query<ListQuery>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    directory: Directory,
    cache: web::Data<CatalogueCache>,
) -> Result<ApplicationsPage, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let lang = layout.lang;
    let mut drafts = Vec::new();
    let mut notice = query
        .geloescht
        .as_ref()
        .map(|_| lang.t("applications-deleted").to_owned());
    let first_page = query.vor.is_none();
    let drafts_listed = if first_page {
        queries::drafts_of(&db, &citizen.account_id).await?
    } else {
        Vec::new()
    };
    for draft in drafts_listed {
        let Some(tenant) = directory.by_id(&draft.tenant_id) else {
            continue;
        };
        let expires = view::date_text(local_date(draft.expires_at), lang);
        if query.gespeichert.as_deref() == Some(draft.id.as_str()) {
            notice = Some(lang.t1("applications-saved", "date", expires.clone()));
        }
        drafts.push(DraftItem {
            service_name: service_name(&cache, &db, &tenant.id, &draft.service_slug, lang).await?,
            authority: tenant.name.clone(),
            saved: view::date_text(local_date(draft.updated_at), lang),
            expires,
            continue_href: format!("/{}/antrag/{}", tenant.slug, draft.id),
            delete_href: format!("/{}/antrag/{}/loeschen", tenant.slug, draft.id),
        });
    }
    let mut rows = queries::cases_page(&db, &citizen.account_id, query.vor.as_deref(), PAGE + 1).await?;
    let older = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    let older_href = match (older, rows.last()) {
        (true, Some(last)) => Some(format!("/antraege?vor={}", encoded(&last.id))),
        _ => None,
    };
    let mut cases = Vec::new();
    for case in rows {
        let Some(tenant) = directory.by_id(&case.tenant_id) else {
            continue;
        };
        cases.push(CaseItem {
            service_name: service_name(&cache, &db, &tenant.id, &case.service_slug, lang).await?,
            authority: tenant.name.clone(),
            submitted: view::date_text(local_date(case.submitted_at), lang),
            delivery: view::delivery_text(&case, lang),
            href: format!("/{}/vorgang/{}", tenant.slug, case.reference),
            reference: case.reference,
        });
    }
    Ok(ApplicationsPage {
        layout,
        notice,
        drafts,
        cases,
        older_href,
        first_page,
    })
}

#[derive(Template)]
#[template(path = "application/delete.html")]
pub struct DeletePage {
    layout: Layout,
    service_name: String,
    action: String,
    csrf_token: String,
    /// The draft's fee is paid or being paid, so it cannot be deleted: where the payment is checked.
    payment_href: Option<String>,
}

impl DeletePage {
    fn of(layout: Layout, opened: &Opened, kept_for_payment: bool) -> Self {
        Self {
            service_name: opened.service_name.clone(),
            action: draft_href(&layout, &opened.draft.id, "/loeschen"),
            csrf_token: opened.citizen.session.csrf_token.clone(),
            payment_href: kept_for_payment.then(|| draft_href(&layout, &opened.draft.id, "/zahlung")),
            layout,
        }
    }
}

/// Asks before deleting a draft; a draft whose fee is paid or being paid cannot be deleted, and
/// the page says why.
pub async fn confirm_delete(
    req: HttpRequest,
    path: web::Path<DraftPath>,
    drafts: Drafts,
) -> Result<HttpResponse, AppError> {
    let (layout, opened) = drafts.open(&req, &path.draft).await?;
    let payment = payments::current_of_draft(
        &drafts.db,
        &opened.draft.id,
        &opened.citizen.account_id,
        &opened.tenant.id,
    )
    .await?;
    let kept_for_payment = payment.is_some_and(|p| p.keeps_draft());
    respond(StatusCode::OK, &DeletePage::of(layout, &opened, kept_for_payment))
}

/// Deletes a draft: its owner, at the service's trust level, like every other page of a draft.
pub async fn delete(
    req: HttpRequest,
    path: web::Path<DraftPath>,
    form: web::Form<CsrfForm>,
    drafts: Drafts,
    attachments: web::Data<Attachments>,
) -> Result<HttpResponse, AppError> {
    // After logging in again the citizen sees the list, not this POST-only address.
    let (layout, opened) = drafts.open(&req, &path.draft).await.map_err(|e| match e {
        AppError::LoginRequired(_) => AppError::LoginRequired("/antraege".to_owned()),
        other => other,
    })?;
    opened.citizen.session.check_csrf(&form.csrf_token)?;
    let (draft, citizen, tenant) = (&opened.draft, &opened.citizen, &opened.tenant);
    // Its files go with it: the rows with the draft, then the files (one left behind by a crash
    // in between is removed by the sweep of files without a row).
    let files = db_attachments::keys_of_draft(&drafts.db, &draft.id, &citizen.account_id).await?;
    match queries::delete_draft(&drafts.db, &draft.id, &citizen.account_id, &tenant.id).await? {
        Deleted::Yes => {}
        Deleted::KeptForPayment => return respond(StatusCode::CONFLICT, &DeletePage::of(layout, &opened, true)),
        Deleted::NotFound => return Err(AppError::NotFound),
    }
    attachments.delete(&files).await;
    Ok(see_other("/antraege?geloescht=1"))
}
