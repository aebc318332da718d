//! Pages for outgoing documents: the queues, the draft form with autosave
//! and pickers, the document page with its actions and timeline, and the
//! comparison of two revisions.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::{CookieJar, Form};
use serasi_domain::body;
use serasi_domain::document::{DocumentKind, DraftInput, Recipient};
use serasi_domain::wib;
use serasi_domain::{DocumentId, PositionId};
use serasi_store::{
    Actor, DeliveryView, DocumentView, Queue, QueueCounts, SignRequest, StoreError,
};
use serde::Deserialize;
use time::Date;

use super::directory::form_errors;
use super::{Chrome, FieldErrors};
use crate::AppState;
use crate::api::documents::{CompareDto, QueueQuery, compare, load_document, queue_filter};
use crate::auth::{ClientAddr, PageUser, urlencode, with_flash};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;
use crate::messages;

/// Returns the logged-in user as an actor on documents, or a 403 page for
/// an account without an employee record.
fn actor(me: &PageUser) -> Result<Actor, PageError> {
    let employee_id = me.user.employee_id.ok_or(PageError::Forbidden)?;
    Ok(Actor {
        employee_id,
        is_admin: me.is_admin(),
        is_clerk: me.user.role == serasi_domain::user::Role::Clerk,
    })
}

fn parse_iso_date(text: &str) -> Option<Date> {
    Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

struct Tab {
    queue: &'static str,
    label: String,
    count: i64,
    current: bool,
}

struct Row {
    id: String,
    subject: String,
    kind: String,
    number: String,
    state: String,
    urgency: String,
    urgent: bool,
    date: String,
    author: String,
    unread: bool,
    is_copy: bool,
}

#[derive(Template)]
#[template(path = "letters.html")]
struct QueuePage {
    t: Tr,
    c: Chrome,
    tabs: Vec<Tab>,
    queue: &'static str,
    rows: Vec<Row>,
    total: i64,
    kinds: Vec<(String, String)>,
    kind: String,
    urgency: String,
    from: String,
    to: String,
    error: Option<String>,
    prev_url: Option<String>,
    next_url: Option<String>,
    page: u32,
    pages: i64,
    can_dispatch: bool,
}

fn tabs(t: Tr, counts: QueueCounts, current: Queue) -> Vec<Tab> {
    Queue::ALL
        .into_iter()
        .map(|q| Tab {
            queue: q.as_str(),
            label: t.get(&format!("queue-{}", q.as_str())).to_owned(),
            count: match q {
                Queue::Drafts => counts.drafts,
                Queue::ToInitial => counts.to_initial,
                Queue::ToSign => counts.to_sign,
                Queue::Inbox => counts.inbox_unread,
                Queue::Outbox => counts.outbox,
            },
            current: q == current,
        })
        .collect()
}

async fn queues(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let t = me.t();
    let actor = actor(&me)?;
    let today = wib::today();
    let (parsed, error) = match queue_filter(t, &query) {
        Ok(parsed) => (parsed, None),
        Err(e) => (
            (Queue::Inbox, serasi_store::QueueFilter::default()),
            Some(e.message),
        ),
    };
    let (queue, mut filter) = parsed;
    filter.per_page = 25;
    filter.page = filter.page.max(1);
    let store = state.store();
    let page = store
        .queue(actor.employee_id, queue, &filter, today)
        .await?;
    let counts = store.queue_counts(actor.employee_id, today).await?;
    let kinds: Vec<(String, String)> = store
        .document_kinds()
        .await?
        .into_iter()
        .map(|k| (k.code, k.name))
        .collect();
    let rows = page
        .items
        .into_iter()
        .map(|s| Row {
            id: s.id.0.to_string(),
            kind: s.kind_name,
            number: s.number.unwrap_or_default(),
            state: t.get(&format!("state-{}", s.state)).to_owned(),
            urgent: s.urgency != "biasa",
            urgency: t.get(&format!("urgency-{}", s.urgency)).to_owned(),
            date: s
                .letter_date
                .as_deref()
                .and_then(parse_iso_date)
                .map(|d| t.date(d))
                .unwrap_or_else(|| t.datetime(s.updated_at)),
            author: s.author_name,
            unread: queue == Queue::Inbox && s.read_at.is_none(),
            is_copy: s.is_copy == Some(true),
            subject: s.subject,
        })
        .collect();
    let pages = ((page.total + 24) / 25).max(1);
    let base = format!(
        "/letters?queue={}&kind={}&urgency={}&from={}&to={}",
        queue.as_str(),
        urlencode(filter.kind.as_deref().unwrap_or_default()),
        filter.urgency.map(|u| u.as_str()).unwrap_or_default(),
        filter.from.map(|d| d.to_string()).unwrap_or_default(),
        filter.to.map(|d| d.to_string()).unwrap_or_default(),
    );
    let html = QueuePage {
        t,
        c: me.chrome("letters"),
        tabs: tabs(t, counts, queue),
        queue: queue.as_str(),
        rows,
        total: page.total,
        kinds,
        kind: filter.kind.clone().unwrap_or_default(),
        urgency: filter
            .urgency
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default(),
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
        prev_url: (page.page > 1).then(|| format!("{base}&page={}", page.page - 1)),
        next_url: (i64::from(page.page) < pages).then(|| format!("{base}&page={}", page.page + 1)),
        page: page.page,
        pages,
        can_dispatch: me.user.role != serasi_domain::user::Role::Employee,
        error: error.clone(),
    }
    .render()?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(html)).into_response())
}

