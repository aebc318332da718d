//! Reads import files: CSV (UTF-8, comma or semicolon separated) and XLSX
//! (the first worksheet). Row 1 contains the column names.

use std::collections::HashMap;
use std::io::Cursor;

use std::collections::BTreeMap;

use calamine::{DataRef, Reader, Xlsx};
use serasi_store::import::{ImportKind, ImportRow};

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 20_000;

/// Most columns a row may use.
pub const MAX_COLUMNS: usize = 64;

/// Maximum cell text length in bytes. Directory fields are far shorter, and
/// the cap also bounds memory because every cell gets its own copy of a
/// shared string.
pub const MAX_CELL_BYTES: usize = 4096;

/// Most bytes the parts of an XLSX file may unpack to, so a small
/// compressed upload cannot exhaust memory.
pub const MAX_XLSX_UNPACKED: u64 = 64 * 1024 * 1024;

/// A table read from a file: each row with its 1-based line number.
type Table = Vec<(usize, Vec<String>)>;

/// Reason a file cannot be read as a table.
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
    #[error("line {line} uses column {column}; at most {MAX_COLUMNS} columns are allowed")]
    TooManyColumns { line: usize, column: usize },
    #[error("line {line}, column {column}: the cell is longer than {MAX_CELL_BYTES} bytes")]
    CellTooLong { line: usize, column: usize },
    #[error("column {0:?} appears twice in the header row")]
    DuplicateColumn(String),
    #[error("the XLSX file unpacks to {0} bytes, more than the {MAX_XLSX_UNPACKED} allowed")]
    TooBig(u64),
    #[error(
        "line {line}, column {column}: the number is too long to be exact; format the column as text"
    )]
    NumericCell { line: usize, column: usize },
    #[error("line {line}, column {column}: the cell contains a control character")]
    ControlCharacter { line: usize, column: usize },
}

/// Parses an upload off the async runtime, so a large file does not delay
/// other requests. A panic in the spreadsheet parser (seen with absurd cell
/// references) becomes an ordinary error.
pub async fn read_rows_blocking(
    bytes: axum::body::Bytes,
    kind: ImportKind,
) -> Result<Vec<ImportRow>, TableError> {
    tokio::task::spawn_blocking(move || read_rows(&bytes, kind))
        .await
        .unwrap_or_else(|_| Err(TableError::Xlsx("the file cannot be parsed".into())))
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

fn read_xlsx(bytes: &[u8]) -> Result<Table, TableError> {
    check_unpacked_size(bytes)?;
    let xlsx_error = |e: calamine::XlsxError| TableError::Xlsx(e.to_string());
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| TableError::Xlsx("the workbook has no worksheet".into()))?;
    // Cells are streamed rather than loaded as a range: a range allocates
    // every cell between A1 and the last used one, so a single cell at
    // XFD1048576 would need gigabytes.
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(xlsx_error)?;
    let mut cells_by_row: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(xlsx_error)? {
        let (row, column) = cell.get_position();
        let (line, column) = (row as usize + 1, column as usize + 1);
        let too_long = match cell.get_value() {
            DataRef::SharedString(s) => s.len() > MAX_CELL_BYTES,
            DataRef::String(s) => s.len() > MAX_CELL_BYTES,
            _ => false,
        };
        if too_long {
            return Err(TableError::CellTooLong { line, column });
        }
        let text = cell_text(cell.get_value()).ok_or(TableError::NumericCell { line, column })?;
        if text.trim().is_empty() {
            continue;
        }
        if line > MAX_ROWS + 1 {
            return Err(TableError::TooManyRows(line - 1));
        }
        if column > MAX_COLUMNS {
            return Err(TableError::TooManyColumns { line, column });
        }
        cells_by_row.entry(line).or_default().push((column, text));
    }
    let table = cells_by_row
        .into_iter()
        .map(|(line, cells)| {
            let width = cells.iter().map(|(column, _)| *column).max().unwrap_or(0);
            let mut row = vec![String::new(); width];
            for (column, text) in cells {
                row[column - 1] = text;
            }
            (line, row)
        })
        .collect();
    Ok(table)
}

/// Decompresses every part of the archive once, counting real bytes, and
/// rejects the file when they exceed the limit. The sizes the archive
/// declares are not trusted: a crafted file can understate them.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), TableError> {
    let zip_error = |e: zip::result::ZipError| TableError::Xlsx(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(zip_error)?;
        let allowed = MAX_XLSX_UNPACKED - total;
        let read = std::io::copy(
            &mut std::io::Read::take(entry, allowed + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| TableError::Xlsx(e.to_string()))?;
        total += read;
        if total > MAX_XLSX_UNPACKED {
            return Err(TableError::TooBig(total));
        }
    }
    Ok(())
}

