//! Drafts, cases and the delivery outbox. Every query names the account the data belongs to.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use sqlx::types::Json as AsJson;
use sqlx::{FromRow, Row};
use uuid::Uuid;

use super::accounts::{SessionRow, session_columns, session_from};
use super::payments::KEEPS_DRAFT;
use super::{Db, Tx, outbox, with_pool, with_tx};
use crate::mail::Mail;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub id: String,
    pub tenant_id: String,
    pub service_slug: String,
    pub form_version: i32,
    pub answers: AsJson<serde_json::Map<String, Json>>,
    pub visited: AsJson<Vec<String>>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One line of the answers as the citizen saw them on check-answers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SummaryLine {
    pub section: String,
    pub label: String,
    pub value: String,
    /// The ids of step and field, for backends that name what they receive (empty in cases sent
    /// before they were kept).
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub field: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: String,
    pub reference: String,
    pub tenant_id: String,
    pub service_slug: String,
    pub summary: AsJson<Vec<SummaryLine>>,
    pub fee_cents: Option<i64>,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    /// The login's trust level when the case was sent.
    pub trust_level: String,
    /// When the authority's backend accepted the case.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The backend's own reference, e.g. an OZG-Cloud vorgangNummer.
    pub authority_reference: Option<String>,
    /// Not delivered after several attempts, or given up: the citizen sees "Übermittlung verzögert".
    pub delivery_delayed: bool,
}

/// A case as written by the submit transaction.
pub struct NewCase<'a> {
    pub account_id: &'a str,
    pub tenant_id: &'a str,
    pub draft_id: &'a str,
    pub reference: &'a str,
    pub service_slug: &'a str,
    pub form_version: i32,
    pub answers: &'a serde_json::Map<String, Json>,
    pub summary: &'a [SummaryLine],
    /// The evidence files the answers keep (by attachment id): they go with the case; the draft's
    /// other files (of questions that no longer apply) go with the draft.
    pub files: &'a [String],
    pub trust_level: &'a str,
    pub fee_cents: Option<i64>,
    /// The citizen's confirmation, sent by the outbox once the case is written.
    pub confirmation: Option<&'a Mail>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Submitted {
    Created,
    /// The draft was submitted before (a double click, a reload): nothing new was written.
    Already,
    /// The reference is taken in this tenant; try another.
    ReferenceTaken,
    /// The draft was deleted while it was being sent: nothing was written.
    DraftGone,
}

const DRAFT_COLUMNS: &str = "id, tenant_id, service_slug, form_version, answers, visited, updated_at, expires_at";
const CASE_COLUMNS: &str =
    "id, reference, tenant_id, service_slug, summary, fee_cents, status, submitted_at, trust_level,
    delivered_at, authority_reference,
    EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = cases.id AND o.done_at IS NULL
            AND (o.failed_at IS NOT NULL OR o.attempt >= 3)) AS delivery_delayed";

