//! Messages and decisions (Bescheide) of the authority into the citizen's Postfach, and a case's
//! thread. A message comes as multipart/form-data: a part `message` with JSON `{kind, subject,
//! body}` and up to [`MOST_FILES`] parts `attachment`, each a PDF, checked and scanned like the
//! citizens' uploads.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotent::{Request, Written};
use super::problem::Problem;
use super::{ApiError, Backend, json_body};
use crate::attachments::{Accepted, Attachments, Refusal};
use crate::config::Settings;
use crate::db::messages::{self, MessageFileRow, MessageRow, NewMessage};
use crate::db::{Db, applications};
use crate::domain::message::MessageKind;
use crate::domain::{FileType, text};
use crate::query::encode_query_value as encoded;
use crate::routes::page::limited;
use crate::tenancy::Directory;
use crate::worker::Outbox;
use crate::workflow::postfach::{self, Addressed};

/// The most files one message carries, and the largest.
pub const MOST_FILES: usize = 10;
pub const LARGEST_FILE: u64 = 20 * 1024 * 1024;
/// The JSON part: a subject and a text.
const MESSAGE_PART_LIMIT: usize = 64 * 1024;
/// All parts together; the request is cut off beyond.
const REQUEST_LIMIT: u64 = MOST_FILES as u64 * LARGEST_FILE + 1024 * 1024;
const LONGEST_SUBJECT: usize = 200;
const LONGEST_BODY: usize = 20_000;

/// The part `message`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessagePart {
    /// A decision (Bescheid) gets its own notice mail at once; its legal deadlines run from when it
    /// was made available.
    #[schema(value_type = String, pattern = "^(message|decision)$")]
    kind: String,
    #[schema(min_length = 1, max_length = 200)]
    subject: String,
    #[schema(min_length = 1, max_length = 20000)]
    body: String,
}

/// A message with its files, as multipart/form-data.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the request's parts, which read_parts reads as they stream in"
)]
pub struct MessageForm {
    message: MessagePart,
    /// None to 10 PDFs of at most 20 MB each, in parts named `attachment` with a file name.
    #[schema(value_type = Vec<String>, format = Binary, max_items = 10, required = false)]
    attachment: Vec<Vec<u8>>,
}

/// A message of the thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageEntry<'a> {
    id: &'a str,
    /// `to_citizen` or `from_citizen`.
    direction: &'a str,
    /// `message`, `decision` or the citizen's `reply`.
    kind: &'a str,
    subject: &'a str,
    /// Empty for a reply of files alone.
    body: &'a str,
    /// When it reached the Postfach; for a decision, the time its legal deadlines run from.
    made_available_at: DateTime<Utc>,
    /// When the citizen first opened it; `null` while unread.
    first_read_at: Option<DateTime<Utc>>,
    attachments: Vec<MessageFileEntry<'a>>,
}

/// A file of a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageFileEntry<'a> {
    id: &'a str,
    name: &'a str,
    /// Its media type: `application/pdf`; a citizen's reply may carry `image/jpeg` and `image/png` too.
    #[serde(rename = "type")]
    file_type: &'static str,
    size: i64,
    /// SHA-256 of the content, hex.
    sha256: &'a str,
    /// Where to download it.
    href: String,
}

/// A case's messages, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Thread<'a> {
    messages: Vec<MessageEntry<'a>>,
}

/// What sending a message needs of the app.
pub struct MessageApp {
    db: web::Data<Db>,
    attachments: web::Data<Attachments>,
    directory: Directory,
    settings: web::Data<Settings>,
    outbox: web::Data<Outbox>,
}

impl actix_web::FromRequest for MessageApp {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let app = || {
            Some(Self {
                db: req.app_data::<web::Data<Db>>()?.clone(),
                attachments: req.app_data::<web::Data<Attachments>>()?.clone(),
                directory: Directory::of(req).ok()?,
                settings: req.app_data::<web::Data<Settings>>()?.clone(),
                outbox: req.app_data::<web::Data<Outbox>>()?.clone(),
            })
        };
        std::future::ready(app().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application data missing"))))
    }
}

/// What a request carried: the message part as sent and the files kept in the store.
#[derive(Default)]
struct Parts {
    message: Option<web::Bytes>,
    files: Vec<Accepted>,
}

