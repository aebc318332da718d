//! Register exports as CSV, XLSX and PDF. Lines are read from the store
//! a batch at a time after a cursor, so a CSV download streams while it
//! is read. A background job writes XLSX, CSV or PDF and records its
//! progress in the database, so any server can report it.

use axum::body::Body;
use axum::body::Bytes;
use serasi_domain::OrganizationId;
use serasi_store::registers::{Cursor, ExportJob, RegisterFilter, RegisterKind, RegisterLine};
use uuid::Uuid;

use crate::AppState;
use crate::i18n::Tr;

/// Lines read per batch.
pub const BATCH: i64 = 2_000;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Pdf,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Returns the translated title of a register.
pub fn title(t: Tr, kind: RegisterKind) -> String {
    t.get(&format!("register-title-{}", kind.as_str()))
        .to_owned()
}

/// Returns the heading row: the running number, then the register's
/// columns.
pub fn headings(t: Tr, kind: RegisterKind) -> Vec<String> {
    std::iter::once(t.get("register-col-no").to_owned())
        .chain(kind.columns().iter().map(|c| t.get(c).to_owned()))
        .collect()
}

/// Returns the file name of an export, such as
/// `agenda-surat-masuk-2026-12-04.csv`.
pub fn file_name(kind: RegisterKind, format: Format) -> String {
    let stem = match kind {
        RegisterKind::Incoming => "agenda-surat-masuk",
        RegisterKind::Outgoing => "agenda-surat-keluar",
        RegisterKind::Dispatch => "buku-ekspedisi",
    };
    format!("{stem}-{}.{}", serasi_domain::wib::today(), format.as_str())
}

fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail, so the result carries no error.
    let _ = writer.write_record(cells.iter().map(|c| neutralise(c)));
    writer.into_inner().unwrap_or_default()
}

/// Prefixes a cell that a spreadsheet would run as a formula with an
/// apostrophe, so an exported register cannot carry formula injection.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn with_number(n: i64, line: RegisterLine) -> Vec<String> {
    std::iter::once(n.to_string()).chain(line.cells).collect()
}

