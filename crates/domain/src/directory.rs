//! The organisation directory: kinds of organisation and where each may sit,
//! positions (*jabatan*) and employees.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::nip::{Nip, NipError};

/// Kind of organisation. The tree has two branches under the regency:
/// agencies with their units, and kecamatan with their villages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    /// Pemerintah Kabupaten, the root.
    Regency,
    /// Perangkat daerah: Sekretariat Daerah, dinas, badan, inspektorat.
    Agency,
    /// A bagian, bidang, seksi or UPT inside an agency, or an office inside
    /// a kecamatan or village.
    Unit,
    /// Kecamatan.
    District,
    /// Desa, a self-governing village.
    Village,
    /// Kelurahan, an urban village run by the regency.
    UrbanVillage,
}

impl OrganizationKind {
    pub const ALL: [OrganizationKind; 6] = [
        OrganizationKind::Regency,
        OrganizationKind::Agency,
        OrganizationKind::Unit,
        OrganizationKind::District,
        OrganizationKind::Village,
        OrganizationKind::UrbanVillage,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            OrganizationKind::Regency => "regency",
            OrganizationKind::Agency => "agency",
            OrganizationKind::Unit => "unit",
            OrganizationKind::District => "district",
            OrganizationKind::Village => "village",
            OrganizationKind::UrbanVillage => "urban_village",
        }
    }

    /// Checks whether an organisation of this kind may sit under one of `parent`.
    /// `None` means the root, where only the regency may be.
    pub fn may_sit_under(&self, parent: Option<OrganizationKind>) -> bool {
        use OrganizationKind::*;
        matches!(
            (self, parent),
            (Regency, None)
                | (Agency | District, Some(Regency))
                | (Village | UrbanVillage, Some(District))
                | (
                    Unit,
                    Some(Agency | Unit | District | Village | UrbanVillage)
                )
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown organisation kind {0:?}; expected one of regency, agency, unit, district, village, urban_village"
)]
pub struct UnknownKind(pub String);

impl FromStr for OrganizationKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized = s.trim().to_ascii_lowercase();
        let kind = match normalized.as_str() {
            "regency" | "kabupaten" => OrganizationKind::Regency,
            "agency" | "opd" | "perangkat_daerah" => OrganizationKind::Agency,
            "unit" => OrganizationKind::Unit,
            "district" | "kecamatan" => OrganizationKind::District,
            "village" | "desa" => OrganizationKind::Village,
            "urban_village" | "kelurahan" => OrganizationKind::UrbanVillage,
            _ => return Err(UnknownKind(s.to_owned())),
        };
        Ok(kind)
    }
}

impl fmt::Display for OrganizationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors in directory input, each naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("invalid NIP: {0}")]
    Nip(#[from] NipError),
    #[error("a {kind} cannot sit under {parent}")]
    Placement {
        kind: OrganizationKind,
        parent: String,
    },
    #[error(
        "invalid village official identifier {0:?}: use 1 to 32 letters, digits, '.', '/' or '-'"
    )]
    VillageId(String),
    #[error("invalid e-mail address {0:?}")]
    Email(String),
    #[error("invalid phone number {0:?}: use digits, spaces, '+', '-' or '(' ')'")]
    Phone(String),
    #[error("invalid organisation code {0:?}: use 1 to 32 letters, digits, '.', '-' or '_'")]
    Code(String),
    #[error("invalid rank {0:?}: expected a golongan from I/a to IV/e, such as III/a")]
    Rank(String),
    #[error(
        "unknown organisation kind {0:?}; expected regency, agency, unit, district, village or urban_village"
    )]
    Kind(String),
    #[error("unknown identifier kind {0:?}; expected nip or village")]
    IdentifierKind(String),
    #[error("{field} contains a control character")]
    ControlCharacter { field: &'static str },
}

impl DirectoryError {
    /// Returns the input field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            DirectoryError::Required { field } | DirectoryError::TooLong { field, .. } => field,
            // The NIP is entered in the identifier field of forms and files.
            DirectoryError::Nip(_) => "identifier",
            DirectoryError::IdentifierKind(_) => "identifier_kind",
            DirectoryError::Placement { .. } => "parent",
            DirectoryError::VillageId(_) => "identifier",
            DirectoryError::Email(_) => "email",
            DirectoryError::Phone(_) => "phone",
            DirectoryError::Code(_) => "code",
            DirectoryError::Rank(_) => "rank",
            DirectoryError::Kind(_) => "kind",
            DirectoryError::ControlCharacter { field } => field,
        }
    }
}

/// Rejects control characters such as NUL, which no name or address
/// needs and which PostgreSQL cannot store in text.
fn check_no_control(field: &'static str, value: &str) -> Result<(), DirectoryError> {
    if value.chars().any(char::is_control) {
        return Err(DirectoryError::ControlCharacter { field });
    }
    Ok(())
}

