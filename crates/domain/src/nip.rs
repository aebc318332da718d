//! NIP (*Nomor Induk Pegawai*), the 18-digit civil servant number of
//! Perka BKN 22/2007: `YYYYMMDD` birth date, `YYYYMM` start of service
//! (TMT CPNS), one gender digit (1 male, 2 female), a 3-digit serial.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// A validated NIP. Spaces typed between its groups are dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nip(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    #[error("NIP must have 18 digits, found {0}")]
    Length(usize),
    #[error("NIP may contain only digits and spaces")]
    NotDigits,
    #[error("NIP starts with {0}, which is not a real birth date (YYYYMMDD)")]
    BirthDate(String),
    #[error("NIP digits 9-14 ({0}) are not a valid TMT month (YYYYMM)")]
    TmtMonth(String),
    #[error("NIP's TMT {tmt} is less than 15 years after the birth date {birth}")]
    TmtTooEarly { birth: String, tmt: String },
    #[error("NIP's birth date {0} or TMT {1} lies in the future")]
    Future(String, String),
    #[error("NIP digit 15 must be 1 (male) or 2 (female), found {0}")]
    Gender(char),
    #[error("NIP's serial (last 3 digits) must be between 001 and 999")]
    Serial,
}

impl NipError {
    /// Returns a stable key for translated messages.
    pub fn key(&self) -> &'static str {
        match self {
            NipError::Length(_) => "nip-length",
            NipError::NotDigits => "nip-digits",
            NipError::BirthDate(_) => "nip-birth-date",
            NipError::TmtMonth(_) => "nip-tmt",
            NipError::TmtTooEarly { .. } => "nip-tmt-early",
            NipError::Future(..) => "nip-future",
            NipError::Gender(_) => "nip-gender",
            NipError::Serial => "nip-serial",
        }
    }
}

/// Gender encoded in digit 15 of a NIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
}

/// Earliest birth year accepted, because no one born earlier is still in service.
const MIN_BIRTH_YEAR: i32 = 1930;

impl Nip {
    /// Parses and validates a NIP against today's date in WIB.
    pub fn parse(input: &str) -> Result<Self, NipError> {
        Self::parse_on(input, crate::wib::today())
    }

    /// Parses and validates a NIP as of `today`: the birth date must be
    /// past, and the TMT at most one year ahead, since appointments are
    /// decreed before they start.
    pub fn parse_on(input: &str, today: Date) -> Result<Self, NipError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(NipError::NotDigits);
        }
        if digits.len() != 18 {
            return Err(NipError::Length(digits.len()));
        }

        let birth = parse_date(&digits[0..8])
            .filter(|d| d.year() >= MIN_BIRTH_YEAR)
            .ok_or_else(|| NipError::BirthDate(digits[0..8].to_owned()))?;
        let tmt = parse_month(&digits[8..14])
            .filter(|(year, _)| *year >= MIN_BIRTH_YEAR)
            .ok_or_else(|| NipError::TmtMonth(digits[8..14].to_owned()))?;
        if tmt.0 - birth.year() < 15 {
            return Err(NipError::TmtTooEarly {
                birth: digits[0..8].to_owned(),
                tmt: digits[8..14].to_owned(),
            });
        }

        let latest_tmt = (today.year() + 1, u8::from(today.month()));
        if birth > today || tmt > latest_tmt {
            return Err(NipError::Future(
                digits[0..8].to_owned(),
                digits[8..14].to_owned(),
            ));
        }

        let gender = digits.as_bytes()[14];
        if gender != b'1' && gender != b'2' {
            return Err(NipError::Gender(char::from(gender)));
        }
        if &digits[15..18] == "000" {
            return Err(NipError::Serial);
        }
        Ok(Nip(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Option<Date> {
        parse_date(&self.0[0..8])
    }

    pub fn gender(&self) -> Gender {
        if self.0.as_bytes()[14] == b'2' {
            Gender::Female
        } else {
            Gender::Male
        }
    }

    /// Formats the NIP as printed under a signature: `19860926 201505 1 001`.
    pub fn grouped(&self) -> String {
        let s = &self.0;
        format!("{} {} {} {}", &s[0..8], &s[8..14], &s[14..15], &s[15..18])
    }
}

fn parse_date(digits: &str) -> Option<Date> {
    let year: i32 = digits[0..4].parse().ok()?;
    let month: u8 = digits[4..6].parse().ok()?;
    let day: u8 = digits[6..8].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn parse_month(digits: &str) -> Option<(i32, u8)> {
    let year: i32 = digits[0..4].parse().ok()?;
    let month: u8 = digits[4..6].parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

impl FromStr for Nip {
    type Err = NipError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nip::parse(s)
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Nip {
    type Error = NipError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Nip::parse(&value)
    }
}

impl From<Nip> for String {
    fn from(nip: Nip) -> Self {
        nip.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_nip_with_spaces() {
        let nip = Nip::parse("19860926 201505 1 001").expect("valid NIP");
        assert_eq!(nip.as_str(), "198609262015051001");
        assert_eq!(nip.grouped(), "19860926 201505 1 001");
        assert_eq!(nip.gender(), Gender::Male);
    }

    #[test]
    fn female_and_leap_day() {
        let nip = Nip::parse("198802292012032003").expect("29 Feb 1988 exists");
        assert_eq!(nip.gender(), Gender::Female);
    }

    #[test]
    fn future_dates_rejected() {
        let today = Date::from_calendar_date(2026, Month::December, 4).expect("date");
        let future = |nip: &str| matches!(Nip::parse_on(nip, today), Err(NipError::Future(..)));
        assert!(future("203001012046051001"), "born in 2030");
        assert!(future("198609262099051001"), "TMT in 2099");
        assert!(
            Nip::parse_on("198609262027121001", today).is_ok(),
            "TMT within a year"
        );
        assert!(future("198609262028011001"), "TMT more than a year ahead");
    }

    #[test]
    fn rejects_each_defect() {
        let cases = [
            ("19860926201505100", NipError::Length(17)),
            ("1986092620150510011", NipError::Length(19)),
            ("19860926-201505-1-001", NipError::NotDigits),
            ("198702292012031001", NipError::BirthDate("19870229".into())),
            ("198613262015051001", NipError::BirthDate("19861326".into())),
            ("192009262015051001", NipError::BirthDate("19200926".into())),
            ("198609262015131001", NipError::TmtMonth("201513".into())),
            ("198609262015001001", NipError::TmtMonth("201500".into())),
            (
                "198609261995051001",
                NipError::TmtTooEarly {
                    birth: "19860926".into(),
                    tmt: "199505".into(),
                },
            ),
            ("198609262015053001", NipError::Gender('3')),
            ("198609262015050001", NipError::Gender('0')),
            ("198609262015051000", NipError::Serial),
        ];
        for (input, expected) in cases {
            assert_eq!(Nip::parse(input), Err(expected), "input {input}");
        }
    }
}
