//! `/anmelden` and `/abmelden`: e-mail and password; the same answer, in similar time, whether the
//! address is unknown or the password wrong.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{AccessEvent, log_access};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::FormTokens;
use crate::auth::oidc::IdentityProviders;
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::{PasswordCheck, check_password};
use crate::auth::session::{Sessions, coarse_device};
use crate::db::Db;
use crate::db::accounts;
use crate::domain::TrustLevel;
use crate::domain::account::Email;
use crate::error::AppError;
use crate::query::encode_query_value;
use crate::routes::Layout;
use crate::routes::catalogue::Link;
use crate::routes::page::{CsrfForm, Field, respond, safe_return_path, see_other, summary};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    weiter: String,
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    weiter: Option<String>,
    abgemeldet: Option<String>,
    passwort: Option<String>,
    /// The session ended while a form step was sent; the step is kept.
    abgelaufen: Option<String>,
    /// A logged-in citizen logs in once more before a sensitive change.
    erneut: Option<String>,
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    layout: Layout,
    csrf_token: String,
    weiter: String,
    notice: Option<&'static str>,
    problem: Option<&'static str>,
    email: Field,
    password: Field,
    errors: Vec<(&'static str, &'static str)>,
    /// "Anmelden mit …" links, one per provider.
    providers: Vec<Link>,
}

impl LoginPage {
    fn new(
        layout: Layout,
        csrf_token: String,
        weiter: String,
        email_value: &str,
        providers: &IdentityProviders,
    ) -> Self {
        let lang = layout.lang;
        let providers = providers
            .all()
            .iter()
            .map(|p| Link {
                href: format!("/anmelden/{}?weiter={}", p.id, encode_query_value(&weiter)),
                label: lang.t1("login-with", "name", p.name.clone()),
            })
            .collect();
        Self {
            providers,
            email: Field::new(lang, "email", "field-email", "email", "username").value(email_value),
            password: Field::new(lang, "password", "field-password", "password", "current-password"),
            layout,
            csrf_token,
            weiter,
            notice: None,
            problem: None,
            errors: Vec::new(),
        }
    }

    /// A problem with the whole form (wrong credentials, too many attempts), shown in the summary.
    fn with_problem(mut self, key: &'static str) -> Self {
        let message = self.layout.lang.t(key);
        self.problem = Some(message);
        self.errors = vec![("email", message)];
        self
    }
}

pub async fn show(
    req: HttpRequest,
    layout: Layout,
    query: web::Query<LoginQuery>,
    sessions: web::Data<Sessions>,
    form_tokens: web::Data<FormTokens>,
    providers: web::Data<IdentityProviders>,
) -> Result<HttpResponse, AppError> {
    let weiter = safe_return_path(query.weiter.as_deref());
    let logged_in = sessions.current(&req).await?.is_some_and(|s| s.account_id.is_some());
    if logged_in && query.erneut.is_none() {
        return Ok(see_other(&weiter));
    }
    let mut page = LoginPage::new(layout, form_tokens.issue(&req), weiter, "", &providers);
    page.notice = match (&query.abgemeldet, &query.passwort) {
        _ if query.abgelaufen.is_some() => Some(page.layout.lang.t("session-expired-kept-notice")),
        _ if query.erneut.is_some() => Some(page.layout.lang.t("log-in-again-notice")),
        (Some(_), _) => Some(page.layout.lang.t("logged-out-notice")),
        (_, Some(_)) => Some(page.layout.lang.t("password-changed-notice")),
        _ if query.weiter.is_some() => Some(page.layout.lang.t("login-required-notice")),
        _ => None,
    };
    respond(StatusCode::OK, &page)
}

#[allow(clippy::too_many_arguments)]
pub async fn submit(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<LoginForm>,
    sessions: web::Data<Sessions>,
    form_tokens: web::Data<FormTokens>,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    providers: web::Data<IdentityProviders>,
) -> Result<HttpResponse, AppError> {
    form_tokens.check(&req, &form.csrf_token)?;
    let weiter = safe_return_path(Some(&form.weiter));
    let page = |layout| LoginPage::new(layout, form.csrf_token.clone(), weiter.clone(), &form.email, &providers);

    let lang = layout.lang;
    let email = match Email::parse(&form.email) {
        Ok(email) if !form.password.is_empty() => email,
        result => {
            let mut page = page(layout);
            page.email = page.email.error(lang, result.err().map(|e| e.message_key()));
            page.password = page
                .password
                .error(lang, form.password.is_empty().then_some("error-password-missing"));
            page.errors = summary(&[&page.email, &page.password]);
            return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    // An account whose address is not confirmed yet cannot log in, and says so no differently from
    // a wrong password: otherwise registering someone's address with a password of one's own and
    // logging in with it would tell whether the address had an account before.
    let account = accounts::account_by_email(&db, email.as_str())
        .await?
        .filter(|a| a.email_verified_at.is_some());
    let stored_hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let check = check_password(
        &db,
        &hasher,
        &client_ip(&req),
        email.as_str(),
        &form.password,
        stored_hash,
    )
    .await?;
    let account = match (check, account) {
        (PasswordCheck::Matches, Some(account)) => account,
        (PasswordCheck::TooMany, _) => {
            return respond(
                StatusCode::TOO_MANY_REQUESTS,
                &page(layout).with_problem("too-many-logins"),
            );
        }
        (_, account) => {
            if let Some(account) = account {
                // Written after the answer, so an existing account costs no extra time to find out.
                let (db, device) = (db.get_ref().clone(), coarse_device(&req));
                tokio::spawn(async move {
                    let logged =
                        accounts::log_access(&db, &account.id, AccessEvent::LoginFailed.as_str(), &device, Utc::now());
                    if let Err(e) = logged.await {
                        tracing::warn!(error = %e, "a failed login could not be logged");
                    }
                });
            }
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(layout).with_problem("error-login-failed"),
            );
        }
    };
    // A session this browser had (an earlier login, a provider login begun) gives way to the new one.
    let previous = sessions.current(&req).await?;
    sessions
        .log_in(&req, previous.as_ref(), &account.id, TrustLevel::Basis, Utc::now())
        .await?;
    log_access(&db, &req, &account.id, AccessEvent::Login).await?;
    Ok(see_other(&weiter))
}

/// Deletes the session on the server: a copy of the old cookie is worth nothing afterwards.
pub async fn logout(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    sessions.log_out(&req, &citizen.session).await?;
    log_access(&db, &req, &citizen.account_id, AccessEvent::Logout).await?;
    Ok(see_other("/anmelden?abgemeldet=1"))
}
