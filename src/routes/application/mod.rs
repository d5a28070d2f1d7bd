//! Applying for a service: one step per page, drafts saved on every "Weiter", a task list for long
//! forms, check-answers, and a submit that creates exactly one case.
//!
//! Every draft and case is looked up by id *and* account *and* tenant, so another citizen's id in
//! a URL is simply not found.

mod documents;
mod evidence;
mod list;
mod steps;
mod submit;
mod timeline;
mod view;

use std::sync::Arc;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::Layout;
use super::page::{respond, see_other};
use crate::auth::session::{Citizen, Sessions};
use crate::catalogue::CatalogueCache;
use crate::config::Settings;
use crate::db::Db;
use crate::db::accounts::{self, Stammdaten};
use crate::db::applications::{self as queries, CaseRow, DraftRow};
use crate::domain::form::{Answers, Field, FormDefinition, FormState, Prefill, Step};
use crate::domain::reference::Reference;
use crate::domain::{Money, TrustLevel};
use crate::error::AppError;
use crate::i18n::{Lang, end_of_local_day, local_date};
use crate::tenancy::{Site, Tenant};

pub use documents::documents;
pub use evidence::{case_download, download};
pub use list::{confirm_delete, delete, list};
pub use steps::{resume, save_step, show_step};
pub use submit::{check, done, payment_return, receipt, submit};
pub(crate) use submit::{receipt_of, service_name};

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
}

impl Opened {
    /// The fee the answers come to (the form's own rule, else the service's), if there is one to pay.
    fn fee(&self, state: &FormState<'_>) -> Option<Money> {
        state.fee().or(self.service_fee).filter(|f| f.cents() > 0)
    }

    /// Whether the fee is paid online before the application is sent.
    fn pays_online(&self, state: &FormState<'_>) -> bool {
        self.form.pay_online && self.fee(state).is_some()
    }
}

/// What the application pages need from the app: an extractor, so handlers name it once.
pub struct Drafts {
    db: web::Data<Db>,
    sessions: web::Data<Sessions>,
    cache: web::Data<CatalogueCache>,
}

impl FromRequest for Drafts {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let drafts = || {
            Some(Self {
                db: req.app_data::<web::Data<Db>>()?.clone(),
                sessions: req.app_data::<web::Data<Sessions>>()?.clone(),
                cache: req.app_data::<web::Data<CatalogueCache>>()?.clone(),
            })
        };
        ready(drafts().ok_or_else(|| AppError::Internal(anyhow::anyhow!("application data missing"))))
    }
}

