//! The backend API's OpenAPI document: it names every operation, and schemathesis, sending what the
//! document allows and what it does not, finds no server error and no answer the document does not
//! describe.

use serde_json::Value as Json;

use crate::backend_api::Backend;
use crate::backend_messages::{form, message, pdf_part, send};
use crate::delivery::send_case;
use crate::evidence::pdf;
use crate::helpers::spawn_app;

const OPERATIONS: [(&str, &str); 6] = [
    ("/cases", "get"),
    ("/cases/{reference}", "get"),
    ("/cases/{reference}/attachments/{file}", "get"),
    ("/cases/{reference}/status", "post"),
    ("/cases/{reference}/messages", "post"),
    ("/cases/{reference}/messages", "get"),
];

#[tokio::test]
async fn the_document_names_every_operation_with_its_token_and_its_problems() {
    let app = spawn_app().await;
    let page = app.get("/api/v1/openapi.json").await;
    assert_eq!(page.status, 200, "no token needed: it holds no tenant's data");
    assert_eq!(page.header("content-type").as_deref(), Some("application/json"));
    let document: Json = serde_json::from_str(&page.body).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."), "{document}");
    assert_eq!(document["servers"][0]["url"], "/api/v1");
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(document["security"][0]["bearer"], Json::Array(vec![]));

    let mut named = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                OPERATIONS.contains(&(path.as_str(), method.as_str())),
                "{method} {path}"
            );
            named += 1;
            let responses = operation["responses"].as_object().unwrap();
            assert_eq!(
                responses["401"]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path}"
            );
            let takes_key = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header" && p["required"] == true);
            assert_eq!(
                takes_key,
                method == "post",
                "every write takes an Idempotency-Key: {method} {path}"
            );
        }
    }
    assert_eq!(named, OPERATIONS.len());
    let status = &document["components"]["schemas"]["CaseStatus"]["enum"];
    assert_eq!(
        status,
        &serde_json::json!([
            "SUBMITTED",
            "RECEIVED",
            "PROCESSING",
            "ACTION_REQUIRED",
            "COMPLETED",
            "REJECTED",
            "WITHDRAWN"
        ])
    );
}

/// Runs schemathesis (`TEST_SCHEMATHESIS`, which scripts/test installs) against a portal with a case
/// that has a message with a PDF: most generated requests name that case and that file, the rest
/// cases and files that are not there.
#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let st = std::env::var("TEST_SCHEMATHESIS")
        .expect("TEST_SCHEMATHESIS is not set: run the tests with scripts/test, which installs schemathesis");
    let app = spawn_app().await;
    let (_, case_page) = send_case(&app).await;
    let reference = case_page.rsplit('/').next().unwrap().to_owned();
    let backend = Backend::of(&app, "musterstadt").await;
    let files = vec![pdf_part("bescheid.pdf", pdf("Bescheid"))];
    let sent = send(
        &backend,
        &reference,
        "seed",
        form(&message("decision", "Ihr Bescheid"), files),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let sent: Json = serde_json::from_str(&sent.body).unwrap();
    let file = sent["attachments"][0]["id"].as_str().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            r#"headers = {{ Authorization = "Bearer {token}" }}
[dictionaries.cases]
values = ["{reference}"]
[dictionaries.files]
values = ["{file}"]
[parameters]
"path.reference" = {{ dictionary = "cases", probability = 0.8 }}
"path.file" = {{ dictionary = "files", probability = 0.8 }}
"#,
            token = backend.token
        ),
    )
    .unwrap();
    // Awaited, not blocking: the app's connections do their I/O on this test's runtime.
    let output = tokio::process::Command::new(&st)
        .current_dir(dir.path())
        .args(["--no-color", "--config-file"])
        .arg(&config)
        .args(["run", &format!("{}/api/v1/openapi.json", app.address)])
        .args([
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--workers",
            "1",
        ])
        // Requests the schema allows may still be refused, rightly, for what no schema can say: a
        // file that is not a PDF by its content, an `after` that names no case, an Idempotency-Key
        // used before for another request (schemathesis sends the same key again).
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--generation-database", "none", "--request-timeout", "10"])
        .output()
        .await
        .unwrap_or_else(|e| panic!("{st} did not start: {e}"));
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
}
