//! Signed PDFs over the API: downloading a document's PDF (or the KONSEP
//! preview of a draft), the public check by code or by uploaded file, and
//! each organisation's letterhead.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serasi_domain::document::SecurityClass;
use serasi_domain::{DocumentId, OrganizationId, wib};
use serasi_store::pdfs::PdfRecord;
use serasi_store::{Actor, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::documents::{actor_of, require_registers};
use crate::AppState;
use crate::auth::{ApiUser, Viewer};
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Tr;
use crate::signing::{self, Verdict};

/// Largest emblem image accepted, in bytes.
pub const MAX_EMBLEM_BYTES: usize = 512 * 1024;

/// Maximum time a sample letter with a new emblem may take to render,
/// because the emblem is printed on every letter of the organisation.
const EMBLEM_RENDER_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

fn pdf_filename(record: Option<&PdfRecord>, id: DocumentId) -> String {
    match record.and_then(|r| r.number.clone()) {
        Some(number) => {
            let safe: String = number
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{safe}.pdf")
        }
        None => format!("konsep-{id}.pdf"),
    }
}

/// Returns the signed PDF of a document `actor` may see, byte for byte
/// as stored; a document without one gets its KONSEP preview.
pub async fn pdf_response(
    state: &AppState,
    t: Tr,
    actor: Actor,
    id: DocumentId,
) -> Result<Response, ApiError> {
    let view = state
        .store()
        .document_for(id, actor, wib::today())
        .await
        .map_err(|e| ApiError::from_store(t, e))?;
    let record = state
        .store()
        .document_pdf(id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let bytes = match &record {
        Some(r) => state
            .files()
            .get(&r.sha256)
            .await
            .map_err(|e| ApiError::internal(&e))?,
        None if view.number.is_some() => {
            // Signed before signed PDFs existed: nothing to hand out.
            return Err(ApiError::not_found(t));
        }
        None => signing::preview(state, id, actor).await?,
    };
    let disposition = format!("inline; filename=\"{}\"", pdf_filename(record.as_ref(), id));
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// Downloads the signed PDF of a document, or the preview (watermarked
/// KONSEP, without a number) while it is not signed.
#[utoipa::path(get, path = "/documents/{id}/pdf", tag = "documents",
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn document_pdf(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let actor = actor_of(&caller)?;
    pdf_response(&state, caller.t, actor, DocumentId::from_uuid(id)).await
}

/// The public check page's facts about a signed document. Rahasia and
/// Sangat Rahasia documents show only validity, number and signer.
#[derive(Serialize, ToSchema)]
pub struct PublicRecordDto {
    /// `valid`, `revoked` (the signer's certificate was revoked) or
    /// `cancelled` (the document was withdrawn after signing).
    pub status: String,
    pub number: Option<String>,
    pub signer_name: String,
    pub confidential: bool,
    /// The following fields are absent for confidential documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub letter_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `local` (the installation's CA) or `bsre`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_through: Option<String>,
}

impl PublicRecordDto {
    pub fn from_record(record: &PdfRecord, status: &str) -> PublicRecordDto {
        let confidential = matches!(
            record.security,
            SecurityClass::Secret | SecurityClass::TopSecret
        );
        let open = |value: String| (!confidential).then_some(value);
        PublicRecordDto {
            status: status.to_owned(),
            number: record.number.clone(),
            signer_name: record.signer_name.clone(),
            confidential,
            letter_date: record.letter_date.clone().and_then(open),
            signer_position: open(record.signer_position.clone()),
            organization_name: open(record.organization_name.clone()),
            kind_name: open(record.kind_name.clone()),
            subject: open(record.subject.clone()),
            sha256: open(record.sha256.clone()),
            signed_through: open(record.backend.clone()),
        }
    }
}

/// Looks up a verification code, as printed in the QR code. No login.
#[utoipa::path(get, path = "/verify/{code}", tag = "verification", security(()),
    responses((status = 200, body = PublicRecordDto), (status = 404, body = ErrorBody)))]
pub async fn verify_code(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Json<PublicRecordDto>, ApiError> {
    let t = viewer.tr();
    if code.len() > 64 {
        return Err(ApiError::not_found(t));
    }
    let record = state
        .store()
        .pdf_by_code(&code)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(|| ApiError::not_found(t))?;
    Ok(Json(PublicRecordDto::from_record(
        &record,
        signing::record_status(&record),
    )))
}

/// One signature found in a checked file.
#[derive(Serialize, ToSchema)]
pub struct SignatureDto {
    pub valid: bool,
    pub intact: bool,
    pub covers_whole_file: bool,
    /// `trusted`, `expired` or `unknown_issuer`.
    pub trust: String,
    pub signer_name: String,
    pub signed_at: Option<String>,
}

/// The verdict on an uploaded file.
#[derive(Serialize, ToSchema)]
pub struct FileCheckDto {
    /// `valid`: a genuine, unchanged document of this installation;
    /// `altered`: signed, but changed after signing; `unknown`: signed by
    /// someone this installation does not know, or a file it never issued;
    /// `unsigned`: a PDF without signatures; `revoked` and `cancelled` as
    /// for a code.
    pub status: String,
    pub sha256: String,
    pub document: Option<PublicRecordDto>,
    pub signatures: Vec<SignatureDto>,
}

impl FileCheckDto {
    pub fn from_verdict(verdict: &Verdict) -> FileCheckDto {
        FileCheckDto {
            status: verdict.status.to_owned(),
            sha256: verdict.sha256.clone(),
            document: verdict
                .record
                .as_ref()
                .map(|r| PublicRecordDto::from_record(r, verdict.status)),
            signatures: verdict
                .signatures
                .iter()
                .map(|s| SignatureDto {
                    valid: s.valid(),
                    intact: s.intact,
                    covers_whole_file: s.covers_whole_file,
                    trust: match s.trust {
                        serasi_pdf::Trust::Trusted => "trusted",
                        serasi_pdf::Trust::Expired => "expired",
                        serasi_pdf::Trust::UnknownIssuer => "unknown_issuer",
                    }
                    .to_owned(),
                    signer_name: s.signer_name.clone(),
                    signed_at: s.signed_at.clone(),
                })
                .collect(),
        }
    }
}

/// Checks an uploaded PDF (the request body, `application/pdf`): whether
/// it is a genuine, unchanged document signed in this installation. No
/// login.
#[utoipa::path(post, path = "/verify", tag = "verification", security(()),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = FileCheckDto), (status = 422, body = ErrorBody)))]
pub async fn verify_file(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Json<FileCheckDto>, ApiError> {
    let t = viewer.tr();
    let verdict = checked(&state, t, body.to_vec()).await?;
    Ok(Json(FileCheckDto::from_verdict(&verdict)))
}

/// Runs the file check and turns an unreadable file into a 422.
pub async fn checked(state: &AppState, t: Tr, bytes: Vec<u8>) -> Result<Verdict, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-verify-empty"),
        )
        .field("file"));
    }
    match signing::check_file(state, bytes).await? {
        Ok(verdict) => Ok(verdict),
        Err(serasi_pdf::VerifyError::NotPdf) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-verify-not-pdf"),
        )
        .field("file")),
        Err(serasi_pdf::VerifyError::TooManySignatures) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.fmt(
                "error-verify-too-many",
                &[("max", &serasi_pdf::verify::MAX_SIGNATURES.to_string())],
            ),
        )
        .field("file")),
        Err(serasi_pdf::VerifyError::Truncated) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-verify-truncated"),
        )
        .field("file")),
    }
}

