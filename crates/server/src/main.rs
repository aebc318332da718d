//! The `serasi` command: runs the office server and its operations.
//!
//! Startup order of `serve`: configuration, logging, data folder,
//! database and migrations, reference data and first administrator, then
//! the HTTP server until Ctrl-C or SIGTERM.

mod bootstrap;
mod config;
mod demo;
mod pdfcli;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serasi_store::Store;
use serasi_store::import::ImportKind;
use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// Serasi, an e-Office for a regency government and its villages.
#[derive(Parser)]
#[command(version, about, long_about = None, after_help = SETTINGS_HELP)]
struct Cli {
    /// TOML configuration file; its settings are overridden by SERASI_*
    /// environment variables.
    #[arg(long, short, global = true, env = "SERASI_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

const SETTINGS_HELP: &str = "\
Settings (environment variables override the --config file):
  SERASI_DATA_DIR            folder for the SQLite database and files [serasi-data]
  SERASI_BIND                listen address [127.0.0.1:8080]
  DATABASE_URL               sqlite:PATH or postgres://USER:PASSWORD@HOST/DB [SQLite in the data folder]
  SERASI_LOG_FORMAT          text or json [text]
  SERASI_LOG_LEVEL           tracing filter [info,sqlx=warn]
  SERASI_PUBLIC_URL          public origin behind a reverse proxy, trusted for form posts
  SERASI_SESSION_HOURS       login session lifetime in hours, 1 to 720 [12]
  SERASI_SECURE_COOKIES      mark cookies Secure (behind HTTPS) [false]
  SERASI_MAX_UPLOAD_MB       largest request body in MB [10]
  SERASI_TRUST_FORWARDED_FOR take client addresses from X-Forwarded-For [false]
  SERASI_SIGNER              who signs PDFs: local (own CA) or bsre [local]
  SERASI_CA_DIR              folder of the root certificate and key [DATA_DIR/ca]
  SERASI_BSRE_URL            BSrE eSign API base URL (signer = bsre)
  SERASI_BSRE_USERNAME       BSrE API user (HTTP Basic)
  SERASI_BSRE_PASSWORD       BSrE API password (HTTP Basic)
  SERASI_BSRE_TIMEOUT_SECS   seconds per BSrE answer [30]
  SERASI_BSRE_ATTEMPTS       attempts per BSrE call on timeouts [3]
Run `serasi config` to see the effective settings.";

#[derive(Subcommand)]
enum Command {
    /// Start the web server (migrates the database and loads reference data first).
    #[command(after_help = SETTINGS_HELP)]
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
    /// Manage the installation's certificate authority.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Talk to the configured BSrE eSign API.
    #[command(subcommand)]
    Bsre(BsreCommand),
    /// Check a signed PDF offline: exits 0 only for a genuine, unchanged
    /// document of this installation.
    Verify {
        /// The PDF file.
        file: PathBuf,
    },
    /// Write a signed document's PDF, byte for byte, to a file.
    ExportPdf {
        /// Document id, letter number or verification code.
        document: String,
        /// Output file; `-` writes to standard output.
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum BsreCommand {
    /// Ask BSrE whether a signer's certificate is usable (signer = bsre).
    Status {
        /// The signer's NIK as registered at BSrE.
        nik: String,
    },
    /// Ask BSrE to verify a signed PDF (signer = bsre).
    Verify {
        /// The PDF file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum CaCommand {
    /// Create the root certificate and key (once), and print where they are.
    Init,
    /// List the signer certificates with their serial numbers and status.
    List,
    /// Revoke a signer certificate: documents it signed are then reported
    /// as revoked, and its holder gets a new certificate at the next signature.
    Revoke {
        /// Serial number in hexadecimal, as `serasi ca list` shows it.
        serial: String,
        /// The reason for revocation, such as "key compromised".
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Load the shipped reference data (regions, agencies, classification codes); idempotent.
    Reference,
    /// Import organisations, positions or employees from a CSV or XLSX file, all rows or none.
    Directory {
        /// Kind of rows in the file: organizations, positions or employees.
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
    // Colour codes only help a terminal; in a log file they are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
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

/// Creates the data folder, checks it is writable and opens the
/// configured database.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let dir = &config.data_dir;
    // The local file store creates its own `files` folder when it opens.
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data folder {}", dir.display()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"")
        .with_context(|| format!("data folder {} is not writable", dir.display()))?;
    std::fs::remove_file(&probe).ok();
    let url = config.database_url();
    if let Some(path) = serasi_store::sqlite_path(&url) {
        create_private_file(std::path::Path::new(path.split('?').next().unwrap_or(path)))?;
    }
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(store)
}

/// Opens the configured database for commands that read an existing
/// office; a missing SQLite file is an error rather than a new, empty office.
async fn open_existing_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.database_url();
    if let Some(path) = serasi_store::sqlite_path(&url) {
        let file = std::path::Path::new(path.split('?').next().unwrap_or(path));
        if !file.exists() {
            anyhow::bail!(
                "no Serasi database at {}; set SERASI_DATA_DIR (or DATABASE_URL) to the office's data folder",
                file.display()
            );
        }
    }
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(store)
}

/// Creates an empty SQLite file readable only by its owner, so the
/// database (password hashes, TOTP secrets) is not world-readable.
/// An existing file keeps its permissions.
fn create_private_file(path: &std::path::Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !parent.is_dir() {
        anyhow::bail!(
            "cannot create SQLite database {}: folder {} does not exist",
            path.display(),
            parent.display()
        );
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).with_context(|| {
        format!(
            "cannot create SQLite database {}; check that its folder is writable",
            path.display()
        )
    })?;
    Ok(())
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
    install_panic_hook();
    let is_server = matches!(cli.command, Command::Serve);
    match run(cli.command, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // A server reports through its log (which may be JSON); other
            // commands print the error once for the person at the terminal.
            if is_server {
                tracing::error!(error = format!("{e:#}"), "serasi failed");
            } else {
                eprintln!("serasi: {e:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// Reports panics through the log, inside the current request's span, so
/// a JSON log stays JSON and the panic carries the request id.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(%location, panic_message = %message, "panic");
    }));
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
            let report = bootstrap::load_reference(&store).await?;
            println!(
                "Reference data: {} organisations and {} classification codes added, {} defects reported.",
                report.organizations_added,
                report.classifications_added,
                report.warnings.len()
            );
            Ok(())
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
            demo::fill(&store, &config).await
        }
        Command::Ca(CaCommand::Init) => {
            let store = open_store(&config).await?;
            pdfcli::ca_init(&store, &config).await
        }
        Command::Ca(CaCommand::List) => {
            let store = open_existing_store(&config).await?;
            pdfcli::ca_list(&store).await
        }
        Command::Ca(CaCommand::Revoke { serial, reason }) => {
            let store = open_existing_store(&config).await?;
            pdfcli::ca_revoke(&store, &serial, &reason).await
        }
        Command::Bsre(BsreCommand::Status { nik }) => pdfcli::bsre_status(&config, &nik).await,
        Command::Bsre(BsreCommand::Verify { file }) => pdfcli::bsre_verify(&config, &file).await,
        Command::Verify { file } => {
            let store = open_existing_store(&config).await?;
            pdfcli::verify(&store, &config, &file).await
        }
        Command::ExportPdf { document, out } => {
            let store = open_existing_store(&config).await?;
            pdfcli::export(&store, &config, &document, &out).await
        }
    }
}
