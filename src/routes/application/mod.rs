//! Applying for a service: one step per page, drafts saved on every "Weiter", a task list for long
//! forms, check-answers, and a submit that creates exactly one case.
//!
//! Every draft and case is looked up by id *and* account *and* tenant, so another citizen's id in
//! a URL is simply not found.

mod view;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use self::view::{AnswerSection, FieldView};
use super::Layout;
use super::forms::{respond, see_other};
use crate::auth::session::{Citizen, Sessions};
use crate::auth::token;
use crate::catalogue::{CatalogueCache, Forms};
use crate::config::Settings;
use crate::db::Db;
use crate::db::accounts::{self, ProfileRow};
use crate::db::forms::{self as queries, DraftRow, Submitted};
use crate::domain::form::{Answers, FormDefinition, FormState, Prefill, Step, derive, input, read_step};
use crate::domain::reference::Reference;
use crate::domain::{Money, TrustLevel};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{Mail, Mailer};
use crate::pdf::{self, Receipt, ReceiptFonts};
use crate::tenancy::Tenant;

pub use list::list;

mod list;

/// Where a new case is delivered until destinations are configured per service.
const DEFAULT_DESTINATION: &str = "default";

#[derive(Deserialize)]
pub struct DraftPath {
    draft: String,
}

#[derive(Deserialize)]
pub struct StepPath {
    draft: String,
    step: String,
}

#[derive(Deserialize)]
pub struct StepQuery {
    /// Set by "Ändern" links: after this step, back to check-answers.
    zurueck: Option<String>,
    /// A step posted while the session had expired, to take back now.
    geparkt: Option<String>,
    /// The form changed since the draft was started: say so and show what needs answering again.
    geaendert: Option<String>,
}

/// A draft opened by its owner, with what every page about it needs.
struct Opened {
    tenant: Arc<Tenant>,
    citizen: Citizen,
    draft: DraftRow,
    form: Arc<FormDefinition>,
    service_name: String,
    service_fee: Option<Money>,
    min_trust_level: TrustLevel,
}

struct Services<'a> {
    db: &'a Db,
    sessions: &'a Sessions,
    forms: &'a Forms,
    cache: &'a CatalogueCache,
}

