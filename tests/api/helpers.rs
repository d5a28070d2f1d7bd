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

impl Page {
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
    customise(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the application did not start");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        db,
        database_url: database_url.to_owned(),
        client,
        _data_dir: data_dir,
    }
}

/// Settings for a test run: port 0, the demo tenants, the given database.
pub fn try_settings(database_url: &str, data_dir: &Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.to_owned(),
        tenants_dir: demo_tenants(),
        static_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("static"),
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

fn copy_dir(from: &Path, to: &Path) {
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
