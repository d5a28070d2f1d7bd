//! Evidence uploads on a form step: streamed, limited, checked by content, scanned by a real clamd,
//! kept with the draft and then the case, downloadable by the owner alone; every bad upload gets a
//! message at its field and leaves nothing behind.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::applications::{logged_in, post_step, send_draft, start, unique};
use crate::helpers::{Browser, FormPart, Page, TestApp, copy_of_demo_tenants, spawn_with};

/// A form with two file fields on its first step, `ausweis` (PDF or PNG, at most 2 MB each, two
/// files) and the optional `foto` (JPEG), and a step with a `vollmacht` file for those who answer
/// `vertreten` with yes; 3 MB in all.
const EVIDENCE_FORM: &str = r#"
version = 1
max_upload_mb = 3

[[steps]]
id = "belege"
title = { de = "Ihre Nachweise", en = "Your evidence" }

  [[steps.fields]]
  id = "ausweis"
  kind = "file"
  label = { de = "Kopie Ihres Ausweises", en = "Copy of your ID card" }
  accept = ["pdf", "png"]
  max_size_mb = 2
  max_files = 2

  [[steps.fields]]
  id = "foto"
  kind = "file"
  label = { de = "Foto", en = "Photo" }
  accept = ["jpeg"]
  required = false

  [[steps.fields]]
  id = "vertreten"
  kind = "yesno"
  label = { de = "Handeln Sie für eine andere Person?", en = "Are you acting for someone else?" }
  required = false

[[steps]]
id = "vollmacht"
title = { de = "Ihre Vollmacht", en = "Your power of attorney" }
when = { var = "vertreten" }

  [[steps.fields]]
  id = "vollmacht"
  kind = "file"
  label = { de = "Vollmacht", en = "Power of attorney" }
"#;

/// The demo tenants with the service `nachweis` in Musterstadt, which asks for `EVIDENCE_FORM`.
fn catalogue_with_evidence_form() -> TempDir {
    let catalogue = copy_of_demo_tenants();
    add_evidence_form(catalogue.path());
    catalogue
}

/// Adds the service `nachweis` with `EVIDENCE_FORM` to Musterstadt in a copy of the catalogue.
pub(crate) fn add_evidence_form(catalogue: &Path) {
    let tenant = catalogue.join("musterstadt");
    let service = std::fs::read_to_string(tenant.join("services/kontakt.toml"))
        .unwrap()
        .replacen(r#"slug = "kontakt""#, r#"slug = "nachweis""#, 1);
    std::fs::write(tenant.join("services/nachweis.toml"), service).unwrap();
    std::fs::write(tenant.join("forms/nachweis.toml"), EVIDENCE_FORM).unwrap();
}

pub(crate) async fn app_with_evidence_form(
    customise: impl FnOnce(&mut buergerportal::config::Settings),
) -> (TestApp, TempDir) {
    let catalogue = catalogue_with_evidence_form();
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(move |s| {
        s.tenants_dir = dir;
        s.development_plaintext_delivery = true;
        customise(s);
    })
    .await;
    (app, catalogue)
}

pub(crate) fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj <<>> endobj\n% {text}\ntrailer <<>>\n%%EOF\n").into_bytes()
}

pub(crate) fn png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    png.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    png
}

/// The EICAR test file, put together at run time so that no scanner flags this source file.
pub(crate) fn eicar() -> String {
    format!(
        "{}{}",
        r"X5O!P%@AP[4\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    )
}

/// The files in the app's attachment store.
fn stored(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                walk(&entry.path(), found);
            } else {
                found.push(entry.path());
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.mail_dir.parent().unwrap().join("files"), &mut found);
    found
}

