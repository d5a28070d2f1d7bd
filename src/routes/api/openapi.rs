//! The backend API's OpenAPI 3 document, `/api/v1/openapi.json`: made from the handlers'
//! annotations and the types their answers are serialized from, so it says what is sent.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use super::{cases, messages};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bürgerportal backend API",
        version = "1",
        description = "The authority's processing backend reads its tenant's cases, sets their status \
            and sends messages and decisions into the citizen's Postfach. Every error is \
            application/problem+json (RFC 9457).",
    ),
    servers((url = "/api/v1")),
    paths(
        cases::list,
        cases::show,
        cases::attachment,
        cases::set_status,
        messages::send,
        messages::thread,
    ),
    modifiers(&BearerToken),
    security(("bearer" = [])),
    tags(
        (name = "cases", description = "The tenant's cases and where they stand"),
        (name = "messages", description = "Messages and decisions to the citizen, and the replies"),
    ),
)]
struct ApiDoc;

/// Every operation takes a tenant's token.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A token of the tenant, made with `buergerportal api-token create`",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The header every write takes.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes a header, which idempotent::Request reads")]
pub struct IdempotencyKey {
    /// 1 to 255 visible ASCII characters, e.g. a UUID. A repeat of the request gets the first
    /// answer (with `Idempotent-Replayed: true`); the key with another request gets 422.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    idempotency_key: String,
}

/// `GET /api/v1/openapi.json`: the document; it holds no tenant's data, so it needs no token.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
