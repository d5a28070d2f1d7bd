//! Applying for a service: steps, drafts, check-answers, submit exactly once, and the unhappy paths.

use buergerportal::db::Db;

use crate::helpers::{Browser, FormPart, Page, TestApp, spawn_app};

async fn count(app: &TestApp, sql: &str) -> i64 {
    match &app.db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn text(app: &TestApp, sql: &str) -> String {
    match &app.db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// Starts (or continues) the application for a Musterstadt service; the draft's base path.
pub(crate) async fn start(browser: &Browser<'_>, service: &str) -> String {
    begin(browser, &format!("/musterstadt/leistungen/{service}/antrag")).await
}

/// Presses "Antrag beginnen" on a service's start page; the draft's base path.
async fn begin(browser: &Browser<'_>, start: &str) -> String {
    let asked = browser.get(start).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert_eq!(asked.h1(), "Antrag beginnen");
    let started = browser.post(start, &[("csrf_token", &asked.csrf_token())]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    started.location().unwrap()
}

/// Where the draft continues: the first step to answer, or the task list.
async fn resume(browser: &Browser<'_>, draft: &str) -> String {
    let page = browser.get(draft).await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.location().unwrap()
}

/// Posts a step as its page would, pressing `action` ("weiter" unless given).
pub(crate) async fn post_step(browser: &Browser<'_>, step: &str, fields: &[(&str, &str)]) -> Page {
    let path = step.split('#').next().unwrap();
    let form = browser.get(path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = form.csrf_token();
    let mut all = vec![("csrf_token", token.as_str())];
    if !fields.iter().any(|(k, _)| *k == "aktion") {
        all.push(("aktion", "weiter"));
    }
    all.extend_from_slice(fields);
    // The step's form: the first in the page's content (the header has "Abmelden").
    let content = &form.body[form.body.find("<main").unwrap()..];
    let action = content
        .split(r#"<form method="post" action=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&#38;", "&");
    browser.post(&action, &all).await
}

/// Sends a draft from its check-answers page, as the citizen's "Antrag absenden" does; the answer.
pub(crate) async fn send_draft(browser: &Browser<'_>, draft: &str) -> Page {
    let check = browser.get(&format!("{draft}/pruefen")).await;
    assert_eq!(check.status, 200, "{}", check.body);
    browser
        .post(
            &format!("{draft}/absenden"),
            &[("csrf_token", &check.csrf_token()), ("stand", &check.hidden("stand"))],
        )
        .await
}

/// An address of its own for each test: the mail sink is shared by tests running at once.
pub(crate) fn unique(name: &str) -> String {
    format!("{name}.{}@example.de", uuid::Uuid::now_v7().simple())
}

pub(crate) async fn logged_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let browser = app.browser();
    browser.register_and_log_in(email, "Lange genug und geheim 42").await;
    browser
}

/// Fills in the contact form up to check-answers; returns the draft path.
pub(crate) async fn contact_form_filled(browser: &Browser<'_>, email: &str) -> String {
    let draft = start(browser, "kontakt").await;
    let first = resume(browser, &draft).await;
    assert_eq!(first, format!("{draft}/schritt/nachricht"));
    let next = post_step(
        browser,
        &first,
        &[
            ("anliegen", "frage"),
            ("betreff", "Straßenlaterne"),
            ("text", "Die Laterne vor Hausnummer 3 ist seit Tagen aus."),
        ],
    )
    .await;
    assert_eq!(
        next.location().as_deref(),
        Some(format!("{draft}/schritt/antwort").as_str()),
        "{}",
        next.body
    );
    let next = post_step(
        browser,
        &format!("{draft}/schritt/antwort"),
        &[("name", "Anna Muster"), ("weg", "email")],
    )
    .await;
    assert_eq!(
        next.location().as_deref(),
        Some(format!("{draft}/schritt/email").as_str())
    );
    let email_step = browser.get(&format!("{draft}/schritt/email")).await;
    assert!(
        email_step.body.contains(&format!(r#"value="{email}""#)),
        "the account's address is prefilled"
    );
    let next = post_step(browser, &format!("{draft}/schritt/email"), &[("email", email)]).await;
    assert_eq!(next.location().as_deref(), Some(format!("{draft}/pruefen").as_str()));
    draft
}

#[tokio::test]
async fn a_citizen_fills_in_checks_and_sends_the_contact_form_once() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = contact_form_filled(&browser, &anna_email).await;

    let check = browser.get(&format!("{draft}/pruefen")).await;
    assert_eq!(check.status, 200);
    assert_eq!(check.h1(), "Prüfen Sie Ihre Angaben");
    for shown in [
        "Eine Frage",
        "Straßenlaterne",
        "Anna Muster",
        "E-Mail",
        anna_email.as_str(),
    ] {
        assert!(check.body.contains(shown), "{shown} missing on check-answers");
    }
    assert!(
        check
            .body
            .contains(&format!(r#"href="{draft}/schritt/antwort?zurueck=pruefen#name""#))
    );

    let (token, stand) = (check.csrf_token(), check.hidden("stand"));
    let sent = browser
        .post(
            &format!("{draft}/absenden"),
            &[("csrf_token", &token), ("stand", &stand)],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let confirmation = sent.location().unwrap();
    assert!(confirmation.starts_with("/musterstadt/vorgang/"), "{confirmation}");
    let reference = confirmation.rsplit('/').next().unwrap().to_owned();
    assert_eq!(reference.len(), 11, "{reference}");

    let done = browser.get(&confirmation).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.h1(), "Ihr Antrag wurde gesendet");
    assert!(done.body.contains(&reference));
    // The service's name, and what happens next as its form says.
    assert!(
        done.body.contains("Nachricht an die Stadtverwaltung senden"),
        "{}",
        done.body
    );
    assert!(
        done.body
            .contains("Der Bürgerservice leitet Ihre Nachricht an die zuständige Stelle weiter."),
        "{}",
        done.body
    );

    // A reload of the POST and a back-and-resubmit lead to the same case, not a second one.
    let again = browser
        .post(
            &format!("{draft}/absenden"),
            &[("csrf_token", &token), ("stand", &stand)],
        )
        .await;
    assert_eq!(again.location().as_deref(), Some(confirmation.as_str()));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'delivery'").await,
        1
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 0);

    // The confirmation mail says where to look, without the answers.
    let mails = app.mails_to(&anna_email).await;
    let mail = mails
        .iter()
        .find(|m| {
            m.contains("Ihr Antrag wurde gesendet. Wir geben ihn jetzt an die zust=C3=A4ndige Beh=C3=B6rde weiter")
                || m.contains("Wir geben ihn jetzt an die zuständige Behörde weiter")
        })
        .expect("confirmation mail");
    assert!(!mail.contains("Straßenlaterne") && !mail.contains("Laterne vor Hausnummer"));
    assert!(mail.contains("/antraege"));

    let list = browser.get("/antraege").await;
    assert!(list.body.contains(&reference) && list.body.contains("Nachricht an die Stadtverwaltung senden"));

    // The receipt: a tagged PDF with the answers, for its owner only.
    let receipt_path = format!("{confirmation}/quittung.pdf");
    assert!(done.body.contains(&receipt_path));
    let receipt = browser
        .client
        .get(format!("{}{receipt_path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), 200);
    assert_eq!(receipt.headers()["content-type"], "application/pdf");
    assert_eq!(
        receipt.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"Empfangsbestaetigung-{reference}.pdf\"")
    );
    assert!(
        receipt.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    let pdf = receipt.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(String::from_utf8_lossy(&pdf).contains("/StructTreeRoot"), "tagged");
    let ben_email = unique("ben");
    let stranger = logged_in(&app, &ben_email).await;
    assert_eq!(stranger.get(&receipt_path).await.status, 404);
}

#[tokio::test]
async fn a_double_click_creates_one_case() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = contact_form_filled(&browser, &anna_email).await;
    let check = browser.get(&format!("{draft}/pruefen")).await;
    let (token, stand) = (check.csrf_token(), check.hidden("stand"));
    let path = format!("{draft}/absenden");
    let fields = [("csrf_token", token.as_str()), ("stand", stand.as_str())];
    let (a, b) = tokio::join!(browser.post(&path, &fields), browser.post(&path, &fields));
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(b.status, 303, "{}", b.body);
    assert_eq!(a.location(), b.location());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'delivery'").await,
        1
    );
}

#[tokio::test]
async fn a_link_to_start_creates_nothing_and_two_tabs_starting_at_once_share_one_draft() {
    let app = spawn_app().await;
    let browser = logged_in(&app, &unique("anna")).await;
    let start = "/musterstadt/leistungen/kontakt/antrag";
    let asked = browser.get(start).await;
    assert_eq!(asked.h1(), "Antrag beginnen");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM draft").await,
        0,
        "a GET makes no draft"
    );

    let token = asked.csrf_token();
    let fields = [("csrf_token", token.as_str())];
    let (a, b) = tokio::join!(browser.post(start, &fields), browser.post(start, &fields));
    assert_eq!((a.status, b.status), (303, 303), "{} {}", a.body, b.body);
    assert_eq!(a.location(), b.location(), "both tabs continue the same draft");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 1);
}

#[tokio::test]
async fn answers_changed_in_another_tab_are_checked_again_before_sending() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = contact_form_filled(&browser, &anna_email).await;
    let first_tab = browser.get(&format!("{draft}/pruefen")).await;
    // In a second tab Anna changes the subject.
    post_step(
        &browser,
        &format!("{draft}/schritt/nachricht?zurueck=pruefen"),
        &[
            ("anliegen", "frage"),
            ("betreff", "Neuer Betreff"),
            ("text", "Eine längere Nachricht."),
        ],
    )
    .await;
    let fields = [
        ("csrf_token", first_tab.csrf_token()),
        ("stand", first_tab.hidden("stand")),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser.post(&format!("{draft}/absenden"), &fields).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("Ihre Angaben haben sich geändert"));
    assert!(
        refused.body.contains("Neuer Betreff"),
        "the page shows what would be sent now"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 0);

    let sent = browser
        .post(
            &format!("{draft}/absenden"),
            &[
                ("csrf_token", &refused.csrf_token()),
                ("stand", &refused.hidden("stand")),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 1);
}

#[tokio::test]
async fn a_step_sent_from_before_a_new_login_comes_back_filled_in_not_saved() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "kontakt").await;
    let step = format!("{draft}/schritt/nachricht");
    let old_token = browser.get(&step).await.csrf_token();
    // In another tab Anna logs in once more: a new session with a new token.
    let login = browser
        .submit(
            "/anmelden?erneut=ja",
            "/anmelden",
            &[("email", &anna_email), ("password", "Lange genug und geheim 42")],
        )
        .await;
    assert_eq!(login.status, 303, "{}", login.body);

    let sent = browser
        .post(
            &step,
            &[
                ("csrf_token", &old_token),
                ("anliegen", "frage"),
                ("betreff", "Laterne <kaputt>"),
                ("text", "Die Laterne vor Nummer 4 ist aus."),
            ],
        )
        .await;
    assert_eq!(sent.status, 403);
    assert!(sent.body.contains("Bitte senden Sie diese Seite noch einmal"));
    assert!(
        sent.body.contains("Laterne &#60;kaputt&#62;"),
        "typed, kept, escaped: {}",
        sent.body
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM draft WHERE CAST(answers AS TEXT) LIKE '%Laterne%'"
        )
        .await,
        0,
        "nothing saved without the session's token"
    );
    let again = browser
        .post(
            &step,
            &[
                ("csrf_token", &sent.csrf_token()),
                ("anliegen", "frage"),
                ("betreff", "Laterne <kaputt>"),
                ("text", "Die Laterne vor Nummer 4 ist aus."),
            ],
        )
        .await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM draft WHERE CAST(answers AS TEXT) LIKE '%Laterne%'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn errors_are_listed_on_top_and_the_typed_values_kept() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "kontakt").await;
    let step = format!("{draft}/schritt/nachricht");
    let page = post_step(&browser, &step, &[("betreff", "<b>Laterne</b>"), ("text", "kurz")]).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("<title>Fehler: Ihre Nachricht"),
        "the title starts with Fehler"
    );
    assert!(
        page.body.contains(
            r##"<a class="kern-link" href="#anliegen">Wählen Sie bei „Worum geht es?“ eine Antwort aus.</a>"##
        ),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("„Ihre Nachricht“ muss mindestens 10 Zeichen lang sein.")
    );
    assert!(
        page.body.contains(r#"value="&#60;b&#62;Laterne&#60;/b&#62;""#),
        "kept, escaped"
    );
    assert!(
        page.body.contains(r#"aria-describedby="text-fehler text-zeichen""#),
        "{}",
        page.body
    );
    // The draft holds what was typed, even with errors.
    let again = browser.get(&step).await;
    assert!(again.body.contains("&#60;b&#62;Laterne"));
    assert!(
        again.body.contains("Fehler:"),
        "errors stay visible once the step was tried"
    );
}

#[tokio::test]
async fn another_citizens_draft_or_case_is_not_found() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let anna = logged_in(&app, &anna_email).await;
    let draft = contact_form_filled(&anna, &anna_email).await;
    let ben_email = unique("ben");
    let ben = logged_in(&app, &ben_email).await;
    for path in [
        draft.clone(),
        format!("{draft}/schritt/nachricht"),
        format!("{draft}/pruefen"),
        format!("{draft}/loeschen"),
    ] {
        assert_eq!(ben.get(&path).await.status, 404, "{path}");
    }
    let token = ben.get("/konto").await.csrf_token();
    let stolen = ben.post(&format!("{draft}/absenden"), &[("csrf_token", &token)]).await;
    assert_eq!(stolen.status, 404);
    let stolen = ben
        .post(
            &format!("{draft}/schritt/nachricht"),
            &[("csrf_token", &token), ("betreff", "meins")],
        )
        .await;
    assert_eq!(stolen.status, 404);

    let check = anna.get(&format!("{draft}/pruefen")).await;
    let confirmation = anna
        .post(
            &format!("{draft}/absenden"),
            &[("csrf_token", &check.csrf_token()), ("stand", &check.hidden("stand"))],
        )
        .await
        .location()
        .unwrap();
    assert_eq!(ben.get(&confirmation).await.status, 404);
    // Under another tenant the same ids do not exist either.
    let other_tenant = draft.replace("/musterstadt/", "/landkreis-musterland/");
    assert_eq!(anna.get(&other_tenant).await.status, 404);
    assert_eq!(
        anna.get(&confirmation.replace("/musterstadt/", "/landkreis-musterland/"))
            .await
            .status,
        404
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 1);
}

