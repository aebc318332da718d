//! Letter numbering templates such as
//! `{classification}/{serial:03}/{unit}/{month_roman}/{year}`.
//!
//! A template is parsed once; it renders a number from its parts and
//! recognises a number typed by hand for a paper letter. Series reset on
//! 1 January in WIB, so the year of a number is the WIB year of its date.

use std::fmt::Write as _;

use time::{Date, OffsetDateTime};

use crate::wib::WIB;

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(String),
    Classification,
    /// The serial number, zero-padded to `width` digits.
    Serial {
        width: usize,
    },
    Unit,
    Kind,
    Month,
    MonthRoman,
    Year,
}

/// A parsed numbering template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberTemplate {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unknown token {{{0}}}; use classification, serial, serial:03, unit, kind, month, month_roman or year"
    )]
    UnknownToken(String),
    #[error("the template has an unclosed '{{'")]
    Unclosed,
    #[error("the template has a '}}' without a matching '{{'")]
    Unopened,
    #[error("the template must contain {{serial}} exactly once, found {0}")]
    SerialCount(usize),
    #[error("serial width {0:?} is invalid; use 1 to 9, such as {{serial:03}}")]
    SerialWidth(String),
    #[error("the template must contain {{{0}}}, so numbers of different series never look alike")]
    MissingToken(&'static str),
}

/// The values a number is made of, except the serial.
#[derive(Clone, Debug)]
pub struct NumberContext<'a> {
    pub classification: &'a str,
    pub unit: &'a str,
    pub kind: &'a str,
    /// The document's date (WIB).
    pub date: Date,
}

/// A serial with an optional insert part: `5` or `5.1` for a document
/// dated back into a range that is already closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Serial {
    pub number: u32,
    pub insert: Option<u32>,
}

const ROMAN_MONTHS: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

/// Returns the year a document dated at `at` is numbered in: series reset
/// at 1 January 00:00 WIB, not UTC.
pub fn series_year(at: OffsetDateTime) -> i32 {
    at.to_offset(WIB).year()
}

impl NumberTemplate {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            match c {
                '{' => {
                    let end = rest.find('}').ok_or(TemplateError::Unclosed)?;
                    if !literal.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut literal)));
                    }
                    tokens.push(parse_token(&rest[1..end])?);
                    rest = &rest[end + 1..];
                }
                '}' => return Err(TemplateError::Unopened),
                _ => {
                    literal.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        let serials = tokens
            .iter()
            .filter(|t| matches!(t, Token::Serial { .. }))
            .count();
        if serials != 1 {
            return Err(TemplateError::SerialCount(serials));
        }
        Ok(NumberTemplate { tokens })
    }

    /// Checks that numbers of different series and years cannot look
    /// alike: the year is always in the number, and so is the kind or the
    /// classification code when a series counts per kind or per code.
    pub fn check_scope(&self, scope: crate::document::SeriesScope) -> Result<(), TemplateError> {
        use crate::document::SeriesScope;
        let has = |wanted: &Token| self.tokens.iter().any(|t| t == wanted);
        if !has(&Token::Year) {
            return Err(TemplateError::MissingToken("year"));
        }
        match scope {
            SeriesScope::Kind if !has(&Token::Kind) => Err(TemplateError::MissingToken("kind")),
            SeriesScope::Classification if !has(&Token::Classification) => {
                Err(TemplateError::MissingToken("classification"))
            }
            _ => Ok(()),
        }
    }

    /// Renders a number, such as `000.1.2/005/DISKOMINFO/XII/2026`.
    pub fn render(&self, context: &NumberContext<'_>, serial: Serial) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Serial { width } => {
                    let _ = write!(out, "{:0width$}", serial.number, width = *width);
                    if let Some(insert) = serial.insert {
                        let _ = write!(out, ".{insert}");
                    }
                }
                other => out.push_str(&self.fixed_text(other, context)),
            }
        }
        out
    }

    fn fixed_text(&self, token: &Token, context: &NumberContext<'_>) -> String {
        match token {
            Token::Literal(text) => text.clone(),
            Token::Classification => context.classification.to_owned(),
            Token::Unit => context.unit.to_owned(),
            Token::Kind => context.kind.to_owned(),
            Token::Month => format!("{:02}", u8::from(context.date.month())),
            Token::MonthRoman => {
                ROMAN_MONTHS[usize::from(u8::from(context.date.month())) - 1].to_owned()
            }
            Token::Year => context.date.year().to_string(),
            Token::Serial { .. } => String::new(),
        }
    }

    /// Reads the serial out of a number typed by hand for a paper letter.
    /// Returns `None` when the number belongs to another series or is
    /// malformed.
    pub fn match_serial(&self, number: &str, context: &NumberContext<'_>) -> Option<Serial> {
        let position = self
            .tokens
            .iter()
            .position(|t| matches!(t, Token::Serial { .. }))?;
        let prefix: String = self.tokens[..position]
            .iter()
            .map(|t| self.fixed_text(t, context))
            .collect();
        let suffix: String = self.tokens[position + 1..]
            .iter()
            .map(|t| self.fixed_text(t, context))
            .collect();
        let middle = number.trim().strip_prefix(&prefix)?.strip_suffix(&suffix)?;
        let (main, insert) = match middle.split_once('.') {
            Some((main, insert)) => (main, Some(insert)),
            None => (middle, None),
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 9 && s.chars().all(|c| c.is_ascii_digit());
        if !digits(main) || insert.is_some_and(|i| !digits(i)) {
            return None;
        }
        Some(Serial {
            number: main.parse().ok()?,
            insert: match insert {
                Some(i) => Some(i.parse().ok()?),
                None => None,
            },
        })
    }
}

