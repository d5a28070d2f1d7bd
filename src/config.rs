//! Settings: defaults that run a fresh checkout, an optional TOML file, then `BUERGERPORTAL_*`
//! environment variables (nested keys joined with `__`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on; port 0 picks a free one (tests).
    pub listen: SocketAddr,
    /// Public address of the portal, used in links and to decide on HSTS and secure cookies.
    pub base_url: String,
    /// Host names that show the state-wide pages (the host of `base_url` always does); requests for a
    /// host that is neither one of these nor a tenant's get 404.
    pub portal_hosts: Vec<String>,
    /// Where the portal keeps its files; created if missing.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/portal.db`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// Directory of tenant catalogues; empty means demo mode with the tenants in `examples/`.
    pub tenants_dir: PathBuf,
    /// Whether `serve` reads the catalogue files at start and imports what changed (the default,
    /// for one node). False on the nodes of a large deployment: `buergerportal catalogue import` runs
    /// once per change, and a node reads only the database, whatever the catalogue's size. A node
    /// that finds no catalogue in the database imports the files in any case.
    pub import_catalogue_at_start: bool,
    /// Stylesheets, fonts and scripts served under `/static`.
    pub static_dir: PathBuf,
    /// Empty: mails are written as `.eml` files to `<data_dir>/mail`; `smtp://host:port` sends them.
    pub mail: String,
    /// Sender of the portal's mails.
    pub mail_from: String,
    /// Password hashes computed at once; 0 means all cores but one (at least one).
    pub password_hash_threads: usize,
    /// A session ends after this many minutes without a request…
    pub session_idle_minutes: i64,
    /// …and after this many hours in any case.
    pub session_absolute_hours: i64,
    /// An application draft is deleted after this many days without a save (a reminder goes out a
    /// week before).
    pub draft_retention_days: i64,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Servicekonto providers over OpenID Connect (BundID, eID services); see the README.
    pub identity_providers: Vec<IdentityProviderSettings>,
    /// Whether `serve` works the outbox (deliveries and mails) itself; false when separate
    /// `buergerportal worker` processes do.
    pub worker: bool,
    /// A delivery or mail is given up (and waits for an operator) after this many attempts.
    pub outbox_max_attempts: i32,
    /// The first retry waits about this many seconds; each further one twice as long, at most an hour.
    pub outbox_retry_seconds: f64,
    /// One attempt to hand a case to a backend may take this long.
    pub outbox_send_timeout_seconds: f64,
    /// Address for Prometheus metrics (`GET /metrics`), apart from the citizens' port; empty: none.
    pub metrics_listen: String,
    /// Networks of the load balancers in front of the portal (CIDR, e.g. `["10.0.0.0/8"]`): only
    /// from these is `X-Forwarded-For` believed, so per-IP limits see the real client. Empty: none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A secret shared by all nodes (at least 32 characters), for tokens that need no stored state:
    /// the CSRF token of forms shown without a session. Empty: generated into `<data_dir>/secret-key`
    /// on first start, which serves every node that shares the data directory.
    pub secret_key: String,
    /// Development and tests only: applications may leave without TLS, to `http://` destinations and
    /// over SMTP without TLS to an authority's mailbox; payments may go to an `http://` provider or to
    /// the demo provider (`[payment] base_url = "demo"`). Off (the default), a configured tenant with
    /// such settings keeps the portal from starting; the demo tenants are exempt.
    pub development_plaintext_delivery: bool,
    /// ClamAV's `clamd` (`host:port`), which scans every uploaded file before it is accepted;
    /// `off` for no scan. Empty: in demo mode uploads go unscanned (and the pages say so); with
    /// configured tenants the portal does not start.
    pub virus_scan: String,
    /// Where uploaded evidence is kept: empty for `<data_dir>/files`, or `s3://bucket[/prefix]` for
    /// S3-compatible object storage (credentials, region and endpoint from the `AWS_*` environment).
    pub attachment_store: String,
}

/// One `[[identity_providers]]` entry. The callback to register is `{base_url}/anmelden/{id}/callback`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderSettings {
    /// URL-safe, appears in `/anmelden/{id}`.
    pub id: String,
    /// Shown as "Anmelden mit {name}".
    pub name: String,
    /// Discovery at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
    /// Name of an environment variable holding the secret, so it stays out of the file.
    #[serde(default)]
    pub client_secret_env: String,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// `acr` value → trust level; an `acr` not listed counts as `basis`.
    #[serde(default)]
    pub trust_levels: std::collections::BTreeMap<String, crate::domain::TrustLevel>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into(), "address".into()]
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

