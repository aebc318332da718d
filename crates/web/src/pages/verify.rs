//! The public check page behind the QR code, `/v/{code}`, and the upload
//! form at `/v` that reports whether a PDF is a genuine, unchanged
//! Serasi document. No login is needed.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::Chrome;
use crate::AppState;
use crate::api::pdfs::{FileCheckDto, PublicRecordDto};
use crate::auth::Viewer;
use crate::error::PageError;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    t: Tr,
    c: Chrome,
    /// The document found by code or by file.
    record: Option<PublicRecordDto>,
    /// The verdict on an uploaded file.
    file: Option<FileCheckDto>,
    /// A code that matched nothing.
    unknown_code: bool,
    error: Option<String>,
}

impl VerifyPage {
    fn new(viewer: &Viewer, path: &str) -> VerifyPage {
        VerifyPage {
            t: viewer.tr(),
            c: Chrome::new(viewer, "verify", path),
            record: None,
            file: None,
            unknown_code: false,
            error: None,
        }
    }

    fn status_label(&self, status: &str) -> String {
        self.t.get(&format!("verify-status-{status}")).to_owned()
    }

    fn date_label(&self, iso: &str) -> String {
        time::Date::parse(
            iso,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(|d| self.t.date(d))
        .unwrap_or_else(|_| iso.to_owned())
    }
}

async fn form(viewer: Viewer) -> Result<Html<String>, PageError> {
    Ok(Html(VerifyPage::new(&viewer, "/v").render()?))
}

async fn by_code(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let mut page = VerifyPage::new(&viewer, "/v");
    let record = if code.len() > 64 {
        None
    } else {
        state.store().pdf_by_code(&code).await?
    };
    match record {
        Some(r) => {
            page.record = Some(PublicRecordDto::from_record(
                &r,
                crate::signing::record_status(&r),
            ));
            Ok(Html(page.render()?).into_response())
        }
        None => {
            page.unknown_code = true;
            Ok((StatusCode::NOT_FOUND, Html(page.render()?)).into_response())
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let t = viewer.tr();
    let mut page = VerifyPage::new(&viewer, "/v");
    let Ok(multipart) = multipart else {
        page.error = Some(t.get("error-verify-empty").to_owned());
        return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
    };
    let checked = match crate::api::documents::read_upload(&state, t, multipart).await {
        Ok((_, bytes)) => crate::api::pdfs::checked(&state, t, bytes).await,
        Err(e) => Err(e),
    };
    match checked {
        Ok(verdict) => {
            page.file = Some(FileCheckDto::from_verdict(&verdict));
            Ok(Html(page.render()?).into_response())
        }
        Err(err) if err.status.is_server_error() => Err(PageError::internal(&err.message)),
        Err(err) => {
            let status = err.status;
            page.error = Some(err.message);
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v", get(form).post(upload))
        .route("/v/{code}", get(by_code))
}
