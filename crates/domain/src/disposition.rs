//! Dispositions (*disposisi*): the addressee of an incoming letter refers
//! it to subordinate positions with instructions, a deadline and an
//! urgency; each recipient may refer it further down, and reports back
//! when done.
//!
//! Every deadline is a WIB calendar date. A disposition is overdue from
//! 00:00 WIB of the day after its deadline until it is done or cancelled.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::PositionId;
use crate::document::{Urgency, labels};
use crate::wib::WIB;

labels!(
    /// The status of a disposition.
    DispositionStatus {
        /// Sent, not yet opened by its recipient.
        Unread = "unread",
        /// Opened by its recipient.
        Read = "read",
        /// The recipient is working on it.
        InProgress = "in_progress",
        /// Reported done.
        Done = "done",
        /// Withdrawn by its sender while unread.
        Cancelled = "cancelled",
    }
);

/// Something a sender or recipient does to a disposition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispositionAction {
    Read,
    Start,
    Finish,
    Cancel,
}

/// The standard instructions offered when nothing else is configured.
pub const DEFAULT_INSTRUCTIONS: [&str; 6] = [
    "Tindak lanjuti",
    "Pelajari",
    "Hadiri/Wakili",
    "Koordinasikan",
    "Siapkan jawaban",
    "Arsipkan",
];

/// Most recipients of one disposition.
pub const MAX_RECIPIENTS: usize = 30;
/// Maximum length of the free-text note, in characters.
pub const MAX_NOTE: usize = 2000;
/// Maximum length of a report, in characters.
pub const MAX_REPORT: usize = 2000;
/// Maximum length of an instruction label, in characters.
pub const MAX_INSTRUCTION: usize = 80;
/// Most instruction labels an administrator may configure.
pub const MAX_INSTRUCTIONS: usize = 40;
/// Furthest deadline accepted, in days from today.
pub const MAX_DEADLINE_DAYS: i64 = 366;

/// A rule a disposition breaks.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DispositionError {
    #[error("choose at least one recipient")]
    NoRecipients,
    #[error("at most {MAX_RECIPIENTS} recipients are allowed")]
    TooManyRecipients,
    #[error("a recipient appears twice")]
    DuplicateRecipient,
    #[error("choose an instruction or write one")]
    NoInstruction,
    #[error("unknown instruction {0:?}")]
    UnknownInstruction(String),
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} contains a control character")]
    ControlCharacter { field: &'static str },
    #[error("the deadline {0:?} is neither a date nor a date and time")]
    BadDeadline(String),
    #[error("the deadline lies in the past")]
    DeadlineInPast,
    #[error("the deadline is more than {MAX_DEADLINE_DAYS} days ahead")]
    DeadlineTooFar,
    #[error("urgency has an unknown value {0:?}")]
    UnknownUrgency(String),
    #[error("the recipient is not below the sender's position")]
    OutsideSubtree,
    #[error("a position cannot refer a letter to itself")]
    ToSelf,
    #[error("the post already has an open referral of this letter from you")]
    AlreadyReferred,
    #[error("you are neither the sender nor the recipient of this disposition")]
    NotAllowed,
    #[error("only the holder of the addressed post or a recipient may refer the letter")]
    NotAddressee,
    #[error("the disposition was already read, so it can no longer be cancelled")]
    CancelAfterRead,
    #[error("the disposition was already reported done")]
    AlreadyDone,
    #[error("the disposition was cancelled")]
    Cancelled,
    #[error("a report is required")]
    ReportRequired,
    #[error("the instruction list is empty")]
    EmptyInstructionList,
    #[error("at most {MAX_INSTRUCTIONS} instructions may be configured")]
    TooManyInstructions,
}

impl DispositionError {
    /// Returns the input field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            DispositionError::NoRecipients
            | DispositionError::TooManyRecipients
            | DispositionError::DuplicateRecipient
            | DispositionError::OutsideSubtree
            | DispositionError::AlreadyReferred
            | DispositionError::ToSelf => "recipients",
            DispositionError::NoInstruction
            | DispositionError::UnknownInstruction(_)
            | DispositionError::EmptyInstructionList
            | DispositionError::TooManyInstructions => "instructions",
            DispositionError::TooLong { field, .. }
            | DispositionError::ControlCharacter { field } => field,
            DispositionError::BadDeadline(_)
            | DispositionError::DeadlineInPast
            | DispositionError::DeadlineTooFar => "deadline",
            DispositionError::UnknownUrgency(_) => "urgency",
            DispositionError::ReportRequired => "report",
            DispositionError::NotAllowed
            | DispositionError::NotAddressee
            | DispositionError::CancelAfterRead
            | DispositionError::AlreadyDone
            | DispositionError::Cancelled => "status",
        }
    }
}

