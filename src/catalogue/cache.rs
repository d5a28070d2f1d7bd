//! A bounded read-through cache in front of the catalogue queries of the citizen pages, and of the
//! application forms, parsed.
//!
//! Entries are kept until an import changes the catalogue (see `follow`), which drops them all; a
//! form is named by its hash, so a changed form is another entry and forms are kept. The database
//! stays the source: a miss reads it, and the bounds keep memory flat however many tenants the
//! deployment carries.

use std::sync::Arc;

use moka::sync::Cache;

use crate::db::Db;
use crate::db::catalogue::{self as queries, ServiceFilter, ServiceListRow, ServicePageRow};
use crate::domain::form::FormDefinition;

const SERVICE_PAGES: u64 = 10_000;
const SEARCHES: u64 = 2_000;
/// Parsed forms kept; one takes about 12 KB.
const FORMS: u64 = 500;
/// Bytes of rendered fragments kept (20 service cards are about 10 KB).
const FRAGMENT_BYTES: u64 = 16 << 20;

/// Entries of each cache (bytes of the fragments), against the bounds above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheUsage {
    pub service_pages: u64,
    pub searches: u64,
    pub forms: u64,
    pub fragment_bytes: u64,
}

pub struct CatalogueCache {
    service_pages: Cache<String, Arc<ServicePageRow>>,
    /// Async, so that requests missing the same search at once wait for one query instead of each
    /// running it (a state-wide word asked on every connection as a node starts).
    searches: moka::future::Cache<String, Arc<Vec<ServiceListRow>>>,
    fragments: Cache<String, Arc<str>>,
    /// Async, so that requests missing the same form at once wait for one read and parse.
    forms: moka::future::Cache<String, Arc<FormDefinition>>,
}

impl Default for CatalogueCache {
    fn default() -> Self {
        Self {
            service_pages: Cache::new(SERVICE_PAGES),
            searches: moka::future::Cache::new(SEARCHES),
            fragments: Cache::builder()
                .weigher(|key: &String, fragment: &Arc<str>| {
                    u32::try_from(key.len() + fragment.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(FRAGMENT_BYTES)
                .build(),
            forms: moka::future::Cache::new(FORMS),
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
        self.searches
            .try_get_with(filter.cache_key(), async {
                queries::services(db, filter).await.map(Arc::new)
            })
            .await
            .map_err(shared_error)
    }

    /// How much each cache holds now, for the operators' metrics.
    pub async fn usage(&self) -> CacheUsage {
        self.service_pages.run_pending_tasks();
        self.searches.run_pending_tasks().await;
        self.fragments.run_pending_tasks();
        self.forms.run_pending_tasks().await;
        CacheUsage {
            service_pages: self.service_pages.entry_count(),
            searches: self.searches.entry_count(),
            forms: self.forms.entry_count(),
            fragment_bytes: self.fragments.weighted_size(),
        }
    }

    /// Drops every entry but the forms: the catalogue changed.
    pub fn clear(&self) {
        self.service_pages.invalidate_all();
        self.searches.invalidate_all();
        self.fragments.invalidate_all();
    }

    /// The application form with this hash (`ServicePageRow::form_hash`), parsed.
    pub async fn form(&self, db: &Db, hash: &str) -> sqlx::Result<Arc<FormDefinition>> {
        self.forms
            .try_get_with_by_ref(hash, async {
                let source = queries::form(db, hash).await?.ok_or(sqlx::Error::RowNotFound)?;
                // Checked when it was imported; a stricter portal version may still refuse it.
                source.parse().map(Arc::new).map_err(|problems| {
                    sqlx::Error::Decode(format!("the form {hash} no longer parses: {problems:?}").into())
                })
            })
            .await
            .map_err(shared_error)
    }

    /// A piece of a page made only of catalogue data (e.g. the service cards of one search in one
    /// language), rendered on the first request and kept like the rows it is made from: the same
    /// for every visitor.
    pub fn fragment<E>(&self, key: String, render: impl FnOnce() -> Result<String, E>) -> Result<Arc<str>, E> {
        if let Some(fragment) = self.fragments.get(&key) {
            return Ok(fragment);
        }
        let fragment: Arc<str> = render()?.into();
        self.fragments.insert(key, fragment.clone());
        Ok(fragment)
    }
}

/// The error of a query whose result several waiting requests shared, for each of them: the same
/// kind, so that a database that is gone still answers 503.
fn shared_error(e: Arc<sqlx::Error>) -> sqlx::Error {
    Arc::try_unwrap(e).unwrap_or_else(|e| match &*e {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => sqlx::Error::Protocol(other.to_string()),
    })
}