impl Services<'_> {
    async fn open(&self, req: &HttpRequest, layout: &Layout, draft_id: &str) -> Result<Opened, AppError> {
        let tenant = layout.site.require_tenant()?.clone();
        let citizen = self.sessions.citizen(req).await?;
        let draft = queries::draft(self.db, draft_id, &citizen.account_id, &tenant.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let form = self
            .forms
            .get(&tenant.slug, &draft.service_slug)
            .ok_or(AppError::NotFound)?
            .clone();
        let service = self
            .cache
            .service_page(self.db, &tenant.id, &draft.service_slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let texts = match (layout.lang, &service.details.0.en) {
            (Lang::En, Some(en)) => en,
            _ => &service.details.0.de,
        };
        Ok(Opened {
            service_name: texts.name.clone(),
            service_fee: service.fee_cents.map(Money::from_cents),
            min_trust_level: TrustLevel::parse(&service.min_trust_level).unwrap_or(TrustLevel::Hoch),
            tenant,
            citizen,
            draft,
            form,
        })
    }
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

fn draft_href(layout: &Layout, draft_id: &str, rest: &str) -> String {
    layout.href(&format!("/antrag/{draft_id}{rest}"))
}

fn step_href(layout: &Layout, draft_id: &str, step_id: &str) -> String {
    draft_href(layout, draft_id, &format!("/schritt/{step_id}"))
}

/// Starts an application, or continues the citizen's draft for this service. Called by the
/// service page's "Jetzt starten" once login and trust level are checked.
pub async fn start(
    layout: &Layout,
    db: &Db,
    citizen: &Citizen,
    tenant: &Tenant,
    service_slug: &str,
    form: &FormDefinition,
    settings: &Settings,
) -> Result<HttpResponse, AppError> {
    let id = match queries::draft_for_service(db, &citizen.account_id, &tenant.id, service_slug).await? {
        Some(draft) => draft.id,
        None => {
            let account = accounts::account_by_id(db, &citizen.account_id).await?;
            let profile = accounts::profile(db, &citizen.account_id).await?;
            let answers = prefilled(form, profile.as_ref(), account.and_then(|a| a.email).as_deref());
            let now = Utc::now();
            let expires_at = now + Duration::days(settings.draft_retention_days);
            queries::create_draft(
                db,
                &citizen.account_id,
                &tenant.id,
                service_slug,
                version(form),
                &answers,
                now,
                expires_at,
            )
            .await?
        }
    };
    Ok(see_other(&draft_href(layout, &id, "")))
}

fn version(form: &FormDefinition) -> i32 {
    i32::try_from(form.version).unwrap_or(i32::MAX)
}

/// Answers taken from the citizen's Stammdaten for fields that ask for them.
fn prefilled(form: &FormDefinition, profile: Option<&ProfileRow>, email: Option<&str>) -> Answers {
    let mut answers = Answers::new();
    for field in form.steps.iter().flat_map(|s| &s.fields) {
        if let Some(value) = field.prefill.and_then(|p| profile_value(p, profile, email)) {
            answers.insert(field.id.clone(), value);
        }
    }
    answers
}

fn profile_value(prefill: Prefill, profile: Option<&ProfileRow>, email: Option<&str>) -> Option<Json> {
    let text = |v: &Option<String>| v.as_ref().filter(|s| !s.is_empty()).map(|s| Json::String(s.clone()));
    match prefill {
        Prefill::Email => email.map(|e| Json::String(e.to_owned())),
        Prefill::GivenName => profile.and_then(|p| text(&p.given_name)),
        Prefill::FamilyName => profile.and_then(|p| text(&p.family_name)),
        Prefill::BirthDate => {
            let date = chrono::NaiveDate::parse_from_str(profile?.birthdate.as_deref()?, "%Y-%m-%d").ok()?;
            Some(
                json!({"tag": date.format("%-d").to_string(), "monat": date.format("%-m").to_string(), "jahr": date.format("%Y").to_string()}),
            )
        }
        Prefill::Address => {
            let p = profile?;
            let street = p.street_address.as_deref()?;
            // "Hauptstraße 12a" → street and house number, where the last word starts with a digit.
            let (strasse, hausnummer) = match street.rsplit_once(' ') {
                Some((s, n)) if n.starts_with(|c: char| c.is_ascii_digit()) => (s, n),
                _ => (street, ""),
            };
            Some(json!({
                "strasse": strasse,
                "hausnummer": hausnummer,
                "plz": p.postal_code.clone().unwrap_or_default(),
                "ort": p.locality.clone().unwrap_or_default(),
            }))
        }
    }
}

/// What the Stammdaten hold for the step's prefilled fields; no query for a step without any.
async fn stammdaten_answers(db: &Db, account_id: &str, step: &Step) -> Result<Answers, AppError> {
    let mut answers = Answers::new();
    if step.fields.iter().all(|f| f.prefill.is_none()) {
        return Ok(answers);
    }
    let account = accounts::account_by_id(db, account_id).await?;
    let email = account.as_ref().and_then(|a| a.email.as_deref());
    let profile = accounts::profile(db, account_id).await?;
    for field in &step.fields {
        if let Some(value) = field.prefill.and_then(|p| profile_value(p, profile.as_ref(), email)) {
            answers.insert(field.id.clone(), value);
        }
    }
    Ok(answers)
}

/// The Stammdaten answers the citizen may not change here. A field whose value the Stammdaten do
/// not hold stays open, so nobody is stuck at an empty locked field.
fn locked(step: &Step, stammdaten: &Answers) -> Answers {
    step.fields
        .iter()
        .filter(|f| !f.prefill_editable)
        .filter_map(|f| stammdaten.get(&f.id).map(|v| (f.id.clone(), v.clone())))
        .collect()
}

/// `/antrag/{draft}`: the task list of a long form, or straight to where the citizen left off.
pub async fn resume(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<DraftPath>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    forms: web::Data<Forms>,
    cache: web::Data<CatalogueCache>,
) -> Result<HttpResponse, AppError> {
    let services = Services {
        db: &db,
        sessions: &sessions,
        forms: &forms,
        cache: &cache,
    };
    let opened = services.open(&req, &layout, &path.draft).await?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    let changed = opened.draft.form_version != version(&opened.form);
    if !opened.form.has_task_list() {
        let visited = &opened.draft.visited.0;
        let target = state
            .steps
            .iter()
            .find(|s| !visited.contains(&s.step.id) || s.has_errors())
            .map(|s| s.step);
        let href = match target {
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
        complete: state.is_complete() && state.steps.iter().all(|s| visited.contains(&s.step.id)),
        check_href: draft_href(&layout, &opened.draft.id, "/pruefen"),
        changed,
        saved_until: view::date_text(opened.draft.expires_at.date_naive(), layout.lang),
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
    changed: bool,
    session_note: String,
    session_minutes: i64,
    session_seconds_left: i64,
}

/// One step of the form, with the saved answers; errors once the citizen has tried to go on.
#[allow(clippy::too_many_arguments)]
pub async fn show_step(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<StepPath>,
    query: web::Query<StepQuery>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    forms: web::Data<Forms>,
    cache: web::Data<CatalogueCache>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let services = Services {
        db: &db,
        sessions: &sessions,
        forms: &forms,
        cache: &cache,
    };
    let mut opened = services.open(&req, &layout, &path.draft).await?;
    if let Some(token) = &query.geparkt {
        take_back_parked(&db, &mut opened, token, &settings).await?;
        return Ok(see_other(&step_href(&layout, &opened.draft.id, &path.step)));
    }
    let step = opened.form.step(&path.step).ok_or(AppError::NotFound)?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    if state.step(&step.id).is_none() {
        // The step no longer applies to these answers.
        return Ok(see_other(&draft_href(&layout, &opened.draft.id, "")));
    }
    let changed = query.geaendert.is_some();
    let show_errors = changed || opened.draft.visited.0.contains(&step.id);
    let stammdaten = stammdaten_answers(&db, &opened.citizen.account_id, step).await?;
    let page = step_page(
        layout,
        &opened,
        &state,
        step,
        &stammdaten,
        show_errors,
        changed,
        query.zurueck.is_some(),
        &settings,
    );
    respond(StatusCode::OK, &page)
}

#[allow(clippy::too_many_arguments)]
fn step_page(
    layout: Layout,
    opened: &Opened,
    state: &FormState<'_>,
    step: &Step,
    stammdaten: &Answers,
    show_errors: bool,
    changed: bool,
    to_check: bool,
    settings: &Settings,
) -> StepPage {
    let lang = layout.lang;
    let fields = state
        .step(&step.id)
        .map(|s| view::fields(s, state, show_errors, lang, stammdaten))
        .unwrap_or_default();
    let errors = fields
        .iter()
        .flat_map(|f| std::iter::once(f).chain(f.items.iter().flat_map(|i| &i.fields)))
        .filter_map(|f| f.error.clone().map(|e| (f.anchor.clone(), e)))
        .collect();
    let draft_id = &opened.draft.id;
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
    let session_ends = opened.citizen.session.last_seen_at + Duration::minutes(settings.session_idle_minutes);
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
        changed,
        session_minutes: settings.session_idle_minutes,
        session_seconds_left: (session_ends - Utc::now()).num_seconds().max(0),
        session_note: lang.tn(
            "form-session-note",
            [
                ("minutes", settings.session_idle_minutes.into()),
                ("time", clock_time(session_ends).into()),
                (
                    "date",
                    view::date_text(opened.draft.expires_at.date_naive(), lang).into(),
                ),
            ],
        ),
        layout,
    }
}

/// `14:05 UTC`: when the session ends if nothing happens.
fn clock_time(at: DateTime<Utc>) -> String {
    at.format("%H:%M UTC").to_string()
}

/// What the citizen asked for with the button they pressed.
enum Action {
    Next,
    SaveForLater,
    Add(String),
    Remove(String, usize),
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
    layout: Layout,
    path: web::Path<StepPath>,
    query: web::Query<StepQuery>,
    posted: web::Form<Vec<(String, String)>>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    forms: web::Data<Forms>,
    cache: web::Data<CatalogueCache>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let services = Services {
        db: &db,
        sessions: &sessions,
        forms: &forms,
        cache: &cache,
    };
    let opened = match services.open(&req, &layout, &path.draft).await {
        Err(AppError::LoginRequired(_)) => return park(&layout, &db, &path, &posted).await,
        other => other?,
    };
    let csrf = posted
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map_or("", |(_, v)| v.as_str());
    opened.citizen.session.check_csrf(csrf)?;
    let form = opened.form.clone();
    let step = form.step(&path.step).ok_or(AppError::NotFound)?;
    let action = Action::parse(&posted);
    let stammdaten = stammdaten_answers(&db, &opened.citizen.account_id, step).await?;
    let mut answers = merge_step(&opened, step, &posted, &locked(step, &stammdaten));
    if let Action::Add(group) | Action::Remove(group, _) = &action
        && step.fields.iter().any(|f| &f.id == group)
    {
        change_items(&form, &mut answers, &action);
    }
    // Adding or removing an item is not trying to go on: no errors for the empty new item yet.
    let mut visited = opened.draft.visited.0.clone();
    if matches!(action, Action::Next | Action::SaveForLater) && !visited.contains(&step.id) {
        visited.push(step.id.clone());
    }
    let now = Utc::now();
    let expires_at = now + Duration::days(settings.draft_retention_days);
    let draft_id = opened.draft.id.clone();
    if !queries::save_draft(
        &db,
        &draft_id,
        &opened.citizen.account_id,
        &answers,
        &visited,
        version(&form),
        now,
        expires_at,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let here = step_href(&layout, &draft_id, &step.id);
    match action {
        Action::SaveForLater => return Ok(see_other(&format!("/antraege?gespeichert={draft_id}"))),
        Action::Add(group) => {
            let count = answers.get(&group).and_then(Json::as_array).map_or(0, Vec::len);
            return Ok(see_other(&format!("{here}#{group}-eintrag-{count}")));
        }
        Action::Remove(group, _) => return Ok(see_other(&format!("{here}#{group}-hinzufuegen"))),
        Action::Next => {}
    }
    let state = derive(&form, &answers, today());
    let Some(step_state) = state.step(&step.id) else {
        return Ok(see_other(&draft_href(&layout, &draft_id, "")));
    };
    if step_state.has_errors() {
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
            true,
            false,
            query.zurueck.is_some(),
            &settings,
        );
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
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

/// The draft's answers with this step's posted answers in place of the saved ones. Answers of
/// other steps stay, even where they no longer apply: the citizen may change their mind back.
/// Locked answers come from the Stammdaten, whatever was posted.
fn merge_step(opened: &Opened, step: &Step, posted: &[(String, String)], locked: &Answers) -> Answers {
    let mut answers = opened.draft.answers.0.clone();
    let mut new = read_step(step, posted);
    new.extend(locked.clone());
    for field in step.fields.iter().filter(|f| f.kind.is_question()) {
        answers.remove(&field.id);
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
            crate::domain::form::Kind::Group { max_items, .. } if &f.id == group => Some(*max_items),
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

/// The session had expired when the citizen pressed "Weiter": keep what they sent under a token
/// only their browser gets, and take it back after they have logged in again.
async fn park(
    layout: &Layout,
    db: &Db,
    path: &StepPath,
    posted: &[(String, String)],
) -> Result<HttpResponse, AppError> {
    let token = token::random_token();
    let kept: Vec<(String, String)> = posted
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .take(500)
        .map(|(k, v)| (input::clean_line(k), input::clean_lines(v)))
        .collect();
    queries::park_step(db, &token::hash(&token), &path.draft, &path.step, &kept, Utc::now()).await?;
    let back = format!("{}?geparkt={token}", step_href(layout, &path.draft, &path.step));
    Ok(see_other(&format!(
        "/anmelden?weiter={}&abgelaufen=1",
        super::encode_query_value(&back)
    )))
}

/// Applies a parked step to the draft, if it belongs to this citizen and is recent.
async fn take_back_parked(db: &Db, opened: &mut Opened, token: &str, settings: &Settings) -> Result<(), AppError> {
    let not_before = Utc::now() - Duration::hours(PARKED_HOURS);
    let Some((step_id, posted)) = queries::take_parked_step(
        db,
        &token::hash(token),
        &opened.draft.id,
        &opened.citizen.account_id,
        not_before,
    )
    .await?
    else {
        return Ok(());
    };
    let Some(step) = opened.form.step(&step_id) else {
        return Ok(());
    };
    let stammdaten = stammdaten_answers(db, &opened.citizen.account_id, step).await?;
    let answers = merge_step(opened, step, &posted.0, &locked(step, &stammdaten));
    let mut visited = opened.draft.visited.0.clone();
    if !visited.contains(&step.id) {
        visited.push(step.id.clone());
    }
    let now = Utc::now();
    queries::save_draft(
        db,
        &opened.draft.id,
        &opened.citizen.account_id,
        &answers,
        &visited,
        version(&opened.form),
        now,
        now + Duration::days(settings.draft_retention_days),
    )
    .await?;
    Ok(())
}

/// How long a step posted after the session expired is kept for its owner to log in again.
pub const PARKED_HOURS: i64 = 2;

#[derive(Template)]
#[template(path = "application/check.html")]
pub struct CheckPage {
    layout: Layout,
    service_name: String,
    sections: Vec<AnswerSection>,
    draft_id: String,
    fee: Option<String>,
    fee_note: Option<String>,
    declaration: Option<String>,
    declaration_error: Option<&'static str>,
    action: String,
    back_href: String,
    csrf_token: String,
}

impl CheckPage {
    fn change_href(&self, step_id: &str, anchor: &str) -> String {
        format!(
            "{}?zurueck=pruefen#{anchor}",
            step_href(&self.layout, &self.draft_id, step_id)
        )
    }
}

fn check_page(layout: Layout, opened: &Opened, state: &FormState<'_>, declaration_error: bool) -> CheckPage {
    let lang = layout.lang;
    let fee = state.fee().or(opened.service_fee).filter(|f| f.cents() > 0);
    let last_step = state.steps.last().map(|s| s.step.id.as_str()).unwrap_or_default();
    CheckPage {
        service_name: opened.service_name.clone(),
        sections: view::answer_sections(state, lang),
        draft_id: opened.draft.id.clone(),
        fee: fee.map(|f| view::money_text(f, lang)),
        fee_note: fee.map(|_| {
            opened
                .form
                .fee_note
                .as_ref()
                .map_or_else(|| lang.t("form-fee-later").to_owned(), |t| t.get(lang).to_owned())
        }),
        declaration: opened.form.declaration.as_ref().map(|t| t.get(lang).to_owned()),
        declaration_error: declaration_error.then(|| lang.t("form-error-declaration")),
        action: draft_href(&layout, &opened.draft.id, "/absenden"),
        back_href: if opened.form.has_task_list() {
            draft_href(&layout, &opened.draft.id, "")
        } else {
            step_href(&layout, &opened.draft.id, last_step)
        },
        csrf_token: opened.citizen.session.csrf_token.clone(),
        layout,
    }
}

/// Check-answers: everything that will be sent, with "Ändern" links. Incomplete forms go back to
/// the first step that needs an answer.
pub async fn check(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<DraftPath>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    forms: web::Data<Forms>,
    cache: web::Data<CatalogueCache>,
) -> Result<HttpResponse, AppError> {
    let services = Services {
        db: &db,
        sessions: &sessions,
        forms: &forms,
        cache: &cache,
    };
    let opened = services.open(&req, &layout, &path.draft).await?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    if let Some(step) = unfinished(&opened, &state) {
        return Ok(see_other(&step_href(&layout, &opened.draft.id, &step.id)));
    }
    respond(StatusCode::OK, &check_page(layout, &opened, &state, false))
}

/// The first step the citizen still has to answer (or correct).
fn unfinished<'d>(opened: &Opened, state: &FormState<'d>) -> Option<&'d Step> {
    state
        .steps
        .iter()
        .find(|s| s.has_errors() || !opened.draft.visited.0.contains(&s.step.id))
        .map(|s| s.step)
}

#[derive(Deserialize)]
pub struct SubmitForm {
    csrf_token: String,
    erklaerung: Option<String>,
}

/// Sends the application: checks login, trust level and the whole form again, then writes case and
/// outbox row in one transaction. Submitting the same draft twice leads to the same case.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<DraftPath>,
    form: web::Form<SubmitForm>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    forms: web::Data<Forms>,
    cache: web::Data<CatalogueCache>,
    mailer: web::Data<Mailer>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let services = Services {
        db: &db,
        sessions: &sessions,
        forms: &forms,
        cache: &cache,
    };
    let opened = match services.open(&req, &layout, &path.draft).await {
        Err(AppError::NotFound) => return already_submitted(&req, &layout, &db, &sessions, &path.draft).await,
        other => other?,
    };
    opened.citizen.session.check_csrf(&form.csrf_token)?;
    if opened.citizen.trust_level < opened.min_trust_level {
        return Ok(see_other(
            &layout.href(&format!("/leistungen/{}/antrag", opened.draft.service_slug)),
        ));
    }
    let state = derive(&opened.form, &opened.draft.answers, today());
    if let Some(step) = unfinished(&opened, &state) {
        return Ok(see_other(&step_href(&layout, &opened.draft.id, &step.id)));
    }
    if opened.form.declaration.is_some() && form.erklaerung.as_deref() != Some("ja") {
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            &check_page(layout, &opened, &state, true),
        );
    }
    let summary = view::summary(&view::answer_sections(&state, layout.lang));
    let fee = state.fee().or(opened.service_fee);
    for _ in 0..5 {
        let reference = Reference::generate();
        let case = queries::NewCase {
            account_id: &opened.citizen.account_id,
            tenant_id: &opened.tenant.id,
            draft_id: &opened.draft.id,
            reference: reference.as_str(),
            service_slug: &opened.draft.service_slug,
            form_version: version(&opened.form),
            answers: &state.answers,
            summary: &summary,
            trust_level: opened.citizen.trust_level.as_str(),
            fee_cents: fee.map(Money::cents),
            destination: DEFAULT_DESTINATION,
            now: Utc::now(),
        };
        match queries::submit(&db, &case).await? {
            Submitted::Created => {
                confirm_by_mail(&db, &mailer, &settings, &opened.citizen.account_id, layout.lang).await?;
                return Ok(see_other(&layout.href(&format!("/vorgang/{}", reference.as_str()))));
            }
            Submitted::Already => return already_submitted(&req, &layout, &db, &sessions, &path.draft).await,
            Submitted::ReferenceTaken => continue,
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free reference number after five tries"
    )))
}

/// A draft that is gone may have become a case: then its confirmation is the answer.
async fn already_submitted(
    req: &HttpRequest,
    layout: &Layout,
    db: &Db,
    sessions: &Sessions,
    draft_id: &str,
) -> Result<HttpResponse, AppError> {
    let tenant = layout.site.require_tenant()?;
    let citizen = sessions.citizen(req).await?;
    let case = queries::case_of_draft(db, draft_id, &citizen.account_id, &tenant.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&layout.href(&format!("/vorgang/{}", case.reference))))
}

/// "Ihr Antrag ist eingegangen", with a link to the account: no answers, no service name.
async fn confirm_by_mail(
    db: &Db,
    mailer: &Mailer,
    settings: &Settings,
    account_id: &str,
    lang: Lang,
) -> Result<(), AppError> {
    let Some(email) = accounts::account_by_id(db, account_id).await?.and_then(|a| a.email) else {
        return Ok(());
    };
    let link = format!("{}/antraege", settings.base_url.trim_end_matches('/'));
    let mail = Mail {
        lang,
        subject_key: "mail-submitted-subject",
        text_key: "mail-submitted-text",
        link: Some(("mail-submitted-link", &link)),
    };
    mailer.deliver(&email, &mail).await;
    Ok(())
}

#[derive(Deserialize)]
pub struct CasePath {
    reference: String,
}

#[derive(Template)]
#[template(path = "application/done.html")]
pub struct DonePage {
    layout: Layout,
    service_name: String,
    reference: String,
    submitted_at: String,
    next_steps: Option<String>,
    receipt_href: String,
}

/// A service's name in the citizen's language; its slug if the service has been retired since.
async fn service_name(
    cache: &CatalogueCache,
    db: &Db,
    tenant_id: &str,
    slug: &str,
    lang: Lang,
) -> Result<String, AppError> {
    Ok(cache.service_page(db, tenant_id, slug).await?.map_or_else(
        || slug.to_owned(),
        |s| match (lang, &s.details.0.en) {
            (Lang::En, Some(en)) => en.name.clone(),
            _ => s.details.0.de.name.clone(),
        },
    ))
}

fn submitted_text(at: DateTime<Utc>, lang: Lang) -> String {
    match lang {
        Lang::De => at.format("%d.%m.%Y, %H:%M UTC").to_string(),
        Lang::En => at.format("%-d %B %Y, %H:%M UTC").to_string(),
    }
}

/// The confirmation: the reference number, and what happens next.
pub async fn done(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<CasePath>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    forms: web::Data<Forms>,
    cache: web::Data<CatalogueCache>,
) -> Result<HttpResponse, AppError> {
    let tenant = layout.site.require_tenant()?.clone();
    let citizen = sessions.citizen(&req).await?;
    let reference = Reference::parse(&path.reference).ok_or(AppError::NotFound)?;
    let case = queries::case_by_reference(&db, reference.as_str(), &citizen.account_id, &tenant.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = DonePage {
        service_name: service_name(&cache, &db, &tenant.id, &case.service_slug, layout.lang).await?,
        reference: case.reference.clone(),
        submitted_at: submitted_text(case.submitted_at, layout.lang),
        next_steps: forms
            .get(&tenant.slug, &case.service_slug)
            .and_then(|f| f.next_steps.as_ref())
            .map(|t| t.get(layout.lang).to_owned()),
        receipt_href: layout.href(&format!("/vorgang/{}/quittung.pdf", case.reference)),
        layout,
    };
    respond(StatusCode::OK, &page)
}

/// The receipt as a tagged PDF to download: the answers as the citizen confirmed them.
#[allow(clippy::too_many_arguments)]
pub async fn receipt(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<CasePath>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    cache: web::Data<CatalogueCache>,
    fonts: web::Data<ReceiptFonts>,
) -> Result<HttpResponse, AppError> {
    let tenant = layout.site.require_tenant()?.clone();
    let citizen = sessions.citizen(&req).await?;
    let reference = Reference::parse(&path.reference).ok_or(AppError::NotFound)?;
    let case = queries::case_by_reference(&db, reference.as_str(), &citizen.account_id, &tenant.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = layout.lang;
    let service_name = service_name(&cache, &db, &tenant.id, &case.service_slug, lang).await?;
    let mut facts = vec![
        (lang.t("form-done-reference-short"), case.reference.clone()),
        (lang.t("receipt-authority"), tenant.name.clone()),
        (lang.t("form-done-service"), service_name),
        (lang.t("form-done-sent"), submitted_text(case.submitted_at, lang)),
    ];
    if let Some(cents) = case.fee_cents.filter(|c| *c > 0) {
        facts.push((
            lang.t("form-fee-title"),
            view::money_text(Money::from_cents(cents), lang),
        ));
    }
    let title = lang.t("receipt-title");
    let note = lang.t("receipt-note");
    let answers = case.summary.0;
    // Laying out and compressing takes milliseconds: off the request threads.
    let pdf = web::block(move || {
        let receipt = Receipt {
            lang: lang.code(),
            title,
            facts,
            answers: &answers,
            note,
        };
        pdf::render(&receipt, &fonts)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("receipt PDF: {e}")))?
    .map_err(|e| AppError::Internal(anyhow::anyhow!("receipt PDF: {e:?}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-{}.pdf\"",
                lang.t("receipt-file"),
                case.reference
            ),
        ))
        .body(pdf))
}

#[derive(Template)]
#[template(path = "application/delete.html")]
pub struct DeletePage {
    layout: Layout,
    service_name: String,
    action: String,
    csrf_token: String,
}

/// Asks before deleting a draft.
pub async fn confirm_delete(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<DraftPath>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    forms: web::Data<Forms>,
    cache: web::Data<CatalogueCache>,
) -> Result<HttpResponse, AppError> {
    let services = Services {
        db: &db,
        sessions: &sessions,
        forms: &forms,
        cache: &cache,
    };
    let opened = services.open(&req, &layout, &path.draft).await?;
    let page = DeletePage {
        service_name: opened.service_name.clone(),
        action: draft_href(&layout, &opened.draft.id, "/loeschen"),
        csrf_token: opened.citizen.session.csrf_token.clone(),
        layout,
    };
    respond(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: String,
}

pub async fn delete(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<DraftPath>,
    form: web::Form<CsrfForm>,
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, AppError> {
    layout.site.require_tenant()?;
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    if !queries::delete_draft(&db, &path.draft, &citizen.account_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/antraege?geloescht=1"))
}
