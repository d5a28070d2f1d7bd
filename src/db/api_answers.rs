//! The first answer to each write of the backend API, by the tenant and the request's
//! `Idempotency-Key`, so that a repeat (after a timeout, a crash) gets it again and changes nothing.

use chrono::{DateTime, Utc};

use super::{Db, Tx, with_pool, with_tx};

/// How long an answer is kept: far longer than any backend retries one request.
pub const KEEP: chrono::Duration = chrono::Duration::days(7);

/// An answer as it was given, with the hash of the request it answered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Answer {
    pub request_hash: String,
    pub status: i32,
    pub body: String,
}

/// The answer given to the tenant's request with this key, if one was.
pub async fn find(tx: &mut Tx, tenant_id: &str, key: &str) -> sqlx::Result<Option<Answer>> {
    with_tx!(tx, conn => sqlx::query_as(
        "SELECT request_hash, status, body FROM api_answer WHERE tenant_id = $1 AND idempotency_key = $2")
        .bind(tenant_id).bind(key).fetch_optional(conn).await)
}

/// Keeps the answer with the write it answers (in its transaction). A unique violation means another
/// request with this key was answered meanwhile.
pub async fn keep(tx: &mut Tx, tenant_id: &str, key: &str, answer: &Answer, now: DateTime<Utc>) -> sqlx::Result<()> {
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO api_answer (tenant_id, idempotency_key, request_hash, status, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(tenant_id).bind(key).bind(&answer.request_hash).bind(answer.status).bind(&answer.body).bind(now)
        .execute(conn).await.map(|_| ()))
}

/// Forgets the answers given before `before`: their keys may be used again.
pub async fn forget_before(db: &Db, before: DateTime<Utc>) -> sqlx::Result<u64> {
    with_pool!(db, pool => sqlx::query("DELETE FROM api_answer WHERE created_at < $1")
        .bind(before).execute(pool).await.map(|done| done.rows_affected()))
}
