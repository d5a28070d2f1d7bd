//! What every form page shares: fields with their error, the error summary, and answering with a status.

use actix_web::HttpResponse;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use askama::Template;
use futures_util::{Stream, StreamExt};

use crate::error::AppError;
use crate::i18n::Lang;

/// A form that carries nothing but its CSRF token (logout, "Angemeldet bleiben", delete a draft).
/// A missing token reads as empty, so it is refused like a wrong one.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    pub csrf_token: String,
}

/// One input, as the `fields::input` macro renders it.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub value: String,
    pub error: Option<&'static str>,
    /// The `type` attribute: text, email, password.
    pub kind: &'static str,
    pub autocomplete: &'static str,
}

impl Field {
    pub fn new(
        lang: Lang,
        name: &'static str,
        label_key: &'static str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Self {
            name,
            label: lang.t(label_key),
            hint: None,
            value: String::new(),
            error: None,
            kind,
            autocomplete,
        }
    }

    pub fn hint(mut self, lang: Lang, key: &'static str) -> Self {
        self.hint = Some(lang.t(key));
        self
    }

    pub fn value(mut self, value: &str) -> Self {
        self.value = value
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_ECHOED_CHARS)
            .collect();
        self
    }

    pub fn error(mut self, lang: Lang, key: Option<&'static str>) -> Self {
        self.error = key.map(|k| lang.t(k));
        self
    }

    /// Ids of the hint and error that describe the input.
    pub fn described_by(&self) -> String {
        let hint = self.hint.map(|_| format!("{}-hinweis", self.name));
        let error = self.error.map(|_| format!("{}-fehler", self.name));
        [hint, error].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}

const MAX_ECHOED_CHARS: usize = 300;

/// The most a posted form may hold (without its files): long answers in several fields (a
/// 2,000-character emoji text is 24 KB posted), and the portal's hidden fields.
pub const FORM_BODY_LIMIT: usize = 256 * 1024;

/// The error summary at the top of a form: each entry links to its field.
pub fn summary(fields: &[&Field]) -> Vec<(&'static str, &'static str)> {
    fields.iter().filter_map(|f| f.error.map(|e| (f.name, e))).collect()
}

/// Renders a page with a status other than 200, e.g. 422 for a form with errors.
pub fn respond(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// A local path to return to after login; anything else (other hosts, `//`, `\`) goes to the account.
pub fn safe_return_path(requested: Option<&str>) -> String {
    match requested {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/konto".to_owned(),
    }
}

/// A redirect. Control characters (from a tampered path, say) are percent-encoded: a header cannot
/// carry them, and the page they lead to answers "not found" instead of the server failing.
pub fn see_other(location: &str) -> HttpResponse {
    let location: String = if location.contains(|c: char| c.is_ascii_control()) {
        location
            .chars()
            .map(|c| match c {
                c if c.is_ascii_control() => format!("%{:02X}", u32::from(c)),
                c => c.to_string(),
            })
            .collect()
    } else {
        location.to_owned()
    };
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// The request's body as it arrives, ending in `PayloadError::Overflow` once it is longer than
/// `limit` bytes: a streamed body (multipart) is cut off there, not read to its end.
pub fn limited(payload: web::Payload, limit: u64) -> impl Stream<Item = Result<Bytes, PayloadError>> {
    let mut read: u64 = 0;
    payload.map(move |chunk| {
        if let Ok(bytes) = &chunk {
            read += bytes.len() as u64;
            if read > limit {
                return Err(PayloadError::Overflow);
            }
        }
        chunk
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_path(Some("/leistungen/x?a=1")), "/leistungen/x?a=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/konto", "{bad}");
        }
        assert_eq!(safe_return_path(None), "/konto");
    }

    #[test]
    fn redirects_encode_control_characters() {
        let response = see_other("/a/schritt/x\ny\u{7f}");
        assert_eq!(response.status(), actix_web::http::StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers().get("location").and_then(|l| l.to_str().ok()),
            Some("/a/schritt/x%0Ay%7F")
        );
    }
}
