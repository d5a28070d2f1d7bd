//! FIT-Connect v2, sender side (`../shared/reference/handoff.md`, part B): a token by OAuth2 client
//! credentials; the Zustellpunkt and its encryption key; a submission created with one announced
//! attachment (the receipt PDF); the attachment, the metadata (schema 2.1.0) and the Fachdaten each a
//! compact JWE to that key; then the submission is sent. The authority's answer comes later as a
//! Security Event Token (PS512, signed with the Zustellpunkt's key) in the case's event log:
//! `accept-submission` with the authentication tags of what was sent, or `reject-submission`.
//!
//! Each step's result is kept in the outbox row's progress, so an attempt after a crash continues the
//! same submission instead of creating a second one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use super::document::{CaseDocument, FileEntry};
use super::jose::{self, EncryptionKey};
use super::{CaseFile, Failure, Hold, answer_body, answer_json, describe, failure_for, host};
use crate::db::outbox::CaseToDeliver;
use crate::db::payments::PaidFee;
use crate::domain::Money;
use crate::domain::destination::FitConnectSettings;
use crate::payment::xbezahldienste::Euros;

const METADATA_SCHEMA: &str = "https://schema.fitko.de/fit-connect/metadata/2.1.0/metadata.schema.json";
const EVENTS: &str = "https://schema.fitko.de/fit-connect/events/";
/// FIT-Connect rejects a submission nobody fetched after 14 days; a day later the portal stops asking.
const LONGEST_WAIT: chrono::Duration = chrono::Duration::days(15);

/// How far a delivery got.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub submission_id: Option<String>,
    pub case_id: Option<String>,
    /// The receipt's attachment id.
    pub attachment_id: Option<String>,
    /// The evidence files' attachment ids, by the portal's attachment id.
    #[serde(default)]
    pub evidence: BTreeMap<String, String>,
    /// Set once the submission was sent: from then on only the answer is awaited.
    pub sent_at: Option<DateTime<Utc>>,
    /// The authentication tags of what was sent, which an `accept-submission` must repeat.
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tags {
    pub metadata: String,
    pub data: String,
    pub attachments: BTreeMap<String, String>,
}

/// What one attempt achieved.
pub enum Step {
    /// The authority accepted the submission.
    Accepted,
    /// Sent, or still without an answer: ask again later.
    Awaiting(Progress),
}

/// Access tokens by client, reused until shortly before they expire (FIT-Connect: 30 minutes).
#[derive(Default)]
pub struct Tokens {
    by_client: Mutex<HashMap<(String, String), (String, Instant)>>,
}

pub struct Sender<'a> {
    pub http: &'a reqwest::Client,
    pub tokens: &'a Tokens,
    pub settings: &'a FitConnectSettings,
    pub client_secret: String,
    /// Renewed before each request; each step's result is saved through it before the next.
    pub hold: &'a Hold<'a>,
}

