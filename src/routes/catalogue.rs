//! Finding services: the start page, the catalogue with search and filters, a service's start page.

use std::sync::Arc;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::Layout;
use super::page::{CsrfForm, respond};
use crate::auth::oidc::IdentityProviders;
use crate::auth::session::Sessions;
use crate::catalogue::{CatalogueCache, Contact, ServiceTexts};
use crate::config::Settings;
use crate::db::Db;
use crate::db::catalogue::{self as queries, ServiceFilter, ServiceListRow, ServicePageRow};
use crate::domain::search::SearchTerms;
use crate::domain::topic::TOPICS;
use crate::domain::{Money, Topic, TrustLevel};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::query::encode_query_value;
use crate::tenancy::{Directory, TenantDirectory};

const PAGE_SIZE: i64 = 20;
const MAX_PAGE: i64 = 500;
/// Tenant filter as a select only while the list stays short; beyond that, the place filter serves.
const MAX_TENANTS_IN_SELECT: usize = 50;
const MAX_ECHOED_CHARS: usize = 200;

/// A service in a list.
pub struct ServiceCard {
    pub href: String,
    pub name: String,
    pub summary: String,
    /// `Some("de")` when the English page shows German text (no translation configured).
    pub content_lang: Option<&'static str>,
    pub tenant_name: String,
    pub fee: String,
    pub trust: String,
}

/// The cards of one list, rendered apart from the page so that the HTML can be kept
/// ([`CatalogueCache::fragment`]).
#[derive(Template)]
#[template(path = "partials/service_cards.html")]
struct ServiceCards<'a> {
    layout: &'a Layout,
    cards: Vec<ServiceCard>,
}

/// The cards of a list's rows as HTML: rendered once per search, language and site, then taken from
/// the cache, since they are the same for every visitor and building 20 cards is most of the page's work.
fn cards_html(
    layout: &Layout,
    directory: &TenantDirectory,
    cache: &CatalogueCache,
    filter: &ServiceFilter,
    rows: &[ServiceListRow],
) -> Result<Arc<str>, AppError> {
    if rows.is_empty() {
        return Ok(Arc::from(""));
    }
    let site_tenant = layout.site.tenant.as_ref().map_or("", |t| t.id.as_str());
    let key = format!(
        "cards|{}|{site_tenant}|{}|{}",
        layout.lang.code(),
        layout.site.base,
        filter.cache_key()
    );
    cache.fragment(key, || {
        let cards = rows.iter().map(|row| card(layout, directory, row)).collect();
        Ok(ServiceCards { layout, cards }.render()?)
    })
}

