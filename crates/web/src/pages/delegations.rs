//! Administration of signing: delegations (a.n., u.b., Plt., Plh.) and the
//! kinds of document with their signing level and numbering template.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::{CookieJar, Form};
use serasi_domain::authority::DelegationInput;
use serasi_domain::document::{DocumentKind, KindInput};
use serasi_domain::{DelegationId, wib};
use serasi_store::StoreError;
use serde::Deserialize;

use super::directory::{audit, form_errors, parse_optional_id};
use super::{Chrome, FieldErrors};
use crate::AppState;
use crate::auth::{PageUser, with_flash};
use crate::error::PageError;
use crate::i18n::Tr;

struct DelegationRow {
    id: String,
    prefix: &'static str,
    principal: String,
    delegate: String,
    decree: String,
    period: String,
    in_force: bool,
}

#[derive(Template)]
#[template(path = "delegations.html")]
struct DelegationsPage {
    t: Tr,
    c: Chrome,
    rows: Vec<DelegationRow>,
    positions: Vec<(String, String)>,
    employees: Vec<(String, String)>,
    on_behalf: Vec<(String, String)>,
    form: DelegationForm,
    errors: FieldErrors,
    form_error: Option<String>,
}

#[derive(Deserialize, Default)]
struct DelegationForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    principal_id: String,
    #[serde(default)]
    delegate_position_id: String,
    #[serde(default)]
    delegate_employee_id: String,
    #[serde(default)]
    via_id: String,
    #[serde(default)]
    decree_number: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

async fn render(
    state: &AppState,
    me: &PageUser,
    form: DelegationForm,
    errors: FieldErrors,
    form_error: Option<String>,
) -> Result<DelegationsPage, PageError> {
    let t = me.t();
    let store = state.store();
    let hits = store.search_positions("", 5000).await?;
    let names: HashMap<String, String> = hits
        .iter()
        .map(|h| {
            (
                h.id.to_string(),
                format!("{} — {}", h.name, h.organization_name),
            )
        })
        .collect();
    let (people, _) = store.search_employees("", None, 5000, 0).await?;
    let people_names: HashMap<String, String> = people
        .iter()
        .map(|p| (p.employee.id.to_string(), p.employee.name.clone()))
        .collect();
    let today = wib::today();
    let delegations = store.delegations().await?;
    let name_of = |map: &HashMap<String, String>, id: String| map.get(&id).cloned().unwrap_or(id);
    let on_behalf = delegations
        .iter()
        .filter(|d| d.kind == serasi_domain::authority::DelegationKind::OnBehalf)
        .map(|d| {
            let delegate = d
                .delegate_position_id
                .map(|p| name_of(&names, p.to_string()))
                .unwrap_or_default();
            (
                d.id.to_string(),
                format!("{} · {delegate}", d.decree_number),
            )
        })
        .collect();
    let rows = delegations
        .into_iter()
        .map(|d| DelegationRow {
            id: d.id.to_string(),
            prefix: d.kind.prefix(),
            principal: name_of(&names, d.principal_id.to_string()),
            delegate: match (d.delegate_position_id, d.delegate_employee_id) {
                (Some(p), _) => name_of(&names, p.to_string()),
                (None, Some(e)) => name_of(&people_names, e.to_string()),
                (None, None) => String::new(),
            },
            in_force: d.in_force_on(today),
            decree: d.decree_number,
            period: format!("{} – {}", t.date(d.starts_on), t.date(d.ends_on)),
        })
        .collect();
    Ok(DelegationsPage {
        t,
        c: me.chrome("admin"),
        rows,
        positions: hits
            .iter()
            .map(|h| {
                (
                    h.id.to_string(),
                    format!("{} — {}", h.name, h.organization_name),
                )
            })
            .collect(),
        employees: people
            .into_iter()
            .map(|p| (p.employee.id.to_string(), p.employee.name))
            .collect(),
        on_behalf,
        form,
        errors,
        form_error,
    })
}

async fn list(State(state): State<AppState>, me: PageUser) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    let form = DelegationForm {
        kind: "an".to_owned(),
        starts_on: wib::today().to_string(),
        ..DelegationForm::default()
    };
    Ok(Html(
        render(&state, &me, form, FieldErrors::new(), None)
            .await?
            .render()?,
    ))
}

