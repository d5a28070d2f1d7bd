//! Builds the application: data directory, catalogue, database, tenant directory, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::attachments::{Attachments, Scanner};
use crate::auth::client_ip::TrustedProxies;
use crate::auth::csrf::{FormTokens, refuse_cross_site};
use crate::auth::oidc::IdentityProviders;
use crate::auth::password::PasswordHasher;
use crate::auth::session::Sessions;
use crate::catalogue::{CatalogueCache, Sending, Served, follow_imports, import_files, sending};
use crate::config::Settings;
use crate::db::Db;
use crate::db::catalogue::{self, TenantSendingRow};
use crate::housekeeping;
use crate::mail::{LinkSeal, Mailer};
use crate::metrics::{self, OutboxCounters};
use crate::middleware::{response_headers, security_headers};
use crate::payment::Providers;
use crate::payment::demo_provider::{self, DemoProvider};
use crate::pdf::ReceiptFonts;
use crate::routes;
use crate::routes::FORM_BODY_LIMIT;
use crate::telemetry::RequestSpan;
use crate::tenancy::{LiveDirectory, TenantDirectory};
use crate::worker::{Outbox, Worker};

pub struct Application {
    server: Server,
    port: u16,
    metrics_port: Option<u16>,
    db: Db,
}

impl Application {
    /// Everything that can be wrong with the configuration fails here, before the port is bound.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.prepare_data_dir()?;
        let db = Db::connect(&settings.database_url(), settings.database_max_connections).await?;
        db.migrate().await?;
        if settings.import_catalogue_at_start || !catalogue::has_catalogue(&db).await? {
            let summary = import_files(&settings, &db).await?;
            tracing::info!(?summary, dir = %settings.tenants_dir().display(), "catalogue imported");
        } else {
            tracing::info!("the catalogue as imported; files not read (import_catalogue_at_start = false)");
        }
        if settings.is_demo() {
            tracing::warn!("demo mode: the demo tenants from examples/ are loaded; set tenants_dir for production");
        }
        // Checked again as imported: a node's own settings (mail, development_plaintext_delivery)
        // decide what it may send, whoever imported the catalogue.
        let tenants_sending = catalogue::tenants_sending(&db).await?;
        let sending: Vec<Sending> = tenants_sending.iter().map(TenantSendingRow::sending).collect();
        sending::refuse_development_only(&sending, &settings)?;
        for unsent in sending::unsent_mailboxes(&sending, &settings) {
            tracing::warn!("{unsent}");
        }
        let demo_provider = if sending::pays_through_demo_provider(&sending) {
            let hosts: Vec<String> = catalogue::active_tenant_hosts(&db)
                .await?
                .into_iter()
                .map(|h| h.host)
                .collect();
            Some(web::Data::new(DemoProvider::new(&settings.base_url, &hosts)))
        } else {
            None
        };
        let scanner = settings.scanner()?;
        if let Scanner::Off = scanner {
            tracing::warn!(
                "UPLOADS ARE NOT SCANNED FOR MALWARE: virus_scan is {:?}; give clamd's address (host:port)",
                settings.virus_scan
            );
        }
        let attachments =
            web::Data::new(Attachments::new(&settings.data_dir, &settings.attachment_store, scanner).await?);
        // The version first: an import between the two is then loaded again at the first check.
        let version = catalogue::version(&db).await?;
        let directory = web::Data::new(LiveDirectory::new(
            TenantDirectory::load(&db, &settings.portal_hosts()).await?,
        ));
        let cache = web::Data::new(CatalogueCache::default());
        follow_imports(
            db.clone(),
            Served {
                version,
                directory: directory.clone(),
                cache: cache.clone(),
                portal_hosts: settings.portal_hosts(),
            },
        );
        let receipt_fonts = web::Data::new(ReceiptFonts::load()?);
        let secret_key = settings.secret_key()?;
        let link_seal = web::Data::new(LinkSeal::new(&secret_key)?);
        let mailer = web::Data::new(Mailer::new(
            &settings.mail,
            &settings.mail_from,
            &settings.data_dir,
            link_seal.get_ref().clone(),
        )?);
        let outbox = web::Data::new(Outbox::default());
        let counters = Arc::new(OutboxCounters::default());
        if settings.worker {
            let worker = Worker::new(
                &settings,
                db.clone(),
                mailer.clone().into_inner(),
                receipt_fonts.clone().into_inner(),
                attachments.clone().into_inner(),
                &outbox,
                counters.clone(),
            )?;
            tokio::spawn(worker.run());
        }
        let hasher = web::Data::new(PasswordHasher::new(settings.password_hash_threads()));
        let metrics_port = match settings.metrics_listen.as_str() {
            "" => None,
            address => {
                let listener =
                    TcpListener::bind(address).with_context(|| format!("metrics_listen {address} cannot be bound"))?;
                let port = listener.local_addr()?.port();
                tokio::spawn(metrics::serve(
                    listener,
                    db.clone(),
                    counters,
                    Some(metrics::Portal {
                        passwords: hasher.get_ref().clone(),
                        catalogue: cache.clone(),
                    }),
                )?);
                Some(port)
            }
        };
        let sessions = web::Data::new(Sessions::new(
            db.clone(),
            settings.is_https(),
            settings.session_idle_minutes,
            settings.session_absolute_hours,
        ));
        let providers = web::Data::new(IdentityProviders::new(
            &settings.identity_providers,
            &settings.base_url,
        )?);
        let payment_providers = web::Data::new(Providers::new(&settings.base_url));
        housekeeping::spawn(
            db.clone(),
            outbox.get_ref().clone(),
            attachments.clone().into_inner(),
            payment_providers.clone().into_inner(),
            settings.base_url.clone(),
        );

