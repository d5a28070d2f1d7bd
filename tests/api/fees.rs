//! Fees paid online before the application is sent: through the demo provider, and through a
//! provider on its own port with faults on demand. Only the provider's answer to the portal says
//! whether a fee was paid; a paid fee sends the application once.

use std::path::Path;

use buergerportal::db::Db;
use buergerportal::housekeeping::payments_round;
use buergerportal::payment::Providers;
use buergerportal::worker::Outbox;
use buergerportal::workflow::pay::reconcile;

use crate::applications::{contact_form_filled, logged_in, send_draft, unique};
use crate::delivery::{Receiver, deliver_to, deliver_to_webhook, multipart_parts};
use crate::helpers::{Browser, TestApp, copy_of_demo_tenants, free_port, spawn_with};
use crate::payment::{Fault, TestProvider};

const PASSWORD_ENV: &str = "BP_SECRET_MUSTERSTADT__EPAY";

/// The demo catalogue with a fee of 5,00 € on the contact form, paid online through `provider`
/// (a `[payment]` base URL, or `demo`).
fn catalogue_with_fee(provider: &str) -> tempfile::TempDir {
    let dir = copy_of_demo_tenants();
    let musterstadt = dir.path().join("musterstadt");
    let edit = |path: &Path, change: &dyn Fn(String) -> String| {
        let text = std::fs::read_to_string(path).unwrap();
        std::fs::write(path, change(text)).unwrap();
    };
    edit(&musterstadt.join("services/kontakt.toml"), &|t| {
        t.replacen("keywords", "fee = \"5.00\"\nkeywords", 1)
    });
    edit(&musterstadt.join("forms/kontakt.toml"), &|t| {
        t.replacen("version = ", "pay_online = true\nversion = ", 1)
    });
    if provider != "demo" {
        edit(&musterstadt.join("tenant.toml"), &|t| {
            t.replace("base_url = \"demo\"", &format!("base_url = \"{provider}\""))
                + &format!("\n[payment.auth]\nkind = \"basic\"\nuser = \"portal\"\npassword_env = \"{PASSWORD_ENV}\"\n")
        });
    }
    dir
}

async fn spawn_taking_fees(catalogue: &Path) -> TestApp {
    let port = free_port();
    let dir = catalogue.to_path_buf();
    spawn_with(move |s| {
        s.listen = format!("127.0.0.1:{port}").parse().unwrap();
        s.base_url = format!("http://127.0.0.1:{port}");
        s.tenants_dir = dir;
    })
    .await
}

async fn count(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

#[tokio::test]
async fn a_fee_paid_with_the_demo_provider_sends_the_application_once_and_a_forged_return_sends_nothing() {
    let catalogue = catalogue_with_fee("demo");
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("zahlt");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let check = browser.get(&format!("{draft}/pruefen")).await;
    assert!(check.body.contains("5,00 €"), "{}", check.body);
    assert!(check.body.contains("Gebühr bezahlen und Antrag senden"));
    assert!(check.body.contains("Sie bezahlen die Gebühr online"));

    let to_pay = send_draft(&browser, &draft).await;
    assert_eq!(to_pay.status, 303, "{}", to_pay.body);
    let pay_url = to_pay.location().unwrap();
    assert!(
        pay_url.starts_with(&format!("{}/demo-bezahldienst/bezahlen/", app.address)),
        "{pay_url}"
    );
    // "Bezahlen" again reuses the open payment: never a second one for the same application.
    assert_eq!(send_draft(&browser, &draft).await.location().unwrap(), pay_url);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM payment").await, 1);

    // A return with a forged status: the provider says the payment is still open.
    let forged = browser
        .get(&format!("{draft}/zahlung?status=PAYED&paymentStatus=PAYED"))
        .await;
    assert_eq!(forged.status, 200);
    assert_eq!(forged.h1(), "Zahlung wird geprüft");
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 0);

    let paid = app
        .client
        .post(&pay_url)
        .form(&[("ergebnis", "bezahlt")])
        .send()
        .await
        .unwrap();
    let back = paid.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, format!("{}{draft}/zahlung", app.address));
    let sent = browser.get(&format!("{draft}/zahlung")).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let case_page = sent.location().unwrap();
    assert!(case_page.starts_with("/musterstadt/vorgang/"), "{case_page}");
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM cases WHERE fee_cents = 500").await,
        1
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM payment WHERE status = 'PAYED' AND case_id IS NOT NULL AND reference IS NOT NULL"
        )
        .await,
        1
    );
    // Coming back again (a reload) leads to the same case; nothing is sent twice.
    assert_eq!(
        browser.get(&format!("{draft}/zahlung")).await.location().unwrap(),
        case_page
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM outbox WHERE kind = 'delivery'").await,
        1
    );

    // Another citizen's draft id finds nothing.
    let other = logged_in(&app, &unique("fremd")).await;
    assert_eq!(other.get(&format!("{draft}/zahlung")).await.status, 404);
}

