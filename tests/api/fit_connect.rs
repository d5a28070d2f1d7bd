//! FIT-Connect v2 against a stand-in for the delivery service and the authority's Zustellpunkt: it
//! speaks the Submission API over HTTP, decrypts what it gets with the Zustellpunkt's private key,
//! checks the metadata by the rules of schema 2.1.0, and answers in the event log with Security Event
//! Tokens signed PS512, as the authority's system would.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Service as _;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use aws_lc_rs::signature::{KeyPair as _, RSA_PSS_SHA512};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use buergerportal::db::outbox;

use crate::delivery::{case_page_shows, catalogue_delivering_to, send_case, worker_process};
use crate::helpers::{TestApp, spawn_on, spawn_with};

const CLIENT_SECRET_ENV: &str = "BP_SECRET_MUSTERSTADT__FIT_CONNECT";
const CALLBACK_SECRET_ENV: &str = "BP_SECRET_MUSTERSTADT__FIT_CONNECT_CALLBACK";
const SCHEMA_URI: &str = "urn:test:kontakt:1.0";
const EVENTS: &str = "https://schema.fitko.de/fit-connect/events/";

/// How the authority answers a submission that was sent.
#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Accept,
    Reject,
    /// An `accept-submission` signed with a key the Zustellpunkt does not have.
    ForgedAccept,
}

#[derive(Default)]
struct Submission {
    case_id: String,
    announced: Vec<String>,
    /// Attachment id → (JWE header, plaintext, JWE).
    attachments: HashMap<String, (Value, Vec<u8>, String)>,
    metadata: Option<Value>,
    data: Option<Value>,
}

struct Zustellpunkt {
    destination_id: String,
    encryption: PrivateDecryptingKey,
    encryption_jwk: Value,
    signing: KeyPair,
    signing_jwk: Value,
    stranger: KeyPair,
    answer: Mutex<Answer>,
    /// The access token the token endpoint issues and the API takes; replacing it revokes the old.
    access_token: Mutex<String>,
    /// How long each answer takes, in milliseconds.
    slowness: AtomicU64,
    /// Requests handled so far, and after which of them the answer never comes (0: none).
    handled: AtomicUsize,
    hang_after: AtomicUsize,
    /// Set once a request was handled and its answer held back.
    hanging: AtomicBool,
    /// The delivery service's signing key (`stranger`), as `/.well-known/jwks.json` publishes it.
    delivery_service_jwk: Value,
    tokens_issued: Mutex<Vec<HashMap<String, String>>>,
    submissions: Mutex<HashMap<String, Submission>>,
    events: Mutex<HashMap<String, Vec<String>>>,
    problems: Mutex<Vec<String>>,
}

/// The JWK of an RSA public key given as DER (PKCS#1, or X.509 wrapping it).
fn jwk_of(der: &[u8], kid: &str, alg: &str, op: &str) -> Value {
    let (n, e) = rsa_components(der).expect("an RSA public key");
    json!({"kty": "RSA", "kid": kid, "alg": alg, "key_ops": [op], "n": B64.encode(n), "e": B64.encode(e)})
}

/// One DER element: tag, content, rest.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        let len = rest
            .get(..count)?
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (len, &rest[count..])
    };
    Some((tag, rest.get(..len)?, &rest[len..]))
}

/// `n` and `e` (without leading zeros) of `RSAPublicKey ::= SEQUENCE { n INTEGER, e INTEGER }`,
/// found directly or inside a SubjectPublicKeyInfo's BIT STRING.
fn rsa_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (tag, body, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (first_tag, first, rest) = tlv(body)?;
    if first_tag == 0x02 {
        let (_, e, _) = tlv(rest)?;
        let strip = |x: &[u8]| x.iter().skip_while(|b| **b == 0).copied().collect();
        return Some((strip(first), strip(e)));
    }
    let (_, bits, _) = tlv(rest)?; // algorithm identifier first, then the key as a BIT STRING
    rsa_components(bits.get(1..)?)
}

