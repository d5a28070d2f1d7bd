//! Accounts, sessions, single-use tokens, rate-limit attempts and the access log.
//! Every query on citizen data names the account it belongs to.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::payments::KEEPS_DRAFT;
use super::{Db, Tx, with_pool, with_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub account_id: Option<String>,
    pub trust_level: Option<String>,
    pub csrf_token: String,
    pub device: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What the header shows for the account: the name from the Stammdaten, else the e-mail address
    /// (read by `session_columns!`; `None` before login and where a query leaves it out).
    #[sqlx(default)]
    pub holder: Option<String>,
    /// The account's messages not read yet (read by `session_columns!`).
    #[sqlx(default)]
    pub unread_messages: Option<i32>,
}

/// The columns of a `SessionRow` from `session s`, with the holder from `account a` and `profile p`
/// joined on the session's account (`session_from!`): a literal, for `concat!`.
macro_rules! session_columns {
    () => {
        "s.id_hash, s.account_id, s.trust_level, s.csrf_token, s.device, s.created_at, s.last_seen_at, s.expires_at,
         COALESCE(NULLIF(TRIM(COALESCE(p.given_name, '') || ' ' || COALESCE(p.family_name, '')), ''), a.email) AS holder,
         a.unread_messages"
    };
}

/// `session s` with the account and Stammdaten that `session_columns!` reads.
macro_rules! session_from {
    () => {
        "session s LEFT JOIN account a ON a.id = s.account_id LEFT JOIN profile p ON p.account_id = s.account_id"
    };
}

pub(crate) use {session_columns, session_from};

#[derive(Debug, sqlx::FromRow)]
pub struct AccessLogRow {
    pub event: String,
    pub device: String,
    pub at: DateTime<Utc>,
}

/// Why a single-use link was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChangeEmail => "change_email",
        }
    }
}

fn new_id() -> String {
    Uuid::now_v7().to_string()
}

pub async fn account_by_email(db: &Db, email: &str) -> sqlx::Result<Option<AccountRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT id, email, password_hash, email_verified_at FROM account WHERE email = $1",
    ).bind(email).fetch_optional(pool).await)
}

pub async fn account_by_id(db: &Db, id: &str) -> sqlx::Result<Option<AccountRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT id, email, password_hash, email_verified_at FROM account WHERE id = $1",
    ).bind(id).fetch_optional(pool).await)
}