impl Sender<'_> {
    /// One attempt: continues from `progress`.
    pub async fn attempt(
        &self,
        case: &CaseToDeliver,
        receipt: impl AsyncFnOnce() -> Result<Vec<u8>, Failure>,
        files: impl AsyncFnOnce() -> Result<Vec<CaseFile>, Failure>,
        mut progress: Progress,
    ) -> Result<Step, Failure> {
        if progress.sent_at.is_none() && progress.tags.is_some() && self.was_submitted(&progress).await? {
            // An attempt ended between sending the submission and recording it: it did arrive.
            progress.sent_at = Some(Utc::now());
            self.save(&progress).await?;
        }
        if let (Some(sent_at), Some(_)) = (progress.sent_at, &progress.tags) {
            return self.answer(progress, sent_at).await;
        }
        let api = self.settings.submission_api.trim_end_matches('/');
        let destination_id = &self.settings.destination_id;
        let destination = self.get(&format!("{api}/v2/destinations/{destination_id}")).await?;
        if destination.get("status").and_then(Value::as_str) != Some("active") {
            return Err(Failure::Retry(format!(
                "FIT-Connect destination {destination_id} is not active"
            )));
        }
        let schema_uri = destination
            .pointer("/publicServices/0/submissionSchemas/0/schemaUri")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::Permanent("the FIT-Connect destination names no submission schema".into()))?
            .to_owned();
        let kid = destination
            .get("encryptionKid")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::Permanent("the FIT-Connect destination has no encryptionKid".into()))?;
        let jwk = self
            .get(&format!("{api}/v2/destinations/{destination_id}/keys/{kid}"))
            .await?;
        let key = EncryptionKey::from_jwk(&jwk).map_err(Failure::Permanent)?;

        let files = files().await?;
        let (submission_id, attachment_id) = match (&progress.submission_id, &progress.attachment_id) {
            (Some(submission), Some(attachment)) => (submission.clone(), attachment.clone()),
            _ => {
                let attachment_id = uuid::Uuid::new_v4().to_string();
                let evidence: BTreeMap<String, String> = files
                    .iter()
                    .map(|f| (f.row.id.clone(), uuid::Uuid::new_v4().to_string()))
                    .collect();
                let announced: Vec<&String> = std::iter::once(&attachment_id).chain(evidence.values()).collect();
                let created = self
                    .send(self.http.post(format!("{api}/v2/submissions")).json(&json!({
                        "destinationId": destination_id,
                        "announcedAttachments": announced,
                        "publicService": {
                            "name": case.service_name.as_deref().unwrap_or(&case.service_slug),
                            "identifier": format!(
                                "urn:de:fim:leika:leistung:{}",
                                case.leistungsschluessel.as_deref().unwrap_or_default()
                            ),
                        },
                    })))
                    .await?;
                let text = |name: &str| created.get(name).and_then(Value::as_str).map(str::to_owned);
                let (Some(submission_id), Some(case_id)) = (text("submissionId"), text("caseId")) else {
                    return Err(Failure::Retry(
                        "FIT-Connect created a submission without its ids".into(),
                    ));
                };
                progress.submission_id = Some(submission_id.clone());
                progress.case_id = Some(case_id);
                progress.attachment_id = Some(attachment_id.clone());
                progress.evidence = evidence;
                self.save(&progress).await?;
                (submission_id, attachment_id)
            }
        };

        let pdf = receipt().await?;
        let attachment = key.encrypt(&pdf, None).map_err(Failure::Retry)?;
        self.send(
            self.http
                .put(format!(
                    "{api}/v2/submissions/{submission_id}/attachments/{attachment_id}"
                ))
                .header("content-type", "application/jose")
                .body(attachment.clone()),
        )
        .await?;
        let mut tags = BTreeMap::from([(attachment_id.clone(), jose::authentication_tag(&attachment).to_owned())]);
        let mut evidence = Vec::with_capacity(files.len());
        for file in &files {
            let Some(id) = progress.evidence.get(&file.row.id) else {
                return Err(Failure::Permanent(format!(
                    "FIT-Connect: the file {} was not announced with the submission",
                    file.row.id
                )));
            };
            let encrypted = key.encrypt(&file.content, None).map_err(Failure::Retry)?;
            self.send(
                self.http
                    .put(format!("{api}/v2/submissions/{submission_id}/attachments/{id}"))
                    .header("content-type", "application/jose")
                    .body(encrypted.clone()),
            )
            .await?;
            tags.insert(id.clone(), jose::authentication_tag(&encrypted).to_owned());
            evidence.push((id.as_str(), file));
        }
        let files = files.iter().map(|f| FileEntry::of(&f.row)).collect();
        let data =
            serde_json::to_string(&CaseDocument::of(case, files)).map_err(|e| Failure::Permanent(e.to_string()))?;
        let metadata = metadata(case, &schema_uri, &data, &attachment_id, &pdf, &evidence).to_string();
        let encrypted_data = key
            .encrypt(data.as_bytes(), Some("application/json"))
            .map_err(Failure::Retry)?;
        let encrypted_metadata = key
            .encrypt(metadata.as_bytes(), Some("application/json"))
            .map_err(Failure::Retry)?;
        // Recorded before sending: should this attempt end before the answer is recorded, the next
        // asks the event log whether the submission arrived, and knows the tags its answer repeats.
        progress.tags = Some(Tags {
            metadata: jose::authentication_tag(&encrypted_metadata).to_owned(),
            data: jose::authentication_tag(&encrypted_data).to_owned(),
            attachments: tags,
        });
        self.save(&progress).await?;
        self.send(
            self.http
                .put(format!("{api}/v2/submissions/{submission_id}"))
                .json(&json!({
                    "encryptedMetadata": encrypted_metadata,
                    "encryptedData": encrypted_data,
                })),
        )
        .await?;
        progress.sent_at = Some(Utc::now());
        Ok(Step::Awaiting(progress))
    }

    /// Records how far the delivery got (and keeps the job for another lease).
    async fn save(&self, progress: &Progress) -> Result<(), Failure> {
        let progress = serde_json::to_value(progress).map_err(|e| Failure::Retry(e.to_string()))?;
        self.hold.save(&progress).await
    }

    /// Whether the submission of `progress` was sent: the delivery service's `submit-submission`
    /// event about it is in the case's event log, signed with a key the delivery service publishes
    /// (`{submission API}/.well-known/jwks.json`).
    async fn was_submitted(&self, progress: &Progress) -> Result<bool, Failure> {
        let (Some(submission_id), Some(case_id)) = (&progress.submission_id, &progress.case_id) else {
            return Ok(false);
        };
        let api = self.settings.submission_api.trim_end_matches('/');
        let log = self.get(&format!("{api}/v2/cases/{case_id}/events")).await?;
        let jwks = self.get(&format!("{api}/.well-known/jwks.json")).await?;
        let keys = jwks.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
        let subject = format!("submission:{submission_id}");
        let submitted = log
            .get("eventLog")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(|set| {
                let kid = jose::signing_kid(set)?;
                let jwk = keys
                    .iter()
                    .find(|k| k.get("kid").and_then(Value::as_str) == Some(&kid))?;
                jose::verified_claims(set, jwk)
            })
            .any(|claims| {
                claims.get("sub").and_then(Value::as_str) == Some(subject.as_str())
                    && claims
                        .get("events")
                        .and_then(Value::as_object)
                        .is_some_and(|events| events.contains_key(&format!("{EVENTS}submit-submission")))
            });
        Ok(submitted)
    }

    /// Reads the case's event log for the authority's answer to the submission that was sent.
    async fn answer(&self, progress: Progress, sent_at: DateTime<Utc>) -> Result<Step, Failure> {
        let api = self.settings.submission_api.trim_end_matches('/');
        let destination_id = &self.settings.destination_id;
        let (Some(submission_id), Some(case_id), Some(tags)) =
            (&progress.submission_id, &progress.case_id, &progress.tags)
        else {
            return Err(Failure::Permanent("the FIT-Connect progress is incomplete".into()));
        };
        let log = self.get(&format!("{api}/v2/cases/{case_id}/events")).await?;
        let mut keys: HashMap<String, Option<Value>> = HashMap::new();
        for set in log.get("eventLog").and_then(Value::as_array).into_iter().flatten() {
            let Some(set) = set.as_str() else { continue };
            // Only the Zustellpunkt's own events answer; the delivery service's are signed by keys
            // the destination does not publish and say nothing about acceptance.
            let Some(kid) = jose::signing_kid(set) else { continue };
            if !keys.contains_key(&kid) {
                let url = format!("{api}/v2/destinations/{destination_id}/keys/{kid}");
                keys.insert(kid.clone(), self.get(&url).await.ok());
            }
            let Some(claims) = keys[&kid].as_ref().and_then(|jwk| jose::verified_claims(set, jwk)) else {
                continue;
            };
            if claims.get("iss").and_then(Value::as_str) != Some(destination_id)
                || claims.get("sub").and_then(Value::as_str) != Some(&format!("submission:{submission_id}"))
            {
                continue;
            }
            let events = claims.get("events").and_then(Value::as_object);
            for (name, event) in events.into_iter().flatten() {
                match name.strip_prefix(EVENTS) {
                    Some("accept-submission") => {
                        let echoed: Option<Tags> = event
                            .get("authenticationTags")
                            .and_then(|t| serde_json::from_value(t.clone()).ok());
                        if echoed.as_ref() != Some(tags) {
                            return Err(Failure::Permanent(
                                "FIT-Connect: the authority accepted content other than what was sent".into(),
                            ));
                        }
                        return Ok(Step::Accepted);
                    }
                    Some("reject-submission") => {
                        let problems = event.get("problems").map(Value::to_string).unwrap_or_default();
                        return Err(Failure::Permanent(format!(
                            "FIT-Connect: rejected by the authority {problems}"
                        )));
                    }
                    _ => {}
                }
            }
        }
        if Utc::now() - sent_at > LONGEST_WAIT {
            return Err(Failure::Permanent(
                "FIT-Connect: no answer from the authority in 15 days".into(),
            ));
        }
        Ok(Step::Awaiting(progress))
    }

    /// The client's access token: the kept one, or a new one.
    async fn token(&self) -> Result<String, Failure> {
        let client = self.client();
        if let Ok(tokens) = self.tokens.by_client.lock()
            && let Some((token, until)) = tokens.get(&client)
            && *until > Instant::now()
        {
            return Ok(token.clone());
        }
        self.hold.renew().await?;
        // FIT-Connect wants the credentials in the form (Basic gives invalid_client) and no scope.
        let answer = self
            .http
            .post(&self.settings.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.settings.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
            ])
            .send()
            .await
            .map_err(|e| {
                Failure::Retry(format!(
                    "FIT-Connect token {}: {}",
                    host(&self.settings.token_url),
                    describe(&e)
                ))
            })?;
        let status = answer.status();
        if !status.is_success() {
            // The answer is not logged: it may echo the secret.
            let reason = format!("FIT-Connect token {} answered {status}", host(&self.settings.token_url));
            return Err(failure_for(status, reason));
        }
        let body = answer_json(answer)
            .await
            .ok_or_else(|| Failure::Retry("FIT-Connect token answer is not JSON".into()))?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::Retry("FIT-Connect token answer without access_token".into()))?
            .to_owned();
        let lifetime = body.get("expires_in").and_then(Value::as_u64).unwrap_or(300).min(1800);
        let until = Instant::now() + Duration::from_secs(lifetime.saturating_sub(60));
        if let Ok(mut tokens) = self.tokens.by_client.lock() {
            tokens.insert(client, (token.clone(), until));
        }
        Ok(token)
    }

    fn client(&self) -> (String, String) {
        (self.settings.token_url.clone(), self.settings.client_id.clone())
    }

    /// Drops the kept token: the Submission API no longer takes it.
    fn forget_token(&self) {
        if let Ok(mut tokens) = self.tokens.by_client.lock() {
            tokens.remove(&self.client());
        }
    }

    async fn get(&self, url: &str) -> Result<Value, Failure> {
        self.send(self.http.get(url)).await
    }

    /// Sends with the access token; the JSON answer (`null` for none). A kept token that is refused
    /// (revoked, or expired early) is dropped and the request made once more with a new one.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, Failure> {
        let api = host(&self.settings.submission_api);
        let again = request.try_clone();
        let mut response = self.send_once(request).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED
            && let Some(again) = again
        {
            self.forget_token();
            response = self.send_once(again).await?;
        }
        let status = response.status();
        let path = response.url().path().to_owned();
        if !status.is_success() {
            return Err(failure_for(
                status,
                format!("FIT-Connect {api} answered {status} to {path}"),
            ));
        }
        let bytes = answer_body(response)
            .await
            .ok_or_else(|| Failure::Retry(format!("FIT-Connect {api} answered {path} with more than can be read")))?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            Failure::Retry(format!(
                "FIT-Connect {api} answered {path} with something other than JSON"
            ))
        })
    }

    async fn send_once(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, Failure> {
        let token = self.token().await?;
        self.hold.renew().await?;
        request.bearer_auth(token).send().await.map_err(|e| {
            Failure::Retry(format!(
                "FIT-Connect {}: {}",
                host(&self.settings.submission_api),
                describe(&e)
            ))
        })
    }
}

