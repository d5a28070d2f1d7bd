//! A tenant's account with its ePayment provider, `[payment]` in the tenant's files. Like a
//! destination's, its secrets are never in the files, only the names of the tenant's own environment
//! variables that hold them (see [`super::destination::secret_prefix`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::destination::{check_secret_env, check_url_at, secret_prefix};

/// `base_url` of the provider built into demo mode.
pub const DEMO_PROVIDER: &str = "demo";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// The provider's XBezahldienste base URL (the standard's paths follow it), or `demo` for the
    /// provider built into demo mode.
    pub base_url: String,
    /// The calling service or business context, as registered with the provider.
    pub originator_id: String,
    /// The responsible authority at the provider, e.g. its AGS.
    pub end_point_id: String,
    /// The accounting keys the cash office needs on each item (`bookingData`), as agreed with the
    /// provider, e.g. `{ HHST = "1234.5678" }`.
    #[serde(default)]
    pub booking_data: BTreeMap<String, String>,
    /// How the portal proves itself; the standard leaves it to the provider.
    #[serde(default)]
    pub auth: PaymentAuth,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PaymentAuth {
    /// None: the demo provider, or a provider reached through a private network.
    #[default]
    None,
    /// HTTP Basic (e.g. epay21).
    Basic { user: String, password_env: String },
    /// OAuth2 client credentials (e.g. pmPayment, GiroCheckout).
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret_env: String,
    },
    /// A TLS client certificate (e.g. ePayBL): the variable holds certificate and private key as PEM.
    ClientCertificate { certificate_env: String },
}

/// An id as XBezahldienste allows it: 1 to 36 of `[A-Za-z0-9_-]`.
pub fn is_id(id: &str) -> bool {
    (1..=36).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl PaymentSettings {
    pub fn is_demo(&self) -> bool {
        self.base_url == DEMO_PROVIDER
    }

    /// The environment variables the settings read their secrets from.
    pub fn secret_envs(&self) -> Vec<&str> {
        match &self.auth {
            PaymentAuth::None => Vec::new(),
            PaymentAuth::Basic { password_env, .. } => vec![password_env],
            PaymentAuth::ClientCredentials { client_secret_env, .. } => vec![client_secret_env],
            PaymentAuth::ClientCertificate { certificate_env } => vec![certificate_env],
        }
    }

    /// What makes these settings fit for development only, as `(key, message)`: the demo provider,
    /// which takes no money, or a URL that would carry payments without TLS.
    pub fn development_only(&self) -> Vec<(&'static str, String)> {
        if self.is_demo() {
            return vec![("base_url", "'demo' is the demo provider: it takes no money".into())];
        }
        let token_url = match &self.auth {
            PaymentAuth::ClientCredentials { token_url, .. } => Some(("auth.token_url", token_url)),
            _ => None,
        };
        std::iter::once(("base_url", &self.base_url))
            .chain(token_url)
            .filter(|(_, url)| url.starts_with("http://"))
            .map(|(key, url)| (key, format!("'{url}' is http://: payments are made only over https://")))
            .collect()
    }

    /// Every problem with tenant `tenant_slug`'s settings, as `(key, message)`. Whether a secret's
    /// variable is set is checked where it is read.
    pub fn problems(&self, tenant_slug: &str) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !self.is_demo() {
            check_url_at("base_url", &self.base_url, &mut problems);
        }
        for (key, id) in [
            ("originator_id", &self.originator_id),
            ("end_point_id", &self.end_point_id),
        ] {
            if !is_id(id) {
                problems.push((key, format!("'{id}' must be 1 to 36 letters, digits, '-' or '_'")));
            }
        }
        let prefix = secret_prefix(tenant_slug);
        match &self.auth {
            PaymentAuth::None => {}
            PaymentAuth::Basic { user, password_env } => {
                if user.is_empty() {
                    problems.push(("auth.user", "must name the user".into()));
                }
                check_secret_env("auth.password_env", password_env, &prefix, &mut problems);
            }
            PaymentAuth::ClientCredentials {
                token_url,
                client_id,
                client_secret_env,
            } => {
                check_url_at("auth.token_url", token_url, &mut problems);
                if client_id.is_empty() {
                    problems.push(("auth.client_id", "must name the client".into()));
                }
                check_secret_env("auth.client_secret_env", client_secret_env, &prefix, &mut problems);
            }
            PaymentAuth::ClientCertificate { certificate_env } => {
                check_secret_env("auth.certificate_env", certificate_env, &prefix, &mut problems);
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(toml: &str) -> PaymentSettings {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn settings_are_read_and_checked() {
        let basic = read(
            "base_url = \"https://epay.example/api/\"\noriginator_id = \"portal\"\nend_point_id = \"08199001\"\n\
             booking_data = { HHST = \"1234.5678\" }\n\
             [auth]\nkind = \"basic\"\nuser = \"portal\"\npassword_env = \"BP_SECRET_MUSTERSTADT__EPAY\"",
        );
        assert!(basic.problems("musterstadt").is_empty());
        assert_eq!(basic.secret_envs(), ["BP_SECRET_MUSTERSTADT__EPAY"]);
        assert_eq!(basic.booking_data["HHST"], "1234.5678");
        // Another tenant's secret, a bad URL and ids the standard does not allow.
        assert_eq!(
            basic.problems("landkreis").iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["auth.password_env"]
        );
        let bad = read(
            "base_url = \"ftp://x\"\noriginator_id = \"a b\"\nend_point_id = \"\"\n\
             [auth]\nkind = \"client-credentials\"\ntoken_url = \"nope\"\nclient_id = \"\"\nclient_secret_env = \"X\"",
        );
        assert_eq!(
            bad.problems("m").iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [
                "base_url",
                "originator_id",
                "end_point_id",
                "auth.token_url",
                "auth.client_id",
                "auth.client_secret_env"
            ]
        );
        let demo = read("base_url = \"demo\"\noriginator_id = \"o\"\nend_point_id = \"e\"");
        assert!(demo.is_demo() && demo.problems("m").is_empty() && demo.auth == PaymentAuth::None);
        assert_eq!(demo.development_only().len(), 1);
        assert_eq!(
            read("base_url = \"http://epay.example/\"\noriginator_id = \"o\"\nend_point_id = \"e\"")
                .development_only()
                .len(),
            1
        );
        assert!(
            toml::from_str::<PaymentSettings>(
                "base_url = \"demo\"\noriginator_id = \"o\"\nend_point_id = \"e\"\nsecret = \"x\""
            )
            .is_err()
        );
    }
}
