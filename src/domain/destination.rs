//! Where a tenant's cases go: the authority's processing backend (Fachverfahren), named in the
//! tenant's files as `[destinations.<name>]` and chosen per service by `destination = "<name>"`.
//! Secrets are never in the files, only the names of environment variables that hold them, and a
//! tenant may name only its own: `BP_SECRET_<TENANT>__<NAME>` ([`secret_prefix`]), so a tenant's
//! files can read neither the portal's settings (the database URL) nor another tenant's secrets.

use serde::{Deserialize, Serialize};

use super::account::Email;

/// What operators see for a mailbox destination while the portal has no mail server (`mail` empty).
pub const NO_MAIL_SERVER: &str = "nicht übermittelt — kein Mailserver eingerichtet";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Destination {
    /// A JSON POST signed with HMAC-SHA256 over `timestamp.body`; 2xx means accepted.
    Webhook {
        url: String,
        /// Name of the environment variable holding the signing secret.
        secret_env: String,
    },
    /// A mail with the answers and the receipt to the authority's functional mailbox.
    Email { to: String },
    /// OZG-Cloud intake: `POST {url}` (the intake's `/antrag`), multipart.
    OzgCloud {
        url: String,
        /// The OrganisationsEinheitID registered in OZG-Cloud.
        zustaendige_stelle: String,
        /// `serviceKonto.type` of identified citizens: `OSI` or `BAYERN_ID`.
        #[serde(default = "default_service_konto_type")]
        service_konto_type: String,
    },
    /// FIT-Connect v2: the case encrypted to the Zustellpunkt, its answer read from the event log.
    FitConnect(FitConnectSettings),
}

/// The parts of a FIT-Connect destination (Zustellpunkt) a sender needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitConnectSettings {
    /// Base URL of the Submission API (v2), e.g. `https://test.fit-connect.fitko.dev/submission-api`.
    pub submission_api: String,
    /// OAuth2 token endpoint of the sender client.
    pub token_url: String,
    /// The Zustellpunkt's destinationId (UUID).
    pub destination_id: String,
    pub client_id: String,
    /// Name of the environment variable holding the client secret.
    pub client_secret_env: String,
    /// Name of the environment variable holding the callback secret; without one the portal only polls.
    pub callback_secret_env: Option<String>,
}

fn default_service_konto_type() -> String {
    "OSI".into()
}

impl Destination {
    /// The destination called `name` among a tenant's destinations as stored (JSON); `None` if there
    /// is none by that name or it cannot be read.
    pub fn named(stored: &serde_json::Value, name: &str) -> Option<Self> {
        let serde_json::Value::Object(all) = stored else {
            return None;
        };
        all.get(name).and_then(|one| Self::deserialize(one).ok())
    }

    /// The environment variables this destination reads its secrets from.
    pub fn secret_envs(&self) -> Vec<&str> {
        match self {
            Self::Webhook { secret_env, .. } => vec![secret_env],
            Self::Email { .. } | Self::OzgCloud { .. } => Vec::new(),
            Self::FitConnect(f) => std::iter::once(f.client_secret_env.as_str())
                .chain(f.callback_secret_env.as_deref())
                .collect(),
        }
    }

    /// Where this destination would send an application without TLS, as `(key, message)`: an
    /// `http://` URL, or a mailbox while `mail` (the portal's SMTP URL) is not encrypted.
    pub fn plaintext(&self, mail: &str) -> Vec<(&'static str, String)> {
        let http = |key: &'static str, url: &str| {
            url.starts_with("http://").then(|| {
                (
                    key,
                    format!("'{url}' is http://: applications leave only over https://"),
                )
            })
        };
        match self {
            Self::Webhook { url, .. } | Self::OzgCloud { url, .. } => http("url", url).into_iter().collect(),
            Self::FitConnect(f) => http("submission_api", &f.submission_api)
                .into_iter()
                .chain(http("token_url", &f.token_url))
                .collect(),
            Self::Email { .. } if !mail.is_empty() && !crate::mail::is_encrypted(mail) => vec![(
                "to",
                "the mail server (mail) is reached without TLS: use smtps:// or smtp://…?tls=required".into(),
            )],
            Self::Email { .. } => Vec::new(),
        }
    }

    /// Every problem with the settings of tenant `tenant_slug`'s destination, as `(key, message)`.
    /// Whether a secret's environment variable is set is checked where it is read.
    pub fn problems(&self, tenant_slug: &str) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let prefix = secret_prefix(tenant_slug);
        match self {
            Self::Webhook { url, secret_env } => {
                check_url(url, &mut problems);
                check_secret_env("secret_env", secret_env, &prefix, &mut problems);
            }
            Self::Email { to } => {
                if Email::parse(to).is_err() {
                    problems.push(("to", format!("'{to}' is not an e-mail address")));
                }
            }
            Self::OzgCloud {
                url,
                zustaendige_stelle,
                service_konto_type,
            } => {
                check_url(url, &mut problems);
                if zustaendige_stelle.trim().is_empty() {
                    problems.push(("zustaendige_stelle", "must name the OrganisationsEinheitID".into()));
                }
                if !matches!(service_konto_type.as_str(), "OSI" | "BAYERN_ID") {
                    problems.push((
                        "service_konto_type",
                        format!("'{service_konto_type}' must be 'OSI' or 'BAYERN_ID'"),
                    ));
                }
            }
            Self::FitConnect(f) => {
                check_url_at("submission_api", &f.submission_api, &mut problems);
                check_url_at("token_url", &f.token_url, &mut problems);
                if uuid::Uuid::parse_str(&f.destination_id).is_err() {
                    problems.push(("destination_id", format!("'{}' is not a UUID", f.destination_id)));
                }
                check_secret_env("client_secret_env", &f.client_secret_env, &prefix, &mut problems);
                if let Some(env) = &f.callback_secret_env {
                    check_secret_env("callback_secret_env", env, &prefix, &mut problems);
                }
            }
        }
        problems
    }
}

