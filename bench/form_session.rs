//! Sets up a logged-in citizen with a draft of the contact form for `bench/run`, and prints what wrk
//! needs to load its first step: `<cookie> <step path> <csrf token>`.
//!
//!     bench_form_session <portal base URL> <portal data dir>

#[path = "common.rs"]
#[allow(dead_code)] // shared with the other benchmarks; this one needs only a few helpers
mod common;

use common::{Fallible, PASSWORD, client, csrf_token, post_form, register};

/// Follows one redirect by hand, with the session cookie.
async fn location(client: &reqwest::Client, base: &str, path: &str, cookie: &str) -> Fallible<String> {
    let answer = client
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await?;
    Ok(answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| format!("{path} did not redirect: {}", answer.status()))?
        .to_owned())
}

#[tokio::main]
async fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, data_dir] = args.as_slice() else {
        return Err("usage: bench_form_session <base URL> <data dir>".into());
    };
    let client = client()?;
    let email = format!("bench.form.{}@example.de", std::process::id());
    register(&client, base, data_dir, &email).await?;
    let (status, cookie) = post_form(&client, base, "/anmelden", &[("email", &email), ("password", PASSWORD)]).await?;
    let cookie = cookie.filter(|_| status == 303).ok_or("the login failed")?;
    let start = format!("{base}/musterstadt/leistungen/kontakt/antrag");
    let asked = client
        .get(&start)
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let begun = client
        .post(&start)
        .header("cookie", &cookie)
        .header("origin", base.as_str())
        .form(&[("csrf_token", csrf_token(&asked)?)])
        .send()
        .await?;
    let draft = begun
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| format!("beginning the application did not redirect: {}", begun.status()))?
        .to_owned();
    let step = location(&client, base, &draft, &cookie).await?;
    let page = client
        .get(format!("{base}{step}"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    println!("{cookie} {step} {}", csrf_token(&page)?);
    Ok(())
}
