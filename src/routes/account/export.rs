//! `/konto/daten`: everything the portal keeps about the citizen, as a ZIP to download (GDPR Art. 15
//! and 20): `konto.json` with account, Stammdaten, provider logins, sessions, access log, drafts with
//! their answers and cases with theirs, and each case's receipt as `quittungen/<reference>.pdf`.

use std::collections::HashMap;
use std::io::Write;

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::auth::session::Sessions;
use crate::catalogue::CatalogueCache;
use crate::db::Db;
use crate::db::accounts;
use crate::db::applications::{self as queries, SummaryLine};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pdf::ReceiptFonts;
use crate::routes::application::{receipt_of, service_name};
use crate::tenancy::TenantDirectory;

#[derive(Serialize)]
struct Export {
    exported_at: DateTime<Utc>,
    email: Option<String>,
    email_verified_at: Option<DateTime<Utc>>,
    profile: Option<ProfileExport>,
    /// Logins with an identity provider linked to the account.
    identities: Vec<IdentityExport>,
    sessions: Vec<SessionExport>,
    access_log: Vec<AccessExport>,
    drafts: Vec<DraftExport>,
    cases: Vec<CaseExport>,
}

#[derive(Serialize)]
struct ProfileExport {
    given_name: Option<String>,
    family_name: Option<String>,
    birthdate: Option<String>,
    street_address: Option<String>,
    postal_code: Option<String>,
    locality: Option<String>,
    country: Option<String>,
    confirmed_by: Option<String>,
}

#[derive(Serialize)]
struct IdentityExport {
    provider: String,
    issuer: String,
    subject: String,
    trust_level: String,
    linked_at: DateTime<Utc>,
    last_login_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct SessionExport {
    device: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    trust_level: Option<String>,
}

#[derive(Serialize)]
struct AccessExport {
    at: DateTime<Utc>,
    event: String,
    device: String,
}

#[derive(Serialize)]
struct DraftExport {
    authority: String,
    service: String,
    answers: Map<String, Json>,
    saved_at: DateTime<Utc>,
    kept_until: DateTime<Utc>,
    /// A step sent after the session had expired, kept until the citizen logs in again.
    parked_step: Option<ParkedExport>,
}

#[derive(Serialize)]
struct ParkedExport {
    step: String,
    posted: Vec<(String, String)>,
    at: DateTime<Utc>,
}

#[derive(Serialize)]
struct CaseExport {
    reference: String,
    authority: String,
    service: String,
    submitted_at: DateTime<Utc>,
    trust_level: String,
    fee_cents: Option<i64>,
    delivered_at: Option<DateTime<Utc>>,
    authority_reference: Option<String>,
    /// The answers as the citizen confirmed them on check-answers.
    summary: Vec<SummaryLine>,
    /// The answers as stored and handed to the authority.
    answers: Map<String, Json>,
    /// The receipt's name in the ZIP.
    receipt: String,
}

pub async fn export(
    req: HttpRequest,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    directory: web::Data<TenantDirectory>,
    cache: web::Data<CatalogueCache>,
    fonts: web::Data<ReceiptFonts>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let id = &citizen.account_id;
    let lang = Lang::of(&req);
    let account = accounts::account_by_id(&db, id).await?.ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let authority = |tenant_id: &str| directory.by_id(tenant_id).map_or_else(String::new, |t| t.name.clone());

    let mut parked: HashMap<String, ParkedExport> = queries::parked_steps_of(&db, id)
        .await?
        .into_iter()
        .map(|p| {
            let step = ParkedExport {
                step: p.step_id,
                posted: p.posted.0,
                at: p.created_at,
            };
            (p.draft_id, step)
        })
        .collect();
    let mut drafts = Vec::new();
    for draft in queries::drafts_of(&db, id).await? {
        drafts.push(DraftExport {
            authority: authority(&draft.tenant_id),
            service: service_name(&cache, &db, &draft.tenant_id, &draft.service_slug, lang).await?,
            answers: draft.answers.0,
            saved_at: draft.updated_at,
            kept_until: draft.expires_at,
            parked_step: parked.remove(&draft.id),
        });
    }

    let mut answers: HashMap<String, Map<String, Json>> = queries::case_answers_of(&db, id)
        .await?
        .into_iter()
        .map(|(case_id, answers)| (case_id, answers.0))
        .collect();
    let mut cases = Vec::new();
    let mut receipts = Vec::new();
    for case in queries::cases_of(&db, id).await? {
        let service = service_name(&cache, &db, &case.tenant_id, &case.service_slug, lang).await?;
        let receipt = format!("quittungen/{}.pdf", case.reference);
        cases.push(CaseExport {
            reference: case.reference.clone(),
            authority: authority(&case.tenant_id),
            service: service.clone(),
            submitted_at: case.submitted_at,
            trust_level: case.trust_level.clone(),
            fee_cents: case.fee_cents,
            delivered_at: case.delivered_at,
            authority_reference: case.authority_reference.clone(),
            summary: case.summary.0.clone(),
            answers: answers.remove(&case.id).unwrap_or_default(),
            receipt: receipt.clone(),
        });
        let pdf = receipt_of(case.clone(), authority(&case.tenant_id), service, lang, fonts.clone()).await?;
        receipts.push((receipt, pdf));
    }

    let export = Export {
        exported_at: now,
        email: account.email,
        email_verified_at: account.email_verified_at,
        profile: accounts::profile(&db, id).await?.map(|p| ProfileExport {
            given_name: p.given_name,
            family_name: p.family_name,
            birthdate: p.birthdate,
            street_address: p.street_address,
            postal_code: p.postal_code,
            locality: p.locality,
            country: p.country,
            confirmed_by: p.confirmed_by,
        }),
        identities: accounts::identities_of(&db, id)
            .await?
            .into_iter()
            .map(|i| IdentityExport {
                provider: i.provider_id,
                issuer: i.issuer,
                subject: i.subject,
                trust_level: i.trust_level,
                linked_at: i.linked_at,
                last_login_at: i.last_login_at,
            })
            .collect(),
        sessions: accounts::sessions_of(&db, id, now)
            .await?
            .into_iter()
            .map(|s| SessionExport {
                device: s.device,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                trust_level: s.trust_level,
            })
            .collect(),
        access_log: accounts::access_log(&db, id, i64::MAX)
            .await?
            .into_iter()
            .map(|a| AccessExport {
                at: a.at,
                event: a.event,
                device: a.device,
            })
            .collect(),
        drafts,
        cases,
    };
    let json = serde_json::to_vec_pretty(&export).map_err(anyhow::Error::from)?;
    let zip = web::block(move || zipped(json, receipts))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("data export: {e}")))?
        .map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/zip"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"servicekonto.zip\""))
        .body(zip))
}

/// `konto.json` and the receipts in one ZIP.
fn zipped(json: Vec<u8>, receipts: Vec<(String, Vec<u8>)>) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("konto.json", options)?;
    zip.write_all(&json)?;
    for (name, pdf) in receipts {
        zip.start_file(name, options)?;
        zip.write_all(&pdf)?;
    }
    Ok(zip.finish()?.into_inner())
}
