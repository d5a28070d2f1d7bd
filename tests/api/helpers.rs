//! `spawn_app`: the real application on a random port, on SQLite or PostgreSQL.
//!
//! `TEST_DATABASE=postgres` runs against `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432`)
//! with a fresh database per test; an unreachable server fails the test, it never skips.

use std::path::{Path, PathBuf};

use buergerportal::config::Settings;
use buergerportal::db::Db;
use buergerportal::startup::Application;
use sqlx::Connection;
use tempfile::TempDir;

pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the metrics listener, when `metrics_listen` was set.
    pub metrics_address: Option<String>,
    /// Where this app writes mails when no SMTP sink is configured.
    pub mail_dir: PathBuf,
    /// The shared SMTP sink's Maildir, when this app sends there.
    maildir: Option<PathBuf>,
    pub db: Db,
    pub database_url: String,
    pub client: reqwest::Client,
    /// Kept so the data directory lives as long as the app.
    _data_dir: TempDir,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl TestApp {
    /// Runs a statement whose one parameter (`$1`) is a time, on either database: moves logins or
    /// expiries to where a test needs them.
    pub async fn execute_at(&self, sql: &str, at: chrono::DateTime<chrono::Utc>) {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query(sql).bind(at).execute(pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::query(sql).bind(at).execute(pool).await.map(|_| ()),
        }
        .unwrap();
    }

    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.client.get(format!("{}{path}", self.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request failed");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }
}

/// A browser: its own cookie jar, no automatic redirects.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn browser(&self) -> Browser<'_> {
        self.browser_from([127, 0, 0, 1])
    }

    /// A browser on another loopback address, e.g. so rate limits per IP see many citizens.
    pub fn browser_from(&self, ip: [u8; 4]) -> Browser<'_> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap();
        Browser { app: self, client }
    }

    /// A number the query counts, on either database.
    pub async fn count(&self, sql: &str) -> i64 {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    /// `buergerportal ARGS` (an operator command) on this app's database and data directory: its
    /// stdout, or its stderr as `Err` when it fails.
    pub fn command(&self, args: &[&str]) -> Result<String, String> {
        self.command_with_env(args, &[])
    }

    /// `command` with more of the environment set, e.g. `BUERGERPORTAL_TENANTS_DIR`.
    pub fn command_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Result<String, String> {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_buergerportal"))
            .args(args)
            .envs(env.iter().copied())
            .env("BUERGERPORTAL_DATABASE_URL", &self.database_url)
            .env("BUERGERPORTAL_DATA_DIR", self.mail_dir.parent().unwrap())
            .output()
            .unwrap();
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        if output.status.success() {
            Ok(text(output.stdout))
        } else {
            Err(text(output.stderr))
        }
    }

    /// The text the query selects, on either database.
    pub async fn text(&self, sql: &str) -> String {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    /// Waits (at most 10 s) until the outbox holds no mail still to be sent: mails go out from the
    /// worker, after the request that caused them has answered.
    pub async fn outbox_sent_its_mails(&self) {
        for _ in 0..200 {
            let waiting = self
                .count("SELECT COUNT(*) FROM outbox WHERE kind = 'mail' AND failed_at IS NULL")
                .await;
            if waiting == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Every mail to `to`, oldest first, decoded enough to read text and links, once the outbox has
    /// sent what was queued.
    pub async fn mails_to(&self, to: &str) -> Vec<String> {
        self.outbox_sent_its_mails().await;
        let dir = match &self.maildir {
            Some(maildir) => maildir.join("new"),
            None => self.mail_dir.clone(),
        };
        mails_in(&dir, to)
    }

    /// Every mail to `to`, once there are `n` of them or 10 s have passed: mails queued after the
    /// answer are not in the outbox yet when the answer arrives.
    pub async fn mails_to_once_there_are(&self, to: &str, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let mails = self.mails_to(to).await;
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.mails_to(to).await
    }

    /// The path of the link in the newest mail to `to` whose path starts with `prefix`
    /// (e.g. "/registrieren/bestaetigen"), waiting (at most 10 s) for it: some mails are queued
    /// after the answer, so the answer's time does not tell whether an address has an account.
    pub async fn link_in_mail(&self, to: &str, prefix: &str) -> String {
        for _ in 0..200 {
            let mails = self.mails_to(to).await;
            if mails.last().is_some_and(|m| m.contains(&format!("{prefix}?"))) {
                return link_in(&mails, to, prefix);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        link_in(&self.mails_to(to).await, to, prefix)
    }
}

/// Every mail to `to` in a directory of mail files, oldest first, decoded enough to read.
fn mails_in(dir: &Path, to: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut mails: Vec<(std::time::SystemTime, String)> = entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                std::fs::metadata(&p).unwrap().modified().unwrap(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .filter(|(_, raw)| {
            raw.lines()
                .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(to))
        })
        .map(|(t, raw)| (t, decode_quoted_printable(&raw)))
        .collect();
    mails.sort();
    mails.into_iter().map(|(_, m)| m).collect()
}

/// The path of the link in the newest of `mails` whose path starts with `prefix`.
fn link_in(mails: &[String], to: &str, prefix: &str) -> String {
    let mail = mails.last().unwrap_or_else(|| panic!("no mail to {to}"));
    // Links carry the configured base URL; the path is what the test follows on its own app.
    let start = mail
        .find(&format!("{prefix}?"))
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{mail}"));
    mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect()
}

/// A real SMTP server (aiosmtpd, Maildir output) of a test's own, started when the test wants it:
/// `TEST_SMTP_PYTHON` names a Python that has aiosmtpd (scripts/test sets it).
pub struct SmtpSink {
    dir: TempDir,
    child: std::process::Child,
}

impl SmtpSink {
    pub fn start(port: u16) -> Self {
        let python = std::env::var("TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let child = std::process::Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{python} with aiosmtpd is needed (scripts/test sets TEST_SMTP_PYTHON): {e}"));
        // Dropped (and so stopped) if it never answers.
        let sink = Self { dir, child };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the SMTP sink did not start on port {port}");
    }

    pub fn mails_to(&self, to: &str) -> Vec<String> {
        mails_in(&self.dir.path().join("new"), to)
    }

    pub fn link(&self, to: &str, prefix: &str) -> String {
        link_in(&self.mails_to(to), to, prefix)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push(u8::from_str_radix(&joined[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One part of a multipart form.
pub enum FormPart {
    Text(String, String),
    File {
        name: String,
        file_name: String,
        mime: String,
        content: Vec<u8>,
    },
}

impl FormPart {
    pub fn text(name: &str, value: &str) -> Self {
        Self::Text(name.to_owned(), value.to_owned())
    }

    pub fn file(name: &str, file_name: &str, mime: &str, content: &[u8]) -> Self {
        Self::File {
            name: name.to_owned(),
            file_name: file_name.to_owned(),
            mime: mime.to_owned(),
            content: content.to_vec(),
        }
    }
}

impl Browser<'_> {
    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.app.address))
            .send()
            .await
            .unwrap();
        Page::from(response).await
    }

    /// Posts a form as a browser of this site would (same-origin `Origin` header).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header("Origin", &self.app.address)
            .form(fields)
            .send()
            .await
            .unwrap();
        Page::from(response).await
    }

    /// Posts a multipart form as a browser of this site would, its parts in the given order.
    pub async fn post_multipart(&self, path: &str, parts: Vec<FormPart>) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for part in parts {
            form = match part {
                FormPart::Text(name, value) => form.text(name, value),
                FormPart::File {
                    name,
                    file_name,
                    mime,
                    content,
                } => form.part(
                    name,
                    reqwest::multipart::Part::bytes(content)
                        .file_name(file_name)
                        .mime_str(&mime)
                        .unwrap(),
                ),
            };
        }
        let response = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header("Origin", &self.app.address)
            .multipart(form)
            .send()
            .await
            .unwrap();
        Page::from(response).await
    }

    /// Opens the form page and posts it with its CSRF token and the given fields.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(form_page).await.csrf_token();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Registers, verifies by the mailed link, and logs in.
    pub async fn register_and_log_in(&self, email: &str, password: &str) {
        let registered = self
            .submit(
                "/registrieren",
                "/registrieren",
                &[("email", email), ("password", password), ("consent", "ja")],
            )
            .await;
        assert_eq!(
            registered.location().as_deref(),
            Some("/registrieren/gesendet"),
            "{}",
            registered.body
        );
        let verified = self
            .get(&self.app.link_in_mail(email, "/registrieren/bestaetigen").await)
            .await;
        assert_eq!(verified.status, 200, "{}", verified.body);
        let login = self
            .submit("/anmelden", "/anmelden", &[("email", email), ("password", password)])
            .await;
        assert_eq!(login.location().as_deref(), Some("/konto"), "{}", login.body);
    }
}

impl Browser<'_> {
    /// Logs in to an account that exists (from another device, say).
    pub async fn log_in(&self, email: &str, password: &str) {
        let login = self
            .submit("/anmelden", "/anmelden", &[("email", email), ("password", password)])
            .await;
        assert_eq!(login.location().as_deref(), Some("/konto"), "{}", login.body);
    }
}

impl Page {
    pub async fn from(response: reqwest::Response) -> Self {
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    pub fn location(&self) -> Option<String> {
        self.header("location")
    }

    pub fn csrf_token(&self) -> String {
        self.hidden("csrf_token")
    }

    /// The value of the first field named `name` (a hidden one, typically) in the page's content,
    /// not in its header (whose "Abmelden" form carries a token too).
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let content = self
            .body
            .find("<main")
            .map_or(&self.body[..], |main| &self.body[main..]);
        let start = content
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in:\n{}", self.body))
            + marker.len();
        content[start..].split('"').next().unwrap().to_owned()
    }

    /// Every `Set-Cookie` header.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The text of the single `<h1>`; fails when there is none or more than one.
    pub fn h1(&self) -> String {
        assert_eq!(
            self.body.matches("<h1").count(),
            1,
            "expected exactly one <h1>:\n{}",
            self.body
        );
        let start = self.body.find("<h1").unwrap();
        let open_end = start + self.body[start..].find('>').unwrap() + 1;
        let close = open_end + self.body[open_end..].find("</h1>").unwrap();
        self.body[open_end..close].trim().to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }
}

pub fn demo_tenants() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Starts the app with settings changed by `customise` (the database is already chosen).
pub async fn spawn_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let database_url = fresh_database().await;
    spawn_on(&database_url, customise).await
}

/// Starts the app on an existing database, e.g. to start a second time after changing the catalogue.
pub async fn spawn_on(database_url: &str, customise: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = try_settings(database_url, data_dir.path());
    if let Ok(smtp) = std::env::var("TEST_SMTP_URL") {
        settings.mail = smtp;
    }
    // Hashing as in production, but on one thread: tests run many apps at once.
    settings.password_hash_threads = 1;
    customise(&mut settings);
    let mail_dir = data_dir.path().join("mail");
    let maildir = std::env::var("TEST_MAILDIR")
        .ok()
        .filter(|_| std::env::var("TEST_SMTP_URL").is_ok_and(|smtp| smtp == settings.mail))
        .map(PathBuf::from);
    let app = Application::build(settings)
        .await
        .expect("the application did not start");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        metrics_address,
        mail_dir,
        maildir,
        db,
        database_url: database_url.to_owned(),
        client,
        _data_dir: data_dir,
    }
}

