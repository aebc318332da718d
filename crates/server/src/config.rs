//! Configuration: built-in defaults, then an optional TOML file, then
//! `SERASI_*` environment variables (and `DATABASE_URL`), each layer
//! overriding the one before.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serasi_store::files::{FileStorage, S3Settings};
use serde::{Deserialize, Serialize};

/// The effective configuration of one `serasi` process.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder for the SQLite database and stored files; created on start.
    pub data_dir: PathBuf,
    /// Address and port the server listens on.
    pub bind: String,
    /// `sqlite:PATH` or `postgres://…`; empty means SQLite in `data_dir`.
    pub database_url: String,
    /// `text` or `json`.
    pub log_format: String,
    /// A tracing filter such as `info` or `info,sqlx=warn`.
    pub log_level: String,
    /// The public address behind a reverse proxy, such as
    /// `https://office.semarangkab.go.id`; forms posted from it are trusted.
    pub public_url: String,
    /// Hours a login session lasts.
    pub session_hours: u64,
    /// Mark cookies `Secure` (turn on when served over HTTPS).
    pub secure_cookies: bool,
    /// Largest request body, in megabytes; it bounds every upload.
    pub max_upload_mb: usize,
    /// Largest attached file, scan or checked PDF, in megabytes; at most
    /// `max_upload_mb`.
    pub max_file_mb: usize,
    /// File storage backend: `local` (`files` inside `data_dir`) or `s3`
    /// (the bucket below).
    pub storage: String,
    /// Base URL of an S3-compatible service, such as
    /// `https://s3.example.go.id`; empty means Amazon S3 in `s3_region`.
    pub s3_endpoint: String,
    /// Bucket for the files; required with `storage = "s3"`.
    pub s3_bucket: String,
    /// Region the requests are signed for.
    pub s3_region: String,
    /// Access key id; masked by `serasi config`.
    pub s3_access_key: String,
    /// Secret access key; masked by `serasi config`.
    pub s3_secret_key: String,
    /// Accept a plain `http://` `s3_endpoint`; keep it off unless the
    /// service is on a trusted network.
    pub s3_allow_http: bool,
    /// Take the client address from `X-Forwarded-For` (for the login
    /// throttle); turn on only behind a reverse proxy that sets it.
    pub trust_forwarded_for: bool,
    /// The signing backend: `local` (the installation's own certificate
    /// authority) or `bsre` (BSrE's signing service).
    pub signer: String,
    /// Folder of the root certificate and its private key; empty means
    /// `ca` inside `data_dir`. Servers sharing a database share this folder.
    pub ca_dir: PathBuf,
    /// Base URL of the BSrE eSign API, such as `https://esign.example.go.id`.
    pub bsre_url: String,
    /// HTTP Basic user name for the BSrE API.
    pub bsre_username: String,
    /// HTTP Basic password for the BSrE API; masked by `serasi config`.
    pub bsre_password: String,
    /// Seconds to wait for one BSrE response.
    pub bsre_timeout_secs: u64,
    /// Attempts per BSrE call when it times out or cannot connect.
    pub bsre_attempts: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("serasi-data"),
            bind: "127.0.0.1:8080".into(),
            database_url: String::new(),
            log_format: "text".into(),
            log_level: "info,sqlx=warn".into(),
            public_url: String::new(),
            session_hours: 12,
            secure_cookies: false,
            max_upload_mb: 10,
            max_file_mb: 10,
            storage: "local".into(),
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key: String::new(),
            s3_secret_key: String::new(),
            s3_allow_http: false,
            trust_forwarded_for: false,
            signer: "local".into(),
            ca_dir: PathBuf::new(),
            bsre_url: String::new(),
            bsre_username: String::new(),
            bsre_password: String::new(),
            bsre_timeout_secs: 30,
            bsre_attempts: 3,
        }
    }
}

