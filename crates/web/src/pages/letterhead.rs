//! Letterhead settings (`/letterhead`): each organisation's contact lines,
//! the place its letters are dated and its emblem, edited by
//! administrators and the organisation's clerks, with a sample PDF.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use serasi_domain::directory::OrganizationKind;
use serasi_domain::{OrganizationId, body, wib};
use serde::Deserialize;

use super::Chrome;
use crate::AppState;
use crate::api::pdfs::{check_letterhead, store_emblem};
use crate::auth::{PageUser, with_flash};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "letterhead.html")]
struct LetterheadPage {
    t: Tr,
    c: Chrome,
    /// Organisations the user may edit: id and name.
    choices: Vec<(OrganizationId, String)>,
    selected: Option<OrganizationId>,
    contact: String,
    place: String,
    has_emblem: bool,
    tiers: Vec<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct OrgQuery {
    org: Option<OrganizationId>,
}

async fn editable(
    state: &AppState,
    me: &PageUser,
) -> Result<Vec<(OrganizationId, String)>, PageError> {
    let mut out = Vec::new();
    for org in state.store().organizations().await? {
        if org.kind == OrganizationKind::Unit {
            continue;
        }
        if crate::api::documents::keeps_registers(state, &me.user, org.id).await? {
            out.push((org.id, org.name));
        }
    }
    Ok(out)
}

async fn page(
    state: &AppState,
    me: &PageUser,
    selected: Option<OrganizationId>,
    error: Option<String>,
) -> Result<LetterheadPage, PageError> {
    let choices = editable(state, me).await?;
    if choices.is_empty() {
        return Err(PageError::Forbidden);
    }
    let selected = selected
        .filter(|s| choices.iter().any(|(id, _)| id == s))
        .or_else(|| (choices.len() == 1).then(|| choices[0].0));
    let (contact, place, has_emblem, tiers) = match selected {
        Some(org) => {
            let settings = state.store().letterhead(org).await?;
            let kop = state.store().kop_for(org).await?;
            (
                settings.contact,
                settings.place,
                settings.emblem_sha256.is_some(),
                kop.tiers,
            )
        }
        None => (String::new(), String::new(), false, Vec::new()),
    };
    Ok(LetterheadPage {
        t: me.t(),
        c: me.chrome("admin"),
        choices,
        selected,
        contact,
        place,
        has_emblem,
        tiers,
        error,
    })
}

async fn show(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<OrgQuery>,
) -> Result<Html<String>, PageError> {
    Ok(Html(page(&state, &me, query.org, None).await?.render()?))
}

struct Submitted {
    org: Option<OrganizationId>,
    contact: String,
    place: String,
    emblem: Option<Vec<u8>>,
    remove_emblem: bool,
}

async fn read_form(t: Tr, mut multipart: Multipart) -> Result<Submitted, ApiError> {
    let mut form = Submitted {
        org: None,
        contact: String::new(),
        place: String::new(),
        emblem: None,
        remove_emblem: false,
    };
    let bad = |_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            t.get("error-bad-form"),
        )
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "org" => form.org = field.text().await.map_err(bad)?.parse().ok(),
            "contact" => form.contact = field.text().await.map_err(bad)?,
            "place" => form.place = field.text().await.map_err(bad)?,
            "remove_emblem" => form.remove_emblem = true,
            "emblem" => {
                let bytes = field.bytes().await.map_err(bad)?;
                if !bytes.is_empty() {
                    form.emblem = Some(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok(form)
}

async fn save(
    State(state): State<AppState>,
    me: PageUser,
    jar: CookieJar,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let t = me.t();
    let form = match read_form(t, multipart).await {
        Ok(form) => form,
        Err(e) => {
            let page = page(&state, &me, None, Some(e.message)).await?;
            return Ok((e.status, Html(page.render()?)).into_response());
        }
    };
    let Some(org) = form.org else {
        return Err(PageError::NotFound);
    };
    if !crate::api::documents::keeps_registers(&state, &me.user, org).await? {
        return Err(PageError::Forbidden);
    }
    let result = async {
        check_letterhead(t, &form.contact, &form.place)?;
        let emblem = match form.emblem {
            Some(bytes) => Some(Some(store_emblem(&state, t, bytes).await?)),
            None if form.remove_emblem => Some(None),
            None => None,
        };
        state
            .store()
            .put_letterhead(org, &form.contact, &form.place, emblem)
            .await
            .map_err(|e| ApiError::from_store(t, e))
    }
    .await;
    match result {
        Ok(()) => Ok((
            with_flash(jar, "letterhead-saved"),
            Redirect::to(&format!("/letterhead?org={org}")),
        )
            .into_response()),
        Err(e) if e.status.is_server_error() => Err(PageError::internal(&e.message)),
        Err(e) => {
            let mut page = page(&state, &me, Some(org), Some(e.message)).await?;
            page.contact = form.contact;
            page.place = form.place;
            Ok((e.status, Html(page.render()?)).into_response())
        }
    }
}

/// Renders a sample letter under the organisation's kop, as the PDF
/// would print it.
async fn sample(
    State(state): State<AppState>,
    me: PageUser,
    Query(query): Query<OrgQuery>,
) -> Result<Response, PageError> {
    let Some(org) = query.org else {
        return Err(PageError::NotFound);
    };
    if !crate::api::documents::keeps_registers(&state, &me.user, org).await? {
        return Err(PageError::Forbidden);
    }
    let kop = state.store().kop_for(org).await?;
    let emblem = match &kop.emblem_sha256 {
        Some(hash) => state
            .files()
            .get(hash)
            .await
            .map_err(|e| PageError::internal(&e))?,
        None => Vec::new(),
    };
    let letter = serasi_pdf::LetterData {
        letterhead: serasi_pdf::Letterhead {
            tiers: kop.tiers,
            contact: kop.contact,
            emblem,
        },
        layout: "letter".into(),
        title: "Surat Dinas".into(),
        place: kop.place,
        date: wib::format_date_id(wib::today()),
        security: "Biasa".into(),
        urgency: "Biasa".into(),
        attachments: "-".into(),
        subject: "Contoh kop surat".into(),
        addressees: vec!["Bupati Semarang".into()],
        body: body::parse("Naskah ini hanya contoh tampilan kop surat."),
        signature_lines: vec!["Kepala,".into()],
        signer_name: "Nama Pejabat".into(),
        draft: true,
        ..serasi_pdf::LetterData::default()
    };
    let pdf = tokio::task::spawn_blocking(move || serasi_pdf::render(&letter, wib::today()))
        .await
        .map_err(|e| PageError::internal(&e))?
        .map_err(|e| PageError::internal(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"contoh-kop.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/letterhead", get(show).post(save))
        .route("/letterhead/sample.pdf", get(sample))
}
