//! Signing a document into its PDF: confirming the signer, unlocking or
//! issuing their certificate, rendering the letter with its number, and
//! signing it locally or through BSrE, inside the store's signing
//! transaction. Also the preview of drafts and the checks behind the
//! public verification page.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::StatusCode;
use serasi_domain::body;
use serasi_domain::document::{Layout, Recipient, SecurityClass, Urgency};
use serasi_domain::rank::Rank;
use serasi_domain::{DocumentId, EmployeeId, wib};
use serasi_pdf::bsre::{BsreClient, BsreConfig, BsreError, Credential, SignPdfRequest};
use serasi_pdf::ca::{self, Authority, CaError, SignerSubject};
use serasi_pdf::{LetterData, Letterhead, SignatureCheck, SignatureFields, Stamp};
use serasi_store::pdfs::{LetterFacts, PdfRecord, SealFailure, SealedPdf};
use serasi_store::{Actor, SignRequest, StoreError, User};
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use x509_cert::Certificate;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Tr;

/// The service that signs the PDFs of this installation.
#[derive(Clone, Debug, Default)]
pub enum SignerChoice {
    /// The installation's own certificate authority.
    #[default]
    Local,
    /// BSrE's signing service (certified electronic signatures).
    Bsre(BsreConfig),
}

/// Signing settings of the web application.
#[derive(Clone, Debug)]
pub struct SigningConfig {
    pub signer: SignerChoice,
    /// Folder holding the root certificate and its private key.
    pub ca_dir: PathBuf,
    /// Origin printed in the QR code, such as `https://office.example`.
    pub public_url: String,
}

