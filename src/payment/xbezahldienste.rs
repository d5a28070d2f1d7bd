//! XBezahldienste 1.0.0, the portal's side (`../shared/reference/xbezahldienste.md`): a payment
//! transaction is created with `POST {base}/paymenttransaction/{originatorId}/{endPointId}` and read
//! back with `GET …/{transactionId}`; `GET {base}/status/{originatorId}/{endPointId}` checks the
//! configuration. The status is only ever taken from the provider's answer to the portal, never from
//! the citizen's return to the portal.
//!
//! Amounts are integer cents inside the portal and decimal euros with two places on the wire; the
//! standard leaves authentication to the provider, so HTTP Basic, OAuth2 client credentials and a
//! client certificate (mTLS) are supported.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::domain::Money;
use crate::domain::payment::is_id;
use crate::remote::{answer_body, describe, host, may_pass};

/// The longest `purpose` the standard allows.
pub const PURPOSE_MAX: usize = 27;
const DESCRIPTION_MAX: usize = 250;
/// The largest amount the standard allows, in cents (999,999 €).
const AMOUNT_MAX_CENTS: i64 = 99_999_900;

/// How the portal proves itself to a provider.
pub enum Credentials {
    /// No authentication (the demo provider, a provider reached through a private network).
    None,
    /// HTTP Basic (e.g. epay21).
    Basic { user: String, password: String },
    /// OAuth2 client credentials: a bearer token from `token_url` (e.g. pmPayment, GiroCheckout).
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
    },
    /// A TLS client certificate, given as PEM with its private key (e.g. ePayBL).
    ClientCertificate { pem: Vec<u8> },
}

/// One tenant's account with its ePayment provider.
pub struct Provider {
    /// Base URL, ending in `/`; the standard's paths are relative to it.
    base_url: String,
    originator_id: String,
    end_point_id: String,
    credentials: Credentials,
    http: reqwest::Client,
    /// The OAuth2 access token while it is valid.
    token: Mutex<Option<(String, Instant)>>,
}

/// A line of the payment: the fee, with the booking data the authority's cash office needs.
pub struct Item {
    pub id: String,
    pub reference: String,
    pub description: String,
    pub amount: Money,
    pub booking_data: BTreeMap<String, String>,
}

/// What the portal asks to be paid. The gross amount is the sum of the items, so they always agree.
pub struct PaymentRequest {
    /// The portal's id of the payment (a UUID), kept before it is sent: a repeat with the same id
    /// is refused by the provider with `PAYMENT_EXISTS`, never paid twice.
    pub request_id: String,
    pub purpose: String,
    pub description: String,
    /// Where the provider sends the citizen back to.
    pub redirect_url: String,
    pub items: Vec<Item>,
}

impl PaymentRequest {
    pub fn amount(&self) -> Option<Money> {
        self.items
            .iter()
            .try_fold(0i64, |sum, item| sum.checked_add(item.amount.cents()))
            .map(Money::from_cents)
    }
}

/// A transaction's status: `INITIAL` until the citizen paid (`PAYED`), gave up (`CANCELED`) or the
/// provider ended it (`FAILED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Initial,
    Payed,
    Canceled,
    Failed,
    /// A status the standard does not name: treated as not paid, and shown to operators.
    Other(String),
}

impl Status {
    fn parse(raw: &str) -> Self {
        match raw {
            "INITIAL" => Self::Initial,
            "PAYED" => Self::Payed,
            "CANCELED" => Self::Canceled,
            "FAILED" => Self::Failed,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Initial => "INITIAL",
            Self::Payed => "PAYED",
            Self::Canceled => "CANCELED",
            Self::Failed => "FAILED",
            Self::Other(other) => other,
        }
    }
}

/// A payment transaction as the provider reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub id: String,
    pub status: Status,
    /// The provider's payment page, while the transaction is `INITIAL`.
    pub redirect_url: Option<String>,
    /// The provider's business reference (e.g. the Kassenzeichen), once paid.
    pub reference: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub method: Option<String>,
    /// The amount the provider holds for the transaction, when it repeats the request.
    pub amount: Option<Money>,
}

/// What the standard's problem answers say went wrong (`functionalCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionalCode {
    NoValidOriginatorOrEndpoint,
    PaymentExists,
    CalculationError,
    BookingDataMissing,
    ValidationError,
    Forbidden,
    Unspecified,
    Other(String),
}

