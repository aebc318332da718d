//! Authentication of requests: session cookies for the browser, bearer tokens for the
//! API, the login form, logout, the language switch and TOTP checks.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serasi_domain::user::Role;
use serasi_store::{LoginError, User};
use serde::Deserialize;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::AppState;
use crate::error::{ApiError, PageError};
use crate::i18n::{Locale, Tr};
use crate::pages::Chrome;

pub const SESSION_COOKIE: &str = "serasi_session";
pub const LANG_COOKIE: &str = "serasi_lang";
pub const FLASH_COOKIE: &str = "serasi_flash";

/// The requester as seen by every handler: the account (if any), the
/// language and the session token that authenticated it.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: Option<User>,
    pub locale: Locale,
    pub session_token: Option<String>,
    /// Translation key of a one-shot notice set by the previous request.
    pub flash: Option<String>,
}

impl Viewer {
    pub fn tr(&self) -> Tr {
        Tr::new(self.locale)
    }
}

/// Resolves the session cookie or bearer token and stores a [`Viewer`] in
/// the request. An invalid credential simply yields no user.
pub async fn authenticate(
    State(state): State<AppState>,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(str::trim)
        .map(str::to_owned);
    let session_token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());

    let lookup = match (&bearer, &session_token) {
        (Some(token), _) => state.store().user_by_api_token(token).await,
        (None, Some(token)) => state
            .store()
            .session(token)
            .await
            .map(|s| s.map(|s| s.user)),
        (None, None) => Ok(None),
    };
    let user = match lookup {
        Ok(user) => user,
        Err(e) => return ApiError::internal(&e).into_response(),
    };

    let cookie_locale = jar.get(LANG_COOKIE).and_then(|c| Locale::parse(c.value()));
    let user_locale = user.as_ref().and_then(|u| Locale::parse(&u.locale));
    let browser_locale = request
        .headers()
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language);
    let locale = cookie_locale
        .or(user_locale)
        .or(browser_locale)
        .unwrap_or_default();
    let flash = jar.get(FLASH_COOKIE).map(|c| c.value().to_owned());
    let had_flash = flash.is_some();

    request.extensions_mut().insert(Viewer {
        session_token: if bearer.is_none() && user.is_some() {
            session_token
        } else {
            None
        },
        user,
        locale,
        flash,
    });
    let response = next.run(request).await;
    if had_flash && !response.status().is_redirection() {
        let clear = jar.remove(Cookie::build(FLASH_COOKIE).path("/"));
        return (clear, response).into_response();
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| PageError::internal(&"authentication middleware missing"))
    }
}

/// A logged-in user on a page; anyone else is sent to the login form.
pub struct PageUser {
    pub user: User,
    pub viewer: Viewer,
    pub path: String,
}

impl PageUser {
    pub fn t(&self) -> Tr {
        self.viewer.tr()
    }

