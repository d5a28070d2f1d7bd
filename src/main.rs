use std::path::PathBuf;
use std::process::ExitCode;

use buergerportal::catalogue::Catalogue;
use buergerportal::config::Settings;
use buergerportal::db::Db;
use buergerportal::startup::Application;
use buergerportal::telemetry;
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
    /// Migrate, import the catalogue and serve (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Validate the configuration and the catalogue files, print every problem.
    CheckConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
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
            Application::build(settings).await?.run_until_stopped().await?;
        }
        Command::Migrate => {
            settings.prepare_data_dir()?;
            Db::connect(&settings.database_url(), 1).await?.migrate().await?;
            println!("migrations applied");
        }
        Command::CheckConfig => {
            let catalogue = Catalogue::load(settings.tenants_dir())?;
            let services: usize = catalogue.tenants.iter().map(|t| t.services.len()).sum();
            println!(
                "configuration valid: {} tenant(s), {services} service(s) in {}",
                catalogue.tenants.len(),
                settings.tenants_dir().display()
            );
        }
    }
    Ok(())
}