impl Default for SigningConfig {
    fn default() -> Self {
        SigningConfig {
            signer: SignerChoice::Local,
            ca_dir: std::env::temp_dir().join("serasi-ca"),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// The root in force and, on servers that hold it, its private key.
pub struct CaState {
    pub root: Certificate,
    pub root_pem: String,
    authority: Option<Authority>,
}

/// Lazily loaded signing services of one process.
#[derive(Default)]
pub struct Signing {
    ca: OnceCell<Arc<CaState>>,
    bsre: OnceCell<Arc<BsreClient>>,
}

const KEY_FILE: &str = "root-key.pem";
const CERT_FILE: &str = "root.pem";

/// Errors from preparing the installation's root.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot use the CA folder {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SetupError + '_ {
    move |source| SetupError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), SetupError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(text.as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// Loads a root that another process is writing, waiting up to five
/// seconds for both files to be complete.
async fn wait_for_files(key_path: &Path, cert_path: &Path) -> Result<Authority, SetupError> {
    let mut last = None;
    for _ in 0..50 {
        let cert = std::fs::read_to_string(cert_path);
        let key = std::fs::read_to_string(key_path);
        if let (Ok(cert), Ok(key)) = (cert, key) {
            match Authority::from_pem(cert, key) {
                Ok(a) => return Ok(a),
                Err(e) => last = Some(e),
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    match last {
        Some(e) => Err(e.into()),
        None => Err(SetupError::Io {
            path: cert_path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the root certificate did not appear",
            ),
        }),
    }
}

/// Creates the root in `dir` and records its certificate, unless the
/// database already names one. Returns the root in force and whether it
/// was created now.
pub async fn ensure_ca(
    store: &serasi_store::Store,
    dir: &Path,
    name: &str,
) -> Result<(CaState, bool), SetupError> {
    let key_path = dir.join(KEY_FILE);
    let cert_path = dir.join(CERT_FILE);
    let local = if key_path.exists() && cert_path.exists() {
        let cert = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
        let key = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
        Some(Authority::from_pem(cert, key)?)
    } else {
        None
    };
    let mut created = false;
    let mut loaded = None;
    let recorded = match store.ca_certificate().await? {
        Some(pem) => pem,
        None => {
            let authority = match &local {
                Some(a) => a.clone(),
                None => {
                    std::fs::create_dir_all(dir).map_err(io(dir))?;
                    let a = Authority::create(name)?;
                    match write_private(&key_path, a.key_pem()) {
                        Ok(()) => {
                            std::fs::write(&cert_path, &a.certificate_pem)
                                .map_err(io(&cert_path))?;
                            created = true;
                            a
                        }
                        // Another server sharing the folder created it a
                        // moment ago: use theirs once its files are complete.
                        Err(SetupError::Io { source, .. })
                            if source.kind() == std::io::ErrorKind::AlreadyExists =>
                        {
                            wait_for_files(&key_path, &cert_path).await?
                        }
                        Err(e) => return Err(e),
                    }
                }
            };
            let recorded = store
                .put_ca_certificate(&authority.certificate_pem, false)
                .await?;
            loaded = Some(authority);
            recorded
        }
    };
    let matches = |a: &Authority| a.certificate_pem.trim() == recorded.trim();
    let mut authority = loaded.or(local).filter(matches);
    if authority.is_none() && key_path.exists() {
        // Another server may have written the folder after this one first
        // looked at it.
        authority = wait_for_files(&key_path, &cert_path)
            .await
            .ok()
            .filter(matches);
    }
    let root = {
        use der::DecodePem as _;
        Certificate::from_pem(recorded.as_bytes()).map_err(CaError::from)?
    };
    Ok((
        CaState {
            root,
            root_pem: recorded,
            authority,
        },
        created,
    ))
}

/// Returns the regency's name, which names the root certificate, such as
/// `Pemerintah Kabupaten Semarang`.
pub async fn installation_name(store: &serasi_store::Store) -> Result<String, StoreError> {
    use serasi_domain::directory::OrganizationKind;
    Ok(store
        .organizations()
        .await?
        .into_iter()
        .find(|o| o.kind == OrganizationKind::Regency)
        .map(|o| o.name)
        .unwrap_or_else(|| "Serasi".to_owned()))
}

impl CaState {
    /// Returns whether this server has the root's private key and so can
    /// issue certificates.
    pub fn has_key(&self) -> bool {
        self.authority.is_some()
    }
}

impl Signing {
    async fn ca(&self, state: &AppState) -> Result<Arc<CaState>, ApiError> {
        self.ca
            .get_or_try_init(|| async {
                let config = &state.config().signing;
                let name = installation_name(state.store())
                    .await
                    .map_err(|e| ApiError::internal(&e))?;
                let (ca, created) = ensure_ca(state.store(), &config.ca_dir, &name)
                    .await
                    .map_err(|e| ApiError::internal(&e))?;
                if created {
                    tracing::info!(dir = %config.ca_dir.display(), "created the installation's root certificate");
                }
                Ok(Arc::new(ca))
            })
            .await
            .cloned()
    }

    async fn bsre(&self, config: &BsreConfig) -> Result<Arc<BsreClient>, ApiError> {
        self.bsre
            .get_or_try_init(|| async {
                BsreClient::new(config.clone())
                    .map(Arc::new)
                    .map_err(|e| ApiError::internal(&e))
            })
            .await
            .cloned()
    }

    /// Returns the trusted roots for checking signatures: the installation's own.
    pub async fn roots(&self, state: &AppState) -> Result<Vec<Certificate>, ApiError> {
        Ok(vec![self.ca(state).await?.root.clone()])
    }
}

/// Generates a random verification code: 26 characters of Crockford
/// base32, 128 bits.
pub fn new_verify_code() -> String {
    use rand::RngCore as _;
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut value = u128::from_be_bytes(bytes);
    let mut out = Vec::with_capacity(26);
    for _ in 0..26 {
        out.push(ALPHABET[(value & 31) as usize]);
        value >>= 5;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Returns the public check page of a code.
pub fn verify_url(state: &AppState, code: &str) -> String {
    format!(
        "{}/v/{code}",
        state.config().signing.public_url.trim_end_matches('/')
    )
}

fn security_label(class: SecurityClass) -> &'static str {
    match class {
        SecurityClass::Ordinary => "Biasa",
        SecurityClass::Restricted => "Terbatas",
        SecurityClass::Secret => "Rahasia",
        SecurityClass::TopSecret => "Sangat Rahasia",
    }
}

fn urgency_label(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Ordinary => "Biasa",
        Urgency::Urgent => "Segera",
        Urgency::VeryUrgent => "Sangat Segera",
    }
}

/// `2 (dua) berkas`, as the Lampiran line is written.
fn attachment_line(count: i64) -> String {
    const WORDS: [&str; 21] = [
        "nol",
        "satu",
        "dua",
        "tiga",
        "empat",
        "lima",
        "enam",
        "tujuh",
        "delapan",
        "sembilan",
        "sepuluh",
        "sebelas",
        "dua belas",
        "tiga belas",
        "empat belas",
        "lima belas",
        "enam belas",
        "tujuh belas",
        "delapan belas",
        "sembilan belas",
        "dua puluh",
    ];
    match usize::try_from(count) {
        Ok(0) | Err(_) => "-".to_owned(),
        Ok(n) => match WORDS.get(n) {
            Some(word) => format!("{n} ({word}) berkas"),
            None => format!("{n} berkas"),
        },
    }
}

fn nip_like(identifier: &str) -> bool {
    identifier.len() == 18 && identifier.bytes().all(|b| b.is_ascii_digit())
}

/// Turns stored facts into what the letter prints.
pub async fn letter_data(
    state: &AppState,
    facts: &LetterFacts,
    stamp: Option<Stamp>,
) -> Result<LetterData, ApiError> {
    let view = &facts.document;
    let emblem = match &facts.kop.emblem_sha256 {
        Some(hash) => state
            .files()
            .get(hash)
            .await
            .map_err(|e| ApiError::internal(&e))?,
        None => Vec::new(),
    };
    let date = view.letter_date.unwrap_or_else(wib::today);
    let signature_lines = if view.signature_block.is_empty() {
        vec![format!("{},", view.signer_position_name)]
    } else {
        view.signature_block.clone()
    };
    let marking = match view.security {
        SecurityClass::Ordinary => String::new(),
        other => security_label(other).to_uppercase(),
    };
    Ok(LetterData {
        letterhead: Letterhead {
            tiers: facts.kop.tiers.clone(),
            contact: facts.kop.contact.clone(),
            emblem,
        },
        layout: match view.layout {
            Layout::Letter => "letter".into(),
            Layout::Title => "title".into(),
        },
        title: view.kind_name.clone(),
        number: view.number.clone().unwrap_or_default(),
        place: facts.kop.place.clone(),
        date: wib::format_date_id(date),
        security: security_label(view.security).into(),
        marking,
        urgency: urgency_label(view.urgency).into(),
        attachments: attachment_line(view.attachment_count),
        subject: view.subject.clone(),
        addressees: view.addressees.iter().map(|r| r.label.clone()).collect(),
        destination: match view.addressees.as_slice() {
            [one] => match &one.recipient {
                Recipient::External {
                    address: Some(address),
                    ..
                } if !address.trim().is_empty() => address.trim().to_owned(),
                _ => "Tempat".to_owned(),
            },
            _ => "Tempat".to_owned(),
        },
        body: body::parse(&view.body),
        signature_lines,
        signer_name: facts.signer.name.clone(),
        signer_rank: facts
            .signer
            .rank
            .as_deref()
            .and_then(|r| r.parse::<Rank>().ok())
            .map(|r| r.label())
            .unwrap_or_default(),
        signer_nip: if nip_like(&facts.signer.identifier) {
            facts.signer.identifier.clone()
        } else {
            String::new()
        },
        copies: view.copies.iter().map(|r| r.label.clone()).collect(),
        draft: view.number.is_none(),
        stamp,
    })
}

fn statement(url: &str) -> String {
    format!(
        "Dokumen ini ditandatangani secara elektronik. Keaslian dan keutuhannya dapat \
         diperiksa dengan memindai kode QR atau membuka {url}"
    )
}

async fn render_blocking(letter: LetterData, date: time::Date) -> Result<Vec<u8>, SealFailure> {
    tokio::task::spawn_blocking(move || serasi_pdf::render(&letter, date))
        .await
        .map_err(|e| SealFailure(Box::new(e)))?
        .map_err(|e| SealFailure(Box::new(e)))
}

/// Renders the preview of a document `actor` may see: a draft gets the
/// KONSEP watermark and no number.
pub async fn preview(state: &AppState, id: DocumentId, actor: Actor) -> Result<Vec<u8>, ApiError> {
    let facts = state
        .store()
        .letter_facts(id, actor, wib::today())
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let letter = letter_data(state, &facts, None).await?;
    render_blocking(letter, wib::today())
        .await
        .map_err(|e| ApiError::internal(&e))
}

fn subject_of(facts: &LetterFacts) -> SignerSubject {
    SignerSubject {
        name: facts.signer.name.clone(),
        identifier: facts.signer.identifier.clone(),
        position: facts.signer.position.clone(),
        organization: facts.kop.organization_name.clone(),
    }
}

/// Unlocks the signer's key with their password, issuing a certificate
/// first when they have none that the password opens.
async fn identity(
    state: &AppState,
    t: Tr,
    employee: EmployeeId,
    subject: SignerSubject,
    password: &str,
) -> Result<(serasi_pdf::SigningIdentity, String), ApiError> {
    let ca = state.signing().ca(state).await?;
    let subject_text = format!(
        "{} / {} / {} / {}",
        subject.name, subject.identifier, subject.position, subject.organization
    );
    // A certificate names the signer as the directory had them at issue.
    // After a change of name, NIP, post or organisation, the next signature
    // gets a new certificate that names them as they are now.
    if let Some(cert) = state
        .store()
        .active_certificate(employee)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .filter(|c| c.subject == subject_text)
    {
        let password = password.to_owned();
        let root = ca.root.clone();
        let opened = tokio::task::spawn_blocking(move || {
            ca::unlock(&cert.certificate_der, &cert.sealed_key, &password, &root)
                .map(|id| (id, cert.serial))
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
        match opened {
            Ok(found) => return Ok(found),
            // Sealed under an earlier password (after a reset): issue anew.
            Err(CaError::Unlock) => {}
            Err(e) => return Err(ApiError::internal(&e)),
        }
    }
    let Some(authority) = ca.authority.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ca_unavailable",
            t.get("error-ca-unavailable"),
        ));
    };
    let secret = password.to_owned();
    let issued = tokio::task::spawn_blocking(move || authority.issue(&subject, &secret))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    state
        .store()
        .add_certificate(
            employee,
            &issued.serial_hex,
            &issued.certificate_der,
            &issued.sealed_key,
            &subject_text,
            issued.not_after.unix_timestamp() * 1000,
        )
        .await
        .map_err(|e| ApiError::internal(&e))?;
    tracing::info!(serial = %issued.serial_hex, "issued a signer certificate");
    let root = ca.root.clone();
    let password = password.to_owned();
    let identity = tokio::task::spawn_blocking(move || {
        ca::unlock(
            &issued.certificate_der,
            &issued.sealed_key,
            &password,
            &root,
        )
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))?;
    Ok((identity, issued.serial_hex))
}

/// The signer's confirmation: a password or passphrase, or a TOTP code.
pub struct Confirmation<'a> {
    pub password: Option<&'a str>,
    pub totp: Option<&'a str>,
}

/// One request to sign: who signs which document, from where, and how
/// they confirmed it.
pub struct SignAttempt<'a> {
    pub user: &'a User,
    pub actor: Actor,
    /// The client address, for the failed-login throttle.
    pub client: &'a str,
    pub id: DocumentId,
    pub request: &'a SignRequest,
    pub confirm: Confirmation<'a>,
}

/// Signs, numbers, renders and seals a document; returns the number and
/// the verification code.
pub async fn sign_document(
    state: &AppState,
    t: Tr,
    attempt: SignAttempt<'_>,
) -> Result<(String, String), ApiError> {
    let SignAttempt {
        user,
        actor,
        client,
        id,
        request,
        confirm,
    } = attempt;
    let password = confirm.password.map(str::trim).filter(|p| !p.is_empty());
    let totp = confirm.totp.map(str::trim).filter(|c| !c.is_empty());
    match state.config().signing.signer.clone() {
        SignerChoice::Local => {
            let Some(password) = password else {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "password_required",
                    t.get("error-sign-password-for-key"),
                )
                .field("password"));
            };
            crate::api::documents::confirm_signer(state, t, user, client, Some(password), None)
                .await?;
            // The certificate subject needs the signer's facts, so they are
            // read before numbering, as for a preview.
            let before = state
                .store()
                .letter_facts(id, actor, wib::today())
                .await
                .map_err(|e| ApiError::from_store(t, e))?;
            let (identity, serial) = identity(
                state,
                t,
                actor.employee_id,
                subject_of(&signer_as(&before, state, user, actor).await?),
                password,
            )
            .await?;
            let identity = Arc::new(identity);
            let state2 = state.clone();
            let sealed = state
                .store()
                .sign_and_seal(
                    id,
                    actor.employee_id,
                    request,
                    wib::today(),
                    move |facts| async move { seal_local(&state2, facts, identity, serial).await },
                )
                .await
                .map_err(|e| ApiError::from_store(t, e))?;
            Ok((sealed.0, sealed.1.verify_code))
        }
        SignerChoice::Bsre(config) => {
            let credential = match (totp, password) {
                (Some(code), _) => Credential::Totp(code.to_owned()),
                (None, Some(pass)) => Credential::Passphrase(pass.to_owned()),
                (None, None) => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "confirmation_required",
                        t.get("error-sign-bsre-passphrase"),
                    )
                    .field("password"));
                }
            };
            let client = state.signing().bsre(&config).await?;
            let state2 = state.clone();
            let result = state
                .store()
                .sign_and_seal(
                    id,
                    actor.employee_id,
                    request,
                    wib::today(),
                    move |facts| async move { seal_bsre(&state2, facts, client, credential).await },
                )
                .await;
            match result {
                Ok((number, sealed)) => Ok((number, sealed.verify_code)),
                Err(StoreError::Seal(failure)) => Err(bsre_error(t, failure)),
                Err(e) => Err(ApiError::from_store(t, e)),
            }
        }
    }
}