#[tokio::test]
async fn a_cancelled_payment_can_be_tried_again_and_a_paid_one_is_never_asked_for_twice() {
    let catalogue = catalogue_with_fee("demo");
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("bricht-ab");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let first = send_draft(&browser, &draft).await.location().unwrap();
    app.client
        .post(&first)
        .form(&[("ergebnis", "abgebrochen")])
        .send()
        .await
        .unwrap();
    let back = browser.get(&format!("{draft}/zahlung")).await;
    assert_eq!(back.status, 200);
    assert!(back.body.contains("Die Gebühr wurde nicht bezahlt"), "{}", back.body);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 0);

    let second = send_draft(&browser, &draft).await.location().unwrap();
    assert_ne!(second, first, "a new transaction, not the cancelled one");
    app.client
        .post(&second)
        .form(&[("ergebnis", "bezahlt")])
        .send()
        .await
        .unwrap();
    // Paid, but the citizen pressed "bezahlen" again instead of coming back: the provider is
    // asked, and the paid application is sent rather than paid a second time.
    let sent = send_draft(&browser, &draft).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert!(
        sent.location().unwrap().starts_with("/musterstadt/vorgang/"),
        "{:?}",
        sent.location()
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 1);
    // The cancelled transaction, were it paid now, would not be the draft's payment any more.
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM payment WHERE status = 'SUPERSEDED'").await,
        1
    );
}

#[tokio::test]
async fn a_provider_that_is_down_fails_and_then_pays_or_confirms_another_amount_never_loses_or_sends_unpaid() {
    // Each test runs in its own process under nextest; the variable only names the password.
    unsafe { std::env::set_var(PASSWORD_ENV, "portal-secret") };
    let provider = TestProvider::start();
    let catalogue = catalogue_with_fee(&provider.base);
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("anbieter");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;

    // Down at the start: a clear page, nothing paid, the answers kept.
    provider.fault(Fault::ServerError);
    let down = send_draft(&browser, &draft).await;
    assert_eq!(down.status, 503);
    assert!(
        down.body.contains("Der Bezahldienst ist gerade nicht erreichbar"),
        "{}",
        down.body
    );
    assert_eq!(browser.get(&format!("{draft}/pruefen")).await.status, 200);

    let pay_url = send_draft(&browser, &draft).await.location().unwrap();
    let transaction = pay_url.rsplit('/').next().unwrap().to_owned();
    // FAILED first; a later PAYED counts.
    provider.set(&transaction, "FAILED", Some(5.0));
    let failed = browser.get(&format!("{draft}/zahlung")).await;
    assert!(
        failed.body.contains("Die Gebühr wurde nicht bezahlt"),
        "{}",
        failed.body
    );
    // Down at the confirmation: still being checked, nothing sent.
    provider.set(&transaction, "PAYED", Some(5.0));
    provider.fault(Fault::ServerError);
    let waiting = browser.get(&format!("{draft}/zahlung")).await;
    assert_eq!(waiting.h1(), "Zahlung wird geprüft");
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 0);
    let sent = browser.get(&format!("{draft}/zahlung")).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM cases WHERE fee_cents = 500").await,
        1
    );

    // Another application, confirmed with another amount: stopped, not sent.
    let draft = contact_form_filled(&browser, &email).await;
    let pay_url = send_draft(&browser, &draft).await.location().unwrap();
    let transaction = pay_url.rsplit('/').next().unwrap().to_owned();
    provider.set(&transaction, "PAYED", Some(0.5));
    let wrong = browser.get(&format!("{draft}/zahlung")).await;
    assert_eq!(wrong.status, 409);
    assert!(wrong.body.contains("anderen Betrag"), "{}", wrong.body);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM payment WHERE status = 'MISMATCH'").await,
        1
    );
}

