//! The Servicekonto pages: registration, e-mail verification, login, logout, password reset, account.

pub mod email;
pub mod export;
pub mod konto;
pub mod login;
pub mod manage;
pub mod password;
pub mod profile;
pub mod provider;
pub mod register;

use actix_web::HttpRequest;
use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Deserialize;

use super::Layout;
use super::page::{Field, respond, summary};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::FormTokens;
use crate::auth::oidc::IdentityProviders;
use crate::auth::rate_limit::{MAIL_PER_ADDRESS, MAIL_PER_IP};
use crate::auth::session::Citizen;
use crate::auth::session::coarse_device;
use crate::db::Db;
use crate::db::accounts;
use crate::domain::account::Email;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::query::encode_query_value;

/// What the access log records; citizens see these under "Zugriffe auf Ihr Konto".
#[derive(Debug, Clone, Copy)]
pub enum AccessEvent {
    Login,
    LoginFailed,
    Logout,
    EmailVerified,
    PasswordReset,
    SessionEnded,
    ProviderLinked,
    PasswordChanged,
    EmailChanged,
}

impl AccessEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login-failed",
            Self::Logout => "logout",
            Self::EmailVerified => "email-verified",
            Self::PasswordReset => "password-reset",
            Self::SessionEnded => "session-ended",
            Self::ProviderLinked => "provider-linked",
            Self::PasswordChanged => "password-changed",
            Self::EmailChanged => "email-changed",
        }
    }

    /// The translation key for a stored event name.
    pub fn label_key(stored: &str) -> &'static str {
        match stored {
            "login" => "access-login",
            "login-failed" => "access-login-failed",
            "logout" => "access-logout",
            "email-verified" => "access-email-verified",
            "password-reset" => "access-password-reset",
            "session-ended" => "access-session-ended",
            "provider-linked" => "access-provider-linked",
            "password-changed" => "access-password-changed",
            "email-changed" => "access-email-changed",
            _ => "access-other",
        }
    }
}

pub async fn log_access(db: &Db, req: &HttpRequest, account_id: &str, event: AccessEvent) -> sqlx::Result<()> {
    accounts::log_access(db, account_id, event.as_str(), &coarse_device(req), Utc::now()).await
}

/// Runs what an address's account decides (a link to create, a mail to queue) after the answer has
/// gone, so the answer's time does not tell whether the address has an account. A failure is logged;
/// the citizen, who saw "sent", can ask again.
pub fn after_the_answer(what: &'static str, work: impl Future<Output = Result<(), AppError>> + Send + 'static) {
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(error = %e, what, "work after the answer failed");
        }
    });
}

/// A page with a heading, a text and an optional link: confirmations and dead ends.
#[derive(Template, WebTemplate)]
#[template(path = "account/message.html")]
pub struct MessagePage<'a> {
    pub layout: Layout,
    pub title_key: &'static str,
    pub text_key: &'static str,
    /// The link's text (a message key) and where it goes.
    pub link: Option<(&'static str, &'a str)>,
}

/// Asks for a fresh login before a sensitive change: with the password when the account has one,
/// else with the account's provider; either brings the citizen back to `return_to`.
pub async fn log_in_again(
    layout: Layout,
    db: &Db,
    providers: &IdentityProviders,
    citizen: &Citizen,
    has_password: bool,
    return_to: &str,
    text_key: &'static str,
) -> Result<HttpResponse, AppError> {
    let weiter = encode_query_value(return_to);
    let provider = match has_password {
        true => None,
        false => accounts::linked_providers(db, &citizen.account_id)
            .await?
            .into_iter()
            .find(|id| providers.get(id).is_some()),
    };
    let href = match provider {
        Some(id) => format!("/anmelden/{id}?weiter={weiter}"),
        None => format!("/anmelden?erneut=ja&weiter={weiter}"),
    };
    let page = MessagePage {
        layout,
        title_key: "log-in-again-title",
        text_key,
        link: Some(("log-in-again-link", &href)),
    };
    respond(StatusCode::FORBIDDEN, &page)
}

/// The two forms that ask only for an e-mail address.
#[derive(Clone, Copy)]
pub enum EmailForm {
    /// Send the verification link again.
    Resend,
    /// Send a password reset link.
    Forgot,
}

/// `?token=` of the links the portal mails.
#[derive(Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

impl MessagePage<'_> {
    /// The mail limits per IP or per address are reached.
    pub fn too_many_mails(layout: Layout) -> Self {
        Self {
            layout,
            title_key: "too-many-title",
            text_key: "too-many-mails",
            link: None,
        }
    }
}

/// What both e-mail-only forms check before they may send a mail: the form's CSRF token, a valid
/// address, and the mail limits per IP and per address. `Ok(Err(page))` is the answer instead.
pub async fn checked_email_form(
    req: &HttpRequest,
    layout: Layout,
    which: EmailForm,
    form: &EmailFormInput,
    form_tokens: &FormTokens,
    db: &Db,
) -> Result<Result<(Email, Lang), HttpResponse>, AppError> {
    form_tokens.check(req, &form.csrf_token)?;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let page = EmailFormPage::new(
                layout,
                which,
                form.csrf_token.clone(),
                &form.email,
                Some(e.message_key()),
            );
            return respond(StatusCode::UNPROCESSABLE_ENTITY, &page).map(Err);
        }
    };
    if !MAIL_PER_IP.allow(db, &client_ip(req)).await? || !MAIL_PER_ADDRESS.allow(db, email.as_str()).await? {
        return respond(StatusCode::TOO_MANY_REQUESTS, &MessagePage::too_many_mails(layout)).map(Err);
    }
    Ok(Ok((email, layout.lang)))
}

/// What either [`EmailForm`] sends.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct EmailFormInput {
    pub email: String,
    pub csrf_token: String,
}

/// A form with one e-mail field, for either [`EmailForm`].
#[derive(Template)]
#[template(path = "account/email_form.html")]
pub struct EmailFormPage {
    layout: Layout,
    csrf_token: String,
    email: Field,
    errors: Vec<(&'static str, &'static str)>,
    title_key: &'static str,
    intro_key: &'static str,
    button_key: &'static str,
    action: &'static str,
}

impl EmailFormPage {
    pub fn new(layout: Layout, form: EmailForm, csrf_token: String, value: &str, error: Option<&'static str>) -> Self {
        let email = Field::new(layout.lang, "email", "field-email", "email", "email")
            .value(value)
            .error(layout.lang, error);
        let errors = summary(&[&email]);
        let (title_key, intro_key, button_key, action) = match form {
            EmailForm::Resend => ("resend-title", "resend-intro", "resend-button", "/registrieren/erneut"),
            EmailForm::Forgot => ("forgot-title", "forgot-intro", "forgot-button", "/passwort-vergessen"),
        };
        Self {
            layout,
            csrf_token,
            email,
            errors,
            title_key,
            intro_key,
            button_key,
            action,
        }
    }
}
