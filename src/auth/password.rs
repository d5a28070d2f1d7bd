//! argon2id hashing on a bounded pool of blocking threads, so logins cannot starve page rendering.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Argon2, PasswordHash};
use tokio::sync::Semaphore;

/// Verified when the account does not exist, so both answers take the same time.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"no account has this password")
        .ok()
        .map(|h| h.to_string())
});

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Password checks since start (for the metrics): what the login limits keep down.
    checks: Arc<AtomicU64>,
}

impl PasswordHasher {
    /// `threads` hashes run at once; further requests wait their turn.
    pub fn new(threads: usize) -> Self {
        LazyLock::force(&DUMMY_HASH);
        Self {
            permits: Arc::new(Semaphore::new(threads.max(1))),
            checks: Arc::default(),
        }
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh salt.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
        })
        .await?
    }

    /// True when `password` matches `stored`; with no stored hash it spends the same time and says no.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<bool> {
        self.checks.fetch_add(1, Ordering::Relaxed);
        let password = password.to_owned();
        let (stored, exists) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (DUMMY_HASH.clone().unwrap_or_default(), false),
        };
        self.run(move || {
            let matches = PasswordHash::new(&stored)
                .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
            matches && exists
        })
        .await
    }

    /// How many passwords were checked since start.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await?;
        Ok(tokio::task::spawn_blocking(work).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = PasswordHasher::new(1);
        let hash = hasher.hash("Kaffeetasse Fahrrad Birke").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify("Kaffeetasse Fahrrad Birke", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("kaffeetasse fahrrad birke", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("no account has this password", None).await.unwrap());
        assert!(!hasher.verify("x", Some("not a hash")).await.unwrap());
    }
}
