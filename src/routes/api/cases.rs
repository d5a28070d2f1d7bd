//! The tenant's cases: the list, paged by key, one case as its delivery carries it, its evidence
//! files, and the status the authority sets.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::idempotent::{Request, Written};
use super::{ApiError, Backend, json_body};
use crate::attachments::Attachments;
use crate::db::applications::{self, CaseFilter, ListedCase};
use crate::db::case_events::{self, StatusEvent};
use crate::db::{Db, attachments as db_attachments, outbox};
use crate::delivery::{case_json, file_json};
use crate::domain::CaseStatus;
use crate::query::encode_query_value as encoded;
use crate::routes::download::stored_file;

/// Cases per page unless the backend asks for another number, and the most it may ask for.
const PAGE: i64 = 50;
const MOST_PER_PAGE: i64 = 500;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    /// RFC 3339: only cases submitted at or after this time.
    since: Option<String>,
    /// The reference of the last case of the page before.
    after: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/cases`: the tenant's cases in the order they came, a page at a time; `next` is the
/// next page's address while there may be more.
pub async fn list(backend: Backend, db: web::Data<Db>, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some(name) => Some(CaseStatus::parse(name).ok_or_else(|| ApiError::BadRequest(not_a_status()))?),
    };
    let since = match query.since.as_deref() {
        None => None,
        Some(time) => Some(
            DateTime::parse_from_rfc3339(time)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::BadRequest("since must be a time as in RFC 3339, e.g. 2026-12-01T00:00:00Z".into())
                })?,
        ),
    };
    let limit = match query.limit.as_deref() {
        None => PAGE,
        Some(limit) => limit
            .parse()
            .ok()
            .filter(|limit| (1..=MOST_PER_PAGE).contains(limit))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be a number from 1 to {MOST_PER_PAGE}")))?,
    };
    let filter = CaseFilter {
        status: status.map(CaseStatus::as_str),
        since,
        after: query.after.as_deref(),
    };
    // One more than the page shows, to know whether there is a next page without counting.
    let mut cases = applications::cases_of_tenant(&db, &backend.tenant_id, &filter, limit + 1)
        .await?
        .ok_or_else(|| ApiError::BadRequest("after names no case of this tenant".into()))?;
    let more = cases.len() > limit as usize;
    cases.truncate(limit as usize);
    let next = match (more, cases.last()) {
        (true, Some(last)) => Some(next_page(&filter, &last.reference, limit)),
        _ => None,
    };
    let cases: Vec<Json> = cases.iter().map(listed).collect();
    Ok(HttpResponse::Ok().json(json!({ "cases": cases, "next": next })))
}

fn not_a_status() -> String {
    let names: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
    format!("status must be one of {}", names.join(", "))
}

fn listed(case: &ListedCase) -> Json {
    json!({
        "reference": case.reference,
        "service": case.service_slug,
        "status": case.status,
        "submitted_at": time(case.submitted_at),
        "delivered_at": case.delivered_at.map(time),
        "href": format!("/api/v1/cases/{}", encoded(&case.reference)),
    })
}

/// The address of the page after the case `last`, with the same filter.
fn next_page(filter: &CaseFilter<'_>, last: &str, limit: i64) -> String {
    let mut url = String::from("/api/v1/cases?");
    if let Some(status) = filter.status {
        url += &format!("status={status}&");
    }
    if let Some(since) = filter.since {
        url += &format!("since={}&", encoded(&time(since)));
    }
    url + &format!("after={}&limit={limit}", encoded(last))
}

/// As the case JSON writes times.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

/// `GET /api/v1/cases/{reference}`: the case as its delivery carries it (answers, what the citizen
/// saw, payment), with where it stands, the statuses set so far and links to its evidence files.
pub async fn show(backend: Backend, db: web::Data<Db>, reference: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let case = outbox::case_of_tenant(&db, &backend.tenant_id, &reference)
        .await?
        .ok_or(ApiError::NotFound)?;
    let files = db_attachments::files_to_deliver(&db, &case.id, &backend.tenant_id).await?;
    let attachments = files
        .iter()
        .map(|row| {
            let mut file = file_json(row);
            file["href"] = format!("/api/v1/cases/{}/attachments/{}", encoded(&case.reference), row.id).into();
            file
        })
        .collect();
    let history: Vec<Json> = case_events::statuses(&db, &case.id, &backend.tenant_id)
        .await?
        .iter()
        .map(status_json)
        .collect();
    let mut body = case_json(&case, attachments);
    body["history"] = history.into();
    body["case"]["status"] = case.status.as_str().into();
    body["case"]["delivered_at"] = case.delivered_at.map(time).into();
    body["case"]["authority_reference"] = case.authority_reference.as_deref().into();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
pub struct FilePath {
    reference: String,
    file: String,
}

/// `GET /api/v1/cases/{reference}/attachments/{file}`: an evidence file of the case, streamed.
pub async fn attachment(
    backend: Backend,
    db: web::Data<Db>,
    attachments: web::Data<Attachments>,
    path: web::Path<FilePath>,
) -> Result<HttpResponse, ApiError> {
    let row = db_attachments::of_tenant_case(&db, &path.file, &path.reference, &backend.tenant_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(stored_file(row, &attachments).await?)
}

/// A status update's body is small: a status and a note.
pub const STATUS_BODY_LIMIT: usize = 16 * 1024;
/// The longest note for the citizen, in characters.
const LONGEST_NOTE: usize = 2000;

/// Fields it does not know are refused: a misspelt `note` would otherwise be lost silently.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusUpdate {
    status: String,
    note: Option<String>,
}

/// `POST /api/v1/cases/{reference}/status` with `{"status": …, "note": …}`: sets where the case
/// stands and records it in its history, once per Idempotency-Key.
pub async fn set_status(
    backend: Backend,
    db: web::Data<Db>,
    req: HttpRequest,
    reference: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let mut request = Request::of(&req)?;
    let update: StatusUpdate = json_body(&body)?;
    let status = CaseStatus::parse(&update.status).ok_or_else(|| ApiError::Unprocessable(not_a_status()))?;
    let note = update.note.as_deref().map(str::trim).filter(|note| !note.is_empty());
    if note.is_some_and(|note| note.chars().count() > LONGEST_NOTE) {
        return Err(ApiError::Unprocessable(format!(
            "note must be at most {LONGEST_NOTE} characters"
        )));
    }
    request.add(&body);
    let answered = request.once(&db, &backend, async |tx| {
        let event = case_events::set_status(tx, &backend.tenant_id, &reference, status, note, crate::db::now())
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut body = status_json(&event);
        body["reference"] = reference.as_str().into();
        Ok(Written {
            status: StatusCode::OK,
            body,
        })
    });
    Ok(answered.await?.response)
}

fn status_json(event: &StatusEvent) -> Json {
    json!({
        "status": event.status,
        "note": event.note,
        "at": time(event.created_at),
    })
}
