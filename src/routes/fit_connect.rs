//! `POST /fit-connect/callback/{tenant}/{destination}`: the FIT-Connect delivery service says a
//! Zustellpunkt has news (new events). The portal checks the callback's signature and asks that
//! destination's waiting deliveries for their answer at once; the answer itself is only believed from
//! the signed event log.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use crate::db::{Db, outbox};
use crate::delivery::fit_connect::callback_is_authentic;
use crate::domain::destination::{Destination, secret_from_env};
use crate::error::AppError;
use crate::worker::Outbox;

#[derive(Deserialize)]
pub struct CallbackPath {
    tenant: String,
    destination: String,
}

pub async fn callback(
    req: HttpRequest,
    path: web::Path<CallbackPath>,
    body: web::Bytes,
    db: web::Data<Db>,
    queue: web::Data<Outbox>,
) -> Result<HttpResponse, AppError> {
    let destinations = outbox::destinations_of(&db, &path.tenant).await?.unwrap_or_default();
    let secret = Destination::named(&destinations, &path.destination)
        .and_then(|destination| match destination {
            Destination::FitConnect(settings) => settings.callback_secret_env,
            _ => None,
        })
        .and_then(|env| secret_from_env(&env))
        .ok_or(AppError::NotFound)?;
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    if !callback_is_authentic(
        &secret,
        header("callback-timestamp"),
        header("callback-authentication"),
        &body,
        Utc::now(),
    ) {
        return Ok(HttpResponse::Unauthorized().finish());
    }
    outbox::ask_again_now(&db, &path.tenant, &path.destination, Utc::now()).await?;
    queue.wake();
    Ok(HttpResponse::NoContent().finish())
}
