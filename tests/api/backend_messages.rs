//! Messages and decisions (Bescheide) from the authority's backend into a case's thread: PDFs only,
//! scanned, once per Idempotency-Key, and nothing kept of a request that is refused.

use chrono::Utc;
use reqwest::multipart::{Form, Part};
use serde_json::{Value as Json, json};

use crate::backend_api::{Backend, case_at, problem};
use crate::evidence::{eicar, pdf, png};
use crate::helpers::{Page, TestApp, spawn_app};

pub(crate) fn message(kind: &str, subject: &str) -> Json {
    json!({"kind": kind, "subject": subject, "body": "Sehr geehrte Frau Muster,\n\nanbei Ihr Bescheid."})
}

pub(crate) fn pdf_part(name: &str, content: Vec<u8>) -> Part {
    Part::bytes(content)
        .file_name(name.to_owned())
        .mime_str("application/pdf")
        .unwrap()
}

/// The form of a message with these attachments.
pub(crate) fn form(message: &Json, files: Vec<Part>) -> Form {
    let mut form = Form::new().text("message", message.to_string());
    for file in files {
        form = form.part("attachment", file);
    }
    form
}

pub(crate) async fn send(backend: &Backend<'_>, reference: &str, key: &str, form: Form) -> Page {
    let response = backend
        .app
        .client
        .post(format!("{}/api/v1/cases/{reference}/messages", backend.app.address))
        .header("authorization", format!("Bearer {}", backend.token))
        .header("idempotency-key", key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Page::from(response).await
}

/// How many files the attachment store holds (the app's data directory is beside its mail).
pub(crate) fn stored_files(app: &TestApp) -> usize {
    let files = app.mail_dir.parent().unwrap().join("files");
    walk(&files)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
            .sum()
    })
}