/// Trims `value` and checks it is present, at most `max` characters and
/// free of control characters.
pub fn required_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, DirectoryError> {
    let trimmed = value.trim();
    check_no_control(field, trimmed)?;
    if trimmed.is_empty() {
        return Err(DirectoryError::Required { field });
    }
    if trimmed.chars().count() > max {
        return Err(DirectoryError::TooLong { field, max });
    }
    Ok(trimmed.to_owned())
}

/// Trims an optional value; empty becomes `None`.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, DirectoryError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(DirectoryError::TooLong { field, max }),
        Some(v) => {
            check_no_control(field, v)?;
            Ok(Some(v.to_owned()))
        }
    }
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')
}

/// Validates a short organisation code such as `DISKOMINFO` or `33.22.02`.
pub fn parse_org_code(value: &str) -> Result<Option<String>, DirectoryError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.len() > 32 || !trimmed.chars().all(is_code_char) {
        return Err(DirectoryError::Code(trimmed.to_owned()));
    }
    Ok(Some(trimmed.to_owned()))
}

/// Identifier of an employee: civil servants by NIP, village officials
/// (*perangkat desa*, not ASN) by their own identifier such as a NIPD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum EmployeeIdentifier {
    Nip(Nip),
    Village(String),
}

impl EmployeeIdentifier {
    pub fn kind(&self) -> &'static str {
        match self {
            EmployeeIdentifier::Nip(_) => "nip",
            EmployeeIdentifier::Village(_) => "village",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            EmployeeIdentifier::Nip(nip) => nip.as_str(),
            EmployeeIdentifier::Village(id) => id,
        }
    }

    /// Parses an identifier of the given kind (`nip` or `village`).
    pub fn parse(kind: &str, value: &str) -> Result<Self, DirectoryError> {
        match kind {
            "nip" => Ok(EmployeeIdentifier::Nip(Nip::parse(value)?)),
            "village" => {
                let v = value.trim();
                if v.is_empty() || v.len() > 32 || !v.chars().all(is_code_char) {
                    return Err(DirectoryError::VillageId(v.to_owned()));
                }
                Ok(EmployeeIdentifier::Village(v.to_owned()))
            }
            other => Err(DirectoryError::IdentifierKind(other.to_owned())),
        }
    }
}

/// Validates an optional e-mail address: one `@`, no spaces, a dot in the
/// domain. Deliverability is not checked.
pub fn parse_email(value: Option<&str>) -> Result<Option<String>, DirectoryError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || DirectoryError::Email(v.to_owned());
    check_no_control("email", v)?;
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && v.len() <= 254
        && !v.chars().any(char::is_whitespace);
    if valid {
        Ok(Some(v.to_owned()))
    } else {
        Err(bad())
    }
}

/// Validates an optional phone number.
pub fn parse_phone(value: Option<&str>) -> Result<Option<String>, DirectoryError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'));
    if allowed && (6..=15).contains(&digits) {
        Ok(Some(v.to_owned()))
    } else {
        Err(DirectoryError::Phone(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrganizationKind::*;

    #[test]
    fn placement_rules() {
        assert!(Regency.may_sit_under(None));
        assert!(Agency.may_sit_under(Some(Regency)));
        assert!(Unit.may_sit_under(Some(Agency)));
        assert!(Unit.may_sit_under(Some(Unit)));
        assert!(Village.may_sit_under(Some(District)));
        assert!(!Village.may_sit_under(Some(Regency)));
        assert!(!Agency.may_sit_under(None));
        assert!(!Regency.may_sit_under(Some(Regency)));
        assert!(!District.may_sit_under(Some(Agency)));
    }

    #[test]
    fn kind_accepts_indonesian_names() {
        assert_eq!("kecamatan".parse::<OrganizationKind>(), Ok(District));
        assert_eq!("Desa".parse::<OrganizationKind>(), Ok(Village));
        assert!("dinasti".parse::<OrganizationKind>().is_err());
    }

    #[test]
    fn email_and_phone() {
        assert_eq!(parse_email(Some(" a@b.id ")), Ok(Some("a@b.id".into())));
        assert!(parse_email(Some("a@b")).is_err());
        assert!(parse_email(Some("a b@c.id")).is_err());
        assert_eq!(parse_email(Some("")), Ok(None));
        assert!(parse_phone(Some("+62 24 6923 955")).is_ok());
        assert!(parse_phone(Some("call me")).is_err());
    }

    #[test]
    fn control_characters_rejected() {
        assert_eq!(
            required_text("name", "ad\u{0}min", 50),
            Err(DirectoryError::ControlCharacter { field: "name" })
        );
        assert!(optional_text("address", Some("Jl.\u{7}"), 50).is_err());
        assert!(parse_email(Some("a\u{0}@b.id")).is_err());
        assert_eq!(required_text("name", " Ani ", 50), Ok("Ani".into()));
    }

    #[test]
    fn village_identifier() {
        assert!(EmployeeIdentifier::parse("village", "NIPD-2001/07").is_ok());
        assert!(EmployeeIdentifier::parse("village", "").is_err());
        assert!(EmployeeIdentifier::parse("village", "a b").is_err());
        assert_eq!(
            EmployeeIdentifier::parse("robot", "198609262015051001"),
            Err(DirectoryError::IdentifierKind("robot".into()))
        );
        assert!(matches!(
            EmployeeIdentifier::parse("nip", "123"),
            Err(DirectoryError::Nip(NipError::Length(3)))
        ));
    }
}

/// An organisation in the directory tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: crate::OrganizationId,
    /// Kemendagri region code for regions, a short code for agencies.
    pub code: Option<String>,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<crate::OrganizationId>,
    pub address: Option<String>,
    pub is_demo: bool,
}

/// A position (*jabatan*) inside an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub id: crate::PositionId,
    pub organization_id: crate::OrganizationId,
    pub name: String,
    pub parent_id: Option<crate::PositionId>,
    /// The definitive holder, if the post is filled.
    pub holder_id: Option<crate::EmployeeId>,
    pub is_demo: bool,
}

