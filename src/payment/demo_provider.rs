//! The ePayment provider built into demo mode. It speaks the XBezahldienste HTTP API under
//! `/demo-bezahldienst/`, so the portal's real client talks to it over HTTP as it would to a
//! provider, and its payment page lets one choose "bezahlt", "fehlgeschlagen" or "abgebrochen". It
//! takes no money, keeps its transactions in memory (one node, lost at restart) and sends citizens
//! back only to the portal and its tenants' hosts. A tenant uses it with `[payment] base_url = "demo"`, which a
//! production configuration refuses (see `PaymentSettings::development_only`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::xbezahldienste::{Euros, PURPOSE_MAX, cents_of};
use crate::domain::Money;
use crate::domain::payment::is_id;
use crate::error::AppError;

/// Where the demo provider is mounted.
pub const PATH: &str = "/demo-bezahldienst";

/// The demo provider keeps this many transactions, forgetting the oldest: anyone may create them,
/// so memory must not grow with them.
const KEPT: usize = 10_000;

/// The demo provider's transactions, by id.
pub struct DemoProvider {
    /// The portal's own base URL, for the page's address.
    portal: String,
    /// Where citizens may be sent back to: the portal and the tenants' own hosts.
    origins: Vec<String>,
    transactions: Mutex<Transactions>,
}

/// The transactions by id, and their ids oldest first.
#[derive(Default)]
struct Transactions {
    by_id: HashMap<String, DemoTransaction>,
    order: VecDeque<String>,
}

impl Transactions {
    fn insert(&mut self, id: String, transaction: DemoTransaction) {
        if self.order.len() >= KEPT
            && let Some(oldest) = self.order.pop_front()
        {
            self.by_id.remove(&oldest);
        }
        self.order.push_back(id.clone());
        self.by_id.insert(id, transaction);
    }
}

struct DemoTransaction {
    originator_id: String,
    end_point_id: String,
    request_id: String,
    amount: Money,
    purpose: String,
    redirect_url: String,
    status: &'static str,
    paid_at: Option<DateTime<Utc>>,
}

impl DemoProvider {
    /// `tenant_hosts`: the host names tenants are reached at, which citizens return to as well.
    pub fn new(portal_base_url: &str, tenant_hosts: &[String]) -> Self {
        let portal = portal_base_url.trim_end_matches('/').to_owned();
        let scheme = portal.split_once("://").map_or("https", |(scheme, _)| scheme);
        let origins = std::iter::once(format!("{portal}/"))
            .chain(tenant_hosts.iter().map(|host| format!("{scheme}://{host}/")))
            .collect();
        Self {
            portal,
            origins,
            transactions: Mutex::new(Transactions::default()),
        }
    }

    /// The base URL the portal's client uses for a tenant with `base_url = "demo"`.
    pub fn base_url(portal_base_url: &str) -> String {
        format!("{}{PATH}/", portal_base_url.trim_end_matches('/'))
    }

    fn page_url(&self, id: &str) -> String {
        format!("{}{PATH}/bezahlen/{id}", self.portal)
    }

    fn answer<'a>(&self, id: &'a str, t: &'a DemoTransaction) -> Answer<'a> {
        let open = t.status == "INITIAL";
        Answer {
            payment_request: Echo {
                request_id: &t.request_id,
                gros_amount: Euros(t.amount),
                purpose: &t.purpose,
            },
            payment_information: Information {
                transaction_id: id,
                status: t.status,
                transaction_redirect_url: open.then(|| self.page_url(id)),
                transaction_reference: t.paid_at.map(|_| format!("DEMO-{}", id.get(..8).unwrap_or(id))),
                transaction_timestamp: t.paid_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)),
                payment_method: t.paid_at.map(|_| "DEMO"),
            },
        }
    }
}

