//! Pages for an incoming letter and its dispositions: the letter page
//! (`/letters/incoming/{id}`) with scans, the disposition tree and the
//! forms to refer, report and cancel; the lists of received and sent
//! referrals (`/dispositions`); and the printable disposition sheet.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::{CookieJar, Form};
use serasi_domain::disposition::{DispositionInput, DispositionStatus};
use serasi_domain::{DispositionId, IncomingId, PositionId, wib};
use serasi_store::dispositions::{DispositionBox, DispositionLine, DispositionNode};
use serasi_store::incoming::{IncomingDetail, LetterAccess};
use serde::Deserialize;
use uuid::Uuid;

use super::Chrome;
use crate::AppState;
use crate::api::documents::{actor_of_user, reader_of_user};
use crate::auth::{PageUser, with_flash};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;

/// A post that may receive a referral: id, label and depth below the
/// sender.
pub struct Choice {
    pub id: PositionId,
    pub label: String,
    pub depth: i64,
}

#[derive(Template)]
#[template(path = "incoming_letter.html")]
struct LetterPage {
    t: Tr,
    c: Chrome,
    detail: IncomingDetail,
    register_access: bool,
    tree: Vec<DispositionNode>,
    /// Posts below the addressee, for the first referral.
    choices: Vec<Choice>,
    /// For each of the viewer's open referrals: posts below its recipient.
    forward: Vec<(DispositionId, Vec<Choice>)>,
    instructions: Vec<String>,
    can_upload: bool,
    error: Option<String>,
    today: String,
}

impl LetterPage {
    fn date(&self, iso: &str) -> String {
        crate::sheets::long_date(self.t, iso)
    }

    fn when(&self, ms: &i64) -> String {
        crate::sheets::instant(self.t, *ms)
    }

    fn status(&self, status: &DispositionStatus) -> String {
        crate::sheets::status_label(self.t, *status)
    }

    fn open(&self, node: &DispositionNode) -> bool {
        !matches!(
            node.status,
            DispositionStatus::Done | DispositionStatus::Cancelled
        )
    }

    fn depth(&self, node: &DispositionNode) -> usize {
        let mut depth = 0;
        let mut parent = node.parent_id;
        while let Some(p) = parent {
            depth += 1;
            parent = self
                .tree
                .iter()
                .find(|n| n.id == p)
                .and_then(|n| n.parent_id);
            if depth >= 6 {
                break;
            }
        }
        depth
    }

    fn forward_choices(&self, id: &DispositionId) -> Option<&Vec<Choice>> {
        self.forward
            .iter()
            .find(|(f, _)| f == id)
            .map(|(_, c)| c)
            .filter(|c| !c.is_empty())
    }
}

async fn choices(state: &AppState, top: PositionId) -> Result<Vec<Choice>, PageError> {
    Ok(state
        .store()
        .positions_below(top)
        .await?
        .into_iter()
        .map(|(id, name, holder, depth)| Choice {
            id,
            label: match holder {
                Some(h) => format!("{name} · {h}"),
                None => name,
            },
            depth,
        })
        .collect())
}

async fn letter_page(
    state: &AppState,
    me: &PageUser,
    id: Uuid,
    error: Option<String>,
) -> Result<LetterPage, PageError> {
    let actor = reader_of_user(&me.user).ok_or(PageError::NotFound)?;
    let id = IncomingId::from_uuid(id);
    let today = wib::today();
    let (detail, access) = state
        .store()
        .incoming_detail(id, actor, today)
        .await?
        .ok_or(PageError::NotFound)?;
    let tree = state
        .store()
        .disposition_tree(id, actor, time::OffsetDateTime::now_utc())
        .await?;
    let choices_first = if detail.is_addressee {
        choices(state, detail.letter.addressee_position_id.0).await?
    } else {
        Vec::new()
    };
    let mut forward = Vec::new();
    for node in tree.iter().filter(|n| n.is_mine) {
        if !matches!(
            node.status,
            DispositionStatus::Done | DispositionStatus::Cancelled
        ) {
            forward.push((node.id, choices(state, node.to_position_id).await?));
        }
    }
    let can_upload = me.user.role != serasi_domain::user::Role::Employee;
    Ok(LetterPage {
        t: me.t(),
        c: me.chrome("letters"),
        register_access: access == LetterAccess::Register,
        detail,
        tree,
        choices: choices_first,
        forward,
        instructions: state.store().disposition_instructions().await?,
        can_upload,
        error,
        today: today.to_string(),
    })
}

