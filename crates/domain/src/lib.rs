//! Serasi's domain: identifiers, validation rules and the organisation
//! directory's invariants. Nothing here depends on HTTP or SQL.

pub mod authority;
pub mod body;
pub mod classification;
pub mod directory;
pub mod disposition;
pub mod document;
pub mod ids;
pub mod incoming;
pub mod nip;
pub mod numbering;
pub mod rank;
pub mod refdata;
pub mod search;
pub mod text;
pub mod tree;
pub mod user;
pub mod wib;

pub use ids::{
    ApiTokenId, DelegationId, DispositionId, DocumentId, EmployeeId, IncomingId, OrganizationId,
    PositionId, UserId,
};
