use serasi_domain::directory::DirectoryError;
use serasi_domain::tree::TreeError;

/// Errors of the storage layer. Variants other than `Database`, `Migrate`
/// and `Open` describe bad input and map to 4xx answers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL scheme {0:?}: use sqlite:PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot open SQLite database {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database schema is not up to date; run `serasi migrate`")]
    PendingMigrations,
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{field} {value:?} is already used")]
    Duplicate { field: &'static str, value: String },
    #[error(transparent)]
    Invalid(#[from] DirectoryError),
    #[error("invalid parent: {0}")]
    Tree(#[from] TreeError),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl StoreError {
    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// Whether the error is the caller's fault rather than the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            StoreError::Database(_)
                | StoreError::Migrate(_)
                | StoreError::Open { .. }
                | StoreError::UnsupportedUrl(_)
                | StoreError::PendingMigrations
                | StoreError::Corrupt(_)
                | StoreError::Hash(_)
        )
    }
}

/// Maps a unique-constraint violation to a `Duplicate` error on `field`;
/// every other error passes through.
pub(crate) fn unique_as(
    field: &'static str,
    value: &str,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    let value = value.to_owned();
    move |err| match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate { field, value }
        }
        _ => StoreError::Database(err),
    }
}
