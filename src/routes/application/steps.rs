//! Filling in: where to continue (or the task list), one step per page, saving a step, and keeping a
//! step sent after the session expired.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use serde_json::{Value as Json, json};

use super::evidence;
use super::view::{self, FieldView};
use super::{
    DraftPath, DraftRow, Drafts, Opened, StepPath, StepQuery, draft_expiry, draft_href, locked, stammdaten_answers,
    step_href, today, unfinished, version,
};
use crate::attachments::{Accepted, Attachments};
use crate::auth::client_ip::client_ip;
use crate::auth::rate_limit::PARKED_STEP_PER_IP;
use crate::auth::session::Sessions;
use crate::auth::token;
use crate::config::Settings;
use crate::db::Db;
use crate::db::applications::{self as queries, PARKED_HOURS};
use crate::db::attachments::{self, NewAttachment};
use crate::db::catalogue;
use crate::domain::form::{Answers, FormDefinition, FormState, Kind, Step, derive, input, read_step};
use crate::error::AppError;
use crate::i18n::local_date;
use crate::routes::Layout;
use crate::routes::page::{respond, see_other};
use crate::routes::posted::{self, FileField, Receiving, Uploader};

/// `/antrag/{draft}`: the task list of a long form, or straight to where the citizen left off.
pub async fn resume(req: HttpRequest, path: web::Path<DraftPath>, drafts: Drafts) -> Result<HttpResponse, AppError> {
    let (layout, opened) = drafts.open(&req, &path.draft).await?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    let changed = opened.draft.form_version != version(&opened.form);
    if !opened.form.has_task_list() {
        let href = match unfinished(&opened, &state) {
            Some(step) if changed => format!("{}?geaendert=1", step_href(&layout, &opened.draft.id, &step.id)),
            Some(step) => step_href(&layout, &opened.draft.id, &step.id),
            None => draft_href(&layout, &opened.draft.id, "/pruefen"),
        };
        return Ok(see_other(&href));
    }
    respond(StatusCode::OK, &task_list(layout, &opened, &state, changed))
}

pub struct Task {
    title: String,
    href: Option<String>,
    /// Translation key of the status tag.
    status: &'static str,
    done: bool,
}

#[derive(Template)]
#[template(path = "application/tasks.html")]
pub struct TaskListPage {
    layout: Layout,
    service_name: String,
    tasks: Vec<Task>,
    complete: bool,
    check_href: String,
    changed: bool,
    saved_until: String,
}

fn task_list(layout: Layout, opened: &Opened, state: &FormState<'_>, changed: bool) -> TaskListPage {
    let visited = &opened.draft.visited.0;
    let tasks = opened
        .form
        .sections
        .iter()
        .map(|section| {
            let steps: Vec<_> = state
                .steps
                .iter()
                .filter(|s| s.step.section.as_deref() == Some(section.id.as_str()))
                .collect();
            let started = steps.iter().any(|s| visited.contains(&s.step.id));
            let done = !steps.is_empty() && steps.iter().all(|s| visited.contains(&s.step.id) && !s.has_errors());
            let href = steps
                .iter()
                .find(|s| !visited.contains(&s.step.id) || s.has_errors())
                .or(steps.first())
                .map(|s| step_href(&layout, &opened.draft.id, &s.step.id));
            let status = match (steps.is_empty(), done, started) {
                (true, _, _) => "form-task-not-needed",
                (_, true, _) => "form-task-done",
                (_, _, true) => "form-task-in-progress",
                _ => "form-task-not-started",
            };
            Task {
                title: section.title.get(layout.lang).to_owned(),
                href,
                status,
                done,
            }
        })
        .collect();
    TaskListPage {
        service_name: opened.service_name.clone(),
        tasks,
        complete: unfinished(opened, state).is_none(),
        check_href: draft_href(&layout, &opened.draft.id, "/pruefen"),
        changed,
        saved_until: view::date_text(local_date(opened.draft.expires_at), layout.lang),
        layout,
    }
}