#[tokio::test]
async fn a_decision_with_its_pdf_joins_the_cases_thread_once_per_key() {
    let app = spawn_app().await;
    case_at(&app, "musterstadt", "MS-1", "PROCESSING", Utc::now()).await;
    let backend = Backend::of(&app, "musterstadt").await;
    let decision = message("decision", "Bescheid über Ihren Anwohnerparkausweis");
    let bescheid = pdf("Bescheid");

    let sent = send(
        &backend,
        "MS-1",
        "m-1",
        form(&decision, vec![pdf_part("bescheid.pdf", bescheid.clone())]),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let answer: Json = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(answer["kind"], "decision");
    assert_eq!(answer["direction"], "to_citizen");
    assert_eq!(answer["subject"], "Bescheid über Ihren Anwohnerparkausweis");
    assert_eq!(answer["first_read_at"], Json::Null);
    let files = answer["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{answer}");
    assert_eq!(files[0]["name"], "bescheid.pdf");
    assert_eq!(files[0]["type"], "application/pdf");
    use sha2::Digest;
    assert_eq!(files[0]["sha256"], hex::encode(sha2::Sha256::digest(&bescheid)));

    // The repeat gets the first answer; its own copy of the file is not kept.
    let repeat = send(
        &backend,
        "MS-1",
        "m-1",
        form(&decision, vec![pdf_part("bescheid.pdf", bescheid.clone())]),
    )
    .await;
    assert_eq!((repeat.status, &repeat.body), (201, &sent.body));
    assert_eq!(repeat.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(app.count("SELECT COUNT(*) FROM message").await, 1);
    assert_eq!(stored_files(&app), 1);
    let other_file = send(
        &backend,
        "MS-1",
        "m-1",
        form(&decision, vec![pdf_part("bescheid.pdf", pdf("anders"))]),
    )
    .await;
    problem(&other_file, 422);
    assert_eq!(stored_files(&app), 1);

    let question = send(&backend, "MS-1", "m-2", form(&message("message", "Rückfrage"), vec![])).await;
    assert_eq!(question.status, 201, "{}", question.body);
    let thread = backend.json("/api/v1/cases/MS-1/messages").await;
    let messages = thread["messages"].as_array().unwrap();
    let kinds: Vec<&str> = messages.iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["decision", "message"], "oldest first");
    assert_eq!(messages[0], answer, "the thread shows it as it was answered");

    let href = files[0]["href"].as_str().unwrap();
    assert_eq!(backend.bytes(href).await, bescheid);

    // Another tenant's token finds neither the thread nor the file, nor can it write.
    let other = Backend::of(&app, "landkreis-musterland").await;
    problem(&other.get("/api/v1/cases/MS-1/messages").await, 404);
    problem(&other.get(href).await, 404);
    let theirs = send(
        &other,
        "MS-1",
        "m-3",
        form(&message("message", "Hallo"), vec![pdf_part("a.pdf", pdf("x"))]),
    )
    .await;
    problem(&theirs, 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM message").await, 2);
    assert_eq!(stored_files(&app), 1);

    // The sweep of files without a row keeps a message's files.
    let attachments = buergerportal::attachments::Attachments::new(
        app.mail_dir.parent().unwrap(),
        "",
        buergerportal::attachments::Scanner::Off,
    )
    .await
    .unwrap();
    let later = Utc::now() + chrono::Duration::hours(2);
    let swept = buergerportal::housekeeping::sweep(&app.db, "knoten", &attachments, later).await;
    assert_eq!(swept.unwrap(), 0);
    assert_eq!(stored_files(&app), 1);
}

#[tokio::test]
async fn a_message_that_is_wrong_is_refused_with_the_reason_and_keeps_no_file() {
    let app = spawn_app().await;
    case_at(&app, "musterstadt", "MS-1", "PROCESSING", Utc::now()).await;
    let backend = Backend::of(&app, "musterstadt").await;
    let ok = message("message", "Rückfrage");
    let good = || pdf_part("bescheid.pdf", pdf("gut"));
    let cases: Vec<(Form, u16, &str)> = vec![
        (
            form(
                &ok,
                vec![
                    good(),
                    Part::bytes(png())
                        .file_name("bild.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                ],
            ),
            422,
            "not a PDF",
        ),
        (
            form(&ok, vec![good(), Part::bytes(pdf("x")).file_name("bescheid.txt")]),
            422,
            "not a PDF",
        ),
        (
            form(
                &ok,
                vec![good(), Part::bytes(eicar().into_bytes()).file_name("virus.pdf")],
            ),
            422,
            "not a PDF",
        ),
        (
            form(
                &ok,
                vec![good(), pdf_part("virus.pdf", [pdf("x"), eicar().into_bytes()].concat())],
            ),
            422,
            "malware",
        ),
        (form(&ok, vec![good(), pdf_part("leer.pdf", vec![])]), 422, "empty"),
        (
            form(&ok, (0..11).map(|i| pdf_part(&format!("{i}.pdf"), pdf("x"))).collect()),
            422,
            "at most 10",
        ),
        (form(&message("reply", "Antwort"), vec![good()]), 422, "kind"),
        (form(&message("message", "  "), vec![good()]), 422, "subject"),
        (
            form(&message("message", &"x".repeat(201)), vec![good()]),
            422,
            "subject",
        ),
        (
            form(
                &json!({"kind": "message", "subject": "a", "body": "b", "copy": true}),
                vec![good()],
            ),
            400,
            "unknown field",
        ),
        (Form::new().part("attachment", good()), 400, "part named message"),
        (
            Form::new().text("message", ok.to_string()).text("notiz", "x"),
            400,
            "unknown part",
        ),
        (
            Form::new()
                .text("message", ok.to_string())
                .part("attachment", Part::bytes(pdf("x"))),
            400,
            "filename",
        ),
    ];
    for (i, (form, status, says)) in cases.into_iter().enumerate() {
        let refused = send(&backend, "MS-1", &format!("k-{i}"), form).await;
        assert_eq!(refused.status, status, "{i}: {}", refused.body);
        let body = problem(&refused, status);
        assert!(body["detail"].as_str().unwrap().contains(says), "{i}: {body}");
    }
    let not_multipart = app
        .client
        .post(format!("{}/api/v1/cases/MS-1/messages", app.address))
        .header("authorization", format!("Bearer {}", backend.token))
        .header("idempotency-key", "k-json")
        .header("content-type", "application/json")
        .body(ok.to_string())
        .send()
        .await
        .unwrap();
    problem(&Page::from(not_multipart).await, 400);
    let too_large = pdf_part("gross.pdf", [pdf("x"), vec![b' '; 20 * 1024 * 1024]].concat());
    let refused = send(&backend, "MS-1", "k-large", form(&ok, vec![good(), too_large])).await;
    assert!(
        problem(&refused, 422)["detail"]
            .as_str()
            .unwrap()
            .contains("larger than")
    );
    let unknown = send(&backend, "MS-404", "k-404", form(&ok, vec![good()])).await;
    problem(&unknown, 404);

    assert_eq!(app.count("SELECT COUNT(*) FROM message").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM message_file").await, 0);
    assert_eq!(stored_files(&app), 0, "no file of a refused request is kept");
}

#[tokio::test]
async fn the_same_message_sent_twice_at_once_is_made_once_and_its_files_kept_once() {
    let app = spawn_app().await;
    let (_, case_page) = crate::delivery::send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    for round in 0..3 {
        let key = format!("m-{round}");
        let sent = message("decision", &format!("Bescheid {round}"));
        let (a, b) = tokio::join!(
            send(
                &backend,
                &reference,
                &key,
                form(&sent, vec![pdf_part("bescheid.pdf", pdf("Bescheid"))])
            ),
            send(
                &backend,
                &reference,
                &key,
                form(&sent, vec![pdf_part("bescheid.pdf", pdf("Bescheid"))])
            )
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert!(
            matches!(statuses, [201, 201] | [201, 409]),
            "{statuses:?}: {} {}",
            a.body,
            b.body
        );
        let made = round + 1;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM message").await,
            made,
            "one message per key"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM message_file").await, made);
        assert_eq!(
            stored_files(&app),
            made as usize,
            "the second request's file is not kept"
        );
    }
}

#[tokio::test]
async fn a_message_without_a_valid_token_is_refused_before_its_files_are_read() {
    let app = spawn_app().await;
    let (_, case_page) = crate::delivery::send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    let forged = Backend {
        app: &app,
        token: format!("{}x", backend.token),
    };
    let sent = message("decision", "Bescheid");
    let page = send(
        &forged,
        &reference,
        "k-1",
        form(&sent, vec![pdf_part("bescheid.pdf", pdf("Bescheid"))]),
    )
    .await;
    problem(&page, 401);
    assert_eq!(app.count("SELECT COUNT(*) FROM message").await, 0);
    assert_eq!(stored_files(&app), 0, "no file of an anonymous request is stored");
}