impl Drafts {
    /// The citizen's draft in this tenant with its form and service, and the page's frame;
    /// `NotFound` for anyone else's. Draft pages take their `Layout` from here, not as an extractor:
    /// the session, the header's account and the draft come in one query.
    async fn open(&self, req: &HttpRequest, draft_id: &str) -> Result<(Layout, Opened), AppError> {
        let site = Site::resolve(req)?;
        let tenant = site.require_tenant()?.clone();
        // Session and draft in one query: this is the hot path of filling in a form.
        let (citizen, draft) = self
            .sessions
            .citizen_with(req, async |session_hash: &str| {
                queries::session_and_draft(&self.db, session_hash, draft_id, &tenant.id).await
            })
            .await?;
        let layout = Layout::new(req, site);
        let draft = draft.ok_or(AppError::NotFound)?;
        let service = self
            .cache
            .service_page(&self.db, &tenant.id, &draft.service_slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let form_hash = service.form_hash.as_deref().ok_or(AppError::NotFound)?;
        let form = self.cache.form(&self.db, form_hash).await?;
        // Answers given at a trust level are shown only at that level: a password login of the
        // same account goes to the service's start, which offers the login the service needs.
        let min_trust_level = TrustLevel::parse(&service.min_trust_level).unwrap_or(TrustLevel::Hoch);
        if citizen.trust_level < min_trust_level {
            let start = layout.href(&format!("/leistungen/{}/antrag", draft.service_slug));
            return Err(AppError::StepUpRequired(start));
        }
        let texts = match (layout.lang, &service.details.0.en) {
            (Lang::En, Some(en)) => en,
            _ => &service.details.0.de,
        };
        let opened = Opened {
            service_name: texts.name.clone(),
            service_fee: service.fee_cents.map(Money::from_cents),
            tenant,
            citizen,
            draft,
            form,
        };
        Ok((layout, opened))
    }

    /// The citizen's case in this tenant, by a reference number as typed; `NotFound` for anyone else's.
    async fn case(
        &self,
        req: &HttpRequest,
        layout: &Layout,
        reference: &str,
    ) -> Result<(Arc<Tenant>, CaseRow), AppError> {
        let tenant = layout.site.require_tenant()?.clone();
        let citizen = self.sessions.citizen(req).await?;
        let reference = Reference::parse(reference).ok_or(AppError::NotFound)?;
        let case = queries::case_by_reference(&self.db, reference.as_str(), &citizen.account_id, &tenant.id)
            .await?
            .ok_or(AppError::NotFound)?;
        // Like a draft, a case and its receipt need the service's trust level (the level it was
        // sent with, should the service be gone from the catalogue).
        let service = self
            .cache
            .service_page(&self.db, &tenant.id, &case.service_slug)
            .await?;
        let required = service
            .as_ref()
            .map_or(case.trust_level.as_str(), |s| s.min_trust_level.as_str());
        let required = TrustLevel::parse(required).unwrap_or(TrustLevel::Hoch);
        if citizen.trust_level < required {
            let start = layout.href(&format!("/leistungen/{}/antrag", case.service_slug));
            return Err(AppError::StepUpRequired(start));
        }
        Ok((tenant, case))
    }
}

/// The first step the citizen still has to answer (or correct): not yet saved, or with errors.
fn unfinished<'d>(opened: &Opened, state: &FormState<'d>) -> Option<&'d Step> {
    state
        .steps
        .iter()
        .find(|s| s.has_errors() || !opened.draft.visited.0.contains(&s.step.id))
        .map(|s| s.step)
}

/// Today in Germany: date limits like "not in the future" follow the authority's calendar.
fn today() -> chrono::NaiveDate {
    local_date(Utc::now())
}

/// A draft is kept to the end of the German day `draft_retention_days` after its last save, so the
/// date the citizen is told ("gespeichert bis zum …") includes that whole day.
fn draft_expiry(now: DateTime<Utc>, settings: &Settings) -> DateTime<Utc> {
    end_of_local_day(local_date(now + Duration::days(settings.draft_retention_days)))
}

fn draft_href(layout: &Layout, draft_id: &str, rest: &str) -> String {
    layout.href(&format!("/antrag/{draft_id}{rest}"))
}

fn step_href(layout: &Layout, draft_id: &str, step_id: &str) -> String {
    draft_href(layout, draft_id, &format!("/schritt/{step_id}"))
}

/// Asks before an application begins: "Jetzt starten" is a link, and a link must not create
/// anything. A draft the citizen has of this service simply continues.
pub async fn begin(
    layout: Layout,
    db: &Db,
    citizen: &Citizen,
    tenant: &Tenant,
    service_slug: &str,
    service_name: String,
) -> Result<HttpResponse, AppError> {
    if let Some(draft) = queries::draft_for_service(db, &citizen.account_id, &tenant.id, service_slug).await? {
        return Ok(see_other(&draft_href(&layout, &draft.id, "")));
    }
    let page = BeginPage {
        action: layout.href(&format!("/leistungen/{service_slug}/antrag")),
        csrf_token: citizen.session.csrf_token.clone(),
        service_name,
        layout,
    };
    respond(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "application/begin.html")]
struct BeginPage {
    layout: Layout,
    service_name: String,
    action: String,
    csrf_token: String,
}

