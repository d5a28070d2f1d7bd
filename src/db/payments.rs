//! Fees paid online: one row per payment asked of the provider, written before it is asked. Every
//! query a citizen's request makes is scoped to the account and the tenant.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Db, with_pool};
use crate::domain::payment::PaymentSettings;

/// A payment as the portal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: String,
    pub tenant_id: String,
    pub draft_id: String,
    pub case_id: Option<String>,
    pub amount_cents: i64,
    pub status: String,
    pub transaction_id: Option<String>,
    pub pay_url: Option<String>,
    pub reference: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The application as checked (JSON of `workflow::submit::Application`), sent once paid.
    pub application: String,
}

impl PaymentRow {
    /// Paid, being paid, or stopped for a wrong amount: the draft stays until it is sent (never
    /// paid but lost). The same statuses as [`KEEPS_DRAFT`].
    pub fn keeps_draft(&self) -> bool {
        matches!(self.status.as_str(), "INITIAL" | "PAYED" | "MISMATCH")
    }
}

/// SQL on `draft`: a payment of it keeps it (see [`PaymentRow::keeps_draft`]).
pub const KEEPS_DRAFT: &str =
    "EXISTS (SELECT 1 FROM payment p WHERE p.draft_id = draft.id AND p.status IN ('INITIAL', 'PAYED', 'MISMATCH'))";

const COLUMNS: &str = "id, tenant_id, draft_id, case_id, amount_cents, status, transaction_id, pay_url, reference, \
                       paid_at, created_at, application";

/// The draft's current payment (the newest that was not superseded), if its owner asked for one.
pub async fn current_of_draft(
    db: &Db,
    draft_id: &str,
    account_id: &str,
    tenant_id: &str,
) -> sqlx::Result<Option<PaymentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payment WHERE draft_id = $1 AND account_id = $2 AND tenant_id = $3
           AND status <> 'SUPERSEDED' ORDER BY created_at DESC LIMIT 1"
    );
    with_pool!(db, pool => sqlx::query_as(&sql).bind(draft_id).bind(account_id).bind(tenant_id).fetch_optional(pool).await)
}

/// Payments a citizen may have settled without coming back, least recently asked about first:
/// - asked for after `recent_since` and not asked about since `checked_before`: open, failed or
///   cancelled ones (a later PAYED counts), superseded ones (paid after all, they are sent or paid
///   back), and paid ones whose application is not sent yet;
/// - open ones of any age not asked about since `open_checked_before`: a provider ends an
///   abandoned payment after a time of its own, and until it does the payment keeps its draft.
pub async fn unsettled(
    db: &Db,
    recent_since: DateTime<Utc>,
    checked_before: DateTime<Utc>,
    open_checked_before: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<PaymentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payment
         WHERE transaction_id IS NOT NULL
           AND ((created_at > $1 AND COALESCE(checked_at, created_at) < $2
                 AND (status IN ('INITIAL', 'FAILED', 'CANCELED', 'SUPERSEDED') OR (status = 'PAYED' AND case_id IS NULL)))
                OR (status = 'INITIAL' AND COALESCE(checked_at, created_at) < $3))
         ORDER BY COALESCE(checked_at, created_at) LIMIT $4"
    );
    with_pool!(db, pool => sqlx::query_as(&sql).bind(recent_since).bind(checked_before).bind(open_checked_before)
        .bind(limit).fetch_all(pool).await)
}

/// The fee paid for a case, as the case's page, its receipt, its delivery and the export show it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaidFee {
    pub amount_cents: i64,
    pub transaction_id: Option<String>,
    /// The provider's reference, e.g. the Kassenzeichen.
    pub reference: Option<String>,
    pub method: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
}

/// The fee paid online for the tenant's case, if one was: the paid payment of the draft the case was
/// (read by the draft, so a delivery right after sending finds it before the two are linked).
pub async fn paid_for_case(db: &Db, case_id: &str, tenant_id: &str) -> sqlx::Result<Option<PaidFee>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT p.amount_cents, p.transaction_id, p.reference, p.method, p.paid_at
         FROM cases c JOIN payment p ON p.draft_id = c.draft_id AND p.tenant_id = c.tenant_id
         WHERE c.id = $1 AND c.tenant_id = $2 AND p.status = 'PAYED'",
    ).bind(case_id).bind(tenant_id).fetch_optional(pool).await)
}

/// A payment as the citizen's data export shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct PaymentOfAccount {
    pub tenant_id: String,
    pub amount_cents: i64,
    pub status: String,
    pub transaction_id: Option<String>,
    pub reference: Option<String>,
    pub method: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The reference of the case it paid for.
    pub case_reference: Option<String>,
}

/// Every payment of the account, oldest first.
pub async fn of_account(db: &Db, account_id: &str) -> sqlx::Result<Vec<PaymentOfAccount>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT tenant_id, amount_cents, status, transaction_id, reference, method, paid_at, created_at,
                (SELECT c.reference FROM cases c WHERE c.draft_id = payment.draft_id
                                                   AND c.tenant_id = payment.tenant_id) AS case_reference
         FROM payment WHERE account_id = $1 ORDER BY created_at",
    ).bind(account_id).fetch_all(pool).await)
}

