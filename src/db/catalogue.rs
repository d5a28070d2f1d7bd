//! Tenants and services: the import from catalogue files and the queries the pages need.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{Db, with_pool};
use crate::catalogue::{Catalogue, ImportedTenant, Sending, ServiceDefinition, ServiceDetails, TenantProfile};
use crate::domain::destination::Destination;
use crate::domain::form::{FormFormat, FormSource};
use crate::domain::payment::PaymentSettings;
use crate::domain::search::{SearchTerms, stemmed};

/// What an import changed, for the start-up log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub tenants_imported: usize,
    pub tenants_unchanged: usize,
    pub tenants_retired: u64,
    pub services_imported: usize,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub brand_color: String,
    pub has_logo: bool,
}

/// What an active tenant sends and where, as imported.
#[derive(Debug, sqlx::FromRow)]
pub struct TenantSendingRow {
    pub slug: String,
    pub destinations: Json<BTreeMap<String, Destination>>,
    pub payment: Option<Json<PaymentSettings>>,
}

impl TenantSendingRow {
    pub fn sending(&self) -> Sending<'_> {
        Sending {
            tenant: &self.slug,
            destinations: &self.destinations.0,
            payment: self.payment.as_ref().map(|p| &p.0),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TenantHostRow {
    pub host: String,
    pub tenant_id: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceListRow {
    pub tenant_id: String,
    pub slug: String,
    pub topic: String,
    pub min_trust_level: String,
    pub fee_cents: Option<i64>,
    pub name_de: String,
    pub summary_de: String,
    pub name_en: Option<String>,
    pub summary_en: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct ServicePageRow {
    pub leistungsschluessel: String,
    /// The service's application form (`form`), if it can be applied for online.
    pub form_hash: Option<String>,
    pub topic: String,
    pub min_trust_level: String,
    pub fee_cents: Option<i64>,
    pub details: Json<ServiceDetails>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct ResponsibilityRow {
    pub place_name: String,
    pub postcode: String,
    pub tenant_id: String,
}

/// Which services to list: every filter is optional.
#[derive(Debug, Default)]
pub struct ServiceFilter {
    pub terms: SearchTerms,
    pub tenant_id: Option<String>,
    pub topic: Option<&'static str>,
    /// A postcode or a municipality name: only tenants responsible for that place.
    pub place: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl ServiceFilter {
    /// Equal for filters that select the same rows.
    pub fn cache_key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.tenant_id.as_deref().unwrap_or_default(),
            self.topic.unwrap_or_default(),
            self.place.as_deref().unwrap_or_default(),
            self.limit,
            self.offset,
            self.terms.tsquery()
        )
    }
}

/// A transaction-scoped advisory lock that only imports take (the key is arbitrary, fixed).
const POSTGRES_IMPORT_LOCK: &str = "SELECT pg_advisory_xact_lock(7319820260001)";
/// A write that changes nothing takes SQLite's write lock, which a transaction otherwise takes only
/// at its first change, after it read the tenants.
const SQLITE_WRITE_LOCK: &str = "UPDATE tenant SET content_hash = content_hash WHERE 0 = 1";

/// Retires a tenant's active services; they let go of their forms (see migration 0021). An import
/// brings back those still in the files.
const RETIRE_SERVICES: &str =
    "UPDATE service SET retired_at = $1, form_hash = NULL WHERE tenant_id = $2 AND retired_at IS NULL";

/// Services written by one statement at most: 17 values each, far below SQLite's limit of 32,766
/// parameters (a tenant's services are written in a few statements instead of one each).
const SERVICES_PER_STATEMENT: usize = 500;

/// A service as the import writes it.
struct ServiceRow<'a> {
    service: &'a ServiceDefinition,
    keywords: String,
    form_hash: Option<String>,
}

impl<'a> ServiceRow<'a> {
    fn of(service: &'a ServiceDefinition) -> Self {
        Self {
            service,
            keywords: service.keywords.join(" "),
            form_hash: service.form.as_ref().map(|form| form.source.hash()),
        }
    }

    /// The German word stems SQLite's full-text index holds for the service (PostgreSQL makes its
    /// own from the columns).
    fn search_body(&self) -> String {
        let (de, en) = (&self.service.details.de, self.service.details.en.as_ref());
        stemmed(&format!(
            "{} {} {} {} {}",
            de.name,
            de.summary,
            self.keywords,
            en.map_or("", |t| &t.name),
            en.map_or("", |t| &t.summary)
        ))
    }
}

/// Imports the catalogue in one transaction: new and changed tenants are written, unchanged ones
/// skipped, tenants and services no longer in the files retired (never deleted, cases refer to them).
/// The tenants the files were read without must still be as the database holds them; if another
/// import changed one meanwhile, nothing is imported.
pub async fn import(db: &Db, catalogue: &Catalogue) -> anyhow::Result<ImportSummary> {
    let now = Utc::now();
    let sqlite = db.is_sqlite();
    let (summary, active_before) = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // One import at a time (two nodes starting at once, or the command while a node starts): the
        // second waits, then finds the tenants the first wrote unchanged.
        sqlx::query(if sqlite { SQLITE_WRITE_LOCK } else { POSTGRES_IMPORT_LOCK })
            .execute(&mut *tx)
            .await?;
        let mut summary = ImportSummary::default();
        let mut forms_written = HashSet::new();
        let known: Vec<(String, String, String, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT slug, id, content_hash, retired_at FROM tenant")
                .fetch_all(&mut *tx)
                .await?;
        let known_by_slug: HashMap<&str, _> = known.iter().map(|row| (row.0.as_str(), row)).collect();
        for tenant in &catalogue.unchanged {
            let as_read = known_by_slug.get(tenant.slug.as_str()).copied();
            anyhow::ensure!(
                matches!(as_read, Some((_, _, hash, None)) if *hash == tenant.content_hash),
                "tenant '{}' was changed by another import while the files were read; nothing was imported, import again",
                tenant.slug
            );
        }
        summary.tenants_unchanged += catalogue.unchanged.len();
        let in_files: HashSet<&str> = catalogue
            .tenants
            .iter()
            .map(|t| t.slug.as_str())
            .chain(catalogue.unchanged.iter().map(|t| t.slug.as_str()))
            .collect();

        for tenant in &catalogue.tenants {
            let existing = known_by_slug.get(tenant.slug.as_str()).copied();
            if let Some((_, _, hash, None)) = existing
                && *hash == tenant.content_hash
            {
                summary.tenants_unchanged += 1;
                continue;
            }
            let tenant_id = existing.map_or_else(|| Uuid::now_v7().to_string(), |(_, id, ..)| id.clone());
            sqlx::query(
                "INSERT INTO tenant (id, slug, name, brand_color, logo_svg, profile, content_hash, imported_at, retired_at, destinations, payment)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, brand_color = excluded.brand_color,
                   logo_svg = excluded.logo_svg, profile = excluded.profile, content_hash = excluded.content_hash,
                   imported_at = excluded.imported_at, retired_at = NULL, destinations = excluded.destinations,
                   payment = excluded.payment",
            )
            .bind(&tenant_id)
            .bind(&tenant.slug)
            .bind(&tenant.name)
            .bind(&tenant.brand_color)
            .bind(&tenant.logo_svg)
            .bind(Json(&tenant.profile))
            .bind(&tenant.content_hash)
            .bind(now)
            .bind(Json(&tenant.destinations))
            .bind(tenant.payment.as_ref().map(Json))
            .execute(&mut *tx)
            .await?;

            for table in ["tenant_host", "tenant_area", "place"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                    .bind(&tenant_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for host in &tenant.hosts {
                sqlx::query("INSERT INTO tenant_host (host, tenant_id) VALUES ($1, $2)
                             ON CONFLICT (host) DO UPDATE SET tenant_id = excluded.tenant_id")
                    .bind(host)
                    .bind(&tenant_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for key in &tenant.area_keys {
                sqlx::query("INSERT INTO tenant_area (tenant_id, area_key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&tenant_id)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
            for place in &tenant.places {
                for postcode in &place.postcodes {
                    sqlx::query("INSERT INTO place (tenant_id, ars, name, name_key, postcode) VALUES ($1, $2, $3, $4, $5)
                                 ON CONFLICT DO NOTHING")
                        .bind(&tenant_id)
                        .bind(&place.ars)
                        .bind(&place.name)
                        .bind(place_key(&place.name))
                        .bind(postcode)
                        .execute(&mut *tx)
                        .await?;
                }
            }

            // Retire all, then bring back those still in the files.
            sqlx::query(RETIRE_SERVICES)
                .bind(now)
                .bind(&tenant_id)
                .execute(&mut *tx)
                .await?;
            let services: Vec<ServiceRow> = tenant.services.iter().map(ServiceRow::of).collect();
            for row in &services {
                if let (Some(form), Some(hash)) = (&row.service.form, &row.form_hash)
                    && forms_written.insert(hash.clone())
                {
                    sqlx::query("INSERT INTO form (hash, format, source, most_inputs) VALUES ($1, $2, $3, $4)
                                 ON CONFLICT (hash) DO NOTHING")
                        .bind(hash)
                        .bind(form.source.format.as_str())
                        .bind(&form.source.text)
                        .bind(i64::try_from(form.definition.most_inputs()).unwrap_or(i64::MAX))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            if sqlite {
                sqlx::query("DELETE FROM service_fts WHERE service_id IN (SELECT id FROM service WHERE tenant_id = $1)")
                    .bind(&tenant_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for chunk in services.chunks(SERVICES_PER_STATEMENT) {
                let mut upsert = sqlx::QueryBuilder::new(
                    "INSERT INTO service (id, tenant_id, slug, leistungsschluessel, topic, min_trust_level, fee_cents,
                       name_de, summary_de, name_en, summary_en, keywords, details, imported_at, retired_at, destination,
                       form_hash) ",
                );
                upsert.push_values(chunk, |mut values, row| {
                    let service = row.service;
                    let (de, en) = (&service.details.de, service.details.en.as_ref());
                    values
                        .push_bind(Uuid::now_v7().to_string())
                        .push_bind(&tenant_id)
                        .push_bind(&service.slug)
                        .push_bind(service.leistungsschluessel.as_str())
                        .push_bind(service.topic.slug)
                        .push_bind(service.min_trust_level.as_str())
                        .push_bind(service.fee.map(|f| f.cents()))
                        .push_bind(&de.name)
                        .push_bind(&de.summary)
                        .push_bind(en.map(|t| &t.name))
                        .push_bind(en.map(|t| &t.summary))
                        .push_bind(&row.keywords)
                        .push_bind(Json(&service.details))
                        .push_bind(now)
                        .push_bind(None::<DateTime<Utc>>)
                        .push_bind(&service.destination)
                        .push_bind(&row.form_hash);
                });
                upsert.push(
                    " ON CONFLICT (tenant_id, slug) DO UPDATE SET leistungsschluessel = excluded.leistungsschluessel,
                       topic = excluded.topic, min_trust_level = excluded.min_trust_level, fee_cents = excluded.fee_cents,
                       name_de = excluded.name_de, summary_de = excluded.summary_de, name_en = excluded.name_en,
                       summary_en = excluded.summary_en, keywords = excluded.keywords, details = excluded.details,
                       imported_at = excluded.imported_at, retired_at = NULL, destination = excluded.destination,
                       form_hash = excluded.form_hash
                     RETURNING slug, id",
                );
                let ids: HashMap<String, String> = upsert.build_query_as().fetch_all(&mut *tx).await?.into_iter().collect();
                if sqlite {
                    let bodies = chunk
                        .iter()
                        .map(|row| {
                            let id = ids.get(&row.service.slug).cloned();
                            let id = id.ok_or_else(|| anyhow::anyhow!("service {} was not written", row.service.slug))?;
                            Ok((id, row.search_body()))
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    let mut index = sqlx::QueryBuilder::new("INSERT INTO service_fts (service_id, body) ");
                    index.push_values(bodies, |mut values, (id, body)| {
                        values.push_bind(id).push_bind(body);
                    });
                    index.build().execute(&mut *tx).await?;
                }
                summary.services_imported += chunk.len();
            }
            summary.tenants_imported += 1;
        }

        for (slug, id, _, retired_at) in &known {
            if retired_at.is_none() && !in_files.contains(slug.as_str()) {
                let done = sqlx::query("UPDATE tenant SET retired_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(RETIRE_SERVICES)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM tenant_host WHERE tenant_id = $1").bind(id).execute(&mut *tx).await?;
                summary.tenants_retired += done.rows_affected();
            }
        }
        if summary.tenants_imported + summary.tenants_retired as usize > 0 {
            sqlx::query("DELETE FROM form WHERE NOT EXISTS (SELECT 1 FROM service s WHERE s.form_hash = form.hash)")
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE catalogue_version SET version = version + 1")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let active_before = known.iter().filter(|(.., retired_at)| retired_at.is_none()).count();
        Ok::<_, anyhow::Error>((summary, active_before))
    })?;
    // Fresh statistics, so that the first searches after a large import are planned for its size (a
    // planner without them scanned every service for a tenant's search). A smaller change is left to
    // autovacuum, which analyses a table once a tenth of it changed: ANALYZE reads a sample of every
    // table, about a second at full size. SQLite plans without.
    let changed = summary.tenants_imported + summary.tenants_retired as usize;
    if let Db::Postgres(pool) = db
        && changed > 0
        && changed * 10 >= active_before
    {
        sqlx::query("ANALYZE tenant, service, place, tenant_area")
            .execute(pool)
            .await?;
    }
    Ok(summary)
}

/// Lower-cased, trimmed municipality name, the form in which places are looked up.
pub fn place_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Moves with every import that changed something (see [`import`]).
pub async fn version(db: &Db) -> sqlx::Result<i64> {
    with_pool!(db, pool => sqlx::query_scalar("SELECT version FROM catalogue_version")
        .fetch_one(pool).await)
}

/// Whether a catalogue was ever imported into this database (retired tenants count).
/// The active tenants with their content hash and host names, for an import to know which tenant
/// directories it need not read again.
pub async fn imported_tenants(db: &Db) -> sqlx::Result<Vec<ImportedTenant>> {
    let rows: Vec<(String, String, Option<String>)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT t.slug, t.content_hash, h.host FROM tenant t LEFT JOIN tenant_host h ON h.tenant_id = t.id
         WHERE t.retired_at IS NULL ORDER BY t.slug, h.host",
    ).fetch_all(pool).await)?;
    let mut tenants: Vec<ImportedTenant> = Vec::new();
    for (slug, content_hash, host) in rows {
        if tenants.last().is_none_or(|t| t.slug != slug) {
            tenants.push(ImportedTenant {
                slug,
                content_hash,
                hosts: Vec::new(),
            });
        }
        if let (Some(host), Some(tenant)) = (host, tenants.last_mut()) {
            tenant.hosts.push(host);
        }
    }
    Ok(tenants)
}

pub async fn has_catalogue(db: &Db) -> sqlx::Result<bool> {
    let found: Option<i32> = with_pool!(db, pool => sqlx::query_scalar("SELECT 1 FROM tenant LIMIT 1")
        .fetch_optional(pool).await)?;
    Ok(found.is_some())
}

pub async fn tenants_sending(db: &Db) -> sqlx::Result<Vec<TenantSendingRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT slug, destinations, payment FROM tenant WHERE retired_at IS NULL",
    ).fetch_all(pool).await)
}

pub async fn active_tenants(db: &Db) -> sqlx::Result<Vec<TenantRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT id, slug, name, brand_color, logo_svg IS NOT NULL AS has_logo
         FROM tenant WHERE retired_at IS NULL ORDER BY name",
    ).fetch_all(pool).await)
}

pub async fn active_tenant_hosts(db: &Db) -> sqlx::Result<Vec<TenantHostRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT h.host, h.tenant_id FROM tenant_host h JOIN tenant t ON t.id = h.tenant_id WHERE t.retired_at IS NULL",
    ).fetch_all(pool).await)
}

pub async fn active_topics(db: &Db) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT DISTINCT s.topic FROM service s JOIN tenant t ON t.id = s.tenant_id
         WHERE s.retired_at IS NULL AND t.retired_at IS NULL",
    ).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(topic,)| topic).collect())
}

pub async fn tenant_profile(db: &Db, tenant_id: &str) -> sqlx::Result<Option<TenantProfile>> {
    let row: Option<(Json<TenantProfile>,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT profile FROM tenant WHERE id = $1 AND retired_at IS NULL",
    ).bind(tenant_id).fetch_optional(pool).await)?;
    Ok(row.map(|(profile,)| profile.0))
}

pub async fn tenant_logo(db: &Db, tenant_id: &str) -> sqlx::Result<Option<String>> {
    let row: Option<(Option<String>,)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT logo_svg FROM tenant WHERE id = $1 AND retired_at IS NULL",
    ).bind(tenant_id).fetch_optional(pool).await)?;
    Ok(row.and_then(|(svg,)| svg))
}

