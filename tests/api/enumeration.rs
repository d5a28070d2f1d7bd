//! No account enumeration (ASVS 6.x): for each public path, an address with an account and one
//! without get the same answer, and the difference only shows in the mailbox of the address.

use crate::helpers::{Browser, Page, spawn_app};

const PASSWORD: &str = "Kaffeetasse Fahrrad Birke";
const ATTACKER_PASSWORD: &str = "Angreifer wählt dieses Passwort";

fn unique_email(who: &str) -> String {
    format!("{who}.{}@example.de", uuid::Uuid::now_v7().simple())
}

/// The page as an observer compares it: without the per-session token and the address typed in.
fn seen(page: &Page, email: &str) -> (u16, Option<String>, String) {
    let token = if page.body.contains(r#"name="csrf_token""#) {
        page.csrf_token()
    } else {
        String::new()
    };
    let body = page.body.replace(&token, "TOKEN").replace(email, "ADDRESS");
    (page.status, page.location(), body)
}

async fn post_form(browser: &Browser<'_>, path: &str, fields: &[(&str, &str)]) -> Page {
    browser.submit(path, path, fields).await
}

#[tokio::test]
async fn registering_a_taken_and_a_free_address_answers_alike() {
    let app = spawn_app().await;
    let (taken, free) = (unique_email("vergeben"), unique_email("frei"));
    app.browser().register_and_log_in(&taken, PASSWORD).await;

    let stranger = app.browser_from([127, 0, 0, 2]);
    let fields = |email| [("email", email), ("password", ATTACKER_PASSWORD), ("consent", "ja")];
    let a = post_form(&stranger, "/registrieren", &fields(taken.as_str())).await;
    let b = post_form(&stranger, "/registrieren", &fields(free.as_str())).await;
    assert_eq!(seen(&a, &taken), seen(&b, &free));
    assert_eq!(a.location().as_deref(), Some("/registrieren/gesendet"));
    let told = app.mails_to(&taken).await;
    assert!(
        told.last().unwrap().contains("Sie haben bereits ein Konto"),
        "the owner is told: {told:?}"
    );
}

#[tokio::test]
async fn logging_in_with_a_password_one_registered_oneself_tells_nothing() {
    // Register someone else's address with a password of one's own, then log in with it: whether
    // the address had an account before must not show.
    let app = spawn_app().await;
    let (taken, free) = (unique_email("vergeben"), unique_email("frei"));
    app.browser().register_and_log_in(&taken, PASSWORD).await;

    let stranger = app.browser_from([127, 0, 0, 2]);
    for email in [&taken, &free] {
        let fields = [
            ("email", email.as_str()),
            ("password", ATTACKER_PASSWORD),
            ("consent", "ja"),
        ];
        post_form(&stranger, "/registrieren", &fields).await;
    }
    for attempt in 1..=6 {
        let a = post_form(
            &stranger,
            "/anmelden",
            &[("email", &taken), ("password", ATTACKER_PASSWORD)],
        )
        .await;
        let b = post_form(
            &stranger,
            "/anmelden",
            &[("email", &free), ("password", ATTACKER_PASSWORD)],
        )
        .await;
        assert_eq!(seen(&a, &taken), seen(&b, &free), "attempt {attempt}");
        assert_eq!(a.status, if attempt <= 5 { 422 } else { 429 }, "attempt {attempt}");
    }
}

#[tokio::test]
async fn a_reset_for_a_known_and_an_unknown_address_answers_alike() {
    let app = spawn_app().await;
    let (known, unknown) = (unique_email("bekannt"), unique_email("unbekannt"));
    app.browser().register_and_log_in(&known, PASSWORD).await;

    let stranger = app.browser_from([127, 0, 0, 2]);
    let a = post_form(&stranger, "/passwort-vergessen", &[("email", &known)]).await;
    let b = post_form(&stranger, "/passwort-vergessen", &[("email", &unknown)]).await;
    assert_eq!(seen(&a, &known), seen(&b, &unknown));
    // The link is queued after the answer: wait for it.
    let link = app.link_in_mail(&known, "/passwort-neu").await;
    assert!(link.contains("token="), "{link}");
    assert!(app.mails_to(&unknown).await.is_empty());
}

#[tokio::test]
async fn resending_the_link_answers_alike_for_unverified_verified_and_unknown_addresses() {
    let app = spawn_app().await;
    let (verified, unverified, unknown) = (unique_email("bestaetigt"), unique_email("offen"), unique_email("fremd"));
    app.browser().register_and_log_in(&verified, PASSWORD).await;
    post_form(
        &app.browser(),
        "/registrieren",
        &[("email", &unverified), ("password", PASSWORD), ("consent", "ja")],
    )
    .await;

    let stranger = app.browser_from([127, 0, 0, 2]);
    let a = post_form(&stranger, "/registrieren/erneut", &[("email", &verified)]).await;
    let b = post_form(&stranger, "/registrieren/erneut", &[("email", &unverified)]).await;
    let c = post_form(&stranger, "/registrieren/erneut", &[("email", &unknown)]).await;
    assert_eq!(seen(&a, &verified), seen(&b, &unverified));
    assert_eq!(seen(&b, &unverified), seen(&c, &unknown));
    assert_eq!(
        app.mails_to_once_there_are(&unverified, 2).await.len(),
        2,
        "the unverified address gets a new link"
    );
}