#[tokio::test]
async fn a_draft_whose_fee_is_being_paid_outlives_its_expiry() {
    let catalogue = catalogue_with_fee("demo");
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("laeuft-ab");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let pay_url = send_draft(&browser, &draft).await.location().unwrap();
    let now = chrono::Utc::now();
    app.execute_at("UPDATE draft SET expires_at = $1", now - chrono::Duration::days(1))
        .await;
    buergerportal::housekeeping::tidy(&app.db, &app.address, now)
        .await
        .unwrap();
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM draft").await,
        1,
        "kept while the fee is being paid"
    );

    app.client
        .post(&pay_url)
        .form(&[("ergebnis", "bezahlt")])
        .send()
        .await
        .unwrap();
    let sent = browser.get(&format!("{draft}/zahlung")).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 1);
}

#[tokio::test]
async fn a_fee_paid_by_a_citizen_who_never_came_back_sends_the_application_once_and_tells_the_citizen() {
    unsafe { std::env::set_var(PASSWORD_ENV, "portal-secret") };
    let provider = TestProvider::start();
    let catalogue = catalogue_with_fee(&provider.base);
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("kommt-nicht-zurueck");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let pay_url = send_draft(&browser, &draft).await.location().unwrap();
    let transaction = pay_url.rsplit('/').next().unwrap().to_owned();
    let providers = Providers::new(&app.address);
    let outbox = Outbox::default();
    let round = |node: &'static str, now| {
        let (db, providers, outbox, base) = (&app.db, &providers, &outbox, &app.address);
        async move { payments_round(db, node, providers, outbox, base, now).await.unwrap() }
    };

    // Failed first, as the citizen left it; the provider settles it as paid later.
    provider.set(&transaction, "FAILED", Some(5.0));
    // The app's own node took the lease of the round at its start, for less than five minutes.
    let now = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert_eq!(round("node-a", now).await, 0);
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM payment WHERE status = 'FAILED'").await,
        1
    );
    provider.set(&transaction, "PAYED", Some(5.0));
    // The round's lease is node a's: node b asks nobody, whatever it is told.
    let later = now + chrono::Duration::minutes(2);
    assert_eq!(round("node-b", now + chrono::Duration::seconds(5)).await, 0);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 0);
    assert_eq!(round("node-a", later).await, 1, "the later PAYED sends the application");
    assert_eq!(
        round("node-b", later + chrono::Duration::minutes(2)).await,
        0,
        "sent once"
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM payment WHERE status = 'PAYED' AND case_id IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM outbox WHERE kind = 'delivery'").await,
        1
    );
    let mails = app.mails_to_once_there_are(&email, 2).await;
    assert!(
        mails.last().is_some_and(|m| m.contains("Ihr Antrag wurde gesendet")),
        "{mails:?}"
    );
    // Coming back at last leads to the case.
    let back = browser.get(&format!("{draft}/zahlung")).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(
        back.location().unwrap().starts_with("/musterstadt/vorgang/"),
        "{:?}",
        back.location()
    );
}

#[tokio::test]
async fn a_draft_whose_fee_is_being_paid_cannot_be_deleted_until_the_payment_is_cancelled() {
    let catalogue = catalogue_with_fee("demo");
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("loescht");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let pay_url = send_draft(&browser, &draft).await.location().unwrap();

    let asked = browser.get(&format!("{draft}/loeschen")).await;
    assert_eq!(asked.status, 200);
    assert_eq!(asked.h1(), "Dieser Antrag kann nicht gelöscht werden");
    assert!(
        asked.body.contains(&format!("href=\"{draft}/zahlung\"")),
        "{}",
        asked.body
    );
    // The page offers no button; a POST from elsewhere is refused all the same.
    let token = browser.get(&format!("{draft}/pruefen")).await.csrf_token();
    let refused = browser
        .post(&format!("{draft}/loeschen"), &[("csrf_token", &token)])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.h1(), "Dieser Antrag kann nicht gelöscht werden");
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM draft").await, 1);

    app.client
        .post(&pay_url)
        .form(&[("ergebnis", "abgebrochen")])
        .send()
        .await
        .unwrap();
    assert!(
        browser
            .get(&format!("{draft}/zahlung"))
            .await
            .body
            .contains("Die Gebühr wurde nicht bezahlt")
    );
    let deleted = browser
        .post(&format!("{draft}/loeschen"), &[("csrf_token", &token)])
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM draft").await, 0);
}

