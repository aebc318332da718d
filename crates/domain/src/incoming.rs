//! Incoming letters (*surat masuk*) registered by a clerk: who sent them,
//! their own number and date, when they arrived, what they are about, and
//! the position inside the organisation they are addressed to. Each gets
//! an agenda number in its organisation's register for the year it
//! arrived (WIB).

use serde::Deserialize;
use time::Date;

use crate::PositionId;
use crate::classification::ClassificationCode;
use crate::document::{SecurityClass, Urgency};

/// Maximum length of the sender's name, in characters.
pub const MAX_SENDER: usize = 200;
/// Maximum length of the subject, in characters.
pub const MAX_SUBJECT: usize = 500;
/// Maximum length of the sender's number, in characters.
pub const MAX_SENDER_NUMBER: usize = 100;
/// Oldest arrival date accepted, in days before today: a letter found
/// late can still be registered within the year after it arrived.
pub const MAX_LATE_DAYS: i64 = 366;
/// Oldest letter date accepted, in years before its arrival: older dates
/// are typing mistakes such as `0001-01-01`.
pub const MAX_LETTER_AGE_YEARS: i32 = 10;

/// An incoming letter as typed on the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingInput {
    #[serde(default)]
    pub sender: String,
    #[serde(default)]
    pub sender_number: String,
    pub sender_date: Option<Date>,
    /// Today (WIB) when absent.
    pub received_on: Option<Date>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub classification: String,
    /// `biasa` when absent.
    pub security: Option<String>,
    /// `biasa` when absent.
    pub urgency: Option<String>,
    pub addressee_position_id: Option<PositionId>,
}

/// A validated incoming letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingFields {
    pub sender: String,
    pub sender_number: String,
    pub sender_date: Date,
    pub received_on: Date,
    pub subject: String,
    pub classification: String,
    pub security: SecurityClass,
    pub urgency: Urgency,
    pub addressee_position_id: PositionId,
}

/// A rule an incoming letter breaks.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IncomingError {
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} contains a control character")]
    ControlCharacter { field: &'static str },
    #[error("{field} has an unknown value {value:?}")]
    UnknownValue { field: &'static str, value: String },
    #[error("classification code {0:?} is malformed")]
    Classification(String),
    #[error("{field} lies in the future")]
    FutureDate { field: &'static str },
    #[error("the letter is dated after it arrived")]
    DatedAfterArrival,
    #[error("the letter is dated more than {MAX_LETTER_AGE_YEARS} years before it arrived")]
    DatedTooEarly,
    #[error("the arrival date is more than {MAX_LATE_DAYS} days ago")]
    TooLate,
    #[error("the addressee is not a position in this organisation")]
    AddresseeOutside,
    #[error("an incoming letter keeps at most 20 scans")]
    TooManyScans,
}

impl IncomingError {
    /// Returns the input field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            IncomingError::Required { field }
            | IncomingError::TooLong { field, .. }
            | IncomingError::ControlCharacter { field }
            | IncomingError::UnknownValue { field, .. }
            | IncomingError::FutureDate { field } => field,
            IncomingError::Classification(_) => "classification",
            IncomingError::DatedAfterArrival | IncomingError::DatedTooEarly => "sender_date",
            IncomingError::TooLate => "received_on",
            IncomingError::AddresseeOutside => "addressee_position_id",
            IncomingError::TooManyScans => "file",
        }
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, IncomingError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(IncomingError::Required { field });
    }
    if value.chars().count() > max {
        return Err(IncomingError::TooLong { field, max });
    }
    if value.chars().any(char::is_control) {
        return Err(IncomingError::ControlCharacter { field });
    }
    Ok(value.to_owned())
}

fn label<T: std::str::FromStr>(
    field: &'static str,
    value: Option<&str>,
    default: T,
) -> Result<T, IncomingError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| IncomingError::UnknownValue {
            field,
            value: v.to_owned(),
        }),
    }
}

