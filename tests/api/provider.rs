//! Login with a Servicekonto provider over OpenID Connect, against a real provider.

use buergerportal::db::Db;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::helpers::{TestApp, spawn_with, spawn_with_provider};

const PASSWORD: &str = "Kaffeetasse Fahrrad Birke";
const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";

#[tokio::test]
async fn a_first_login_with_the_provider_creates_an_account_with_confirmed_stammdaten() {
    let (app, op) = spawn_with_provider().await;
    op.next_login(json!({"sub": "erika-1", "acr": SUBSTANTIAL})).await;
    let browser = app.browser();
    let login_page = browser.get("/anmelden").await;
    assert!(login_page.body.contains("Anmelden mit BundID"));
    let done = browser.log_in_with_provider("/anmelden/bundid").await;
    assert_eq!(done.location().as_deref(), Some("/konto"), "{}", done.body);

    let konto = browser.get("/konto").await;
    for expected in [
        "Servicekonto mit geprüfter Identität",
        "Erika",
        "Mustermann",
        "1964-08-12",
        "Heidestraße 17, 51147 Köln",
        "Bestätigt durch BundID",
    ] {
        assert!(konto.body.contains(expected), "missing {expected}");
    }

    // The same person again, from another browser: the same account.
    op.next_login(json!({"sub": "erika-1", "acr": SUBSTANTIAL, "claims": {"given_name": "Erika Maria"}}))
        .await;
    let other = app.browser();
    other.log_in_with_provider("/anmelden/bundid").await;
    let again = other.get("/konto").await;
    assert!(again.body.contains("Erika Maria"), "claims refresh the Stammdaten");
    assert_eq!(
        again.body.matches("<tr>").count(),
        konto.body.matches("<tr>").count() + 1,
        "one more login, same access log"
    );
}

#[tokio::test]
async fn the_state_must_belong_to_this_browser_and_is_used_once() {
    let (app, op) = spawn_with_provider().await;
    op.next_login(json!({"sub": "max"})).await;
    let browser = app.browser();
    let callback = browser.to_provider_and_back("/anmelden/bundid").await;

    let tampered = callback.replace("state=", "state=x");
    assert_eq!(browser.get(&tampered).await.h1(), "Diese Anmeldung ist abgelaufen");
    let stranger = app.browser();
    stranger.get("/anmelden").await;
    assert_eq!(
        stranger.get(&callback).await.status,
        400,
        "another browser cannot finish it"
    );

    let done = browser.get(&callback).await;
    assert_eq!(done.location().as_deref(), Some("/konto"));
    let replayed = browser.get(&callback).await;
    assert_eq!(replayed.status, 400, "a second use of the same callback");
}

#[tokio::test]
async fn a_replayed_code_is_refused_by_the_provider_and_explained() {
    let (app, op) = spawn_with_provider().await;
    let browser = app.browser();
    op.next_login(json!({"sub": "max"})).await;
    let first = browser.to_provider_and_back("/anmelden/bundid").await;
    browser.get(&first).await;
    let used_code = first
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();

    op.next_login(json!({"sub": "max"})).await;
    let second = browser.to_provider_and_back("/anmelden/bundid").await;
    let fresh_code = second
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let replay = browser.get(&second.replace(&fresh_code, &used_code)).await;
    assert_eq!(replay.status, 400);
    assert_eq!(replay.h1(), "Die Anmeldung hat nicht geklappt");
}

#[tokio::test]
async fn forged_id_tokens_are_refused() {
    let (app, op) = spawn_with_provider().await;
    for forge in ["foreign-key", "expired", "nonce"] {
        op.next_login(json!({"sub": "mallory", "forge": forge})).await;
        let browser = app.browser();
        let page = browser.log_in_with_provider("/anmelden/bundid").await;
        assert_eq!(page.status, 400, "{forge}");
        assert_eq!(page.h1(), "Die Anmeldung hat nicht geklappt", "{forge}");
        assert_eq!(browser.get("/konto").await.status, 303, "{forge}: not logged in");
    }
}

