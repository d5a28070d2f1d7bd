//! Password reset by e-mail: a single-use link valid for one hour; setting the new password ends every
//! session of the account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::{
    AccessEvent, EmailForm, EmailFormInput, EmailFormPage, MessagePage, TokenQuery, after_the_answer,
    checked_email_form, log_access,
};
use crate::auth::csrf::FormTokens;
use crate::auth::password::PasswordHasher;
use crate::auth::token;
use crate::config::Settings;
use crate::db::Db;
use crate::db::accounts::{self, TokenPurpose};
use crate::db::outbox::enqueue_mail;
use crate::domain::account::{Email, NewPassword};
use crate::error::AppError;
use crate::mail::{LinkSeal, Mail};
use crate::routes::Layout;
use crate::routes::page::{Field, respond, see_other, summary};
use crate::worker::Outbox;

const RESET_LINK_LIFETIME: Duration = Duration::hours(1);

pub async fn show_forgot(
    req: HttpRequest,
    layout: Layout,
    form_tokens: web::Data<FormTokens>,
) -> Result<HttpResponse, AppError> {
    let csrf_token = form_tokens.issue(&req);
    respond(
        StatusCode::OK,
        &EmailFormPage::new(layout, EmailForm::Forgot, csrf_token, "", None),
    )
}

/// The same answer whether or not the address has an account.
#[allow(clippy::too_many_arguments)]
pub async fn forgot(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<EmailFormInput>,
    form_tokens: web::Data<FormTokens>,
    db: web::Data<Db>,
    outbox: web::Data<Outbox>,
    seal: web::Data<LinkSeal>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let (email, lang) = match checked_email_form(&req, layout, EmailForm::Forgot, &form, &form_tokens, &db).await? {
        Ok(checked) => checked,
        Err(page) => return Ok(page),
    };
    let (db, outbox, seal, base_url) = (
        db.get_ref().clone(),
        outbox.get_ref().clone(),
        seal.get_ref().clone(),
        settings.base_url.clone(),
    );
    after_the_answer("password reset link", async move {
        let Some(account) = accounts::account_by_email(&db, email.as_str()).await? else {
            return Ok(());
        };
        let secret = token::random_token();
        let now = Utc::now();
        let mut tx = db.begin().await?;
        accounts::create_token(
            &mut tx,
            &token::hash(&secret),
            &account.id,
            TokenPurpose::ResetPassword,
            now + RESET_LINK_LIFETIME,
        )
        .await?;
        let link = format!("{base_url}/passwort-neu?token={secret}");
        let mail = Mail::new(email.as_str(), lang, "mail-reset").with_secret_link(&link, &seal)?;
        enqueue_mail(&mut tx, &mail).await?;
        outbox.commit(tx).await?;
        Ok(())
    });
    Ok(see_other("/passwort-vergessen/gesendet"))
}

pub async fn forgot_sent(layout: Layout) -> MessagePage<'static> {
    MessagePage {
        layout,
        title_key: "forgot-sent-title",
        text_key: "forgot-sent-text",
        link: None,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    token: String,
    password: String,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "account/reset.html")]
struct ResetPage {
    layout: Layout,
    csrf_token: String,
    token: String,
    password: Field,
    errors: Vec<(&'static str, &'static str)>,
}

fn reset_page(layout: Layout, csrf_token: String, token: String, error: Option<&'static str>) -> ResetPage {
    let password = Field::new(
        layout.lang,
        "password",
        "field-new-password",
        "password",
        "new-password",
    )
    .hint(layout.lang, "field-new-password-hint")
    .error(layout.lang, error);
    let errors = summary(&[&password]);
    ResetPage {
        layout,
        csrf_token,
        token,
        password,
        errors,
    }
}

fn invalid_link(layout: Layout) -> Result<HttpResponse, AppError> {
    let page = MessagePage {
        layout,
        title_key: "link-invalid-title",
        text_key: "reset-link-invalid-text",
        link: Some(("forgot-link", "/passwort-vergessen")),
    };
    respond(StatusCode::BAD_REQUEST, &page)
}

/// Opening the link only shows the form; the token is used up when the new password is set.
pub async fn show_reset(
    req: HttpRequest,
    layout: Layout,
    query: web::Query<TokenQuery>,
    form_tokens: web::Data<FormTokens>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let secret = query.token.clone().unwrap_or_default();
    if accounts::token_account(&db, &token::hash(&secret), TokenPurpose::ResetPassword, Utc::now())
        .await?
        .is_none()
    {
        return invalid_link(layout);
    }
    let csrf_token = form_tokens.issue(&req);
    respond(StatusCode::OK, &reset_page(layout, csrf_token, secret, None))
}

pub async fn reset(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<ResetForm>,
    form_tokens: web::Data<FormTokens>,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
) -> Result<HttpResponse, AppError> {
    form_tokens.check(&req, &form.csrf_token)?;
    let token_hash = token::hash(&form.token);
    let Some(account_id) = accounts::token_account(&db, &token_hash, TokenPurpose::ResetPassword, Utc::now()).await?
    else {
        return invalid_link(layout);
    };
    let account = accounts::account_by_id(&db, &account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let email = account.email.as_deref().and_then(|e| Email::parse(e).ok());
    let password = match NewPassword::parse(&form.password, email.as_ref()) {
        Ok(password) => password,
        Err(e) => {
            let page = reset_page(
                layout,
                form.csrf_token.clone(),
                form.token.clone(),
                Some(e.message_key()),
            );
            return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let hash = hasher.hash(password.expose()).await?;
    if accounts::use_token(&db, &token_hash, TokenPurpose::ResetPassword, Utc::now())
        .await?
        .is_none()
    {
        return invalid_link(layout);
    }
    let mut tx = db.begin().await?;
    accounts::set_password(&mut tx, &account_id, &hash).await?;
    tx.commit().await?;
    // Whoever got the link controls the mailbox: that verifies the address too.
    accounts::mark_email_verified(&db, &account_id, Utc::now()).await?;
    accounts::delete_sessions_of(&db, &account_id).await?;
    log_access(&db, &req, &account_id, AccessEvent::PasswordReset).await?;
    Ok(see_other("/anmelden?passwort=neu"))
}
