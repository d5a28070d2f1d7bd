//! Brute force: the login limits hold under concurrency, refused requests write nothing, checks of
//! the current password count as logins, and per-IP limits see the real client behind a proxy.

use futures_util::future::join_all;

use crate::helpers::{Browser, TestApp, spawn_with};

const PASSWORD: &str = "Kaffeetasse Fahrrad Birke";
const WRONG: &str = "falsch falsch falsch";
const CHECKS: &str = "buergerportal_password_checks_total";

fn unique_email(who: &str) -> String {
    format!("{who}.{}@example.de", uuid::Uuid::now_v7().simple())
}

async fn app_with_metrics() -> TestApp {
    spawn_with(|s| s.metrics_listen = "127.0.0.1:0".into()).await
}

/// Posts the login form `n` times at once from one browser, for the addresses `email(i)`.
async fn concurrent_logins(browser: &Browser<'_>, n: usize, email: impl Fn(usize) -> String) -> Vec<u16> {
    let token = browser.get("/anmelden").await.csrf_token();
    let posts = (0..n).map(|i| {
        let (token, email) = (token.clone(), email(i));
        async move {
            browser
                .post(
                    "/anmelden",
                    &[("csrf_token", &token), ("email", &email), ("password", WRONG)],
                )
                .await
                .status
        }
    });
    join_all(posts).await
}

#[tokio::test]
async fn fifty_concurrent_wrong_passwords_for_one_address_reach_the_check_at_most_five_times() {
    let app = app_with_metrics().await;
    let email = unique_email("ansturm");
    let statuses = concurrent_logins(&app.browser(), 50, |_| email.clone()).await;

    let checks = app.metric(CHECKS).await;
    assert!(checks <= 5.0, "{checks} password checks for one address (limit 5)");
    assert_eq!(statuses.iter().filter(|s| **s == 422).count() as f64, checks);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count() as f64, 50.0 - checks);
}

#[tokio::test]
async fn fifty_concurrent_wrong_passwords_from_one_ip_reach_the_check_at_most_twenty_times() {
    let app = app_with_metrics().await;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let statuses = concurrent_logins(&app.browser(), 50, |i| format!("nutzer{i}.{run}@example.de")).await;

    let checks = app.metric(CHECKS).await;
    assert!(checks <= 20.0, "{checks} password checks from one IP (limit 20)");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count() as f64, 50.0 - checks);
}

#[tokio::test]
async fn a_refused_login_writes_no_row() {
    let app = spawn_with(|_| {}).await;
    let browser = app.browser();
    let email = unique_email("sperre");
    for _ in 0..5 {
        let page = browser
            .submit("/anmelden", "/anmelden", &[("email", &email), ("password", WRONG)])
            .await;
        assert_eq!(page.status, 422);
    }
    let rows = app.count("SELECT COUNT(*) FROM auth_attempt").await;
    for _ in 0..10 {
        let page = browser
            .submit("/anmelden", "/anmelden", &[("email", &email), ("password", WRONG)])
            .await;
        assert_eq!(page.status, 429);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM auth_attempt").await, rows);
}

#[tokio::test]
async fn wrong_current_passwords_on_the_account_pages_count_as_failed_logins() {
    let app = spawn_with(|_| {}).await;
    let browser = app.browser();
    let email = unique_email("konto");
    browser.register_and_log_in(&email, PASSWORD).await;
    for (form, action, fields) in [
        (
            "/konto/passwort",
            "/konto/passwort",
            vec![("current", WRONG), ("password", "Neues Passwort Wolke Tanne")],
        ),
        (
            "/konto/passwort",
            "/konto/passwort",
            vec![("current", WRONG), ("password", "Neues Passwort Wolke Tanne")],
        ),
        (
            "/konto/email",
            "/konto/email",
            vec![("current", WRONG), ("email", "neu@example.de")],
        ),
        (
            "/konto/email",
            "/konto/email",
            vec![("current", WRONG), ("email", "neu@example.de")],
        ),
        (
            "/konto/passwort",
            "/konto/passwort",
            vec![("current", WRONG), ("password", "Neues Passwort Wolke Tanne")],
        ),
    ] {
        let page = browser.submit(form, action, &fields).await;
        assert_eq!(page.status, 422, "{action}: {}", page.body);
    }
    let limited = browser
        .submit(
            "/konto/passwort",
            "/konto/passwort",
            &[("current", PASSWORD), ("password", "Neues Passwort Wolke Tanne")],
        )
        .await;
    assert_eq!(
        limited.status, 429,
        "the right password after five wrong ones waits too"
    );
    assert!(limited.body.contains("Warten Sie 15 Minuten"), "{}", limited.body);

    let other = app.browser_from([127, 0, 0, 2]);
    let login = other
        .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, 429, "the account's login waits as well");
}

/// A wrong-password login through a proxy that says it forwards for `client`.
async fn forwarded_login(browser: &Browser<'_>, token: &str, client: &str) -> u16 {
    let email = unique_email("proxy");
    browser
        .client
        .post(format!("{}/anmelden", browser.app.address))
        .header("Origin", &browser.app.address)
        .header("X-Forwarded-For", client)
        .form(&[("csrf_token", token), ("email", &email), ("password", WRONG)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit_and_ipv6_counts_per_64() {
    let app = spawn_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let proxy = app.browser();
    let token = proxy.get("/anmelden").await.csrf_token();
    for client in ["198.51.100.1", "2001:db8:1:2::1"] {
        for attempt in 1..=20 {
            assert_eq!(
                forwarded_login(&proxy, &token, client).await,
                422,
                "{client} attempt {attempt}"
            );
        }
    }
    assert_eq!(forwarded_login(&proxy, &token, "198.51.100.1").await, 429);
    assert_eq!(
        forwarded_login(&proxy, &token, "2001:db8:1:2:ffff::9").await,
        429,
        "same /64"
    );
    assert_eq!(
        forwarded_login(&proxy, &token, "198.51.100.2").await,
        422,
        "another client"
    );
    assert_eq!(
        forwarded_login(&proxy, &token, "2001:db8:1:3::1").await,
        422,
        "another /64"
    );
}

#[tokio::test]
async fn a_forwarded_header_from_an_untrusted_peer_is_ignored() {
    let app = spawn_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let stranger = app.browser_from([127, 0, 0, 2]);
    let token = stranger.get("/anmelden").await.csrf_token();
    for attempt in 1..=20 {
        let forged = format!("203.0.113.{attempt}");
        assert_eq!(
            forwarded_login(&stranger, &token, &forged).await,
            422,
            "attempt {attempt}"
        );
    }
    assert_eq!(forwarded_login(&stranger, &token, "203.0.113.99").await, 429);
}
