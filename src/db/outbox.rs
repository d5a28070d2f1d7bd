//! The outbox: one queue of jobs the worker works, deliveries of cases to the authority's backend and
//! mails. Jobs are written in the transaction that causes them, claimed with a lease, retried with
//! backoff and given up after a number of attempts.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use sqlx::types::Json as AsJson;
use uuid::Uuid;

use super::payments::{self, PaidFee};
use super::{Db, Tx, with_pool, with_tx};
use crate::mail::Mail;

pub const DELIVERY: &str = "delivery";
pub const MAIL: &str = "mail";

/// A claimed job as the worker sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub case_id: Option<String>,
    pub destination: Option<String>,
    pub payload: Option<AsJson<Json>>,
    /// Attempts started, this one included.
    pub attempt: i32,
    pub claim: String,
    /// Where a delivery in several steps stands; `None` before its first step.
    pub progress: Option<AsJson<Json>>,
}

/// A case's delivery as operators see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub reference: String,
    pub tenant_slug: String,
    pub destination: Option<String>,
    pub attempt: i32,
    pub last_error: Option<String>,
    /// When the case was sent by the citizen and its delivery queued.
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    /// Set while a worker is sending it.
    pub lease_until: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

/// Where a delivery stands, for operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Delivered(DateTime<Utc>),
    /// Given up: it waits for an operator.
    Failed(DateTime<Utc>),
    /// A worker is sending it right now.
    InFlight,
    /// Due at this time (now or later).
    Waiting(DateTime<Utc>),
}

impl DeliveryRow {
    pub fn state(&self, now: DateTime<Utc>) -> DeliveryState {
        match (self.done_at, self.failed_at, self.lease_until) {
            (Some(at), _, _) => DeliveryState::Delivered(at),
            (None, Some(at), _) => DeliveryState::Failed(at),
            (None, None, Some(until)) if until > now => DeliveryState::InFlight,
            (None, None, _) => DeliveryState::Waiting(self.next_attempt_at),
        }
    }
}

/// A mail as operators see it: which mail, to which domain (not the whole address), its state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: String,
    /// The mail's name (`mail-verify`, `mail-reset`, …).
    pub name: Option<String>,
    pub to_domain: Option<String>,
    pub attempt: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

impl MailRow {
    /// A sent mail is removed from the queue, so a listed mail is never "delivered".
    pub fn state(&self, now: DateTime<Utc>) -> DeliveryState {
        match (self.failed_at, self.lease_until) {
            (Some(at), _) => DeliveryState::Failed(at),
            (None, Some(until)) if until > now => DeliveryState::InFlight,
            (None, _) => DeliveryState::Waiting(self.next_attempt_at),
        }
    }
}

/// What an operator's retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Due now, with a fresh count of attempts; a given-up delivery starts afresh.
    DueNow,
    /// A worker is sending it right now: nothing changed.
    InFlight,
    /// Delivered already: nothing changed.
    Delivered,
    /// The tenant has no case with that reference.
    NotFound,
}

/// What waits in the outbox, for `/metrics`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Depth {
    pub deliveries_waiting: i64,
    pub deliveries_failed: i64,
    pub mails_waiting: i64,
    pub mails_failed: i64,
    /// Seconds since the oldest case still waiting for its delivery was sent; 0 when none waits.
    pub oldest_undelivered_seconds: i64,
}

/// Queues a mail in the caller's transaction, due at once (on the wall clock, whatever time the
/// caller works with).
pub async fn enqueue_mail(tx: &mut Tx, mail: &Mail) -> sqlx::Result<()> {
    let now = Utc::now();
    let payload = serde_json::to_value(mail).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO outbox (id, kind, payload, attempt, next_attempt_at, created_at) VALUES ($1, $2, $3, 0, $4, $4)",
    )
    .bind(Uuid::now_v7().to_string()).bind(MAIL).bind(AsJson(payload)).bind(now)
    .execute(conn).await.map(|_| ()))?;
    notify_workers(tx).await
}

/// The PostgreSQL channel workers listen on: a job committed by any process wakes them all.
pub const CHANNEL: &str = "outbox";

