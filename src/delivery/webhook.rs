//! Webhook: the case as JSON, POSTed to the backend and signed like the common payment webhooks. The
//! evidence files are in `attachments`, each with its content in base64.
//!
//! Headers: `Idempotency-Key` (the case id, the same on every attempt), `X-Buergerportal-Timestamp`
//! (Unix seconds) and `X-Buergerportal-Signature: sha256=<hex>`, an HMAC-SHA256 with the shared secret
//! over `<timestamp>.<body>`. A 2xx answer means accepted; a JSON body `{"reference": "…"}` gives the
//! backend's own reference. 408, 425, 429 and 5xx are tried again; other answers (a redirect, 4xx)
//! need an operator.

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::document::{CaseDocument, FileEntry};
use super::{CaseFile, Failure, answer_json, describe, failure_for, host};
use crate::db::outbox::CaseToDeliver;

pub async fn send(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    case: &CaseToDeliver,
    files: &[CaseFile],
) -> Result<Option<String>, Failure> {
    let attachments = files
        .iter()
        .map(|f| FileEntry {
            content_base64: Some(BASE64_STANDARD.encode(&f.content)),
            ..FileEntry::of(&f.row)
        })
        .collect();
    let body =
        serde_json::to_string(&CaseDocument::of(case, attachments)).map_err(|e| Failure::Permanent(e.to_string()))?;
    let timestamp = Utc::now().timestamp().to_string();
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", &case.id)
        .header("x-buergerportal-timestamp", &timestamp)
        .header("x-buergerportal-signature", signature(secret, &timestamp, &body)?)
        .body(body)
        .send()
        .await
        .map_err(|e| Failure::Retry(format!("webhook {}: {}", host(url), describe(&e))))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failure_for(status, format!("webhook {} answered {status}", host(url))));
    }
    // The reference is optional; an answer that is not JSON, or too long to read, still means accepted.
    let answer = answer_json(response).await.unwrap_or_default();
    Ok(answer
        .get("reference")
        .and_then(|r| r.as_str())
        .map(|r| r.chars().filter(|c| !c.is_control()).take(100).collect()))
}

/// `sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> Result<String, Failure> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .map_err(|_| Failure::Permanent("the webhook secret cannot key an HMAC".into()))?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed independently: Python's hmac.new(b"geheim", b"1700000000.{}", "sha256").
        assert_eq!(
            signature("geheim", "1700000000", "{}"),
            Ok("sha256=75e8aa01e776401a6bfda6664664c1271ca25506052e3b8c43308bdf92f3c8d5".to_owned())
        );
    }
}
