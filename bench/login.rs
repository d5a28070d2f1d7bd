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

const PASSWORD: &str = "Kaffeetasse Fahrrad Birke";

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn client() -> Fallible<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

fn csrf_token(page: &str) -> Fallible<String> {
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker).ok_or("no CSRF token")? + marker.len();
    Ok(page[start..].split('"').next().unwrap_or_default().to_owned())
}

/// Opens the form as a new visitor (its own session cookie), posts it; the answer's status.
/// Cookies are carried by hand so one client serves many visitors.
async fn post_form(client: &reqwest::Client, base: &str, form_path: &str, fields: &[(&str, &str)]) -> Fallible<u16> {
    let form = client.get(format!("{base}{form_path}")).send().await?;
    let status = form.status();
    let cookie = form
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_owned);
    let body = form.text().await?;
    let token = csrf_token(&body).map_err(|e| format!("{e}: {status} {}", &body[..body.len().min(60)]))?;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let answer = client
        .post(format!("{base}{form_path}"))
        .header("cookie", cookie.ok_or("no session cookie")?)
        .form(&all)
        .send()
        .await?;
    Ok(answer.status().as_u16())
}

/// The verification link in the newest mail, with quoted-printable soft line breaks removed.
fn verification_path(data_dir: &str) -> Fallible<String> {
    let mut newest = None;
    for entry in std::fs::read_dir(format!("{data_dir}/mail"))? {
        let path = entry?.path();
        let modified = std::fs::metadata(&path)?.modified()?;
        if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
            newest = Some((modified, path));
        }
    }
    let mail = std::fs::read_to_string(newest.ok_or("no mail")?.1)?
        .replace("=\r\n", "")
        .replace("=3D", "=");
    let start = mail.find("/registrieren/bestaetigen?token=").ok_or("no link")?;
    Ok(mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect())
}

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
    post_form(
        &client,
        base,
        "/registrieren",
        &[("email", &email), ("password", PASSWORD), ("consent", "ja")],
    )
    .await?;
    client
        .get(format!("{base}{}", verification_path(data_dir)?))
        .send()
        .await?;

    let logins = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..threads * 8 {
        let (client, base, email) = (client.clone(), base.clone(), email.clone());
        let (logins, failures) = (logins.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let fields = [("email", email.as_str()), ("password", PASSWORD)];
                match post_form(&client, &base, "/anmelden", &fields).await {
                    Ok(303) => {
                        logins.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
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
    println!(
        "ratio: {:.2} (logins that did not succeed: {})",
        login_rate / raw_rate,
        failures.load(Ordering::Relaxed)
    );
    Ok(())
}
