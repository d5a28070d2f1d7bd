//! The Postfach's messages and their PDF files. Every query names the tenant (for the authority's
//! backend) or the account (for the citizen) the case belongs to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::attachments::AttachmentRow;
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
    if message.kind.direction() == "to_citizen" {
        with_tx!(tx, conn => sqlx::query(
            "UPDATE account SET unread_messages = unread_messages + 1
             WHERE id = (SELECT account_id FROM message WHERE id = $1)")
            .bind(&id).execute(conn).await.map(|_| ()))?;
    }
    add_files(tx, &id, message.files, now).await?;
    Ok(Some(id))
}

async fn add_files(tx: &mut Tx, message_id: &str, files: &[Accepted], now: DateTime<Utc>) -> sqlx::Result<()> {
    for accepted in files {
        let file = &accepted.file;
        with_tx!(tx, conn => sqlx::query(
            "INSERT INTO message_file (id, message_id, storage_key, name, file_type, size, sha256, scanned_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&file.id).bind(message_id).bind(&accepted.storage_key).bind(&file.name).bind(file.file_type.name())
            .bind(i64::try_from(file.size).unwrap_or(i64::MAX)).bind(&file.sha256).bind(accepted.scanned_by).bind(now)
            .execute(conn).await.map(|_| ()))?;
    }
    Ok(())
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

/// A message in a citizen's Postfach, with its case's tenant and reference.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostfachRow {
    pub id: String,
    pub case_id: String,
    pub tenant_id: String,
    pub reference: String,
    pub direction: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub made_available_at: DateTime<Utc>,
    pub first_read_at: Option<DateTime<Utc>>,
}

const POSTFACH_COLUMNS: &str = "m.id, m.case_id, c.tenant_id, c.reference, m.direction, m.kind, m.subject, m.body,
     m.made_available_at, m.first_read_at";

/// Up to `limit` of the account's messages, newest first, of one case or all; `before` is the last
/// message of the page before (its id): each page is one range of the index on (account,
/// made_available_at, id), however many messages there are.
pub async fn of_account(
    db: &Db,
    account_id: &str,
    case_id: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<PostfachRow>> {
    let mut sql =
        format!("SELECT {POSTFACH_COLUMNS} FROM message m JOIN cases c ON c.id = m.case_id WHERE m.account_id = $1");
    if case_id.is_some() {
        sql += " AND m.case_id = $2";
    }
    if before.is_some() {
        let n = if case_id.is_some() { 3 } else { 2 };
        sql += &format!(
            " AND (m.made_available_at, m.id) <
               (SELECT made_available_at, id FROM message WHERE id = ${n} AND account_id = $1)"
        );
    }
    let n = 2 + usize::from(case_id.is_some()) + usize::from(before.is_some());
    sql += &format!(" ORDER BY m.made_available_at DESC, m.id DESC LIMIT ${n}");
    with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql).bind(account_id);
        if let Some(case_id) = case_id {
            query = query.bind(case_id);
        }
        if let Some(before) = before {
            query = query.bind(before);
        }
        query.bind(limit).fetch_all(pool).await
    })
}

/// A message as its citizen opens it.
pub struct Opened {
    pub message: PostfachRow,
    pub files: Vec<MessageFileRow>,
    /// This opening was its first reading.
    pub first_reading: bool,
}

/// The account's message, and its files; the first time, records that it was read (and lowers the
/// account's count of unread messages) in one transaction.
pub async fn open(db: &Db, id: &str, account_id: &str, now: DateTime<Utc>) -> sqlx::Result<Option<Opened>> {
    let mut tx = db.begin().await?;
    let first_reading = with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE message SET first_read_at = $1
         WHERE id = $2 AND account_id = $3 AND first_read_at IS NULL AND direction = 'to_citizen'")
        .bind(now).bind(id).bind(account_id).execute(conn).await.map(|done| done.rows_affected()))?;
    if first_reading == 1 {
        with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE account SET unread_messages = unread_messages - 1 WHERE id = $1 AND unread_messages > 0")
            .bind(account_id).execute(conn).await.map(|_| ()))?;
    }
    let sql = format!(
        "SELECT {POSTFACH_COLUMNS} FROM message m JOIN cases c ON c.id = m.case_id WHERE m.id = $1 AND m.account_id = $2"
    );
    let message: Option<PostfachRow> = with_tx!(&mut tx, conn => sqlx::query_as(&sql)
        .bind(id).bind(account_id).fetch_optional(conn).await)?;
    let files = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT f.id, f.message_id, f.name, f.file_type, f.size, f.sha256
         FROM message_file f JOIN message m ON m.id = f.message_id
         WHERE m.id = $1 AND m.account_id = $2 ORDER BY f.id")
        .bind(id).bind(account_id).fetch_all(conn).await)?;
    tx.commit().await?;
    Ok(message.map(|message| Opened {
        message,
        files,
        first_reading: first_reading == 1,
    }))
}

