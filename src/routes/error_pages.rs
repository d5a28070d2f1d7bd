//! Error pages in the layout, for every 4xx and 5xx that a handler did not render itself.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpMessage, Result};
use askama::Template;
use tracing_actix_web::RequestId;

use super::Layout;
use crate::tenancy::Site;

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    layout: Layout,
    title_key: &'static str,
    text_key: &'static str,
    request_id: String,
}

pub fn render<B>(res: ServiceResponse<B>) -> Result<ErrorHandlerResponse<B>> {
    // Pages that made their own error page, and answers to programs (JSON, problem+json), stay.
    let made_for_purpose = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json") || v.contains("+json"));
    if made_for_purpose {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (title_key, text_key) = keys(status);
    let req = res.request();
    let site = Site::resolve(req).unwrap_or(Site {
        tenant: None,
        base: String::new(),
    });
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    if status.is_client_error() {
        tracing::info!(%status, path = req.path(), "client error");
    }
    let page = ErrorPage {
        layout: Layout::new(req, site),
        title_key,
        text_key,
        request_id,
    };
    let html = page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering the error page failed");
        String::from("<!doctype html><title>Fehler</title><p>Es ist ein Fehler aufgetreten.</p>")
    });
    let (req, mut res) = res.into_parts();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    let res = res.set_body(html).map_into_boxed_body();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, res).map_into_right_body(),
    ))
}

fn keys(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        403 => ("error-403-title", "error-403-text"),
        413 => ("error-413-title", "error-413-text"),
        404 | 405 => ("error-404-title", "error-404-text"),
        503 => ("error-503-title", "error-503-text"),
        s if s >= 500 => ("error-500-title", "error-500-text"),
        _ => ("error-400-title", "error-400-text"),
    }
}
