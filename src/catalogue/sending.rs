//! What each tenant sends and where (its destinations and its payment provider), checked before a
//! catalogue is imported and again before a node serves one: from the files, or as imported.

use std::collections::BTreeMap;

use crate::config::Settings;
use crate::domain::destination::{Destination, NO_MAIL_SERVER, secret_from_env};
use crate::domain::payment::PaymentSettings;

pub struct Sending<'a> {
    pub tenant: &'a str,
    pub destinations: &'a BTreeMap<String, Destination>,
    pub payment: Option<&'a PaymentSettings>,
}

/// Secrets that destinations and payment providers name but the environment does not hold:
/// (tenant, key, variable).
pub fn unset_secrets(tenants: &[Sending<'_>]) -> Vec<(String, String, String)> {
    let mut unset = Vec::new();
    for tenant in tenants {
        for (name, destination) in tenant.destinations {
            for env in destination.secret_envs() {
                if secret_from_env(env).is_none() {
                    unset.push((tenant.tenant.to_owned(), format!("destinations.{name}"), env.to_owned()));
                }
            }
        }
        for env in tenant.payment.iter().flat_map(|p| p.secret_envs()) {
            if secret_from_env(env).is_none() {
                unset.push((tenant.tenant.to_owned(), "payment".to_owned(), env.to_owned()));
            }
        }
    }
    unset
}

/// Every setting fit for development only, as messages: a destination that would send
/// applications without TLS (see [`Destination::plaintext`]) and payments through the demo
/// provider or without TLS. None for the demo tenants or with `development_plaintext_delivery`;
/// the portal neither imports nor serves a catalogue with any.
pub fn development_only(tenants: &[Sending<'_>], settings: &Settings) -> Vec<String> {
    if settings.is_demo() || settings.development_plaintext_delivery {
        return Vec::new();
    }
    let payments = tenants.iter().flat_map(|tenant| {
        let unsafe_settings = tenant.payment.map(PaymentSettings::development_only);
        unsafe_settings
            .unwrap_or_default()
            .into_iter()
            .map(move |(key, message)| (tenant.tenant, format!("payment.{key}"), message))
    });
    destinations(tenants)
        .flat_map(|(tenant, name, destination)| {
            destination
                .plaintext(&settings.mail)
                .into_iter()
                .map(move |(key, message)| (tenant, format!("destinations.{name}.{key}"), message))
        })
        .chain(payments)
        .map(|(tenant, key, message)| {
            format!("{tenant}: {key}: {message} (only for development: development_plaintext_delivery = true)")
        })
        .collect()
}

/// An error listing [`development_only`]'s settings, if there are any.
pub fn refuse_development_only(tenants: &[Sending<'_>], settings: &Settings) -> anyhow::Result<()> {
    let development_only = development_only(tenants, settings);
    anyhow::ensure!(
        development_only.is_empty(),
        "applications and payments leave only over TLS, and the demo provider takes no money:\n{}",
        development_only.join("\n")
    );
    Ok(())
}

/// Every configured mailbox destination while `mail` is empty, as messages: its cases would be
/// written to files, not sent, and are given up as not delivered. None for the demo tenants.
pub fn unsent_mailboxes(tenants: &[Sending<'_>], settings: &Settings) -> Vec<String> {
    if settings.is_demo() || !settings.mail.is_empty() {
        return Vec::new();
    }
    destinations(tenants)
        .filter(|(_, _, destination)| matches!(destination, Destination::Email { .. }))
        .map(|(tenant, name, _)| {
            format!("{tenant}: destinations.{name}: {NO_MAIL_SERVER}: set mail to an smtps:// URL")
        })
        .collect()
}

/// Whether a tenant takes fees through the demo provider, which the portal then serves itself.
pub fn pays_through_demo_provider(tenants: &[Sending<'_>]) -> bool {
    tenants.iter().any(|t| t.payment.is_some_and(PaymentSettings::is_demo))
}

fn destinations<'a>(tenants: &'a [Sending<'a>]) -> impl Iterator<Item = (&'a str, &'a str, &'a Destination)> {
    tenants.iter().flat_map(|tenant| {
        tenant
            .destinations
            .iter()
            .map(|(name, destination)| (tenant.tenant, name.as_str(), destination))
    })
}