/// A file of the account's message.
pub async fn file_of_account(
    db: &Db,
    id: &str,
    message_id: &str,
    account_id: &str,
) -> sqlx::Result<Option<AttachmentRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT f.storage_key, f.name, f.file_type, f.size FROM message_file f JOIN message m ON m.id = f.message_id
         WHERE f.id = $1 AND m.id = $2 AND m.account_id = $3")
        .bind(id).bind(message_id).bind(account_id).fetch_optional(pool).await)
}

/// Where to tell the citizen of a new message to them (their address), if they are to be told now:
/// a decision always; a message unless another message of the same case came since `quiet_since`
/// (its mail speaks for both). `None` too for an account without an address, or deleted.
pub async fn notice_due(
    tx: &mut Tx,
    message_id: &str,
    kind: MessageKind,
    quiet_since: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    const TO: &str = "SELECT a.email FROM message m JOIN account a ON a.id = m.account_id
                      WHERE m.id = $1 AND m.direction = 'to_citizen' AND a.email IS NOT NULL";
    if kind == MessageKind::Decision {
        return with_tx!(tx, conn => sqlx::query_scalar(TO).bind(message_id).fetch_optional(conn).await);
    }
    let sql = format!(
        "{TO} AND NOT EXISTS (SELECT 1 FROM message o WHERE o.case_id = m.case_id AND o.id <> m.id
                              AND o.direction = 'to_citizen' AND o.kind = 'message' AND o.made_available_at > $2)"
    );
    with_tx!(tx, conn => sqlx::query_scalar(&sql).bind(message_id).bind(quiet_since).fetch_optional(conn).await)
}

/// What became of a citizen's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replied {
    Written,
    /// The same text with the same files went to the case in the last minute (a double click, a
    /// reload): not written again.
    Repeated,
    /// The account has no such message to it.
    NoSuchMessage,
}

/// The citizen's reply to a message to them, with its files (already in the store), into the
/// case's thread, made available `now`.
pub async fn reply(
    db: &Db,
    to_message: &str,
    account_id: &str,
    body: &str,
    files: &[Accepted],
    now: DateTime<Utc>,
) -> sqlx::Result<Replied> {
    let mut tx = db.begin().await?;
    // Holds the message's row (PostgreSQL) or the write lock (SQLite) until the commit: a reply sent
    // twice at the same moment is checked for its twin only once the first is written.
    let case_id: Option<String> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "UPDATE message SET first_read_at = first_read_at WHERE id = $1 AND account_id = $2 AND direction = 'to_citizen'
         RETURNING case_id")
        .bind(to_message).bind(account_id).fetch_optional(conn).await)?;
    let Some(case_id) = case_id else {
        return Ok(Replied::NoSuchMessage);
    };
    let recent: Vec<(String, Option<String>)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT r.id, f.sha256 FROM message r LEFT JOIN message_file f ON f.message_id = r.id
         WHERE r.case_id = $1 AND r.direction = 'from_citizen' AND r.body = $2 AND r.made_available_at > $3")
        .bind(&case_id).bind(body).bind(now - chrono::Duration::minutes(1)).fetch_all(conn).await)?;
    let mut recent_files: HashMap<String, Vec<String>> = HashMap::new();
    for (id, sha256) in recent {
        recent_files.entry(id).or_default().extend(sha256);
    }
    let mut these_files: Vec<&str> = files.iter().map(|f| f.file.sha256.as_str()).collect();
    these_files.sort_unstable();
    if recent_files.into_values().any(|mut sent| {
        sent.sort_unstable();
        sent == these_files
    }) {
        return Ok(Replied::Repeated);
    }
    let id = uuid::Uuid::now_v7().to_string();
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO message (id, case_id, account_id, direction, kind, subject, body, made_available_at)
         SELECT $1, case_id, account_id, 'from_citizen', 'reply', subject, $2, $3 FROM message WHERE id = $4")
        .bind(&id).bind(body).bind(now).bind(to_message)
        .execute(conn).await.map(|_| ()))?;
    add_files(&mut tx, &id, files, now).await?;
    tx.commit().await?;
    Ok(Replied::Written)
}

/// A file of a message of the account's, for the data export and the case's documents.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportFileRow {
    pub id: String,
    pub message_id: String,
    pub storage_key: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
}

/// Every file of the account's messages.
pub async fn files_of_account(db: &Db, account_id: &str) -> sqlx::Result<Vec<ExportFileRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT f.id, f.message_id, f.storage_key, f.name, f.size, f.sha256
         FROM message_file f JOIN message m ON m.id = f.message_id WHERE m.account_id = $1 ORDER BY f.id")
        .bind(account_id).fetch_all(pool).await)
}

/// The files of the messages of a case of the account's.
pub async fn files_of_case(db: &Db, case_id: &str, account_id: &str) -> sqlx::Result<Vec<ExportFileRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT f.id, f.message_id, f.storage_key, f.name, f.size, f.sha256
         FROM message_file f JOIN message m ON m.id = f.message_id
         WHERE m.case_id = $1 AND m.account_id = $2 ORDER BY f.id")
        .bind(case_id).bind(account_id).fetch_all(pool).await)
}