/// The address of the clamd that scripts/test starts (`TEST_CLAMD`): the tests of uploads need a
/// real scanner, so without one they fail rather than skip.
pub fn clamd() -> String {
    std::env::var("TEST_CLAMD").expect("TEST_CLAMD is not set: run the tests with scripts/test, which starts clamd")
}

/// Settings for a test run: port 0, the demo tenants, the given database, the tests' clamd. The tests' backends and
/// mail sink listen on loopback without TLS.
pub fn try_settings(database_url: &str, data_dir: &Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.to_owned(),
        tenants_dir: demo_tenants(),
        static_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("static"),
        development_plaintext_delivery: true,
        virus_scan: clamd(),
        ..Settings::default()
    }
}

pub fn using_postgres() -> bool {
    std::env::var("TEST_DATABASE").is_ok_and(|db| db == "postgres")
}

/// A new, empty database for one test.
pub async fn fresh_database() -> String {
    if using_postgres() {
        let server = std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let name = format!("bp_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server} is required for TEST_DATABASE=postgres: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        format!("{server}/{name}")
    } else {
        let dir = tempfile::tempdir().unwrap().keep();
        format!("sqlite://{}", dir.join("portal.db").display())
    }
}

/// A copy of the demo catalogue in a temp dir, for tests that change files.
pub fn copy_of_demo_tenants() -> TempDir {
    let target = tempfile::tempdir().unwrap();
    copy_dir(&demo_tenants(), target.path());
    target
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The test OpenID provider (tests/support/oidc/test-op.mjs), a real `oidc-provider` process per test.
pub struct TestOp {
    pub issuer: String,
    child: std::process::Child,
}

impl Drop for TestOp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestOp {
    /// Starts the provider on a port the system chooses (none that another test could take first),
    /// and waits until it says it answers.
    pub async fn start(redirect_uri: &str) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/oidc");
        assert!(
            dir.join("node_modules").is_dir(),
            "run `npm ci` in {} (scripts/test does)",
            dir.display()
        );
        let mut child = std::process::Command::new("node")
            .arg("test-op.mjs")
            .current_dir(&dir)
            .env("OIDC_PORT", "0")
            .env("OIDC_CLIENT_ID", "portal")
            .env("OIDC_CLIENT_SECRET", "portal-secret")
            .env("OIDC_REDIRECT_URIS", redirect_uri)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node is needed for the OpenID provider");
        let stdout = child.stdout.take().expect("the provider's output");
        // Its first line names the issuer; none means it stopped. The rest of its output is read
        // to its end (a closed pipe would stop it). Node's first start on a cold machine, beside a
        // compiling cargo, took over 10 s once.
        let (ready, first_line) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
            let _ = ready.send(lines.next().and_then(Result::ok).unwrap_or_default());
            lines.for_each(drop);
        });
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), first_line)
            .await
            .expect("the test OpenID provider did not start within 60 s")
            .unwrap_or_default();
        let issuer = line
            .trim()
            .strip_prefix("test OpenID provider ready at ")
            .unwrap_or_else(|| panic!("the test OpenID provider stopped at start: {line:?}"))
            .to_owned();
        TestOp { issuer, child }
    }

    /// Who logs in next, with which `acr`, and how the next ID token is broken, if at all.
    pub async fn next_login(&self, login: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/__test/next-login", self.issuer))
            .body(login.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    /// How often its discovery document and its keys were fetched.
    pub async fn fetches(&self) -> (u64, u64) {
        let counts: serde_json::Value = reqwest::get(format!("{}/__test/requests", self.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (counts["discovery"].as_u64().unwrap(), counts["jwks"].as_u64().unwrap())
    }

    /// Signs from now on with a new key, published beside the old one.
    pub async fn rotate_key(&self) {
        let response = reqwest::Client::new()
            .post(format!("{}/__test/rotate-key", self.issuer))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
}

/// `[[identity_providers]]` for the test provider, with the eIDAS and STORK-QAA levels.
pub fn bundid(issuer: &str) -> buergerportal::config::IdentityProviderSettings {
    use buergerportal::domain::TrustLevel::{Basis, Hoch, Substanziell};
    buergerportal::config::IdentityProviderSettings {
        id: "bundid".into(),
        name: "BundID".into(),
        issuer: issuer.into(),
        client_id: "portal".into(),
        client_secret: "portal-secret".into(),
        client_secret_env: String::new(),
        scopes: vec!["openid".into(), "profile".into(), "address".into()],
        trust_levels: [
            ("http://eidas.europa.eu/LoA/low", Basis),
            ("http://eidas.europa.eu/LoA/substantial", Substanziell),
            ("http://eidas.europa.eu/LoA/high", Hoch),
            ("STORK-QAA-Level-1", Basis),
            ("STORK-QAA-Level-2", Basis),
            ("STORK-QAA-Level-3", Substanziell),
            ("STORK-QAA-Level-4", Hoch),
        ]
        .into_iter()
        .map(|(acr, level)| (acr.to_owned(), level))
        .collect(),
    }
}

/// The portal with the test provider as "BundID"; the portal listens where its base URL says.
pub async fn spawn_with_provider() -> (TestApp, TestOp) {
    let app_port = free_port();
    let op = TestOp::start(&format!("http://127.0.0.1:{app_port}/anmelden/bundid/callback")).await;
    let app = spawn_with(|s| {
        s.listen = format!("127.0.0.1:{app_port}").parse().unwrap();
        s.base_url = format!("http://127.0.0.1:{app_port}");
        s.identity_providers = vec![bundid(&op.issuer)];
    })
    .await;
    (app, op)
}

impl Browser<'_> {
    /// Follows a login from `start` (a portal path) through the provider until the provider sends the
    /// browser back; returns the callback path without opening it.
    pub async fn to_provider_and_back(&self, start: &str) -> String {
        let mut url = format!("{}{start}", self.app.address);
        for _ in 0..10 {
            let response = self.client.get(&url).send().await.unwrap();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let Some(location) = location else {
                panic!(
                    "no redirect from {url}: {} {}",
                    response.status(),
                    response.text().await.unwrap()
                );
            };
            let next = reqwest::Url::parse(&url).unwrap().join(&location).unwrap().to_string();
            if let Some(path) = next.strip_prefix(&self.app.address)
                && path.contains("/callback")
            {
                return path.to_owned();
            }
            url = next;
        }
        panic!("the login did not come back");
    }

    /// A whole provider login; the callback's answer.
    pub async fn log_in_with_provider(&self, start: &str) -> Page {
        let callback = self.to_provider_and_back(start).await;
        self.get(&callback).await
    }
}

impl TestApp {
    /// The value of one series on the metrics listener (`metrics_listen` must be set).
    pub async fn metric(&self, series: &str) -> f64 {
        let address = self.metrics_address.as_ref().expect("metrics_listen is not set");
        let text = reqwest::get(format!("{address}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    }
}