#[tokio::test]
async fn reconciling_lists_payments_the_provider_sees_otherwise_and_those_paid_but_not_sent() {
    unsafe { std::env::set_var(PASSWORD_ENV, "portal-secret") };
    let provider = TestProvider::start();
    let catalogue = catalogue_with_fee(&provider.base);
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("abgleich");
    let browser = logged_in(&app, &email).await;
    let transaction_of = |pay_url: String| pay_url.rsplit('/').next().unwrap().to_owned();
    let providers = Providers::new(&app.address);
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let differences = || reconciled(&app, &providers, since);

    // Paid and sent: nothing to look into.
    let draft = contact_form_filled(&browser, &email).await;
    let sent = transaction_of(send_draft(&browser, &draft).await.location().unwrap());
    provider.set(&sent, "PAYED", Some(5.0));
    assert_eq!(browser.get(&format!("{draft}/zahlung")).await.status, 303);
    assert_eq!(differences().await, vec![]);

    // Cancelled and tried again; then the provider reports both paid (the first one late), and the
    // node that recorded the second as paid stopped before it sent the application.
    let draft = contact_form_filled(&browser, &email).await;
    let first = transaction_of(send_draft(&browser, &draft).await.location().unwrap());
    provider.set(&first, "CANCELED", Some(5.0));
    browser.get(&format!("{draft}/zahlung")).await;
    let second = transaction_of(send_draft(&browser, &draft).await.location().unwrap());
    provider.set(&first, "PAYED", Some(5.0));
    provider.set(&second, "PAYED", Some(5.0));
    app.execute_at(
        &format!("UPDATE payment SET status = 'PAYED', paid_at = $1 WHERE transaction_id = '{second}'"),
        chrono::Utc::now(),
    )
    .await;
    let paid = Some("PAYED".to_owned());
    let refund = "paid, though a newer payment replaced it: refund one of them";
    assert_eq!(
        differences().await,
        vec![
            (
                "PAYED".to_owned(),
                paid.clone(),
                "paid, but the application was not sent"
            ),
            ("SUPERSEDED".to_owned(), paid.clone(), refund),
        ]
    );
    // The payment round sends what is paid, and marks the superseded payment for a refund.
    let round = chrono::Utc::now() + chrono::Duration::minutes(5);
    let outbox = Outbox::default();
    assert_eq!(
        payments_round(&app.db, "node", &providers, &outbox, &app.address, round)
            .await
            .unwrap(),
        1
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 2);
    let paid_twice = "paid twice for one application: refund this payment";
    assert_eq!(
        differences().await,
        vec![("REFUND".to_owned(), paid.clone(), paid_twice)]
    );

    // A provider that does not answer is named, not taken for a match.
    provider.fault(Fault::ServerError);
    assert_eq!(
        differences().await,
        vec![
            ("PAYED".to_owned(), None, "the provider could not be asked"),
            ("REFUND".to_owned(), paid, paid_twice),
        ]
    );
    assert!(
        reconcile(&app.db, &providers, "nirgendwo", since)
            .await
            .unwrap()
            .is_none()
    );
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    assert!(
        reconcile(&app.db, &providers, "musterstadt", tomorrow)
            .await
            .unwrap()
            .unwrap()
            .is_empty()
    );
}

/// What `payments reconcile` lists for Musterstadt's payments since `since`: each one's status in
/// the portal and at the provider, and the problem, sorted.
async fn reconciled(
    app: &TestApp,
    providers: &Providers,
    since: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, Option<String>, &'static str)> {
    let mut found: Vec<_> = reconcile(&app.db, providers, "musterstadt", since)
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|d| (d.portal_status, d.provider_status, d.problem))
        .collect();
    found.sort();
    found
}

