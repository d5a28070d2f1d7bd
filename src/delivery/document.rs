//! The case as backends that take JSON get it: the webhook's body, FIT-Connect's Fachdaten and the
//! backend API's answer. One set of types, so the three say the same, and the API's OpenAPI
//! document describes what is sent (`utoipa::ToSchema`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::applications::SummaryLine;
use crate::db::attachments::DeliveryFileRow;
use crate::db::outbox::CaseToDeliver;
use crate::db::payments::PaidFee;
use crate::domain::FileType;

/// A case: what it is, and what the citizen sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDocument<'a> {
    pub case: CaseHead<'a>,
    #[serde(flatten)]
    pub content: CaseContent<'a>,
}

impl<'a> CaseDocument<'a> {
    pub fn of(case: &'a CaseToDeliver, attachments: Vec<FileEntry<'a>>) -> Self {
        Self {
            case: CaseHead::of(case),
            content: CaseContent::of(case, attachments),
        }
    }
}

/// Which case, of which service and tenant, sent when and how.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseHead<'a> {
    /// The portal's id of the case (a UUID); deliveries carry it as their Idempotency-Key.
    pub id: &'a str,
    /// The reference the citizen sees, e.g. `MUS-2026-000123`.
    pub reference: &'a str,
    /// The tenant's slug.
    pub tenant: &'a str,
    /// The service's slug.
    pub service: &'a str,
    pub service_name: Option<&'a str>,
    /// The service's Leistungsschlüssel (LeiKa / FIM), if it has one.
    pub leistungsschluessel: Option<&'a str>,
    pub form_version: i32,
    pub submitted_at: DateTime<Utc>,
    /// How the citizen logged in: `basis`, `substanziell` or `hoch`.
    pub trust_level: &'a str,
    /// The fee asked for, in cents, if the service has one.
    pub fee_cents: Option<i64>,
}

impl<'a> CaseHead<'a> {
    pub fn of(case: &'a CaseToDeliver) -> Self {
        Self {
            id: &case.id,
            reference: &case.reference,
            tenant: &case.tenant_slug,
            service: &case.service_slug,
            service_name: case.service_name.as_deref(),
            leistungsschluessel: case.leistungsschluessel.as_deref(),
            form_version: case.form_version,
            submitted_at: case.submitted_at,
            trust_level: &case.trust_level,
            fee_cents: case.fee_cents,
        }
    }
}

/// What the citizen sent: the answers by field id, the lines they saw on check-answers, the evidence
/// files and the fee paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseContent<'a> {
    /// The answers by step and field id, as the form defines them.
    #[schema(value_type = Object)]
    pub answers: &'a serde_json::Value,
    pub summary: &'a [SummaryLine],
    pub attachments: Vec<FileEntry<'a>>,
    pub payment: Option<PaymentEntry<'a>>,
}

impl<'a> CaseContent<'a> {
    pub fn of(case: &'a CaseToDeliver, attachments: Vec<FileEntry<'a>>) -> Self {
        Self {
            answers: &case.answers.0,
            summary: &case.summary.0,
            attachments,
            payment: case.paid.as_ref().map(PaymentEntry::of),
        }
    }
}

/// An evidence file; each backend adds how it gets the content.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileEntry<'a> {
    pub id: &'a str,
    /// The id of the form's upload field.
    pub field: &'a str,
    pub name: &'a str,
    /// Its media type, e.g. `application/pdf`.
    #[serde(rename = "type")]
    pub file_type: &'static str,
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: &'a str,
    /// Backend API: where to download it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Webhook: the content itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_base64: Option<String>,
}

impl<'a> FileEntry<'a> {
    pub fn of(row: &'a DeliveryFileRow) -> Self {
        Self {
            id: &row.id,
            field: &row.field_id,
            name: &row.name,
            file_type: FileType::mime_of_stored(&row.file_type),
            size: row.size,
            sha256: &row.sha256,
            href: None,
            content_base64: None,
        }
    }
}

/// The fee paid online (XBezahldienste).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentEntry<'a> {
    pub amount_cents: i64,
    /// Always `EUR`.
    pub currency: &'static str,
    /// Always `PAYED`: only a paid fee is sent.
    pub status: &'static str,
    /// The provider's transaction id.
    pub transaction_id: Option<&'a str>,
    /// The provider's reference, e.g. the Kassenzeichen.
    pub reference: Option<&'a str>,
    pub method: Option<&'a str>,
    pub paid_at: Option<DateTime<Utc>>,
}

impl<'a> PaymentEntry<'a> {
    fn of(paid: &'a PaidFee) -> Self {
        Self {
            amount_cents: paid.amount_cents,
            currency: "EUR",
            status: "PAYED",
            transaction_id: paid.transaction_id.as_deref(),
            reference: paid.reference.as_deref(),
            method: paid.method.as_deref(),
            paid_at: paid.paid_at,
        }
    }
}