/// Sends the step page's form with the given files, CSRF token first as the page does, and the
/// pressed button `aktion`.
pub(crate) async fn send_files(browser: &Browser<'_>, step: &str, files: Vec<FormPart>, aktion: &str) -> Page {
    let form = browser.get(step).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains(r#"enctype="multipart/form-data""#));
    let mut parts = vec![FormPart::text("csrf_token", &form.csrf_token())];
    parts.extend(files);
    parts.push(FormPart::text("aktion", aktion));
    browser.post_multipart(step, parts).await
}

pub(crate) async fn evidence_step(browser: &Browser<'_>) -> String {
    let draft = start(browser, "nachweis").await;
    format!("{draft}/schritt/belege")
}

#[tokio::test]
async fn an_uploaded_file_stays_with_the_draft_and_only_its_owner_can_download_it() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let anna_email = unique("anna");
    let anna = logged_in(&app, &anna_email).await;
    let step = evidence_step(&anna).await;

    // The limits are on the page before a file is chosen.
    let page = anna.get(&step).await;
    assert!(
        page.body
            .contains("Erlaubt: PDF, PNG, höchstens 2 MB je Datei, bis zu 2 Dateien."),
        "{}",
        page.body
    );
    let content = pdf("Ausweis von Anna");
    let uploaded = send_files(
        &anna,
        &step,
        vec![FormPart::file(
            "ausweis",
            "C:\\Scans\\ausweis.pdf",
            "application/pdf",
            &content,
        )],
        "hochladen:ausweis",
    )
    .await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    assert_eq!(uploaded.location().unwrap(), format!("{step}#ausweis"));
    let page = anna.get(&step).await;
    assert!(page.body.contains(">ausweis.pdf</a>"), "{}", page.body);
    assert!(page.body.contains("(1 kB)"));
    assert_eq!(stored(&app).len(), 1);

    // The download: the file as sent, as an attachment that never renders in the portal.
    let href = page
        .body
        .split(r#"<a class="kern-link" href=""#)
        .find_map(|rest| rest.split('"').next().filter(|h| h.contains("/datei/")))
        .unwrap()
        .to_owned();
    let download = anna.client.get(format!("{}{href}", app.address)).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let header = |name: &str| download.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/pdf");
    assert!(header("content-disposition").starts_with("attachment"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(download.bytes().await.unwrap().to_vec(), content);

    // Another citizen gets what a stranger gets.
    let ben = logged_in(&app, &unique("ben")).await;
    assert_eq!(ben.get(&href).await.status, 404);
    let anonymous = app.browser().get(&href).await;
    assert_eq!(anonymous.status, 303, "to the login");

    // A new login finds the file still there; removing it deletes it from the store.
    let again = app.browser();
    again.log_in(&anna_email, "Lange genug und geheim 42").await;
    let page = again.get(&step).await;
    assert!(page.body.contains(">ausweis.pdf</a>"));
    let id = href.rsplit('/').next().unwrap();
    let removed = again
        .post_multipart(
            &step,
            vec![
                FormPart::text("csrf_token", &page.csrf_token()),
                FormPart::text("aktion", &format!("datei-entfernen:{id}")),
            ],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert!(!again.get(&step).await.body.contains("ausweis.pdf"));
    assert!(stored(&app).is_empty(), "the file is gone from the store");
    assert_eq!(again.get(&href).await.status, 404);
}

#[tokio::test]
async fn each_bad_file_gets_a_message_at_its_field_and_nothing_is_kept() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let mut with_eicar = pdf("").to_vec();
    with_eicar.extend_from_slice(eicar().as_bytes());
    let cases: Vec<(FormPart, &str)> = vec![
        (
            FormPart::file("ausweis", "gross.pdf", "application/pdf", &{
                let mut big = pdf("");
                big.resize(2_000_001, b' ');
                big
            }),
            "„gross.pdf“ ist größer als 2 MB",
        ),
        (
            FormPart::file("ausweis", "leer.pdf", "application/pdf", b""),
            "„leer.pdf“ ist leer",
        ),
        (
            FormPart::file(
                "ausweis",
                "seite.pdf",
                "text/html",
                b"<html><script>alert(1)</script></html>",
            ),
            "„seite.pdf“ ist keine Datei in einem erlaubten Format",
        ),
        (
            FormPart::file("ausweis", "bild.png", "image/png", &pdf("kein Bild")),
            "Name oder Angaben der Datei „bild.png“ passen nicht zu ihrem Inhalt (PDF)",
        ),
        (
            FormPart::file("foto", "foto.jpg", "image/jpeg", &png()),
            "„foto.jpg“ ist keine Datei in einem erlaubten Format",
        ),
        (
            FormPart::file("ausweis", "rechnung.pdf", "application/pdf", &with_eicar),
            "In „rechnung.pdf“ wurde Schadsoftware gefunden",
        ),
        (
            FormPart::file("ausweis", "../../etc/passwd.pdf", "application/pdf", b""),
            "„passwd.pdf“ ist leer",
        ),
    ];
    for (file, message) in cases {
        let page = send_files(&anna, &step, vec![file], "weiter").await;
        assert_eq!(page.status, 422, "{message}: {}", page.body);
        assert!(page.body.contains(message), "{message}: {}", page.body);
        assert!(page.body.contains(r##"href="#ausweis""##) || page.body.contains(r##"href="#foto""##));
        assert!(stored(&app).is_empty(), "{message}: nothing kept");
        assert_eq!(app.count("SELECT COUNT(*) FROM attachment").await, 0);
    }
    // A NUL in a file name cannot be in a header: the request is refused as a whole.
    let nul = send_files(
        &anna,
        &step,
        vec![FormPart::file("ausweis", "a\0.png", "image/png", &png())],
        "weiter",
    )
    .await;
    assert_eq!(nul.status, 400);
    assert!(stored(&app).is_empty());
    // A file name of 5,000 characters is shown cut, with its ending.
    let long = format!("{}.png", "n".repeat(5000));
    let page = send_files(
        &anna,
        &step,
        vec![FormPart::file("ausweis", &long, "image/png", &png())],
        "hochladen:ausweis",
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let shown = anna.get(&step).await;
    assert!(
        shown.body.contains(&format!(">{}.png</a>", "n".repeat(116))),
        "{}",
        shown.body
    );
}

#[tokio::test]
async fn limits_of_count_and_total_hold_and_a_required_file_is_asked_for() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let page = post_step(&anna, &step, &[]).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("Laden Sie „Kopie Ihres Ausweises“ hoch."),
        "{}",
        page.body
    );

    // Two files at once fit; a third does not.
    let mut big = pdf("");
    big.resize(1_400_000, b' ');
    let two = send_files(
        &anna,
        &step,
        vec![
            FormPart::file("ausweis", "vorne.pdf", "application/pdf", &big),
            FormPart::file("ausweis", "hinten.png", "image/png", &png()),
        ],
        "hochladen:ausweis",
    )
    .await;
    assert_eq!(two.status, 303, "{}", two.body);
    let third = send_files(
        &anna,
        &step,
        vec![FormPart::file("ausweis", "noch.pdf", "application/pdf", &pdf(""))],
        "hochladen:ausweis",
    )
    .await;
    assert_eq!(third.status, 422);
    assert!(
        third
            .body
            .contains("„noch.pdf“ wurde nicht gespeichert: Hier können Sie höchstens 2 Dateien hochladen.")
    );
    // 1.4 MB + 1.7 MB would be more than the form's 3 MB.
    let mut photo = b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec();
    photo.resize(1_700_000, 0);
    let over = send_files(
        &anna,
        &step,
        vec![FormPart::file("foto", "foto.jpg", "image/jpeg", &photo)],
        "weiter",
    )
    .await;
    assert_eq!(over.status, 422);
    assert!(
        over.body
            .contains("Alle Dateien dieses Antrags zusammen dürfen höchstens 3 MB groß sein.")
    );
    assert_eq!(stored(&app).len(), 2, "only the two kept files");
    assert_eq!(app.count("SELECT COUNT(*) FROM attachment").await, 2);

    // With its files the step is done; sending the application hands them to the case.
    let next = post_step(&anna, &step, &[]).await;
    assert_eq!(next.status, 303, "{}", next.body);
    let draft = step.trim_end_matches("/schritt/belege");
    let check = anna.get(&format!("{draft}/pruefen")).await;
    assert!(check.body.contains("vorne.pdf (1,4 MB)"), "{}", check.body);
    let sent = send_draft(&anna, draft).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attachment WHERE case_id IS NOT NULL AND draft_id IS NULL")
            .await,
        2
    );
    assert_eq!(stored(&app).len(), 2);

    // The case lists them to download; the receipt names each with its SHA-256.
    let done = anna.get(&sent.location().unwrap()).await;
    assert!(
        done.body.contains("Ihre Nachweise") && done.body.contains(">vorne.pdf</a>"),
        "{}",
        done.body
    );
    let href = done
        .body
        .split(r#"<a class="kern-link" href=""#)
        .find_map(|rest| rest.split('"').next().filter(|h| h.contains("/datei/")))
        .unwrap()
        .to_owned();
    let file = anna.client.get(format!("{}{href}", app.address)).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().len(), 1_400_000);
    let ben = logged_in(&app, &unique("ben")).await;
    assert_eq!(ben.get(&href).await.status, 404, "another citizen");
    let sha = hex_sha256(&big);
    let summary = app.text("SELECT CAST(summary AS TEXT) FROM cases").await;
    assert!(
        summary.contains(&format!("vorne.pdf (1,4 MB), SHA-256 {sha}")),
        "{summary}"
    );

    // The authority's mailbox gets the case with the files attached.
    let reference = sent.location().unwrap().rsplit('/').next().unwrap().to_owned();
    let mut delivered = None;
    for _ in 0..100 {
        delivered = app
            .mails_to("antraege@musterstadt.example")
            .await
            .into_iter()
            .find(|m| m.contains(&reference));
        if delivered.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mail = delivered.expect("the case mailed to the authority");
    assert!(mail.contains(&format!("vorne.pdf (1400000 Bytes): {sha}")), "{mail}");
    assert!(mail.contains(r#"filename="vorne.pdf""#) && mail.contains(r#"filename="hinten.png""#));
}

fn hex_sha256(content: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(content))
}

#[tokio::test]
async fn a_deleted_draft_takes_its_files_and_the_sweep_removes_files_without_a_row() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let sent = send_files(
        &anna,
        &step,
        vec![FormPart::file("ausweis", "a.pdf", "application/pdf", &pdf(""))],
        "hochladen:ausweis",
    )
    .await;
    assert_eq!(sent.status, 303);
    assert_eq!(stored(&app).len(), 1);
    let draft = step.trim_end_matches("/schritt/belege");
    let deleted = anna
        .submit(&format!("{draft}/loeschen"), &format!("{draft}/loeschen"), &[])
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert!(stored(&app).is_empty());

    // A file left by a crash between storing and recording: removed once it is an hour old.
    let orphan = app.mail_dir.parent().unwrap().join("files/verwaist");
    std::fs::write(&orphan, b"%PDF-1.4").unwrap();
    let attachments = buergerportal::attachments::Attachments::new(
        app.mail_dir.parent().unwrap(),
        "",
        buergerportal::attachments::Scanner::Off,
    )
    .await
    .unwrap();
    let now = chrono::Utc::now();
    let sweep = |at| buergerportal::housekeeping::sweep(&app.db, "knoten", &attachments, at);
    assert_eq!(sweep(now).await.unwrap(), 0, "too young");
    assert!(orphan.exists());
    let later = now + chrono::Duration::minutes(70);
    assert_eq!(sweep(later).await.unwrap(), 1);
    assert!(!orphan.exists());
}

#[tokio::test]
async fn a_file_before_the_form_token_or_a_broken_body_keeps_nothing() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let token = anna.get(&step).await.csrf_token();
    let file = || FormPart::file("ausweis", "a.pdf", "application/pdf", &pdf(""));
    for parts in [
        vec![file(), FormPart::text("csrf_token", &token)],
        vec![FormPart::text("csrf_token", "gefälscht"), file()],
        vec![file()],
    ] {
        let page = anna.post_multipart(&step, parts).await;
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(stored(&app).is_empty());
    }
    // A body cut off in the middle of a file.
    let boundary = "grenze";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"ausweis\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 abgeschnitten"
    );
    let response = anna
        .client
        .post(format!("{}{step}", app.address))
        .header("Origin", &app.address)
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(stored(&app).is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM attachment").await, 0);
}

#[tokio::test]
async fn without_a_scanner_answering_an_upload_is_refused_and_nothing_is_kept() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (app, _catalogue) = app_with_evidence_form(move |s| s.virus_scan = closed.to_string()).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let page = send_files(
        &anna,
        &step,
        vec![FormPart::file("ausweis", "a.pdf", "application/pdf", &pdf(""))],
        "hochladen:ausweis",
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("„a.pdf“ konnte gerade nicht geprüft werden und wurde nicht gespeichert. Bitte versuchen Sie es später erneut."),
        "{}",
        page.body
    );
    assert!(stored(&app).is_empty());
}

#[tokio::test]
async fn files_can_be_kept_in_s3_compatible_storage() {
    let bucket = std::env::var("TEST_S3_BUCKET")
        .expect("TEST_S3_BUCKET is not set: run the tests with scripts/test, which starts moto");
    let prefix = format!("test-{}", uuid::Uuid::now_v7().simple());
    let setting = format!("s3://{bucket}/{prefix}");
    let (app, _catalogue) = app_with_evidence_form(move |s| s.attachment_store = setting).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let content = pdf("in S3");
    let file = FormPart::file("ausweis", "a.pdf", "application/pdf", &content);
    let sent = send_files(&anna, &step, vec![file], "hochladen:ausweis").await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert!(stored(&app).is_empty(), "nothing in the data directory");
    let store = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&bucket)
        .build()
        .unwrap();
    let listed = || async {
        use futures_util::TryStreamExt;
        use object_store::ObjectStore;
        let prefix = object_store::path::Path::from(prefix.as_str());
        store.list(Some(&prefix)).try_collect::<Vec<_>>().await.unwrap()
    };
    assert_eq!(listed().await.len(), 1);
    let page = anna.get(&step).await;
    let href = page
        .body
        .split(r#"<a class="kern-link" href=""#)
        .find_map(|rest| rest.split('"').next().filter(|h| h.contains("/datei/")))
        .unwrap()
        .to_owned();
    let download = anna.client.get(format!("{}{href}", app.address)).send().await.unwrap();
    assert_eq!(download.bytes().await.unwrap().to_vec(), content);
    let id = href.rsplit('/').next().unwrap();
    let removed = anna
        .post_multipart(
            &step,
            vec![
                FormPart::text("csrf_token", &page.csrf_token()),
                FormPart::text("aktion", &format!("datei-entfernen:{id}")),
            ],
        )
        .await;
    assert_eq!(removed.status, 303);
    assert!(listed().await.is_empty(), "removed from the bucket");
}

#[tokio::test]
async fn a_file_of_a_question_that_no_longer_applies_is_not_sent() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let draft = step.trim_end_matches("/schritt/belege").to_owned();
    let ausweis = FormPart::file("ausweis", "ausweis.pdf", "application/pdf", &pdf("Ausweis"));
    let first = send_files(&anna, &step, vec![ausweis, FormPart::text("vertreten", "ja")], "weiter").await;
    assert_eq!(first.location().unwrap(), format!("{draft}/schritt/vollmacht"));
    let vollmacht = FormPart::file("vollmacht", "vollmacht.pdf", "application/pdf", &pdf("Vollmacht"));
    let second = send_files(&anna, &format!("{draft}/schritt/vollmacht"), vec![vollmacht], "weiter").await;
    assert_eq!(second.status, 303, "{}", second.body);
    // Anna acts for herself after all: the power of attorney no longer applies.
    let changed = post_step(&anna, &step, &[("vertreten", "nein")]).await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let check = anna.get(&format!("{draft}/pruefen")).await;
    assert!(!check.body.contains("vollmacht.pdf"), "{}", check.body);
    let sent = send_draft(&anna, &draft).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM attachment").await, 1);
    assert_eq!(
        app.text("SELECT name FROM attachment WHERE case_id IS NOT NULL").await,
        "ausweis.pdf"
    );
    // Its stored file goes with the next sweep.
    let attachments = buergerportal::attachments::Attachments::new(
        app.mail_dir.parent().unwrap(),
        "",
        buergerportal::attachments::Scanner::Off,
    )
    .await
    .unwrap();
    let later = chrono::Utc::now() + chrono::Duration::minutes(70);
    assert_eq!(
        buergerportal::housekeeping::sweep(&app.db, "knoten", &attachments, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(stored(&app).len(), 1);
}

#[tokio::test]
async fn an_account_sends_at_most_a_hundred_files_an_hour() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let anna = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&anna).await;
    let token = anna.get(&step).await.csrf_token();
    let post = |name: &'static str| {
        let (anna, step, token) = (&anna, &step, &token);
        async move {
            let file = || FormPart::file("ausweis", name, "application/pdf", &pdf(name));
            let parts = vec![
                FormPart::text("csrf_token", token),
                file(),
                file(),
                FormPart::text("aktion", "hochladen:ausweis"),
            ];
            anna.post_multipart(step, parts).await
        }
    };
    // Fifty posts of two files: the field keeps two, refuses the others, and each one counts.
    for _ in 0..50 {
        let page = post("a.pdf").await;
        assert!(page.status == 303 || page.status == 422, "{}", page.body);
    }
    let over = post("zuviel.pdf").await;
    assert_eq!(over.status, 422);
    assert!(
        over.body
            .contains("„zuviel.pdf“ wurde nicht gespeichert: In der letzten Stunde wurden von Ihnen sehr viele Dateien hochgeladen."),
        "{}",
        over.body
    );
    // Another citizen at the same address still can.
    let ben = logged_in(&app, &unique("ben")).await;
    let theirs = evidence_step(&ben).await;
    let file = FormPart::file("ausweis", "b.pdf", "application/pdf", &pdf("b"));
    assert_eq!(
        send_files(&ben, &theirs, vec![file], "hochladen:ausweis").await.status,
        303
    );
    assert_eq!(stored(&app).len(), 3, "Anna's two and Ben's one");
}
