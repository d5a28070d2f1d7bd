//! `/postfach`: the citizen's messages and decisions (Bescheide) from the authorities, newest first,
//! across all tenants (the Servicekonto is one account), a page at a time; a message's page, whose
//! first opening is recorded as its reading; and its files.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::attachments::Attachments;
use crate::auth::session::{Citizen, Sessions};
use crate::db::Db;
use crate::db::messages;
use crate::domain::evidence::size_text;
use crate::domain::{message, text};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::query::encode_query_value as encoded;
use crate::routes::Layout;
use crate::routes::download::stored_file;
use crate::routes::page::{respond, see_other};
use crate::tenancy::TenantDirectory;

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
    directory: web::Data<TenantDirectory>,
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
    error: Option<&'static str>,
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
    directory: web::Data<TenantDirectory>,
) -> Result<MessagePage, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let mut page = message_page(layout, &db, &directory, &id, &citizen, None, "").await?;
    page.replied = query.beantwortet.is_some();
    Ok(page)
}

/// The page of the citizen's message `id`, with the reply form as given (and what is wrong with it).
async fn message_page(
    mut layout: Layout,
    db: &Db,
    directory: &TenantDirectory,
    id: &str,
    citizen: &Citizen,
    error: Option<&'static str>,
    reply: &str,
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
        value: reply.to_owned(),
        error,
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

#[derive(Deserialize)]
pub struct ReplyPost {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    antwort: String,
}

/// The citizen answers a message: the reply joins the case's thread, where the authority's backend
/// reads it.
pub async fn reply(
    req: HttpRequest,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<ReplyPost>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    directory: web::Data<TenantDirectory>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    let text = text::lines(&form.antwort, LONGEST_REPLY + 1);
    let error = if text.is_empty() {
        Some("postfach-reply-empty")
    } else if text.chars().count() > LONGEST_REPLY {
        Some("postfach-reply-too-long")
    } else {
        None
    };
    if let Some(error) = error {
        let page = message_page(layout, &db, &directory, &id, &citizen, Some(error), &form.antwort).await?;
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if !messages::reply(&db, &id, &citizen.account_id, &text, crate::db::now()).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&format!("/postfach/{id}?beantwortet=1")))
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