/// Starts an application, or continues the citizen's draft for this service. Called by the
/// "Antrag beginnen" button once login and trust level are checked.
pub async fn start(
    layout: &Layout,
    db: &Db,
    citizen: &Citizen,
    tenant: &Tenant,
    service_slug: &str,
    form: &FormDefinition,
    settings: &Settings,
) -> Result<HttpResponse, AppError> {
    let existing = queries::draft_for_service(db, &citizen.account_id, &tenant.id, service_slug).await?;
    let id = match existing {
        Some(draft) => draft.id,
        None => {
            let fields = form.steps.iter().flat_map(|s| &s.fields);
            let answers = stammdaten_answers(db, &citizen.account_id, fields).await?;
            let now = Utc::now();
            let expires_at = draft_expiry(now, settings);
            let created = queries::create_draft(
                db,
                &citizen.account_id,
                &tenant.id,
                service_slug,
                version(form),
                &answers,
                now,
                expires_at,
            )
            .await?;
            match created {
                Some(id) => id,
                // Another request (a second tab, a double click) created it just now.
                None => {
                    queries::draft_for_service(db, &citizen.account_id, &tenant.id, service_slug)
                        .await?
                        .ok_or(AppError::NotFound)?
                        .id
                }
            }
        }
    };
    Ok(see_other(&draft_href(layout, &id, "")))
}

fn version(form: &FormDefinition) -> i32 {
    i32::try_from(form.version).unwrap_or(i32::MAX)
}

fn profile_value(prefill: Prefill, stammdaten: &Stammdaten) -> Option<Json> {
    let text = |v: &Option<String>| v.as_ref().filter(|s| !s.is_empty()).map(|s| Json::String(s.clone()));
    let profile = &stammdaten.profile;
    match prefill {
        Prefill::Email => text(&stammdaten.email),
        Prefill::GivenName => text(&profile.given_name),
        Prefill::FamilyName => text(&profile.family_name),
        Prefill::BirthDate => {
            let date = chrono::NaiveDate::parse_from_str(profile.birthdate.as_deref()?, "%Y-%m-%d").ok()?;
            Some(
                json!({"tag": date.format("%-d").to_string(), "monat": date.format("%-m").to_string(), "jahr": date.format("%Y").to_string()}),
            )
        }
        Prefill::Address => {
            let street = profile.street_address.as_deref()?;
            // "Hauptstraße 12a" → street and house number, where the last word starts with a digit.
            let (strasse, hausnummer) = match street.rsplit_once(' ') {
                Some((s, n)) if n.starts_with(|c: char| c.is_ascii_digit()) => (s, n),
                _ => (street, ""),
            };
            Some(json!({
                "strasse": strasse,
                "hausnummer": hausnummer,
                "plz": profile.postal_code.clone().unwrap_or_default(),
                "ort": profile.locality.clone().unwrap_or_default(),
            }))
        }
    }
}

/// What the Servicekonto holds for these prefilled fields: one query, none when no field is prefilled.
async fn stammdaten_answers<'f>(
    db: &Db,
    account_id: &str,
    fields: impl Iterator<Item = &'f Field> + Clone,
) -> Result<Answers, AppError> {
    let mut answers = Answers::new();
    if fields.clone().all(|f| f.prefill.is_none()) {
        return Ok(answers);
    }
    let stammdaten = accounts::stammdaten(db, account_id).await?.unwrap_or_default();
    for field in fields {
        if let Some(value) = field.prefill.and_then(|p| profile_value(p, &stammdaten)) {
            answers.insert(field.id.clone(), value);
        }
    }
    Ok(answers)
}

/// The Stammdaten answers the citizen may not change here. A field whose value the Stammdaten do
/// not hold stays open, so nobody is stuck at an empty locked field.
fn locked<'f>(fields: impl IntoIterator<Item = &'f Field>, stammdaten: &Answers) -> Answers {
    fields
        .into_iter()
        .filter(|f| !f.prefill_editable)
        .filter_map(|f| stammdaten.get(&f.id).map(|v| (f.id.clone(), v.clone())))
        .collect()
}