async fn show(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Html<String>, PageError> {
    Ok(Html(letter_page(&state, &me, id, None).await?.render()?))
}

/// Shows the letter page again with `error`, or passes a server error on.
async fn again(
    state: &AppState,
    me: &PageUser,
    id: Uuid,
    err: ApiError,
) -> Result<Response, PageError> {
    if err.status.is_server_error() {
        return Err(PageError::internal(&err.message));
    }
    if err.status == axum::http::StatusCode::NOT_FOUND {
        return Err(PageError::NotFound);
    }
    let page = letter_page(state, me, id, Some(err.message)).await?;
    Ok((err.status, Html(page.render()?)).into_response())
}

fn back(jar: CookieJar, id: Uuid, flash: &str, anchor: &str) -> Response {
    (
        with_flash(jar, flash),
        Redirect::to(&format!("/letters/incoming/{id}{anchor}")),
    )
        .into_response()
}

async fn upload_scan(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<Uuid>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let t = me.t();
    let actor = actor_of_user(&me.user).ok_or(PageError::Forbidden)?;
    let letter = IncomingId::from_uuid(id);
    let access = state
        .store()
        .incoming_access(letter, actor, wib::today())
        .await?;
    if access == LetterAccess::None {
        return Err(PageError::NotFound);
    }
    if me.user.role == serasi_domain::user::Role::Employee {
        return Err(PageError::Forbidden);
    }
    let result = async {
        crate::api::incoming::ensure_scan_room(&state, t, letter).await?;
        let file = crate::api::incoming::store_scan(&state, t, multipart).await?;
        state
            .store()
            .add_incoming_file(letter, &file)
            .await
            .map_err(|e| ApiError::from_store(t, e))
    }
    .await;
    match result {
        Ok(_) => Ok(back(jar, id, "incoming-scan-saved", "#scans")),
        Err(e) => again(&state, &me, id, e).await,
    }
}

#[derive(Deserialize, Default)]
struct DisposeForm {
    #[serde(default)]
    parent: String,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    instructions: Vec<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    urgency: String,
}

async fn dispose(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<Uuid>,
    Form(form): Form<DisposeForm>,
) -> Result<Response, PageError> {
    let t = me.t();
    let actor = actor_of_user(&me.user).ok_or(PageError::Forbidden)?;
    let result = async {
        let allowed = state
            .store()
            .disposition_instructions()
            .await
            .map_err(|e| ApiError::from_store(t, e))?;
        let today = wib::today();
        let fields = DispositionInput {
            recipients: form
                .recipients
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect(),
            instructions: form.instructions.clone(),
            note: form.note.clone(),
            deadline: Some(form.deadline.clone()),
            urgency: Some(form.urgency.clone()),
        }
        .validate(today, &allowed)
        .map_err(|e| ApiError::from_store(t, e.into()))?;
        let parent = form.parent.parse::<DispositionId>().ok();
        state
            .store()
            .dispose(IncomingId::from_uuid(id), parent, actor, &fields, today)
            .await
            .map_err(|e| ApiError::from_store(t, e))
    }
    .await;
    match result {
        Ok(_) => Ok(back(jar, id, "disposition-sent", "#dispositions")),
        Err(e) => again(&state, &me, id, e).await,
    }
}

#[derive(Deserialize, Default)]
struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    report: String,
    #[serde(default)]
    letter: String,
}

async fn act(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(disposition): Path<Uuid>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    let t = me.t();
    let actor = actor_of_user(&me.user).ok_or(PageError::Forbidden)?;
    let letter: Uuid = form.letter.parse().map_err(|_| PageError::NotFound)?;
    let result = async {
        let action = crate::api::dispositions::parse_action(t, form.action.trim())?;
        state
            .store()
            .act_on_disposition(
                DispositionId::from_uuid(disposition),
                actor,
                action,
                Some(form.report.as_str()),
                wib::today(),
            )
            .await
            .map_err(|e| ApiError::from_store(t, e))
    }
    .await;
    match result {
        Ok(_) => Ok(back(
            jar,
            letter,
            "disposition-updated",
            &format!("#d-{disposition}"),
        )),
        Err(e) => again(&state, &me, letter, e).await,
    }
}

async fn report_file(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path((letter, disposition)): Path<(Uuid, Uuid)>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let t = me.t();
    let actor = actor_of_user(&me.user).ok_or(PageError::Forbidden)?;
    let id = DispositionId::from_uuid(disposition);
    let today = wib::today();
    let result = async {
        state
            .store()
            .may_report(id, actor, today)
            .await
            .map_err(|e| ApiError::from_store(t, e))?;
        let file = crate::api::incoming::store_scan(&state, t, multipart).await?;
        state
            .store()
            .add_disposition_file(id, actor, &file, today)
            .await
            .map_err(|e| ApiError::from_store(t, e))
    }
    .await;
    match result {
        Ok(_) => Ok(back(
            jar,
            letter,
            "incoming-scan-saved",
            &format!("#d-{disposition}"),
        )),
        Err(e) => again(&state, &me, letter, e).await,
    }
}

