//! Rate limits on login, registration, reset mails and uploads, per IP address and per account or
//! address.
//! Counted in the database so every app node sees the same numbers; a window that passes lifts the
//! limit by itself, so nobody can lock a citizen out for good. A request takes its place before the
//! work it limits and a refused request writes nothing.

use chrono::{Duration, Utc};

use super::password::PasswordHasher;
use super::token;
use crate::db::Db;
use crate::db::accounts;
use crate::error::AppError;

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
/// Logins begun with an identity provider (each stores a flow and a session until it ends).
pub const LOGIN_FLOW_PER_IP: Limit = Limit {
    kind: "login_flow_ip",
    max: 30,
    window: Duration::minutes(15),
};

/// Steps posted after the session ended, kept until the citizen logs in again.
pub const PARKED_STEP_PER_IP: Limit = Limit {
    kind: "parked_step_ip",
    max: 30,
    window: Duration::hours(1),
};

/// Evidence files received (each is spooled, scanned and stored): per account and per IP.
pub const UPLOAD_PER_ACCOUNT: Limit = Limit {
    kind: "upload_account",
    max: 100,
    window: Duration::hours(1),
};
pub const UPLOAD_PER_IP: Limit = Limit {
    kind: "upload_ip",
    max: 300,
    window: Duration::hours(1),
};

impl Limit {
    /// Takes one of the limit's places for this request, atomically; `None`, with nothing written,
    /// once they are all taken within the window.
    pub async fn take(self, db: &Db, key: &str) -> sqlx::Result<Option<Place>> {
        let now = Utc::now();
        let id = accounts::take_attempt(db, self.kind, &token::hash(key), now, now - self.window, self.max).await?;
        Ok(id.map(|id| Place { id }))
    }

    /// Counts this request; true while it is within the limit.
    pub async fn allow(self, db: &Db, key: &str) -> sqlx::Result<bool> {
        Ok(self.take(db, key).await?.is_some())
    }
}

/// A place taken in a limit's window.
#[must_use = "a place is kept unless given back"]
pub struct Place {
    id: String,
}

impl Place {
    /// The request turned out not to count (a login that succeeded is no failed login).
    pub async fn give_back(self, db: &Db) -> sqlx::Result<()> {
        accounts::remove_attempt(db, &self.id).await
    }
}

/// What a check of a password against an account's stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Matches,
    Wrong,
    /// Too many failed logins for this address or from this IP: nothing was checked.
    TooMany,
}

/// Checks a password as a login attempt, whether it is a login or the current password asked for a
/// change: before the (expensive) check it takes a place in the per-IP and the per-account limit of
/// failed logins, so concurrent guesses cannot pass them, and a match gives both places back.
/// `account_key` is the address the citizen logs in with.
pub async fn check_password(
    db: &Db,
    hasher: &PasswordHasher,
    ip: &str,
    account_key: &str,
    password: &str,
    stored_hash: Option<&str>,
) -> Result<PasswordCheck, AppError> {
    let Some(per_ip) = FAILED_LOGIN_PER_IP.take(db, ip).await? else {
        return Ok(PasswordCheck::TooMany);
    };
    let Some(per_account) = FAILED_LOGIN_PER_ACCOUNT.take(db, account_key).await? else {
        per_ip.give_back(db).await?;
        return Ok(PasswordCheck::TooMany);
    };
    if hasher.verify(password, stored_hash).await? {
        per_ip.give_back(db).await?;
        per_account.give_back(db).await?;
        Ok(PasswordCheck::Matches)
    } else {
        Ok(PasswordCheck::Wrong)
    }
}
