//! The incoming register page (`/letters/incoming`): clerks pick their
//! organisation and year, read the register a page at a time, and
//! register a letter that arrived from outside.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use axum_extra::extract::Form;
use serasi_domain::directory::OrganizationKind;
use serasi_domain::incoming::IncomingInput;
use serasi_domain::{OrganizationId, PositionId, wib};
use serasi_store::incoming::IncomingRow;
use serde::Deserialize;

use super::Chrome;
use crate::AppState;
use crate::auth::{PageUser, with_flash};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;

const PER_PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "incoming.html")]
struct IncomingPage {
    t: Tr,
    c: Chrome,
    organizations: Vec<(OrganizationId, String)>,
    selected: Option<OrganizationId>,
    year: i32,
    page: u32,
    pages: u32,
    total: i64,
    rows: Vec<IncomingRow>,
    /// Positions a letter can be addressed to: id and "name · holder".
    addressees: Vec<(PositionId, String)>,
    form: IncomingForm,
    error: Option<String>,
    error_field: Option<String>,
    today: String,
}

impl IncomingPage {
    fn subject(&self, row: &IncomingRow) -> String {
        if matches!(row.security.as_str(), "rahasia" | "sangat_rahasia") {
            self.t.get("confidential").to_owned()
        } else {
            row.subject.clone()
        }
    }

    fn date(&self, iso: &str) -> String {
        time::Date::parse(
            iso,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(|d| self.t.date(d))
        .unwrap_or_else(|_| iso.to_owned())
    }
}

#[derive(Deserialize, Default, Clone)]
struct IncomingForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    sender_number: String,
    #[serde(default)]
    sender_date: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    addressee_position_id: String,
}

#[derive(Deserialize)]
struct RegisterQuery {
    org: Option<String>,
    year: Option<i32>,
    page: Option<u32>,
}

/// Returns the organisations whose registers the user keeps, and the one
/// they work in.
pub(super) async fn registers(
    state: &AppState,
    me: &PageUser,
) -> Result<(Vec<(OrganizationId, String)>, Option<OrganizationId>), PageError> {
    let orgs = state.store().organizations().await?;
    let mut allowed = Vec::new();
    for org in orgs.iter().filter(|o| {
        matches!(
            o.kind,
            OrganizationKind::Agency
                | OrganizationKind::District
                | OrganizationKind::Village
                | OrganizationKind::UrbanVillage
        )
    }) {
        if crate::api::documents::keeps_registers(state, &me.user, org.id).await? {
            allowed.push((org.id, org.name.clone()));
        }
    }
    let own = match me.user.employee_id {
        Some(id) => state.store().employee(id).await?.map(|e| e.organization_id),
        None => None,
    };
    let mut current = own.and_then(|id| orgs.iter().find(|o| o.id == id));
    while let Some(org) = current {
        if allowed.iter().any(|(id, _)| *id == org.id) {
            return Ok((allowed, Some(org.id)));
        }
        current = org.parent_id.and_then(|p| orgs.iter().find(|o| o.id == p));
    }
    Ok((allowed, None))
}

/// Returns the positions of `org` and every organisation below it.
async fn addressees(
    state: &AppState,
    org: OrganizationId,
) -> Result<Vec<(PositionId, String)>, PageError> {
    let orgs = state.store().organizations().await?;
    let mut within = vec![org];
    let mut i = 0;
    while i < within.len() {
        let parent = within[i];
        within.extend(
            orgs.iter()
                .filter(|o| o.parent_id == Some(parent))
                .map(|o| o.id),
        );
        i += 1;
    }
    let mut out = Vec::new();
    for id in within {
        for p in state.store().positions_of(id).await? {
            let label = match p.holder_name {
                Some(holder) => format!("{} · {holder}", p.position.name),
                None => p.position.name.clone(),
            };
            out.push((p.position.id, label));
        }
    }
    Ok(out)
}

async fn page(
    state: &AppState,
    me: &PageUser,
    org: Option<String>,
    year: Option<i32>,
    page: Option<u32>,
) -> Result<IncomingPage, PageError> {
    if me.user.role == serasi_domain::user::Role::Employee {
        return Err(PageError::Forbidden);
    }
    let (organizations, own) = registers(state, me).await?;
    let selected = org
        .as_deref()
        .and_then(|o| o.parse::<OrganizationId>().ok())
        .filter(|o| organizations.iter().any(|(id, _)| id == o))
        .or(own);
    let year = year.unwrap_or_else(|| wib::today().year());
    let page = page.unwrap_or(1).max(1);
    let (rows, total, addressees) = match selected {
        Some(org) => {
            let (rows, total) = state
                .store()
                .incoming_register(org, year, page, PER_PAGE)
                .await?;
            (rows, total, addressees(state, org).await?)
        }
        None => (Vec::new(), 0, Vec::new()),
    };
    let pages = u32::try_from((total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE)).unwrap_or(1);
    Ok(IncomingPage {
        t: me.t(),
        c: me.chrome("letters"),
        organizations,
        selected,
        year,
        page,
        pages: pages.max(1),
        total,
        rows,
        addressees,
        form: IncomingForm::default(),
        error: None,
        error_field: None,
        today: wib::today().to_string(),
    })
}

async fn show(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<RegisterQuery>,
) -> Result<Html<String>, PageError> {
    Ok(Html(
        page(&state, &me, query.org, query.year, query.page)
            .await?
            .render()?,
    ))
}

fn parse_date(t: Tr, field: &str, text: &str) -> Result<Option<time::Date>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(Some)
    .map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.fmt(
                "error-draft-value",
                &[
                    ("field", &crate::messages::field_label(t, field)),
                    ("value", text),
                ],
            ),
        )
        .field(field)
    })
}

async fn register(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<IncomingForm>,
) -> Result<Response, PageError> {
    let t = me.t();
    let Some(org) = form.org.parse::<OrganizationId>().ok() else {
        return Err(PageError::NotFound);
    };
    if !crate::api::documents::keeps_registers(&state, &me.user, org).await? {
        return Err(PageError::Forbidden);
    }
    let Some(clerk) = me.user.employee_id else {
        return Err(PageError::Forbidden);
    };
    let result = async {
        let input = IncomingInput {
            sender: form.sender.clone(),
            sender_number: form.sender_number.clone(),
            sender_date: parse_date(t, "sender_date", &form.sender_date)?,
            received_on: parse_date(t, "received_on", &form.received_on)?,
            subject: form.subject.clone(),
            classification: form.classification.clone(),
            security: Some(form.security.clone()),
            urgency: Some(form.urgency.clone()),
            addressee_position_id: form.addressee_position_id.parse().ok(),
        };
        let fields = input
            .validate(wib::today())
            .map_err(|e| ApiError::from_store(t, e.into()))?;
        state
            .store()
            .register_incoming(org, clerk, &fields)
            .await
            .map_err(|e| ApiError::from_store(t, e))
    }
    .await;
    match result {
        Ok(registered) => Ok((
            with_flash(jar, "incoming-registered"),
            Redirect::to(&format!("/letters/incoming/{}#scans", registered.id)),
        )
            .into_response()),
        Err(e) if e.status.is_server_error() => Err(PageError::internal(&e.message)),
        Err(e) => {
            let mut page = page(&state, &me, Some(org.to_string()), None, None).await?;
            page.error_field = e.field.clone();
            page.error = Some(e.message);
            page.form = form;
            Ok((e.status, Html(page.render()?)).into_response())
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/letters/incoming", get(show).post(register))
}
