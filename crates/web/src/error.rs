//! Errors of the HTTP layer. Client errors carry a translated message and,
//! where one field is at fault, its name. Server errors are logged with
//! their cause, and the body only states that something failed, with the
//! request id for the log.

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serasi_store::{Conflict, DocumentRule, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Tr;
use crate::messages;

/// An error returned as JSON by the API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub rows: Vec<RowErrorBody>,
    /// Rarely set details, boxed to keep results small.
    pub extra: Option<Box<ErrorExtra>>,
}

/// Details of a conflict that help the client recover.
#[derive(Debug, Default)]
pub struct ErrorExtra {
    pub link: Option<String>,
    pub current_revision: Option<i64>,
}

/// Body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, such as `invalid` or `not_found`.
    pub error: &'static str,
    /// Human-readable message in the request's language.
    pub message: String,
    /// The input field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Per-row errors of an import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowErrorBody>,
    /// A page about the conflicting record, such as the document that
    /// already has a typed number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The newest revision, when a draft was saved meanwhile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<i64>,
}

/// One rejected row of an import file.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowErrorBody {
    /// Line in the file; the header is line 1.
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            rows: Vec::new(),
            extra: None,
        }
    }

    pub fn field(mut self, field: &str) -> ApiError {
        self.field = Some(field.to_owned());
        self
    }

    pub fn unauthorized(t: Tr) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            t.get("error-login-required"),
        )
    }

    /// Rejects an account whose one-time password is not yet replaced.
    pub fn password_change_required(t: Tr) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            t.get("error-password-change-required"),
        )
    }

    pub fn forbidden(t: Tr) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", t.get("error-forbidden"))
    }

    pub fn not_found(t: Tr) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", t.get("error-not-found"))
    }

    /// Logs `cause` and returns an opaque 500.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// Maps a store error to the response a client should see.
    pub fn from_store(t: Tr, err: StoreError) -> ApiError {
        if !err.is_client_error() {
            return ApiError::internal(&err);
        }
        let (status, code) = match &err {
            StoreError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            StoreError::Duplicate { .. } | StoreError::Conflict(_) => {
                (StatusCode::CONFLICT, "conflict")
            }
            StoreError::Transition(_) => (StatusCode::CONFLICT, "invalid_state"),
            StoreError::Disposition(
                serasi_domain::disposition::DispositionError::CancelAfterRead
                | serasi_domain::disposition::DispositionError::AlreadyDone
                | serasi_domain::disposition::DispositionError::Cancelled,
            ) => (StatusCode::CONFLICT, "invalid_state"),
            StoreError::Disposition(
                serasi_domain::disposition::DispositionError::NotAllowed
                | serasi_domain::disposition::DispositionError::NotAddressee,
            ) => (StatusCode::FORBIDDEN, "no_authority"),
            StoreError::Authority(serasi_domain::authority::AuthorityError::VacantPost(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            StoreError::Rule(DocumentRule::AlreadyInitialled) => {
                (StatusCode::CONFLICT, "invalid_state")
            }
            StoreError::Authority(_)
            | StoreError::Rule(DocumentRule::NotAuthor | DocumentRule::NotYourTurn) => {
                (StatusCode::FORBIDDEN, "no_authority")
            }
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        };
        let field = messages::store_error_field(&err);
        let mut api = ApiError::new(status, code, messages::store_error(t, &err));
        api.field = field.map(str::to_owned);
        if let StoreError::Conflict(Conflict::NumberTaken { document_id, .. }) = &err {
            api.extra = Some(Box::new(ErrorExtra {
                link: Some(format!("/letters/{document_id}")),
                current_revision: None,
            }));
        }
        if let StoreError::Conflict(Conflict::StaleRevision { current }) = &err {
            api.extra = Some(Box::new(ErrorExtra {
                link: None,
                current_revision: Some(*current),
            }));
        }
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let challenge = self.status == StatusCode::UNAUTHORIZED && self.code == "unauthorized";
        let body = ErrorBody {
            error: self.code,
            message: self.message,
            field: self.field,
            rows: self.rows,
            link: self.extra.as_ref().and_then(|e| e.link.clone()),
            current_revision: self.extra.as_ref().and_then(|e| e.current_revision),
        };
        let mut response = (self.status, Json(body)).into_response();
        if challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"serasi\""),
            );
        }
        response
    }
}

/// An error shown as an HTML page.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    Forbidden,
    /// Carries the cause, which is logged and never shown.
    Internal(String),
}

impl PageError {
    pub fn internal(cause: &dyn std::fmt::Display) -> PageError {
        PageError::Internal(cause.to_string())
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { .. } => PageError::NotFound,
            other => PageError::internal(&other),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        PageError::internal(&err)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Halaman tidak ditemukan. / Page not found.",
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Anda tidak berhak membuka halaman ini. / You may not open this page.",
            ),
            PageError::Internal(cause) => {
                tracing::error!(error = %cause, "page failed");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let html = format!(
            "<!doctype html><html lang=\"id\"><meta charset=\"utf-8\"><title>{status}</title>\
             <main style=\"font-family:sans-serif;padding:2rem\"><h1>{}</h1><p>{text}</p>\
             <p><a href=\"/\">Serasi</a></p></main></html>",
            status.as_u16()
        );
        (status, Html(html)).into_response()
    }
}

/// Wraps a plain-text client error under `/api/` (such as axum's response to
/// an unparsable path or query) in the API's JSON error body.
async fn json_client_error(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let message = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("bad request")
            .to_owned()
    } else {
        text
    };
    let code = match parts.status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "bad_request",
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    let body = serde_json::json!({ "error": code, "message": message });
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

/// Turns a plain-text client error on a page (such as axum's response to a
/// malformed id in the path) into a short HTML page.
async fn html_client_error(response: Response) -> Response {
    let is_plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !is_plain {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let detail = html_escape(String::from_utf8_lossy(&bytes).trim());
    let html = format!(
        "<!doctype html><html lang=\"id\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{status}</title><main style=\"font-family:sans-serif;padding:2rem\">\
         <h1>{status}</h1><p>Permintaan tidak valid. / The request is invalid.</p>\
         <p><small>{detail}</small></p><p><a href=\"/\">Serasi</a></p></main></html>",
        status = parts.status.as_u16()
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, axum::body::Body::from(html))
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Replaces the body of every server error with a short text naming the
/// request id, so no internal detail leaves the server.
pub async fn opaque_server_errors(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let wants_json = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if response.status().is_client_error() {
        return if wants_json {
            json_client_error(response).await
        } else {
            html_client_error(response).await
        };
    }
    if !response.status().is_server_error() {
        return response;
    }
    let status = response.status();
    let message = format!(
        "Terjadi kesalahan di server; laporkan ID permintaan {request_id}. \
         / The server failed; report request id {request_id}."
    );
    if wants_json {
        let body = serde_json::json!({ "error": "internal", "message": message, "request_id": request_id });
        (status, Json(body)).into_response()
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message,
        )
            .into_response()
    }
}