/// Metadata after schema 2.1.0: hashes (SHA-512 of the plaintexts), the receipt as the form's
/// representation, the citizen's e-mail as reply channel when there is one, and the portal as author.
fn metadata(
    case: &CaseToDeliver,
    schema_uri: &str,
    data: &str,
    attachment_id: &str,
    pdf: &[u8],
    evidence: &[(&str, &CaseFile)],
) -> Value {
    let sha512 = |bytes: &[u8]| json!({"type": "sha512", "content": hex::encode(Sha512::digest(bytes))});
    let files = evidence.iter().map(|(id, file)| {
        json!({
            "attachmentId": id,
            "hash": sha512(&file.content),
            "purpose": "attachment",
            "mimeType": file.mime(),
            "filename": file.row.name,
        })
    });
    let mut metadata = json!({
        "$schema": METADATA_SCHEMA,
        "contentStructure": {
            "data": {
                "hash": sha512(data.as_bytes()),
                "submissionSchema": {"schemaUri": schema_uri, "mimeType": "application/json"},
            },
            "attachments": std::iter::once(json!({
                "attachmentId": attachment_id,
                "hash": sha512(pdf),
                "purpose": "form",
                "mimeType": "application/pdf",
                "filename": format!("Antrag-{}.pdf", case.reference),
                "description": "Empfangsbestätigung mit allen Angaben",
            })).chain(files).collect::<Vec<_>>(),
        },
        "additionalReferenceInfo": {
            "senderReference": case.reference,
            "applicationDate": case.submitted_at.format("%Y-%m-%d").to_string(),
        },
        "author": {
            "name": "Bürgerportal",
            "product": {"name": "buergerportal", "version": env!("CARGO_PKG_VERSION"), "manufacturer": "Bürgerportal"},
        },
    });
    if let Some(email) = &case.email {
        metadata["replyChannel"] = json!({"eMail": {"address": email}});
    }
    if let Some(paid) = &case.paid {
        metadata["paymentInformation"] = payment_information(paid);
    }
    metadata
}

