//! Printable documents built from stored data in the reader's language:
//! the disposition sheet of an incoming letter.

use serasi_domain::disposition::DispositionStatus;
use serasi_domain::wib;
use serasi_pdf::table::{SheetDoc, SheetEntry};
use serasi_store::dispositions::DispositionNode;
use serasi_store::incoming::IncomingDetail;

use crate::i18n::Tr;

/// Formats a stored `YYYY-MM-DD` date the Indonesian way, or leaves it as
/// it is when it does not parse.
pub fn long_date(t: Tr, text: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(text, &format) {
        Ok(date) if t.lang() == "en" => wib::format_date_en(date),
        Ok(date) => wib::format_date_id(date),
        Err(_) => text.to_owned(),
    }
}

/// Formats epoch milliseconds as a WIB date and time in the reader's
/// language.
pub fn instant(t: Tr, ms: i64) -> String {
    let at = serasi_store::from_ms(ms).to_offset(wib::WIB);
    if t.lang() == "en" {
        format!(
            "{} {:02}:{:02} WIB",
            wib::format_date_en(at.date()),
            at.hour(),
            at.minute()
        )
    } else {
        wib::format_datetime_id(at)
    }
}

/// The translated label of a disposition status.
pub fn status_label(t: Tr, status: DispositionStatus) -> String {
    t.get(&format!("disposition-status-{}", status.as_str()))
        .to_owned()
}

/// Builds the disposition sheet of `detail` with every referral in `tree`.
pub fn disposition_sheet(t: Tr, detail: &IncomingDetail, tree: &[DispositionNode]) -> SheetDoc {
    let letter = &detail.letter;
    let facts = vec![
        (
            t.get("agenda-number").to_owned(),
            format!("{}/{}", letter.agenda_no, letter.year),
        ),
        (
            t.get("field-received_on").to_owned(),
            long_date(t, &letter.received_on),
        ),
        (t.get("field-sender").to_owned(), letter.sender.clone()),
        (
            t.get("field-sender_number").to_owned(),
            letter.sender_number.clone(),
        ),
        (
            t.get("field-sender_date").to_owned(),
            long_date(t, &letter.sender_date),
        ),
        (t.get("field-subject").to_owned(), letter.subject.clone()),
        (
            t.get("field-security").to_owned(),
            t.get(&format!("security-{}", letter.security)).to_owned(),
        ),
        (
            t.get("field-urgency").to_owned(),
            t.get(&format!("urgency-{}", letter.urgency)).to_owned(),
        ),
        (
            t.get("field-addressee_position_id").to_owned(),
            letter.addressee_name.clone(),
        ),
    ];
    let entries = tree
        .iter()
        .map(|n| {
            let mut lines = Vec::new();
            if !n.instructions.is_empty() {
                lines.push(format!(
                    "{}: {}",
                    t.get("field-instructions"),
                    n.instructions.join(", ")
                ));
            }
            if !n.note.is_empty() {
                lines.push(format!("{}: {}", t.get("field-note"), n.note));
            }
            if let Some(deadline) = &n.deadline {
                lines.push(format!(
                    "{}: {}",
                    t.get("field-deadline"),
                    long_date(t, deadline)
                ));
            }
            lines.push(format!(
                "{}: {}",
                t.get("field-urgency"),
                t.get(&format!("urgency-{}", n.urgency))
            ));
            let mut status = status_label(t, n.status);
            if n.overdue {
                status = format!("{status} ({})", t.get("disposition-overdue"));
            }
            lines.push(format!("{}: {status}", t.get("field-status")));
            if let Some(report) = &n.report {
                lines.push(format!("{}: {report}", t.get("field-report")));
            }
            lines.push(format!(
                "{} {} — {}",
                t.get("disposition-sent-by"),
                n.from_employee,
                instant(t, n.created_at)
            ));
            SheetEntry {
                heading: format!("{} → {}", n.from_position, n.to_position),
                lines,
            }
        })
        .collect();
    SheetDoc {
        title: t.get("disposition-sheet").to_owned(),
        organization: detail.organization_name.clone(),
        facts,
        entries,
        empty: t.get("disposition-none").to_owned(),
        signature: t.get("disposition-sheet-signature").to_owned(),
    }
}
