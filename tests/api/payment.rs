//! The XBezahldienste client against a provider on its own port that speaks the standard's HTTP
//! API, with faults on demand: refusals as problem+json, 500s, slow answers, expired tokens, a status
//! that changes between calls and an amount other than the one asked for. And the provider built into
//! demo mode, through the same client.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use buergerportal::domain::Money;
use buergerportal::payment::demo_provider::DemoProvider;
use buergerportal::payment::xbezahldienste::{
    Credentials, FunctionalCode, Item, PaymentError, PaymentRequest, Provider, Status,
};
use serde_json::{Value, json};

use crate::helpers::{free_port, spawn_with};

const ORIGINATOR: &str = "BUERGERPORTAL";
const END_POINT: &str = "064120000";
const TOKEN: &str = "token-eins";

/// A fault for the next call to the payment API.
#[derive(Clone)]
pub(crate) enum Fault {
    /// This status with a problem+json body carrying `functionalCode`.
    Problem(u16, &'static str),
    /// 500 without a body.
    ServerError,
    /// Answers after this long.
    Slow(Duration),
}

#[derive(Default)]
struct State {
    /// Transactions by id: the request as received, its status and the amount the provider holds.
    transactions: HashMap<String, (Value, &'static str, Option<f64>)>,
    faults: VecDeque<Fault>,
    /// Requests to the payment API: (method, path, Authorization header).
    calls: Vec<(String, String, String)>,
    tokens_issued: usize,
    /// The access token the API takes; others get 401.
    valid_token: String,
}

#[derive(Clone)]
pub(crate) struct TestProvider {
    state: Arc<Mutex<State>>,
    pub(crate) base: String,
}

impl TestProvider {
    pub(crate) fn start() -> Self {
        let state = Arc::new(Mutex::new(State {
            valid_token: TOKEN.into(),
            ..State::default()
        }));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}/api/v1/", listener.local_addr().unwrap().port());
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/oauth/token", web::post().to(token))
                .route("/api/v1/paymenttransaction/{o}/{e}", web::post().to(create))
                .route("/api/v1/paymenttransaction/{o}/{e}/{id}", web::get().to(read))
                .route("/api/v1/status/{o}/{e}", web::get().to(status))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { state, base }
    }

    fn token_url(&self) -> String {
        self.base.replace("/api/v1/", "/oauth/token")
    }

    pub(crate) fn fault(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    pub(crate) fn set(&self, id: &str, status: &'static str, amount: Option<f64>) {
        let mut state = self.state.lock().unwrap();
        let entry = state.transactions.get_mut(id).unwrap();
        entry.1 = status;
        entry.2 = amount;
    }

    fn received(&self, id: &str) -> Value {
        self.state.lock().unwrap().transactions[id].0.clone()
    }

    pub(crate) fn calls(&self) -> Vec<(String, String, String)> {
        self.state.lock().unwrap().calls.clone()
    }

    fn provider(&self, credentials: Credentials) -> Provider {
        Provider::new(&self.base, ORIGINATOR, END_POINT, credentials, Duration::from_secs(2)).unwrap()
    }
}

fn problem(status: u16, code: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/problem+json")
        .json(json!({"type": "about:blank", "status": status, "title": "Fehler", "detail": "abgelehnt", "functionalCode": code}))
}

async fn token(form: web::Form<HashMap<String, String>>, state: web::Data<Mutex<State>>) -> HttpResponse {
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_id").map(String::as_str) != Some("portal")
        || form.get("client_secret").map(String::as_str) != Some("portal-secret")
    {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let mut state = state.lock().unwrap();
    state.tokens_issued += 1;
    let token = state.valid_token.clone();
    HttpResponse::Ok().json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 600}))
}

/// Records the call and answers with the next fault, or checks the credentials: Basic `portal` /
/// `portal-secret`, or the valid bearer token.
async fn gate(req: &HttpRequest, state: &web::Data<Mutex<State>>) -> Option<HttpResponse> {
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (fault, valid_token) = {
        let mut state = state.lock().unwrap();
        state
            .calls
            .push((req.method().to_string(), req.path().to_owned(), authorization.clone()));
        (state.faults.pop_front(), state.valid_token.clone())
    };
    match fault {
        Some(Fault::Problem(status, code)) => return Some(problem(status, code)),
        Some(Fault::ServerError) => return Some(HttpResponse::InternalServerError().finish()),
        Some(Fault::Slow(pause)) => tokio::time::sleep(pause).await,
        None => {}
    }
    let basic = format!("Basic {}", base64_of("portal:portal-secret"));
    let accepted = authorization == basic || authorization == format!("Bearer {valid_token}");
    (!accepted).then(|| problem(401, "FORBIDDEN"))
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::prelude::BASE64_STANDARD.encode(text)
}

