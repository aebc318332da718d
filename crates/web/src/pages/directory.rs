//! The organisation tree, organisation pages and the forms that edit
//! organisations and positions.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use serasi_domain::directory::{Organization, OrganizationInput, OrganizationKind, PositionInput};
use serasi_domain::text::fold;
use serasi_domain::{EmployeeId, OrganizationId, PositionId};
use serasi_store::StoreError;
use serde::Deserialize;

use super::{Chrome, FieldErrors};
use crate::AppState;
use crate::auth::{PageUser, with_flash};
use crate::error::PageError;
use crate::i18n::Tr;
use crate::messages;

/// An organisation in a list.
pub struct OrgItem {
    pub id: OrganizationId,
    pub name: String,
    pub code: String,
    pub kind_key: String,
}

fn item(org: &Organization) -> OrgItem {
    OrgItem {
        id: org.id,
        name: org.name.clone(),
        code: org.code.clone().unwrap_or_default(),
        kind_key: format!("kind-{}", org.kind),
    }
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    t: Tr,
    c: Chrome,
    query: String,
    matches: Vec<OrgItem>,
    root: Option<OrgItem>,
    agencies: Vec<(OrgItem, Vec<OrgItem>)>,
    districts: Vec<(OrgItem, Vec<OrgItem>)>,
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn directory(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<SearchQuery>,
) -> Result<Html<String>, PageError> {
    let orgs = state.store().organizations().await?;
    let root = orgs.iter().find(|o| o.parent_id.is_none());
    let children_of = |parent: OrganizationId| -> Vec<OrgItem> {
        let mut list: Vec<OrgItem> = orgs
            .iter()
            .filter(|o| o.parent_id == Some(parent))
            .map(item)
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    };
    // Two levels of the tree: each agency with its units, each kecamatan
    // with its villages; deeper levels open on the organisation's page.
    let under_root = |kind: OrganizationKind| -> Vec<(OrgItem, Vec<OrgItem>)> {
        let Some(root) = root else { return Vec::new() };
        children_of(root.id)
            .into_iter()
            .filter(|o| o.kind_key == format!("kind-{kind}"))
            .map(|o| {
                let children = children_of(o.id);
                (o, children)
            })
            .collect()
    };
    let needle = fold(query.q.trim());
    let matches = if needle.is_empty() {
        Vec::new()
    } else {
        orgs.iter()
            .filter(|o| {
                fold(&o.name).contains(&needle)
                    || o.code
                        .as_deref()
                        .is_some_and(|c| c.starts_with(query.q.trim()))
            })
            .take(200)
            .map(item)
            .collect()
    };
    let page = DirectoryPage {
        t: me.t(),
        c: me.chrome("directory"),
        query: query.q.trim().to_owned(),
        matches,
        root: root.map(item),
        agencies: under_root(OrganizationKind::Agency),
        districts: under_root(OrganizationKind::District),
    };
    Ok(Html(page.render()?))
}

/// A position row on an organisation page.
struct PositionLine {
    id: PositionId,
    name: String,
    parent: String,
    holder: Option<(EmployeeId, String)>,
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrganizationPage {
    t: Tr,
    c: Chrome,
    org: Organization,
    kind_key: String,
    ancestors: Vec<OrgItem>,
    children: Vec<OrgItem>,
    positions: Vec<PositionLine>,
    employees: Vec<(EmployeeId, String, String)>,
}

async fn organization(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<OrganizationId>,
) -> Result<Html<String>, PageError> {
    let store = state.store();
    let orgs = store.organizations().await?;
    let org = orgs
        .iter()
        .find(|o| o.id == id)
        .cloned()
        .ok_or(PageError::NotFound)?;

    let mut ancestors = Vec::new();
    let mut cursor = org.parent_id;
    while let Some(parent) = cursor.and_then(|p| orgs.iter().find(|o| o.id == p)) {
        ancestors.insert(0, item(parent));
        cursor = parent.parent_id;
        if ancestors.len() > 32 {
            break;
        }
    }
    let mut children: Vec<OrgItem> = orgs
        .iter()
        .filter(|o| o.parent_id == Some(id))
        .map(item)
        .collect();
    children.sort_by(|a, b| a.name.cmp(&b.name));

    let views = store.positions_of(id).await?;
    let names: HashMap<PositionId, String> = views
        .iter()
        .map(|v| (v.position.id, v.position.name.clone()))
        .collect();
    let positions = views
        .into_iter()
        .map(|v| PositionLine {
            id: v.position.id,
            parent: v
                .position
                .parent_id
                .and_then(|p| names.get(&p).cloned())
                .unwrap_or_default(),
            holder: v.position.holder_id.zip(v.holder_name),
            name: v.position.name,
        })
        .collect();
    let (hits, _) = store.search_employees("", Some(id), 500, 0).await?;
    let employees = hits
        .into_iter()
        .map(|h| {
            (
                h.employee.id,
                h.employee.name,
                h.position_name.unwrap_or_default(),
            )
        })
        .collect();

    let page = OrganizationPage {
        t: me.t(),
        c: me.chrome("directory"),
        kind_key: format!("kind-{}", org.kind),
        org,
        ancestors,
        children,
        positions,
        employees,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "org_form.html")]
struct OrgFormPage {
    t: Tr,
    c: Chrome,
    heading: String,
    action: String,
    form_error: Option<String>,
    errors: FieldErrors,
    name: String,
    code: String,
    kind: String,
    parent_id: String,
    address: String,
    kinds: Vec<(String, String)>,
    parents: Vec<(String, String)>,
    delete_id: Option<OrganizationId>,
}

/// Raw values of the organisation form.
#[derive(Deserialize, Default)]
struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    address: String,
}

async fn org_form_page(
    state: &AppState,
    me: &PageUser,
    edit: Option<OrganizationId>,
    form: OrgForm,
    errors: FieldErrors,
    form_error: Option<String>,
) -> Result<OrgFormPage, PageError> {
    let t = me.t();
    let orgs = state.store().organizations().await?;
    let parents = orgs
        .iter()
        .filter(|o| Some(o.id) != edit)
        .filter(|o| {
            !matches!(
                o.kind,
                OrganizationKind::Village | OrganizationKind::UrbanVillage
            ) || o.kind == OrganizationKind::Unit
        })
        .map(|o| (o.id.to_string(), o.name.clone()))
        .collect();
    let kinds = OrganizationKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_owned(),
                t.get(&format!("kind-{k}")).to_owned(),
            )
        })
        .collect();
    Ok(OrgFormPage {
        t,
        c: me.chrome("directory"),
        heading: t
            .get(if edit.is_some() {
                "org-edit"
            } else {
                "org-new"
            })
            .to_owned(),
        action: edit.map_or_else(|| "/org/new".to_owned(), |id| format!("/org/{id}/edit")),
        form_error,
        errors,
        name: form.name,
        code: form.code,
        kind: form.kind,
        parent_id: form.parent_id,
        address: form.address,
        kinds,
        parents,
        delete_id: edit,
    })
}

