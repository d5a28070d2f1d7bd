//! The bare reference for `bench/run`: actix-web + askama serving a page of the size and shape of a
//! service page (about 4 KB, a loop, escaping), with no database, tenant lookup, i18n or middleware;
//! the same page after reading one session row by its key from SQLite (what any page behind a login
//! must do at least); and a bare form POST that validates three fields, inserts one SQLite row and
//! redirects. The portal's pages and form steps are measured against them.
//!
//!     bench_reference <listen address> <SQLite file>

use std::str::FromStr;

use actix_web::{App, Either, HttpResponse, HttpServer, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use validator::Validate;

#[derive(Template, WebTemplate)]
#[template(
    ext = "html",
    source = r##"<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ name }} – {{ tenant }}</title>
<link rel="stylesheet" href="/static/kern/fonts/fira-sans.css"><link rel="stylesheet" href="/static/kern/kern.min.css">
<link rel="stylesheet" href="/static/portal.css"></head>
<body><a class="portal-skip-link" href="#inhalt">Zum Inhalt springen</a>
<div class="kern-kopfzeile"><div class="kern-kopfzeile__content"><span class="kern-kopfzeile__label">Offizielle Website – Bundesrepublik Deutschland</span></div></div>
<header class="portal-header"><div class="kern-container portal-header__inner"><a class="portal-header__home" href="/"><span>{{ tenant }}</span></a>
<nav aria-label="Hauptnavigation" class="portal-nav"><ul><li><a href="/leistungen">Leistungen</a></li><li><a href="/zustaendigkeit">Wer ist zuständig?</a></li><li><a href="?lang=en" lang="en">English</a></li></ul></nav></div></header>
<main id="inhalt" class="kern-container portal-main"><article class="kern-stack-lg">
<p class="kern-body kern-body--muted">{{ topic }} · {{ tenant }}</p><h1 class="kern-heading-x-large">{{ name }}</h1>
<p class="kern-body kern-body--large">{{ summary }}</p>
<div class="kern-btn-wrapper"><a class="kern-btn kern-btn--primary" href="/antrag"><span class="kern-label">Jetzt starten</span></a></div>
<dl class="portal-facts portal-facts--large"><div><dt>Kosten</dt><dd>{{ fee }}</dd></div><div><dt>Bearbeitungszeit</dt><dd>{{ duration }}</dd></div><div><dt>Anmeldung</dt><dd>{{ trust }}</dd></div></dl>
<section class="kern-stack"><h2 class="kern-heading-medium">Was Sie brauchen</h2><ul class="kern-body portal-list">
{%- for item in evidence %}<li>{{ item }}</li>{% endfor -%}
</ul></section>
<section class="kern-stack"><h2 class="kern-heading-medium">Worum es geht</h2>
{%- for paragraph in paragraphs %}<p class="kern-body">{{ paragraph }}</p>{% endfor -%}
</section></article></main>
<footer class="portal-footer"><div class="kern-container"><nav aria-label="Rechtliches"><ul><li><a href="/impressum">Impressum</a></li><li><a href="/datenschutz">Datenschutz</a></li><li><a href="/barrierefreiheit">Barrierefreiheit</a></li></ul></nav></div></footer>
</body></html>"##
)]
struct BarePage {
    tenant: &'static str,
    topic: &'static str,
    name: &'static str,
    summary: &'static str,
    fee: String,
    duration: &'static str,
    trust: &'static str,
    evidence: Vec<&'static str>,
    paragraphs: Vec<&'static str>,
}

