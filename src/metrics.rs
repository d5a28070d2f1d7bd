//! Prometheus metrics for operators, on a listener of their own (`metrics_listen`), never on the
//! citizens' port: what waits in the outbox (read from the database, so every worker's jobs count),
//! what this process's worker did, how many passwords it checked, and what it keeps of the catalogue.
//!
//! The text format is written here: eight series do not need a metrics registry, and the common
//! crates keep a process-wide recorder that tests starting several apps in one process cannot share.

use std::fmt::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::Utc;

use crate::auth::password::PasswordHasher;
use crate::catalogue::{CacheUsage, CatalogueCache};
use crate::db::{Db, outbox};

/// What the worker of this process did, by kind of job (delivery, mail) and outcome.
#[derive(Default)]
pub struct OutboxCounters {
    counts: [[AtomicU64; 3]; 2],
}

#[derive(Clone, Copy)]
pub enum Outcome {
    Done = 0,
    Retry = 1,
    GivenUp = 2,
}

const KINDS: [&str; 2] = [outbox::DELIVERY, outbox::MAIL];
const OUTCOMES: [&str; 3] = ["done", "retry", "given_up"];

impl OutboxCounters {
    pub fn count(&self, kind: &str, outcome: Outcome) {
        let kind = usize::from(kind == outbox::MAIL);
        self.counts[kind][outcome as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// What a process that serves citizens adds to the metrics (`buergerportal worker` serves none).
#[derive(Clone)]
pub struct Portal {
    pub passwords: PasswordHasher,
    pub catalogue: web::Data<CatalogueCache>,
}

/// Serves `GET /metrics` on its own listener.
pub fn serve(
    listener: TcpListener,
    db: Db,
    counters: Arc<OutboxCounters>,
    portal: Option<Portal>,
) -> std::io::Result<Server> {
    let state = web::Data::new((db, counters, portal));
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .listen(listener)?
    .run())
}

async fn metrics(state: web::Data<(Db, Arc<OutboxCounters>, Option<Portal>)>) -> HttpResponse {
    let (db, counters, portal) = state.get_ref();
    let portal = match portal {
        Some(portal) => Some((portal.passwords.checks(), portal.catalogue.usage().await)),
        None => None,
    };
    match outbox::depth(db, Utc::now()).await {
        Ok(depth) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(render(&depth, counters, portal)),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the outbox cannot be read");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

/// `portal` (passwords checked, catalogue kept) is `None` in a process that serves no citizens.
fn render(depth: &outbox::Depth, counters: &OutboxCounters, portal: Option<(u64, CacheUsage)>) -> String {
    let mut out = String::new();
    let mut series = |name: &str, kind: &str, help: &str, values: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in values {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let by_kind = |delivery: i64, mail: i64| {
        vec![
            ("{kind=\"delivery\"}".to_owned(), delivery.max(0) as u64),
            ("{kind=\"mail\"}".to_owned(), mail.max(0) as u64),
        ]
    };
    series(
        "buergerportal_outbox_waiting",
        "gauge",
        "Jobs waiting to be worked (queue depth).",
        &by_kind(depth.deliveries_waiting, depth.mails_waiting),
    );
    series(
        "buergerportal_outbox_failed",
        "gauge",
        "Jobs given up that wait for an operator (deliveries retry, mails retry).",
        &by_kind(depth.deliveries_failed, depth.mails_failed),
    );
    series(
        "buergerportal_outbox_oldest_undelivered_seconds",
        "gauge",
        "Age of the oldest case not yet accepted by its backend.",
        &[(String::new(), depth.oldest_undelivered_seconds.max(0) as u64)],
    );
    let mut attempts = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        for (o, outcome) in OUTCOMES.iter().enumerate() {
            attempts.push((
                format!("{{kind=\"{kind}\",outcome=\"{outcome}\"}}"),
                counters.counts[k][o].load(Ordering::Relaxed),
            ));
        }
    }
    series(
        "buergerportal_outbox_attempts_total",
        "counter",
        "Attempts by this process's worker, by kind and outcome.",
        &attempts,
    );
    if let Some((checks, kept)) = portal {
        series(
            "buergerportal_password_checks_total",
            "counter",
            "Passwords checked (logins and changes); the login limits keep this down under brute force.",
            &[(String::new(), checks)],
        );
        series(
            "buergerportal_catalogue_cache_entries",
            "gauge",
            "Catalogue entries this node keeps, by cache (at most 10000 service pages, 2000 searches, 500 forms).",
            &[
                ("{cache=\"service_pages\"}".to_owned(), kept.service_pages),
                ("{cache=\"searches\"}".to_owned(), kept.searches),
                ("{cache=\"forms\"}".to_owned(), kept.forms),
            ],
        );
        series(
            "buergerportal_catalogue_cache_fragment_bytes",
            "gauge",
            "Bytes of rendered catalogue fragments this node keeps (at most 16 MiB).",
            &[(String::new(), kept.fragment_bytes)],
        );
    }
    out
}
