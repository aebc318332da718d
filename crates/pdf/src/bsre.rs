//! Client for the BSrE eSign API v2 and a local fake of it for tests.
//!
//! BSrE (Balai Sertifikasi Elektronik, BSSN) signs on its own servers. The
//! client sends the PDF, the signer's NIK and their passphrase or TOTP code,
//! and receives the signed PDF. No public specification of the v2 responses
//! was found, so the shapes below follow public client code.
//!
//! - Paths and request bodies follow `taufiqurrohmansuwarto/rumahASN`,
//!   `utils/esign-utils.js`: `POST /api/v2/sign/pdf` with `nik`,
//!   `passphrase`, `file[]` and `signatureProperties[]`,
//!   `POST /api/v2/user/check/status` with `{ "nik" }`, and
//!   `POST /api/v2/verify/pdf` with `{ "file" }`.
//! - Errors: that file reads `status_code` and `error` from the body of a
//!   non-2xx response. Another public PHP client maps `status_code` 2011 to
//!   "user not registered" and 2031 to "Passphrase anda salah".
//! - A signing success is `{ "file": ["<base64>"] }`, as the Laravel test
//!   `tests/Feature/Esign/SignWorkflowTest.php` of a public project fakes it.
//!   That test cites the BSrE guide "Petunjuk Teknis API Esign Client
//!   Service v2.2.1".
//! - User status: the same test fakes `{ "status": "ISSUE" }` for a usable
//!   certificate and `{ "status": "EXPIRED" }` for one that blocks signing.
//!   Every status word other than `ISSUE` counts as inactive here.
//! - Verification: `{ "conclusion": "VALID", "description", ... }`, as a
//!   public CodeIgniter mock and a web front end read it.
//!
//! NOTE: the verification response comes from a mock and a front end, not
//! from BSrE. Check it against the real service before relying on it.
//!
//! The parsers also accept `message` in place of `error` and a
//! `status_code` given as text. A small difference in the real service then
//! still gives `Rejected` with the provider's reason, not `Malformed`.

pub mod fake;

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

const SIGN_PATH: &str = "/api/v2/sign/pdf";
const STATUS_PATH: &str = "/api/v2/user/check/status";
const VERIFY_PATH: &str = "/api/v2/verify/pdf";
/// Status word of a user whose certificate is issued and usable.
const ACTIVE_STATUS: &str = "ISSUE";
/// Backoff unit: the pause before attempt `n + 1` is `n` times this.
const BACKOFF_STEP: Duration = Duration::from_millis(200);
/// Maximum number of characters of an unparsable error body kept in a message.
const BODY_EXCERPT: usize = 200;

/// Settings for reaching the signing service.
#[derive(Clone)]
pub struct BsreConfig {
    /// Base URL such as `https://esign.example.go.id`. A trailing `/` is ignored.
    pub base_url: String,
    /// HTTP Basic username that BSrE issued to this installation.
    pub username: String,
    pub password: String,
    /// Limit for one attempt, from connecting to the last byte of the response.
    pub timeout: Duration,
    /// Maximum number of tries when the service is unreachable or times out (at least 1).
    pub attempts: u32,
}

impl std::fmt::Debug for BsreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BsreConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// Secret with which the signer unlocks their key at BSrE.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Passphrase(String),
    /// One-time code from `/api/v2/sign/get/totp` or the signer's app.
    Totp(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            Credential::Totp(_) => f.write_str("Totp(<redacted>)"),
        }
    }
}

/// Request to sign one PDF for one signer.
#[derive(Clone)]
pub struct SignPdfRequest {
    /// The signer's 16-digit NIK, as registered at BSrE.
    pub nik: String,
    pub credential: Credential,
    pub pdf: Vec<u8>,
    /// Placement of the signature image. `None` signs invisibly.
    pub visible: Option<VisibleMark>,
    pub reason: String,
    pub location: String,
}

impl std::fmt::Debug for SignPdfRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignPdfRequest")
            .field("nik", &mask_nik(&self.nik))
            .field("credential", &self.credential)
            .field("pdf_bytes", &self.pdf.len())
            .field("visible", &self.visible)
            .field("reason", &self.reason)
            .field("location", &self.location)
            .finish()
    }
}