/// On PostgreSQL, wakes the listening workers of every process when the transaction commits (SQLite
/// has one process: the committing request wakes its own worker).
pub(super) async fn notify_workers(tx: &mut Tx) -> sqlx::Result<()> {
    if let Tx::Postgres(tx) = tx {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Claims up to `limit` due jobs of `kind` until `lease_until`. A job whose lease ran out (its worker
/// died) is due again. On PostgreSQL concurrent workers skip each other's rows; SQLite has one writer.
pub async fn claim(
    db: &Db,
    kind: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<JobRow>> {
    let claim = Uuid::now_v7().to_string();
    let lock = if db.is_sqlite() { "" } else { "FOR UPDATE SKIP LOCKED" };
    let sql = format!(
        "UPDATE outbox SET attempt = attempt + 1, lease_until = $1, claim = $2
         WHERE id IN (SELECT id FROM outbox
                      WHERE kind = $5 AND done_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3
                        AND (lease_until IS NULL OR lease_until <= $3)
                      ORDER BY next_attempt_at LIMIT $4 {lock})
         RETURNING id, kind, case_id, destination, payload, attempt, claim, progress"
    );
    with_pool!(db, pool => sqlx::query_as(&sql).bind(lease_until).bind(&claim).bind(now).bind(limit).bind(kind)
        .fetch_all(pool).await)
}

/// A mail went out: the job is removed, because it holds the address and the link.
pub async fn mail_sent(db: &Db, job: &JobRow) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("DELETE FROM outbox WHERE id = $1 AND claim = $2")
        .bind(&job.id).bind(&job.claim).execute(pool).await.map(|_| ()))
}

/// The backend accepted the case: the job is done and the case says when, with the backend's own
/// reference if it gave one. Recorded even if the lease ran out meanwhile: the case did arrive.
pub async fn delivered(
    db: &Db,
    job: &JobRow,
    authority_reference: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE outbox SET done_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2 AND done_at IS NULL",
    ).bind(now).bind(&job.id).execute(conn).await.map(|_| ()))?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE cases SET delivered_at = COALESCE(delivered_at, $1), authority_reference = COALESCE($2, authority_reference)
         WHERE id = $3",
    ).bind(now).bind(authority_reference).bind(&job.case_id).execute(conn).await.map(|_| ()))?;
    tx.commit().await
}

/// The attempt failed; the job is due again at `next_attempt_at`.
pub async fn retry_later(db: &Db, job: &JobRow, next_attempt_at: DateTime<Utc>, error: &str) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND claim = $4",
    ).bind(next_attempt_at).bind(error).bind(&job.id).bind(&job.claim).execute(pool).await.map(|_| ()))
}

/// Extends the job's lease to `lease_until`, recording how far the delivery got if `progress` is
/// given, while the claim is still this worker's; false (and nothing written) once another worker
/// has claimed the job or it has ended.
pub async fn keep_claim(
    db: &Db,
    job: &JobRow,
    progress: Option<&Json>,
    lease_until: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let kept = with_pool!(db, pool => sqlx::query(
        "UPDATE outbox SET lease_until = $1, progress = COALESCE($2, progress)
         WHERE id = $3 AND claim = $4 AND done_at IS NULL AND failed_at IS NULL",
    ).bind(lease_until).bind(progress.map(AsJson)).bind(&job.id).bind(&job.claim)
    .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(kept == 1)
}

/// The backend took the case and will answer later: asked again at `next_attempt_at`, with a fresh
/// count of attempts (waiting for an answer is not failing).
pub async fn await_answer(db: &Db, job: &JobRow, progress: &Json, next_attempt_at: DateTime<Utc>) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "UPDATE outbox SET progress = $1, attempt = 0, next_attempt_at = $2, lease_until = NULL, last_error = NULL
         WHERE id = $3 AND claim = $4",
    ).bind(AsJson(progress)).bind(next_attempt_at).bind(&job.id).bind(&job.claim).execute(pool).await.map(|_| ()))
}

/// Makes the waiting deliveries of a tenant's destination due now (its backend said it has news).
pub async fn ask_again_now(db: &Db, tenant_slug: &str, destination: &str, now: DateTime<Utc>) -> sqlx::Result<u64> {
    with_pool!(db, pool => sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1
         WHERE kind = 'delivery' AND destination = $2 AND done_at IS NULL AND failed_at IS NULL AND progress IS NOT NULL
           AND case_id IN (SELECT c.id FROM cases c JOIN tenant t ON t.id = c.tenant_id WHERE t.slug = $3)",
    ).bind(now).bind(destination).bind(tenant_slug).execute(pool).await.map(|r| r.rows_affected()))
}

/// A tenant's destinations as stored, to check a backend's callback.
pub async fn destinations_of(db: &Db, tenant_slug: &str) -> sqlx::Result<Option<Json>> {
    let row: Option<(AsJson<Json>,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT destinations FROM tenant WHERE slug = $1 AND retired_at IS NULL",
    ).bind(tenant_slug).fetch_optional(pool).await)?;
    Ok(row.map(|(d,)| d.0))
}

/// The job failed for good: it waits for an operator (`deliveries retry`, `mails retry`).
pub async fn give_up(db: &Db, job: &JobRow, error: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "UPDATE outbox SET failed_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND claim = $4",
    ).bind(now).bind(error).bind(&job.id).bind(&job.claim).execute(pool).await.map(|_| ()))
}