/// A disposition as typed on the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispositionInput {
    #[serde(default)]
    pub recipients: Vec<PositionId>,
    #[serde(default)]
    pub instructions: Vec<String>,
    #[serde(default)]
    pub note: String,
    /// A date (`2026-12-10`) or a date and time with an offset
    /// (`2026-12-09T22:30:00Z`), which counts as its WIB date.
    pub deadline: Option<String>,
    /// `biasa` when absent.
    pub urgency: Option<String>,
}

/// A validated disposition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispositionFields {
    pub recipients: Vec<PositionId>,
    pub instructions: Vec<String>,
    pub note: String,
    pub deadline: Option<Date>,
    pub urgency: Urgency,
}

fn free_text(field: &'static str, value: &str, max: usize) -> Result<String, DispositionError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(DispositionError::TooLong { field, max });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(DispositionError::ControlCharacter { field });
    }
    Ok(value.replace("\r\n", "\n"))
}

/// Reads a deadline as its WIB date: a plain date stays as it is, a date
/// and time is moved to WIB first.
pub fn parse_deadline(raw: &str) -> Result<Date, DispositionError> {
    let raw = raw.trim();
    let bad = || DispositionError::BadDeadline(raw.chars().take(40).collect());
    if raw.len() == 10 {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        return Date::parse(raw, &format).map_err(|_| bad());
    }
    OffsetDateTime::parse(raw, &Rfc3339)
        .map(|at| at.to_offset(WIB).date())
        .map_err(|_| bad())
}

impl DispositionInput {
    /// Checks the input with `today` the WIB date and `allowed` the
    /// configured instruction labels.
    pub fn validate(
        &self,
        today: Date,
        allowed: &[String],
    ) -> Result<DispositionFields, DispositionError> {
        if self.recipients.is_empty() {
            return Err(DispositionError::NoRecipients);
        }
        if self.recipients.len() > MAX_RECIPIENTS {
            return Err(DispositionError::TooManyRecipients);
        }
        let mut recipients = self.recipients.clone();
        recipients.sort();
        recipients.dedup();
        if recipients.len() != self.recipients.len() {
            return Err(DispositionError::DuplicateRecipient);
        }
        let mut instructions = Vec::new();
        for raw in &self.instructions {
            let label = raw.trim();
            let Some(known) = allowed.iter().find(|a| a.as_str() == label) else {
                return Err(DispositionError::UnknownInstruction(
                    label.chars().take(MAX_INSTRUCTION).collect(),
                ));
            };
            if !instructions.contains(known) {
                instructions.push(known.clone());
            }
        }
        let note = free_text("note", &self.note, MAX_NOTE)?;
        if instructions.is_empty() && note.is_empty() {
            return Err(DispositionError::NoInstruction);
        }
        let deadline = match self.deadline.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let date = parse_deadline(raw)?;
                if date < today {
                    return Err(DispositionError::DeadlineInPast);
                }
                if (date - today).whole_days() > MAX_DEADLINE_DAYS {
                    return Err(DispositionError::DeadlineTooFar);
                }
                Some(date)
            }
        };
        let urgency = match self.urgency.as_deref().map(str::trim) {
            None | Some("") => Urgency::Ordinary,
            Some(v) => v
                .parse()
                .map_err(|_| DispositionError::UnknownUrgency(v.chars().take(40).collect()))?,
        };
        Ok(DispositionFields {
            // Keep the order the sender chose.
            recipients: self.recipients.clone(),
            instructions,
            note,
            deadline,
            urgency,
        })
    }
}

/// Validates a report: `done` needs text.
pub fn validate_report(report: &str) -> Result<String, DispositionError> {
    let report = free_text("report", report, MAX_REPORT)?;
    if report.is_empty() {
        return Err(DispositionError::ReportRequired);
    }
    Ok(report)
}

/// Validates an administrator's list of instruction labels.
pub fn validate_instruction_list(list: &[String]) -> Result<Vec<String>, DispositionError> {
    let mut out: Vec<String> = Vec::new();
    for raw in list {
        let label = raw.trim();
        if label.is_empty() {
            continue;
        }
        if label.chars().count() > MAX_INSTRUCTION {
            return Err(DispositionError::TooLong {
                field: "instructions",
                max: MAX_INSTRUCTION,
            });
        }
        if label.chars().any(char::is_control) {
            return Err(DispositionError::ControlCharacter {
                field: "instructions",
            });
        }
        if !out.iter().any(|o| o == label) {
            out.push(label.to_owned());
        }
    }
    if out.is_empty() {
        return Err(DispositionError::EmptyInstructionList);
    }
    if out.len() > MAX_INSTRUCTIONS {
        return Err(DispositionError::TooManyInstructions);
    }
    Ok(out)
}

