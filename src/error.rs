//! One error type for handlers. It maps to a status; the page is rendered by `routes::error_pages`,
//! and internal causes are logged with the request id, never shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// A form body that no page of the portal sends.
    #[error("bad request")]
    BadRequest,
    /// More fields than the form has.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A forged or expired form, or a cross-site request.
    #[error("forbidden")]
    Forbidden,
    /// The page needs a logged-in citizen; carries where to return after login.
    #[error("login required")]
    LoginRequired(String),
    /// The page needs a login with a higher trust level; carries the page that offers one.
    #[error("higher trust level required")]
    StepUpRequired(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("template error")]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::LoginRequired(_) | Self::StepUpRequired(_) => StatusCode::SEE_OTHER,
            Self::Database(e) => database_status(e),
            Self::Template(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let location = match self {
            Self::LoginRequired(return_to) => Some(format!(
                "/anmelden?weiter={}",
                crate::query::encode_query_value(return_to)
            )),
            Self::StepUpRequired(page) => Some(page.clone()),
            _ => None,
        };
        if let Some(location) = location {
            return HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, location))
                .finish();
        }
        if self.status_code().is_server_error() {
            tracing::error!(error = %LoggedCause(self), "request failed");
        }
        HttpResponse::build(self.status_code()).finish()
    }
}

/// 503 when the database is unreachable (a temporary outage, not a fault of the request), else 500.
pub fn database_status(e: &sqlx::Error) -> StatusCode {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Carries the cause chain into the log line.
#[derive(Debug)]
pub struct LoggedCause<'a>(pub &'a dyn std::error::Error);

impl std::fmt::Display for LoggedCause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl std::error::Error for LoggedCause<'_> {}
