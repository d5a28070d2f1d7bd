//! The backend API (`/api/v1`): the authority's backend reads its own tenant's cases with its token,
//! page by page, and nothing of another tenant's.

use buergerportal::db::api_tokens;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value as Json;

use crate::delivery::{send_case, send_evidence_case};
use crate::evidence::app_with_evidence_form;
use crate::helpers::{Page, TestApp, spawn_app};

/// A backend: the app and the token it calls with.
pub(crate) struct Backend<'a> {
    pub(crate) app: &'a TestApp,
    pub(crate) token: String,
}

impl<'a> Backend<'a> {
    /// A backend with a new token of `tenant` (made as `api-token create` makes it; the command is
    /// tested in api_tokens.rs, and a second process on a SQLite file under load may find it locked).
    pub(crate) async fn of(app: &'a TestApp, tenant: &str) -> Self {
        let (_, token) = api_tokens::create(&app.db, tenant, "Fachverfahren")
            .await
            .unwrap()
            .unwrap();
        Self { app, token }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        let bearer = format!("Bearer {}", self.token);
        self.app.get_with(path, &[("authorization", &bearer)]).await
    }

    /// POSTs `body` with this Idempotency-Key (none when empty).
    async fn post(&self, path: &str, key: &str, body: impl Into<reqwest::Body>) -> Result<Page, reqwest::Error> {
        let mut request = self
            .app
            .client
            .post(format!("{}{path}", self.app.address))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(body);
        if !key.is_empty() {
            request = request.header("idempotency-key", key);
        }
        Ok(Page::from(request.send().await?).await)
    }

    /// Sets a status; the answer.
    pub(crate) async fn set_status(&self, reference: &str, key: &str, update: Json) -> Page {
        let path = format!("/api/v1/cases/{reference}/status");
        self.post(&path, key, update.to_string()).await.unwrap()
    }

    /// The bytes of a 200 answer (a file's download).
    pub(crate) async fn bytes(&self, path: &str) -> Vec<u8> {
        let response = self
            .app
            .client
            .get(format!("{}{path}", self.app.address))
            .header("authorization", format!("Bearer {}", self.token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().await.unwrap().to_vec()
    }

    /// The JSON of a 200 answer.
    pub(crate) async fn json(&self, path: &str) -> Json {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_eq!(page.header("content-type").as_deref(), Some("application/json"));
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"), "{path}");
        serde_json::from_str(&page.body).unwrap()
    }
}

/// A problem answer (RFC 9457) of this status; its body.
pub(crate) fn problem(page: &Page, status: u16) -> Json {
    assert_eq!(page.status, status, "{}", page.body);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("application/problem+json"),
        "{}",
        page.body
    );
    let body: Json = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["status"], status);
    body
}