impl FunctionalCode {
    fn parse(raw: &str) -> Self {
        match raw {
            "NO_VALID_ORIGINATOR_OR_ENDPOINT" | "NO_VALID_ORIGINATOR_OR_DESTINATION" => {
                Self::NoValidOriginatorOrEndpoint
            }
            "PAYMENT_EXISTS" => Self::PaymentExists,
            "CALCULATION_ERROR" => Self::CalculationError,
            "BOOKING_DATA_MISSING" => Self::BookingDataMissing,
            "VALIDATION_ERROR" => Self::ValidationError,
            "FORBIDDEN" => Self::Forbidden,
            "UNSPECIFIED" => Self::Unspecified,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Why a call did not give a transaction. Messages are for operators: they name the provider and
/// what went wrong, never the citizen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentError {
    /// The provider refused the request; the same request would be refused again.
    #[error("the payment provider refused ({status}, {code:?}): {detail}")]
    Refused {
        status: u16,
        code: FunctionalCode,
        detail: String,
    },
    /// Down, slow, overloaded or an answer that cannot be read: worth asking again later.
    #[error("the payment provider cannot be reached: {0}")]
    Unavailable(String),
    /// The portal's own request breaks the standard's limits (a configuration error).
    #[error("the payment request breaks the standard: {0}")]
    Invalid(String),
}

impl Provider {
    /// A provider at `base_url` (its `paymenttransaction` and `status` paths are relative to it).
    pub fn new(
        base_url: &str,
        originator_id: &str,
        end_point_id: &str,
        credentials: Credentials,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        for (name, id) in [("originator_id", originator_id), ("end_point_id", end_point_id)] {
            anyhow::ensure!(
                is_id(id),
                "{name} must be 1 to 36 letters, digits, '_' or '-', as the provider issued it"
            );
        }
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout);
        if let Credentials::ClientCertificate { pem } = &credentials {
            http = http.identity(reqwest::Identity::from_pem(pem)?);
        }
        Ok(Self {
            base_url: format!("{}/", base_url.trim_end_matches('/')),
            originator_id: originator_id.to_owned(),
            end_point_id: end_point_id.to_owned(),
            credentials,
            http: http.build()?,
            token: Mutex::new(None),
        })
    }

    fn transactions_url(&self) -> String {
        format!(
            "{}paymenttransaction/{}/{}",
            self.base_url, self.originator_id, self.end_point_id
        )
    }

    /// Creates the transaction; its `redirect_url` is where the citizen pays.
    pub async fn create(&self, request: &PaymentRequest) -> Result<Transaction, PaymentError> {
        let body = wire_request(request, Utc::now())?;
        let call = self.http.post(self.transactions_url()).json(&body);
        self.transaction_of(call).await
    }

    /// The transaction as the provider holds it now.
    pub async fn transaction(&self, transaction_id: &str) -> Result<Transaction, PaymentError> {
        let url = format!(
            "{}/{}",
            self.transactions_url(),
            crate::query::encode_query_value(transaction_id)
        );
        self.transaction_of(self.http.get(url)).await
    }

    /// Whether the provider knows this configuration and accepts the credentials.
    pub async fn check(&self) -> Result<(), PaymentError> {
        let url = format!("{}status/{}/{}", self.base_url, self.originator_id, self.end_point_id);
        self.call(self.http.get(url)).await.map(drop)
    }

    async fn transaction_of(&self, call: reqwest::RequestBuilder) -> Result<Transaction, PaymentError> {
        let body = self.call(call).await?;
        let wire: WireTransaction = serde_json::from_slice(&body)
            .map_err(|e| PaymentError::Unavailable(format!("{} answered with no transaction: {e}", self.host())))?;
        wire.into_transaction()
            .map_err(|e| PaymentError::Unavailable(format!("{} answered {e}", self.host())))
    }

    /// Sends with the credentials and reads a successful answer's body; a refused bearer token is
    /// dropped and the call made once more with a new one.
    async fn call(&self, call: reqwest::RequestBuilder) -> Result<Vec<u8>, PaymentError> {
        let again = call.try_clone();
        let mut response = self.send(call).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED
            && matches!(self.credentials, Credentials::ClientCredentials { .. })
            && let Some(again) = again
        {
            self.forget_token();
            response = self.send(again).await?;
        }
        let status = response.status();
        let body = answer_body(response)
            .await
            .ok_or_else(|| PaymentError::Unavailable(format!("{} answered more than can be read", self.host())))?;
        if status.is_success() {
            return Ok(body);
        }
        let problem: Problem = serde_json::from_slice(&body).unwrap_or_default();
        let detail = problem.detail.or(problem.title).unwrap_or_default();
        match problem.functional_code.as_deref().map(FunctionalCode::parse) {
            Some(code) if status.is_client_error() && !may_pass(status) => Err(PaymentError::Refused {
                status: status.as_u16(),
                code,
                detail,
            }),
            _ if may_pass(status) => Err(PaymentError::Unavailable(format!(
                "{} answered {status} {detail}",
                self.host()
            ))),
            code => Err(PaymentError::Refused {
                status: status.as_u16(),
                code: code.unwrap_or(FunctionalCode::Unspecified),
                detail,
            }),
        }
    }

    async fn send(&self, call: reqwest::RequestBuilder) -> Result<reqwest::Response, PaymentError> {
        let call = match &self.credentials {
            Credentials::None | Credentials::ClientCertificate { .. } => call,
            Credentials::Basic { user, password } => call.basic_auth(user, Some(password)),
            Credentials::ClientCredentials { .. } => call.bearer_auth(self.bearer().await?),
        };
        call.header(reqwest::header::ACCEPT, "application/json, application/problem+json")
            .send()
            .await
            .map_err(|e| PaymentError::Unavailable(format!("{}: {}", self.host(), describe(&e))))
    }

    /// The OAuth2 access token: the kept one while valid, else a new one.
    async fn bearer(&self) -> Result<String, PaymentError> {
        let Credentials::ClientCredentials {
            token_url,
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Err(PaymentError::Invalid("no client credentials".into()));
        };
        if let Ok(kept) = self.token.lock()
            && let Some((token, until)) = kept.as_ref()
            && *until > Instant::now()
        {
            return Ok(token.clone());
        }
        let response = self
            .http
            .post(token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", client_secret.as_str()),
            ])
            .send()
            .await
            .map_err(|e| PaymentError::Unavailable(format!("token {}: {}", host(token_url), describe(&e))))?;
        let status = response.status();
        // The answer is not logged: it may echo the secret.
        if !status.is_success() {
            return Err(PaymentError::Refused {
                status: status.as_u16(),
                code: FunctionalCode::Forbidden,
                detail: format!("token {} answered {status}", host(token_url)),
            });
        }
        let body = answer_body(response).await.unwrap_or_default();
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| {
            PaymentError::Unavailable(format!("token {} answered without access_token", host(token_url)))
        })?;
        let lifetime = answer.expires_in.unwrap_or(300).min(3600);
        let until = Instant::now() + Duration::from_secs(lifetime.saturating_sub(30));
        if let Ok(mut kept) = self.token.lock() {
            *kept = Some((answer.access_token.clone(), until));
        }
        Ok(answer.access_token)
    }

    fn forget_token(&self) {
        if let Ok(mut kept) = self.token.lock() {
            *kept = None;
        }
    }

    fn host(&self) -> String {
        host(&self.base_url)
    }
}

