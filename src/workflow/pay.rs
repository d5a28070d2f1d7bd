//! Paying a fee online before the application is sent: the payment is kept before the provider is
//! asked, the citizen pays on the provider's page, and only the provider's own answer to the portal
//! (never the citizen's return address) says whether it was paid. A paid payment sends the
//! application it was asked for, once.

use chrono::{DateTime, Utc};

use super::submit::{self, Application, Sent};
use crate::db::Db;
use crate::db::payments::{self, Created, Inserted, NewPayment, PaymentRow, Reported};
use crate::domain::Money;
use crate::error::AppError;
use crate::payment::Providers;
use crate::payment::xbezahldienste::{Item, PaymentError, PaymentRequest, Status, purpose};
use crate::worker::Outbox;

/// Where starting a payment leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    /// To the provider's page.
    Pay(String),
    /// The draft's payment was settled already (paid before the citizen came back): what followed.
    Settled(Confirmed),
    /// The provider cannot be reached now; nothing was paid.
    Unavailable,
}

/// What the provider's answer means for the citizen.
#[derive(Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// Paid and sent (now or before): the case's reference when known.
    Sent(Option<String>),
    /// Not decided yet (the citizen is still paying, or the provider is not answering).
    Pending,
    /// Failed or cancelled: the citizen may try again.
    NotPaid,
    /// The provider confirmed an amount other than asked: stopped, for the authority to resolve.
    Mismatch,
    /// The draft is gone (deleted by its owner); nothing was sent.
    DraftGone,
    /// Paid, though another payment of the same application was paid already: the application was
    /// sent once, and this payment is for the authority to refund.
    PaidTwice,
}

/// What the citizen reads on the provider's page and bank statement, and where the provider sends
/// the citizen back to.
pub struct Wording {
    /// The draft's payment page (`/antrag/<draft>/zahlung`) on the site the citizen is using.
    pub return_url: String,
    /// E.g. the service's name; cut to the standard's 27 characters of `[A-Za-z0-9 -]` here.
    pub purpose: String,
    pub description: String,
}

