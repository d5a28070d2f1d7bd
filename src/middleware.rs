//! Response headers every page gets: security headers, the request id, the remembered language, and the
//! session cookie when a handler started or ended a session, the form cookie when it issued a form token.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CACHE_CONTROL;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpMessage, web};
use tracing_actix_web::RequestId;

use crate::auth::csrf::set_form_cookie;
use crate::auth::session::{CookieChange, Personal, Sessions};
use crate::i18n::{LANG_COOKIE, Lang};

/// Strict CSP without inline script or style, no framing, no sniffing; HSTS when served over https.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"));
    if https {
        headers.add(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    } else {
        headers
    }
}

/// Adds `X-Request-Id`; remembers a language asked for with `?lang=`; sets or clears the session cookie.
/// Responses that read a session are personal: `Cache-Control: no-store`.
pub async fn response_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let requested = Lang::requested(req.request());
    let secure = req.connection_info().scheme() == "https";
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    let cookie_change = res.request().extensions().get::<CookieChange>().cloned();
    if let Some(change) = cookie_change
        && let Some(sessions) = res.request().app_data::<web::Data<Sessions>>()
    {
        let cookie = sessions.cookie(&change);
        res.response_mut().add_cookie(&cookie)?;
    }
    set_form_cookie(&mut res)?;
    if res.request().extensions().get::<Personal>().is_some() {
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    if let Some(lang) = requested {
        let cookie = Cookie::build(LANG_COOKIE, lang.code())
            .path("/")
            .max_age(Duration::days(365))
            .same_site(SameSite::Lax)
            .http_only(true)
            .secure(secure)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}
