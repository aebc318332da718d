//! Dispositions over the API: an incoming letter's page data with its
//! disposition tree, referring a letter down the hierarchy, marking a
//! referral read, in progress or done with a report, cancelling it while
//! unread, the lists of received and sent referrals, the configured
//! instruction list, and the printable disposition sheet.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serasi_domain::disposition::{DispositionAction, DispositionInput, validate_instruction_list};
use serasi_domain::user::Role;
use serasi_domain::{DispositionId, PositionId, wib};
use serasi_store::dispositions::{DispositionBox, DispositionNode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use super::documents::actor_of;
use super::incoming::{IncomingFileDto, file_response, letter_access, store_scan};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Tr;

/// One referral in a letter's disposition tree.
#[derive(Serialize, ToSchema)]
pub struct DispositionDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The referral this one passes on; none for the addressee's own.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<Uuid>,
    #[schema(value_type = String, format = Uuid)]
    pub from_position_id: Uuid,
    pub from_position: String,
    pub from_employee: String,
    #[schema(value_type = String, format = Uuid)]
    pub to_position_id: Uuid,
    pub to_position: String,
    pub to_holder: Option<String>,
    pub instructions: Vec<String>,
    pub note: String,
    /// WIB date.
    pub deadline: Option<String>,
    pub urgency: String,
    /// `unread`, `read`, `in_progress`, `done` or `cancelled`.
    pub status: String,
    /// Past 00:00 WIB of the day after the deadline and not done.
    pub overdue: bool,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub started_at: Option<i64>,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub report: Option<String>,
    pub files: Vec<IncomingFileDto>,
    /// The caller sent it and it is unread.
    pub can_cancel: bool,
    /// Whether the caller holds the recipient's post or acts in it.
    pub is_mine: bool,
}

impl From<DispositionNode> for DispositionDto {
    fn from(n: DispositionNode) -> Self {
        DispositionDto {
            id: n.id.as_uuid(),
            parent_id: n.parent_id.map(|p| p.as_uuid()),
            from_position_id: n.from_position_id.as_uuid(),
            from_position: n.from_position,
            from_employee: n.from_employee,
            to_position_id: n.to_position_id.as_uuid(),
            to_position: n.to_position,
            to_holder: n.to_holder,
            instructions: n.instructions,
            note: n.note,
            deadline: n.deadline,
            urgency: n.urgency,
            status: n.status.as_str().to_owned(),
            overdue: n.overdue,
            created_at: n.created_at,
            read_at: n.read_at,
            started_at: n.started_at,
            done_at: n.done_at,
            done_by: n.done_by,
            report: n.report,
            files: n.files.into_iter().map(Into::into).collect(),
            can_cancel: n.can_cancel,
            is_mine: n.is_mine,
        }
    }
}

/// An incoming letter with its scans and disposition tree.
#[derive(Serialize, ToSchema)]
pub struct IncomingDetailDto {
    pub letter: super::incoming::IncomingDto,
    #[schema(value_type = String, format = Uuid)]
    pub organization_id: Uuid,
    pub organization_name: String,
    /// The document this letter was delivered from, when it came from
    /// inside the system.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub source_document_id: Option<Uuid>,
    pub registered_by: String,
    pub files: Vec<IncomingFileDto>,
    /// Parents before children, in the order they were sent.
    pub dispositions: Vec<DispositionDto>,
    /// Whether the caller holds the addressee's post and may refer the
    /// letter.
    pub is_addressee: bool,
}

