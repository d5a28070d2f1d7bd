use actix_web::{HttpResponse, web};

use crate::db::Db;

/// The process is alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

/// The process can serve: its database answers. 503 otherwise, so a load balancer takes it out.
pub async fn readyz(db: web::Data<Db>) -> HttpResponse {
    if db.is_ready().await {
        HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready")
    } else {
        HttpResponse::ServiceUnavailable().finish()
    }
}
