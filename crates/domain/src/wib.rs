//! Western Indonesia Time (WIB, UTC+7) and Indonesian date formatting.
//! Indonesia observes no daylight saving time, so a fixed offset is exact.

use time::{Date, Month, OffsetDateTime, UtcOffset};

/// UTC+7, the time zone of Java and Sumatra.
pub const WIB: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Returns the month's name in Indonesian (`Desember`).
pub fn month_name_id(month: Month) -> &'static str {
    MONTHS_ID[usize::from(u8::from(month)) - 1]
}

/// Formats a date the Indonesian way: `4 Desember 2026`.
pub fn format_date_id(date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_name_id(date.month()),
        date.year()
    )
}

/// Formats a date in English: `4 December 2026`.
pub fn format_date_en(date: Date) -> String {
    let month = MONTHS_EN[usize::from(u8::from(date.month())) - 1];
    format!("{} {} {}", date.day(), month, date.year())
}

/// Formats an instant as a WIB date and time: `4 Desember 2026 09:05 WIB`.
pub fn format_datetime_id(at: OffsetDateTime) -> String {
    let local = at.to_offset(WIB);
    format!(
        "{} {:02}:{:02} WIB",
        format_date_id(local.date()),
        local.hour(),
        local.minute()
    )
}

/// Returns today's date in WIB.
pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(WIB).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn indonesian_date() {
        assert_eq!(format_date_id(date!(2026 - 12 - 04)), "4 Desember 2026");
        assert_eq!(format_date_en(date!(2026 - 01 - 31)), "31 January 2026");
    }

    #[test]
    fn utc_evening_is_next_day_in_wib() {
        let at = datetime!(2026-12-04 17:30 UTC);
        assert_eq!(format_datetime_id(at), "5 Desember 2026 00:30 WIB");
    }
}