pub async fn service_page(db: &Db, tenant_id: &str, slug: &str) -> sqlx::Result<Option<ServicePageRow>> {
    with_pool!(db, pool => sqlx::query_as(
        "SELECT leistungsschluessel, form_hash, topic, min_trust_level, fee_cents, details
         FROM service WHERE tenant_id = $1 AND slug = $2 AND retired_at IS NULL",
    ).bind(tenant_id).bind(slug).fetch_optional(pool).await)
}

/// A form by its hash, as written.
pub async fn form(db: &Db, hash: &str) -> sqlx::Result<Option<FormSource>> {
    let row: Option<(String, String)> = with_pool!(db, pool => sqlx::query_as(
        "SELECT format, source FROM form WHERE hash = $1",
    ).bind(hash).fetch_optional(pool).await)?;
    row.map(|(format, text)| {
        let format = FormFormat::parse(&format)
            .ok_or_else(|| sqlx::Error::Decode(format!("form {hash} has the unknown format {format}").into()))?;
        Ok(FormSource { format, text })
    })
    .transpose()
}

/// The most name-value pairs a post of any step of any form holds: the bound for a post whose step
/// is not known yet (sent after the session ended).
pub async fn most_inputs_of_any_form(db: &Db) -> sqlx::Result<usize> {
    let (most,): (i64,) = with_pool!(db, pool => sqlx::query_as(
        "SELECT CAST(COALESCE(MAX(most_inputs), 0) AS BIGINT) FROM form",
    ).fetch_one(pool).await)?;
    Ok(usize::try_from(most).unwrap_or(0))
}

