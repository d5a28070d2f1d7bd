//! `/konto/daten`: everything the portal keeps about the citizen, as a ZIP to download (GDPR Art. 15
//! and 20): `konto.json` with account, Stammdaten, provider logins, sessions, access log, drafts with
//! their answers and cases with theirs, each case's receipt as `quittungen/<reference>.pdf`, and the
//! evidence files under `nachweise/`. The ZIP is written to a spool file, the files streamed into it,
//! so its size does not become memory.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::attachments::Attachments;
use crate::auth::session::Sessions;
use crate::catalogue::CatalogueCache;
use crate::db::Db;
use crate::db::accounts;
use crate::db::applications::{self as queries, SummaryLine};
use crate::db::attachments as db_attachments;
use crate::db::{messages, payments};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pdf::ReceiptFonts;
use crate::routes::application::{receipt_of, service_name};
use crate::routes::spooled_zip::{Compression, SpooledZip};
use crate::tenancy::Directory;

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
    files: Vec<FileExport>,
    payments: Vec<PaymentExport>,
    /// The Postfach: messages and decisions of the authorities, and the citizen's replies.
    postfach: Vec<MessageExport>,
}

#[derive(Serialize)]
struct MessageExport {
    authority: String,
    /// The case's reference.
    case: String,
    /// `to_citizen` or `from_citizen`.
    direction: String,
    /// `message`, `decision` or `reply`.
    kind: String,
    subject: String,
    body: String,
    made_available_at: DateTime<Utc>,
    first_read_at: Option<DateTime<Utc>>,
    /// The files' names in the ZIP.
    files: Vec<String>,
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

/// A fee paid, or asked for, online.
#[derive(Serialize)]
struct PaymentExport {
    authority: String,
    amount_cents: i64,
    status: String,
    transaction_id: Option<String>,
    reference: Option<String>,
    method: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    asked_at: DateTime<Utc>,
    /// The reference of the case it paid for.
    case: Option<String>,
}

#[derive(Serialize)]
struct FileExport {
    name: String,
    size: i64,
    sha256: String,
    /// The case's reference; empty for a file of a draft.
    case: String,
    /// The file's name in the ZIP.
    file: String,
}

pub async fn export(
    req: HttpRequest,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    directory: Directory,
    cache: web::Data<CatalogueCache>,
    fonts: web::Data<ReceiptFonts>,
    attachments: web::Data<Attachments>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let id = &citizen.account_id;
    let lang = Lang::of(&req);
    let account = accounts::account_by_id(&db, id).await?.ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let authority = |tenant_id: &str| directory.name_of(tenant_id);

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
        let pdf = receipt_of(
            &db,
            case.clone(),
            authority(&case.tenant_id),
            service,
            lang,
            fonts.clone(),
        )
        .await?;
        receipts.push((receipt, pdf));
    }

    let stored = db_attachments::files_of_account(&db, id).await?;
    let files: Vec<FileExport> = stored
        .iter()
        .map(|f| {
            let folder = if f.reference.is_empty() {
                "entwurf"
            } else {
                f.reference.as_str()
            };
            FileExport {
                name: f.name.clone(),
                size: f.size,
                sha256: f.sha256.clone(),
                case: f.reference.clone(),
                // The id keeps two files of the same name apart.
                file: format!(
                    "nachweise/{folder}/{}-{}",
                    &f.id[f.id.len().saturating_sub(8)..],
                    f.name
                ),
            }
        })
        .collect();

    let message_files = messages::files_of_account(&db, id).await?;
    let file_name =
        |f: &messages::ExportFileRow| format!("postfach/{}-{}", &f.id[f.id.len().saturating_sub(8)..], f.name);
    let postfach = messages::of_account(&db, id, None, None, i64::MAX)
        .await?
        .into_iter()
        .map(|m| MessageExport {
            authority: authority(&m.tenant_id),
            files: message_files
                .iter()
                .filter(|f| f.message_id == m.id)
                .map(file_name)
                .collect(),
            case: m.reference,
            direction: m.direction,
            kind: m.kind,
            subject: m.subject,
            body: m.body,
            made_available_at: m.made_available_at,
            first_read_at: m.first_read_at,
        })
        .collect();

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
        files,
        payments: payments::of_account(&db, id)
            .await?
            .into_iter()
            .map(|p| PaymentExport {
                authority: authority(&p.tenant_id),
                amount_cents: p.amount_cents,
                status: p.status,
                transaction_id: p.transaction_id,
                reference: p.reference,
                method: p.method,
                paid_at: p.paid_at,
                asked_at: p.created_at,
                case: p.case_reference,
            })
            .collect(),
        postfach,
    };
    let json = serde_json::to_vec_pretty(&export).map_err(anyhow::Error::from)?;
    let zip = SpooledZip::create(attachments.spool_path("zip"));
    zip.add("konto.json", json.into(), Compression::Deflated).await?;
    for (name, pdf) in receipts {
        zip.add(&name, pdf.into(), Compression::Deflated).await?;
    }
    for (row, listed) in stored.iter().zip(&export.files) {
        zip.copy(&listed.file, &attachments, &row.storage_key).await?;
    }
    for f in &message_files {
        zip.copy(&file_name(f), &attachments, &f.storage_key).await?;
    }
    zip.download(&req, "servicekonto.zip").await
}