/// A citizen sends the contact form and pays its fee with the demo provider: the browser, the
/// case's page and the payment's Kassenzeichen.
async fn paid_with_the_demo_provider<'a>(app: &'a TestApp, name: &str) -> (Browser<'a>, String, String) {
    let email = unique(name);
    let browser = logged_in(app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let pay_url = send_draft(&browser, &draft).await.location().unwrap();
    app.client
        .post(&pay_url)
        .form(&[("ergebnis", "bezahlt")])
        .send()
        .await
        .unwrap();
    let case_page = browser.get(&format!("{draft}/zahlung")).await.location().unwrap();
    let kassenzeichen = app.text("SELECT reference FROM payment WHERE status = 'PAYED'").await;
    (browser, case_page, kassenzeichen)
}

#[tokio::test]
async fn a_paid_fee_goes_to_ozg_cloud_as_a_section_of_the_form_data_and_into_the_authoritys_mail() {
    // The demo catalogue delivers by e-mail to the authority's mailbox.
    let catalogue = catalogue_with_fee("demo");
    let app = spawn_taking_fees(catalogue.path()).await;
    let (_, case_page, kassenzeichen) = paid_with_the_demo_provider(&app, "per-mail").await;
    let reference = case_page.rsplit('/').next().unwrap();
    let mut mail = None;
    for _ in 0..100 {
        let mails = app.mails_to("antraege@musterstadt.example").await;
        mail = mails.into_iter().find(|m| m.contains(&format!("Antrag {reference}")));
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mail = mail.expect("the application by mail");
    assert!(mail.contains("Gebühr online bezahlt: 5,00 €"), "{mail}");
    assert!(
        mail.contains(&format!("Zahlungsreferenz (Kassenzeichen): {kassenzeichen}")),
        "{mail}"
    );

    let (receiver, url) = Receiver::start(0, vec![]);
    let catalogue = catalogue_with_fee("demo");
    deliver_to(
        catalogue.path(),
        &format!(
            "kind = \"ozg-cloud\"\nurl = \"{}\"\nzustaendige_stelle = \"197008\"",
            url.replace("/antraege", "/antrag")
        ),
    );
    let app = spawn_taking_fees(catalogue.path()).await;
    let (_, _, kassenzeichen) = paid_with_the_demo_provider(&app, "ozg-cloud").await;
    let delivered = receiver.wait_for(1).await;
    let parts = multipart_parts(&delivered[0].content_type, &delivered[0].raw);
    let form: serde_json::Value = serde_json::from_slice(&parts[0].2).unwrap();
    let sections = form["formData"].as_array().unwrap();
    let payment = sections
        .iter()
        .find(|s| s["name"] == "zahlung")
        .expect("a section for the fee");
    let item = |name: &str| {
        payment["formItems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no item {name} in {payment}"))
    };
    assert_eq!(item("betrag")["numberValue"], 5.0);
    assert_eq!(item("kassenzeichen")["stringValue"], kassenzeichen.as_str());
    assert!(item("transaktion")["stringValue"].is_string());
    assert!(item("bezahlt_am")["stringValue"].as_str().unwrap().ends_with(" Uhr"));
    assert!(sections.iter().any(|s| {
        s["formItems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "betreff")
    }));
}

#[tokio::test]
async fn a_paid_fee_is_shown_on_the_case_and_goes_with_it_to_the_authority_and_into_the_export() {
    let (receiver, url) = Receiver::start(0, vec![]);
    let catalogue = catalogue_with_fee("demo");
    deliver_to_webhook(catalogue.path(), &url);
    let app = spawn_taking_fees(catalogue.path()).await;
    let (browser, case_page, kassenzeichen) = paid_with_the_demo_provider(&app, "quittung").await;

    let page = browser.get(&case_page).await;
    assert!(page.body.contains("5,00 €, bezahlt am"), "{}", page.body);
    assert!(page.body.contains("Zahlungsreferenz") && page.body.contains(&kassenzeichen));

    // The authority learns what was paid, with the provider's reference to find it in its books.
    let delivered = receiver.wait_for(1).await;
    let payment = &delivered[0].body["payment"];
    assert_eq!(payment["amount_cents"], 500, "{payment}");
    assert_eq!(payment["status"], "PAYED");
    assert_eq!(payment["reference"], kassenzeichen.as_str());
    assert!(payment["paid_at"].is_string() && payment["transaction_id"].is_string());

    let export = browser
        .client
        .get(format!("{}/konto/daten", app.address))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(export.to_vec())).unwrap();
    let mut json = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("konto.json").unwrap(), &mut json).unwrap();
    let export: serde_json::Value = serde_json::from_str(&json).unwrap();
    let payments = export["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1, "{json}");
    assert_eq!(payments[0]["status"], "PAYED");
    assert_eq!(payments[0]["amount_cents"], 500);
    assert_eq!(payments[0]["case"], case_page.rsplit('/').next().unwrap());
    assert_eq!(payments[0]["authority"], "Stadt Musterstadt");

    let english = browser.get(&format!("{case_page}?lang=en")).await;
    assert!(english.body.contains("€5.00, paid on"), "{}", english.body);
}

#[tokio::test]
async fn an_account_is_deleted_only_once_its_paid_application_is_sent_and_its_payments_keep_no_answers() {
    let catalogue = catalogue_with_fee("demo");
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("geht");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let cancelled = send_draft(&browser, &draft).await.location().unwrap();
    app.client
        .post(&cancelled)
        .form(&[("ergebnis", "abgebrochen")])
        .send()
        .await
        .unwrap();
    browser.get(&format!("{draft}/zahlung")).await;
    let pay_url = send_draft(&browser, &draft).await.location().unwrap();

    let asked = browser.get("/konto/loeschen").await;
    assert_eq!(asked.h1(), "Ihr Servicekonto kann noch nicht gelöscht werden");
    let token = browser.get("/konto").await.csrf_token();
    let fields = [("csrf_token", token.as_str()), ("confirm", "ja")];
    let delete = || browser.post("/konto/loeschen", &fields);
    let refused = delete().await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM account").await, 1);

    app.client
        .post(&pay_url)
        .form(&[("ergebnis", "bezahlt")])
        .send()
        .await
        .unwrap();
    assert_eq!(browser.get(&format!("{draft}/zahlung")).await.status, 303);
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM payment WHERE status = 'PAYED' AND application = ''"
        )
        .await,
        1,
        "the case holds the answers now"
    );
    let deleted = delete().await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM account").await, 0);
    // The paid payment stays for the authority's books; the cancelled one, with its answers, is gone.
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM payment").await, 1);
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM payment WHERE application <> ''").await,
        0
    );
}

