//! Sets up a logged-in citizen with a draft of the contact form for `bench/run`, and prints what wrk
//! needs to load its first step: `<cookie> <step path> <csrf token>`.
//!
//!     bench_form_session <portal base URL> <portal data dir>

#[path = "common.rs"]
#[allow(dead_code)] // shared with the other benchmarks; this one needs only a few helpers
mod common;

use common::{Fallible, citizen_with_draft, client, csrf_token};

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
    let (cookie, draft) = citizen_with_draft(&client, base, data_dir, "kontakt").await?;
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
