//! The search page (`/search`), the registers page (`/registers`) with
//! its CSV download and background XLSX, CSV and PDF exports, and the
//! export progress page (`/exports/{id}`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::Form;
use serasi_domain::OrganizationId;
use serasi_domain::search::Piece;
use serasi_store::registers::{RegisterFilter, RegisterKind, RegisterLine};
use serasi_store::search::SearchHit;
use serde::Deserialize;
use uuid::Uuid;

use super::Chrome;
use crate::AppState;
use crate::api::documents::reader_of_user;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::exports::{self, Format};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    t: Tr,
    c: Chrome,
    q: String,
    from: String,
    to: String,
    kind: String,
    classification: String,
    status: String,
    organization: String,
    organizations: Vec<(OrganizationId, String)>,
    kinds: Vec<(String, String)>,
    error: Option<String>,
    searched: bool,
    total: i64,
    hits: Vec<SearchHit>,
    page: u32,
    pages: u32,
    query_string: String,
}

impl SearchPage {
    fn url(&self, hit: &SearchHit) -> String {
        crate::api::registers::hit_url(&hit.source, hit.id)
    }

    fn date(&self, iso: &str) -> String {
        crate::sheets::long_date(self.t, iso)
    }

    fn kind_label(&self, code: &str) -> String {
        self.kinds
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_owned())
    }

    fn pieces<'a>(&self, list: &'a [Piece]) -> &'a [Piece] {
        list
    }
}

#[derive(Deserialize, Default)]
struct SearchForm {
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
    classification: Option<String>,
    status: Option<String>,
    organization: Option<String>,
    page: Option<u32>,
}

