//! Handing sent cases to the authority's backend: a real webhook receiver over HTTP that records what
//! it gets and fails on demand, the real SMTP sink for the e-mail destination, both databases.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use buergerportal::db::outbox::{self, Retry};

use crate::applications::{contact_form_filled, logged_in, send_draft, unique};
use crate::helpers::{Browser, TestApp, spawn_on, spawn_with};

const SECRET_ENV: &str = "BP_SECRET_MUSTERSTADT__WEBHOOK";
const SECRET: &str = "geheim-und-lang-genug";

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    idempotency_key: String,
    signature_valid: bool,
    pub(crate) body: serde_json::Value,
    pub(crate) content_type: String,
    pub(crate) raw: Vec<u8>,
}

/// How the receiver answers its next requests; after the script, 200 with a reference.
#[derive(Clone)]
pub(crate) enum Answer {
    Status(u16),
    /// Never answers (until the request times out on the portal's side).
    Hang,
    /// This status with this body.
    Body(u16, String),
}

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
}

impl Receiver {
    /// Starts on `port` (0 for any); the receiver and its URL.
    pub(crate) fn start(port: u16, script: Vec<Answer>) -> (Self, String) {
        let receiver = Self {
            received: Arc::default(),
            script: Arc::new(Mutex::new(script.into())),
        };
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let url = format!("http://127.0.0.1:{}/antraege", listener.local_addr().unwrap().port());
        let state = web::Data::new(receiver.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/antraege", web::post().to(receive))
                .route("/antrag", web::post().to(receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        (receiver, url)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (at most 20 s) until `n` requests came in.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            if self.received.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, receiver: web::Data<Receiver>) -> HttpResponse {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let timestamp = header("x-buergerportal-timestamp");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    receiver.received.lock().unwrap().push(Received {
        idempotency_key: header("idempotency-key"),
        signature_valid: header("x-buergerportal-signature") == expected,
        body: serde_json::from_slice(&body).unwrap_or_default(),
        content_type: header("content-type"),
        raw: body.to_vec(),
    });
    let answer = receiver.script.lock().unwrap().pop_front();
    match answer {
        Some(Answer::Status(code)) => HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
            .insert_header(("location", "https://elsewhere.example/"))
            .finish(),
        Some(Answer::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            HttpResponse::Ok().finish()
        }
        Some(Answer::Body(code, body)) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).body(body)
        }
        None if req.path() == "/antrag" => HttpResponse::Ok().json(serde_json::json!({
            "transactionId": header("idempotency-key"),
            "vorgang": {"vorgangId": "65a1b2c3", "vorgangNummer": "OZG-2026-4711", "status": "NEU", "statusSince": "2026-12-01T09:00:00Z"}
        })),
        None => HttpResponse::Ok().json(serde_json::json!({"reference": "FV-2026-0042"})),
    }
}

/// A copy of the demo catalogue whose Musterstadt services deliver to the destination `settings`
/// (the lines after `[destinations.antragspostfach]`).
pub(crate) fn catalogue_delivering_to(settings: &str) -> tempfile::TempDir {
    let dir = crate::helpers::copy_of_demo_tenants();
    deliver_to(dir.path(), settings);
    dir
}

/// Changes the Musterstadt services' destination in the catalogue at `dir` to `settings`.
pub(crate) fn deliver_to(dir: &Path, settings: &str) {
    let tenant = dir.join("musterstadt/tenant.toml");
    let text = std::fs::read_to_string(&tenant)
        .unwrap()
        .replace("kind = \"email\"\nto = \"antraege@musterstadt.example\"", settings);
    std::fs::write(&tenant, text).unwrap();
}

/// A copy of the demo catalogue whose Musterstadt services deliver to a webhook at `url`.
fn catalogue_with_webhook(url: &str) -> tempfile::TempDir {
    let dir = crate::helpers::copy_of_demo_tenants();
    deliver_to_webhook(dir.path(), url);
    dir
}

/// Changes the Musterstadt services of the catalogue at `dir` to deliver to a webhook at `url`.
pub(crate) fn deliver_to_webhook(dir: &Path, url: &str) {
    // Each test runs in its own process under nextest; the variable only names the secret.
    unsafe { std::env::set_var(SECRET_ENV, SECRET) };
    deliver_to(
        dir,
        &format!("kind = \"webhook\"\nurl = \"{url}\"\nsecret_env = \"{SECRET_ENV}\""),
    );
}

async fn spawn_delivering_to(catalogue: &Path) -> TestApp {
    let dir = catalogue.to_path_buf();
    spawn_with(move |s| {
        s.tenants_dir = dir;
        s.outbox_retry_seconds = 0.05;
        s.outbox_send_timeout_seconds = 1.0;
    })
    .await
}

/// A citizen sends the contact form; the browser and the case's page.
pub(crate) async fn send_case<'a>(app: &'a TestApp) -> (Browser<'a>, String) {
    let email = unique("anna");
    let browser = logged_in(app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let sent = send_draft(&browser, &draft).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    (browser, sent.location().unwrap())
}

async fn case_id(app: &TestApp, case_page: &str) -> String {
    let reference = case_page.rsplit('/').next().unwrap();
    let sql = format!("SELECT id FROM cases WHERE reference = '{reference}'");
    match &app.db {
        buergerportal::db::Db::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
        buergerportal::db::Db::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
    }
}

/// An operator's retry of the case's delivery, tried again while a worker is sending it (as an
/// operator would, told so). The worker's own next attempt may have delivered it meanwhile.
async fn retry(app: &TestApp, case_page: &str) {
    let reference = case_page.rsplit('/').next().unwrap();
    let mut retried = Retry::InFlight;
    for _ in 0..100 {
        retried = outbox::retry_now(&app.db, "musterstadt", reference, chrono::Utc::now())
            .await
            .unwrap();
        if retried != Retry::InFlight {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(matches!(retried, Retry::DueNow | Retry::Delivered), "{retried:?}");
}

/// Waits (at most 20 s) until the case page shows `text`.
pub(crate) async fn case_page_shows(browser: &Browser<'_>, case_page: &str, text: &str) -> String {
    let mut body = String::new();
    for _ in 0..400 {
        body = browser.get(case_page).await.body;
        if body.contains(text) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    body
}

#[tokio::test]
async fn a_sent_case_reaches_the_webhook_once_signed_and_the_citizen_sees_when_and_the_authoritys_reference() {
    let (receiver, url) = Receiver::start(0, vec![]);
    let catalogue = catalogue_with_webhook(&url);
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;

    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert!(
        body.contains("FV-2026-0042"),
        "the authority's reference is shown:\n{body}"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1, "delivered once");
    let got = &received[0];
    assert!(got.signature_valid, "signed with the shared secret");
    assert_eq!(got.idempotency_key, case_id(&app, &case_page).await);
    assert_eq!(got.body["case"]["reference"], case_page.rsplit('/').next().unwrap());
    assert_eq!(got.body["case"]["leistungsschluessel"], "99001001000000");
    assert_eq!(got.body["answers"]["betreff"], "Straßenlaterne");

    let list = browser.get("/antraege").await;
    assert!(list.body.contains("An die Behörde übermittelt am"));
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_case_again_with_the_same_key_and_once_accepted() {
    let (receiver, url) = Receiver::start(0, vec![Answer::Status(500), Answer::Status(503)]);
    let catalogue = catalogue_with_webhook(&url);
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;

    case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    let received = receiver.received();
    assert_eq!(received.len(), 3, "two failures, one success, nothing more");
    let key = case_id(&app, &case_page).await;
    assert!(received.iter().all(|r| r.idempotency_key == key));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'delivery' AND done_at IS NOT NULL AND attempt = 3")
            .await,
        1
    );
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_the_case_once_it_is_up_and_the_citizen_sees_the_delay_meanwhile() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let catalogue = catalogue_with_webhook(&format!("http://127.0.0.1:{port}/antraege"));
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;

    let body = case_page_shows(&browser, &case_page, "Übermittlung verzögert").await;
    assert!(body.contains("Übermittlung verzögert"), "{body}");
    assert!(!body.contains("connect"), "no technical detail for the citizen");

    let (receiver, _) = Receiver::start(port, vec![]);
    // Backoff has grown meanwhile; an operator need not wait for it.
    retry(&app, &case_page).await;
    case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert_eq!(receiver.wait_for(1).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1, "once, not again");
}

#[tokio::test]
async fn a_redirect_or_a_404_fails_the_delivery_for_operators_until_they_retry_it() {
    let (receiver, url) = Receiver::start(0, vec![Answer::Status(302), Answer::Status(404)]);
    let catalogue = catalogue_with_webhook(&url);
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();

    let body = case_page_shows(&browser, &case_page, "Übermittlung verzögert").await;
    assert!(body.contains("Übermittlung verzögert"));
    let failed = outbox::deliveries(&app.db, true, 10).await.unwrap();
    assert_eq!(failed.len(), 1, "given up at once: trying again cannot help");
    assert_eq!(failed[0].reference, reference);
    assert!(failed[0].last_error.as_deref().unwrap().contains("302"), "{failed:?}");
    assert_eq!(receiver.received().len(), 1);

    // The operator retries; the 404 fails it again; the next retry goes through.
    for expected in [2, 3] {
        retry(&app, &case_page).await;
        receiver.wait_for(expected).await;
    }
    case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert_eq!(receiver.received().len(), 3);
    assert!(outbox::deliveries(&app.db, true, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_receiver_that_hangs_costs_one_attempt_and_the_case_is_sent_again() {
    let (receiver, url) = Receiver::start(0, vec![Answer::Hang]);
    let catalogue = catalogue_with_webhook(&url);
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;
    case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    let received = receiver.received();
    assert_eq!(received.len(), 2, "the hanging attempt and the one that was accepted");
    assert_eq!(received[0].idempotency_key, received[1].idempotency_key);
}

#[tokio::test]
async fn two_workers_never_send_one_case_twice() {
    let (receiver, url) = Receiver::start(0, vec![]);
    let catalogue = catalogue_with_webhook(&url);
    let first = spawn_delivering_to(catalogue.path()).await;
    let dir = catalogue.path().to_path_buf();
    // Either worker may send the citizens' mails: both write them where the test reads them.
    let data_dir = first.mail_dir.parent().unwrap().to_path_buf();
    let _second = spawn_on(&first.database_url, move |s| {
        s.tenants_dir = dir;
        s.data_dir = data_dir;
        s.outbox_retry_seconds = 0.05;
    })
    .await;
    let mut pages = Vec::new();
    for _ in 0..6 {
        pages.push(send_case(&first).await.1);
    }
    let received = receiver.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received_later = receiver.received();
    assert_eq!(received_later.len(), received.len());
    let mut keys: Vec<_> = received_later.iter().map(|r| r.idempotency_key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 6, "six cases");
    assert_eq!(received_later.len(), 6, "each once: {received_later:?}");
}

#[tokio::test]
async fn the_demo_tenants_deliver_by_mail_to_the_authority_with_answers_and_receipt() {
    let app = crate::helpers::spawn_app().await;
    let (browser, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap();
    case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    let mails = app.mails_to("antraege@musterstadt.example").await;
    let mail = mails
        .iter()
        .find(|m| m.contains(reference))
        .expect("the authority's mail");
    assert!(mail.contains("Straßenlaterne"), "the answers are in the text");
    assert!(mail.contains("application/pdf"), "the receipt is attached");
    assert!(mail.contains(&format!(
        "Message-ID: <{}@buergerportal>",
        case_id(&app, &case_page).await
    )));
}

#[tokio::test]
async fn without_a_mail_server_a_case_for_a_mailbox_is_given_up_as_not_delivered_not_shown_as_delivered() {
    let app = spawn_with(|s| {
        s.mail = String::new();
        s.outbox_max_attempts = 1;
    })
    .await;
    let (browser, case_page) = send_case(&app).await;
    for _ in 0..100 {
        if !outbox::deliveries(&app.db, true, 10).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let failed = outbox::deliveries(&app.db, true, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("nicht übermittelt — kein Mailserver eingerichtet")),
        "{failed:?}"
    );
    let page = browser.get(&case_page).await;
    assert!(page.body.contains("Übermittlung verzögert"), "{}", page.body);
    assert!(!page.body.contains("An die Behörde übermittelt am"));
    let reference = case_page.rsplit('/').next().unwrap();
    let mails = app.mails_to("antraege@musterstadt.example").await;
    assert!(
        !mails.iter().any(|m| m.contains(reference)),
        "no file passes for a sent mail"
    );
}

/// `buergerportal worker` as its own process on the test's database and mail, with the webhook's
/// secret and the variables `env`.
pub(crate) fn worker_process(app: &TestApp, send_timeout: &str, env: &[(&str, &str)]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_buergerportal"))
        .envs(env.iter().copied())
        .arg("worker")
        .env("BUERGERPORTAL_DATABASE_URL", &app.database_url)
        .env("BUERGERPORTAL_DATA_DIR", app.mail_dir.parent().unwrap())
        .env("BUERGERPORTAL_MAIL", std::env::var("TEST_SMTP_URL").unwrap_or_default())
        .env("BUERGERPORTAL_OUTBOX_SEND_TIMEOUT_SECONDS", send_timeout)
        .env("BUERGERPORTAL_OUTBOX_RETRY_SECONDS", "0.05")
        .env("BUERGERPORTAL_DEVELOPMENT_PLAINTEXT_DELIVERY", "true")
        .env(SECRET_ENV, SECRET)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A citizen sends the evidence form (`evidence::add_evidence_form`) with one PDF; its content.
pub(crate) async fn send_evidence_case(app: &TestApp) -> Vec<u8> {
    use crate::evidence::{evidence_step, pdf, send_files};
    use crate::helpers::FormPart;
    let browser = logged_in(app, &unique("anna")).await;
    let step = evidence_step(&browser).await;
    let scan = pdf("Ausweis");
    let file = FormPart::file("ausweis", "ausweis.pdf", "application/pdf", &scan);
    assert_eq!(send_files(&browser, &step, vec![file], "weiter").await.status, 303);
    let sent = send_draft(&browser, step.trim_end_matches("/schritt/belege")).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    scan
}

#[tokio::test]
async fn the_webhook_carries_the_evidence_files_in_base64_with_their_sha256() {
    use crate::evidence::add_evidence_form;
    let (receiver, url) = Receiver::start(0, vec![]);
    let catalogue = catalogue_with_webhook(&url);
    add_evidence_form(catalogue.path());
    let app = spawn_delivering_to(catalogue.path()).await;
    let scan = send_evidence_case(&app).await;
    let received = receiver.wait_for(1).await;
    assert_eq!(received.len(), 1);
    assert!(received[0].signature_valid, "signed over the body with the files");
    let files = received[0].body["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{}", received[0].body);
    assert_eq!(files[0]["name"], "ausweis.pdf");
    assert_eq!(files[0]["field"], "ausweis");
    assert_eq!(files[0]["type"], "application/pdf");
    use base64::Engine;
    let content = base64::prelude::BASE64_STANDARD
        .decode(files[0]["content_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(content, scan);
    use sha2::Digest;
    assert_eq!(files[0]["sha256"], hex::encode(sha2::Sha256::digest(&scan)));
}

#[tokio::test]
async fn a_worker_killed_while_sending_leaves_the_case_to_the_next_which_sends_it_with_the_same_key() {
    let (receiver, url) = Receiver::start(0, vec![Answer::Hang]);
    let catalogue = catalogue_with_webhook(&url);
    let dir = catalogue.path().to_path_buf();
    // The web app sends nothing itself: separate worker processes do.
    let app = spawn_with(move |s| {
        s.tenants_dir = dir;
        s.worker = false;
    })
    .await;
    let mut first = worker_process(&app, "2", &[]);
    let (browser, case_page) = send_case(&app).await;
    assert_eq!(receiver.wait_for(1).await.len(), 1, "the first worker is sending");
    first.kill().unwrap(); // SIGKILL: no chance to record anything
    first.wait().unwrap();

    let mut second = worker_process(&app, "2", &[]);
    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(body.contains("FV-2026-0042"), "{body}");
    let received = receiver.received();
    assert_eq!(received.len(), 2, "sent again once the dead worker's lease ran out");
    assert_eq!(
        received[0].idempotency_key, received[1].idempotency_key,
        "the receiver can tell the repeat"
    );
}

#[tokio::test]
async fn operators_see_the_queue_on_the_metrics_listener_and_citizens_do_not() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let catalogue = catalogue_with_webhook(&format!("http://127.0.0.1:{port}/antraege"));
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(move |s| {
        s.tenants_dir = dir;
        s.outbox_retry_seconds = 0.05;
        s.metrics_listen = "127.0.0.1:0".into();
    })
    .await;
    let (browser, case_page) = send_case(&app).await;
    case_page_shows(&browser, &case_page, "Übermittlung verzögert").await;

    let metrics = reqwest::get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |series: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no {series} in:\n{metrics}"))
    };
    assert_eq!(value("buergerportal_outbox_waiting{kind=\"delivery\"}"), 1.0);
    assert!(value("buergerportal_outbox_attempts_total{kind=\"delivery\",outcome=\"retry\"}") >= 2.0);
    assert!(value("buergerportal_outbox_attempts_total{kind=\"mail\",outcome=\"done\"}") >= 2.0);
    assert!(value("buergerportal_outbox_oldest_undelivered_seconds") >= 0.0);
    assert_eq!(app.get("/metrics").await.status, 404, "not on the citizens' port");
}

/// The parts of a `multipart/form-data` body: name, content type, bytes.
pub(crate) fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    let boundary = content_type.split("boundary=").nth(1).unwrap().trim_matches('"');
    let delimiter = format!("--{boundary}");
    let text = unsafe_latin1(body);
    text.split(&delimiter)
        .filter_map(|chunk| {
            let chunk = chunk.strip_prefix("\r\n")?;
            let (head, content) = chunk.split_once("\r\n\r\n")?;
            let name = head.split("name=\"").nth(1)?.split('"').next()?.to_owned();
            let kind = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-type:")
                        .map(|v| v.trim().to_owned())
                })
                .unwrap_or_default();
            let content = content.strip_suffix("\r\n").unwrap_or(content);
            Some((name, kind, content.chars().map(|c| c as u8).collect()))
        })
        .collect()
}

/// Bytes as Latin-1 characters, so a binary part survives splitting by text.
fn unsafe_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

#[tokio::test]
async fn ozg_cloud_receives_control_form_data_and_the_receipt_and_its_vorgangnummer_is_shown() {
    let (receiver, url) = Receiver::start(0, vec![]);
    let intake = url.replace("/antraege", "/antrag");
    let catalogue = catalogue_delivering_to(&format!(
        "kind = \"ozg-cloud\"\nurl = \"{intake}\"\nzustaendige_stelle = \"197008\""
    ));
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;

    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert!(
        body.contains("OZG-2026-4711"),
        "the vorgangNummer is the authority's reference:\n{body}"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].content_type.starts_with("multipart/form-data"));
    let parts = multipart_parts(&received[0].content_type, &received[0].raw);
    let names: Vec<&str> = parts.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["formData", "representation"]);
    let (_, kind, json) = &parts[0];
    assert_eq!(kind, "application/json");
    let form: serde_json::Value = serde_json::from_slice(json).unwrap();
    let control = &form["control"];
    assert_eq!(control["transactionId"], case_id(&app, &case_page).await.as_str());
    assert_eq!(control["zustaendigeStelle"], "197008");
    assert_eq!(control["leikaIds"], serde_json::json!(["99001001000000"]));
    assert_eq!(control["formId"], "kontakt");
    assert!(
        control.get("serviceKonto").is_none(),
        "a citizen who is not identified (basis) has no serviceKonto: {control}"
    );
    let sections = form["formData"].as_array().unwrap();
    let items: Vec<&serde_json::Value> = sections
        .iter()
        .flat_map(|s| s["formItems"].as_array().unwrap())
        .collect();
    let betreff = items
        .iter()
        .find(|i| i["name"] == "betreff")
        .expect("a named item per field");
    assert_eq!(betreff["stringValue"], "Straßenlaterne");
    assert!(sections.iter().all(|s| s["label"].is_string() && s["name"].is_string()));
    let (_, kind, pdf) = &parts[1];
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"), "the receipt as the representation");
}

#[tokio::test]
async fn ozg_cloud_receives_the_evidence_files_as_attachment_parts() {
    use crate::evidence::add_evidence_form;
    let (receiver, url) = Receiver::start(0, vec![]);
    let intake = url.replace("/antraege", "/antrag");
    let catalogue = catalogue_delivering_to(&format!(
        "kind = \"ozg-cloud\"\nurl = \"{intake}\"\nzustaendige_stelle = \"197008\""
    ));
    add_evidence_form(catalogue.path());
    let app = spawn_delivering_to(catalogue.path()).await;
    let scan = send_evidence_case(&app).await;
    let received = receiver.wait_for(1).await;
    let parts = multipart_parts(&received[0].content_type, &received[0].raw);
    let names: Vec<&str> = parts.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["formData", "representation", "attachment"]);
    let (_, kind, content) = &parts[2];
    assert_eq!(kind, "application/pdf");
    assert_eq!(content, &scan);
    let raw = unsafe_latin1(&received[0].raw);
    assert!(
        raw.contains(r#"name="attachment"; filename="ausweis.pdf""#),
        "the file's name"
    );
}

#[tokio::test]
async fn a_receiver_without_tls_behind_an_https_url_delays_the_case_and_a_413_waits_for_an_operator() {
    // TLS fails: the receiver speaks plain HTTP where the destination says https.
    let (tls_receiver, url) = Receiver::start(0, vec![]);
    let catalogue = catalogue_with_webhook(&url.replace("http://", "https://"));
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;
    let body = case_page_shows(&browser, &case_page, "Übermittlung verzögert").await;
    assert!(body.contains("Übermittlung verzögert"));
    assert!(tls_receiver.received().is_empty(), "nothing was sent in the clear");
    assert!(
        outbox::deliveries(&app.db, true, 10).await.unwrap().is_empty(),
        "still retried"
    );

    // A case too large for the receiver: given up at once with the reason, the case kept.
    let (receiver, url) = Receiver::start(0, vec![Answer::Status(413)]);
    let catalogue = catalogue_with_webhook(&url);
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;
    case_page_shows(&browser, &case_page, "Übermittlung verzögert").await;
    let failed = outbox::deliveries(&app.db, true, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].last_error.as_deref().unwrap().contains("413"), "{failed:?}");
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(
        browser.get(&case_page).await.status,
        200,
        "the citizen's case is untouched"
    );
}

#[tokio::test]
async fn a_backend_that_hangs_holds_up_neither_other_cases_nor_mails() {
    let (receiver, url) = Receiver::start(0, vec![Answer::Hang]);
    let catalogue = catalogue_with_webhook(&url);
    let dir = catalogue.path().to_path_buf();
    // The hanging attempt lasts longer than this test waits for anything.
    let app = spawn_with(move |s| {
        s.tenants_dir = dir;
        s.outbox_retry_seconds = 0.05;
        s.outbox_send_timeout_seconds = 60.0;
    })
    .await;
    let (_, hanging) = send_case(&app).await;
    receiver.wait_for(1).await;
    // Meanwhile a second citizen registers (the link must arrive by mail) and sends a case.
    let (browser, second) = send_case(&app).await;
    let body = case_page_shows(&browser, &second, "An die Behörde übermittelt am").await;
    assert!(body.contains("An die Behörde übermittelt am"), "{body}");
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].idempotency_key, case_id(&app, &second).await);
    let still_sending = app
        .count(&format!(
            "SELECT COUNT(*) FROM cases WHERE id = '{}' AND delivered_at IS NULL",
            case_id(&app, &hanging).await
        ))
        .await;
    assert_eq!(still_sending, 1, "the first case's attempt still hangs");
}

#[tokio::test]
async fn ozg_cloud_answering_2xx_without_a_vorgang_has_the_case_and_gets_it_once() {
    for answer in ["", "{\"status\": \"ok\"}", "<html>angenommen</html>"] {
        let (receiver, url) = Receiver::start(0, vec![Answer::Body(201, answer.into())]);
        let intake = url.replace("/antraege", "/antrag");
        let catalogue = catalogue_delivering_to(&format!(
            "kind = \"ozg-cloud\"\nurl = \"{intake}\"\nzustaendige_stelle = \"197008\""
        ));
        let app = spawn_delivering_to(catalogue.path()).await;
        let (browser, case_page) = send_case(&app).await;
        let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
        assert!(body.contains("An die Behörde übermittelt am"), "{answer:?}: {body}");
        assert!(!body.contains("Aktenzeichen der Behörde"), "{answer:?}: no reference");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), 1, "{answer:?}: sent once");
    }
}