/// A transaction as the standard answers it; `grosAmount` in euros with two places.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    payment_request: Echo<'a>,
    payment_information: Information<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Echo<'a> {
    request_id: &'a str,
    gros_amount: Euros,
    purpose: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Information<'a> {
    transaction_id: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_redirect_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method: Option<&'static str>,
}

pub fn routes(cfg: &mut web::ServiceConfig, demo: web::Data<DemoProvider>) {
    cfg.service(
        web::scope(PATH)
            .app_data(demo)
            .route("/paymenttransaction/{originator}/{end_point}", web::post().to(create))
            .route("/paymenttransaction/{originator}/{end_point}/{id}", web::get().to(read))
            .route("/status/{originator}/{end_point}", web::get().to(status))
            .service(
                web::resource("/bezahlen/{id}")
                    .route(web::get().to(page))
                    .route(web::post().to(choose)),
            ),
    );
}

fn problem(status: StatusCode, code: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(json!({"type": "about:blank", "status": status.as_u16(), "title": code, "detail": detail, "functionalCode": code}))
}

/// An amount in euros as the standard writes it, in cents.
fn amount(value: &Value) -> Option<Money> {
    value.as_number().and_then(cents_of)
}

/// What the standard requires of a request, checked as a provider would: the id, the purpose, the
/// return address, and that the items add up to `grosAmount`.
/// A refusal: the `functionalCode` and what is wrong.
type Refusal = (&'static str, &'static str);

fn check(request: &Value, origins: &[String]) -> Result<(String, Money, String, String), Refusal> {
    let invalid = |detail: &'static str| ("VALIDATION_ERROR", detail);
    let request_id = request["requestId"]
        .as_str()
        .filter(|id| is_id(id))
        .ok_or_else(|| invalid("requestId"))?;
    let purpose = request["purpose"]
        .as_str()
        .filter(|p| !p.is_empty() && p.chars().count() <= PURPOSE_MAX)
        .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-'))
        .ok_or_else(|| invalid("purpose"))?;
    // Citizens are sent back only to the portal and its tenants' hosts: the demo is no open redirect.
    let redirect_url = request["redirectUrl"]
        .as_str()
        .filter(|url| origins.iter().any(|origin| url.starts_with(origin.as_str())))
        .ok_or_else(|| invalid("redirectUrl"))?;
    if request["currency"] != "EUR" {
        return Err(invalid("currency"));
    }
    let gross = amount(&request["grosAmount"])
        .filter(|m| m.cents() > 0)
        .ok_or_else(|| invalid("grosAmount"))?;
    let items = request["items"]
        .as_array()
        .filter(|items| !items.is_empty())
        .ok_or_else(|| invalid("items"))?;
    let mut sum = 0i64;
    for item in items {
        let net = amount(&item["totalNetAmount"]).ok_or_else(|| invalid("totalNetAmount"))?;
        let tax = amount(&item["totalTaxAmount"]).ok_or_else(|| invalid("totalTaxAmount"))?;
        sum = sum
            .checked_add(net.cents())
            .and_then(|s| s.checked_add(tax.cents()))
            .ok_or_else(|| invalid("items"))?;
    }
    if sum != gross.cents() {
        return Err(("CALCULATION_ERROR", "grosAmount is not the sum of the items"));
    }
    Ok((
        request_id.to_owned(),
        gross,
        purpose.to_owned(),
        redirect_url.to_owned(),
    ))
}

async fn create(path: web::Path<(String, String)>, body: web::Bytes, demo: web::Data<DemoProvider>) -> HttpResponse {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", "no JSON");
    };
    let (request_id, amount, purpose, redirect_url) = match check(&request, &demo.origins) {
        Ok(checked) => checked,
        Err((code, detail)) => return problem(StatusCode::BAD_REQUEST, code, detail),
    };
    let (originator_id, end_point_id) = path.into_inner();
    let Ok(mut transactions) = demo.transactions.lock() else {
        return HttpResponse::InternalServerError().finish();
    };
    if transactions
        .by_id
        .values()
        .any(|t| t.request_id == request_id && t.originator_id == originator_id)
    {
        return problem(StatusCode::BAD_REQUEST, "PAYMENT_EXISTS", "requestId was used before");
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let transaction = DemoTransaction {
        originator_id,
        end_point_id,
        request_id,
        amount,
        purpose,
        redirect_url,
        status: "INITIAL",
        paid_at: None,
    };
    let answer = HttpResponse::Created().json(demo.answer(&id, &transaction));
    transactions.insert(id, transaction);
    answer
}

