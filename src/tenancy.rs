//! Which tenant a request is for: by path prefix `/<slug>/…` or by host name.
//!
//! The directory of active tenants is read from the database after the catalogue import, and again
//! when an import elsewhere changed the catalogue (`catalogue::follow_imports`); requests resolve
//! without a query and without a lock.

use std::collections::{HashMap, HashSet};
use std::future::{Ready, ready};
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use arc_swap::ArcSwap;

use crate::db::{Db, catalogue};
use crate::domain::Topic;
use crate::domain::topic::TOPICS;
use crate::error::AppError;

#[derive(Debug)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// The name as [`catalogue::place_key`] writes it, for finding the tenant by a part of it.
    pub name_key: String,
    pub brand_color: String,
    pub has_logo: bool,
}

#[derive(Debug, Default)]
pub struct TenantDirectory {
    tenants: Vec<Arc<Tenant>>,
    by_slug: HashMap<String, Arc<Tenant>>,
    by_id: HashMap<String, Arc<Tenant>>,
    by_host: HashMap<String, Arc<Tenant>>,
    /// Host names of the state-wide portal; any other host that is no tenant's gets 404.
    portal_hosts: HashSet<String>,
    topics: Vec<Topic>,
}

impl TenantDirectory {
    pub async fn load(db: &Db, portal_hosts: &[String]) -> sqlx::Result<Self> {
        let tenants: Vec<Arc<Tenant>> = catalogue::active_tenants(db)
            .await?
            .into_iter()
            .map(|row| {
                Arc::new(Tenant {
                    id: row.id,
                    slug: row.slug,
                    name_key: catalogue::place_key(&row.name),
                    name: row.name,
                    brand_color: row.brand_color,
                    has_logo: row.has_logo,
                })
            })
            .collect();
        let by_slug: HashMap<_, _> = tenants.iter().map(|t| (t.slug.clone(), t.clone())).collect();
        let by_id: HashMap<_, _> = tenants.iter().map(|t| (t.id.clone(), t.clone())).collect();
        let by_host = catalogue::active_tenant_hosts(db)
            .await?
            .into_iter()
            .filter_map(|h| by_id.get(&h.tenant_id).map(|t| (h.host, t.clone())))
            .collect();
        let in_use = catalogue::active_topics(db).await?;
        let topics = TOPICS
            .iter()
            .copied()
            .filter(|t| in_use.iter().any(|u| u == t.slug))
            .collect();
        let portal_hosts = portal_hosts.iter().map(|h| host_name(h)).collect();
        Ok(Self {
            tenants,
            by_slug,
            by_id,
            by_host,
            portal_hosts,
            topics,
        })
    }

    /// All active tenants, ordered by name.
    pub fn all(&self) -> &[Arc<Tenant>] {
        &self.tenants
    }

    /// The topics that have at least one active service, in catalogue order.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Arc<Tenant>> {
        self.by_slug.get(slug)
    }

    pub fn by_id(&self, id: &str) -> Option<&Arc<Tenant>> {
        self.by_id.get(id)
    }

    /// The tenant's name; empty for a tenant no longer in the directory.
    pub fn name_of(&self, id: &str) -> String {
        self.by_id(id).map(|tenant| tenant.name.clone()).unwrap_or_default()
    }

    /// The tenant for a `Host` header value; the port is ignored.
    pub fn by_host(&self, host: &str) -> Option<&Arc<Tenant>> {
        self.by_host.get(&host_name(host))
    }

    pub fn is_portal_host(&self, host: &str) -> bool {
        self.portal_hosts.contains(&host_name(host))
    }
}

/// The directory a node serves, replaced whole when the catalogue changed.
pub struct LiveDirectory(ArcSwap<TenantDirectory>);

impl LiveDirectory {
    pub fn new(directory: TenantDirectory) -> Self {
        Self(ArcSwap::from_pointee(directory))
    }

    pub fn current(&self) -> Arc<TenantDirectory> {
        self.0.load_full()
    }

    /// Requests that arrive from now on see `directory`; those under way keep the one they have.
    pub fn replace(&self, directory: TenantDirectory) {
        self.0.store(Arc::new(directory));
    }
}

/// The tenant directory as one request sees it: the one in use when it arrived.
pub struct Directory(Arc<TenantDirectory>);

impl Directory {
    pub fn of(req: &HttpRequest) -> Result<Self, AppError> {
        let live = req
            .app_data::<web::Data<LiveDirectory>>()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("tenant directory missing")))?;
        Ok(Self(live.current()))
    }
}

impl Deref for Directory {
    type Target = TenantDirectory;

    fn deref(&self) -> &TenantDirectory {
        &self.0
    }
}

impl FromRequest for Directory {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::of(req))
    }
}

/// `Host` header value without port, lower-cased.
fn host_name(host: &str) -> String {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    name.to_ascii_lowercase()
}

/// The part of the portal a request is in: one tenant's pages, or the state-wide pages.
#[derive(Debug, Clone)]
pub struct Site {
    pub tenant: Option<Arc<Tenant>>,
    /// Prefix for links inside this site: `/<slug>` under path resolution, empty otherwise.
    pub base: String,
}

impl Site {
    /// `Err(NotFound)` for an unknown tenant slug in the path, or a host that is neither a tenant's
    /// nor the portal's.
    pub fn resolve(req: &HttpRequest) -> Result<Self, AppError> {
        let directory = Directory::of(req)?;
        let connection = req.connection_info();
        let host_tenant = directory.by_host(connection.host());
        if host_tenant.is_none() && !directory.is_portal_host(connection.host()) {
            return Err(AppError::NotFound);
        }
        if let Some(slug) = req.match_info().get("tenant") {
            let tenant = directory.by_slug(slug).ok_or(AppError::NotFound)?;
            return Ok(Self {
                tenant: Some(tenant.clone()),
                base: format!("/{}", tenant.slug),
            });
        }
        Ok(Self {
            tenant: host_tenant.cloned(),
            base: String::new(),
        })
    }

    /// The state-wide site, for pages that must render even when resolving failed (error pages).
    pub fn statewide() -> Self {
        Self {
            tenant: None,
            base: String::new(),
        }
    }

    /// The tenant, or `NotFound` on a state-wide page that needs one.
    pub fn require_tenant(&self) -> Result<&Arc<Tenant>, AppError> {
        self.tenant.as_ref().ok_or(AppError::NotFound)
    }
}

impl FromRequest for Site {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::resolve(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lookup_ignores_port_and_case() {
        let tenant = Arc::new(Tenant {
            id: "1".into(),
            slug: "musterstadt".into(),
            name: "Stadt Musterstadt".into(),
            name_key: "stadt musterstadt".into(),
            brand_color: "#004b87".into(),
            has_logo: false,
        });
        let directory = TenantDirectory {
            by_host: HashMap::from([("musterstadt.localhost".to_owned(), tenant)]),
            ..TenantDirectory::default()
        };
        assert!(directory.by_host("musterstadt.localhost:8080").is_some());
        assert!(directory.by_host("Musterstadt.Localhost").is_some());
        assert!(directory.by_host("other.localhost").is_none());
        assert!(directory.by_host("[::1]:8080").is_none());
        assert_eq!(host_name("[::1]:8080"), "[::1]");
    }
}
