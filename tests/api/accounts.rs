//! Servicekonto: registration, verification, login, sessions, CSRF, rate limits, password reset.

use crate::helpers::{Browser, FormPart, SmtpSink, spawn_app, spawn_with};

const PASSWORD: &str = "Kaffeetasse Fahrrad Birke";

fn unique_email(who: &str) -> String {
    format!("{who}.{}@example.de", uuid::Uuid::now_v7().simple())
}

async fn register(browser: &Browser<'_>, email: &str, password: &str) -> crate::helpers::Page {
    browser
        .submit(
            "/registrieren",
            "/registrieren",
            &[("email", email), ("password", password), ("consent", "ja")],
        )
        .await
}

#[tokio::test]
async fn a_citizen_registers_verifies_by_mail_and_logs_in() {
    let app = spawn_app().await;
    let browser = app.browser();
    let email = unique_email("erika");
    let registered = register(&browser, &email, PASSWORD).await;
    assert_eq!(registered.status, 303);
    assert_eq!(
        browser.get("/registrieren/gesendet").await.h1(),
        "Prüfen Sie Ihr E-Mail-Postfach"
    );

    let mails = app.mails_to(&email).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Bitte bestätigen Sie Ihre E-Mail-Adresse"));
    assert!(!mails[0].contains(PASSWORD), "the mail holds no secrets but the link");

    let refused = browser
        .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(refused.status, 422, "login waits for the verification");
    assert!(refused.body.contains("Bestätigen Sie zuerst Ihre E-Mail-Adresse"));

    let verified = browser
        .get(&app.link_in_mail(&email, "/registrieren/bestaetigen").await)
        .await;
    assert_eq!(verified.h1(), "Ihre E-Mail-Adresse ist bestätigt");

    let wrong = browser
        .submit(
            "/anmelden",
            "/anmelden",
            &[("email", &email), ("password", "nicht mein Passwort")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let login = browser
        .submit(
            "/anmelden",
            "/anmelden",
            &[("email", &email.to_uppercase()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.location().as_deref(), Some("/konto"));
    let konto = browser.get("/konto").await;
    assert_eq!(konto.h1(), "Ihr Servicekonto");
    assert!(konto.body.contains(&email));
    assert!(
        konto.body.contains("Servicekonto mit E-Mail-Adresse"),
        "trust level basis"
    );
    for event in ["E-Mail-Adresse bestätigt", "Anmeldung", "Fehlgeschlagene Anmeldung"] {
        assert!(konto.body.contains(event), "access log lacks {event}");
    }
    assert_eq!(konto.header("cache-control").as_deref(), Some("no-store"));
}

#[tokio::test]
async fn a_verification_link_works_once_and_a_tampered_one_never() {
    let app = spawn_app().await;
    let browser = app.browser();
    let email = unique_email("max");
    register(&browser, &email, PASSWORD).await;
    let link = app.link_in_mail(&email, "/registrieren/bestaetigen").await;
    let tampered = format!("{}x", link);
    assert_eq!(browser.get(&tampered).await.status, 400);
    assert_eq!(browser.get(&link).await.status, 200);
    let again = browser.get(&link).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.h1(), "Dieser Link gilt nicht mehr");
    assert_eq!(browser.get("/registrieren/bestaetigen").await.status, 400);
}

#[tokio::test]
async fn registering_a_taken_address_looks_the_same_and_tells_the_owner() {
    let app = spawn_app().await;
    let email = unique_email("doppelt");
    let first = register(&app.browser(), &email, PASSWORD).await;
    let second = register(&app.browser(), &email, "ganz anderes Passwort hier").await;
    assert_eq!(first.location(), second.location());
    let mails = app.mails_to(&email).await;
    assert_eq!(mails.len(), 2);
    assert!(mails[1].contains("Sie haben bereits ein Konto"));
    assert!(!mails[1].contains("token="), "no second account, no second link");
}

#[tokio::test]
async fn registration_explains_each_problem_and_keeps_the_address() {
    let app = spawn_app().await;
    let browser = app.browser();
    let cases = [
        (
            "erika@example",
            "Kaffeetasse Fahrrad Birke",
            Some("ja"),
            "Geben Sie eine E-Mail-Adresse in der richtigen Form an",
        ),
        (
            "",
            "Kaffeetasse Fahrrad Birke",
            Some("ja"),
            "Geben Sie Ihre E-Mail-Adresse an",
        ),
        ("erika@example.de", "kurz", Some("ja"), "mindestens 12 Zeichen"),
        (
            "erika@example.de",
            "passwordpassword",
            Some("ja"),
            "zu leicht zu erraten",
        ),
        ("erika@example.de", "123456789012", Some("ja"), "zu leicht zu erraten"),
        (
            "erika@example.de",
            "Kaffeetasse Fahrrad Birke",
            None,
            "Bestätigen Sie, dass Sie die Datenschutzhinweise gelesen haben",
        ),
    ];
    for (email, password, consent, message) in cases {
        let mut fields = vec![("email", email), ("password", password)];
        if let Some(consent) = consent {
            fields.push(("consent", consent));
        }
        let page = browser.submit("/registrieren", "/registrieren", &fields).await;
        assert_eq!(page.status, 422, "{email} / {password}");
        assert!(page.body.contains(message), "missing '{message}'");
        assert!(
            page.body.contains("<title>Fehler: Servicekonto anlegen"),
            "title says Fehler"
        );
        assert!(
            page.body.contains(r##"class="kern-link" href="#"##),
            "the summary links to the field"
        );
        assert!(
            page.body.contains(&format!(r#"value="{email}""#)),
            "the address is kept"
        );
        assert!(
            !page.body.contains(&format!(r#"value="{password}""#)),
            "the password is never echoed"
        );
    }
}

#[tokio::test]
async fn hostile_input_in_account_forms_gets_a_page_never_a_500_nor_markup() {
    let app = spawn_app().await;
    let browser = app.browser();
    let hostile = [
        "<script>alert(1)</script>@example.de".to_owned(),
        "x'; DROP TABLE account; --@example.de".to_owned(),
        "\u{202e}moc.elpmaxe@akire".to_owned(),
        "😀😀😀@example.de".to_owned(),
        "erika\u{0}\u{1b}@example.de".to_owned(),
        "a".repeat(100_000),
    ];
    for value in &hostile {
        for (form, action) in [
            ("/registrieren", "/registrieren"),
            ("/anmelden", "/anmelden"),
            ("/passwort-vergessen", "/passwort-vergessen"),
        ] {
            let page = browser
                .submit(
                    form,
                    action,
                    &[("email", value), ("password", value), ("consent", "ja")],
                )
                .await;
            assert!(
                (400..500).contains(&page.status),
                "{action} gave {} for {:.40}",
                page.status,
                value
            );
            assert!(!page.body.contains("<script>alert"), "{action} reflected markup");
        }
    }
    for value in &hostile {
        let form = browser.get("/anmelden").await;
        let reset = browser
            .post(
                "/passwort-neu",
                &[
                    ("csrf_token", &form.csrf_token()),
                    ("token", value),
                    ("password", value),
                ],
            )
            .await;
        assert!(
            matches!(reset.status, 400 | 413),
            "an unknown reset token gets the invalid-link page, not {}",
            reset.status
        );
        assert!(!reset.body.contains("<script>alert"));
    }
    assert_eq!(app.get("/readyz").await.status, 200);
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_or_from_another_site_are_refused() {
    let app = spawn_app().await;
    let browser = app.browser();
    let token = browser.get("/anmelden").await.csrf_token();
    let fields = |csrf: &'static str| {
        vec![
            ("csrf_token", csrf),
            ("email", "erika@example.de"),
            ("password", PASSWORD),
        ]
    };
    assert_eq!(
        browser.post("/anmelden", &fields("")[1..]).await.status,
        403,
        "no token"
    );
    assert_eq!(
        browser.post("/anmelden", &fields("falsch")).await.status,
        403,
        "wrong token"
    );

    let foreign = browser
        .client
        .post(format!("{}/anmelden", app.address))
        .header("Origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "erika@example.de"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let foreign = crate::helpers::Page::from(foreign).await;
    assert_eq!(foreign.status, 403, "foreign Origin");
    assert_eq!(
        foreign.h1(),
        "Das hat nicht geklappt",
        "the refusal is a page in the layout"
    );
    let cross_site = browser
        .client
        .post(format!("{}/anmelden", app.address))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "erika@example.de"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403, "Sec-Fetch-Site: cross-site");

    let stranger = app.browser();
    let page = stranger
        .post(
            "/anmelden",
            &[
                ("csrf_token", token.as_str()),
                ("email", "e@example.de"),
                ("password", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "another browser's token");
    assert_eq!(page.h1(), "Das hat nicht geklappt");

    let same = browser
        .post(
            "/anmelden",
            &[
                ("csrf_token", token.as_str()),
                ("email", "e@example.de"),
                ("password", "x"),
            ],
        )
        .await;
    assert_eq!(same.status, 422, "the right token passes");
}

#[tokio::test]
async fn unknown_address_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let browser = app.browser();
    let email = unique_email("gleich");
    browser.register_and_log_in(&email, PASSWORD).await;
    let other = app.browser();
    let wrong = other
        .submit(
            "/anmelden",
            "/anmelden",
            &[("email", &email), ("password", "falsches Passwort 123")],
        )
        .await;
    let unknown = other
        .submit(
            "/anmelden",
            "/anmelden",
            &[("email", "niemand@example.de"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!((wrong.status, unknown.status), (422, 422));
    let message = "E-Mail-Adresse oder Passwort stimmen nicht";
    assert!(wrong.body.contains(message) && unknown.body.contains(message));
}

#[tokio::test]
async fn repeated_failed_logins_ask_to_wait_instead_of_locking_forever() {
    let app = spawn_app().await;
    let browser = app.browser();
    let email = unique_email("geduld");
    for attempt in 1..=5 {
        let page = browser
            .submit(
                "/anmelden",
                "/anmelden",
                &[("email", &email), ("password", "falsch falsch falsch")],
            )
            .await;
        assert_eq!(page.status, 422, "attempt {attempt}");
    }
    let blocked = browser
        .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.body.contains("Warten Sie 15 Minuten"));
    let other = unique_email("andere");
    let unaffected = browser
        .submit(
            "/anmelden",
            "/anmelden",
            &[("email", &other), ("password", "falsch falsch falsch")],
        )
        .await;
    assert_eq!(unaffected.status, 422, "another account is not blocked");
}

#[tokio::test]
async fn login_renews_the_session_id_and_logout_kills_the_old_cookie() {
    let app = spawn_app().await;
    let browser = app.browser();
    let email = unique_email("sitzung");
    let anonymous = browser.get("/anmelden").await;
    assert!(
        !anonymous.cookies().iter().any(|c| c.starts_with("bp_session=")),
        "no session before login"
    );
    let form_cookie = anonymous
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("bp_form="))
        .unwrap();
    assert!(
        form_cookie.contains("HttpOnly") && form_cookie.contains("SameSite=Lax") && form_cookie.contains("Path=/"),
        "{form_cookie}"
    );
    browser.register_and_log_in(&email, PASSWORD).await;
    let first = browser.get("/konto").await;
    assert_eq!(first.status, 200);

    let konto = browser.get("/konto").await;
    let logout_token = konto.csrf_token();
    let login_cookie = {
        // The cookie jar holds the logged-in session; replay it from a second client after logout.
        let login = app.browser();
        let page = login
            .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
            .await;
        let cookie = page
            .cookies()
            .into_iter()
            .find(|c| c.starts_with("bp_session="))
            .unwrap();
        let value = cookie.split(';').next().unwrap().to_owned();
        let konto = login.get("/konto").await;
        let out = login.post("/abmelden", &[("csrf_token", &konto.csrf_token())]).await;
        assert_eq!(out.location().as_deref(), Some("/anmelden?abgemeldet=1"));
        value
    };
    let replay = app.get_with("/konto", &[("Cookie", &login_cookie)]).await;
    assert_eq!(replay.status, 303, "a replayed cookie after logout is refused");
    assert_eq!(replay.location().as_deref(), Some("/anmelden?weiter=%2Fkonto"));
    assert_eq!(browser.get("/konto").await.status, 200, "the other session stays");
    assert!(!logout_token.is_empty());
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = spawn_with(|s| s.session_idle_minutes = 0).await;
    let browser = app.browser();
    let email = unique_email("muede");
    browser.register_and_log_in(&email, PASSWORD).await;
    let konto = browser.get("/konto").await;
    assert_eq!(konto.location().as_deref(), Some("/anmelden?weiter=%2Fkonto"));
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_host_bound() {
    let app = spawn_with(|s| s.base_url = "https://portal.example".into()).await;
    let page = app.get("/anmelden").await;
    let cookie = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-bp_form="))
        .expect("__Host- cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
}

#[tokio::test]
async fn after_login_the_citizen_returns_where_they_were_but_never_to_another_site() {
    let app = spawn_app().await;
    let browser = app.browser();
    let email = unique_email("weiter");
    browser.register_and_log_in(&email, PASSWORD).await;
    let other = app.browser();
    let to_konto = other.get("/konto").await;
    assert_eq!(to_konto.location().as_deref(), Some("/anmelden?weiter=%2Fkonto"));
    for (weiter, expected) in [
        ("/leistungen?q=Hund", "/leistungen?q=Hund"),
        ("https://evil.example/", "/konto"),
        ("//evil.example", "/konto"),
    ] {
        let login = other.get(&format!("/anmelden?weiter={}", urlencode(weiter))).await;
        assert!(login.body.contains("Bitte melden Sie sich an"));
        let page = other
            .post(
                "/anmelden",
                &[
                    ("csrf_token", &login.csrf_token()),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("weiter", weiter),
                ],
            )
            .await;
        assert_eq!(page.location().as_deref(), Some(expected), "{weiter}");
        let konto = other.get("/konto").await;
        other.post("/abmelden", &[("csrf_token", &konto.csrf_token())]).await;
    }
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_password_reset_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let email = unique_email("vergessen");
    let phone = app.browser();
    phone.register_and_log_in(&email, PASSWORD).await;

    let laptop = app.browser();
    let asked = laptop
        .submit("/passwort-vergessen", "/passwort-vergessen", &[("email", &email)])
        .await;
    assert_eq!(asked.location().as_deref(), Some("/passwort-vergessen/gesendet"));
    let link = app.link_in_mail(&email, "/passwort-neu").await;
    let form = laptop.get(&link).await;
    assert_eq!(form.h1(), "Neues Passwort festlegen");
    let token = link.split("token=").nth(1).unwrap().to_owned();

    let weak = laptop
        .post(
            "/passwort-neu",
            &[
                ("csrf_token", &form.csrf_token()),
                ("token", &token),
                ("password", "kurz"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    let new_password = "Leuchtturm Wolke Apfelbaum";
    let done = laptop
        .post(
            "/passwort-neu",
            &[
                ("csrf_token", &form.csrf_token()),
                ("token", &token),
                ("password", new_password),
            ],
        )
        .await;
    assert_eq!(done.location().as_deref(), Some("/anmelden?passwort=neu"));
    assert_eq!(phone.get("/konto").await.status, 303, "the phone's session ended");

    let again = laptop
        .post(
            "/passwort-neu",
            &[
                ("csrf_token", &form.csrf_token()),
                ("token", &token),
                ("password", "noch ein anderes Passwort"),
            ],
        )
        .await;
    assert_eq!(again.status, 400, "the link works once");
    let old = laptop
        .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, 422);
    let new = laptop
        .submit(
            "/anmelden",
            "/anmelden",
            &[("email", &email), ("password", new_password)],
        )
        .await;
    assert_eq!(new.location().as_deref(), Some("/konto"));
    assert!(laptop.get("/konto").await.body.contains("Passwort zurückgesetzt"));
}

#[tokio::test]
async fn a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing() {
    let app = spawn_app().await;
    let email = unique_email("unbekannt");
    let page = app
        .browser()
        .submit("/passwort-vergessen", "/passwort-vergessen", &[("email", &email)])
        .await;
    assert_eq!(page.location().as_deref(), Some("/passwort-vergessen/gesendet"));
    assert!(app.mails_to(&email).await.is_empty());
}

#[tokio::test]
async fn a_citizen_ends_another_session_but_not_someone_elses() {
    let app = spawn_app().await;
    let email = unique_email("zwei");
    let phone = app.browser();
    phone.register_and_log_in(&email, PASSWORD).await;
    let laptop = app.browser();
    laptop
        .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
        .await;

    let konto = laptop.get("/konto").await;
    let marker = r#"name="session" value=""#;
    let other_session = konto
        .body
        .split(marker)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    let stranger = app.browser();
    stranger.register_and_log_in(&unique_email("fremd"), PASSWORD).await;
    let stranger_konto = stranger.get("/konto").await;
    let foreign = stranger
        .post(
            "/konto/sitzungen/beenden",
            &[
                ("csrf_token", &stranger_konto.csrf_token()),
                ("session", &other_session),
            ],
        )
        .await;
    assert_eq!(foreign.status, 404, "another account's session");
    assert_eq!(phone.get("/konto").await.status, 200);

    let ended = laptop
        .post(
            "/konto/sitzungen/beenden",
            &[("csrf_token", &konto.csrf_token()), ("session", &other_session)],
        )
        .await;
    assert_eq!(ended.location().as_deref(), Some("/konto"));
    assert_eq!(phone.get("/konto").await.status, 303);
    assert_eq!(laptop.get("/konto").await.status, 200);
}

#[tokio::test]
async fn when_the_mail_server_is_down_registrations_answer_at_once_and_every_link_arrives_once_it_is_back() {
    // A port where no mail server listens yet; the real SMTP sink starts there later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_with(|s| {
        s.mail = format!("smtp://127.0.0.1:{port}");
        s.outbox_retry_seconds = 0.05;
    })
    .await;
    let addresses: Vec<String> = (0..50).map(|i| unique_email(&format!("warten{i}"))).collect();
    // From five addresses, so the limit of registrations per IP does not refuse them.
    let app = &app;
    let registrations = addresses.iter().enumerate().map(|(i, email)| async move {
        let browser = app.browser_from([127, 0, 1, (i % 5) as u8 + 1]);
        register(&browser, email, PASSWORD).await
    });
    for page in futures_util::future::join_all(registrations).await {
        assert_eq!(
            page.location().as_deref(),
            Some("/registrieren/gesendet"),
            "{}",
            page.body
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'mail'").await,
        50,
        "every link waits in the outbox"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'mail' AND payload IS NOT NULL")
            .await,
        50
    );
    // Sealed: a reader of the database or a backup cannot use the waiting links.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'mail' AND (CAST(payload AS TEXT) LIKE '%token=%' OR CAST(payload AS TEXT) LIKE '%bestaetigen%')"
        )
        .await,
        0,
        "a waiting verification link is readable in the outbox"
    );

    let sink = SmtpSink::start(port);
    // Each mail is tried again after its own backoff, at most about twice the time it has waited.
    for _ in 0..600 {
        if app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'mail'").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for email in &addresses {
        let mails = sink.mails_to(email);
        assert_eq!(mails.len(), 1, "one verification mail to {email}");
        assert!(mails[0].contains("/registrieren/bestaetigen?token="));
    }
    let browser = app.browser();
    let link = sink.link(&addresses[7], "/registrieren/bestaetigen");
    assert_eq!(browser.get(&link).await.status, 200);
    let login = browser
        .submit(
            "/anmelden",
            "/anmelden",
            &[("email", &addresses[7]), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.location().as_deref(), Some("/konto"));
}

#[tokio::test]
async fn operators_see_given_up_mails_without_the_address_retry_them_and_after_two_weeks_they_are_gone() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_with(|s| {
        s.mail = format!("smtp://127.0.0.1:{port}");
        s.outbox_max_attempts = 1;
    })
    .await;
    let (first, second) = (unique_email("aufgegeben"), unique_email("vergessen"));
    for email in [&first, &second] {
        register(&app.browser(), email, PASSWORD).await;
    }
    for _ in 0..100 {
        if app
            .count("SELECT COUNT(*) FROM outbox WHERE kind = 'mail' AND failed_at IS NOT NULL")
            .await
            == 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let listed = app.command(&["mails", "list", "--failed"]).unwrap();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    for line in &lines {
        assert!(line.contains("mail-verify\t@example.de\tFAILED"), "{line}");
    }
    assert!(
        !listed.contains("aufgegeben") && !listed.contains("vergessen"),
        "no address: {listed}"
    );
    assert!(
        app.command(&["mails", "retry", "0190a0a0-0000-7000-8000-000000000000"])
            .is_err()
    );

    // The mail server is back; the operator retries the first mail by its id.
    let sink = SmtpSink::start(port);
    let first_id = app
        .text("SELECT id FROM outbox WHERE kind = 'mail' AND CAST(payload AS TEXT) LIKE '%aufgegeben.%'")
        .await;
    assert_eq!(
        app.command(&["mails", "retry", &first_id]).unwrap().trim(),
        "1 mail(s) due again now"
    );
    for _ in 0..100 {
        if !sink.mails_to(&first).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let link = sink.link(&first, "/registrieren/bestaetigen");
    assert_eq!(app.browser().get(&link).await.status, 200, "the retried link works");

    // The second waits two weeks for a retry; then housekeeping removes it with its address.
    let tidy = |days| {
        buergerportal::housekeeping::tidy(&app.db, &app.address, chrono::Utc::now() + chrono::Duration::days(days))
    };
    tidy(13).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'mail'").await, 1);
    tidy(15).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'mail'").await, 0);
    assert!(sink.mails_to(&second).is_empty());
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    let email = unique_email("wechsel");
    let laptop = app.browser();
    laptop.register_and_log_in(&email, PASSWORD).await;
    let phone = app.browser();
    phone
        .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
        .await;

    let wrong = laptop
        .submit(
            "/konto/passwort",
            "/konto/passwort",
            &[
                ("current", "geraten geraten"),
                ("password", "Leuchtturm Wolke Apfelbaum"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("Das jetzige Passwort stimmt nicht"));
    let weak = laptop
        .submit(
            "/konto/passwort",
            "/konto/passwort",
            &[("current", PASSWORD), ("password", "123456789012")],
        )
        .await;
    assert_eq!(weak.status, 422);

    let done = laptop
        .submit(
            "/konto/passwort",
            "/konto/passwort",
            &[("current", PASSWORD), ("password", "Leuchtturm Wolke Apfelbaum")],
        )
        .await;
    assert_eq!(done.location().as_deref(), Some("/konto?geaendert=passwort"));
    let konto = laptop.get("/konto?geaendert=passwort").await;
    assert!(konto.body.contains("Ihr Passwort ist geändert"));
    assert!(konto.body.contains("Passwort geändert"), "access log");
    assert_eq!(phone.get("/konto").await.status, 303, "the other session ended");
    assert!(
        app.mails_to(&email)
            .await
            .last()
            .unwrap()
            .contains("Das Passwort Ihres Servicekontos wurde gerade ge")
    );
}

#[tokio::test]
async fn the_data_export_is_a_zip_with_everything_about_the_citizen_and_only_theirs() {
    use crate::applications::{contact_form_filled, post_step, start};
    let app = spawn_app().await;
    let email = unique_email("auskunft");
    let browser = app.browser();
    browser.register_and_log_in(&email, PASSWORD).await;
    // A case sent, and a draft begun afterwards.
    let draft = contact_form_filled(&browser, &email).await;
    let check = browser.get(&format!("{draft}/pruefen")).await;
    let sent = browser
        .post(
            &format!("{draft}/absenden"),
            &[("csrf_token", &check.csrf_token()), ("stand", &check.hidden("stand"))],
        )
        .await;
    let reference = sent.location().unwrap().rsplit('/').next().unwrap().to_owned();
    let nachricht = |betreff: &'static str| {
        [
            ("anliegen", "frage"),
            ("betreff", betreff),
            ("text", "Die Bank am Teich wackelt."),
        ]
    };
    let draft = start(&browser, "kontakt").await;
    post_step(&browser, &format!("{draft}/schritt/nachricht"), &nachricht("Parkbank")).await;
    // Evidence on a draft of another service.
    let parking = start(&browser, "anwohnerparkausweis").await;
    let scan = b"%PDF-1.4\n% Fahrzeugschein von Anna\n%%EOF\n";
    let vehicle = format!("{parking}/schritt/fahrzeug");
    let token = browser.get(&vehicle).await.csrf_token();
    let uploaded = browser
        .post_multipart(
            &vehicle,
            vec![
                FormPart::text("csrf_token", &token),
                FormPart::file("fahrzeugschein", "schein.pdf", "application/pdf", scan),
                FormPart::text("aktion", "hochladen:fahrzeugschein"),
            ],
        )
        .await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    // Another citizen's draft.
    let other = app.browser();
    let other_email = unique_email("andere");
    other.register_and_log_in(&other_email, PASSWORD).await;
    let theirs = start(&other, "kontakt").await;
    post_step(
        &other,
        &format!("{theirs}/schritt/nachricht"),
        &nachricht("Fremdes Anliegen"),
    )
    .await;

    let their_parking = start(&other, "anwohnerparkausweis").await;
    let their_vehicle = format!("{their_parking}/schritt/fahrzeug");
    let token = other.get(&their_vehicle).await.csrf_token();
    let theirs_uploaded = other
        .post_multipart(
            &their_vehicle,
            vec![
                FormPart::text("csrf_token", &token),
                FormPart::file("fahrzeugschein", "fremd.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"),
                FormPart::text("aktion", "hochladen:fahrzeugschein"),
            ],
        )
        .await;
    assert_eq!(theirs_uploaded.status, 303);

    let response = browser
        .client
        .get(format!("{}/konto/daten", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut json = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("konto.json").unwrap(), &mut json).unwrap();
    let export: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(export["email"], email.as_str());
    let events: Vec<&str> = export["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(
        events.contains(&"login") && events.contains(&"email-verified"),
        "{events:?}"
    );
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);

    let files = export["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{json}");
    assert_eq!(files[0]["name"], "schein.pdf");
    let mut kept = Vec::new();
    let in_zip = files[0]["file"].as_str().unwrap();
    assert!(
        in_zip.starts_with("nachweise/entwurf/") && in_zip.ends_with("-schein.pdf"),
        "{in_zip}"
    );
    std::io::Read::read_to_end(&mut archive.by_name(in_zip).unwrap(), &mut kept).unwrap();
    assert_eq!(kept, scan, "the file as uploaded");

    let drafts = export["drafts"].as_array().unwrap();
    assert_eq!(drafts.len(), 2, "{json}");
    let drafts: Vec<_> = drafts
        .iter()
        .filter(|d| d["answers"].get("betreff").is_some())
        .collect();
    assert_eq!(drafts[0]["answers"]["betreff"], "Parkbank");
    assert_eq!(drafts[0]["authority"], "Stadt Musterstadt");
    assert_eq!(drafts[0]["service"], "Nachricht an die Stadtverwaltung senden");

    let cases = export["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{json}");
    assert_eq!(cases[0]["reference"], reference.as_str());
    assert_eq!(cases[0]["answers"]["betreff"], "Straßenlaterne");
    assert!(
        cases[0]["summary"]
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line["value"] == "Straßenlaterne"),
        "{json}"
    );
    let receipt = format!("quittungen/{reference}.pdf");
    assert_eq!(cases[0]["receipt"], receipt.as_str());
    let mut pdf = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(&receipt).unwrap(), &mut pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "the receipt is a PDF");

    assert!(
        !json.contains(&other_email) && !json.contains("Fremdes Anliegen") && !json.contains("fremd.pdf"),
        "only theirs"
    );
    assert!(
        !json.contains("password_hash") && !json.contains("$argon2") && !json.contains("csrf"),
        "no secrets"
    );
    assert_eq!(
        app.get("/konto/daten").await.status,
        303,
        "only for the logged-in citizen"
    );
}

#[tokio::test]
async fn deleting_the_account_needs_a_confirmation_and_removes_the_login() {
    let app = spawn_app().await;
    let email = unique_email("loeschen");
    let browser = app.browser();
    browser.register_and_log_in(&email, PASSWORD).await;
    let page = browser.get("/konto/loeschen").await;
    assert!(
        page.body
            .contains("Bereits eingereichte Anträge liegen bei der zuständigen Behörde")
    );
    let unconfirmed = browser
        .post("/konto/loeschen", &[("csrf_token", &page.csrf_token())])
        .await;
    assert_eq!(unconfirmed.status, 422);

    let deleted = browser
        .post(
            "/konto/loeschen",
            &[("csrf_token", &page.csrf_token()), ("confirm", "ja")],
        )
        .await;
    assert_eq!(deleted.location().as_deref(), Some("/konto/geloescht"));
    assert_eq!(browser.get("/konto").await.status, 303, "logged out");
    let login = app
        .browser()
        .submit("/anmelden", "/anmelden", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, 422, "the account is gone");
    let again = register(&app.browser(), &email, PASSWORD).await;
    assert_eq!(again.location().as_deref(), Some("/registrieren/gesendet"));
    assert!(
        app.mails_to(&email).await.last().unwrap().contains("token="),
        "the address is free again"
    );
}

#[tokio::test]
async fn a_new_address_counts_once_its_link_is_opened_and_the_old_one_is_told() {
    let app = spawn_app().await;
    let old = unique_email("alt");
    let new = unique_email("neu");
    let browser = app.browser();
    browser.register_and_log_in(&old, PASSWORD).await;

    let wrong = browser
        .submit(
            "/konto/email",
            "/konto/email",
            &[("email", &new), ("current", "geraten geraten")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let asked = browser
        .submit(
            "/konto/email",
            "/konto/email",
            &[("email", &new), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(asked.location().as_deref(), Some("/konto/email/gesendet"));
    assert!(
        browser.get("/konto").await.body.contains(&old),
        "nothing changes before the link is opened"
    );

    let link = app.link_in_mail(&new, "/konto/email/bestaetigen").await;
    assert_eq!(app.get(&link).await.status, 200);
    assert_eq!(app.get(&link).await.status, 400, "the link works once");
    assert!(
        app.mails_to(&old)
            .await
            .last()
            .unwrap()
            .contains("Diese Adresse gilt nicht mehr")
    );
    let konto = browser.get("/konto").await;
    assert!(konto.body.contains(&new) && konto.body.contains("E-Mail-Adresse geändert"));
    let login = app
        .browser()
        .submit("/anmelden", "/anmelden", &[("email", &new), ("password", PASSWORD)])
        .await;
    assert_eq!(login.location().as_deref(), Some("/konto"));

    // An address that belongs to someone else: the same answer, and its owner is told, not linked.
    let taken = unique_email("vergeben");
    app.browser().register_and_log_in(&taken, PASSWORD).await;
    let attempt = browser
        .submit(
            "/konto/email",
            "/konto/email",
            &[("email", &taken), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(attempt.location().as_deref(), Some("/konto/email/gesendet"));
    assert!(
        app.mails_to(&taken)
            .await
            .last()
            .unwrap()
            .contains("Sie haben bereits ein Konto")
    );
}

#[tokio::test]
async fn a_citizen_keeps_their_own_stammdaten_with_clear_errors() {
    let app = spawn_app().await;
    let browser = app.browser();
    browser.register_and_log_in(&unique_email("stamm"), PASSWORD).await;
    let bad = browser
        .submit(
            "/konto/stammdaten",
            "/konto/stammdaten",
            &[
                ("given_name", "Erika"),
                ("birth_day", "31"),
                ("birth_month", "2"),
                ("birth_year", "1990"),
                ("postal_code", "7199"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body
            .contains("Geben Sie Ihr Geburtsdatum als Tag, Monat und Jahr an")
    );
    assert!(bad.body.contains("Postleitzahl mit 5 Ziffern"));
    assert!(bad.body.contains(r#"value="Erika""#), "entries are kept");

    let saved = browser
        .submit(
            "/konto/stammdaten",
            "/konto/stammdaten",
            &[
                ("given_name", "Erika"),
                ("family_name", "<b>Muster</b>"),
                ("birth_day", "27"),
                ("birth_month", "3"),
                ("birth_year", "1990"),
                ("postal_code", "71999"),
            ],
        )
        .await;
    assert_eq!(saved.location().as_deref(), Some("/konto"));
    let konto = browser.get("/konto").await;
    assert!(konto.body.contains("1990-03-27") && konto.body.contains("&#60;b&#62;Muster&#60;/b&#62;"));
    assert!(!konto.body.contains("Bestätigt durch"));
}