/// The draft form as submitted. Picked positions and organisations arrive
/// as repeated fields whose values are `p:<id>` or `o:<id>`.
#[derive(Deserialize, Default, Clone)]
struct LetterForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    attachment_count: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    addressee: Vec<String>,
    #[serde(default)]
    external_addressees: String,
    #[serde(default)]
    copy: Vec<String>,
    #[serde(default)]
    external_copies: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    reviewer: Vec<String>,
    #[serde(default)]
    coordinator: Vec<String>,
    #[serde(default)]
    signer: String,
    #[serde(default)]
    base_revision: String,
    /// Identifies a new draft's form across autosaves.
    #[serde(default)]
    draft_key: String,
}

/// A form field that could not be read.
struct BadField(&'static str);

fn pick_recipient(value: &str) -> Option<Recipient> {
    let (prefix, id) = value.trim().split_once(':')?;
    match prefix {
        "p" => Some(Recipient::Position {
            position_id: id.parse().ok()?,
        }),
        "o" => Some(Recipient::Organization {
            organization_id: id.parse().ok()?,
        }),
        _ => None,
    }
}

fn pick_position(value: &str) -> Option<PositionId> {
    match pick_recipient(value)? {
        Recipient::Position { position_id } => Some(position_id),
        _ => None,
    }
}

/// Reads `Name; Address` lines of external recipients.
fn external_lines(text: &str) -> Vec<Recipient> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (name, address) = match line.split_once(';') {
                Some((n, a)) => (
                    n.trim(),
                    Some(a.trim().to_owned()).filter(|a| !a.is_empty()),
                ),
                None => (line, None),
            };
            Recipient::External {
                name: name.to_owned(),
                address,
            }
        })
        .collect()
}

impl LetterForm {
    fn input(&self) -> Result<DraftInput, BadField> {
        let recipients = |field: &'static str, picks: &[String], external: &str| {
            let mut list = picks
                .iter()
                .map(|v| pick_recipient(v).ok_or(BadField(field)))
                .collect::<Result<Vec<_>, _>>()?;
            list.extend(external_lines(external));
            Ok::<_, BadField>(list)
        };
        let positions = |field: &'static str, picks: &[String]| {
            picks
                .iter()
                .map(|v| pick_position(v).ok_or(BadField(field)))
                .collect::<Result<Vec<_>, _>>()
        };
        let attachment_count = match self.attachment_count.trim() {
            "" => None,
            n => Some(n.parse().map_err(|_| BadField("attachment_count"))?),
        };
        let signer_position_id = match self.signer.trim() {
            "" => None,
            v => Some(v.parse().map_err(|_| BadField("signer_position_id"))?),
        };
        Ok(DraftInput {
            kind: self.kind.clone(),
            classification: self.classification.clone(),
            security: Some(self.security.clone()),
            urgency: Some(self.urgency.clone()),
            subject: self.subject.clone(),
            attachment_count,
            addressees: recipients("addressees", &self.addressee, &self.external_addressees)?,
            copies: recipients("copies", &self.copy, &self.external_copies)?,
            body: self.body.clone(),
            signer_position_id,
            reviewers: if self.chain == "custom" {
                Some(positions("reviewers", &self.reviewer)?)
            } else {
                None
            },
            coordinators: positions("reviewers", &self.coordinator)?,
        })
    }

    /// Fills the form from a stored document.
    fn from_view(v: &DocumentView) -> LetterForm {
        let mut form = LetterForm {
            kind: v.kind.clone(),
            classification: v.classification.clone(),
            security: v.security.as_str().to_owned(),
            urgency: v.urgency.as_str().to_owned(),
            subject: v.subject.clone(),
            attachment_count: v.attachment_count.to_string(),
            body: v.body.clone(),
            chain: "custom".to_owned(),
            signer: if v.signer_position_id == v.required_signer_id {
                String::new()
            } else {
                v.signer_position_id.to_string()
            },
            base_revision: v.revision.to_string(),
            ..LetterForm::default()
        };
        let split = |list: &[serasi_store::RecipientView]| {
            let mut picks = Vec::new();
            let mut external = String::new();
            for r in list {
                match &r.recipient {
                    Recipient::Position { position_id } => picks.push(format!("p:{position_id}")),
                    Recipient::Organization { organization_id } => {
                        picks.push(format!("o:{organization_id}"));
                    }
                    Recipient::External { name, address } => {
                        external.push_str(name);
                        if let Some(a) = address {
                            external.push_str("; ");
                            external.push_str(a);
                        }
                        external.push('\n');
                    }
                }
            }
            (picks, external)
        };
        (form.addressee, form.external_addressees) = split(&v.addressees);
        (form.copy, form.external_copies) = split(&v.copies);
        for review in &v.reviews {
            let value = format!("p:{}", review.position_id);
            if review.coordination {
                form.coordinator.push(value);
            } else {
                form.reviewer.push(value);
            }
        }
        form
    }
}