/// Returns the status after `action`, or the rule it breaks.
pub fn next_status(
    status: DispositionStatus,
    action: DispositionAction,
) -> Result<DispositionStatus, DispositionError> {
    use DispositionAction as A;
    use DispositionStatus as S;
    match (status, action) {
        (S::Cancelled, _) => Err(DispositionError::Cancelled),
        (S::Done, A::Finish) => Err(DispositionError::AlreadyDone),
        (S::Unread, A::Cancel) => Ok(S::Cancelled),
        (_, A::Cancel) => Err(DispositionError::CancelAfterRead),
        (S::Unread, A::Read) => Ok(S::Read),
        (other, A::Read) => Ok(other),
        (S::Unread | S::Read, A::Start) => Ok(S::InProgress),
        (S::InProgress, A::Start) => Ok(S::InProgress),
        (S::Done, A::Start) => Err(DispositionError::AlreadyDone),
        (S::Unread | S::Read | S::InProgress, A::Finish) => Ok(S::Done),
    }
}

/// Returns whether a disposition with `deadline` and `status` is overdue
/// at `now`: from 00:00 WIB of the day after the deadline until it is
/// done or cancelled.
pub fn is_overdue(deadline: Option<Date>, status: DispositionStatus, now: OffsetDateTime) -> bool {
    let open = !matches!(
        status,
        DispositionStatus::Done | DispositionStatus::Cancelled
    );
    match deadline {
        Some(deadline) => open && now.to_offset(WIB).date() > deadline,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn allowed() -> Vec<String> {
        DEFAULT_INSTRUCTIONS
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn input() -> DispositionInput {
        DispositionInput {
            recipients: vec![PositionId::new()],
            instructions: vec!["Pelajari".into()],
            note: "Mohon dipelajari".into(),
            deadline: Some("2026-12-10".into()),
            urgency: Some("segera".into()),
        }
    }

    #[test]
    fn valid_input() {
        let fields = input()
            .validate(date!(2026 - 12 - 04), &allowed())
            .expect("valid");
        assert_eq!(fields.deadline, Some(date!(2026 - 12 - 10)));
        assert_eq!(fields.urgency, Urgency::Urgent);
    }

    #[test]
    fn deadline_datetime_becomes_wib_date() {
        // 05:30 WIB on 10 December is 22:30 UTC on 9 December.
        assert_eq!(
            parse_deadline("2026-12-09T22:30:00Z"),
            Ok(date!(2026 - 12 - 10))
        );
        assert_eq!(
            parse_deadline("2026-12-10T05:30:00+07:00"),
            Ok(date!(2026 - 12 - 10))
        );
    }

    #[test]
    fn bad_inputs() {
        let today = date!(2026 - 12 - 04);
        let mut past = input();
        past.deadline = Some("2026-12-03".into());
        assert_eq!(
            past.validate(today, &allowed()),
            Err(DispositionError::DeadlineInPast)
        );
        let mut garbage = input();
        garbage.deadline = Some("besok".into());
        assert!(matches!(
            garbage.validate(today, &allowed()),
            Err(DispositionError::BadDeadline(_))
        ));
        let mut none = input();
        none.recipients.clear();
        assert_eq!(
            none.validate(today, &allowed()),
            Err(DispositionError::NoRecipients)
        );
        let mut twice = input();
        twice.recipients.push(twice.recipients[0]);
        assert_eq!(
            twice.validate(today, &allowed()),
            Err(DispositionError::DuplicateRecipient)
        );
        let mut unknown = input();
        unknown.instructions = vec!["Bakar".into()];
        assert!(matches!(
            unknown.validate(today, &allowed()),
            Err(DispositionError::UnknownInstruction(_))
        ));
        let mut empty = input();
        empty.instructions.clear();
        empty.note.clear();
        assert_eq!(
            empty.validate(today, &allowed()),
            Err(DispositionError::NoInstruction)
        );
    }

    #[test]
    fn status_rules() {
        use DispositionAction as A;
        use DispositionStatus as S;
        assert_eq!(next_status(S::Unread, A::Cancel), Ok(S::Cancelled));
        assert_eq!(
            next_status(S::Read, A::Cancel),
            Err(DispositionError::CancelAfterRead)
        );
        assert_eq!(next_status(S::Unread, A::Read), Ok(S::Read));
        assert_eq!(next_status(S::Read, A::Finish), Ok(S::Done));
        assert_eq!(
            next_status(S::Done, A::Finish),
            Err(DispositionError::AlreadyDone)
        );
        assert_eq!(
            next_status(S::Cancelled, A::Read),
            Err(DispositionError::Cancelled)
        );
    }

    #[test]
    fn overdue_from_midnight_wib_after_the_deadline() {
        let deadline = Some(date!(2026 - 12 - 10));
        // 23:59 WIB on the deadline: not yet.
        let before = datetime!(2026-12-10 16:59 UTC);
        // 00:00 WIB on the next day.
        let after = datetime!(2026-12-10 17:00 UTC);
        assert!(!is_overdue(deadline, DispositionStatus::Read, before));
        assert!(is_overdue(deadline, DispositionStatus::Read, after));
        assert!(!is_overdue(deadline, DispositionStatus::Done, after));
        assert!(!is_overdue(None, DispositionStatus::Read, after));
    }
}
