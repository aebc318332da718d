//! Outgoing document endpoints: kinds, delegations, drafts and revisions,
//! the workflow actions, queues and the dispatch register.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serasi_domain::authority::{Delegation, DelegationInput};
use serasi_domain::body;
use serasi_domain::document::{DocumentKind, DraftInput, Recipient};
use serasi_domain::user::Role;
use serasi_domain::wib;
use serasi_domain::{DelegationId, DocumentId, EmployeeId, OrganizationId, PositionId};
use serasi_store::{
    Actor, DeliveryView, DocumentRule, DocumentView, EventView, Queue, QueueFilter, SignRequest,
    StoreError,
};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use super::directory::audit;
use crate::AppState;
use crate::auth::{ApiUser, ClientAddr, use_totp_code};
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Tr;

fn store_err(t: Tr) -> impl Fn(StoreError) -> ApiError {
    move |e| ApiError::from_store(t, e)
}

/// Returns the caller as an actor on documents. An account without an
/// employee cannot take part.
pub fn actor_of(caller: &ApiUser) -> Result<Actor, ApiError> {
    let employee_id = caller
        .user
        .employee_id
        .ok_or_else(|| ApiError::from_store(caller.t, DocumentRule::NoEmployee.into()))?;
    Ok(Actor {
        employee_id,
        is_admin: caller.user.role == Role::Admin,
        is_clerk: caller.user.role == Role::Clerk,
    })
}

/// Returns a page user as an actor on documents and letters, or `None`
/// for an account without an employee.
pub fn actor_of_user(user: &serasi_store::User) -> Option<Actor> {
    Some(Actor {
        employee_id: user.employee_id?,
        is_admin: user.role == Role::Admin,
        is_clerk: user.role == Role::Clerk,
    })
}

/// Returns a user as a reader of letters. An administrator without an
/// employee record (such as the first administrator) reads with the
/// administrator's rights only: the nil employee id names nobody, so no
/// letter counts as theirs.
pub fn reader_of_user(user: &serasi_store::User) -> Option<Actor> {
    actor_of_user(user).or_else(|| {
        (user.role == Role::Admin).then(|| Actor {
            employee_id: serasi_domain::EmployeeId::from_uuid(Uuid::nil()),
            is_admin: true,
            is_clerk: false,
        })
    })
}

/// [`reader_of_user`] for API callers; other accounts without an
/// employee get the same error as [`actor_of`].
pub fn reader_of(caller: &ApiUser) -> Result<Actor, ApiError> {
    match reader_of_user(&caller.user) {
        Some(actor) => Ok(actor),
        None => actor_of(caller),
    }
}

/// A kind of document and how it is signed and numbered.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct DocumentKindDto {
    /// Stable code such as `nota_dinas`.
    pub code: String,
    pub name: String,
    /// Short code used by the `{kind}` token of numbers.
    pub abbreviation: String,
    /// `letter` or `title`.
    pub layout: String,
    /// `regent`, `agency_head` or `unit_head`.
    pub signer_level: String,
    /// Tokens: `{classification}`, `{serial:03}`, `{unit}`, `{kind}`,
    /// `{month}`, `{month_roman}`, `{year}`.
    pub number_template: String,
    /// `organization`, `kind` or `classification`: what a series counts
    /// besides organisation and year.
    pub series_scope: String,
    /// False for a retired kind, which new drafts cannot use.
    #[serde(default = "active_default")]
    pub active: bool,
}

fn active_default() -> bool {
    true
}

impl DocumentKindDto {
    fn input(self, code: String) -> serasi_domain::document::KindInput {
        serasi_domain::document::KindInput {
            code,
            name: self.name,
            abbreviation: self.abbreviation,
            layout: self.layout,
            signer_level: self.signer_level,
            number_template: self.number_template,
            series_scope: self.series_scope,
            active: self.active,
        }
    }
}

impl From<DocumentKind> for DocumentKindDto {
    fn from(k: DocumentKind) -> Self {
        DocumentKindDto {
            code: k.code,
            name: k.name,
            abbreviation: k.abbreviation,
            layout: k.layout.as_str().to_owned(),
            signer_level: k.signer_level.as_str().to_owned(),
            number_template: k.number_template,
            series_scope: k.series_scope.as_str().to_owned(),
            active: k.active,
        }
    }
}

#[utoipa::path(get, path = "/document-kinds", tag = "documents",
    responses((status = 200, body = [DocumentKindDto])))]
pub async fn list_kinds(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Vec<DocumentKindDto>>, ApiError> {
    let kinds = state
        .store()
        .document_kinds()
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(kinds.into_iter().map(DocumentKindDto::from).collect()))
}

