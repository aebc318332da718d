//! People search, the person page and the employee form.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use serasi_domain::directory::{EmployeeIdentifier, EmployeeInput};
use serasi_domain::rank::Rank;
use serasi_domain::user::{Role, parse_username};
use serasi_domain::{EmployeeId, OrganizationId};
use serasi_store::{NewUser, StoreError};
use serde::Deserialize;

use super::directory::{OrgQuery, audit, form_errors};
use super::{Chrome, FieldErrors};
use crate::AppState;
use crate::auth::{PageUser, urlencode, with_flash};
use crate::error::PageError;
use crate::i18n::Tr;
use crate::messages;

const PAGE_SIZE: i64 = 25;

struct Hit {
    id: EmployeeId,
    name: String,
    identifier: String,
    position: String,
    organization: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    t: Tr,
    c: Chrome,
    query: String,
    hits: Vec<Hit>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Deserialize)]
struct PeopleQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

async fn people(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<PeopleQuery>,
) -> Result<Html<String>, PageError> {
    let q: String = query.q.trim().chars().take(200).collect();
    // Far past the last page is clamped, so the offset cannot overflow;
    // a page past the end shows the last page.
    let mut page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let (mut found, total) = state
        .store()
        .search_employees(&q, None, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if page > pages {
        page = pages;
        found = state
            .store()
            .search_employees(&q, None, PAGE_SIZE, (page - 1) * PAGE_SIZE)
            .await?
            .0;
    }
    let url = |p: i64| format!("/people?q={}&page={p}", urlencode(&q));
    let hits = found
        .into_iter()
        .map(|h| Hit {
            id: h.employee.id,
            name: h.employee.name,
            identifier: h.employee.identifier.value().to_owned(),
            position: h.position_name.unwrap_or_default(),
            organization: h.organization_name,
        })
        .collect();
    let view = PeoplePage {
        t: me.t(),
        c: me.chrome("people"),
        query: q.clone(),
        hits,
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < pages).then(|| url(page + 1)),
    };
    Ok(Html(view.render()?))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    t: Tr,
    c: Chrome,
    id: EmployeeId,
    name: String,
    identifier_label: String,
    identifier: String,
    rank: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    position: Option<String>,
    org_id: OrganizationId,
    org_name: String,
    is_demo: bool,
    account: Option<String>,
    roles: Vec<(String, String)>,
}