/// A new draft's id; `None` when the account has a draft of this service in this tenant already
/// (the schema allows one).
#[allow(clippy::too_many_arguments)]
pub async fn create_draft(
    db: &Db,
    account_id: &str,
    tenant_id: &str,
    service_slug: &str,
    form_version: i32,
    answers: &serde_json::Map<String, Json>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    let id = Uuid::now_v7().to_string();
    let created = with_pool!(db, pool => sqlx::query(
        "INSERT INTO draft (id, account_id, tenant_id, service_slug, form_version, answers, visited, created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
         ON CONFLICT (account_id, tenant_id, service_slug) DO NOTHING",
    )
    .bind(&id).bind(account_id).bind(tenant_id).bind(service_slug).bind(form_version)
    .bind(AsJson(answers)).bind(AsJson(Vec::<String>::new())).bind(now).bind(expires_at)
    .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok((created == 1).then_some(id))
}

/// The session named by its hash and, in the same query, its account's draft in this tenant (`None`
/// for another account's draft, or one that does not exist).
pub async fn session_and_draft(
    db: &Db,
    session_hash: &str,
    draft_id: &str,
    tenant_id: &str,
) -> sqlx::Result<Option<(SessionRow, Option<DraftRow>)>> {
    const SQL: &str = concat!(
        "SELECT ",
        session_columns!(),
        ", d.id AS d_id, d.tenant_id AS d_tenant_id, d.service_slug AS d_service_slug,
            d.form_version AS d_form_version, d.answers AS d_answers, d.visited AS d_visited,
            d.updated_at AS d_updated_at, d.expires_at AS d_expires_at
         FROM ",
        session_from!(),
        " LEFT JOIN draft d ON d.id = $2 AND d.tenant_id = $3 AND d.account_id = s.account_id
         WHERE s.id_hash = $1"
    );
    with_pool!(db, pool => {
        let row = sqlx::query(SQL).bind(session_hash).bind(draft_id).bind(tenant_id).fetch_optional(pool).await?;
        row.map(|r| {
            // The session's columns keep their names; the draft's are prefixed `d_`.
            let session = SessionRow::from_row(&r)?;
            let draft = match r.try_get::<Option<String>, _>("d_id")? {
                Some(id) => Some(DraftRow {
                    id,
                    tenant_id: r.try_get("d_tenant_id")?,
                    service_slug: r.try_get("d_service_slug")?,
                    form_version: r.try_get("d_form_version")?,
                    answers: r.try_get("d_answers")?,
                    visited: r.try_get("d_visited")?,
                    updated_at: r.try_get("d_updated_at")?,
                    expires_at: r.try_get("d_expires_at")?,
                }),
                None => None,
            };
            Ok((session, draft))
        })
        .transpose()
    })
}

/// The account's most recent draft for a service, to continue instead of starting again.
pub async fn draft_for_service(
    db: &Db,
    account_id: &str,
    tenant_id: &str,
    service_slug: &str,
) -> sqlx::Result<Option<DraftRow>> {
    let sql =
        format!("SELECT {DRAFT_COLUMNS} FROM draft WHERE account_id = $1 AND tenant_id = $2 AND service_slug = $3");
    with_pool!(db, pool => sqlx::query_as(&sql).bind(account_id).bind(tenant_id).bind(service_slug).fetch_optional(pool).await)
}

/// All drafts of an account, newest first.
pub async fn drafts_of(db: &Db, account_id: &str) -> sqlx::Result<Vec<DraftRow>> {
    let sql = format!("SELECT {DRAFT_COLUMNS} FROM draft WHERE account_id = $1 ORDER BY updated_at DESC");
    with_pool!(db, pool => sqlx::query_as(&sql).bind(account_id).fetch_all(pool).await)
}

/// Saves answers; every save moves the expiry out again. `false` when the draft is gone.
#[allow(clippy::too_many_arguments)]
pub async fn save_draft(
    tx: &mut Tx,
    id: &str,
    account_id: &str,
    tenant_id: &str,
    answers: &serde_json::Map<String, Json>,
    visited: &[String],
    form_version: i32,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let updated = with_tx!(tx, conn => sqlx::query(
        "UPDATE draft SET answers = $1, visited = $2, form_version = $3, updated_at = $4, expires_at = $5, reminded_at = NULL
         WHERE id = $6 AND account_id = $7 AND tenant_id = $8",
    )
    .bind(AsJson(answers)).bind(AsJson(visited)).bind(form_version).bind(now).bind(expires_at).bind(id).bind(account_id)
    .bind(tenant_id)
    .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(updated == 1)
}

/// What became of deleting a draft.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    Yes,
    /// Its fee is paid or being paid: it stays until it is sent.
    KeptForPayment,
    /// No such draft of this owner and tenant.
    NotFound,
}

/// Deletes the owner's draft, unless a payment keeps it. The draft's row (PostgreSQL) or the write
/// lock (SQLite) is taken before its payments are looked at, as a payment being kept or created
/// takes it ([`super::payments::insert`], [`super::payments::created`]): either the payment is
/// seen and keeps the draft, or it finds the draft gone and nobody is sent to pay.
pub async fn delete_draft(db: &Db, id: &str, account_id: &str, tenant_id: &str) -> sqlx::Result<Deleted> {
    let mut tx = db.begin().await?;
    let found = with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE draft SET expires_at = expires_at WHERE id = $1 AND account_id = $2 AND tenant_id = $3",
    ).bind(id).bind(account_id).bind(tenant_id).execute(conn).await.map(|r| r.rows_affected() == 1))?;
    if !found {
        return Ok(Deleted::NotFound);
    }
    let sql = format!("DELETE FROM draft WHERE id = $1 AND NOT {KEEPS_DRAFT}");
    let deleted = with_tx!(&mut tx, conn => sqlx::query(&sql)
        .bind(id).execute(conn).await.map(|r| r.rows_affected() == 1))?;
    tx.commit().await?;
    Ok(if deleted { Deleted::Yes } else { Deleted::KeptForPayment })
}

