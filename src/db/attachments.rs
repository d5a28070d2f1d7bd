//! Evidence files: which draft or case a stored file belongs to. Every query reaches a file
//! through its draft and the draft's owner.

use chrono::{DateTime, Utc};

use super::{Db, Tx, with_pool, with_tx};
use crate::domain::evidence::UploadedFile;

/// A file as its owner downloads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub storage_key: String,
    pub name: String,
    pub file_type: String,
    pub size: i64,
}

/// A file of a case, as the case lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseFileRow {
    pub id: String,
    pub storage_key: String,
    pub name: String,
    pub size: i64,
}

/// A stored file to record with a draft.
pub struct NewAttachment<'a> {
    pub draft_id: &'a str,
    /// The draft's owner: a draft of anyone else records nothing.
    pub account_id: &'a str,
    pub field_id: &'a str,
    pub file: &'a UploadedFile,
    pub storage_key: &'a str,
    /// `clamd`, or `off`.
    pub scanned_by: &'a str,
}

/// Records a stored file as part of a draft of its owner; `false` if that draft is not theirs (or
/// gone), and then nothing is recorded.
pub async fn add(tx: &mut Tx, new: &NewAttachment<'_>, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let file = new.file;
    let added = with_tx!(tx, conn => sqlx::query(
        "INSERT INTO attachment (id, draft_id, field_id, storage_key, name, file_type, size, sha256, scanned_by, created_at)
         SELECT $1, id, $2, $3, $4, $5, $6, $7, $8, $9 FROM draft WHERE id = $10 AND account_id = $11",
    )
    .bind(&file.id).bind(new.field_id).bind(new.storage_key).bind(&file.name).bind(file.file_type.name())
    .bind(i64::try_from(file.size).unwrap_or(i64::MAX)).bind(&file.sha256).bind(new.scanned_by).bind(now)
    .bind(new.draft_id).bind(new.account_id)
    .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(added == 1)
}

/// Removes a file from a draft of `account_id`; its storage key, to delete the file, if it was there.
pub async fn remove(tx: &mut Tx, id: &str, draft_id: &str, account_id: &str) -> sqlx::Result<Option<String>> {
    with_tx!(tx, conn => sqlx::query_scalar(
        "DELETE FROM attachment WHERE id = $1
           AND draft_id = (SELECT id FROM draft WHERE id = $2 AND account_id = $3)
         RETURNING storage_key",
    )
    .bind(id).bind(draft_id).bind(account_id)
    .fetch_optional(conn).await)
}

/// A file of a draft of `account_id`.
pub async fn of_draft(db: &Db, id: &str, draft_id: &str, account_id: &str) -> sqlx::Result<Option<AttachmentRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT a.storage_key, a.name, a.file_type, a.size FROM attachment a JOIN draft d ON d.id = a.draft_id
         WHERE a.id = $1 AND d.id = $2 AND d.account_id = $3",
    )
    .bind(id).bind(draft_id).bind(account_id)
    .fetch_optional(pool).await)
}

/// A file of a case of `account_id`.
pub async fn of_case(db: &Db, id: &str, case_id: &str, account_id: &str) -> sqlx::Result<Option<AttachmentRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT a.storage_key, a.name, a.file_type, a.size FROM attachment a JOIN cases c ON c.id = a.case_id
         WHERE a.id = $1 AND c.id = $2 AND c.account_id = $3",
    )
    .bind(id).bind(case_id).bind(account_id)
    .fetch_optional(pool).await)
}

/// A file of the tenant's case with this reference (evidence, or of a message), for the tenant's
/// backend.
pub async fn of_tenant_case(
    db: &Db,
    id: &str,
    reference: &str,
    tenant_id: &str,
) -> sqlx::Result<Option<AttachmentRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT a.storage_key, a.name, a.file_type, a.size FROM attachment a JOIN cases c ON c.id = a.case_id
         WHERE a.id = $1 AND c.reference = $2 AND c.tenant_id = $3
         UNION ALL
         SELECT f.storage_key, f.name, f.file_type, f.size
         FROM message_file f JOIN message m ON m.id = f.message_id JOIN cases c ON c.id = m.case_id
         WHERE f.id = $1 AND c.reference = $2 AND c.tenant_id = $3",
    )
    .bind(id).bind(reference).bind(tenant_id)
    .fetch_optional(pool).await)
}