/// Returns a cell's text, or `None` for a number too long to be exact.
fn cell_text(cell: &DataRef<'_>) -> Option<String> {
    let text = match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        // A whole number below 2^53 is exact, so its digits are safe. An
        // 18-digit NIP typed into a number cell has already lost its last
        // digits.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            format!("{f:.0}")
        }
        DataRef::Float(f) if f.abs() >= 9_007_199_254_740_992.0 => return None,
        DataRef::Int(i) => i.to_string(),
        other => calamine::Data::from(other.clone()).to_string(),
    };
    Some(text)
}

fn read_csv(text: &str) -> Result<Table, TableError> {
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
    let mut record = csv::StringRecord::new();
    // Line number (1-based) of byte offset `counted_to` in `text`.
    let mut line_at = 1;
    let mut counted_to = 0;
    loop {
        let line = usize::try_from(reader.position().line()).unwrap_or(0);
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(TableError::Csv {
                    line,
                    reason: e.to_string(),
                });
            }
        }
        // The parser's position may still point at blank lines before the
        // record, so the line is counted from the first byte that is not a
        // line break. Quoted cells that span lines are counted too.
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(counted_to);
        let start = start
            + text.as_bytes()[start.min(text.len())..]
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count();
        if start >= counted_to {
            line_at += count_line_breaks(&text.as_bytes()[counted_to..start.min(text.len())]);
            counted_to = start.min(text.len());
        }
        if let Some(index) = record.iter().position(|cell| cell.len() > MAX_CELL_BYTES) {
            return Err(TableError::CellTooLong {
                line: line_at,
                column: index + 1,
            });
        }
        rows.push((line_at, record.iter().map(str::to_owned).collect()));
        if rows.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(rows)
}

/// Counts line breaks: `\n`, `\r\n` and a lone `\r` (old Mac files).
fn count_line_breaks(bytes: &[u8]) -> usize {
    let lone_cr = bytes
        .windows(2)
        .filter(|pair| pair[0] == b'\r' && pair[1] != b'\n')
        .count()
        + usize::from(bytes.last() == Some(&b'\r'));
    bytes.iter().filter(|b| **b == b'\n').count() + lone_cr
}

fn into_rows(table: Table, kind: ImportKind) -> Result<Vec<ImportRow>, TableError> {
    for (line, cells) in &table {
        if let Some(index) = cells.iter().position(|c| {
            c.chars()
                .any(|ch| ch.is_control() && ch != '\n' && ch != '\t' && ch != '\r')
        }) {
            return Err(TableError::ControlCharacter {
                line: *line,
                column: index + 1,
            });
        }
    }
    let mut lines = table.into_iter();
    let header: Vec<String> = lines
        .next()
        .ok_or(TableError::NoRows)?
        .1
        .into_iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    for (index, name) in header.iter().enumerate() {
        if !name.is_empty() && header[..index].contains(name) {
            return Err(TableError::DuplicateColumn(name.clone()));
        }
    }
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
    for (line, cells) in lines {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: HashMap<String, String> = header
            .iter()
            .zip(cells)
            .filter(|(h, _)| !h.is_empty())
            .map(|(h, v)| (h.clone(), v))
            .collect();
        rows.push(ImportRow { line, cells });
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
        assert_eq!(cell_text(&DataRef::Float(12_345.0)), Some("12345".into()));
        assert_eq!(cell_text(&DataRef::Float(198_609_262_015_051_000.0)), None);
    }

    #[test]
    fn line_numbers_follow_the_file() {
        let text = "code,name,kind,parent_code\nA,One,agency,33.22\n\nB,\"Two\nlines\",agency,33.22\nC,Three,agency,33.22\n";
        let rows = read_rows(text.as_bytes(), ImportKind::Organizations).expect("parses");
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 6]);
    }

    #[test]
    fn carriage_return_lines() {
        let text = "code,name,kind,parent_code\rA,One,agency,33.22\rB,Two,agency,33.22\r";
        let rows = read_rows(text.as_bytes(), ImportKind::Organizations).expect("parses");
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn duplicate_column_rejected() {
        let text = "identifier,name,organization_code,identifier\n1,A,X,2\n";
        let err = read_rows(text.as_bytes(), ImportKind::Employees);
        assert!(matches!(err, Err(TableError::DuplicateColumn(c)) if c == "identifier"));
    }

    #[test]
    fn nul_cell_rejected() {
        let text = "identifier,name,organization_code\n1,A\u{0}B,X\n";
        let err = read_rows(text.as_bytes(), ImportKind::Employees);
        assert!(
            matches!(
                err,
                Err(TableError::ControlCharacter { line: 2, column: 2 })
            ),
            "{err:?}"
        );
    }
}