/// A payment with the reference of the case its draft became (sent, whether or not the two were
/// linked yet), for operators.
#[derive(Debug, sqlx::FromRow)]
pub struct PaymentOfTenant {
    #[sqlx(flatten)]
    pub payment: PaymentRow,
    pub case_reference: Option<String>,
}

/// The payments a tenant asked the provider for since `since`, oldest first; `None` when no tenant
/// has the slug.
pub async fn of_tenant_since(
    db: &Db,
    tenant_slug: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<Option<Vec<PaymentOfTenant>>> {
    let tenant: Option<String> = with_pool!(db, pool => sqlx::query_scalar("SELECT id FROM tenant WHERE slug = $1")
        .bind(tenant_slug).fetch_optional(pool).await)?;
    let Some(tenant_id) = tenant else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT c.reference FROM cases c WHERE c.draft_id = payment.draft_id
                                                       AND c.tenant_id = payment.tenant_id) AS case_reference
         FROM payment WHERE tenant_id = $1 AND created_at >= $2 AND transaction_id IS NOT NULL ORDER BY created_at"
    );
    with_pool!(db, pool => sqlx::query_as(&sql).bind(tenant_id).bind(since).fetch_all(pool).await).map(Some)
}

pub struct NewPayment<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub account_id: &'a str,
    pub draft_id: &'a str,
    pub amount_cents: i64,
    pub application: &'a str,
    pub now: DateTime<Utc>,
}

/// A payment being created at the provider for longer than this is taken to have failed there.
const CREATING_AT_MOST: chrono::Duration = chrono::Duration::seconds(30);

/// What became of a payment to keep before the provider is asked.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Kept: ask the provider for it.
    New,
    /// Another request is creating or has created an open payment of the same amount for the
    /// draft (a double click): that one is the draft's payment.
    AnotherOpen,
    /// The draft is gone (its account was deleted meanwhile): nothing may be asked for.
    DraftGone,
}

/// Keeps a payment before the provider is asked for it, superseding the draft's earlier ones that
/// were not paid: failed or cancelled ones, open ones of another amount (the fee changed), and one
/// whose creation failed.
///
/// Its first statement takes the draft's row (PostgreSQL) or the write lock (SQLite) until the
/// commit, as [`super::accounts::delete_account`] does before it looks for payments: a payment is
/// kept only for a draft that still exists, and an account being deleted sees it.
pub async fn insert(db: &Db, new: &NewPayment<'_>) -> sqlx::Result<Inserted> {
    let mut tx = db.begin().await?;
    let draft_exists = super::with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE draft SET expires_at = expires_at WHERE id = $1 AND account_id = $2 AND tenant_id = $3",
    )
    .bind(new.draft_id).bind(new.account_id).bind(new.tenant_id)
    .execute(conn).await.map(|r| r.rows_affected() == 1))?;
    if !draft_exists {
        return Ok(Inserted::DraftGone);
    }
    super::with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE payment SET status = 'SUPERSEDED' WHERE draft_id = $1 AND account_id = $2
           AND (status IN ('FAILED', 'CANCELED')
                OR (status IN ('NEW', 'INITIAL') AND amount_cents <> $3)
                OR (status = 'NEW' AND created_at < $4))",
    )
    .bind(new.draft_id).bind(new.account_id).bind(new.amount_cents).bind(new.now - CREATING_AT_MOST)
    .execute(conn).await.map(drop))?;
    let inserted = super::with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO payment (id, tenant_id, account_id, draft_id, amount_cents, status, application, created_at)
         VALUES ($1, $2, $3, $4, $5, 'NEW', $6, $7)",
    )
    .bind(new.id).bind(new.tenant_id).bind(new.account_id).bind(new.draft_id).bind(new.amount_cents)
    .bind(new.application).bind(new.now)
    .execute(conn).await.map(drop));
    match inserted {
        Ok(()) => tx.commit().await.map(|()| Inserted::New),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Inserted::AnotherOpen),
        Err(e) => Err(e),
    }
}

/// Marks a payment whose creation the provider refused or did not answer, so the next try does not
/// wait for it.
pub async fn not_created(db: &Db, id: &str) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("UPDATE payment SET status = 'FAILED' WHERE id = $1 AND status = 'NEW'")
        .bind(id).execute(pool).await.map(drop))
}

/// What the provider's new transaction is for.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    /// The draft's open payment: the citizen pays it.
    Open,
    /// Superseded while it was being created (another payment of the draft was paid, or took its
    /// place): nobody is sent to pay it.
    Superseded,
    /// The draft was deleted while the provider was asked: nobody is sent to pay it.
    DraftGone,
}

