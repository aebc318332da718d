//! Incoming letters over the API: clerks register letters from outside in
//! their organisation's register and read the register back, a page at a
//! time.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serasi_domain::incoming::IncomingInput;
use serasi_domain::{OrganizationId, PositionId, wib};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use super::documents::{actor_of, require_registers};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use serasi_store::incoming::LetterAccess;

/// An incoming letter to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingBody {
    /// The sender, such as `Kepala Kantor Pos Ungaran`.
    #[serde(default)]
    pub sender: String,
    /// The sender's own number of the letter.
    #[serde(default)]
    pub sender_number: String,
    /// The date on the letter.
    #[schema(value_type = String, format = Date)]
    pub sender_date: Option<Date>,
    /// When it arrived (WIB); today when absent. It decides the register's
    /// year.
    #[schema(value_type = Option<String>, format = Date)]
    pub received_on: Option<Date>,
    #[serde(default)]
    pub subject: String,
    /// Archive classification code, such as `000.1.2`.
    #[serde(default)]
    pub classification: String,
    /// `biasa` (default), `terbatas`, `rahasia` or `sangat_rahasia`.
    pub security: Option<String>,
    /// `biasa` (default), `segera` or `sangat_segera`.
    pub urgency: Option<String>,
    /// The position in the organisation (or below it) the letter is for.
    #[schema(value_type = String, format = Uuid)]
    pub addressee_position_id: Option<Uuid>,
}

/// The agenda number a registered letter received.
#[derive(Serialize, ToSchema)]
pub struct RegisteredDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub year: i32,
    pub agenda_no: i64,
}

/// One line of the incoming register.
#[derive(Serialize, ToSchema)]
pub struct IncomingDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub year: i64,
    pub agenda_no: i64,
    pub sender: String,
    pub sender_number: String,
    pub sender_date: String,
    pub received_on: String,
    pub subject: String,
    pub classification: String,
    pub security: String,
    pub urgency: String,
    #[schema(value_type = String, format = Uuid)]
    pub addressee_position_id: Uuid,
    pub addressee_name: String,
    pub registered_at: i64,
}

impl IncomingDto {
    /// Converts a stored row. With `mask`, the subject of a Rahasia or
    /// Sangat Rahasia letter is replaced by it, because every clerk reads
    /// register views.
    pub fn from_row(r: serasi_store::incoming::IncomingRow, mask: Option<&str>) -> IncomingDto {
        let secret = matches!(r.security.as_str(), "rahasia" | "sangat_rahasia");
        let subject = match mask {
            Some(mask) if secret => mask.to_owned(),
            _ => r.subject,
        };
        IncomingDto {
            id: r.id.0.as_uuid(),
            year: r.year,
            agenda_no: r.agenda_no,
            sender: r.sender,
            sender_number: r.sender_number,
            sender_date: r.sender_date,
            received_on: r.received_on,
            subject,
            classification: r.classification,
            security: r.security,
            urgency: r.urgency,
            addressee_position_id: r.addressee_position_id.0.as_uuid(),
            addressee_name: r.addressee_name,
            registered_at: r.registered_at,
        }
    }
}

/// One page of the incoming register.
#[derive(Serialize, ToSchema)]
pub struct IncomingPageDto {
    pub items: Vec<IncomingDto>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// The part of the register to read.
#[derive(Deserialize, IntoParams)]
pub struct RegisterQuery {
    /// The register's year; this year (WIB) when absent.
    pub year: Option<i32>,
    /// 1-based page; 1 when absent.
    pub page: Option<u32>,
    /// Lines per page, 1 to 200; 50 when absent.
    pub per_page: Option<u32>,
}

/// Registers an incoming letter in the organisation's register for the
/// year it arrived; administrators and the organisation's clerks only.
#[utoipa::path(post, path = "/organizations/{id}/incoming", tag = "incoming", request_body = IncomingBody,
    responses((status = 201, body = RegisteredDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<IncomingBody>,
) -> Result<(StatusCode, Json<RegisteredDto>), ApiError> {
    let actor = actor_of(&caller)?;
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    let input = IncomingInput {
        sender: body.sender,
        sender_number: body.sender_number,
        sender_date: body.sender_date,
        received_on: body.received_on,
        subject: body.subject,
        classification: body.classification,
        security: body.security,
        urgency: body.urgency,
        addressee_position_id: body.addressee_position_id.map(PositionId::from_uuid),
    };
    let fields = input
        .validate(wib::today())
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    let registered = state
        .store()
        .register_incoming(org, actor.employee_id, &fields)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredDto {
            id: registered.id.as_uuid(),
            year: registered.year,
            agenda_no: registered.agenda_no,
        }),
    ))
}