fn date_of(text: &Option<String>) -> Option<time::Date> {
    text.as_deref().and_then(|t| {
        time::Date::parse(
            t.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
    })
}

async fn kinds(state: &AppState, t: Tr) -> Result<Vec<(String, String)>, PageError> {
    let mut kinds: Vec<(String, String)> = state
        .store()
        .document_kinds()
        .await?
        .into_iter()
        .map(|k| (k.code, k.name))
        .collect();
    kinds.insert(0, ("surat_masuk".into(), t.get("incoming").to_owned()));
    Ok(kinds)
}

async fn search(
    State(state): State<AppState>,
    me: PageUser,
    Query(form): Query<SearchForm>,
) -> Result<Html<String>, PageError> {
    let t = me.t();
    let q = form.q.clone().unwrap_or_default();
    let page = form.page.unwrap_or(1).clamp(1, 1000);
    let per_page = 20;
    let mut out = SearchPage {
        t,
        c: me.chrome("search"),
        q: q.clone(),
        from: form.from.clone().unwrap_or_default(),
        to: form.to.clone().unwrap_or_default(),
        kind: form.kind.clone().unwrap_or_default(),
        classification: form.classification.clone().unwrap_or_default(),
        status: form.status.clone().unwrap_or_default(),
        organization: form.organization.clone().unwrap_or_default(),
        organizations: state
            .store()
            .organizations()
            .await?
            .into_iter()
            .filter(|o| o.kind != serasi_domain::directory::OrganizationKind::Unit)
            .map(|o| (o.id, o.name))
            .collect(),
        kinds: kinds(&state, t).await?,
        error: None,
        searched: false,
        total: 0,
        hits: Vec::new(),
        page,
        pages: 1,
        query_string: String::new(),
    };
    if !q.trim().is_empty() {
        out.searched = true;
        let actor = reader_of_user(&me.user).ok_or(PageError::Forbidden)?;
        let bad_date = |v: &Option<String>| {
            v.as_deref().is_some_and(|v| !v.trim().is_empty()) && date_of(v).is_none()
        };
        let reversed =
            matches!((date_of(&form.from), date_of(&form.to)), (Some(a), Some(b)) if a > b);
        let bad_code = form
            .classification
            .as_deref()
            .map(str::trim)
            .is_some_and(|c| !c.is_empty() && !serasi_store::registers::is_code_prefix(c));
        let parsed = if bad_date(&form.from) || bad_date(&form.to) {
            Err(t.get("error-period-invalid").to_owned())
        } else if reversed {
            Err(t.get("error-period-order").to_owned())
        } else if bad_code {
            Err(t.fmt(
                "error-classification-format",
                &[("value", form.classification.as_deref().unwrap_or_default())],
            ))
        } else {
            serasi_domain::search::Query::parse(&q).map_err(|e| crate::messages::query_error(t, &e))
        };
        match parsed {
            Err(message) => out.error = Some(message),
            Ok(query) => {
                let filters = serasi_store::search::SearchFilters {
                    from: date_of(&form.from),
                    to: date_of(&form.to),
                    kind: form.kind.clone(),
                    classification: form.classification.clone(),
                    organization: form.organization.as_deref().and_then(|o| o.parse().ok()),
                    status: form.status.clone(),
                };
                let result = state
                    .store()
                    .search(
                        actor,
                        serasi_domain::wib::today(),
                        &query,
                        &filters,
                        page,
                        per_page,
                    )
                    .await?;
                out.total = result.total;
                out.hits = result.hits;
                out.pages =
                    u32::try_from((result.total + i64::from(per_page) - 1) / i64::from(per_page))
                        .unwrap_or(1)
                        .clamp(1, 1000);
                let mut qs = form_urlencoded(&[
                    ("q", &out.q),
                    ("from", &out.from),
                    ("to", &out.to),
                    ("kind", &out.kind),
                    ("classification", &out.classification),
                    ("status", &out.status),
                    ("organization", &out.organization),
                ]);
                qs.push('&');
                out.query_string = qs;
            }
        }
    }
    Ok(Html(out.render()?))
}

/// Encodes query parameters for links.
fn form_urlencoded(pairs: &[(&str, &String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let encoded: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(Template)]
#[template(path = "registers.html")]
struct RegistersPage {
    t: Tr,
    c: Chrome,
    organizations: Vec<(OrganizationId, String)>,
    selected: Option<OrganizationId>,
    register: RegisterKind,
    from: String,
    to: String,
    kind: String,
    classification: String,
    kinds: Vec<(String, String)>,
    columns: Vec<String>,
    lines: Vec<RegisterLine>,
    first_no: i64,
    total: i64,
    page: u32,
    pages: u32,
    query_string: String,
}

impl RegistersPage {
    fn link(&self, line: &RegisterLine) -> String {
        crate::api::registers::hit_url(line.source, line.id)
    }

    fn tab(&self, kind: &str) -> bool {
        self.register.as_str() == kind
    }

    fn title(&self, kind: &str) -> String {
        self.t.get(&format!("register-title-{kind}")).to_owned()
    }
}

#[derive(Deserialize, Default)]
struct RegisterForm {
    org: Option<String>,
    register: Option<String>,
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
    classification: Option<String>,
    page: Option<u32>,
    format: Option<String>,
}

impl RegisterForm {
    fn filter(&self) -> RegisterFilter {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| v.chars().take(60).collect::<String>())
        };
        let (mut from, mut to) = (date_of(&self.from), date_of(&self.to));
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            std::mem::swap(&mut from, &mut to);
        }
        RegisterFilter {
            from,
            to,
            kind: clean(&self.kind),
            classification: clean(&self.classification),
        }
    }
}

async fn selected(
    state: &AppState,
    me: &PageUser,
    org: Option<&str>,
) -> Result<(Vec<(OrganizationId, String)>, Option<OrganizationId>), PageError> {
    if me.user.role == serasi_domain::user::Role::Employee {
        return Err(PageError::Forbidden);
    }
    let (organizations, own) = super::incoming::registers(state, me).await?;
    let chosen = org
        .and_then(|o| o.parse::<OrganizationId>().ok())
        .filter(|o| organizations.iter().any(|(id, _)| id == o))
        .or(own)
        .or_else(|| organizations.first().map(|(id, _)| *id));
    Ok((organizations, chosen))
}

