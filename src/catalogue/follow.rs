//! A node follows imports made elsewhere (`buergerportal catalogue import`, another node's start):
//! it asks for the catalogue's version every few seconds and, when it moved, loads the tenant
//! directory again and drops its cached catalogue pages. Without it a node would serve the
//! catalogue of its own start until restarted.

use std::time::Duration;

use actix_web::web;
use tokio::time::MissedTickBehavior;

use super::CatalogueCache;
use crate::db::{Db, catalogue as queries};
use crate::tenancy::{LiveDirectory, TenantDirectory};

/// How long an import elsewhere may go unnoticed: one small query per interval and node.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// What a node serves from the catalogue, and the version it was loaded at.
pub struct Served {
    pub version: i64,
    pub directory: web::Data<LiveDirectory>,
    pub cache: web::Data<CatalogueCache>,
    pub portal_hosts: Vec<String>,
}

pub fn follow_imports(db: Db, served: Served) {
    tokio::spawn(follow(db, served));
}

async fn follow(db: Db, mut served: Served) {
    let mut every = tokio::time::interval(CHECK_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        every.tick().await;
        let outcome = match queries::version(&db).await {
            Ok(version) if version == served.version => Ok(()),
            Ok(version) => reload(&db, &mut served, version).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => failing = false,
            // Once per outage: the health check reports the database, this only what it missed.
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot learn whether the catalogue changed");
            }
            Err(_) => {}
        }
    }
}

async fn reload(db: &Db, served: &mut Served, version: i64) -> sqlx::Result<()> {
    let directory = TenantDirectory::load(db, &served.portal_hosts).await?;
    served.directory.replace(directory);
    served.cache.clear();
    served.version = version;
    tracing::info!(
        version,
        "the catalogue changed: tenant directory loaded again, cached pages dropped"
    );
    Ok(())
}