/// Writes the case, its delivery to the service's destination and the citizen's confirmation mail,
/// and removes the draft, all or nothing. Submitting the same draft again writes nothing and says so.
pub async fn submit(db: &Db, case: &NewCase<'_>) -> sqlx::Result<Submitted> {
    let case_id = Uuid::now_v7().to_string();
    let outbox_id = Uuid::now_v7().to_string();
    let mut tx = db.begin().await?;
    let result = with_tx!(&mut tx, tx => async {
        let inserted = sqlx::query(
            "INSERT INTO cases (id, reference, tenant_id, account_id, draft_id, service_slug, form_version, answers, summary,
                                trust_level, fee_cents, status, submitted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'SUBMITTED', $12)
             ON CONFLICT (draft_id) DO NOTHING",
        )
        .bind(&case_id).bind(case.reference).bind(case.tenant_id).bind(case.account_id).bind(case.draft_id)
        .bind(case.service_slug).bind(case.form_version).bind(AsJson(case.answers)).bind(AsJson(case.summary))
        .bind(case.trust_level).bind(case.fee_cents).bind(case.now)
        .execute(&mut *tx).await?.rows_affected();
        if inserted == 0 {
            return Ok(Submitted::Already);
        }
        // A service without a destination (impossible with a valid catalogue) leaves it NULL: the
        // worker then fails the delivery for operators to see, and the case is kept.
        sqlx::query(
            "INSERT INTO outbox (id, kind, case_id, destination, attempt, next_attempt_at, created_at)
             VALUES ($1, 'delivery', $2, (SELECT destination FROM service WHERE tenant_id = $3 AND slug = $4), 0, $5, $5)",
        )
        .bind(&outbox_id).bind(&case_id).bind(case.tenant_id).bind(case.service_slug).bind(case.now)
        .execute(&mut *tx).await?;
        // The files the answers keep go with the case (before the draft, which takes the others).
        for file in case.files {
            sqlx::query("UPDATE attachment SET case_id = $1, draft_id = NULL WHERE id = $2 AND draft_id = $3")
                .bind(&case_id).bind(file).bind(case.draft_id)
                .execute(&mut *tx).await?;
        }
        let deleted = sqlx::query("DELETE FROM draft WHERE id = $1 AND account_id = $2 AND tenant_id = $3")
            .bind(case.draft_id).bind(case.account_id).bind(case.tenant_id)
            .execute(&mut *tx).await?.rows_affected();
        if deleted == 0 {
            // Deleted by its owner in the meantime ("Löschen" in another tab): no case either.
            return Ok(Submitted::DraftGone);
        }
        Ok(Submitted::Created)
    }.await);
    let result = match result {
        Ok(Submitted::Created) => {
            if let Some(mail) = case.confirmation {
                outbox::enqueue_mail(&mut tx, mail).await?;
            }
            outbox::notify_workers(&mut tx).await?;
            tx.commit().await.map(|()| Submitted::Created)
        }
        other => other,
    };
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Submitted::ReferenceTaken),
        other => other,
    }
}

/// The case made from a draft, if it was submitted.
pub async fn case_of_draft(
    db: &Db,
    draft_id: &str,
    account_id: &str,
    tenant_id: &str,
) -> sqlx::Result<Option<CaseRow>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE draft_id = $1 AND account_id = $2 AND tenant_id = $3");
    with_pool!(db, pool => sqlx::query_as(&sql).bind(draft_id).bind(account_id).bind(tenant_id).fetch_optional(pool).await)
}

pub async fn case_by_reference(
    db: &Db,
    reference: &str,
    account_id: &str,
    tenant_id: &str,
) -> sqlx::Result<Option<CaseRow>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE reference = $1 AND account_id = $2 AND tenant_id = $3");
    with_pool!(db, pool => sqlx::query_as(&sql).bind(reference).bind(account_id).bind(tenant_id).fetch_optional(pool).await)
}

