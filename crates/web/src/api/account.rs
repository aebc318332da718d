//! Account endpoints: the caller, password change, API tokens and
//! account creation by administrators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serasi_domain::user::{Role, parse_username};
use serasi_domain::{ApiTokenId, EmployeeId};
use serasi_store::{NewUser, PasswordChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiJson;
use super::directory::audit;
use crate::AppState;
use crate::auth::{ApiUser, ClientAddr, Viewer, check_login, check_password_change};
use crate::error::{ApiError, ErrorBody};
use crate::messages;

/// The caller's account.
#[derive(Serialize, ToSchema)]
pub struct MeDto {
    pub id: Uuid,
    pub username: String,
    /// `admin`, `clerk` or `employee`.
    pub role: String,
    pub employee_id: Option<Uuid>,
    /// Interface language, `id` or `en`.
    pub locale: String,
    pub totp_enabled: bool,
}

#[utoipa::path(get, path = "/me", tag = "account", responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(caller: ApiUser) -> Json<MeDto> {
    let u = caller.user;
    Json(MeDto {
        id: u.id.as_uuid(),
        username: u.username,
        role: u.role.as_str().to_owned(),
        employee_id: u.employee_id.map(|e| e.as_uuid()),
        locale: u.locale,
        totp_enabled: u.totp_enabled,
    })
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    pub current: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// Changes the caller's password; every session of the account ends.
#[utoipa::path(post, path = "/me/password", tag = "account", request_body = PasswordBody,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: ApiUser,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    let t = caller.t;
    check_password_change(
        &state,
        t,
        &caller.user,
        &body.current,
        &body.new_password,
        &client,
    )
    .await?;
    let change = PasswordChange::ByOwner { keep_session: None };
    state
        .store()
        .set_password(caller.user.id, &body.new_password, change)
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    if let Some(employee) = caller.user.employee_id {
        crate::signing::reseal_after_password_change(
            &state,
            employee,
            &body.current,
            &body.new_password,
        )
        .await;
    }
    audit(
        &state,
        &caller,
        "user.password",
        "user",
        &caller.user.id.to_string(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: Uuid,
    pub name: String,
    /// Epoch milliseconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[utoipa::path(get, path = "/me/tokens", tag = "account", responses((status = 200, body = [TokenDto])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let tokens = state
        .store()
        .api_tokens(caller.user.id)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenDto {
                id: t.id.as_uuid(),
                name: t.name,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    /// A label such as the device or script that uses the token.
    pub name: String,
}

/// A new token; `token` is shown only in this response.
#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: Uuid,
    pub name: String,
    pub token: String,
}

/// Trims a token label to 100 characters without control characters.
pub fn token_name(name: &str) -> String {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if name.is_empty() {
        "token".to_owned()
    } else {
        name
    }
}

#[utoipa::path(post, path = "/me/tokens", tag = "account", request_body = TokenBody,
    responses((status = 201, body = TokenCreated)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let name = token_name(&body.name);
    let (id, token) = state
        .store()
        .create_api_token(caller.user.id, &name)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    audit(
        &state,
        &caller,
        "token.create",
        "api_token",
        &id.to_string(),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id: id.as_uuid(),
            name,
            token,
        }),
    ))
}

#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "account",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    state
        .store()
        .revoke_api_token(caller.user.id, ApiTokenId::from_uuid(id))
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    audit(
        &state,
        &caller,
        "token.revoke",
        "api_token",
        &id.to_string(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct LoginTokenBody {
    pub username: String,
    pub password: String,
    /// The 6-digit code, when the account has TOTP on.
    pub totp: Option<String>,
    /// Label of the new token.
    pub name: String,
}

/// Exchanges a username and password (and TOTP code) for an API token.
/// Failed attempts count towards the same lockout as the login form.
#[utoipa::path(post, path = "/auth/token", tag = "account", request_body = LoginTokenBody, security(()),
    responses((status = 201, body = TokenCreated), (status = 401, body = ErrorBody),
        (status = 423, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login_token(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<LoginTokenBody>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let t = viewer.tr();
    let user = check_login(
        &state,
        t,
        &body.username,
        &body.password,
        body.totp.as_deref(),
        &client,
    )
    .await?;
    if user.must_change_password {
        return Err(ApiError::password_change_required(t));
    }
    let name = token_name(&body.name);
    let (id, token) = state
        .store()
        .create_api_token(user.id, &name)
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    if let Err(e) = state
        .store()
        .audit(
            Some(user.id),
            "token.create",
            "api_token",
            &id.to_string(),
            serde_json::json!({ "via": "login" }),
        )
        .await
    {
        tracing::error!(error = %e, "audit record failed");
    }
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id: id.as_uuid(),
            name,
            token,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct AccountBody {
    pub employee_id: Option<Uuid>,
    pub username: String,
    /// `admin`, `clerk` or `employee`.
    pub role: String,
}

/// A new account with its one-time password, shown only in this response.
#[derive(Serialize, ToSchema)]
pub struct AccountCreated {
    pub id: Uuid,
    pub username: String,
    pub role: String,
    pub one_time_password: String,
}

/// Creates a login account (administrators only).
#[utoipa::path(post, path = "/users", tag = "admin", request_body = AccountBody,
    responses((status = 403, body = ErrorBody, description = "The caller is not an administrator."), (status = 201, body = AccountCreated), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<AccountBody>,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    caller.require_admin()?;
    let t = caller.t;
    let invalid = |field: &str, message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).field(field)
    };
    let username = parse_username(&body.username)
        .map_err(|e| invalid("username", messages::account_error(t, &e)))?;
    let role: Role = body
        .role
        .parse()
        .map_err(|_| invalid("role", t.get("error-role").to_owned()))?;
    let employee_id = body.employee_id.map(EmployeeId::from_uuid);
    if let Some(id) = employee_id
        && state
            .store()
            .employee(id)
            .await
            .map_err(|e| ApiError::from_store(t, e))?
            .is_none()
    {
        return Err(invalid(
            "employee_id",
            t.fmt(
                "error-not-found-entity",
                &[("entity", "employee"), ("id", &id.to_string())],
            ),
        ));
    }
    let password = super::one_time_password();
    let new = NewUser {
        username: &username,
        password: &password,
        role,
        employee_id,
        is_demo: false,
        must_change_password: true,
    };
    let user = state
        .store()
        .create_user(&new)
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    audit(&state, &caller, "user.create", "user", &user.id.to_string()).await;
    Ok((
        StatusCode::CREATED,
        Json(AccountCreated {
            id: user.id.as_uuid(),
            username,
            role: role.as_str().to_owned(),
            one_time_password: password,
        }),
    ))
}