fn transaction(id: &str, request: &Value, status: &str, amount: Option<f64>, base: &str) -> Value {
    let mut information = json!({"transactionId": id, "status": status});
    if status == "INITIAL" {
        information["transactionRedirectUrl"] = json!(format!("{base}bezahlen/{id}"));
    }
    if status == "PAYED" {
        information["transactionReference"] = json!("KZ-4711");
        information["transactionTimestamp"] = json!("2026-12-05T10:20:00.000Z");
        information["paymentMethod"] = json!("CREDITCARD");
    }
    json!({
        "paymentRequest": {"requestId": request["requestId"], "grosAmount": amount},
        "paymentInformation": information,
    })
}

async fn create(req: HttpRequest, body: web::Bytes, state: web::Data<Mutex<State>>) -> HttpResponse {
    if let Some(answer) = gate(&req, &state).await {
        return answer;
    }
    let request: Value = serde_json::from_slice(&body).unwrap();
    let items: f64 = request["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["totalNetAmount"].as_f64().unwrap() + i["totalTaxAmount"].as_f64().unwrap())
        .sum();
    let gross = request["grosAmount"].as_f64().unwrap();
    if (items - gross).abs() > 0.001 {
        return problem(400, "CALCULATION_ERROR");
    }
    let mut state = state.lock().unwrap();
    let id = format!("TX-{}", request["requestId"].as_str().unwrap());
    if state.transactions.contains_key(&id) {
        return problem(400, "PAYMENT_EXISTS");
    }
    // The body as sent, so the test can read the amounts' notation.
    let mut kept = request.clone();
    kept["raw"] = json!(String::from_utf8_lossy(&body));
    state.transactions.insert(id.clone(), (kept, "INITIAL", Some(gross)));
    let base = format!("http://{}/", req.connection_info().host());
    HttpResponse::Ok().json(transaction(&id, &request, "INITIAL", Some(gross), &base))
}

async fn read(
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    if let Some(answer) = gate(&req, &state).await {
        return answer;
    }
    let state = state.lock().unwrap();
    match state.transactions.get(&path.2) {
        Some((request, status, amount)) => {
            let base = format!("http://{}/", req.connection_info().host());
            HttpResponse::Ok().json(transaction(&path.2, request, status, *amount, &base))
        }
        None => problem(404, "UNSPECIFIED"),
    }
}

async fn status(req: HttpRequest, path: web::Path<(String, String)>, state: web::Data<Mutex<State>>) -> HttpResponse {
    if let Some(answer) = gate(&req, &state).await {
        return answer;
    }
    if path.0 == ORIGINATOR && path.1 == END_POINT {
        HttpResponse::Ok().finish()
    } else {
        problem(403, "NO_VALID_ORIGINATOR_OR_ENDPOINT")
    }
}

fn basic() -> Credentials {
    Credentials::Basic {
        user: "portal".into(),
        password: "portal-secret".into(),
    }
}

fn fee_request(request_id: &str) -> PaymentRequest {
    PaymentRequest {
        request_id: request_id.into(),
        purpose: "Anwohnerparkausweis BP-7K2M".into(),
        description: "Gebühr Anwohnerparkausweis".into(),
        redirect_url: "http://127.0.0.1/antrag/d1/zahlung".into(),
        items: vec![Item {
            id: "1".into(),
            reference: "GEB-PARK".into(),
            description: "Anwohnerparkausweis".into(),
            amount: Money::from_cents(3070),
            booking_data: BTreeMap::from([("HHST".to_owned(), "1.1100.43100".to_owned())]),
        }],
    }
}

#[tokio::test]
async fn a_fee_is_asked_for_in_euros_with_two_places_and_its_status_read_from_the_provider() {
    let test = TestProvider::start();
    let provider = test.provider(basic());
    provider.check().await.unwrap();

    let created = provider.create(&fee_request("a1b2c3")).await.unwrap();
    assert_eq!(created.status, Status::Initial);
    assert!(
        created
            .redirect_url
            .as_deref()
            .unwrap()
            .ends_with("/bezahlen/TX-a1b2c3")
    );
    let sent = test.received(&created.id);
    let raw = sent["raw"].as_str().unwrap();
    assert!(raw.contains(r#""grosAmount":30.70"#), "{raw}");
    assert_eq!(sent["purpose"], "Anwohnerparkausweis BP-7K2M");
    assert_eq!(sent["currency"], "EUR");
    assert_eq!(sent["items"][0]["bookingData"]["HHST"], "1.1100.43100");

    test.set(&created.id, "PAYED", Some(30.7));
    let paid = provider.transaction(&created.id).await.unwrap();
    assert_eq!(paid.status, Status::Payed);
    assert_eq!(paid.amount, Some(Money::from_cents(3070)));
    assert_eq!(paid.reference.as_deref(), Some("KZ-4711"));
    assert_eq!(paid.redirect_url, None);

    // The provider's word is what counts, also when it changes its mind.
    test.set(&created.id, "FAILED", Some(30.7));
    assert_eq!(provider.transaction(&created.id).await.unwrap().status, Status::Failed);
    test.set(&created.id, "PAYED", Some(3.07));
    let wrong = provider.transaction(&created.id).await.unwrap();
    assert_eq!(
        wrong.amount,
        Some(Money::from_cents(307)),
        "an amount other than asked is reported as it is"
    );
}

#[tokio::test]
async fn refusals_carry_their_functional_code_and_the_same_request_is_never_a_second_payment() {
    let test = TestProvider::start();
    let provider = test.provider(basic());
    provider.create(&fee_request("twice")).await.unwrap();
    match provider.create(&fee_request("twice")).await {
        Err(PaymentError::Refused { code, status, .. }) => {
            assert_eq!((code, status), (FunctionalCode::PaymentExists, 400));
        }
        other => panic!("a repeated request id was not refused: {other:?}"),
    }
    test.fault(Fault::Problem(400, "BOOKING_DATA_MISSING"));
    assert!(matches!(
        provider.create(&fee_request("booking")).await,
        Err(PaymentError::Refused {
            code: FunctionalCode::BookingDataMissing,
            ..
        })
    ));
    let wrong_ids = Provider::new(&test.base, "ANDERE", END_POINT, basic(), Duration::from_secs(2)).unwrap();
    assert!(matches!(
        wrong_ids.check().await,
        Err(PaymentError::Refused {
            code: FunctionalCode::NoValidOriginatorOrEndpoint,
            status: 403,
            ..
        })
    ));
    let wrong_password = test.provider(Credentials::Basic {
        user: "portal".into(),
        password: "falsch".into(),
    });
    assert!(matches!(
        wrong_password.check().await,
        Err(PaymentError::Refused {
            code: FunctionalCode::Forbidden,
            status: 401,
            ..
        })
    ));
    assert!(matches!(
        provider.transaction("TX-unbekannt").await,
        Err(PaymentError::Refused { status: 404, .. })
    ));
}

#[tokio::test]
async fn a_provider_that_fails_or_is_slow_is_unavailable_not_a_refusal() {
    let test = TestProvider::start();
    let provider = test.provider(basic());
    let created = provider.create(&fee_request("langsam")).await.unwrap();
    test.fault(Fault::ServerError);
    assert!(matches!(
        provider.transaction(&created.id).await,
        Err(PaymentError::Unavailable(_))
    ));
    test.fault(Fault::Slow(Duration::from_secs(5)));
    let started = std::time::Instant::now();
    let slow = provider.transaction(&created.id).await;
    assert!(
        matches!(slow, Err(PaymentError::Unavailable(ref e)) if e.contains("no answer in time")),
        "{slow:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the call waited for the slow answer"
    );
    // Afterwards it answers again.
    assert_eq!(provider.transaction(&created.id).await.unwrap().status, Status::Initial);

    let nobody = Provider::new(
        "http://127.0.0.1:9/api/",
        ORIGINATOR,
        END_POINT,
        basic(),
        Duration::from_secs(2),
    )
    .unwrap();
    assert!(matches!(nobody.check().await, Err(PaymentError::Unavailable(ref e)) if e.contains("cannot connect")));
}

#[tokio::test]
async fn client_credentials_get_one_token_and_a_new_one_when_it_is_refused() {
    let test = TestProvider::start();
    let provider = test.provider(Credentials::ClientCredentials {
        token_url: test.token_url(),
        client_id: "portal".into(),
        client_secret: "portal-secret".into(),
    });
    let created = provider.create(&fee_request("oauth")).await.unwrap();
    provider.transaction(&created.id).await.unwrap();
    assert_eq!(
        test.state.lock().unwrap().tokens_issued,
        1,
        "the token is kept between calls"
    );
    assert!(
        test.calls()
            .iter()
            .all(|(_, _, auth)| auth == &format!("Bearer {TOKEN}"))
    );

    // The provider revokes the token: the next call fetches a new one and goes through.
    test.state.lock().unwrap().valid_token = "token-zwei".into();
    provider.transaction(&created.id).await.unwrap();
    assert_eq!(test.state.lock().unwrap().tokens_issued, 2);

    let wrong_secret = test.provider(Credentials::ClientCredentials {
        token_url: test.token_url(),
        client_id: "portal".into(),
        client_secret: "falsch".into(),
    });
    let refused = wrong_secret.check().await;
    assert!(
        matches!(refused, Err(PaymentError::Refused { status: 401, .. })),
        "{refused:?}"
    );
    assert!(
        !format!("{refused:?}").contains("falsch"),
        "the secret is not in the error"
    );
}

#[tokio::test]
async fn ids_outside_the_standard_are_a_configuration_error() {
    let test = TestProvider::start();
    for (originator, end_point) in [
        ("", END_POINT),
        (ORIGINATOR, "06412/0000"),
        (&*"A".repeat(37), END_POINT),
    ] {
        assert!(Provider::new(&test.base, originator, end_point, basic(), Duration::from_secs(2)).is_err());
    }
}

/// The provider built into demo mode, through the portal's real client over HTTP: created, paid on
/// its page, read back; a repeated request id and a return address off the portal are refused.
#[tokio::test]
async fn the_demo_provider_speaks_the_standard_and_lets_one_choose_how_a_payment_ends() {
    let port = free_port();
    let app = spawn_with(|s| {
        s.listen = format!("127.0.0.1:{port}").parse().unwrap();
        s.base_url = format!("http://127.0.0.1:{port}");
    })
    .await;
    let provider = Provider::new(
        &DemoProvider::base_url(&app.address),
        ORIGINATOR,
        END_POINT,
        Credentials::None,
        Duration::from_secs(2),
    )
    .unwrap();
    provider.check().await.unwrap();
    let mut request = fee_request("demo-1");
    request.redirect_url = format!("{}/antrag/d1/zahlung", app.address);
    let created = provider.create(&request).await.unwrap();
    assert_eq!(
        (created.status.clone(), created.amount),
        (Status::Initial, Some(Money::from_cents(3070)))
    );
    let page_url = created.redirect_url.clone().unwrap();
    assert!(
        page_url.starts_with(&format!("{}/demo-bezahldienst/bezahlen/", app.address)),
        "{page_url}"
    );

    let page = app.client.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("30,70 €") && page.contains("Anwohnerparkausweis BP-7K2M"),
        "{page}"
    );
    let chosen = app
        .client
        .post(&page_url)
        .form(&[("ergebnis", "bezahlt")])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 303);
    assert_eq!(chosen.headers()["location"], request.redirect_url.as_str());
    let paid = provider.transaction(&created.id).await.unwrap();
    assert_eq!(paid.status, Status::Payed);
    assert!(paid.reference.is_some() && paid.paid_at.is_some());
    // A payment that has ended stays as it ended.
    app.client
        .post(&page_url)
        .form(&[("ergebnis", "abgebrochen")])
        .send()
        .await
        .unwrap();
    assert_eq!(provider.transaction(&created.id).await.unwrap().status, Status::Payed);

    match provider.create(&request).await {
        Err(PaymentError::Refused { code, .. }) => assert_eq!(code, FunctionalCode::PaymentExists),
        other => panic!("a repeated request id was not refused: {other:?}"),
    }
    let mut elsewhere = fee_request("demo-2");
    elsewhere.redirect_url = "https://evil.example/zahlung".into();
    match provider.create(&elsewhere).await {
        Err(PaymentError::Refused { code, .. }) => assert_eq!(code, FunctionalCode::ValidationError),
        other => panic!("a return address off the portal was not refused: {other:?}"),
    }
    let unknown = app
        .client
        .get(format!("{}/demo-bezahldienst/bezahlen/nope", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

/// A provider that takes only clients with a certificate its CA signed, as ePayBL does: TLS on its
/// own port with a server certificate of a CA made for the test, answering each request with 200.
struct CertificateProvider {
    base: String,
    /// The CA, for the portal's side to trust (`SSL_CERT_FILE`).
    ca_file: tempfile::NamedTempFile,
    /// A client certificate the CA signed, and one it did not: each with its key, as PEM.
    client_pem: String,
    stranger_pem: String,
    served: Arc<Mutex<usize>>,
}

fn certificate_authority(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}

/// A certificate the CA signed for `names`, for `usage`, with its key.
fn signed_by(
    ca: &rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    names: &[&str],
    usage: rcgen::ExtendedKeyUsagePurpose,
) -> (rcgen::Certificate, rcgen::KeyPair) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    params.extended_key_usages = vec![usage];
    let key = rcgen::KeyPair::generate().unwrap();
    (params.signed_by(&key, ca).unwrap(), key)
}

impl CertificateProvider {
    async fn start() -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio_rustls::rustls::{self, pki_types};

        let ca = certificate_authority("Test-CA Zahlungsdienst");
        let (server, server_key) = signed_by(&ca, &["127.0.0.1"], rcgen::ExtendedKeyUsagePurpose::ServerAuth);
        let (client, client_key) = signed_by(&ca, &["portal.example"], rcgen::ExtendedKeyUsagePurpose::ClientAuth);
        let other_ca = certificate_authority("Eine andere CA");
        let (stranger, stranger_key) = signed_by(
            &other_ca,
            &["portal.example"],
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        );

        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .unwrap();
        let key = pki_types::PrivateKeyDer::Pkcs8(pki_types::PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let config = rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![server.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("https://127.0.0.1:{}/api/v1/", listener.local_addr().unwrap().port());
        let served = Arc::new(Mutex::new(0));
        let counter = served.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, counter) = (acceptor.clone(), counter.clone());
                tokio::spawn(async move {
                    // A client without a certificate the CA signed ends here, in the handshake.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buffer[..n]),
                        }
                    }
                    *counter.lock().unwrap() += 1;
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        let mut ca_file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut ca_file, ca.pem().as_bytes()).unwrap();
        Self {
            base,
            ca_file,
            client_pem: client.pem() + &client_key.serialize_pem(),
            stranger_pem: stranger.pem() + &stranger_key.serialize_pem(),
            served,
        }
    }
}

#[tokio::test]
async fn a_provider_that_asks_for_a_client_certificate_gets_the_configured_one_and_no_other() {
    let provider = CertificateProvider::start().await;
    // The provider's server certificate comes from a CA this machine trusts: here the test's own,
    // as an operator would add a private CA to the system's store.
    unsafe { std::env::set_var("SSL_CERT_FILE", provider.ca_file.path()) };
    let with = |credentials| {
        Provider::new(
            &provider.base,
            ORIGINATOR,
            END_POINT,
            credentials,
            Duration::from_secs(2),
        )
    };
    let certificate = |pem: &str| Credentials::ClientCertificate {
        pem: pem.as_bytes().to_vec(),
    };

    let checked = with(certificate(&provider.client_pem)).unwrap().check().await;
    assert!(checked.is_ok(), "{checked:?}");
    assert_eq!(*provider.served.lock().unwrap(), 1);

    // Without a certificate, or with one another CA signed, the handshake fails: the provider is
    // unavailable to the portal, and no request reaches it.
    for credentials in [Credentials::None, certificate(&provider.stranger_pem)] {
        let refused = with(credentials).unwrap().check().await;
        assert!(matches!(refused, Err(PaymentError::Unavailable(_))), "{refused:?}");
    }
    assert_eq!(*provider.served.lock().unwrap(), 1);

    // A secret that holds no certificate and key is a configuration error, found before any call.
    assert!(with(certificate("kein Zertifikat")).is_err());
}