#[tokio::test]
async fn two_bezahlen_at_once_create_one_payment_and_lead_to_the_same_page() {
    unsafe { std::env::set_var(PASSWORD_ENV, "portal-secret") };
    let provider = TestProvider::start();
    let catalogue = catalogue_with_fee(&provider.base);
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("doppelklick");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    // The first "bezahlen" waits for the provider; the second comes while it does.
    provider.fault(Fault::Slow(std::time::Duration::from_millis(1500)));
    let (first, second) = tokio::join!(send_draft(&browser, &draft), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        send_draft(&browser, &draft).await
    });
    assert_eq!(
        (first.status, second.status),
        (303, 303),
        "{}\n{}",
        first.body,
        second.body
    );
    assert_eq!(first.location(), second.location());
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM payment").await, 1);
}

#[tokio::test]
async fn a_replaced_payment_paid_after_all_sends_the_application_and_a_second_one_paid_is_marked_for_refund() {
    unsafe { std::env::set_var(PASSWORD_ENV, "portal-secret") };
    let provider = TestProvider::start();
    let catalogue = catalogue_with_fee(&provider.base);
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("zweimal");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let transaction_of = |pay_url: String| pay_url.rsplit('/').next().unwrap().to_owned();
    let providers = Providers::new(&app.address);
    let outbox = Outbox::default();
    let round = |now| payments_round(&app.db, "node", &providers, &outbox, &app.address, now);

    // Cancelled on the provider's page, then tried again: the first payment is replaced.
    let first = transaction_of(send_draft(&browser, &draft).await.location().unwrap());
    provider.set(&first, "CANCELED", Some(5.0));
    browser.get(&format!("{draft}/zahlung")).await;
    let second = transaction_of(send_draft(&browser, &draft).await.location().unwrap());
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM payment WHERE status = 'SUPERSEDED'").await,
        1
    );

    // The provider settles the first as paid after all (a later PAYED beats the CANCELED): it is
    // the application's payment, and the open second one is replaced in turn.
    provider.set(&first, "PAYED", Some(5.0));
    let now = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert_eq!(round(now).await.unwrap(), 1, "the application is sent");
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(
        app.text(&format!("SELECT status FROM payment WHERE transaction_id = '{second}'"))
            .await,
        "SUPERSEDED"
    );
    // The citizen comes back from the second payment's page: the case is the answer.
    let back = browser.get(&format!("{draft}/zahlung")).await;
    assert!(
        back.location().is_some_and(|l| l.starts_with("/musterstadt/vorgang/")),
        "{} {:?}",
        back.status,
        back.location()
    );

    // The citizen pays the second one as well: sent once, the second payment marked for refund.
    provider.set(&second, "PAYED", Some(5.0));
    assert_eq!(round(now + chrono::Duration::minutes(2)).await.unwrap(), 0);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM outbox WHERE kind = 'delivery'").await,
        1
    );
    assert_eq!(
        app.text(&format!("SELECT status FROM payment WHERE transaction_id = '{second}'"))
            .await,
        "REFUND"
    );
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    assert_eq!(
        reconciled(&app, &providers, since).await,
        vec![(
            "REFUND".to_owned(),
            Some("PAYED".to_owned()),
            "paid twice for one application: refund this payment"
        )]
    );
}