/// A picked recipient or reviewer shown as a ticked checkbox.
pub struct Pick {
    field: &'static str,
    value: String,
    label: String,
}

async fn pick_label(state: &AppState, value: &str) -> Result<Option<String>, PageError> {
    Ok(match pick_recipient(value) {
        Some(Recipient::Position { position_id }) => state
            .store()
            .position_hit(position_id)
            .await?
            .map(|h| position_label(&h)),
        Some(Recipient::Organization { organization_id }) => state
            .store()
            .organization(organization_id)
            .await?
            .map(|o| o.name),
        _ => None,
    })
}

fn position_label(h: &serasi_store::PositionHit) -> String {
    match &h.holder_name {
        Some(holder) => format!("{} — {} ({holder})", h.name, h.organization_name),
        None => format!("{} — {}", h.name, h.organization_name),
    }
}

#[derive(Template)]
#[template(path = "letter_form.html")]
struct FormPage {
    t: Tr,
    c: Chrome,
    heading: String,
    action: String,
    autosave_url: Option<String>,
    form: LetterForm,
    picks: Vec<Pick>,
    kinds: Vec<DocumentKind>,
    signers: Vec<(String, String)>,
    errors: FieldErrors,
    form_error: Option<String>,
    security_options: Vec<(&'static str, String)>,
    urgency_options: Vec<(&'static str, String)>,
}

impl FormPage {
    fn picked(&self, field: &str) -> Vec<&Pick> {
        self.picks.iter().filter(|p| p.field == field).collect()
    }
}

async fn form_page(
    state: &AppState,
    me: &PageUser,
    edit: Option<DocumentId>,
    form: LetterForm,
    errors: FieldErrors,
    form_error: Option<String>,
) -> Result<FormPage, PageError> {
    let t = me.t();
    let store = state.store();
    let mut picks = Vec::new();
    let groups: [(&'static str, &Vec<String>); 4] = [
        ("addressee", &form.addressee),
        ("copy", &form.copy),
        ("reviewer", &form.reviewer),
        ("coordinator", &form.coordinator),
    ];
    for (field, values) in groups {
        for value in values {
            if let Some(label) = pick_label(state, value).await? {
                picks.push(Pick {
                    field,
                    value: value.clone(),
                    label,
                });
            }
        }
    }
    // Besides the head position, positions holding an a.n. or u.b. in
    // force may sign.
    let today = wib::today();
    let mut signers = Vec::new();
    for d in store.delegations().await? {
        let by_position = matches!(
            d.kind,
            serasi_domain::authority::DelegationKind::OnBehalf
                | serasi_domain::authority::DelegationKind::UnderAuthority
        );
        if let (true, true, Some(p)) = (by_position, d.in_force_on(today), d.delegate_position_id)
            && let Some(hit) = store.position_hit(p).await?
            && !signers.iter().any(|(v, _)| *v == p.to_string())
        {
            signers.push((
                p.to_string(),
                format!("{} {}", d.kind.prefix(), position_label(&hit)),
            ));
        }
    }
    if !form.signer.is_empty() && !signers.iter().any(|(v, _)| *v == form.signer) {
        let label = pick_label(state, &format!("p:{}", form.signer))
            .await?
            .unwrap_or_else(|| form.signer.clone());
        signers.push((form.signer.clone(), label));
    }
    let security_options = serasi_domain::document::SecurityClass::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                t.get(&format!("security-{}", s.as_str())).to_owned(),
            )
        })
        .collect();
    let urgency_options = serasi_domain::document::Urgency::ALL
        .iter()
        .map(|u| {
            (
                u.as_str(),
                t.get(&format!("urgency-{}", u.as_str())).to_owned(),
            )
        })
        .collect();
    let kinds = store
        .document_kinds()
        .await?
        .into_iter()
        .filter(|k| k.active || k.code == form.kind)
        .collect();
    Ok(FormPage {
        t,
        c: me.chrome("letters"),
        heading: t
            .get(if edit.is_some() {
                "letter-edit"
            } else {
                "letter-new"
            })
            .to_owned(),
        action: edit.map_or_else(
            || "/letters/new".to_owned(),
            |id| format!("/letters/{id}/edit"),
        ),
        autosave_url: edit.map(|id| format!("/letters/{id}/autosave")),
        form,
        picks,
        kinds,
        signers,
        errors,
        form_error,
        security_options,
        urgency_options,
    })
}