/// An organisation's letterhead settings.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LetterheadDto {
    /// Address, telephone, web site and e-mail lines under the name.
    pub contact: String,
    /// The place letters are dated at, such as `Ungaran`.
    pub place: String,
    /// SHA-256 of the emblem image, if the organisation set its own.
    #[serde(default)]
    pub emblem_sha256: Option<String>,
}

/// Reads an organisation's letterhead settings.
#[utoipa::path(get, path = "/organizations/{id}/letterhead", tag = "directory",
    responses((status = 200, body = LetterheadDto), (status = 404, body = ErrorBody)))]
pub async fn get_letterhead(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<LetterheadDto>, ApiError> {
    let settings = state
        .store()
        .letterhead(OrganizationId::from_uuid(id))
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    Ok(Json(LetterheadDto {
        contact: settings.contact,
        place: settings.place,
        emblem_sha256: settings.emblem_sha256,
    }))
}

/// Checks letterhead text: at most four contact lines of 160 characters
/// and a place of 60.
pub fn check_letterhead(t: Tr, contact: &str, place: &str) -> Result<(), ApiError> {
    let lines: Vec<&str> = contact.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() > 4 || lines.iter().any(|l| l.chars().count() > 160) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-letterhead-contact"),
        )
        .field("contact"));
    }
    if place.trim().chars().count() > 60 || place.contains(['\n', '\r']) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-letterhead-place"),
        )
        .field("place"));
    }
    Ok(())
}

