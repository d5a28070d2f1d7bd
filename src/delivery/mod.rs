//! Handing a case to the authority's processing backend (Fachverfahren): one adapter per kind of
//! destination. The outbox worker calls [`Deliverer::deliver`] and decides, from the answer, whether
//! to record the delivery, try again later or give up.
//!
//! Every attempt for a case carries the case id as its idempotency key, so a receiver can tell a
//! repeat (after a crash between sending and recording) from a new case.

pub mod document;
mod email;
pub mod fit_connect;
mod jose;
mod ozg_cloud;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::attachments::Attachments;
use crate::db::Db;
use crate::db::attachments::{self as db_attachments, DeliveryFileRow};
use crate::db::outbox::{self, CaseToDeliver, JobRow};
use crate::domain::FileType;
use crate::domain::destination::{Destination, FitConnectSettings, NO_MAIL_SERVER, secret_from_env};
use crate::mail::Mailer;
use crate::pdf::{CaseFacts, ReceiptFonts};
use crate::remote::{answer_body, describe, host, may_pass};

/// Why an attempt did not hand the case over. Reasons are for operators: they name the destination
/// and what went wrong, never answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Worth another attempt later: the receiver is down, slow or overloaded.
    Retry(String),
    /// Another attempt would fail the same way until an operator changes something.
    Permanent(String),
    /// Another worker has claimed the job meanwhile: this attempt stops and records nothing.
    ClaimLost,
}

/// A worker's hold on the job it works, for deliveries of several requests: renewed before each
/// request, so the lease outlasts an attempt however many requests it makes, and found gone once
/// another worker has claimed the job, so that the attempt stops at once.
pub struct Hold<'a> {
    db: &'a Db,
    job: &'a JobRow,
    /// How long the job stays this worker's after each renewal: longer than one request may take.
    lease: Duration,
}

impl<'a> Hold<'a> {
    pub fn new(db: &'a Db, job: &'a JobRow, lease: Duration) -> Self {
        Self { db, job, lease }
    }

    /// Keeps the job for another lease, before a request.
    pub async fn renew(&self) -> Result<(), Failure> {
        self.keep(None).await
    }

    /// Records how far the delivery got, and keeps the job for another lease.
    pub async fn save(&self, progress: &serde_json::Value) -> Result<(), Failure> {
        self.keep(Some(progress)).await
    }

    async fn keep(&self, progress: Option<&serde_json::Value>) -> Result<(), Failure> {
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::minutes(2));
        match outbox::keep_claim(self.db, self.job, progress, chrono::Utc::now() + lease).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Failure::ClaimLost),
            Err(e) => Err(Failure::Retry(format!("the outbox cannot be written: {e}"))),
        }
    }
}

/// What an attempt achieved.
pub enum Delivered {
    /// The backend accepted the case, with its own reference if it gave one.
    Accepted(Option<String>),
    /// The backend took the case and answers later (FIT-Connect): ask again, from this progress;
    /// it has been waiting for the answer since `since`.
    Awaiting {
        progress: serde_json::Value,
        since: chrono::DateTime<chrono::Utc>,
    },
}

pub struct Deliverer {
    http: reqwest::Client,
    /// The evidence files the cases carry.
    attachments: Arc<Attachments>,
    /// Bounds each request to a receiver, and a mail to an authority as a whole.
    timeout: Duration,
    mailer: Arc<Mailer>,
    fonts: Arc<ReceiptFonts>,
    tokens: fit_connect::Tokens,
    /// Demo mode: an authority's mail may be written to a file (the demo has no mail server).
    demo: bool,
}