const SERVICE_LIST_COLUMNS: &str =
    "s.tenant_id, s.slug, s.topic, s.min_trust_level, s.fee_cents, s.name_de, s.summary_de, s.name_en, s.summary_en";

/// A search on PostgreSQL ranks at most this many matching services: a word that matches every
/// service costs no more than one that matches a few (the rank cut-off; pages end at 50).
const RANKED_AT_MOST: i64 = 1000;

/// SQL with numbered parameters, written together with the values they stand for, so that a
/// filter left out leaves no condition behind for the planner to reckon with.
#[derive(Default)]
struct Statement {
    binds: Vec<Bind>,
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Statement {
    /// The placeholder of a new parameter with this value.
    fn param(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }
}

/// Services matching the filter, best matches first when there are search words, else by name.
/// Services of retired tenants are retired with them, so no join is needed.
pub async fn services(db: &Db, filter: &ServiceFilter) -> sqlx::Result<Vec<ServiceListRow>> {
    let mut statement = Statement::default();
    let mut conditions = String::from("s.retired_at IS NULL");
    if let Some(tenant_id) = &filter.tenant_id {
        conditions += &format!(" AND s.tenant_id = {}", statement.param(Bind::Text(tenant_id.clone())));
    }
    if let Some(topic) = filter.topic {
        conditions += &format!(" AND s.topic = {}", statement.param(Bind::Text(topic.to_owned())));
    }
    if let Some(place) = &filter.place {
        // Asked first: a place has a few tenants, and a planner that walked the services by name
        // hoping to meet one would read every service when the place has none.
        let tenants = tenants_of_place(db, place).await?;
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = tenants.into_iter().map(|t| statement.param(Bind::Text(t))).collect();
        conditions += &format!(" AND s.tenant_id IN ({})", params.join(", "));
    }
    let limit = statement.param(Bind::Int(filter.limit));
    let offset = statement.param(Bind::Int(filter.offset));
    let sql = match (filter.terms.is_empty(), db) {
        (true, _) => format!(
            "SELECT {SERVICE_LIST_COLUMNS} FROM service s WHERE {conditions}
             ORDER BY s.name_de, s.tenant_id LIMIT {limit} OFFSET {offset}"
        ),
        (false, Db::Sqlite(_)) => {
            let query = statement.param(Bind::Text(filter.terms.fts5_query()));
            format!(
                "SELECT {SERVICE_LIST_COLUMNS} FROM service s JOIN service_fts f ON f.service_id = s.id
                 WHERE {conditions} AND service_fts MATCH {query}
                 ORDER BY f.rank, s.name_de, s.tenant_id LIMIT {limit} OFFSET {offset}"
            )
        }
        // One tenant's services, or a place's few tenants': those first, then the words. The planner
        // would otherwise AND the tenant index with the word index once VACUUM has run, and read
        // every match of a common word in the whole state (0.15 → 0.65 ms for "hund" at 2,000
        // tenants, more for words in every service).
        (false, Db::Postgres(_)) if filter.tenant_id.is_some() || filter.place.is_some() => {
            let query = statement.param(Bind::Text(filter.terms.tsquery()));
            format!(
                "WITH candidates AS MATERIALIZED (SELECT {SERVICE_LIST_COLUMNS}, s.search FROM service s WHERE {conditions})
                 SELECT {SERVICE_LIST_COLUMNS} FROM candidates s WHERE s.search @@ to_tsquery('german', {query})
                 ORDER BY ts_rank(s.search, to_tsquery('german', {query})) DESC, s.name_de, s.tenant_id
                 LIMIT {limit} OFFSET {offset}"
            )
        }
        (false, Db::Postgres(_)) => {
            let query = statement.param(Bind::Text(filter.terms.tsquery()));
            format!(
                "SELECT {SERVICE_LIST_COLUMNS} FROM (
                   SELECT {SERVICE_LIST_COLUMNS}, s.search FROM service s
                   WHERE {conditions} AND s.search @@ to_tsquery('german', {query}) LIMIT {RANKED_AT_MOST}) s
                 ORDER BY ts_rank(s.search, to_tsquery('german', {query})) DESC, s.name_de, s.tenant_id
                 LIMIT {limit} OFFSET {offset}"
            )
        }
    };
    with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql);
        for bind in &statement.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text),
                Bind::Int(number) => query.bind(number),
            };
        }
        query.fetch_all(pool).await
    })
}