/// Returns an incoming letter with its scans and whole disposition tree.
#[utoipa::path(get, path = "/incoming/{id}", tag = "incoming",
    responses((status = 200, body = IncomingDetailDto), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<IncomingDetailDto>, ApiError> {
    let actor = super::documents::reader_of(&caller)?;
    let t = caller.t;
    let (id, _) = letter_access(&state, &caller, id).await?;
    let (detail, _) = state
        .store()
        .incoming_detail(id, actor, wib::today())
        .await
        .map_err(|e| ApiError::from_store(t, e))?
        .ok_or_else(|| ApiError::not_found(t))?;
    let tree = state
        .store()
        .disposition_tree(id, actor, time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    Ok(Json(IncomingDetailDto {
        letter: super::incoming::IncomingDto::from_row(detail.letter, None),
        organization_id: detail.organization_id.as_uuid(),
        organization_name: detail.organization_name,
        source_document_id: detail.source_document_id.map(|d| d.as_uuid()),
        registered_by: detail.registered_by,
        files: detail.files.into_iter().map(Into::into).collect(),
        dispositions: tree.into_iter().map(Into::into).collect(),
        is_addressee: detail.is_addressee,
    }))
}

/// A referral of an incoming letter to one or more posts.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispositionBody {
    /// The referral to pass on; absent when the addressee refers the
    /// letter.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<Uuid>,
    /// Posts below the sender's post.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub recipients: Vec<Uuid>,
    /// Labels from `GET /disposition-instructions`.
    #[serde(default)]
    pub instructions: Vec<String>,
    #[serde(default)]
    pub note: String,
    /// A date (`2026-12-10`) or a date and time with an offset, which
    /// counts as its WIB date.
    pub deadline: Option<String>,
    /// `biasa` (default), `segera` or `sangat_segera`.
    pub urgency: Option<String>,
}

/// The referrals a disposition created.
#[derive(Serialize, ToSchema)]
pub struct CreatedDto {
    #[schema(value_type = Vec<String>)]
    pub ids: Vec<Uuid>,
}

/// Refers an incoming letter: its addressee refers it first, and each
/// recipient may pass it further down to posts below their own.
#[utoipa::path(post, path = "/incoming/{id}/dispositions", tag = "dispositions", request_body = DispositionBody,
    responses((status = 201, body = CreatedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dispose(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DispositionBody>,
) -> Result<(StatusCode, Json<CreatedDto>), ApiError> {
    let actor = actor_of(&caller)?;
    let t = caller.t;
    let (id, _) = letter_access(&state, &caller, id).await?;
    let allowed = state
        .store()
        .disposition_instructions()
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    let today = wib::today();
    let fields = DispositionInput {
        recipients: body
            .recipients
            .into_iter()
            .map(PositionId::from_uuid)
            .collect(),
        instructions: body.instructions,
        note: body.note,
        deadline: body.deadline,
        urgency: body.urgency,
    }
    .validate(today, &allowed)
    .map_err(|e| ApiError::from_store(t, e.into()))?;
    let ids = state
        .store()
        .dispose(
            id,
            body.parent_id.map(DispositionId::from_uuid),
            actor,
            &fields,
            today,
        )
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedDto {
            ids: ids.into_iter().map(|i| i.as_uuid()).collect(),
        }),
    ))
}

/// Something done to a referral.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// `read`, `start`, `done` or `cancel`.
    pub action: String,
    /// Required with `done`.
    pub report: Option<String>,
}

/// A referral's status after an action.
#[derive(Serialize, ToSchema)]
pub struct StatusDto {
    pub status: String,
}

/// Parses an action name.
pub fn parse_action(t: Tr, name: &str) -> Result<DispositionAction, ApiError> {
    match name {
        "read" => Ok(DispositionAction::Read),
        "start" => Ok(DispositionAction::Start),
        "done" => Ok(DispositionAction::Finish),
        "cancel" => Ok(DispositionAction::Cancel),
        other => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.fmt(
                "error-draft-value",
                &[
                    ("field", "action"),
                    ("value", &other.chars().take(40).collect::<String>()),
                ],
            ),
        )
        .field("action")),
    }
}

/// Marks a referral read, in progress or done (with a report), or cancels
/// it while it is unread. Only its recipient reports; only its sender
/// cancels.
#[utoipa::path(post, path = "/dispositions/{id}/actions", tag = "dispositions", request_body = ActionBody,
    responses((status = 200, body = StatusDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<StatusDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let action = parse_action(caller.t, body.action.trim())?;
    let status = state
        .store()
        .act_on_disposition(
            DispositionId::from_uuid(id),
            actor,
            action,
            body.report.as_deref(),
            wib::today(),
        )
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(StatusDto {
        status: status.as_str().to_owned(),
    }))
}

/// Adds a file (PDF, PNG or JPEG) to a referral's report; its recipient
/// only.
#[utoipa::path(post, path = "/dispositions/{id}/files", tag = "dispositions",
    request_body(content = super::documents::UploadBody, content_type = "multipart/form-data"),
    responses((status = 201, body = IncomingFileDto), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<IncomingFileDto>), ApiError> {
    let actor = actor_of(&caller)?;
    let t = caller.t;
    let id = DispositionId::from_uuid(id);
    // Refuse before reading the upload when the referral is not the
    // caller's, so a refused upload stores nothing.
    state
        .store()
        .may_report(id, actor, wib::today())
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    let mut file = store_scan(&state, t, multipart).await?;
    let seq = state
        .store()
        .add_disposition_file(id, actor, &file, wib::today())
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    file.seq = seq;
    file.added_at = serasi_store::now_ms();
    Ok((StatusCode::CREATED, Json(file.into())))
}

/// Downloads a report file, byte for byte as uploaded.
#[utoipa::path(get, path = "/dispositions/{id}/files/{seq}", tag = "dispositions",
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn get_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, seq)): Path<(Uuid, i64)>,
) -> Result<axum::response::Response, ApiError> {
    let t = caller.t;
    let (letter, file) = state
        .store()
        .disposition_file(DispositionId::from_uuid(id), seq)
        .await
        .map_err(|e| ApiError::from_store(t, e))?
        .ok_or_else(|| ApiError::not_found(t))?;
    letter_access(&state, &caller, letter.as_uuid()).await?;
    file_response(&state, file).await
}