/// Visible signature image on one page, sent as BSrE's `page`, `originX`,
/// `originY`, `width` and `height`.
///
/// NOTE: which corner BSrE measures `originX`/`originY` from, and in which
/// unit, is not confirmed. The fake ignores the placement.
#[derive(Clone, PartialEq)]
pub struct VisibleMark {
    /// Page number, counted from 1.
    pub page: u32,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub image_png: Vec<u8>,
}

impl std::fmt::Debug for VisibleMark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisibleMark")
            .field("page", &self.page)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("image_png_bytes", &self.image_png.len())
            .finish()
    }
}

/// Certificate status of one user at BSrE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserStatus {
    /// Whether the user has a certificate they can sign with now.
    pub active: bool,
    /// The provider's message, or its status word when it sent no message.
    pub message: String,
}

/// The provider's verdict on the signatures in a PDF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BsreVerdict {
    pub valid: bool,
    pub summary: String,
}

/// Failure of a call to BSrE.
#[derive(Debug, thiserror::Error)]
pub enum BsreError {
    /// The provider rejected the request (wrong passphrase, unknown NIK,
    /// inactive certificate). `message` is the provider's own reason, meant
    /// for the signer.
    #[error("{message}")]
    Rejected { code: Option<i64>, message: String },
    /// The service was unreachable or timed out on every attempt.
    #[error("the signing service is unavailable: {0}")]
    Unavailable(String),
    /// A success response that cannot be parsed, or a returned file that is
    /// not a PDF.
    #[error("the signing service sent an invalid response: {0}")]
    Malformed(String),
    /// Invalid settings: a bad URL, client credentials the service rejects,
    /// or a missing endpoint.
    #[error("the signing service settings are invalid: {0}")]
    Config(String),
}

/// Client for one BSrE installation. Cloning it is cheap.
#[derive(Clone)]
pub struct BsreClient {
    http: reqwest::Client,
    base_url: String,
    username: String,
    password: String,
    attempts: u32,
}

impl std::fmt::Debug for BsreClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BsreClient")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct SignBody<'a> {
    nik: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    passphrase: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp: Option<&'a str>,
    file: [String; 1],
    #[serde(rename = "signatureProperties")]
    signature_properties: [SignatureProperties<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignatureProperties<'a> {
    /// Either `VISIBLE` or `INVISIBLE`.
    tampilan: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_x: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_y: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<f32>,
    location: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct NikBody<'a> {
    nik: &'a str,
}

#[derive(Serialize)]
struct FileBody {
    file: String,
}

#[derive(Deserialize)]
struct SignResponse {
    file: Vec<String>,
}

#[derive(Deserialize)]
struct StatusResponse {
    status: String,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyResponse {
    conclusion: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    signature_count: Option<u64>,
}

/// Error body such as `{ "status_code": 2031, "error": "Passphrase anda salah" }`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    status_code: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<serde_json::Value>,
}

impl ErrorBody {
    /// Parses the provider's code and reason from an error body. With
    /// `require_error`, a body without an `error` field gives `None`.
    fn parse(body: &[u8], require_error: bool) -> Option<(Option<i64>, String)> {
        let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
        if require_error && matches!(parsed.error, None | Some(serde_json::Value::Null)) {
            return None;
        }

        let code = parsed.status_code.as_ref().and_then(|value| match value {
            serde_json::Value::Number(number) => number.as_i64(),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        });
        let text = |value: &Option<serde_json::Value>| match value {
            Some(serde_json::Value::String(text)) if !text.trim().is_empty() => {
                Some(text.trim().to_owned())
            }
            Some(serde_json::Value::String(_) | serde_json::Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };

        // BSrE puts its reason in `error`. A body without `status_code` is
        // more likely a framework's error page, whose `error` is only the
        // HTTP reason phrase, so `message` comes first there.
        let message = if code.is_some() {
            text(&parsed.error).or_else(|| text(&parsed.message))
        } else {
            text(&parsed.message).or_else(|| text(&parsed.error))
        }?;
        Some((code, message))
    }
}

/// Replaces every character of a NIK but the last four with `*`.
fn mask_nik(nik: &str) -> String {
    let count = nik.chars().count();
    nik.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < count { '*' } else { c })
        .collect()
}