/// Reads the organisation's incoming register, in agenda order.
#[utoipa::path(get, path = "/organizations/{id}/incoming", tag = "incoming", params(RegisterQuery),
    responses((status = 200, body = IncomingPageDto), (status = 403, body = ErrorBody)))]
pub async fn register_page(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    Query(query): Query<RegisterQuery>,
) -> Result<Json<IncomingPageDto>, ApiError> {
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    let year = query.year.unwrap_or_else(|| wib::today().year());
    let page = query.page.unwrap_or(1).max(1);
    let per_page = query.per_page.unwrap_or(50).clamp(1, 200);
    let (rows, total) = state
        .store()
        .incoming_register(org, year, page, per_page)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(IncomingPageDto {
        items: rows
            .into_iter()
            .map(|r| IncomingDto::from_row(r, Some(caller.t.get("confidential"))))
            .collect(),
        total,
        page,
        per_page,
    }))
}

/// A scan of an incoming letter.
#[derive(Serialize, ToSchema)]
pub struct IncomingFileDto {
    pub seq: i64,
    pub name: String,
    /// Decided from the content, not the name.
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: i64,
}

impl From<serasi_store::incoming::IncomingFile> for IncomingFileDto {
    fn from(f: serasi_store::incoming::IncomingFile) -> Self {
        IncomingFileDto {
            seq: f.seq,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            added_at: f.added_at,
        }
    }
}

/// Checks the caller may see the letter; an unknown letter and one the
/// caller may not see are both 404, so the answer reveals nothing.
async fn letter_org(
    state: &AppState,
    caller: &ApiUser,
    id: Uuid,
) -> Result<serasi_domain::IncomingId, ApiError> {
    let (id, _) = letter_access(state, caller, id).await?;
    Ok(id)
}

/// Returns how far the caller sees the letter, or 404 when not at all.
pub(crate) async fn letter_access(
    state: &AppState,
    caller: &ApiUser,
    id: Uuid,
) -> Result<(serasi_domain::IncomingId, LetterAccess), ApiError> {
    let actor = super::documents::reader_of(caller)?;
    let id = serasi_domain::IncomingId::from_uuid(id);
    let access = state
        .store()
        .incoming_access(id, actor, wib::today())
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    if access == LetterAccess::None {
        return Err(ApiError::not_found(caller.t));
    }
    Ok((id, access))
}

