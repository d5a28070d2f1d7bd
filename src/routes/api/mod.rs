//! The backend API (`/api/v1`, DESIGN §3): the authority's processing backend reads its tenant's
//! cases with a bearer token. Every answer is JSON; every error is problem+json (RFC 9457).

mod cases;
mod idempotent;
mod messages;
mod openapi;
mod problem;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, Next, from_fn};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

pub use problem::ApiError;

use crate::db::{Db, api_tokens};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()))
            .app_data(web::PathConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()))
            .wrap(from_fn(refuse_nul))
            .wrap(ErrorHandlers::new().default_handler(problem::for_status))
            .wrap(DefaultHeaders::new().add(("Cache-Control", "no-store")))
            // Resources, not `.route()`: a scope's route makes its method a guard of the path, so
            // another method would be answered 404 instead of 405 with `Allow`.
            .service(web::resource("/openapi.json").get(openapi::document))
            .service(web::resource("/cases").get(cases::list))
            .service(web::resource("/cases/{reference}").get(cases::show))
            .service(
                web::resource("/cases/{reference}/status")
                    .app_data(web::PayloadConfig::new(cases::STATUS_BODY_LIMIT))
                    .post(cases::set_status),
            )
            .service(
                web::resource("/cases/{reference}/messages")
                    .get(messages::thread)
                    .post(messages::send),
            )
            .service(web::resource("/cases/{reference}/attachments/{file}").get(cases::attachment))
            .default_service(web::to(not_found)),
    );
}

/// No reference, id or filter holds U+0000, and PostgreSQL could not even compare with it: an
/// address with `%00` is refused with 400 before any query.
async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let nul = req.uri().path_and_query().is_some_and(|address| {
        address
            .as_str()
            .as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    });
    if nul {
        return Err(ApiError::BadRequest("the address must not contain %00".into()).into());
    }
    next.call(req).await
}

/// The backend calling: the tenant whose token it presented. A missing, unknown or revoked token
/// is refused with 401 before anything is read.
pub struct Backend {
    pub tenant_id: String,
}

impl FromRequest for Backend {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let db = req.app_data::<web::Data<Db>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        Box::pin(async move {
            let db = db.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("database missing")))?;
            let token = token.ok_or(ApiError::Unauthorized)?;
            let tenant_id = api_tokens::tenant_of(&db, &token)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            Ok(Self { tenant_id })
        })
    }
}

/// The request's JSON body as `T`; 400 saying what is wrong with it. Deep nesting costs no stack:
/// serde_json refuses more than 128 levels, and skips what it ignores without recursion.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not the JSON this request takes: {e}")))
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 9110 §11.1).
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
