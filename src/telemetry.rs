//! Logging with `tracing`: text for people, JSON for collectors. Every request line carries its id
//! and path, never its query string.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::error::AppError;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    // A second init (tests start several apps in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The span every request's log lines carry. Unlike tracing-actix-web's default it names the path
/// without its query string, which can hold secrets (an OpenID Connect code, a parked step's token),
/// and no IP address or browser (personal data the logs do not need).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_default(),
            http.target = %request.path(),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        )
    }

    /// Records the status; a server error the handlers did not log themselves (they log theirs
    /// with its cause, see `AppError`) is logged here. Redirects to the login page and client errors
    /// are not failures worth a log line.
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        let failure = match outcome {
            Ok(response) => response
                .response()
                .error()
                .filter(|_| response.status().is_server_error()),
            Err(error) => Some(error).filter(|e| e.as_response_error().status_code().is_server_error()),
        };
        if let Some(error) = failure.filter(|e| e.as_error::<AppError>().is_none()) {
            span.in_scope(|| tracing::error!(error = %error, "request failed"));
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn request_lines_name_the_path_but_not_the_query() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let sink = written.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || WriteTo(sink.clone()))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let request = TestRequest::get()
                .uri("/anmelden/bundid/callback?code=geheim&state=auch")
                .peer_addr("203.0.113.7:4000".parse().unwrap())
                .to_srv_request();
            RequestSpan::on_request_start(&request).in_scope(|| tracing::warn!("something"));
        });
        let line = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert!(line.contains("/anmelden/bundid/callback"), "{line}");
        for secret in ["geheim", "auch", "203.0.113.7"] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
    }

    struct WriteTo(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for WriteTo {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
