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