#[derive(Template)]
#[template(path = "application/step.html")]
pub struct StepPage {
    layout: Layout,
    service_name: String,
    title: String,
    intro: Option<String>,
    section: Option<String>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String)>,
    action: String,
    back_href: String,
    csrf_token: String,
    notice: Option<Notice>,
    session_note: String,
    session_minutes: i64,
    session_seconds_left: i64,
    /// The step has a file field: the form is sent as multipart.
    has_files: bool,
    /// Uploads are not scanned for malware (demo mode without a scanner): the page says so.
    unscanned: bool,
}

/// One step of the form, with the saved answers; errors once the citizen has tried to go on.
pub async fn show_step(
    req: HttpRequest,
    path: web::Path<StepPath>,
    query: web::Query<StepQuery>,
    drafts: Drafts,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let db = &drafts.db;
    let (layout, opened) = drafts.open(&req, &path.draft).await?;
    if let Some(token) = &query.geparkt {
        // A link with someone else's token does nothing: the cookie must come from this browser.
        if holds_parked_cookie(&req, &drafts.sessions, token) {
            take_back_parked(db, &opened, token, &settings).await?;
        }
        let mut response = see_other(&step_href(&layout, &opened.draft.id, &path.step));
        let mut used = parked_cookie(&drafts.sessions, String::new());
        used.make_removal();
        response.add_cookie(&used).map_err(|e| AppError::Internal(e.into()))?;
        return Ok(response);
    }
    let step = opened.form.step(&path.step).ok_or(AppError::NotFound)?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    if state.step(&step.id).is_none() {
        // The step no longer applies to these answers.
        return Ok(see_other(&draft_href(&layout, &opened.draft.id, "")));
    }
    let changed = query.geaendert.is_some();
    let show_errors = changed || opened.draft.visited.0.contains(&step.id);
    let stammdaten = stammdaten_answers(db, &opened.citizen.account_id, step.fields.iter()).await?;
    let page = step_page(
        layout,
        &opened,
        &state,
        step,
        &stammdaten,
        show_errors,
        changed.then_some(Notice::FormChanged),
        query.zurueck.is_some(),
        &settings,
        &[],
    );
    respond(StatusCode::OK, &page)
}

/// A note above a step's questions.
#[derive(Clone, Copy)]
enum Notice {
    /// The form changed since the draft was started.
    FormChanged,
    /// The page was sent from before a new login: shown again filled in, to send once more.
    SendAgain,
}