impl Deliverer {
    /// `timeout` bounds each request to a receiver, so a receiver that hangs costs one attempt.
    pub fn new(
        mailer: Arc<Mailer>,
        fonts: Arc<ReceiptFonts>,
        attachments: Arc<Attachments>,
        timeout: Duration,
        demo: bool,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            // A redirect is an answer to report, not to follow: the destination's URL is wrong.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("buergerportal/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            attachments,
            timeout,
            mailer,
            fonts,
            tokens: fit_connect::Tokens::default(),
            demo,
        })
    }

    /// One attempt to hand the job's case to the destination it names in the case's tenant.
    pub async fn deliver(&self, hold: &Hold<'_>, case: &CaseToDeliver) -> Result<Delivered, Failure> {
        let job = hold.job;
        let name = job
            .destination
            .as_deref()
            .ok_or_else(|| Failure::Permanent("the service names no destination".into()))?;
        let destination = Destination::named(&case.destinations.0, name).ok_or_else(|| {
            Failure::Permanent(format!(
                "tenant '{}' has no usable destination '{name}'",
                case.tenant_slug
            ))
        })?;
        let accepted = match destination {
            Destination::Webhook { url, secret_env } => {
                let secret = secret(&secret_env)?;
                let files = self.files(hold, case).await?;
                webhook::send(&self.http, &url, &secret, case, &files).await
            }
            Destination::Email { .. } if self.mailer.writes_files() && !self.demo => {
                Err(Failure::Permanent(format!("{NO_MAIL_SERVER} (mail is empty)")))
            }
            Destination::Email { to } => {
                let files = self.files(hold, case).await?;
                let sending = email::send(&self.mailer, &to, case, self.receipt(case).await?, files);
                tokio::time::timeout(self.timeout, sending).await.unwrap_or_else(|_| {
                    Err(Failure::Retry(
                        "mail to the authority: the mail server did not take it in time".into(),
                    ))
                })
            }
            Destination::FitConnect(settings) => return self.fit_connect(hold, case, &settings).await,
            Destination::OzgCloud {
                url,
                zustaendige_stelle,
                service_konto_type,
            } => {
                let intake = ozg_cloud::Intake {
                    url: &url,
                    zustaendige_stelle: &zustaendige_stelle,
                    service_konto_type: &service_konto_type,
                };
                let files = self.files(hold, case).await?;
                ozg_cloud::send(&self.http, &intake, case, self.receipt(case).await?, files).await
            }
        };
        accepted.map(Delivered::Accepted)
    }

    async fn fit_connect(
        &self,
        hold: &Hold<'_>,
        case: &CaseToDeliver,
        settings: &FitConnectSettings,
    ) -> Result<Delivered, Failure> {
        let sender = fit_connect::Sender {
            http: &self.http,
            tokens: &self.tokens,
            settings,
            client_secret: secret(&settings.client_secret_env)?,
            hold,
        };
        let progress = hold
            .job
            .progress
            .as_ref()
            .and_then(|p| serde_json::from_value(p.0.clone()).ok())
            .unwrap_or_default();
        match sender
            .attempt(
                case,
                async || self.receipt(case).await,
                async || self.files(hold, case).await,
                progress,
            )
            .await?
        {
            fit_connect::Step::Accepted => Ok(Delivered::Accepted(None)),
            fit_connect::Step::Awaiting(progress) => Ok(Delivered::Awaiting {
                since: progress.sent_at.unwrap_or_else(chrono::Utc::now),
                progress: serde_json::to_value(progress).map_err(|e| Failure::Retry(e.to_string()))?,
            }),
        }
    }

    /// The case's evidence files, read from the store.
    async fn files(&self, hold: &Hold<'_>, case: &CaseToDeliver) -> Result<Vec<CaseFile>, Failure> {
        let rows = db_attachments::files_to_deliver(hold.db, &case.id, &case.tenant_id)
            .await
            .map_err(|e| Failure::Retry(format!("the case's files: {e}")))?;
        let mut files = Vec::with_capacity(rows.len());
        for row in rows {
            let mut content = Vec::with_capacity(usize::try_from(row.size).unwrap_or_default());
            let mut stream = self
                .attachments
                .open(&row.storage_key)
                .await
                .map_err(|e| Failure::Retry(format!("the file {} of the case: {e:#}", row.id)))?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| Failure::Retry(format!("the file {} of the case: {e}", row.id)))?;
                content.extend_from_slice(&chunk);
            }
            files.push(CaseFile { row, content });
        }
        Ok(files)
    }

    /// The receipt PDF in German, the authorities' language, made off the async threads.
    async fn receipt(&self, case: &CaseToDeliver) -> Result<Vec<u8>, Failure> {
        let (fonts, case) = (self.fonts.clone(), case.clone());
        tokio::task::spawn_blocking(move || {
            let facts = CaseFacts {
                reference: &case.reference,
                authority: &case.tenant_name,
                service: case.service_name.as_deref().unwrap_or(&case.service_slug),
                submitted_at: case.submitted_at,
                fee_cents: case.fee_cents,
                paid: case.paid.as_ref(),
                answers: &case.summary.0,
            };
            crate::pdf::case_receipt(&facts, crate::i18n::Lang::De, &fonts)
        })
        .await
        .map_err(|e| Failure::Retry(format!("making the receipt failed: {e}")))?
        .map_err(|e| Failure::Retry(format!("{e:#}")))
    }
}

