//! What happened to a case after it was sent: the statuses its authority's backend set. Every query
//! names the tenant the case belongs to.

use chrono::{DateTime, Utc};

use super::{Db, Tx, with_pool, with_tx};
use crate::domain::CaseStatus;

/// A status set on a case, with the note for the citizen.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusEvent {
    pub id: String,
    pub status: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Sets the status of the tenant's case and records it; `None` when the tenant has no such case.
pub async fn set_status(
    tx: &mut Tx,
    tenant_id: &str,
    reference: &str,
    status: CaseStatus,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<StatusEvent>> {
    let case_id: Option<String> = with_tx!(tx, conn => sqlx::query_scalar(
        "UPDATE cases SET status = $1 WHERE tenant_id = $2 AND reference = $3 RETURNING id")
        .bind(status.as_str()).bind(tenant_id).bind(reference).fetch_optional(conn).await)?;
    let Some(case_id) = case_id else {
        return Ok(None);
    };
    let event = StatusEvent {
        id: uuid::Uuid::now_v7().to_string(),
        status: status.as_str().to_owned(),
        note: note.map(str::to_owned),
        created_at: now,
    };
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO case_event (id, case_id, kind, status, note, created_at) VALUES ($1, $2, 'status', $3, $4, $5)")
        .bind(&event.id).bind(&case_id).bind(&event.status).bind(&event.note).bind(now)
        .execute(conn).await.map(|_| ()))?;
    Ok(Some(event))
}

/// The statuses set on the tenant's case, oldest first.
pub async fn statuses(db: &Db, case_id: &str, tenant_id: &str) -> sqlx::Result<Vec<StatusEvent>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT e.id, e.status, e.note, e.created_at FROM case_event e JOIN cases c ON c.id = e.case_id
         WHERE e.case_id = $1 AND c.tenant_id = $2 AND e.kind = 'status' ORDER BY e.created_at, e.id")
        .bind(case_id).bind(tenant_id).fetch_all(pool).await)
}
