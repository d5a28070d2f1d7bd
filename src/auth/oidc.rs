//! Servicekonto providers over OpenID Connect: authorization code with PKCE, state and nonce; the ID
//! token's signature, issuer, audience, expiry and nonce verified by `openidconnect`; `acr` mapped to a
//! trust level by configuration.
//!
//! Discovery (metadata and signing keys) is kept for an hour, so a login costs the provider no
//! discovery; an ID token signed with a key the kept keys do not name fetches them anew, so a
//! provider's key rotation needs no restart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
};

/// How long a provider's discovery document and keys are kept.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

use crate::config::IdentityProviderSettings;
use crate::db::accounts::ProfileRow;
use crate::domain::TrustLevel;

/// A configured provider.
pub struct IdentityProvider {
    pub id: String,
    pub name: String,
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    scopes: Vec<String>,
    trust_levels: BTreeMap<String, TrustLevel>,
}

/// Why a login with a provider did not work; each has its own page.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the provider is unreachable or answered nonsense: {0}")]
    Unreachable(String),
    #[error("the provider refused the code: {0}")]
    Refused(String),
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
}

/// Where to send the citizen, and what to keep until they come back.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// What a successful login proved.
pub struct VerifiedLogin {
    pub issuer: String,
    pub subject: String,
    pub trust_level: TrustLevel,
    pub profile: ProfileRow,
}

#[derive(Debug, thiserror::Error)]
enum HttpError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error(transparent)]
    Response(#[from] openidconnect::http::Error),
}

pub struct IdentityProviders {
    providers: Vec<IdentityProvider>,
    http: reqwest::Client,
    base_url: String,
    /// Discovery documents with their keys, by provider id.
    discovered: moka::sync::Cache<String, Arc<CoreProviderMetadata>>,
}

impl IdentityProviders {
    pub fn new(settings: &[IdentityProviderSettings], base_url: &str) -> anyhow::Result<Self> {
        let mut providers = Vec::new();
        for p in settings {
            anyhow::ensure!(
                !p.id.is_empty()
                    && p.id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "identity provider id '{}' must be lower-case letters, digits and '-'",
                p.id
            );
            let secret = if p.client_secret_env.is_empty() {
                p.client_secret.clone()
            } else {
                std::env::var(&p.client_secret_env).map_err(|_| {
                    anyhow::anyhow!(
                        "identity provider '{}': environment variable {} is not set",
                        p.id,
                        p.client_secret_env
                    )
                })?
            };
            providers.push(IdentityProvider {
                id: p.id.clone(),
                name: p.name.clone(),
                issuer: IssuerUrl::new(p.issuer.clone())
                    .map_err(|e| anyhow::anyhow!("identity provider '{}': issuer: {e}", p.id))?,
                client_id: ClientId::new(p.client_id.clone()),
                client_secret: ClientSecret::new(secret),
                scopes: p.scopes.clone(),
                trust_levels: p.trust_levels.clone(),
            });
        }
        // No redirects: the provider's endpoints are the ones its discovery names, nothing else.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Self {
            providers,
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            discovered: moka::sync::Cache::builder().time_to_live(DISCOVERY_TTL).build(),
        })
    }

    pub fn all(&self) -> &[IdentityProvider] {
        &self.providers
    }

    pub fn get(&self, id: &str) -> Option<&IdentityProvider> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// Providers that can prove at least `level`, for a step-up offer.
    pub fn able_to_prove(&self, level: TrustLevel) -> Vec<&IdentityProvider> {
        self.providers
            .iter()
            .filter(|p| p.trust_levels.values().any(|l| *l >= level))
            .collect()
    }

    /// The provider's discovery document and keys: kept ones, or (`fresh`, or none kept) fetched.
    async fn metadata(&self, provider: &IdentityProvider, fresh: bool) -> Result<Arc<CoreProviderMetadata>, OidcError> {
        if !fresh && let Some(kept) = self.discovered.get(&provider.id) {
            return Ok(kept);
        }
        let http = |request| send(&self.http, request);
        let metadata = CoreProviderMetadata::discover_async(provider.issuer.clone(), &http)
            .await
            .map_err(|e| OidcError::Unreachable(error_chain(&e)))?;
        let metadata = Arc::new(metadata);
        self.discovered.insert(provider.id.clone(), metadata.clone());
        Ok(metadata)
    }

    async fn client(
        &self,
        provider: &IdentityProvider,
        fresh: bool,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let metadata = self.metadata(provider, fresh).await?.as_ref().clone();
        let redirect = RedirectUrl::new(format!("{}/anmelden/{}/callback", self.base_url, provider.id))
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            provider.client_id.clone(),
            Some(provider.client_secret.clone()),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL. A fresh login is always asked for (`prompt=login`); with
    /// `at_least`, the `acr` values that prove that level are requested.
    pub async fn authorize(
        &self,
        provider: &IdentityProvider,
        at_least: Option<TrustLevel>,
    ) -> Result<Authorization, OidcError> {
        let client = self.client(provider, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .add_prompt(CoreAuthPrompt::Login);
        for scope in provider.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(level) = at_least {
            for (acr, _) in provider.trust_levels.iter().filter(|(_, l)| **l >= level) {
                request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
            }
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and verifies the ID token.
    pub async fn complete(
        &self,
        provider: &IdentityProvider,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<VerifiedLogin, OidcError> {
        let client = self.client(provider, false).await?;
        let http = |request| send(&self.http, request);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(response) => OidcError::Refused(response.to_string()),
                other => OidcError::Unreachable(error_chain(&other)),
            })?;
        let id_token = tokens
            .extra_fields()
            .id_token()
            .ok_or_else(|| OidcError::InvalidToken("no ID token in the answer".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            // Signed with a key the kept ones do not name: the provider rotated its keys.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let fresh = self.client(provider, true).await?;
                id_token.claims(&fresh.id_token_verifier(), &nonce)
            }
            verified => verified,
        }
        .map_err(|e| OidcError::InvalidToken(error_chain(&e)))?;
        let trust_level = claims
            .auth_context_ref()
            .and_then(|acr| provider.trust_levels.get(acr.as_str()).copied())
            .unwrap_or(TrustLevel::Basis);
        let address = claims.address();
        let profile = ProfileRow {
            given_name: claims
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            family_name: claims
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            birthdate: claims.birthdate().map(|b| b.as_str().to_owned()),
            street_address: address
                .and_then(|a| a.street_address.as_ref())
                .map(|v| v.as_str().to_owned()),
            postal_code: address
                .and_then(|a| a.postal_code.as_ref())
                .map(|v| v.as_str().to_owned()),
            locality: address.and_then(|a| a.locality.as_ref()).map(|v| v.as_str().to_owned()),
            country: address.and_then(|a| a.country.as_ref()).map(|v| v.as_str().to_owned()),
            confirmed_by: Some(provider.name.clone()),
        };
        Ok(VerifiedLogin {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            trust_level,
            profile,
        })
    }
}

/// openidconnect's HTTP calls, made with reqwest.
async fn send(
    client: &reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder.body(response.bytes().await?.to_vec())?)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