/// Replaces the signer in `before` with the person signing now, who may
/// act for the required signer (a.n., Plt., Plh.).
async fn signer_as(
    before: &LetterFacts,
    state: &AppState,
    _user: &User,
    actor: Actor,
) -> Result<LetterFacts, ApiError> {
    let mut facts = before.clone();
    if facts.signer.employee_id != Some(actor.employee_id) {
        let person = state
            .store()
            .employee(actor.employee_id)
            .await
            .map_err(|e| ApiError::internal(&e))?
            .ok_or_else(|| ApiError::internal(&"signer without an employee record"))?;
        facts.signer.employee_id = Some(actor.employee_id);
        facts.signer.name = person.name;
        facts.signer.identifier = person.identifier.value().to_owned();
        facts.signer.rank = person.rank.map(|r| r.code());
    }
    Ok(facts)
}

fn bsre_error(t: Tr, failure: SealFailure) -> ApiError {
    match failure.0.downcast::<BsreError>() {
        Ok(err) => match *err {
            BsreError::Rejected { message, .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "signature_rejected",
                t.fmt("error-bsre-rejected", &[("reason", message.as_str())]),
            )
            .field("password"),
            BsreError::Unavailable(cause) => {
                tracing::warn!(%cause, "BSrE unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "signer_unavailable",
                    t.get("error-bsre-unavailable"),
                )
            }
            other => {
                tracing::error!(error = %other, "BSrE response unusable");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "signer_failed",
                    t.get("error-bsre-unavailable"),
                )
            }
        },
        Err(other) => ApiError::internal(&other),
    }
}