/// Deliveries for operators, newest first: all, or only those given up.
pub async fn deliveries(db: &Db, failed_only: bool, limit: i64) -> sqlx::Result<Vec<DeliveryRow>> {
    let filter = if failed_only { "AND o.failed_at IS NOT NULL" } else { "" };
    let sql = format!(
        "SELECT c.reference, t.slug AS tenant_slug, o.destination, o.attempt, o.last_error, o.created_at,
                o.next_attempt_at, o.lease_until, o.done_at, o.failed_at
         FROM outbox o JOIN cases c ON c.id = o.case_id JOIN tenant t ON t.id = c.tenant_id
         WHERE o.kind = 'delivery' {filter}
         ORDER BY o.created_at DESC LIMIT $1"
    );
    with_pool!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)
}

/// An operator's retry of the delivery of the tenant's case with this reference: due now with a
/// fresh count of attempts. A delivery that was given up also forgets how far it got (a rejected
/// FIT-Connect submission is not asked about again: a new one is made); one that waits for an
/// answer keeps it and is only asked again now. A delivery a worker is sending is left alone.
pub async fn retry_now(db: &Db, tenant_slug: &str, reference: &str, now: DateTime<Utc>) -> sqlx::Result<Retry> {
    let mut tx = db.begin().await?;
    let job: Option<(String, bool, bool)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT o.id, o.done_at IS NOT NULL, COALESCE(o.lease_until > $3, FALSE)
         FROM outbox o JOIN cases c ON c.id = o.case_id JOIN tenant t ON t.id = c.tenant_id
         WHERE o.kind = 'delivery' AND t.slug = $1 AND c.reference = $2",
    ).bind(tenant_slug).bind(reference).bind(now).fetch_optional(conn).await)?;
    let Some((id, delivered, in_flight)) = job else {
        return Ok(Retry::NotFound);
    };
    if delivered {
        return Ok(Retry::Delivered);
    }
    if in_flight {
        return Ok(Retry::InFlight);
    }
    // The lease is checked again in the write: a worker may have claimed it since the read.
    let due = with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE outbox SET attempt = 0, next_attempt_at = $1, lease_until = NULL, failed_at = NULL,
                progress = CASE WHEN failed_at IS NULL THEN progress END
         WHERE id = $2 AND done_at IS NULL AND (lease_until IS NULL OR lease_until <= $1)",
    ).bind(now).bind(&id).execute(conn).await.map(|r| r.rows_affected()))?;
    if due == 0 {
        return Ok(Retry::InFlight);
    }
    notify_workers(&mut tx).await?;
    tx.commit().await?;
    Ok(Retry::DueNow)
}

/// Mails still queued for operators, newest first: all, or only those given up.
pub async fn mails(db: &Db, failed_only: bool, limit: i64) -> sqlx::Result<Vec<MailRow>> {
    let filter = if failed_only { "AND failed_at IS NOT NULL" } else { "" };
    // The JSON field is read as text on both databases; the address's local part is not shown.
    let field = |name: &str| {
        if db.is_sqlite() {
            format!("json_extract(payload, '$.{name}')")
        } else {
            format!("payload->>'{name}'")
        }
    };
    let (name, to) = (field("name"), field("to"));
    let domain = if db.is_sqlite() {
        format!("substr({to}, instr({to}, '@') + 1)")
    } else {
        format!("split_part({to}, '@', 2)")
    };
    let sql = format!(
        "SELECT id, {name} AS name, {domain} AS to_domain, attempt, last_error, created_at, next_attempt_at,
                lease_until, failed_at
         FROM outbox WHERE kind = 'mail' AND done_at IS NULL {filter}
         ORDER BY created_at DESC LIMIT $1"
    );
    with_pool!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)
}

