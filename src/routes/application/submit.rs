//! Check-answers, sending exactly once, the confirmation and the receipt.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::timeline;
use super::view::{self, AnswerSection};
use super::{DraftPath, Drafts, Opened, draft_href, locked, stammdaten_answers, step_href, today, unfinished, version};
use crate::auth::session::Sessions;
use crate::catalogue::CatalogueCache;
use crate::config::Settings;
use crate::db::Db;
use crate::db::applications::{self as queries, CaseRow};
use crate::db::catalogue::ServicePageRow;
use crate::db::{attachments, payments};
use crate::domain::evidence::{UploadedFile, size_text};
use crate::domain::form::{Answers, FormState, Kind, derive};
use crate::domain::{CaseStatus, Money};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::payment::{self, Providers};
use crate::pdf::{self, CaseFacts, ReceiptFonts};
use crate::routes::Layout;
use crate::routes::page::{respond, see_other};
use crate::worker::Outbox;
use crate::workflow::pay::{self, Confirmed, Started, Wording};
use crate::workflow::submit::{self, Application, Sent};

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
    /// When the draft was last saved: sending checks it is still what this page showed.
    saved_at: i64,
    changed_meanwhile: bool,
    /// The fee is paid online before sending.
    pay_online: bool,
    /// Why the payment did not happen, as title and text keys.
    payment_problem: Option<(&'static str, &'static str)>,
}

/// Why check-answers is shown again instead of sending.
#[derive(Clone, Copy, PartialEq)]
enum Refused {
    /// The declaration is not ticked.
    Declaration,
    /// The answers changed (in another tab) since this page was shown.
    ChangedMeanwhile,
    /// The payment provider could not be asked; nothing was paid.
    PaymentUnavailable,
    /// The payment was cancelled or failed.
    NotPaid,
}

impl CheckPage {
    fn change_href(&self, step_id: &str, anchor: &str) -> String {
        format!(
            "{}?zurueck=pruefen#{anchor}",
            step_href(&self.layout, &self.draft_id, step_id)
        )
    }
}

