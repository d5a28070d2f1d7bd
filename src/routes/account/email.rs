//! Changing the e-mail address: confirmed by a link to the new address; the old address is told.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::{AccessEvent, MessagePage, TokenQuery, log_access, log_in_again};
use crate::auth::client_ip::client_ip;
use crate::auth::oidc::IdentityProviders;
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::{MAIL_PER_ADDRESS, PasswordCheck, check_password};
use crate::auth::session::{Citizen, Sessions};
use crate::auth::token;
use crate::config::Settings;
use crate::db::Db;
use crate::db::accounts;
use crate::db::outbox::enqueue_mail;
use crate::domain::account::Email;
use crate::error::AppError;
use crate::mail::{LinkSeal, Mail};
use crate::routes::Layout;
use crate::routes::page::{Field, respond, see_other, summary};
use crate::worker::Outbox;

const CHANGE_LINK_LIFETIME: Duration = Duration::hours(24);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangeEmailForm {
    email: String,
    current: String,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "account/change_email.html")]
struct ChangeEmailPage {
    layout: Layout,
    csrf_token: String,
    email: Field,
    current: Option<Field>,
    errors: Vec<(&'static str, &'static str)>,
}

fn page(
    layout: Layout,
    csrf_token: String,
    has_password: bool,
    value: &str,
    email_error: Option<&'static str>,
    current_error: Option<&'static str>,
) -> ChangeEmailPage {
    let lang = layout.lang;
    let email = Field::new(lang, "email", "field-new-email", "email", "email")
        .value(value)
        .error(lang, email_error);
    let current = has_password.then(|| {
        Field::new(
            lang,
            "current",
            "field-current-password",
            "password",
            "current-password",
        )
        .error(lang, current_error)
    });
    let errors = summary(
        &[Some(&email), current.as_ref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    );
    ChangeEmailPage {
        layout,
        csrf_token,
        email,
        current,
        errors,
    }
}

pub async fn show(
    req: HttpRequest,
    layout: Layout,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    providers: web::Data<IdentityProviders>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let account = accounts::account_by_id(&db, &citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let has_password = account.password_hash.is_some();
    if !has_password && !citizen.session.logged_in_recently() {
        return log_in_again_to_change(layout, &db, &providers, &citizen).await;
    }
    respond(
        StatusCode::OK,
        &page(layout, citizen.session.csrf_token, has_password, "", None, None),
    )
}

/// An account without a password (provider logins only) proves itself by a provider login of the
/// last ten minutes before its address changes; the citizen is sent to one and comes back here.
async fn log_in_again_to_change(
    layout: Layout,
    db: &Db,
    providers: &IdentityProviders,
    citizen: &Citizen,
) -> Result<HttpResponse, AppError> {
    log_in_again(
        layout,
        db,
        providers,
        citizen,
        false,
        "/konto/email",
        "log-in-again-email-text",
    )
    .await
}

/// Sends the link to the new address. The answer is the same whether or not the address is taken.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<ChangeEmailForm>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    outbox: web::Data<Outbox>,
    seal: web::Data<LinkSeal>,
    providers: web::Data<IdentityProviders>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    let account = accounts::account_by_id(&db, &citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let has_password = account.password_hash.is_some();
    if !has_password && !citizen.session.logged_in_recently() {
        return log_in_again_to_change(layout, &db, &providers, &citizen).await;
    }
    let csrf = citizen.session.csrf_token.clone();
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let page = page(layout, csrf, has_password, &form.email, Some(e.message_key()), None);
            return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if let Some(stored) = account.password_hash.as_deref() {
        let key = account.email.as_deref().unwrap_or(&account.id);
        let (status, problem) =
            match check_password(&db, &hasher, &client_ip(&req), key, &form.current, Some(stored)).await? {
                PasswordCheck::Matches => (StatusCode::OK, None),
                PasswordCheck::Wrong => (StatusCode::UNPROCESSABLE_ENTITY, Some("error-current-password")),
                PasswordCheck::TooMany => (StatusCode::TOO_MANY_REQUESTS, Some("too-many-logins")),
            };
        if problem.is_some() {
            let page = page(layout, csrf, has_password, &form.email, None, problem);
            return respond(status, &page);
        }
    }
    if !MAIL_PER_ADDRESS.allow(&db, email.as_str()).await? {
        return respond(StatusCode::TOO_MANY_REQUESTS, &MessagePage::too_many_mails(layout));
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mail = if accounts::account_by_email(&db, email.as_str()).await?.is_some() {
        Mail::new(email.as_str(), layout.lang, "mail-exists")
    } else {
        let secret = token::random_token();
        let expires = now + CHANGE_LINK_LIFETIME;
        accounts::create_email_change_token(
            &mut tx,
            &token::hash(&secret),
            &citizen.account_id,
            email.as_str(),
            expires,
        )
        .await?;
        let link = format!("{}/konto/email/bestaetigen?token={secret}", settings.base_url);
        Mail::new(email.as_str(), layout.lang, "mail-change-email").with_secret_link(&link, &seal)?
    };
    enqueue_mail(&mut tx, &mail).await?;
    outbox.commit(tx).await?;
    // Whoever asked proved the password: the account's other sessions end now.
    accounts::delete_other_sessions(&db, &citizen.account_id, &citizen.session.id_hash).await?;
    Ok(see_other("/konto/email/gesendet"))
}

pub async fn sent(layout: Layout) -> MessagePage<'static> {
    MessagePage {
        layout,
        title_key: "register-sent-title",
        text_key: "change-email-sent-text",
        link: None,
    }
}

/// The link from the mail to the new address: the address changes, the old one is told.
pub async fn confirm(
    req: HttpRequest,
    layout: Layout,
    query: web::Query<TokenQuery>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    outbox: web::Data<Outbox>,
) -> Result<HttpResponse, AppError> {
    let secret = query.token.as_deref().unwrap_or_default();
    let invalid = |layout| MessagePage {
        layout,
        title_key: "link-invalid-title",
        text_key: "change-email-link-invalid-text",
        link: Some(("back-to-account", "/konto")),
    };
    let Some((account_id, new_email)) = accounts::use_email_change_token(&db, &token::hash(secret), Utc::now()).await?
    else {
        return respond(StatusCode::BAD_REQUEST, &invalid(layout));
    };
    let old_email = accounts::account_by_id(&db, &account_id).await?.and_then(|a| a.email);
    if !accounts::change_email(&db, &account_id, &new_email, Utc::now()).await? {
        return respond(StatusCode::CONFLICT, &invalid(layout));
    }
    // The other sessions ended when the change was asked for; one begun since ends now, unless it
    // is the one that opened the link (the link may be opened on another device, without a session).
    if let Some(session) = sessions.current(&req).await?
        && session.account_id.as_deref() == Some(&account_id)
    {
        accounts::delete_other_sessions(&db, &account_id, &session.id_hash).await?;
    }
    log_access(&db, &req, &account_id, AccessEvent::EmailChanged).await?;
    if let Some(old) = old_email {
        outbox
            .queue_mail(&db, &Mail::new(&old, layout.lang, "mail-email-changed"))
            .await?;
    }
    let page = MessagePage {
        layout,
        title_key: "email-changed-title",
        text_key: "email-changed-text",
        link: Some(("back-to-account", "/konto")),
    };
    respond(StatusCode::OK, &page)
}