/// Adds a scan (PDF, PNG or JPEG, type decided from the content) to an
/// incoming letter. The file counts as saved only after it was read back
/// and its SHA-256 matched.
#[utoipa::path(post, path = "/incoming/{id}/files", tag = "incoming",
    request_body(content = super::documents::UploadBody, content_type = "multipart/form-data"),
    responses((status = 201, body = IncomingFileDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<IncomingFileDto>), ApiError> {
    let t = caller.t;
    let (id, _) = letter_access(&state, &caller, id).await?;
    // Scans are the register's work: clerks and administrators add them.
    if caller.user.role == serasi_domain::user::Role::Employee {
        return Err(ApiError::forbidden(t));
    }
    ensure_scan_room(&state, t, id).await?;
    let file = store_scan(&state, t, multipart).await?;
    let seq = state
        .store()
        .add_incoming_file(id, &file)
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    let saved = state
        .store()
        .incoming_files(id)
        .await
        .map_err(|e| ApiError::from_store(t, e))?
        .into_iter()
        .find(|f| f.seq == seq)
        .ok_or_else(|| ApiError::not_found(t))?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Lists the scans of an incoming letter.
#[utoipa::path(get, path = "/incoming/{id}/files", tag = "incoming",
    responses((status = 200, body = Vec<IncomingFileDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_files(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<IncomingFileDto>>, ApiError> {
    let id = letter_org(&state, &caller, id).await?;
    let files = state
        .store()
        .incoming_files(id)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(files.into_iter().map(Into::into).collect()))
}

/// Downloads a scan, byte for byte as uploaded (the hash is checked on
/// every read).
#[utoipa::path(get, path = "/incoming/{id}/files/{seq}", tag = "incoming",
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, seq)): Path<(Uuid, i64)>,
) -> Result<axum::response::Response, ApiError> {
    let id = letter_org(&state, &caller, id).await?;
    let file = state
        .store()
        .incoming_files(id)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?
        .into_iter()
        .find(|f| f.seq == seq)
        .ok_or_else(|| ApiError::not_found(caller.t))?;
    file_response(&state, file).await
}

/// Reads the `file` part of an upload, checks it is a PDF, PNG or JPEG by
/// its content, stores it and, for a PDF, records its text layer for
/// search. The file counts as stored only after it was read back and its
/// SHA-256 matched.
pub(crate) async fn store_scan(
    state: &AppState,
    t: crate::i18n::Tr,
    multipart: axum::extract::Multipart,
) -> Result<serasi_store::incoming::IncomingFile, ApiError> {
    let (name, bytes) = super::documents::read_upload(state, t, multipart).await?;
    let invalid = |key: &str| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", t.get(key)).field("file")
    };
    if bytes.is_empty() {
        return Err(invalid("error-file-empty"));
    }
    let mut name = super::documents::clean_file_name(&name);
    let (content_type, extension) = match super::documents::sniff(&name, &bytes) {
        Some("application/pdf") => ("application/pdf", ".pdf"),
        Some("image/png") => ("image/png", ".png"),
        Some("image/jpeg") => ("image/jpeg", ".jpg"),
        _ => return Err(invalid("error-scan-type")),
    };
    let lower = name.to_ascii_lowercase();
    if !(lower.ends_with(extension) || (extension == ".jpg" && lower.ends_with(".jpeg"))) {
        name.push_str(extension);
    }
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let sha256 = state
        .files()
        .put(&bytes)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let file = serasi_store::incoming::IncomingFile {
        seq: 0,
        name,
        content_type: content_type.to_owned(),
        size,
        sha256,
        added_at: 0,
    };
    if content_type == "application/pdf" {
        record_text_layer(state, t, &file.sha256, bytes).await?;
    }
    Ok(file)
}

/// Refuses an upload before it is stored when the letter already keeps
/// the most scans allowed, so a refused file leaves nothing behind.
pub(crate) async fn ensure_scan_room(
    state: &AppState,
    t: crate::i18n::Tr,
    id: serasi_domain::IncomingId,
) -> Result<(), ApiError> {
    let count = state
        .store()
        .incoming_files(id)
        .await
        .map_err(|e| ApiError::from_store(t, e))?
        .len();
    if i64::try_from(count).unwrap_or(i64::MAX) >= serasi_store::incoming::MAX_SCANS {
        return Err(ApiError::from_store(
            t,
            serasi_domain::incoming::IncomingError::TooManyScans.into(),
        ));
    }
    Ok(())
}

/// Records the text layer of a stored PDF for search, before the file is
/// linked to a letter (linking rewrites the letter's search entry).
pub(crate) async fn record_text_layer(
    state: &AppState,
    t: crate::i18n::Tr,
    sha256: &str,
    bytes: Vec<u8>,
) -> Result<(), ApiError> {
    // A hostile PDF could keep the extractor busy; the upload does not
    // wait for it longer than this, and the file is then not indexed.
    let work = tokio::task::spawn_blocking(move || serasi_pdf::table::text_layer(&bytes, 200));
    let text = match tokio::time::timeout(std::time::Duration::from_secs(10), work).await {
        Ok(done) => done.map_err(|e| ApiError::internal(&e))?,
        Err(_) => {
            tracing::warn!(
                sha256,
                "text extraction took too long; the file is not indexed"
            );
            String::new()
        }
    };
    if !text.trim().is_empty() {
        state
            .store()
            .put_file_text(sha256, &text)
            .await
            .map_err(|e| ApiError::from_store(t, e))?;
    }
    Ok(())
}

/// Sends a stored scan or report file as a download, checking its hash.
pub(crate) async fn file_response(
    state: &AppState,
    file: serasi_store::incoming::IncomingFile,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let bytes = state
        .files()
        .get(&file.sha256)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, file.content_type),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
