//! Local stand-in for the BSrE eSign API v2, for tests and for development
//! without access to BSrE. It speaks the protocol that the client in the
//! parent module expects. It signs for real with this crate's signer, so the
//! files it returns pass `crate::verify::check`.
//!
//! The sign endpoint checks, in this order: HTTP Basic credentials (401
//! without a body), a parsable JSON body, a known NIK, the passphrase or TOTP
//! code, an active certificate, and that every file is base64 of a PDF.
//! Rejections use BSrE's error shape `{ "status_code", "error" }`.
//!
//! Public clients handle codes 2011 (user not registered) and 2031 (wrong
//! passphrase). The other codes below are this fake's own, and BSrE may use
//! different ones.
//!
//! The fake computes no TOTP. It accepts the fixed code [`FIXED_TOTP`] for
//! every user.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use const_oid::ObjectIdentifier;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::sign::{SignatureFields, SigningIdentity};
use crate::verify::Trust;

/// TOTP code that the fake accepts for every user.
pub const FIXED_TOTP: &str = "123456";

/// Code for an unknown NIK, as public clients handle it.
const CODE_UNKNOWN_USER: i64 = 2011;
/// Code for a wrong passphrase, as public clients handle it.
const CODE_WRONG_PASSPHRASE: i64 = 2031;
/// Code for a wrong TOTP code (this fake's own).
const CODE_WRONG_TOTP: i64 = 2032;
/// Code for a user without an active certificate (this fake's own).
const CODE_INACTIVE: i64 = 2051;
/// Code for a request body the fake cannot parse (this fake's own).
const CODE_BAD_REQUEST: i64 = 2000;
/// Code for a file that is not base64 of a PDF (this fake's own).
const CODE_BAD_FILE: i64 = 2061;
/// Code for a failure inside the fake (this fake's own).
const CODE_INTERNAL: i64 = 5000;

const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// Maximum request body size. Base64 of a few rendered letters with embedded
/// fonts must fit.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Running fake server. The server stops when this value is dropped.
pub struct FakeBsre {
    pub addr: SocketAddr,
    pub state: Arc<FakeState>,
    task: JoinHandle<()>,
}

impl FakeBsre {
    /// Returns the base URL to put in [`super::BsreConfig`].
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FakeBsre {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for FakeBsre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBsre")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

struct FakeUser {
    passphrase: String,
    active: bool,
}

/// Delay applied to the next few sign requests.
#[derive(Clone, Copy)]
struct PendingDelay {
    remaining: u32,
    duration: Duration,
}

/// Users, switches and counters of one fake server.
pub struct FakeState {
    username: String,
    password: String,
    signer: Arc<SigningIdentity>,
    signer_name: String,
    users: Mutex<HashMap<String, FakeUser>>,
    delay: Mutex<PendingDelay>,
    malformed: AtomicBool,
    sign_calls: AtomicU32,
}

impl std::fmt::Debug for FakeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeState")
            .field("username", &self.username)
            .field("signer_name", &self.signer_name)
            .field("sign_calls", &self.sign_calls())
            .finish_non_exhaustive()
    }
}

impl FakeState {
    /// Registers a user, replacing any user with the same NIK.
    pub fn add_user(&self, nik: &str, passphrase: &str, active: bool) {
        let user = FakeUser {
            passphrase: passphrase.to_owned(),
            active,
        };
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(nik.to_owned(), user);
    }

    /// Makes the next `n` sign requests sleep `delay` before responding.
    pub fn set_delay_first(&self, n: u32, delay: Duration) {
        *self.delay.lock().unwrap_or_else(PoisonError::into_inner) = PendingDelay {
            remaining: n,
            duration: delay,
        };
    }

    /// Makes valid sign requests return HTTP 200 with a body that is not JSON.
    pub fn set_malformed(&self, on: bool) {
        self.malformed.store(on, Ordering::SeqCst);
    }