async fn new_form(State(state): State<AppState>, me: PageUser) -> Result<Html<String>, PageError> {
    actor(&me)?;
    let form = LetterForm {
        kind: "nota_dinas".to_owned(),
        chain: "default".to_owned(),
        draft_key: uuid::Uuid::new_v4().to_string(),
        ..LetterForm::default()
    };
    let page = form_page(&state, &me, None, form, FieldErrors::new(), None).await?;
    Ok(Html(page.render()?))
}

/// Validates and saves the form; returns the saved document's id and
/// revision, or the errors to show.
async fn save(
    state: &AppState,
    me: &PageUser,
    edit: Option<DocumentId>,
    form: &LetterForm,
    explicit: bool,
) -> Result<Result<(DocumentId, i64), StoreError>, PageError> {
    let t = me.t();
    let actor = actor(me)?;
    let input = match form.input() {
        Ok(input) => input,
        Err(BadField(field)) => {
            return Ok(Err(serasi_domain::document::DraftError::UnknownValue {
                field,
                value: String::new(),
            }
            .into()));
        }
    };
    let fields = match crate::api::documents::draft_fields(state, t, &input).await {
        Ok(fields) => fields,
        Err(e) if e.status.is_server_error() => return Err(PageError::internal(&e.message)),
        Err(_) => {
            let layout = state
                .store()
                .document_kind(input.kind.trim())
                .await
                .map(|k| k.layout)
                .unwrap_or(serasi_domain::document::Layout::Letter);
            return Ok(match input.validate(layout) {
                Err(e) => Err(e.into()),
                Ok(_) => Err(serasi_store::DocumentRule::UnknownKind(input.kind.clone()).into()),
            });
        }
    };
    let today = wib::today();
    Ok(match edit {
        Some(id) => {
            let base = form.base_revision.trim().parse::<i64>().unwrap_or(0);
            state
                .store()
                .update_draft(id, actor.employee_id, base, &fields, today)
                .await
                .map(|revision| (id, revision))
        }
        None => match uuid::Uuid::parse_str(form.draft_key.trim()) {
            Ok(key) => {
                let save = match form.base_revision.trim().parse::<i64>() {
                    Ok(base) => serasi_store::NewDraftSave::Based(base),
                    Err(_) if explicit => serasi_store::NewDraftSave::Explicit,
                    Err(_) => serasi_store::NewDraftSave::Auto,
                };
                state
                    .store()
                    .save_new_draft(actor.employee_id, &key.to_string(), save, &fields, today)
                    .await
            }
            Err(_) => state
                .store()
                .create_draft(actor.employee_id, &fields, today, false)
                .await
                .map(|id| (id, 1)),
        },
    })
}

