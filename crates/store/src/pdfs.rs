//! Signed PDFs in storage: letterhead settings, signer certificates with
//! their sealed keys, and the one signed file of each signed document.
//!
//! Signing and sealing happen in one transaction: the number is assigned,
//! the caller renders and signs the PDF with it, and the file's record is
//! written before the commit. A failed seal (a wrong BSrE passphrase, a
//! timeout) rolls the number back, so numbers are never skipped.

use std::future::Future;

use serasi_domain::document::{DocumentState, SecurityClass};
use serasi_domain::{DocumentId, EmployeeId, OrganizationId};
use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::documents::{Actor, DocumentView, SignRequest};
use crate::{Store, StoreError, both_backends, now_ms, rd, tx};

/// The lines of an organisation's letterhead and where its letters are
/// dated, as the organisation's administrator set them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LetterheadSettings {
    pub organization_id: Option<OrganizationId>,
    /// Address, telephone, web site and e-mail, one per line.
    pub contact: String,
    /// The place printed before the date, such as `Ungaran`.
    pub place: String,
    pub emblem_sha256: Option<String>,
}

/// The letterhead a document is printed under, resolved up the tree.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Kop {
    /// From the regency down to the issuing organisation.
    pub tiers: Vec<String>,
    pub contact: Vec<String>,
    pub place: String,
    pub emblem_sha256: Option<String>,
    /// The organisation whose kop this is.
    pub organization_name: String,
}

/// The signer as printed under the signature.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SignerFacts {
    pub employee_id: Option<EmployeeId>,
    pub name: String,
    /// NIP, or a village official's identifier.
    pub identifier: String,
    /// The golongan code as stored, such as `IV/c`.
    pub rank: Option<String>,
    pub position: String,
}

/// Everything a letter's PDF shows.
#[derive(Clone, Debug)]
pub struct LetterFacts {
    pub document: DocumentView,
    pub kop: Kop,
    pub signer: SignerFacts,
}

/// The signed PDF to record with a signature.
#[derive(Clone, Debug)]
pub struct SealedPdf {
    pub verify_code: String,
    pub sha256: String,
    pub size: i64,
    /// `local` (the installation's CA) or `bsre`.
    pub backend: String,
    pub certificate_serial: Option<String>,
}

/// A stored signed PDF with the public facts of its document.
#[derive(Clone, Debug, Serialize)]
pub struct PdfRecord {
    pub document_id: DocumentId,
    pub verify_code: String,
    pub sha256: String,
    pub size: i64,
    pub backend: String,
    pub certificate_serial: Option<String>,
    pub signer_name: String,
    pub signer_position: String,
    pub organization_name: String,
    pub created_at: i64,
    pub number: Option<String>,
    pub letter_date: Option<String>,
    pub kind_name: String,
    pub subject: String,
    pub security: SecurityClass,
    /// `signed`, or `cancelled` for a withdrawn letter.
    pub state: DocumentState,
    /// Set when the certificate was revoked; the time in epoch ms.
    pub certificate_revoked_at: Option<i64>,
}

/// A signer certificate of the installation's CA.
#[derive(Clone, Debug)]
pub struct SignerCertificate {
    pub serial: String,
    pub employee_id: EmployeeId,
    pub certificate_der: Vec<u8>,
    pub sealed_key: Vec<u8>,
    pub subject: String,
    pub issued_at: i64,
    pub not_after: i64,
    /// Set when a newer certificate replaced this one; what it signed
    /// stays valid.
    pub superseded_at: Option<i64>,
    /// Set when the certificate was revoked; what it signed is reported
    /// as revoked.
    pub revoked_at: Option<i64>,
}

/// A failure to seal a signed document. The caller's own error is kept
/// whole, so the caller can tell a provider's refusal from a crash.
#[derive(Debug, thiserror::Error)]
#[error("sealing the signed document failed: {0}")]
pub struct SealFailure(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// The column a signed PDF is looked up by.
#[derive(Clone, Copy)]
pub(crate) enum PdfKey {
    Code,
    Sha256,
    Number,
}

const CA_SETTING: &str = "ca_certificate_pem";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Result<Vec<u8>, StoreError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| StoreError::Corrupt("base64 value".into()))
}

