//! The `serasi` command: runs the office server and its operations.
//!
//! Startup order of `serve`: configuration, logging, data folder,
//! database and migrations, reference data and first administrator, then
//! the HTTP server until Ctrl-C or SIGTERM.

mod bootstrap;
mod config;
mod demo;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serasi_store::Store;
use serasi_store::import::ImportKind;
use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// Serasi, an e-Office for a regency government and its villages.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// TOML configuration file; its settings are overridden by SERASI_*
    /// environment variables.
    #[arg(long, short, global = true, env = "SERASI_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (migrates the database and loads reference data first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import data into the directory.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage login accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the effective configuration with secrets masked.
    Config,
    /// Fill the office with fictional demo staff and print their logins.
    Demo,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Load the shipped reference data (regions, agencies, classification codes); idempotent.
    Reference,
    /// Import organisations, positions or employees from a CSV or XLSX file, all rows or none.
    Directory {
        /// What the file holds: organizations, positions or employees.
        #[arg(long)]
        kind: String,
        /// The CSV or XLSX file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Set a new one-time password for an account, unlock it and end its sessions.
    ResetPassword {
        /// The account's username.
        username: String,
    },
    /// Create a login account and print its one-time password.
    CreateUser {
        /// Username: 3 to 64 lowercase letters, digits, '.', '_' or '-'.
        username: String,
        /// Role: admin, clerk or employee.
        #[arg(long, default_value = "employee")]
        role: String,
        /// Link the account to the employee with this NIP or village identifier.
        #[arg(long)]
        employee: Option<String>,
    },
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
}

/// Creates the data folder and opens the configured database.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(config.data_dir.join("files"))
        .with_context(|| format!("cannot create data folder {}", config.data_dir.display()))?;
    let store = Store::connect(&config.database_url()).await?;
    store.migrate().await?;
    Ok(store)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("serasi: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    if !matches!(cli.command, Command::Config) {
        init_logging(&config);
    }
    match run(cli.command, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "serasi failed");
            eprintln!("serasi: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Config => {
            print!("{}", config.to_masked_toml()?);
            Ok(())
        }
        Command::Serve => bootstrap::serve(config).await,
        Command::Migrate => {
            let store = open_store(&config).await?;
            println!("Database is up to date ({}).", store.backend().as_str());
            Ok(())
        }
        Command::Import(ImportCommand::Reference) => {
            let store = open_store(&config).await?;
            bootstrap::load_reference(&store).await
        }
        Command::Import(ImportCommand::Directory { kind, file }) => {
            let kind: ImportKind = kind.parse().map_err(anyhow::Error::msg)?;
            let store = open_store(&config).await?;
            bootstrap::import_file(&store, kind, &file).await
        }
        Command::Admin(AdminCommand::ResetPassword { username }) => {
            let store = open_store(&config).await?;
            bootstrap::reset_password(&store, &username).await
        }
        Command::Admin(AdminCommand::CreateUser {
            username,
            role,
            employee,
        }) => {
            let store = open_store(&config).await?;
            bootstrap::create_user(&store, &username, &role, employee.as_deref()).await
        }
        Command::Demo => {
            let store = open_store(&config).await?;
            bootstrap::load_reference(&store).await?;
            demo::fill(&store).await
        }
    }
}