async fn save_page(
    state: AppState,
    me: PageUser,
    jar: CookieJar,
    edit: Option<DocumentId>,
    form: LetterForm,
) -> Result<Response, PageError> {
    match save(&state, &me, edit, &form, true).await? {
        Ok((id, _)) => Ok((
            with_flash(jar, "saved"),
            Redirect::to(&format!("/letters/{id}")),
        )
            .into_response()),
        Err(err) => {
            let t = me.t();
            let status = if matches!(err, StoreError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let (errors, form_error) = form_errors(t, err)?;
            let page = form_page(&state, &me, edit, form, errors, form_error).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

async fn create(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Form(form): Form<LetterForm>,
) -> Result<Response, PageError> {
    save_page(state, me, jar, None, form).await
}

async fn edit_form(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<DocumentId>,
) -> Result<Response, PageError> {
    let actor = actor(&me)?;
    let view = state.store().document_for(id, actor, wib::today()).await?;
    if !view.actions.contains(&"edit") {
        return Ok(Redirect::to(&format!("/letters/{id}")).into_response());
    }
    let form = LetterForm::from_view(&view);
    let page = form_page(&state, &me, Some(id), form, FieldErrors::new(), None).await?;
    Ok(Html(page.render()?).into_response())
}

async fn update(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<DocumentId>,
    Form(form): Form<LetterForm>,
) -> Result<Response, PageError> {
    save_page(state, me, jar, Some(id), form).await
}

#[derive(Template)]
#[template(path = "letter_autosave.html")]
struct AutosaveStatus {
    ok: bool,
    message: String,
    revision: String,
    /// Set when the autosave created the draft: the form and the trigger
    /// now point at it.
    autosave_url: Option<String>,
    action: String,
}

/// Saves the draft in the background while the author types. The response
/// replaces the status line and the base revision, so the next save
/// builds on this one. The first autosave of a new draft creates it.
async fn autosave_doc(
    state: AppState,
    me: PageUser,
    edit: Option<DocumentId>,
    form: LetterForm,
) -> Result<Html<String>, PageError> {
    let t = me.t();
    let status = match save(&state, &me, edit, &form, false).await? {
        Ok((id, revision)) => AutosaveStatus {
            ok: true,
            message: t.fmt(
                "autosave-saved",
                &[
                    ("time", &t.datetime(serasi_store::now_ms())),
                    ("revision", &revision.to_string()),
                ],
            ),
            revision: revision.to_string(),
            autosave_url: edit.is_none().then(|| format!("/letters/{id}/autosave")),
            action: format!("/letters/{id}/edit"),
        },
        Err(err) => {
            if !err.is_client_error() {
                return Err(PageError::internal(&err));
            }
            AutosaveStatus {
                ok: false,
                message: t.fmt(
                    "autosave-failed",
                    &[("reason", &messages::store_error(t, &err))],
                ),
                revision: form.base_revision.clone(),
                autosave_url: None,
                action: String::new(),
            }
        }
    };
    Ok(Html(status.render()?))
}

async fn autosave(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<DocumentId>,
    Form(form): Form<LetterForm>,
) -> Result<Html<String>, PageError> {
    autosave_doc(state, me, Some(id), form).await
}

async fn autosave_new(
    State(state): State<AppState>,
    me: PageUser,
    Form(form): Form<LetterForm>,
) -> Result<Html<String>, PageError> {
    autosave_doc(state, me, None, form).await
}

#[derive(Deserialize)]
struct PickQuery {
    #[serde(default)]
    field: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    value: String,
}

fn pick_field(field: &str) -> Option<&'static str> {
    ["addressee", "copy", "reviewer", "coordinator"]
        .into_iter()
        .find(|f| *f == field)
}

#[derive(Template)]
#[template(path = "letter_pick.html")]
struct PickResults {
    t: Tr,
    field: &'static str,
    found: Vec<(String, String)>,
    picked: Option<Pick>,
}

/// Search results of the recipient and reviewer pickers.
async fn pick(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<PickQuery>,
) -> Result<Response, PageError> {
    let t = me.t();
    let Some(field) = pick_field(&query.field) else {
        return Ok(StatusCode::BAD_REQUEST.into_response());
    };
    let q: String = query.q.trim().chars().take(100).collect();
    let mut found: Vec<(String, String)> = Vec::new();
    if q.chars().count() >= 2 {
        for hit in state.store().search_positions(&q, 10).await? {
            found.push((format!("p:{}", hit.id), position_label(&hit)));
        }
        if matches!(field, "addressee" | "copy") {
            let folded = serasi_domain::text::fold(&q);
            let orgs = state.store().organizations().await?;
            for org in orgs
                .into_iter()
                .filter(|o| serasi_domain::text::fold(&o.name).contains(&folded))
                .take(5)
            {
                found.push((
                    format!("o:{}", org.id),
                    format!("{} ({})", org.name, t.get("recipient-head")),
                ));
            }
        }
    }
    let page = PickResults {
        t,
        field,
        found,
        picked: None,
    };
    Ok(Html(page.render()?).into_response())
}

/// Renders one picked entry, appended to the list of picks.
async fn pick_one(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<PickQuery>,
) -> Result<Response, PageError> {
    let t = me.t();
    let Some(field) = pick_field(&query.field) else {
        return Ok(StatusCode::BAD_REQUEST.into_response());
    };
    let Some(label) = pick_label(&state, &query.value).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let page = PickResults {
        t,
        field,
        found: Vec::new(),
        picked: Some(Pick {
            field,
            value: query.value.trim().to_owned(),
            label,
        }),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "letter_codes.html")]
struct CodeOptions {
    codes: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    classification: String,
}

/// `<option>` elements for the classification code field's suggestions.
async fn code_options(
    State(state): State<AppState>,
    _me: PageUser,
    Query(query): Query<CodeQuery>,
) -> Result<Html<String>, PageError> {
    let q: String = query.classification.trim().chars().take(100).collect();
    let codes = if q.is_empty() {
        Vec::new()
    } else {
        state
            .store()
            .search_classifications(&q, 20)
            .await?
            .into_iter()
            .map(|c| (c.code, c.name))
            .collect()
    };
    Ok(Html(CodeOptions { codes }.render()?))
}

struct EventRow {
    at: String,
    actor: String,
    action: String,
    comment: String,
}

struct DeliveryRow {
    label: String,
    person: String,
    is_copy: bool,
    read: String,
}

#[derive(Template)]
#[template(path = "letter.html")]
struct LetterPage {
    t: Tr,
    c: Chrome,
    v: DocumentView,
    state_label: String,
    security_label: String,
    urgency_label: String,
    letter_date: String,
    body_html: String,
    events: Vec<EventRow>,
    deliveries: Vec<DeliveryRow>,
    /// Seq, name, size and, for signed PDFs, the verdict on their
    /// signatures.
    attachments: Vec<(i64, String, String, String)>,
    /// Signatures go through BSrE: the signer types their BSrE passphrase.
    bsre: bool,
    /// The public check page of the signed PDF.
    verify_url: Option<String>,
    today: String,
    error: Option<String>,
    error_field: Option<String>,
    error_link: Option<String>,
}

impl LetterPage {
    fn can(&self, action: &str) -> bool {
        self.v.actions.contains(&action)
    }

    fn addressed(&self) -> String {
        self.v
            .addressees
            .iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn delivery_rows(t: Tr, list: Vec<DeliveryView>) -> Vec<DeliveryRow> {
    list.into_iter()
        .map(|d| DeliveryRow {
            person: d
                .employee_name
                .unwrap_or_else(|| t.get("delivery-no-inbox").to_owned()),
            label: match d.external_address {
                Some(address) => format!("{} — {address}", d.label),
                None => d.label,
            },
            is_copy: d.is_copy,
            read: match d.read_at {
                Some(at) => t.fmt("delivery-read-at", &[("time", &t.datetime(at))]),
                None if d.employee_id.is_some() => t.get("delivery-unread").to_owned(),
                None => t.get("delivery-manual").to_owned(),
            },
        })
        .collect()
}

async fn letter_page(
    state: &AppState,
    me: &PageUser,
    id: DocumentId,
    error: Option<ApiError>,
) -> Result<LetterPage, PageError> {
    let t = me.t();
    let actor = actor(me)?;
    let (v, deliveries, events) = load_document(state, actor, id).await?;
    let mut attachments = Vec::new();
    for a in state.store().document_attachments(id).await? {
        let note = if a.content_type == "application/pdf" {
            signature_note(state, t, &a.sha256).await
        } else {
            String::new()
        };
        attachments.push((a.seq, a.name, size_label(a.size), note));
    }
    let verify_url = state
        .store()
        .document_pdf(id)
        .await?
        .map(|r| crate::signing::verify_url(state, &r.verify_code));
    let events = events
        .into_iter()
        .map(|e| EventRow {
            at: t.datetime(e.at),
            actor: e.actor_name.unwrap_or_default(),
            action: t.get(&format!("event-{}", e.action)).to_owned(),
            comment: e.comment.unwrap_or_default(),
        })
        .collect();
    let error_field = error.as_ref().and_then(|e| e.field.clone());
    let error_link = error
        .as_ref()
        .and_then(|e| e.extra.as_ref())
        .and_then(|x| x.link.clone());
    let error = error.map(|e| e.message);
    Ok(LetterPage {
        t,
        c: me.chrome("letters"),
        state_label: t.get(&format!("state-{}", v.state.as_str())).to_owned(),
        security_label: t
            .get(&format!("security-{}", v.security.as_str()))
            .to_owned(),
        urgency_label: t.get(&format!("urgency-{}", v.urgency.as_str())).to_owned(),
        letter_date: v.letter_date.map(|d| t.date(d)).unwrap_or_default(),
        body_html: body::to_html(&v.body),
        deliveries: delivery_rows(t, deliveries),
        attachments,
        events,
        bsre: matches!(
            state.config().signing.signer,
            crate::signing::SignerChoice::Bsre(_)
        ),
        verify_url,
        today: wib::today().to_string(),
        error,
        error_field,
        error_link,
        v,
    })
}

/// Returns the verdict on a stored PDF attachment's signatures, in one
/// line.
async fn signature_note(state: &AppState, t: Tr, sha256: &str) -> String {
    let Ok(bytes) = state.files().get(sha256).await else {
        return String::new();
    };
    let Some(verdict) = crate::signing::check_attachment(state, bytes).await else {
        return String::new();
    };
    let key = match verdict.status {
        "valid" => "attachment-signature-trusted",
        "revoked" => "attachment-signature-revoked",
        "cancelled" => "attachment-signature-cancelled",
        "altered" => "attachment-signature-altered",
        _ => "attachment-signature-intact",
    };
    let names: Vec<&str> = verdict
        .signatures
        .iter()
        .map(|s| s.signer_name.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    let name = if names.is_empty() {
        "—".to_owned()
    } else {
        names.join(", ")
    };
    t.fmt(key, &[("name", name.as_str())])
}

async fn pdf(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<DocumentId>,
) -> Result<Response, PageError> {
    let actor = actor(&me)?;
    match crate::api::pdfs::pdf_response(&state, me.t(), actor, id).await {
        Ok(response) => Ok(response),
        Err(err) if err.status.is_server_error() => Err(PageError::internal(&err.message)),
        Err(_) => Err(PageError::NotFound),
    }
}

async fn show(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<DocumentId>,
) -> Result<Html<String>, PageError> {
    Ok(Html(letter_page(&state, &me, id, None).await?.render()?))
}

/// Formats a byte count as KB or MB.
fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// Shows an action's failure on the document page, or a page error for
/// server faults.
async fn action_failed(
    state: &AppState,
    me: &PageUser,
    id: DocumentId,
    err: ApiError,
) -> Result<Response, PageError> {
    // An unreachable signing service is reported to the signer, who can
    // try again. Other server faults stay opaque.
    let shown = matches!(
        err.code,
        "signer_unavailable" | "signer_failed" | "ca_unavailable"
    );
    if err.status.is_server_error() && !shown {
        return Err(PageError::internal(&err.message));
    }
    if err.status == StatusCode::NOT_FOUND {
        return Err(PageError::NotFound);
    }
    let status = err.status;
    let page = letter_page(state, me, id, Some(err)).await?;
    Ok((status, Html(page.render()?)).into_response())
}

async fn upload(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path(id): Path<DocumentId>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let t = me.t();
    let actor = actor(&me)?;
    let result = match crate::api::documents::read_upload(&state, t, multipart).await {
        Ok((name, bytes)) => {
            crate::api::documents::attach(&state, t, actor, id, &name, bytes).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok((
            with_flash(jar, "letter-attached"),
            Redirect::to(&format!("/letters/{id}")),
        )
            .into_response()),
        Err(err) => action_failed(&state, &me, id, err).await,
    }
}

async fn download(
    State(state): State<AppState>,
    me: PageUser,
    Path((id, seq)): Path<(DocumentId, i64)>,
) -> Result<Response, PageError> {
    let actor = actor(&me)?;
    match crate::api::documents::download(&state, me.t(), actor, id, seq).await {
        Ok(response) => Ok(response),
        Err(err) if err.status.is_server_error() => Err(PageError::internal(&err.message)),
        Err(_) => Err(PageError::NotFound),
    }
}

async fn remove_file(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    Path((id, seq)): Path<(DocumentId, i64)>,
) -> Result<Response, PageError> {
    let actor = actor(&me)?;
    match state
        .store()
        .remove_attachment(id, actor.employee_id, seq)
        .await
    {
        Ok(()) => Ok((
            with_flash(jar, "deleted"),
            Redirect::to(&format!("/letters/{id}")),
        )
            .into_response()),
        Err(err) => {
            let err = ApiError::from_store(me.t(), err);
            action_failed(&state, &me, id, err).await
        }
    }
}

#[derive(Template)]
#[template(path = "dispatch.html")]
struct DispatchPage {
    t: Tr,
    c: Chrome,
    organizations: Vec<(String, String)>,
    selected: String,
    lines: Vec<serasi_store::DispatchLine>,
}

#[derive(Deserialize)]
struct DispatchQuery {
    org: Option<String>,
}

/// Lists external addressees to send signed letters to by hand (*buku
/// ekspedisi*), for clerks and administrators.
async fn dispatch(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<DispatchQuery>,
) -> Result<Html<String>, PageError> {
    if me.user.role == serasi_domain::user::Role::Employee {
        return Err(PageError::Forbidden);
    }
    let orgs = state.store().organizations().await?;
    let heads: Vec<&serasi_domain::directory::Organization> = orgs
        .iter()
        .filter(|o| {
            use serasi_domain::directory::OrganizationKind as K;
            matches!(
                o.kind,
                K::Agency | K::District | K::Village | K::UrbanVillage
            )
        })
        .collect();
    // Default: the agency, kecamatan or village the clerk works in.
    let own = match me.user.employee_id {
        Some(id) => state.store().employee(id).await?.map(|e| e.organization_id),
        None => None,
    };
    let mut default = None;
    let mut current = own.and_then(|id| orgs.iter().find(|o| o.id == id));
    while let Some(org) = current {
        if heads.iter().any(|h| h.id == org.id) {
            default = Some(org.id);
            break;
        }
        current = org.parent_id.and_then(|p| orgs.iter().find(|o| o.id == p));
    }
    let selected = query
        .org
        .as_deref()
        .and_then(|o| o.parse().ok())
        .or(default);
    let mut allowed = Vec::new();
    for head in &heads {
        if crate::api::documents::keeps_registers(&state, &me.user, head.id).await? {
            allowed.push((head.id.to_string(), head.name.clone()));
        }
    }
    let selected = selected.filter(|o| allowed.iter().any(|(id, _)| *id == o.to_string()));
    let lines = match selected {
        Some(org) => state.store().dispatch_register(org).await?,
        None => Vec::new(),
    };
    Ok(Html(
        DispatchPage {
            t: me.t(),
            c: me.chrome("letters"),
            organizations: allowed,
            selected: selected.map(|o| o.to_string()).unwrap_or_default(),
            lines,
        }
        .render()?,
    ))
}

/// Every field an action form may carry.
#[derive(Deserialize, Default)]
struct ActionForm {
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    letter_date: String,
    #[serde(default)]
    manual_number: String,
}

async fn act(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    ClientAddr(client): ClientAddr,
    Path((id, action)): Path<(DocumentId, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    let t = me.t();
    let actor = actor(&me)?;
    let store = state.store();
    let today = wib::today();
    let comment = Some(form.comment.trim()).filter(|c| !c.is_empty());
    let fail = |e: StoreError| ApiError::from_store(t, e);
    let result: Result<&'static str, ApiError> = match action.as_str() {
        "submit" => store
            .submit_document(id, actor.employee_id, today)
            .await
            .map(|_| "submitted")
            .map_err(fail),
        "initial" => store
            .initial_document(id, actor.employee_id, comment, today)
            .await
            .map(|_| "initialled")
            .map_err(fail),
        "return" => store
            .return_document(id, actor.employee_id, &form.comment, today)
            .await
            .map(|_| "returned")
            .map_err(fail),
        "cancel" => store
            .cancel_document(id, actor, &form.reason, today)
            .await
            .map(|_| "cancelled")
            .map_err(fail),
        "sign" => sign(&state, &me, &client, id, actor, &form).await,
        _ => return Err(PageError::NotFound),
    };
    match result {
        Ok(flash) => {
            super::directory::audit(
                &state,
                &me,
                &format!("document.{action}"),
                "document",
                &id.to_string(),
                serde_json::json!({}),
            )
            .await;
            Ok((
                with_flash(jar, &format!("letter-{flash}")),
                Redirect::to(&format!("/letters/{id}")),
            )
                .into_response())
        }
        Err(err) if action == "sign" && err.status == StatusCode::CONFLICT => {
            // A second click on Sign finds the letter signed by the first.
            let view = state.store().document_for(id, actor, today).await?;
            if view.signed_by == Some(actor.employee_id) {
                Ok((
                    with_flash(jar, "letter-signed"),
                    Redirect::to(&format!("/letters/{id}")),
                )
                    .into_response())
            } else {
                action_failed(&state, &me, id, err).await
            }
        }
        Err(err) => action_failed(&state, &me, id, err).await,
    }
}

/// Confirms the signer's password or TOTP code, then signs.
async fn sign(
    state: &AppState,
    me: &PageUser,
    client: &str,
    id: DocumentId,
    actor: Actor,
    form: &ActionForm,
) -> Result<&'static str, ApiError> {
    let t = me.t();
    let letter_date = match form.letter_date.trim() {
        "" => None,
        text => Some(parse_iso_date(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.fmt(
                    "error-draft-value",
                    &[("field", t.get("field-letter_date")), ("value", text)],
                ),
            )
            .field("letter_date")
        })?),
    };
    let request = SignRequest {
        letter_date,
        manual_number: Some(form.manual_number.clone()),
    };
    let attempt = crate::signing::SignAttempt {
        user: &me.user,
        actor,
        client,
        id,
        request: &request,
        confirm: crate::signing::Confirmation {
            password: Some(form.password.as_str()),
            totp: Some(form.totp.as_str()),
        },
    };
    crate::signing::sign_document(state, t, attempt)
        .await
        .map(|_| "signed")
}

#[derive(Deserialize)]
struct CompareQuery {
    from: Option<i64>,
    to: Option<i64>,
}

#[derive(Template)]
#[template(path = "letter_compare.html")]
struct ComparePage {
    t: Tr,
    c: Chrome,
    id: DocumentId,
    subject: String,
    revisions: Vec<(i64, String)>,
    from: i64,
    to: i64,
    diff: Option<CompareDto>,
}

async fn compare_page(
    State(state): State<AppState>,
    me: PageUser,
    Path(id): Path<DocumentId>,
    Query(query): Query<CompareQuery>,
) -> Result<Html<String>, PageError> {
    let t = me.t();
    let actor = actor(&me)?;
    let view = state.store().document_for(id, actor, wib::today()).await?;
    if !view.participant {
        return Err(PageError::NotFound);
    }
    let revisions: Vec<(i64, String)> = state
        .store()
        .document_revisions(id)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.revision,
                format!(
                    "{} · {} · {}",
                    r.revision,
                    t.datetime(r.saved_at),
                    r.saved_by_name
                ),
            )
        })
        .collect();
    let last = revisions.last().map_or(1, |r| r.0);
    let to = query.to.unwrap_or(last);
    let from = query.from.unwrap_or((to - 1).max(1));
    let diff = compare(&state, actor, id, from, to).await?;
    Ok(Html(
        ComparePage {
            t,
            c: me.chrome("letters"),
            id,
            subject: view.subject,
            revisions,
            from,
            to,
            diff,
        }
        .render()?,
    ))
}

/// Counters for the dashboard; `None` for accounts without an employee.
pub async fn dashboard_counts(
    state: &AppState,
    me: &PageUser,
) -> Result<Option<QueueCounts>, PageError> {
    match me.user.employee_id {
        Some(employee) => Ok(Some(
            state.store().queue_counts(employee, wib::today()).await?,
        )),
        None => Ok(None),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/letters", get(queues))
        .route("/letters/new", get(new_form).post(create))
        .route("/letters/autosave", post(autosave_new))
        .route("/letters/dispatch", get(dispatch))
        .route("/letters/pick", get(pick))
        .route("/letters/pick-one", get(pick_one))
        .route("/letters/codes", get(code_options))
        .route("/letters/{id}", get(show))
        .route("/letters/{id}/edit", get(edit_form).post(update))
        .route("/letters/{id}/autosave", post(autosave))
        .route("/letters/{id}/compare", get(compare_page))
        .route("/letters/{id}/pdf", get(pdf))
        .route("/letters/{id}/attachments", post(upload))
        .route("/letters/{id}/attachments/{seq}", get(download))
        .route("/letters/{id}/attachments/{seq}/delete", post(remove_file))
        .route("/letters/{id}/{action}", post(act))
}
