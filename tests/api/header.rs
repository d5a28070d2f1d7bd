//! The header on every page says who is logged in, and offers "Abmelden" as a form that posts.

use crate::applications::{logged_in, unique};
use crate::helpers::{Page, spawn_app};

/// The links and forms of the page's header (its first `<header>`).
fn header(page: &Page) -> &str {
    let start = page.body.find("<header").expect("a header");
    let end = start + page.body[start..].find("</header>").expect("the header's end");
    &page.body[start..end]
}

#[tokio::test]
async fn the_header_shows_who_is_logged_in_on_every_page_and_logs_out_with_a_post() {
    let app = spawn_app().await;
    let anonymous = app.browser().get("/musterstadt/leistungen").await;
    assert_eq!(anonymous.status, 200);
    assert!(header(&anonymous).contains(r#"<a href="/anmelden">Anmelden</a>"#));
    assert!(!header(&anonymous).contains("/abmelden"));
    assert_eq!(
        anonymous.header("cache-control"),
        None,
        "a page without a session cookie reads no session (and stays cacheable)"
    );

    let email = unique("kopfzeile");
    let browser = logged_in(&app, &email).await;
    let session_token = browser.get("/konto").await.csrf_token();
    let start = "/musterstadt/leistungen/kontakt/antrag";
    let asked = browser.get(start).await;
    let draft = browser.post(start, &[("csrf_token", &asked.csrf_token())]).await;
    let step = browser.get(&draft.location().unwrap()).await.location().unwrap();
    for path in [
        "/",
        "/musterstadt/leistungen",
        "/zustaendigkeit",
        "/konto",
        "/antraege",
        &step,
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let header = header(&page);
        assert!(
            header.contains(&format!("Angemeldet als </span>{email}</a>")),
            "{path}: {header}"
        );
        assert!(header.contains(r#"<a href="/antraege">Meine Anträge</a>"#), "{path}");
        assert!(header.contains(r#"<form method="post" action="/abmelden">"#), "{path}");
        assert!(
            header.contains(&format!(r#"name="csrf_token" value="{session_token}""#)),
            "{path}"
        );
        assert!(!header.contains(r#"href="/anmelden""#), "{path}");
        // The same links fold into a menu on a phone, without JavaScript.
        assert!(header.contains(r#"<details class="portal-menu">"#), "{path}");
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"), "{path}");
    }

    // With Stammdaten the header shows the name instead of the address.
    let named = browser
        .submit(
            "/konto/stammdaten",
            "/konto/stammdaten",
            &[("given_name", "Erika"), ("family_name", "Mustermann")],
        )
        .await;
    assert_eq!(named.status, 303, "{}", named.body);
    let page = browser.get("/musterstadt/leistungen").await;
    assert!(header(&page).contains("Angemeldet als </span>Erika Mustermann</a>"));
    assert!(!header(&page).contains(&email));

    // "Abmelden" in the header ends the session; a GET of it does not.
    assert_eq!(browser.get("/abmelden").await.status, 404);
    assert!(header(&browser.get("/konto").await).contains("Erika Mustermann"));
    let out = browser.post("/abmelden", &[("csrf_token", &session_token)]).await;
    assert_eq!(out.status, 303);
    let after = browser.get("/musterstadt/leistungen").await;
    assert!(header(&after).contains(r#"<a href="/anmelden">Anmelden</a>"#));
    assert!(!header(&after).contains("Erika"));
    assert_eq!(browser.get("/antraege").await.status, 303, "logged out");
}
