//! HTTP routes. Each area's handlers live next to their page structs; templates in `templates/`.
//!
//! Tenant pages are mounted twice: at the root (tenant from the host name) and under `/<slug>`.

mod catalogue;
pub mod error_pages;
mod health;
mod layout;
mod responsibility;
mod tenant_pages;

use actix_web::web;

pub use layout::Layout;

use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/zustaendigkeit", web::get().to(responsibility::show))
        .route("/mandant/{slug}/theme.css", web::get().to(tenant_pages::theme_css))
        .route("/mandant/{slug}/logo.svg", web::get().to(tenant_pages::logo))
        .configure(site_routes)
        .service(web::scope("/{tenant}").configure(site_routes))
        .default_service(web::to(not_found));
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
        .route("/impressum", web::get().to(tenant_pages::imprint))
        .route("/datenschutz", web::get().to(tenant_pages::privacy))
        .route("/barrierefreiheit", web::get().to(tenant_pages::accessibility));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