#[tokio::test]
async fn tampered_ids_and_tokens_get_a_clear_answer() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "kontakt").await;
    assert_eq!(browser.get(&format!("{draft}/schritt/gibt-es-nicht")).await.status, 404);
    assert_eq!(
        browser
            .get("/musterstadt/antrag/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
    assert_eq!(
        browser.get("/musterstadt/antrag/'%20OR%201=1--/pruefen").await.status,
        404
    );
    assert_eq!(browser.get("/musterstadt/vorgang/ABCD-EFGH-J").await.status, 404);
    let forged = browser
        .post(
            &format!("{draft}/schritt/nachricht"),
            &[("csrf_token", "falsch"), ("betreff", "x")],
        )
        .await;
    assert_eq!(forged.status, 403);
    // Control characters in a step id or a group name lead to "not found", not to a broken redirect.
    let parked = browser.get(&format!("{draft}/schritt/x%0Ay?geparkt=1")).await;
    assert_eq!(
        parked.location().as_deref(),
        Some(format!("{draft}/schritt/x%0Ay").as_str())
    );
    assert_eq!(browser.get(&parked.location().unwrap()).await.status, 404);
    let token = browser.get(&format!("{draft}/schritt/nachricht")).await.csrf_token();
    let made_up = browser
        .post(
            &format!("{draft}/schritt/nachricht"),
            &[("csrf_token", &token), ("aktion", "hinzufuegen:x\ny")],
        )
        .await;
    assert_eq!(
        made_up.location().as_deref(),
        Some(format!("{draft}/schritt/nachricht").as_str())
    );
    // A step that does not apply yet (the e-mail step before choosing e-mail) sends back.
    let not_yet = browser.get(&format!("{draft}/schritt/email")).await;
    assert_eq!(not_yet.location().as_deref(), Some(draft.as_str()));
    // Submitting before the form is complete goes to the first open step.
    let token = browser.get(&format!("{draft}/schritt/nachricht")).await.csrf_token();
    let early = browser
        .post(&format!("{draft}/absenden"), &[("csrf_token", &token)])
        .await;
    assert_eq!(
        early.location().as_deref(),
        Some(format!("{draft}/schritt/nachricht").as_str())
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 0);
}

#[tokio::test]
async fn hostile_input_never_breaks_a_step_and_is_stored_as_given() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "gewerbeanmeldung").await;
    let step = format!("{draft}/schritt/person");
    // Long enough to break any limit of a field, short enough for the size limit of a request
    // (nine fields of 3,000 "ä", percent-encoded 18 KB each).
    let long = "ä".repeat(3_000);
    let nasty = [
        long.as_str(),
        "\u{0}\u{7}\u{1b}[31m",
        "\u{202e}مرحبا 🐕‍🦺 שלום",
        "'; DROP TABLE draft; --",
        "<script>alert(1)</script>",
        "{{ 7*7 }}",
    ];
    for value in nasty {
        let page = post_step(
            &browser,
            &step,
            &[
                ("vorname", value),
                ("nachname", value),
                ("geburtsdatum.tag", value),
                ("geburtsdatum.monat", "3"),
                ("geburtsdatum.jahr", value),
                ("staatsangehoerigkeit", value),
                ("anschrift.strasse", value),
                ("anschrift.plz", value),
                ("anschrift.ort", value),
                ("unbekannt", value),
            ],
        )
        .await;
        assert_eq!(
            page.status,
            422,
            "{value:?}: {}",
            &page.body[..page.body.len().min(500)]
        );
        assert!(!page.body.contains("<script>alert"), "echoed unescaped");
        assert!(page.body.contains("Fehler:"));
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM draft").await,
        1,
        "the table is still there"
    );
    let huge = "x".repeat(2 * 1024 * 1024);
    let too_big = post_step(&browser, &step, &[("vorname", huge.as_str())]).await;
    assert_eq!(
        too_big.status, 413,
        "a request over the size limit is refused, not a 500"
    );
    let tampered = browser
        .post(
            &format!("{draft}/schritt/person"),
            &[
                ("csrf_token", &browser.get(&step).await.csrf_token()),
                ("aktion", "entfernen:x:99999999999999999999"),
            ],
        )
        .await;
    assert!(tampered.status < 500, "{}", tampered.status);
}