/// What an answer other than a success means: 408, 425, 429 and 5xx may pass (the receiver is busy,
/// early or down), so the attempt is made again later; anything else (a redirect, another 4xx) will
/// answer the same until an operator changes something. `reason` names the receiver and the status.
pub(super) fn failure_for(status: reqwest::StatusCode, reason: String) -> Failure {
    if may_pass(status) {
        Failure::Retry(reason)
    } else {
        Failure::Permanent(reason)
    }
}

/// The answer as JSON, if it is JSON and no longer than [`LONGEST_ANSWER`](crate::remote::LONGEST_ANSWER).
pub(super) async fn answer_json(response: reqwest::Response) -> Option<serde_json::Value> {
    serde_json::from_slice(&answer_body(response).await?).ok()
}

/// An evidence file of a case, read whole for its delivery (at most the form's `max_upload_mb`).
pub struct CaseFile {
    pub row: DeliveryFileRow,
    pub content: Vec<u8>,
}

impl CaseFile {
    pub fn mime(&self) -> &'static str {
        FileType::mime_of_stored(&self.row.file_type)
    }
}

/// A secret named by a `*_env` key.
fn secret(env: &str) -> Result<String, Failure> {
    secret_from_env(env).ok_or_else(|| Failure::Permanent(format!("the environment variable {env} is not set")))
}

/// The facts of a fee paid online beside its amount, as the authority reads them in a mail or a
/// form: (field name, German label, value), each one the provider gave.
pub(crate) fn paid_fee_facts(paid: &crate::db::payments::PaidFee) -> Vec<(&'static str, &'static str, String)> {
    [
        (
            "kassenzeichen",
            "Zahlungsreferenz (Kassenzeichen)",
            paid.reference.clone(),
        ),
        (
            "transaktion",
            "Transaktion beim Zahlungsdienst",
            paid.transaction_id.clone(),
        ),
        ("zahlart", "Zahlart", paid.method.clone()),
        (
            "bezahlt_am",
            "Bezahlt am",
            paid.paid_at.map(|at| crate::i18n::Lang::De.date_time(at)),
        ),
    ]
    .into_iter()
    .filter_map(|(name, label, value)| value.map(|value| (name, label, value)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_early_or_failing_receivers_are_tried_again_and_other_answers_wait_for_an_operator() {
        let outcome = |code| match failure_for(reqwest::StatusCode::from_u16(code).unwrap(), String::new()) {
            Failure::Retry(_) => "retry",
            Failure::Permanent(_) => "operator",
            Failure::ClaimLost => "lost",
        };
        for code in [408, 425, 429, 500, 502, 503, 504] {
            assert_eq!(outcome(code), "retry", "{code}");
        }
        for code in [301, 302, 400, 401, 403, 404, 409, 413, 422] {
            assert_eq!(outcome(code), "operator", "{code}");
        }
    }
}