/// Changes a kind (administrators). The template must contain `{year}`
/// and the token of its scope, and a kind with numbers this year keeps its
/// scope.
#[utoipa::path(put, path = "/document-kinds/{code}", tag = "documents", request_body = DocumentKindDto,
    responses((status = 200, body = DocumentKindDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_kind(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<DocumentKindDto>,
) -> Result<Json<DocumentKindDto>, ApiError> {
    caller.require_admin()?;
    let t = caller.t;
    let kind = body
        .input(code)
        .validate()
        .map_err(|e| ApiError::from_store(t, e.into()))?;
    state
        .store()
        .update_document_kind(&kind, wib::today().year())
        .await
        .map_err(store_err(t))?;
    audit(&state, &caller, "update", "document_kind", &kind.code).await;
    Ok(Json(kind.into()))
}

/// Adds a kind of document (administrators).
#[utoipa::path(post, path = "/document-kinds", tag = "documents", request_body = DocumentKindDto,
    responses((status = 201, body = DocumentKindDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_kind(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<DocumentKindDto>,
) -> Result<(StatusCode, Json<DocumentKindDto>), ApiError> {
    caller.require_admin()?;
    let t = caller.t;
    let code = body.code.clone();
    let kind = body
        .input(code)
        .validate()
        .map_err(|e| ApiError::from_store(t, e.into()))?;
    state
        .store()
        .create_document_kind(&kind)
        .await
        .map_err(store_err(t))?;
    audit(&state, &caller, "create", "document_kind", &kind.code).await;
    Ok((StatusCode::CREATED, Json(kind.into())))
}

/// A delegation of signing authority.
#[derive(Serialize, ToSchema)]
pub struct DelegationDto {
    pub id: Uuid,
    /// `an`, `ub`, `plt` or `plh`.
    pub kind: String,
    pub principal_id: Uuid,
    pub delegate_position_id: Option<Uuid>,
    pub delegate_employee_id: Option<Uuid>,
    pub via_id: Option<Uuid>,
    pub decree_number: String,
    /// First day in force, WIB (`2026-12-01`).
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day in force, WIB; it stops at 00:00 WIB of the next day.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
}

impl From<Delegation> for DelegationDto {
    fn from(d: Delegation) -> Self {
        DelegationDto {
            id: d.id.as_uuid(),
            kind: d.kind.as_str().to_owned(),
            principal_id: d.principal_id.as_uuid(),
            delegate_position_id: d.delegate_position_id.map(|p| p.as_uuid()),
            delegate_employee_id: d.delegate_employee_id.map(|e| e.as_uuid()),
            via_id: d.via_id.map(|v| v.as_uuid()),
            decree_number: d.decree_number,
            starts_on: d.starts_on,
            ends_on: d.ends_on,
        }
    }
}

/// A new delegation. a.n. and u.b. name `delegate_position_id`, Plt. and
/// Plh. name `delegate_employee_id`; u.b. also names the a.n. it follows.
#[derive(Deserialize, ToSchema)]
pub struct DelegationBody {
    pub kind: String,
    pub principal_id: Option<Uuid>,
    pub delegate_position_id: Option<Uuid>,
    pub delegate_employee_id: Option<Uuid>,
    pub via_id: Option<Uuid>,
    pub decree_number: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub starts_on: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<Date>,
}

#[utoipa::path(get, path = "/delegations", tag = "documents",
    responses((status = 200, body = [DelegationDto])))]
pub async fn list_delegations(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Vec<DelegationDto>>, ApiError> {
    let list = state
        .store()
        .delegations()
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(list.into_iter().map(DelegationDto::from).collect()))
}

/// Records a delegation (administrators).
#[utoipa::path(post, path = "/delegations", tag = "documents", request_body = DelegationBody,
    responses((status = 201, body = DelegationDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_delegation(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<DelegationBody>,
) -> Result<(StatusCode, Json<DelegationDto>), ApiError> {
    caller.require_admin()?;
    let input = DelegationInput {
        kind: body.kind,
        principal_id: body.principal_id.map(PositionId::from_uuid),
        delegate_position_id: body.delegate_position_id.map(PositionId::from_uuid),
        delegate_employee_id: body.delegate_employee_id.map(EmployeeId::from_uuid),
        via_id: body.via_id.map(DelegationId::from_uuid),
        decree_number: body.decree_number,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
    };
    let delegation = input
        .validate()
        .map_err(|e| ApiError::from_store(caller.t, e.into()))?;
    state
        .store()
        .create_delegation(&delegation)
        .await
        .map_err(store_err(caller.t))?;
    audit(
        &state,
        &caller,
        "create",
        "delegation",
        &delegation.id.to_string(),
    )
    .await;
    Ok((StatusCode::CREATED, Json(delegation.into())))
}

#[utoipa::path(delete, path = "/delegations/{id}", tag = "documents",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_delegation(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    state
        .store()
        .delete_delegation(DelegationId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    audit(&state, &caller, "delete", "delegation", &id.to_string()).await;
    Ok(StatusCode::NO_CONTENT)
}

/// An addressee or copy holder.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecipientDto {
    /// The holder of the position (or its acting official) when the letter is signed.
    Position { position_id: Uuid },
    /// The head of the organisation when the letter is signed.
    Organization { organization_id: Uuid },
    /// Someone outside the system, listed in the dispatch register.
    External {
        name: String,
        #[serde(default)]
        address: Option<String>,
    },
}

impl From<RecipientDto> for Recipient {
    fn from(r: RecipientDto) -> Self {
        match r {
            RecipientDto::Position { position_id } => Recipient::Position {
                position_id: PositionId::from_uuid(position_id),
            },
            RecipientDto::Organization { organization_id } => Recipient::Organization {
                organization_id: OrganizationId::from_uuid(organization_id),
            },
            RecipientDto::External { name, address } => Recipient::External { name, address },
        }
    }
}

impl From<Recipient> for RecipientDto {
    fn from(r: Recipient) -> Self {
        match r {
            Recipient::Position { position_id } => RecipientDto::Position {
                position_id: position_id.as_uuid(),
            },
            Recipient::Organization { organization_id } => RecipientDto::Organization {
                organization_id: organization_id.as_uuid(),
            },
            Recipient::External { name, address } => RecipientDto::External { name, address },
        }
    }
}

/// The fields of a draft.
#[derive(Deserialize, ToSchema)]
pub struct DraftBody {
    /// A document kind code, such as `nota_dinas`.
    pub kind: String,
    /// An archive classification code, such as `000.1.2`.
    pub classification: String,
    /// `biasa` (default), `terbatas`, `rahasia` or `sangat_rahasia`.
    pub security: Option<String>,
    /// `biasa` (default), `segera` or `sangat_segera`.
    pub urgency: Option<String>,
    /// The subject (*hal*).
    pub subject: String,
    pub attachment_count: Option<i64>,
    #[serde(default)]
    pub addressees: Vec<RecipientDto>,
    #[serde(default)]
    pub copies: Vec<RecipientDto>,
    /// Paragraphs separated by blank lines, `1. ` numbered items, `- `
    /// bullets and `| a | b |` table rows. Markup is shown as text.
    #[serde(default)]
    pub body: String,
    /// The signing position; the kind's head position when absent.
    pub signer_position_id: Option<Uuid>,
    /// The hierarchical initials chain in order; up the position tree
    /// when absent.
    pub reviewers: Option<Vec<Uuid>>,
    /// Coordination initials from other units.
    #[serde(default)]
    pub coordinators: Vec<Uuid>,
    /// For changes: the revision the change is based on.
    pub base_revision: Option<i64>,
}

impl DraftBody {
    fn input(self) -> DraftInput {
        DraftInput {
            kind: self.kind,
            classification: self.classification,
            security: self.security,
            urgency: self.urgency,
            subject: self.subject,
            attachment_count: self.attachment_count,
            addressees: self.addressees.into_iter().map(Recipient::from).collect(),
            copies: self.copies.into_iter().map(Recipient::from).collect(),
            body: self.body,
            signer_position_id: self.signer_position_id.map(PositionId::from_uuid),
            reviewers: self
                .reviewers
                .map(|r| r.into_iter().map(PositionId::from_uuid).collect()),
            coordinators: self
                .coordinators
                .into_iter()
                .map(PositionId::from_uuid)
                .collect(),
        }
    }
}

/// Validates a draft body against its kind's layout.
pub async fn draft_fields(
    state: &AppState,
    t: Tr,
    input: &DraftInput,
) -> Result<serasi_domain::document::DraftFields, ApiError> {
    let layout = match state.store().document_kind(input.kind.trim()).await {
        Ok(kind) => kind.layout,
        Err(_) if input.kind.trim().is_empty() => serasi_domain::document::Layout::Letter,
        Err(e) => return Err(ApiError::from_store(t, e)),
    };
    input
        .validate(layout)
        .map_err(|e| ApiError::from_store(t, e.into()))
}

/// A saved draft's id and revision.
#[derive(Serialize, ToSchema)]
pub struct SavedDto {
    pub id: Uuid,
    pub revision: i64,
}

/// Starts a draft authored by the caller.
#[utoipa::path(post, path = "/documents", tag = "documents", request_body = DraftBody,
    responses((status = 201, body = SavedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_document(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<(StatusCode, Json<SavedDto>), ApiError> {
    let actor = actor_of(&caller)?;
    let fields = draft_fields(&state, caller.t, &body.input()).await?;
    let id = state
        .store()
        .create_draft(actor.employee_id, &fields, wib::today(), false)
        .await
        .map_err(store_err(caller.t))?;
    Ok((
        StatusCode::CREATED,
        Json(SavedDto {
            id: id.as_uuid(),
            revision: 1,
        }),
    ))
}

/// Saves a new revision. `base_revision` must be the newest revision;
/// otherwise 409 with `current_revision`, and nothing changes.
#[utoipa::path(put, path = "/documents/{id}", tag = "documents", request_body = DraftBody,
    responses((status = 200, body = SavedDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_document(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Json<SavedDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let t = caller.t;
    let base = body.base_revision.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.fmt("error-required", &[("field", "base_revision")]),
        )
        .field("base_revision")
    })?;
    let fields = draft_fields(&state, t, &body.input()).await?;
    let revision = state
        .store()
        .update_draft(
            DocumentId::from_uuid(id),
            actor.employee_id,
            base,
            &fields,
            wib::today(),
        )
        .await
        .map_err(store_err(t))?;
    Ok(Json(SavedDto { id, revision }))
}

/// A recipient with its readable name.
#[derive(Serialize, ToSchema)]
pub struct RecipientLabelDto {
    pub recipient: RecipientDto,
    pub label: String,
}

/// One place in the initials chain.
#[derive(Serialize, ToSchema)]
pub struct ReviewDto {
    pub position_id: Uuid,
    pub position_name: String,
    /// True for coordination initials from another unit.
    pub coordination: bool,
    /// `planned` (before submission), `pending`, `initialled` or `returned`.
    pub status: String,
    pub reviewed_revision: Option<i64>,
    pub actor_name: Option<String>,
    /// `plt` or `plh` when the reviewer acted for the post.
    pub acting: Option<String>,
    /// Epoch milliseconds.
    pub acted_at: Option<i64>,
}

/// One recipient of a signed document and whether they read it.
#[derive(Serialize, ToSchema)]
pub struct DeliveryDto {
    pub is_copy: bool,
    pub label: String,
    pub employee_id: Option<Uuid>,
    pub employee_name: Option<String>,
    /// External addressees have an address and no inbox.
    pub external_address: Option<String>,
    pub delivered_at: i64,
    pub read_at: Option<i64>,
}

impl From<DeliveryView> for DeliveryDto {
    fn from(d: DeliveryView) -> Self {
        DeliveryDto {
            is_copy: d.is_copy,
            label: d.label,
            employee_id: d.employee_id.map(|e| e.as_uuid()),
            employee_name: d.employee_name,
            external_address: d.external_address,
            delivered_at: d.delivered_at,
            read_at: d.read_at,
        }
    }
}

/// One step of the timeline.
#[derive(Serialize, ToSchema)]
pub struct EventDto {
    /// Epoch milliseconds.
    pub at: i64,
    pub actor_name: Option<String>,
    /// `create`, `edit`, `submit`, `initial`, `return`, `sign`, `cancel`, `read`.
    pub action: String,
    pub revision: i64,
    pub comment: Option<String>,
}

impl From<EventView> for EventDto {
    fn from(e: EventView) -> Self {
        EventDto {
            at: e.at,
            actor_name: e.actor_name,
            action: e.action,
            revision: e.revision,
            comment: e.comment,
        }
    }
}

/// A document with its chain, recipients and timeline.
#[derive(Serialize, ToSchema)]
pub struct DocumentDto {
    pub id: Uuid,
    pub kind: String,
    pub kind_name: String,
    pub layout: String,
    /// `draft`, `in_review`, `returned`, `ready_to_sign`, `signed` or `cancelled`.
    pub state: String,
    pub revision: i64,
    pub author_id: Uuid,
    pub author_name: String,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub classification: String,
    pub security: String,
    pub urgency: String,
    pub subject: String,
    pub attachment_count: i64,
    pub body: String,
    /// The body as escaped HTML.
    pub body_html: String,
    pub addressees: Vec<RecipientLabelDto>,
    pub copies: Vec<RecipientLabelDto>,
    pub reviews: Vec<ReviewDto>,
    pub signer_position_id: Uuid,
    pub signer_position_name: String,
    pub signed_by_name: Option<String>,
    /// Heading lines of the signature block, such as `a.n. Kepala Dinas`.
    pub signature_block: Vec<String>,
    pub signed_at: Option<i64>,
    #[schema(value_type = Option<String>, format = Date)]
    pub letter_date: Option<Date>,
    pub number: Option<String>,
    /// Actions the caller may take now.
    pub actions: Vec<String>,
    pub attachments: Vec<AttachmentDto>,
    /// Recipients and read receipts; only for the author and signer.
    pub deliveries: Vec<DeliveryDto>,
    pub timeline: Vec<EventDto>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn labels(list: Vec<serasi_store::RecipientView>) -> Vec<RecipientLabelDto> {
    list.into_iter()
        .map(|r| RecipientLabelDto {
            recipient: r.recipient.into(),
            label: r.label,
        })
        .collect()
}

/// Loads everything a document page or response shows, and records the
/// read receipt when the viewer is a recipient.
pub async fn load_document(
    state: &AppState,
    actor: Actor,
    id: DocumentId,
) -> Result<(DocumentView, Vec<DeliveryView>, Vec<EventView>), StoreError> {
    let store = state.store();
    let today = wib::today();
    // The visibility check runs before the receipt is recorded.
    store.document_for(id, actor, today).await?;
    store.mark_document_read(id, actor.employee_id).await?;
    let view = store.document_for(id, actor, today).await?;
    let sender_side = view.author_id == actor.employee_id
        || view.signed_by == Some(actor.employee_id)
        || actor.is_admin;
    let deliveries = if sender_side {
        store.document_deliveries(id).await?
    } else {
        Vec::new()
    };
    let mut events = store.document_events(id).await?;
    if !view.participant {
        // Recipients see when the letter was signed or cancelled, not the
        // review comments or who else read it.
        events.retain(|e| matches!(e.action.as_str(), "sign" | "cancel"));
    }
    Ok((view, deliveries, events))
}

#[utoipa::path(get, path = "/documents/{id}", tag = "documents",
    responses((status = 200, body = DocumentDto), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<DocumentDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let (v, deliveries, events) = load_document(&state, actor, DocumentId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    let attachments = state
        .store()
        .document_attachments(v.id)
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(DocumentDto {
        id: v.id.as_uuid(),
        body_html: body::to_html(&v.body),
        kind: v.kind,
        kind_name: v.kind_name,
        layout: v.layout.as_str().to_owned(),
        state: v.state.as_str().to_owned(),
        revision: v.revision,
        author_id: v.author_id.as_uuid(),
        author_name: v.author_name,
        organization_id: v.organization_id.as_uuid(),
        organization_name: v.organization_name,
        classification: v.classification,
        security: v.security.as_str().to_owned(),
        urgency: v.urgency.as_str().to_owned(),
        subject: v.subject,
        attachment_count: v.attachment_count,
        body: v.body,
        addressees: labels(v.addressees),
        copies: labels(v.copies),
        reviews: v
            .reviews
            .into_iter()
            .map(|r| ReviewDto {
                position_id: r.position_id.as_uuid(),
                position_name: r.position_name,
                coordination: r.coordination,
                status: r.status,
                reviewed_revision: r.reviewed_revision,
                actor_name: r.actor_name,
                acting: r.acting,
                acted_at: r.acted_at,
            })
            .collect(),
        signer_position_id: v.signer_position_id.as_uuid(),
        signer_position_name: v.signer_position_name,
        signed_by_name: v.signed_by_name,
        signature_block: v.signature_block,
        signed_at: v.signed_at,
        letter_date: v.letter_date,
        number: v.number,
        actions: v.actions.iter().map(|a| (*a).to_owned()).collect(),
        attachments: attachments.into_iter().map(AttachmentDto::from).collect(),
        deliveries: deliveries.into_iter().map(DeliveryDto::from).collect(),
        timeline: events.into_iter().map(EventDto::from).collect(),
        created_at: v.created_at,
        updated_at: v.updated_at,
    }))
}

/// A saved revision.
#[derive(Serialize, ToSchema)]
pub struct RevisionDto {
    pub revision: i64,
    pub saved_at: i64,
    pub saved_by_name: String,
    pub subject: String,
    pub body: String,
}

#[utoipa::path(get, path = "/documents/{id}/revisions", tag = "documents",
    responses((status = 200, body = [RevisionDto]), (status = 404, body = ErrorBody)))]
pub async fn list_revisions(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<RevisionDto>>, ApiError> {
    let actor = actor_of(&caller)?;
    let id = DocumentId::from_uuid(id);
    let store = state.store();
    let view = store
        .document_for(id, actor, wib::today())
        .await
        .map_err(store_err(caller.t))?;
    if !view.participant {
        return Err(ApiError::not_found(caller.t));
    }
    let list = store
        .document_revisions(id)
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(
        list.into_iter()
            .map(|r| RevisionDto {
                revision: r.revision,
                saved_at: r.saved_at,
                saved_by_name: r.saved_by_name,
                subject: r.content.subject,
                body: r.content.body,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct CompareQuery {
    /// The older revision.
    pub from: i64,
    /// The newer revision.
    pub to: i64,
}

/// One line of a comparison.
#[derive(Serialize, ToSchema)]
pub struct DiffLineDto {
    /// `same`, `removed` or `added`.
    pub change: String,
    pub text: String,
}

/// The differences between two revisions, field by field and line by line.
#[derive(Serialize, ToSchema)]
pub struct CompareDto {
    pub from: i64,
    pub to: i64,
    /// Names of the metadata fields that differ.
    pub changed_fields: Vec<String>,
    pub subject: Vec<DiffLineDto>,
    pub body: Vec<DiffLineDto>,
}

/// Compares two revisions of a document.
pub async fn compare(
    state: &AppState,
    actor: Actor,
    id: DocumentId,
    from: i64,
    to: i64,
) -> Result<Option<CompareDto>, StoreError> {
    let store = state.store();
    let view = store.document_for(id, actor, wib::today()).await?;
    if !view.participant {
        return Ok(None);
    }
    let revisions = store.document_revisions(id).await?;
    let find = |n: i64| revisions.iter().find(|r| r.revision == n);
    let (Some(a), Some(b)) = (find(from), find(to)) else {
        return Ok(None);
    };
    let (a, b) = (&a.content, &b.content);
    let mut changed = Vec::new();
    let checks: [(&str, bool); 9] = [
        ("kind", a.kind != b.kind),
        ("classification", a.classification != b.classification),
        ("security", a.security != b.security),
        ("urgency", a.urgency != b.urgency),
        ("attachment_count", a.attachment_count != b.attachment_count),
        ("addressees", a.addressees != b.addressees),
        ("copies", a.copies != b.copies),
        (
            "reviewers",
            a.reviewers != b.reviewers || a.coordinators != b.coordinators,
        ),
        (
            "signer_position_id",
            a.signer_position_id != b.signer_position_id,
        ),
    ];
    for (name, differs) in checks {
        if differs {
            changed.push(name.to_owned());
        }
    }
    let lines = |old: &str, new: &str| {
        body::diff_lines(old, new)
            .into_iter()
            .map(|l| DiffLineDto {
                change: match l.change {
                    body::Change::Same => "same",
                    body::Change::Removed => "removed",
                    body::Change::Added => "added",
                }
                .to_owned(),
                text: l.text,
            })
            .collect()
    };
    Ok(Some(CompareDto {
        from,
        to,
        changed_fields: changed,
        subject: lines(&a.subject, &b.subject),
        body: lines(&a.body, &b.body),
    }))
}

#[utoipa::path(get, path = "/documents/{id}/compare", tag = "documents", params(CompareQuery),
    responses((status = 200, body = CompareDto), (status = 404, body = ErrorBody)))]
pub async fn compare_revisions(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    Query(query): Query<CompareQuery>,
) -> Result<Json<CompareDto>, ApiError> {
    let actor = actor_of(&caller)?;
    compare(
        &state,
        actor,
        DocumentId::from_uuid(id),
        query.from,
        query.to,
    )
    .await
    .map_err(store_err(caller.t))?
    .map(Json)
    .ok_or_else(|| ApiError::not_found(caller.t))
}

/// The state after an action.
#[derive(Serialize, ToSchema)]
pub struct StateDto {
    pub state: String,
    /// The number, after signing.
    pub number: Option<String>,
    /// The code of the public check page `/v/{code}`, after signing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_code: Option<String>,
}

/// An optional or required comment.
#[derive(Deserialize, ToSchema, Default)]
pub struct CommentBody {
    pub comment: Option<String>,
}

/// Sends the draft to its initials chain (or straight to the signer).
#[utoipa::path(post, path = "/documents/{id}/submit", tag = "documents",
    responses((status = 200, body = StateDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<StateDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let next = state
        .store()
        .submit_document(DocumentId::from_uuid(id), actor.employee_id, wib::today())
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(StateDto {
        state: next.as_str().to_owned(),
        number: None,
        verify_code: None,
    }))
}

/// Gives the caller's initial (*paraf*).
#[utoipa::path(post, path = "/documents/{id}/initial", tag = "documents", request_body = CommentBody,
    responses((status = 200, body = StateDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn initial(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Result<Json<StateDto>, ApiError> {
    let actor = actor_of(&caller)?;
    // The body is optional: no body means no comment.
    let comment = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<CommentBody>(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))?
            .comment
    };
    let comment = comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let next = state
        .store()
        .initial_document(
            DocumentId::from_uuid(id),
            actor.employee_id,
            comment,
            wib::today(),
        )
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(StateDto {
        state: next.as_str().to_owned(),
        number: None,
        verify_code: None,
    }))
}

/// Sends the draft back to its author with a required comment.
#[utoipa::path(post, path = "/documents/{id}/return", tag = "documents", request_body = CommentBody,
    responses((status = 200, body = StateDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_document(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<StateDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let next = state
        .store()
        .return_document(
            DocumentId::from_uuid(id),
            actor.employee_id,
            body.comment.as_deref().unwrap_or_default(),
            wib::today(),
        )
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(StateDto {
        state: next.as_str().to_owned(),
        number: None,
        verify_code: None,
    }))
}

/// The signer's confirmation and the letter's date and number.
#[derive(Deserialize, ToSchema, Default)]
pub struct SignBody {
    /// With the installation's own CA: the signer's account password, which
    /// also unlocks their signing key (required). With BSrE: the signer's
    /// BSrE passphrase.
    pub password: Option<String>,
    /// With BSrE: the signer's BSrE TOTP code instead of the passphrase.
    /// The installation's own CA needs the password.
    pub totp: Option<String>,
    /// The letter's date (WIB); today when absent. An earlier date than
    /// numbers already given yields an insert number such as `005.1`.
    #[schema(value_type = Option<String>, format = Date)]
    pub letter_date: Option<Date>,
    /// A number typed by hand for a letter signed on paper.
    pub manual_number: Option<String>,
}

/// Checks the signer's password or TOTP code; a wrong one counts as a
/// failed login.
pub async fn confirm_signer(
    state: &AppState,
    t: Tr,
    user: &serasi_store::User,
    client: &str,
    password: Option<&str>,
    totp: Option<&str>,
) -> Result<(), ApiError> {
    // A locked account cannot sign, so a stolen token gives no extra
    // password guesses. The account is read again for the current state.
    let fresh = state
        .store()
        .user(user.id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if let Some(until) = fresh
        .as_ref()
        .and_then(serasi_store::User::locked_until)
        .filter(|until| *until > serasi_store::now_ms())
    {
        return Err(ApiError::new(
            StatusCode::LOCKED,
            "locked",
            t.fmt("login-locked", &[("time", &t.datetime(until))]),
        )
        .field("password"));
    }
    let password = password.map(str::trim).filter(|p| !p.is_empty());
    let totp = totp.map(str::trim).filter(|c| !c.is_empty());
    if password.is_none() && totp.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "confirmation_required",
            t.get("error-sign-confirm"),
        )
        .field("password"));
    }
    let accepted = match (totp, user.totp_secret()) {
        (Some(code), Some(secret)) => use_totp_code(state, user, secret, code).await?,
        _ => match password {
            Some(p) => state.store().verify_user_password(user, p).await,
            None => false,
        },
    };
    if !accepted {
        let limits = state.config().login_throttle;
        if let Err(e) = state
            .store()
            .record_login_failure(Some(user.id), client, limits)
            .await
        {
            return Err(ApiError::internal(&e));
        }
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "confirmation_failed",
            t.get("error-sign-confirm-wrong"),
        )
        .field("password"));
    }
    Ok(())
}

/// Signs, numbers and delivers the document in one step.
#[utoipa::path(post, path = "/documents/{id}/sign", tag = "documents", request_body = SignBody,
    responses((status = 200, body = StateDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign(
    State(state): State<AppState>,
    caller: ApiUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<SignBody>,
) -> Result<Json<StateDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let t = caller.t;
    let request = SignRequest {
        letter_date: body.letter_date,
        manual_number: body.manual_number,
    };
    let attempt = crate::signing::SignAttempt {
        user: &caller.user,
        actor,
        client: &client,
        id: DocumentId::from_uuid(id),
        request: &request,
        confirm: crate::signing::Confirmation {
            password: body.password.as_deref(),
            totp: body.totp.as_deref(),
        },
    };
    let (number, code) = crate::signing::sign_document(&state, t, attempt).await?;
    audit(&state, &caller, "sign", "document", &id.to_string()).await;
    Ok(Json(StateDto {
        state: "signed".to_owned(),
        number: Some(number),
        verify_code: Some(code),
    }))
}

/// A required reason.
#[derive(Deserialize, ToSchema)]
pub struct ReasonBody {
    pub reason: String,
}

/// Withdraws a document. A signed document keeps its number in the
/// cancellation log; the number is never given again.
#[utoipa::path(post, path = "/documents/{id}/cancel", tag = "documents", request_body = ReasonBody,
    responses((status = 200, body = StateDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<StateDto>, ApiError> {
    let actor = actor_of(&caller)?;
    state
        .store()
        .cancel_document(DocumentId::from_uuid(id), actor, &body.reason, wib::today())
        .await
        .map_err(store_err(caller.t))?;
    audit(&state, &caller, "cancel", "document", &id.to_string()).await;
    Ok(Json(StateDto {
        state: "cancelled".to_owned(),
        number: None,
        verify_code: None,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct QueueQuery {
    /// `drafts`, `to_initial`, `to_sign`, `inbox` (default) or `outbox`.
    pub queue: Option<String>,
    /// A kind code.
    pub kind: Option<String>,
    /// `biasa`, `segera` or `sangat_segera`.
    pub urgency: Option<String>,
    /// Letter dates from this day (`2026-12-01`).
    pub from: Option<String>,
    /// Letter dates up to this day.
    pub to: Option<String>,
    /// 1-based page; 25 per page by default, at most 100.
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A line of a queue.
#[derive(Serialize, ToSchema)]
pub struct SummaryDto {
    pub id: Uuid,
    pub kind: String,
    pub kind_name: String,
    pub state: String,
    pub subject: String,
    pub number: Option<String>,
    pub urgency: String,
    pub security: String,
    pub letter_date: Option<String>,
    pub author_name: String,
    pub updated_at: i64,
    /// Inbox only.
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub is_copy: Option<bool>,
}

/// One page of a queue.
#[derive(Serialize, ToSchema)]
pub struct QueueDto {
    pub items: Vec<SummaryDto>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Parses queue parameters, rejecting unknown values with a clear message.
pub fn queue_filter(t: Tr, q: &QueueQuery) -> Result<(Queue, QueueFilter), ApiError> {
    let invalid = |field: &str, value: &str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.fmt("error-draft-value", &[("field", field), ("value", value)]),
        )
        .field(field)
    };
    let queue = match nonempty(&q.queue) {
        Some(v) => v.parse().map_err(|_| invalid("queue", v))?,
        None => Queue::Inbox,
    };
    let date = |field: &str, v: Option<&str>| -> Result<Option<Date>, ApiError> {
        v.map(|s| {
            Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| invalid(field, s))
        })
        .transpose()
    };
    let filter = QueueFilter {
        kind: nonempty(&q.kind).map(str::to_owned),
        urgency: nonempty(&q.urgency)
            .map(|u| u.parse().map_err(|_| invalid("urgency", u)))
            .transpose()?,
        from: date("from", nonempty(&q.from))?,
        to: date("to", nonempty(&q.to))?,
        page: q.page.unwrap_or(1).max(1),
        per_page: q.per_page.unwrap_or(25).clamp(1, 100),
    };
    Ok((queue, filter))
}

/// Lists one of the caller's queues, newest first; the inbox shows unread
/// documents first.
#[utoipa::path(get, path = "/documents", tag = "documents", params(QueueQuery),
    responses((status = 200, body = QueueDto), (status = 422, body = ErrorBody)))]
pub async fn list_documents(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<QueueQuery>,
) -> Result<Json<QueueDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let (queue, filter) = queue_filter(caller.t, &query)?;
    let page = state
        .store()
        .queue(actor.employee_id, queue, &filter, wib::today())
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(QueueDto {
        items: page
            .items
            .into_iter()
            .map(|s| SummaryDto {
                id: s.id.0.as_uuid(),
                kind: s.kind,
                kind_name: s.kind_name,
                state: s.state,
                subject: s.subject,
                number: s.number,
                urgency: s.urgency,
                security: s.security,
                letter_date: s.letter_date,
                author_name: s.author_name,
                updated_at: s.updated_at,
                delivered_at: s.delivered_at,
                read_at: s.read_at,
                is_copy: s.is_copy,
            })
            .collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// Counters of the caller's queues.
#[derive(Serialize, ToSchema)]
pub struct CountsDto {
    pub drafts: i64,
    pub to_initial: i64,
    pub to_sign: i64,
    pub inbox_unread: i64,
    pub outbox: i64,
}

#[utoipa::path(get, path = "/documents/counts", tag = "documents",
    responses((status = 200, body = CountsDto)))]
pub async fn counts(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<CountsDto>, ApiError> {
    let actor = actor_of(&caller)?;
    let c = state
        .store()
        .queue_counts(actor.employee_id, wib::today())
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(CountsDto {
        drafts: c.drafts,
        to_initial: c.to_initial,
        to_sign: c.to_sign,
        inbox_unread: c.inbox_unread,
        outbox: c.outbox,
    }))
}

/// Checks whether `user` keeps the registers of `org`: administrators do,
/// and clerks do for their own organisation and those above it up to their
/// agency, kecamatan or village.
/// Fails with 403 unless the caller keeps `org`'s registers (see
/// `keeps_registers`).
pub async fn require_registers(
    state: &AppState,
    caller: &ApiUser,
    org: OrganizationId,
) -> Result<(), ApiError> {
    if keeps_registers(state, &caller.user, org)
        .await
        .map_err(store_err(caller.t))?
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(caller.t))
    }
}

pub async fn keeps_registers(
    state: &AppState,
    user: &serasi_store::User,
    org: OrganizationId,
) -> Result<bool, StoreError> {
    match user.role {
        Role::Admin => return Ok(true),
        Role::Employee => return Ok(false),
        Role::Clerk => {}
    }
    let Some(employee) = user.employee_id else {
        return Ok(false);
    };
    let Some(employee) = state.store().employee(employee).await? else {
        return Ok(false);
    };
    // The walk stops at the clerk's agency, kecamatan or village: a village
    // clerk keeps the village's registers, not the kecamatan's.
    use serasi_domain::directory::OrganizationKind as K;
    let orgs = state.store().organizations().await?;
    let mut current = orgs.iter().find(|o| o.id == employee.organization_id);
    while let Some(o) = current {
        if o.id == org {
            return Ok(true);
        }
        if matches!(
            o.kind,
            K::Agency | K::District | K::Village | K::UrbanVillage | K::Regency
        ) {
            break;
        }
        current = o.parent_id.and_then(|p| orgs.iter().find(|x| x.id == p));
    }
    Ok(false)
}

/// A line of the dispatch register.
#[derive(Serialize, ToSchema)]
pub struct DispatchDto {
    pub document_id: Uuid,
    pub number: Option<String>,
    pub letter_date: Option<String>,
    pub subject: String,
    pub name: Option<String>,
    pub address: Option<String>,
    pub is_copy: bool,
}

/// External addressees of an organisation's signed documents, to be sent
/// by hand (the organisation's clerks and administrators). Subjects of
/// Rahasia and Sangat Rahasia letters are left empty.
#[utoipa::path(get, path = "/organizations/{id}/dispatch", tag = "documents",
    responses((status = 200, body = [DispatchDto]), (status = 403, body = ErrorBody)))]
pub async fn dispatch(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<DispatchDto>>, ApiError> {
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    let lines = state
        .store()
        .dispatch_register(OrganizationId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(
        lines
            .into_iter()
            .map(|l| DispatchDto {
                document_id: l.document_id.0.as_uuid(),
                number: l.number,
                letter_date: l.letter_date,
                subject: l.subject,
                name: l.external_name,
                address: l.external_address,
                is_copy: l.is_copy,
            })
            .collect(),
    ))
}

/// A cancelled number.
#[derive(Serialize, ToSchema)]
pub struct CancelledNumberDto {
    pub number: String,
    pub document_id: Uuid,
    pub cancelled_at: Option<i64>,
    pub reason: Option<String>,
}

/// The cancellation log of an organisation's numbers (clerks and
/// administrators).
#[utoipa::path(get, path = "/organizations/{id}/cancelled-numbers", tag = "documents",
    responses((status = 200, body = [CancelledNumberDto]), (status = 403, body = ErrorBody)))]
pub async fn cancelled_numbers(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<CancelledNumberDto>>, ApiError> {
    require_registers(&state, &caller, OrganizationId::from_uuid(id)).await?;
    let list = state
        .store()
        .cancelled_numbers(OrganizationId::from_uuid(id))
        .await
        .map_err(store_err(caller.t))?;
    Ok(Json(
        list.into_iter()
            .map(|c| CancelledNumberDto {
                number: c.number,
                document_id: c.document_id.0.as_uuid(),
                cancelled_at: c.cancelled_at,
                reason: c.cancel_reason,
            })
            .collect(),
    ))
}

/// Decides a file's type from its first bytes; office documents, which are
/// zip files, also by their extension. Returns `None` for other types.
pub fn sniff(name: &str, bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Some("image/jpeg");
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        return match extension.as_deref() {
            Some("docx") => {
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }
            Some("xlsx") => {
                Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            }
            Some("odt") => Some("application/vnd.oasis.opendocument.text"),
            Some("ods") => Some("application/vnd.oasis.opendocument.spreadsheet"),
            _ => None,
        };
    }
    None
}

/// Keeps the last path part of an uploaded name, without control
/// characters, quotes or backslashes, at most 200 characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\'))
        .take(200)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        "lampiran".to_owned()
    } else {
        cleaned
    }
}

/// Reads the `file` field of a multipart upload: its name and bytes.
/// A file larger than the per-file limit (`max_file_bytes`) is rejected
/// with 413 as soon as its first bytes past the limit arrive.
pub async fn read_upload(
    state: &AppState,
    t: Tr,
    mut multipart: axum::extract::Multipart,
) -> Result<(String, Vec<u8>), ApiError> {
    let max_bytes = state.config().max_file_bytes;
    // A body over the request limit is reported with the file limit too:
    // the configuration keeps the file limit at or below the request
    // limit, and the file is nearly all of an upload's body.
    let too_large = || {
        let max_mb = max_bytes / (1024 * 1024);
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            t.fmt("error-file-over-limit", &[("max", &max_mb.to_string())]),
        )
        .field("file")
    };
    let fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text())
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(fail)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(fail)? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((name, bytes));
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        t.get("error-file-missing"),
    )
    .field("file"))
}