const DEMO_TENANTS_DIR: &str = "examples";

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: "http://127.0.0.1:8080".into(),
            portal_hosts: vec!["127.0.0.1".into(), "localhost".into()],
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            database_max_connections: 10,
            tenants_dir: PathBuf::new(),
            import_catalogue_at_start: true,
            static_dir: PathBuf::from("static"),
            mail: String::new(),
            mail_from: "Bürgerportal <noreply@buergerportal.localhost>".into(),
            password_hash_threads: 0,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            draft_retention_days: 30,
            log_format: LogFormat::Text,
            identity_providers: Vec::new(),
            worker: true,
            outbox_max_attempts: 40,
            outbox_retry_seconds: 10.0,
            outbox_send_timeout_seconds: 30.0,
            metrics_listen: String::new(),
            trusted_proxies: Vec::new(),
            secret_key: String::new(),
            development_plaintext_delivery: false,
            virus_scan: String::new(),
            attachment_store: String::new(),
        }
    }
}

impl Settings {
    /// Defaults, then the file (if given), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            anyhow::ensure!(file.is_file(), "configuration file {} not found", file.display());
            figment = figment.merge(Toml::file(file));
        }
        let settings: Self = figment
            .merge(Env::prefixed("BUERGERPORTAL_").split("__").ignore(&["config"]))
            .extract()
            .context("invalid configuration")?;
        // The reminder goes out a week before a draft is deleted; a shorter life would mail at once.
        anyhow::ensure!(
            settings.draft_retention_days > 7,
            "draft_retention_days must be more than 7 (the reminder goes out a week before), not {}",
            settings.draft_retention_days
        );
        anyhow::ensure!(
            settings.outbox_max_attempts >= 1,
            "outbox_max_attempts must be at least 1"
        );
        anyhow::ensure!(
            settings.outbox_retry_seconds > 0.0 && settings.outbox_retry_seconds <= 3600.0,
            "outbox_retry_seconds must be more than 0 and at most 3600"
        );
        anyhow::ensure!(
            settings.outbox_send_timeout_seconds > 0.0 && settings.outbox_send_timeout_seconds <= 600.0,
            "outbox_send_timeout_seconds must be more than 0 and at most 600"
        );
        Ok(settings)
    }

    pub fn outbox_send_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.outbox_send_timeout_seconds)
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("portal.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The virus scanner of uploads: see `virus_scan`.
    pub fn scanner(&self) -> anyhow::Result<crate::attachments::Scanner> {
        use crate::attachments::Scanner;
        match Scanner::from_setting(&self.virus_scan) {
            Some(scanner) => Ok(scanner),
            None if self.is_demo() => Ok(Scanner::Off),
            None => anyhow::bail!(
                "virus_scan is not set: give the address of ClamAV's clamd (host:port) to scan uploads, or \"off\""
            ),
        }
    }

    /// Demo mode: no tenants configured, so the demo tenants are loaded.
    pub fn is_demo(&self) -> bool {
        self.tenants_dir.as_os_str().is_empty()
    }

    pub fn tenants_dir(&self) -> &Path {
        if self.is_demo() {
            Path::new(DEMO_TENANTS_DIR)
        } else {
            &self.tenants_dir
        }
    }

    /// The configured portal hosts and the host of `base_url`.
    pub fn portal_hosts(&self) -> Vec<String> {
        let authority = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        let host = authority.split('/').next().unwrap_or_default();
        let mut hosts = self.portal_hosts.clone();
        hosts.push(host.to_owned());
        hosts
    }

    pub fn password_hash_threads(&self) -> usize {
        match self.password_hash_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n,
        }
    }

    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// `secret_key`, or the one in the data directory, generated there on first start.
    pub fn secret_key(&self) -> anyhow::Result<String> {
        const MIN_LEN: usize = 32;
        if !self.secret_key.is_empty() {
            anyhow::ensure!(
                self.secret_key.len() >= MIN_LEN,
                "secret_key must be at least {MIN_LEN} characters long"
            );
            return Ok(self.secret_key.clone());
        }
        let file = self.data_dir.join("secret-key");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&file) {
            Ok(mut new) => {
                let key = crate::auth::token::random_token();
                std::io::Write::write_all(&mut new, key.as_bytes())
                    .with_context(|| format!("cannot write {}", file.display()))?;
                Ok(key)
            }
            // Another node (or an earlier start) made it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let key = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
                let key = key.trim().to_owned();
                anyhow::ensure!(
                    key.len() >= MIN_LEN,
                    "{} holds no key of {MIN_LEN} characters",
                    file.display()
                );
                Ok(key)
            }
            Err(e) => Err(e).with_context(|| format!("cannot create {}", file.display())),
        }
    }

    /// Creates the data directory if needed and proves it is writable.
    pub fn prepare_data_dir(&self) -> anyhow::Result<()> {
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        let probe = dir.join(".write-test");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .with_context(|| format!("the data directory {} is not writable", dir.display()))
    }
}
