//! Translated messages for domain and store errors.

use serasi_domain::directory::DirectoryError;
use serasi_domain::nip::NipError;
use serasi_domain::user::AccountError;
use serasi_store::StoreError;
use serasi_store::import::RowProblem;

use crate::i18n::Tr;

/// The translated name of an input field, as used in messages.
pub fn field_label(t: Tr, field: &str) -> String {
    let key = format!("field-{field}");
    let label = t.get(&key);
    if label == key {
        field.to_owned()
    } else {
        label.to_owned()
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
    }
}

pub fn account_error(t: Tr, err: &AccountError) -> String {
    match err {
        AccountError::Username => t.get("error-username").to_owned(),
        AccountError::PasswordTooShort => t.get("error-password-short").to_owned(),
        AccountError::PasswordTooLong => t.get("error-password-long").to_owned(),
    }
}

/// The field a store error is about, if any.
pub fn store_error_field(err: &StoreError) -> Option<&'static str> {
    match err {
        StoreError::Invalid(e) => Some(e.field()),
        StoreError::Duplicate { field, .. } => Some(field),
        StoreError::Tree(_) => Some("parent"),
        _ => None,
    }
}

pub fn store_error(t: Tr, err: &StoreError) -> String {
    match err {
        StoreError::Invalid(e) => directory_error(t, e),
        StoreError::Duplicate { field, value } => t.fmt(
            "error-duplicate",
            &[("field", &field_label(t, field)), ("value", value)],
        ),
        StoreError::NotFound { entity, id } => {
            t.fmt("error-not-found-entity", &[("entity", entity), ("id", id)])
        }
        StoreError::Tree(_) => t.get("error-cycle").to_owned(),
        StoreError::Conflict(message) => message.clone(),
        _ => t.get("error-internal").to_owned(),
    }
}

pub fn row_problem(t: Tr, problem: &RowProblem) -> String {
    match problem {
        RowProblem::Invalid(e) => directory_error(t, e),
        RowProblem::Duplicate { value } => t.fmt("error-row-duplicate", &[("value", value)]),
        RowProblem::NotFound { what, value } => {
            t.fmt("error-not-found-entity", &[("entity", what), ("id", value)])
        }
        RowProblem::Ambiguous { what, value } => {
            t.fmt("error-ambiguous", &[("entity", what), ("value", value)])
        }
        RowProblem::Rejected(reason) => reason.clone(),
    }
}