#[tokio::test]
async fn an_unreachable_provider_gets_a_clear_page_not_a_500() {
    let app = spawn_with(|s| s.identity_providers = vec![crate::helpers::bundid("http://127.0.0.1:1")]).await;
    let page = app.browser().get("/anmelden/bundid").await;
    assert_eq!(page.status, 503);
    assert_eq!(page.h1(), "Die Anmeldung ist gerade nicht möglich");
    assert!(page.body.contains("mit E-Mail-Adresse und Passwort"));
    assert_eq!(app.get("/anmelden/unbekannt").await.status, 404);
}

#[tokio::test]
async fn a_service_needing_more_than_the_login_offers_a_step_up_that_works() {
    let (app, op) = spawn_with_provider().await;
    let browser = app.browser();
    op.next_login(json!({"sub": "lena", "acr": "http://eidas.europa.eu/LoA/low"}))
        .await;
    browser.log_in_with_provider("/anmelden/bundid").await;
    assert!(
        browser
            .get("/konto")
            .await
            .body
            .contains("Servicekonto mit E-Mail-Adresse"),
        "low maps to basis"
    );

    let start = "/landkreis-musterland/leistungen/wohngeld/antrag";
    let refused = browser.get(start).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .body
            .contains("Für diese Leistung brauchen Sie: Servicekonto mit geprüfter Identität")
    );
    let step_up =
        "/anmelden/bundid?weiter=%2Flandkreis-musterland%2Fleistungen%2Fwohngeld%2Fantrag&#38;niveau=substanziell";
    assert!(refused.body.contains(step_up), "{}", refused.body);

    // The provider is asked for a level that suffices; it answers with the first one asked for.
    op.next_login(json!({"sub": "lena"})).await;
    let back = browser.log_in_with_provider(&step_up.replace("&#38;", "&")).await;
    assert_eq!(back.location().as_deref(), Some(start));
    let allowed = browser.get(start).await;
    assert_eq!(allowed.status, 200, "the form may begin");
    assert_eq!(allowed.h1(), "Antrag beginnen");
    assert_eq!(
        browser
            .get("/landkreis-musterland/leistungen/fahrzeug-ausser-betrieb-setzen/antrag")
            .await
            .status,
        403,
        "hoch is still more"
    );
}

#[tokio::test]
async fn a_local_account_links_the_provider_and_both_logins_reach_it() {
    let (app, op) = spawn_with_provider().await;
    let email = format!("verbinden.{}@example.de", uuid::Uuid::now_v7().simple());
    let browser = app.browser();
    browser.register_and_log_in(&email, "Kaffeetasse Fahrrad Birke").await;
    op.next_login(json!({"sub": "linked-1", "acr": SUBSTANTIAL})).await;
    browser.log_in_with_provider("/anmelden/bundid").await;
    let konto = browser.get("/konto").await;
    assert!(konto.body.contains(&email));
    assert!(konto.body.contains("Anmelden können Sie auch mit: BundID"));
    assert!(konto.body.contains("Anmeldedienst verbunden"));
    assert!(
        konto.body.contains("Servicekonto mit geprüfter Identität"),
        "the session now has the higher level"
    );

    op.next_login(json!({"sub": "linked-1", "acr": SUBSTANTIAL})).await;
    let phone = app.browser();
    phone.log_in_with_provider("/anmelden/bundid").await;
    assert!(
        phone.get("/konto").await.body.contains(&email),
        "the provider login reaches the same account"
    );

    // The same provider identity cannot be linked to a second account.
    let other = app.browser();
    other
        .register_and_log_in(
            &format!("zweites.{}@example.de", uuid::Uuid::now_v7().simple()),
            "Leuchtturm Wolke Apfelbaum",
        )
        .await;
    op.next_login(json!({"sub": "linked-1", "acr": SUBSTANTIAL})).await;
    let conflict = other.log_in_with_provider("/anmelden/bundid").await;
    assert_eq!(conflict.status, 409);
}