fn stamp_for(state: &AppState, code: &str) -> Stamp {
    let url = verify_url(state, code);
    Stamp {
        statement: statement(&url),
        url,
    }
}

fn seal_failure(e: impl std::error::Error + Send + Sync + 'static) -> SealFailure {
    SealFailure(Box::new(e))
}

async fn seal_local(
    state: &AppState,
    facts: LetterFacts,
    identity: Arc<serasi_pdf::SigningIdentity>,
    serial: String,
) -> Result<SealedPdf, SealFailure> {
    let code = new_verify_code();
    let letter = letter_data(state, &facts, Some(stamp_for(state, &code)))
        .await
        .map_err(|e| SealFailure(e.message.clone().into()))?;
    let date = facts.document.letter_date.unwrap_or_else(wib::today);
    let pdf = render_blocking(letter, date).await?;
    let fields = SignatureFields {
        signer_name: facts.signer.name.clone(),
        reason: format!(
            "Penandatanganan {} {}",
            facts.document.kind_name,
            facts.document.number.clone().unwrap_or_default()
        ),
        location: facts.kop.place.clone(),
        signed_at: OffsetDateTime::now_utc().to_offset(wib::WIB),
    };
    let signed =
        tokio::task::spawn_blocking(move || serasi_pdf::sign_pdf(&pdf, &identity, &fields))
            .await
            .map_err(seal_failure)?
            .map_err(seal_failure)?;
    store_signed(state, &signed, code, "local", Some(serial)).await
}

