//! `/registrieren`: a local account with e-mail and password, then a verification link by mail.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::{
    AccessEvent, EmailForm, EmailFormInput, EmailFormPage, MessagePage, TokenQuery, after_the_answer,
    checked_email_form, log_access,
};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::FormTokens;
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::{MAIL_PER_ADDRESS, REGISTRATION_PER_IP};
use crate::auth::session::Sessions;
use crate::auth::token;
use crate::config::Settings;
use crate::db::accounts::{self, TokenPurpose};
use crate::db::outbox::enqueue_mail;
use crate::db::{Db, Tx};
use crate::domain::account::{Email, NewPassword};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{LinkSeal, Mail};
use crate::routes::Layout;
use crate::routes::page::{Field, respond, see_other, summary};
use crate::worker::Outbox;

const VERIFY_LINK_LIFETIME: Duration = Duration::hours(24);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    email: String,
    password: String,
    consent: Option<String>,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "account/register.html")]
struct RegisterPage {
    layout: Layout,
    csrf_token: String,
    email: Field,
    password: Field,
    consent_error: Option<&'static str>,
    errors: Vec<(&'static str, &'static str)>,
}

impl RegisterPage {
    fn new(layout: Layout, csrf_token: String, form: &RegisterForm, errors: &RegisterErrors) -> Self {
        let lang = layout.lang;
        let email = Field::new(lang, "email", "field-email", "email", "email")
            .hint(lang, "field-email-hint")
            .value(&form.email)
            .error(lang, errors.email);
        let password = Field::new(lang, "password", "field-new-password", "password", "new-password")
            .hint(lang, "field-new-password-hint")
            .error(lang, errors.password);
        let consent_error = errors.consent.map(|k| lang.t(k));
        let mut errors = summary(&[&email, &password]);
        if let Some(message) = consent_error {
            errors.push(("consent", message));
        }
        Self {
            layout,
            csrf_token,
            email,
            password,
            consent_error,
            errors,
        }
    }
}

#[derive(Default)]
struct RegisterErrors {
    email: Option<&'static str>,
    password: Option<&'static str>,
    consent: Option<&'static str>,
}

pub async fn show(
    req: HttpRequest,
    layout: Layout,
    sessions: web::Data<Sessions>,
    form_tokens: web::Data<FormTokens>,
) -> Result<HttpResponse, AppError> {
    if sessions.current(&req).await?.is_some_and(|s| s.account_id.is_some()) {
        return Ok(see_other("/konto"));
    }
    let page = RegisterPage::new(
        layout,
        form_tokens.issue(&req),
        &RegisterForm::default(),
        &RegisterErrors::default(),
    );
    respond(StatusCode::OK, &page)
}

