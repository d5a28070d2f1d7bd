//! Rate limits on login, registration and reset mails, per IP address and per account or address.
//! Counted in the database so every app node sees the same numbers; a window that passes lifts the
//! limit by itself, so nobody can lock a citizen out for good.

use chrono::{Duration, Utc};

use super::token;
use crate::db::Db;
use crate::db::accounts;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub kind: &'static str,
    pub max: i64,
    pub window: Duration,
}

pub const FAILED_LOGIN_PER_ACCOUNT: Limit = Limit {
    kind: "login_account",
    max: 5,
    window: Duration::minutes(15),
};
pub const FAILED_LOGIN_PER_IP: Limit = Limit {
    kind: "login_ip",
    max: 20,
    window: Duration::minutes(15),
};
pub const REGISTRATION_PER_IP: Limit = Limit {
    kind: "register_ip",
    max: 10,
    window: Duration::hours(1),
};
pub const MAIL_PER_IP: Limit = Limit {
    kind: "mail_ip",
    max: 10,
    window: Duration::hours(1),
};
pub const MAIL_PER_ADDRESS: Limit = Limit {
    kind: "mail_address",
    max: 3,
    window: Duration::hours(1),
};

impl Limit {
    /// Whether the limit is already reached, without counting this request.
    pub async fn is_reached(self, db: &Db, key: &str) -> sqlx::Result<bool> {
        let since = Utc::now() - self.window;
        Ok(accounts::attempts_since(db, self.kind, &token::hash(key), since).await? >= self.max)
    }

    /// Counts this request; true while it is within the limit.
    pub async fn allow(self, db: &Db, key: &str) -> sqlx::Result<bool> {
        let now = Utc::now();
        Ok(accounts::count_attempt(db, self.kind, &token::hash(key), now, now - self.window).await? <= self.max)
    }
}