#[derive(Deserialize)]
struct NewOrgQuery {
    parent: Option<OrganizationId>,
}

async fn new_org(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<NewOrgQuery>,
) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    let form = OrgForm {
        kind: "unit".into(),
        parent_id: query.parent.map(|p| p.to_string()).unwrap_or_default(),
        ..OrgForm::default()
    };
    let page = org_form_page(&state, &me, None, form, FieldErrors::new(), None).await?;
    Ok(Html(page.render()?))
}

async fn edit_org(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<OrganizationId>,
) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    let org = state
        .store()
        .organization(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let form = OrgForm {
        name: org.name,
        code: org.code.unwrap_or_default(),
        kind: org.kind.as_str().to_owned(),
        parent_id: org.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        address: org.address.unwrap_or_default(),
    };
    let page = org_form_page(&state, &me, Some(id), form, FieldErrors::new(), None).await?;
    Ok(Html(page.render()?))
}

/// Parses an optional id field of a form; empty means none.
pub fn parse_optional_id<T: std::str::FromStr>(value: &str) -> Result<Option<T>, ()> {
    match value.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| ()),
    }
}

/// Turns a store error into form errors, or a page error for server faults.
pub fn form_errors(t: Tr, err: StoreError) -> Result<(FieldErrors, Option<String>), PageError> {
    if !err.is_client_error() {
        return Err(PageError::internal(&err));
    }
    let message = messages::store_error(t, &err);
    Ok(match messages::store_error_field(&err) {
        Some(field) => (FieldErrors::from([(field.to_owned(), message)]), None),
        None => (FieldErrors::new(), Some(message)),
    })
}

