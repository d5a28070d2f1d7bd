//! `/postfach`: the citizen's messages and decisions (Bescheide) from the authorities, newest first,
//! across all tenants (the Servicekonto is one account), a page at a time; a message's page, whose
//! first opening is recorded as its reading; and its files.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::attachments::{Attachments, Refusal};
use crate::auth::client_ip::client_ip;
use crate::auth::session::{Citizen, Sessions};
use crate::db::Db;
use crate::db::messages::{self, Replied};
use crate::domain::evidence::size_text;
use crate::domain::{FileType, message, text};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::query::encode_query_value as encoded;
use crate::routes::Layout;
use crate::routes::download::stored_file;
use crate::routes::page::{respond, see_other};
use crate::routes::posted::{self, FileField, Receiving, Uploader, refusal_text};
use crate::tenancy::{Directory, TenantDirectory};

/// Messages per page.
const PAGE: i64 = 20;

pub struct MessageItem {
    subject: String,
    kind_key: &'static str,
    authority: String,
    made_available: String,
    case_label: String,
    unread: bool,
    href: String,
    case_filter_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "postfach/list.html")]
pub struct PostfachPage {
    layout: Layout,
    /// "Nachrichten zum Vorgang …" when the list shows one case's.
    filter_heading: Option<String>,
    messages: Vec<MessageItem>,
    older_href: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// Only the messages of this case (its id).
    vorgang: Option<String>,
    /// Only messages older than this one (the last of the page before).
    vor: Option<String>,
}

pub async fn list(
    req: HttpRequest,
    layout: Layout,
    query: web::Query<ListQuery>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    directory: Directory,
) -> Result<PostfachPage, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let case_id = query.vorgang.as_deref();
    let mut rows = messages::of_account(&db, &citizen.account_id, case_id, query.vor.as_deref(), PAGE + 1).await?;
    let older = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    let lang = layout.lang;
    let filter_heading = match (case_id, rows.first()) {
        (Some(_), Some(first)) => Some(lang.t1("postfach-case-filter", "reference", first.reference.clone())),
        _ => None,
    };
    let older_href = match (older, rows.last()) {
        (true, Some(last)) => Some(match case_id {
            Some(case) => format!("/postfach?vorgang={}&vor={}", encoded(case), encoded(&last.id)),
            None => format!("/postfach?vor={}", encoded(&last.id)),
        }),
        _ => None,
    };
    let messages = rows
        .iter()
        .map(|row| MessageItem {
            subject: row.subject.clone(),
            kind_key: message::label_key(&row.kind),
            authority: directory.name_of(&row.tenant_id),
            made_available: lang.date_time(row.made_available_at),
            case_label: lang.t1("postfach-case", "reference", row.reference.clone()),
            unread: row.direction == "to_citizen" && row.first_read_at.is_none(),
            href: format!("/postfach/{}", row.id),
            case_filter_href: format!("/postfach?vorgang={}", encoded(&row.case_id)),
        })
        .collect();
    Ok(PostfachPage {
        layout,
        filter_heading,
        messages,
        older_href,
    })
}

pub struct FileItem {
    name: String,
    /// PDF, JPEG or PNG.
    kind: &'static str,
    size: String,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "postfach/message.html")]
pub struct MessagePage {
    layout: Layout,
    subject: String,
    kind_key: &'static str,
    from: String,
    case_label: String,
    made_available: String,
    body: String,
    files: Vec<FileItem>,
    /// The reply form, under a message to the citizen.
    reply: Option<ReplyForm>,
    /// "Ihre Antwort wurde gesendet."
    replied: bool,
}

pub struct ReplyForm {
    action: String,
    csrf_token: String,
    value: String,
    text_error: Option<&'static str>,
    /// What is wrong with each file that was not taken.
    file_errors: Vec<String>,
    /// The file input's `accept`, and the limits told before a file is chosen.
    accept: String,
    file_hint: String,
}

impl ReplyForm {
    pub fn has_errors(&self) -> bool {
        self.text_error.is_some() || !self.file_errors.is_empty()
    }
}

/// A reply as sent, with what is wrong with it.
#[derive(Default)]
struct Sent<'a> {
    text: &'a str,
    text_error: Option<&'static str>,
    file_errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    beantwortet: Option<String>,
}

/// A message of the citizen's; the first opening records when it was read (the authority sees it).
pub async fn show(
    req: HttpRequest,
    layout: Layout,
    id: web::Path<String>,
    query: web::Query<ShowQuery>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    directory: Directory,
) -> Result<MessagePage, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let mut page = message_page(layout, &db, &directory, &id, &citizen, Sent::default()).await?;
    page.replied = query.beantwortet.is_some();
    Ok(page)
}

