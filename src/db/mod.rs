//! One database handle for SQLite and PostgreSQL, chosen by the URL scheme.
//!
//! Queries are written once in portable SQL (`$1` placeholders work on both) and run on either pool
//! through [`with_pool!`]; only full-text search differs per database.

pub mod accounts;
pub mod api_answers;
pub mod api_tokens;
pub mod applications;
pub mod attachments;
pub mod case_events;
pub mod catalogue;
pub mod lease;
pub mod messages;
pub mod outbox;
pub mod payments;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// The time now as both databases keep it (PostgreSQL to the microsecond), so that what is answered
/// at once and what is read back later agree.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)
}

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code on whichever pool `$db` holds: `with_pool!(db, pool => query.fetch_all(pool).await)`.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A transaction on either database, for writes that must happen together across modules (an
/// account change and the mail it causes).
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same code on whichever transaction `$tx` (a `&mut Tx`) holds:
/// `with_tx!(tx, conn => query.execute(conn).await)`.
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(crate) use with_tx;

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Self::Sqlite(tx) => tx.commit().await,
            Self::Postgres(tx) => tx.commit().await,
        }
    }
}

impl Db {
    /// Connects and fails with a message naming the database when it does not answer.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let acquire_timeout = Duration::from_secs(5);
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {url}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            // A local file needs no ping before each use; the ping is a round trip to the
            // connection's worker thread and cost a third of a form step's time.
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open the SQLite database {url}"))?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
            let where_ = format!(
                "{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("-")
            );
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await
                .with_context(|| format!("PostgreSQL at {where_} does not answer"))?;
            Ok(Self::Postgres(pool))
        } else {
            anyhow::bail!("database_url must start with sqlite:// or postgres://")
        }
    }

    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await,
            Self::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        }
        .context("applying the database migrations failed")
    }

    /// True when the database answers a trivial query within two seconds.
    pub async fn is_ready(&self) -> bool {
        let ping = async { with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ())) };
        matches!(tokio::time::timeout(Duration::from_secs(2), ping).await, Ok(Ok(())))
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}
