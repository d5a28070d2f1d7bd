//! Writes of the backend API happen once per `Idempotency-Key`: the write and its answer are kept in
//! one transaction; a repeat of the request gets the first answer (`Idempotent-Replayed: true`) and
//! changes nothing; the same key with another request is refused with 422. Answers are kept
//! [`api_answers::KEEP`]; only successful ones are kept (a refused write changed nothing).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{ApiError, Backend};
use crate::db::api_answers::{self, Answer};
use crate::db::{Db, Tx};

/// What a write answers when it succeeds: its status and JSON body.
pub struct Written {
    status: StatusCode,
    body: String,
}

impl Written {
    pub fn new(status: StatusCode, body: &impl serde::Serialize) -> Result<Self, ApiError> {
        let body = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Self { status, body })
    }
}

/// A write request: its Idempotency-Key and the hash of what it asks (method, path and body, fed
/// in as it is read), which tells a repeat from another request with the same key.
pub struct Request {
    key: String,
    hash: Sha256,
}

/// What a write request was answered.
pub struct Answered {
    pub response: HttpResponse,
    /// The first answer, given again: this request wrote nothing.
    pub replayed: bool,
}

impl Request {
    /// The request's key: 1 to 255 visible ASCII characters, or 400.
    pub fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let key = req
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::BadRequest(
                "every write needs an Idempotency-Key header of 1 to 255 visible ASCII characters, e.g. a UUID".into(),
            ));
        }
        let mut hash = Sha256::new();
        for part in [req.method().as_str(), " ", req.path(), "\n"] {
            hash.update(part);
        }
        Ok(Self {
            key: key.to_owned(),
            hash,
        })
    }

    /// Adds a piece of what the request asks to its hash (with its length, so that pieces cannot run
    /// into each other).
    pub fn add(&mut self, piece: &[u8]) {
        self.hash.update((piece.len() as u64).to_be_bytes());
        self.hash.update(piece);
    }

    /// Runs `write` in a transaction unless the request's key was answered before, and keeps its
    /// answer. The write comes first, so that on SQLite the transaction takes the write lock at
    /// once (a read first could not be upgraded once another node wrote), and on PostgreSQL a
    /// repeat sent at the same time waits on the rows the first changes and then finds its answer.
    pub async fn once(
        self,
        db: &Db,
        backend: &Backend,
        write: impl AsyncFnOnce(&mut Tx) -> Result<Written, ApiError>,
    ) -> Result<Answered, ApiError> {
        let request_hash = hex::encode(self.hash.finalize());
        let mut tx = db.begin().await?;
        let written = write(&mut tx).await?;
        if let Some(first) = api_answers::find(&mut tx, &backend.tenant_id, &self.key).await? {
            // Dropping the transaction undoes the write.
            return replay(first, &request_hash);
        }
        let answer = Answer {
            request_hash,
            status: i32::from(written.status.as_u16()),
            body: written.body,
        };
        match api_answers::keep(&mut tx, &backend.tenant_id, &self.key, &answer, Utc::now()).await {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(ApiError::Conflict(
                    "another request with this Idempotency-Key was answered meanwhile; send this one again".into(),
                ));
            }
            other => other?,
        }
        tx.commit().await?;
        Ok(Answered {
            response: response(written.status, answer.body),
            replayed: false,
        })
    }
}

fn replay(first: Answer, request_hash: &str) -> Result<Answered, ApiError> {
    if first.request_hash != request_hash {
        return Err(ApiError::Unprocessable(
            "this Idempotency-Key was used for another request; use a new key for a new request".into(),
        ));
    }
    let status = u16::try_from(first.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = response(status, first.body);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
        actix_web::http::header::HeaderValue::from_static("true"),
    );
    Ok(Answered {
        response,
        replayed: true,
    })
}

fn response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(body)
}