    pub fn chrome(&self, section: &'static str) -> Chrome {
        Chrome::new(&self.viewer, section, &self.path)
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// Fails with 403 unless the user is an administrator.
    pub fn require_admin(&self) -> Result<(), PageError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        match viewer.user.clone() {
            // Until a one-time password is replaced, only the account page
            // (where it is changed) opens.
            Some(user)
                if user.must_change_password && !parts.uri.path().starts_with("/account") =>
            {
                Err(Redirect::to("/account").into_response())
            }
            Some(user) => Ok(PageUser { user, viewer, path }),
            None => {
                let next = urlencode(&path);
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

/// A caller of the API with a valid token or session.
pub struct ApiUser {
    pub user: User,
    pub t: Tr,
}

impl ApiUser {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.user.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(self.t))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::internal(&"authentication middleware missing"))?;
        let t = viewer.tr();
        // With a one-time password only reading the account and changing
        // the password are allowed. Inside `/api/v1` the path is relative.
        let path = parts.uri.path();
        let allowed_before_change = path.ends_with("/me") || path.ends_with("/me/password");
        match viewer.user {
            Some(user) if user.must_change_password && !allowed_before_change => {
                Err(ApiError::password_change_required(t))
            }
            Some(user) => Ok(ApiUser { user, t }),
            None => Err(ApiError::unauthorized(t)),
        }
    }
}

/// Percent-encodes a path for use in a query string.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Accepts only a local path as a redirect target, so a crafted link
/// cannot send a user to another site after login.
/// Browsers drop tabs and newlines from URLs, so `/\t/host` would become
/// `//host`: any control character, space or backslash rejects the path.
pub fn safe_next(next: Option<&str>) -> String {
    let is_local = |path: &str| {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    };
    match next {
        Some(path) if is_local(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Builds the TOTP checker for a base32 secret.
pub fn totp_for(secret: &str, username: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Serasi".to_owned()),
        username.to_owned(),
    )
    .ok()
}

/// Checks a 6-digit code against a base32 secret, allowing one 30-second
/// step of clock drift either way, and returns the time step it matched.
pub fn totp_step(secret: &str, username: &str, code: &str) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp_for(secret, username)?;
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).ok()?;
    [now.saturating_sub(30), now, now + 30]
        .into_iter()
        .find(|t| totp.generate(*t) == code)
        .and_then(|t| i64::try_from(t / 30).ok())
}

/// Checks a code and records its time step, so each code works once.
pub async fn use_totp_code(
    state: &AppState,
    user: &User,
    secret: &str,
    code: &str,
) -> Result<bool, ApiError> {
    let Some(step) = totp_step(secret, &user.username, code) else {
        return Ok(false);
    };
    state
        .store()
        .accept_totp_step(user.id, step)
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// Returns a fresh base32 TOTP secret (160 bits).
pub fn new_totp_secret() -> String {
    match Secret::generate_secret().to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(bytes) => hex::encode(bytes),
    }
}

/// The client's IP address, which keys the login rate limit. Requests
/// without a socket address (in-process tests) share the key `local`.
/// Behind a trusted reverse proxy (`trust_forwarded_for`), the address is
/// the last entry of `X-Forwarded-For`, the one the proxy itself added.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config().trust_forwarded_for {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
                .next_back();
            if let Some(ip) = forwarded {
                return Ok(ClientAddr(ip.to_string()));
            }
        }
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddr(addr.map_or_else(
            || "local".to_owned(),
            |c| c.0.ip().to_string(),
        )))
    }
}

/// Returns the status and message shown to the user for a failed login.
pub fn login_failure(t: Tr, err: &LoginError) -> Option<(StatusCode, String)> {
    match err {
        LoginError::BadCredentials => {
            Some((StatusCode::UNAUTHORIZED, t.get("login-failed").to_owned()))
        }
        LoginError::Locked { until_ms } => Some((
            StatusCode::LOCKED,
            t.fmt("login-locked", &[("time", &t.datetime(*until_ms))]),
        )),
        LoginError::RateLimited { retry_after_ms } => {
            let minutes = (retry_after_ms + 59_999) / 60_000;
            Some((
                StatusCode::TOO_MANY_REQUESTS,
                t.fmt(
                    "login-rate-limited",
                    &[("minutes", &minutes.max(1).to_string())],
                ),
            ))
        }
        LoginError::Store(_) => None,
    }
}

/// Checks a password change: the current password (through the login
/// throttle, so it cannot be guessed without limit), and a new password
/// that differs from it and meets the policy.
pub async fn check_password_change(
    state: &AppState,
    t: Tr,
    user: &User,
    current: &str,
    new_password: &str,
    client: &str,
) -> Result<(), ApiError> {
    let limits = state.config().login_throttle;
    match state
        .store()
        .authenticate(&user.username, current, client, limits)
        .await
    {
        Ok(_) => {}
        Err(LoginError::Store(e)) => return Err(ApiError::internal(&e)),
        Err(LoginError::BadCredentials) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.get("password-current-wrong"),
            )
            .field("current"));
        }
        Err(e) => {
            let (status, message) =
                login_failure(t, &e).unwrap_or((StatusCode::UNAUTHORIZED, String::new()));
            return Err(ApiError::new(status, "login_failed", message).field("current"));
        }
    }
    if new_password == current {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("password-same"),
        )
        .field("new_password"));
    }
    if let Err(e) = serasi_domain::user::check_new_password(new_password) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            crate::messages::account_error(t, &e),
        )
        .field("new_password"));
    }
    state
        .store()
        .record_login_success(user.id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(())
}