fn strip_prefix(name: &str) -> String {
    for prefix in [
        "Pemerintah Kabupaten ",
        "Kecamatan ",
        "Desa ",
        "Kelurahan ",
        "Kabupaten ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    name.to_owned()
}

/// Returns where letters are dated when no letterhead names a place: a village
/// or kecamatan by its own name, an agency by the town ending its address
/// (`…, Ungaran`).
fn default_place(owner: &OrgUp) -> String {
    if owner.kind != "agency" {
        return strip_prefix(&owner.name);
    }
    owner
        .address
        .as_deref()
        .and_then(|a| a.rsplit(',').next())
        .map(|town| {
            town.trim()
                .trim_end_matches(|c: char| c.is_ascii_digit() || c.is_whitespace())
                .to_owned()
        })
        .filter(|town| !town.is_empty() && town.chars().count() <= 40)
        .unwrap_or_else(|| strip_prefix(&owner.name))
}

#[derive(sqlx::FromRow)]
struct OrgUp {
    id: Uuid,
    kind: String,
    name: String,
    address: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct LetterheadRow {
    contact: String,
    place: String,
    emblem_sha256: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CertRow {
    serial: String,
    employee_id: Uuid,
    certificate: String,
    sealed_key: String,
    subject: String,
    issued_at: i64,
    not_after: i64,
    superseded_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl CertRow {
    fn into_certificate(self) -> Result<SignerCertificate, StoreError> {
        Ok(SignerCertificate {
            certificate_der: unb64(&self.certificate)?,
            sealed_key: unb64(&self.sealed_key)?,
            serial: self.serial,
            employee_id: EmployeeId::from_uuid(self.employee_id),
            subject: self.subject,
            issued_at: self.issued_at,
            not_after: self.not_after,
            superseded_at: self.superseded_at,
            revoked_at: self.revoked_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PdfRow {
    document_id: Uuid,
    verify_code: String,
    sha256: String,
    size: i64,
    backend: String,
    certificate_serial: Option<String>,
    signer_name: String,
    signer_position: String,
    organization_name: String,
    created_at: i64,
    number: Option<String>,
    letter_date: Option<String>,
    kind_name: String,
    subject: String,
    security: String,
    state: String,
    revoked_at: Option<i64>,
}

impl PdfRow {
    fn into_record(self) -> Result<PdfRecord, StoreError> {
        Ok(PdfRecord {
            document_id: DocumentId::from_uuid(self.document_id),
            security: self
                .security
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("security {:?}", self.security)))?,
            state: crate::documents::label_state(&self.state)?,
            verify_code: self.verify_code,
            sha256: self.sha256,
            size: self.size,
            backend: self.backend,
            certificate_serial: self.certificate_serial,
            signer_name: self.signer_name,
            signer_position: self.signer_position,
            organization_name: self.organization_name,
            created_at: self.created_at,
            number: self.number,
            letter_date: self.letter_date,
            kind_name: self.kind_name,
            subject: self.subject,
            certificate_revoked_at: self.revoked_at,
        })
    }
}

macro_rules! pdf_select {
    ($filter:literal) => {
        concat!(
            "SELECT p.document_id, p.verify_code, p.sha256, p.size, p.backend, \
    p.certificate_serial, p.signer_name, p.signer_position, p.organization_name, p.created_at, \
    d.number, d.letter_date, k.name AS kind_name, d.subject, d.security, d.state, c.revoked_at \
    FROM document_pdfs p JOIN documents d ON d.id = p.document_id \
    JOIN document_kinds k ON k.code = d.kind \
    LEFT JOIN signer_certificates c ON c.serial = p.certificate_serial WHERE ",
            $filter
        )
    };
}

both_backends! {
    pub(crate) async fn sign(
        conn: &mut Conn,
        id: DocumentId,
        actor: EmployeeId,
        request: &SignRequest,
        day: Date,
    ) -> Result<String, StoreError> {
        documents_db::sign(conn, id, actor, request, day).await
    }

    pub(crate) async fn document_view(conn: &mut Conn, id: DocumentId) -> Result<DocumentView, StoreError> {
        let doc = documents_db::doc(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("document", id))?;
        documents_db::view(conn, doc).await
    }

    pub(crate) async fn kop(conn: &mut Conn, organization: Uuid) -> Result<Kop, StoreError> {
        let chain: Vec<OrgUp> = sqlx::query_as(
            "WITH RECURSIVE up(id, parent_id, kind, name, address, depth) AS ( \
               SELECT id, parent_id, kind, name, address, 0 FROM organizations WHERE id = $1 \
               UNION ALL \
               SELECT o.id, o.parent_id, o.kind, o.name, o.address, up.depth + 1 \
               FROM organizations o JOIN up ON o.id = up.parent_id WHERE up.depth < 32) \
             SELECT id, kind, name, address FROM up ORDER BY depth",
        )
        .bind(organization)
        .fetch_all(&mut *conn)
        .await?;
        let owner_at = chain.iter().position(|o| o.kind != "unit").unwrap_or(0);
        let Some(owner) = chain.get(owner_at) else {
            return Ok(Kop::default());
        };
        let regency = chain.iter().find(|o| o.kind == "regency");
        let district = chain.iter().find(|o| o.kind == "district");
        let mut tiers = Vec::new();
        if let Some(r) = regency {
            tiers.push(r.name.clone());
        }
        if let Some(d) = district.filter(|_| matches!(owner.kind.as_str(), "village" | "urban_village"))
        {
            tiers.push(d.name.clone());
        }
        if owner.kind != "regency" {
            tiers.push(owner.name.clone());
        }
        let mut heads = Vec::new();
        for org in &chain[owner_at..] {
            let row: Option<LetterheadRow> = sqlx::query_as(
                "SELECT contact, place, emblem_sha256 FROM letterheads WHERE organization_id = $1",
            )
            .bind(org.id)
            .fetch_optional(&mut *conn)
            .await?;
            heads.push(row);
        }
        let own = heads.first().and_then(Option::as_ref);
        let contact: Vec<String> = match own {
            Some(h) if !h.contact.trim().is_empty() => h
                .contact
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => owner.address.iter().cloned().collect(),
        };
        // A village or kecamatan dates its letters at its own name unless
        // it set a place; an agency follows the regency's setting.
        let own_place = own.map(|h| h.place.trim()).filter(|p| !p.is_empty());
        let inherited = heads
            .iter()
            .flatten()
            .map(|h| h.place.trim())
            .find(|p| !p.is_empty());
        let place = match (own_place, owner.kind.as_str()) {
            (Some(p), _) => p.to_owned(),
            (None, "village" | "urban_village" | "district") => default_place(owner),
            (None, _) => inherited
                .map(str::to_owned)
                .unwrap_or_else(|| default_place(owner)),
        };
        let emblem_sha256 = heads
            .iter()
            .flatten()
            .find_map(|h| h.emblem_sha256.clone());
        Ok(Kop {
            tiers,
            contact,
            place,
            emblem_sha256,
            organization_name: owner.name.clone(),
        })
    }

    pub(crate) async fn signer_facts(
        conn: &mut Conn,
        view: &DocumentView,
    ) -> Result<SignerFacts, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Person {
            id: Uuid,
            name: String,
            identifier: String,
            rank: Option<String>,
        }
        let person: Option<Person> = match view.signed_by {
            Some(id) => sqlx::query_as("SELECT id, name, identifier, rank FROM employees WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&mut *conn)
                .await?,
            None => sqlx::query_as(
                "SELECT e.id, e.name, e.identifier, e.rank FROM positions p \
                 JOIN employees e ON e.id = p.holder_id WHERE p.id = $1",
            )
            .bind(view.signer_position_id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?,
        };
        let position = view
            .signature_block
            .last()
            .map(|l| l.trim_end_matches(',').to_owned())
            .unwrap_or_else(|| view.signer_position_name.clone());
        Ok(match person {
            Some(p) => SignerFacts {
                employee_id: Some(EmployeeId::from_uuid(p.id)),
                name: p.name,
                identifier: p.identifier,
                rank: p.rank,
                position,
            },
            None => SignerFacts {
                position,
                ..SignerFacts::default()
            },
        })
    }

    pub(crate) async fn facts(conn: &mut Conn, mut view: DocumentView) -> Result<LetterFacts, StoreError> {
        if view.signature_block.is_empty() {
            let day = serasi_domain::wib::today();
            if let Some(block) = documents_db::planned_signature_block(conn, view.id, day).await? {
                view.signature_block = block;
            }
        }
        let owner: Option<Uuid> =
            sqlx::query_scalar("SELECT organization_id FROM positions WHERE id = $1")
                .bind(view.required_signer_id.as_uuid())
                .fetch_optional(&mut *conn)
                .await?;
        let kop = kop(conn, owner.unwrap_or(view.organization_id.as_uuid())).await?;
        let signer = signer_facts(conn, &view).await?;
        Ok(LetterFacts {
            document: view,
            kop,
            signer,
        })
    }

    pub(crate) async fn insert_pdf(
        conn: &mut Conn,
        facts: &LetterFacts,
        sealed: &SealedPdf,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO document_pdfs (document_id, verify_code, sha256, size, backend, \
             certificate_serial, signer_name, signer_position, organization_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(facts.document.id.as_uuid())
        .bind(&sealed.verify_code)
        .bind(&sealed.sha256)
        .bind(sealed.size)
        .bind(&sealed.backend)
        .bind(&sealed.certificate_serial)
        .bind(&facts.signer.name)
        .bind(&facts.signer.position)
        .bind(&facts.kop.organization_name)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn pdf_where(
        conn: &mut Conn,
        key: PdfKey,
        value: String,
    ) -> Result<Vec<PdfRecord>, StoreError> {
        let sql = match key {
            PdfKey::Code => pdf_select!("p.verify_code = $1"),
            PdfKey::Sha256 => pdf_select!("p.sha256 = $1"),
            PdfKey::Number => pdf_select!("d.number = $1"),
        };
        let rows: Vec<PdfRow> = sqlx::query_as(sql)
            .bind(value)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(PdfRow::into_record).collect()
    }

    pub(crate) async fn pdf_for(conn: &mut Conn, id: DocumentId) -> Result<Option<PdfRecord>, StoreError> {
        let row: Option<PdfRow> = sqlx::query_as(pdf_select!("p.document_id = $1"))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        row.map(PdfRow::into_record).transpose()
    }

    pub(crate) async fn certificates(
        conn: &mut Conn,
        employee: Option<EmployeeId>,
        serial: Option<&str>,
    ) -> Result<Vec<SignerCertificate>, StoreError> {
        let rows: Vec<CertRow> = sqlx::query_as(
            "SELECT serial, employee_id, certificate, sealed_key, subject, issued_at, not_after, \
             superseded_at, revoked_at FROM signer_certificates \
             WHERE ($1 IS NULL OR employee_id = $1) AND ($2 IS NULL OR serial = $2) \
             ORDER BY issued_at DESC",
        )
        .bind(employee.map(|e| e.as_uuid()))
        .bind(serial)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().map(CertRow::into_certificate).collect()
    }

    pub(crate) async fn letterhead_row(
        conn: &mut Conn,
        org: Uuid,
    ) -> Result<Option<LetterheadRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT contact, place, emblem_sha256 FROM letterheads WHERE organization_id = $1",
        )
        .bind(org)
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub(crate) async fn put_letterhead(
        conn: &mut Conn,
        org: Uuid,
        row: &LetterheadRow,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO letterheads (organization_id, contact, place, emblem_sha256, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id) DO UPDATE SET \
             contact = excluded.contact, place = excluded.place, \
             emblem_sha256 = excluded.emblem_sha256, updated_at = excluded.updated_at",
        )
        .bind(org)
        .bind(&row.contact)
        .bind(&row.place)
        .bind(&row.emblem_sha256)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn setting(conn: &mut Conn, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?)
    }

    pub(crate) async fn put_setting(conn: &mut Conn, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn insert_certificate(conn: &mut Conn, row: &CertRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO signer_certificates (serial, employee_id, certificate, sealed_key, \
             subject, issued_at, not_after) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.serial)
        .bind(row.employee_id)
        .bind(&row.certificate)
        .bind(&row.sealed_key)
        .bind(&row.subject)
        .bind(row.issued_at)
        .bind(row.not_after)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn reseal(conn: &mut Conn, serial: &str, sealed: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE signer_certificates SET sealed_key = $2 WHERE serial = $1")
            .bind(serial)
            .bind(sealed)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn supersede(conn: &mut Conn, employee: EmployeeId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE signer_certificates SET superseded_at = $2 \
             WHERE employee_id = $1 AND superseded_at IS NULL",
        )
        .bind(employee.as_uuid())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn revoke(conn: &mut Conn, serial: &str, reason: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE signer_certificates SET revoked_at = $2, revoked_reason = $3 \
             WHERE serial = $1 AND revoked_at IS NULL",
        )
        .bind(serial)
        .bind(now_ms())
        .bind(reason)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Store {
    /// Signs, numbers and delivers the document, then lets `seal` render
    /// and sign its PDF with the assigned number, all in one transaction.
    /// When `seal` fails nothing is kept: the document stays unsigned and
    /// its number unused.
    pub async fn sign_and_seal<F, Fut>(
        &self,
        id: DocumentId,
        actor: EmployeeId,
        request: &SignRequest,
        day: Date,
        seal: F,
    ) -> Result<(String, SealedPdf), StoreError>
    where
        F: FnOnce(LetterFacts) -> Fut + Send,
        Fut: Future<Output = Result<SealedPdf, SealFailure>> + Send,
    {
        tx!(self, |conn, q| {
            let number = q::sign(conn, id, actor, request, day).await?;
            let view = q::document_view(conn, id).await?;
            let facts = q::facts(conn, view).await?;
            let sealed = seal(facts.clone()).await?;
            q::insert_pdf(conn, &facts, &sealed).await?;
            Ok((number, sealed))
        })
    }

    /// Returns the facts to print for a document `viewer` may see, for a
    /// preview.
    pub async fn letter_facts(
        &self,
        id: DocumentId,
        viewer: Actor,
        day: Date,
    ) -> Result<LetterFacts, StoreError> {
        let view = self.document_for(id, viewer, day).await?;
        rd!(self, |conn, q| q::facts(conn, view).await)
    }

    /// Returns the signed PDF of a document, if it has one.
    pub async fn document_pdf(&self, id: DocumentId) -> Result<Option<PdfRecord>, StoreError> {
        rd!(self, |conn, q| q::pdf_for(conn, id).await)
    }

    /// Returns the signed PDF behind a verification code.
    pub async fn pdf_by_code(&self, code: &str) -> Result<Option<PdfRecord>, StoreError> {
        // Crockford base32 reads O as 0 and I or L as 1, and ignores the
        // hyphens people add when copying a code from paper.
        let code: String = code
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|c| {
                *c != '-'
                    && !c.is_whitespace()
                    && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}')
            })
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        rd!(self, |conn, q| Ok(q::pdf_where(conn, PdfKey::Code, code)
            .await?
            .into_iter()
            .next()))
    }

    /// Returns the signed PDFs of documents with this number (one per
    /// organisation at most).
    pub async fn pdfs_by_number(&self, number: &str) -> Result<Vec<PdfRecord>, StoreError> {
        let number = number.trim().to_owned();
        rd!(self, |conn, q| q::pdf_where(conn, PdfKey::Number, number)
            .await)
    }

    /// Returns the signed PDFs whose file has this SHA-256.
    pub async fn pdfs_by_sha256(&self, sha256: &str) -> Result<Vec<PdfRecord>, StoreError> {
        let sha = sha256.to_ascii_lowercase();
        rd!(self, |conn, q| q::pdf_where(conn, PdfKey::Sha256, sha)
            .await)
    }

    /// Returns the letterhead of an organisation itself, without
    /// inheritance.
    pub async fn letterhead(&self, org: OrganizationId) -> Result<LetterheadSettings, StoreError> {
        let row = rd!(self, |conn, q| q::letterhead_row(conn, org.as_uuid()).await)?;
        Ok(match row {
            Some(r) => LetterheadSettings {
                organization_id: Some(org),
                contact: r.contact,
                place: r.place,
                emblem_sha256: r.emblem_sha256,
            },
            None => LetterheadSettings {
                organization_id: Some(org),
                ..LetterheadSettings::default()
            },
        })
    }

    /// Returns the kop an organisation's letters are printed under.
    pub async fn kop_for(&self, org: OrganizationId) -> Result<Kop, StoreError> {
        rd!(self, |conn, q| q::kop(conn, org.as_uuid()).await)
    }

    /// Saves an organisation's letterhead settings; `emblem` `None` keeps
    /// the current emblem, `Some(None)` removes it.
    pub async fn put_letterhead(
        &self,
        org: OrganizationId,
        contact: &str,
        place: &str,
        emblem: Option<Option<String>>,
    ) -> Result<(), StoreError> {
        let current = self.letterhead(org).await?;
        let row = LetterheadRow {
            contact: contact.trim().to_owned(),
            place: place.trim().to_owned(),
            emblem_sha256: emblem.unwrap_or(current.emblem_sha256),
        };
        tx!(self, |conn, q| q::put_letterhead(conn, org.as_uuid(), &row)
            .await)
    }

    /// Returns the root certificate of the installation's CA, as PEM.
    pub async fn ca_certificate(&self) -> Result<Option<String>, StoreError> {
        rd!(self, |conn, q| q::setting(conn, CA_SETTING).await)
    }

    /// Records the root certificate unless one is recorded already (or
    /// `replace` is set); returns the one in force.
    pub async fn put_ca_certificate(&self, pem: &str, replace: bool) -> Result<String, StoreError> {
        tx!(self, |conn, q| {
            if replace || q::setting(conn, CA_SETTING).await?.is_none() {
                q::put_setting(conn, CA_SETTING, pem).await?;
            }
            Ok(q::setting(conn, CA_SETTING).await?.unwrap_or_default())
        })
    }

    /// Returns the newest active certificate of `employee`: not revoked,
    /// not superseded and not expired.
    pub async fn active_certificate(
        &self,
        employee: EmployeeId,
    ) -> Result<Option<SignerCertificate>, StoreError> {
        let now = now_ms();
        rd!(self, |conn, q| Ok(q::certificates(
            conn,
            Some(employee),
            None
        )
        .await?
        .into_iter()
        .find(|c| c.revoked_at.is_none() && c.not_after > now)))
    }

    /// Returns every certificate of `employee`, newest first.
    pub async fn certificates_of(
        &self,
        employee: EmployeeId,
    ) -> Result<Vec<SignerCertificate>, StoreError> {
        rd!(self, |conn, q| q::certificates(conn, Some(employee), None)
            .await)
    }

    /// Returns every signer certificate, newest first.
    pub async fn all_certificates(&self) -> Result<Vec<SignerCertificate>, StoreError> {
        rd!(self, |conn, q| q::certificates(conn, None, None).await)
    }

    /// Returns the certificate with this serial number.
    pub async fn certificate(&self, serial: &str) -> Result<Option<SignerCertificate>, StoreError> {
        let serial = serial.to_ascii_lowercase();
        rd!(self, |conn, q| Ok(q::certificates(
            conn,
            None,
            Some(&serial)
        )
        .await?
        .into_iter()
        .next()))
    }

    /// Records a new certificate for `employee` and marks their earlier
    /// ones superseded (not revoked: what they signed stays valid).
    pub async fn add_certificate(
        &self,
        employee: EmployeeId,
        serial: &str,
        certificate_der: &[u8],
        sealed_key: &[u8],
        subject: &str,
        not_after: i64,
    ) -> Result<(), StoreError> {
        let row = CertRow {
            serial: serial.to_ascii_lowercase(),
            employee_id: employee.as_uuid(),
            certificate: b64(certificate_der),
            sealed_key: b64(sealed_key),
            subject: subject.to_owned(),
            issued_at: now_ms(),
            not_after,
            superseded_at: None,
            revoked_at: None,
        };
        tx!(self, |conn, q| {
            q::supersede(conn, employee).await?;
            q::insert_certificate(conn, &row).await
        })
    }

    /// Replaces the sealed key of a certificate, as after a password change.
    pub async fn reseal_certificate(
        &self,
        serial: &str,
        sealed_key: &[u8],
    ) -> Result<(), StoreError> {
        let sealed = b64(sealed_key);
        tx!(self, |conn, q| q::reseal(conn, serial, &sealed).await)
    }

    /// Revokes a certificate; later signatures with it are refused and the
    /// check page reports documents signed with it as revoked.
    pub async fn revoke_certificate(&self, serial: &str, reason: &str) -> Result<bool, StoreError> {
        let serial = serial.to_ascii_lowercase();
        tx!(self, |conn, q| q::revoke(conn, &serial, reason).await)
    }
}
