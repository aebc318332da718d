//! Full-text search rules shared by both databases: how text becomes
//! words, how a typed query becomes terms, and how a hit is highlighted.
//!
//! Text is folded (case and Latin diacritics removed) and split on every
//! character that is not a letter or digit before either engine sees it,
//! so SQLite's FTS5 and PostgreSQL's `simple` configuration index the same
//! words and find the same letters. Every query term matches as a prefix,
//! and a letter must contain all terms.

use crate::text::fold;

/// Maximum query length, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most terms a query keeps; later ones are ignored.
pub const MAX_TERMS: usize = 12;
/// Maximum term length, in characters. Longer words are cut.
pub const MAX_TERM_CHARS: usize = 40;

/// The reason a query cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("the search text is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error("the search text has no letters or digits")]
    NoTerms,
}

/// Splits folded text into its words.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Returns the folded words of `parts`, separated by single spaces: the
/// text both engines index.
pub fn tokens<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for part in parts {
        let folded = fold(part);
        for word in words(&folded) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// A query reduced to its terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    /// Parses what the user typed. Quotes, operators and other punctuation
    /// only separate words; they never reach the engine.
    pub fn parse(raw: &str) -> Result<Query, QueryError> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let folded = fold(raw);
        let mut terms: Vec<String> = Vec::new();
        for word in words(&folded) {
            let term: String = word.chars().take(MAX_TERM_CHARS).collect();
            if !terms.contains(&term) {
                terms.push(term);
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        if terms.is_empty() {
            return Err(QueryError::NoTerms);
        }
        Ok(Query { terms })
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Returns the FTS5 `MATCH` expression: every term as a quoted prefix.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Returns the PostgreSQL `to_tsquery('simple', …)` expression: every
    /// term as a prefix, all required.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("{t}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// Returns whether a folded word matches one of the terms.
    fn matches(&self, folded_word: &str) -> bool {
        self.terms
            .iter()
            .any(|t| folded_word.starts_with(t.as_str()))
    }
}

/// A piece of a highlighted snippet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// Cuts a snippet of about `width` characters out of `text` around the
/// first matching word and marks every matching word in it.
pub fn highlight(text: &str, query: &Query, width: usize) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    // Find words with their character ranges.
    let mut spans: Vec<(usize, usize, bool)> = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in chars
        .iter()
        .enumerate()
        .chain(std::iter::once((chars.len(), &' ')))
    {
        if c.is_alphanumeric() && i < chars.len() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            let word: String = chars[s..i].iter().collect();
            spans.push((s, i, query.matches(&fold(&word))));
        }
    }
    let first = spans.iter().find(|s| s.2).map(|s| s.0).unwrap_or(0);
    let from = first.saturating_sub(width / 3);
    let from = spans.iter().map(|s| s.0).rfind(|s| *s <= from).unwrap_or(0);
    let to = (from + width).min(chars.len());
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |text: String, hit: bool| {
        if text.is_empty() {
            return;
        }
        match pieces.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(&text),
            _ => pieces.push(Piece { text, hit }),
        }
    };
    if from > 0 {
        push("…".into(), false);
    }
    let mut at = from;
    for (s, e, hit) in spans.iter().copied().filter(|s| s.2) {
        if s < from || e > to {
            continue;
        }
        push(chars[at..s].iter().collect(), false);
        push(chars[s..e].iter().collect(), hit);
        at = e;
    }
    push(chars[at..to].iter().collect(), false);
    if to < chars.len() {
        push("…".into(), false);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fold_and_split() {
        assert_eq!(
            tokens(["Rapat KOORDINASI di Café", "005.1/12/2026"]),
            "rapat koordinasi di cafe 005 1 12 2026"
        );
    }

    #[test]
    fn query_terms_ignore_operators() {
        let q = Query::parse("\"CAFÉ\" OR -rapat* NEAR(\"x\"").expect("parse");
        assert_eq!(q.terms(), ["cafe", "or", "rapat", "near", "x"]);
        assert_eq!(q.fts5(), "\"cafe\"* \"or\"* \"rapat\"* \"near\"* \"x\"*");
        assert_eq!(q.tsquery(), "cafe:* & or:* & rapat:* & near:* & x:*");
        assert_eq!(Query::parse("\"\" ** ()"), Err(QueryError::NoTerms));
        assert_eq!(Query::parse(&"a".repeat(2000)), Err(QueryError::TooLong));
    }

    #[test]
    fn highlight_marks_prefix_matches() {
        let q = Query::parse("cafe rapat").expect("parse");
        let pieces = highlight("Undangan rapat di Café Ungaran", &q, 80);
        let hits: Vec<&str> = pieces
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(hits, ["rapat", "Café"]);
        let joined: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, "Undangan rapat di Café Ungaran");
    }
}
