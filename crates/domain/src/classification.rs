//! Archive classification codes (*kode klasifikasi arsip*) of Permendagri
//! 83/2022: up to four dotted numeric segments, such as `000.1.10.1`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A syntactically valid classification code. Codes compare by their
/// numeric segments, so `000.1.2` sorts before `000.1.10`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClassificationCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid classification code {0:?}: expected 1 to 4 dotted numbers starting with 3 digits, such as 000.1.2"
)]
pub struct ClassificationCodeError(pub String);

impl ClassificationCode {
    pub fn parse(input: &str) -> Result<Self, ClassificationCodeError> {
        let code = input.trim();
        let err = || ClassificationCodeError(code.to_owned());
        let segments: Vec<&str> = code.split('.').collect();
        if segments.len() > 4 || segments[0].len() != 3 {
            return Err(err());
        }
        let valid = segments
            .iter()
            .all(|s| (1..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            return Err(err());
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> usize {
        self.0.split('.').count()
    }

    /// Returns the code one level up, or `None` at the top level.
    pub fn parent(&self) -> Option<ClassificationCode> {
        self.0
            .rsplit_once('.')
            .map(|(parent, _)| ClassificationCode(parent.to_owned()))
    }

    fn segments(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.split('.').map(|s| s.parse().unwrap_or(0))
    }

    /// Returns a key whose text order equals the numeric segment order, for storing
    /// next to the code so a database can sort by it: `000.001.010.001`.
    pub fn sort_key(&self) -> String {
        self.segments()
            .map(|n| format!("{n:03}"))
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl Ord for ClassificationCode {
    fn cmp(&self, other: &Self) -> Ordering {
        self.segments().cmp(other.segments())
    }
}

impl PartialOrd for ClassificationCode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for ClassificationCode {
    type Err = ClassificationCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ClassificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ClassificationCode {
    type Error = ClassificationCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ClassificationCode> for String {
    fn from(code: ClassificationCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> ClassificationCode {
        ClassificationCode::parse(s).expect("valid code")
    }

    #[test]
    fn numeric_order() {
        assert!(code("000.1.2") < code("000.1.10"));
        assert!(code("000.1.10") < code("000.2"));
        assert_eq!(code("000.1.10.1").sort_key(), "000.001.010.001");
    }

    #[test]
    fn parent_and_level() {
        assert_eq!(code("270.04.05").parent(), Some(code("270.04")));
        assert_eq!(code("000").parent(), None);
        assert_eq!(code("000.1.10.1").level(), 4);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "00",
            "0000",
            "000.",
            "000..1",
            "000.1.2.3.4",
            "abc",
            "000.1a",
            "000.1234",
        ] {
            assert!(
                ClassificationCode::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