/// The files of a case of `account_id`, in the order they were uploaded.
pub async fn files_of_case(db: &Db, case_id: &str, account_id: &str) -> sqlx::Result<Vec<CaseFileRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT a.id, a.storage_key, a.name, a.size FROM attachment a JOIN cases c ON c.id = a.case_id
         WHERE c.id = $1 AND c.account_id = $2 ORDER BY a.id",
    )
    .bind(case_id).bind(account_id)
    .fetch_all(pool).await)
}

/// A file of the citizen's drafts or cases, for the data export.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportFileRow {
    pub id: String,
    pub storage_key: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    /// The case's reference, or empty for a file of a draft.
    pub reference: String,
}

/// Every file of the drafts and cases of `account_id`.
pub async fn files_of_account(db: &Db, account_id: &str) -> sqlx::Result<Vec<ExportFileRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT a.id, a.storage_key, a.name, a.size, a.sha256, COALESCE(c.reference, '') AS reference
         FROM attachment a LEFT JOIN draft d ON d.id = a.draft_id LEFT JOIN cases c ON c.id = a.case_id
         WHERE d.account_id = $1 OR c.account_id = $1 ORDER BY a.id",
    )
    .bind(account_id)
    .fetch_all(pool).await)
}

/// A file of a case as the worker hands it to the authority.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryFileRow {
    pub id: String,
    pub storage_key: String,
    pub field_id: String,
    pub name: String,
    pub file_type: String,
    pub size: i64,
    pub sha256: String,
}

/// The files of the tenant's case, for its delivery and for the tenant's backend.
pub async fn files_to_deliver(db: &Db, case_id: &str, tenant_id: &str) -> sqlx::Result<Vec<DeliveryFileRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT a.id, a.storage_key, a.field_id, a.name, a.file_type, a.size, a.sha256
         FROM attachment a JOIN cases c ON c.id = a.case_id
         WHERE c.id = $1 AND c.tenant_id = $2 ORDER BY a.id",
    )
    .bind(case_id).bind(tenant_id)
    .fetch_all(pool).await)
}

/// The storage keys of a draft's files (to delete them with the draft).
pub async fn keys_of_draft(db: &Db, draft_id: &str, account_id: &str) -> sqlx::Result<Vec<String>> {
    with_pool!(db, pool => sqlx::query_scalar(
        "SELECT a.storage_key FROM attachment a JOIN draft d ON d.id = a.draft_id WHERE d.id = $1 AND d.account_id = $2",
    )
    .bind(draft_id).bind(account_id)
    .fetch_all(pool).await)
}

/// The storage keys of the files of drafts that expire by `now`.
pub async fn keys_of_expired_drafts(db: &Db, now: DateTime<Utc>) -> sqlx::Result<Vec<String>> {
    with_pool!(db, pool => sqlx::query_scalar(
        "SELECT a.storage_key FROM attachment a JOIN draft d ON d.id = a.draft_id WHERE d.expires_at <= $1",
    )
    .bind(now)
    .fetch_all(pool).await)
}

/// Which of these storage keys have a row, of evidence or of a message (the others are files no
/// row points to).
pub async fn known_keys(db: &Db, keys: &[String]) -> sqlx::Result<Vec<String>> {
    let mut known = Vec::new();
    for key in keys {
        let found: Option<String> = with_pool!(db, pool => sqlx::query_scalar(
            "SELECT storage_key FROM attachment WHERE storage_key = $1
             UNION ALL SELECT storage_key FROM message_file WHERE storage_key = $1",
        )
        .bind(key)
        .fetch_optional(pool).await)?;
        known.extend(found);
    }
    Ok(known)
}