fn parse_token(name: &str) -> Result<Token, TemplateError> {
    let token = match name.trim() {
        "classification" => Token::Classification,
        "serial" => Token::Serial { width: 1 },
        "unit" => Token::Unit,
        "kind" => Token::Kind,
        "month" => Token::Month,
        "month_roman" => Token::MonthRoman,
        "year" => Token::Year,
        other => match other.strip_prefix("serial:") {
            Some(width) => {
                let parsed: usize = width
                    .parse()
                    .map_err(|_| TemplateError::SerialWidth(width.to_owned()))?;
                if !(1..=9).contains(&parsed) {
                    return Err(TemplateError::SerialWidth(width.to_owned()));
                }
                Token::Serial { width: parsed }
            }
            None => return Err(TemplateError::UnknownToken(other.to_owned())),
        },
    };
    Ok(token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn scope_needs_its_token() {
        use crate::document::SeriesScope;
        let kind =
            NumberTemplate::parse("{classification}/{serial:03}/{kind}/{year}").expect("valid");
        assert_eq!(kind.check_scope(SeriesScope::Kind), Ok(()));
        let plain = NumberTemplate::parse("{serial:03}/{year}").expect("valid");
        assert_eq!(
            plain.check_scope(SeriesScope::Classification),
            Err(TemplateError::MissingToken("classification"))
        );
        let yearless = NumberTemplate::parse("{kind}/{serial:03}").expect("valid");
        assert_eq!(
            yearless.check_scope(SeriesScope::Kind),
            Err(TemplateError::MissingToken("year"))
        );
    }

    use super::*;
    use time::macros::{date, datetime};

    const USUAL: &str = "{classification}/{serial:03}/{unit}/{month_roman}/{year}";

    fn context() -> NumberContext<'static> {
        NumberContext {
            classification: "000.1.2",
            unit: "DISKOMINFO",
            kind: "ND",
            date: date!(2026 - 12 - 04),
        }
    }

    #[test]
    fn renders_usual_format() {
        let template = NumberTemplate::parse(USUAL).expect("valid");
        let serial = Serial {
            number: 5,
            insert: None,
        };
        assert_eq!(
            template.render(&context(), serial),
            "000.1.2/005/DISKOMINFO/XII/2026"
        );
        let insert = Serial {
            number: 5,
            insert: Some(1),
        };
        assert_eq!(
            template.render(&context(), insert),
            "000.1.2/005.1/DISKOMINFO/XII/2026"
        );
    }

    #[test]
    fn wide_serials_are_not_cut() {
        let template = NumberTemplate::parse("{serial:03}/{year}").expect("valid");
        let serial = Serial {
            number: 1234,
            insert: None,
        };
        assert_eq!(template.render(&context(), serial), "1234/2026");
    }

    #[test]
    fn typed_numbers_are_recognised() {
        let template = NumberTemplate::parse(USUAL).expect("valid");
        let ctx = context();
        assert_eq!(
            template.match_serial("000.1.2/017/DISKOMINFO/XII/2026", &ctx),
            Some(Serial {
                number: 17,
                insert: None
            })
        );
        assert_eq!(
            template.match_serial("000.1.2/005.2/DISKOMINFO/XII/2026", &ctx),
            Some(Serial {
                number: 5,
                insert: Some(2)
            })
        );
        for other in [
            "000.1.2/017/DINKES/XII/2026",
            "000.1.2/x17/DISKOMINFO/XII/2026",
            "000.1.2//DISKOMINFO/XII/2026",
            "000.1.2/017/DISKOMINFO/XI/2026",
            "000.1.2/5./DISKOMINFO/XII/2026",
        ] {
            assert_eq!(template.match_serial(other, &ctx), None, "{other}");
        }
    }

    #[test]
    fn template_errors() {
        assert_eq!(
            NumberTemplate::parse("{year}"),
            Err(TemplateError::SerialCount(0))
        );
        assert_eq!(
            NumberTemplate::parse("{serial}/{serial}"),
            Err(TemplateError::SerialCount(2))
        );
        assert_eq!(
            NumberTemplate::parse("{serial/{year}"),
            Err(TemplateError::UnknownToken("serial/{year".into()))
        );
        assert_eq!(
            NumberTemplate::parse("{serial}/{year"),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(
            NumberTemplate::parse("{serial}}"),
            Err(TemplateError::Unopened)
        );
        assert_eq!(
            NumberTemplate::parse("{serial:0}"),
            Err(TemplateError::SerialWidth("0".into()))
        );
        assert_eq!(
            NumberTemplate::parse("{seriel}"),
            Err(TemplateError::UnknownToken("seriel".into()))
        );
    }

    #[test]
    fn year_rolls_over_at_midnight_wib() {
        // 31 December 16:59 UTC is 23:59 WIB, still the old year;
        // 17:00 UTC is 1 January 00:00 WIB.
        assert_eq!(series_year(datetime!(2026-12-31 16:59:59 UTC)), 2026);
        assert_eq!(series_year(datetime!(2026-12-31 17:00:00 UTC)), 2027);
    }
}
