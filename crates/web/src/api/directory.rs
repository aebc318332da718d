//! Directory endpoints: organisations, positions, employees and the
//! classification codes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serasi_domain::directory::{
    Employee, EmployeeInput, Organization, OrganizationInput, Position, PositionInput,
};
use serasi_domain::{EmployeeId, OrganizationId, PositionId};
use serasi_store::{EmployeeHit, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Tr;

/// An organisation: the regency, an agency, a unit, a kecamatan or a village.
#[derive(Serialize, ToSchema)]
pub struct OrganizationDto {
    pub id: Uuid,
    /// Kemendagri region code (such as `33.22.02.2012`) or agency code.
    pub code: Option<String>,
    pub name: String,
    /// One of `regency`, `agency`, `unit`, `district`, `village`, `urban_village`.
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub address: Option<String>,
    pub is_demo: bool,
}

impl From<Organization> for OrganizationDto {
    fn from(o: Organization) -> Self {
        OrganizationDto {
            id: o.id.as_uuid(),
            code: o.code,
            name: o.name,
            kind: o.kind.as_str().to_owned(),
            parent_id: o.parent_id.map(|p| p.as_uuid()),
            address: o.address,
            is_demo: o.is_demo,
        }
    }
}

/// Fields of a new or changed organisation.
#[derive(Deserialize, ToSchema)]
pub struct OrganizationBody {
    pub code: Option<String>,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub address: Option<String>,
}

impl OrganizationBody {
    fn input(self) -> OrganizationInput {
        OrganizationInput {
            code: self.code,
            name: self.name,
            kind: self.kind,
            parent_id: self.parent_id.map(OrganizationId::from_uuid),
            address: self.address,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct OrganizationFilter {
    /// Only the direct children of this organisation.
    pub parent_id: Option<Uuid>,
    /// Only organisations of this kind.
    pub kind: Option<String>,
}

fn store_err(t: Tr) -> impl Fn(StoreError) -> ApiError {
    move |e| ApiError::from_store(t, e)
}

/// Lists organisations, optionally the children of one or of one kind.
#[utoipa::path(get, path = "/organizations", tag = "directory", params(OrganizationFilter),
    responses((status = 200, body = [OrganizationDto]), (status = 401, body = ErrorBody)))]
pub async fn list_organizations(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(filter): Query<OrganizationFilter>,
) -> Result<Json<Vec<OrganizationDto>>, ApiError> {
    let orgs = state
        .store()
        .organizations()
        .await
        .map_err(store_err(caller.t))?;
    let list = orgs
        .into_iter()
        .filter(|o| {
            filter
                .parent_id
                .is_none_or(|p| o.parent_id.map(|x| x.as_uuid()) == Some(p))
        })
        .filter(|o| filter.kind.as_deref().is_none_or(|k| o.kind.as_str() == k))
        .map(OrganizationDto::from)
        .collect();
    Ok(Json(list))
}

#[utoipa::path(get, path = "/organizations/{id}", tag = "directory",
    responses((status = 200, body = OrganizationDto), (status = 404, body = ErrorBody)))]
