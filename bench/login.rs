//! Login throughput for `bench/run`: login POSTs per second through the portal against raw argon2id
//! verifications per second on as many threads as the portal hashes with.
//!
//!     bench_login <portal base URL> <portal data dir> <hash threads> <seconds>
//!
//! Registers and verifies one account (the link is read from the portal's .eml files), then logs in
//! from many clients at once until the time is up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};

#[path = "common.rs"]
#[allow(dead_code)] // shared with the other benchmarks; this one needs only a few helpers
mod common;

use common::{Fallible, PASSWORD, client, post_form, register};

fn raw_verifications_per_second(threads: usize, seconds: u64) -> Fallible<f64> {
    let hash = Argon2::default()
        .hash_password(PASSWORD.as_bytes())
        .map_err(|e| e.to_string())?
        .to_string();
    let count = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (hash, count) = (hash.clone(), count.clone());
            std::thread::spawn(move || {
                let parsed = PasswordHash::new(&hash).ok();
                while Instant::now() < end {
                    if let Some(parsed) = &parsed
                        && Argon2::default().verify_password(PASSWORD.as_bytes(), parsed).is_ok()
                    {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "worker panicked")?;
    }
    Ok(count.load(Ordering::Relaxed) as f64 / seconds as f64)
}

#[tokio::main]
async fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, data_dir, threads, seconds] = args.as_slice() else {
        return Err("usage: bench_login <base URL> <data dir> <hash threads> <seconds>".into());
    };
    let (threads, seconds): (usize, u64) = (threads.parse()?, seconds.parse()?);

    let email = format!("bench.{}@example.de", std::process::id());
    let client = client()?;
    register(&client, base, data_dir, &email).await?;

    let logins = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    // The status of the last login that did not succeed (0: no answer), to say why in the output.
    let last_failure = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    // At most five logins of one account are checked at once (its failed-login limit takes a place
    // before each check), and that is enough to keep the hashing threads busy.
    for _ in 0..(threads * 2).clamp(2, 5) {
        let (client, base, email) = (client.clone(), base.clone(), email.clone());
        let (logins, failures, last_failure) = (logins.clone(), failures.clone(), last_failure.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let fields = [("email", email.as_str()), ("password", PASSWORD)];
                match post_form(&client, &base, "/anmelden", &fields).await {
                    Ok((303, _)) => {
                        logins.fetch_add(1, Ordering::Relaxed);
                    }
                    answer => {
                        failures.fetch_add(1, Ordering::Relaxed);
                        let status = answer.map_or(0, |(status, _)| status);
                        last_failure.store(u64::from(status), Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let login_rate = logins.load(Ordering::Relaxed) as f64 / seconds as f64;
    let raw_rate = raw_verifications_per_second(threads, seconds.min(5))?;
    println!("raw argon2id verifications/s on {threads} thread(s): {raw_rate:.1}");
    println!("login POSTs/s through the portal:                {login_rate:.1}");
    let failures = failures.load(Ordering::Relaxed);
    println!(
        "ratio: {:.2} (logins that did not succeed: {failures}{})",
        login_rate / raw_rate,
        match last_failure.load(Ordering::Relaxed) {
            _ if failures == 0 => String::new(),
            0 => ", the last without an answer".to_owned(),
            status => format!(", the last answered {status}"),
        }
    );
    Ok(())
}