async fn store_signed(
    state: &AppState,
    signed: &[u8],
    code: String,
    backend: &str,
    serial: Option<String>,
) -> Result<SealedPdf, SealFailure> {
    let sha256 = state.files().put(signed).await.map_err(seal_failure)?;
    Ok(SealedPdf {
        verify_code: code,
        sha256,
        size: i64::try_from(signed.len()).unwrap_or(i64::MAX),
        backend: backend.to_owned(),
        certificate_serial: serial,
    })
}

async fn seal_bsre(
    state: &AppState,
    facts: LetterFacts,
    client: Arc<BsreClient>,
    credential: Credential,
) -> Result<SealedPdf, SealFailure> {
    let code = new_verify_code();
    let letter = letter_data(state, &facts, Some(stamp_for(state, &code)))
        .await
        .map_err(|e| SealFailure(e.message.clone().into()))?;
    let date = facts.document.letter_date.unwrap_or_else(wib::today);
    let pdf = render_blocking(letter, date).await?;
    let request = SignPdfRequest {
        nik: facts.signer.identifier.clone(),
        credential,
        pdf,
        visible: None,
        reason: format!("Penandatanganan {}", facts.document.kind_name),
        location: facts.kop.place.clone(),
    };
    let signed = client.sign_pdf(&request).await.map_err(seal_failure)?;
    store_signed(state, &signed, code, "bsre", None).await
}

