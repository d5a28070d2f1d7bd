//! Cross-site request forgery: besides the synchronizer token in every form (see `session`), state-changing
//! requests from another site are refused by their `Origin` or `Sec-Fetch-Site` header.

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

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