impl Zustellpunkt {
    fn start(answer: Answer) -> (Arc<Self>, String) {
        let encryption = PrivateDecryptingKey::generate(KeySize::Rsa4096).unwrap();
        let spki = encryption.public_key().as_der().unwrap();
        let encryption_jwk = jwk_of(spki.as_ref(), "enc-key-1", "RSA-OAEP-256", "wrapKey");
        let signing = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let signing_jwk = jwk_of(signing.public_key().as_ref(), "sig-key-1", "PS512", "verify");
        let stranger = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let delivery_service_jwk = jwk_of(stranger.public_key().as_ref(), "zustelldienst-1", "PS512", "verify");
        let zustellpunkt = Arc::new(Self {
            destination_id: uuid::Uuid::new_v4().to_string(),
            encryption,
            encryption_jwk,
            signing,
            signing_jwk,
            stranger,
            answer: Mutex::new(answer),
            access_token: Mutex::new("tok-1".into()),
            slowness: AtomicU64::new(0),
            handled: AtomicUsize::new(0),
            hang_after: AtomicUsize::new(0),
            hanging: AtomicBool::new(false),
            delivery_service_jwk,
            tokens_issued: Mutex::default(),
            submissions: Mutex::default(),
            events: Mutex::default(),
            problems: Mutex::default(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = web::Data::from(zustellpunkt.clone());
        let server = HttpServer::new(move || {
            let slow = state.clone();
            App::new()
                .wrap_fn(move |req, service| {
                    let zp = slow.clone();
                    let answer = service.call(req);
                    async move {
                        tokio::time::sleep(Duration::from_millis(zp.slowness.load(Ordering::Relaxed))).await;
                        let answer = answer.await;
                        let handled = zp.handled.fetch_add(1, Ordering::Relaxed) + 1;
                        if handled == zp.hang_after.load(Ordering::Relaxed) {
                            zp.hanging.store(true, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        answer
                    }
                })
                .app_data(state.clone())
                .route("/token", web::post().to(token))
                .route("/v2/destinations/{id}", web::get().to(destination))
                .route("/v2/destinations/{id}/keys/{kid}", web::get().to(key))
                .route("/v2/submissions", web::post().to(create))
                .route("/v2/submissions/{sid}/attachments/{aid}", web::put().to(attachment))
                .route("/v2/submissions/{sid}", web::put().to(send))
                .route("/v2/cases/{cid}/events", web::get().to(events))
                .route("/.well-known/jwks.json", web::get().to(delivery_service_keys))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        (zustellpunkt, base)
    }

    fn problem(&self, what: String) {
        self.problems.lock().unwrap().push(what);
    }

    /// A SET about submission `sid` of case `cid`, signed PS512 by `key` under `kid`.
    fn set(
        &self,
        (key, kid): (&KeyPair, &str),
        iss: &str,
        (sid, cid): (&str, &str),
        event: &str,
        body: Value,
    ) -> String {
        let header = B64.encode(json!({"alg": "PS512", "typ": "secevent+jwt", "kid": kid}).to_string());
        let payload = B64.encode(
            json!({
                "$schema": "https://schema.fitko.de/fit-connect/set-payload/1.2.2/set-payload.schema.json",
                "iss": iss, "iat": chrono::Utc::now().timestamp(), "jti": uuid::Uuid::new_v4().to_string(),
                "sub": format!("submission:{sid}"), "txn": format!("case:{cid}"),
                "events": {format!("{EVENTS}{event}"): body},
            })
            .to_string(),
        );
        let input = format!("{header}.{payload}");
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PSS_SHA512, &SystemRandom::new(), input.as_bytes(), &mut signature)
            .unwrap();
        format!("{input}.{}", B64.encode(signature))
    }

    /// Decrypts a compact JWE made for the encryption key; its protected header and plaintext.
    fn decrypt(&self, jwe: &str) -> Option<(Value, Vec<u8>)> {
        let parts: Vec<&str> = jwe.split('.').collect();
        let [protected, wrapped, iv, ciphertext, tag] = parts[..] else {
            return None;
        };
        let header: Value = serde_json::from_slice(&B64.decode(protected).ok()?).ok()?;
        let rsa = OaepPrivateDecryptingKey::new(self.encryption.clone()).ok()?;
        let mut cek = vec![0; rsa.min_output_size()];
        let cek = rsa
            .decrypt(&OAEP_SHA256_MGF1SHA256, &B64.decode(wrapped).ok()?, &mut cek, None)
            .ok()?
            .to_vec();
        let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).ok()?);
        let mut sealed = B64.decode(ciphertext).ok()?;
        sealed.extend(B64.decode(tag).ok()?);
        let nonce = Nonce::try_assume_unique_for_key(&B64.decode(iv).ok()?).ok()?;
        let plaintext = aes
            .open_in_place(nonce, Aad::from(protected.as_bytes()), &mut sealed)
            .ok()?
            .to_vec();
        Some((header, plaintext))
    }
}

/// Whether the request carries the access token the delivery service issues now.
fn authorised(req: &HttpRequest, zp: &Zustellpunkt) -> bool {
    let valid = format!("Bearer {}", zp.access_token.lock().unwrap());
    req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(valid.as_str())
}

async fn token(form: web::Form<HashMap<String, String>>, zp: web::Data<Zustellpunkt>) -> HttpResponse {
    zp.tokens_issued.lock().unwrap().push(form.0.clone());
    let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some("portal-sender")
        && form.get("client_secret").map(String::as_str) == Some("sender-secret");
    if !ok {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let token = zp.access_token.lock().unwrap().clone();
    HttpResponse::Ok().json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 1800}))
}

async fn destination(req: HttpRequest, path: web::Path<String>, zp: web::Data<Zustellpunkt>) -> HttpResponse {
    if !authorised(&req, &zp) {
        return HttpResponse::Unauthorized().finish();
    }
    if *path != zp.destination_id {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok().json(json!({
        "destinationId": zp.destination_id, "status": "active", "encryptionKid": "enc-key-1",
        "publicServices": [{"name": "Kontakt", "identifier": "urn:de:fim:leika:leistung:99001001000000",
            "submissionSchemas": [{"schemaUri": SCHEMA_URI, "mimeType": "application/json"}], "regions": []}],
    }))
}

async fn key(req: HttpRequest, path: web::Path<(String, String)>, zp: web::Data<Zustellpunkt>) -> HttpResponse {
    match path.1.as_str() {
        _ if !authorised(&req, &zp) => HttpResponse::Unauthorized().finish(),
        "enc-key-1" => HttpResponse::Ok().json(&zp.encryption_jwk),
        "sig-key-1" => HttpResponse::Ok().json(&zp.signing_jwk),
        _ => HttpResponse::NotFound().finish(),
    }
}

async fn create(req: HttpRequest, body: web::Json<Value>, zp: web::Data<Zustellpunkt>) -> HttpResponse {
    if !authorised(&req, &zp) {
        return HttpResponse::Unauthorized().finish();
    }
    if body["destinationId"] != zp.destination_id.as_str() {
        zp.problem(format!("create: wrong destinationId {}", body["destinationId"]));
    }
    if body["publicService"]["identifier"] != "urn:de:fim:leika:leistung:99001001000000"
        || !body["publicService"]["name"].is_string()
    {
        zp.problem(format!("create: publicService {}", body["publicService"]));
    }
    let announced: Vec<String> = body["announcedAttachments"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if announced
        .iter()
        .any(|id| uuid::Uuid::parse_str(id).map_or(true, |u| u.get_version_num() != 4))
    {
        zp.problem(format!("create: announced attachments are not UUIDv4: {announced:?}"));
    }
    let (sid, cid) = (uuid::Uuid::new_v4().to_string(), uuid::Uuid::new_v4().to_string());
    // The delivery service's own event, signed by a key the Zustellpunkt does not publish.
    let created = zp.set(
        (&zp.stranger, "zustelldienst-1"),
        "https://zustelldienst.test",
        (&sid, &cid),
        "create-submission",
        json!({}),
    );
    zp.events.lock().unwrap().insert(cid.clone(), vec![created]);
    zp.submissions.lock().unwrap().insert(
        sid.clone(),
        Submission {
            case_id: cid.clone(),
            announced,
            ..Submission::default()
        },
    );
    HttpResponse::Created().json(json!({"submissionId": sid, "caseId": cid}))
}

async fn attachment(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: String,
    zp: web::Data<Zustellpunkt>,
) -> HttpResponse {
    let (sid, aid) = path.into_inner();
    if !authorised(&req, &zp)
        || req.headers().get("content-type").and_then(|v| v.to_str().ok()) != Some("application/jose")
    {
        return HttpResponse::UnsupportedMediaType().finish();
    }
    let Some((header, plaintext)) = zp.decrypt(&body) else {
        zp.problem("attachment: cannot decrypt".into());
        return HttpResponse::UnprocessableEntity().finish();
    };
    let mut submissions = zp.submissions.lock().unwrap();
    let Some(submission) = submissions.get_mut(&sid).filter(|s| s.announced.contains(&aid)) else {
        return HttpResponse::NotFound().finish();
    };
    if submission.metadata.is_some() {
        return HttpResponse::Conflict().json(json!({"detail": "the submission was submitted already"}));
    }
    submission.attachments.insert(aid, (header, plaintext, body));
    HttpResponse::NoContent().finish()
}

async fn send(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
    zp: web::Data<Zustellpunkt>,
) -> HttpResponse {
    if !authorised(&req, &zp) {
        return HttpResponse::Unauthorized().finish();
    }
    let sid = path.into_inner();
    let (Some(metadata_jwe), Some(data_jwe)) = (body["encryptedMetadata"].as_str(), body["encryptedData"].as_str())
    else {
        return HttpResponse::UnprocessableEntity().finish();
    };
    let (Some((metadata_header, metadata)), Some((data_header, data))) =
        (zp.decrypt(metadata_jwe), zp.decrypt(data_jwe))
    else {
        zp.problem("send: cannot decrypt metadata or data".into());
        return HttpResponse::UnprocessableEntity().finish();
    };
    let mut submissions = zp.submissions.lock().unwrap();
    let Some(submission) = submissions.get_mut(&sid) else {
        return HttpResponse::NotFound().finish();
    };
    if submission.metadata.is_some() {
        return HttpResponse::Conflict().json(json!({"detail": "the submission was submitted already"}));
    }
    if submission
        .announced
        .iter()
        .any(|a| !submission.attachments.contains_key(a))
    {
        return HttpResponse::UnprocessableEntity().json(json!({"detail": "announced attachments missing"}));
    }
    let mut headers: Vec<&Value> = vec![&metadata_header, &data_header];
    headers.extend(submission.attachments.values().map(|(h, _, _)| h));
    for header in headers {
        if header["alg"] != "RSA-OAEP-256"
            || header["enc"] != "A256GCM"
            || header["kid"] != "enc-key-1"
            || header.get("zip").is_some()
        {
            zp.problem(format!("JWE header {header}"));
        }
    }
    for header in [&metadata_header, &data_header] {
        if header["cty"] != "application/json" {
            zp.problem(format!("JWE without cty: {header}"));
        }
    }
    let metadata: Value = serde_json::from_slice(&metadata).unwrap_or_default();
    for problem in metadata_problems(&metadata, &data, submission) {
        zp.problem(problem);
    }
    submission.metadata = Some(metadata);
    submission.data = serde_json::from_slice(&data).ok();
    let tags = json!({
        "metadata": metadata_jwe.rsplit('.').next(),
        "data": data_jwe.rsplit('.').next(),
        "attachments": submission.attachments.iter().map(|(id, (_, _, jwe))| (id.clone(), json!(jwe.rsplit('.').next()))).collect::<serde_json::Map<_, _>>(),
    });
    let cid = submission.case_id.clone();
    let answer = *zp.answer.lock().unwrap();
    let (event, key, kid, body) = match answer {
        Answer::Accept => (
            "accept-submission",
            &zp.signing,
            "sig-key-1",
            json!({"authenticationTags": tags}),
        ),
        Answer::ForgedAccept => (
            "accept-submission",
            &zp.stranger,
            "sig-key-1",
            json!({"authenticationTags": tags}),
        ),
        Answer::Reject => (
            "reject-submission",
            &zp.signing,
            "sig-key-1",
            json!({"problems": [{"type": "https://schema.fitko.de/fit-connect/events/problems/service-mismatch", "title": "Leistung nicht zuständig"}]}),
        ),
    };
    // The delivery service records the submission as submitted, then the authority answers.
    let submitted = zp.set(
        (&zp.stranger, "zustelldienst-1"),
        "https://zustelldienst.test",
        (&sid, &cid),
        "submit-submission",
        json!({}),
    );
    let answer = zp.set((key, kid), &zp.destination_id, (&sid, &cid), event, body);
    zp.events
        .lock()
        .unwrap()
        .entry(cid)
        .or_default()
        .extend([submitted, answer]);
    HttpResponse::Ok().finish()
}

async fn delivery_service_keys(zp: web::Data<Zustellpunkt>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"keys": [zp.delivery_service_jwk]}))
}

async fn events(req: HttpRequest, path: web::Path<String>, zp: web::Data<Zustellpunkt>) -> HttpResponse {
    if !authorised(&req, &zp) {
        return HttpResponse::Unauthorized().finish();
    }
    let log = zp
        .events
        .lock()
        .unwrap()
        .get(path.as_str())
        .cloned()
        .unwrap_or_default();
    HttpResponse::Ok().json(json!({"eventLog": log}))
}

/// What metadata schema 2.1.0 requires, checked against what was actually sent.
fn metadata_problems(metadata: &Value, data: &[u8], submission: &Submission) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            problems.push(format!("metadata: {what}: {metadata}"));
        }
    };
    let sha512 = |bytes: &[u8]| hex::encode(Sha512::digest(bytes));
    let schema = metadata["$schema"].as_str().unwrap_or_default();
    expect(
        schema.starts_with("https://schema.fitko.de/fit-connect/metadata/2.")
            && schema.ends_with("/metadata.schema.json"),
        "$schema",
    );
    let content = &metadata["contentStructure"];
    expect(
        content["data"]["hash"] == json!({"type": "sha512", "content": sha512(data)}),
        "data hash",
    );
    expect(
        content["data"]["submissionSchema"] == json!({"schemaUri": SCHEMA_URI, "mimeType": "application/json"}),
        "submissionSchema",
    );
    let attachments = content["attachments"].as_array().cloned().unwrap_or_default();
    expect(
        attachments.len() == submission.announced.len(),
        "one entry per announced attachment",
    );
    for a in &attachments {
        let id = a["attachmentId"].as_str().unwrap_or_default();
        let plaintext = submission
            .attachments
            .get(id)
            .map(|(_, p, _)| p.as_slice())
            .unwrap_or_default();
        expect(
            a["hash"] == json!({"type": "sha512", "content": sha512(plaintext)}),
            "attachment hash",
        );
        expect(
            ["form", "attachment", "report", "data"].contains(&a["purpose"].as_str().unwrap_or_default()),
            "purpose",
        );
        expect(
            a["mimeType"] == "application/pdf" && plaintext.starts_with(b"%PDF-"),
            "the receipt PDF",
        );
    }
    let reference = metadata["additionalReferenceInfo"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    expect(
        reference.keys().all(|k| {
            [
                "senderReference",
                "applicationDate",
                "idBundDeApplicationId",
                "zustimmungZumDigitalenBescheid",
            ]
            .contains(&k.as_str())
        }),
        "additionalReferenceInfo has no other keys",
    );
    let author = &metadata["author"];
    expect(
        author["name"].is_string()
            && ["name", "version", "manufacturer"]
                .iter()
                .all(|k| author["product"][k].is_string()),
        "author",
    );
    expect(
        metadata["replyChannel"].as_object().is_some_and(|r| r.len() == 1),
        "exactly one reply channel",
    );
    problems
}

