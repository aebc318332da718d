//! Directory import from an uploaded CSV or XLSX file, shared by the API
//! and the administration page.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serasi_store::import::{ImportError, ImportKind};
use serde::Serialize;
use utoipa::ToSchema;

use super::directory::audit;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody, RowErrorBody};
use crate::i18n::Tr;
use crate::messages;
use crate::tabular::{TableError, read_rows_blocking};

/// Reason an import wrote nothing.
pub enum ImportFailure {
    /// The file or some rows are invalid; each entry names line and column.
    Rejected(Vec<RowErrorBody>),
    /// The upload exceeds the body limit; carries the limit in megabytes.
    TooLarge(usize),
    /// A server fault, already described for the log.
    Server(String),
}

fn table_error(t: Tr, err: &TableError) -> RowErrorBody {
    let (line, column) = match err {
        TableError::MissingColumn(c)
        | TableError::UnknownColumn(c)
        | TableError::DuplicateColumn(c) => (1, c.clone()),
        TableError::TooManyColumns { line, column } => (*line, column_name(*column)),
        TableError::Csv { line, .. } => (*line, String::new()),
        TableError::NumericCell { line, column }
        | TableError::ControlCharacter { line, column }
        | TableError::CellTooLong { line, column } => (*line, column_name(*column)),
        _ => (0, String::new()),
    };
    let reason = match err {
        TableError::Empty => t.get("import-empty").to_owned(),
        TableError::UnknownFormat => t.get("import-format").to_owned(),
        TableError::Xlsx(detail) => t.fmt("import-xlsx", &[("detail", detail)]),
        TableError::Csv { reason, .. } => t.fmt("import-csv", &[("detail", reason)]),
        TableError::MissingColumn(c) => t.fmt("import-missing-column", &[("column", c)]),
        TableError::UnknownColumn(c) => t.fmt("import-unknown-column", &[("column", c)]),
        TableError::TooManyRows(n) => t.fmt(
            "import-too-many",
            &[
                ("count", &n.to_string()),
                ("max", &crate::tabular::MAX_ROWS.to_string()),
            ],
        ),
        TableError::NoRows => t.get("import-no-rows").to_owned(),
        TableError::NumericCell { .. } => t.get("import-numeric-cell").to_owned(),
        TableError::CellTooLong { .. } => t.fmt(
            "import-cell-too-long",
            &[("max", &crate::tabular::MAX_CELL_BYTES.to_string())],
        ),
        TableError::DuplicateColumn(c) => t.fmt("import-duplicate-column", &[("column", c)]),
        TableError::TooManyColumns { .. } => t.fmt(
            "import-too-many-columns",
            &[("max", &crate::tabular::MAX_COLUMNS.to_string())],
        ),
        TableError::ControlCharacter { .. } => t.get("import-control").to_owned(),
        TableError::TooBig(size) => t.fmt(
            "import-too-big",
            &[
                ("size", &(size / (1024 * 1024)).to_string()),
                (
                    "max",
                    &(crate::tabular::MAX_XLSX_UNPACKED / (1024 * 1024)).to_string(),
                ),
            ],
        ),
    };
    RowErrorBody {
        line,
        column,
        reason,
    }
}

/// Returns the spreadsheet name of a 1-based column number: 1 is `A`,
/// 27 is `AA`.
fn column_name(mut number: usize) -> String {
    let mut name = Vec::new();
    while number > 0 {
        let rest = (number - 1) % 26;
        name.push(b'A' + u8::try_from(rest).unwrap_or(0));
        number = (number - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn rejected(reason: String) -> ImportFailure {
    ImportFailure::Rejected(vec![RowErrorBody {
        line: 0,
        column: String::new(),
        reason,
    }])
}

/// Reads the `kind` and `file` fields of a multipart form and imports the
/// file in one transaction. Returns the kind and the number of rows.
pub async fn run_import(
    state: &AppState,
    t: Tr,
    mut multipart: Multipart,
) -> Result<(&'static str, usize), ImportFailure> {
    let limit_mb = state.config().max_body_bytes / (1024 * 1024);
    let upload_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ImportFailure::TooLarge(limit_mb)
        } else {
            rejected(t.fmt("import-upload", &[("detail", &e.body_text())]))
        }
    };
    let mut kind = None;
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(upload_error(e)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(upload_error)?;
        match name.as_str() {
            "kind" => kind = Some(String::from_utf8_lossy(&bytes).trim().to_owned()),
            "file" => file = Some(bytes),
            _ => {}
        }
    }
    let kind: ImportKind = kind
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|_| rejected(t.get("import-kind-invalid").to_owned()))?;
    let bytes = file.ok_or_else(|| rejected(t.get("import-no-file").to_owned()))?;
    let rows = read_rows_blocking(bytes, kind)
        .await
        .map_err(|e| ImportFailure::Rejected(vec![table_error(t, &e)]))?;
    let kind_name = match kind {
        ImportKind::Organizations => "organizations",
        ImportKind::Positions => "positions",
        ImportKind::Employees => "employees",
    };
    match state.store().import_directory(kind, &rows).await {
        Ok(count) => Ok((kind_name, count)),
        Err(ImportError::Rows(errors)) => Err(ImportFailure::Rejected(
            errors
                .iter()
                .map(|e| RowErrorBody {
                    line: e.line,
                    column: e.column.clone(),
                    reason: messages::row_problem(t, &e.problem),
                })
                .collect(),
        )),
        Err(ImportError::Store(e)) => {
            tracing::error!(error = %e, "import failed");
            Err(ImportFailure::Server(e.to_string()))
        }
    }
}

/// Result of an import.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub kind: String,
    pub created: usize,
}

/// Imports organisations, positions or employees from a CSV or XLSX file
/// (administrators only). The form has a `kind` field (`organizations`,
/// `positions` or `employees`) and a `file` field. Either every row is
/// imported or none, and the response lists each row error with its line
/// and column.
#[utoipa::path(post, path = "/import", tag = "admin",
    request_body(content_type = "multipart/form-data", description = "fields `kind` and `file`"),
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 201, body = ImportResult), (status = 422, body = ErrorBody)))]
pub async fn import_file(
    State(state): State<AppState>,
    caller: ApiUser,
    multipart: Multipart,
) -> Result<(StatusCode, Json<ImportResult>), ApiError> {
    caller.require_admin()?;
    let t = caller.t;
    match run_import(&state, t, multipart).await {
        Ok((kind, created)) => {
            audit(&state, &caller, "directory.import", "import", kind).await;
            Ok((
                StatusCode::CREATED,
                Json(ImportResult {
                    kind: kind.to_owned(),
                    created,
                }),
            ))
        }
        Err(ImportFailure::Server(cause)) => Err(ApiError::internal(&cause)),
        Err(ImportFailure::TooLarge(mb)) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            t.fmt("import-too-large", &[("max", &mb.to_string())]),
        )
        .field("file")),
        Err(ImportFailure::Rejected(rows)) => {
            let mut err = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.fmt("import-failed", &[("count", &rows.len().to_string())]),
            );
            err.rows = rows;
            Err(err)
        }
    }
}