/// Returns the start of a body as trimmed text, for error messages.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    match trimmed.char_indices().nth(BODY_EXCERPT) {
        Some((at, _)) => format!("{}…", &trimmed[..at]),
        None => trimmed.to_owned(),
    }
}

/// Decodes a base64 file and checks that it is a PDF.
fn decode_pdf(encoded: &str) -> Result<Vec<u8>, BsreError> {
    // MIME encoders wrap base64 at 76 columns, and the line breaks carry no data.
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let pdf = STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| BsreError::Malformed(format!("the returned file is not valid base64: {e}")))?;
    if !pdf.starts_with(b"%PDF-") {
        let start = excerpt(pdf.get(..16).unwrap_or(&pdf));
        return Err(BsreError::Malformed(format!(
            "the returned file is not a PDF (it starts with {start:?})"
        )));
    }
    Ok(pdf)
}

/// Status and body of one HTTP response, before interpretation.
struct RawResponse {
    status: StatusCode,
    body: Vec<u8>,
}

impl RawResponse {
    /// Tells whether another attempt may help: a gateway error or rate limit
    /// without a JSON error body from BSrE.
    fn is_transient(&self) -> bool {
        let gateway = matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS
                | StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT
        );
        gateway && ErrorBody::parse(&self.body, false).is_none()
    }
}

