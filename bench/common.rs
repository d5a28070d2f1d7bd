//! What the benchmark helpers share: a client without redirects, forms posted with their CSRF token
//! and session cookie carried by hand, and a verified account.

pub const PASSWORD: &str = "Kaffeetasse Fahrrad Birke";

pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub fn client() -> Fallible<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

pub fn csrf_token(page: &str) -> Fallible<String> {
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker).ok_or("no CSRF token")? + marker.len();
    Ok(page[start..].split('"').next().unwrap_or_default().to_owned())
}

/// The `name=value` part of a response's session cookie, if it sets one.
pub fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

/// Opens the form as a new visitor (its own session cookie) and posts it; the answer's status and
/// the cookie it sets (a login sets a new one).
pub async fn post_form(
    client: &reqwest::Client,
    base: &str,
    form_path: &str,
    fields: &[(&str, &str)],
) -> Fallible<(u16, Option<String>)> {
    let form = client.get(format!("{base}{form_path}")).send().await?;
    let status = form.status();
    let cookie = set_cookie(&form);
    let body = form.text().await?;
    let token = csrf_token(&body).map_err(|e| format!("{e}: {status} {}", &body[..body.len().min(60)]))?;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let answer = client
        .post(format!("{base}{form_path}"))
        .header("cookie", cookie.ok_or("no session cookie")?)
        .header("origin", base)
        .form(&all)
        .send()
        .await?;
    Ok((answer.status().as_u16(), set_cookie(&answer)))
}

/// The verification link in the mail to `email`, with quoted-printable soft line breaks removed.
/// Mails leave through the outbox after the answer, so this waits for it (at most 10 s).
async fn verification_path(data_dir: &str, email: &str) -> Fallible<String> {
    for _ in 0..100 {
        if let Some(path) = link_in_mail_to(data_dir, email)? {
            return Ok(path);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("no verification mail to {email} within 10 s").into())
}

fn link_in_mail_to(data_dir: &str, email: &str) -> Fallible<Option<String>> {
    let Ok(entries) = std::fs::read_dir(format!("{data_dir}/mail")) else {
        return Ok(None);
    };
    let to = format!("\nTo: {email}\r\n");
    for entry in entries {
        let mail = std::fs::read_to_string(entry?.path())?
            .replace("=\r\n", "")
            .replace("=3D", "=");
        if !mail.contains(&to) {
            continue;
        }
        let start = mail.find("/registrieren/bestaetigen?token=").ok_or("no link")?;
        return Ok(Some(
            mail[start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"')
                .collect(),
        ));
    }
    Ok(None)
}

/// Registers `email` and confirms it by the link the portal wrote to its data directory.
pub async fn register(client: &reqwest::Client, base: &str, data_dir: &str, email: &str) -> Fallible<()> {
    let (status, _) = post_form(
        client,
        base,
        "/registrieren",
        &[("email", email), ("password", PASSWORD), ("consent", "ja")],
    )
    .await?;
    if status != 303 {
        return Err(format!("registering {email} answered {status}").into());
    }
    let confirmed = client
        .get(format!("{base}{}", verification_path(data_dir, email).await?))
        .send()
        .await?;
    if !confirmed.status().is_success() {
        return Err(format!("confirming {email} answered {}", confirmed.status()).into());
    }
    Ok(())
}

/// A field of /proc/<pid>/status (`VmRSS:`, `VmHWM:`) in MB.
pub fn memory_mb(pid: &str, field: &str) -> Fallible<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or(format!("no {field} in /proc/{pid}/status"))?;
    Ok(kb / 1024.0)
}

/// Registers and logs in a new citizen and begins an application for a Musterstadt service; the
/// session cookie and the draft's path.
pub async fn citizen_with_draft(
    client: &reqwest::Client,
    base: &str,
    data_dir: &str,
    service: &str,
) -> Fallible<(String, String)> {
    let email = format!("bench.{service}.{}@example.de", std::process::id());
    register(client, base, data_dir, &email).await?;
    let (status, cookie) = post_form(client, base, "/anmelden", &[("email", &email), ("password", PASSWORD)]).await?;
    let cookie = cookie.filter(|_| status == 303).ok_or("the login failed")?;
    let start = format!("{base}/musterstadt/leistungen/{service}/antrag");
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
        .header("origin", base)
        .form(&[("csrf_token", csrf_token(&asked)?)])
        .send()
        .await?;
    let draft = begun
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| format!("beginning the application did not redirect: {}", begun.status()))?
        .to_owned();
    Ok((cookie, draft))
}
