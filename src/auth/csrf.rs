//! Cross-site request forgery: every form carries a token — the session's (synchronizer token, see
//! `session`) once logged in, before that one that needs no stored state ([`FormTokens`]) — and
//! state-changing requests from another site are refused by their `Origin` or `Sec-Fetch-Site` header.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::session::Personal;
use super::token;
use crate::error::AppError;

/// Answers 403 (as a response, so the error page is rendered around it) to a cross-site write.
pub async fn refuse_cross_site<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) && is_cross_site(&req) {
        tracing::info!(path = req.path(), "cross-site request refused");
        return Ok(req
            .into_response(HttpResponse::Forbidden().finish())
            .map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

fn is_cross_site(req: &ServiceRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = header("origin") {
        let host = req.connection_info().host().to_ascii_lowercase();
        let origin_host = origin
            .split_once("://")
            .map_or("", |(_, rest)| rest)
            .to_ascii_lowercase();
        return origin == "null" || origin_host != host;
    }
    header("sec-fetch-site").is_some_and(|site| site == "cross-site")
}

/// CSRF tokens for the forms shown to visitors without a session (login, registration, reset,
/// resend): an HMAC over a random value in a cookie of their own, keyed by the portal's secret key,
/// so showing such a form stores nothing and every node checks the token alike.
#[derive(Clone)]
pub struct FormTokens {
    /// Keyed with the secret key, cloned for each token.
    mac: Hmac<Sha256>,
    secure: bool,
}

/// The form cookie a response must set: the handler issued a token for a browser that had none.
#[derive(Debug, Clone)]
pub struct NewFormCookie(String);

impl FormTokens {
    pub fn new(secret_key: &str, secure: bool) -> anyhow::Result<Self> {
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret_key.as_bytes())
            .map_err(|e| anyhow::anyhow!("the secret key cannot key an HMAC: {e}"))?;
        Ok(Self { mac, secure })
    }

    /// `__Host-` binds the cookie to this host and path `/`, but browsers accept it only over https.
    fn cookie_name(&self) -> &'static str {
        if self.secure { "__Host-bp_form" } else { "bp_form" }
    }

    pub fn cookie(&self, value: &str) -> Cookie<'static> {
        Cookie::build(self.cookie_name(), value.to_owned())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish()
    }

    /// The token for this browser's form: from its form cookie, or from a new one the response sets.
    pub fn issue(&self, req: &HttpRequest) -> String {
        req.extensions_mut().insert(Personal);
        let value = match req.cookie(self.cookie_name()) {
            Some(cookie) if cookie.value().len() == token::random_token().len() => cookie.value().to_owned(),
            _ => {
                let value = token::random_token();
                req.extensions_mut().insert(NewFormCookie(value.clone()));
                value
            }
        };
        self.token_for(&value)
    }

    /// A posted token must be the one for the browser's form cookie.
    pub fn check(&self, req: &HttpRequest, submitted: &str) -> Result<(), AppError> {
        let cookie = req.cookie(self.cookie_name()).ok_or(AppError::Forbidden)?;
        if token::equal_in_constant_time(&self.token_for(cookie.value()), submitted) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    fn token_for(&self, cookie_value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"form-token:");
        mac.update(cookie_value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Sets the form cookie when a handler issued a token for a browser without one.
pub fn set_form_cookie<B>(res: &mut ServiceResponse<B>) -> Result<(), actix_web::Error> {
    let new = res.request().extensions().get::<NewFormCookie>().cloned();
    if let Some(NewFormCookie(value)) = new
        && let Some(tokens) = res.request().app_data::<web::Data<FormTokens>>()
    {
        let cookie = tokens.cookie(&value);
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_fits_only_its_cookie_and_its_key() {
        let tokens = FormTokens::new("ein geheimer Schlüssel, lang genug für HMAC", false).unwrap();
        let (a, b) = (token::random_token(), token::random_token());
        assert_eq!(tokens.token_for(&a), tokens.token_for(&a));
        assert_ne!(tokens.token_for(&a), tokens.token_for(&b));
        let other_key = FormTokens::new("ein anderer Schlüssel eines anderen Portals", false).unwrap();
        assert_ne!(tokens.token_for(&a), other_key.token_for(&a));
    }
}
