use serasi_domain::authority::{AuthorityError, DelegationError};
use serasi_domain::directory::{DirectoryError, OrganizationKind};
use serasi_domain::document::{DraftError, TransitionError};
use serasi_domain::numbering::TemplateError;
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
    #[error("the draft was changed meanwhile; the newest revision is {current}")]
    StaleRevision { current: i64 },
    #[error("number {number} is already taken by document {document_id}")]
    NumberTaken { number: String, document_id: String },
    #[error("that number would skip serials; the next free number is {next}")]
    NumberWouldSkip { next: String },
    #[error("the delegation is still used by a u.b. delegation; remove that first")]
    DelegationInUse,
    #[error("one of your exports is still running; wait for it to finish")]
    ExportRunning,
}

/// A document action that breaks a rule of the correspondence workflow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRule {
    #[error("unknown document kind {0:?}")]
    UnknownKind(String),
    #[error("document kind {0:?} is retired")]
    KindRetired(String),
    #[error("unknown classification code {0:?}")]
    UnknownClassification(String),
    #[error("only the author may do this")]
    NotAuthor,
    #[error("your account is not linked to an employee")]
    NoEmployee,
    #[error("you do not hold a position, so you cannot draft documents")]
    NoPosition,
    #[error("a comment is required")]
    CommentRequired,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("it is not your turn to initial this document")]
    NotYourTurn,
    #[error("you already initialled this revision")]
    AlreadyInitialled,
    #[error("the letter date may not lie in the future")]
    FutureDate,
    #[error("the letter date must lie in this year or the previous one")]
    DateTooOld,
    #[error("number {number:?} does not fit the series; expected a number like {example}")]
    NumberMismatch { number: String, example: String },
    #[error("the insert number needs serial {0} to exist")]
    InsertWithoutBase(String),
    #[error("the kind already has numbers this year; change its series scope from 1 January")]
    ScopeInUse,
    #[error("the letter is dated before every number of its series this year")]
    BeforeFirstNumber,
    #[error("a document has at most {0} attachments")]
    TooManyAttachments(i64),
    #[error("the numbering template of this kind is invalid: {0}")]
    Template(#[from] TemplateError),
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
    #[error(transparent)]
    Draft(#[from] DraftError),
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    #[error(transparent)]
    Delegation(#[from] DelegationError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Rule(#[from] DocumentRule),
    #[error(transparent)]
    Kind(#[from] serasi_domain::document::KindError),
    #[error(transparent)]
    Seal(#[from] crate::pdfs::SealFailure),
    #[error(transparent)]
    Incoming(#[from] serasi_domain::incoming::IncomingError),
    #[error(transparent)]
    Disposition(#[from] serasi_domain::disposition::DispositionError),
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
                | StoreError::Seal(_)
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
