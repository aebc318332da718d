//! Entity identifiers. Each entity has its own type so that an employee id
//! can never be passed where a position id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Creates a fresh, time-ordered identifier (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

entity_id!(
    /// Identifier of an organisation: the regency, an agency, a unit, a
    /// kecamatan or a village.
    OrganizationId
);
entity_id!(
    /// Identifier of a position (*jabatan*).
    PositionId
);
entity_id!(
    /// Identifier of an employee (ASN or village official).
    EmployeeId
);
entity_id!(
    /// Identifier of a login account.
    UserId
);
entity_id!(
    /// Identifier of an API token.
    ApiTokenId
);
entity_id!(
    /// Identifier of an official document (*naskah dinas*).
    DocumentId
);
entity_id!(
    /// Identifier of a signing delegation (a.n., u.b., Plt. or Plh.).
    DelegationId
);
entity_id!(
    /// Identifier of an incoming letter (*surat masuk*) in an
    /// organisation's register.
    IncomingId
);
entity_id!(
    /// Identifier of a disposition (*disposisi*): one referral of an
    /// incoming letter to one position.
    DispositionId
);