/// A new local account, not yet verified. `None` when the address is already taken.
pub async fn create_account(
    tx: &mut Tx,
    email: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    let id = new_id();
    let inserted = with_tx!(tx, conn => sqlx::query(
        "INSERT INTO account (id, email, password_hash, email_verified_at, created_at) VALUES ($1, $2, $3, NULL, $4)
         ON CONFLICT (email) DO NOTHING",
    ).bind(&id).bind(email).bind(password_hash).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok((inserted == 1).then_some(id))
}

pub async fn mark_email_verified(db: &Db, account_id: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "UPDATE account SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
    ).bind(now).bind(account_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A new password; the account's outstanding reset and change-of-address links stop working.
pub async fn set_password(tx: &mut Tx, account_id: &str, password_hash: &str) -> sqlx::Result<()> {
    with_tx!(tx, conn => sqlx::query("UPDATE account SET password_hash = $1 WHERE id = $2")
        .bind(password_hash).bind(account_id).execute(conn).await.map(|r| r.rows_affected()))?;
    revoke_links(
        tx,
        account_id,
        &[TokenPurpose::ResetPassword, TokenPurpose::ChangeEmail],
    )
    .await
}

/// A new link of this purpose; it replaces the account's earlier unused ones, so only the newest
/// link works.
pub async fn create_token(
    tx: &mut Tx,
    token_hash: &str,
    account_id: &str,
    purpose: TokenPurpose,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    revoke_links(tx, account_id, &[purpose]).await?;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO account_token (token_hash, account_id, purpose, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
    ).bind(token_hash).bind(account_id).bind(purpose.as_str()).bind(expires_at).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Makes the account's unused links of these purposes worthless: a newer link replaces them, or
/// the password or address they would change has changed.
pub async fn revoke_links(tx: &mut Tx, account_id: &str, purposes: &[TokenPurpose]) -> sqlx::Result<()> {
    for purpose in purposes {
        with_tx!(tx, conn => sqlx::query(
            "DELETE FROM account_token WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL",
        ).bind(account_id).bind(purpose.as_str()).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// The account a valid, unused token of that purpose belongs to, without using it up.
pub async fn token_account(
    db: &Db,
    token_hash: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT account_id FROM account_token
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    ).bind(token_hash).bind(purpose.as_str()).bind(now).fetch_optional(pool).await)?;
    Ok(row.map(|(id,)| id))
}

/// Uses the token up; the account it belonged to, or `None` when it was unknown, used or expired.
/// One conditional UPDATE, so two requests racing with the same link cannot both succeed.
pub async fn use_token(
    db: &Db,
    token_hash: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = with_pool!(db, pool => sqlx::query_as(
        "UPDATE account_token SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING account_id",
    ).bind(now).bind(token_hash).bind(purpose.as_str()).fetch_optional(pool).await)?;
    Ok(row.map(|(id,)| id))
}

pub async fn create_session(db: &Db, row: &SessionRow) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "INSERT INTO session (id_hash, account_id, trust_level, csrf_token, device, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.id_hash).bind(&row.account_id).bind(&row.trust_level).bind(&row.csrf_token)
    .bind(&row.device).bind(row.created_at).bind(row.last_seen_at).bind(row.expires_at)
    .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn session(db: &Db, id_hash: &str) -> sqlx::Result<Option<SessionRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        session_columns!(),
        " FROM ",
        session_from!(),
        " WHERE s.id_hash = $1"
    );
    with_pool!(db, pool => sqlx::query_as(SQL).bind(id_hash).fetch_optional(pool).await)
}

pub async fn touch_session(db: &Db, id_hash: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("UPDATE session SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now).bind(id_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_session(db: &Db, id_hash: &str) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("DELETE FROM session WHERE id_hash = $1").bind(id_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends one of the citizen's own sessions; another account's session id does nothing.
pub async fn delete_session_of(db: &Db, account_id: &str, id_hash: &str) -> sqlx::Result<bool> {
    let done = with_pool!(db, pool => sqlx::query("DELETE FROM session WHERE id_hash = $1 AND account_id = $2")
        .bind(id_hash).bind(account_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn delete_sessions_of(db: &Db, account_id: &str) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("DELETE FROM session WHERE account_id = $1").bind(account_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn sessions_of(db: &Db, account_id: &str, now: DateTime<Utc>) -> sqlx::Result<Vec<SessionRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT id_hash, account_id, trust_level, csrf_token, device, created_at, last_seen_at, expires_at
         FROM session WHERE account_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC",
    ).bind(account_id).bind(now).fetch_all(pool).await)
}

/// Records an attempt unless `max` of that kind and key happened since `since` already; returns the
/// new attempt's id, or `None` (and nothing written) when the limit is reached.
///
/// Atomic, so concurrent requests cannot all pass a limit they each see unreached: on SQLite the
/// statement holds the database's write lock from its start; on PostgreSQL a transaction-scoped
/// advisory lock on kind and key makes concurrent takers wait their turn.
pub async fn take_attempt(
    db: &Db,
    kind: &str,
    key_hash: &str,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
    max: i64,
) -> sqlx::Result<Option<String>> {
    const TAKE: &str = "INSERT INTO auth_attempt (id, kind, key_hash, at) SELECT $1, $2, $3, $4
        WHERE (SELECT COUNT(*) FROM auth_attempt WHERE kind = $2 AND key_hash = $3 AND at > $5) < $6";
    let id = new_id();
    let mut tx = db.begin().await?;
    if let Tx::Postgres(tx) = &mut tx {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("{kind}:{key_hash}"))
            .execute(&mut **tx)
            .await?;
    }
    let taken = with_tx!(&mut tx, conn => sqlx::query(TAKE)
        .bind(&id).bind(kind).bind(key_hash).bind(now).bind(since).bind(max)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok((taken == 1).then_some(id))
}

/// Removes one attempt: a login that succeeded gives its place back.
pub async fn remove_attempt(db: &Db, id: &str) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("DELETE FROM auth_attempt WHERE id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn log_access(db: &Db, account_id: &str, event: &str, device: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "INSERT INTO access_log (id, account_id, event, device, at) VALUES ($1, $2, $3, $4, $5)",
    ).bind(new_id()).bind(account_id).bind(event).bind(device).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn access_log(db: &Db, account_id: &str, limit: i64) -> sqlx::Result<Vec<AccessLogRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT event, device, at FROM access_log WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    ).bind(account_id).bind(limit).fetch_all(pool).await)
}

/// Removes expired sessions, used or expired tokens and old attempts.
pub async fn remove_expired(db: &Db, now: DateTime<Utc>, attempts_before: DateTime<Utc>) -> sqlx::Result<()> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM session WHERE expires_at <= $1").bind(now).execute(pool).await?;
        sqlx::query("DELETE FROM account_token WHERE expires_at <= $1 OR used_at IS NOT NULL").bind(now).execute(pool).await?;
        sqlx::query("DELETE FROM auth_attempt WHERE at <= $1").bind(attempts_before).execute(pool).await?;
        sqlx::query("DELETE FROM login_flow WHERE expires_at <= $1").bind(now).execute(pool).await?;
        Ok(())
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginFlowRow {
    pub provider_id: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ProfileRow {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birthdate: Option<String>,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
    pub country: Option<String>,
    pub confirmed_by: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn create_login_flow(
    db: &Db,
    state_hash: &str,
    session_hash: &str,
    provider_id: &str,
    nonce: &str,
    pkce_verifier: &str,
    return_to: &str,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "INSERT INTO login_flow (state_hash, session_hash, provider_id, nonce, pkce_verifier, return_to, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(state_hash).bind(session_hash).bind(provider_id).bind(nonce).bind(pkce_verifier).bind(return_to).bind(expires_at)
    .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Takes the flow out: a second callback with the same state finds nothing. Only the browser session
/// that started the login can finish it.
pub async fn take_login_flow(
    db: &Db,
    state_hash: &str,
    session_hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<LoginFlowRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "DELETE FROM login_flow WHERE state_hash = $1 AND session_hash = $2 AND expires_at > $3
         RETURNING provider_id, nonce, pkce_verifier, return_to",
    ).bind(state_hash).bind(session_hash).bind(now).fetch_optional(pool).await)
}

/// The account linked to a provider's subject.
pub async fn identity_account(db: &Db, issuer: &str, subject: &str) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT account_id FROM identity WHERE issuer = $1 AND subject = $2",
    ).bind(issuer).bind(subject).fetch_optional(pool).await)?;
    Ok(row.map(|(id,)| id))
}

