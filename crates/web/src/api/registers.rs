//! Registers and search over the API: the incoming, outgoing and dispatch
//! registers of an organisation, filtered and paginated, their exports as
//! CSV (streamed) or as background XLSX, CSV and PDF jobs with progress,
//! and one search over every letter the caller may see.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serasi_domain::search::Query as SearchText;
use serasi_domain::{OrganizationId, wib};
use serasi_store::registers::{RegisterFilter, RegisterKind};
use serasi_store::search::SearchFilters;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use super::documents::require_registers;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::exports::{self, Format};
use crate::i18n::Tr;

/// Filters of a register view or export.
#[derive(Deserialize, IntoParams, ToSchema, Default)]
pub struct RegisterParams {
    /// First date (inclusive): the arrival date for incoming letters, the
    /// letter date otherwise.
    #[param(value_type = Option<String>, format = Date)]
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// Last date (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    /// A document kind code such as `surat_dinas`.
    pub kind: Option<String>,
    /// A classification code or its start, such as `000.1`.
    pub classification: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl RegisterParams {
    fn filter(&self, t: Tr) -> Result<RegisterFilter, ApiError> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.get("error-period-order"),
            )
            .field("to"));
        }
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| v.chars().take(60).collect::<String>())
        };
        if let Some(code) = clean(&self.classification)
            && !serasi_store::registers::is_code_prefix(&code)
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.fmt("error-classification-format", &[("value", &code)]),
            )
            .field("classification"));
        }
        Ok(RegisterFilter {
            from: self.from,
            to: self.to,
            kind: clean(&self.kind),
            classification: clean(&self.classification),
        })
    }
}

/// Parses a register name.
pub fn register_kind(t: Tr, name: &str) -> Result<RegisterKind, ApiError> {
    name.parse().map_err(|_| ApiError::not_found(t))
}

/// One register line.
#[derive(Serialize, ToSchema)]
pub struct RegisterLineDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// `incoming` or `document`.
    pub source: String,
    /// Running number within the filtered register.
    pub no: i64,
    /// Cells in the order of `columns`, after the running number.
    pub cells: Vec<String>,
}

