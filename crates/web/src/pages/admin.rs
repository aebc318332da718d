//! Administration: directory import from CSV/XLSX and the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::Chrome;
use super::directory::audit;
use crate::AppState;
use crate::api::import::{ImportFailure, run_import};
use crate::auth::PageUser;
use crate::error::{PageError, RowErrorBody};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    t: Tr,
    c: Chrome,
    import_message: Option<String>,
    import_errors: Vec<RowErrorBody>,
    audit: Vec<(String, String, String, String)>,
}

async fn render(
    state: &AppState,
    me: &PageUser,
    import_message: Option<String>,
    import_errors: Vec<RowErrorBody>,
) -> Result<AdminPage, PageError> {
    let t = me.t();
    let audit = state
        .store()
        .audit_entries(50, 0)
        .await?
        .into_iter()
        .map(|a| {
            (
                t.datetime(a.at),
                a.actor_username
                    .unwrap_or_else(|| "serasi (CLI)".to_owned()),
                a.action,
                format!("{} {}", a.entity, a.entity_id),
            )
        })
        .collect();
    Ok(AdminPage {
        t,
        c: me.chrome("admin"),
        import_message,
        import_errors,
        audit,
    })
}

async fn admin(State(state): State<AppState>, me: PageUser) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    Ok(Html(render(&state, &me, None, Vec::new()).await?.render()?))
}

async fn import(
    State(state): State<AppState>,
    me: PageUser,
    multipart: Multipart,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let t = me.t();
    match run_import(&state, t, multipart).await {
        Ok((kind, count)) => {
            audit(
                &state,
                &me,
                "directory.import",
                "import",
                kind,
                serde_json::json!({ "rows": count }),
            )
            .await;
            let message = t.fmt("import-done", &[("count", &count.to_string())]);
            Ok(Html(
                render(&state, &me, Some(message), Vec::new())
                    .await?
                    .render()?,
            )
            .into_response())
        }
        Err(ImportFailure::Server(cause)) => Err(PageError::Internal(cause)),
        Err(ImportFailure::TooLarge(mb)) => {
            let row = RowErrorBody {
                line: 0,
                column: "file".into(),
                reason: t.fmt("import-too-large", &[("max", &mb.to_string())]),
            };
            let page = render(&state, &me, None, vec![row]).await?;
            Ok((StatusCode::PAYLOAD_TOO_LARGE, Html(page.render()?)).into_response())
        }
        Err(ImportFailure::Rejected(rows)) => {
            let page = render(&state, &me, None, rows).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin))
        .route("/admin/import", axum::routing::post(import))
}