/// The referrals to list.
#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `received` (default), `sent`, or `addressed`: incoming letters
    /// addressed to the caller's posts (status `pending` or `referred`).
    #[serde(rename = "box")]
    pub which: Option<String>,
    /// Only those not yet done or cancelled (for `addressed`: not yet
    /// referred).
    pub open: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A referral in a list.
#[derive(Serialize, ToSchema)]
pub struct DispositionLineDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub incoming_id: Uuid,
    pub agenda_no: i64,
    pub year: i64,
    pub subject: String,
    pub sender: String,
    pub from_position: String,
    pub to_position: String,
    pub deadline: Option<String>,
    pub urgency: String,
    pub status: String,
    pub overdue: bool,
    pub created_at: i64,
}

/// A page of referrals.
#[derive(Serialize, ToSchema)]
pub struct DispositionPageDto {
    pub items: Vec<DispositionLineDto>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// Lists the referrals the caller received or sent, newest first, with
/// overdue ones flagged.
#[utoipa::path(get, path = "/dispositions", tag = "dispositions", params(ListQuery),
    responses((status = 200, body = DispositionPageDto), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<DispositionPageDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let which = match query.which.as_deref().unwrap_or("received") {
        "received" => DispositionBox::Received,
        "sent" => DispositionBox::Sent,
        "addressed" => DispositionBox::Addressed,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                caller.t.fmt(
                    "error-draft-value",
                    &[
                        ("field", "box"),
                        ("value", &other.chars().take(40).collect::<String>()),
                    ],
                ),
            ));
        }
    };
    let page = query.page.unwrap_or(1).max(1);
    let per_page = query.per_page.unwrap_or(50).clamp(1, 200);
    let (rows, total) = state
        .store()
        .dispositions(
            actor,
            which,
            query.open.unwrap_or(false),
            time::OffsetDateTime::now_utc(),
            page,
            per_page,
        )
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(DispositionPageDto {
        items: rows
            .into_iter()
            .map(|r| DispositionLineDto {
                id: r.raw_id,
                incoming_id: r.raw_incoming_id,
                agenda_no: r.agenda_no,
                year: r.year,
                subject: r.subject,
                sender: r.sender,
                from_position: r.from_position,
                to_position: r.to_position,
                deadline: r.deadline,
                urgency: r.urgency,
                status: r.status,
                overdue: r.overdue,
                created_at: r.created_at,
            })
            .collect(),
        total,
        page,
        per_page,
    }))
}

/// The instruction labels offered on the disposition form.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct InstructionsDto {
    pub instructions: Vec<String>,
}

/// Returns the configured instruction labels.
#[utoipa::path(get, path = "/disposition-instructions", tag = "dispositions",
    responses((status = 200, body = InstructionsDto)))]
pub async fn instructions(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<InstructionsDto>, ApiError> {
    let instructions = state
        .store()
        .disposition_instructions()
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(InstructionsDto { instructions }))
}

/// Replaces the instruction labels; administrators only.
#[utoipa::path(put, path = "/disposition-instructions", tag = "dispositions", request_body = InstructionsDto,
    responses((status = 200, body = InstructionsDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_instructions(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<InstructionsDto>,
) -> Result<Json<InstructionsDto>, ApiError> {
    if caller.user.role != Role::Admin {
        return Err(ApiError::forbidden(caller.t));
    }
    let list = validate_instruction_list(&body.instructions)
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    state
        .store()
        .set_disposition_instructions(&list)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(InstructionsDto { instructions: list }))
}

/// Prints the letter's disposition sheet (*lembar disposisi*) as PDF.
#[utoipa::path(get, path = "/incoming/{id}/disposition-sheet", tag = "dispositions",
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn sheet(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<axum::response::Response, ApiError> {
    let actor = super::documents::reader_of(&caller)?;
    let pdf = sheet_pdf(&state, caller.t, actor, id).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "inline; filename=\"lembar-disposisi.pdf\"".to_owned(),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// Builds the disposition sheet of a letter the actor may see.
pub async fn sheet_pdf(
    state: &AppState,
    t: Tr,
    actor: serasi_store::Actor,
    id: Uuid,
) -> Result<Vec<u8>, ApiError> {
    let id = serasi_domain::IncomingId::from_uuid(id);
    let today = wib::today();
    let (detail, _) = state
        .store()
        .incoming_detail(id, actor, today)
        .await
        .map_err(|e| ApiError::from_store(t, e))?
        .ok_or_else(|| ApiError::not_found(t))?;
    let tree = state
        .store()
        .disposition_tree(id, actor, time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    let doc = crate::sheets::disposition_sheet(t, &detail, &tree);
    tokio::task::spawn_blocking(move || serasi_pdf::table::render_sheet(&doc, today))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))
}
