//! HTTP routes. Each area's handlers live next to their page structs; templates in `templates/`.
//!
//! Tenant pages are mounted twice: at the root (tenant from the host name) and under `/<slug>`.

mod account;
mod application;
pub(crate) mod catalogue;
pub mod error_pages;
mod fit_connect;
mod health;
mod layout;
mod page;
mod responsibility;
mod tenant_pages;

use actix_web::web;

pub use layout::Layout;
pub use page::FORM_BODY_LIMIT;

use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route(
            "/fit-connect/callback/{tenant}/{destination}",
            web::post().to(fit_connect::callback),
        )
        .route("/zustaendigkeit", web::get().to(responsibility::show))
        .route("/mandant/{slug}/theme.css", web::get().to(tenant_pages::theme_css))
        .route("/mandant/{slug}/logo.svg", web::get().to(tenant_pages::logo))
        .configure(account_routes)
        .configure(site_routes)
        .service(web::scope("/{tenant}").configure(site_routes))
        .default_service(web::to(not_found));
}

/// The Servicekonto is one account across all tenants, so its pages are not tenant-scoped.
fn account_routes(cfg: &mut web::ServiceConfig) {
    use account::{email, export, konto, login, manage, password, profile, provider, register};
    cfg.route("/registrieren", web::get().to(register::show))
        .route("/registrieren", web::post().to(register::submit))
        .route("/registrieren/gesendet", web::get().to(register::sent))
        .route("/registrieren/bestaetigen", web::get().to(register::verify))
        .route("/registrieren/erneut", web::get().to(register::show_resend))
        .route("/registrieren/erneut", web::post().to(register::resend))
        .route("/anmelden", web::get().to(login::show))
        .route("/anmelden", web::post().to(login::submit))
        .route("/abmelden", web::post().to(login::logout))
        .route("/anmelden/{provider}", web::get().to(provider::start))
        .route("/anmelden/{provider}/callback", web::get().to(provider::callback))
        .route("/passwort-vergessen", web::get().to(password::show_forgot))
        .route("/passwort-vergessen", web::post().to(password::forgot))
        .route("/passwort-vergessen/gesendet", web::get().to(password::forgot_sent))
        .route("/passwort-neu", web::get().to(password::show_reset))
        .route("/passwort-neu", web::post().to(password::reset))
        .route("/konto", web::get().to(konto::show))
        .route("/konto/sitzungen/beenden", web::post().to(konto::end_session))
        .route("/konto/sitzung", web::post().to(konto::stay_logged_in))
        .route("/konto/passwort", web::get().to(manage::show_change_password))
        .route("/konto/passwort", web::post().to(manage::change_password))
        .route("/konto/daten", web::get().to(export::export))
        .route("/konto/stammdaten", web::get().to(profile::show))
        .route("/konto/stammdaten", web::post().to(profile::save))
        .route("/konto/email", web::get().to(email::show))
        .route("/konto/email", web::post().to(email::submit))
        .route("/konto/email/gesendet", web::get().to(email::sent))
        .route("/konto/email/bestaetigen", web::get().to(email::confirm))
        .route("/konto/loeschen", web::get().to(manage::show_delete))
        .route("/konto/loeschen", web::post().to(manage::delete))
        .route("/konto/geloescht", web::get().to(manage::deleted))
        .route("/antraege", web::get().to(application::list));
}

/// The pages of a site: one tenant's, or the state-wide ones where no tenant is resolved.
fn site_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(catalogue::home))
        .route("/", web::get().to(catalogue::home))
        .route("/leistungen", web::get().to(catalogue::list))
        .route("/leistungen/{service}", web::get().to(catalogue::service))
        .route(
            "/leistungen/{service}/antrag",
            web::get().to(catalogue::start_application),
        )
        .route(
            "/leistungen/{service}/antrag",
            web::post().to(catalogue::start_application),
        )
        .route("/antrag/{draft}", web::get().to(application::resume))
        .route("/antrag/{draft}/schritt/{step}", web::get().to(application::show_step))
        .route("/antrag/{draft}/schritt/{step}", web::post().to(application::save_step))
        .route("/antrag/{draft}/datei/{file}", web::get().to(application::download))
        .route("/antrag/{draft}/pruefen", web::get().to(application::check))
        .route("/antrag/{draft}/absenden", web::post().to(application::submit))
        .route("/antrag/{draft}/loeschen", web::get().to(application::confirm_delete))
        .route("/antrag/{draft}/loeschen", web::post().to(application::delete))
        .route("/vorgang/{reference}", web::get().to(application::done))
        .route("/vorgang/{reference}/quittung.pdf", web::get().to(application::receipt))
        .route(
            "/vorgang/{reference}/datei/{file}",
            web::get().to(application::case_download),
        )
        .route("/impressum", web::get().to(tenant_pages::imprint))
        .route("/datenschutz", web::get().to(tenant_pages::privacy))
        .route("/barrierefreiheit", web::get().to(tenant_pages::accessibility));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