async fn registers_page(
    State(state): State<AppState>,
    me: PageUser,
    Query(form): Query<RegisterForm>,
) -> Result<Html<String>, PageError> {
    let t = me.t();
    let (organizations, chosen) = selected(&state, &me, form.org.as_deref()).await?;
    let register = form
        .register
        .as_deref()
        .and_then(|r| r.parse().ok())
        .unwrap_or(RegisterKind::Incoming);
    let filter = form.filter();
    let per_page: u32 = 50;
    let page = form.page.unwrap_or(1).clamp(1, 100_000);
    let offset = i64::from(page - 1) * i64::from(per_page);
    let (lines, total) = match chosen {
        Some(org) => (
            state
                .store()
                .register_lines(register, org, &filter, None, i64::from(per_page), offset)
                .await?,
            state.store().register_count(register, org, &filter).await?,
        ),
        None => (Vec::new(), 0),
    };
    let show = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut out = RegistersPage {
        t,
        c: me.chrome("registers"),
        organizations,
        selected: chosen,
        register,
        from: show(filter.from),
        to: show(filter.to),
        kind: filter.kind.clone().unwrap_or_default(),
        classification: filter.classification.clone().unwrap_or_default(),
        kinds: kinds(&state, t).await?.into_iter().skip(1).collect(),
        columns: exports::headings(t, register),
        lines,
        first_no: offset + 1,
        total,
        page,
        pages: u32::try_from((total + i64::from(per_page) - 1) / i64::from(per_page))
            .unwrap_or(1)
            .max(1),
        query_string: String::new(),
    };
    let org_text = chosen.map(|o| o.to_string()).unwrap_or_default();
    let register_text = register.as_str().to_owned();
    out.query_string = form_urlencoded(&[
        ("org", &org_text),
        ("register", &register_text),
        ("from", &out.from),
        ("to", &out.to),
        ("kind", &out.kind),
        ("classification", &out.classification),
    ]);
    Ok(Html(out.render()?))
}

async fn register_csv(
    State(state): State<AppState>,
    me: PageUser,
    Query(form): Query<RegisterForm>,
) -> Result<Response, PageError> {
    let (_, chosen) = selected(&state, &me, form.org.as_deref()).await?;
    let org = chosen.ok_or(PageError::NotFound)?;
    let register: RegisterKind = form
        .register
        .as_deref()
        .and_then(|r| r.parse().ok())
        .ok_or(PageError::NotFound)?;
    let body = exports::csv_stream(state.clone(), me.t(), register, org, form.filter());
    Ok((
        [
            (header::CONTENT_TYPE, Format::Csv.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    exports::file_name(register, Format::Csv)
                ),
            ),
        ],
        body,
    )
        .into_response())
}

async fn start_export(
    State(state): State<AppState>,
    me: PageUser,
    Form(form): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let (organizations, chosen) = selected(&state, &me, form.org.as_deref()).await?;
    let org = chosen.ok_or(PageError::NotFound)?;
    let register: RegisterKind = form
        .register
        .as_deref()
        .and_then(|r| r.parse().ok())
        .ok_or(PageError::NotFound)?;
    let format = form
        .format
        .as_deref()
        .and_then(Format::parse)
        .ok_or(PageError::NotFound)?;
    let name = organizations
        .iter()
        .find(|(id, _)| *id == org)
        .map(|(_, n)| n.clone())
        .unwrap_or_default();
    let id = exports::start_job(
        &state,
        me.t(),
        exports::ExportRequest {
            user: me.user.id.as_uuid(),
            kind: register,
            org,
            organization_name: name,
            format,
            filter: form.filter(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/exports/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "export_job.html")]
struct JobPage {
    t: Tr,
    c: Chrome,
    job: serasi_store::registers::ExportJob,
    percent: i64,
}

async fn own_job(
    state: &AppState,
    me: &PageUser,
    id: Uuid,
) -> Result<serasi_store::registers::ExportJob, PageError> {
    state
        .store()
        .export_job(id)
        .await?
        .filter(|j| j.user_id == me.user.id.as_uuid())
        .ok_or(PageError::NotFound)
}

async fn job_page(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Html<String>, PageError> {
    let job = own_job(&state, &me, id).await?;
    let percent = if job.state == "done" {
        100
    } else if job.total > 0 {
        (job.done * 100 / job.total).clamp(0, 99)
    } else {
        0
    };
    Ok(Html(
        JobPage {
            t: me.t(),
            c: me.chrome("registers"),
            job,
            percent,
        }
        .render()?,
    ))
}

async fn job_file(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let job = own_job(&state, &me, id).await?;
    let (Some(sha), Some(name)) = (job.sha256, job.file_name) else {
        return Err(PageError::NotFound);
    };
    let format = Format::parse(&job.format).unwrap_or(Format::Csv);
    let bytes = state
        .files()
        .get(&sha)
        .await
        .map_err(|e| PageError::internal(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/registers", get(registers_page))
        .route("/registers/csv", get(register_csv))
        .route("/registers/export", post(start_export))
        .route("/exports/{id}", get(job_page))
        .route("/exports/{id}/file", get(job_file))
}