/// All cases of an account, newest first (for its data export).
pub async fn cases_of(db: &Db, account_id: &str) -> sqlx::Result<Vec<CaseRow>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE account_id = $1 ORDER BY submitted_at DESC, id DESC");
    with_pool!(db, pool => sqlx::query_as(&sql).bind(account_id).fetch_all(pool).await)
}

/// Up to `limit` of the account's cases, newest first; `before` is the last case of the page
/// before (its id): each page is one range of the index on (account, submitted_at, id).
pub async fn cases_page(db: &Db, account_id: &str, before: Option<&str>, limit: i64) -> sqlx::Result<Vec<CaseRow>> {
    let sql = match before {
        None => format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE account_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT $2"
        ),
        Some(_) => format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE account_id = $1
               AND (submitted_at, id) < (SELECT submitted_at, id FROM cases WHERE id = $3 AND account_id = $1)
             ORDER BY submitted_at DESC, id DESC LIMIT $2"
        ),
    };
    with_pool!(db, pool => {
        let query = sqlx::query_as(&sql).bind(account_id).bind(limit);
        match before {
            Some(before) => query.bind(before).fetch_all(pool).await,
            None => query.fetch_all(pool).await,
        }
    })
}

/// The id of the tenant's case with this reference.
pub async fn case_id_of_tenant(db: &Db, tenant_id: &str, reference: &str) -> sqlx::Result<Option<String>> {
    with_pool!(db, pool => sqlx::query_scalar("SELECT id FROM cases WHERE tenant_id = $1 AND reference = $2")
        .bind(tenant_id).bind(reference).fetch_optional(pool).await)
}

/// A case as the backend API lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedCase {
    pub reference: String,
    pub service_slug: String,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Which of a tenant's cases a backend asks for, in the order they came.
#[derive(Debug, Default)]
pub struct CaseFilter<'a> {
    pub status: Option<&'a str>,
    /// Submitted at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only cases that came after the case with this reference (the last of the page before).
    pub after: Option<&'a str>,
}

/// Up to `limit` of the tenant's cases that pass the filter, oldest first; `None` when `after`
/// names no case of the tenant. Each page is one range scan of an index on (tenant, [status,]
/// submitted_at, id), however many cases the tenant has.
pub async fn cases_of_tenant(
    db: &Db,
    tenant_id: &str,
    filter: &CaseFilter<'_>,
    limit: i64,
) -> sqlx::Result<Option<Vec<ListedCase>>> {
    let after: Option<(DateTime<Utc>, String)> = match filter.after {
        None => None,
        Some(reference) => {
            let found = with_pool!(db, pool => sqlx::query_as(
                "SELECT submitted_at, id FROM cases WHERE tenant_id = $1 AND reference = $2")
                .bind(tenant_id).bind(reference).fetch_optional(pool).await)?;
            match found {
                None => return Ok(None),
                found => found,
            }
        }
    };
    let mut sql = String::from(
        "SELECT reference, service_slug, status, submitted_at, delivered_at FROM cases WHERE tenant_id = $1",
    );
    let mut next = 2;
    let mut placeholder = || {
        next += 1;
        next - 1
    };
    if filter.status.is_some() {
        sql += &format!(" AND status = ${}", placeholder());
    }
    if filter.since.is_some() {
        sql += &format!(" AND submitted_at >= ${}", placeholder());
    }
    if after.is_some() {
        sql += &format!(" AND (submitted_at, id) > (${}, ${})", placeholder(), placeholder());
    }
    sql += &format!(" ORDER BY submitted_at, id LIMIT ${}", placeholder());
    with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql).bind(tenant_id);
        if let Some(status) = filter.status {
            query = query.bind(status);
        }
        if let Some(since) = filter.since {
            query = query.bind(since);
        }
        if let Some((submitted_at, id)) = &after {
            query = query.bind(*submitted_at).bind(id.clone());
        }
        query.bind(limit).fetch_all(pool).await
    })
    .map(Some)
}

/// The answers of an account's cases as stored (by case id), for the data export.
pub async fn case_answers_of(
    db: &Db,
    account_id: &str,
) -> sqlx::Result<Vec<(String, AsJson<serde_json::Map<String, Json>>)>> {
    with_pool!(db, pool => sqlx::query_as("SELECT id, answers FROM cases WHERE account_id = $1")
        .bind(account_id).fetch_all(pool).await)
}