/// The fee paid online, as metadata 2.1.0's `paymentInformation`: a paid payment is `BOOKED`; a
/// method the schema does not name is `OTHER`, with the provider's word as its detail.
fn payment_information(paid: &PaidFee) -> Value {
    let method = paid.method.as_deref().unwrap_or_default();
    let known = ["GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "INVOICE"].contains(&method);
    let transaction_id = paid.transaction_id.as_deref().unwrap_or_default();
    let mut information = json!({
        "transactionReference": paid.reference.as_deref().unwrap_or(transaction_id),
        "transactionId": transaction_id,
        "paymentMethod": if known { method } else { "OTHER" },
        "status": "BOOKED",
        "grossAmount": serde_json::to_value(Euros(Money::from_cents(paid.amount_cents))).unwrap_or_default(),
    });
    if !known && !method.is_empty() {
        information["paymentMethodDetail"] = method.into();
    }
    if let Some(at) = paid.paid_at {
        information["transactionTimestamp"] = at.to_rfc3339().into();
    }
    information
}

/// Whether a callback of the delivery service is genuine: `callback-authentication` is the hex
/// HMAC-SHA512 with the callback secret over `<callback-timestamp>.<body>`, and the timestamp (Unix
/// seconds) is at most five minutes old. Compared in constant time.
pub fn callback_is_authentic(
    secret: &str,
    timestamp: &str,
    authentication: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> bool {
    use hmac::{Hmac, KeyInit, Mac};
    let Ok(sent) = timestamp.parse::<i64>() else {
        return false;
    };
    if (now.timestamp() - sent).abs() > 300 {
        return false;
    }
    let (Ok(mut mac), Ok(expected)) = (
        <Hmac<Sha512> as KeyInit>::new_from_slice(secret.as_bytes()),
        hex::decode(authentication),
    ) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_fee_is_booked_payment_information_with_the_schemas_words() {
        let paid = PaidFee {
            amount_cents: 3070,
            transaction_id: Some("t-1".into()),
            reference: None,
            method: Some("SEPA_DIRECT_DEBIT".into()),
            paid_at: None,
        };
        let information = payment_information(&paid);
        assert_eq!(information["status"], "BOOKED");
        assert_eq!(information["grossAmount"], 30.7);
        assert_eq!(
            information["transactionReference"], "t-1",
            "the transaction when there is no reference"
        );
        assert_eq!(information["paymentMethod"], "OTHER");
        assert_eq!(information["paymentMethodDetail"], "SEPA_DIRECT_DEBIT");
        let card = payment_information(&PaidFee {
            method: Some("CREDITCARD".into()),
            reference: Some("KZ-17".into()),
            ..paid
        });
        assert_eq!(card["paymentMethod"], "CREDITCARD");
        assert_eq!(card["transactionReference"], "KZ-17");
        assert!(card.get("paymentMethodDetail").is_none());
    }

    #[test]
    fn callbacks_need_the_secret_and_a_fresh_timestamp() {
        // Computed independently: Python's hmac.new(b"geheim", b"1764583200.{}", "sha512").
        let mac = "538304a128b235dbc8b2c04ca6c3522dcbbb6056201ed462b7a1938df776ac104a2406353ed4ad9393365a3e4f46ee960fcef9fd0aba56fbfbbc68e598fa7495";
        let sent = DateTime::from_timestamp(1_764_583_200, 0).unwrap_or_default();
        let authentic = |secret, body: &[u8], now| callback_is_authentic(secret, "1764583200", mac, body, now);
        assert!(authentic("geheim", b"{}", sent + chrono::Duration::minutes(4)));
        assert!(!authentic("anders", b"{}", sent), "another secret");
        assert!(!authentic("geheim", b"{ }", sent), "another body");
        assert!(
            !authentic("geheim", b"{}", sent + chrono::Duration::minutes(6)),
            "too old"
        );
        assert!(!callback_is_authentic("geheim", "x", mac, b"{}", sent));
    }
}
