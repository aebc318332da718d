//! Tables and sheets printed from data: register exports and the
//! disposition sheet of an incoming letter. Like letters, they are typeset
//! by typst from JSON, never from markup built out of user text.

use serde::Serialize;

use crate::render::{RenderError, render_json};

const TABLE_TEMPLATE: &str = include_str!("table.typ");
const SHEET_TEMPLATE: &str = include_str!("sheet.typ");

/// Most rows one table PDF holds; larger registers export as CSV or XLSX.
pub const MAX_TABLE_ROWS: usize = 5_000;

/// A register or list to print.
#[derive(Clone, Debug, Serialize)]
pub struct TableDoc {
    pub title: String,
    pub organization: String,
    pub subtitle: String,
    pub footer: String,
    pub columns: Vec<String>,
    /// Relative column widths, one per column.
    pub widths: Vec<f32>,
    pub rows: Vec<Vec<String>>,
}

/// Renders a table to PDF bytes, with `date` the creation date.
pub fn render_table(doc: &TableDoc, date: time::Date) -> Result<Vec<u8>, RenderError> {
    if doc.rows.len() > MAX_TABLE_ROWS {
        return Err(RenderError::TooLarge);
    }
    if doc.widths.len() != doc.columns.len()
        || doc.rows.iter().any(|r| r.len() != doc.columns.len())
    {
        return Err(RenderError::Typeset("row and column counts differ".into()));
    }
    render_json(TABLE_TEMPLATE, doc, date)
}

/// One referral on a disposition sheet.
#[derive(Clone, Debug, Serialize)]
pub struct SheetEntry {
    pub heading: String,
    pub lines: Vec<String>,
}

/// The disposition sheet of an incoming letter.
#[derive(Clone, Debug, Serialize)]
pub struct SheetDoc {
    pub title: String,
    pub organization: String,
    /// Label and value pairs: agenda number, sender, number, date, subject.
    pub facts: Vec<(String, String)>,
    pub entries: Vec<SheetEntry>,
    /// Printed when there are no entries.
    pub empty: String,
    /// The label over the space for a handwritten initial or signature.
    pub signature: String,
}

/// Renders a disposition sheet to PDF bytes.
pub fn render_sheet(doc: &SheetDoc, date: time::Date) -> Result<Vec<u8>, RenderError> {
    render_json(SHEET_TEMPLATE, doc, date)
}

/// Returns the text layer of a PDF, page by page, for search; empty when
/// the file has none or cannot be read. At most `max_pages` pages are
/// read.
pub fn text_layer(bytes: &[u8], max_pages: u32) -> String {
    let Ok(doc) = lopdf::Document::load_mem(bytes) else {
        return String::new();
    };
    let pages: Vec<u32> = doc
        .get_pages()
        .keys()
        .copied()
        .take(max_pages as usize)
        .collect();
    doc.extract_text(&pages).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_sheet_render() {
        let doc = TableDoc {
            title: "Buku Agenda Surat Masuk".into(),
            organization: "Dinas Komunikasi dan Informatika".into(),
            subtitle: "1 Desember 2026 – 4 Desember 2026".into(),
            footer: "Serasi".into(),
            columns: vec!["No.".into(), "Perihal".into()],
            widths: vec![1.0, 6.0],
            rows: (1..=120)
                .map(|n| vec![n.to_string(), format!("Surat #{n} [*bukan markup*]")])
                .collect(),
        };
        let pdf = render_table(&doc, time::macros::date!(2026 - 12 - 04)).expect("table");
        assert!(pdf.starts_with(b"%PDF"));
        let text = text_layer(&pdf, 10);
        assert!(text.contains("Perihal"), "{text}");
        let sheet = SheetDoc {
            title: "Lembar Disposisi".into(),
            organization: "Dinas Komunikasi dan Informatika".into(),
            facts: vec![("Nomor agenda".into(), "12/2026".into())],
            entries: vec![SheetEntry {
                heading: "Kepala Dinas → Sekretaris".into(),
                lines: vec!["Tindak lanjuti".into()],
            }],
            empty: "Belum ada disposisi".into(),
            signature: "Paraf".into(),
        };
        let pdf = render_sheet(&sheet, time::macros::date!(2026 - 12 - 04)).expect("sheet");
        assert!(text_layer(&pdf, 2).contains("Sekretaris"));
        let mut bad = doc.clone();
        bad.rows.push(vec!["only one".into()]);
        assert!(render_table(&bad, time::macros::date!(2026 - 12 - 04)).is_err());
    }
}