impl BsreClient {
    /// Builds a client, or returns `Config` when the settings cannot work.
    pub fn new(config: BsreConfig) -> Result<Self, BsreError> {
        let base_url = config.base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(BsreError::Config(format!(
                "invalid base URL {base_url:?}: it must start with https:// or http://"
            )));
        }
        if config.attempts == 0 {
            return Err(BsreError::Config(
                "invalid number of attempts 0: set at least 1".to_owned(),
            ));
        }
        if config.timeout.is_zero() {
            return Err(BsreError::Config(
                "invalid timeout 0: set a positive duration".to_owned(),
            ));
        }

        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| BsreError::Config(format!("failed to build the HTTP client: {e}")))?;
        Ok(BsreClient {
            http,
            base_url,
            username: config.username,
            password: config.password,
            attempts: config.attempts,
        })
    }

    /// Signs one PDF at BSrE and returns the signed file.
    pub async fn sign_pdf(&self, request: &SignPdfRequest) -> Result<Vec<u8>, BsreError> {
        let (passphrase, totp) = match &request.credential {
            Credential::Passphrase(p) => (Some(p.as_str()), None),
            Credential::Totp(t) => (None, Some(t.as_str())),
        };
        let properties = match &request.visible {
            Some(mark) => SignatureProperties {
                tampilan: "VISIBLE",
                image_base64: Some(STANDARD.encode(&mark.image_png)),
                page: Some(mark.page),
                origin_x: Some(mark.x),
                origin_y: Some(mark.y),
                width: Some(mark.width),
                height: Some(mark.height),
                location: &request.location,
                reason: &request.reason,
            },
            None => SignatureProperties {
                tampilan: "INVISIBLE",
                image_base64: None,
                page: None,
                origin_x: None,
                origin_y: None,
                width: None,
                height: None,
                location: &request.location,
                reason: &request.reason,
            },
        };
        let body = SignBody {
            nik: &request.nik,
            passphrase,
            totp,
            file: [STANDARD.encode(&request.pdf)],
            signature_properties: [properties],
        };

        let response = self.post(SIGN_PATH, Some(&request.nik), &body).await?;
        let parsed: SignResponse = Self::interpret(SIGN_PATH, &response)?;
        match parsed.file.as_slice() {
            [one] => decode_pdf(one),
            files => Err(BsreError::Malformed(format!(
                "expected one signed file, the response contains {}",
                files.len()
            ))),
        }
    }

    /// Asks whether the user with this NIK has an active certificate.
    ///
    /// Calls `POST /api/v2/user/check/status` with `{ "nik" }` as the public
    /// v2 clients do. API v1 had `GET /api/user/status/{nik}` instead.
    pub async fn user_status(&self, nik: &str) -> Result<UserStatus, BsreError> {
        let response = self.post(STATUS_PATH, Some(nik), &NikBody { nik }).await?;
        let parsed: StatusResponse = Self::interpret(STATUS_PATH, &response)?;
        let status = parsed.status.trim();
        let message = parsed
            .message
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| status.to_owned());
        Ok(UserStatus {
            active: status.eq_ignore_ascii_case(ACTIVE_STATUS),
            message,
        })
    }

    /// Asks BSrE to check the signatures in a PDF.
    pub async fn verify_pdf(&self, pdf: &[u8]) -> Result<BsreVerdict, BsreError> {
        let body = FileBody {
            file: STANDARD.encode(pdf),
        };
        let response = self.post(VERIFY_PATH, None, &body).await?;
        let parsed: VerifyResponse = Self::interpret(VERIFY_PATH, &response)?;
        let conclusion = parsed.conclusion.trim();
        let description = parsed.description.as_deref().map(str::trim);
        let summary = match (description, parsed.signature_count) {
            (Some(d), _) if !d.is_empty() => d.to_owned(),
            (_, Some(n)) => format!("{conclusion} ({n} signatures)"),
            _ => conclusion.to_owned(),
        };
        Ok(BsreVerdict {
            valid: conclusion.eq_ignore_ascii_case("VALID"),
            summary,
        })
    }

    /// Parses a 2xx response as `T` and turns any other response into the
    /// matching error.
    fn interpret<T: serde::de::DeserializeOwned>(
        path: &str,
        response: &RawResponse,
    ) -> Result<T, BsreError> {
        let status = response.status;
        if status.is_success() {
            return match serde_json::from_slice::<T>(&response.body) {
                Ok(parsed) => Ok(parsed),
                // Some deployments send an error body with HTTP 200, and it is
                // still a rejection.
                Err(e) => match ErrorBody::parse(&response.body, true) {
                    Some((code, message)) => Err(Self::rejected(path, code, message)),
                    None => Err(BsreError::Malformed(format!("{path}: {e}"))),
                },
            };
        }

        if let Some((code, message)) = ErrorBody::parse(&response.body, false) {
            if status == StatusCode::UNAUTHORIZED {
                return Err(BsreError::Config(format!(
                    "the service rejected the BSrE username or password: {message}"
                )));
            }
            return Err(Self::rejected(path, code, message));
        }

        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(BsreError::Config(format!(
                "the service rejected the BSrE username or password (HTTP {})",
                status.as_u16()
            ))),
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
                Err(BsreError::Config(format!(
                    "{path} not found at this base URL (HTTP {}); check the BSrE base URL",
                    status.as_u16()
                )))
            }
            _ => {
                let text = excerpt(&response.body);
                let message = if text.is_empty() {
                    format!("HTTP {}", status.as_u16())
                } else {
                    format!("HTTP {}: {text}", status.as_u16())
                };
                Err(Self::rejected(path, None, message))
            }
        }
    }

    fn rejected(path: &str, code: Option<i64>, message: String) -> BsreError {
        tracing::info!(path, code, error = %message, "bsre rejected the request");
        BsreError::Rejected { code, message }
    }

    /// Posts `body` as JSON and retries when the service is unreachable, times
    /// out, or a gateway in front of it fails.
    ///
    /// BSrE may have signed already when a signing call times out, so a retry
    /// can leave two signings in the provider's log. Only the file from the
    /// last attempt reaches the caller.
    async fn post<B: Serialize>(
        &self,
        path: &str,
        nik: Option<&str>,
        body: &B,
    ) -> Result<RawResponse, BsreError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| BsreError::Config(format!("failed to encode the request: {e}")))?;
        let url = format!("{}{path}", self.base_url);
        let masked = nik.map(mask_nik).unwrap_or_else(|| "-".to_owned());
        let mut last_failure = String::new();

        for attempt in 1..=self.attempts {
            if attempt > 1 {
                tokio::time::sleep(BACKOFF_STEP * (attempt - 1)).await;
            }
            let started = Instant::now();
            let outcome = self.send(&url, payload.clone()).await;
            let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

            let error = match outcome {
                Ok(response) => {
                    tracing::info!(
                        path,
                        status = response.status.as_u16(),
                        duration_ms,
                        nik = %masked,
                        attempt,
                        "bsre call"
                    );
                    if !response.is_transient() {
                        return Ok(response);
                    }
                    last_failure = format!("HTTP {}", response.status.as_u16());
                    continue;
                }
                Err(e) => e.without_url(),
            };
            if error.is_builder() {
                return Err(BsreError::Config(format!(
                    "failed to build the request: {error}"
                )));
            }
            let kind = if error.is_timeout() {
                "timeout"
            } else if error.is_connect() {
                "connect"
            } else {
                "transport"
            };
            tracing::warn!(
                path,
                duration_ms,
                nik = %masked,
                attempt,
                kind,
                error = %error,
                "bsre call failed"
            );
            last_failure = if error.is_timeout() {
                "timed out".to_owned()
            } else {
                error.to_string()
            };
        }

        Err(BsreError::Unavailable(format!(
            "{path}: {last_failure} after {} attempts",
            self.attempts
        )))
    }

    async fn send(&self, url: &str, payload: Vec<u8>) -> Result<RawResponse, reqwest::Error> {
        let response = self
            .http
            .post(url)
            .basic_auth(&self.username, Some(&self.password))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(payload)
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?.to_vec();
        Ok(RawResponse { status, body })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::fake::{self, FakeBsre};
    use super::*;
    use crate::ca::{Authority, SignerSubject};

    const NIK: &str = "3322014509860001";
    const INACTIVE_NIK: &str = "3322015003900002";
    const UNKNOWN_NIK: &str = "3322010101900009";
    const PASSPHRASE: &str = "rahasia-tte";
    const USER: &str = "serasi";
    const PASSWORD: &str = "client-secret";

    struct Setup {
        fake: FakeBsre,
        root: x509_cert::Certificate,
        pdf: Vec<u8>,
    }

    async fn setup() -> Setup {
        let ca = Authority::create("Test").expect("create the CA");
        let issued = ca
            .issue(
                &SignerSubject {
                    name: "Sri Lestari".into(),
                    identifier: "198609262015052001".into(),
                    position: "Kepala Dinas".into(),
                    organization: "Pemerintah Kabupaten Semarang".into(),
                },
                "pw",
            )
            .expect("issue a signer");
        let root = ca.certificate().expect("read the root");
        let id = crate::ca::unlock(&issued.certificate_der, &issued.sealed_key, "pw", &root)
            .expect("unlock the signer");

        let fake = fake::spawn(USER, PASSWORD, id)
            .await
            .expect("start the fake");
        fake.state.add_user(NIK, PASSPHRASE, true);
        fake.state.add_user(INACTIVE_NIK, "lain", false);

        let pdf = crate::render::render(
            &crate::render::LetterData {
                layout: "letter".into(),
                subject: "Uji".into(),
                ..Default::default()
            },
            time::macros::date!(2026 - 12 - 04),
        )
        .expect("render a letter");
        Setup { fake, root, pdf }
    }

    fn client(fake: &FakeBsre, timeout: Duration, attempts: u32) -> BsreClient {
        BsreClient::new(BsreConfig {
            base_url: fake.base_url(),
            username: USER.into(),
            password: PASSWORD.into(),
            timeout,
            attempts,
        })
        .expect("build the client")
    }

    fn request(pdf: &[u8], nik: &str, credential: Credential) -> SignPdfRequest {
        SignPdfRequest {
            nik: nik.into(),
            credential,
            pdf: pdf.to_vec(),
            visible: None,
            reason: "Menyetujui".into(),
            location: "Ungaran".into(),
        }
    }

    fn with_passphrase(pdf: &[u8]) -> SignPdfRequest {
        request(pdf, NIK, Credential::Passphrase(PASSPHRASE.into()))
    }

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status: StatusCode::from_u16(status).expect("a valid status"),
            body: body.as_bytes().to_vec(),
        }
    }

    #[tokio::test]
    async fn sign_returns_verifiable_pdf() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 1);

        let signed = c.sign_pdf(&with_passphrase(&s.pdf)).await.expect("sign");

        assert!(signed.starts_with(b"%PDF-"));
        assert!(
            signed.starts_with(&s.pdf),
            "the incremental update keeps the original"
        );
        let checks = crate::verify::check(&signed, std::slice::from_ref(&s.root))
            .expect("check the signed file");
        assert_eq!(checks.len(), 1);
        assert!(checks[0].intact);
        assert!(checks[0].valid());
        assert_eq!(s.fake.state.sign_calls(), 1);
    }

    #[tokio::test]
    async fn sign_with_totp_and_visible_mark() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 1);
        let mut req = request(&s.pdf, NIK, Credential::Totp(fake::FIXED_TOTP.into()));
        req.visible = Some(VisibleMark {
            page: 1,
            x: 350.0,
            y: 80.0,
            width: 90.0,
            height: 90.0,
            image_png: b"\x89PNG\r\n\x1a\nnot really".to_vec(),
        });

        let signed = c.sign_pdf(&req).await.expect("sign");

        let checks = crate::verify::check(&signed, std::slice::from_ref(&s.root))
            .expect("check the signed file");
        assert_eq!(checks.len(), 1);
        assert!(checks[0].intact);
    }

    #[tokio::test]
    async fn sign_wrong_passphrase_not_retried() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 3);
        let req = request(&s.pdf, NIK, Credential::Passphrase("salah".into()));

        let err = c.sign_pdf(&req).await.expect_err("the call should fail");

        match err {
            BsreError::Rejected { code, message } => {
                assert_eq!(code, Some(2031));
                assert_eq!(message, "Passphrase anda salah");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
        assert_eq!(s.fake.state.sign_calls(), 1);
    }

    #[tokio::test]
    async fn sign_wrong_totp_rejected() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 3);
        let req = request(&s.pdf, NIK, Credential::Totp("000000".into()));

        let err = c.sign_pdf(&req).await.expect_err("the call should fail");

        assert!(matches!(err, BsreError::Rejected { .. }), "{err:?}");
        assert_eq!(s.fake.state.sign_calls(), 1);
    }

    #[tokio::test]
    async fn sign_retries_after_timeout() {
        let s = setup().await;
        s.fake.state.set_delay_first(1, Duration::from_secs(1));
        let c = client(&s.fake, Duration::from_millis(300), 3);

        let signed = c
            .sign_pdf(&with_passphrase(&s.pdf))
            .await
            .expect("sign after a retry");

        assert!(signed.starts_with(b"%PDF-"));
        assert_eq!(s.fake.state.sign_calls(), 2);
    }

    #[tokio::test]
    async fn sign_timeouts_exhaust_attempts() {
        let s = setup().await;
        s.fake.state.set_delay_first(5, Duration::from_secs(1));
        let c = client(&s.fake, Duration::from_millis(150), 2);

        let err = c
            .sign_pdf(&with_passphrase(&s.pdf))
            .await
            .expect_err("the call should fail");

        assert!(matches!(err, BsreError::Unavailable(_)), "{err:?}");
        assert_eq!(s.fake.state.sign_calls(), 2);
    }

    #[tokio::test]
    async fn status_on_closed_port_unavailable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let addr = listener.local_addr().expect("read the port");
        drop(listener);
        let c = BsreClient::new(BsreConfig {
            base_url: format!("http://{addr}"),
            username: USER.into(),
            password: PASSWORD.into(),
            timeout: Duration::from_secs(2),
            attempts: 2,
        })
        .expect("build the client");

        let err = c.user_status(NIK).await.expect_err("the call should fail");

        assert!(matches!(err, BsreError::Unavailable(_)), "{err:?}");
    }

    #[tokio::test]
    async fn sign_broken_response_malformed() {
        let s = setup().await;
        s.fake.state.set_malformed(true);
        let c = client(&s.fake, Duration::from_secs(30), 3);

        let err = c
            .sign_pdf(&with_passphrase(&s.pdf))
            .await
            .expect_err("the call should fail");

        assert!(matches!(err, BsreError::Malformed(_)), "{err:?}");
        assert_eq!(s.fake.state.sign_calls(), 1);
    }

    #[tokio::test]
    async fn unknown_nik_rejected() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 3);
        let req = request(
            &s.pdf,
            UNKNOWN_NIK,
            Credential::Passphrase(PASSPHRASE.into()),
        );

        let sign = c.sign_pdf(&req).await.expect_err("signing should fail");
        let status = c
            .user_status(UNKNOWN_NIK)
            .await
            .expect_err("the status call should fail");

        match sign {
            BsreError::Rejected { code, message } => {
                assert_eq!(code, Some(2011));
                assert!(!message.is_empty());
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
        assert!(
            matches!(
                status,
                BsreError::Rejected {
                    code: Some(2011),
                    ..
                }
            ),
            "{status:?}"
        );
    }

    #[tokio::test]
    async fn user_status_active_and_inactive() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 1);

        let active = c.user_status(NIK).await.expect("status of an active user");
        let inactive = c
            .user_status(INACTIVE_NIK)
            .await
            .expect("status of an inactive user");

        assert!(active.active);
        assert!(!active.message.is_empty());
        assert!(!inactive.active);
        assert!(!inactive.message.is_empty());
    }

    #[tokio::test]
    async fn sign_by_inactive_user_rejected() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 1);
        let req = request(&s.pdf, INACTIVE_NIK, Credential::Passphrase("lain".into()));

        let err = c.sign_pdf(&req).await.expect_err("the call should fail");

        assert!(matches!(err, BsreError::Rejected { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn sign_of_non_pdf_rejected() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 3);

        let err = c
            .sign_pdf(&with_passphrase(b"hello"))
            .await
            .expect_err("the call should fail");

        assert!(matches!(err, BsreError::Rejected { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn wrong_client_password_is_config_error() {
        let s = setup().await;
        let c = BsreClient::new(BsreConfig {
            base_url: s.fake.base_url(),
            username: USER.into(),
            password: "not-it".into(),
            timeout: Duration::from_secs(30),
            attempts: 3,
        })
        .expect("build the client");

        let err = c.user_status(NIK).await.expect_err("the call should fail");

        assert!(matches!(err, BsreError::Config(_)), "{err:?}");
    }

    #[tokio::test]
    async fn verify_signed_unsigned_and_changed() {
        let s = setup().await;
        let c = client(&s.fake, Duration::from_secs(30), 1);
        let signed = c.sign_pdf(&with_passphrase(&s.pdf)).await.expect("sign");
        // Byte 10 lies in the original file, inside the first signed range.
        let mut changed = signed.clone();
        changed[10] ^= 0x01;

        let verdict = c.verify_pdf(&signed).await.expect("verify the signed file");
        let unsigned = c
            .verify_pdf(&s.pdf)
            .await
            .expect("verify the unsigned file");
        let tampered = c
            .verify_pdf(&changed)
            .await
            .expect("verify the changed file");

        assert!(verdict.valid, "{verdict:?}");
        assert!(!unsigned.valid, "{unsigned:?}");
        assert!(!tampered.valid, "{tampered:?}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let req = SignPdfRequest {
            nik: NIK.into(),
            credential: Credential::Passphrase("very-secret".into()),
            pdf: vec![1, 2, 3],
            visible: None,
            reason: "r".into(),
            location: "l".into(),
        };
        let config = BsreConfig {
            base_url: "https://x".into(),
            username: "u".into(),
            password: "pw-secret".into(),
            timeout: Duration::from_secs(1),
            attempts: 1,
        };

        let text = format!("{req:?}");
        let totp = format!("{:?}", Credential::Totp("123456".into()));
        let config_text = format!("{config:?}");
        let client_text = format!("{:?}", BsreClient::new(config).expect("build the client"));

        assert!(!text.contains("very-secret"), "{text}");
        assert!(!text.contains(NIK), "{text}");
        assert!(text.contains("0001"), "{text}");
        assert!(!totp.contains("123456"), "{totp}");
        assert!(!config_text.contains("pw-secret"), "{config_text}");
        assert!(!client_text.contains("pw-secret"), "{client_text}");
    }

    #[test]
    fn mask_nik_keeps_last_four() {
        assert_eq!(mask_nik("3322014509860001"), "************0001");
        assert_eq!(mask_nik("123"), "123");
        assert_eq!(mask_nik(""), "");
    }

    #[test]
    fn error_body_parse_cases() {
        /// Body, `require_error`, and the expected code and message.
        type Case = (&'static str, bool, Option<(Option<i64>, &'static str)>);
        let cases: [Case; 6] = [
            (
                r#"{"status_code": 2031, "error": "Passphrase anda salah"}"#,
                true,
                Some((Some(2031), "Passphrase anda salah")),
            ),
            (
                r#"{"status_code": "2011", "error": "User tidak terdaftar"}"#,
                false,
                Some((Some(2011), "User tidak terdaftar")),
            ),
            (
                r#"{"error": "Bad Request", "message": "file wajib diisi"}"#,
                false,
                Some((None, "file wajib diisi")),
            ),
            ("<html>502</html>", false, None),
            (r#"{"file": ["x"]}"#, false, None),
            (r#"{"message": "success"}"#, true, None),
        ];
        for (body, require_error, expected) in cases {
            let parsed = ErrorBody::parse(body.as_bytes(), require_error);
            let expected = expected.map(|(code, message)| (code, message.to_owned()));
            assert_eq!(parsed, expected, "{body}");
        }
    }

    #[test]
    fn interpret_maps_statuses_to_errors() {
        let rejected_on_200 = BsreClient::interpret::<SignResponse>(
            SIGN_PATH,
            &raw(
                200,
                r#"{"status_code": 2031, "error": "Passphrase anda salah"}"#,
            ),
        );
        let rejected_on_500 = BsreClient::interpret::<SignResponse>(
            SIGN_PATH,
            &raw(
                500,
                r#"{"status_code": 2031, "error": "Passphrase anda salah"}"#,
            ),
        );
        let missing = BsreClient::interpret::<SignResponse>(SIGN_PATH, &raw(404, "Not Found"));
        let forbidden = BsreClient::interpret::<SignResponse>(SIGN_PATH, &raw(403, ""));
        let plain_400 = BsreClient::interpret::<SignResponse>(SIGN_PATH, &raw(400, "bad"));
        let broken = BsreClient::interpret::<SignResponse>(SIGN_PATH, &raw(200, "{"));

        assert!(
            matches!(
                rejected_on_200,
                Err(BsreError::Rejected {
                    code: Some(2031),
                    ..
                })
            ),
            "{:?}",
            rejected_on_200.err()
        );
        assert!(
            matches!(
                rejected_on_500,
                Err(BsreError::Rejected {
                    code: Some(2031),
                    ..
                })
            ),
            "{:?}",
            rejected_on_500.err()
        );
        assert!(matches!(missing, Err(BsreError::Config(_))));
        assert!(matches!(forbidden, Err(BsreError::Config(_))));
        assert!(matches!(
            plain_400,
            Err(BsreError::Rejected { code: None, .. })
        ));
        assert!(matches!(broken, Err(BsreError::Malformed(_))));
    }

    #[test]
    fn transient_only_without_error_body() {
        assert!(raw(503, "<html>Service Unavailable</html>").is_transient());
        assert!(raw(502, "").is_transient());
        assert!(raw(429, "").is_transient());
        assert!(
            !raw(
                503,
                r#"{"status_code": 5000, "error": "Sedang pemeliharaan"}"#
            )
            .is_transient()
        );
        assert!(!raw(500, "").is_transient());
        assert!(!raw(400, "").is_transient());
    }

    #[test]
    fn new_rejects_bad_configuration() {
        let base = BsreConfig {
            base_url: "esign.example".into(),
            username: "u".into(),
            password: "p".into(),
            timeout: Duration::from_secs(1),
            attempts: 1,
        };
        let no_scheme = base.clone();
        let zero_attempts = BsreConfig {
            base_url: "https://esign.example/".into(),
            attempts: 0,
            ..base.clone()
        };
        let zero_timeout = BsreConfig {
            base_url: "https://esign.example/".into(),
            timeout: Duration::ZERO,
            ..base
        };

        assert!(matches!(
            BsreClient::new(no_scheme),
            Err(BsreError::Config(_))
        ));
        assert!(matches!(
            BsreClient::new(zero_attempts),
            Err(BsreError::Config(_))
        ));
        assert!(matches!(
            BsreClient::new(zero_timeout),
            Err(BsreError::Config(_))
        ));
    }

    #[test]
    fn decode_pdf_accepts_only_pdfs() {
        let encoded = STANDARD.encode(b"%PDF-1.7 x");
        let wrapped = format!("{}\n{}", &encoded[..8], &encoded[8..]);

        assert!(matches!(decode_pdf("%%%"), Err(BsreError::Malformed(_))));
        assert!(matches!(
            decode_pdf(&STANDARD.encode(b"hello")),
            Err(BsreError::Malformed(_))
        ));
        assert_eq!(decode_pdf(&wrapped).expect("a wrapped PDF"), b"%PDF-1.7 x");
    }

    #[test]
    fn client_and_state_are_send_sync() {
        fn is_send_sync<T: Send + Sync>() {}
        is_send_sync::<BsreClient>();
        is_send_sync::<Arc<fake::FakeState>>();
    }
}
