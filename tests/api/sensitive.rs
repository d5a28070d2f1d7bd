//! Sensitive actions: deleting the account needs a fresh login; a new password or address ends the
//! account's other sessions and the links still out; only the newest reset link works.

use buergerportal::db::Db;
use chrono::{DateTime, Utc};

use crate::helpers::{Browser, TestApp, spawn_app};

const PASSWORD: &str = "Kaffeetasse Fahrrad Birke";
const NEW_PASSWORD: &str = "Leuchtturm Wolke Apfelbaum";

fn unique_email(who: &str) -> String {
    format!("{who}.{}@example.de", uuid::Uuid::now_v7().simple())
}

async fn reset_link(app: &TestApp, browser: &Browser<'_>, email: &str) -> String {
    let before = app.mails_to(email).await.len();
    browser
        .submit("/passwort-vergessen", "/passwort-vergessen", &[("email", email)])
        .await;
    for _ in 0..200 {
        if app.mails_to(email).await.len() > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.link_in_mail(email, "/passwort-neu").await
}

#[tokio::test]
async fn deleting_the_account_needs_a_login_of_the_last_ten_minutes() {
    let app = spawn_app().await;
    let email = unique_email("alt");
    let browser = app.browser();
    browser.register_and_log_in(&email, PASSWORD).await;
    let token = browser.get("/konto").await.csrf_token();
    app.execute_at(
        "UPDATE session SET created_at = $1",
        chrono::Utc::now() - chrono::Duration::minutes(11),
    )
    .await;

    let page = browser.get("/konto/loeschen").await;
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("Bevor Sie Ihr Servicekonto löschen"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"href="/anmelden?erneut=ja&#38;weiter=%2Fkonto%2Floeschen""#),
        "{}",
        page.body
    );
    let refused = browser
        .post("/konto/loeschen", &[("csrf_token", &token), ("confirm", "ja")])
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM account").await, 1);

    let again = browser.get("/anmelden?erneut=ja&weiter=%2Fkonto%2Floeschen").await;
    let login = browser
        .post(
            "/anmelden",
            &[
                ("csrf_token", &again.csrf_token()),
                ("weiter", "/konto/loeschen"),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.location().as_deref(), Some("/konto/loeschen"));
    let page = browser.get("/konto/loeschen").await;
    let deleted = browser
        .post(
            "/konto/loeschen",
            &[("csrf_token", &page.csrf_token()), ("confirm", "ja")],
        )
        .await;
    assert_eq!(deleted.location().as_deref(), Some("/konto/geloescht"));
    assert_eq!(app.count("SELECT COUNT(*) FROM account").await, 0);
}

#[tokio::test]
async fn only_the_newest_reset_link_works() {
    let app = spawn_app().await;
    let email = unique_email("zweimal");
    app.browser().register_and_log_in(&email, PASSWORD).await;
    let laptop = app.browser();
    let first = reset_link(&app, &laptop, &email).await;
    let second = reset_link(&app, &laptop, &email).await;
    assert_ne!(first, second);
    let old = laptop.get(&first).await;
    assert_eq!(old.status, 400);
    assert_eq!(old.h1(), "Dieser Link gilt nicht mehr");
    assert_eq!(laptop.get(&second).await.h1(), "Neues Passwort festlegen");
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions_and_the_links_still_out() {
    let app = spawn_app().await;
    let email = unique_email("neu");
    let phone = app.browser();
    phone.register_and_log_in(&email, PASSWORD).await;
    let laptop = app.browser();
    laptop.log_in(&email, PASSWORD).await;
    let link = reset_link(&app, &app.browser(), &email).await;

    let changed = laptop
        .submit(
            "/konto/passwort",
            "/konto/passwort",
            &[("current", PASSWORD), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(changed.location().as_deref(), Some("/konto?geaendert=passwort"));
    assert_eq!(phone.get("/konto").await.status, 303, "the phone's session ended");
    assert_eq!(laptop.get("/konto").await.status, 200, "this session stays");
    assert_eq!(app.browser().get(&link).await.status, 400, "the reset link is void");
}

#[tokio::test]
async fn a_new_address_ends_the_other_sessions_and_the_links_sent_to_the_old_one() {
    let app = spawn_app().await;
    let (old, new) = (unique_email("alt"), unique_email("neu"));
    let phone = app.browser();
    phone.register_and_log_in(&old, PASSWORD).await;
    let laptop = app.browser();
    laptop.log_in(&old, PASSWORD).await;
    let reset = reset_link(&app, &app.browser(), &old).await;

    let asked = laptop
        .submit(
            "/konto/email",
            "/konto/email",
            &[("current", PASSWORD), ("email", &new)],
        )
        .await;
    assert_eq!(asked.location().as_deref(), Some("/konto/email/gesendet"));
    assert_eq!(phone.get("/konto").await.status, 303, "asking ends the other sessions");
    phone.log_in(&old, PASSWORD).await;
    let confirm = app.link_in_mail(&new, "/konto/email/bestaetigen").await;
    assert_eq!(laptop.get(&confirm).await.status, 200);

    assert_eq!(phone.get("/konto").await.status, 303, "the phone's session ended");
    assert_eq!(
        laptop.get("/konto").await.status,
        200,
        "the session that confirmed stays"
    );
    assert_eq!(
        app.browser().get(&reset).await.status,
        400,
        "the reset link to the old address is void"
    );
}

/// Moves the portal's clock forward for every session: their times move back by `by`.
async fn move_clock(app: &TestApp, by: chrono::Duration) {
    type Times = (String, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>);
    const READ: &str = "SELECT id_hash, created_at, last_seen_at, expires_at FROM session";
    let rows: Vec<Times> = match &app.db {
        Db::Sqlite(pool) => sqlx::query_as(READ).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(READ).fetch_all(pool).await.unwrap(),
    };
    const WRITE: &str = "UPDATE session SET created_at = $1, last_seen_at = $2, expires_at = $3 WHERE id_hash = $4";
    for (id, created, seen, expires) in rows {
        match &app.db {
            Db::Sqlite(pool) => sqlx::query(WRITE)
                .bind(created - by)
                .bind(seen - by)
                .bind(expires - by)
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ()),
            Db::Postgres(pool) => sqlx::query(WRITE)
                .bind(created - by)
                .bind(seen - by)
                .bind(expires - by)
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ()),
        }
        .unwrap();
    }
}

#[tokio::test]
async fn staying_logged_in_really_extends_the_session() {
    let app = spawn_app().await;
    let (stays, leaves) = (app.browser(), app.browser());
    stays.register_and_log_in(&unique_email("bleibt"), PASSWORD).await;
    leaves.register_and_log_in(&unique_email("geht"), PASSWORD).await;
    let token = stays.get("/konto").await.csrf_token();
    leaves.get("/konto").await;

    // 28 minutes later the warning shows (idle end after 30); one of them stays logged in.
    move_clock(&app, chrono::Duration::minutes(28)).await;
    let kept = stays.post("/konto/sitzung", &[("csrf_token", &token)]).await;
    assert_eq!(kept.status, 204);

    // Past the old idle end: the extended session lives, the other one ended.
    move_clock(&app, chrono::Duration::minutes(3)).await;
    assert_eq!(stays.get("/konto").await.status, 200, "extended");
    assert_eq!(leaves.get("/konto").await.status, 303, "not extended");
}