pub struct Link {
    pub href: String,
    pub label: String,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn fee_text(lang: Lang, fee_cents: Option<i64>) -> String {
    match fee_cents.map(Money::from_cents) {
        Some(fee) if lang == Lang::En => fee.to_english(),
        Some(fee) => fee.to_german(),
        None => lang.t("fee-none").to_owned(),
    }
}

/// A level the database holds but the code does not know is shown as the strictest.
fn trust_level(stored: &str) -> TrustLevel {
    TrustLevel::parse(stored).unwrap_or(TrustLevel::Hoch)
}

fn card(layout: &Layout, directory: &TenantDirectory, row: &ServiceListRow) -> ServiceCard {
    let tenant = directory.by_id(&row.tenant_id);
    let same_site = layout.site.tenant.as_ref().is_some_and(|t| t.id == row.tenant_id);
    let base = match tenant {
        Some(_) if same_site => layout.site.base.clone(),
        Some(t) => format!("/{}", t.slug),
        None => String::new(),
    };
    let (name, summary, content_lang) = match (layout.lang, &row.name_en, &row.summary_en) {
        (Lang::En, Some(name), Some(summary)) => (name, summary, None),
        (Lang::En, ..) => (&row.name_de, &row.summary_de, Some("de")),
        (Lang::De, ..) => (&row.name_de, &row.summary_de, None),
    };
    ServiceCard {
        href: format!("{base}/leistungen/{}", row.slug),
        name: name.clone(),
        summary: summary.clone(),
        content_lang,
        tenant_name: tenant.map(|t| t.name.clone()).unwrap_or_default(),
        fee: fee_text(layout.lang, row.fee_cents),
        trust: layout
            .lang
            .t(trust_level(&row.min_trust_level).label_keys().0)
            .to_owned(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    topics: Vec<Link>,
    tenants: Vec<Link>,
    /// Rendered service cards (HTML), the tenant's services on its start page.
    services: Arc<str>,
}

/// State-wide: search, "Wer ist zuständig?", topics, authorities. A tenant's: its services.
pub async fn home(
    layout: Layout,
    db: web::Data<Db>,
    cache: web::Data<CatalogueCache>,
    directory: Directory,
) -> Result<HomePage, AppError> {
    let mut page = HomePage {
        topics: Vec::new(),
        tenants: Vec::new(),
        services: Arc::from(""),
        layout,
    };
    let catalogue_href = page.layout.href("/leistungen");
    if let Some(tenant) = &page.layout.site.tenant {
        let filter = ServiceFilter {
            tenant_id: Some(tenant.id.clone()),
            limit: MAX_PAGE,
            ..ServiceFilter::default()
        };
        let rows = cache.services(&db, &filter).await?;
        page.services = cards_html(&page.layout, &directory, &cache, &filter, &rows)?;
    } else {
        page.topics = directory
            .topics()
            .iter()
            .map(|t| Link {
                href: format!("{catalogue_href}?thema={}", t.slug),
                label: page.layout.lang.t(t.label_key).to_owned(),
            })
            .collect();
        if directory.all().len() <= MAX_TENANTS_IN_SELECT {
            page.tenants = directory
                .all()
                .iter()
                .map(|t| Link {
                    href: format!("/{}/", t.slug),
                    label: t.name.clone(),
                })
                .collect();
        }
    }
    Ok(page)
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    thema: Option<String>,
    mandant: Option<String>,
    ort: Option<String>,
    seite: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "catalogue.html")]
pub struct CataloguePage {
    layout: Layout,
    q: String,
    ort: String,
    topic_options: Vec<SelectOption>,
    tenant_options: Vec<SelectOption>,
    /// Rendered service cards (HTML), empty when nothing was found.
    results: Arc<str>,
    result_text: String,
    previous_href: Option<String>,
    next_href: Option<String>,
}

fn echoed(value: Option<&String>) -> String {
    value
        .map(|v| v.chars().filter(|c| !c.is_control()).take(MAX_ECHOED_CHARS).collect())
        .unwrap_or_default()
}

/// The catalogue: search words, topic, authority and place filters; GET only, so it works without JS.
pub async fn list(
    layout: Layout,
    query: web::Query<ListQuery>,
    db: web::Data<Db>,
    cache: web::Data<CatalogueCache>,
    directory: Directory,
) -> Result<CataloguePage, AppError> {
    let query = query.into_inner();
    let topic = query.thema.as_deref().and_then(|t| Topic::parse(t).ok());
    let chosen_tenant = match &layout.site.tenant {
        Some(tenant) => Some(tenant.clone()),
        None => query
            .mandant
            .as_deref()
            .and_then(|slug| directory.by_slug(slug))
            .cloned(),
    };
    let ort = echoed(query.ort.as_ref());
    let page: i64 = query
        .seite
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .clamp(1, MAX_PAGE);
    let filter = ServiceFilter {
        terms: SearchTerms::parse(query.q.as_deref().unwrap_or_default()),
        tenant_id: chosen_tenant.as_ref().map(|t| t.id.clone()),
        topic: topic.map(|t| t.slug),
        place: Some(queries::place_key(&ort)).filter(|p| !p.is_empty()),
        limit: PAGE_SIZE + 1,
        offset: (page - 1) * PAGE_SIZE,
    };
    let rows = cache.services(&db, &filter).await?;
    let has_next = rows.len() as i64 > PAGE_SIZE;
    let rows = &rows[..rows.len().min(PAGE_SIZE as usize)];

    let lang = layout.lang;
    let result_text = match (page, has_next) {
        (1, false) => lang.t1("catalogue-count", "count", rows.len()),
        _ => lang.t1("catalogue-page", "page", page),
    };
    let page_href = |n: i64| {
        let mut url = url_with(
            &layout.href("/leistungen"),
            &[
                ("q", query.q.as_deref()),
                ("thema", topic.map(|t| t.slug)),
                (
                    "mandant",
                    if layout.site.tenant.is_none() {
                        chosen_tenant.as_ref().map(|t| t.slug.as_str())
                    } else {
                        None
                    },
                ),
                ("ort", Some(ort.as_str()).filter(|o| !o.is_empty())),
            ],
        );
        url.push_str(if url.contains('?') { "&" } else { "?" });
        url.push_str(&format!("seite={n}"));
        url
    };
    let previous_href = (page > 1).then(|| page_href(page - 1));
    let next_href = has_next.then(|| page_href(page + 1));
    let topic_options = TOPICS
        .iter()
        .filter(|t| directory.topics().contains(t))
        .map(|t| SelectOption {
            value: t.slug.into(),
            label: lang.t(t.label_key).to_owned(),
            selected: Some(*t) == topic,
        })
        .collect();
    let tenant_options = if layout.site.tenant.is_none() && directory.all().len() <= MAX_TENANTS_IN_SELECT {
        directory
            .all()
            .iter()
            .map(|t| SelectOption {
                value: t.slug.clone(),
                label: t.name.clone(),
                selected: chosen_tenant.as_ref().is_some_and(|c| c.id == t.id),
            })
            .collect()
    } else {
        Vec::new()
    };
    let results = cards_html(&layout, &directory, &cache, &filter, rows)?;
    Ok(CataloguePage {
        q: echoed(query.q.as_ref()),
        ort,
        topic_options,
        tenant_options,
        results,
        result_text,
        previous_href,
        next_href,
        layout,
    })
}

/// `path?k=v&…` with the given parameters percent-encoded, empty ones left out.
pub(super) fn url_with(path: &str, params: &[(&str, Option<&str>)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode_query_value(v)))
        })
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