impl Config {
    /// Loads defaults, the TOML file at `file` (if given) and the
    /// environment, in that order.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read configuration file {}", path.display())
                })?;
                // The parser's own message quotes the offending line, which
                // may hold a password, so only its position is reported.
                toml::from_str(&text).map_err(|e| {
                    let line = e.span().map_or(0, |span| {
                        text[..span.start.min(text.len())].matches('\n').count() + 1
                    });
                    anyhow::anyhow!(
                        "invalid configuration file {} at line {line}: {}",
                        path.display(),
                        e.message()
                    )
                })?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.check()?;
        Ok(config)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let parse_bool = |name: &str, v: &str| match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => bail!("{name}={v:?} is not a boolean; use true or false"),
        };
        if let Some(v) = get("SERASI_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("SERASI_BIND") {
            self.bind = v;
        }
        if let Some(v) = get("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("SERASI_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("SERASI_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("SERASI_LOG_LEVEL") {
            self.log_level = v;
        }
        if let Some(v) = get("SERASI_PUBLIC_URL") {
            self.public_url = v;
        }
        if let Some(v) = get("SERASI_SESSION_HOURS") {
            self.session_hours = v.trim().parse().with_context(|| {
                format!("SERASI_SESSION_HOURS={v:?} is not a whole number of hours")
            })?;
        }
        if let Some(v) = get("SERASI_SECURE_COOKIES") {
            self.secure_cookies = parse_bool("SERASI_SECURE_COOKIES", &v)?;
        }
        if let Some(v) = get("SERASI_TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = parse_bool("SERASI_TRUST_FORWARDED_FOR", &v)?;
        }
        if let Some(v) = get("SERASI_SIGNER") {
            self.signer = v.trim().to_owned();
        }
        if let Some(v) = get("SERASI_CA_DIR") {
            self.ca_dir = PathBuf::from(v);
        }
        if let Some(v) = get("SERASI_BSRE_URL") {
            self.bsre_url = v;
        }
        if let Some(v) = get("SERASI_BSRE_USERNAME") {
            self.bsre_username = v;
        }
        if let Some(v) = get("SERASI_BSRE_PASSWORD") {
            self.bsre_password = v;
        }
        if let Some(v) = get("SERASI_BSRE_TIMEOUT_SECS") {
            self.bsre_timeout_secs = v.trim().parse().with_context(|| {
                format!("SERASI_BSRE_TIMEOUT_SECS={v:?} is not a whole number of seconds")
            })?;
        }
        if let Some(v) = get("SERASI_BSRE_ATTEMPTS") {
            self.bsre_attempts = v
                .trim()
                .parse()
                .with_context(|| format!("SERASI_BSRE_ATTEMPTS={v:?} is not a whole number"))?;
        }
        if let Some(v) = get("SERASI_MAX_UPLOAD_MB") {
            self.max_upload_mb = v.trim().parse().with_context(|| {
                format!("SERASI_MAX_UPLOAD_MB={v:?} is not a whole number of megabytes")
            })?;
        }
        if let Some(v) = get("SERASI_MAX_FILE_MB") {
            self.max_file_mb = v.trim().parse().with_context(|| {
                format!("SERASI_MAX_FILE_MB={v:?} is not a whole number of megabytes")
            })?;
        }
        self.apply_storage_env(&get, parse_bool)
    }

    fn apply_storage_env(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
        parse_bool: impl Fn(&str, &str) -> anyhow::Result<bool>,
    ) -> anyhow::Result<()> {
        if let Some(v) = get("SERASI_STORAGE") {
            self.storage = v.trim().to_owned();
        }
        if let Some(v) = get("SERASI_S3_ENDPOINT") {
            self.s3_endpoint = v.trim().to_owned();
        }
        if let Some(v) = get("SERASI_S3_BUCKET") {
            self.s3_bucket = v.trim().to_owned();
        }
        if let Some(v) = get("SERASI_S3_REGION") {
            self.s3_region = v.trim().to_owned();
        }
        if let Some(v) = get("SERASI_S3_ACCESS_KEY") {
            self.s3_access_key = v;
        }
        if let Some(v) = get("SERASI_S3_SECRET_KEY") {
            self.s3_secret_key = v;
        }
        if let Some(v) = get("SERASI_S3_ALLOW_HTTP") {
            self.s3_allow_http = parse_bool("SERASI_S3_ALLOW_HTTP", &v)?;
        }
        Ok(())
    }

    fn check(&self) -> anyhow::Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!(
                "log_format {:?} is invalid; use text or json",
                self.log_format
            );
        }
        if self.session_hours == 0 || self.session_hours > 24 * 30 {
            bail!(
                "session_hours {} is out of range; use 1 to 720",
                self.session_hours
            );
        }
        if self.max_upload_mb == 0 || self.max_upload_mb > 1024 {
            bail!(
                "max_upload_mb {} is out of range; use 1 to 1024",
                self.max_upload_mb
            );
        }
        if self.max_file_mb == 0 || self.max_file_mb > self.max_upload_mb {
            bail!(
                "max_file_mb {} is out of range; use 1 to max_upload_mb ({}), because a file \
                 travels inside a request body",
                self.max_file_mb,
                self.max_upload_mb
            );
        }
        self.check_storage()?;
        match self.signer.as_str() {
            "local" => {}
            "bsre" => {
                if !(self.bsre_url.starts_with("https://") || self.bsre_url.starts_with("http://"))
                {
                    bail!("signer is bsre, so bsre_url must be an http:// or https:// address");
                }
                if self.bsre_timeout_secs == 0 || self.bsre_timeout_secs > 300 {
                    bail!(
                        "bsre_timeout_secs {} is out of range; use 1 to 300",
                        self.bsre_timeout_secs
                    );
                }
                if self.bsre_attempts == 0 || self.bsre_attempts > 10 {
                    bail!(
                        "bsre_attempts {} is out of range; use 1 to 10",
                        self.bsre_attempts
                    );
                }
            }
            other => bail!("signer {other:?} is invalid; use local or bsre"),
        }
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            // The value is not echoed: it may be a connection string with
            // a password in it.
            let scheme = url
                .split_once("://")
                .map(|(scheme, _)| scheme)
                .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'))
                .unwrap_or("(none)");
            bail!(
                "database URL scheme {scheme:?} is not supported; use sqlite:PATH or postgres://USER@HOST/DB"
            );
        }
        Ok(())
    }

    fn check_storage(&self) -> anyhow::Result<()> {
        match self.storage.as_str() {
            "local" => return Ok(()),
            "s3" => {}
            other => bail!("storage {other:?} is invalid; use local or s3"),
        }
        if !valid_bucket_name(&self.s3_bucket) {
            bail!(
                "storage is s3, so s3_bucket must be a bucket name of 3 to 63 lowercase \
                 letters, digits, dots and hyphens (got {:?})",
                self.s3_bucket
            );
        }
        if self.s3_region.is_empty() || self.s3_region.contains(char::is_whitespace) {
            bail!(
                "s3_region {:?} is invalid; use a region name such as us-east-1",
                self.s3_region
            );
        }
        if self.s3_access_key.is_empty() || self.s3_secret_key.is_empty() {
            bail!("storage is s3, so s3_access_key and s3_secret_key must both be set");
        }
        let endpoint = self.s3_endpoint.as_str();
        let https = endpoint.starts_with("https://");
        let http = endpoint.starts_with("http://");
        if !(endpoint.is_empty() || https || http) {
            // The value is not echoed: it may carry credentials.
            bail!("s3_endpoint must be an http:// or https:// address, or empty for Amazon S3");
        }
        if endpoint.contains('@') {
            bail!(
                "s3_endpoint must not contain a user name or password; set s3_access_key and \
                 s3_secret_key instead"
            );
        }
        if http && !self.s3_allow_http {
            bail!(
                "s3_endpoint is a plain http:// address; use https://, or set \
                 s3_allow_http = true for a service on a trusted network"
            );
        }
        Ok(())
    }

    /// Returns the file storage: the S3 bucket, or `files` inside the data
    /// folder.
    pub fn file_storage(&self) -> FileStorage {
        if self.storage == "s3" {
            FileStorage::S3(S3Settings {
                endpoint: self.s3_endpoint.trim_end_matches('/').to_owned(),
                bucket: self.s3_bucket.clone(),
                region: self.s3_region.clone(),
                access_key: self.s3_access_key.clone(),
                secret_key: self.s3_secret_key.clone(),
                allow_http: self.s3_allow_http,
            })
        } else {
            FileStorage::Local(self.data_dir.join("files"))
        }
    }

    /// Returns the CA folder, defaulting to `ca` inside the data folder.
    pub fn ca_dir(&self) -> PathBuf {
        if self.ca_dir.as_os_str().is_empty() {
            self.data_dir.join("ca")
        } else {
            self.ca_dir.clone()
        }
    }

    /// Returns the origin printed in QR codes: the public URL, or the listen
    /// address when none is set.
    pub fn public_origin(&self) -> String {
        let url = self.public_url.trim().trim_end_matches('/');
        if url.is_empty() {
            format!("http://{}", self.bind)
        } else {
            url.to_owned()
        }
    }

    /// Signing settings for the web application.
    pub fn signing(&self) -> serasi_web::signing::SigningConfig {
        let signer = if self.signer == "bsre" {
            serasi_web::signing::SignerChoice::Bsre(serasi_pdf::bsre::BsreConfig {
                base_url: self.bsre_url.trim().trim_end_matches('/').to_owned(),
                username: self.bsre_username.clone(),
                password: self.bsre_password.clone(),
                timeout: std::time::Duration::from_secs(self.bsre_timeout_secs),
                attempts: self.bsre_attempts,
            })
        } else {
            serasi_web::signing::SignerChoice::Local
        };
        serasi_web::signing::SigningConfig {
            signer,
            ca_dir: self.ca_dir(),
            public_url: self.public_origin(),
        }
    }

    /// Returns the database URL, defaulting to SQLite inside the data folder.
    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!("sqlite:{}", self.data_dir.join("serasi.sqlite").display())
        } else {
            self.database_url.trim().to_owned()
        }
    }

    /// Renders the configuration as TOML with the database password masked.
    pub fn to_masked_toml(&self) -> anyhow::Result<String> {
        let mut masked = self.clone();
        masked.database_url = mask_url_password(&self.database_url());
        for secret in [
            &mut masked.bsre_password,
            &mut masked.s3_access_key,
            &mut masked.s3_secret_key,
        ] {
            if !secret.is_empty() {
                *secret = "***".into();
            }
        }
        Ok(toml::to_string_pretty(&masked)?)
    }
}

