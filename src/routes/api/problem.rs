//! Errors of the backend API as problem details (RFC 9457): `application/problem+json` with the
//! status, its title and, where it helps the backend's developer, what was wrong.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or one that is unknown or revoked.
    #[error("unauthorized")]
    Unauthorized,
    /// Not there, or not the tenant's: the two are not told apart.
    #[error("not found")]
    NotFound,
    /// A body larger than the request may be.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A request this API does not take; says why.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A well-formed request the API cannot carry out (a status outside the vocabulary, an
    /// Idempotency-Key used before for another request); says why.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// Another request got in the way; sending this one again will do.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Something the API needs is down (the malware scanner, the file store); says what to do.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(e) => crate::error::database_status(e),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The cause is for the log; the backend sees the status.
            tracing::error!(error = %crate::error::LoggedCause(self), "API request failed");
        }
        let detail = match self {
            Self::Unauthorized => Some("Send a valid token of your tenant: Authorization: Bearer <token>."),
            Self::BadRequest(reason)
            | Self::Unprocessable(reason)
            | Self::Conflict(reason)
            | Self::Unavailable(reason) => Some(reason.as_str()),
            _ => None,
        };
        let mut response = problem(status, detail);
        if let Self::Unauthorized = self {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"buergerportal\""),
            );
        }
        response
    }
}

/// A problem detail (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem<'a> {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The status's reason phrase.
    title: &'static str,
    status: u16,
    /// What was wrong, for the backend's developer.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

/// A problem answer of this status.
fn problem(status: StatusCode, detail: Option<&str>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
        })
}

/// Error answers the API's handlers did not make themselves (405, a limit of actix-web) as problems,
/// with their headers (`Allow` of a 405).
pub fn for_status<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, res) = res.into_parts();
    let mut answer = problem(status, None);
    for (name, value) in res.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, answer).map_into_right_body(),
    ))
}