#[derive(Deserialize)]
pub struct ServicePath {
    service: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "service.html")]
pub struct ServicePage {
    layout: Layout,
    /// Borrowed from the cache, not copied: this is the hottest page of the portal.
    row: Arc<ServicePageRow>,
    /// English texts exist and English is asked for.
    english: bool,
    content_lang: Option<&'static str>,
    topic_label: &'static str,
    fee: String,
    trust_name: &'static str,
    trust_text: &'static str,
    start_href: String,
}

impl ServicePage {
    fn texts(&self) -> &ServiceTexts {
        match (&self.row.details.0.en, self.english) {
            (Some(en), true) => en,
            _ => &self.row.details.0.de,
        }
    }

    /// The description's paragraphs, separated by blank lines in the catalogue file.
    fn paragraphs(&self) -> impl Iterator<Item = &str> {
        self.texts()
            .description
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
    }
}

/// A service's start page: what it is, what you need, cost, trust level, time, "Jetzt starten".
pub async fn service(
    layout: Layout,
    path: web::Path<ServicePath>,
    db: web::Data<Db>,
    cache: web::Data<CatalogueCache>,
) -> Result<ServicePage, AppError> {
    let slug = path.into_inner().service;
    let tenant = layout.site.require_tenant()?.clone();
    let row = cache
        .service_page(&db, &tenant.id, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = layout.lang;
    let has_english = row.details.0.en.is_some();
    let content_lang = (lang == Lang::En && !has_english).then_some("de");
    let (trust_name, trust_text) = trust_level(&row.min_trust_level).label_keys();
    Ok(ServicePage {
        english: lang == Lang::En && has_english,
        content_lang,
        topic_label: Topic::parse(&row.topic)
            .map(|t| lang.t(t.label_key))
            .unwrap_or_default(),
        fee: fee_text(lang, row.fee_cents),
        trust_name: lang.t(trust_name),
        trust_text: lang.t(trust_text),
        start_href: layout.href(&format!("/leistungen/{slug}/antrag")),
        row,
        layout,
    })
}

#[derive(Template)]
#[template(path = "application_soon.html")]
pub struct ApplicationSoonPage {
    layout: Layout,
    service_name: String,
    service_href: String,
    contact: Contact,
}
/// "Jetzt starten": login and trust level first, then the form, or how to apply while there is none.
/// Until the online form for a service exists, "Jetzt starten" tells the citizen how to apply instead.
/// A GET continues the citizen's draft or offers to begin one; only a POST (from that page) creates
/// it, so a link on another site cannot make drafts and reminder mails.
#[allow(clippy::too_many_arguments)]
pub async fn start_application(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<ServicePath>,
    posted: Option<web::Form<CsrfForm>>,
    db: web::Data<Db>,
    cache: web::Data<CatalogueCache>,
    sessions: web::Data<Sessions>,
    providers: web::Data<IdentityProviders>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner().service;
    let tenant = layout.site.require_tenant()?.clone();
    let row = cache
        .service_page(&db, &tenant.id, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let service_name = match (layout.lang, &row.details.0.en) {
        (Lang::En, Some(en)) => en.name.clone(),
        _ => row.details.0.de.name.clone(),
    };
    let citizen = sessions.citizen(&req).await?;
    let required = trust_level(&row.min_trust_level);
    if citizen.trust_level < required {
        let here = req.uri().path();
        let (required_name, required_text) = required.label_keys();
        let page = StepUpPage {
            providers: providers
                .able_to_prove(required)
                .into_iter()
                .map(|p| Link {
                    href: format!(
                        "/anmelden/{}?weiter={}&niveau={}",
                        p.id,
                        encode_query_value(here),
                        required.as_str()
                    ),
                    label: layout.lang.t1("login-with", "name", p.name.clone()),
                })
                .collect(),
            service_name,
            required_name: layout.lang.t(required_name),
            required_text: layout.lang.t(required_text),
            layout,
        };
        return respond(StatusCode::FORBIDDEN, &page);
    }
    if let Some(hash) = &row.form_hash {
        if req.method() == Method::POST {
            citizen
                .session
                .check_csrf(posted.as_ref().map_or("", |f| f.csrf_token.as_str()))?;
            let form = cache.form(&db, hash).await?;
            return super::application::start(&layout, &db, &citizen, &tenant, &slug, &form, &settings).await;
        }
        return super::application::begin(layout, &db, &citizen, &tenant, &slug, service_name).await;
    }
    let profile = queries::tenant_profile(&db, &tenant.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = ApplicationSoonPage {
        service_name,
        service_href: layout.href(&format!("/leistungen/{slug}")),
        contact: profile.contact,
        layout,
    };
    respond(StatusCode::OK, &page)
}

/// The service needs a higher trust level than this login has: why, and how to log in with more.
#[derive(Template)]
#[template(path = "step_up.html")]
pub struct StepUpPage {
    layout: Layout,
    service_name: String,
    required_name: &'static str,
    required_text: &'static str,
    providers: Vec<Link>,
}
