//! The citizen's Postfach: what the authority's backend sent, newest first, unread counted in the
//! header, a reading recorded for the authority, files only for their citizen.

use chrono::Utc;
use reqwest::multipart::{Form, Part};
use serde_json::{Value as Json, json};

use crate::applications::{logged_in, unique};
use crate::backend_api::{Backend, case_at};
use crate::backend_messages::stored_files;
use crate::delivery::send_case;
use crate::evidence::{eicar, pdf, png};
use crate::helpers::{Browser, FormPart, Page, TestApp, spawn_app};

/// The backend sends a message of `kind` (with one PDF when `file` is given); its JSON.
async fn sent(backend: &Backend<'_>, reference: &str, kind: &str, subject: &str, file: Option<Vec<u8>>) -> Json {
    let message = json!({"kind": kind, "subject": subject, "body": "Guten Tag,\nbitte beachten Sie die Anlage."});
    let mut form = Form::new().text("message", message.to_string());
    if let Some(content) = file {
        form = form.part(
            "attachment",
            Part::bytes(content)
                .file_name("bescheid.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    let response = backend
        .app
        .client
        .post(format!("{}/api/v1/cases/{reference}/messages", backend.app.address))
        .header("authorization", format!("Bearer {}", backend.token))
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = Page::from(response).await;
    assert_eq!(page.status, 201, "{}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

/// The links of the list's messages, in order.
fn message_links(page: &Page) -> Vec<String> {
    page.body
        .split(r#"<h2 class="kern-heading-small"><a class="kern-link" href=""#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_citizen_reads_the_authoritys_decision_in_the_postfach_and_the_authority_sees_when() {
    let app = spawn_app().await;
    let (anna, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    let bescheid = pdf("Bescheid");
    let question = sent(&backend, &reference, "message", "Rückfrage zu Ihrem Anliegen", None).await;
    let decision = sent(
        &backend,
        &reference,
        "decision",
        "Bescheid zu Ihrem Anliegen",
        Some(bescheid.clone()),
    )
    .await;

    let postfach = anna.get("/postfach").await;
    assert_eq!(postfach.status, 200, "{}", postfach.body);
    assert_eq!(postfach.header("cache-control").as_deref(), Some("no-store"));
    assert!(
        postfach.body.contains("2 ungelesen"),
        "the header counts the unread: {}",
        postfach.body
    );
    let links = message_links(&postfach);
    let decision_href = format!("/postfach/{}", decision["id"].as_str().unwrap());
    let question_href = format!("/postfach/{}", question["id"].as_str().unwrap());
    assert_eq!(
        links,
        vec![decision_href.clone(), question_href.clone()],
        "newest first"
    );
    assert!(
        postfach.body.contains("Bescheid") && postfach.body.contains("Stadt Musterstadt"),
        "{}",
        postfach.body
    );

    let opened = anna.get(&decision_href).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert_eq!(opened.h1(), "Bescheid zu Ihrem Anliegen");
    assert!(opened.body.contains("Bereitgestellt am"), "{}", opened.body);
    assert!(opened.body.contains("Guten Tag,\nbitte beachten Sie die Anlage."));
    assert!(
        opened.body.contains("1 ungelesen"),
        "reading it lowers the count: {}",
        opened.body
    );
    let file_href = format!(
        "{decision_href}/datei/{}",
        decision["attachments"][0]["id"].as_str().unwrap()
    );
    assert!(opened.body.contains(&file_href), "{}", opened.body);
    let file = anna
        .client
        .get(format!("{}{file_href}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().to_vec(), bescheid);

    // The authority sees when it was first read, and a second opening does not move it.
    let thread = backend.json(&format!("/api/v1/cases/{reference}/messages")).await;
    let read_at = thread["messages"][1]["first_read_at"].clone();
    assert!(read_at.is_string(), "{thread}");
    assert_eq!(
        thread["messages"][0]["first_read_at"],
        Json::Null,
        "the question is not read yet"
    );
    let again = anna.get(&decision_href).await;
    assert!(again.body.contains("1 ungelesen"));
    let thread = backend.json(&format!("/api/v1/cases/{reference}/messages")).await;
    assert_eq!(thread["messages"][1]["first_read_at"], read_at);

    // Another citizen finds neither the message nor its file, nor them in the Postfach.
    let ben = logged_in(&app, &unique("ben")).await;
    assert_eq!(ben.get(&decision_href).await.status, 404);
    assert_eq!(ben.get(&file_href).await.status, 404);
    assert!(message_links(&ben.get("/postfach").await).is_empty());
    assert!(
        ben.get("/postfach")
            .await
            .body
            .contains("Sie haben noch keine Nachrichten.")
    );
    // Without a login the Postfach asks for one.
    let visitor = app.get("/postfach").await;
    assert_eq!(visitor.status, 303);
    assert!(visitor.location().unwrap().starts_with("/anmelden"));
    let english = anna.get("/postfach?lang=en").await;
    assert!(
        english.body.contains("Inbox") && english.body.contains("1 unread"),
        "{}",
        english.body
    );
}

#[tokio::test]
async fn a_long_postfach_comes_a_page_at_a_time_and_one_cases_messages_on_their_own() {
    let app = spawn_app().await;
    let (anna, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    // A second case of Anna's, written beside the first.
    case_at(&app, "musterstadt", "MS-2", "PROCESSING", Utc::now()).await;
    app.count(&format!("SELECT COUNT(*) FROM cases WHERE reference = '{reference}'"))
        .await;
    let account: String = app
        .text(&format!("SELECT account_id FROM cases WHERE reference = '{reference}'"))
        .await;
    app.execute_at(
        &format!("UPDATE cases SET account_id = '{account}', submitted_at = $1 WHERE reference = 'MS-2'"),
        Utc::now(),
    )
    .await;
    let mut hrefs = Vec::new();
    for i in 0..23 {
        let on = if i % 4 == 0 { "MS-2" } else { reference.as_str() };
        let message = sent(&backend, on, "message", &format!("Nachricht {i}"), None).await;
        hrefs.push((on.to_owned(), format!("/postfach/{}", message["id"].as_str().unwrap())));
    }
    hrefs.reverse();
    let first = anna.get("/postfach").await;
    assert!(first.body.contains("23 ungelesen"), "{}", first.body);
    let mut seen = message_links(&first);
    assert_eq!(seen.len(), 20);
    let older = first
        .body
        .split(r#"<a class="kern-link" href="/postfach?vor="#)
        .nth(1)
        .unwrap();
    let older = format!("/postfach?vor={}", older.split('"').next().unwrap());
    let second = anna.get(&older).await;
    seen.extend(message_links(&second));
    assert!(
        !second.body.contains("Ältere Nachrichten"),
        "the last page has no older page"
    );
    let all: Vec<String> = hrefs.iter().map(|(_, href)| href.clone()).collect();
    assert_eq!(seen, all);

    let filter = first.body.split(r#"href="/postfach?vorgang="#).nth(1).unwrap();
    let filter = format!("/postfach?vorgang={}", filter.split('"').next().unwrap());
    let one_case = anna.get(&filter).await;
    let shown = message_links(&one_case);
    let case_of_newest = &hrefs[0].0;
    let expected: Vec<String> = hrefs
        .iter()
        .filter(|(on, _)| on == case_of_newest)
        .map(|(_, h)| h.clone())
        .collect();
    assert_eq!(shown, expected);
    assert!(
        one_case
            .body
            .contains(&format!("Nachrichten zum Vorgang {case_of_newest}")),
        "{}",
        one_case.body
    );
}

/// The mails to `to` that tell of the Postfach.
async fn notices(app: &crate::helpers::TestApp, to: &str) -> Vec<String> {
    let mails = app.mails_to(to).await;
    mails.into_iter().filter(|m| m.contains("im Postfach")).collect()
}

#[tokio::test]
async fn the_citizen_is_told_of_a_decision_at_once_and_of_a_cases_messages_once_an_hour_without_what_they_say() {
    let app = spawn_app().await;
    let (_, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let anna: String = app
        .text(&format!(
            "SELECT a.email FROM cases c JOIN account a ON a.id = c.account_id WHERE c.reference = '{reference}'"
        ))
        .await;
    let backend = Backend::of(&app, "musterstadt").await;

    sent(&backend, &reference, "message", "Rückfrage zur Straßenlaterne", None).await;
    let first = notices(&app, &anna).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let notice = &first[0];
    assert!(notice.contains("Neue Nachricht im Postfach"), "{notice}");
    assert!(
        notice.contains("Sie haben eine neue Nachricht im Postfach von Stadt Musterstadt."),
        "{notice}"
    );
    assert!(notice.contains("http://127.0.0.1:8080/postfach"), "{notice}");
    for private in [
        "Rückfrage",
        "Straßenlaterne",
        "beachten Sie die Anlage",
        reference.as_str(),
    ] {
        assert!(
            !notice.contains(private),
            "the mail says nothing of the case: {private}"
        );
    }

    // A second message of the case within the hour: its mail is the first one.
    sent(&backend, &reference, "message", "Noch eine Frage", None).await;
    assert_eq!(notices(&app, &anna).await.len(), 1);
    // A decision is told at once, with a link to it.
    let decision = sent(&backend, &reference, "decision", "Bescheid", Some(pdf("Bescheid"))).await;
    let told = notices(&app, &anna).await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told[1].contains("Neuer Bescheid im Postfach"), "{}", told[1]);
    let link = format!("/postfach/{}", decision["id"].as_str().unwrap());
    assert!(told[1].contains(&link), "{}", told[1]);
    // An hour after the last message, a message is told again.
    app.execute_at(
        "UPDATE message SET made_available_at = $1",
        Utc::now() - chrono::Duration::minutes(61),
    )
    .await;
    sent(&backend, &reference, "message", "Eine letzte Frage", None).await;
    assert_eq!(notices(&app, &anna).await.len(), 3);
}

#[tokio::test]
async fn the_citizen_replies_to_a_message_and_the_authority_reads_it_in_the_thread_once() {
    let app = spawn_app().await;
    let (anna, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    let question = sent(&backend, &reference, "message", "Wo genau steht die Laterne?", None).await;
    let href = format!("/postfach/{}", question["id"].as_str().unwrap());
    let action = format!("{href}/antwort");

    let page = anna.get(&href).await;
    assert!(page.body.contains(&format!(r#"action="{action}""#)), "{}", page.body);
    let token = page.csrf_token();
    let answer = "Vor dem Haus Heidestraße 17.";
    // U+0000, which PostgreSQL cannot store, and other control characters are left out.
    let typed = format!("{answer}\u{0}\u{1b}");
    let replied = anna.post(&action, &[("csrf_token", &token), ("antwort", &typed)]).await;
    assert_eq!(replied.status, 303, "{}", replied.body);
    assert_eq!(replied.location().unwrap(), format!("{href}?beantwortet=1"));
    assert!(
        anna.get(&replied.location().unwrap())
            .await
            .body
            .contains("Ihre Antwort wurde gesendet.")
    );
    // A double click sends it once.
    let again = anna.post(&action, &[("csrf_token", &token), ("antwort", &typed)]).await;
    assert_eq!(again.status, 303);

    let thread = backend.json(&format!("/api/v1/cases/{reference}/messages")).await;
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{thread}");
    assert_eq!(messages[1]["direction"], "from_citizen");
    assert_eq!(messages[1]["kind"], "reply");
    assert_eq!(messages[1]["body"], answer);
    assert_eq!(messages[1]["subject"], "Wo genau steht die Laterne?");

    // An empty reply is refused with a message at the field; a forged form, another citizen's
    // message and a reply to a reply are refused too; none is written.
    let empty = anna.post(&action, &[("csrf_token", &token), ("antwort", "  ")]).await;
    assert_eq!(empty.status, 422);
    assert!(
        empty
            .body
            .contains("Geben Sie Ihre Antwort ein oder fügen Sie eine Datei an."),
        "{}",
        empty.body
    );
    assert!(empty.body.contains(r#"aria-invalid="true""#));
    assert!(empty.body.contains("<title>Fehler: "), "{}", empty.body);
    let too_long = "x".repeat(5001);
    let long = anna
        .post(&action, &[("csrf_token", &token), ("antwort", &too_long)])
        .await;
    assert_eq!(long.status, 422);
    assert!(long.body.contains(&too_long), "what was typed stays");
    assert_eq!(
        anna.post(&action, &[("csrf_token", "falsch"), ("antwort", "Hallo")])
            .await
            .status,
        403
    );
    let ben = logged_in(&app, &unique("ben")).await;
    let ben_token = ben.get("/postfach").await;
    let ben_token = ben_token
        .body
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(
        ben.post(&action, &[("csrf_token", ben_token), ("antwort", "Hallo")])
            .await
            .status,
        404
    );
    let reply_id = messages[1]["id"].as_str().unwrap();
    let to_reply = anna
        .post(
            &format!("/postfach/{reply_id}/antwort"),
            &[("csrf_token", &token), ("antwort", "Noch was")],
        )
        .await;
    assert_eq!(to_reply.status, 404);
    assert!(
        !anna
            .get(&format!("/postfach/{reply_id}"))
            .await
            .body
            .contains("antwort\""),
        "no form under a reply"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM message WHERE direction = 'from_citizen'")
            .await,
        1
    );
}

/// The account's data export: konto.json and the ZIP.
async fn export(browser: &crate::helpers::Browser<'_>) -> (Json, zip::ZipArchive<std::io::Cursor<Vec<u8>>>) {
    let response = browser
        .client
        .get(format!("{}/konto/daten", browser.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut json = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("konto.json").unwrap(), &mut json).unwrap();
    (serde_json::from_str(&json).unwrap(), archive)
}

#[tokio::test]
async fn the_data_export_holds_the_postfach_with_its_files_and_only_the_citizens_own() {
    let app = spawn_app().await;
    let (anna, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    let bescheid = pdf("Bescheid");
    let decision = sent(&backend, &reference, "decision", "Bescheid", Some(bescheid.clone())).await;
    let href = format!("/postfach/{}", decision["id"].as_str().unwrap());
    let token = anna.get(&href).await.csrf_token();
    let replied = anna
        .post(
            &format!("{href}/antwort"),
            &[("csrf_token", &token), ("antwort", "Danke!")],
        )
        .await;
    assert_eq!(replied.status, 303);

    let (json, mut archive) = export(&anna).await;
    let postfach = json["postfach"].as_array().unwrap();
    assert_eq!(postfach.len(), 2, "{json}");
    let (reply, decision) = (&postfach[0], &postfach[1]);
    assert_eq!((&reply["kind"], &reply["body"]), (&"reply".into(), &"Danke!".into()));
    assert_eq!(decision["kind"], "decision");
    assert_eq!(decision["case"], reference.as_str());
    assert_eq!(decision["authority"], "Stadt Musterstadt");
    assert!(decision["first_read_at"].is_string(), "{decision}");
    let file = decision["files"][0].as_str().unwrap().to_owned();
    assert!(
        file.starts_with("postfach/") && file.ends_with("bescheid.pdf"),
        "{file}"
    );
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(&file).unwrap(), &mut content).unwrap();
    assert_eq!(content, bescheid);

    let ben = logged_in(&app, &unique("ben")).await;
    let (json, archive) = export(&ben).await;
    assert_eq!(json["postfach"], Json::Array(vec![]));
    assert!(archive.file_names().all(|name| !name.unwrap().starts_with("postfach/")));
}

#[tokio::test]
async fn the_case_page_shows_where_the_case_stands_and_all_that_happened_in_order() {
    let app = spawn_app().await;
    let (anna, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    let update = json!({"status": "RECEIVED", "note": "Wir melden uns in zwei Wochen."});
    assert_eq!(backend.set_status(&reference, "s-1", update).await.status, 200);
    let question = sent(&backend, &reference, "message", "Wo genau?", None).await;
    let decision = sent(&backend, &reference, "decision", "Reparatur beauftragt", None).await;
    let update = json!({"status": "COMPLETED"});
    assert_eq!(backend.set_status(&reference, "s-2", update).await.status, 200);

    let page = anna.get(&case_page).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.body.matches("<dt>Stand").count(),
        2,
        "delivery, and the authority's status"
    );
    let facts = &page.body[page.body.find("portal-facts").unwrap()..page.body.find("</dl>").unwrap()];
    assert!(
        facts.contains("Stand bei der Behörde") && facts.contains("Abgeschlossen"),
        "{facts}"
    );
    let history = &page.body[page.body.find(r#"id="verlauf""#).unwrap()..];
    let order: Vec<usize> = [
        "Antrag gesendet",
        "Neuer Stand: Bei der Behörde eingegangen",
        "Wir melden uns in zwei Wochen.",
        "Nachricht: Wo genau?",
        "Bescheid: Reparatur beauftragt",
        "Neuer Stand: Abgeschlossen",
    ]
    .iter()
    .map(|text| {
        history
            .find(text)
            .unwrap_or_else(|| panic!("{text} is missing: {history}"))
    })
    .collect();
    assert!(order.is_sorted(), "in the order it happened: {order:?}");
    for message in [&question, &decision] {
        let href = format!(r#"href="/postfach/{}""#, message["id"].as_str().unwrap());
        assert!(history.contains(&href), "{href}");
    }
    let case_id: String = app
        .text(&format!("SELECT id FROM cases WHERE reference = '{reference}'"))
        .await;
    assert!(history.contains(&format!("/postfach?vorgang={case_id}")));

    let english = anna.get(&format!("{case_page}?lang=en")).await;
    assert!(english.body.contains("New status: Completed"), "{}", english.body);
    // Another citizen sees nothing of it.
    let ben = logged_in(&app, &unique("ben")).await;
    assert_eq!(ben.get(&case_page).await.status, 404);
}

/// The ZIP of a case's documents as `browser` downloads it from the case's page `case_page`.
async fn case_documents(
    browser: &crate::helpers::Browser<'_>,
    case_page: &str,
) -> (u16, Option<zip::ZipArchive<std::io::Cursor<Vec<u8>>>>) {
    let response = browser
        .client
        .get(format!("{}{case_page}/unterlagen.zip", browser.app.address))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let is_zip = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t == "application/zip");
    let bytes = response.bytes().await.unwrap().to_vec();
    let archive = is_zip.then(|| zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap());
    (status, archive)
}

fn entry(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(name).unwrap(), &mut content).unwrap();
    content
}

#[tokio::test]
async fn the_citizen_downloads_a_cases_receipt_messages_and_decisions_as_one_zip_and_no_one_else_can() {
    let app = spawn_app().await;
    let (anna, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    sent(&backend, &reference, "message", "Eine Frage", None).await;
    let bescheid = pdf("Bescheid");
    let decision = sent(&backend, &reference, "decision", "Ihr Bescheid", Some(bescheid.clone())).await;
    let href = format!("/postfach/{}", decision["id"].as_str().unwrap());
    let token = anna.get(&href).await.csrf_token();
    let replied = anna
        .post(
            &format!("{href}/antwort"),
            &[("csrf_token", &token), ("antwort", "Danke!")],
        )
        .await;
    assert_eq!(replied.status, 303);

    let page = anna.get(&case_page).await;
    assert!(
        page.body.contains(&format!(r#"href="{case_page}/unterlagen.zip""#)),
        "{}",
        page.body
    );
    let (status, archive) = case_documents(&anna, &case_page).await;
    assert_eq!(status, 200);
    let mut archive = archive.expect("a ZIP");
    let mut names: Vec<String> = archive.file_names().map(|name| name.unwrap().into_owned()).collect();
    names.sort();
    let file_id = decision["attachments"][0]["id"].as_str().unwrap();
    let decision_file = format!("Nachrichten/02-Bescheid/{}-bescheid.pdf", &file_id[file_id.len() - 8..]);
    // The file's name starts with part of its random id, so it may sort before or after Text.txt.
    let mut expected = vec![
        format!("Empfangsbestaetigung-{reference}.pdf"),
        "Nachrichten/01-Nachricht/Text.txt".to_owned(),
        decision_file.clone(),
        "Nachrichten/02-Bescheid/Text.txt".to_owned(),
        "Nachrichten/03-Ihre Antwort/Text.txt".to_owned(),
    ];
    expected.sort();
    assert_eq!(names, expected, "numbered oldest first");
    assert!(entry(&mut archive, &format!("Empfangsbestaetigung-{reference}.pdf")).starts_with(b"%PDF"));
    assert_eq!(entry(&mut archive, &decision_file), bescheid);
    let text = String::from_utf8(entry(&mut archive, "Nachrichten/02-Bescheid/Text.txt")).unwrap();
    assert!(
        text.starts_with("Bescheid: Ihr Bescheid\r\nVon: Stadt Musterstadt\r\nBereitgestellt am "),
        "{text}"
    );
    assert!(text.contains("Guten Tag,\r\nbitte beachten Sie die Anlage."), "{text}");
    let reply = String::from_utf8(entry(&mut archive, "Nachrichten/03-Ihre Antwort/Text.txt")).unwrap();
    assert!(reply.contains("Von: Ihnen") && reply.contains("Danke!"), "{reply}");

    // Another citizen's case is not there for Ben; a visitor is asked to log in.
    let ben = logged_in(&app, &unique("ben")).await;
    let (status, archive) = case_documents(&ben, &case_page).await;
    assert_eq!(status, 404);
    assert!(archive.is_none());
    let (status, archive) = case_documents(&app.browser(), &case_page).await;
    assert_eq!(status, 303);
    assert!(archive.is_none());
}

#[tokio::test]
async fn a_reply_sent_twice_at_the_same_moment_is_written_once() {
    let app = spawn_app().await;
    let (anna, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    let question = sent(&backend, &reference, "message", "Eine Frage", None).await;
    let href = format!("/postfach/{}", question["id"].as_str().unwrap());
    let action = format!("{href}/antwort");
    let token = anna.get(&href).await.csrf_token();
    for round in 0..20 {
        let answer = format!("Antwort {round}");
        let fields = [("csrf_token", token.as_str()), ("antwort", answer.as_str())];
        let (a, b) = tokio::join!(anna.post(&action, &fields), anna.post(&action, &fields));
        assert_eq!((a.status, b.status), (303, 303), "{} {}", a.body, b.body);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM message WHERE direction = 'from_citizen'")
                .await,
            round + 1,
            "one reply per click, however close the two"
        );
    }
}

/// A question of the authority's to Anna, and its page's address.
async fn question_to_anna(app: &TestApp) -> (Browser<'_>, Backend<'_>, String, String) {
    let (anna, case_page) = send_case(app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(app, "musterstadt").await;
    let question = sent(&backend, &reference, "message", "Bitte senden Sie einen Nachweis", None).await;
    let href = format!("/postfach/{}", question["id"].as_str().unwrap());
    (anna, backend, reference, href)
}

/// The reply form's parts: its token, the text, then the files, as a browser sends them.
fn reply_parts(token: &str, text: &str, files: Vec<(&str, &str, Vec<u8>)>) -> Vec<FormPart> {
    let mut parts = vec![FormPart::text("csrf_token", token), FormPart::text("antwort", text)];
    for (name, mime, content) in files {
        parts.push(FormPart::file("anlage", name, mime, &content));
    }
    parts
}

#[tokio::test]
async fn a_reply_carries_files_that_the_authority_downloads_and_only_its_citizen_sees() {
    let app = spawn_app().await;
    let (anna, backend, reference, href) = question_to_anna(&app).await;
    let page = anna.get(&href).await;
    assert!(
        page.body.contains(r#"enctype="multipart/form-data""#) && page.body.contains(r#"type="file" id="anlage""#),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Erlaubt: PDF, JPEG, PNG, höchstens 10 MB je Datei, bis zu 5 Dateien.")
    );
    let nachweis = pdf("Meldebescheinigung");
    let foto = png();
    let replied = anna
        .post_multipart(
            &format!("{href}/antwort"),
            reply_parts(
                &page.csrf_token(),
                "Anbei die Nachweise.",
                vec![
                    ("meldebescheinigung.pdf", "application/pdf", nachweis.clone()),
                    ("foto.png", "image/png", foto.clone()),
                ],
            ),
        )
        .await;
    assert_eq!(replied.status, 303, "{}", replied.body);

    // The authority reads the reply with its files and downloads them as sent.
    let thread = backend.json(&format!("/api/v1/cases/{reference}/messages")).await;
    let reply = &thread["messages"][1];
    assert_eq!(reply["direction"], "from_citizen", "{thread}");
    assert_eq!(reply["body"], "Anbei die Nachweise.");
    let files = reply["attachments"].as_array().unwrap();
    let named = |name: &str| {
        files
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{thread}"))
    };
    assert_eq!(files.len(), 2, "{thread}");
    assert_eq!(named("meldebescheinigung.pdf")["type"], "application/pdf", "{thread}");
    assert_eq!(named("foto.png")["type"], "image/png");
    for (name, content) in [("meldebescheinigung.pdf", &nachweis), ("foto.png", &foto)] {
        assert_eq!(&backend.bytes(named(name)["href"].as_str().unwrap()).await, content);
    }

    // Anna sees her reply with its files in her Postfach; Ben gets none of them.
    let reply_href = format!("/postfach/{}", reply["id"].as_str().unwrap());
    let own = anna.get(&reply_href).await;
    assert!(own.body.contains("foto.png</a> (PNG, "), "{}", own.body);
    let file_href = format!("{reply_href}/datei/{}", named("foto.png")["id"].as_str().unwrap());
    assert!(own.body.contains(&file_href), "{}", own.body);
    let download = anna
        .client
        .get(format!("{}{file_href}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().to_vec(), foto);
    let ben = logged_in(&app, &unique("ben")).await;
    assert_eq!(ben.get(&file_href).await.status, 404);
    assert_eq!(ben.get(&reply_href).await.status, 404);
}

#[tokio::test]
async fn a_reply_with_a_file_that_is_not_taken_is_not_sent_keeps_its_text_and_leaves_no_file() {
    let app = spawn_app().await;
    let (anna, _backend, _reference, href) = question_to_anna(&app).await;
    let action = format!("{href}/antwort");
    let token = anna.get(&href).await.csrf_token();
    let infected = [pdf("x"), eicar().into_bytes()].concat();
    let cases = [
        (
            vec![
                ("gut.pdf", "application/pdf", pdf("gut")),
                ("scan.pdf", "application/pdf", infected),
            ],
            "In „scan.pdf“ wurde Schadsoftware gefunden.",
        ),
        (
            vec![("brief.txt", "text/plain", b"Sehr geehrte Damen und Herren".to_vec())],
            "„brief.txt“ ist keine Datei in einem erlaubten Format",
        ),
        (
            vec![("foto.pdf", "application/pdf", png())],
            "Name oder Angaben der Datei „foto.pdf“ passen nicht zu ihrem Inhalt (PNG).",
        ),
        (
            (1..=6)
                .map(|n| ("seite.png", "image/png", [png(), vec![n]].concat()))
                .collect(),
            "höchstens 5",
        ),
        (
            vec![(
                "gross.pdf",
                "application/pdf",
                [pdf("x"), vec![b' '; 10_000_001]].concat(),
            )],
            "„gross.pdf“ ist größer als 10 MB",
        ),
    ];
    for (files, told) in cases {
        let refused = anna
            .post_multipart(&action, reply_parts(&token, "Mein Nachweis", files))
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains(told), "{told}: {}", refused.body);
        assert!(refused.body.contains("Ihre Antwort wurde noch nicht gesendet."));
        assert!(refused.body.contains(r##"<a class="kern-link" href="#anlage">"##));
        assert!(
            refused.body.contains(">Mein Nachweis</textarea>"),
            "what was typed stays"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM message WHERE direction = 'from_citizen'")
            .await,
        0
    );
    assert_eq!(stored_files(&app), 0, "no file of a reply not sent is kept");

    // Files from a page of an older session are not taken; nothing is written.
    let forged = anna
        .post_multipart(
            &action,
            reply_parts("falsch", "Hallo", vec![("a.png", "image/png", png())]),
        )
        .await;
    assert_eq!(forged.status, 403);
    // After the session ended, the files are read past and the citizen is asked to log in.
    let visitor = app
        .browser()
        .post_multipart(
            &action,
            reply_parts(&token, "Hallo", vec![("a.png", "image/png", png())]),
        )
        .await;
    assert_eq!(visitor.status, 303);
    assert!(
        visitor.location().unwrap().starts_with("/anmelden"),
        "{:?}",
        visitor.location()
    );
    assert_eq!(stored_files(&app), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM message_file").await, 0);
}

#[tokio::test]
async fn a_reply_of_files_alone_is_sent_once_however_often_it_is_sent_in_a_minute() {
    let app = spawn_app().await;
    let (anna, backend, reference, href) = question_to_anna(&app).await;
    let action = format!("{href}/antwort");
    let token = anna.get(&href).await.csrf_token();
    let first = || reply_parts(&token, "", vec![("seite-1.pdf", "application/pdf", pdf("Seite 1"))]);
    for _ in 0..2 {
        assert_eq!(anna.post_multipart(&action, first()).await.status, 303);
    }
    // The same empty text with another file is another reply.
    let second = reply_parts(&token, "", vec![("seite-2.pdf", "application/pdf", pdf("Seite 2"))]);
    assert_eq!(anna.post_multipart(&action, second).await.status, 303);
    let thread = backend.json(&format!("/api/v1/cases/{reference}/messages")).await;
    let names: Vec<&str> = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "from_citizen")
        .map(|m| m["attachments"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["seite-1.pdf", "seite-2.pdf"], "{thread}");
    assert_eq!(stored_files(&app), 2, "the file of the repeated reply is not kept");
}
