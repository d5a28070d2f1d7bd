//! Outbox benchmark: the portal's own worker (release build, in this process) delivering cases to a
//! local webhook receiver that answers at once, and sending mails to `.eml` files.
//!
//! Prints, for the database given (`sqlite` or a `postgres://` URL of an empty database):
//! - cases delivered per second for a burst of cases written at once;
//! - submit-to-delivered delay (p50, p99) for cases written one by one at a steady rate;
//! - queue-to-sent delay of a mail (p50, p99), the part of register-to-mail after the request.
//!
//!   cargo run --release --example bench_delivery -- sqlite
//!   cargo run --release --example bench_delivery -- postgres://postgres@127.0.0.1:5432/bp_bench

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use buergerportal::attachments::{Attachments, Scanner};
use buergerportal::config::Settings;
use buergerportal::db::{Db, applications};
use buergerportal::i18n::Lang;
use std::sync::Arc;

use buergerportal::mail::{LinkSeal, Mail, Mailer};
use buergerportal::pdf::ReceiptFonts;
use buergerportal::startup::Application;
use buergerportal::worker::{Outbox, Worker};
use chrono::Utc;

const BURST: usize = 2000;
const PACED: usize = 300;
const PACED_PER_SECOND: u64 = 100;
const MAILS: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let database = std::env::args().nth(1).unwrap_or_else(|| "sqlite".into());
    let data = tempfile::tempdir()?;
    let database_url = if database == "sqlite" {
        format!("sqlite://{}", data.path().join("portal.db").display())
    } else {
        database.clone()
    };

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://127.0.0.1:{}/antraege", listener.local_addr()?.port());
    tokio::spawn(
        HttpServer::new(|| App::new().route("/antraege", web::post().to(|| async { HttpResponse::Ok().finish() })))
            .workers(1)
            .listen(listener)?
            .run(),
    );
    let catalogue = tempfile::tempdir()?;
    copy_dir(std::path::Path::new("examples"), catalogue.path())?;
    let tenant = catalogue.path().join("musterstadt/tenant.toml");
    let text = std::fs::read_to_string(&tenant)?.replace(
        "kind = \"email\"\nto = \"antraege@musterstadt.example\"",
        &format!("kind = \"webhook\"\nurl = \"{url}\"\nsecret_env = \"BP_SECRET_MUSTERSTADT__BENCH\""),
    );
    std::fs::write(&tenant, text)?;
    // SAFETY: set before the runtime starts any task that reads the environment.
    unsafe { std::env::set_var("BP_SECRET_MUSTERSTADT__BENCH", "bench") };

    // The portal without its own worker: the bench starts one once the burst is written.
    let settings = Settings {
        listen: "127.0.0.1:0".parse()?,
        data_dir: data.path().to_path_buf(),
        database_url,
        tenants_dir: catalogue.path().to_path_buf(),
        worker: false,
        // The bench's receiver listens on loopback without TLS.
        development_plaintext_delivery: true,
        ..Settings::default()
    };
    let app = Application::build(settings.clone()).await?;
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    let (tenant_id, account_id) = fixtures(&db).await?;

    // Burst: all cases written, then one worker drains them.
    for _ in 0..BURST {
        submit(&db, &tenant_id, &account_id).await?;
    }
    let queue = Outbox::default();
    let mailer = Arc::new(Mailer::new(
        "",
        &settings.mail_from,
        data.path(),
        LinkSeal::new(&settings.secret_key()?)?,
    )?);
    let fonts = Arc::new(ReceiptFonts::load()?);
    let attachments = Arc::new(Attachments::new(data.path(), "", Scanner::Off).await?);
    let worker = Worker::new(
        &settings,
        db.clone(),
        mailer,
        fonts,
        attachments,
        &queue,
        Arc::default(),
    )?;
    let started = Instant::now();
    tokio::spawn(worker.run());
    wait_until_delivered(&db, BURST as i64).await?;
    let drained = started.elapsed();
    println!(
        "{database}: {BURST} waiting cases delivered in {:.2} s: {:.0} cases/s",
        drained.as_secs_f64(),
        BURST as f64 / drained.as_secs_f64()
    );

    // Paced: the delay each case waits, at a steady load the worker keeps up with; each submit
    // wakes the worker as the submit handler does.
    let mut ticks = tokio::time::interval(Duration::from_millis(1000 / PACED_PER_SECOND));
    for _ in 0..PACED {
        ticks.tick().await;
        submit(&db, &tenant_id, &account_id).await?;
        queue.wake();
    }
    wait_until_delivered(&db, (BURST + PACED) as i64).await?;
    let mut delays = delivery_delays(&db).await?;
    delays.drain(..BURST);
    report(
        &format!("{database}: submit to delivered at {PACED_PER_SECOND} cases/s"),
        delays,
    );

    // Mails: queue one, wait until it is sent, one after the other; woken as a request wakes the
    // worker of its own process, and found by the poll as a mail queued by another process is.
    let other_process = Outbox::default();
    for (path, handle) in [("woken", &queue), ("poll, another process", &other_process)] {
        let mut delays = Vec::new();
        for i in 0..MAILS {
            let mail = Mail::new(&format!("bench{i}@example.de"), Lang::De, "mail-verify").with_link("x".into());
            let started = Instant::now();
            handle.queue_mail(&db, &mail).await?;
            while count(&db, "SELECT COUNT(*) FROM outbox WHERE kind = 'mail'").await? > 0 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            delays.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        report(&format!("{database}: mail queued to written ({path})"), delays);
    }
    Ok(())
}