#[allow(clippy::too_many_arguments)]
pub async fn submit(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<RegisterForm>,
    form_tokens: web::Data<FormTokens>,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    outbox: web::Data<Outbox>,
    seal: web::Data<LinkSeal>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    form_tokens.check(&req, &form.csrf_token)?;

    let email = Email::parse(&form.email);
    let password = NewPassword::parse(&form.password, email.as_ref().ok());
    let errors = RegisterErrors {
        email: email.as_ref().err().map(|e| e.message_key()),
        password: password.as_ref().err().map(|e| e.message_key()),
        consent: form.consent.is_none().then_some("error-consent-missing"),
    };
    let (Ok(email), Ok(password), None) = (email, password, errors.consent) else {
        let page = RegisterPage::new(layout, form.csrf_token.clone(), &form, &errors);
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    if !REGISTRATION_PER_IP.allow(&db, &client_ip(&req)).await? {
        let page = MessagePage {
            layout,
            title_key: "too-many-title",
            text_key: "too-many-registrations",
            link: None,
        };
        return respond(StatusCode::TOO_MANY_REQUESTS, &page);
    }

    let hash = hasher.hash(password.expose()).await?;
    // Mails to one address are limited; over the limit nothing is sent and the answer is the same.
    if MAIL_PER_ADDRESS.allow(&db, email.as_str()).await? {
        let now = Utc::now();
        let mut tx = db.begin().await?;
        let mail = match accounts::create_account(&mut tx, email.as_str(), &hash, now).await? {
            Some(account_id) => {
                verification_mail(&mut tx, &settings, &seal, layout.lang, &account_id, email.as_str()).await?
            }
            // Someone registers an address that has an account: its owner is told, the page says the
            // same as for a new account, so nobody learns which addresses have one.
            None => Mail::new(email.as_str(), layout.lang, "mail-exists"),
        };
        enqueue_mail(&mut tx, &mail).await?;
        outbox.commit(tx).await?;
    }
    Ok(see_other("/registrieren/gesendet"))
}

/// A new verification link, stored in the caller's transaction; the mail that carries it.
async fn verification_mail(
    tx: &mut Tx,
    settings: &Settings,
    seal: &LinkSeal,
    lang: Lang,
    account_id: &str,
    email: &str,
) -> anyhow::Result<Mail> {
    let secret = token::random_token();
    accounts::create_token(
        tx,
        &token::hash(&secret),
        account_id,
        TokenPurpose::VerifyEmail,
        Utc::now() + VERIFY_LINK_LIFETIME,
    )
    .await?;
    let link = format!("{}/registrieren/bestaetigen?token={secret}", settings.base_url);
    Mail::new(email, lang, "mail-verify").with_secret_link(&link, seal)
}

pub async fn sent(layout: Layout) -> MessagePage<'static> {
    MessagePage {
        layout,
        title_key: "register-sent-title",
        text_key: "register-sent-text",
        link: None,
    }
}

/// The link from the mail. Single use; a used or expired link says what to do instead.
pub async fn verify(
    req: HttpRequest,
    layout: Layout,
    query: web::Query<TokenQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let secret = query.token.as_deref().unwrap_or_default();
    match accounts::use_token(&db, &token::hash(secret), TokenPurpose::VerifyEmail, Utc::now()).await? {
        Some(account_id) => {
            accounts::mark_email_verified(&db, &account_id, Utc::now()).await?;
            log_access(&db, &req, &account_id, AccessEvent::EmailVerified).await?;
            let page = MessagePage {
                layout,
                title_key: "verified-title",
                text_key: "verified-text",
                link: Some(("login-link", "/anmelden")),
            };
            respond(StatusCode::OK, &page)
        }
        None => {
            let page = MessagePage {
                layout,
                title_key: "link-invalid-title",
                text_key: "verify-link-invalid-text",
                link: Some(("resend-link", "/registrieren/erneut")),
            };
            respond(StatusCode::BAD_REQUEST, &page)
        }
    }
}

pub async fn show_resend(
    req: HttpRequest,
    layout: Layout,
    form_tokens: web::Data<FormTokens>,
) -> Result<HttpResponse, AppError> {
    let csrf_token = form_tokens.issue(&req);
    respond(
        StatusCode::OK,
        &EmailFormPage::new(layout, EmailForm::Resend, csrf_token, "", None),
    )
}

/// Always the same answer, whether or not an unverified account has that address.
#[allow(clippy::too_many_arguments)]
pub async fn resend(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<EmailFormInput>,
    form_tokens: web::Data<FormTokens>,
    db: web::Data<Db>,
    outbox: web::Data<Outbox>,
    seal: web::Data<LinkSeal>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let (email, lang) = match checked_email_form(&req, layout, EmailForm::Resend, &form, &form_tokens, &db).await? {
        Ok(checked) => checked,
        Err(page) => return Ok(page),
    };
    let (db, outbox, seal, settings) = (
        db.get_ref().clone(),
        outbox.get_ref().clone(),
        seal.into_inner(),
        settings.into_inner(),
    );
    after_the_answer("verification link", async move {
        let account = accounts::account_by_email(&db, email.as_str()).await?;
        if let Some(account) = account.filter(|a| a.email_verified_at.is_none()) {
            let mut tx = db.begin().await?;
            let mail = verification_mail(&mut tx, &settings, &seal, lang, &account.id, email.as_str()).await?;
            enqueue_mail(&mut tx, &mail).await?;
            outbox.commit(tx).await?;
        }
        Ok(())
    });
    Ok(see_other("/registrieren/gesendet"))
}
