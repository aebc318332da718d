//! Serasi's storage on SQLite or PostgreSQL. Each repository function contains
//! its SQL once and runs it on whichever pool the URL selected; the two
//! migration trees keep the same tables and columns.

mod accounts;
mod audit;
mod directory;
pub mod dispositions;
mod documents;
mod error;
pub mod files;
pub mod import;
pub mod incoming;
pub mod pdfs;
mod reference;
pub mod registers;
pub mod search;
#[cfg(feature = "test-support")]
pub mod testing;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub use accounts::{
    ApiTokenInfo, LoginError, LoginThrottle, NewUser, PasswordChange, Session, User, random_secret,
};
pub use audit::AuditEntry;
pub use directory::{DirectoryStats, EmployeeHit, PositionView};
pub use documents::{
    Actor, AttachmentView, CancelledNumber, DeliveryView, DispatchLine, DocumentIdColumn,
    DocumentSummary, DocumentView, EventView, MAX_ATTACHMENTS, NewDraftSave, PositionHit, Queue,
    QueueCounts, QueueFilter, QueuePage, RecipientView, ReviewView, RevisionView, SignRequest,
};
pub use error::{Conflict, DocumentRule, StoreError};
pub use reference::{ClassificationRow, LoadReport};

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connection pools of the selected backend. SQLite gets one writer
/// connection beside its readers, so writers queue instead of failing with
/// `SQLITE_BUSY`.
#[derive(Clone, Debug)]
enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Database engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pools: Pools,
}

/// Runs `$body` with `$pool` bound to a pool that may read.
macro_rules! read {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { read: $pool, .. } => $body,
            $crate::Pools::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to a pool that may write.
macro_rules! write {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { write: $pool, .. } => $body,
            $crate::Pools::Postgres($pool) => $body,
        }
    };
}

/// Defines the enclosed functions twice, in a `sqlite` and a `postgres`
/// module, with `Conn` as that backend's connection type. The SQL is
/// written once and type-checked against each driver.
macro_rules! both_backends {
    ($($item:item)*) => {
        pub(crate) mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            pub(crate) type Conn = sqlx::SqliteConnection;
            #[allow(dead_code)]
            pub(crate) const IS_POSTGRES: bool = false;
            #[allow(unused_imports)]
            use crate::directory::sqlite as directory_db;
            #[allow(unused_imports)]
            use crate::documents::sqlite as documents_db;
            #[allow(unused_imports)]
            use crate::search::sqlite as search_db;
            #[allow(unused_imports)]
            use crate::incoming::sqlite as incoming_db;
            $($item)*
        }
        pub(crate) mod postgres {
            #[allow(unused_imports)]
            use super::*;
            pub(crate) type Conn = sqlx::PgConnection;
            #[allow(dead_code)]
            pub(crate) const IS_POSTGRES: bool = true;
            #[allow(unused_imports)]
            use crate::directory::postgres as directory_db;
            #[allow(unused_imports)]
            use crate::documents::postgres as documents_db;
            #[allow(unused_imports)]
            use crate::search::postgres as search_db;
            #[allow(unused_imports)]
            use crate::incoming::postgres as incoming_db;
            $($item)*
        }
    };
}

/// Runs `$body` inside one write transaction, with `$conn` the connection
/// and `$q` the current module's backend-specific functions. The
/// transaction commits when `$body` returns `Ok` and rolls back otherwise.
macro_rules! tx {
    ($store:expr, |$conn:ident, $q:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { write, .. } => {
                use self::sqlite as $q;
                let mut tx = write.begin().await?;
                let $conn: &mut sqlx::SqliteConnection = &mut *tx;
                let result = $body;
                if result.is_ok() {
                    tx.commit().await?;
                }
                result
            }
            $crate::Pools::Postgres(pool) => {
                use self::postgres as $q;
                let mut tx = pool.begin().await?;
                let $conn: &mut sqlx::PgConnection = &mut *tx;
                let result = $body;
                if result.is_ok() {
                    tx.commit().await?;
                }
                result
            }
        }
    };
}

/// Runs `$body` on one reading connection; see `tx!`.
macro_rules! rd {
    ($store:expr, |$conn:ident, $q:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { read, .. } => {
                use self::sqlite as $q;
                let mut connection = read.acquire().await?;
                let $conn: &mut sqlx::SqliteConnection = &mut *connection;
                $body
            }
            $crate::Pools::Postgres(pool) => {
                use self::postgres as $q;
                let mut connection = pool.acquire().await?;
                let $conn: &mut sqlx::PgConnection = &mut *connection;
                $body
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use {both_backends, rd, read, tx, write};

impl Store {
    /// Opens the database named by `url`: `sqlite:PATH` (created when
    /// missing) or `postgres://…`. Any other scheme is an error.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if let Some(path) = sqlite_path(url) {
            Self::open_sqlite(path).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url).await
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    async fn open_sqlite(path: &str) -> Result<Store, StoreError> {
        let file = path.split('?').next().unwrap_or(path);
        if let Some(dir) = Path::new(file)
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            return Err(StoreError::Open {
                path: file.to_owned(),
                reason: format!("folder {} does not exist", dir.display()),
            });
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let open_err = |e: sqlx::Error| StoreError::Open {
            path: file.to_owned(),
            reason: e.to_string(),
        };
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(open_err)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await
            .map_err(open_err)?;
        Ok(Store {
            pools: Pools::Sqlite { read, write },
        })
    }

    async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        // JIT compilation costs seconds on the search query's large
        // expression and never pays back on queries of this size.
        let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
        // One direct connection first, so a refused connection or a wrong
        // password is reported as such rather than as a pool timeout.
        let probe = <sqlx::PgConnection as sqlx::Connection>::connect_with(&options).await?;
        sqlx::Connection::close(probe).await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Store {
            pools: Pools::Postgres(pool),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock,
    /// so several servers starting at once migrate only once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATOR.run(write).await?,
            Pools::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Checks that the database responds and every migration is applied.
    pub async fn readiness(&self) -> Result<(), StoreError> {
        let expected = match self.backend() {
            Backend::Sqlite => SQLITE_MIGRATOR.iter().count(),
            Backend::Postgres => POSTGRES_MIGRATOR.iter().count(),
        };
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE";
        let applied: i64 = read!(self, |pool| sqlx::query_scalar(sql).fetch_one(pool).await)?;
        if usize::try_from(applied).unwrap_or(0) < expected {
            return Err(StoreError::PendingMigrations);
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

/// Returns the file path (with any `?options`) of a `sqlite:` URL:
/// `sqlite:data/x.db` and `sqlite://data/x.db` are relative,
/// `sqlite:///srv/x.db` is absolute.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    // SQLite's own URI form `file:PATH` names the same file.
    Some(rest.strip_prefix("file:").unwrap_or(rest))
}

/// Current time as Unix epoch milliseconds, the unit of every timestamp
/// column.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Converts epoch milliseconds back to a UTC instant.
pub fn from_ms(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}
