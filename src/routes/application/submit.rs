//! Check-answers, sending exactly once, the confirmation and the receipt.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::view::{self, AnswerSection};
use super::{DraftPath, Drafts, Opened, draft_href, locked, stammdaten_answers, step_href, today, unfinished, version};
use crate::auth::session::Sessions;
use crate::catalogue::CatalogueCache;
use crate::config::Settings;
use crate::db::Db;
use crate::db::applications::{self as queries, CaseRow, Submitted};
use crate::db::{accounts, attachments};
use crate::domain::Money;
use crate::domain::evidence::{UploadedFile, size_text};
use crate::domain::form::{Answers, FormState, Kind, derive};
use crate::domain::reference::Reference;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::Mail;
use crate::pdf::{self, CaseFacts, ReceiptFonts};
use crate::routes::Layout;
use crate::routes::page::{respond, see_other};
use crate::worker::Outbox;

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
}

/// Why check-answers is shown again instead of sending.
#[derive(Clone, Copy, PartialEq)]
enum Refused {
    /// The declaration is not ticked.
    Declaration,
    /// The answers changed (in another tab) since this page was shown.
    ChangedMeanwhile,
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
    let fee = state.fee().or(opened.service_fee).filter(|f| f.cents() > 0);
    let last_step = state.steps.last().map(|s| s.step.id.as_str()).unwrap_or_default();
    CheckPage {
        service_name: opened.service_name.clone(),
        sections: view::answer_sections(state, lang, locked),
        draft_id: opened.draft.id.clone(),
        fee: fee.map(|f| lang.money(f)),
        fee_note: fee.map(|_| {
            opened
                .form
                .fee_note
                .as_ref()
                .map_or_else(|| lang.t("form-fee-later").to_owned(), |t| t.get(lang).to_owned())
        }),
        declaration: opened.form.declaration.as_ref().map(|t| t.get(lang).to_owned()),
        declaration_error: (refused == Some(Refused::Declaration)).then(|| lang.t("form-error-declaration")),
        changed_meanwhile: refused == Some(Refused::ChangedMeanwhile),
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
    let summary = view::summary(&view::answer_sections(&state, layout.lang, &Answers::new()));
    let fee = state.fee().or(opened.service_fee);
    let files = kept_files(&state);
    let confirmation = confirmation(db, &settings, &opened.citizen.account_id, layout.lang).await?;
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
            files: &files,
            trust_level: opened.citizen.trust_level.as_str(),
            fee_cents: fee.map(Money::cents),
            confirmation: confirmation.as_ref(),
            now: Utc::now(),
        };
        match queries::submit(db, &case).await? {
            Submitted::Created => {
                outbox.wake();
                return Ok(see_other(&layout.href(&format!("/vorgang/{}", reference.as_str()))));
            }
            Submitted::Already => return already_submitted(&req, &layout, db, sessions, &path.draft).await,
            Submitted::ReferenceTaken => continue,
            Submitted::DraftGone => return Err(AppError::NotFound),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free reference number after five tries"
    )))
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

/// "Ihr Antrag wurde gesendet", with a link to the account: no answers, no service name. `None` for an
/// account without an address.
async fn confirmation(db: &Db, settings: &Settings, account_id: &str, lang: Lang) -> Result<Option<Mail>, AppError> {
    let email = accounts::account_by_id(db, account_id).await?.and_then(|a| a.email);
    Ok(email.map(|to| {
        Mail::new(&to, lang, "mail-submitted")
            .with_link(format!("{}/antraege", settings.base_url.trim_end_matches('/')))
    }))
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
    delivery: String,
    authority_reference: Option<String>,
    next_steps: Option<String>,
    receipt_href: String,
    /// The evidence sent with the case, to download.
    files: Vec<view::FileView>,
}

/// A service's name in the citizen's language; its slug if the service has been retired since.
pub(crate) async fn service_name(
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

/// A case's receipt as a tagged PDF, laid out off the request thread.
pub(crate) async fn receipt_of(
    case: CaseRow,
    authority: String,
    service: String,
    lang: Lang,
    fonts: web::Data<ReceiptFonts>,
) -> Result<Vec<u8>, AppError> {
    web::block(move || {
        let facts = CaseFacts {
            reference: &case.reference,
            authority: &authority,
            service: &service,
            submitted_at: case.submitted_at,
            fee_cents: case.fee_cents,
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
    let page = DonePage {
        files,
        service_name: service_name(&drafts.cache, &drafts.db, &tenant.id, &case.service_slug, layout.lang).await?,
        reference: case.reference.clone(),
        submitted_at: layout.lang.date_time(case.submitted_at),
        delivery: view::delivery_text(&case, layout.lang),
        authority_reference: case.authority_reference.clone(),
        next_steps: drafts
            .forms
            .get(&tenant.slug, &case.service_slug)
            .and_then(|f| f.next_steps.as_ref())
            .map(|t| t.get(layout.lang).to_owned()),
        receipt_href: layout.href(&format!("/vorgang/{}/quittung.pdf", case.reference)),
        layout,
    };
    respond(StatusCode::OK, &page)
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
    let pdf = receipt_of(case, tenant.name.clone(), service, lang, fonts).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-{}.pdf\"", lang.t("receipt-file"), reference),
        ))
        .body(pdf))
}
