//! Endpoints for the rest of what the account and administration pages
//! do: language, TOTP second factor and the audit log.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiJson;
use super::directory::audit;
use crate::AppState;
use crate::auth::{ApiUser, new_totp_secret, totp_for, use_totp_code};
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Locale;

#[derive(Deserialize, ToSchema)]
pub struct LocaleBody {
    /// `id` (Bahasa Indonesia) or `en`.
    pub locale: String,
}

/// Sets the caller's interface language.
#[utoipa::path(put, path = "/me/locale", tag = "account", request_body = LocaleBody,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn set_locale(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<LocaleBody>,
) -> Result<StatusCode, ApiError> {
    let Some(locale) = Locale::parse(&body.locale) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            caller.t.get("error-locale"),
        )
        .field("locale"));
    };
    state
        .store()
        .set_locale(caller.user.id, locale.code())
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A fresh TOTP secret to add to an authenticator app; nothing is stored
/// until it is confirmed with a code.
#[derive(Serialize, ToSchema)]
pub struct TotpSetup {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://` URL for a QR code.
    pub url: String,
}

#[utoipa::path(get, path = "/me/totp/setup", tag = "account", responses((status = 200, body = TotpSetup)))]
pub async fn totp_setup(caller: ApiUser) -> Json<TotpSetup> {
    let secret = new_totp_secret();
    let url = totp_for(&secret, &caller.user.username)
        .map(|t| t.get_url())
        .unwrap_or_default();
    Json(TotpSetup { secret, url })
}

#[derive(Deserialize, ToSchema)]
pub struct TotpBody {
    /// The secret from `/me/totp/setup` (only when turning TOTP on).
    pub secret: Option<String>,
    /// The current 6-digit code.
    pub code: String,
}

/// Turns the TOTP second factor on, after checking a code for the secret.
#[utoipa::path(post, path = "/me/totp", tag = "account", request_body = TotpBody,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enable_totp(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<TotpBody>,
) -> Result<StatusCode, ApiError> {
    let t = caller.t;
    if caller.user.totp_enabled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            t.get("totp-already-on"),
        ));
    }
    let secret = body.secret.unwrap_or_default().trim().to_owned();
    if !use_totp_code(&state, &caller.user, &secret, &body.code).await? {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("totp-wrong"),
        )
        .field("code"));
    }
    state
        .store()
        .set_totp_secret(caller.user.id, Some(&secret))
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    audit(
        &state,
        &caller,
        "user.totp.enable",
        "user",
        &caller.user.id.to_string(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns the TOTP second factor off; needs a current code.
#[utoipa::path(delete, path = "/me/totp", tag = "account", request_body = TotpBody,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn disable_totp(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<TotpBody>,
) -> Result<StatusCode, ApiError> {
    let t = caller.t;
    let secret = caller.user.totp_secret().unwrap_or_default().to_owned();
    if !use_totp_code(&state, &caller.user, &secret, &body.code).await? {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("totp-wrong"),
        )
        .field("code"));
    }
    state
        .store()
        .set_totp_secret(caller.user.id, None)
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    audit(
        &state,
        &caller,
        "user.totp.disable",
        "user",
        &caller.user.id.to_string(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// One audit record.
#[derive(Serialize, ToSchema)]
pub struct AuditDto {
    /// Epoch milliseconds.
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub actor_username: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: serde_json::Value,
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Lists audit records, newest first (administrators only).
#[utoipa::path(get, path = "/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = [AuditDto]), (status = 403, body = ErrorBody, description = "The caller is not an administrator.")))]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditDto>>, ApiError> {
    caller.require_admin()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let offset = query.offset.unwrap_or(0).clamp(0, i64::MAX / 2);
    let entries = state
        .store()
        .audit_entries(limit, offset)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(
        entries
            .into_iter()
            .map(|a| AuditDto {
                at: a.at,
                actor_id: a.actor_id.map(|id| id.as_uuid()),
                actor_username: a.actor_username,
                action: a.action,
                entity: a.entity,
                entity_id: a.entity_id,
                detail: a.detail,
            })
            .collect(),
    ))
}