/// A new account that only a provider can log in to.
pub async fn create_account_without_password(db: &Db, now: DateTime<Utc>) -> sqlx::Result<String> {
    let id = new_id();
    with_pool!(db, pool => sqlx::query(
        "INSERT INTO account (id, email, password_hash, email_verified_at, created_at) VALUES ($1, NULL, NULL, NULL, $2)",
    ).bind(&id).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
pub async fn link_identity(
    db: &Db,
    issuer: &str,
    subject: &str,
    provider_id: &str,
    account_id: &str,
    trust_level: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "INSERT INTO identity (issuer, subject, provider_id, account_id, trust_level, linked_at, last_login_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (issuer, subject) DO UPDATE SET trust_level = excluded.trust_level, last_login_at = excluded.last_login_at",
    ).bind(issuer).bind(subject).bind(provider_id).bind(account_id).bind(trust_level).bind(now)
    .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Provider names linked to the account, for the account page.
/// A provider login linked to an account, for the data export.
#[derive(Debug, sqlx::FromRow)]
pub struct IdentityRow {
    pub provider_id: String,
    pub issuer: String,
    pub subject: String,
    pub trust_level: String,
    pub linked_at: DateTime<Utc>,
    pub last_login_at: DateTime<Utc>,
}

pub async fn identities_of(db: &Db, account_id: &str) -> sqlx::Result<Vec<IdentityRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT provider_id, issuer, subject, trust_level, linked_at, last_login_at
         FROM identity WHERE account_id = $1 ORDER BY linked_at",
    ).bind(account_id).fetch_all(pool).await)
}

pub async fn linked_providers(db: &Db, account_id: &str) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT provider_id FROM identity WHERE account_id = $1 ORDER BY linked_at",
    ).bind(account_id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

pub async fn profile(db: &Db, account_id: &str) -> sqlx::Result<Option<ProfileRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT given_name, family_name, birthdate, street_address, postal_code, locality, country, confirmed_by
         FROM profile WHERE account_id = $1",
    ).bind(account_id).fetch_optional(pool).await)
}

/// What the Servicekonto can fill into a form: the e-mail address and the Stammdaten (all empty when
/// the citizen has entered none).
#[derive(Debug, Default, sqlx::FromRow)]
pub struct Stammdaten {
    pub email: Option<String>,
    #[sqlx(flatten)]
    pub profile: ProfileRow,
}

/// The account's e-mail address and Stammdaten in one query.
pub async fn stammdaten(db: &Db, account_id: &str) -> sqlx::Result<Option<Stammdaten>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT a.email, p.given_name, p.family_name, p.birthdate, p.street_address, p.postal_code, p.locality,
                p.country, p.confirmed_by
         FROM account a LEFT JOIN profile p ON p.account_id = a.id WHERE a.id = $1",
    ).bind(account_id).fetch_optional(pool).await)
}