async fn person(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<EmployeeId>,
) -> Result<Html<String>, PageError> {
    let t = me.t();
    let store = state.store();
    let employee = store.employee(id).await?.ok_or(PageError::NotFound)?;
    let org = store
        .organization(employee.organization_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let position = store.position_of_employee(id).await?.map(|p| p.name);
    let account = store
        .user_of_employee(id)
        .await?
        .map(|u| format!("{} ({})", u.username, t.get(&format!("role-{}", u.role))));
    let (identifier_label, identifier) = match &employee.identifier {
        EmployeeIdentifier::Nip(nip) => (t.get("identifier-nip").to_owned(), nip.grouped()),
        EmployeeIdentifier::Village(v) => (t.get("identifier-village").to_owned(), v.clone()),
    };
    let page = PersonPage {
        t,
        c: me.chrome("people"),
        id,
        name: employee.name,
        identifier_label,
        identifier,
        rank: employee.rank.map(|r| r.label()),
        email: employee.email,
        phone: employee.phone,
        position,
        org_id: org.id,
        org_name: org.name,
        is_demo: employee.is_demo,
        account,
        roles: Role::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_owned(),
                    t.get(&format!("role-{r}")).to_owned(),
                )
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "employee_form.html")]
struct EmployeeFormPage {
    t: Tr,
    c: Chrome,
    heading: String,
    action: String,
    org_name: String,
    organization_id: OrganizationId,
    form_error: Option<String>,
    errors: FieldErrors,
    name: String,
    identifier_kind: String,
    identifier: String,
    rank: String,
    email: String,
    phone: String,
    ranks: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct EmployeeForm {
    #[serde(default)]
    organization_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    identifier_kind: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    rank: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

async fn employee_form_page(
    state: &AppState,
    me: &PageUser,
    org_id: OrganizationId,
    edit: Option<EmployeeId>,
    form: EmployeeForm,
    errors: FieldErrors,
    form_error: Option<String>,
) -> Result<EmployeeFormPage, PageError> {
    let t = me.t();
    let org = state
        .store()
        .organization(org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(EmployeeFormPage {
        t,
        c: me.chrome("people"),
        heading: t
            .get(if edit.is_some() {
                "employee-edit"
            } else {
                "employee-add"
            })
            .to_owned(),
        action: edit.map_or_else(
            || "/employees/new".to_owned(),
            |id| format!("/employees/{id}/edit"),
        ),
        org_name: org.name,
        organization_id: org_id,
        form_error,
        errors,
        name: form.name,
        identifier_kind: form.identifier_kind,
        identifier: form.identifier,
        rank: form.rank,
        email: form.email,
        phone: form.phone,
        ranks: Rank::all()
            .into_iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
    })
}

async fn new_employee(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<OrgQuery>,
) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    let page = employee_form_page(
        &state,
        &me,
        query.org,
        None,
        EmployeeForm::default(),
        FieldErrors::new(),
        None,
    )
    .await?;
    Ok(Html(page.render()?))
}

async fn edit_employee(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<EmployeeId>,
) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    let e = state
        .store()
        .employee(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let form = EmployeeForm {
        organization_id: e.organization_id.to_string(),
        name: e.name,
        identifier_kind: e.identifier.kind().to_owned(),
        identifier: e.identifier.value().to_owned(),
        rank: e.rank.map(|r| r.code()).unwrap_or_default(),
        email: e.email.unwrap_or_default(),
        phone: e.phone.unwrap_or_default(),
    };
    let page = employee_form_page(
        &state,
        &me,
        e.organization_id,
        Some(id),
        form,
        FieldErrors::new(),
        None,
    )
    .await?;
    Ok(Html(page.render()?))
}

async fn save_employee(
    state: &AppState,
    me: &PageUser,
    jar: CookieJar,
    edit: Option<EmployeeId>,
    form: EmployeeForm,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let t = me.t();
    let org_id: OrganizationId = form
        .organization_id
        .trim()
        .parse()
        .map_err(|_| PageError::NotFound)?;
    let input = EmployeeInput {
        identifier_kind: Some(form.identifier_kind.clone()),
        identifier: form.identifier.clone(),
        name: form.name.clone(),
        rank: Some(form.rank.clone()),
        email: Some(form.email.clone()),
        phone: Some(form.phone.clone()),
        organization_id: Some(org_id),
    };
    let result = match input.validate() {
        Err(e) => Err(StoreError::Invalid(e)),
        Ok(fields) => match edit {
            Some(id) => state.store().update_employee(id, &fields).await,
            None => state.store().create_employee(&fields, false).await,
        },
    };
    match result {
        Ok(employee) => {
            let action = if edit.is_some() {
                "employee.update"
            } else {
                "employee.create"
            };
            audit(
                state,
                me,
                action,
                "employee",
                &employee.id.to_string(),
                serde_json::json!({ "name": employee.name }),
            )
            .await;
            Ok((
                with_flash(jar, "saved"),
                Redirect::to(&format!("/employees/{}", employee.id)),
            )
                .into_response())
        }
        Err(err) => {
            let (errors, form_error) = form_errors(t, err)?;
            let page =
                employee_form_page(state, me, org_id, edit, form, errors, form_error).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn create_employee(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<EmployeeForm>,
) -> Result<Response, PageError> {
    save_employee(&state, &me, jar, None, form).await
}

async fn update_employee(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<EmployeeId>,
    Form(form): Form<EmployeeForm>,
) -> Result<Response, PageError> {
    save_employee(&state, &me, jar, Some(id), form).await
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    t: Tr,
    c: Chrome,
    heading: String,
    message: String,
    secret: Option<String>,
    back_url: String,
}

#[derive(Deserialize)]
struct AccountForm {
    username: String,
    role: String,
}

/// Creates a login for an employee and shows its one-time password once.
async fn create_account(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<EmployeeId>,
    Form(form): Form<AccountForm>,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let t = me.t();
    let employee = state
        .store()
        .employee(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let back_url = format!("/employees/{id}");
    let message_page = |heading: &str, message: String, secret: Option<String>| MessagePage {
        t,
        c: me.chrome("people"),
        heading: heading.to_owned(),
        message,
        secret,
        back_url: back_url.clone(),
    };
    let username = match parse_username(&form.username) {
        Ok(name) => name,
        Err(e) => {
            let page = message_page(
                t.get("account-create"),
                messages::account_error(t, &e),
                None,
            );
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    };
    let role: Role = form.role.parse().unwrap_or(Role::Employee);
    let password = crate::api::one_time_password();
    let new = NewUser {
        username: &username,
        password: &password,
        role,
        employee_id: Some(employee.id),
        is_demo: false,
        must_change_password: true,
    };
    match state.store().create_user(&new).await {
        Ok(user) => {
            audit(
                &state,
                &me,
                "user.create",
                "user",
                &user.id.to_string(),
                serde_json::json!({ "username": username, "role": role }),
            )
            .await;
            let message = t.fmt("account-created", &[("username", &username)]);
            Ok(
                Html(message_page(t.get("account-create"), message, Some(password)).render()?)
                    .into_response(),
            )
        }
        Err(err) => {
            if !err.is_client_error() {
                return Err(PageError::internal(&err));
            }
            let message = messages::store_error(t, &err);
            let page = message_page(t.get("account-create"), message, None);
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/people", get(people))
        .route("/employees/new", get(new_employee).post(create_employee))
        .route("/employees/{id}", get(person))
        .route(
            "/employees/{id}/edit",
            get(edit_employee).post(update_employee),
        )
        .route("/employees/{id}/account", post(create_account))
}