/// Checks an uploaded file, stores it and attaches it to a draft.
pub async fn attach(
    state: &AppState,
    t: Tr,
    actor: Actor,
    id: DocumentId,
    name: &str,
    bytes: Vec<u8>,
) -> Result<i64, ApiError> {
    let invalid = |key: &str| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", t.get(key)).field("file")
    };
    if bytes.is_empty() {
        return Err(invalid("error-file-empty"));
    }
    let mut name = clean_file_name(name);
    let content_type = sniff(&name, &bytes).ok_or_else(|| invalid("error-file-type"))?;
    // The name keeps an extension that matches the content, so the file
    // opens with the right program after download.
    let extension = match content_type {
        "application/pdf" => Some(".pdf"),
        "image/png" => Some(".png"),
        "image/jpeg" => Some(".jpg"),
        _ => None,
    };
    if let Some(extension) = extension {
        let lower = name.to_ascii_lowercase();
        let fits = lower.ends_with(extension) || (extension == ".jpg" && lower.ends_with(".jpeg"));
        if !fits {
            name.push_str(extension);
        }
    }
    // The draft must be open for changes before anything is written.
    let view = state
        .store()
        .document_for(id, actor, wib::today())
        .await
        .map_err(store_err(t))?;
    if !view.actions.contains(&"edit") {
        let err: StoreError = if view.author_id == actor.employee_id {
            serasi_domain::document::TransitionError {
                state: view.state,
                action: serasi_domain::document::DocumentAction::Edit,
            }
            .into()
        } else {
            DocumentRule::NotAuthor.into()
        };
        return Err(ApiError::from_store(t, err));
    }
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let sha256 = state
        .files()
        .put(&bytes)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if content_type == "application/pdf" {
        super::incoming::record_text_layer(state, t, &sha256, bytes).await?;
    }
    let file = serasi_store::AttachmentView {
        seq: 0,
        sha256,
        name,
        content_type: content_type.to_owned(),
        size,
        added_at: 0,
    };
    state
        .store()
        .add_attachment(id, actor.employee_id, &file)
        .await
        .map_err(store_err(t))
}