/// Starts paying the fee of `application`. The draft's current payment is asked about first. Of
/// the same amount: paid, it sends the application; still open, the citizen goes back to its page;
/// so a repeated "bezahlen" never asks for a second payment. Of another amount (the answers changed
/// the fee) and paid meanwhile, in another tab: what was paid for is sent, rather than paid again.
pub async fn start(
    db: &Db,
    providers: &Providers,
    outbox: &Outbox,
    base_url: &str,
    application: &Application,
    wording: &Wording,
) -> Result<Started, AppError> {
    let amount = application.fee_cents.filter(|c| *c > 0).ok_or(AppError::BadRequest)?;
    let kept = serde_json::to_string(application).map_err(|e| AppError::Internal(e.into()))?;
    let current = payments::current_of_draft(
        db,
        &application.draft_id,
        &application.account_id,
        &application.tenant_id,
    )
    .await?;
    match current {
        Some(known) if known.amount_cents == amount && matches!(known.status.as_str(), "PAYED" | "INITIAL") => {
            // Checked again (the same fee): what is sent is what was checked last.
            payments::replace_application(db, &known.id, &kept).await?;
            let known = PaymentRow {
                application: kept.clone(),
                ..known
            };
            match (confirm(db, providers, outbox, base_url, &known).await?, known.pay_url) {
                (Confirmed::Pending, Some(url)) => return Ok(Started::Pay(url)),
                (Confirmed::NotPaid | Confirmed::Pending, _) => {}
                (settled, _) => return Ok(Started::Settled(settled)),
            }
        }
        Some(other_fee) if other_fee.status == "INITIAL" => {
            match confirm(db, providers, outbox, base_url, &other_fee).await? {
                Confirmed::NotPaid | Confirmed::Pending => {}
                settled => return Ok(Started::Settled(settled)),
            }
        }
        _ => {}
    }
    let (provider, settings) = providers
        .of_tenant(db, &application.tenant_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = payments::insert(
        db,
        &NewPayment {
            id: &id,
            tenant_id: &application.tenant_id,
            account_id: &application.account_id,
            draft_id: &application.draft_id,
            amount_cents: amount,
            application: &kept,
            now: Utc::now(),
        },
    )
    .await?;
    match inserted {
        Inserted::New => {}
        Inserted::AnotherOpen => return Ok(created_meanwhile(db, application).await?),
        Inserted::DraftGone => return Err(AppError::NotFound),
    }
    let request = PaymentRequest {
        request_id: id.clone(),
        purpose: purpose(&wording.purpose),
        description: wording.description.clone(),
        redirect_url: wording.return_url.clone(),
        items: vec![Item {
            id: "1".into(),
            reference: application.service_slug.chars().take(36).collect(),
            description: wording.description.clone(),
            amount: Money::from_cents(amount),
            booking_data: settings.booking_data.clone(),
        }],
    };
    match provider.create(&request).await {
        Ok(transaction) => {
            if let Some(url) = transaction.redirect_url {
                return match payments::created(db, &id, &transaction.id, &url).await? {
                    Created::Open => Ok(Started::Pay(url)),
                    Created::Superseded => Ok(Started::Unavailable),
                    Created::DraftGone => Err(AppError::NotFound),
                };
            }
            tracing::error!(payment = %id, "the payment provider gave no page to pay on");
        }
        Err(PaymentError::Unavailable(why)) => {
            tracing::warn!(payment = %id, %why, "the payment provider is not available");
        }
        Err(e) => {
            // A refusal of a request the portal made is a configuration or portal fault.
            tracing::error!(payment = %id, error = ?e, "the payment provider refused the payment");
        }
    }
    payments::not_created(db, &id).await?;
    Ok(Started::Unavailable)
}

/// How long a "bezahlen" waits for the payment another request of the same draft is creating.
const WAIT_FOR_CREATION: std::time::Duration = std::time::Duration::from_secs(12);

/// The page of the payment another request (a double click, a second tab) is creating for the same
/// draft and amount, once the provider gave it; the provider's own timeout bounds the wait.
async fn created_meanwhile(db: &Db, application: &Application) -> sqlx::Result<Started> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_CREATION;
    while tokio::time::Instant::now() < deadline {
        let current = payments::current_of_draft(
            db,
            &application.draft_id,
            &application.account_id,
            &application.tenant_id,
        )
        .await?;
        match current {
            Some(PaymentRow {
                status,
                pay_url: Some(url),
                ..
            }) if status == "INITIAL" => return Ok(Started::Pay(url)),
            Some(PaymentRow { status, .. }) if status == "NEW" => {}
            _ => return Ok(Started::Unavailable),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(Started::Unavailable)
}

/// Asks the provider how `payment` stands and acts on it: a payment of the amount asked sends its
/// application; another amount stops it.
pub async fn confirm(
    db: &Db,
    providers: &Providers,
    outbox: &Outbox,
    base_url: &str,
    payment: &PaymentRow,
) -> Result<Confirmed, AppError> {
    match payment.status.as_str() {
        "PAYED" => return send_paid(db, outbox, base_url, payment).await,
        "MISMATCH" => return Ok(Confirmed::Mismatch),
        "REFUND" => return Ok(Confirmed::PaidTwice),
        _ => {}
    }
    let Some(transaction_id) = &payment.transaction_id else {
        return Ok(Confirmed::NotPaid);
    };
    let Some((provider, _)) = providers.of_tenant(db, &payment.tenant_id).await? else {
        return Ok(Confirmed::Pending);
    };
    let transaction = match provider.transaction(transaction_id).await {
        Ok(transaction) => transaction,
        Err(e) => {
            tracing::warn!(payment = %payment.id, error = ?e, "the payment could not be confirmed now");
            return Ok(Confirmed::Pending);
        }
    };
    let now = Utc::now();
    let mut reported = Reported {
        status: transaction.status.as_str(),
        reference: transaction.reference.as_deref(),
        method: transaction.method.as_deref(),
        paid_at: transaction.paid_at,
        now,
    };
    let asked = Money::from_cents(payment.amount_cents);
    if transaction.status == Status::Payed && transaction.amount.is_some_and(|paid| paid != asked) {
        tracing::error!(
            payment = %payment.id,
            asked = asked.cents(),
            paid = transaction.amount.map(Money::cents),
            "the provider confirmed another amount than asked: the application is not sent"
        );
        reported.status = "MISMATCH";
    }
    let stored = payments::reported(db, &payment.id, &reported).await?;
    match stored.as_deref() {
        Some("MISMATCH") => Ok(Confirmed::Mismatch),
        Some("PAYED") => send_paid(db, outbox, base_url, payment).await,
        Some("REFUND") => {
            tracing::error!(
                payment = %payment.id,
                amount = payment.amount_cents,
                "paid, though another payment of the same application was paid: the authority must refund it"
            );
            Ok(Confirmed::PaidTwice)
        }
        Some("INITIAL") => Ok(Confirmed::Pending),
        // Failed, cancelled, or superseded and not paid.
        _ => Ok(Confirmed::NotPaid),
    }
}

/// How far back payments are asked about every minute for a citizen who did not come back; older
/// ones are for `payments reconcile`, but for open ones.
const SETTLE_WITHIN: chrono::Duration = chrono::Duration::days(1);
/// A payment asked about within this time is not asked about again in the next round.
const ASK_AGAIN_AFTER: chrono::Duration = chrono::Duration::minutes(1);
/// An open payment older than [`SETTLE_WITHIN`] (the citizen left the provider's page and the
/// provider has not ended it yet) is asked about at most this often, for as long as it is open.
const ASK_OPEN_AGAIN_AFTER: chrono::Duration = chrono::Duration::hours(1);
/// At most so many payments are asked about in one round, so that a slow provider cannot hold it.
const ROUND_SIZE: i64 = 100;

/// Asks the providers about payments whose citizen may have paid without coming back to the portal,
/// and acts as [`confirm`] does: a paid one sends its application, whose confirmation mail tells the
/// citizen. How many applications were sent.
pub async fn settle_unattended(
    db: &Db,
    providers: &Providers,
    outbox: &Outbox,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut sent = 0;
    let unsettled = payments::unsettled(
        db,
        now - SETTLE_WITHIN,
        now - ASK_AGAIN_AFTER,
        now - ASK_OPEN_AGAIN_AFTER,
        ROUND_SIZE,
    )
    .await?;
    for payment in unsettled {
        match confirm(db, providers, outbox, base_url, &payment).await {
            Ok(Confirmed::Sent(Some(_))) => sent += 1,
            Ok(Confirmed::DraftGone) => {
                tracing::error!(payment = %payment.id, "a paid payment's draft is gone: nothing was sent");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(payment = %payment.id, error = %e, "the payment could not be settled now"),
        }
    }
    Ok(sent)
}

/// Sends the application a paid payment was asked for, and links the two.
async fn send_paid(db: &Db, outbox: &Outbox, base_url: &str, payment: &PaymentRow) -> Result<Confirmed, AppError> {
    let application: Application =
        serde_json::from_str(&payment.application).map_err(|e| AppError::Internal(e.into()))?;
    let reference = match submit::send(db, outbox, base_url, &application).await? {
        Sent::Created(reference) => Some(reference),
        Sent::Already => None,
        Sent::DraftGone => return Ok(Confirmed::DraftGone),
    };
    payments::link_case(db, &payment.id).await?;
    Ok(Confirmed::Sent(reference))
}

/// A payment whose record differs from the provider's, for an operator to look into.
#[derive(Debug, PartialEq, Eq)]
pub struct Difference {
    pub payment_id: String,
    pub created_at: DateTime<Utc>,
    pub amount: Money,
    pub portal_status: String,
    /// The provider's status; `None` when it could not be asked.
    pub provider_status: Option<String>,
    pub case_reference: Option<String>,
    pub problem: &'static str,
}

/// Asks the provider about each payment the tenant `tenant_slug` asked for since `since`, and lists
/// those whose record differs from the provider's, and those paid but not sent. Changes nothing: a
/// payment of the last day is settled by [`settle_unattended`], anything else is for an operator.
/// `None` when no tenant has the slug.
pub async fn reconcile(
    db: &Db,
    providers: &Providers,
    tenant_slug: &str,
    since: DateTime<Utc>,
) -> Result<Option<Vec<Difference>>, AppError> {
    let Some(payments) = payments::of_tenant_since(db, tenant_slug, since).await? else {
        return Ok(None);
    };
    let open_since = Utc::now() - SETTLE_WITHIN;
    let mut differences = Vec::new();
    for kept in payments {
        let payment = kept.payment;
        let Some(transaction_id) = &payment.transaction_id else {
            continue;
        };
        let (provider, _) = providers
            .of_tenant(db, &payment.tenant_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let asked = Money::from_cents(payment.amount_cents);
        let (provider_status, problem) = match provider.transaction(transaction_id).await {
            Err(e) => {
                tracing::warn!(payment = %payment.id, error = ?e, "the provider could not be asked");
                (None, Some("the provider could not be asked"))
            }
            Ok(t) => {
                let problem = match (payment.status.as_str(), t.status.as_str()) {
                    (_, "PAYED") if t.amount.is_some_and(|paid| paid != asked) => {
                        Some("paid another amount than asked: the application was not sent")
                    }
                    ("REFUND", _) => Some("paid twice for one application: refund this payment"),
                    ("SUPERSEDED", "PAYED") => Some("paid, though a newer payment replaced it: refund one of them"),
                    ("SUPERSEDED", _) => None,
                    ("INITIAL", "INITIAL") if payment.created_at < open_since => {
                        Some("open for more than a day: the provider has not ended it")
                    }
                    (portal, provider) if portal != provider => Some("the portal's status differs from the provider's"),
                    ("PAYED", _) if kept.case_reference.is_none() => Some("paid, but the application was not sent"),
                    _ => None,
                };
                (Some(t.status.as_str().to_owned()), problem)
            }
        };
        if let Some(problem) = problem {
            differences.push(Difference {
                payment_id: payment.id,
                created_at: payment.created_at,
                amount: asked,
                portal_status: payment.status,
                provider_status,
                case_reference: kept.case_reference,
                problem,
            });
        }
    }
    Ok(Some(differences))
}