async fn scan(
    State(state): State<AppState>,
    me: PageUser,
    Path((id, seq)): Path<(Uuid, i64)>,
) -> Result<Response, PageError> {
    let actor = reader_of_user(&me.user).ok_or(PageError::NotFound)?;
    let letter = IncomingId::from_uuid(id);
    if state
        .store()
        .incoming_access(letter, actor, wib::today())
        .await?
        == LetterAccess::None
    {
        return Err(PageError::NotFound);
    }
    let file = state
        .store()
        .incoming_files(letter)
        .await?
        .into_iter()
        .find(|f| f.seq == seq)
        .ok_or(PageError::NotFound)?;
    crate::api::incoming::file_response(&state, file)
        .await
        .map_err(|e| PageError::internal(&e.message))
}

async fn report_download(
    State(state): State<AppState>,
    me: PageUser,
    Path((disposition, seq)): Path<(Uuid, i64)>,
) -> Result<Response, PageError> {
    let actor = reader_of_user(&me.user).ok_or(PageError::NotFound)?;
    let (letter, file) = state
        .store()
        .disposition_file(DispositionId::from_uuid(disposition), seq)
        .await?
        .ok_or(PageError::NotFound)?;
    if state
        .store()
        .incoming_access(letter, actor, wib::today())
        .await?
        == LetterAccess::None
    {
        return Err(PageError::NotFound);
    }
    crate::api::incoming::file_response(&state, file)
        .await
        .map_err(|e| PageError::internal(&e.message))
}

async fn sheet(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let actor = reader_of_user(&me.user).ok_or(PageError::NotFound)?;
    let pdf = crate::api::dispositions::sheet_pdf(&state, me.t(), actor, id)
        .await
        .map_err(|e| {
            if e.status == axum::http::StatusCode::NOT_FOUND {
                PageError::NotFound
            } else {
                PageError::internal(&e.message)
            }
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"lembar-disposisi.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "dispositions.html")]
struct ListPage {
    t: Tr,
    c: Chrome,
    /// `received`, `sent` or `addressed`.
    which: &'static str,
    open_only: bool,
    rows: Vec<DispositionLine>,
    total: i64,
    page: u32,
    pages: u32,
}

impl ListPage {
    fn date(&self, iso: &str) -> String {
        crate::sheets::long_date(self.t, iso)
    }

    fn status(&self, status: &str) -> String {
        status
            .parse::<DispositionStatus>()
            .map(|s| crate::sheets::status_label(self.t, s))
            .unwrap_or_else(|_| self.t.get(&format!("letter-status-{status}")).to_owned())
    }

    fn link(&self, row: &DispositionLine) -> String {
        if self.which == "addressed" {
            format!("/letters/incoming/{}", row.raw_incoming_id)
        } else {
            format!("/letters/incoming/{}#d-{}", row.raw_incoming_id, row.raw_id)
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "box")]
    which: Option<String>,
    open: Option<String>,
    page: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let actor = actor_of_user(&me.user).ok_or(PageError::Forbidden)?;
    let (which, kind) = match query.which.as_deref() {
        Some("sent") => ("sent", DispositionBox::Sent),
        Some("addressed") => ("addressed", DispositionBox::Addressed),
        _ => ("received", DispositionBox::Received),
    };
    let open_only = query.open.as_deref() != Some("0");
    let page = query.page.unwrap_or(1).max(1);
    let per_page = 50;
    let (rows, total) = state
        .store()
        .dispositions(
            actor,
            kind,
            open_only,
            time::OffsetDateTime::now_utc(),
            page,
            per_page,
        )
        .await?;
    let pages = u32::try_from((total + i64::from(per_page) - 1) / i64::from(per_page))
        .unwrap_or(1)
        .max(1);
    Ok(Html(
        ListPage {
            t: me.t(),
            c: me.chrome("dispositions"),
            which,
            open_only,
            rows,
            total,
            page,
            pages,
        }
        .render()?,
    ))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/letters/incoming/{id}", get(show))
        .route("/letters/incoming/{id}/files", post(upload_scan))
        .route("/letters/incoming/{id}/files/{seq}", get(scan))
        .route("/letters/incoming/{id}/dispose", post(dispose))
        .route("/letters/incoming/{id}/sheet.pdf", get(sheet))
        .route(
            "/letters/incoming/{letter}/dispositions/{id}/files",
            post(report_file),
        )
        .route("/dispositions", get(list))
        .route("/dispositions/{id}/act", post(act))
        .route("/dispositions/{id}/files/{seq}", get(report_download))
}
