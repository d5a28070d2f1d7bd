use std::path::PathBuf;
use std::process::ExitCode;

use buergerportal::attachments::{Attachments, Scanner};
use buergerportal::catalogue::{Catalogue, import_files, sending};
use buergerportal::config::Settings;
use std::sync::Arc;

use buergerportal::db::outbox::{DeliveryState, Retry};
use buergerportal::db::{Db, api_tokens, outbox};
use buergerportal::mail::{LinkSeal, Mailer};
use buergerportal::metrics::{self, OutboxCounters};
use buergerportal::payment::Providers;
use buergerportal::pdf::ReceiptFonts;
use buergerportal::startup::Application;
use buergerportal::telemetry;
use buergerportal::worker::{Outbox, Worker};
use buergerportal::workflow::pay;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Bürgerportal: citizen service portal")]
struct Cli {
    /// TOML configuration file; every key can also be set as BUERGERPORTAL_<KEY>.
    #[arg(long, env = "BUERGERPORTAL_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, import the catalogue (unless import_catalogue_at_start is false) and serve (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Validate the configuration and the catalogue files, print every problem.
    CheckConfig,
    /// The catalogue of tenants and services.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Work the outbox (deliveries to the authorities and mails) without serving pages.
    Worker,
    /// Deliveries of cases to the authorities' backends.
    Deliveries {
        #[command(subcommand)]
        command: DeliveriesCommand,
    },
    /// Mails to citizens still in the queue (a sent mail is removed at once).
    Mails {
        #[command(subcommand)]
        command: MailsCommand,
    },
    /// Fees paid online.
    Payments {
        #[command(subcommand)]
        command: PaymentsCommand,
    },
    /// Bearer tokens of the backend API (/api/v1), one tenant each.
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Migrate, read and check every file of tenants_dir, and import what changed in one
    /// transaction; a file with a problem changes nothing. Nodes started afterwards serve it.
    Import,
}

#[derive(Subcommand)]
enum ApiTokenCommand {
    /// Make a token for the tenant's backend and print it once (only its hash is kept).
    Create {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// What the token is for, e.g. the backend's name.
        #[arg(long)]
        name: String,
    },
    /// The tenant's tokens: id, created, revoked, name (never the token).
    List {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
    },
    /// Revoke the token with this id; it is refused from then on.
    Revoke { id: String },
}

