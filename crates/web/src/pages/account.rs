//! The user's own account: password, TOTP second factor and API tokens.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use serasi_domain::ApiTokenId;
use serasi_store::PasswordChange;
use serde::Deserialize;

use super::Chrome;
use super::directory::audit;
use crate::AppState;
use crate::auth::{
    ClientAddr, PageUser, check_password_change, new_totp_secret, totp_for, use_totp_code,
    with_flash,
};
use crate::error::PageError;
use crate::i18n::Tr;

struct TokenLine {
    id: ApiTokenId,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Tr,
    c: Chrome,
    username: String,
    role: String,
    password_error: Option<String>,
    totp_enabled: bool,
    totp_error: Option<String>,
    totp_secret: String,
    totp_url: String,
    tokens: Vec<TokenLine>,
    new_token: Option<String>,
}

/// Problems to show on the account page after a failed form.
#[derive(Default)]
struct Notices {
    password_error: Option<String>,
    totp_error: Option<String>,
    new_token: Option<String>,
    /// The secret being set up, kept when a code was wrong so the user
    /// need not scan a new one.
    totp_secret: Option<String>,
}

async fn render(
    state: &AppState,
    me: &PageUser,
    notices: Notices,
) -> Result<AccountPage, PageError> {
    let t = me.t();
    let tokens = state
        .store()
        .api_tokens(me.user.id)
        .await?
        .into_iter()
        .map(|tok| TokenLine {
            id: tok.id,
            name: tok.name,
            created: t.datetime(tok.created_at),
            last_used: tok
                .last_used_at
                .map(|ms| t.datetime(ms))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let totp_secret = notices.totp_secret.unwrap_or_else(new_totp_secret);
    let totp_url = totp_for(&totp_secret, &me.user.username)
        .map(|t| t.get_url())
        .unwrap_or_default();
    Ok(AccountPage {
        t,
        c: me.chrome("account"),
        username: me.user.username.clone(),
        role: t.get(&format!("role-{}", me.user.role)).to_owned(),
        password_error: notices.password_error,
        totp_enabled: me.user.totp_enabled,
        totp_error: notices.totp_error,
        totp_secret,
        totp_url,
        tokens,
        new_token: notices.new_token,
    })
}

async fn account(State(state): State<AppState>, me: PageUser) -> Result<Html<String>, PageError> {
    Ok(Html(
        render(&state, &me, Notices::default()).await?.render()?,
    ))
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    me: PageUser,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let t = me.t();
    let checked = check_password_change(
        &state,
        t,
        &me.user,
        &form.current,
        &form.new_password,
        &client,
    )
    .await;
    if let Err(err) = checked {
        if err.status.is_server_error() {
            return Err(PageError::Internal(err.message));
        }
        let notices = Notices {
            password_error: Some(err.message),
            ..Notices::default()
        };
        let page = render(&state, &me, notices).await?;
        return Ok((err.status, Html(page.render()?)).into_response());
    }
    let keep_session = me.viewer.session_token.as_deref();
    state
        .store()
        .set_password(
            me.user.id,
            &form.new_password,
            PasswordChange::ByOwner { keep_session },
        )
        .await?;
    if let Some(employee) = me.user.employee_id {
        crate::signing::reseal_after_password_change(
            &state,
            employee,
            &form.current,
            &form.new_password,
        )
        .await;
    }
    audit(
        &state,
        &me,
        "user.password",
        "user",
        &me.user.id.to_string(),
        serde_json::json!({}),
    )
    .await;
    Ok((with_flash(jar, "password-changed"), Redirect::to("/")).into_response())
}

#[derive(Deserialize)]
struct TotpForm {
    #[serde(default)]
    secret: String,
    code: String,
}

async fn totp_failed(
    state: &AppState,
    me: &PageUser,
    secret: Option<String>,
) -> Result<Response, PageError> {
    let notices = Notices {
        totp_error: Some(me.t().get("totp-wrong").to_owned()),
        totp_secret: secret,
        ..Notices::default()
    };
    let page = render(state, me, notices).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn enable_totp(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<TotpForm>,
) -> Result<Response, PageError> {
    if me.user.totp_enabled || me.user.must_change_password {
        return Ok(Redirect::to("/account").into_response());
    }
    let secret = form.secret.trim().to_owned();
    let valid = use_totp_code(&state, &me.user, &secret, &form.code)
        .await
        .map_err(|e| PageError::Internal(e.message))?;
    if !valid {
        let keep = (!secret.is_empty() && secret.chars().all(|c| c.is_ascii_alphanumeric()))
            .then_some(secret);
        return totp_failed(&state, &me, keep).await;
    }
    state
        .store()
        .set_totp_secret(me.user.id, Some(&secret))
        .await?;
    audit(
        &state,
        &me,
        "user.totp.enable",
        "user",
        &me.user.id.to_string(),
        serde_json::json!({}),
    )
    .await;
    Ok((with_flash(jar, "totp-enabled"), Redirect::to("/account")).into_response())
}

async fn disable_totp(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<TotpForm>,
) -> Result<Response, PageError> {
    let secret = me.user.totp_secret().unwrap_or_default().to_owned();
    let valid = use_totp_code(&state, &me.user, &secret, &form.code)
        .await
        .map_err(|e| PageError::Internal(e.message))?;
    if !valid {
        return totp_failed(&state, &me, None).await;
    }
    state.store().set_totp_secret(me.user.id, None).await?;
    audit(
        &state,
        &me,
        "user.totp.disable",
        "user",
        &me.user.id.to_string(),
        serde_json::json!({}),
    )
    .await;
    Ok((with_flash(jar, "totp-disabled"), Redirect::to("/account")).into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    me: PageUser,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    if me.user.must_change_password {
        return Ok(Redirect::to("/account").into_response());
    }
    let name = crate::api::token_name(&form.name);
    let (id, secret) = state.store().create_api_token(me.user.id, &name).await?;
    audit(
        &state,
        &me,
        "token.create",
        "api_token",
        &id.to_string(),
        serde_json::json!({ "name": name }),
    )
    .await;
    let page = render(
        &state,
        &me,
        Notices {
            new_token: Some(secret),
            ..Notices::default()
        },
    )
    .await?;
    Ok(Html(page.render()?).into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<ApiTokenId>,
) -> Result<Response, PageError> {
    state.store().revoke_api_token(me.user.id, id).await?;
    audit(
        &state,
        &me,
        "token.revoke",
        "api_token",
        &id.to_string(),
        serde_json::json!({}),
    )
    .await;
    Ok((with_flash(jar, "token-revoked"), Redirect::to("/account")).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/password", post(change_password))
        .route("/account/totp/enable", post(enable_totp))
        .route("/account/totp/disable", post(disable_totp))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}