/// A page of a register.
#[derive(Serialize, ToSchema)]
pub struct RegisterPageDto {
    pub title: String,
    /// Column headings, the running number first.
    pub columns: Vec<String>,
    pub items: Vec<RegisterLineDto>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// Reads a page of a register: `incoming`, `outgoing` or `dispatch`.
/// Administrators and the organisation's clerks only. Subjects of Rahasia
/// and Sangat Rahasia letters are left empty.
#[utoipa::path(get, path = "/organizations/{id}/registers/{register}", tag = "registers", params(RegisterParams),
    responses((status = 200, body = RegisterPageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn page(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, register)): Path<(Uuid, String)>,
    Query(params): Query<RegisterParams>,
) -> Result<Json<RegisterPageDto>, ApiError> {
    let t = caller.t;
    let kind = register_kind(t, &register)?;
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    let filter = params.filter(t)?;
    let page = params.page.unwrap_or(1).clamp(1, 100_000);
    let per_page = params.per_page.unwrap_or(50).clamp(1, 200);
    let offset = i64::from(page - 1) * i64::from(per_page);
    let store_err = |e| ApiError::from_store(t, e);
    let total = state
        .store()
        .register_count(kind, org, &filter)
        .await
        .map_err(store_err)?;
    let lines = state
        .store()
        .register_lines(kind, org, &filter, None, i64::from(per_page), offset)
        .await
        .map_err(store_err)?;
    Ok(Json(RegisterPageDto {
        title: exports::title(t, kind),
        columns: exports::headings(t, kind),
        items: (offset + 1..)
            .zip(lines)
            .map(|(no, l)| RegisterLineDto {
                id: l.id,
                source: l.source.to_owned(),
                no,
                cells: l.cells,
            })
            .collect(),
        total,
        page,
        per_page,
    }))
}

/// Downloads a whole register as CSV, streamed while it is read, so a
/// register of any size downloads in bounded memory.
#[utoipa::path(get, path = "/organizations/{id}/registers/{register}/csv", tag = "registers", params(RegisterParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn csv(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, register)): Path<(Uuid, String)>,
    Query(params): Query<RegisterParams>,
) -> Result<axum::response::Response, ApiError> {
    let t = caller.t;
    let kind = register_kind(t, &register)?;
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    let filter = params.filter(t)?;
    let total = state
        .store()
        .register_count(kind, org, &filter)
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    let body = exports::csv_stream(state.clone(), t, kind, org, filter);
    Ok((
        [
            (header::CONTENT_TYPE, Format::Csv.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    exports::file_name(kind, Format::Csv)
                ),
            ),
            (
                header::HeaderName::from_static("x-total-rows"),
                total.to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

/// An export to build in the background.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    /// `csv`, `xlsx` or `pdf`.
    pub format: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<ExportFilter>,
}

/// Filters of a background export.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ExportFilter {
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    pub kind: Option<String>,
    pub classification: Option<String>,
}

/// A background export and its progress.
#[derive(Serialize, ToSchema)]
pub struct ExportJobDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub register: String,
    pub format: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub total: i64,
    pub done: i64,
    /// Whole percent done.
    pub percent: i64,
    pub error: Option<String>,
    /// The download path once `state` is `done`.
    pub download: Option<String>,
}

impl From<serasi_store::registers::ExportJob> for ExportJobDto {
    fn from(j: serasi_store::registers::ExportJob) -> Self {
        let percent = if j.state == "done" {
            100
        } else if j.total > 0 {
            (j.done * 100 / j.total).clamp(0, 99)
        } else {
            0
        };
        ExportJobDto {
            download: (j.state == "done").then(|| format!("/api/v1/exports/{}/file", j.id)),
            id: j.id,
            register: j.register,
            format: j.format,
            state: j.state,
            total: j.total,
            done: j.done,
            percent,
            error: j.error,
        }
    }
}

/// Starts building a register export (CSV, XLSX or PDF) in the
/// background; poll `GET /exports/{id}` for progress.
#[utoipa::path(post, path = "/organizations/{id}/registers/{register}/exports", tag = "registers", request_body = ExportBody,
    responses((status = 202, body = ExportJobDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_export(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, register)): Path<(Uuid, String)>,
    ApiJson(body): ApiJson<ExportBody>,
) -> Result<(StatusCode, Json<ExportJobDto>), ApiError> {
    let t = caller.t;
    let kind = register_kind(t, &register)?;
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    let format = Format::parse(body.format.trim()).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.fmt(
                "error-draft-value",
                &[
                    ("field", "format"),
                    ("value", &body.format.chars().take(20).collect::<String>()),
                ],
            ),
        )
        .field("format")
    })?;
    let f = body.filter.unwrap_or_default();
    let filter = RegisterParams {
        from: f.from,
        to: f.to,
        kind: f.kind,
        classification: f.classification,
        ..RegisterParams::default()
    }
    .filter(t)?;
    let name = state
        .store()
        .organization(org)
        .await
        .map_err(|e| ApiError::from_store(t, e))?
        .map(|o| o.name)
        .unwrap_or_default();
    let job = exports::start_job(
        &state,
        t,
        exports::ExportRequest {
            user: caller.user.id.as_uuid(),
            kind,
            org,
            organization_name: name,
            format,
            filter,
        },
    )
    .await
    .map_err(|e| ApiError::from_store(t, e))?;
    let job = own_job(&state, &caller, job).await?;
    Ok((StatusCode::ACCEPTED, Json(job.into())))
}

async fn own_job(
    state: &AppState,
    caller: &ApiUser,
    id: Uuid,
) -> Result<serasi_store::registers::ExportJob, ApiError> {
    state
        .store()
        .export_job(id)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?
        .filter(|j| j.user_id == caller.user.id.as_uuid())
        .ok_or_else(|| ApiError::not_found(caller.t))
}

/// Reports an export's progress; only its owner sees it.
#[utoipa::path(get, path = "/exports/{id}", tag = "registers",
    responses((status = 200, body = ExportJobDto), (status = 404, body = ErrorBody)))]
pub async fn export_status(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<ExportJobDto>, ApiError> {
    Ok(Json(own_job(&state, &caller, id).await?.into()))
}

/// Downloads a finished export; only its owner may.
#[utoipa::path(get, path = "/exports/{id}/file", tag = "registers",
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn export_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<axum::response::Response, ApiError> {
    let job = own_job(&state, &caller, id).await?;
    let (Some(sha), Some(name)) = (job.sha256, job.file_name) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_state",
            caller.t.get("register-export-not-ready"),
        ));
    };
    let format = Format::parse(&job.format).unwrap_or(Format::Csv);
    let bytes = state
        .files()
        .get(&sha)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Search text and filters.
