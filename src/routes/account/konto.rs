//! `/konto`: the citizen's account: address, how they are logged in, sessions in use, access log.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;
use serde::Deserialize;

use super::{AccessEvent, log_access};
use crate::auth::oidc::IdentityProviders;
use crate::auth::session::Sessions;
use crate::db::Db;
use crate::db::accounts::{self, ProfileRow};
use crate::error::AppError;
use crate::routes::Layout;
use crate::routes::page::{CsrfForm, see_other};

const ACCESS_LOG_ENTRIES: i64 = 20;

pub struct SessionView {
    pub id_hash: String,
    pub device: String,
    pub last_seen: String,
    pub current: bool,
}

pub struct AccessView {
    pub event: &'static str,
    pub device: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/konto.html")]
pub struct KontoPage {
    layout: Layout,
    csrf_token: String,
    email: String,
    trust_name: &'static str,
    sessions: Vec<SessionView>,
    access: Vec<AccessView>,
    /// Names of the providers the citizen can log in with.
    linked: Vec<String>,
    profile: Option<ProfileRow>,
    has_password: bool,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct KontoQuery {
    geaendert: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    layout: Layout,
    query: web::Query<KontoQuery>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
    providers: web::Data<IdentityProviders>,
) -> Result<KontoPage, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let account = accounts::account_by_id(&db, &citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = layout.lang;
    let sessions = accounts::sessions_of(&db, &citizen.account_id, Utc::now())
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id_hash == citizen.session.id_hash,
            id_hash: s.id_hash,
            device: s.device,
            last_seen: lang.date_time(s.last_seen_at),
        })
        .collect();
    let access = accounts::access_log(&db, &citizen.account_id, ACCESS_LOG_ENTRIES)
        .await?
        .into_iter()
        .map(|a| AccessView {
            event: lang.t(AccessEvent::label_key(&a.event)),
            device: a.device,
            at: lang.date_time(a.at),
        })
        .collect();
    let linked = accounts::linked_providers(&db, &citizen.account_id)
        .await?
        .into_iter()
        .map(|id| providers.get(&id).map_or(id, |p| p.name.clone()))
        .collect();
    let profile = accounts::profile(&db, &citizen.account_id).await?;
    Ok(KontoPage {
        notice: query.geaendert.as_ref().map(|_| lang.t("password-changed-done")),
        has_password: account.password_hash.is_some(),
        linked,
        profile,
        csrf_token: citizen.session.csrf_token.clone(),
        email: account.email.unwrap_or_default(),
        trust_name: lang.t(citizen.trust_level.label_keys().0),
        sessions,
        access,
        layout,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndSessionForm {
    session: String,
    csrf_token: String,
}

/// Ends another session of the same account ("abmelden" per device); foreign sessions are untouched.
pub async fn end_session(
    req: HttpRequest,
    form: web::Form<EndSessionForm>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    if !accounts::delete_session_of(&db, &citizen.account_id, &form.session).await? {
        return Err(AppError::NotFound);
    }
    log_access(&db, &req, &citizen.account_id, AccessEvent::SessionEnded).await?;
    Ok(see_other("/konto"))
}

/// "Angemeldet bleiben" in the session-timeout warning: reading the session extends it.
pub async fn stay_logged_in(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    Ok(HttpResponse::NoContent().finish())
}
