//! The tenant's cases: the list, paged by key, one case as its delivery carries it, its evidence
//! files, and the status the authority sets.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::idempotent::{Request, Written};
use super::problem::Problem;
use super::{ApiError, Backend, json_body};
use crate::attachments::Attachments;
use crate::db::applications::{self, CaseFilter, ListedCase};
use crate::db::case_events::{self, StatusEvent};
use crate::db::{Db, attachments as db_attachments, outbox};
use crate::delivery::document::{CaseContent, CaseHead, FileEntry};
use crate::domain::{CaseStatus, text};
use crate::query::encode_query_value as encoded;
use crate::routes::download::stored_file;

/// Cases per page unless the backend asks for another number, and the most it may ask for.
const PAGE: i64 = 50;
const MOST_PER_PAGE: i64 = 500;

/// Read as strings, so that a wrong value gets a 400 that says what is wrong with it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only cases where they stand now.
    #[param(value_type = Option<CaseStatus>)]
    status: Option<String>,
    /// Only cases submitted at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// The reference of the last case of the page before.
    after: Option<String>,
    /// Cases per page.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

/// A page of cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList<'a> {
    cases: Vec<ListedEntry<'a>>,
    /// The address of the next page; `null` at the end.
    next: Option<String>,
}

/// A case in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedEntry<'a> {
    reference: &'a str,
    /// The service's slug.
    service: &'a str,
    #[schema(value_type = CaseStatus)]
    status: &'a str,
    submitted_at: DateTime<Utc>,
    /// When the authority's backend accepted it; `null` until then.
    delivered_at: Option<DateTime<Utc>>,
    /// Where to read the whole case.
    href: String,
}

/// The tenant's cases in the order they came, a page at a time; `next` is the next page's address
/// while there may be more.
#[utoipa::path(
    get,
    path = "/cases",
    tag = "cases",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of cases", body = CaseList),
        (status = 400, description = "A filter that is not understood, or an address with %00", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
)]
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
    let cases = cases.iter().map(listed).collect();
    Ok(HttpResponse::Ok().json(CaseList { cases, next }))
}

fn not_a_status() -> String {
    let names: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
    format!("status must be one of {}", names.join(", "))
}

fn listed(case: &ListedCase) -> ListedEntry<'_> {
    ListedEntry {
        reference: &case.reference,
        service: &case.service_slug,
        status: &case.status,
        submitted_at: case.submitted_at,
        delivered_at: case.delivered_at,
        href: format!("/api/v1/cases/{}", encoded(&case.reference)),
    }
}

/// The address of the page after the case `last`, with the same filter.
fn next_page(filter: &CaseFilter<'_>, last: &str, limit: i64) -> String {
    let mut url = String::from("/api/v1/cases?");
    if let Some(status) = filter.status {
        url += &format!("status={status}&");
    }
    if let Some(since) = filter.since {
        url += &format!("since={}&", encoded(&since.to_rfc3339()));
    }
    url + &format!("after={}&limit={limit}", encoded(last))
}

/// A case as its delivery carries it, with where it stands and its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct Case<'a> {
    case: StandingCase<'a>,
    #[serde(flatten)]
    content: CaseContent<'a>,
    /// The statuses the authority set, oldest first.
    history: Vec<StatusEntry<'a>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StandingCase<'a> {
    #[serde(flatten)]
    head: CaseHead<'a>,
    #[schema(value_type = CaseStatus)]
    status: &'a str,
    /// When the authority's backend accepted it; `null` until then.
    delivered_at: Option<DateTime<Utc>>,
    /// The backend's own reference, if it gave one.
    authority_reference: Option<&'a str>,
}

/// A status the authority set.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusEntry<'a> {
    #[schema(value_type = CaseStatus)]
    status: &'a str,
    /// For the citizen.
    note: Option<&'a str>,
    at: DateTime<Utc>,
}