/// Runs the full login check: throttle, password, and the TOTP code when
/// the account has the second factor on.
pub async fn check_login(
    state: &AppState,
    t: Tr,
    username: &str,
    password: &str,
    totp: Option<&str>,
    client: &str,
) -> Result<User, ApiError> {
    let limits = state.config().login_throttle;
    let user = match state
        .store()
        .authenticate(username, password, client, limits)
        .await
    {
        Ok(user) => user,
        Err(LoginError::Store(e)) => return Err(ApiError::internal(&e)),
        Err(e) => {
            let (status, message) =
                login_failure(t, &e).unwrap_or((StatusCode::UNAUTHORIZED, String::new()));
            return Err(ApiError::new(status, "login_failed", message));
        }
    };
    if let Some(secret) = user.totp_secret()
        && !use_totp_code(state, &user, secret, totp.unwrap_or_default()).await?
    {
        if let Err(e) = state
            .store()
            .record_login_failure(Some(user.id), client, limits)
            .await
        {
            return Err(ApiError::internal(&e));
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "totp_required",
            t.get("totp-wrong"),
        )
        .field("totp"));
    }
    state
        .store()
        .record_login_success(user.id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(user)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    c: Chrome,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_form(
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Result<Response, PageError> {
    if viewer.user.is_some() {
        return Ok(Redirect::to(&safe_next(query.next.as_deref())).into_response());
    }
    let path = format!(
        "/login?next={}",
        urlencode(&safe_next(query.next.as_deref()))
    );
    let page = LoginPage {
        t: viewer.tr(),
        c: Chrome::new(&viewer, "login", &path),
        error: None,
        username: String::new(),
        next: safe_next(query.next.as_deref()),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    totp: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let t = viewer.tr();
    let totp = Some(form.totp.as_str()).filter(|c| !c.trim().is_empty());
    let user = match check_login(&state, t, &form.username, &form.password, totp, &client).await {
        Ok(user) => user,
        Err(err) if err.status.is_server_error() => return Err(PageError::Internal(err.message)),
        Err(err) => {
            // The typed username is not logged: people sometimes type
            // their password into that field.
            tracing::info!(client = %client, code = err.code, "login rejected");
            let page = LoginPage {
                t,
                c: Chrome::new(&viewer, "login", "/login"),
                error: Some(err.message),
                username: form.username.trim().to_owned(),
                next: safe_next(form.next.as_deref().or(query.next.as_deref())),
            };
            return Ok((err.status, Html(page.render()?)).into_response());
        }
    };

    let lifetime = state.config().session_lifetime;
    let lifetime_ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
    let token = state.store().create_session(user.id, lifetime_ms).await?;
    tracing::info!(user_id = %user.id, "logged in");
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config().secure_cookies)
        .max_age(time::Duration::seconds(
            i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
        ));
    if user.must_change_password {
        let jar = with_flash(jar.add(cookie), "password-must-change");
        return Ok((jar, Redirect::to("/account")).into_response());
    }
    let next = safe_next(form.next.as_deref().or(query.next.as_deref()));
    Ok((jar.add(cookie), Redirect::to(&next)).into_response())
}

async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if let Some(token) = &viewer.session_token {
        state.store().end_session(token).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
struct LangForm {
    locale: String,
    next: Option<String>,
}

async fn switch_language(
    State(state): State<AppState>,
    viewer: Viewer,
    jar: CookieJar,
    Form(form): Form<LangForm>,
) -> Result<Response, PageError> {
    let locale = Locale::parse(&form.locale).unwrap_or_default();
    if let Some(user) = &viewer.user {
        state.store().set_locale(user.id, locale.code()).await?;
    }
    let cookie = Cookie::build((LANG_COOKIE, locale.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.config().secure_cookies)
        .max_age(time::Duration::days(365));
    Ok((
        jar.add(cookie),
        Redirect::to(&safe_next(form.next.as_deref())),
    )
        .into_response())
}

/// Sets a one-shot notice shown on the next page.
pub fn with_flash(jar: CookieJar, key: &str) -> CookieJar {
    jar.add(
        Cookie::build((FLASH_COOKIE, key.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax),
    )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", post(switch_language))
}