#[tokio::test]
async fn saved_for_later_drafts_are_listed_continued_and_deleted() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "fundsache-melden").await;
    let saved = post_step(
        &browser,
        &format!("{draft}/schritt/was"),
        &[("art", "verloren"), ("aktion", "speichern")],
    )
    .await;
    assert_eq!(saved.status, 303);
    let list = browser.get(&saved.location().unwrap()).await;
    assert!(list.body.contains("Ihr Antrag ist gespeichert."), "{}", list.body);
    assert!(list.body.contains("Fundsache melden"));
    assert!(list.body.contains(&format!(r#"href="{draft}""#)));
    // Starting again continues the same draft: the start page leads straight to it.
    let again = browser.get("/musterstadt/leistungen/fundsache-melden/antrag").await;
    assert_eq!(again.location().as_deref(), Some(draft.as_str()));
    let continued = browser.get(&format!("{draft}/schritt/was")).await;
    assert!(continued.body.contains(r#"value="verloren" checked"#));

    let confirm = browser.get(&format!("{draft}/loeschen")).await;
    assert_eq!(confirm.h1(), "Angefangenen Antrag löschen?");
    let deleted = browser
        .post(&format!("{draft}/loeschen"), &[("csrf_token", &confirm.csrf_token())])
        .await;
    assert_eq!(deleted.location().as_deref(), Some("/antraege?geloescht=1"));
    assert_eq!(browser.get(&draft).await.status, 404);
    assert!(!browser.get("/antraege").await.body.contains("Fundsache melden"));
}

#[tokio::test]
async fn a_step_sent_after_the_session_expired_is_kept_until_the_citizen_logs_in_again() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "kontakt").await;
    let step = format!("{draft}/schritt/nachricht");
    browser.get(&step).await;

    // The session is gone (idle timeout); the citizen presses "Weiter" anyway.
    sqlx_execute(&app, "DELETE FROM session").await;
    let parked = browser
        .post(
            &step,
            &[
                ("csrf_token", "aus-der-alten-sitzung"),
                ("anliegen", "frage"),
                ("betreff", "Laterne"),
                ("text", "Die Laterne ist aus, seit Tagen."),
            ],
        )
        .await;
    assert_eq!(parked.status, 303);
    let login = parked.location().unwrap();
    assert!(login.starts_with("/anmelden?weiter="), "{login}");

    let form = browser.get(&login).await;
    assert!(form.body.contains("Ihre Angaben sind gespeichert"), "{}", form.body);
    let weiter = form
        .body
        .split(r#"name="weiter" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    let back = browser
        .post(
            "/anmelden",
            &[
                ("csrf_token", &form.csrf_token()),
                ("weiter", &weiter),
                ("email", anna_email.as_str()),
                ("password", "Lange genug und geheim 42"),
            ],
        )
        .await;
    let return_to = back.location().unwrap();
    assert!(return_to.contains("geparkt="), "{return_to}");
    let taken = browser.get(&return_to).await;
    assert_eq!(taken.location().as_deref(), Some(step.as_str()));
    let page = browser.get(&step).await;
    assert!(
        page.body.contains(r#"value="Laterne""#),
        "the parked answers are in the draft"
    );
    assert!(page.body.contains("Die Laterne ist aus, seit Tagen."));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM parked_step").await, 0);
}

async fn sqlx_execute(app: &TestApp, sql: &str) {
    match &app.db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

#[tokio::test]
async fn dogs_are_added_and_removed_in_a_repeating_group_and_the_tax_computed() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "hund-anmelden").await;
    let step = format!("{draft}/schritt/hunde");
    let dog = |i: usize, name: &'static str, dangerous: &'static str| {
        vec![
            (format!("hunde.{i}.present"), "1"),
            (format!("hunde.{i}.name"), name),
            (format!("hunde.{i}.rasse"), "Mischling"),
            (format!("hunde.{i}.gewurfen.tag"), "1"),
            (format!("hunde.{i}.gewurfen.monat"), "6"),
            (format!("hunde.{i}.gewurfen.jahr"), "2024"),
            (format!("hunde.{i}.seit.tag"), "1"),
            (format!("hunde.{i}.seit.monat"), "11"),
            (format!("hunde.{i}.seit.jahr"), "2026"),
            (format!("hunde.{i}.gefaehrlich"), dangerous),
        ]
    };
    let mut fields = dog(0, "Bello", "nein");
    fields.push(("aktion".into(), "hinzufuegen:hunde"));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let added = post_step(&browser, &step, &borrowed).await;
    assert_eq!(
        added.location().as_deref(),
        Some(format!("{step}#hunde-eintrag-2").as_str())
    );
    let page = browser.get(&step).await;
    assert!(page.body.contains("Hund 2") && page.body.contains(r#"value="Bello""#));

    let mut fields = dog(0, "Bello", "nein");
    fields.extend(dog(1, "Rex", "ja"));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let saved = post_step(&browser, &step, &borrowed).await;
    assert_eq!(
        saved.location().as_deref(),
        Some(format!("{draft}/pruefen").as_str()),
        "{}",
        saved.body
    );
    let page = browser.get(&step).await;
    assert!(page.body.contains("690,00 €"), "90 € for Bello and 600 € for Rex");

    let mut fields = dog(0, "Bello", "nein");
    fields.extend(dog(1, "Rex", "ja"));
    fields.push(("aktion".into(), "entfernen:hunde:1"));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    post_step(&browser, &step, &borrowed).await;
    let page = browser.get(&step).await;
    assert!(!page.body.contains(r#"value="Rex""#) && page.body.contains("90,00 €"));
}

#[tokio::test]
async fn a_long_form_has_a_task_list_and_rules_across_steps() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "gewerbeanmeldung").await;
    let tasks = browser.get(&draft).await;
    assert_eq!(tasks.status, 200, "a form with sections opens on its task list");
    assert_eq!(tasks.body.matches("Noch nicht begonnen").count(), 3);
    assert!(tasks.body.contains(&format!(r#"href="{draft}/schritt/taetigkeit""#)));

    let next = post_step(
        &browser,
        &format!("{draft}/schritt/taetigkeit"),
        &[
            ("beschreibung", "Reparatur von Fahrrädern"),
            ("beginn.tag", "1"),
            ("beginn.monat", "1"),
            ("beginn.jahr", "2027"),
            ("umfang", "haupt"),
            ("beschaeftigte", "0"),
            ("erlaubnis", "ja"),
        ],
    )
    .await;
    assert_eq!(
        next.location().as_deref(),
        Some(format!("{draft}/schritt/erlaubnis").as_str())
    );
    // The permit's step, the first time with a copy of the permit attached (kept with the draft,
    // like every answer of a step sent with errors).
    let permit = format!("{draft}/schritt/erlaubnis");
    let post_permit = |month: &'static str, year: &'static str, attach: bool| {
        let (browser, permit) = (&browser, &permit);
        async move {
            let token = browser.get(permit).await.csrf_token();
            let mut parts = vec![
                FormPart::text("csrf_token", &token),
                FormPart::text("erlaubnis_behoerde", "Landratsamt"),
                FormPart::text("erlaubnis_datum.tag", "1"),
                FormPart::text("erlaubnis_datum.monat", month),
                FormPart::text("erlaubnis_datum.jahr", year),
                FormPart::text("aktion", "weiter"),
            ];
            if attach {
                let copy = b"%PDF-1.4\n%%EOF\n";
                parts.push(FormPart::file(
                    "erlaubnis_nachweis",
                    "erlaubnis.pdf",
                    "application/pdf",
                    copy,
                ));
            }
            browser.post_multipart(permit, parts).await
        }
    };
    let rule = post_permit("3", "2027", true).await;
    assert_eq!(rule.status, 422);
    assert!(
        rule.body
            .contains("Die Erlaubnis muss vor dem Beginn der Tätigkeit erteilt sein.")
    );
    let fine = post_permit("12", "2026", false).await;
    assert_eq!(
        fine.location().as_deref(),
        Some(draft.as_str()),
        "the end of a section leads back to the task list"
    );
    let tasks = browser.get(&draft).await;
    assert!(tasks.body.contains("Erledigt"));
    assert_eq!(tasks.body.matches("Noch nicht begonnen").count(), 2);
}

#[tokio::test]
async fn a_service_with_a_higher_trust_level_is_refused_at_submit_too() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    // Meldebescheinigung needs "substanziell"; a password login is "basis".
    let start = browser.get("/musterstadt/leistungen/meldebescheinigung/antrag").await;
    assert_eq!(start.status, 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 0);

    // A draft of it, begun at "substanziell" (an eID login of the same account), is neither shown
    // to nor sent from this password login: each page leads to the start, which offers the login.
    let (account, tenant) = (
        text(&app, "SELECT id FROM account").await,
        text(&app, "SELECT id FROM tenant WHERE slug = 'musterstadt'").await,
    );
    let mut answers = serde_json::Map::new();
    answers.insert("zweck".into(), "Wohnungsamt".into());
    let now = chrono::Utc::now();
    let draft_id = buergerportal::db::applications::create_draft(
        &app.db,
        &account,
        &tenant,
        "meldebescheinigung",
        1,
        &answers,
        now,
        now + chrono::Duration::days(30),
    )
    .await
    .unwrap()
    .unwrap();
    let draft = format!("/musterstadt/antrag/{draft_id}");
    let token = browser.get("/konto").await.csrf_token();
    for answer in [
        browser.get(&draft).await,
        browser.get(&format!("{draft}/pruefen")).await,
        browser
            .post(&format!("{draft}/absenden"), &[("csrf_token", &token)])
            .await,
    ] {
        assert_eq!(
            answer.location().as_deref(),
            Some("/musterstadt/leistungen/meldebescheinigung/antrag")
        );
        assert!(!answer.body.contains("Wohnungsamt"));
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 0);

    // Nor deleted by it.
    let delete = browser
        .post(&format!("{draft}/loeschen"), &[("csrf_token", &token)])
        .await;
    assert_eq!(
        delete.location().as_deref(),
        Some("/musterstadt/leistungen/meldebescheinigung/antrag")
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 1);

    // Sent at "substanziell", the case and its receipt stay closed to the password login too.
    let reference = buergerportal::domain::reference::Reference::generate();
    let sent = buergerportal::db::applications::submit(
        &app.db,
        &buergerportal::db::applications::NewCase {
            account_id: &account,
            tenant_id: &tenant,
            draft_id: &draft_id,
            reference: reference.as_str(),
            service_slug: "meldebescheinigung",
            form_version: 1,
            answers: &answers,
            summary: &[],
            files: &[],
            trust_level: "substanziell",
            fee_cents: None,
            confirmation: None,
            now,
        },
    )
    .await
    .unwrap();
    assert_eq!(sent, buergerportal::db::applications::Submitted::Created);
    for path in ["", "/quittung.pdf"] {
        let answer = browser
            .get(&format!("/musterstadt/vorgang/{}{path}", reference.as_str()))
            .await;
        assert_eq!(
            answer.location().as_deref(),
            Some("/musterstadt/leistungen/meldebescheinigung/antrag"),
            "vorgang{path}"
        );
    }
}

#[tokio::test]
async fn stammdaten_are_prefilled_and_locked_where_the_service_says_so() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let saved = browser
        .submit(
            "/konto/stammdaten",
            "/konto/stammdaten",
            &[
                ("given_name", "Anna"),
                ("family_name", "Muster"),
                ("birth_day", "27"),
                ("birth_month", "3"),
                ("birth_year", "1990"),
                ("street_address", "Lindenallee 12a"),
                ("postal_code", "12345"),
                ("locality", "Musterstadt"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // Hundesteuer: prefilled and editable.
    let draft = start(&browser, "hund-anmelden").await;
    let person = browser.get(&format!("{draft}/schritt/halter")).await;
    for value in [
        r#"value="Anna""#,
        r#"value="Muster""#,
        r#"value="27""#,
        r#"value="1990""#,
        r#"value="Lindenallee""#,
        r#"value="12a""#,
    ] {
        assert!(person.body.contains(value), "{value} not prefilled");
    }
    assert!(!person.body.contains("readonly"));
    assert!(
        person.body.contains("Aus Ihrem Servicekonto übernommen."),
        "visibly prefilled"
    );

    // Anwohnerparkausweis: the registered address cannot be changed here.
    let draft = start(&browser, "anwohnerparkausweis").await;
    let step = format!("{draft}/schritt/person");
    let page = browser.get(&step).await;
    assert!(
        page.body
            .contains(r#"value="Lindenallee" spellcheck="false" autocomplete="address-line1" readonly"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Diese Angabe stammt aus Ihrem Servicekonto."));
    let next = post_step(
        &browser,
        &step,
        &[
            ("vorname", "Anna"),
            ("nachname", "Muster"),
            ("anschrift.strasse", "Parkzone"),
            ("anschrift.hausnummer", "1"),
            ("anschrift.plz", "99999"),
            ("anschrift.ort", "Anderswo"),
        ],
    )
    .await;
    assert_eq!(next.status, 303);
    let page = browser.get(&step).await;
    assert!(
        page.body.contains(r#"value="Lindenallee""#) && !page.body.contains("Parkzone"),
        "the posted address is ignored"
    );

    // Check-answers offers no "Ändern" for the locked address, but does for the name.
    let vehicle = format!("{draft}/schritt/fahrzeug");
    let token = browser.get(&vehicle).await.csrf_token();
    let sent = browser
        .post_multipart(
            &vehicle,
            vec![
                FormPart::text("csrf_token", &token),
                FormPart::text("kennzeichen", "M-AB 1234"),
                FormPart::text("halter", "ich"),
                FormPart::file(
                    "fahrzeugschein",
                    "fahrzeugschein.pdf",
                    "application/pdf",
                    b"%PDF-1.4\n%%EOF\n",
                ),
                FormPart::text("aktion", "weiter"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let today = chrono::Utc::now() + chrono::Duration::days(1);
    let (day, month, year) = (
        today.format("%-d").to_string(),
        today.format("%-m").to_string(),
        today.format("%Y").to_string(),
    );
    post_step(
        &browser,
        &format!("{draft}/schritt/zeitraum"),
        &[
            ("beginn.tag", &day),
            ("beginn.monat", &month),
            ("beginn.jahr", &year),
            ("laufzeit", "12"),
        ],
    )
    .await;
    let check = browser.get(&format!("{draft}/pruefen")).await;
    assert_eq!(check.status, 200, "{:?}", check.location());
    assert!(
        check
            .body
            .contains(&format!(r#"href="{draft}/schritt/person?zurueck=pruefen#vorname""#))
    );
    assert!(
        !check.body.contains("#anschrift\""),
        "no change link for the locked address"
    );
    assert!(check.body.contains("aus Ihrem Servicekonto"));
    assert!(check.body.contains("30,70 €"));

    // The same step in English.
    let english = browser.get(&format!("{draft}/schritt/fahrzeug?lang=en")).await;
    assert_eq!(english.h1(), "Your vehicle");
    assert!(english.body.contains("Registration number") && english.body.contains("Continue"));
}

#[tokio::test]
async fn drafts_expire_after_a_reminder_a_week_before() {
    let app = spawn_app().await;
    let anna_email = unique("anna");
    let browser = logged_in(&app, &anna_email).await;
    let draft = start(&browser, "fundsache-melden").await;
    post_step(
        &browser,
        &format!("{draft}/schritt/was"),
        &[("art", "verloren"), ("aktion", "speichern")],
    )
    .await;
    let reminders = || async {
        app.mails_to(&anna_email)
            .await
            .into_iter()
            .filter(|m| m.contains("Ihr angefangener Antrag wird bald gelöscht"))
            .count()
    };
    let tidy = |at| buergerportal::housekeeping::tidy(&app.db, &app.address, at);
    let now = chrono::Utc::now();
    assert_eq!(tidy(now).await.unwrap(), 0);
    assert_eq!(reminders().await, 0, "30 days left: no reminder yet");

    let in_25_days = now + chrono::Duration::days(25);
    assert_eq!(tidy(in_25_days).await.unwrap(), 1, "one reminder queued");
    assert_eq!(reminders().await, 1);
    assert_eq!(tidy(in_25_days).await.unwrap(), 0);
    assert_eq!(reminders().await, 1, "one reminder per draft");
    assert!(
        !app.mails_to(&anna_email).await.last().unwrap().contains("verloren"),
        "no answers in the mail"
    );

    tidy(now + chrono::Duration::days(31)).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 0);
}

/// A draft of a new account that is due for a reminder 24 days after `now`, not before.
async fn draft_due_in_24_days(app: &TestApp, now: chrono::DateTime<chrono::Utc>) {
    let tenant = text(app, "SELECT id FROM tenant WHERE slug = 'musterstadt'").await;
    let mut tx = app.db.begin().await.unwrap();
    let account = buergerportal::db::accounts::create_account(&mut tx, &unique("knoten"), "-", now)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    let expires = now + chrono::Duration::days(30);
    buergerportal::db::applications::create_draft(
        &app.db,
        &account,
        &tenant,
        "kontakt",
        1,
        &serde_json::Map::new(),
        now,
        expires,
    )
    .await
    .unwrap()
    .unwrap();
}

#[tokio::test]
async fn with_two_nodes_each_housekeeping_round_runs_once_and_reminds_once() {
    let app = crate::helpers::spawn_with(|s| s.worker = false).await;
    let other_node = Db::connect(&app.database_url, 2).await.unwrap();
    let now = chrono::Utc::now();
    let mails = || count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'mail'");
    // Due in 24 days, not now: the app's own first round, at its start, must not remind it.
    draft_due_in_24_days(&app, now).await;
    // The app took the round's lease at its start; ten minutes later it is free again.
    let round = |db, node, at| buergerportal::housekeeping::round(db, node, &app.address, at);
    let next_round = now + chrono::Duration::days(24);
    let (a, b) = tokio::join!(
        round(&app.db, "knoten-a", next_round),
        round(&other_node, "knoten-b", next_round)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one node did the round");
    assert_eq!(mails().await, 1, "one reminder");

    // Within the round's lease no other node starts one, though a draft is due.
    draft_due_in_24_days(&app, now).await;
    assert_eq!(round(&other_node, "knoten-c", next_round).await.unwrap(), 0);
    assert_eq!(mails().await, 1);
    let round_after = next_round + chrono::Duration::minutes(10);
    assert_eq!(round(&other_node, "knoten-c", round_after).await.unwrap(), 1);
    assert_eq!(mails().await, 2);
}

#[tokio::test]
async fn two_portal_processes_started_together_remind_each_citizen_once() {
    let app = crate::helpers::spawn_with(|s| s.worker = false).await;
    // Twenty drafts due for a reminder now (they expire in three days).
    let now = chrono::Utc::now();
    for _ in 0..20 {
        draft_due_in_24_days(&app, now).await;
    }
    app.execute_at("UPDATE draft SET expires_at = $1", now + chrono::Duration::days(3))
        .await;
    // The test's own app did its first round at its start; free the lease as ten minutes would.
    app.execute_at("UPDATE lease SET until = $1", now).await;

    // On PostgreSQL the drafts are locked until both nodes are up, so both first rounds, had they
    // both started, would run at the same time.
    let lock = match &app.db {
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("LOCK TABLE draft IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .unwrap();
            Some(tx)
        }
        Db::Sqlite(_) => None,
    };
    // Two nodes start at once, each with its first housekeeping round.
    let data = tempfile::tempdir().unwrap();
    let node = |name: &str| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = data.path().join(name);
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_buergerportal"))
            .arg("serve")
            .env("BUERGERPORTAL_DATABASE_URL", &app.database_url)
            .env("BUERGERPORTAL_DATA_DIR", &dir)
            .env("BUERGERPORTAL_LISTEN", format!("127.0.0.1:{port}"))
            .env("BUERGERPORTAL_WORKER", "false")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        (child, format!("http://127.0.0.1:{port}/readyz"))
    };
    let mut nodes = [node("a"), node("b")];
    for (_, ready) in &nodes {
        let mut up = false;
        for _ in 0..300 {
            if reqwest::get(ready.as_str()).await.is_ok_and(|r| r.status() == 200) {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(up, "{ready} did not answer");
    }
    if let Some(tx) = lock {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        tx.commit().await.unwrap();
    }
    let reminded = || count(&app, "SELECT COUNT(*) FROM draft WHERE reminded_at IS NOT NULL");
    for _ in 0..100 {
        if reminded().await == 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Give a second round, had it started, the time to queue its mails.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for (child, _) in &mut nodes {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    assert_eq!(reminded().await, 20, "every due draft was reminded");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'mail'").await,
        20,
        "one reminder per citizen, not one per node"
    );
}

#[tokio::test]
async fn a_save_while_the_reminder_goes_out_asks_for_a_new_reminder_later() {
    let app = spawn_app().await;
    let browser = logged_in(&app, &unique("anna")).await;
    let draft = start(&browser, "fundsache-melden").await;
    let save = || async {
        post_step(
            &browser,
            &format!("{draft}/schritt/was"),
            &[("art", "verloren"), ("aktion", "speichern")],
        )
        .await
    };
    save().await;
    // The draft is three days from deletion; housekeeping picks it for a reminder.
    let now = chrono::Utc::now();
    app.execute_at("UPDATE draft SET expires_at = $1", now + chrono::Duration::days(3))
        .await;
    let warn_from = now + chrono::Duration::days(7);
    let due = buergerportal::db::applications::drafts_to_remind(&app.db, warn_from)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    // While the mail goes out the citizen saves: the expiry moves out again.
    save().await;
    let mut tx = app.db.begin().await.unwrap();
    buergerportal::db::applications::mark_reminded(&mut tx, &due[0].0, now, warn_from)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM draft WHERE reminded_at IS NULL").await,
        1,
        "the next reminder is still due before the new expiry"
    );
}

#[tokio::test]
async fn a_draft_of_an_older_form_version_keeps_what_still_fits_and_says_what_to_answer_again() {
    let catalogue = crate::helpers::copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let first = crate::helpers::spawn_with(|s| s.tenants_dir = dir.clone()).await;
    let anna_email = unique("anna");
    let browser = logged_in(&first, &anna_email).await;
    let draft = start(&browser, "kontakt").await;
    post_step(
        &browser,
        &format!("{draft}/schritt/nachricht"),
        &[
            ("anliegen", "frage"),
            ("betreff", "Straßenlaterne"),
            ("text", "Die Laterne ist seit Tagen aus."),
        ],
    )
    .await;

    // The authority shortens the subject and renames the message field.
    let form = dir.join("musterstadt/forms/kontakt.toml");
    let changed = std::fs::read_to_string(&form)
        .unwrap()
        .replace("version = 1", "version = 2")
        .replace("max_length = 100", "max_length = 10")
        .replace(r#"id = "text""#, r#"id = "nachricht""#);
    std::fs::write(&form, changed).unwrap();
    let second = crate::helpers::spawn_on(&first.database_url, |s| s.tenants_dir = dir.clone()).await;
    let browser = second.browser();
    let login = browser
        .submit(
            "/anmelden",
            "/anmelden",
            &[
                ("email", anna_email.as_str()),
                ("password", "Lange genug und geheim 42"),
            ],
        )
        .await;
    assert_eq!(login.status, 303);

    let resumed = browser.get(&draft).await;
    let step = resumed.location().unwrap();
    assert_eq!(step, format!("{draft}/schritt/nachricht?geaendert=1"));
    let page = browser.get(&step).await;
    assert!(page.body.contains("Das Formular wurde geändert"));
    assert!(
        page.body.contains(r#"value="frage" checked"#),
        "what still fits is kept"
    );
    assert!(page.body.contains("„Betreff“ darf höchstens 10 Zeichen lang sein."));
    assert!(page.body.contains("Geben Sie „Ihre Nachricht“ an."));
}

/// The names a step's inputs post, from the form definition: parts of dates and addresses, the first
/// item of a group.
fn input_names(step: &buergerportal::domain::form::Step) -> Vec<String> {
    use buergerportal::domain::form::Kind;
    fn names(field: &buergerportal::domain::form::Field, name: &str, out: &mut Vec<String>) {
        match &field.kind {
            Kind::Date { .. } => out.extend(["tag", "monat", "jahr"].map(|p| format!("{name}.{p}"))),
            Kind::Address => out.extend(["strasse", "hausnummer", "plz", "ort"].map(|p| format!("{name}.{p}"))),
            Kind::Group { fields, .. } => {
                for child in fields {
                    names(child, &format!("{name}.0.{}", child.id), out);
                }
            }
            Kind::Info { .. } | Kind::File { .. } => {}
            _ => out.push(name.to_owned()),
        }
    }
    let mut out = Vec::new();
    for field in &step.fields {
        names(field, &field.id, &mut out);
    }
    out
}

/// Feeds every input of every step of the example forms of services up to `trust` with hostile
/// values; the number of posts.
async fn feed_hostile_input(browser: &Browser<'_>, trust: buergerportal::domain::TrustLevel) -> usize {
    let catalogue = buergerportal::catalogue::Catalogue::load(&crate::helpers::demo_tenants()).unwrap();
    let long = "𝔘".repeat(3_000);
    let hostile = [
        long.as_str(),
        "\u{0}\u{8}\u{1b}[2J\r\n",
        "\u{202e}עברית العربية 🐕‍🦺",
        "1' OR '1'='1'; DROP TABLE cases; --",
        "<img src=x onerror=alert(1)>",
        "-1e309",
    ];
    let mut posted = 0;
    for tenant in &catalogue.tenants {
        for service in tenant.services.iter().filter(|s| s.min_trust_level == trust) {
            let Some(form) = &service.form else { continue };
            let draft = begin(browser, &format!("/{}/leistungen/{}/antrag", tenant.slug, service.slug)).await;
            for step in &form.definition.steps {
                let path = format!("{draft}/schritt/{}", step.id);
                let token = browser.get("/konto").await.csrf_token();
                let names = input_names(step);
                let group_markers: Vec<String> = names
                    .iter()
                    .filter(|n| n.contains(".0."))
                    .map(|n| format!("{}.0.present", n.split(".0.").next().unwrap()))
                    .collect();
                for value in hostile {
                    let mut fields: Vec<(&str, &str)> =
                        vec![("csrf_token", &token), ("aktion", "weiter"), ("extra", value)];
                    fields.extend(group_markers.iter().map(|m| (m.as_str(), "1")));
                    fields.extend(names.iter().map(|n| (n.as_str(), value)));
                    let answer = browser.post(&path, &fields).await;
                    posted += 1;
                    assert!(
                        answer.status < 500,
                        "{} {}: {} for {value:?}",
                        service.slug,
                        step.id,
                        answer.status
                    );
                    assert!(
                        !answer.body.contains("<img src=x"),
                        "{} {} echoed markup",
                        service.slug,
                        step.id
                    );
                    let page = browser.get(&path).await;
                    assert!(
                        page.status < 500 && !page.body.contains("<img src=x"),
                        "{} {} after saving",
                        service.slug,
                        step.id
                    );
                }
            }
            let check = browser.get(&format!("{draft}/pruefen")).await;
            assert!(check.status < 500 && !check.body.contains("<img src=x"));
        }
    }
    posted
}

#[tokio::test]
async fn every_field_of_every_example_form_survives_hostile_input() {
    let app = spawn_app().await;
    let browser = logged_in(&app, &unique("anna")).await;
    let posted = feed_hostile_input(&browser, buergerportal::domain::TrustLevel::Basis).await;
    assert!(posted > 100, "{posted}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cases").await,
        0,
        "nothing hostile was sent"
    );
}

#[tokio::test]
async fn the_forms_needing_an_eid_login_survive_hostile_input_too() {
    let (app, op) = crate::helpers::spawn_with_provider().await;
    let browser = app.browser();
    op.next_login(serde_json::json!({"sub": "hoch", "acr": "http://eidas.europa.eu/LoA/high"}))
        .await;
    let back = browser.log_in_with_provider("/anmelden/bundid?weiter=/konto").await;
    assert_eq!(back.location().as_deref(), Some("/konto"), "{}", back.body);
    let mut posted = 0;
    for trust in [
        buergerportal::domain::TrustLevel::Substanziell,
        buergerportal::domain::TrustLevel::Hoch,
    ] {
        posted += feed_hostile_input(&browser, trust).await;
    }
    assert!(posted >= 30, "{posted}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 0);
}

#[tokio::test]
async fn an_answer_hidden_by_a_changed_answer_comes_back_when_it_changes_back() {
    let app = spawn_app().await;
    let browser = logged_in(&app, &unique("anna")).await;
    let draft = start(&browser, "kontakt").await;
    let message = |anliegen: &'static str| {
        [
            ("anliegen", anliegen),
            ("betreff", "Parkplatz"),
            ("text", "Bitte prüfen Sie meinen Bescheid noch einmal."),
        ]
    };
    post_step(&browser, &format!("{draft}/schritt/nachricht"), &message("beschwerde")).await;
    let reply = format!("{draft}/schritt/antwort");
    post_step(
        &browser,
        &reply,
        &[("name", "Anna"), ("aktenzeichen", "AZ-4711"), ("weg", "email")],
    )
    .await;

    // A question instead: the reference field is not shown, and saving the page keeps it anyway.
    post_step(&browser, &format!("{draft}/schritt/nachricht"), &message("frage")).await;
    let page = browser.get(&reply).await;
    assert!(!page.body.contains("aktenzeichen"));
    post_step(&browser, &reply, &[("name", "Anna"), ("weg", "email")]).await;
    let check = browser.get(&format!("{draft}/pruefen")).await;
    assert!(!check.body.contains("AZ-4711"), "not sent while it does not apply");

    post_step(&browser, &format!("{draft}/schritt/nachricht"), &message("beschwerde")).await;
    assert!(browser.get(&reply).await.body.contains(r#"value="AZ-4711""#));
}

#[tokio::test]
async fn a_parked_step_is_taken_back_only_by_the_browser_that_sent_it() {
    let app = spawn_app().await;
    let owner = logged_in(&app, &unique("anna")).await;
    let draft = start(&owner, "kontakt").await;
    let step = format!("{draft}/schritt/nachricht");

    // Someone who learnt the draft's address posts to it without a session…
    let stranger = app.browser();
    let parked = stranger
        .post(
            &step,
            &[
                ("anliegen", "beschwerde"),
                ("betreff", "Untergeschoben"),
                ("text", "Das hat jemand anderes geschrieben."),
            ],
        )
        .await;
    let login = parked.location().unwrap();
    let weiter = login.split("weiter=").nth(1).unwrap().split('&').next().unwrap();
    let link = weiter.replace("%2F", "/").replace("%3F", "?").replace("%3D", "=");
    assert!(link.contains("geparkt="), "{link}");

    // …and sends the owner the link: nothing of it reaches the draft.
    let taken = owner.get(&link).await;
    assert_eq!(taken.location().as_deref(), Some(step.as_str()));
    assert!(!owner.get(&step).await.body.contains("Untergeschoben"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM parked_step").await,
        1,
        "left to expire"
    );
}

#[tokio::test]
async fn parking_keeps_one_step_per_draft_of_limited_size_and_is_limited_per_ip() {
    let app = spawn_app().await;
    let owner = logged_in(&app, &unique("anna")).await;
    let draft = start(&owner, "kontakt").await;
    let step = format!("{draft}/schritt/nachricht");
    let stranger = app.browser_from([127, 0, 0, 3]);
    // Each value is cut to 10,000 characters; ten of them would be 100 KB, over the 64 KiB kept.
    let long = "x".repeat(20_000);
    let names = ["betreff", "text", "a", "b", "c", "d", "e", "f", "g", "h"];
    let fields: Vec<(&str, &str)> = names.iter().map(|n| (*n, long.as_str())).collect();
    for _ in 0..5 {
        let parked = stranger.post(&step, &fields).await;
        assert_eq!(parked.status, 303);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM parked_step").await,
        1,
        "one per draft"
    );
    let size = count(
        &app,
        "SELECT CAST(LENGTH(CAST(posted AS TEXT)) AS BIGINT) FROM parked_step",
    )
    .await;
    assert!((60_000..=64 * 1024).contains(&size), "{size} bytes parked");

    for _ in 5..30 {
        stranger.post(&step, &[("betreff", "noch einmal")]).await;
    }
    let over = stranger.post(&step, &[("betreff", "zu oft")]).await;
    assert_eq!(over.status, 303, "over the limit the citizen still gets to the login");
    assert!(!over.location().unwrap().contains("geparkt"), "{:?}", over.location());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM parked_step WHERE CAST(posted AS TEXT) LIKE '%zu oft%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_step_post_with_more_fields_or_bytes_than_any_step_has_is_refused() {
    let app = spawn_app().await;
    let browser = logged_in(&app, &unique("anna")).await;
    let draft = start(&browser, "kontakt").await;
    let step = format!("{draft}/schritt/nachricht");
    let token = browser.get(&step).await.csrf_token();
    let mut fields = vec![("csrf_token", token.as_str()), ("betreff", "Laterne")];
    fields.extend(std::iter::repeat_n(("a", ""), 200));
    let crowded = browser.post(&step, &fields).await;
    assert_eq!(crowded.status, 413, "{}", crowded.body);
    assert_eq!(crowded.h1(), "Zu viele Angaben");
    assert!(!browser.get(&step).await.body.contains("Laterne"), "nothing saved");

    // Without a session: 200 KB of empty fields is refused before it is parsed, a megabyte before
    // it is read to the end (the answer may come while the client still sends, which then sees the
    // connection close instead).
    let post = |body: String| {
        app.client
            .post(format!("{}{step}", app.address))
            .header("Origin", &app.address)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(post("a=&".repeat(68_000)).await.unwrap().status(), 413);
    if let Ok(answer) = post("a=&".repeat(350_000)).await {
        assert_eq!(answer.status(), 413);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM parked_step").await, 0);
}

#[tokio::test]
async fn post_only_addresses_lead_somewhere_useful_after_logging_in_again() {
    let app = spawn_app().await;
    let browser = logged_in(&app, &unique("anna")).await;
    let draft = start(&browser, "kontakt").await;
    sqlx_execute(&app, "DELETE FROM session").await;
    let submit = browser
        .post(&format!("{draft}/absenden"), &[("csrf_token", "alt")])
        .await;
    assert_eq!(
        submit.location().as_deref(),
        Some(format!("/anmelden?weiter={}", draft.replace('/', "%2F") + "%2Fpruefen").as_str())
    );
    let delete = browser
        .post(&format!("{draft}/loeschen"), &[("csrf_token", "alt")])
        .await;
    assert_eq!(delete.location().as_deref(), Some("/anmelden?weiter=%2Fantraege"));
}

#[tokio::test]
async fn a_draft_is_deleted_only_under_its_own_authority() {
    let app = spawn_app().await;
    let browser = logged_in(&app, &unique("anna")).await;
    let draft = start(&browser, "kontakt").await;
    let token = browser.get("/konto").await.csrf_token();
    let elsewhere = draft.replace("/musterstadt/", "/landkreis-musterland/");
    let refused = browser
        .post(&format!("{elsewhere}/loeschen"), &[("csrf_token", &token)])
        .await;
    assert_eq!(refused.status, 404);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 1);
}

/// The references of the sent applications listed on a page of "Meine Anträge", in order.
fn listed_references(page: &Page) -> Vec<String> {
    page.body
        .split(r#"<a class="kern-link" href="/musterstadt/vorgang/"#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn many_sent_applications_come_a_page_at_a_time_newest_first_and_only_the_citizens_own() {
    let app = spawn_app().await;
    let (anna, case_page) = crate::delivery::send_case(&app).await;
    let first_reference = case_page.rsplit('/').next().unwrap().to_owned();
    let account = text(
        &app,
        &format!("SELECT account_id FROM cases WHERE reference = '{first_reference}'"),
    )
    .await;
    // 24 older cases of Anna's, two of them sent at the same moment (the id orders those).
    let now = chrono::Utc::now();
    let mut expected = vec![first_reference];
    for i in 1..=24 {
        let reference = format!("MS-{i:02}");
        let at = now - chrono::Duration::minutes(if i == 24 { 23 } else { i });
        crate::backend_api::case_at(&app, "musterstadt", &reference, "PROCESSING", at).await;
        app.execute_at(
            &format!("UPDATE cases SET account_id = '{account}' WHERE reference = '{reference}' AND submitted_at = $1"),
            at,
        )
        .await;
        expected.push(reference);
    }
    // MS-23 and MS-24 share a time: the one with the larger id (MS-24, written later) comes first.
    expected.swap(23, 24);

    let first = anna.get("/antraege").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body.contains(r#"id="entwuerfe""#),
        "the drafts are on the first page"
    );
    let mut seen = listed_references(&first);
    assert_eq!(seen.len(), 20, "{}", first.body);
    let older = first
        .body
        .split(r#"<a class="kern-link" href="/antraege?vor="#)
        .nth(1)
        .expect("a link to older applications");
    let older = format!("/antraege?vor={}", older.split('"').next().unwrap());
    let second = anna.get(&older).await;
    assert_eq!(second.status, 200);
    assert!(
        !second.body.contains("Ältere Anträge"),
        "the last page has no older page"
    );
    assert!(!second.body.contains(r#"id="entwuerfe""#));
    assert!(
        second
            .body
            .contains(r#"href="/antraege">Zu den neuesten Anträgen und Entwürfen"#)
    );
    seen.extend(listed_references(&second));
    assert_eq!(seen, expected);

    // Another citizen with Anna's case in the address sees none of Anna's cases.
    let ben = logged_in(&app, &unique("ben")).await;
    let bens = ben.get(&older).await;
    assert_eq!(bens.status, 200);
    assert!(listed_references(&bens).is_empty(), "{}", bens.body);
}
