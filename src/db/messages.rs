//! The Postfach's messages and their PDF files. Every query names the tenant (for the authority's
//! backend) or the account (for the citizen) the case belongs to.

use chrono::{DateTime, Utc};

use super::{Db, Tx, with_pool, with_tx};
use crate::attachments::Accepted;
use crate::domain::message::MessageKind;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub direction: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub made_available_at: DateTime<Utc>,
    pub first_read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageFileRow {
    pub id: String,
    pub message_id: String,
    pub name: String,
    pub file_type: String,
    pub size: i64,
    pub sha256: String,
}

/// A message to write with its files (already in the store).
pub struct NewMessage<'a> {
    pub kind: MessageKind,
    pub subject: &'a str,
    pub body: &'a str,
    pub files: &'a [Accepted],
}

/// Writes the message into the tenant's case with this reference, made available `now`; its id, or
/// `None` when the tenant has no such case.
pub async fn add(
    tx: &mut Tx,
    tenant_id: &str,
    reference: &str,
    message: &NewMessage<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    let id = uuid::Uuid::now_v7().to_string();
    let added = with_tx!(tx, conn => sqlx::query(
        "INSERT INTO message (id, case_id, account_id, direction, kind, subject, body, made_available_at)
         SELECT $1, id, account_id, $2, $3, $4, $5, $6 FROM cases WHERE tenant_id = $7 AND reference = $8")
        .bind(&id).bind(message.kind.direction()).bind(message.kind.as_str()).bind(message.subject)
        .bind(message.body).bind(now).bind(tenant_id).bind(reference)
        .execute(conn).await.map(|done| done.rows_affected()))?;
    if added == 0 {
        return Ok(None);
    }
    for accepted in message.files {
        let file = &accepted.file;
        with_tx!(tx, conn => sqlx::query(
            "INSERT INTO message_file (id, message_id, storage_key, name, file_type, size, sha256, scanned_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&file.id).bind(&id).bind(&accepted.storage_key).bind(&file.name).bind(file.file_type.name())
            .bind(i64::try_from(file.size).unwrap_or(i64::MAX)).bind(&file.sha256).bind(accepted.scanned_by).bind(now)
            .execute(conn).await.map(|_| ()))?;
    }
    Ok(Some(id))
}

/// The messages of the tenant's case in both directions, oldest first, and their files.
pub async fn thread(db: &Db, case_id: &str, tenant_id: &str) -> sqlx::Result<(Vec<MessageRow>, Vec<MessageFileRow>)> {
    let messages = with_pool!(db, pool => sqlx::query_as(
        "SELECT m.id, m.direction, m.kind, m.subject, m.body, m.made_available_at, m.first_read_at
         FROM message m JOIN cases c ON c.id = m.case_id
         WHERE m.case_id = $1 AND c.tenant_id = $2 ORDER BY m.made_available_at, m.id")
        .bind(case_id).bind(tenant_id).fetch_all(pool).await)?;
    let files = with_pool!(db, pool => sqlx::query_as(
        "SELECT f.id, f.message_id, f.name, f.file_type, f.size, f.sha256
         FROM message_file f JOIN message m ON m.id = f.message_id JOIN cases c ON c.id = m.case_id
         WHERE m.case_id = $1 AND c.tenant_id = $2 ORDER BY f.id")
        .bind(case_id).bind(tenant_id).fetch_all(pool).await)?;
    Ok((messages, files))
}