    /// Returns how many requests reached the sign endpoint, rejected ones included.
    pub fn sign_calls(&self) -> u32 {
        self.sign_calls.load(Ordering::SeqCst)
    }

    fn take_delay(&self) -> Option<Duration> {
        let mut delay = self.delay.lock().unwrap_or_else(PoisonError::into_inner);
        if delay.remaining == 0 {
            return None;
        }
        delay.remaining -= 1;
        Some(delay.duration)
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some(encoded) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        else {
            return false;
        };
        let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Ok(text) = String::from_utf8(decoded) else {
            return false;
        };
        text.split_once(':')
            .is_some_and(|(user, pass)| user == self.username && pass == self.password)
    }

    /// Looks up a user's passphrase and whether their certificate is active.
    fn user(&self, nik: &str) -> Result<(String, bool), Rejection> {
        let users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        match users.get(nik) {
            Some(user) => Ok((user.passphrase.clone(), user.active)),
            None => Err(rejection(
                StatusCode::BAD_REQUEST,
                CODE_UNKNOWN_USER,
                "User tidak terdaftar",
            )),
        }
    }
}

/// Starts a fake on 127.0.0.1 at a free port, signing with `signer`.
pub async fn spawn(
    username: &str,
    password: &str,
    signer: SigningIdentity,
) -> std::io::Result<FakeBsre> {
    let signer_name = common_name(&signer).unwrap_or_else(|| "Penanda Tangan Uji".to_owned());
    let state = Arc::new(FakeState {
        username: username.to_owned(),
        password: password.to_owned(),
        signer: Arc::new(signer),
        signer_name,
        users: Mutex::new(HashMap::new()),
        delay: Mutex::new(PendingDelay {
            remaining: 0,
            duration: Duration::ZERO,
        }),
        malformed: AtomicBool::new(false),
        sign_calls: AtomicU32::new(0),
    });
    let router = Router::new()
        .route("/api/v2/sign/pdf", post(sign))
        .route("/api/v2/user/check/status", post(user_status))
        .route("/api/v2/verify/pdf", post(verify))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(Arc::clone(&state));

    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, %addr, "the fake BSrE server stopped");
        }
    });
    Ok(FakeBsre { addr, state, task })
}

/// Reads the common name from the signer's certificate.
fn common_name(signer: &SigningIdentity) -> Option<String> {
    signer
        .certificate
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == COMMON_NAME)
        .find_map(|atv| {
            atv.value
                .decode_as::<der::asn1::Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    atv.value
                        .decode_as::<der::asn1::PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .ok()
        })
}

/// Rejection that the fake sends in place of a result.
#[derive(Debug)]
enum Rejection {
    /// Wrong or missing HTTP Basic credentials: HTTP 401 without a body.
    Unauthorized,
    /// BSrE's error body with the given HTTP status.
    Error {
        status: StatusCode,
        code: i64,
        message: String,
    },
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Unauthorized => {
                tracing::info!("fake BSrE rejected a request without valid Basic credentials");
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Basic realm=\"esign\"")],
                )
                    .into_response()
            }
            Rejection::Error {
                status,
                code,
                message,
            } => {
                tracing::info!(
                    status = status.as_u16(),
                    code,
                    error = %message,
                    "fake BSrE rejected a request"
                );
                (
                    status,
                    Json(json!({ "status_code": code, "error": message })),
                )
                    .into_response()
            }
        }
    }
}