fn check_page(
    layout: Layout,
    opened: &Opened,
    state: &FormState<'_>,
    locked: &Answers,
    refused: Option<Refused>,
) -> CheckPage {
    let lang = layout.lang;
    let fee = opened.fee(state);
    let pay_online = opened.pays_online(state);
    let last_step = state.steps.last().map(|s| s.step.id.as_str()).unwrap_or_default();
    CheckPage {
        service_name: opened.service_name.clone(),
        sections: view::answer_sections(state, lang, locked),
        draft_id: opened.draft.id.clone(),
        fee: fee.map(|f| lang.money(f)),
        fee_note: fee.map(|_| match &opened.form.fee_note {
            Some(note) => note.get(lang).to_owned(),
            None if pay_online => lang.t("form-pay-note").to_owned(),
            None => lang.t("form-fee-later").to_owned(),
        }),
        declaration: opened.form.declaration.as_ref().map(|t| t.get(lang).to_owned()),
        declaration_error: (refused == Some(Refused::Declaration)).then(|| lang.t("form-error-declaration")),
        changed_meanwhile: refused == Some(Refused::ChangedMeanwhile),
        pay_online,
        payment_problem: match refused {
            Some(Refused::PaymentUnavailable) => Some(("form-pay-unavailable-title", "form-pay-unavailable-text")),
            Some(Refused::NotPaid) => Some(("form-pay-not-paid-title", "form-pay-not-paid-text")),
            _ => None,
        },
        saved_at: opened.draft.updated_at.timestamp_micros(),
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
pub async fn check(req: HttpRequest, path: web::Path<DraftPath>, drafts: Drafts) -> Result<HttpResponse, AppError> {
    let (layout, opened) = drafts.open(&req, &path.draft).await?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    if let Some(step) = unfinished(&opened, &state) {
        return Ok(see_other(&step_href(&layout, &opened.draft.id, &step.id)));
    }
    let locked = locked_answers(&drafts.db, &opened).await?;
    respond(StatusCode::OK, &check_page(layout, &opened, &state, &locked, None))
}

/// The Stammdaten answers of the whole form that the citizen cannot change here: no "Ändern".
async fn locked_answers(db: &Db, opened: &Opened) -> Result<Answers, AppError> {
    let fields = opened.form.steps.iter().flat_map(|s| &s.fields);
    let stammdaten = stammdaten_answers(db, &opened.citizen.account_id, fields.clone()).await?;
    Ok(locked(fields, &stammdaten))
}

#[derive(Deserialize)]
pub struct SubmitForm {
    csrf_token: String,
    erklaerung: Option<String>,
    /// `saved_at` of the check-answers page the citizen sent from.
    stand: Option<String>,
}

/// Sends the application: checks login, trust level and the whole form again, then writes case and
/// outbox row in one transaction. Submitting the same draft twice leads to the same case.
pub async fn submit(
    req: HttpRequest,
    path: web::Path<DraftPath>,
    form: web::Form<SubmitForm>,
    drafts: Drafts,
    outbox: web::Data<Outbox>,
    settings: web::Data<Settings>,
    providers: web::Data<Providers>,
) -> Result<HttpResponse, AppError> {
    let (db, sessions) = (&drafts.db, &drafts.sessions);
    let (layout, opened) = match drafts.open(&req, &path.draft).await {
        Err(AppError::NotFound) => {
            return already_submitted(&req, &Layout::of(&req)?, db, sessions, &path.draft).await;
        }
        // After logging in again the citizen sees check-answers, not this POST-only address.
        Err(AppError::LoginRequired(_)) => {
            return Err(AppError::LoginRequired(draft_href(
                &Layout::of(&req)?,
                &path.draft,
                "/pruefen",
            )));
        }
        other => other?,
    };
    opened.citizen.session.check_csrf(&form.csrf_token)?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    if let Some(step) = unfinished(&opened, &state) {
        return Ok(see_other(&step_href(&layout, &opened.draft.id, &step.id)));
    }
    // What is sent must be what the citizen checked: not answers changed since in another tab.
    let checked = form.stand.as_deref() == Some(opened.draft.updated_at.timestamp_micros().to_string().as_str());
    let refused = if !checked {
        Some((StatusCode::CONFLICT, Refused::ChangedMeanwhile))
    } else if opened.form.declaration.is_some() && form.erklaerung.as_deref() != Some("ja") {
        Some((StatusCode::UNPROCESSABLE_ENTITY, Refused::Declaration))
    } else {
        None
    };
    if let Some((status, why)) = refused {
        let locked = locked_answers(db, &opened).await?;
        return respond(status, &check_page(layout, &opened, &state, &locked, Some(why)));
    }
    let application = application(&opened, &state, layout.lang);
    if opened.pays_online(&state) {
        // The site the citizen is on: its host was resolved to this tenant or the portal.
        let return_url = {
            let info = req.connection_info();
            format!(
                "{}://{}{}",
                info.scheme(),
                info.host(),
                draft_href(&layout, &opened.draft.id, "/zahlung")
            )
        };
        let wording = Wording {
            return_url,
            purpose: opened.service_name.clone(),
            description: format!("{} ({})", opened.service_name, opened.tenant.name),
        };
        return match pay::start(db, &providers, &outbox, &settings.base_url, &application, &wording).await? {
            Started::Pay(url) => Ok(see_other(&url)),
            Started::Settled(confirmed) => {
                after_payment(&req, &layout, &opened, &state, drafts.sessions.as_ref(), db, confirmed).await
            }
            Started::Unavailable => {
                let locked = locked_answers(db, &opened).await?;
                let page = check_page(layout, &opened, &state, &locked, Some(Refused::PaymentUnavailable));
                respond(StatusCode::SERVICE_UNAVAILABLE, &page)
            }
        };
    }
    match submit::send(db, &outbox, &settings.base_url, &application).await? {
        Sent::Created(reference) => Ok(see_other(&layout.href(&format!("/vorgang/{reference}")))),
        Sent::Already => already_submitted(&req, &layout, db, sessions, &path.draft).await,
        Sent::DraftGone => Err(AppError::NotFound),
    }
}

/// What sending this draft sends: the answers as checked, with the lines check-answers showed.
fn application(opened: &Opened, state: &FormState<'_>, lang: Lang) -> Application {
    Application {
        account_id: opened.citizen.account_id.clone(),
        tenant_id: opened.tenant.id.clone(),
        draft_id: opened.draft.id.clone(),
        service_slug: opened.draft.service_slug.clone(),
        form_version: version(&opened.form),
        answers: state.answers.clone(),
        summary: view::summary(&view::answer_sections(state, lang, &Answers::new())),
        files: kept_files(state),
        trust_level: opened.citizen.trust_level.as_str().to_owned(),
        fee_cents: opened.fee(state).map(Money::cents),
        lang,
    }
}

#[derive(Template)]
#[template(path = "application/payment_pending.html")]
pub struct PaymentPendingPage {
    layout: Layout,
    service_name: String,
    title_key: &'static str,
    text_key: &'static str,
    /// "Erneut prüfen": this page again; `None` when there is nothing to wait for.
    again_href: Option<String>,
}

/// Where the provider sends the citizen back. What the address says is never read: the portal asks
/// the provider itself, then sends the application, says the payment is still being checked, or
/// goes back to check-answers to try again.
pub async fn payment_return(
    req: HttpRequest,
    path: web::Path<DraftPath>,
    drafts: Drafts,
    outbox: web::Data<Outbox>,
    settings: web::Data<Settings>,
    providers: web::Data<Providers>,
) -> Result<HttpResponse, AppError> {
    let (db, sessions) = (&drafts.db, &drafts.sessions);
    let (layout, opened) = match drafts.open(&req, &path.draft).await {
        // Sent meanwhile (the poller, another tab): the case is the answer.
        Err(AppError::NotFound) => {
            return already_submitted(&req, &Layout::of(&req)?, db, sessions, &path.draft).await;
        }
        other => other?,
    };
    let payment = payments::current_of_draft(db, &opened.draft.id, &opened.citizen.account_id, &opened.tenant.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let confirmed = pay::confirm(db, &providers, &outbox, &settings.base_url, &payment).await?;
    let state = derive(&opened.form, &opened.draft.answers, today());
    after_payment(&req, &layout, &opened, &state, sessions.as_ref(), db, confirmed).await
}

/// The page after the provider's answer.
async fn after_payment(
    req: &HttpRequest,
    layout: &Layout,
    opened: &Opened,
    state: &FormState<'_>,
    sessions: &Sessions,
    db: &Db,
    confirmed: Confirmed,
) -> Result<HttpResponse, AppError> {
    let waiting = |title_key, text_key, again: bool| PaymentPendingPage {
        layout: Layout::new(req, layout.site.clone()),
        service_name: opened.service_name.clone(),
        title_key,
        text_key,
        again_href: again.then(|| draft_href(layout, &opened.draft.id, "/zahlung")),
    };
    match confirmed {
        Confirmed::Sent(Some(reference)) => Ok(see_other(&layout.href(&format!("/vorgang/{reference}")))),
        Confirmed::Sent(None) | Confirmed::PaidTwice => {
            already_submitted(req, layout, db, sessions, &opened.draft.id).await
        }
        Confirmed::DraftGone => Err(AppError::NotFound),
        Confirmed::Pending => respond(
            StatusCode::OK,
            &waiting("payment-pending-title", "payment-pending-text", true),
        ),
        Confirmed::Mismatch => respond(
            StatusCode::CONFLICT,
            &waiting("payment-mismatch-title", "payment-mismatch-text", false),
        ),
        Confirmed::NotPaid => {
            let locked = locked_answers(db, opened).await?;
            let page = check_page(
                Layout::new(req, layout.site.clone()),
                opened,
                state,
                &locked,
                Some(Refused::NotPaid),
            );
            respond(StatusCode::OK, &page)
        }
    }
}

/// The attachment ids of the files the answers keep: those of file fields that apply.
fn kept_files(state: &FormState<'_>) -> Vec<String> {
    state
        .steps
        .iter()
        .flat_map(|step| &step.fields)
        .filter(|f| matches!(f.field.kind, Kind::File { .. }))
        .flat_map(|f| UploadedFile::list(Some(&f.raw)))
        .map(|file| file.id)
        .collect()
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

#[derive(Deserialize)]
pub struct CasePath {
    pub(super) reference: String,
}

#[derive(Template)]
#[template(path = "application/done.html")]
pub struct DonePage {
    layout: Layout,
    service_name: String,
    reference: String,
    submitted_at: String,
    delivery: String,
    authority_reference: Option<String>,
    /// The fee paid online, and the provider's reference for it.
    paid: Option<(String, Option<String>)>,
    next_steps: Option<String>,
    receipt_href: String,
    documents_href: String,
    /// The evidence sent with the case, to download.
    files: Vec<view::FileView>,
    /// Where the case stands at the authority, in the citizen's words, once its backend said.
    authority_status: Option<String>,
    /// What happened to it, oldest first.
    timeline: Vec<timeline::Moment>,
    /// The case's messages in the Postfach.
    messages_href: String,
}

/// A service's name in the citizen's language; its slug if the service has been retired since.
pub(crate) async fn service_name(
    cache: &CatalogueCache,
    db: &Db,
    tenant_id: &str,
    slug: &str,
    lang: Lang,
) -> Result<String, AppError> {
    Ok(name_of(
        cache.service_page(db, tenant_id, slug).await?.as_deref(),
        slug,
        lang,
    ))
}

/// The name of a service looked up already (see [`service_name`]).
fn name_of(service: Option<&ServicePageRow>, slug: &str, lang: Lang) -> String {
    service.map_or_else(
        || slug.to_owned(),
        |s| match (lang, &s.details.0.en) {
            (Lang::En, Some(en)) => en.name.clone(),
            _ => s.details.0.de.name.clone(),
        },
    )
}

/// A case's receipt as a tagged PDF, with the fee paid for it, laid out off the request thread.
pub(crate) async fn receipt_of(
    db: &Db,
    case: CaseRow,
    authority: String,
    service: String,
    lang: Lang,
    fonts: web::Data<ReceiptFonts>,
) -> Result<Vec<u8>, AppError> {
    let paid = payments::paid_for_case(db, &case.id, &case.tenant_id).await?;
    web::block(move || {
        let facts = CaseFacts {
            reference: &case.reference,
            authority: &authority,
            service: &service,
            submitted_at: case.submitted_at,
            fee_cents: case.fee_cents,
            paid: paid.as_ref(),
            answers: &case.summary.0,
        };
        pdf::case_receipt(&facts, lang, &fonts)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("receipt PDF: {e}")))?
    .map_err(AppError::Internal)
}

/// The confirmation: the reference number, and what happens next.
pub async fn done(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<CasePath>,
    drafts: Drafts,
) -> Result<HttpResponse, AppError> {
    let (tenant, case) = drafts.case(&req, &layout, &path.reference).await?;
    let citizen = drafts.sessions.citizen(&req).await?;
    let files = attachments::files_of_case(&drafts.db, &case.id, &citizen.account_id)
        .await?
        .into_iter()
        .map(|f| view::FileView {
            href: layout.href(&format!("/vorgang/{}/datei/{}", case.reference, f.id)),
            size: size_text(u64::try_from(f.size).unwrap_or_default()),
            id: f.id,
            name: f.name,
        })
        .collect();
    let paid = payments::paid_for_case(&drafts.db, &case.id, &tenant.id).await?;
    let timeline = timeline::of(&drafts.db, &case, &citizen.account_id, paid.as_ref(), layout.lang).await?;
    let authority_status = CaseStatus::parse(&case.status)
        .filter(|status| *status != CaseStatus::Submitted)
        .map(|status| layout.lang.t(status.label_key()).to_owned());
    let service = drafts
        .cache
        .service_page(&drafts.db, &tenant.id, &case.service_slug)
        .await?;
    let page = DonePage {
        authority_status,
        timeline,
        messages_href: format!("/postfach?vorgang={}", case.id),
        files,
        paid: paid.map(|paid| (payment::paid_text(layout.lang, &paid), paid.reference)),
        service_name: name_of(service.as_deref(), &case.service_slug, layout.lang),
        reference: case.reference.clone(),
        submitted_at: layout.lang.date_time(case.submitted_at),
        delivery: view::delivery_text(&case, layout.lang),
        authority_reference: case.authority_reference.clone(),
        next_steps: next_steps(&drafts, service.as_deref(), layout.lang).await?,
        receipt_href: layout.href(&format!("/vorgang/{}/quittung.pdf", case.reference)),
        documents_href: layout.href(&format!("/vorgang/{}/unterlagen.zip", case.reference)),
        layout,
    };
    respond(StatusCode::OK, &page)
}

/// What happens after sending, as the service's form says (while the service is offered).
async fn next_steps(drafts: &Drafts, service: Option<&ServicePageRow>, lang: Lang) -> Result<Option<String>, AppError> {
    let Some(hash) = service.and_then(|s| s.form_hash.as_deref()) else {
        return Ok(None);
    };
    let form = drafts.cache.form(&drafts.db, hash).await?;
    Ok(form.next_steps.as_ref().map(|t| t.get(lang).to_owned()))
}

/// The receipt as a tagged PDF to download: the answers as the citizen confirmed them.
pub async fn receipt(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<CasePath>,
    drafts: Drafts,
    fonts: web::Data<ReceiptFonts>,
) -> Result<HttpResponse, AppError> {
    let (tenant, case) = drafts.case(&req, &layout, &path.reference).await?;
    let lang = layout.lang;
    let service = service_name(&drafts.cache, &drafts.db, &tenant.id, &case.service_slug, lang).await?;
    let reference = case.reference.clone();
    let pdf = receipt_of(&drafts.db, case, tenant.name.clone(), service, lang, fonts).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-{}.pdf\"", lang.t("receipt-file"), reference),
        ))
        .body(pdf))
}
