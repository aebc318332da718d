//! Civil service rank (*pangkat/golongan*), I/a to IV/e.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A golongan/ruang pair such as III/a, with its pangkat name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rank {
    grade: u8,
    step: u8,
}

const NAMES: [[&str; 5]; 4] = [
    ["Juru Muda", "Juru Muda Tk. I", "Juru", "Juru Tk. I", ""],
    [
        "Pengatur Muda",
        "Pengatur Muda Tk. I",
        "Pengatur",
        "Pengatur Tk. I",
        "",
    ],
    [
        "Penata Muda",
        "Penata Muda Tk. I",
        "Penata",
        "Penata Tk. I",
        "",
    ],
    [
        "Pembina",
        "Pembina Tk. I",
        "Pembina Utama Muda",
        "Pembina Utama Madya",
        "Pembina Utama",
    ],
];

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rank {0:?}: expected a golongan from I/a to IV/e, such as III/a")]
pub struct RankError(pub String);

impl Rank {
    /// Lists every rank in ascending order.
    pub fn all() -> Vec<Rank> {
        let mut ranks = Vec::new();
        for grade in 1..=4u8 {
            let steps = if grade == 4 { 5 } else { 4 };
            for step in 1..=steps {
                ranks.push(Rank { grade, step });
            }
        }
        ranks
    }

    /// Returns the pangkat name, such as `Penata Muda`.
    pub fn title(&self) -> &'static str {
        NAMES[usize::from(self.grade - 1)][usize::from(self.step - 1)]
    }

    /// Returns the golongan/ruang code, such as `III/a`.
    pub fn code(&self) -> String {
        let step = char::from(b'a' + self.step - 1);
        format!("{}/{}", ROMAN[usize::from(self.grade - 1)], step)
    }

    /// `Penata Muda (III/a)`, as printed above a NIP.
    pub fn label(&self) -> String {
        format!("{} ({})", self.title(), self.code())
    }
}

impl FromStr for Rank {
    type Err = RankError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || RankError(s.to_owned());
        let (roman, letter) = s.trim().split_once('/').ok_or_else(err)?;
        let grade = ROMAN
            .iter()
            .position(|r| r.eq_ignore_ascii_case(roman.trim()))
            .ok_or_else(err)?;
        let letter = letter.trim().to_ascii_lowercase();
        let [byte] = letter.as_bytes() else {
            return Err(err());
        };
        let max_step = if grade == 3 { 5 } else { 4 };
        if !(b'a'..b'a' + max_step).contains(byte) {
            return Err(err());
        }
        let grade = u8::try_from(grade + 1).map_err(|_| err())?;
        Ok(Rank {
            grade,
            step: byte - b'a' + 1,
        })
    }
}

impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl TryFrom<String> for Rank {
    type Error = RankError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Rank> for String {
    fn from(rank: Rank) -> Self {
        rank.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_ranks() {
        assert_eq!(Rank::all().len(), 17);
    }

    #[test]
    fn parse_and_name() {
        let rank: Rank = "III/a".parse().expect("valid rank");
        assert_eq!(rank.title(), "Penata Muda");
        assert_eq!(rank.label(), "Penata Muda (III/a)");
        let top: Rank = "iv/E".parse().expect("valid rank");
        assert_eq!(top.title(), "Pembina Utama");
    }

    #[test]
    fn reject_out_of_range() {
        for bad in ["III/e", "V/a", "IV/f", "3/a", "", "III", "III/ab"] {
            assert!(bad.parse::<Rank>().is_err(), "{bad} should be rejected");
        }
    }
}