fn catalogue_with_fit_connect(base: &str, destination_id: &str) -> tempfile::TempDir {
    // Each test runs in its own process under nextest; the variables only name the secrets.
    unsafe {
        std::env::set_var(CLIENT_SECRET_ENV, "sender-secret");
        std::env::set_var(CALLBACK_SECRET_ENV, "callback-secret");
    }
    catalogue_delivering_to(&format!(
        "kind = \"fit-connect\"\nsubmission_api = \"{base}\"\ntoken_url = \"{base}/token\"\n\
         destination_id = \"{destination_id}\"\nclient_id = \"portal-sender\"\n\
         client_secret_env = \"{CLIENT_SECRET_ENV}\"\ncallback_secret_env = \"{CALLBACK_SECRET_ENV}\""
    ))
}

async fn spawn_for(answer: Answer) -> (Arc<Zustellpunkt>, TestApp, tempfile::TempDir) {
    let (zp, base) = Zustellpunkt::start(answer);
    let catalogue = catalogue_with_fit_connect(&base, &zp.destination_id);
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(move |s| {
        s.tenants_dir = dir;
        s.outbox_retry_seconds = 0.05;
    })
    .await;
    (zp, app, catalogue)
}

#[tokio::test]
async fn a_case_reaches_the_zustellpunkt_encrypted_with_valid_metadata_and_counts_as_delivered_once_accepted() {
    let (zp, app, _catalogue) = spawn_for(Answer::Accept).await;
    let (browser, case_page) = send_case(&app).await;
    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert!(body.contains("An die Behörde übermittelt am"), "{body}");

    assert_eq!(*zp.problems.lock().unwrap(), Vec::<String>::new());
    let submissions = zp.submissions.lock().unwrap();
    assert_eq!(submissions.len(), 1, "one submission");
    let submission = submissions.values().next().unwrap();
    let reference = case_page.rsplit('/').next().unwrap();
    assert_eq!(submission.data.as_ref().unwrap()["case"]["reference"], reference);
    assert_eq!(
        submission.data.as_ref().unwrap()["answers"]["betreff"],
        "Straßenlaterne"
    );
    let metadata = submission.metadata.as_ref().unwrap();
    assert_eq!(metadata["additionalReferenceInfo"]["senderReference"], reference);
    assert!(
        metadata["replyChannel"]["eMail"]["address"]
            .as_str()
            .unwrap()
            .starts_with("anna.")
    );
    let tokens = zp.tokens_issued.lock().unwrap();
    assert_eq!(tokens.len(), 1, "the token is reused within its lifetime");
    assert!(!tokens[0].contains_key("scope"), "no scope asked for");
}

