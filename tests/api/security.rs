use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/leistungen", "/gibt-es-nicht", "/static/portal.css", "/healthz"] {
        let page = app.get(path).await;
        let csp = page
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            page.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert!(page.header("referrer-policy").is_some(), "{path}");
        assert!(page.header("x-request-id").is_some(), "{path}");
        assert!(
            page.header("strict-transport-security").is_none(),
            "{path}: no HSTS over http"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_portal_is_served_over_https() {
    let app = spawn_with(|s| s.base_url = "https://portal.example".into()).await;
    let page = app.get("/").await;
    assert!(page.header("strict-transport-security").unwrap().contains("max-age="));
}

#[tokio::test]
async fn pages_have_no_inline_script_or_style() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/leistungen",
        "/musterstadt/leistungen/anwohnerparkausweis",
        "/zustaendigkeit?ort=71999",
        "/nix",
    ] {
        let body = app.get(path).await.body;
        assert!(!body.contains("<script"), "{path}");
        assert!(!body.contains("<style") && !body.contains(" style="), "{path}");
    }
}

#[tokio::test]
async fn the_language_link_of_a_page_never_points_to_another_site() {
    let app = spawn_app().await;
    let page = app.get("//evil.example/x").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains(r#"href="/evil.example/x?lang=en""#), "{}", page.body);
    assert!(!page.body.contains("href=\"//"), "{}", page.body);

    // A backslash, which browsers read as a slash (sent raw; HTTP clients would rewrite it).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET /\\evil.example/x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(!answer.contains("href=\"/\\"), "{answer}");
}

/// Every row a visitor could make the portal write.
async fn rows(app: &crate::helpers::TestApp) -> i64 {
    app.count(
        "SELECT (SELECT COUNT(*) FROM session) + (SELECT COUNT(*) FROM login_flow)
              + (SELECT COUNT(*) FROM auth_attempt) + (SELECT COUNT(*) FROM draft)
              + (SELECT COUNT(*) FROM outbox) + (SELECT COUNT(*) FROM parked_step)",
    )
    .await
}

#[tokio::test]
async fn anonymous_visitors_make_the_portal_store_nothing() {
    let app = spawn_app().await;
    let before = rows(&app).await;
    let visitor = app.browser();
    for path in [
        "/anmelden",
        "/registrieren",
        "/passwort-vergessen",
        "/registrieren/erneut",
        "/musterstadt/leistungen/anwohnerparkausweis",
        "/musterstadt/leistungen/anwohnerparkausweis/antrag",
        "/musterstadt/antrag/0190a0b4-0000-7000-8000-000000000000/schritt/person",
    ] {
        for _ in 0..3 {
            let page = visitor.get(path).await;
            assert!(page.status < 400, "{path}: {}", page.status);
        }
        assert_eq!(rows(&app).await, before, "{path} stored something");
    }
    // A form posted after the session ended is parked only for a logged-in owner's draft.
    let token = visitor.get("/anmelden").await.csrf_token();
    let parked = visitor
        .post(
            "/musterstadt/antrag/0190a0b4-0000-7000-8000-000000000000/schritt/person",
            &[("csrf_token", &token), ("vorname", "Erika")],
        )
        .await;
    assert!(parked.status < 500, "{}", parked.status);
    assert_eq!(
        rows(&app).await,
        before,
        "a step posted without a session stored something"
    );
}
