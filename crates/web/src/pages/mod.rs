//! Server-rendered pages of the web interface.

mod account;
mod admin;
mod delegations;
mod directory;
mod dispositions;
mod incoming;
mod letterhead;
mod letters;
mod people;
mod registers;
mod verify;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use serasi_domain::user::Role;

use crate::AppState;
use crate::auth::{PageUser, Viewer};
use crate::error::PageError;
use crate::i18n::Tr;

/// Everything the page frame needs: who is logged in, the current
/// section and path, asset URLs and a one-shot notice.
pub struct Chrome {
    pub user: Option<String>,
    pub is_admin: bool,
    /// Administrators and clerks keep registers.
    pub keeps_registers: bool,
    pub section: &'static str,
    pub path: String,
    pub css_url: &'static str,
    pub htmx_url: &'static str,
    pub flash: Option<String>,
}

impl Chrome {
    pub fn new(viewer: &Viewer, section: &'static str, path: &str) -> Chrome {
        let t = viewer.tr();
        Chrome {
            user: viewer.user.as_ref().map(|u| u.username.clone()),
            is_admin: viewer.user.as_ref().is_some_and(|u| u.role == Role::Admin),
            keeps_registers: viewer
                .user
                .as_ref()
                .is_some_and(|u| u.role != Role::Employee),
            section,
            path: path.to_owned(),
            css_url: crate::assets::css_url(),
            htmx_url: crate::assets::htmx_url(),
            flash: viewer
                .flash
                .as_deref()
                .map(|key| t.get(&format!("flash-{key}")).to_owned()),
        }
    }
}

/// A form's field errors, keyed by field name.
pub type FieldErrors = std::collections::HashMap<String, String>;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    t: Tr,
    c: Chrome,
    greeting_name: String,
    today: String,
    counts: Vec<(String, i64)>,
    work: Option<serasi_store::QueueCounts>,
    dispositions: Option<serasi_store::dispositions::DispositionCounts>,
}

async fn dashboard(State(state): State<AppState>, me: PageUser) -> Result<Html<String>, PageError> {
    let t = me.t();
    let stats = state.store().directory_stats().await?;
    let mut counts: Vec<(String, i64)> = stats
        .organizations_by_kind
        .iter()
        .map(|(kind, n)| (t.get(&format!("kind-plural-{kind}")).to_owned(), *n))
        .collect();
    counts.push((t.get("positions").to_owned(), stats.positions));
    counts.push((t.get("employees").to_owned(), stats.employees));

    let greeting_name = match me.user.employee_id {
        Some(id) => state.store().employee(id).await?.map(|e| e.name),
        None => None,
    }
    .unwrap_or_else(|| me.user.username.clone());
    let today = serasi_domain::wib::today();
    let today = match t.locale {
        crate::i18n::Locale::Id => serasi_domain::wib::format_date_id(today),
        crate::i18n::Locale::En => serasi_domain::wib::format_date_en(today),
    };
    let page = Dashboard {
        t,
        c: me.chrome("home"),
        greeting_name,
        today,
        counts,
        work: letters::dashboard_counts(&state, &me).await?,
        dispositions: match crate::api::documents::actor_of_user(&me.user) {
            Some(actor) => Some(
                state
                    .store()
                    .disposition_counts(actor, time::OffsetDateTime::now_utc())
                    .await?,
            ),
            None => None,
        },
    };
    Ok(Html(page.render()?))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .merge(directory::routes())
        .merge(people::routes())
        .merge(letters::routes())
        .merge(delegations::routes())
        .merge(account::routes())
        .merge(admin::routes())
        .merge(verify::routes())
        .merge(incoming::routes())
        .merge(dispositions::routes())
        .merge(registers::routes())
        .merge(letterhead::routes())
}
