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
use serasi_domain::user::check_new_password;
use serde::Deserialize;

use super::Chrome;
use super::directory::audit;
use crate::AppState;
use crate::auth::{PageUser, new_totp_secret, totp_for, totp_matches, with_flash};
use crate::error::PageError;
use crate::i18n::Tr;
use crate::messages;

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
    let totp_secret = new_totp_secret();
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
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let t = me.t();
    let problem = if !state
        .store()
        .verify_user_password(&me.user, &form.current)
        .await
    {
        Some(t.get("password-current-wrong").to_owned())
    } else {
        check_new_password(&form.new_password)
            .err()
            .map(|e| messages::account_error(t, &e))
    };
    if let Some(message) = problem {
        let page = render(
            &state,
            &me,
            Notices {
                password_error: Some(message),
                ..Notices::default()
            },
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    state
        .store()
        .set_password(me.user.id, &form.new_password)
        .await?;
    audit(
        &state,
        &me,
        "user.password",
        "user",
        &me.user.id.to_string(),
        serde_json::json!({}),
    )
    .await;
    // Changing the password ends every session, this one included.
    let jar = with_flash(CookieJar::new(), "password-changed");
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
struct TotpForm {
    #[serde(default)]
    secret: String,
    code: String,
}

async fn enable_totp(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<TotpForm>,
) -> Result<Response, PageError> {
    let t = me.t();
    if me.user.totp_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    if !totp_matches(&form.secret, &me.user.username, &form.code) {
        let page = render(
            &state,
            &me,
            Notices {
                totp_error: Some(t.get("totp-wrong").to_owned()),
                ..Notices::default()
            },
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    state
        .store()
        .set_totp_secret(me.user.id, Some(form.secret.trim()))
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
    let t = me.t();
    let secret = me.user.totp_secret().unwrap_or_default().to_owned();
    if !totp_matches(&secret, &me.user.username, &form.code) {
        let page = render(
            &state,
            &me,
            Notices {
                totp_error: Some(t.get("totp-wrong").to_owned()),
                ..Notices::default()
            },
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
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
    let name: String = form.name.trim().chars().take(100).collect();
    let name = if name.is_empty() {
        "token".to_owned()
    } else {
        name
    };
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