#[tokio::test]
async fn an_open_payment_the_citizen_left_is_asked_about_hourly_until_the_provider_ends_it() {
    unsafe { std::env::set_var(PASSWORD_ENV, "portal-secret") };
    let provider = TestProvider::start();
    let catalogue = catalogue_with_fee(&provider.base);
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("verlassen");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let transaction = send_draft(&browser, &draft)
        .await
        .location()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let providers = Providers::new(&app.address);
    let outbox = Outbox::default();
    let asked = || {
        provider
            .calls()
            .iter()
            .filter(|(method, path, _)| method == "GET" && path.ends_with(&transaction))
            .count()
    };
    // Asked for three days ago, and the provider still has it open: the draft is kept for it.
    app.execute_at(
        "UPDATE payment SET created_at = $1",
        chrono::Utc::now() - chrono::Duration::days(3),
    )
    .await;
    // The app's own node took the lease of the round at its start, for less than five minutes.
    let now = chrono::Utc::now() + chrono::Duration::minutes(5);
    let round = |now| payments_round(&app.db, "node", &providers, &outbox, &app.address, now);
    round(now).await.unwrap();
    assert_eq!(asked(), 1);
    round(now + chrono::Duration::minutes(30)).await.unwrap();
    assert_eq!(asked(), 1, "not again within the hour");
    let since = chrono::Utc::now() - chrono::Duration::days(4);
    assert_eq!(
        reconciled(&app, &providers, since).await,
        vec![(
            "INITIAL".to_owned(),
            Some("INITIAL".to_owned()),
            "open for more than a day: the provider has not ended it"
        )]
    );

    // The provider ends it after a time of its own: the next hourly round learns so, and the draft
    // may go its way.
    provider.set(&transaction, "FAILED", Some(5.0));
    let before = asked();
    round(now + chrono::Duration::minutes(61)).await.unwrap();
    assert_eq!(asked(), before + 1);
    assert_eq!(app.text("SELECT status FROM payment").await, "FAILED");
    let deleted = browser
        .post(
            &format!("{draft}/loeschen"),
            &[(
                "csrf_token",
                &browser.get(&format!("{draft}/pruefen")).await.csrf_token(),
            )],
        )
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
}

#[tokio::test]
async fn an_account_deleted_while_its_fee_is_being_asked_for_sends_nobody_to_pay() {
    unsafe { std::env::set_var(PASSWORD_ENV, "portal-secret") };
    let provider = TestProvider::start();
    let catalogue = catalogue_with_fee(&provider.base);
    let app = spawn_taking_fees(catalogue.path()).await;
    let email = unique("geht-beim-zahlen");
    let browser = logged_in(&app, &email).await;
    let draft = contact_form_filled(&browser, &email).await;
    let token = browser.get("/konto").await.csrf_token();

    // "Bezahlen" waits for the provider; the account is deleted in another tab meanwhile.
    provider.fault(Fault::Slow(std::time::Duration::from_millis(1500)));
    let (paying, deleted) = tokio::join!(send_draft(&browser, &draft), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        browser
            .post("/konto/loeschen", &[("csrf_token", token.as_str()), ("confirm", "ja")])
            .await
    });
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM account").await, 0);
    // The provider made a transaction, but nobody is sent to pay it and nothing waits to be sent.
    assert_eq!(paying.status, 404, "{:?}\n{}", paying.location(), paying.body);
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM payment WHERE status IN ('INITIAL', 'PAYED')"
        )
        .await,
        0
    );
}
