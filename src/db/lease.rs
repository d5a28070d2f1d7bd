//! Leases: work that one node of several does at a time takes a named lease until a time; another
//! node gets it only once that time has passed.

use chrono::{DateTime, Utc};

use super::{Db, with_pool};

/// Takes the lease `name` for `holder` until `until`, if nobody holds it past `now` (or `holder`
/// already does). One statement, so two nodes asking at once cannot both get it.
pub async fn take(db: &Db, name: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> sqlx::Result<bool> {
    let taken = with_pool!(db, pool => sqlx::query(
        "INSERT INTO lease (name, holder, until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
         WHERE lease.until <= $4 OR lease.holder = excluded.holder",
    ).bind(name).bind(holder).bind(until).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(taken == 1)
}