        let listener = TcpListener::bind(settings.listen)?;
        let port = listener.local_addr()?.port();
        let db_data = web::Data::new(db.clone());
        let https = settings.is_https();
        let trusted_proxies = web::Data::new(TrustedProxies::new(settings.trusted_proxies.clone()));
        let form_tokens = web::Data::new(FormTokens::new(&secret_key, https)?);
        let static_dir = settings.static_dir.clone();
        let settings_data = web::Data::new(settings);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(db_data.clone())
                .app_data(attachments.clone())
                .app_data(directory.clone())
                .app_data(cache.clone())
                .app_data(receipt_fonts.clone())
                // Bodies of forms are read into memory, so the cap bounds what a flood can make the
                // portal hold. Form steps and replies, which may carry files, read theirs themselves (`routes::posted`).
                .app_data(web::FormConfig::default().limit(FORM_BODY_LIMIT))
                .app_data(web::PayloadConfig::new(FORM_BODY_LIMIT))
                .app_data(sessions.clone())
                .app_data(hasher.clone())
                .app_data(outbox.clone())
                .app_data(link_seal.clone())
                .app_data(providers.clone())
                .app_data(trusted_proxies.clone())
                .app_data(form_tokens.clone())
                .app_data(settings_data.clone())
                .app_data(payment_providers.clone())
                .wrap(from_fn(refuse_cross_site))
                .wrap(ErrorHandlers::new().default_handler(routes::error_pages::render))
                .wrap(from_fn(response_headers))
                .wrap(security_headers(https))
                .wrap(TracingLogger::<RequestSpan>::new())
                .service(actix_files::Files::new("/static", &static_dir))
                .configure(|cfg| {
                    if let Some(demo) = &demo_provider {
                        demo_provider::routes(cfg, demo.clone());
                    }
                })
                .configure(routes::configure)
        })
        .listen(listener)?
        .run();
        tracing::info!(port, "listening");
        Ok(Self {
            server,
            port,
            metrics_port,
            db,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