/// A civil servant or village official.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    pub id: crate::EmployeeId,
    pub identifier: EmployeeIdentifier,
    pub name: String,
    pub rank: Option<crate::rank::Rank>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization_id: crate::OrganizationId,
    pub is_demo: bool,
}

/// Raw organisation input from a form, the API or an import row.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OrganizationInput {
    pub code: Option<String>,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<crate::OrganizationId>,
    pub address: Option<String>,
}

/// Validated organisation fields; placement is checked against the parent
/// by the store, which can see it.
#[derive(Clone, Debug)]
pub struct OrganizationFields {
    pub code: Option<String>,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<crate::OrganizationId>,
    pub address: Option<String>,
}

impl OrganizationInput {
    pub fn validate(&self) -> Result<OrganizationFields, DirectoryError> {
        let kind = match self.kind.trim() {
            "" => return Err(DirectoryError::Required { field: "kind" }),
            text => text
                .parse::<OrganizationKind>()
                .map_err(|_| DirectoryError::Kind(text.to_owned()))?,
        };
        Ok(OrganizationFields {
            code: parse_org_code(self.code.as_deref().unwrap_or_default())?,
            name: required_text("name", &self.name, 200)?,
            kind,
            parent_id: self.parent_id,
            address: optional_text("address", self.address.as_deref(), 300)?,
        })
    }
}

/// Raw position input.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PositionInput {
    pub organization_id: Option<crate::OrganizationId>,
    pub name: String,
    pub parent_id: Option<crate::PositionId>,
    pub holder_id: Option<crate::EmployeeId>,
}

#[derive(Clone, Debug)]
pub struct PositionFields {
    pub organization_id: crate::OrganizationId,
    pub name: String,
    pub parent_id: Option<crate::PositionId>,
    pub holder_id: Option<crate::EmployeeId>,
}

impl PositionInput {
    pub fn validate(&self) -> Result<PositionFields, DirectoryError> {
        Ok(PositionFields {
            organization_id: self.organization_id.ok_or(DirectoryError::Required {
                field: "organization_id",
            })?,
            name: required_text("name", &self.name, 200)?,
            parent_id: self.parent_id,
            holder_id: self.holder_id,
        })
    }
}

/// Raw employee input.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct EmployeeInput {
    /// `nip` (default) or `village`.
    pub identifier_kind: Option<String>,
    pub identifier: String,
    pub name: String,
    pub rank: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization_id: Option<crate::OrganizationId>,
}

#[derive(Clone, Debug)]
pub struct EmployeeFields {
    pub identifier: EmployeeIdentifier,
    pub name: String,
    pub rank: Option<crate::rank::Rank>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization_id: crate::OrganizationId,
}

impl EmployeeInput {
    pub fn validate(&self) -> Result<EmployeeFields, DirectoryError> {
        let kind = self.identifier_kind.as_deref().unwrap_or("nip").trim();
        let kind = if kind.is_empty() { "nip" } else { kind };
        let identifier = EmployeeIdentifier::parse(kind, &self.identifier)?;
        let rank = match self.rank.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(r.parse().map_err(|_| DirectoryError::Rank(r.to_owned()))?),
        };
        Ok(EmployeeFields {
            identifier,
            name: required_text("name", &self.name, 200)?,
            rank,
            email: parse_email(self.email.as_deref())?,
            phone: parse_phone(self.phone.as_deref())?,
            organization_id: self.organization_id.ok_or(DirectoryError::Required {
                field: "organization_id",
            })?,
        })
    }
}
