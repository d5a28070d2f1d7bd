//! Removes expired sessions, used tokens and old rate-limit attempts every ten minutes.

use std::time::Duration;

use chrono::Utc;

use crate::db::Db;
use crate::db::accounts;

const EVERY: Duration = Duration::from_secs(600);
/// Attempts are kept a day: longer than any rate-limit window.
const KEEP_ATTEMPTS: chrono::Duration = chrono::Duration::days(1);

pub fn spawn(db: Db) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            let now = Utc::now();
            if let Err(e) = accounts::remove_expired(&db, now, now - KEEP_ATTEMPTS).await {
                tracing::warn!(error = %e, "housekeeping failed; trying again later");
            }
        }
    });
}
