//! Messages and decisions (Bescheide) of the authority into the citizen's Postfach, and a case's
//! thread. A message comes as multipart/form-data: a part `message` with JSON `{kind, subject,
//! body}` and up to [`MOST_FILES`] parts `attachment`, each a PDF, checked and scanned like the
//! citizens' uploads.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::idempotent::{Request, Written};
use super::{ApiError, Backend, json_body};
use crate::attachments::{Accepted, Attachments, Refusal};
use crate::config::Settings;
use crate::db::messages::{self, MessageFileRow, MessageRow, NewMessage};
use crate::db::{Db, applications};
use crate::domain::FileType;
use crate::domain::message::MessageKind;
use crate::query::encode_query_value as encoded;
use crate::routes::page::limited;
use crate::tenancy::TenantDirectory;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessagePart {
    kind: String,
    subject: String,
    body: String,
}

/// What sending a message needs of the app.
pub struct MessageApp {
    db: web::Data<Db>,
    attachments: web::Data<Attachments>,
    directory: web::Data<TenantDirectory>,
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
                directory: req.app_data::<web::Data<TenantDirectory>>()?.clone(),
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

/// `POST /api/v1/cases/{reference}/messages`: a message or decision into the citizen's Postfach,
/// once per Idempotency-Key; 201 with the message as the thread shows it.
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
    let (subject, body) = (sent.subject.trim(), sent.body.trim());
    for (name, text, longest) in [("subject", subject, LONGEST_SUBJECT), ("body", body, LONGEST_BODY)] {
        if text.is_empty() || text.chars().count() > longest {
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
            Ok(Written {
                status: StatusCode::CREATED,
                body: message_json(reference, &row, &files),
            })
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

/// `GET /api/v1/cases/{reference}/messages`: the thread in both directions, oldest first, with
/// when the citizen first read each message.
pub async fn thread(
    backend: Backend,
    db: web::Data<Db>,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let case_id = applications::case_id_of_tenant(&db, &backend.tenant_id, &reference)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (messages, files) = messages::thread(&db, &case_id, &backend.tenant_id).await?;
    let thread: Vec<Json> = messages
        .iter()
        .map(|m| {
            let own: Vec<MessageFileRow> = files.iter().filter(|f| f.message_id == m.id).cloned().collect();
            message_json(&reference, m, &own)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "messages": thread })))
}

fn message_json(reference: &str, message: &MessageRow, files: &[MessageFileRow]) -> Json {
    let files: Vec<Json> = files
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "name": f.name,
                "type": FileType::mime_of_stored(&f.file_type),
                "size": f.size,
                "sha256": f.sha256,
                "href": format!("/api/v1/cases/{}/attachments/{}", encoded(reference), f.id),
            })
        })
        .collect();
    json!({
        "id": message.id,
        "direction": message.direction,
        "kind": message.kind,
        "subject": message.subject,
        "body": message.body,
        "made_available_at": message.made_available_at.to_rfc3339(),
        "first_read_at": message.first_read_at.map(|at| at.to_rfc3339()),
        "attachments": files,
    })
}