async fn fixtures(db: &Db) -> anyhow::Result<(String, String)> {
    let tenant_id: String = match db {
        Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT id FROM tenant WHERE slug = 'musterstadt'")
                .fetch_one(pool)
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT id FROM tenant WHERE slug = 'musterstadt'")
                .fetch_one(pool)
                .await?
        }
    };
    let mut tx = db.begin().await?;
    let account_id = buergerportal::db::accounts::create_account(&mut tx, "bench@example.de", "-", Utc::now())
        .await?
        .ok_or_else(|| anyhow::anyhow!("the bench account exists"))?;
    tx.commit().await?;
    Ok((tenant_id, account_id))
}

async fn submit(db: &Db, tenant_id: &str, account_id: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    let answers = serde_json::Map::from_iter([("betreff".to_owned(), serde_json::json!("Laterne"))]);
    let draft = applications::create_draft(db, account_id, tenant_id, "kontakt", 1, &answers, now, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the bench account's previous draft is still open"))?;
    let reference = buergerportal::domain::reference::Reference::generate();
    let case = applications::NewCase {
        account_id,
        tenant_id,
        draft_id: &draft,
        reference: reference.as_str(),
        service_slug: "kontakt",
        form_version: 1,
        answers: &answers,
        summary: &[],
        files: &[],
        trust_level: "basis",
        fee_cents: None,
        confirmation: None,
        now,
    };
    anyhow::ensure!(
        applications::submit(db, &case).await? == applications::Submitted::Created,
        "not submitted"
    );
    Ok(())
}

async fn count(db: &Db, sql: &str) -> sqlx::Result<i64> {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
}

async fn wait_until_delivered(db: &Db, n: i64) -> anyhow::Result<()> {
    while count(db, "SELECT COUNT(*) FROM cases WHERE delivered_at IS NOT NULL").await? < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Milliseconds from submit to delivered, in the order the cases were sent.
async fn delivery_delays(db: &Db) -> anyhow::Result<Vec<f64>> {
    const SQL: &str = "SELECT submitted_at, delivered_at FROM cases ORDER BY submitted_at";
    let rows: Vec<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> = match db {
        Db::Sqlite(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
    };
    Ok(rows
        .into_iter()
        .map(|(sent, delivered)| (delivered - sent).num_microseconds().unwrap_or(0) as f64 / 1000.0)
        .collect())
}

fn report(what: &str, mut millis: Vec<f64>) {
    millis.sort_by(f64::total_cmp);
    let at = |q: f64| millis[((millis.len() as f64 * q) as usize).min(millis.len() - 1)];
    println!(
        "{what}: p50 {:.1} ms, p99 {:.1} ms ({} samples)",
        at(0.5),
        at(0.99),
        millis.len()
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