#[tokio::test]
async fn stammdaten_confirmed_by_the_provider_cannot_be_changed_by_hand() {
    let (app, op) = spawn_with_provider().await;
    op.next_login(json!({"sub": "fest", "acr": SUBSTANTIAL})).await;
    let browser = app.browser();
    browser.log_in_with_provider("/anmelden/bundid").await;
    let page = browser.get("/konto/stammdaten").await;
    assert!(
        page.body.contains("Mustermann") && !page.body.contains("<form method=\"post\" action=\"/konto/stammdaten\"")
    );
    let token = browser.get("/konto").await.csrf_token();
    let attempt = browser
        .post(
            "/konto/stammdaten",
            &[("csrf_token", &token), ("family_name", "Anders")],
        )
        .await;
    assert_eq!(attempt.status, 403);
    assert!(browser.get("/konto").await.body.contains("Mustermann"));
}

/// Moves the login behind every session `minutes` into the past.
async fn age_logins(app: &TestApp, minutes: i64) {
    app.execute_at(
        "UPDATE session SET created_at = $1",
        Utc::now() - Duration::minutes(minutes),
    )
    .await;
}

#[tokio::test]
async fn an_account_without_a_password_logs_in_again_before_its_email_address_changes() {
    let (app, op) = spawn_with_provider().await;
    let erika = json!({"sub": "erika-email", "acr": SUBSTANTIAL});
    op.next_login(erika.clone()).await;
    let browser = app.browser();
    browser.log_in_with_provider("/anmelden/bundid").await;
    let fresh = browser.get("/konto/email").await;
    assert_eq!(fresh.status, 200, "right after the login: {}", fresh.body);

    age_logins(&app, 11).await;
    let asked = browser.get("/konto/email").await;
    assert_eq!(asked.status, 403, "{}", asked.body);
    assert!(asked.body.contains("Bitte melden Sie sich noch einmal an"));
    assert!(
        asked
            .body
            .contains(r#"href="/anmelden/bundid?weiter=%2Fkonto%2Femail""#),
        "{}",
        asked.body
    );
    let new_address = format!("erika.{}@example.de", uuid::Uuid::now_v7().simple());
    let refused = browser
        .submit("/konto", "/konto/email", &[("email", &new_address)])
        .await;
    assert_eq!(refused.status, 403, "a post skipping the form is refused too");
    assert!(app.mails_to(&new_address).await.is_empty(), "no link was sent");

    op.next_login(erika).await;
    let back = browser
        .log_in_with_provider("/anmelden/bundid?weiter=/konto/email")
        .await;
    assert_eq!(
        back.location().as_deref(),
        Some("/konto/email"),
        "the new login returns to the form"
    );
    let sent = browser
        .submit("/konto/email", "/konto/email", &[("email", &new_address)])
        .await;
    assert_eq!(
        sent.location().as_deref(),
        Some("/konto/email/gesendet"),
        "{}",
        sent.body
    );
    assert_eq!(app.mails_to(&new_address).await.len(), 1);
}

#[tokio::test]
async fn linking_a_further_login_needs_a_recent_login_and_does_not_count_as_one() {
    let (app, op) = spawn_with_provider().await;
    let email = format!("erika.{}@example.de", uuid::Uuid::now_v7().simple());
    let erika = app.browser();
    erika.register_and_log_in(&email, PASSWORD).await;

    // Someone at Erika's unattended session links their own provider login.
    age_logins(&app, 11).await;
    op.next_login(json!({"sub": "mallory", "acr": SUBSTANTIAL})).await;
    let refused = erika.log_in_with_provider("/anmelden/bundid").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("Bitte melden Sie sich noch einmal an"));
    assert!(
        !erika.get("/konto").await.body.contains("Anmeldedienst verbunden"),
        "nothing was linked"
    );

    // Shortly after Erika's own login the link is made, but it does not renew that login.
    assert!(
        refused.body.contains(r#"href="/anmelden?erneut=ja&#38;weiter=/konto""#),
        "{}",
        refused.body
    );
    let again = erika.get("/anmelden?erneut=ja&weiter=/konto").await;
    assert!(
        again.body.contains("Bitte melden Sie sich noch einmal an."),
        "{}",
        again.body
    );
    let login = erika
        .submit(
            "/anmelden?erneut=ja&weiter=/konto",
            "/anmelden",
            &[("email", &email), ("password", PASSWORD), ("weiter", "/konto")],
        )
        .await;
    assert_eq!(login.location().as_deref(), Some("/konto"));
    age_logins(&app, 9).await;
    op.next_login(json!({"sub": "mallory", "acr": SUBSTANTIAL})).await;
    let linked = erika.log_in_with_provider("/anmelden/bundid").await;
    assert_eq!(linked.location().as_deref(), Some("/konto"), "{}", linked.body);
    assert!(erika.get("/konto").await.body.contains("Anmeldedienst verbunden"));
    let newest = logins(&app).await.into_iter().max().unwrap();
    assert!(
        Utc::now() - newest >= Duration::minutes(9),
        "the session keeps the time of Erika's login"
    );
}

/// When the sessions' logins were.
async fn logins(app: &TestApp) -> Vec<DateTime<Utc>> {
    let sql = "SELECT created_at FROM session WHERE account_id IS NOT NULL";
    let rows: Vec<(DateTime<Utc>,)> = match &app.db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .unwrap();
    rows.into_iter().map(|(at,)| at).collect()
}

#[tokio::test]
async fn discovery_is_kept_between_logins_and_fetched_anew_when_the_keys_rotate() {
    let (app, op) = spawn_with_provider().await;
    let (discovery_before, _) = op.fetches().await;
    for sub in ["erika-a", "erika-b"] {
        op.next_login(json!({"sub": sub, "acr": SUBSTANTIAL})).await;
        let done = app.browser().log_in_with_provider("/anmelden/bundid").await;
        assert_eq!(done.location().as_deref(), Some("/konto"), "{}", done.body);
    }
    let (discovery, jwks) = op.fetches().await;
    assert_eq!(discovery - discovery_before, 1, "two logins, one discovery");

    op.rotate_key().await;
    op.next_login(json!({"sub": "erika-c", "acr": SUBSTANTIAL})).await;
    let done = app.browser().log_in_with_provider("/anmelden/bundid").await;
    assert_eq!(
        done.location().as_deref(),
        Some("/konto"),
        "a token with the new key: {}",
        done.body
    );
    let (_, jwks_after) = op.fetches().await;
    assert_eq!(jwks_after - jwks, 1, "the keys were fetched anew once");
}

#[tokio::test]
async fn a_provider_login_stores_nothing_until_the_citizen_is_sent_there() {
    let app = crate::helpers::spawn_with(|s| {
        s.identity_providers = vec![crate::helpers::bundid("http://127.0.0.1:1")];
    })
    .await;
    let page = app.browser().get("/anmelden/bundid").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM session").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM login_flow").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM auth_attempt").await, 0);
}

#[tokio::test]
async fn logins_begun_with_a_provider_are_limited_per_ip() {
    let (app, _op) = spawn_with_provider().await;
    let visitor = app.browser_from([127, 0, 0, 4]);
    for attempt in 1..=30 {
        let page = visitor.get("/anmelden/bundid").await;
        assert_eq!(page.status, 303, "attempt {attempt}");
    }
    let refused = visitor.get("/anmelden/bundid").await;
    assert_eq!(refused.status, 429);
    assert_eq!(app.count("SELECT COUNT(*) FROM login_flow").await, 30);
    assert_eq!(
        app.browser_from([127, 0, 0, 5]).get("/anmelden/bundid").await.status,
        303
    );
}
