//! Managing the account: change the password (with the current one), delete the account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{AccessEvent, log_access, log_in_again};
use crate::auth::client_ip::client_ip;
use crate::auth::oidc::IdentityProviders;
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::{PasswordCheck, check_password};
use crate::auth::session::{Citizen, Sessions};
use crate::db::Db;
use crate::db::accounts;
use crate::db::outbox::enqueue_mail;
use crate::domain::account::{Email, NewPassword};
use crate::error::AppError;
use crate::mail::Mail;
use crate::routes::Layout;
use crate::routes::page::{Field, respond, see_other, summary};
use crate::worker::Outbox;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangePasswordForm {
    current: String,
    password: String,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "account/change_password.html")]
struct ChangePasswordPage {
    layout: Layout,
    csrf_token: String,
    current: Field,
    password: Field,
    errors: Vec<(&'static str, &'static str)>,
}

fn change_password_page(
    layout: Layout,
    csrf_token: String,
    current_error: Option<&'static str>,
    password_error: Option<&'static str>,
) -> ChangePasswordPage {
    let lang = layout.lang;
    let current = Field::new(
        lang,
        "current",
        "field-current-password",
        "password",
        "current-password",
    )
    .error(lang, current_error);
    let password = Field::new(lang, "password", "field-new-password", "password", "new-password")
        .hint(lang, "field-new-password-hint")
        .error(lang, password_error);
    let errors = summary(&[&current, &password]);
    ChangePasswordPage {
        layout,
        csrf_token,
        current,
        password,
        errors,
    }
}

pub async fn show_change_password(
    req: HttpRequest,
    layout: Layout,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    respond(
        StatusCode::OK,
        &change_password_page(layout, citizen.session.csrf_token, None, None),
    )
}

/// Needs the current password; afterwards every other session of the account ends and the address is told.
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<ChangePasswordForm>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    hasher: web::Data<PasswordHasher>,
    outbox: web::Data<Outbox>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    let account = accounts::account_by_id(&db, &citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let csrf = citizen.session.csrf_token.clone();
    let key = account.email.as_deref().unwrap_or(&account.id);
    let stored = account.password_hash.as_deref();
    match check_password(&db, &hasher, &client_ip(&req), key, &form.current, stored).await? {
        PasswordCheck::Matches => {}
        PasswordCheck::Wrong => {
            let page = change_password_page(layout, csrf, Some("error-current-password"), None);
            return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        PasswordCheck::TooMany => {
            let page = change_password_page(layout, csrf, Some("too-many-logins"), None);
            return respond(StatusCode::TOO_MANY_REQUESTS, &page);
        }
    }
    let email = account.email.as_deref().and_then(|e| Email::parse(e).ok());
    let password = match NewPassword::parse(&form.password, email.as_ref()) {
        Ok(password) => password,
        Err(e) => {
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &change_password_page(layout, csrf, None, Some(e.message_key())),
            );
        }
    };
    let hash = hasher.hash(password.expose()).await?;
    let mut tx = db.begin().await?;
    accounts::set_password(&mut tx, &citizen.account_id, &hash).await?;
    if let Some(email) = &account.email {
        let mail = Mail::new(email, layout.lang, "mail-password-changed");
        enqueue_mail(&mut tx, &mail).await?;
    }
    outbox.commit(tx).await?;
    accounts::delete_other_sessions(&db, &citizen.account_id, &citizen.session.id_hash).await?;
    log_access(&db, &req, &citizen.account_id, AccessEvent::PasswordChanged).await?;
    Ok(see_other("/konto?geaendert=passwort"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirm: Option<String>,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "account/delete.html")]
struct DeletePage {
    layout: Layout,
    csrf_token: String,
    error: Option<&'static str>,
    errors: Vec<(&'static str, &'static str)>,
}

fn delete_page(layout: Layout, csrf_token: String, error: Option<&'static str>) -> DeletePage {
    let error = error.map(|k| layout.lang.t(k));
    let errors = error.map(|e| vec![("confirm", e)]).unwrap_or_default();
    DeletePage {
        layout,
        csrf_token,
        error,
        errors,
    }
}

pub async fn show_delete(
    req: HttpRequest,
    layout: Layout,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    providers: web::Data<IdentityProviders>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    if !citizen.session.logged_in_recently() {
        return log_in_again_to_delete(layout, &db, &providers, &citizen).await;
    }
    if accounts::has_draft_kept_for_payment(&db, &citizen.account_id).await? {
        return respond(StatusCode::OK, &kept_for_payment(layout));
    }
    respond(StatusCode::OK, &delete_page(layout, citizen.session.csrf_token, None))
}

/// The account has a draft whose fee is paid or being paid: it is sent first, or the payment is
/// cancelled, before the account can go.
fn kept_for_payment(layout: Layout) -> super::MessagePage<'static> {
    super::MessagePage {
        layout,
        title_key: "delete-kept-title",
        text_key: "delete-kept-text",
        link: Some(("delete-kept-link", "/antraege")),
    }
}

/// Deleting needs a login of the last ten minutes (ASVS 3.7.1): a session left open elsewhere
/// cannot delete the account.
async fn log_in_again_to_delete(
    layout: Layout,
    db: &Db,
    providers: &IdentityProviders,
    citizen: &Citizen,
) -> Result<HttpResponse, AppError> {
    let account = accounts::account_by_id(db, &citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let has_password = account.password_hash.is_some();
    log_in_again(
        layout,
        db,
        providers,
        citizen,
        has_password,
        "/konto/loeschen",
        "log-in-again-delete-text",
    )
    .await
}

/// Deletes the account with its sessions, logins, Stammdaten and access log.
pub async fn delete(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<DeleteForm>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    providers: web::Data<IdentityProviders>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    if !citizen.session.logged_in_recently() {
        return log_in_again_to_delete(layout, &db, &providers, &citizen).await;
    }
    if form.confirm.is_none() {
        let page = delete_page(layout, citizen.session.csrf_token, Some("error-delete-confirm"));
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if !accounts::delete_account(&db, &citizen.account_id).await? {
        return respond(StatusCode::CONFLICT, &kept_for_payment(layout));
    }
    // The session went with the account; this clears the cookie.
    sessions.log_out(&req, &citizen.session).await?;
    Ok(see_other("/konto/geloescht"))
}

pub async fn deleted(layout: Layout) -> super::MessagePage<'static> {
    super::MessagePage {
        layout,
        title_key: "deleted-title",
        text_key: "deleted-text",
        link: None,
    }
}