#[tokio::test]
async fn an_answer_of_ten_megabytes_is_not_read_and_the_case_is_delivered_once() {
    // Valid JSON with a reference, but far longer than any backend's receipt: not read.
    let huge = format!(
        "{{\"reference\": \"FV-RIESIG\", \"rest\": \"{}\"}}",
        "x".repeat(10 << 20)
    );
    let (receiver, url) = Receiver::start(0, vec![Answer::Body(200, huge)]);
    let catalogue = catalogue_with_webhook(&url);
    let app = spawn_delivering_to(catalogue.path()).await;
    let (browser, case_page) = send_case(&app).await;
    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert!(body.contains("An die Behörde übermittelt am"), "{body}");
    assert!(!body.contains("FV-RIESIG"), "the answer was not read");
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn an_operator_retry_leaves_a_case_being_sent_alone_and_finds_cases_by_tenant_and_reference() {
    let (receiver, url) = Receiver::start(0, vec![Answer::Hang]);
    let catalogue = catalogue_with_webhook(&url);
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(move |s| {
        s.tenants_dir = dir;
        s.outbox_send_timeout_seconds = 30.0;
    })
    .await;
    let (_, case_page) = send_case(&app).await;
    receiver.wait_for(1).await;
    let reference = case_page.rsplit('/').next().unwrap();
    let now = chrono::Utc::now();
    assert_eq!(
        outbox::retry_now(&app.db, "musterstadt", reference, now).await.unwrap(),
        Retry::InFlight
    );
    assert_eq!(
        outbox::retry_now(&app.db, "musterland", reference, now).await.unwrap(),
        Retry::NotFound,
        "another tenant's case"
    );
    let listed = outbox::deliveries(&app.db, false, 10).await.unwrap();
    assert_eq!(listed[0].state(now), outbox::DeliveryState::InFlight);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "not sent a second time meanwhile");
}
