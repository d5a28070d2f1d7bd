//! A bounded read-through cache in front of the catalogue queries of the citizen pages.
//!
//! The catalogue changes only when the files are imported at start, before this cache exists, so an
//! entry never goes stale while the process runs. The database stays the source: a miss reads it, and
//! the bounds keep memory flat however many tenants the deployment carries.

use std::sync::Arc;

use moka::sync::Cache;

use crate::db::Db;
use crate::db::catalogue::{self as queries, ServiceFilter, ServiceListRow, ServicePageRow};

const SERVICE_PAGES: u64 = 10_000;
const SEARCHES: u64 = 2_000;

pub struct CatalogueCache {
    service_pages: Cache<String, Arc<ServicePageRow>>,
    searches: Cache<String, Arc<Vec<ServiceListRow>>>,
}

impl Default for CatalogueCache {
    fn default() -> Self {
        Self {
            service_pages: Cache::new(SERVICE_PAGES),
            searches: Cache::new(SEARCHES),
        }
    }
}

impl CatalogueCache {
    /// A service of a tenant; unknown services are not cached, so made-up slugs cannot fill the cache.
    pub async fn service_page(
        &self,
        db: &Db,
        tenant_id: &str,
        slug: &str,
    ) -> sqlx::Result<Option<Arc<ServicePageRow>>> {
        let key = format!("{tenant_id}/{slug}");
        if let Some(row) = self.service_pages.get(&key) {
            return Ok(Some(row));
        }
        let row = queries::service_page(db, tenant_id, slug).await?.map(Arc::new);
        if let Some(row) = &row {
            self.service_pages.insert(key, row.clone());
        }
        Ok(row)
    }

    pub async fn services(&self, db: &Db, filter: &ServiceFilter) -> sqlx::Result<Arc<Vec<ServiceListRow>>> {
        let key = filter.cache_key();
        if let Some(rows) = self.searches.get(&key) {
            return Ok(rows);
        }
        let rows = Arc::new(queries::services(db, filter).await?);
        self.searches.insert(key, rows.clone());
        Ok(rows)
    }
}