/// The check page's verdict on a file or a code.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verdict {
    /// `valid`, `altered`, `revoked`, `cancelled`, `unknown` or `unsigned`.
    pub status: &'static str,
    pub record: Option<PdfRecord>,
    pub signatures: Vec<SignatureCheck>,
    pub sha256: String,
}

/// Checks an uploaded file: its signatures against the installation's
/// root, and whether this installation issued exactly these bytes.
pub async fn check_file(
    state: &AppState,
    bytes: Vec<u8>,
) -> Result<Result<Verdict, serasi_pdf::VerifyError>, ApiError> {
    let roots = state.signing().roots(state).await?;
    let sha256 = serasi_pdf::sha256_hex(&bytes);
    let checks = tokio::task::spawn_blocking(move || serasi_pdf::check(&bytes, &roots))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let signatures = match checks {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let record = state
        .store()
        .pdfs_by_sha256(&sha256)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .into_iter()
        .next();
    let status = verdict_status(record.as_ref(), &signatures);
    Ok(Ok(Verdict {
        status,
        record,
        signatures,
        sha256,
    }))
}

pub fn verdict_status(record: Option<&PdfRecord>, signatures: &[SignatureCheck]) -> &'static str {
    if signatures.is_empty() {
        return "unsigned";
    }
    // A stored file's own signatures only have to be sound and from a known
    // root: the certificate may have expired since, because the record
    // proves when this installation issued the bytes.
    let all_sound = signatures.iter().all(|s| {
        s.intact
            && s.signature_valid
            && s.covers_whole_file
            && s.trust != serasi_pdf::Trust::UnknownIssuer
    });
    let broken = signatures.iter().any(|s| !s.intact || !s.covers_whole_file);
    let ours = signatures
        .iter()
        .any(|s| s.trust != serasi_pdf::Trust::UnknownIssuer);
    match record {
        Some(r) if r.certificate_revoked_at.is_some() => "revoked",
        Some(r) if r.state == serasi_domain::document::DocumentState::Cancelled => "cancelled",
        // A BSrE signature chains to BSrE's root, not ours: the stored
        // hash is the proof that this installation issued these bytes.
        Some(r) if r.backend == "bsre" && !broken => "valid",
        Some(_) if all_sound => "valid",
        _ if broken => "altered",
        // Signed with this installation's key but not byte for byte the
        // file it issued: something outside the signed ranges was changed.
        None if ours => "altered",
        _ => "unknown",
    }
}

/// Returns the verdict on a verification code alone.
pub fn record_status(record: &PdfRecord) -> &'static str {
    if record.certificate_revoked_at.is_some() {
        "revoked"
    } else if record.state == serasi_domain::document::DocumentState::Cancelled {
        "cancelled"
    } else {
        "valid"
    }
}

/// Seals the signer's key again under a new password, so signing keeps
/// working after a password change.
pub async fn reseal_after_password_change(
    state: &AppState,
    employee: EmployeeId,
    old: &str,
    new: &str,
) {
    let Ok(Some(cert)) = state.store().active_certificate(employee).await else {
        return;
    };
    let (old, new) = (old.to_owned(), new.to_owned());
    let sealed = cert.sealed_key.clone();
    let resealed = tokio::task::spawn_blocking(move || ca::reseal(&sealed, &old, &new)).await;
    match resealed {
        Ok(Ok(bytes)) => {
            if let Err(e) = state.store().reseal_certificate(&cert.serial, &bytes).await {
                tracing::error!(error = %e, "could not store the resealed signing key");
            }
        }
        // A key sealed under an older password is replaced at the next
        // signature.
        _ => tracing::info!(serial = %cert.serial, "signing key not resealed"),
    }
}

/// Checks a stored PDF attachment the way the public check page does.
/// Returns `None` for a file that is not a PDF or carries no signature.
pub async fn check_attachment(state: &AppState, bytes: Vec<u8>) -> Option<Verdict> {
    if !bytes.starts_with(b"%PDF-") {
        return None;
    }
    match check_file(state, bytes).await {
        Ok(Ok(verdict)) if verdict.status != "unsigned" => Some(verdict),
        _ => None,
    }
}
