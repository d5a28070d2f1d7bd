//! Values in query strings, such as the page to return to after logging in (`?weiter=…`).

/// Percent-encodes a value for a query string (RFC 3986 unreserved characters stay).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