impl Notice {
    fn title_key(self) -> &'static str {
        match self {
            Self::FormChanged => "form-changed-title",
            Self::SendAgain => "form-send-again-title",
        }
    }

    fn text_key(self) -> &'static str {
        match self {
            Self::FormChanged => "form-changed-text",
            Self::SendAgain => "form-send-again-text",
        }
    }

    /// A step sent in vain is announced at once; a changed form politely.
    fn role(self) -> &'static str {
        match self {
            Self::FormChanged => "status",
            Self::SendAgain => "alert",
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn step_page(
    layout: Layout,
    opened: &Opened,
    state: &FormState<'_>,
    step: &Step,
    stammdaten: &Answers,
    show_errors: bool,
    notice: Option<Notice>,
    to_check: bool,
    settings: &Settings,
    refused: &[(String, String)],
) -> StepPage {
    let lang = layout.lang;
    let draft_id = &opened.draft.id;
    let mut fields = state
        .step(&step.id)
        .map(|s| view::fields(s, state, show_errors, lang, stammdaten))
        .unwrap_or_default();
    for field in fields.iter_mut().filter(|f| f.kind == "file") {
        for file in &mut field.files {
            file.href = draft_href(&layout, draft_id, &format!("/datei/{}", file.id));
        }
        // A file that was not kept is told at its field, before anything derive found.
        let messages: Vec<&str> = refused
            .iter()
            .filter(|(id, _)| *id == field.name)
            .map(|(_, m)| m.as_str())
            .collect();
        if !messages.is_empty() {
            field.error = Some(messages.join(" "));
        }
    }
    let has_files = fields.iter().any(|f| f.kind == "file");
    let errors = fields
        .iter()
        .flat_map(|f| std::iter::once(f).chain(f.items.iter().flat_map(|i| &i.fields)))
        .filter_map(|f| f.error.clone().map(|e| (f.anchor.clone(), e)))
        .collect();
    let back_href = match state.previous_before(&step.id) {
        _ if to_check => draft_href(&layout, draft_id, "/pruefen"),
        _ if opened.form.has_task_list() => draft_href(&layout, draft_id, ""),
        Some(previous) => step_href(&layout, draft_id, &previous.id),
        None => layout.href(&format!("/leistungen/{}", opened.draft.service_slug)),
    };
    let mut action = step_href(&layout, draft_id, &step.id);
    if to_check {
        action.push_str("?zurueck=pruefen");
    }
    let session = &opened.citizen.session;
    // Idle timeout, or the absolute one if that comes first.
    let session_ends =
        (session.last_seen_at + Duration::minutes(settings.session_idle_minutes)).min(session.expires_at);
    StepPage {
        service_name: opened.service_name.clone(),
        title: step.title.get(lang).to_owned(),
        intro: step.intro.as_ref().map(|t| t.get(lang).to_owned()),
        section: step
            .section
            .as_ref()
            .and_then(|id| opened.form.sections.iter().find(|s| &s.id == id))
            .map(|s| s.title.get(lang).to_owned()),
        fields,
        errors,
        action,
        back_href,
        csrf_token: opened.citizen.session.csrf_token.clone(),
        notice,
        has_files,
        unscanned: has_files && settings.is_demo() && settings.virus_scan.is_empty(),
        session_minutes: settings.session_idle_minutes,
        session_seconds_left: (session_ends - Utc::now()).num_seconds().max(0),
        session_note: lang.tn(
            "form-session-note",
            [
                ("minutes", settings.session_idle_minutes.into()),
                ("time", lang.clock(session_ends).into()),
                (
                    "date",
                    view::date_text(local_date(opened.draft.expires_at), lang).into(),
                ),
            ],
        ),
        layout,
    }
}

/// What the citizen asked for with the button they pressed.
enum Action {
    Next,
    SaveForLater,
    Add(String),
    Remove(String, usize),
    /// "Hochladen" at a file field: keep the chosen files and stay on the step.
    Upload(String),
    /// Remove an uploaded file (by its attachment id).
    RemoveFile(String),
}

impl Action {
    fn parse(posted: &[(String, String)]) -> Self {
        let value = posted
            .iter()
            .find(|(k, _)| k == "aktion")
            .map_or("weiter", |(_, v)| v.as_str());
        let mut parts = value.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("speichern"), None, None) => Self::SaveForLater,
            (Some("hinzufuegen"), Some(group), None) => Self::Add(group.to_owned()),
            (Some("hochladen"), Some(field), None) => Self::Upload(field.to_owned()),
            (Some("datei-entfernen"), Some(id), None) => Self::RemoveFile(id.to_owned()),
            (Some("entfernen"), Some(group), Some(index)) => match index.parse() {
                Ok(index) => Self::Remove(group.to_owned(), index),
                Err(_) => Self::Next,
            },
            _ => Self::Next,
        }
    }
}