fn references(listed: &Json) -> Vec<String> {
    listed["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reference"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_backend_reads_its_tenants_case_and_no_other_token_learns_that_it_exists() {
    let app = spawn_app().await;
    let (_, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let musterstadt = Backend::of(&app, "musterstadt").await;
    let other = Backend::of(&app, "landkreis-musterland").await;

    let case = musterstadt.json(&format!("/api/v1/cases/{reference}")).await;
    assert_eq!(case["case"]["reference"], reference.as_str());
    assert_eq!(case["case"]["tenant"], "musterstadt");
    assert_eq!(case["case"]["service"], "kontakt");
    assert_eq!(case["case"]["status"], "SUBMITTED");
    let submitted_at = case["case"]["submitted_at"].as_str().unwrap();
    assert!(DateTime::parse_from_rfc3339(submitted_at).is_ok(), "{case}");
    let answers = case["answers"].as_object().unwrap();
    assert!(
        answers
            .values()
            .any(|v| v.as_str().is_some_and(|s| s.contains("@example.de"))),
        "the citizen's answers, as given: {case}"
    );
    assert!(!case["summary"].as_array().unwrap().is_empty(), "{case}");
    assert_eq!(case["attachments"], Json::Array(vec![]));
    assert_eq!(case["payment"], Json::Null, "the contact form costs nothing");

    let listed = musterstadt.json("/api/v1/cases").await;
    assert_eq!(references(&listed), vec![reference.clone()]);
    assert_eq!(listed["cases"][0]["href"], format!("/api/v1/cases/{reference}"));
    assert_eq!(listed["cases"][0]["status"], "SUBMITTED");
    assert_eq!(listed["next"], Json::Null);

    // Another tenant's token: an empty list, and the case looks like one that does not exist.
    assert_eq!(references(&other.json("/api/v1/cases").await), Vec::<String>::new());
    let theirs = other.get(&format!("/api/v1/cases/{reference}")).await;
    let missing = musterstadt.get("/api/v1/cases/BP-0000-0000").await;
    assert_eq!(problem(&theirs, 404), problem(&missing, 404));

    // No token, another scheme, a tampered or a revoked token: 401 before anything is read.
    let mut tampered = musterstadt.token.clone();
    tampered.replace_range(..1, if tampered.starts_with('A') { "B" } else { "A" });
    for authorization in [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some(format!("Basic {}", musterstadt.token)),
        Some(format!("Bearer {tampered}")),
    ] {
        let headers: Vec<(&str, &str)> = authorization.iter().map(|a| ("authorization", a.as_str())).collect();
        for path in ["/api/v1/cases", &format!("/api/v1/cases/{reference}")] {
            let refused = app.get_with(path, &headers).await;
            let body = problem(&refused, 401);
            assert!(body["detail"].as_str().unwrap().contains("Bearer"), "{body}");
            assert!(
                refused.header("www-authenticate").unwrap().starts_with("Bearer"),
                "{authorization:?}"
            );
        }
    }
    let lowercase = format!("bearer {}", musterstadt.token);
    let scheme_in_any_case = app.get_with("/api/v1/cases", &[("authorization", &lowercase)]).await;
    assert_eq!(scheme_in_any_case.status, 200);
    let tokens = api_tokens::of_tenant(&app.db, "musterstadt").await.unwrap().unwrap();
    assert!(api_tokens::revoke(&app.db, &tokens[0].id).await.unwrap());
    problem(&musterstadt.get("/api/v1/cases").await, 401);
}

/// A case of `tenant` written as the submit would, at a chosen time and status.
pub(crate) async fn case_at(app: &TestApp, tenant: &str, reference: &str, status: &str, at: DateTime<Utc>) {
    let id = uuid::Uuid::now_v7();
    app.execute_at(
        &format!(
            "INSERT INTO cases (id, reference, tenant_id, draft_id, service_slug, form_version, answers, summary,
                                trust_level, status, submitted_at)
             SELECT '{id}', '{reference}', id, '{id}', 'kontakt', 1, '{{}}', '[]', 'basis', '{status}', $1
             FROM tenant WHERE slug = '{tenant}'"
        ),
        at,
    )
    .await;
}

/// Follows `next` from `first` to the end; the references of each page.
async fn pages(backend: &Backend<'_>, first: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(page) = next {
        let listed = backend.json(&page).await;
        pages.push(references(&listed));
        next = listed["next"].as_str().map(str::to_owned);
        assert!(pages.len() < 20, "paging does not end");
    }
    pages
}

#[tokio::test]
async fn cases_come_in_the_order_they_came_a_page_at_a_time_filtered_by_status_and_time() {
    let app = spawn_app().await;
    let t0 = Utc::now() - Duration::days(3);
    // Written out of order; two at the same instant, which their ids order.
    let cases = [
        ("MS-5", 50, "COMPLETED"),
        ("MS-1", 10, "SUBMITTED"),
        ("MS-3", 30, "COMPLETED"),
        ("MS-3B", 30, "SUBMITTED"),
        ("MS-2", 20, "PROCESSING"),
        ("MS-6", 60, "SUBMITTED"),
        ("MS-4", 40, "COMPLETED"),
    ];
    for (reference, minutes, status) in cases {
        case_at(&app, "musterstadt", reference, status, t0 + Duration::minutes(minutes)).await;
    }
    case_at(
        &app,
        "landkreis-musterland",
        "LK-1",
        "COMPLETED",
        t0 + Duration::minutes(35),
    )
    .await;
    let backend = Backend::of(&app, "musterstadt").await;

    assert_eq!(
        pages(&backend, "/api/v1/cases?limit=3").await,
        vec![
            vec!["MS-1", "MS-2", "MS-3"],
            vec!["MS-3B", "MS-4", "MS-5"],
            vec!["MS-6"]
        ]
    );
    assert_eq!(
        pages(&backend, "/api/v1/cases?limit=2&status=COMPLETED").await,
        vec![vec!["MS-3", "MS-4"], vec!["MS-5"]],
        "the filter holds on every page"
    );
    let since = (t0 + Duration::minutes(30)).to_rfc3339();
    let since = buergerportal::query::encode_query_value(&since);
    assert_eq!(
        pages(&backend, &format!("/api/v1/cases?since={since}&limit=2")).await,
        vec![vec!["MS-3", "MS-3B"], vec!["MS-4", "MS-5"], vec!["MS-6"]],
        "since: submitted at or after"
    );
    assert_eq!(
        pages(&backend, &format!("/api/v1/cases?since={since}&status=SUBMITTED")).await,
        vec![vec!["MS-3B", "MS-6"]]
    );
    assert_eq!(
        pages(&backend, "/api/v1/cases?after=MS-3&limit=2").await,
        vec![vec!["MS-3B", "MS-4"], vec!["MS-5", "MS-6"]],
        "a backend resumes after the last case it saw"
    );

    for (query, says) in [
        ("status=ERLEDIGT", "SUBMITTED, RECEIVED"),
        ("status=", "status must be"),
        ("since=gestern", "RFC 3339"),
        ("limit=0", "limit must be"),
        ("limit=501", "limit must be"),
        ("limit=zehn", "limit"),
        ("after=LK-1", "after names no case"),
    ] {
        let refused = backend.get(&format!("/api/v1/cases?{query}")).await;
        let body = problem(&refused, 400);
        assert!(body["detail"].as_str().unwrap().contains(says), "{query}: {body}");
    }
}

#[tokio::test]
async fn a_backend_downloads_the_evidence_files_of_its_case_and_only_its_own() {
    let (app, _catalogue) = app_with_evidence_form(|_| {}).await;
    let scan = send_evidence_case(&app).await;
    let musterstadt = Backend::of(&app, "musterstadt").await;
    let reference = references(&musterstadt.json("/api/v1/cases").await).remove(0);
    let case = musterstadt.json(&format!("/api/v1/cases/{reference}")).await;
    let files = case["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{case}");
    assert_eq!(files[0]["name"], "ausweis.pdf");
    assert_eq!(files[0]["type"], "application/pdf");
    use sha2::Digest;
    assert_eq!(files[0]["sha256"], hex::encode(sha2::Sha256::digest(&scan)));
    let href = files[0]["href"].as_str().unwrap().to_owned();
    assert!(
        href.starts_with(&format!("/api/v1/cases/{reference}/attachments/")),
        "{href}"
    );

    let bearer = format!("Bearer {}", musterstadt.token);
    let response = app
        .client
        .get(format!("{}{href}", app.address))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.bytes().await.unwrap().to_vec(), scan);

    let other = Backend::of(&app, "landkreis-musterland").await;
    problem(&other.get(&href).await, 404);
    let file = href.rsplit('/').next().unwrap();
    problem(
        &musterstadt
            .get(&format!("/api/v1/cases/BP-0000-0000/attachments/{file}"))
            .await,
        404,
    );
    problem(&app.get(&href).await, 401);
}