#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words to find; case, diacritics, quotes and operators do not
    /// matter, and every word matches as a prefix.
    pub q: Option<String>,
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    /// A document kind code, or `surat_masuk` for incoming letters.
    pub kind: Option<String>,
    pub classification: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<Uuid>,
    /// A document state, or `registered`, `in_progress` or `done` for
    /// incoming letters.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A piece of highlighted text.
#[derive(Serialize, ToSchema)]
pub struct PieceDto {
    pub text: String,
    /// Whether it matched the query.
    pub hit: bool,
}

/// One search result.
#[derive(Serialize, ToSchema)]
pub struct SearchHitDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// `document` or `incoming`.
    pub source: String,
    pub kind: String,
    pub organization_name: String,
    pub classification: String,
    pub security: String,
    pub status: String,
    pub letter_date: String,
    pub number: String,
    pub agenda_no: Option<i64>,
    pub subject: Vec<PieceDto>,
    pub party: Vec<PieceDto>,
    pub snippet: Vec<PieceDto>,
    /// The page of the letter.
    pub url: String,
}

/// Search results.
#[derive(Serialize, ToSchema)]
pub struct SearchPageDto {
    pub total: i64,
    pub items: Vec<SearchHitDto>,
    pub page: u32,
    pub per_page: u32,
}

fn pieces(list: Vec<serasi_domain::search::Piece>) -> Vec<PieceDto> {
    list.into_iter()
        .map(|p| PieceDto {
            text: p.text,
            hit: p.hit,
        })
        .collect()
}

/// Runs a search for the caller.
pub async fn run_search(
    state: &AppState,
    caller: &ApiUser,
    params: &SearchParams,
) -> Result<serasi_store::search::SearchPage, ApiError> {
    let t = caller.t;
    let actor = super::documents::reader_of(caller)?;
    let query = SearchText::parse(params.q.as_deref().unwrap_or_default()).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            crate::messages::query_error(t, &e),
        )
        .field("q")
    })?;
    let bad = |field: &'static str, message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).field(field)
    };
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from > to
    {
        return Err(bad("to", t.get("error-period-order").to_owned()));
    }
    if let Some(code) = params
        .classification
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        && !serasi_store::registers::is_code_prefix(code)
    {
        return Err(bad(
            "classification",
            t.fmt("error-classification-format", &[("value", code)]),
        ));
    }
    let filters = SearchFilters {
        from: params.from,
        to: params.to,
        kind: params.kind.clone(),
        classification: params.classification.clone(),
        organization: params.organization_id.map(OrganizationId::from_uuid),
        status: params.status.clone(),
    };
    state
        .store()
        .search(
            actor,
            wib::today(),
            &query,
            &filters,
            params.page.unwrap_or(1),
            params.per_page.unwrap_or(20),
        )
        .await
        .map_err(|e| ApiError::from_store(t, e))
}

/// Returns the page a search hit links to.
pub fn hit_url(source: &str, id: Uuid) -> String {
    if source == "incoming" {
        format!("/letters/incoming/{id}")
    } else {
        format!("/letters/{id}")
    }
}

/// Searches every letter the caller may see: subject, body, sender and
/// addressees, number, agenda number, disposition text and the text layer
/// of attached PDFs. Letters the caller may not see never count.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchPageDto), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchPageDto>, ApiError> {
    let result = run_search(&state, &caller, &params).await?;
    Ok(Json(SearchPageDto {
        total: result.total,
        items: result
            .hits
            .into_iter()
            .map(|h| SearchHitDto {
                url: hit_url(&h.source, h.id),
                id: h.id,
                source: h.source,
                kind: h.kind,
                organization_name: h.organization_name,
                classification: h.classification,
                security: h.security,
                status: h.status,
                letter_date: h.letter_date,
                number: h.number,
                agenda_no: h.agenda_no,
                subject: pieces(h.subject),
                party: pieces(h.party),
                snippet: pieces(h.snippet),
            })
            .collect(),
        page: params.page.unwrap_or(1).clamp(1, 1000),
        per_page: params.per_page.unwrap_or(20).clamp(1, 100),
    }))
}
