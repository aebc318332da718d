use serasi_domain::directory::{DirectoryError, OrganizationKind};
use serasi_domain::tree::TreeError;

/// A change that contradicts data already stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error(
        "the organisation still has sub-organisations, positions or employees; move or delete them first"
    )]
    OrganizationInUse,
    #[error(
        "cannot change the kind to {kind}: a sub-organisation of kind {child} may not sit under it"
    )]
    KindChange {
        kind: OrganizationKind,
        child: OrganizationKind,
    },
    #[error("the employee already holds another position")]
    HolderTaken,
    #[error("the position {0:?} already has a holder")]
    PositionFilled(String),
    #[error("a superior position must be in the same organisation or in one above it")]
    ParentPositionOutside,
    #[error("other positions still report to this one; move them first")]
    PositionHasChildren,
    #[error("the move would leave positions reporting outside their line of organisations")]
    OrgMoveBreaksPositions,
    #[error("the tree already has a regency at the top")]
    SecondRegency,
}

/// Errors of the storage layer. Variants other than `Database`, `Migrate`,
/// `Open`, `UnsupportedUrl`, `PendingMigrations`, `Corrupt` and `Hash`
/// describe bad input and map to 4xx responses.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL: it must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("cannot open SQLite database {path}: {reason}")]
    Open { path: String, reason: String },
    /// The driver's message is part of the text and not a separate source,
    /// so an error chain prints it once.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
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
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Database(err)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(err)
    }
}

impl StoreError {
    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// Checks whether the error is the caller's fault rather than the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            StoreError::Database(_)
                | StoreError::Migrate(_)
                | StoreError::Open { .. }
                | StoreError::UnsupportedUrl
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

/// Maps a unique-constraint violation on a position's holder to
/// [`Conflict::HolderTaken`].
pub(crate) fn holder_taken(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => Conflict::HolderTaken.into(),
        _ => StoreError::Database(err),
    }
}