async fn save_org(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    edit: Option<Path<OrganizationId>>,
    Form(form): Form<OrgForm>,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let t = me.t();
    let edit = edit.map(|Path(id)| id);
    let Ok(parent_id) = parse_optional_id::<OrganizationId>(&form.parent_id) else {
        let errors = FieldErrors::from([(
            "parent".to_owned(),
            t.get("error-parent-invalid").to_owned(),
        )]);
        let page = org_form_page(&state, &me, edit, form, errors, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let input = OrganizationInput {
        code: Some(form.code.clone()),
        name: form.name.clone(),
        kind: form.kind.clone(),
        parent_id,
        address: Some(form.address.clone()),
    };
    let result = match input.validate() {
        Err(e) => Err(StoreError::Invalid(e)),
        Ok(fields) => match edit {
            Some(id) => state.store().update_organization(id, &fields).await,
            None => state.store().create_organization(&fields, false).await,
        },
    };
    match result {
        Ok(org) => {
            let action = if edit.is_some() {
                "organization.update"
            } else {
                "organization.create"
            };
            audit(
                &state,
                &me,
                action,
                "organization",
                &org.id.to_string(),
                serde_json::json!({ "name": org.name }),
            )
            .await;
            Ok((
                with_flash(jar, "saved"),
                Redirect::to(&format!("/org/{}", org.id)),
            )
                .into_response())
        }
        Err(err) => {
            let (errors, form_error) = form_errors(t, err)?;
            let page = org_form_page(&state, &me, edit, form, errors, form_error).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn create_org(
    state: State<AppState>,
    me: PageUser,
    jar: CookieJar,
    form: Form<OrgForm>,
) -> Result<Response, PageError> {
    save_org(state, me, jar, None, form).await
}

async fn update_org(
    state: State<AppState>,
    me: PageUser,
    jar: CookieJar,
    id: Path<OrganizationId>,
    form: Form<OrgForm>,
) -> Result<Response, PageError> {
    save_org(state, me, jar, Some(id), form).await
}

async fn delete_org(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<OrganizationId>,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let org = state
        .store()
        .organization(id)
        .await?
        .ok_or(PageError::NotFound)?;
    match state.store().delete_organization(id).await {
        Ok(()) => {
            audit(
                &state,
                &me,
                "organization.delete",
                "organization",
                &id.to_string(),
                serde_json::json!({ "name": org.name }),
            )
            .await;
            let back = org
                .parent_id
                .map_or_else(|| "/directory".to_owned(), |p| format!("/org/{p}"));
            Ok((with_flash(jar, "deleted"), Redirect::to(&back)).into_response())
        }
        Err(err) => {
            let t = me.t();
            let (_, message) = form_errors(t, err)?;
            let form = OrgForm {
                name: org.name,
                code: org.code.unwrap_or_default(),
                kind: org.kind.as_str().to_owned(),
                parent_id: org.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                address: org.address.unwrap_or_default(),
            };
            let page =
                org_form_page(&state, &me, Some(id), form, FieldErrors::new(), message).await?;
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
    }
}

/// Records an audit entry; a failure is logged but does not undo the change
/// the user already made.
pub async fn audit(
    state: &AppState,
    me: &PageUser,
    action: &str,
    entity: &str,
    id: &str,
    detail: serde_json::Value,
) {
    if let Err(e) = state
        .store()
        .audit(Some(me.user.id), action, entity, id, detail)
        .await
    {
        tracing::error!(error = %e, action, entity, entity_id = id, "audit record failed");
    }
}

#[derive(Template)]
#[template(path = "position_form.html")]
struct PositionFormPage {
    t: Tr,
    c: Chrome,
    heading: String,
    action: String,
    org_name: String,
    organization_id: OrganizationId,
    form_error: Option<String>,
    errors: FieldErrors,
    name: String,
    parent_id: String,
    holder_id: String,
    parents: Vec<(String, String)>,
    holders: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct PositionForm {
    #[serde(default)]
    organization_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    holder_id: String,
}

async fn position_form_page(
    state: &AppState,
    me: &PageUser,
    org_id: OrganizationId,
    edit: Option<PositionId>,
    form: PositionForm,
    errors: FieldErrors,
    form_error: Option<String>,
) -> Result<PositionFormPage, PageError> {
    let t = me.t();
    let store = state.store();
    let org = store
        .organization(org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    // Parents: positions of this organisation and of its parent, so a unit
    // head can report to the agency head.
    let mut parents = Vec::new();
    for source in std::iter::once(org_id).chain(org.parent_id) {
        for view in store.positions_of(source).await? {
            if Some(view.position.id) != edit {
                parents.push((
                    view.position.id.to_string(),
                    format!("{} — {}", view.position.name, view.organization_name),
                ));
            }
        }
    }
    let (hits, _) = store.search_employees("", Some(org_id), 500, 0).await?;
    let holders = hits
        .into_iter()
        .map(|h| (h.employee.id.to_string(), h.employee.name))
        .collect();
    Ok(PositionFormPage {
        t,
        c: me.chrome("directory"),
        heading: t
            .get(if edit.is_some() {
                "position-edit"
            } else {
                "position-add"
            })
            .to_owned(),
        action: edit.map_or_else(
            || "/positions/new".to_owned(),
            |id| format!("/positions/{id}/edit"),
        ),
        org_name: org.name,
        organization_id: org_id,
        form_error,
        errors,
        name: form.name,
        parent_id: form.parent_id,
        holder_id: form.holder_id,
        parents,
        holders,
    })
}

/// The `?org=` parameter of forms that add to an organisation.
#[derive(Deserialize)]
pub struct OrgQuery {
    pub org: OrganizationId,
}

async fn new_position(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<OrgQuery>,
) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    let page = position_form_page(
        &state,
        &me,
        query.org,
        None,
        PositionForm::default(),
        FieldErrors::new(),
        None,
    )
    .await?;
    Ok(Html(page.render()?))
}

async fn edit_position(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<PositionId>,
) -> Result<Html<String>, PageError> {
    me.require_admin()?;
    let position = state
        .store()
        .position(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let form = PositionForm {
        organization_id: position.organization_id.to_string(),
        name: position.name,
        parent_id: position
            .parent_id
            .map(|p| p.to_string())
            .unwrap_or_default(),
        holder_id: position
            .holder_id
            .map(|h| h.to_string())
            .unwrap_or_default(),
    };
    let page = position_form_page(
        &state,
        &me,
        position.organization_id,
        Some(id),
        form,
        FieldErrors::new(),
        None,
    )
    .await?;
    Ok(Html(page.render()?))
}

async fn save_position(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    edit: Option<Path<PositionId>>,
    Form(form): Form<PositionForm>,
) -> Result<Response, PageError> {
    me.require_admin()?;
    let t = me.t();
    let edit = edit.map(|Path(id)| id);
    let org_id: OrganizationId = form
        .organization_id
        .trim()
        .parse()
        .map_err(|_| PageError::NotFound)?;
    let ids = (
        parse_optional_id::<PositionId>(&form.parent_id),
        parse_optional_id::<EmployeeId>(&form.holder_id),
    );
    let (Ok(parent_id), Ok(holder_id)) = ids else {
        let errors = FieldErrors::from([(
            "parent".to_owned(),
            t.get("error-parent-invalid").to_owned(),
        )]);
        let page = position_form_page(&state, &me, org_id, edit, form, errors, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let input = PositionInput {
        organization_id: Some(org_id),
        name: form.name.clone(),
        parent_id,
        holder_id,
    };
    let result = match input.validate() {
        Err(e) => Err(StoreError::Invalid(e)),
        Ok(fields) => match edit {
            Some(id) => state.store().update_position(id, &fields).await,
            None => state.store().create_position(&fields, false).await,
        },
    };
    match result {
        Ok(position) => {
            let action = if edit.is_some() {
                "position.update"
            } else {
                "position.create"
            };
            audit(
                &state,
                &me,
                action,
                "position",
                &position.id.to_string(),
                serde_json::json!({ "name": position.name }),
            )
            .await;
            Ok((
                with_flash(jar, "saved"),
                Redirect::to(&format!("/org/{org_id}")),
            )
                .into_response())
        }
        Err(err) => {
            let (errors, form_error) = form_errors(t, err)?;
            let page =
                position_form_page(&state, &me, org_id, edit, form, errors, form_error).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn create_position(
    state: State<AppState>,
    me: PageUser,
    jar: CookieJar,
    form: Form<PositionForm>,
) -> Result<Response, PageError> {
    save_position(state, me, jar, None, form).await
}

async fn update_position(
    state: State<AppState>,
    me: PageUser,
    jar: CookieJar,
    id: Path<PositionId>,
    form: Form<PositionForm>,
) -> Result<Response, PageError> {
    save_position(state, me, jar, Some(id), form).await
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/directory", get(directory))
        .route("/org/new", get(new_org).post(create_org))
        .route("/org/{id}", get(organization))
        .route("/org/{id}/edit", get(edit_org).post(update_org))
        .route("/org/{id}/delete", post(delete_org))
        .route("/positions/new", get(new_position).post(create_position))
        .route(
            "/positions/{id}/edit",
            get(edit_position).post(update_position),
        )
}