fn rejection(status: StatusCode, code: i64, message: &str) -> Rejection {
    Rejection::Error {
        status,
        code,
        message: message.to_owned(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    serde_json::from_slice(body).map_err(|e| {
        rejection(
            StatusCode::BAD_REQUEST,
            CODE_BAD_REQUEST,
            &format!("Permintaan tidak valid: {e}"),
        )
    })
}

fn decode_pdf(encoded: &str) -> Result<Vec<u8>, Rejection> {
    let invalid = || {
        rejection(
            StatusCode::BAD_REQUEST,
            CODE_BAD_FILE,
            "Dokumen bukan PDF yang valid",
        )
    };
    let pdf = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    if !pdf.starts_with(b"%PDF-") {
        return Err(invalid());
    }
    Ok(pdf)
}

#[derive(Deserialize)]
struct SignRequest {
    nik: String,
    #[serde(default)]
    passphrase: Option<String>,
    #[serde(default)]
    totp: Option<String>,
    #[serde(default)]
    file: Vec<String>,
    #[serde(default, rename = "signatureProperties")]
    signature_properties: Vec<SignatureProperty>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureProperty {
    #[serde(default)]
    tampilan: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    location: Option<String>,
}

#[derive(Deserialize)]
struct StatusRequest {
    nik: String,
}

#[derive(Deserialize)]
struct VerifyRequest {
    file: String,
}

/// Checks the signer's credential against the stored passphrase or the fixed TOTP.
fn check_credential(request: &SignRequest, passphrase: &str) -> Result<(), Rejection> {
    match (&request.passphrase, &request.totp) {
        (Some(given), _) if given != passphrase => Err(rejection(
            StatusCode::BAD_REQUEST,
            CODE_WRONG_PASSPHRASE,
            "Passphrase anda salah",
        )),
        (Some(_), _) => Ok(()),
        (None, Some(code)) if code != FIXED_TOTP => Err(rejection(
            StatusCode::BAD_REQUEST,
            CODE_WRONG_TOTP,
            "Kode TOTP tidak valid",
        )),
        (None, Some(_)) => Ok(()),
        (None, None) => Err(rejection(
            StatusCode::BAD_REQUEST,
            CODE_BAD_REQUEST,
            "Passphrase atau TOTP wajib diisi",
        )),
    }
}

/// Checks the files and their signature properties, and decodes the files.
fn decode_files(request: &SignRequest) -> Result<Vec<Vec<u8>>, Rejection> {
    if request.file.is_empty() {
        return Err(rejection(
            StatusCode::BAD_REQUEST,
            CODE_BAD_REQUEST,
            "File wajib diisi",
        ));
    }
    let properties = &request.signature_properties;
    if !properties.is_empty() && properties.len() != request.file.len() {
        return Err(rejection(
            StatusCode::BAD_REQUEST,
            CODE_BAD_REQUEST,
            "Jumlah signatureProperties harus sama dengan jumlah file",
        ));
    }
    let unknown = properties
        .iter()
        .filter_map(|p| p.tampilan.as_deref())
        .find(|t| !matches!(*t, "VISIBLE" | "INVISIBLE"));
    if let Some(shown) = unknown {
        return Err(rejection(
            StatusCode::BAD_REQUEST,
            CODE_BAD_REQUEST,
            &format!("Tampilan tidak dikenal: {shown}"),
        ));
    }
    request.file.iter().map(|f| decode_pdf(f)).collect()
}

async fn sign(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    state.sign_calls.fetch_add(1, Ordering::SeqCst);
    if let Some(delay) = state.take_delay() {
        tokio::time::sleep(delay).await;
    }
    if !state.authorized(&headers) {
        return Err(Rejection::Unauthorized);
    }

    let request: SignRequest = parse(&body)?;
    let (passphrase, active) = state.user(&request.nik)?;
    check_credential(&request, &passphrase)?;
    if !active {
        return Err(rejection(
            StatusCode::BAD_REQUEST,
            CODE_INACTIVE,
            "Sertifikat pengguna tidak aktif",
        ));
    }
    let pdfs = decode_files(&request)?;

    if state.malformed.load(Ordering::SeqCst) {
        let truncated = "{\"file\": [\"JVBERi0";
        let content_type = [(header::CONTENT_TYPE, "application/json")];
        return Ok((StatusCode::OK, content_type, truncated).into_response());
    }

    // The image of a VISIBLE request is not drawn, because `crate::sign`
    // only writes an invisible signature field.
    let mut signed = Vec::with_capacity(pdfs.len());
    for (i, pdf) in pdfs.into_iter().enumerate() {
        let property = request.signature_properties.get(i);
        let fields = SignatureFields {
            signer_name: state.signer_name.clone(),
            reason: property.and_then(|p| p.reason.clone()).unwrap_or_default(),
            location: property
                .and_then(|p| p.location.clone())
                .unwrap_or_default(),
            signed_at: OffsetDateTime::now_utc(),
        };
        let signer = Arc::clone(&state.signer);
        let result =
            tokio::task::spawn_blocking(move || crate::sign::sign_pdf(&pdf, &signer, &fields))
                .await;
        match result {
            Ok(Ok(bytes)) => signed.push(STANDARD.encode(bytes)),
            Ok(Err(e)) => {
                return Err(rejection(
                    StatusCode::BAD_REQUEST,
                    CODE_BAD_FILE,
                    &format!("Dokumen tidak dapat ditandatangani: {e}"),
                ));
            }
            Err(e) => {
                return Err(rejection(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    CODE_INTERNAL,
                    &format!("Penandatanganan gagal: {e}"),
                ));
            }
        }
    }

    let response = json!({ "file": signed, "message": "success" });
    Ok((StatusCode::OK, Json(response)).into_response())
}

async fn user_status(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    if !state.authorized(&headers) {
        return Err(Rejection::Unauthorized);
    }
    let request: StatusRequest = parse(&body)?;
    let (_, active) = state.user(&request.nik)?;
    // A public Laravel test fakes "EXPIRED" for a user who cannot sign. The
    // fake uses it for every inactive user.
    let response = if active {
        json!({ "status": "ISSUE", "message": "Pengguna memiliki sertifikat aktif" })
    } else {
        json!({ "status": "EXPIRED", "message": "Sertifikat pengguna tidak aktif" })
    };
    Ok(Json(response).into_response())
}

async fn verify(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    if !state.authorized(&headers) {
        return Err(Rejection::Unauthorized);
    }
    let request: VerifyRequest = parse(&body)?;
    let pdf = decode_pdf(&request.file)?;

    // The signer's chain contains the root that issued it, the trust anchor.
    let signer = Arc::clone(&state.signer);
    let checked =
        tokio::task::spawn_blocking(move || crate::verify::check(&pdf, &signer.chain)).await;
    let checks = match checked {
        Ok(Ok(checks)) => checks,
        Ok(Err(e)) => {
            return Err(rejection(
                StatusCode::BAD_REQUEST,
                CODE_BAD_FILE,
                &format!("Dokumen tidak dapat diperiksa: {e}"),
            ));
        }
        Err(e) => {
            return Err(rejection(
                StatusCode::INTERNAL_SERVER_ERROR,
                CODE_INTERNAL,
                &format!("Pemeriksaan gagal: {e}"),
            ));
        }
    };

    // Earlier signatures of a multiply signed file do not cover the whole
    // file, so only one signature has to.
    let all_sound = checks
        .iter()
        .all(|c| c.intact && c.signature_valid && c.trust == Trust::Trusted);
    let one_covers_file = checks.iter().any(|c| c.covers_whole_file);
    let (conclusion, description) = if checks.is_empty() {
        (
            "NO_SIGNATURE",
            "Dokumen tidak memiliki tanda tangan elektronik",
        )
    } else if all_sound && one_covers_file {
        (
            "VALID",
            "Dokumen valid, sertifikat yang digunakan terpercaya",
        )
    } else {
        ("INVALID", "Dokumen tidak valid atau telah diubah")
    };
    let informations: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            json!({
                "signerName": c.signer_name,
                "signatureDate": c.signed_at,
                "reason": c.reason,
                "certValid": c.trust == Trust::Trusted,
                "docTampered": !c.intact,
            })
        })
        .collect();

    Ok(Json(json!({
        "conclusion": conclusion,
        "description": description,
        "signatureCount": checks.len(),
        "signatureInformations": informations,
    }))
    .into_response())
}