/// Sets an organisation's contact lines and place (administrators, or the
/// organisation's clerks).
#[utoipa::path(put, path = "/organizations/{id}/letterhead", tag = "directory", request_body = LetterheadDto,
    responses((status = 200, body = LetterheadDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_letterhead(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    super::ApiJson(body): super::ApiJson<LetterheadDto>,
) -> Result<Json<LetterheadDto>, ApiError> {
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    check_letterhead(caller.t, &body.contact, &body.place)?;
    state
        .store()
        .put_letterhead(org, &body.contact, &body.place, None)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    get_letterhead(State(state), caller, Path(id)).await
}

/// Checks and stores an emblem image; returns its hash.
pub async fn store_emblem(state: &AppState, t: Tr, bytes: Vec<u8>) -> Result<String, ApiError> {
    if bytes.is_empty() || bytes.len() > MAX_EMBLEM_BYTES {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-emblem-size"),
        )
        .field("emblem"));
    }
    if serasi_pdf::render::check_emblem(&bytes).is_err() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-emblem-type"),
        )
        .field("emblem"));
    }
    // Filters, embedded images and scripts make an SVG slow to render or
    // reach outside the file; an emblem needs none of them.
    if !bytes.starts_with(b"\x89PNG") && !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
        let forbidden = [
            "<filter",
            "<fe",
            "filter=",
            "<image",
            "<foreignobject",
            "<script",
            "<!entity",
            "<!doctype",
        ];
        if forbidden.iter().any(|f| text.contains(f)) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.get("error-emblem-svg"),
            )
            .field("emblem"));
        }
    }
    // Rendering a small letter with it proves the image decodes, and
    // quickly enough to print on every letter.
    let probe = serasi_pdf::LetterData {
        letterhead: serasi_pdf::Letterhead {
            tiers: vec!["Uji".into()],
            contact: Vec::new(),
            emblem: bytes.clone(),
        },
        layout: "title".into(),
        ..serasi_pdf::LetterData::default()
    };
    let started = std::time::Instant::now();
    let rendered = tokio::task::spawn_blocking(move || serasi_pdf::render(&probe, wib::today()))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if started.elapsed() > EMBLEM_RENDER_BUDGET {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-emblem-slow"),
        )
        .field("emblem"));
    }
    if rendered.is_err() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            t.get("error-emblem-type"),
        )
        .field("emblem"));
    }
    state
        .files()
        .put(&bytes)
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// Replaces an organisation's emblem with the request body (PNG, JPEG or
/// SVG, at most 512 KB).
#[utoipa::path(put, path = "/organizations/{id}/letterhead/emblem", tag = "directory",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = LetterheadDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_emblem(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Json<LetterheadDto>, ApiError> {
    let org = OrganizationId::from_uuid(id);
    require_registers(&state, &caller, org).await?;
    let hash = store_emblem(&state, caller.t, body.to_vec()).await?;
    let current = state
        .store()
        .letterhead(org)
        .await
        .map_err(|e| ApiError::from_store(caller.t, e))?;
    state
        .store()
        .put_letterhead(org, &current.contact, &current.place, Some(Some(hash)))
        .await
        .map_err(|e: StoreError| ApiError::from_store(caller.t, e))?;
    get_letterhead(State(state), caller, Path(id)).await
}