#[tokio::test]
async fn an_answer_signed_with_a_key_the_zustellpunkt_does_not_have_is_not_believed() {
    let (zp, app, _catalogue) = spawn_for(Answer::ForgedAccept).await;
    let (browser, case_page) = send_case(&app).await;
    for _ in 0..100 {
        if !zp.submissions.lock().unwrap().values().any(|s| s.metadata.is_some()) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Several polls of the event log later, the case still waits.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let body = browser.get(&case_page).await.body;
    assert!(
        body.contains("Wir übermitteln Ihren Antrag jetzt an die Behörde"),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM cases WHERE delivered_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(zp.submissions.lock().unwrap().len(), 1, "polling does not send again");
}

#[tokio::test]
async fn a_rejected_submission_waits_for_an_operator_whose_retry_makes_a_new_one() {
    let (zp, app, _catalogue) = spawn_for(Answer::Reject).await;
    let (browser, case_page) = send_case(&app).await;
    case_page_shows(&browser, &case_page, "Übermittlung verzögert").await;
    let failed = outbox::deliveries(&app.db, true, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].last_error.as_deref().unwrap().contains("rejected"),
        "{failed:?}"
    );

    // The operator settles it with the authority and tries again: a new submission, accepted.
    *zp.answer.lock().unwrap() = Answer::Accept;
    let reference = case_page.rsplit('/').next().unwrap();
    let retried = outbox::retry_now(&app.db, "musterstadt", reference, chrono::Utc::now()).await;
    assert_eq!(retried.unwrap(), outbox::Retry::DueNow);
    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert!(body.contains("An die Behörde übermittelt am"), "{body}");
    assert_eq!(
        zp.submissions.lock().unwrap().len(),
        2,
        "the rejected one and a new one"
    );
}

#[tokio::test]
async fn callbacks_are_believed_only_with_the_secret_and_a_fresh_timestamp() {
    let (_zp, app, _catalogue) = spawn_for(Answer::Accept).await;
    let path = "/fit-connect/callback/musterstadt/antragspostfach";
    let body = r#"{"type":"https://schema.fitko.de/fit-connect/callbacks/new-events"}"#;
    let call = |secret: &'static str, at: i64| {
        use hmac::{Hmac, KeyInit, Mac};
        let timestamp = at.to_string();
        let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{body}").as_bytes());
        let authentication = hex::encode(mac.finalize().into_bytes());
        let client = app.client.clone();
        let url = format!("{}{path}", app.address);
        async move {
            client
                .post(url)
                .header("callback-timestamp", timestamp)
                .header("callback-authentication", authentication)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let now = chrono::Utc::now().timestamp();
    assert_eq!(call("callback-secret", now).await, 204);
    assert_eq!(call("other-secret", now).await, 401);
    assert_eq!(call("callback-secret", now - 600).await, 401, "older than five minutes");
    let unknown = app
        .client
        .post(format!(
            "{}/fit-connect/callback/musterstadt/gibt-es-nicht",
            app.address
        ))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_slow_submission_api_gets_one_submission_though_an_attempt_outlasts_the_lease() {
    // Each answer takes 1.2 s and an attempt makes six requests, about 7 s; the lease is
    // 2 × 1.5 s + 1 s = 4 s. A second worker on the same database is ready to claim the job.
    let (zp, base) = Zustellpunkt::start(Answer::Accept);
    zp.slowness.store(1200, Ordering::Relaxed);
    let catalogue = catalogue_with_fit_connect(&base, &zp.destination_id);
    let dir = catalogue.path().to_path_buf();
    let settings = move |s: &mut buergerportal::config::Settings| {
        s.tenants_dir = dir.clone();
        s.outbox_retry_seconds = 0.05;
        s.outbox_send_timeout_seconds = 1.5;
    };
    let first = spawn_with(settings.clone()).await;
    let data_dir = first.mail_dir.parent().unwrap().to_path_buf();
    let _second = spawn_on(&first.database_url, move |s| {
        settings(s);
        s.data_dir = data_dir;
    })
    .await;
    let (browser, case_page) = send_case(&first).await;
    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert!(body.contains("An die Behörde übermittelt am"), "{body}");
    assert_eq!(*zp.problems.lock().unwrap(), Vec::<String>::new());
    assert_eq!(zp.submissions.lock().unwrap().len(), 1, "one submission");
}

#[tokio::test]
async fn a_worker_killed_after_any_request_of_the_protocol_leaves_one_submission_sent_and_delivered_once() {
    // Requests: token, destination, key, create submission, upload attachment, send submission.
    for request in 1..=6 {
        let (zp, base) = Zustellpunkt::start(Answer::Accept);
        zp.hang_after.store(request, Ordering::Relaxed);
        let catalogue = catalogue_with_fit_connect(&base, &zp.destination_id);
        let dir = catalogue.path().to_path_buf();
        let app = spawn_with(move |s| {
            s.tenants_dir = dir;
            s.worker = false;
        })
        .await;
        let secret = [(CLIENT_SECRET_ENV, "sender-secret")];
        let mut first = worker_process(&app, "1", &secret);
        let (browser, case_page) = send_case(&app).await;
        for _ in 0..400 {
            if zp.hanging.load(Ordering::Relaxed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(zp.hanging.load(Ordering::Relaxed), "request {request} was made");
        // SIGKILL after the Submission API handled the request, before the worker heard its answer.
        first.kill().unwrap();
        first.wait().unwrap();

        let mut second = worker_process(&app, "1", &secret);
        let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
        second.kill().unwrap();
        second.wait().unwrap();
        assert!(
            body.contains("An die Behörde übermittelt am"),
            "killed after request {request}: {body}"
        );
        assert_eq!(*zp.problems.lock().unwrap(), Vec::<String>::new(), "request {request}");
        let sent = zp
            .submissions
            .lock()
            .unwrap()
            .values()
            .filter(|s| s.metadata.is_some())
            .count();
        assert_eq!(sent, 1, "killed after request {request}: one submission sent");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM cases WHERE delivered_at IS NOT NULL")
                .await,
            1
        );
    }
}

#[tokio::test]
async fn a_kept_token_the_api_no_longer_takes_is_replaced_once_and_the_case_delivered() {
    let (zp, app, _catalogue) = spawn_for(Answer::Accept).await;
    let (browser, case_page) = send_case(&app).await;
    case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert_eq!(zp.tokens_issued.lock().unwrap().len(), 1);

    // The delivery service revokes the token the portal keeps for another 29 minutes.
    *zp.access_token.lock().unwrap() = "tok-2".into();
    let (browser, case_page) = send_case(&app).await;
    let body = case_page_shows(&browser, &case_page, "An die Behörde übermittelt am").await;
    assert!(body.contains("An die Behörde übermittelt am"), "{body}");
    assert_eq!(zp.tokens_issued.lock().unwrap().len(), 2, "one new token");
    assert!(
        outbox::deliveries(&app.db, true, 10).await.unwrap().is_empty(),
        "nothing given up"
    );
}

#[tokio::test]
async fn evidence_files_go_as_encrypted_attachments_listed_in_the_metadata() {
    use crate::applications::{logged_in, send_draft, unique};
    use crate::evidence::{add_evidence_form, evidence_step, pdf, send_files};
    use crate::helpers::FormPart;
    let (zp, base) = Zustellpunkt::start(Answer::Accept);
    let catalogue = catalogue_with_fit_connect(&base, &zp.destination_id);
    add_evidence_form(catalogue.path());
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(move |s| {
        s.tenants_dir = dir;
        s.outbox_retry_seconds = 0.05;
    })
    .await;
    let browser = logged_in(&app, &unique("anna")).await;
    let step = evidence_step(&browser).await;
    let scan = pdf("Ausweis von Anna");
    let file = FormPart::file("ausweis", "ausweis.pdf", "application/pdf", &scan);
    assert_eq!(send_files(&browser, &step, vec![file], "weiter").await.status, 303);
    let sent = send_draft(&browser, step.trim_end_matches("/schritt/belege")).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    case_page_shows(&browser, &sent.location().unwrap(), "An die Behörde übermittelt am").await;

    assert_eq!(*zp.problems.lock().unwrap(), Vec::<String>::new());
    let submissions = zp.submissions.lock().unwrap();
    let submission = submissions.values().next().unwrap();
    assert_eq!(submission.attachments.len(), 2, "the receipt and the file");
    assert!(
        submission
            .attachments
            .values()
            .any(|(_, plaintext, _)| *plaintext == scan),
        "the file, decrypted, as uploaded"
    );
    let listed = submission.metadata.as_ref().unwrap()["contentStructure"]["attachments"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        listed
            .iter()
            .any(|a| a["filename"] == "ausweis.pdf" && a["purpose"] == "attachment"),
        "{listed:?}"
    );
    assert_eq!(
        submission.data.as_ref().unwrap()["attachments"][0]["name"],
        "ausweis.pdf"
    );
}