/// Checks an S3 bucket name: 3 to 63 lowercase letters, digits, dots and
/// hyphens, starting and ending with a letter or digit.
fn valid_bucket_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name.chars().all(allowed)
        && edge(name.chars().next())
        && edge(name.chars().next_back())
}

/// Replaces the password in `scheme://user:password@host/db` and in a
/// `password=` query parameter with `***`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    // The last `@` ends the credentials, which may themselves contain `/`.
    let address = match before_query.rsplit_once('@') {
        Some((credentials, host_and_path)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host_and_path}"),
            None => before_query.to_owned(),
        },
        None => before_query.to_owned(),
    };
    let Some(query) = query else {
        return format!("{scheme}://{address}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            if key.to_ascii_lowercase().contains("password") {
                format!("{key}=***")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{scheme}://{address}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn env_overrides_defaults() {
        let env = HashMap::from([
            ("SERASI_BIND", "0.0.0.0:9000"),
            ("DATABASE_URL", "postgres://u:p@db/serasi"),
            ("SERASI_SECURE_COOKIES", "true"),
        ]);
        let mut config = Config::default();
        config
            .apply_env(|k| env.get(k).map(|v| (*v).to_owned()))
            .expect("valid env");
        assert_eq!(config.bind, "0.0.0.0:9000");
        assert_eq!(config.database_url(), "postgres://u:p@db/serasi");
        assert!(config.secure_cookies);
    }

    #[test]
    fn default_database_is_sqlite_in_data_dir() {
        let config = Config::default();
        assert_eq!(config.database_url(), "sqlite:serasi-data/serasi.sqlite");
    }

    #[test]
    fn unknown_scheme_rejected() {
        let config = Config {
            database_url: "mysql://x".into(),
            ..Config::default()
        };
        let err = config.check().expect_err("mysql is not supported");
        assert!(err.to_string().contains("\"mysql\""), "{err}");
        let keywords = Config {
            database_url: "host=db user=u password=secret".into(),
            ..Config::default()
        };
        let err = keywords.check().expect_err("keyword form is not supported");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn bad_boolean_rejected() {
        let mut config = Config::default();
        let err = config.apply_env(|k| (k == "SERASI_SECURE_COOKIES").then(|| "maybe".to_owned()));
        assert!(err.is_err());
    }

    #[test]
    fn config_file_error_hides_values() {
        let dir = std::env::temp_dir().join(format!("serasi-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("bad.toml");
        std::fs::write(
            &file,
            "bind = \"x\"\ndatabase_url = postgres://u:S3cretPw@db/x\n",
        )
        .expect("write");
        let err = Config::load(Some(&file)).expect_err("unquoted string is invalid");
        let text = format!("{err:#}");
        assert!(!text.contains("S3cretPw"), "{text}");
        assert!(text.contains("line 2"), "{text}");
        std::fs::remove_dir_all(&dir).ok();
    }

    fn s3_config() -> Config {
        Config {
            storage: "s3".into(),
            s3_endpoint: "https://s3.example.go.id/".into(),
            s3_bucket: "serasi-files".into(),
            s3_access_key: "AKIAEXAMPLEKEY".into(),
            s3_secret_key: "rahasia-S3-kunci".into(),
            ..Config::default()
        }
    }

    #[test]
    fn storage_from_env() {
        let env = HashMap::from([
            ("SERASI_STORAGE", "s3"),
            ("SERASI_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("SERASI_S3_BUCKET", "serasi"),
            ("SERASI_S3_REGION", "ap-southeast-3"),
            ("SERASI_S3_ACCESS_KEY", "kunci"),
            ("SERASI_S3_SECRET_KEY", "rahasia"),
            ("SERASI_S3_ALLOW_HTTP", "true"),
            ("SERASI_MAX_FILE_MB", "5"),
        ]);
        let mut config = Config::default();
        config
            .apply_env(|k| env.get(k).map(|v| (*v).to_owned()))
            .expect("valid env");
        config.check().expect("valid S3 settings");
        assert_eq!(config.max_file_mb, 5);
        let FileStorage::S3(s3) = config.file_storage() else {
            panic!("storage is not S3: {:?}", config.file_storage());
        };
        assert_eq!(s3.endpoint, "http://127.0.0.1:9000");
        assert_eq!(s3.bucket, "serasi");
        assert_eq!(s3.region, "ap-southeast-3");
        assert_eq!(s3.access_key, "kunci");
        assert_eq!(s3.secret_key, "rahasia");
        assert!(s3.allow_http);
        let logged = format!("{s3:?}");
        assert!(!logged.contains("kunci"), "{logged}");
        assert!(!logged.contains("rahasia"), "{logged}");
    }

    #[test]
    fn local_storage_in_data_dir() {
        let config = Config::default();
        config.check().expect("defaults are valid");
        let FileStorage::Local(root) = config.file_storage() else {
            panic!("default storage is not local");
        };
        assert_eq!(root, PathBuf::from("serasi-data/files"));
    }

    #[test]
    fn storage_settings_checked() {
        s3_config().check().expect("valid S3 settings");
        let cases = [
            (
                Config {
                    storage: "ftp".into(),
                    ..Config::default()
                },
                "storage \"ftp\" is invalid",
            ),
            (
                Config {
                    s3_bucket: String::new(),
                    ..s3_config()
                },
                "s3_bucket must be a bucket name",
            ),
            (
                Config {
                    s3_bucket: "Serasi_Files".into(),
                    ..s3_config()
                },
                "s3_bucket must be a bucket name",
            ),
            (
                Config {
                    s3_secret_key: String::new(),
                    ..s3_config()
                },
                "s3_access_key and s3_secret_key must both be set",
            ),
            (
                Config {
                    s3_endpoint: "http://minio:9000".into(),
                    ..s3_config()
                },
                "set s3_allow_http = true",
            ),
            (
                Config {
                    s3_endpoint: "ftp://minio".into(),
                    ..s3_config()
                },
                "http:// or https:// address",
            ),
            (
                Config {
                    s3_endpoint: "https://kunci:rahasia@minio".into(),
                    ..s3_config()
                },
                "must not contain a user name or password",
            ),
            (
                Config {
                    s3_region: String::new(),
                    ..s3_config()
                },
                "s3_region \"\" is invalid",
            ),
            (
                Config {
                    max_file_mb: 11,
                    ..Config::default()
                },
                "max_file_mb 11 is out of range; use 1 to max_upload_mb (10)",
            ),
            (
                Config {
                    max_file_mb: 0,
                    ..Config::default()
                },
                "max_file_mb 0 is out of range",
            ),
        ];
        for (config, expected) in cases {
            let err = config.check().expect_err(expected).to_string();
            assert!(err.contains(expected), "{err}");
            assert!(!err.contains("rahasia"), "{err}");
        }
        let http = Config {
            s3_endpoint: "http://minio:9000".into(),
            s3_allow_http: true,
            ..s3_config()
        };
        http.check().expect("plain HTTP allowed on request");
    }

    #[test]
    fn s3_keys_masked() {
        let masked = s3_config().to_masked_toml().expect("serialises");
        assert!(!masked.contains("AKIAEXAMPLEKEY"), "{masked}");
        assert!(!masked.contains("rahasia-S3-kunci"), "{masked}");
        assert!(masked.contains("s3_secret_key = \"***\""), "{masked}");
        assert!(masked.contains("s3_bucket = \"serasi-files\""), "{masked}");
    }

    #[test]
    fn password_masked() {
        assert_eq!(
            mask_url_password("postgres://serasi:s3cret@db:5432/serasi"),
            "postgres://serasi:***@db:5432/serasi"
        );
        assert_eq!(
            mask_url_password("postgres://db/serasi?user=a&password=x"),
            "postgres://db/serasi?user=a&password=***"
        );
        assert_eq!(
            mask_url_password("sqlite:data/serasi.sqlite"),
            "sqlite:data/serasi.sqlite"
        );
        assert_eq!(
            mask_url_password("postgres://serasi:S3cret/Pw@db/x"),
            "postgres://serasi:***@db/x"
        );
        assert_eq!(
            mask_url_password("postgres://db/x?sslpassword=k&sslmode=require"),
            "postgres://db/x?sslpassword=***&sslmode=require"
        );
        let config = Config {
            database_url: "postgres://serasi:s3cret@db/serasi".into(),
            ..Config::default()
        };
        let shown = config.to_masked_toml().expect("serialises");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