pub async fn get_organization(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<OrganizationDto>, ApiError> {
    let org = state
        .store()
        .organization(OrganizationId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    org.map(|o| Json(o.into()))
        .ok_or_else(|| ApiError::not_found(caller.t))
}

/// Creates an organisation (administrators only).
#[utoipa::path(post, path = "/organizations", tag = "directory", request_body = OrganizationBody,
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 201, body = OrganizationDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_organization(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<OrganizationBody>,
) -> Result<(StatusCode, Json<OrganizationDto>), ApiError> {
    caller.require_admin()?;
    let fields = body
        .input()
        .validate()
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    let org = state
        .store()
        .create_organization(&fields, false)
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "organization.create",
        "organization",
        &org.id.to_string(),
    )
    .await;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// Replaces an organisation's fields (administrators only).
#[utoipa::path(put, path = "/organizations/{id}", tag = "directory", request_body = OrganizationBody,
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 200, body = OrganizationDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_organization(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<OrganizationBody>,
) -> Result<Json<OrganizationDto>, ApiError> {
    caller.require_admin()?;
    let fields = body
        .input()
        .validate()
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    let org = state
        .store()
        .update_organization(OrganizationId::from_uuid(id), &fields)
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "organization.update",
        "organization",
        &org.id.to_string(),
    )
    .await;
    Ok(Json(org.into()))
}

/// Deletes an organisation without children, positions or employees.
#[utoipa::path(delete, path = "/organizations/{id}", tag = "directory",
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_organization(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    state
        .store()
        .delete_organization(OrganizationId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "organization.delete",
        "organization",
        &id.to_string(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// A position (*jabatan*) and its definitive holder.
#[derive(Serialize, ToSchema)]
pub struct PositionDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub holder_id: Option<Uuid>,
    pub holder_name: Option<String>,
    pub is_demo: bool,
}

impl PositionDto {
    fn new(p: Position, holder_name: Option<String>) -> Self {
        PositionDto {
            id: p.id.as_uuid(),
            organization_id: p.organization_id.as_uuid(),
            name: p.name,
            parent_id: p.parent_id.map(|x| x.as_uuid()),
            holder_id: p.holder_id.map(|x| x.as_uuid()),
            holder_name,
            is_demo: p.is_demo,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct PositionBody {
    pub organization_id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub holder_id: Option<Uuid>,
}

impl PositionBody {
    fn input(self) -> PositionInput {
        PositionInput {
            organization_id: Some(OrganizationId::from_uuid(self.organization_id)),
            name: self.name,
            parent_id: self.parent_id.map(PositionId::from_uuid),
            holder_id: self.holder_id.map(EmployeeId::from_uuid),
        }
    }
}

/// Lists the positions of an organisation with their holders.
#[utoipa::path(get, path = "/organizations/{id}/positions", tag = "directory",
    responses((status = 200, body = [PositionDto])))]
pub async fn organization_positions(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<PositionDto>>, ApiError> {
    let views = state
        .store()
        .positions_of(OrganizationId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(
        views
            .into_iter()
            .map(|v| PositionDto::new(v.position, v.holder_name))
            .collect(),
    ))
}

#[utoipa::path(get, path = "/positions/{id}", tag = "directory",
    responses((status = 200, body = PositionDto), (status = 404, body = ErrorBody)))]
pub async fn get_position(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<PositionDto>, ApiError> {
    let position = state
        .store()
        .position(PositionId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    let position = position.ok_or_else(|| ApiError::not_found(caller.t))?;
    let holder = holder_name(&state, caller.t, position.holder_id).await?;
    Ok(Json(PositionDto::new(position, holder)))
}

async fn holder_name(
    state: &AppState,
    t: Tr,
    holder: Option<EmployeeId>,
) -> Result<Option<String>, ApiError> {
    let Some(id) = holder else { return Ok(None) };
    Ok(state
        .store()
        .employee(id)
        .await
        .map_err(store_err(t))?
        .map(|e| e.name))
}

/// Creates a position (administrators only). A parent that would make a
/// cycle is rejected.
#[utoipa::path(post, path = "/positions", tag = "directory", request_body = PositionBody,
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 201, body = PositionDto), (status = 422, body = ErrorBody)))]
pub async fn create_position(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<PositionBody>,
) -> Result<(StatusCode, Json<PositionDto>), ApiError> {
    caller.require_admin()?;
    let fields = body
        .input()
        .validate()
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    let position = state
        .store()
        .create_position(&fields, false)
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "position.create",
        "position",
        &position.id.to_string(),
    )
    .await;
    let holder = holder_name(&state, caller.t, position.holder_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(PositionDto::new(position, holder)),
    ))
}

#[utoipa::path(put, path = "/positions/{id}", tag = "directory", request_body = PositionBody,
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 200, body = PositionDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_position(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<PositionBody>,
) -> Result<Json<PositionDto>, ApiError> {
    caller.require_admin()?;
    let fields = body
        .input()
        .validate()
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    let position = state
        .store()
        .update_position(PositionId::from_uuid(id), &fields)
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "position.update",
        "position",
        &position.id.to_string(),
    )
    .await;
    let holder = holder_name(&state, caller.t, position.holder_id).await?;
    Ok(Json(PositionDto::new(position, holder)))
}

/// An employee: a civil servant with a NIP or a village official.
#[derive(Serialize, ToSchema)]
pub struct EmployeeDto {
    pub id: Uuid,
    /// `nip` or `village`.
    pub identifier_kind: String,
    pub identifier: String,
    pub name: String,
    /// Golongan such as `III/a`.
    pub rank: Option<String>,
    /// Pangkat such as `Penata Muda`.
    pub rank_title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization_id: Uuid,
    pub is_demo: bool,
}