#[tokio::test]
async fn the_api_answers_every_error_as_a_problem_never_as_a_page() {
    let app = spawn_app().await;
    let backend = Backend::of(&app, "musterstadt").await;
    problem(&backend.get("/api/v1/vorgaenge").await, 404);
    let posted = app
        .client
        .post(format!("{}/api/v1/cases", app.address))
        .header("authorization", format!("Bearer {}", backend.token))
        .send()
        .await
        .unwrap();
    let posted = Page::from(posted).await;
    problem(&posted, 405);
    assert_eq!(posted.header("allow").as_deref(), Some("GET"));
}

#[tokio::test]
async fn a_status_set_by_the_backend_is_kept_once_per_key_and_shows_in_the_case_and_the_list() {
    let app = spawn_app().await;
    let at = Utc::now() - Duration::hours(1);
    case_at(&app, "musterstadt", "MS-1", "SUBMITTED", at).await;
    let backend = Backend::of(&app, "musterstadt").await;
    let events = || app.count("SELECT COUNT(*) FROM case_event");

    let received = serde_json::json!({"status": "RECEIVED", "note": "Ihr Antrag ist eingegangen."});
    let first = backend.set_status("MS-1", "k-1", received.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let answer: Json = serde_json::from_str(&first.body).unwrap();
    assert_eq!(answer["reference"], "MS-1");
    assert_eq!(answer["status"], "RECEIVED");
    assert_eq!(answer["note"], "Ihr Antrag ist eingegangen.");
    assert_eq!(first.header("idempotent-replayed"), None);

    // A repeat (the backend did not see the answer) gets the first answer and changes nothing.
    let repeat = backend.set_status("MS-1", "k-1", received.clone()).await;
    assert_eq!((repeat.status, &repeat.body), (200, &first.body));
    assert_eq!(repeat.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(events().await, 1);
    // The same key for another request is refused, and changes nothing either.
    let reused = backend
        .set_status("MS-1", "k-1", serde_json::json!({"status": "REJECTED"}))
        .await;
    assert!(
        problem(&reused, 422)["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    assert_eq!(events().await, 1);

    let processing = backend
        .set_status("MS-1", "k-2", serde_json::json!({"status": "PROCESSING"}))
        .await;
    assert_eq!(processing.status, 200, "{}", processing.body);
    let case = backend.json("/api/v1/cases/MS-1").await;
    assert_eq!(case["case"]["status"], "PROCESSING");
    let history = case["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{case}");
    assert_eq!(
        (&history[0]["status"], &history[0]["note"]),
        (&"RECEIVED".into(), &"Ihr Antrag ist eingegangen.".into())
    );
    assert_eq!(
        (&history[1]["status"], &history[1]["note"]),
        (&"PROCESSING".into(), &Json::Null)
    );
    assert_eq!(history[0]["at"], answer["at"], "the history says what the answer said");
    assert_eq!(
        references(&backend.json("/api/v1/cases?status=PROCESSING").await),
        vec!["MS-1"]
    );
    assert!(references(&backend.json("/api/v1/cases?status=SUBMITTED").await).is_empty());

    // Answers are kept a week; then the key may be used again.
    let later = Utc::now() + Duration::days(8);
    buergerportal::housekeeping::tidy(&app.db, "http://127.0.0.1", later)
        .await
        .unwrap();
    let reused = backend
        .set_status("MS-1", "k-1", serde_json::json!({"status": "COMPLETED"}))
        .await;
    assert_eq!(reused.status, 200, "{}", reused.body);
    assert_eq!(events().await, 3);
}

#[tokio::test]
async fn a_status_update_that_is_wrong_is_refused_with_the_reason_and_changes_nothing() {
    let app = spawn_app().await;
    case_at(&app, "musterstadt", "MS-1", "SUBMITTED", Utc::now()).await;
    case_at(&app, "landkreis-musterland", "LK-1", "SUBMITTED", Utc::now()).await;
    let backend = Backend::of(&app, "musterstadt").await;
    let received = serde_json::json!({"status": "RECEIVED"});

    let refusals = [
        (
            backend.set_status("MS-1", "", received.clone()).await,
            400,
            "Idempotency-Key",
        ),
        (
            backend.set_status("MS-1", &"k".repeat(256), received.clone()).await,
            400,
            "Idempotency-Key",
        ),
        (
            backend.set_status("MS-1", "k 1", received.clone()).await,
            400,
            "Idempotency-Key",
        ),
        (
            backend
                .set_status("MS-1", "k-1", serde_json::json!({"status": "ERLEDIGT"}))
                .await,
            422,
            "ACTION_REQUIRED",
        ),
        (
            backend
                .set_status("MS-1", "k-1", serde_json::json!({"status": "received"}))
                .await,
            422,
            "RECEIVED",
        ),
        (
            backend
                .set_status(
                    "MS-1",
                    "k-1",
                    serde_json::json!({"status": "RECEIVED", "note": "x".repeat(2001)}),
                )
                .await,
            422,
            "2000",
        ),
        (
            backend
                .set_status("MS-1", "k-1", serde_json::json!({"note": "fertig"}))
                .await,
            400,
            "status",
        ),
        (
            backend.set_status("MS-1", "k-1", serde_json::json!(["RECEIVED"])).await,
            400,
            "JSON",
        ),
        (
            backend
                .post("/api/v1/cases/MS-1/status", "k-1", "{\"status\": ")
                .await
                .unwrap(),
            400,
            "JSON",
        ),
        // A field the API does not know, however deeply nested: refused, at no cost of stack.
        (
            backend
                .post(
                    "/api/v1/cases/MS-1/status",
                    "k-1",
                    format!(
                        "{{\"status\": \"RECEIVED\", \"x\": {}{}}}",
                        "[".repeat(3000),
                        "]".repeat(3000)
                    ),
                )
                .await
                .unwrap(),
            400,
            "unknown field `x`",
        ),
        // Another tenant's case and one that does not exist look alike.
        (backend.set_status("LK-1", "k-1", received.clone()).await, 404, ""),
        (backend.set_status("MS-404", "k-1", received.clone()).await, 404, ""),
    ];
    for (i, (refused, status, says)) in refusals.iter().enumerate() {
        assert_eq!(refused.status, *status, "{i}: {}", refused.body);
        let body = problem(refused, *status);
        if !says.is_empty() {
            assert!(body["detail"].as_str().unwrap().contains(says), "{i}: {body}");
        }
    }
    // A body over the limit is refused before it is read (the client may see the connection close
    // while it still sends instead).
    if let Ok(too_big) = backend
        .post("/api/v1/cases/MS-1/status", "k-1", vec![b' '; 50 * 1024 * 1024])
        .await
    {
        problem(&too_big, 413);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM case_event").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM api_answer").await,
        0,
        "refusals are not kept"
    );
    let statuses = app.count("SELECT COUNT(*) FROM cases WHERE status = 'SUBMITTED'").await;
    assert_eq!(statuses, 2);
    // Without a token nothing is looked at.
    let anonymous = app
        .client
        .post(format!("{}/api/v1/cases/MS-1/status", app.address))
        .header("idempotency-key", "k-1")
        .body(received.to_string())
        .send()
        .await
        .unwrap();
    problem(&Page::from(anonymous).await, 401);
}

#[tokio::test]
async fn the_same_status_update_sent_twice_at_once_is_made_once() {
    let app = spawn_app().await;
    case_at(&app, "musterstadt", "MS-1", "SUBMITTED", Utc::now()).await;
    let backend = Backend::of(&app, "musterstadt").await;
    for round in 0..5 {
        let key = format!("k-{round}");
        let update = serde_json::json!({"status": "PROCESSING", "note": format!("Runde {round}")});
        let (a, b) = tokio::join!(
            backend.set_status("MS-1", &key, update.clone()),
            backend.set_status("MS-1", &key, update.clone())
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert!(
            matches!(statuses, [200, 200] | [200, 409]),
            "{statuses:?}: {} {}",
            a.body,
            b.body
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM case_event").await,
            round + 1,
            "one event per key"
        );
    }
}

#[tokio::test]
async fn text_is_kept_without_control_characters_and_an_address_with_nul_is_refused() {
    use crate::backend_messages::{form, message, send};
    let app = spawn_app().await;
    let (_, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;

    // PostgreSQL cannot even compare with U+0000: refused before any query, on both databases.
    for path in [
        format!("/api/v1/cases/{reference}%00"),
        "/api/v1/cases?after=%00".to_owned(),
        format!("/api/v1/cases/{reference}/messages?x=%00"),
        format!("/api/v1/cases/{reference}/attachments/%00"),
    ] {
        let refused = problem(&backend.get(&path).await, 400);
        assert!(refused["detail"].as_str().unwrap().contains("%00"), "{path}: {refused}");
    }

    let update = serde_json::json!({"status": "RECEIVED", "note": " Eingang\u{0} bestätigt.\r\nDanke\u{7}\n"});
    let set = backend.set_status(&reference, "nul-1", update).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let case = backend.json(&format!("/api/v1/cases/{reference}")).await;
    assert_eq!(case["history"][0]["note"], "Eingang bestätigt.\nDanke");

    let mut sent = message("message", "Eine\u{0} Frage\n");
    sent["body"] = "Zeile 1\u{0}\nZeile 2".into();
    let page = send(&backend, &reference, "nul-2", form(&sent, vec![])).await;
    assert_eq!(page.status, 201, "{}", page.body);
    let thread = backend.json(&format!("/api/v1/cases/{reference}/messages")).await;
    assert_eq!(thread["messages"][0]["subject"], "Eine Frage");
    assert_eq!(thread["messages"][0]["body"], "Zeile 1\nZeile 2");
}