/// Records the transaction the provider created for a payment, and where the citizen pays it. The
/// transaction is kept whatever became of the payment, so that the poller finds it should it be
/// paid after all. The draft's row (PostgreSQL) or the write lock (SQLite) is taken first, as
/// deleting a draft or an account takes it before it looks at payments.
pub async fn created(db: &Db, id: &str, transaction_id: &str, pay_url: &str) -> sqlx::Result<Created> {
    let mut tx = db.begin().await?;
    let draft_exists = super::with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE draft SET expires_at = expires_at WHERE id = (SELECT draft_id FROM payment WHERE id = $1)",
    )
    .bind(id).execute(conn).await.map(|r| r.rows_affected() == 1))?;
    let status: Option<String> = super::with_tx!(&mut tx, conn => sqlx::query_scalar(
        "UPDATE payment SET transaction_id = $1, pay_url = $2,
           status = CASE WHEN status <> 'NEW' THEN status WHEN $3 THEN 'INITIAL' ELSE 'FAILED' END
         WHERE id = $4 AND transaction_id IS NULL RETURNING status",
    )
    .bind(transaction_id).bind(pay_url).bind(draft_exists).bind(id)
    .fetch_optional(conn).await)?;
    tx.commit().await?;
    Ok(match status.as_deref() {
        _ if !draft_exists => Created::DraftGone,
        Some("INITIAL") => Created::Open,
        _ => Created::Superseded,
    })
}

/// The application to send with a payment whose fee did not change (it may have been checked again).
pub async fn replace_application(db: &Db, id: &str, application: &str) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("UPDATE payment SET application = $1 WHERE id = $2")
        .bind(application).bind(id)
        .execute(pool).await.map(drop))
}

/// The status the provider reported.
pub struct Reported<'a> {
    pub status: &'a str,
    pub reference: Option<&'a str>,
    pub method: Option<&'a str>,
    pub paid_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Records what the provider reported and returns the payment's status after it:
/// - a payment recorded as paid, paid twice or stopped for a wrong amount keeps that status (a later
///   answer cannot take the payment back); a later PAYED does replace an earlier FAILED or CANCELED;
/// - a superseded payment changes only when it was paid after all;
/// - a payment paid while another of the same draft is paid already is `REFUND`: money taken twice
///   for one application, for the authority to pay back. Never two `PAYED` for one draft: on
///   PostgreSQL the draft's payments are locked first, on SQLite the statement holds the write lock.
pub async fn reported(db: &Db, id: &str, reported: &Reported<'_>) -> sqlx::Result<Option<String>> {
    let mut tx = db.begin().await?;
    if let super::Tx::Postgres(conn) = &mut tx {
        sqlx::query(
            "SELECT o.id FROM payment o JOIN payment p ON p.draft_id = o.draft_id WHERE p.id = $1
             ORDER BY o.id FOR UPDATE OF o",
        )
        .bind(id)
        .fetch_all(&mut **conn)
        .await?;
    }
    let status = super::with_tx!(&mut tx, conn => sqlx::query_scalar(
        "UPDATE payment SET
           status = CASE
             WHEN status IN ('PAYED', 'REFUND', 'MISMATCH') THEN status
             WHEN status = 'SUPERSEDED' AND $1 NOT IN ('PAYED', 'MISMATCH') THEN status
             WHEN $1 = 'PAYED' AND EXISTS (SELECT 1 FROM payment o WHERE o.draft_id = payment.draft_id
                                            AND o.id <> payment.id AND o.status = 'PAYED') THEN 'REFUND'
             ELSE $1 END,
           reference = COALESCE($2, reference), method = COALESCE($3, method),
           paid_at = COALESCE($4, paid_at), checked_at = $5
         WHERE id = $6 RETURNING status",
    )
    .bind(reported.status).bind(reported.reference).bind(reported.method).bind(reported.paid_at)
    .bind(reported.now).bind(id)
    .fetch_optional(conn).await)?;
    tx.commit().await?;
    Ok(status)
}

/// Links a paid payment to the case its draft became, and forgets the application it kept until
/// then (the case holds it now). The draft's open payments are superseded: paid as well, they are
/// found by the poller and paid back.
pub async fn link_case(db: &Db, id: &str) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    super::with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE payment SET case_id = (SELECT c.id FROM cases c WHERE c.draft_id = payment.draft_id
                                         AND c.tenant_id = payment.tenant_id AND c.account_id = payment.account_id),
                            application = ''
         WHERE id = $1",
    )
    .bind(id)
    .execute(conn).await.map(drop))?;
    super::with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE payment SET status = 'SUPERSEDED'
         WHERE draft_id = (SELECT draft_id FROM payment WHERE id = $1) AND status IN ('NEW', 'INITIAL')",
    )
    .bind(id)
    .execute(conn).await.map(drop))?;
    tx.commit().await
}

/// The tenant's payment provider settings, as imported; `None` for a tenant without one.
pub async fn settings_of_tenant(db: &Db, tenant_id: &str) -> sqlx::Result<Option<PaymentSettings>> {
    let stored: Option<Option<Json<PaymentSettings>>> = with_pool!(db, pool => sqlx::query_scalar(
        "SELECT payment FROM tenant WHERE id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(pool).await)?;
    Ok(stored.flatten().map(|Json(settings)| settings))
}
