//! HTTP routes. Each area's handlers live next to their page structs; templates in `templates/`.
//!
//! Tenant pages are mounted twice: at the root (tenant from the host name) and under `/<slug>`.

mod account;
mod api;
mod application;
pub(crate) mod catalogue;
mod download;
pub mod error_pages;
mod fit_connect;
mod health;
mod layout;
mod page;
mod posted;
mod postfach;
mod responsibility;
mod spooled_zip;
mod tenant_pages;

use actix_web::web;

pub use layout::Layout;
pub use page::FORM_BODY_LIMIT;

use crate::error::AppError;

/// Routes are grouped in scopes by their first, fixed path segment: actix-web tries routes in
/// order and matches a path with placeholders by regular expression, so a request would otherwise
/// pay for every such route before its own (measured with callgrind: 22 % of a service page's
/// instructions). A scope's fixed prefix is compared as text. A path with two methods is one
/// resource, not one per method.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(web::scope("/fit-connect").route(
            "/callback/{tenant}/{destination}",
            web::post().to(fit_connect::callback),
        ))
        .configure(api::configure)
        .route("/zustaendigkeit", web::get().to(responsibility::show))
        .service(
            web::scope("/mandant")
                .route("/{slug}/theme.css", web::get().to(tenant_pages::theme_css))
                .route("/{slug}/logo.svg", web::get().to(tenant_pages::logo)),
        )
        .configure(account_routes)
        .configure(site_routes)
        .service(web::scope("/{tenant}").configure(site_routes))
        .default_service(web::to(not_found));
}

/// The Servicekonto is one account across all tenants, so its pages are not tenant-scoped.
fn account_routes(cfg: &mut web::ServiceConfig) {
    use account::{email, export, konto, login, manage, password, profile, provider, register};
    use web::{get, post, resource};
    cfg.service(
        web::scope("/registrieren")
            .service(
                resource("")
                    .route(get().to(register::show))
                    .route(post().to(register::submit)),
            )
            .route("/gesendet", get().to(register::sent))
            .route("/bestaetigen", get().to(register::verify))
            .service(
                resource("/erneut")
                    .route(get().to(register::show_resend))
                    .route(post().to(register::resend)),
            ),
    )
    .service(
        web::scope("/anmelden")
            .service(
                resource("")
                    .route(get().to(login::show))
                    .route(post().to(login::submit)),
            )
            .route("/{provider}", get().to(provider::start))
            .route("/{provider}/callback", get().to(provider::callback)),
    )
    .route("/abmelden", post().to(login::logout))
    .service(
        resource("/passwort-vergessen")
            .route(get().to(password::show_forgot))
            .route(post().to(password::forgot)),
    )
    .route("/passwort-vergessen/gesendet", get().to(password::forgot_sent))
    .service(
        resource("/passwort-neu")
            .route(get().to(password::show_reset))
            .route(post().to(password::reset)),
    )
    .service(
        web::scope("/konto")
            .route("", get().to(konto::show))
            .route("/sitzungen/beenden", post().to(konto::end_session))
            .route("/sitzung", post().to(konto::stay_logged_in))
            .service(
                resource("/passwort")
                    .route(get().to(manage::show_change_password))
                    .route(post().to(manage::change_password)),
            )
            .route("/daten", get().to(export::export))
            .service(
                resource("/stammdaten")
                    .route(get().to(profile::show))
                    .route(post().to(profile::save)),
            )
            .service(
                resource("/email")
                    .route(get().to(email::show))
                    .route(post().to(email::submit)),
            )
            .route("/email/gesendet", get().to(email::sent))
            .route("/email/bestaetigen", get().to(email::confirm))
            .service(
                resource("/loeschen")
                    .route(get().to(manage::show_delete))
                    .route(post().to(manage::delete)),
            )
            .route("/geloescht", get().to(manage::deleted)),
    )
    .route("/antraege", get().to(application::list))
    .service(
        web::scope("/postfach")
            .route("", get().to(postfach::list))
            .route("/{message}", get().to(postfach::show))
            .route("/{message}/antwort", post().to(postfach::reply))
            .route("/{message}/datei/{file}", get().to(postfach::download)),
    );
}

/// The pages of a site: one tenant's, or the state-wide ones where no tenant is resolved.
fn site_routes(cfg: &mut web::ServiceConfig) {
    use web::{get, post, resource};
    cfg.service(resource(["", "/"]).route(get().to(catalogue::home)))
        .service(
            web::scope("/leistungen")
                .route("", get().to(catalogue::list))
                .route("/{service}", get().to(catalogue::service))
                .service(
                    resource("/{service}/antrag")
                        .route(get().to(catalogue::start_application))
                        .route(post().to(catalogue::start_application)),
                ),
        )
        .service(
            web::scope("/antrag")
                .route("/{draft}", get().to(application::resume))
                .service(
                    resource("/{draft}/schritt/{step}")
                        .route(get().to(application::show_step))
                        .route(post().to(application::save_step)),
                )
                .route("/{draft}/datei/{file}", get().to(application::download))
                .route("/{draft}/pruefen", get().to(application::check))
                .route("/{draft}/absenden", post().to(application::submit))
                .route("/{draft}/zahlung", get().to(application::payment_return))
                .service(
                    resource("/{draft}/loeschen")
                        .route(get().to(application::confirm_delete))
                        .route(post().to(application::delete)),
                ),
        )
        .service(
            web::scope("/vorgang")
                .route("/{reference}", get().to(application::done))
                .route("/{reference}/quittung.pdf", get().to(application::receipt))
                .route("/{reference}/unterlagen.zip", get().to(application::documents))
                .route("/{reference}/datei/{file}", get().to(application::case_download)),
        )
        .route("/impressum", get().to(tenant_pages::imprint))
        .route("/datenschutz", get().to(tenant_pages::privacy))
        .route("/barrierefreiheit", get().to(tenant_pages::accessibility));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