/// Saves a step: always, even with errors (so nothing typed is lost), then goes on, back to the
/// step with its errors, or away to continue later.
#[allow(clippy::too_many_arguments)]
pub async fn save_step(
    req: HttpRequest,
    path: web::Path<StepPath>,
    query: web::Query<StepQuery>,
    payload: web::Payload,
    drafts: Drafts,
    settings: web::Data<Settings>,
    attachments: web::Data<Attachments>,
) -> Result<HttpResponse, AppError> {
    let db = &drafts.db;
    let multipart = posted::is_multipart(&req);
    let (layout, opened) = match drafts.open(&req, &path.draft).await {
        Err(AppError::LoginRequired(_)) => {
            // Files sent with it are read past: they are chosen again after the login.
            let most = catalogue::most_inputs_of_any_form(db).await?;
            let post = if multipart {
                posted::read_multipart(&req, payload, most, None, &attachments).await?
            } else {
                posted::read_plain(payload, most).await?
            };
            return park(&req, &Layout::of(&req)?, db, &drafts.sessions, &path, &post.pairs).await;
        }
        other => other?,
    };
    let form = opened.form.clone();
    let step = form.step(&path.step).ok_or(AppError::NotFound)?;
    let post = if multipart {
        let receiving = Receiving {
            fields: FileField::of_step(step),
            csrf: &opened.citizen.session.csrf_token,
            uploader: Uploader {
                db,
                account_id: &opened.citizen.account_id,
                ip: client_ip(&req),
            },
        };
        posted::read_multipart(&req, payload, step.most_inputs(), Some(&receiving), &attachments).await?
    } else {
        posted::read_plain(payload, step.most_inputs()).await?
    };
    let posted = &post.pairs;
    let csrf = posted
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map_or("", |(_, v)| v.as_str());
    let action = Action::parse(posted);
    let stammdaten = stammdaten_answers(db, &opened.citizen.account_id, step.fields.iter()).await?;
    let mut answers = merge_step(&opened, step, posted, &locked(&step.fields, &stammdaten));
    if post.token_missing || opened.citizen.session.check_csrf(csrf).is_err() {
        // Sent from a page older than this session (the citizen logged in again in another tab),
        // or forged: nothing is saved without this session's token, but nothing typed is lost
        // either; the step comes back filled in, with the current token, to send once more.
        let state = derive(&form, &answers, today());
        let notice = Some(Notice::SendAgain);
        let to_check = query.zurueck.is_some();
        let page = step_page(
            layout,
            &opened,
            &state,
            step,
            &stammdaten,
            false,
            notice,
            to_check,
            &settings,
            &[],
        );
        return respond(StatusCode::FORBIDDEN, &page);
    }
    // Only a group of this step: a made-up name neither changes answers nor reaches the redirect.
    let known_group = |group: &str| step.fields.iter().any(|f| f.id == group);
    if let Action::Add(group) | Action::Remove(group, _) = &action
        && known_group(group)
    {
        change_items(&form, &mut answers, &action);
    }
    let files = evidence::take_uploads(&form, step, &mut answers, post.uploads, layout.lang);
    // The field a removed file was in.
    let removed_from = match &action {
        Action::RemoveFile(id) => evidence::remove_from_answers(step, &mut answers, id),
        _ => None,
    };
    let removed = match (&action, &removed_from) {
        (Action::RemoveFile(id), Some(_)) => Some(id.as_str()),
        _ => None,
    };
    // Adding or removing an item or a file is not trying to go on: no errors for it yet.
    let tried = matches!(action, Action::Next | Action::SaveForLater).then_some(step.id.as_str());
    let saved = save(db, &opened, &answers, tried, &settings, &files.added, removed).await;
    let deleted = match saved {
        Ok(Some(deleted)) => deleted,
        Ok(None) | Err(_) => {
            // Nothing recorded: the new files go again.
            files.forget(&attachments).await;
            saved?;
            return Err(AppError::NotFound);
        }
    };
    attachments.delete(&deleted).await;
    attachments.delete(&files.not_kept).await;
    let draft_id = opened.draft.id.clone();
    let here = step_href(&layout, &draft_id, &step.id);
    // The step again, filled in: with a file that was not kept, or with errors after "Weiter".
    let state = derive(&form, &answers, today());
    let going_on = matches!(action, Action::Next);
    let has_errors = state.step(&step.id).is_some_and(|s| s.has_errors());
    if !files.refused.is_empty() || (going_on && has_errors) {
        let opened = Opened {
            draft: DraftRow {
                answers: sqlx::types::Json(answers.clone()),
                ..opened.draft.clone()
            },
            ..opened
        };
        let page = step_page(
            layout,
            &opened,
            &state,
            step,
            &stammdaten,
            going_on,
            None,
            query.zurueck.is_some(),
            &settings,
            &files.refused,
        );
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    match action {
        Action::SaveForLater => return Ok(see_other(&format!("/antraege?gespeichert={draft_id}"))),
        Action::Upload(field) if step.fields.iter().any(|f| f.id == field) => {
            return Ok(see_other(&format!("{here}#{field}")));
        }
        Action::Upload(_) | Action::RemoveFile(_) => {
            let anchor = removed_from.map(|field| format!("#{field}")).unwrap_or_default();
            return Ok(see_other(&format!("{here}{anchor}")));
        }
        Action::Add(group) if known_group(&group) => {
            let count = answers.get(&group).and_then(Json::as_array).map_or(0, Vec::len);
            return Ok(see_other(&format!("{here}#{group}-eintrag-{count}")));
        }
        Action::Remove(group, _) if known_group(&group) => {
            return Ok(see_other(&format!("{here}#{group}-hinzufuegen")));
        }
        Action::Add(_) | Action::Remove(..) => return Ok(see_other(&here)),
        Action::Next => {}
    }
    if state.step(&step.id).is_none() {
        // The step no longer applies to these answers.
        return Ok(see_other(&draft_href(&layout, &draft_id, "")));
    }
    let next = if query.zurueck.is_some() {
        draft_href(&layout, &draft_id, "/pruefen")
    } else {
        match state.next_after(&step.id) {
            // In a form with a task list, a section ends back at the list.
            Some(next) if form.has_task_list() && next.section != step.section => draft_href(&layout, &draft_id, ""),
            Some(next) => step_href(&layout, &draft_id, &next.id),
            None if form.has_task_list() => draft_href(&layout, &draft_id, ""),
            None => draft_href(&layout, &draft_id, "/pruefen"),
        }
    };
    Ok(see_other(&next))
}

/// The draft's answers with this step's posted answers in place of the saved ones. Only the fields
/// that apply now are replaced: answers of fields and steps that no longer apply stay, in case the
/// citizen changes their mind back. Locked answers come from the Stammdaten, whatever was posted.
fn merge_step(opened: &Opened, step: &Step, posted: &[(String, String)], locked: &Answers) -> Answers {
    // A field's condition looks only at earlier steps, so what applies here does not depend on the
    // answers being posted.
    let applying: Vec<String> = derive(&opened.form, &opened.draft.answers, today())
        .step(&step.id)
        .map(|s| {
            s.fields
                .iter()
                .filter(|f| f.field.kind.is_posted())
                .map(|f| f.field.id.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut answers = opened.draft.answers.0.clone();
    let mut new = read_step(step, posted);
    new.extend(locked.clone());
    new.retain(|id, _| applying.contains(id));
    for id in &applying {
        answers.remove(id);
    }
    answers.extend(new);
    answers
}

/// Adds an empty item to a repeating group, or removes one.
fn change_items(form: &FormDefinition, answers: &mut Answers, action: &Action) {
    let (Action::Add(group) | Action::Remove(group, _)) = action else {
        return;
    };
    let max = form
        .steps
        .iter()
        .flat_map(|s| &s.fields)
        .find_map(|f| match &f.kind {
            Kind::Group { max_items, .. } if &f.id == group => Some(*max_items),
            _ => None,
        })
        .unwrap_or(0);
    let entry = answers.entry(group.clone()).or_insert_with(|| Json::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Json::Array(Vec::new());
    }
    if let Json::Array(items) = entry {
        match action {
            Action::Add(_) if items.len() < max => items.push(json!({})),
            Action::Remove(_, index) if *index < items.len() => {
                items.remove(*index);
            }
            _ => {}
        }
    }
}

/// At most this much of a step is parked: far more than any step's answers.
const MAX_PARKED_BYTES: usize = 64 * 1024;

/// The session had expired when the citizen pressed "Weiter": keep what they sent under a token
/// that this browser alone gets (in the URL to return to and in a cookie, both must match), and
/// take it back after they have logged in again. One parked step per draft, at most
/// [`MAX_PARKED_BYTES`], and a limit per IP; over it, the citizen logs in without the step kept.
async fn park(
    req: &HttpRequest,
    layout: &Layout,
    db: &Db,
    sessions: &Sessions,
    path: &StepPath,
    posted: &[(String, String)],
) -> Result<HttpResponse, AppError> {
    let login = |back: &str| {
        see_other(&format!(
            "/anmelden?weiter={}&abgelaufen=1",
            crate::query::encode_query_value(back)
        ))
    };
    let step = step_href(layout, &path.draft, &path.step);
    let Some(place) = PARKED_STEP_PER_IP.take(db, &client_ip(req)).await? else {
        return Ok(login(&step));
    };
    let mut size = 0;
    let kept: Vec<(String, String)> = posted
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| (input::clean_line(k), input::clean_lines(v)))
        .take_while(|(k, v)| {
            size += k.len() + v.len();
            size <= MAX_PARKED_BYTES
        })
        .collect();
    let token = token::random_token();
    if !queries::park_step(db, &token::hash(&token), &path.draft, &path.step, &kept, Utc::now()).await? {
        // No such draft: nothing parked, nothing counted.
        place.give_back(db).await?;
        return Ok(login(&step));
    }
    let mut response = login(&format!("{step}?geparkt={token}"));
    response
        .add_cookie(&parked_cookie(sessions, token))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

/// The cookie that ties a parked step to the browser that sent it.
fn parked_cookie(sessions: &Sessions, token: String) -> Cookie<'static> {
    let name = if sessions.is_secure() {
        "__Host-bp_geparkt"
    } else {
        "bp_geparkt"
    };
    Cookie::build(name, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(sessions.is_secure())
        .max_age(actix_web::cookie::time::Duration::hours(PARKED_HOURS))
        .finish()
}

/// Whether this browser holds the cookie for the parked step named by `token`.
fn holds_parked_cookie(req: &HttpRequest, sessions: &Sessions, token: &str) -> bool {
    req.cookie(parked_cookie(sessions, String::new()).name())
        .is_some_and(|c| token::equal_in_constant_time(c.value(), token))
}

/// Applies a parked step to the draft, if it belongs to this citizen and is recent.
async fn take_back_parked(db: &Db, opened: &Opened, token: &str, settings: &Settings) -> Result<(), AppError> {
    let not_before = Utc::now() - Duration::hours(PARKED_HOURS);
    let Some((step_id, posted)) = queries::take_parked_step(
        db,
        &token::hash(token),
        &opened.draft.id,
        &opened.citizen.account_id,
        &opened.tenant.id,
        not_before,
    )
    .await?
    else {
        return Ok(());
    };
    let Some(step) = opened.form.step(&step_id) else {
        return Ok(());
    };
    let stammdaten = stammdaten_answers(db, &opened.citizen.account_id, step.fields.iter()).await?;
    let answers = merge_step(opened, step, &posted.0, &locked(&step.fields, &stammdaten));
    save(db, opened, &answers, Some(&step.id), settings, &[], None).await?;
    Ok(())
}

/// Saves the draft's answers under the current form version and moves its expiry out; `tried` is
/// a step the citizen tried to go on from, whose errors show from now on. Records the new files
/// and removes the one removed with it, all or nothing. The storage keys of removed files (to
/// delete now), or `None` when the draft is gone.
async fn save(
    db: &Db,
    opened: &Opened,
    answers: &Answers,
    tried: Option<&str>,
    settings: &Settings,
    added: &[(String, Accepted)],
    removed: Option<&str>,
) -> Result<Option<Vec<String>>, AppError> {
    let mut visited = opened.draft.visited.0.clone();
    if let Some(step) = tried
        && !visited.iter().any(|v| v == step)
    {
        visited.push(step.to_owned());
    }
    let now = Utc::now();
    let draft_id = &opened.draft.id;
    let account_id = &opened.citizen.account_id;
    let mut tx = db.begin().await?;
    for (field, accepted) in added {
        let new = NewAttachment {
            draft_id,
            account_id,
            field_id: field,
            file: &accepted.file,
            storage_key: &accepted.storage_key,
            scanned_by: accepted.scanned_by,
        };
        if !attachments::add(&mut tx, &new, now).await? {
            return Ok(None);
        }
    }
    let mut deleted = Vec::new();
    if let Some(id) = removed {
        deleted.extend(attachments::remove(&mut tx, id, draft_id, account_id).await?);
    }
    let saved = queries::save_draft(
        &mut tx,
        draft_id,
        account_id,
        &opened.tenant.id,
        answers,
        &visited,
        version(&opened.form),
        now,
        draft_expiry(now, settings),
    )
    .await?;
    if !saved {
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(deleted))
}