/// Streams a register as CSV (UTF-8 with a byte-order mark, so
/// spreadsheet programs read the Indonesian text correctly).
pub fn csv_stream(
    state: AppState,
    t: Tr,
    kind: RegisterKind,
    org: OrganizationId,
    filter: RegisterFilter,
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut head = b"\xEF\xBB\xBF".to_vec();
        head.extend(csv_line(&headings(t, kind)));
        if tx.send(Ok(Bytes::from(head))).await.is_err() {
            return;
        }
        let mut cursor: Option<Cursor> = None;
        let mut n = 0_i64;
        loop {
            let lines = match state
                .store()
                .register_lines(kind, org, &filter, cursor.as_ref(), BATCH, 0)
                .await
            {
                Ok(lines) => lines,
                Err(e) => {
                    tracing::error!(error = %e, register = kind.as_str(), "CSV export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let Some(last) = lines.last() else {
                return;
            };
            cursor = Some(last.cursor.clone());
            let mut chunk = Vec::with_capacity(lines.len() * 120);
            let full = lines.len() as i64 == BATCH;
            for line in lines {
                n += 1;
                chunk.extend(csv_line(&with_number(n, line)));
            }
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() || !full {
                return;
            }
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// Returns the export slots of this server.
fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(2))
}

/// The reason a background export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("store: {0}")]
    Store(#[from] serasi_store::StoreError),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("pdf: {0}")]
    Pdf(#[from] serasi_pdf::RenderError),
    #[error("file store: {0}")]
    Files(String),
    #[error("the register has {0} lines; a PDF holds at most {max}", max = serasi_pdf::table::MAX_TABLE_ROWS)]
    TooManyForPdf(i64),
    #[error("the register has {0} lines; an XLSX sheet holds at most {XLSX_MAX_ROWS}")]
    TooManyForXlsx(i64),
}

/// A request for a background export.
pub struct ExportRequest {
    /// The account that may read the job and its file.
    pub user: Uuid,
    pub kind: RegisterKind,
    pub org: OrganizationId,
    pub organization_name: String,
    pub format: Format,
    pub filter: RegisterFilter,
}

/// Starts a background export and returns its job id at once.
pub async fn start_job(
    state: &AppState,
    t: Tr,
    request: ExportRequest,
) -> Result<Uuid, serasi_store::StoreError> {
    let ExportRequest {
        user,
        kind,
        org,
        organization_name,
        format,
        filter,
    } = request;
    if state.store().running_export_jobs(user).await? > 0 {
        return Err(serasi_store::StoreError::Conflict(
            serasi_store::Conflict::ExportRunning,
        ));
    }
    let total = state.store().register_count(kind, org, &filter).await?;
    let now = serasi_store::now_ms();
    let job = ExportJob {
        id: Uuid::now_v7(),
        user_id: user,
        organization_id: org.as_uuid(),
        register: kind.as_str().to_owned(),
        format: format.as_str().to_owned(),
        state: "running".into(),
        total,
        done: 0,
        sha256: None,
        file_name: None,
        error: None,
        created_at: now,
        updated_at: now,
    };
    state.store().create_export_job(&job).await?;
    let id = job.id;
    let state = state.clone();
    tokio::spawn(async move {
        // At most two exports build at once on a server; others wait
        // (their progress stays at 0) instead of competing for memory.
        let _permit = slots().acquire().await.ok();
        let result = run_job(
            &state,
            t,
            id,
            kind,
            org,
            organization_name,
            format,
            filter,
            total,
        )
        .await;
        let outcome = match &result {
            Ok((sha, name)) => {
                state
                    .store()
                    .update_export_job(id, total, "done", Some((sha, name)), None)
                    .await
            }
            Err(e) => {
                tracing::error!(job = %id, error = %e, "register export failed");
                let message = match e {
                    ExportError::TooManyForPdf(n) => t.fmt(
                        "register-too-many",
                        &[
                            ("count", &n.to_string()),
                            ("max", &serasi_pdf::table::MAX_TABLE_ROWS.to_string()),
                            ("format", "PDF"),
                        ],
                    ),
                    ExportError::TooManyForXlsx(n) => t.fmt(
                        "register-too-many",
                        &[
                            ("count", &n.to_string()),
                            ("max", &XLSX_MAX_ROWS.to_string()),
                            ("format", "XLSX"),
                        ],
                    ),
                    _ => t.get("error-internal").to_owned(),
                };
                state
                    .store()
                    .update_export_job(id, 0, "failed", None, Some(&message))
                    .await
            }
        };
        if let Err(e) = outcome {
            tracing::error!(job = %id, error = %e, "recording the export's outcome failed");
        }
    });
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn run_job(
    state: &AppState,
    t: Tr,
    id: Uuid,
    kind: RegisterKind,
    org: OrganizationId,
    organization_name: String,
    format: Format,
    filter: RegisterFilter,
    total: i64,
) -> Result<(String, String), ExportError> {
    if format == Format::Pdf && total > serasi_pdf::table::MAX_TABLE_ROWS as i64 {
        return Err(ExportError::TooManyForPdf(total));
    }
    if format == Format::Xlsx && total >= i64::from(XLSX_MAX_ROWS) {
        return Err(ExportError::TooManyForXlsx(total));
    }
    let heads = headings(t, kind);
    // XLSX rows go to a writer thread a batch at a time, so memory stays
    // bounded by the batch size and the compressed output.
    let (xlsx_tx, xlsx_thread) = if format == Format::Xlsx {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<String>>>(2);
        let title = title(t, kind);
        let heads = heads.clone();
        let thread = tokio::task::spawn_blocking(move || xlsx_from(&title, &heads, rx));
        (Some(tx), Some(thread))
    } else {
        (None, None)
    };
    let mut pdf_rows: Vec<Vec<String>> = Vec::new();
    let mut csv_bytes: Vec<u8> = Vec::new();
    let mut cursor: Option<Cursor> = None;
    let mut n = 0_i64;
    loop {
        let lines = state
            .store()
            .register_lines(kind, org, &filter, cursor.as_ref(), BATCH, 0)
            .await?;
        let Some(last) = lines.last() else {
            break;
        };
        cursor = Some(last.cursor.clone());
        let full = lines.len() as i64 == BATCH;
        let mut batch = Vec::with_capacity(lines.len());
        for line in lines {
            n += 1;
            batch.push(with_number(n, line));
        }
        match format {
            Format::Pdf => pdf_rows.extend(batch),
            Format::Csv => batch
                .iter()
                .for_each(|cells| csv_bytes.extend(csv_line(cells))),
            Format::Xlsx => {
                if let Some(tx) = &xlsx_tx {
                    let tx = tx.clone();
                    tokio::task::spawn_blocking(move || tx.send(batch))
                        .await
                        .map_err(|e| ExportError::Files(e.to_string()))?
                        .map_err(|e| ExportError::Files(e.to_string()))?;
                }
            }
        }
        state
            .store()
            .update_export_job(id, n.min(total), "running", None, None)
            .await?;
        if !full {
            break;
        }
    }
    drop(xlsx_tx);
    let bytes = match (format, xlsx_thread) {
        (Format::Xlsx, Some(thread)) => thread
            .await
            .map_err(|e| ExportError::Files(e.to_string()))??,
        (Format::Pdf, _) => {
            let doc = serasi_pdf::table::TableDoc {
                title: title(t, kind),
                organization: organization_name,
                subtitle: period(t, &filter),
                footer: format!(
                    "Serasi — {}",
                    crate::sheets::long_date(t, &serasi_domain::wib::today().to_string())
                ),
                columns: heads,
                widths: pdf_widths(kind),
                rows: pdf_rows,
            };
            let today = serasi_domain::wib::today();
            tokio::task::spawn_blocking(move || serasi_pdf::table::render_table(&doc, today))
                .await
                .map_err(|e| ExportError::Files(e.to_string()))??
        }
        _ => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend(csv_line(&heads));
            out.extend(csv_bytes);
            out
        }
    };
    let sha = state
        .files()
        .put(&bytes)
        .await
        .map_err(|e| ExportError::Files(e.to_string()))?;
    Ok((sha, file_name(kind, format)))
}

fn pdf_widths(kind: RegisterKind) -> Vec<f32> {
    match kind {
        RegisterKind::Incoming => vec![0.6, 1.0, 1.2, 1.8, 1.2, 2.2, 3.0, 1.0, 1.8, 0.9],
        RegisterKind::Outgoing => vec![0.6, 2.2, 1.2, 1.4, 2.6, 3.4, 1.0, 0.8],
        RegisterKind::Dispatch => vec![0.6, 1.2, 2.0, 1.2, 2.4, 2.0, 2.8, 0.7, 1.2],
    }
}

/// Describes the filter's period for a printed title.
pub fn period(t: Tr, filter: &RegisterFilter) -> String {
    let show = |d: Option<time::Date>| d.map(|d| crate::sheets::long_date(t, &d.to_string()));
    match (show(filter.from), show(filter.to)) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        (Some(a), None) => format!("{} {a}", t.get("register-since")),
        (None, Some(b)) => format!("{} {b}", t.get("register-until")),
        (None, None) => String::new(),
    }
}

/// Most data rows an XLSX worksheet holds.
pub const XLSX_MAX_ROWS: u32 = 1_048_575;

/// Writes the batches received on `rx` into an XLSX workbook in
/// constant-memory mode and returns the file.
pub fn xlsx_from(
    title: &str,
    heads: &[String],
    rx: std::sync::mpsc::Receiver<Vec<Vec<String>>>,
) -> Result<Vec<u8>, ExportError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = workbook.add_worksheet_with_constant_memory();
    let name: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet.set_name(&name)?;
    for (col, head) in (0_u16..).zip(heads) {
        sheet.write_string_with_format(0, col, head, &bold)?;
    }
    let mut row: u32 = 0;
    for batch in rx {
        for cells in batch {
            row += 1;
            for (col, cell) in (0_u16..).zip(&cells) {
                sheet.write_string(row, col, cell)?;
            }
        }
    }
    Ok(workbook.save_to_buffer()?)
}