/// A message or decision (Bescheid) into the citizen's Postfach, once per Idempotency-Key; the
/// citizen is told by an e-mail that names only the authority.
#[utoipa::path(
    post,
    path = "/cases/{reference}/messages",
    tag = "messages",
    params(
        ("reference" = String, Path, description = "The case's reference"),
        super::openapi::IdempotencyKey,
    ),
    request_body(content = MessageForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "In the Postfach (or was, by the first request with this key)", body = MessageEntry),
        (status = 400, description = "No Idempotency-Key, not this multipart form, or an address with %00", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case of this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same key is being answered now; send again", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than the files may be", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A kind, subject or text not as described, a file that is not a PDF or too large, or the key used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The malware scanner or the file store is down; send again later", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn send(
    backend: Backend,
    app: MessageApp,
    req: HttpRequest,
    reference: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let MessageApp {
        db,
        attachments,
        directory,
        settings,
        outbox,
    } = app;
    let request = Request::of(&req)?;
    // No file is received for a case that is not there.
    if applications::case_id_of_tenant(&db, &backend.tenant_id, &reference)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound);
    }
    let mut parts = Parts::default();
    let read = read_parts(&req, payload, &attachments, &mut parts).await;
    let authority = directory.name_of(&backend.tenant_id);
    let to = Addressed {
        tenant_id: &backend.tenant_id,
        authority: &authority,
        reference: &reference,
        base_url: &settings.base_url,
    };
    let answered = match read {
        Ok(()) => write(request, &db, &backend, &to, &parts).await,
        Err(e) => Err(e),
    };
    match answered {
        Ok(answered) if !answered.replayed => {
            outbox.wake();
            Ok(answered.response)
        }
        other => {
            // Refused, or answered before: the files of this request are kept by no row.
            let keys: Vec<String> = parts.files.iter().map(|f| f.storage_key.clone()).collect();
            attachments.delete(&keys).await;
            other.map(|answered| answered.response)
        }
    }
}

async fn write(
    mut request: Request,
    db: &Db,
    backend: &Backend,
    to: &Addressed<'_>,
    parts: &Parts,
) -> Result<super::idempotent::Answered, ApiError> {
    let reference = to.reference;
    let raw = parts.message.as_ref().ok_or_else(|| {
        ApiError::BadRequest("a part named message with the JSON {kind, subject, body} is needed".into())
    })?;
    let sent: MessagePart = json_body(raw)?;
    let kind = MessageKind::from_authority(&sent.kind)
        .ok_or_else(|| ApiError::Unprocessable("kind must be message or decision".into()))?;
    // Counted as sent, as the OpenAPI document says; kept without control characters.
    let subject = text::one_line(&sent.subject, LONGEST_SUBJECT);
    let body = text::lines(&sent.body, LONGEST_BODY);
    let (subject, body) = (subject.as_str(), body.as_str());
    for (name, sent, kept, longest) in [
        ("subject", &sent.subject, subject, LONGEST_SUBJECT),
        ("body", &sent.body, body, LONGEST_BODY),
    ] {
        if kept.is_empty() || sent.chars().count() > longest {
            return Err(ApiError::Unprocessable(format!(
                "{name} must have 1 to {longest} characters"
            )));
        }
    }
    request.add(raw);
    for file in &parts.files {
        request.add(file.file.name.as_bytes());
        request.add(file.file.sha256.as_bytes());
    }
    let message = NewMessage {
        kind,
        subject,
        body,
        files: &parts.files,
    };
    request
        .once(db, backend, async |tx| {
            let now = crate::db::now();
            let id = postfach::send_to_citizen(tx, to, &message, now)
                .await?
                .ok_or(ApiError::NotFound)?;
            let row = MessageRow {
                id: id.clone(),
                direction: kind.direction().to_owned(),
                kind: kind.as_str().to_owned(),
                subject: subject.to_owned(),
                body: body.to_owned(),
                made_available_at: now,
                first_read_at: None,
            };
            let files: Vec<MessageFileRow> = parts
                .files
                .iter()
                .map(|f| MessageFileRow {
                    id: f.file.id.clone(),
                    message_id: id.clone(),
                    name: f.file.name.clone(),
                    file_type: f.file.file_type.name().to_owned(),
                    size: i64::try_from(f.file.size).unwrap_or(i64::MAX),
                    sha256: f.file.sha256.clone(),
                })
                .collect();
            Written::new(StatusCode::CREATED, &MessageEntry::of(reference, &row, &files))
        })
        .await
}

