//! Reading a posted form that may carry files (a form step, a reply in the Postfach): name-value
//! pairs from a plain form, or from a multipart form whose file parts stream through
//! `Attachments::receive` while the pairs are read.

use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::{HttpRequest, web};
use fluent_templates::fluent_bundle::FluentValue;
use futures_util::StreamExt;

use crate::attachments::{Accepted, Attachments, Refusal};
use crate::auth::rate_limit::{UPLOAD_PER_ACCOUNT, UPLOAD_PER_IP};
use crate::auth::token;
use crate::db::Db;
use crate::domain::FileType;
use crate::domain::evidence::{clean_file_name, size_text};
use crate::domain::form::{Kind, Step};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::page::{FORM_BODY_LIMIT, limited};

/// The most an upload request may carry. Past a file's limit the rest is read and thrown away, so
/// the citizen gets the step with a message instead of a broken connection; past this, not.
const UPLOAD_REQUEST_LIMIT: u64 = 1024 * 1024 * 1024;

pub struct Posted {
    pub pairs: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
    /// A file came before the page's CSRF token (which the page sends first), or with a token
    /// that is not the session's: reading stopped there, nothing of it is kept.
    pub token_missing: bool,
}

/// One file sent for a file field.
pub struct Upload {
    pub field: String,
    /// The file's name, cleaned, for messages.
    pub name: String,
    pub result: Result<Accepted, Refusal>,
}

pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The pairs of a plain form, if there are no more than `most` of them.
pub async fn read_plain(payload: web::Payload, most: usize) -> Result<Posted, AppError> {
    let body = payload
        .to_bytes_limited(FORM_BODY_LIMIT)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?
        .map_err(|_| AppError::BadRequest)?;
    Ok(Posted {
        pairs: pairs_of(&body, most)?,
        uploads: Vec::new(),
        token_missing: false,
    })
}

/// The name-value pairs of a urlencoded body, parsed only when there are no more than `most`.
pub fn pairs_of(body: &[u8], most: usize) -> Result<Vec<(String, String)>, AppError> {
    let pairs = body.split(|b| *b == b'&').filter(|pair| !pair.is_empty()).count();
    if pairs > most {
        return Err(AppError::PayloadTooLarge);
    }
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest)
}

/// Who is uploading: each file takes a place in the upload limits of the account and the address
/// before it is received.
pub struct Uploader<'a> {
    pub db: &'a Db,
    pub account_id: &'a str,
    pub ip: String,
}

impl Uploader<'_> {
    async fn may_upload(&self) -> Result<bool, AppError> {
        let Some(per_account) = UPLOAD_PER_ACCOUNT.take(self.db, self.account_id).await? else {
            return Ok(false);
        };
        if UPLOAD_PER_IP.take(self.db, &self.ip).await?.is_none() {
            per_account.give_back(self.db).await?;
            return Ok(false);
        }
        Ok(true)
    }
}

/// A field that takes files: its name in the form, the types it accepts by content, the largest
/// file.
pub struct FileField<'a> {
    pub name: &'a str,
    pub accept: &'a [FileType],
    pub max_bytes: u64,
}

impl<'a> FileField<'a> {
    /// The file fields of a form step.
    pub fn of_step(step: &'a Step) -> Vec<Self> {
        step.fields
            .iter()
            .filter_map(|f| match &f.kind {
                Kind::File { accept, max_bytes, .. } => Some(Self {
                    name: &f.id,
                    accept,
                    max_bytes: *max_bytes,
                }),
                _ => None,
            })
            .collect()
    }
}

/// What a multipart form is read for: the fields that take files, by whom, with the session's
/// CSRF token; or nothing (the session has expired), and then files are read and thrown away.
pub struct Receiving<'a> {
    pub fields: Vec<FileField<'a>>,
    pub csrf: &'a str,
    pub uploader: Uploader<'a>,
}