/// The case as its delivery carries it (answers, what the citizen saw, payment), with where it
/// stands, the statuses set so far and links to its evidence files.
#[utoipa::path(
    get,
    path = "/cases/{reference}",
    tag = "cases",
    params(("reference" = String, Path, description = "The case's reference")),
    responses(
        (status = 200, description = "The case", body = Case),
        (status = 400, description = "An address with %00", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case of this tenant", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn show(backend: Backend, db: web::Data<Db>, reference: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let case = outbox::case_of_tenant(&db, &backend.tenant_id, &reference)
        .await?
        .ok_or(ApiError::NotFound)?;
    let files = db_attachments::files_to_deliver(&db, &case.id, &backend.tenant_id).await?;
    let attachments = files
        .iter()
        .map(|row| FileEntry {
            href: Some(format!(
                "/api/v1/cases/{}/attachments/{}",
                encoded(&case.reference),
                row.id
            )),
            ..FileEntry::of(row)
        })
        .collect();
    let statuses = case_events::statuses(&db, &case.id, &backend.tenant_id).await?;
    Ok(HttpResponse::Ok().json(Case {
        case: StandingCase {
            head: CaseHead::of(&case),
            status: &case.status,
            delivered_at: case.delivered_at,
            authority_reference: case.authority_reference.as_deref(),
        },
        content: CaseContent::of(&case, attachments),
        history: statuses.iter().map(StatusEntry::of).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct FilePath {
    reference: String,
    file: String,
}

/// A file of the case (evidence, or a message's attachment), streamed.
#[utoipa::path(
    get,
    path = "/cases/{reference}/attachments/{file}",
    tag = "cases",
    params(
        ("reference" = String, Path, description = "The case's reference"),
        ("file" = String, Path, description = "The file's id, as its `href` names it"),
    ),
    responses(
        (status = 200, description = "The file's content, of its media type", content(
            ([u8] = "application/pdf"), ([u8] = "image/jpeg"), ([u8] = "image/png")
        )),
        (status = 400, description = "An address with %00", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file of this tenant's case", body = Problem, content_type = "application/problem+json"),
    ),
)]
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusUpdate {
    #[schema(value_type = CaseStatus)]
    status: String,
    /// For the citizen, at most 2,000 characters.
    #[schema(max_length = 2000)]
    note: Option<String>,
}

/// The status set, as the history shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusSet<'a> {
    reference: &'a str,
    #[serde(flatten)]
    status: StatusEntry<'a>,
}

/// Sets where the case stands and records it in its history, once per Idempotency-Key.
#[utoipa::path(
    post,
    path = "/cases/{reference}/status",
    tag = "cases",
    params(
        ("reference" = String, Path, description = "The case's reference"),
        super::openapi::IdempotencyKey,
    ),
    request_body = StatusUpdate,
    responses(
        (status = 200, description = "The status is set (or was, by the first request with this key)", body = StatusSet),
        (status = 400, description = "No Idempotency-Key, a body that is not this JSON, or an address with %00", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case of this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same key is being answered now; send again", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A body over 16 KB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A status outside the vocabulary, a note too long, or the key used for another request", body = Problem, content_type = "application/problem+json"),
    ),
)]
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
    // Counted as sent, as the OpenAPI document says; kept without control characters.
    if update
        .note
        .as_ref()
        .is_some_and(|note| note.chars().count() > LONGEST_NOTE)
    {
        return Err(ApiError::Unprocessable(format!(
            "note must be at most {LONGEST_NOTE} characters"
        )));
    }
    let note = update.note.as_deref().map(|note| text::lines(note, LONGEST_NOTE));
    let note = note.as_deref().filter(|note| !note.is_empty());
    request.add(&body);
    let answered = request.once(&db, &backend, async |tx| {
        let event = case_events::set_status(tx, &backend.tenant_id, &reference, status, note, crate::db::now())
            .await?
            .ok_or(ApiError::NotFound)?;
        Written::new(
            StatusCode::OK,
            &StatusSet {
                reference: &reference,
                status: StatusEntry::of(&event),
            },
        )
    });
    Ok(answered.await?.response)
}

impl<'a> StatusEntry<'a> {
    fn of(event: &'a StatusEvent) -> Self {
        Self {
            status: &event.status,
            note: event.note.as_deref(),
            at: event.created_at,
        }
    }
}
