//! Sending an application: a checked draft becomes exactly one case, with its delivery in the outbox
//! and the citizen's confirmation in the mail queue, in one transaction. The page that sends
//! (check-answers) and, once fees are paid online, the return from the payment and the payment
//! poller all send through here.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::db::Db;
use crate::db::accounts;
use crate::db::applications::{self as queries, NewCase, Submitted, SummaryLine};
use crate::domain::reference::Reference;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::Mail;
use crate::worker::Outbox;

/// What is sent: the answers as checked, and the lines the citizen saw on check-answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    pub account_id: String,
    pub tenant_id: String,
    pub draft_id: String,
    pub service_slug: String,
    pub form_version: i32,
    pub answers: serde_json::Map<String, Json>,
    pub summary: Vec<SummaryLine>,
    /// The evidence files the answers keep, by attachment id.
    pub files: Vec<String>,
    /// The trust level of the login the citizen sent with.
    pub trust_level: String,
    pub fee_cents: Option<i64>,
    /// The language of the pages the citizen used, for the confirmation mail.
    pub lang: Lang,
}

/// What became of sending.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// The case was written; its reference number.
    Created(String),
    /// The draft was sent before (a double click, a reload, the poller first): nothing new.
    Already,
    /// The draft is gone (deleted by its owner): nothing was sent.
    DraftGone,
}

/// Sends `application`: writes the case, its delivery and the confirmation once; a repeat writes
/// nothing. `base_url` is the portal's, for the link in the confirmation.
pub async fn send(db: &Db, outbox: &Outbox, base_url: &str, application: &Application) -> Result<Sent, AppError> {
    let confirmation = confirmation(db, base_url, &application.account_id, application.lang).await?;
    for _ in 0..5 {
        let reference = Reference::generate();
        let case = NewCase {
            account_id: &application.account_id,
            tenant_id: &application.tenant_id,
            draft_id: &application.draft_id,
            reference: reference.as_str(),
            service_slug: &application.service_slug,
            form_version: application.form_version,
            answers: &application.answers,
            summary: &application.summary,
            files: &application.files,
            trust_level: &application.trust_level,
            fee_cents: application.fee_cents,
            confirmation: confirmation.as_ref(),
            now: Utc::now(),
        };
        match queries::submit(db, &case).await? {
            Submitted::Created => {
                outbox.wake();
                return Ok(Sent::Created(reference.as_str().to_owned()));
            }
            Submitted::Already => return Ok(Sent::Already),
            Submitted::ReferenceTaken => continue,
            Submitted::DraftGone => return Ok(Sent::DraftGone),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free reference number after five tries"
    )))
}

/// "Ihr Antrag wurde gesendet", with a link to the account: no answers, no service name. `None` for an
/// account without an address.
async fn confirmation(db: &Db, base_url: &str, account_id: &str, lang: Lang) -> Result<Option<Mail>, AppError> {
    let email = accounts::account_by_id(db, account_id).await?.and_then(|a| a.email);
    Ok(email.map(|to| {
        Mail::new(&to, lang, "mail-submitted").with_link(format!("{}/antraege", base_url.trim_end_matches('/')))
    }))
}