/// Reads a multipart form: at most `most` pairs, and the files for its file fields. A file is
/// received only after the CSRF token came. A broken or oversized request keeps nothing.
pub async fn read_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    most: usize,
    receiving: Option<&Receiving<'_>>,
    attachments: &Attachments,
) -> Result<Posted, AppError> {
    let mut multipart = Multipart::new(req.headers(), limited(payload, UPLOAD_REQUEST_LIMIT));
    let mut post = Posted {
        pairs: Vec::new(),
        uploads: Vec::new(),
        token_missing: false,
    };
    let mut text_bytes = 0;
    let outcome = loop {
        let mut part = match multipart.next().await {
            None => break Ok(()),
            Some(Err(actix_multipart::MultipartError::Payload(PayloadError::Overflow))) => {
                break Err(AppError::PayloadTooLarge);
            }
            Some(Err(_)) => break Err(AppError::BadRequest),
            Some(Ok(part)) => part,
        };
        let name = part.name().unwrap_or_default().to_owned();
        let sent_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let Some(sent_name) = sent_name else {
            // A name-value pair.
            if post.pairs.len() >= most {
                break Err(AppError::PayloadTooLarge);
            }
            let value = match part.bytes(FORM_BODY_LIMIT.saturating_sub(text_bytes)).await {
                Ok(Ok(value)) => value,
                Ok(Err(_)) => break Err(AppError::BadRequest),
                Err(_) => break Err(AppError::PayloadTooLarge),
            };
            text_bytes += name.len() + value.len();
            let Ok(value) = String::from_utf8(value.to_vec()) else {
                break Err(AppError::BadRequest);
            };
            post.pairs.push((name, value));
            continue;
        };
        let file_field =
            receiving.and_then(|receiving| Some(receiving).zip(receiving.fields.iter().find(|f| f.name == name)));
        let Some((receiving, field)) = file_field else {
            // Not a file field of this form (or files are not received now): read past it.
            read_past(&mut part).await;
            continue;
        };
        let token = post
            .pairs
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .map_or("", |(_, v)| v.as_str());
        if !token::equal_in_constant_time(receiving.csrf, token) {
            post.token_missing = true;
            break Ok(());
        }
        if sent_name.is_empty() {
            // No file chosen: browsers send an empty part without a name.
            read_past(&mut part).await;
            continue;
        }
        let result = match receiving.uploader.may_upload().await {
            Ok(true) => {
                let declared = part.content_type().map(|m| m.essence_str().to_owned());
                attachments
                    .receive(
                        &sent_name,
                        declared.as_deref(),
                        &mut part,
                        field.accept,
                        field.max_bytes,
                    )
                    .await
            }
            Ok(false) => {
                read_past(&mut part).await;
                Err(Refusal::TooOften)
            }
            Err(e) => break Err(e),
        };
        post.uploads.push(Upload {
            field: field.name.to_owned(),
            name: clean_file_name(&sent_name),
            result,
        });
    };
    if let Err(e) = outcome {
        forget(&post.uploads, attachments).await;
        return Err(e);
    }
    if post.token_missing {
        forget(&post.uploads, attachments).await;
        post.uploads.clear();
    }
    Ok(post)
}

/// Reads a part to its end, keeping nothing.
async fn read_past(part: &mut actix_multipart::Field) {
    while let Some(chunk) = part.next().await {
        if chunk.is_err() {
            break;
        }
    }
}

/// Deletes the stored files of uploads that will not be recorded.
pub async fn forget(uploads: &[Upload], attachments: &Attachments) {
    let keys: Vec<String> = uploads
        .iter()
        .filter_map(|u| u.result.as_ref().ok())
        .map(|a| a.storage_key.clone())
        .collect();
    attachments.delete(&keys).await;
}

/// Why a file was not kept, and what to do, in the citizen's words.
pub fn refusal_text(refusal: Refusal, name: &str, accept: &[FileType], lang: Lang) -> String {
    let (key, size, count, found) = match refusal {
        Refusal::TooLarge { max_bytes } => ("upload-too-large", max_bytes, 0, None),
        Refusal::Empty => ("upload-empty", 0, 0, None),
        Refusal::WrongType => ("upload-wrong-type", 0, 0, None),
        Refusal::Mismatch(found) => ("upload-mismatch", 0, 0, Some(found)),
        Refusal::Infected => ("upload-infected", 0, 0, None),
        Refusal::NotNow => ("upload-not-now", 0, 0, None),
        Refusal::Incomplete => ("upload-incomplete", 0, 0, None),
        Refusal::TooMany { max_files } => ("upload-too-many", 0, max_files, None),
        Refusal::TotalTooLarge { max_bytes } => ("upload-total-too-large", max_bytes, 0, None),
        Refusal::TooOften => ("upload-too-often", 0, 0, None),
    };
    let types = accept.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ");
    lang.tn(
        key,
        [
            ("name", FluentValue::from(name.to_owned())),
            ("size", size_text(size).into()),
            ("n", count.into()),
            ("types", types.into()),
            ("type", found.map_or("", FileType::label).into()),
        ],
    )
}
