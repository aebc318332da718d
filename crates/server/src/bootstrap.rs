//! First start and account operations shared by the subcommands.

use std::path::Path;

use anyhow::{Context, bail};
use serasi_domain::user::{Role, parse_username};
use serasi_store::import::{ImportError, ImportKind};
use serasi_store::{NewUser, PasswordChange, Store};
use serasi_web::{AppState, WebConfig};

use crate::config::Config;
use crate::open_store;

/// Loads the shipped reference data and logs each defect found in it. A
/// second load adds nothing and so reports nothing.
pub async fn load_reference(store: &Store) -> anyhow::Result<serasi_store::LoadReport> {
    let report = store.load_reference_data().await?;
    for warning in &report.warnings {
        tracing::warn!(%warning, "reference data defect");
    }
    if report.organizations_added > 0 || report.classifications_added > 0 {
        tracing::info!(
            organizations = report.organizations_added,
            classifications = report.classifications_added,
            warnings = report.warnings.len(),
            "reference data loaded"
        );
    }
    Ok(report)
}

/// Creates the `admin` account on an empty database and prints its
/// one-time password. Returns whether it did.
async fn create_first_admin(store: &Store) -> anyhow::Result<bool> {
    if store.count_users().await? > 0 {
        return Ok(false);
    }
    let password = serasi_web::api::one_time_password();
    let new = NewUser {
        username: "admin",
        password: &password,
        role: Role::Admin,
        employee_id: None,
        is_demo: false,
        must_change_password: true,
    };
    match store.create_user(&new).await {
        Ok(_) => {}
        // Another server sharing the database created it a moment ago.
        Err(serasi_store::StoreError::Duplicate { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let notice = format!(
        "Serasi first start: the administrator account was created.\n  username: admin\n  \
         password: {password}\nThe first login asks for a new password; this one is not shown again.\n\
         If it is lost, run `serasi admin reset-password admin`.\n"
    );
    // A closed standard output must not stop the server; the password can
    // then be reset from the command line.
    let mut stdout = std::io::stdout().lock();
    if std::io::Write::write_all(&mut stdout, notice.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout))
        .is_err()
    {
        tracing::error!(
            "cannot print the administrator's one-time password; run `serasi admin reset-password admin`"
        );
    }
    Ok(true)
}

fn web_config(config: &Config) -> WebConfig {
    WebConfig {
        session_lifetime: std::time::Duration::from_secs(config.session_hours * 3600),
        secure_cookies: config.secure_cookies,
        max_body_bytes: config.max_upload_mb * 1024 * 1024,
        max_file_bytes: config.max_file_mb * 1024 * 1024,
        trust_forwarded_for: config.trust_forwarded_for,
        files: config.file_storage(),
        trusted_origins: Some(config.public_url.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty())
            .into_iter()
            .collect(),
        signing: config.signing(),
        ..WebConfig::default()
    }
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        data_dir = %config.data_dir.display(),
        "starting serasi"
    );
    // The port is taken first, so a busy port stops the start before the
    // first administrator's password is printed.
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let store = open_store(&config).await?;
    tracing::info!(backend = store.backend().as_str(), "database ready");
    // The file storage is checked before the first administrator's
    // password is printed, so a wrong bucket or key stops the start first.
    // object_store's messages already contain their causes, so its errors
    // go on as one message rather than as a chain that repeats them.
    let state =
        AppState::new(store.clone(), web_config(&config)).map_err(|e| anyhow::anyhow!("{e}"))?;
    state
        .files()
        .probe()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(location = state.files().location(), "file storage ready");
    load_reference(&store).await?;
    create_first_admin(&store).await?;
    if config.signer == "local" {
        let name = serasi_web::signing::installation_name(&store).await?;
        let (ca, created) = serasi_web::signing::ensure_ca(&store, &config.ca_dir(), &name).await?;
        if created {
            tracing::info!(dir = %config.ca_dir().display(), "created the certificate authority");
        } else if !ca.has_key() {
            tracing::warn!(
                dir = %config.ca_dir().display(),
                "the CA private key is not on this server; new signers cannot get certificates here"
            );
        }
    }

    let app = serasi_web::router(state);
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(
        &mut stdout,
        format!("Serasi is running at http://{address}/\n").as_bytes(),
    )
    .ok();
    drop(stdout);
    serasi_web::serve(listener, app, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => tracing::error!(error = %e, "cannot listen for SIGTERM"),
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

pub async fn reset_password(store: &Store, username: &str) -> anyhow::Result<()> {
    let username = parse_username(username)?;
    let Some(user) = store.user_by_username(&username).await? else {
        bail!("no account named {username:?}");
    };
    let password = serasi_web::api::one_time_password();
    store
        .set_password(user.id, &password, PasswordChange::Reset)
        .await?;
    store
        .audit(
            None,
            "user.password.reset",
            "user",
            &user.id.to_string(),
            serde_json::json!({ "via": "cli" }),
        )
        .await?;
    println!("New one-time password for {username}: {password}");
    println!(
        "The account is unlocked; its sessions have ended, its API tokens are revoked and TOTP is off. \
         The new password must be changed at the next login."
    );
    Ok(())
}

pub async fn create_user(
    store: &Store,
    username: &str,
    role: &str,
    employee: Option<&str>,
) -> anyhow::Result<()> {
    let username = parse_username(username)?;
    let role: Role = role.parse()?;
    let employee_id = match employee {
        Some(identifier) => {
            let identifier: String = identifier.chars().filter(|c| !c.is_whitespace()).collect();
            let found = store.employee_by_identifier(&identifier).await?;
            Some(
                found
                    .with_context(|| format!("no employee with identifier {identifier}"))?
                    .id,
            )
        }
        None => None,
    };
    let password = serasi_web::api::one_time_password();
    let new = NewUser {
        username: &username,
        password: &password,
        role,
        employee_id,
        is_demo: false,
        must_change_password: true,
    };
    let user = store.create_user(&new).await?;
    store
        .audit(
            None,
            "user.create",
            "user",
            &user.id.to_string(),
            serde_json::json!({ "via": "cli", "role": role }),
        )
        .await?;
    println!("Created {username} ({role}); one-time password: {password}");
    Ok(())
}

pub async fn import_file(store: &Store, kind: ImportKind, path: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rows = serasi_web::tabular::read_rows(&bytes, kind)
        .with_context(|| format!("{}", path.display()))?;
    match store.import_directory(kind, &rows).await {
        Ok(count) => {
            println!("Imported {count} rows from {}.", path.display());
            Ok(())
        }
        Err(ImportError::Rows(errors)) => {
            let t = serasi_web::i18n::Tr::new(serasi_web::i18n::Locale::En);
            for e in &errors {
                let reason = serasi_web::messages::row_problem(t, &e.problem);
                eprintln!(
                    "{}: line {}, column {}: {reason}",
                    path.display(),
                    e.line,
                    e.column
                );
            }
            bail!("{} rows have errors; nothing was imported", errors.len())
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