async fn page() -> BarePage {
    BarePage {
        tenant: "Stadt Musterstadt",
        topic: "Mobilität und Reisen",
        name: "Anwohnerparkausweis beantragen",
        summary: "Mit dem Anwohnerparkausweis parken Sie in Ihrem Wohngebiet auf den Bewohnerparkplätzen.",
        fee: format!("{},{:02} €", 3070 / 100, 3070 % 100),
        duration: "etwa 1 Woche",
        trust: "Servicekonto mit E-Mail-Adresse",
        evidence: vec![
            "Fahrzeugschein (Zulassungsbescheinigung Teil I)",
            "bei einem Firmenwagen: Bestätigung des Arbeitgebers",
        ],
        paragraphs: vec![
            "Wenn Sie in einer Bewohnerparkzone wohnen, können Sie einen Parkausweis für ein Fahrzeug beantragen. Der Ausweis gilt ein Jahr und nur in Ihrer Zone.",
            "Das Fahrzeug muss auf Sie zugelassen sein oder Ihnen dauerhaft zur Verfügung stehen, zum Beispiel als Firmenwagen.",
        ],
    }
}

/// The key of the one session row, sent as the cookie `sitzung` (see `bench/run`).
const SESSION_KEY: &str = "b6c1f0e2-reference-session";

/// The bare page once the session named by the cookie is read; 401 without it.
async fn page_with_session(
    request: actix_web::HttpRequest,
    pool: web::Data<SqlitePool>,
) -> Either<BarePage, HttpResponse> {
    let Some(cookie) = request.cookie("sitzung") else {
        return Either::Right(HttpResponse::Unauthorized().finish());
    };
    let session: Result<Option<(String, String)>, _> =
        sqlx::query_as("SELECT account_id, csrf_token FROM session WHERE id = $1 AND expires_at > $2")
            .bind(cookie.value())
            .bind(chrono::Utc::now())
            .fetch_optional(pool.get_ref())
            .await;
    match session {
        Ok(Some(_)) => Either::Left(page().await),
        Ok(None) => Either::Right(HttpResponse::Unauthorized().finish()),
        Err(_) => Either::Right(HttpResponse::ServiceUnavailable().finish()),
    }
}

#[derive(Deserialize, Validate)]
struct Message {
    #[validate(length(min = 1, max = 100))]
    betreff: String,
    #[validate(length(min = 10, max = 2000))]
    text: String,
    #[validate(length(min = 1, max = 20))]
    anliegen: String,
}

async fn submit(form: web::Form<Message>, pool: web::Data<SqlitePool>) -> HttpResponse {
    if form.validate().is_err() {
        return HttpResponse::UnprocessableEntity().finish();
    }
    let inserted =
        sqlx::query("INSERT INTO message (id, betreff, text, anliegen, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(&form.betreff)
            .bind(&form.text)
            .bind(&form.anliegen)
            .bind(chrono::Utc::now())
            .execute(pool.get_ref())
            .await;
    match inserted {
        Ok(_) => HttpResponse::SeeOther().insert_header(("location", "/")).finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8181".into());
    let file = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "/tmp/bench-reference.db".into());
    // The same SQLite settings as the portal's.
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{file}"))
        .map_err(std::io::Error::other)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(std::time::Duration::from_secs(5));
    let pool = SqlitePool::connect_with(options).await.map_err(std::io::Error::other)?;
    sqlx::query("CREATE TABLE IF NOT EXISTS message (id TEXT PRIMARY KEY, betreff TEXT, text TEXT, anliegen TEXT, created_at TEXT)")
        .execute(&pool)
        .await
        .map_err(std::io::Error::other)?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS session (id TEXT PRIMARY KEY, account_id TEXT, csrf_token TEXT, expires_at TEXT)",
    )
    .execute(&pool)
    .await
    .map_err(std::io::Error::other)?;
    sqlx::query("INSERT OR REPLACE INTO session (id, account_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(SESSION_KEY)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(chrono::Utc::now() + chrono::Duration::days(1))
        .execute(&pool)
        .await
        .map_err(std::io::Error::other)?;
    let pool = web::Data::new(pool);
    HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .route("/", web::get().to(page))
            .route("/sitzung", web::get().to(page_with_session))
            .route("/antrag", web::post().to(submit))
    })
    .bind(listen)?
    .run()
    .await
}