fn parse_date(field: &'static str, text: &str) -> Result<Option<time::Date>, &'static str> {
    match text.trim() {
        "" => Ok(None),
        value => time::Date::parse(
            value,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(Some)
        .map_err(|_| field),
    }
}

async fn create(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<DelegationForm>,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let t = me.t();
    let parsed = (|| {
        Ok::<_, &'static str>(DelegationInput {
            kind: form.kind.clone(),
            principal_id: parse_optional_id(&form.principal_id).map_err(|()| "principal_id")?,
            delegate_position_id: parse_optional_id(&form.delegate_position_id)
                .map_err(|()| "delegate")?,
            delegate_employee_id: parse_optional_id(&form.delegate_employee_id)
                .map_err(|()| "delegate")?,
            via_id: parse_optional_id(&form.via_id).map_err(|()| "via_id")?,
            decree_number: form.decree_number.clone(),
            starts_on: parse_date("starts_on", &form.starts_on)?,
            ends_on: parse_date("ends_on", &form.ends_on)?,
        })
    })();
    let result: Result<DelegationId, StoreError> = match parsed {
        Err(field) => Err(serasi_domain::document::DraftError::UnknownValue {
            field,
            value: String::new(),
        }
        .into()),
        Ok(input) => match input.validate() {
            Err(e) => Err(e.into()),
            Ok(d) => state.store().create_delegation(&d).await.map(|()| d.id),
        },
    };
    match result {
        Ok(id) => {
            audit(
                &state,
                &me,
                "delegation.create",
                "delegation",
                &id.to_string(),
                serde_json::json!({ "decree": form.decree_number }),
            )
            .await;
            Ok((with_flash(jar, "saved"), Redirect::to("/admin/delegations")).into_response())
        }
        Err(err) => {
            let (errors, form_error) = form_errors(t, err)?;
            let page = render(&state, &me, form, errors, form_error).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<DelegationId>,
) -> Result<Response, PageError> {
    me.require_admin()?;
    match state.store().delete_delegation(id).await {
        Ok(()) => {
            audit(
                &state,
                &me,
                "delegation.delete",
                "delegation",
                &id.to_string(),
                serde_json::json!({}),
            )
            .await;
            Ok((
                with_flash(jar, "deleted"),
                Redirect::to("/admin/delegations"),
            )
                .into_response())
        }
        Err(err) => {
            let (_, message) = form_errors(me.t(), err)?;
            let page = render(
                &state,
                &me,
                DelegationForm::default(),
                FieldErrors::new(),
                message,
            )
            .await?;
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "kinds.html")]
struct KindsPage {
    t: Tr,
    c: Chrome,
    kinds: Vec<DocumentKind>,
    error: Option<(String, String)>,
}

impl KindsPage {
    fn is_existing(&self, code: &str) -> bool {
        self.kinds.iter().any(|k| k.code == code)
    }
}

async fn kinds_page(
    state: &AppState,
    me: &PageUser,
    error: Option<(String, String)>,
) -> Result<KindsPage, PageError> {
    Ok(KindsPage {
        t: me.t(),
        c: me.chrome("admin"),
        kinds: state.store().document_kinds().await?,
        error,
    })
}

async fn kinds(State(state): State<AppState>, me: PageUser) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    Ok(Html(kinds_page(&state, &me, None).await?.render()?))
}

#[derive(Deserialize)]
struct KindForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    abbreviation: String,
    #[serde(default)]
    layout: String,
    #[serde(default)]
    signer_level: String,
    #[serde(default)]
    number_template: String,
    #[serde(default)]
    series_scope: String,
    /// A checkbox: present when ticked.
    active: Option<String>,
}

/// Validates and saves a kind form; `edit` is the code of a changed kind.
async fn save_kind(
    state: AppState,
    me: PageUser,
    jar: CookieJar,
    edit: Option<String>,
    form: KindForm,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let t = me.t();
    let code = edit.clone().unwrap_or_else(|| form.code.trim().to_owned());
    let input = KindInput {
        code: code.clone(),
        name: form.name,
        abbreviation: form.abbreviation,
        layout: form.layout,
        signer_level: form.signer_level,
        number_template: form.number_template,
        series_scope: form.series_scope,
        active: form.active.is_some(),
    };
    let result = match input.validate() {
        Err(e) => Err(StoreError::from(e)),
        Ok(kind) => {
            let saved = match edit {
                Some(_) => {
                    state
                        .store()
                        .update_document_kind(&kind, wib::today().year())
                        .await
                }
                None => state.store().create_document_kind(&kind).await,
            };
            saved.map(|()| kind)
        }
    };
    match result {
        Ok(kind) => {
            audit(
                &state,
                &me,
                "document_kind.save",
                "document_kind",
                &kind.code,
                serde_json::json!({ "template": kind.number_template, "active": kind.active }),
            )
            .await;
            Ok((with_flash(jar, "saved"), Redirect::to("/admin/kinds")).into_response())
        }
        Err(err) => {
            let (errors, message) = form_errors(t, err)?;
            let message = message
                .or_else(|| errors.into_values().next())
                .unwrap_or_default();
            let page = kinds_page(&state, &me, Some((code, message))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn update_kind(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(form): Form<KindForm>,
) -> Result<Response, PageError> {
    save_kind(state, me, jar, Some(code), form).await
}

async fn create_kind(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<KindForm>,
) -> Result<Response, PageError> {
    save_kind(state, me, jar, None, form).await
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/delegations", get(list).post(create))
        .route("/admin/delegations/{id}/delete", post(delete))
        .route("/admin/kinds", get(kinds).post(create_kind))
        .route("/admin/kinds/{code}", post(update_kind))
}