/// A step kept while the session had expired, for the data export.
#[derive(Debug, sqlx::FromRow)]
pub struct ParkedRow {
    pub draft_id: String,
    pub step_id: String,
    pub posted: AsJson<Vec<(String, String)>>,
    pub created_at: DateTime<Utc>,
}

/// The parked steps of an account's drafts.
pub async fn parked_steps_of(db: &Db, account_id: &str) -> sqlx::Result<Vec<ParkedRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT p.draft_id, p.step_id, p.posted, p.created_at
         FROM parked_step p JOIN draft d ON d.id = p.draft_id WHERE d.account_id = $1",
    ).bind(account_id).fetch_all(pool).await)
}

/// Keeps a step as posted while the session had expired (name-value pairs), under the hash of a
/// token only the citizen's browser holds; it replaces an earlier one of the draft. False when there
/// is no such draft.
pub async fn park_step(
    db: &Db,
    token_hash: &str,
    draft_id: &str,
    step_id: &str,
    posted: &[(String, String)],
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let parked = with_pool!(db, pool => sqlx::query(
        "INSERT INTO parked_step (token_hash, draft_id, step_id, posted, created_at)
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM draft WHERE id = $2)
         ON CONFLICT (draft_id) DO UPDATE SET token_hash = excluded.token_hash, step_id = excluded.step_id,
             posted = excluded.posted, created_at = excluded.created_at",
    )
    .bind(token_hash).bind(draft_id).bind(step_id).bind(AsJson(posted)).bind(now)
    .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(parked == 1)
}

/// Takes a parked step back out, only for the draft's owner; it is removed either way it matches.
pub async fn take_parked_step(
    db: &Db,
    token_hash: &str,
    draft_id: &str,
    account_id: &str,
    tenant_id: &str,
    not_before: DateTime<Utc>,
) -> sqlx::Result<Option<(String, AsJson<Vec<(String, String)>>)>> {
    with_pool!(db, pool => sqlx::query_as(
        "DELETE FROM parked_step
         WHERE token_hash = $1 AND draft_id = $2 AND created_at > $3
           AND draft_id IN (SELECT id FROM draft WHERE account_id = $4 AND tenant_id = $5)
         RETURNING step_id, posted",
    )
    .bind(token_hash).bind(draft_id).bind(not_before).bind(account_id).bind(tenant_id)
    .fetch_optional(pool).await)
}

/// How long a step posted after the session expired is kept for its owner to log in again.
pub const PARKED_HOURS: i64 = 2;

/// Deletes drafts past their expiry (not those with a fee being paid or paid) and parked steps
/// older than `PARKED_HOURS`.
pub async fn remove_expired_drafts(db: &Db, now: DateTime<Utc>) -> sqlx::Result<()> {
    let parked_before = now - chrono::Duration::hours(PARKED_HOURS);
    // A draft whose fee is being paid, or was paid, stays until it is sent: never paid but lost.
    let sql = format!("DELETE FROM draft WHERE expires_at <= $1 AND NOT {KEEPS_DRAFT}");
    with_pool!(db, pool => sqlx::query(&sql)
        .bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    with_pool!(db, pool => sqlx::query("DELETE FROM parked_step WHERE created_at <= $1")
        .bind(parked_before).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Drafts that expire before `warn_from` and whose owner has not been reminded since the last save,
/// with the owner's address (none for an account that only logs in through a provider).
pub async fn drafts_to_remind(db: &Db, warn_from: DateTime<Utc>) -> sqlx::Result<Vec<(String, Option<String>)>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT d.id, a.email FROM draft d JOIN account a ON a.id = d.account_id
         WHERE d.reminded_at IS NULL AND d.expires_at <= $1",
    ).bind(warn_from).fetch_all(pool).await)
}

/// Marks a reminded draft, unless it was saved since `drafts_to_remind` found it (a save moves the
/// expiry out and asks for a new reminder later) or was marked by another node meanwhile; true when
/// this call marked it.
pub async fn mark_reminded(
    tx: &mut Tx,
    draft_id: &str,
    now: DateTime<Utc>,
    warn_from: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let marked = with_tx!(tx, conn => sqlx::query(
        "UPDATE draft SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL AND expires_at <= $3",
    )
    .bind(now).bind(draft_id).bind(warn_from).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(marked == 1)
}