/// Returns an attachment's bytes after checking the caller may see the
/// document.
pub async fn download(
    state: &AppState,
    t: Tr,
    actor: Actor,
    id: DocumentId,
    seq: i64,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    state
        .store()
        .document_for(id, actor, wib::today())
        .await
        .map_err(store_err(t))?;
    let list = state
        .store()
        .document_attachments(id)
        .await
        .map_err(store_err(t))?;
    let file = list
        .into_iter()
        .find(|a| a.seq == seq)
        .ok_or_else(|| ApiError::not_found(t))?;
    let bytes = state
        .files()
        .get(&file.sha256)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::auth::urlencode(&file.name)
    );
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, file.content_type),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// A file attached to a document.
#[derive(Serialize, ToSchema)]
pub struct AttachmentDto {
    pub seq: i64,
    pub name: String,
    /// Decided from the content, not the name.
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: i64,
}

impl From<serasi_store::AttachmentView> for AttachmentDto {
    fn from(a: serasi_store::AttachmentView) -> Self {
        AttachmentDto {
            seq: a.seq,
            name: a.name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            added_at: a.added_at,
        }
    }
}

/// A multipart upload with one `file` field.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadBody {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Attaches a file (PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS) to a draft.
#[utoipa::path(post, path = "/documents/{id}/attachments", tag = "documents",
    request_body(content = UploadBody, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<AttachmentDto>), ApiError> {
    let actor = actor_of(&caller)?;
    let (name, bytes) = read_upload(&state, caller.t, multipart).await?;
    let id = DocumentId::from_uuid(id);
    let seq = attach(&state, caller.t, actor, id, &name, bytes).await?;
    let list = state
        .store()
        .document_attachments(id)
        .await
        .map_err(store_err(caller.t))?;
    let file = list
        .into_iter()
        .find(|a| a.seq == seq)
        .ok_or_else(|| ApiError::not_found(caller.t))?;
    Ok((StatusCode::CREATED, Json(file.into())))
}

/// Downloads an attachment, byte for byte as uploaded.
#[utoipa::path(get, path = "/documents/{id}/attachments/{seq}", tag = "documents",
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn get_attachment(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, seq)): Path<(Uuid, i64)>,
) -> Result<axum::response::Response, ApiError> {
    let actor = actor_of(&caller)?;
    download(&state, caller.t, actor, DocumentId::from_uuid(id), seq).await
}

/// Removes an attachment from a draft.
#[utoipa::path(delete, path = "/documents/{id}/attachments/{seq}", tag = "documents",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_attachment(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, seq)): Path<(Uuid, i64)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor_of(&caller)?;
    state
        .store()
        .remove_attachment(DocumentId::from_uuid(id), actor.employee_id, seq)
        .await
        .map_err(store_err(caller.t))?;
    Ok(StatusCode::NO_CONTENT)
}
