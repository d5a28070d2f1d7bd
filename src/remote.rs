//! What the portal's calls to other systems (processing backends, payment providers) share: what
//! of a URL and of a failed call may be logged, and an answer read only up to a limit.

/// The most of an answer that is read: receipts and transactions are small, and an answer that
/// is not must not fill the portal's memory.
pub const LONGEST_ANSWER: usize = 1 << 20;

/// Host and port only: URLs can carry tokens in their path or query.
pub fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
        })
        .unwrap_or_else(|| "?".into())
}

/// The body of an answer, if it is no longer than [`LONGEST_ANSWER`] (and arrives whole).
pub async fn answer_body(mut response: reqwest::Response) -> Option<Vec<u8>> {
    if response.content_length().is_some_and(|n| n > LONGEST_ANSWER as u64) {
        return None;
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > LONGEST_ANSWER {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// What went wrong with a call, without the URL (it may hold ids or tokens) or anything answered.
pub fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    }
}

/// Whether an answer other than a success may pass: 408, 425, 429 and 5xx (the other side is busy,
/// early or down), so the call is worth making again later; anything else will answer the same.
pub fn may_pass(status: reqwest::StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429 | 500..=599)
}