impl From<Employee> for EmployeeDto {
    fn from(e: Employee) -> Self {
        EmployeeDto {
            id: e.id.as_uuid(),
            identifier_kind: e.identifier.kind().to_owned(),
            identifier: e.identifier.value().to_owned(),
            name: e.name,
            rank: e.rank.map(|r| r.code()),
            rank_title: e.rank.map(|r| r.title().to_owned()),
            email: e.email,
            phone: e.phone,
            organization_id: e.organization_id.as_uuid(),
            is_demo: e.is_demo,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct EmployeeBody {
    /// `nip` (default) or `village`.
    pub identifier_kind: Option<String>,
    pub identifier: String,
    pub name: String,
    pub rank: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization_id: Uuid,
}

impl EmployeeBody {
    fn input(self) -> EmployeeInput {
        EmployeeInput {
            identifier_kind: self.identifier_kind,
            identifier: self.identifier,
            name: self.name,
            rank: self.rank,
            email: self.email,
            phone: self.phone,
            organization_id: Some(OrganizationId::from_uuid(self.organization_id)),
        }
    }
}

/// An employee found by search, with organisation and position names.
#[derive(Serialize, ToSchema)]
pub struct EmployeeHitDto {
    #[serde(flatten)]
    pub employee: EmployeeDto,
    pub organization_name: String,
    pub position_name: Option<String>,
}

impl From<EmployeeHit> for EmployeeHitDto {
    fn from(h: EmployeeHit) -> Self {
        EmployeeHitDto {
            employee: h.employee.into(),
            organization_name: h.organization_name,
            position_name: h.position_name,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EmployeePage {
    pub items: Vec<EmployeeHitDto>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Deserialize, IntoParams)]
pub struct EmployeeQuery {
    /// Part of a name, NIP prefix or part of a position name; case and
    /// diacritics are ignored.
    #[serde(default)]
    pub q: String,
    pub organization_id: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Searches employees by name, identifier or position.
#[utoipa::path(get, path = "/employees", tag = "directory", params(EmployeeQuery),
    responses((status = 200, body = EmployeePage)))]
pub async fn search_employees(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<EmployeeQuery>,
) -> Result<Json<EmployeePage>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let offset = query.offset.unwrap_or(0).max(0);
    let q: String = query.q.chars().take(200).collect();
    let (hits, total) = state
        .store()
        .search_employees(
            &q,
            query.organization_id.map(OrganizationId::from_uuid),
            limit,
            offset,
        )
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(EmployeePage {
        items: hits.into_iter().map(Into::into).collect(),
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(get, path = "/employees/{id}", tag = "directory",
    responses((status = 200, body = EmployeeDto), (status = 404, body = ErrorBody)))]
pub async fn get_employee(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<EmployeeDto>, ApiError> {
    let employee = state
        .store()
        .employee(EmployeeId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    employee
        .map(|e| Json(e.into()))
        .ok_or_else(|| ApiError::not_found(caller.t))
}

/// Creates an employee (administrators only). The NIP is validated: 18
/// digits, a real birth date, a valid TMT month and a gender digit.
#[utoipa::path(post, path = "/employees", tag = "directory", request_body = EmployeeBody,
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 201, body = EmployeeDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_employee(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<EmployeeBody>,
) -> Result<(StatusCode, Json<EmployeeDto>), ApiError> {
    caller.require_admin()?;
    let fields = body
        .input()
        .validate()
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    let employee = state
        .store()
        .create_employee(&fields, false)
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "employee.create",
        "employee",
        &employee.id.to_string(),
    )
    .await;
    Ok((StatusCode::CREATED, Json(employee.into())))
}

#[utoipa::path(put, path = "/employees/{id}", tag = "directory", request_body = EmployeeBody,
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 200, body = EmployeeDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_employee(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<EmployeeBody>,
) -> Result<Json<EmployeeDto>, ApiError> {
    caller.require_admin()?;
    let fields = body
        .input()
        .validate()
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    let employee = state
        .store()
        .update_employee(EmployeeId::from_uuid(id), &fields)
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "employee.update",
        "employee",
        &employee.id.to_string(),
    )
    .await;
    Ok(Json(employee.into()))
}

/// An archive classification code of Permendagri 83/2022.
#[derive(Serialize, ToSchema)]
pub struct ClassificationDto {
    pub code: String,
    pub name: String,
    pub level: i64,
    pub parent_code: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ClassificationQuery {
    /// Code prefix (`000.1`) or part of the name.
    #[serde(default)]
    pub q: String,
    /// At most this many codes, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// Finds classification codes by code prefix or part of the name.
#[utoipa::path(get, path = "/classifications", tag = "reference", params(ClassificationQuery),
    responses((status = 200, body = [ClassificationDto])))]
pub async fn search_classifications(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ClassificationQuery>,
) -> Result<Json<Vec<ClassificationDto>>, ApiError> {
    let limit = query.limit.unwrap_or(20).clamp(1, 100);
    let q: String = query.q.chars().take(200).collect();
    let rows = state
        .store()
        .search_classifications(&q, limit)
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ClassificationDto {
                code: r.code,
                name: r.name,
                level: r.level,
                parent_code: r.parent_code,
            })
            .collect(),
    ))
}

/// Records an audit entry for an API change; failures are logged only.
pub async fn audit(state: &AppState, caller: &ApiUser, action: &str, entity: &str, id: &str) {
    let detail = serde_json::json!({ "via": "api" });
    if let Err(e) = state
        .store()
        .audit(Some(caller.user.id), action, entity, id, detail)
        .await
    {
        tracing::error!(error = %e, action, entity, entity_id = id, "audit record failed");
    }
}
