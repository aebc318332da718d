//! Translated messages for domain and store errors.

use serasi_domain::directory::DirectoryError;
use serasi_domain::nip::NipError;
use serasi_domain::user::AccountError;
use serasi_store::import::RowProblem;
use serasi_store::{Conflict, StoreError};

use crate::i18n::Tr;

/// Returns the translated name of an input field, as used in messages.
pub fn field_label(t: Tr, field: &str) -> String {
    translated_or(t, &format!("field-{field}"), field)
}

/// Returns the translated name of an entity such as `parent organisation`.
fn entity_label(t: Tr, entity: &str) -> String {
    translated_or(t, &format!("entity-{}", entity.replace(' ', "-")), entity)
}

fn translated_or(t: Tr, key: &str, fallback: &str) -> String {
    let text = t.get(key);
    if text == key {
        fallback.to_owned()
    } else {
        text.to_owned()
    }
}

pub fn nip_error(t: Tr, err: &NipError) -> String {
    let detail = match err {
        NipError::Length(n) => t.fmt("nip-length", &[("count", &n.to_string())]),
        NipError::NotDigits => t.get("nip-digits").to_owned(),
        NipError::BirthDate(d) => t.fmt("nip-birth-date", &[("value", d)]),
        NipError::TmtMonth(m) => t.fmt("nip-tmt", &[("value", m)]),
        NipError::TmtTooEarly { birth, tmt } => {
            t.fmt("nip-tmt-early", &[("birth", birth), ("tmt", tmt)])
        }
        NipError::Future(birth, tmt) => t.fmt("nip-future", &[("birth", birth), ("tmt", tmt)]),
        NipError::Gender(g) => t.fmt("nip-gender", &[("value", &g.to_string())]),
        NipError::Serial => t.get("nip-serial").to_owned(),
    };
    t.fmt("nip-invalid", &[("detail", &detail)])
}

pub fn directory_error(t: Tr, err: &DirectoryError) -> String {
    match err {
        DirectoryError::Required { field } => {
            t.fmt("error-required", &[("field", &field_label(t, field))])
        }
        DirectoryError::TooLong { field, max } => t.fmt(
            "error-too-long",
            &[("field", &field_label(t, field)), ("max", &max.to_string())],
        ),
        DirectoryError::Nip(e) => nip_error(t, e),
        DirectoryError::Placement { kind, parent } if parent == "root" => t.fmt(
            "error-needs-parent",
            &[("kind", t.get(&format!("kind-{kind}")))],
        ),
        DirectoryError::Placement { kind, parent } => t.fmt(
            "error-placement",
            &[
                ("kind", t.get(&format!("kind-{kind}"))),
                ("parent", t.get(&format!("kind-{parent}"))),
            ],
        ),
        DirectoryError::VillageId(v) => t.fmt("error-village-id", &[("value", v)]),
        DirectoryError::Email(v) => t.fmt("error-email", &[("value", v)]),
        DirectoryError::Phone(v) => t.fmt("error-phone", &[("value", v)]),
        DirectoryError::Code(v) => t.fmt("error-code", &[("value", v)]),
        DirectoryError::Rank(v) => t.fmt("error-rank", &[("value", v)]),
        DirectoryError::Kind(v) => t.fmt("error-kind", &[("value", v)]),
        DirectoryError::IdentifierKind(v) => t.fmt("error-identifier-kind", &[("value", v)]),
        DirectoryError::ControlCharacter { field } => {
            t.fmt("error-control", &[("field", &field_label(t, field))])
        }
    }
}

pub fn account_error(t: Tr, err: &AccountError) -> String {
    match err {
        AccountError::Username => t.get("error-username").to_owned(),
        AccountError::PasswordTooShort => t.get("error-password-short").to_owned(),
        AccountError::PasswordTooLong => t.get("error-password-long").to_owned(),
    }
}

pub fn conflict(t: Tr, conflict: &Conflict) -> String {
    match conflict {
        Conflict::OrganizationInUse => t.get("error-org-in-use").to_owned(),
        Conflict::KindChange { kind, child } => t.fmt(
            "error-kind-change",
            &[
                ("kind", t.get(&format!("kind-{kind}"))),
                ("child", t.get(&format!("kind-{child}"))),
            ],
        ),
        Conflict::HolderTaken => t.get("error-holder-taken").to_owned(),
        Conflict::PositionFilled(name) => t.fmt("error-position-filled", &[("name", name)]),
        Conflict::ParentPositionOutside => t.get("error-parent-position-scope").to_owned(),
        Conflict::PositionHasChildren => t.get("error-position-has-children").to_owned(),
        Conflict::OrgMoveBreaksPositions => t.get("error-org-move-breaks-positions").to_owned(),
        Conflict::SecondRegency => t.get("error-second-regency").to_owned(),
    }
}

/// Returns the field a store error is about, if any.
pub fn store_error_field(err: &StoreError) -> Option<&'static str> {
    match err {
        StoreError::Invalid(e) => Some(e.field()),
        StoreError::Duplicate { field, .. } => Some(field),
        StoreError::Tree(_) => Some("parent"),
        StoreError::Conflict(Conflict::HolderTaken) => Some("holder_id"),
        StoreError::Conflict(Conflict::ParentPositionOutside) => Some("parent"),
        _ => None,
    }
}

pub fn store_error(t: Tr, err: &StoreError) -> String {
    match err {
        StoreError::Invalid(e) => directory_error(t, e),
        StoreError::Duplicate {
            field: "employee_id",
            ..
        } => t.get("error-employee-has-account").to_owned(),
        StoreError::Duplicate { field, value } => t.fmt(
            "error-duplicate",
            &[("field", &field_label(t, field)), ("value", value)],
        ),
        StoreError::NotFound { entity, id } => t.fmt(
            "error-not-found-entity",
            &[("entity", &entity_label(t, entity)), ("id", id)],
        ),
        StoreError::Tree(_) => t.get("error-cycle").to_owned(),
        StoreError::Conflict(c) => conflict(t, c),
        _ => t.get("error-internal").to_owned(),
    }
}

pub fn row_problem(t: Tr, problem: &RowProblem) -> String {
    match problem {
        RowProblem::Invalid(e) => directory_error(t, e),
        RowProblem::Duplicate { value } => t.fmt("error-row-duplicate", &[("value", value)]),
        RowProblem::NotFound { what, value } => t.fmt(
            "error-not-found-entity",
            &[("entity", &entity_label(t, what)), ("id", value)],
        ),
        RowProblem::Ambiguous { what, value } => t.fmt(
            "error-ambiguous",
            &[("entity", &entity_label(t, what)), ("value", value)],
        ),
        RowProblem::Conflict(c) => conflict(t, c),
        RowProblem::Tree(_) => t.get("error-cycle").to_owned(),
    }
}