/// The page of the citizen's message `id`, with the reply form as sent (and what is wrong with it).
async fn message_page(
    mut layout: Layout,
    db: &Db,
    directory: &TenantDirectory,
    id: &str,
    citizen: &Citizen,
    sent: Sent<'_>,
) -> Result<MessagePage, AppError> {
    let opened = messages::open(db, id, &citizen.account_id, crate::db::now())
        .await?
        .ok_or(AppError::NotFound)?;
    let (row, files) = (opened.message, opened.files);
    // The header was made from the session, read before this reading.
    if let Some(account) = layout.account.as_mut().filter(|_| opened.first_reading) {
        account.unread = (account.unread - 1).max(0);
    }
    let lang: Lang = layout.lang;
    let reply = (row.direction == "to_citizen").then(|| ReplyForm {
        action: format!("/postfach/{}/antwort", row.id),
        csrf_token: citizen.session.csrf_token.clone(),
        value: sent.text.to_owned(),
        text_error: sent.text_error,
        file_errors: sent.file_errors,
        accept: FileType::accept_attribute(&FileType::ALL),
        file_hint: lang.tn(
            "form-file-limits",
            [
                ("types", FileType::ALL.map(FileType::label).join(", ").into()),
                ("size", size_text(REPLY_FILE_BYTES).into()),
                ("count", REPLY_FILES.into()),
            ],
        ),
    });
    Ok(MessagePage {
        subject: row.subject.clone(),
        kind_key: message::label_key(&row.kind),
        from: lang.t1("postfach-from", "authority", directory.name_of(&row.tenant_id)),
        case_label: lang.t1("postfach-case", "reference", row.reference.clone()),
        made_available: lang.t1("postfach-made-available", "date", lang.date_time(row.made_available_at)),
        body: row.body,
        files: files
            .into_iter()
            .map(|f| FileItem {
                href: format!("/postfach/{}/datei/{}", row.id, f.id),
                kind: FileType::parse(&f.file_type).map_or("", FileType::label),
                size: size_text(u64::try_from(f.size).unwrap_or_default()),
                name: f.name,
            })
            .collect(),
        reply,
        replied: false,
        layout,
    })
}

/// The longest reply, in characters.
const LONGEST_REPLY: usize = 5000;
/// The most files a reply carries, and the largest of them.
const REPLY_FILES: usize = 5;
const REPLY_FILE_BYTES: u64 = 10_000_000;
/// The reply form's fields: its token, its text, its files.
const REPLY_PAIRS: usize = 2;
const REPLY_FILE_FIELD: &str = "anlage";

/// The citizen answers a message, with files if they like (checked and scanned as evidence is):
/// the reply joins the case's thread, where the authority's backend reads it. A reply with a file
/// that is not taken is not sent: the citizen chooses the files again.
#[allow(clippy::too_many_arguments)]
pub async fn reply(
    req: HttpRequest,
    layout: Layout,
    id: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    directory: Directory,
    attachments: web::Data<Attachments>,
) -> Result<HttpResponse, AppError> {
    let multipart = posted::is_multipart(&req);
    let citizen = match sessions.citizen(&req).await {
        Ok(citizen) => citizen,
        Err(e) => {
            // Its files are read past and not kept, so that the browser is told where to log in.
            if multipart {
                posted::read_multipart(&req, payload, REPLY_PAIRS, None, &attachments).await?;
            }
            return Err(e);
        }
    };
    let receiving = Receiving {
        fields: vec![FileField {
            name: REPLY_FILE_FIELD,
            accept: &FileType::ALL,
            max_bytes: REPLY_FILE_BYTES,
        }],
        csrf: &citizen.session.csrf_token,
        uploader: Uploader {
            db: &db,
            account_id: &citizen.account_id,
            ip: client_ip(&req),
        },
    };
    let post = if multipart {
        posted::read_multipart(&req, payload, REPLY_PAIRS, Some(&receiving), &attachments).await?
    } else {
        posted::read_plain(payload, REPLY_PAIRS).await?
    };
    let value = |name: &str| {
        post.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    if post.token_missing {
        return Err(AppError::Forbidden);
    }
    citizen.session.check_csrf(value("csrf_token"))?;
    let lang = layout.lang;
    let mut files = Vec::new();
    let mut file_errors = Vec::new();
    for upload in post.uploads {
        let refusal = match upload.result {
            Ok(accepted) => {
                files.push(accepted);
                (files.len() > REPLY_FILES).then_some(Refusal::TooMany { max_files: REPLY_FILES })
            }
            Err(refusal) => Some(refusal),
        };
        if let Some(refusal) = refusal {
            file_errors.push(refusal_text(refusal, &upload.name, &FileType::ALL, lang));
        }
    }
    let typed = value("antwort");
    let text = text::lines(typed, LONGEST_REPLY + 1);
    let text_error = if text.is_empty() && files.is_empty() && file_errors.is_empty() {
        Some("postfach-reply-empty")
    } else if text.chars().count() > LONGEST_REPLY {
        Some("postfach-reply-too-long")
    } else {
        None
    };
    let keys: Vec<String> = files.iter().map(|f| f.storage_key.clone()).collect();
    if text_error.is_some() || !file_errors.is_empty() {
        attachments.delete(&keys).await;
        let sent = Sent {
            text: typed,
            text_error,
            file_errors,
        };
        let page = message_page(layout, &db, &directory, &id, &citizen, sent).await?;
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let replied = messages::reply(&db, &id, &citizen.account_id, &text, &files, crate::db::now()).await;
    if !matches!(replied, Ok(Replied::Written)) {
        attachments.delete(&keys).await;
    }
    match replied? {
        Replied::Written | Replied::Repeated => Ok(see_other(&format!("/postfach/{id}?beantwortet=1"))),
        Replied::NoSuchMessage => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
pub struct FilePath {
    message: String,
    file: String,
}

/// A file of a message of the citizen's.
pub async fn download(
    req: HttpRequest,
    path: web::Path<FilePath>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    attachments: web::Data<Attachments>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let row = messages::file_of_account(&db, &path.file, &path.message, &citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(stored_file(row, &attachments).await?)
}
