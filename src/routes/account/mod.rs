//! The Servicekonto pages: registration, e-mail verification, login, logout, password reset, account.

pub mod email;
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
use super::forms::{Field, respond, summary};
use crate::auth::rate_limit::{MAIL_PER_ADDRESS, MAIL_PER_IP};
use crate::auth::session::Sessions;
use crate::auth::session::coarse_device;
use crate::db::Db;
use crate::db::accounts;
use crate::domain::account::Email;
use crate::error::AppError;
use crate::i18n::Lang;

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

/// The client's IP address, the key of per-IP rate limits. Forwarded headers are not trusted.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
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
    sessions: &Sessions,
    db: &Db,
) -> Result<Result<(Email, Lang), HttpResponse>, AppError> {
    let session = sessions.current(req).await?.ok_or(AppError::Forbidden)?;
    session.check_csrf(&form.csrf_token)?;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let page = EmailFormPage::new(layout, which, session.csrf_token, &form.email, Some(e.message_key()));
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