/// An operator's retry of one queued mail (`id`), or of every mail given up (`None`): due now with a
/// fresh count of attempts; a mail a worker is sending is left alone. How many are due now.
pub async fn retry_mails(db: &Db, id: Option<&str>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    // Either one mail by its id, or all given up ($2 NULL).
    let sql = "UPDATE outbox SET attempt = 0, next_attempt_at = $1, lease_until = NULL, failed_at = NULL
         WHERE kind = 'mail' AND (id = $2 OR ($2 IS NULL AND failed_at IS NOT NULL))
           AND (lease_until IS NULL OR lease_until <= $1)";
    let mut tx = db.begin().await?;
    let due =
        with_tx!(&mut tx, conn => sqlx::query(sql).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    notify_workers(&mut tx).await?;
    tx.commit().await?;
    Ok(due)
}

/// Removes mails given up before `before`: they hold an address and perhaps a link, and are kept
/// only so long for an operator to retry them.
pub async fn forget_given_up_mails(db: &Db, before: DateTime<Utc>) -> sqlx::Result<u64> {
    with_pool!(db, pool => sqlx::query("DELETE FROM outbox WHERE kind = 'mail' AND failed_at < $1")
        .bind(before).execute(pool).await.map(|r| r.rows_affected()))
}

pub async fn depth(db: &Db, now: DateTime<Utc>) -> sqlx::Result<Depth> {
    let rows: Vec<(String, bool, i64)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT kind, failed_at IS NOT NULL AS failed, COUNT(*) FROM outbox WHERE done_at IS NULL GROUP BY kind, failed_at IS NOT NULL",
    ).fetch_all(pool).await)?;
    let oldest: Option<(DateTime<Utc>,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT created_at FROM outbox WHERE kind = 'delivery' AND done_at IS NULL ORDER BY created_at LIMIT 1",
    ).fetch_optional(pool).await)?;
    let mut depth = Depth {
        oldest_undelivered_seconds: oldest.map_or(0, |(at,)| (now - at).num_seconds().max(0)),
        ..Depth::default()
    };
    for (kind, failed, count) in rows {
        match (kind.as_str(), failed) {
            (DELIVERY, false) => depth.deliveries_waiting = count,
            (DELIVERY, true) => depth.deliveries_failed = count,
            (_, false) => depth.mails_waiting = count,
            (_, true) => depth.mails_failed = count,
        }
    }
    Ok(depth)
}

/// A case with what its delivery needs: answers, the service's name and key, the tenant's
/// destinations (as stored; read by the delivery).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseToDeliver {
    pub id: String,
    pub reference: String,
    pub service_slug: String,
    pub form_version: i32,
    pub answers: AsJson<Json>,
    pub summary: AsJson<Vec<super::applications::SummaryLine>>,
    pub trust_level: String,
    pub fee_cents: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    /// Where the case stands (`domain::CaseStatus`).
    pub status: String,
    /// When the backend accepted it, and the backend's own reference.
    pub delivered_at: Option<DateTime<Utc>>,
    pub authority_reference: Option<String>,
    /// The citizen's address, for a backend's reply channel; none without one.
    pub email: Option<String>,
    /// None once the citizen deleted the account.
    pub account_id: Option<String>,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub destinations: AsJson<Json>,
    pub service_name: Option<String>,
    pub leistungsschluessel: Option<String>,
    pub tenant_id: String,
    /// The fee paid online for it, if one was.
    #[sqlx(skip)]
    pub paid: Option<PaidFee>,
}

/// The case with all a backend gets; read by id only, by the worker, which serves every tenant.
pub async fn case_to_deliver(db: &Db, case_id: &str) -> sqlx::Result<Option<CaseToDeliver>> {
    let sql = format!("{CASE_FOR_BACKEND} WHERE c.id = $1");
    let case: Option<CaseToDeliver> =
        with_pool!(db, pool => sqlx::query_as(&sql).bind(case_id).fetch_optional(pool).await)?;
    with_payment(db, case).await
}

/// The tenant's case with this reference, as its backend reads it over the API.
pub async fn case_of_tenant(db: &Db, tenant_id: &str, reference: &str) -> sqlx::Result<Option<CaseToDeliver>> {
    let sql = format!("{CASE_FOR_BACKEND} WHERE c.tenant_id = $1 AND c.reference = $2");
    let case: Option<CaseToDeliver> =
        with_pool!(db, pool => sqlx::query_as(&sql).bind(tenant_id).bind(reference).fetch_optional(pool).await)?;
    with_payment(db, case).await
}

const CASE_FOR_BACKEND: &str =
    "SELECT c.id, c.tenant_id, c.reference, c.service_slug, c.form_version, c.answers, c.summary, c.trust_level,
            c.fee_cents, c.submitted_at, c.status, c.delivered_at, c.authority_reference, a.email, c.account_id,
            t.slug AS tenant_slug, t.name AS tenant_name, t.destinations, s.name_de AS service_name,
            s.leistungsschluessel
     FROM cases c JOIN tenant t ON t.id = c.tenant_id
          LEFT JOIN service s ON s.tenant_id = c.tenant_id AND s.slug = c.service_slug
          LEFT JOIN account a ON a.id = c.account_id";

async fn with_payment(db: &Db, case: Option<CaseToDeliver>) -> sqlx::Result<Option<CaseToDeliver>> {
    let Some(mut case) = case else {
        return Ok(None);
    };
    case.paid = payments::paid_for_case(db, &case.id, &case.tenant_id).await?;
    Ok(Some(case))
}