#[derive(Subcommand)]
enum PaymentsCommand {
    /// Ask the provider about each of the tenant's payments and list those whose status in the
    /// portal differs from the provider's, and those paid but not sent. Changes nothing.
    Reconcile {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The first day (YYYY-MM-DD) of the payments to check; 30 days ago when not given.
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum MailsCommand {
    /// The newest queued mails: id, which mail, the recipient's domain, state, attempts, last error.
    List {
        /// Only the mails that were given up (kept two weeks for a retry).
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Send the mail with this id again now, or with `--failed` every mail given up (after the mail
    /// server was down for long), with a fresh count of attempts.
    Retry {
        #[arg(required_unless_present = "failed", conflicts_with = "failed")]
        id: Option<String>,
        #[arg(long)]
        failed: bool,
    },
}

#[derive(Subcommand)]
enum DeliveriesCommand {
    /// The newest deliveries with their state and last error.
    List {
        /// Only the deliveries that were given up and wait for an operator.
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Try the delivery of the tenant's case with this reference again now, with a fresh count of
    /// attempts; a delivery that was given up starts afresh. Refused while a worker is sending it.
    Retry { tenant: String, reference: String },
}

/// A queued job's state as the operator commands print it.
fn describe(state: DeliveryState) -> String {
    match state {
        DeliveryState::Delivered(at) => format!("delivered {}", at.to_rfc3339()),
        DeliveryState::Failed(at) => format!("FAILED {}", at.to_rfc3339()),
        DeliveryState::InFlight => "sending now".to_owned(),
        DeliveryState::Waiting(at) => format!("next attempt {}", at.to_rfc3339()),
    }
}

/// argon2id takes 19 MiB for each password it checks. glibc's malloc raises its mmap threshold to
/// the size of a freed mapped block, so after the first login every blocking thread's arena kept
/// such a block: 40 concurrent logins left RSS at 270 MB. A fixed threshold (which turns the
/// adjustment off) maps every block of 1 MiB or more on its own and returns it when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    const ONE_MIB: libc::c_int = 1 << 20;
    // SAFETY: mallopt only sets a malloc parameter; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_MIB);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

/// The catalogue files read at start are dropped once imported, but glibc's malloc keeps the
/// memory they took: at 4,000 tenants a node kept 297 MB, and 147 MB once it was given back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory_to_the_system() {
    // SAFETY: malloc_trim only releases free memory of malloc's heaps; nothing refers to it.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory_to_the_system() {}

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("buergerportal: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("buergerportal: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            telemetry::init(settings.log_format);
            let app = Application::build(settings).await?;
            return_freed_memory_to_the_system();
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            settings.prepare_data_dir()?;
            Db::connect(&settings.database_url(), 1).await?.migrate().await?;
            println!("migrations applied");
        }
        Command::CheckConfig => {
            let catalogue = Catalogue::load(settings.tenants_dir())?;
            let sending = catalogue.sending();
            let unset = sending::unset_secrets(&sending);
            for (tenant, key, env) in &unset {
                eprintln!("{tenant}: {key}: the environment variable {env} is not set");
            }
            let development_only = sending::development_only(&sending, &settings);
            let unsent = sending::unsent_mailboxes(&sending, &settings);
            for problem in development_only.iter().chain(&unsent) {
                eprintln!("{problem}");
            }
            anyhow::ensure!(unset.is_empty(), "{} secret(s) missing", unset.len());
            anyhow::ensure!(
                development_only.is_empty() && unsent.is_empty(),
                "{} setting(s) would not send applications or payments safely",
                development_only.len() + unsent.len()
            );
            let services: usize = catalogue.tenants.iter().map(|t| t.services.len()).sum();
            println!(
                "configuration valid: {} tenant(s), {services} service(s) in {}",
                catalogue.tenants.len(),
                settings.tenants_dir().display()
            );
        }
        Command::Catalogue {
            command: CatalogueCommand::Import,
        } => {
            settings.prepare_data_dir()?;
            let db = Db::connect(&settings.database_url(), 1).await?;
            db.migrate().await?;
            let summary = import_files(&settings, &db).await?;
            println!(
                "catalogue imported from {}: {} tenant(s) imported with {} service(s), {} unchanged, {} retired",
                settings.tenants_dir().display(),
                summary.tenants_imported,
                summary.services_imported,
                summary.tenants_unchanged,
                summary.tenants_retired
            );
        }
        Command::Worker => {
            telemetry::init(settings.log_format);
            let db = Db::connect(&settings.database_url(), settings.database_max_connections).await?;
            db.migrate().await?;
            let seal = LinkSeal::new(&settings.secret_key()?)?;
            let mailer = Arc::new(Mailer::new(
                &settings.mail,
                &settings.mail_from,
                &settings.data_dir,
                seal,
            )?);
            let fonts = Arc::new(ReceiptFonts::load()?);
            // The worker reads the files it delivers; it scans nothing.
            let attachments =
                Arc::new(Attachments::new(&settings.data_dir, &settings.attachment_store, Scanner::Off).await?);
            tracing::info!("working the outbox");
            let counters = Arc::new(OutboxCounters::default());
            if !settings.metrics_listen.is_empty() {
                let listener = std::net::TcpListener::bind(&settings.metrics_listen)?;
                tokio::spawn(metrics::serve(listener, db.clone(), counters.clone(), None)?);
            }
            Worker::new(&settings, db, mailer, fonts, attachments, &Outbox::default(), counters)?
                .run()
                .await;
        }
        Command::Deliveries { command } => {
            let db = Db::connect(&settings.database_url(), 1).await?;
            match command {
                DeliveriesCommand::List { failed, limit } => {
                    let now = chrono::Utc::now();
                    for d in outbox::deliveries(&db, failed, limit).await? {
                        println!(
                            "{}\t{}\t{}\t{}\tattempts {}\tqueued {}\t{}",
                            d.reference,
                            d.tenant_slug,
                            d.destination.as_deref().unwrap_or("-"),
                            describe(d.state(now)),
                            d.attempt,
                            d.created_at.to_rfc3339(),
                            d.last_error.as_deref().unwrap_or("")
                        );
                    }
                }
                DeliveriesCommand::Retry { tenant, reference } => {
                    match outbox::retry_now(&db, &tenant, &reference, chrono::Utc::now()).await? {
                        Retry::DueNow => println!("{tenant} {reference}: due again now"),
                        Retry::InFlight => anyhow::bail!(
                            "{tenant} {reference} is being sent right now; try again when the attempt has ended"
                        ),
                        Retry::Delivered => anyhow::bail!("{tenant} {reference} was delivered already"),
                        Retry::NotFound => anyhow::bail!("tenant {tenant} has no case with the reference {reference}"),
                    }
                }
            }
        }
        Command::Mails { command } => {
            let db = Db::connect(&settings.database_url(), 1).await?;
            match command {
                MailsCommand::List { failed, limit } => {
                    let now = chrono::Utc::now();
                    for m in outbox::mails(&db, failed, limit).await? {
                        println!(
                            "{}\t{}\t@{}\t{}\tattempts {}\tqueued {}\t{}",
                            m.id,
                            m.name.as_deref().unwrap_or("?"),
                            m.to_domain.as_deref().unwrap_or("?"),
                            describe(m.state(now)),
                            m.attempt,
                            m.created_at.to_rfc3339(),
                            m.last_error.as_deref().unwrap_or("")
                        );
                    }
                }
                MailsCommand::Retry { id, .. } => {
                    let due = outbox::retry_mails(&db, id.as_deref(), chrono::Utc::now()).await?;
                    match id {
                        Some(id) if due == 0 => anyhow::bail!(
                            "no mail {id} waits (sent mails are removed), or a worker is sending it right now"
                        ),
                        _ => println!("{due} mail(s) due again now"),
                    }
                }
            }
        }
        Command::ApiToken { command } => {
            let db = Db::connect(&settings.database_url(), 1).await?;
            db.migrate().await?;
            api_token_command(&db, command).await?;
        }
        Command::Payments {
            command: PaymentsCommand::Reconcile { tenant, since },
        } => {
            let db = Db::connect(&settings.database_url(), 1).await?;
            let since = match since {
                Some(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
                None => chrono::Utc::now() - chrono::Duration::days(30),
            };
            let providers = Providers::new(&settings.base_url);
            let Some(differences) = pay::reconcile(&db, &providers, &tenant, since).await? else {
                anyhow::bail!("there is no tenant {tenant}");
            };
            for d in &differences {
                println!(
                    "{}\t{}\t{}\tportal {}\tprovider {}\tcase {}\t{}",
                    d.payment_id,
                    d.created_at.to_rfc3339(),
                    d.amount.to_english(),
                    d.portal_status,
                    d.provider_status.as_deref().unwrap_or("?"),
                    d.case_reference.as_deref().unwrap_or("-"),
                    d.problem
                );
            }
            println!("{} payment(s) to look into", differences.len());
        }
    }
    Ok(())
}

async fn api_token_command(db: &Db, command: ApiTokenCommand) -> anyhow::Result<()> {
    match command {
        ApiTokenCommand::Create { tenant, name } => {
            let Some((id, token)) = api_tokens::create(db, &tenant, &name).await? else {
                anyhow::bail!("there is no tenant {tenant}");
            };
            eprintln!("token {id} for {tenant} made; it is shown only now:");
            println!("{token}");
        }
        ApiTokenCommand::List { tenant } => {
            let Some(tokens) = api_tokens::of_tenant(db, &tenant).await? else {
                anyhow::bail!("there is no tenant {tenant}");
            };
            for t in &tokens {
                let revoked = t.revoked_at.map_or_else(|| "-".to_owned(), |at| at.to_rfc3339());
                println!("{}\t{}\trevoked {revoked}\t{}", t.id, t.created_at.to_rfc3339(), t.name);
            }
            println!("{} token(s)", tokens.len());
        }
        ApiTokenCommand::Revoke { id } => {
            anyhow::ensure!(
                api_tokens::revoke(db, &id).await?,
                "there is no token {id} that is not revoked"
            );
            println!("token {id} revoked");
        }
    }
    Ok(())
}
