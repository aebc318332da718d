//! The body of a document as plain structured text: paragraphs separated
//! by blank lines, numbered items (`1. …`), bullet items (`- …`) and simple
//! tables (`| a | b |` rows, optionally a `|---|` line under the header).
//!
//! The text is stored as typed and turned into HTML here with every
//! character escaped, so a body can never carry a script, a remote image or
//! any other markup. The same blocks feed the PDF renderer.

use std::fmt::Write as _;

use serde::Serialize;

/// One block of a body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        lines: Vec<String>,
    },
    Numbered {
        items: Vec<String>,
    },
    Bullets {
        items: Vec<String>,
    },
    Table {
        header: Option<Vec<String>>,
        rows: Vec<Vec<String>>,
    },
}

fn numbered_item(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &line[digits..];
    rest.strip_prefix(". ")
        .or_else(|| rest.strip_prefix(") "))
        .map(str::trim)
}

fn bullet_item(line: &str) -> Option<&str> {
    line.strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .map(str::trim)
}

fn table_cells(line: &str) -> Option<Vec<String>> {
    let inner = line.strip_prefix('|')?;
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    Some(inner.split('|').map(|c| c.trim().to_owned()).collect())
}

fn is_separator(cells: &[String]) -> bool {
    cells
        .iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

/// Splits a body into blocks.
pub fn parse(body: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for raw in body.lines() {
        let line = raw.trim();
        if line.is_empty() {
            blocks.push(Block::Paragraph { lines: Vec::new() });
            continue;
        }
        let last = blocks.last_mut();
        if let Some(item) = numbered_item(line) {
            if let Some(Block::Numbered { items }) = last {
                items.push(item.to_owned());
            } else {
                blocks.push(Block::Numbered {
                    items: vec![item.to_owned()],
                });
            }
        } else if let Some(item) = bullet_item(line) {
            if let Some(Block::Bullets { items }) = last {
                items.push(item.to_owned());
            } else {
                blocks.push(Block::Bullets {
                    items: vec![item.to_owned()],
                });
            }
        } else if let Some(cells) = table_cells(line) {
            match last {
                Some(Block::Table { header, rows }) => {
                    if is_separator(&cells) && header.is_none() && rows.len() == 1 {
                        *header = rows.pop();
                    } else {
                        rows.push(cells);
                    }
                }
                _ => blocks.push(Block::Table {
                    header: None,
                    rows: vec![cells],
                }),
            }
        } else if let Some(Block::Paragraph { lines }) = last {
            lines.push(line.to_owned());
        } else {
            blocks.push(Block::Paragraph {
                lines: vec![line.to_owned()],
            });
        }
    }
    blocks.retain(|b| !matches!(b, Block::Paragraph { lines } if lines.is_empty()));
    blocks
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders a body as HTML in which every piece of text is escaped.
pub fn to_html(body: &str) -> String {
    let mut out = String::new();
    for block in parse(body) {
        match block {
            Block::Paragraph { lines } => {
                let escaped: Vec<String> = lines.iter().map(|l| escape(l)).collect();
                let _ = write!(out, "<p>{}</p>", escaped.join("<br>"));
            }
            Block::Numbered { items } => list(&mut out, "ol", &items),
            Block::Bullets { items } => list(&mut out, "ul", &items),
            Block::Table { header, rows } => {
                out.push_str("<table>");
                if let Some(header) = header {
                    out.push_str("<thead><tr>");
                    for cell in header {
                        let _ = write!(out, "<th>{}</th>", escape(&cell));
                    }
                    out.push_str("</tr></thead>");
                }
                out.push_str("<tbody>");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", escape(&cell));
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table>");
            }
        }
    }
    out
}

fn list(out: &mut String, tag: &str, items: &[String]) {
    let _ = write!(out, "<{tag}>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", escape(item));
    }
    let _ = write!(out, "</{tag}>");
}

/// Kind of difference of a line between two texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Removed,
    Added,
}

/// One line of a comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub change: Change,
    pub text: String,
}

/// Compares two texts line by line (longest common subsequence). Texts
/// too large for the table are shown as entirely replaced.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let line = |change, text: &str| DiffLine {
        change,
        text: text.to_owned(),
    };
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return a
            .iter()
            .map(|t| line(Change::Removed, t))
            .chain(b.iter().map(|t| line(Change::Added, t)))
            .collect();
    }
    // lengths[i][j] = LCS length of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lengths = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lengths[i * width + j] = if a[i] == b[j] {
                lengths[(i + 1) * width + j + 1] + 1
            } else {
                lengths[(i + 1) * width + j].max(lengths[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(line(Change::Same, a[i]));
            i += 1;
            j += 1;
        } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
            out.push(line(Change::Removed, a[i]));
            i += 1;
        } else {
            out.push(line(Change::Added, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|t| line(Change::Removed, t)));
    out.extend(b[j..].iter().map(|t| line(Change::Added, t)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        let body = "Dengan hormat,\nkami sampaikan:\n\n1. satu\n2) dua\n- titik\n\n| No | Nama |\n|---|---|\n| 1 | Ani |\nPenutup.";
        let blocks = parse(body);
        assert_eq!(blocks.len(), 5);
        assert_eq!(
            blocks[1],
            Block::Numbered {
                items: vec!["satu".into(), "dua".into()]
            }
        );
        assert_eq!(
            blocks[3],
            Block::Table {
                header: Some(vec!["No".into(), "Nama".into()]),
                rows: vec![vec!["1".into(), "Ani".into()]],
            }
        );
    }

    #[test]
    fn markup_is_inert() {
        let html = to_html("<script>alert(1)</script>\n<img src=\"http://x/y.png\">");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn diff() {
        let d = diff_lines("a\nb\nc", "a\nx\nc\nd");
        let changes: Vec<(Change, &str)> = d.iter().map(|l| (l.change, l.text.as_str())).collect();
        assert_eq!(
            changes,
            vec![
                (Change::Same, "a"),
                (Change::Removed, "b"),
                (Change::Added, "x"),
                (Change::Same, "c"),
                (Change::Added, "d"),
            ]
        );
    }
}
