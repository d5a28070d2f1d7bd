//! Fees paid online through the tenant's ePayment provider, which speaks XBezahldienste.

pub mod demo_provider;
pub mod xbezahldienste;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::db::Db;
use crate::db::payments::{self, PaidFee};
use crate::domain::Money;
use crate::domain::destination::secret_from_env;
use crate::domain::payment::{PaymentAuth, PaymentSettings};
use crate::i18n::Lang;
use xbezahldienste::{Credentials, Provider};

/// How long the portal waits for a provider's answer while the citizen waits for the page.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// "30,70 €, bezahlt am 05.12.2026, 14:03 Uhr": the fee paid, as the case's page and receipt say it.
pub fn paid_text(lang: Lang, paid: &PaidFee) -> String {
    let amount = lang.money(Money::from_cents(paid.amount_cents));
    match paid.paid_at {
        Some(at) => lang.tn(
            "fee-paid-on",
            [("amount", amount.into()), ("time", lang.date_time(at).into())],
        ),
        None => lang.t1("fee-paid", "amount", amount),
    }
}

/// Each tenant's provider client, made when first needed and kept (with its OAuth2 token) while the
/// tenant's settings stay the same.
pub struct Providers {
    portal_base_url: String,
    clients: Mutex<HashMap<String, (PaymentSettings, Arc<Provider>)>>,
}

impl Providers {
    pub fn new(portal_base_url: &str) -> Self {
        Self {
            portal_base_url: portal_base_url.to_owned(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The tenant's provider with its settings; `None` when the tenant takes no fees online.
    pub async fn of_tenant(
        &self,
        db: &Db,
        tenant_id: &str,
    ) -> anyhow::Result<Option<(Arc<Provider>, PaymentSettings)>> {
        let Some(settings) = payments::settings_of_tenant(db, tenant_id).await? else {
            return Ok(None);
        };
        if let Ok(clients) = self.clients.lock()
            && let Some((kept, provider)) = clients.get(tenant_id)
            && *kept == settings
        {
            return Ok(Some((provider.clone(), settings)));
        }
        let provider = Arc::new(self.client(&settings)?);
        if let Ok(mut clients) = self.clients.lock() {
            clients.insert(tenant_id.to_owned(), (settings.clone(), provider.clone()));
        }
        Ok(Some((provider, settings)))
    }

    fn client(&self, settings: &PaymentSettings) -> anyhow::Result<Provider> {
        let secret = |env: &str| {
            secret_from_env(env).ok_or_else(|| anyhow::anyhow!("the environment variable {env} is not set"))
        };
        let credentials = match &settings.auth {
            PaymentAuth::None => Credentials::None,
            PaymentAuth::Basic { user, password_env } => Credentials::Basic {
                user: user.clone(),
                password: secret(password_env)?,
            },
            PaymentAuth::ClientCredentials {
                token_url,
                client_id,
                client_secret_env,
            } => Credentials::ClientCredentials {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: secret(client_secret_env)?,
            },
            PaymentAuth::ClientCertificate { certificate_env } => Credentials::ClientCertificate {
                pem: secret(certificate_env)?.into_bytes(),
            },
        };
        let base_url = if settings.is_demo() {
            demo_provider::DemoProvider::base_url(&self.portal_base_url)
        } else {
            settings.base_url.clone()
        };
        Provider::new(
            &base_url,
            &settings.originator_id,
            &settings.end_point_id,
            credentials,
            PROVIDER_TIMEOUT,
        )
    }
}
