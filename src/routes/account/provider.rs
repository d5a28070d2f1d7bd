//! `/anmelden/{provider}` and its callback: login (or linking, when already logged in) with a
//! Servicekonto provider over OpenID Connect.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::{AccessEvent, MessagePage, log_access};
use crate::auth::client_ip::client_ip;
use crate::auth::oidc::{IdentityProviders, OidcError};
use crate::auth::rate_limit::LOGIN_FLOW_PER_IP;
use crate::auth::session::Sessions;
use crate::auth::token;
use crate::db::Db;
use crate::db::accounts;
use crate::domain::TrustLevel;
use crate::error::AppError;
use crate::routes::Layout;
use crate::routes::page::{respond, safe_return_path, see_other};

/// How long a citizen may take at the provider.
const FLOW_LIFETIME: Duration = Duration::minutes(15);

#[derive(Deserialize)]
pub struct ProviderPath {
    provider: String,
}

#[derive(Deserialize)]
pub struct StartQuery {
    weiter: Option<String>,
    niveau: Option<String>,
}

fn message(
    layout: Layout,
    status: StatusCode,
    title_key: &'static str,
    text_key: &'static str,
) -> Result<HttpResponse, AppError> {
    respond(
        status,
        &MessagePage {
            layout,
            title_key,
            text_key,
            link: Some(("login-link", "/anmelden")),
        },
    )
}

fn failure_page(layout: Layout, error: &OidcError) -> Result<HttpResponse, AppError> {
    tracing::warn!(error = %error, "login with a provider failed");
    match error {
        OidcError::Unreachable(_) => message(
            layout,
            StatusCode::SERVICE_UNAVAILABLE,
            "provider-unreachable-title",
            "provider-unreachable-text",
        ),
        OidcError::Refused(_) | OidcError::InvalidToken(_) => message(
            layout,
            StatusCode::BAD_REQUEST,
            "provider-failed-title",
            "provider-failed-text",
        ),
    }
}

pub async fn start(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<ProviderPath>,
    query: web::Query<StartQuery>,
    sessions: web::Data<Sessions>,
    providers: web::Data<IdentityProviders>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let provider = providers.get(&path.provider).ok_or(AppError::NotFound)?;
    let at_least = query.niveau.as_deref().and_then(|n| TrustLevel::parse(n).ok());
    let authorization = match providers.authorize(provider, at_least).await {
        Ok(authorization) => authorization,
        Err(e) => return failure_page(layout, &e),
    };
    // Only now, with the citizen on the way to the provider, is anything stored: the flow, and a
    // session to tie it to this browser; both count towards a limit per IP.
    if !LOGIN_FLOW_PER_IP.allow(&db, &client_ip(&req)).await? {
        return message(
            layout,
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-title",
            "too-many-provider-logins",
        );
    }
    let session = sessions.current_or_start(&req).await?;
    accounts::create_login_flow(
        &db,
        &token::hash(&authorization.state),
        &session.id_hash,
        &provider.id,
        &authorization.nonce,
        &authorization.pkce_verifier,
        &safe_return_path(query.weiter.as_deref()),
        Utc::now() + FLOW_LIFETIME,
    )
    .await?;
    Ok(see_other(&authorization.url))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The provider sends the citizen back here. The state must belong to this browser's session and is
/// used once; the code is exchanged, the ID token verified, then the account found, created or linked.
pub async fn callback(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<ProviderPath>,
    query: web::Query<CallbackQuery>,
    sessions: web::Data<Sessions>,
    providers: web::Data<IdentityProviders>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let provider = providers.get(&path.provider).ok_or(AppError::NotFound)?;
    let session = sessions.current(&req).await?;
    let flow = match (&session, &query.state) {
        (Some(session), Some(state)) => {
            accounts::take_login_flow(&db, &token::hash(state), &session.id_hash, Utc::now()).await?
        }
        _ => None,
    };
    let (Some(session), Some(flow)) = (session, flow.filter(|f| f.provider_id == provider.id)) else {
        return message(
            layout,
            StatusCode::BAD_REQUEST,
            "provider-flow-invalid-title",
            "provider-flow-invalid-text",
        );
    };
    if query.error.is_some() {
        return message(
            layout,
            StatusCode::BAD_REQUEST,
            "provider-cancelled-title",
            "provider-cancelled-text",
        );
    }
    let code = query.code.as_deref().unwrap_or_default();
    let login = match providers
        .complete(provider, code, &flow.nonce, &flow.pkce_verifier)
        .await
    {
        Ok(login) => login,
        Err(e) => return failure_page(layout, &e),
    };

    let now = Utc::now();
    let linked = accounts::identity_account(&db, &login.issuer, &login.subject).await?;
    let already_linked = linked.is_some();
    let account_id = match (linked, &session.account_id) {
        (Some(linked), Some(current)) if linked != *current => {
            return message(
                layout,
                StatusCode::CONFLICT,
                "provider-linked-elsewhere-title",
                "provider-linked-elsewhere-text",
            );
        }
        (Some(linked), _) => linked,
        (None, Some(current)) => {
            // Linking adds a way into the account: only right after a login of the account itself.
            if !session.logged_in_recently() {
                let page = MessagePage {
                    layout,
                    title_key: "log-in-again-title",
                    text_key: "provider-link-log-in-again-text",
                    link: Some(("log-in-again-link", "/anmelden?erneut=ja&weiter=/konto")),
                };
                return respond(StatusCode::FORBIDDEN, &page);
            }
            log_access(&db, &req, current, AccessEvent::ProviderLinked).await?;
            current.clone()
        }
        (None, None) => accounts::create_account_without_password(&db, now).await?,
    };
    accounts::link_identity(
        &db,
        &login.issuer,
        &login.subject,
        &provider.id,
        &account_id,
        login.trust_level.as_str(),
        now,
    )
    .await?;
    accounts::save_profile(&db, &account_id, &login.profile, now).await?;
    // A login that only linked this provider does not renew the time of the account's own login.
    let logged_in_at = match session.account_id {
        Some(_) if !already_linked => session.created_at,
        _ => now,
    };
    sessions
        .log_in(&req, Some(&session), &account_id, login.trust_level, logged_in_at)
        .await?;
    log_access(&db, &req, &account_id, AccessEvent::Login).await?;
    Ok(see_other(&flow.return_to))
}