async fn read(path: web::Path<(String, String, String)>, demo: web::Data<DemoProvider>) -> HttpResponse {
    let (originator_id, end_point_id, id) = path.into_inner();
    let Ok(transactions) = demo.transactions.lock() else {
        return HttpResponse::InternalServerError().finish();
    };
    match transactions.by_id.get(&id) {
        Some(t) if t.originator_id == originator_id && t.end_point_id == end_point_id => {
            HttpResponse::Ok().json(demo.answer(&id, t))
        }
        _ => problem(StatusCode::NOT_FOUND, "UNSPECIFIED", "no such transaction"),
    }
}

/// Any configuration is known to the demo provider.
async fn status() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(Template)]
#[template(path = "demo_payment.html")]
struct PaymentPage {
    id: String,
    amount: String,
    purpose: String,
    /// `None` while the transaction is open; else what was chosen.
    outcome: Option<&'static str>,
}

/// The page a citizen pays on: amount, purpose and three buttons.
async fn page(path: web::Path<String>, demo: web::Data<DemoProvider>) -> Result<HttpResponse, AppError> {
    let page = {
        let transactions = demo.transactions.lock().map_err(|_| AppError::NotFound)?;
        let t = transactions.by_id.get(path.as_str()).ok_or(AppError::NotFound)?;
        PaymentPage {
            id: path.into_inner(),
            amount: t.amount.to_german(),
            purpose: t.purpose.clone(),
            outcome: (t.status != "INITIAL").then_some(t.status),
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

#[derive(Deserialize)]
struct Choice {
    ergebnis: String,
}

/// "bezahlt", "fehlgeschlagen" or "abgebrochen", then back to the portal. The transaction id (random,
/// 128 bits) is what allows the choice; a transaction that is no longer open stays as it is.
async fn choose(
    path: web::Path<String>,
    form: web::Form<Choice>,
    demo: web::Data<DemoProvider>,
) -> Result<HttpResponse, AppError> {
    let status = match form.ergebnis.as_str() {
        "bezahlt" => "PAYED",
        "fehlgeschlagen" => "FAILED",
        "abgebrochen" => "CANCELED",
        _ => return Err(AppError::BadRequest),
    };
    let mut transactions = demo.transactions.lock().map_err(|_| AppError::NotFound)?;
    let t = transactions.by_id.get_mut(path.as_str()).ok_or(AppError::NotFound)?;
    if t.status == "INITIAL" {
        t.status = status;
        t.paid_at = (status == "PAYED").then(Utc::now);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, t.redirect_url.clone()))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_transactions_are_forgotten_so_memory_stays_bounded() {
        let mut transactions = Transactions::default();
        for i in 0..=KEPT {
            let transaction = DemoTransaction {
                originator_id: "o".into(),
                end_point_id: "e".into(),
                request_id: format!("r{i}"),
                amount: Money::from_cents(100),
                purpose: "p".into(),
                redirect_url: "/".into(),
                status: "INITIAL",
                paid_at: None,
            };
            transactions.insert(format!("t{i}"), transaction);
        }
        assert_eq!((transactions.by_id.len(), transactions.order.len()), (KEPT, KEPT));
        assert!(!transactions.by_id.contains_key("t0"));
        assert!(transactions.by_id.contains_key("t1") && transactions.by_id.contains_key(&format!("t{KEPT}")));
    }
}
