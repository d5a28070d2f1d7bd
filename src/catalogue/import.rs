//! The catalogue files into the database: by `buergerportal catalogue import`, or by `serve` at
//! start (`import_catalogue_at_start`, and always on a database that never had one).

use super::{Catalogue, sending};
use crate::config::Settings;
use crate::db::Db;
use crate::db::catalogue::{self as queries, ImportSummary};

/// Reads and checks the files of every tenant that changed since its last import, then imports them
/// in one transaction: a catalogue with a problem, or with a setting fit only for development,
/// changes nothing. (Mailboxes that would not be sent to are warned of by each node as it starts.)
pub async fn import_files(settings: &Settings, db: &Db) -> anyhow::Result<ImportSummary> {
    let imported = queries::imported_tenants(db).await?;
    let catalogue = Catalogue::load_changed(settings.tenants_dir(), &imported)?;
    sending::refuse_development_only(&catalogue.sending(), settings)?;
    queries::import(db, &catalogue).await
}