/// The active tenants responsible for the place with this postcode or name key ([`place_key`]).
pub async fn tenants_of_place(db: &Db, place: &str) -> sqlx::Result<Vec<String>> {
    with_pool!(db, pool => sqlx::query_scalar(
        "SELECT DISTINCT a.tenant_id FROM place p
         JOIN tenant_area a ON p.ars LIKE a.area_key || '%'
         JOIN tenant t ON t.id = a.tenant_id AND t.retired_at IS NULL
         WHERE p.postcode = $1 OR p.name_key = $1",
    ).bind(place).fetch_all(pool).await)
}

/// Places whose postcode is `postcode` or whose name starts with `name`, each with a responsible tenant.
pub async fn responsibilities(db: &Db, place: &str) -> sqlx::Result<Vec<ResponsibilityRow>> {
    let key = place_key(place);
    let escaped = key.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let name_prefix = format!("{escaped}%");
    with_pool!(db, pool => sqlx::query_as(
        "SELECT DISTINCT p.name AS place_name, p.postcode, a.tenant_id
         FROM place p
         JOIN tenant_area a ON p.ars LIKE a.area_key || '%'
         JOIN tenant t ON t.id = a.tenant_id AND t.retired_at IS NULL
         WHERE p.postcode = $1 OR p.name_key LIKE $2 ESCAPE '\\'
         ORDER BY p.name, p.postcode LIMIT 100",
    ).bind(&key).bind(name_prefix).fetch_all(pool).await)
}