fn check_url(url: &str, problems: &mut Vec<(&'static str, String)>) {
    check_url_at("url", url, problems);
}

pub(crate) fn check_url_at(key: &'static str, url: &str, problems: &mut Vec<(&'static str, String)>) {
    let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !ok {
        problems.push((key, format!("'{url}' is not an http:// or https:// URL")));
    }
}

/// The value of a destination's secret variable, read when it is needed (a rotated secret needs no
/// restart); `None` when it is not set or empty.
pub fn secret_from_env(env: &str) -> Option<String> {
    std::env::var(env).ok().filter(|secret| !secret.is_empty())
}

/// How the names of a tenant's secret variables begin: `BP_SECRET_`, the slug in capitals with `-`
/// as `_`, and `__`.
pub fn secret_prefix(tenant_slug: &str) -> String {
    format!("BP_SECRET_{}__", tenant_slug.to_ascii_uppercase().replace('-', "_"))
}

/// A secret's variable must be the tenant's own: its prefix, then a name of A-Z, 0-9 and single `_`
/// that starts with a letter or digit. The name holds no `__`, so no slug's prefix ends inside
/// another tenant's names (`a` cannot name `BP_SECRET_A__B__X` of the tenant `a--b`).
pub(crate) fn check_secret_env(key: &'static str, env: &str, prefix: &str, problems: &mut Vec<(&'static str, String)>) {
    let own = env.strip_prefix(prefix).is_some_and(|name| {
        name.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && !name.contains("__")
    });
    if !own {
        problems.push((
            key,
            format!("'{env}' must be named {prefix}<NAME> (A-Z, 0-9, single _): a tenant reads only its own secrets"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_read_by_kind_and_checked() {
        let webhook = |env: &str| -> Destination {
            toml::from_str(&format!(
                "kind = \"webhook\"\nurl = \"https://fv.example/in\"\nsecret_env = \"{env}\""
            ))
            .unwrap()
        };
        assert!(
            webhook("BP_SECRET_MUSTER_STADT__FV")
                .problems("muster-stadt")
                .is_empty()
        );
        for foreign in [
            "BUERGERPORTAL_DATABASE_URL",
            "BP_SECRET_MUSTER__FV",
            "BP_SECRET_MUSTER_STADT__",
            "BP_SECRET_MUSTER_STADT__A__B",
            "BP_SECRET_MUSTER_STADT___FV",
            "bp_secret_muster_stadt__fv",
        ] {
            assert_eq!(webhook(foreign).problems("muster-stadt").len(), 1, "{foreign}");
        }
        // The tenant `a` cannot reach into the names of the tenant `a--b`.
        assert!(webhook("BP_SECRET_A__B__X").problems("a--b").is_empty());
        assert_eq!(webhook("BP_SECRET_A__B__X").problems("a").len(), 1);
        let bad: Destination = toml::from_str("kind = \"webhook\"\nurl = \"ftp://x\"\nsecret_env = \"lower\"").unwrap();
        assert_eq!(
            bad.problems("muster").iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["url", "secret_env"]
        );
        let mail: Destination = toml::from_str("kind = \"email\"\nto = \"kein-postfach\"").unwrap();
        assert_eq!(mail.problems("muster").len(), 1);
        assert!(toml::from_str::<Destination>("kind = \"fax\"\nto = \"1\"").is_err());
        let to = |mail_url: &str| Destination::Email { to: "a@b.de".into() }.plaintext(mail_url).len();
        assert_eq!((to("smtp://m.example"), to("smtps://m.example"), to("")), (1, 0, 0));
        assert_eq!(webhook("BP_SECRET_MUSTER__FV").plaintext("").len(), 0);
        let http: Destination =
            toml::from_str("kind = \"webhook\"\nurl = \"http://fv.example\"\nsecret_env = \"X\"").unwrap();
        assert_eq!(http.plaintext("").len(), 1);
        assert!(toml::from_str::<Destination>("kind = \"email\"\nto = \"a@b.de\"\nsecret = \"x\"").is_err());
    }
}
