//! Reads import files: CSV (UTF-8, comma or semicolon separated) and XLSX
//! (the first worksheet). Row 1 holds the column names.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serasi_store::import::{ImportKind, ImportRow};

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 20_000;

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is neither CSV (UTF-8 text) nor XLSX")]
    UnknownFormat,
    #[error("the XLSX file cannot be read: {0}")]
    Xlsx(String),
    #[error("the CSV file cannot be read on line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error("missing required column {0:?}")]
    MissingColumn(String),
    #[error("unknown column {0:?}")]
    UnknownColumn(String),
    #[error("the file has {0} data rows; at most {MAX_ROWS} are allowed per file")]
    TooManyRows(usize),
    #[error("the file has no data rows")]
    NoRows,
}

/// Parses `bytes` as CSV or XLSX, decided from the content (an XLSX file is
/// a ZIP archive), and checks the header against `kind`.
pub fn read_rows(bytes: &[u8], kind: ImportKind) -> Result<Vec<ImportRow>, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    let table = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| TableError::UnknownFormat)?;
        read_csv(text.trim_start_matches('\u{feff}'))?
    };
    into_rows(table, kind)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| TableError::Xlsx(e.to_string()))?;
    let sheet = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| TableError::Xlsx("the workbook has no worksheet".into()))?
        .map_err(|e| TableError::Xlsx(e.to_string()))?;
    Ok(sheet
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // A whole number below 2^53 is exact, so its digits are safe. An
        // 18-digit NIP typed into a number cell has already lost its last
        // digits; scientific notation makes validation reject it.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            format!("{f:.0}")
        }
        Data::Float(f) => format!("{f:e}"),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

fn read_csv(text: &str) -> Result<Vec<Vec<String>>, TableError> {
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| TableError::Csv {
            line: index + 1,
            reason: e.to_string(),
        })?;
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(rows)
}

fn into_rows(table: Vec<Vec<String>>, kind: ImportKind) -> Result<Vec<ImportRow>, TableError> {
    let mut lines = table.into_iter();
    let header: Vec<String> = lines
        .next()
        .ok_or(TableError::NoRows)?
        .into_iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if let Some(unknown) = header
        .iter()
        .find(|h| !h.is_empty() && !kind.known_columns().contains(&h.as_str()))
    {
        return Err(TableError::UnknownColumn(unknown.clone()));
    }
    if let Some(missing) = kind
        .required_columns()
        .iter()
        .find(|c| !header.iter().any(|h| h == *c))
    {
        return Err(TableError::MissingColumn((*missing).to_owned()));
    }
    let mut rows = Vec::new();
    for (index, cells) in lines.enumerate() {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: HashMap<String, String> = header
            .iter()
            .zip(cells)
            .filter(|(h, _)| !h.is_empty())
            .map(|(h, v)| (h.clone(), v))
            .collect();
        rows.push(ImportRow {
            line: index + 2,
            cells,
        });
    }
    if rows.len() > MAX_ROWS {
        return Err(TableError::TooManyRows(rows.len()));
    }
    if rows.is_empty() {
        return Err(TableError::NoRows);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_semicolons_and_bom() {
        let text =
            "\u{feff}identifier;name;organization_code\n198609262015051001;Ani;DISKOMINFO\n\n";
        let rows = read_rows(text.as_bytes(), ImportKind::Employees).expect("parses");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].cells["name"], "Ani");
    }

    #[test]
    fn header_problems() {
        let missing = read_rows(b"name\nAni\n", ImportKind::Employees);
        assert!(matches!(missing, Err(TableError::MissingColumn(c)) if c == "identifier"));
        let unknown = read_rows(
            b"identifier,name,organization_code,salary\n1,2,3,4\n",
            ImportKind::Employees,
        );
        assert!(matches!(unknown, Err(TableError::UnknownColumn(c)) if c == "salary"));
        assert!(matches!(
            read_rows(b"", ImportKind::Employees),
            Err(TableError::Empty)
        ));
        assert!(matches!(
            read_rows(&[0xff, 0xfe, 0x00], ImportKind::Employees),
            Err(TableError::UnknownFormat)
        ));
        assert!(matches!(
            read_rows(b"PK\x03\x04garbage", ImportKind::Employees),
            Err(TableError::Xlsx(_))
        ));
    }

    #[test]
    fn numeric_nip_cell() {
        assert_eq!(cell_text(&Data::Float(12_345.0)), "12345");
        let nip = cell_text(&Data::Float(198_609_262_015_051_000.0));
        assert!(
            serasi_domain::nip::Nip::parse(&nip).is_err(),
            "{nip} must not pass as a NIP"
        );
    }
}