/// `text` as a `purpose`: umlauts spelt out, other characters outside `[A-Za-z0-9 -]` dropped, at
/// most 27 characters (what the citizen's bank statement shows).
pub fn purpose(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let spelt: &str = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'Ä' => "Ae",
            'Ö' => "Oe",
            'Ü' => "Ue",
            'ß' => "ss",
            c if c.is_whitespace() => " ",
            c if c.is_ascii_alphanumeric() || c == '-' => {
                out.push(c);
                continue;
            }
            _ => continue,
        };
        out.push_str(spelt);
    }
    let trimmed: String = out.split_whitespace().collect::<Vec<_>>().join(" ");
    trimmed
        .chars()
        .take(PURPOSE_MAX)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// A description as the standard allows it: letters (Latin with accents), digits, spaces and
/// `-,.`, at most 250 characters.
fn description(text: &str) -> String {
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || (' '..='~').contains(&c) && " -,.".contains(c)
            || ('\u{C0}'..='\u{17F}').contains(&c)
    };
    text.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| allowed(*c))
        .take(DESCRIPTION_MAX)
        .collect()
}

/// Euros with two places, written as a JSON number: `30.70`, never `30.7` or `3070`.
pub(crate) struct Euros(pub(crate) Money);

impl Serialize for Euros {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let cents = self.0.cents();
        let raw =
            RawValue::from_string(format!("{}.{:02}", cents / 100, cents % 100)).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest<'a> {
    request_id: &'a str,
    request_timestamp: String,
    currency: &'static str,
    gros_amount: Euros,
    purpose: String,
    description: String,
    redirect_url: &'a str,
    items: Vec<WireItem<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireItem<'a> {
    id: &'a str,
    reference: &'a str,
    description: String,
    tax_rate: u8,
    quantity: u32,
    single_net_amount: Euros,
    single_tax_amount: Euros,
    total_net_amount: Euros,
    total_tax_amount: Euros,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    booking_data: &'a BTreeMap<String, String>,
}