pub async fn save_profile(db: &Db, account_id: &str, profile: &ProfileRow, now: DateTime<Utc>) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query(
        "INSERT INTO profile (account_id, given_name, family_name, birthdate, street_address, postal_code, locality, country, confirmed_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (account_id) DO UPDATE SET given_name = excluded.given_name, family_name = excluded.family_name,
           birthdate = excluded.birthdate, street_address = excluded.street_address, postal_code = excluded.postal_code,
           locality = excluded.locality, country = excluded.country, confirmed_by = excluded.confirmed_by,
           updated_at = excluded.updated_at",
    )
    .bind(account_id).bind(&profile.given_name).bind(&profile.family_name).bind(&profile.birthdate)
    .bind(&profile.street_address).bind(&profile.postal_code).bind(&profile.locality).bind(&profile.country)
    .bind(&profile.confirmed_by).bind(now)
    .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends every session of the account but the given one (after a password change).
pub async fn delete_other_sessions(db: &Db, account_id: &str, keep_id_hash: &str) -> sqlx::Result<()> {
    with_pool!(db, pool => sqlx::query("DELETE FROM session WHERE account_id = $1 AND id_hash <> $2")
        .bind(account_id).bind(keep_id_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whether a draft of the account is kept by a payment (paid or being paid, not sent yet): the
/// account cannot be deleted until it is sent or the payment is cancelled.
pub async fn has_draft_kept_for_payment(db: &Db, account_id: &str) -> sqlx::Result<bool> {
    let sql = format!("SELECT COUNT(*) FROM draft WHERE account_id = $1 AND {KEEPS_DRAFT}");
    let kept: i64 = with_pool!(db, pool => sqlx::query_scalar(&sql).bind(account_id).fetch_one(pool).await)?;
    Ok(kept > 0)
}

/// Deletes the account, unless a draft of it is kept by a payment (then false). Sessions, tokens,
/// logins, Stammdaten, access log and drafts go with it (ON DELETE CASCADE); so do payments that
/// were not paid. A paid one stays for the authority's books, without the answers (those are in the
/// case the authority has).
///
/// The account's drafts (PostgreSQL) or the write lock (SQLite) are taken before their payments
/// are looked at, as a payment being kept or created takes its draft: either the payment is seen
/// and keeps the account, or it finds its draft gone and nobody is sent to pay.
pub async fn delete_account(db: &Db, account_id: &str) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE draft SET expires_at = expires_at WHERE account_id = $1")
        .bind(account_id).execute(conn).await.map(drop))?;
    let sql = format!("SELECT COUNT(*) FROM draft WHERE account_id = $1 AND {KEEPS_DRAFT}");
    let kept: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(&sql).bind(account_id).fetch_one(conn).await)?;
    if kept > 0 {
        return Ok(false);
    }
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM payment WHERE account_id = $1 AND status <> 'PAYED'")
        .bind(account_id).execute(conn).await.map(drop))?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE payment SET application = '' WHERE account_id = $1")
        .bind(account_id).execute(conn).await.map(drop))?;
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM account WHERE id = $1")
        .bind(account_id).execute(conn).await.map(drop))?;
    tx.commit().await?;
    Ok(true)
}

/// A link that confirms `new_email` as the account's address.
/// A link that confirms a new address; it replaces earlier unused ones of the account.
pub async fn create_email_change_token(
    tx: &mut Tx,
    token_hash: &str,
    account_id: &str,
    new_email: &str,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    revoke_links(tx, account_id, &[TokenPurpose::ChangeEmail]).await?;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO account_token (token_hash, account_id, purpose, expires_at, used_at, new_email) VALUES ($1, $2, $3, $4, NULL, $5)",
    ).bind(token_hash).bind(account_id).bind(TokenPurpose::ChangeEmail.as_str()).bind(expires_at).bind(new_email)
    .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Uses up an e-mail change link: the account and its new address.
pub async fn use_email_change_token(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(String, String)>> {
    with_pool!(db, pool => sqlx::query_as(
        "UPDATE account_token SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 AND new_email IS NOT NULL
         RETURNING account_id, new_email",
    ).bind(now).bind(token_hash).bind(TokenPurpose::ChangeEmail.as_str()).fetch_optional(pool).await)
}

/// Sets a new, verified address; false when another account has taken it meanwhile.
/// The new address, confirmed now; links sent to the old one (reset, change of address) stop
/// working. False when another account has the address.
pub async fn change_email(db: &Db, account_id: &str, email: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let taken: Option<(String,)> = with_pool!(db, pool => sqlx::query_as("SELECT id FROM account WHERE email = $1")
        .bind(email).fetch_optional(pool).await)?;
    if taken.is_some_and(|(id,)| id != account_id) {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE account SET email = $1, email_verified_at = $2 WHERE id = $3")
        .bind(email).bind(now).bind(account_id).execute(conn).await.map(|r| r.rows_affected()))?;
    revoke_links(
        &mut tx,
        account_id,
        &[TokenPurpose::ResetPassword, TokenPurpose::ChangeEmail],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