/// Reads the parts into `parts`; the files it kept stay listed there also when it fails.
async fn read_parts(
    req: &HttpRequest,
    payload: web::Payload,
    attachments: &Attachments,
    parts: &mut Parts,
) -> Result<(), ApiError> {
    let mut multipart = Multipart::new(req.headers(), limited(payload, REQUEST_LIMIT));
    while let Some(part) = multipart.next().await {
        let mut part = part.map_err(not_multipart)?;
        match part.name().unwrap_or_default() {
            "message" if parts.message.is_none() => {
                parts.message = Some(match part.bytes(MESSAGE_PART_LIMIT).await {
                    Ok(Ok(bytes)) => bytes,
                    Ok(Err(e)) => return Err(not_multipart(e)),
                    Err(_) => {
                        return Err(ApiError::Unprocessable(format!(
                            "the message part must be at most {MESSAGE_PART_LIMIT} bytes"
                        )));
                    }
                });
            }
            "attachment" if parts.files.len() < MOST_FILES => {
                parts.files.push(receive(&mut part, attachments).await?);
            }
            "attachment" => {
                return Err(ApiError::Unprocessable(format!(
                    "a message carries at most {MOST_FILES} attachments"
                )));
            }
            "message" => return Err(ApiError::BadRequest("send one part named message".into())),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown part {other:?}: send a part message and parts attachment"
                )));
            }
        }
    }
    Ok(())
}

/// One attachment part: a PDF of at most [`LARGEST_FILE`], scanned, in the store.
async fn receive(part: &mut Field, attachments: &Attachments) -> Result<Accepted, ApiError> {
    let name = part
        .content_disposition()
        .and_then(|d| d.get_filename())
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return Err(ApiError::BadRequest(
            "an attachment part needs a filename, e.g. bescheid.pdf".into(),
        ));
    }
    let declared = part.content_type().map(|m| m.essence_str().to_owned());
    let refused = |why: String| ApiError::Unprocessable(format!("attachment {name:?} {why}"));
    match attachments
        .receive(&name, declared.as_deref(), part, &[FileType::Pdf], LARGEST_FILE)
        .await
    {
        Ok(accepted) => Ok(accepted),
        Err(Refusal::TooLarge { max_bytes }) => Err(refused(format!("is larger than {max_bytes} bytes"))),
        Err(Refusal::Empty) => Err(refused("is empty".into())),
        Err(Refusal::WrongType | Refusal::Mismatch(_)) => Err(refused(
            "is not a PDF (by its content, name ending .pdf and type application/pdf)".into(),
        )),
        Err(Refusal::Infected) => Err(refused("carries malware".into())),
        Err(Refusal::Incomplete) => Err(ApiError::BadRequest("the request broke off".into())),
        Err(Refusal::NotNow | Refusal::TooMany { .. } | Refusal::TotalTooLarge { .. } | Refusal::TooOften) => {
            Err(ApiError::Unavailable(
                "the files cannot be checked for malware or stored now; send the request again later".into(),
            ))
        }
    }
}

fn not_multipart(e: MultipartError) -> ApiError {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge,
        _ => {
            ApiError::BadRequest("the body must be multipart/form-data with a part message and parts attachment".into())
        }
    }
}

/// The thread in both directions, oldest first, with when the citizen first read each message.
#[utoipa::path(
    get,
    path = "/cases/{reference}/messages",
    tag = "messages",
    params(("reference" = String, Path, description = "The case's reference")),
    responses(
        (status = 200, description = "The case's messages", body = Thread),
        (status = 400, description = "An address with %00", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case of this tenant", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn thread(
    backend: Backend,
    db: web::Data<Db>,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let case_id = applications::case_id_of_tenant(&db, &backend.tenant_id, &reference)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (messages, files) = messages::thread(&db, &case_id, &backend.tenant_id).await?;
    let messages = messages
        .iter()
        .map(|m| MessageEntry::of(&reference, m, &files))
        .collect();
    Ok(HttpResponse::Ok().json(Thread { messages }))
}

impl<'a> MessageEntry<'a> {
    /// The message with its files among `files`.
    fn of(reference: &str, message: &'a MessageRow, files: &'a [MessageFileRow]) -> Self {
        let attachments = files
            .iter()
            .filter(|f| f.message_id == message.id)
            .map(|f| MessageFileEntry {
                id: &f.id,
                name: &f.name,
                file_type: FileType::mime_of_stored(&f.file_type),
                size: f.size,
                sha256: &f.sha256,
                href: format!("/api/v1/cases/{}/attachments/{}", encoded(reference), f.id),
            })
            .collect();
        Self {
            id: &message.id,
            direction: &message.direction,
            kind: &message.kind,
            subject: &message.subject,
            body: &message.body,
            made_available_at: message.made_available_at,
            first_read_at: message.first_read_at,
            attachments,
        }
    }
}