/// The request as sent, checked against the standard's limits. Fees are not taxed: each item is
/// one unit at its net amount with no tax, so `grosAmount` is the sum of the items.
fn wire_request(request: &PaymentRequest, now: DateTime<Utc>) -> Result<WireRequest<'_>, PaymentError> {
    let invalid = |what: &str| PaymentError::Invalid(what.to_owned());
    let amount = request.amount().ok_or_else(|| invalid("the amounts overflow"))?;
    if !(1..=AMOUNT_MAX_CENTS).contains(&amount.cents()) || request.items.iter().any(|i| i.amount.cents() < 0) {
        return Err(invalid("an amount is out of the range 0.01 to 999999 euros"));
    }
    if !is_id(&request.request_id)
        || request
            .items
            .iter()
            .any(|i| !is_id(&i.id) || i.reference.is_empty() || i.reference.len() > 36)
    {
        return Err(invalid("an id or reference is not 1 to 36 letters, digits, '_' or '-'"));
    }
    if request.items.is_empty() || request.items.len() > 99 {
        return Err(invalid("a payment has 1 to 99 items"));
    }
    if request.redirect_url.is_empty() || request.redirect_url.len() > 2082 {
        return Err(invalid("the redirect URL is empty or longer than 2082 characters"));
    }
    let purpose = purpose(&request.purpose);
    if purpose.is_empty() {
        return Err(invalid("the purpose is empty"));
    }
    Ok(WireRequest {
        request_id: &request.request_id,
        request_timestamp: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        currency: "EUR",
        gros_amount: Euros(amount),
        purpose,
        description: description(&request.description),
        redirect_url: &request.redirect_url,
        items: request
            .items
            .iter()
            .map(|item| WireItem {
                id: &item.id,
                reference: &item.reference,
                description: description(&item.description),
                tax_rate: 0,
                quantity: 1,
                single_net_amount: Euros(item.amount),
                single_tax_amount: Euros(Money::from_cents(0)),
                total_net_amount: Euros(item.amount),
                total_tax_amount: Euros(Money::from_cents(0)),
                booking_data: &item.booking_data,
            })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTransaction {
    payment_request: Option<WireEcho>,
    payment_information: WireInformation,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEcho {
    gros_amount: Option<serde_json::Number>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInformation {
    transaction_id: String,
    status: String,
    transaction_redirect_url: Option<String>,
    transaction_reference: Option<String>,
    transaction_timestamp: Option<String>,
    payment_method: Option<String>,
}

impl WireTransaction {
    fn into_transaction(self) -> Result<Transaction, String> {
        let info = self.payment_information;
        if info.transaction_id.is_empty() || info.transaction_id.len() > 200 {
            return Err("a transaction id that is empty or too long".into());
        }
        let amount = match self.payment_request.and_then(|echo| echo.gros_amount) {
            Some(number) => {
                Some(cents_of(&number).ok_or_else(|| format!("an amount the portal cannot read: {number}"))?)
            }
            None => None,
        };
        Ok(Transaction {
            id: info.transaction_id,
            status: Status::parse(&info.status),
            redirect_url: info.transaction_redirect_url.filter(|u| !u.is_empty()),
            reference: info.transaction_reference.filter(|r| !r.is_empty()),
            paid_at: info
                .transaction_timestamp
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
            method: info.payment_method,
            amount,
        })
    }
}

/// Euros as a JSON number in exact cents: `30.7` and `30.70` are 3070; `30.705` is no amount.
pub(crate) fn cents_of(number: &serde_json::Number) -> Option<Money> {
    use rust_decimal::prelude::ToPrimitive;
    let euros: rust_decimal::Decimal = number.to_string().parse().ok()?;
    let cents = euros.checked_mul(rust_decimal::Decimal::ONE_HUNDRED)?;
    if !cents.fract().is_zero() {
        return None;
    }
    cents.to_i64().map(Money::from_cents)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    functional_code: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cents: &[i64]) -> PaymentRequest {
        PaymentRequest {
            request_id: "5f0c2b1e-8a4d-4c1e-9b7a-2d3f4e5a6b7c".into(),
            purpose: "Anwohnerparkausweis BP-2026-ABCD1234 Musterstraße".into(),
            description: "Gebühr für den Anwohnerparkausweis\n(Stadt Musterstadt) <b>".into(),
            redirect_url: "https://portal.example/antrag/1/zahlung".into(),
            items: cents
                .iter()
                .enumerate()
                .map(|(n, c)| Item {
                    id: format!("{}", n + 1),
                    reference: "GEB-PARK".into(),
                    description: "Gebühr".into(),
                    amount: Money::from_cents(*c),
                    booking_data: BTreeMap::from([("HHST".to_owned(), "1234.5678".to_owned())]),
                })
                .collect(),
        }
    }

    #[test]
    fn amounts_go_on_the_wire_as_euros_with_two_places_and_the_total_is_the_sum_of_the_items() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T10:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let request = request(&[3000, 70]);
        let json = serde_json::to_string(&wire_request(&request, now).unwrap()).unwrap();
        assert!(json.contains(r#""grosAmount":30.70"#), "{json}");
        assert!(json.contains(r#""singleNetAmount":30.00"#), "{json}");
        assert!(json.contains(r#""totalNetAmount":0.70"#), "{json}");
        assert!(
            json.contains(r#""requestTimestamp":"2026-12-05T10:15:00.000Z""#),
            "{json}"
        );
        assert!(json.contains(r#""currency":"EUR""#), "{json}");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["purpose"], "Anwohnerparkausweis BP-2026");
        assert_eq!(
            value["description"],
            "Gebühr für den Anwohnerparkausweis Stadt Musterstadt b"
        );
        assert_eq!(value["items"][0]["bookingData"]["HHST"], "1234.5678");
    }

    #[test]
    fn requests_outside_the_standards_limits_are_not_sent() {
        let now = Utc::now();
        assert!(wire_request(&request(&[0]), now).is_err(), "nothing to pay");
        assert!(wire_request(&request(&[100, -50]), now).is_err(), "a negative item");
        assert!(
            wire_request(&request(&[AMOUNT_MAX_CENTS + 1]), now).is_err(),
            "over 999,999 euros"
        );
        assert!(
            wire_request(&request(&[i64::MAX, 1]), now).is_err(),
            "an overflowing sum"
        );
        let mut bad_id = request(&[100]);
        bad_id.request_id = "a/b".into();
        assert!(wire_request(&bad_id, now).is_err());
        let mut no_purpose = request(&[100]);
        no_purpose.purpose = "§§§".into();
        assert!(wire_request(&no_purpose, now).is_err());
        assert!(wire_request(&request(&[AMOUNT_MAX_CENTS]), now).is_ok());
    }

    #[test]
    fn purposes_keep_only_what_the_standard_allows() {
        assert_eq!(purpose("Gebühr Straße 12/3"), "Gebuehr Strasse 123");
        assert_eq!(purpose("  a\t\nb  "), "a b");
        assert_eq!(purpose(&"x".repeat(40)).len(), PURPOSE_MAX);
        assert_eq!(purpose("abcdefghijklmnopqrstuvwxyz ABC"), "abcdefghijklmnopqrstuvwxyz");
    }

    #[test]
    fn amounts_are_read_in_exact_cents() {
        let number = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
        assert_eq!(cents_of(&number("30.7")), Some(Money::from_cents(3070)));
        assert_eq!(cents_of(&number("30.70")), Some(Money::from_cents(3070)));
        assert_eq!(cents_of(&number("30")), Some(Money::from_cents(3000)));
        assert_eq!(cents_of(&number("0.1")), Some(Money::from_cents(10)));
        assert_eq!(cents_of(&number("30.705")), None);
    }

    #[test]
    fn a_transaction_is_read_with_its_status_and_echoed_amount() {
        let wire: WireTransaction = serde_json::from_str(
            r#"{"paymentRequest":{"requestId":"r1","grosAmount":30.7},
                "paymentInformation":{"transactionId":"TX-1","status":"PAYED","transactionReference":"KZ 4711",
                "transactionTimestamp":"2026-12-05T10:20:00.000Z","paymentMethod":"CREDITCARD",
                "transactionRedirectUrl":""}}"#,
        )
        .unwrap();
        let transaction = wire.into_transaction().unwrap();
        assert_eq!(transaction.status, Status::Payed);
        assert_eq!(transaction.amount, Some(Money::from_cents(3070)));
        assert_eq!(transaction.reference.as_deref(), Some("KZ 4711"));
        assert_eq!(transaction.redirect_url, None);
        assert!(transaction.paid_at.is_some());
        assert_eq!(Status::parse("REFUNDED"), Status::Other("REFUNDED".into()));
    }
}
