//! The catalogue files into the database: by `buergerportal catalogue import`, or by `serve` at
//! start (`import_catalogue_at_start`, and always on a database that never had one).

use super::{Catalogue, sending};
use crate::config::Settings;
use crate::db::Db;
use crate::db::catalogue::{self as queries, ImportSummary};

/// Reads and checks every file, then imports what changed in one transaction: a catalogue with a
/// problem, or with a setting fit only for development, changes nothing. (Mailboxes that would not
/// be sent to are warned of by each node as it starts.)
pub async fn import_files(settings: &Settings, db: &Db) -> anyhow::Result<ImportSummary> {
    let catalogue = Catalogue::load(settings.tenants_dir())?;
    sending::refuse_development_only(&catalogue.sending(), settings)?;
    queries::import(db, &catalogue).await
}