impl IncomingInput {
    /// Checks the input against the rules, with `today` the WIB date.
    pub fn validate(&self, today: Date) -> Result<IncomingFields, IncomingError> {
        let sender = text("sender", &self.sender, MAX_SENDER)?;
        let sender_number = text("sender_number", &self.sender_number, MAX_SENDER_NUMBER)?;
        let sender_date = self.sender_date.ok_or(IncomingError::Required {
            field: "sender_date",
        })?;
        let received_on = self.received_on.unwrap_or(today);
        if received_on > today {
            return Err(IncomingError::FutureDate {
                field: "received_on",
            });
        }
        if sender_date > today {
            return Err(IncomingError::FutureDate {
                field: "sender_date",
            });
        }
        if sender_date > received_on {
            return Err(IncomingError::DatedAfterArrival);
        }
        if sender_date.year() < received_on.year() - MAX_LETTER_AGE_YEARS {
            return Err(IncomingError::DatedTooEarly);
        }
        if (today - received_on).whole_days() > MAX_LATE_DAYS {
            return Err(IncomingError::TooLate);
        }
        let subject = text("subject", &self.subject, MAX_SUBJECT)?;
        let classification = self.classification.trim();
        if classification.is_empty() {
            return Err(IncomingError::Required {
                field: "classification",
            });
        }
        ClassificationCode::parse(classification)
            .map_err(|_| IncomingError::Classification(classification.to_owned()))?;
        let addressee_position_id = self.addressee_position_id.ok_or(IncomingError::Required {
            field: "addressee_position_id",
        })?;
        Ok(IncomingFields {
            sender,
            sender_number,
            sender_date,
            received_on,
            subject,
            classification: classification.to_owned(),
            security: label(
                "security",
                self.security.as_deref(),
                SecurityClass::Ordinary,
            )?,
            urgency: label("urgency", self.urgency.as_deref(), Urgency::Ordinary)?,
            addressee_position_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn input() -> IncomingInput {
        IncomingInput {
            sender: "Kepala Kantor Pos Ungaran".into(),
            sender_number: "123/KP/XII/2026".into(),
            sender_date: Some(date!(2026 - 12 - 01)),
            received_on: Some(date!(2026 - 12 - 03)),
            subject: "Pemberitahuan jadwal layanan".into(),
            classification: "000.1.2".into(),
            security: None,
            urgency: Some("segera".into()),
            addressee_position_id: Some(PositionId::new()),
        }
    }

    const TODAY: Date = date!(2026 - 12 - 04);

    #[test]
    fn incoming_defaults_fill_security_and_date() {
        let fields = input().validate(TODAY).expect("valid");
        assert_eq!(fields.security, SecurityClass::Ordinary);
        assert_eq!(fields.urgency, Urgency::Urgent);
        let mut today = input();
        today.received_on = None;
        assert_eq!(today.validate(TODAY).expect("valid").received_on, TODAY);
    }

    #[test]
    fn incoming_rules_reject_bad_dates_and_text() {
        type Change = Box<dyn Fn(&mut IncomingInput)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|i| i.sender = "  ".into()), "sender"),
            (
                Box::new(|i| i.sender_number = "x".repeat(101)),
                "sender_number",
            ),
            (Box::new(|i| i.sender_date = None), "sender_date"),
            (
                Box::new(|i| i.received_on = Some(date!(2026 - 12 - 05))),
                "received_on",
            ),
            (
                Box::new(|i| i.sender_date = Some(date!(2026 - 12 - 04))),
                "sender_date",
            ),
            (
                Box::new(|i| {
                    i.received_on = Some(date!(2025 - 11 - 01));
                    i.sender_date = Some(date!(2025 - 10 - 30));
                }),
                "received_on",
            ),
            (Box::new(|i| i.subject = "a\u{7}b".into()), "subject"),
            (
                Box::new(|i| i.classification = "abc".into()),
                "classification",
            ),
            (Box::new(|i| i.security = Some("top".into())), "security"),
            (
                Box::new(|i| i.addressee_position_id = None),
                "addressee_position_id",
            ),
        ];
        for (change, field) in cases {
            let mut bad = input();
            change(&mut bad);
            let err = bad.validate(TODAY).expect_err(field);
            assert_eq!(err.field(), field, "{err}");
        }
    }
}
