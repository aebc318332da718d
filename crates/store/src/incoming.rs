//! Incoming letters in each organisation's register (*buku agenda surat
//! masuk*). Registration locks the organisation's agenda counter for the
//! year, so clerks registering at once get distinct, consecutive agenda
//! numbers and a failed registration uses none.

use serasi_domain::incoming::{IncomingError, IncomingFields};
use serasi_domain::{EmployeeId, IncomingId, OrganizationId, PositionId};
use serde::Serialize;
use uuid::Uuid;

use crate::error::DocumentRule;
use crate::{Store, StoreError, both_backends, now_ms, rd, tx};

/// A registered incoming letter as its register shows it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct IncomingRow {
    #[sqlx(try_from = "Uuid")]
    pub id: IncomingIdColumn,
    pub year: i64,
    pub agenda_no: i64,
    pub sender: String,
    pub sender_number: String,
    pub sender_date: String,
    pub received_on: String,
    pub subject: String,
    pub classification: String,
    pub security: String,
    pub urgency: String,
    #[sqlx(try_from = "Uuid")]
    pub addressee_position_id: PositionIdColumn,
    pub addressee_name: String,
    pub registered_at: i64,
}

/// An incoming-letter id read from a row.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(transparent)]
pub struct IncomingIdColumn(pub IncomingId);

impl From<Uuid> for IncomingIdColumn {
    fn from(id: Uuid) -> Self {
        IncomingIdColumn(IncomingId::from_uuid(id))
    }
}

/// A position id read from a row.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(transparent)]
pub struct PositionIdColumn(pub PositionId);

impl From<Uuid> for PositionIdColumn {
    fn from(id: Uuid) -> Self {
        PositionIdColumn(PositionId::from_uuid(id))
    }
}

/// A scan of an incoming letter.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct IncomingFile {
    pub seq: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: i64,
}

/// Most scans kept for one incoming letter.
pub const MAX_SCANS: i64 = 20;

/// The agenda number a registration received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub id: IncomingId,
    pub year: i32,
    pub agenda_no: i64,
}

both_backends! {
    /// Returns whether `position` belongs to `organization` or an
    /// organisation below it.
    async fn position_within(
        conn: &mut Conn,
        position: PositionId,
        organization: OrganizationId,
    ) -> Result<bool, StoreError> {
        let found: i64 = sqlx::query_scalar(
            "WITH RECURSIVE down(id, depth) AS ( \
               SELECT id, 0 FROM organizations WHERE id = $2 \
               UNION ALL \
               SELECT o.id, down.depth + 1 FROM organizations o JOIN down ON o.parent_id = down.id \
               WHERE down.depth < 32) \
             SELECT COUNT(*) FROM positions p JOIN down ON down.id = p.organization_id WHERE p.id = $1",
        )
        .bind(position.as_uuid())
        .bind(organization.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        Ok(found > 0)
    }

    pub(crate) async fn register(
        conn: &mut Conn,
        organization: OrganizationId,
        clerk: EmployeeId,
        fields: &IncomingFields,
    ) -> Result<Registered, StoreError> {
        let known: Option<String> =
            sqlx::query_scalar("SELECT code FROM classifications WHERE code = $1")
                .bind(&fields.classification)
                .fetch_optional(&mut *conn)
                .await?;
        if known.is_none() {
            return Err(DocumentRule::UnknownClassification(fields.classification.clone()).into());
        }
        if !position_within(conn, fields.addressee_position_id, organization).await? {
            return Err(IncomingError::AddresseeOutside.into());
        }
        let year = i64::from(fields.received_on.year());
        sqlx::query(
            "INSERT INTO agenda_counters (organization_id, year, last_agenda) VALUES ($1, $2, 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(organization.as_uuid())
        .bind(year)
        .execute(&mut *conn)
        .await?;
        // PostgreSQL locks the counter row; SQLite has a single writer.
        let lock = if IS_POSTGRES { " FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT last_agenda FROM agenda_counters WHERE organization_id = $1 AND year = $2{lock}"
        );
        let last: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(organization.as_uuid())
            .bind(year)
            .fetch_one(&mut *conn)
            .await?;
        let agenda_no = last + 1;
        sqlx::query(
            "UPDATE agenda_counters SET last_agenda = $3 WHERE organization_id = $1 AND year = $2",
        )
        .bind(organization.as_uuid())
        .bind(year)
        .bind(agenda_no)
        .execute(&mut *conn)
        .await?;
        let id = IncomingId::new();
        sqlx::query(
            "INSERT INTO incoming_letters (id, organization_id, year, agenda_no, sender, \
             sender_number, sender_date, received_on, subject, classification, security, urgency, \
             addressee_position_id, registered_by, registered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(id.as_uuid())
        .bind(organization.as_uuid())
        .bind(year)
        .bind(agenda_no)
        .bind(&fields.sender)
        .bind(&fields.sender_number)
        .bind(fields.sender_date.to_string())
        .bind(fields.received_on.to_string())
        .bind(&fields.subject)
        .bind(&fields.classification)
        .bind(fields.security.as_str())
        .bind(fields.urgency.as_str())
        .bind(fields.addressee_position_id.as_uuid())
        .bind(clerk.as_uuid())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        reindex_letter(conn, id).await?;
        Ok(Registered {
            id,
            year: fields.received_on.year(),
            agenda_no,
        })
    }

    pub(crate) async fn register_page(
        conn: &mut Conn,
        organization: OrganizationId,
        year: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<IncomingRow>, i64), StoreError> {
        let rows: Vec<IncomingRow> = sqlx::query_as(
            "SELECT i.id, i.year, i.agenda_no, i.sender, i.sender_number, i.sender_date, \
             i.received_on, i.subject, i.classification, i.security, i.urgency, \
             i.addressee_position_id, p.name AS addressee_name, i.registered_at \
             FROM incoming_letters i JOIN positions p ON p.id = i.addressee_position_id \
             WHERE i.organization_id = $1 AND i.year = $2 \
             ORDER BY i.agenda_no LIMIT $3 OFFSET $4",
        )
        .bind(organization.as_uuid())
        .bind(year)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incoming_letters WHERE organization_id = $1 AND year = $2",
        )
        .bind(organization.as_uuid())
        .bind(year)
        .fetch_one(&mut *conn)
        .await?;
        Ok((rows, total))
    }

    pub(crate) async fn letter_organization(
        conn: &mut Conn,
        id: IncomingId,
    ) -> Result<Option<OrganizationId>, StoreError> {
        let org: Option<Uuid> =
            sqlx::query_scalar("SELECT organization_id FROM incoming_letters WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&mut *conn)
                .await?;
        Ok(org.map(OrganizationId::from_uuid))
    }

    pub(crate) async fn add_file(
        conn: &mut Conn,
        id: IncomingId,
        file: &IncomingFile,
    ) -> Result<i64, StoreError> {
        // Locks the letter's row so two uploads at once get distinct
        // sequence numbers (SQLite has a single writer).
        if IS_POSTGRES {
            sqlx::query("SELECT id FROM incoming_letters WHERE id = $1 FOR UPDATE")
                .bind(id.as_uuid())
                .execute(&mut *conn)
                .await?;
        }
        let (count, last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(seq) FROM incoming_files WHERE incoming_id = $1",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        if count >= MAX_SCANS {
            return Err(IncomingError::TooManyScans.into());
        }
        let seq = last.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO incoming_files (incoming_id, seq, name, content_type, size, sha256, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.as_uuid())
        .bind(seq)
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(file.size)
        .bind(&file.sha256)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        reindex_letter(conn, id).await?;
        Ok(seq)
    }

    pub(crate) async fn files(conn: &mut Conn, id: IncomingId) -> Result<Vec<IncomingFile>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT seq, name, content_type, size, sha256, added_at FROM incoming_files \
             WHERE incoming_id = $1 ORDER BY seq",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Decides how far `actor` may read the letter on `day`.
    pub(crate) async fn access(
        conn: &mut Conn,
        id: IncomingId,
        actor: crate::documents::Actor,
        day: time::Date,
    ) -> Result<LetterAccess, StoreError> {
        let row: Option<(Uuid, String, Uuid, Uuid, Option<Uuid>)> = sqlx::query_as(
            "SELECT organization_id, security, registered_by, addressee_position_id, \
             source_document_id FROM incoming_letters WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await?;
        let Some((org, security, registered_by, addressee, source)) = row else {
            return Ok(LetterAccess::None);
        };
        // A letter delivered inside the system records its signer as the
        // one who registered it. The signer is not named on the recipient's
        // copy, so only a manual registration counts here.
        let registered_here = source.is_none() && registered_by == actor.employee_id.as_uuid();
        let me = actor.employee_id.as_uuid();
        let sql = format!(
            "SELECT COUNT(*) FROM ({}) mine WHERE id = $3 \
             OR id IN (SELECT to_position_id FROM dispositions WHERE incoming_id = $4 AND status <> 'cancelled') \
             OR id IN (SELECT from_position_id FROM dispositions WHERE incoming_id = $4)",
            crate::search::MY_POSITIONS_SQL
        );
        let held: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(me)
            .bind(day.to_string())
            .bind(addressee)
            .bind(id.as_uuid())
            .fetch_one(&mut *conn)
            .await?;
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dispositions WHERE incoming_id = $1 AND from_employee_id = $2",
        )
        .bind(id.as_uuid())
        .bind(me)
        .fetch_one(&mut *conn)
        .await?;
        if registered_here || held > 0 || sent > 0 {
            return Ok(LetterAccess::Named);
        }
        if matches!(security.as_str(), "rahasia" | "sangat_rahasia") {
            return Ok(LetterAccess::None);
        }
        if actor.is_admin || search_db::clerk_orgs(conn, actor).await?.contains(&org) {
            return Ok(LetterAccess::Register);
        }
        Ok(LetterAccess::None)
    }

    /// Rewrites the search entry of an incoming letter.
    pub(crate) async fn reindex_letter(conn: &mut Conn, id: IncomingId) -> Result<(), StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            organization_id: Uuid,
            agenda_no: i64,
            sender: String,
            sender_number: String,
            received_on: String,
            subject: String,
            classification: String,
            security: String,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT organization_id, agenda_no, sender, sender_number, received_on, subject, \
             classification, security FROM incoming_letters WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let notes: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT instructions, note, report, status FROM dispositions WHERE incoming_id = $1 \
             ORDER BY created_at",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        let texts: Vec<String> = sqlx::query_scalar(
            "SELECT t.text FROM incoming_files f JOIN file_texts t ON t.sha256 = f.sha256 \
             WHERE f.incoming_id = $1 \
             UNION ALL SELECT t.text FROM disposition_files f JOIN dispositions d ON d.id = f.disposition_id \
             JOIN file_texts t ON t.sha256 = f.sha256 WHERE d.incoming_id = $1",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        let live: Vec<&str> = notes
            .iter()
            .map(|n| n.3.as_str())
            .filter(|s| *s != "cancelled")
            .collect();
        let status = if live.is_empty() {
            "registered"
        } else if live.iter().all(|s| *s == "done") {
            "done"
        } else {
            "in_progress"
        };
        let mut extra: Vec<String> = Vec::new();
        for (instructions, note, report, _) in &notes {
            let labels: Vec<String> = serde_json::from_str(instructions).unwrap_or_default();
            extra.push(labels.join(", "));
            extra.push(note.clone());
            if let Some(report) = report {
                extra.push(report.clone());
            }
        }
        extra.extend(texts);
        search_db::put_entry(
            conn,
            crate::search::Entry {
                entry_id: id.as_uuid(),
                source: "incoming",
                kind: "surat_masuk".into(),
                organization_id: row.organization_id,
                classification: row.classification,
                security: row.security,
                status: status.into(),
                letter_date: row.received_on,
                number: row.sender_number,
                agenda_no: Some(row.agenda_no),
                subject: row.subject,
                party: row.sender,
                body: String::new(),
                extra: extra
                    .into_iter()
                    .filter(|t| !t.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
        )
        .await
    }

    pub(crate) async fn detail(
        conn: &mut Conn,
        id: IncomingId,
        actor: crate::documents::Actor,
        day: time::Date,
    ) -> Result<Option<(IncomingDetail, LetterAccess)>, StoreError> {
        let access = access(conn, id, actor, day).await?;
        if access == LetterAccess::None {
            return Ok(None);
        }
        let letter: IncomingRow = sqlx::query_as(
            "SELECT i.id, i.year, i.agenda_no, i.sender, i.sender_number, i.sender_date, \
             i.received_on, i.subject, i.classification, i.security, i.urgency, \
             i.addressee_position_id, p.name AS addressee_name, i.registered_at \
             FROM incoming_letters i JOIN positions p ON p.id = i.addressee_position_id \
             WHERE i.id = $1",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        let (org, org_name, source, clerk): (Uuid, String, Option<Uuid>, String) = sqlx::query_as(
            "SELECT o.id, o.name, i.source_document_id, e.name FROM incoming_letters i \
             JOIN organizations o ON o.id = i.organization_id \
             JOIN employees e ON e.id = i.registered_by WHERE i.id = $1",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        let sql = format!(
            "SELECT COUNT(*) FROM ({}) mine WHERE id = $3",
            crate::search::MY_POSITIONS_SQL
        );
        let held: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(actor.employee_id.as_uuid())
            .bind(day.to_string())
            .bind(letter.addressee_position_id.0.as_uuid())
            .fetch_one(&mut *conn)
            .await?;
        let files = files(conn, id).await?;
        Ok(Some((
            IncomingDetail {
                letter,
                organization_id: OrganizationId::from_uuid(org),
                organization_name: org_name,
                source_document_id: source.map(serasi_domain::DocumentId::from_uuid),
                registered_by: clerk,
                files,
                is_addressee: held > 0,
            },
            access,
        )))
    }

    /// Registers a document signed inside the system in the incoming
    /// register of each recipient office (agency, kecamatan or village),
    /// once per office, so the letter is never typed again.
    pub(crate) async fn register_delivered(
        conn: &mut Conn,
        document: serasi_domain::DocumentId,
        day: time::Date,
    ) -> Result<(), StoreError> {
        #[derive(sqlx::FromRow)]
        struct Doc {
            organization_id: Uuid,
            number: Option<String>,
            letter_date: Option<String>,
            subject: String,
            classification: String,
            security: String,
            urgency: String,
            signed_by: Option<Uuid>,
        }
        let doc: Doc = sqlx::query_as(
            "SELECT organization_id, number, letter_date, subject, classification, security, \
             urgency, signed_by FROM documents WHERE id = $1",
        )
        .bind(document.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        let (Some(number), Some(letter_date), Some(signer)) =
            (doc.number, doc.letter_date, doc.signed_by)
        else {
            return Ok(());
        };
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let sender_date = time::Date::parse(&letter_date, &format)
            .map_err(|_| StoreError::Corrupt(format!("letter date {letter_date:?}")))?;
        let orgs: Vec<(Uuid, Option<Uuid>, String, String)> =
            sqlx::query_as("SELECT id, parent_id, kind, name FROM organizations")
                .fetch_all(&mut *conn)
                .await?;
        // The office of an organisation: itself, or the agency, kecamatan
        // or village its unit belongs to.
        let office_of = |mut org: Uuid| {
            for _ in 0..32 {
                match orgs.iter().find(|o| o.0 == org) {
                    Some((_, Some(parent), kind, _)) if kind == "unit" => org = *parent,
                    _ => break,
                }
            }
            org
        };
        let signer_org: Option<Uuid> = sqlx::query_scalar(
            "SELECT p.organization_id FROM documents d JOIN positions p ON p.id = d.signer_position_id \
             WHERE d.id = $1",
        )
        .bind(document.as_uuid())
        .fetch_optional(&mut *conn)
        .await?;
        let sending_office = office_of(signer_org.unwrap_or(doc.organization_id));
        let sender = orgs
            .iter()
            .find(|o| o.0 == sending_office)
            .map(|o| o.3.clone())
            .unwrap_or_default();
        // Addressees come before copies in delivery order, so each office
        // registers the letter once, addressed to its first addressee (or
        // its first copy holder when it only gets a copy).
        let posts: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "SELECT d.position_id, p.organization_id FROM deliveries d \
             JOIN positions p ON p.id = d.position_id \
             WHERE d.document_id = $1 ORDER BY d.seq",
        )
        .bind(document.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        let mut done_offices: Vec<Uuid> = Vec::new();
        for (post, post_org) in posts {
            let office = office_of(post_org);
            if done_offices.contains(&office) {
                continue;
            }
            done_offices.push(office);
            let fields = IncomingFields {
                sender: sender.clone(),
                sender_number: number.clone(),
                sender_date,
                received_on: day.max(sender_date),
                subject: doc.subject.clone(),
                classification: doc.classification.clone(),
                security: doc.security.parse().unwrap_or(serasi_domain::document::SecurityClass::Ordinary),
                urgency: doc.urgency.parse().unwrap_or(serasi_domain::document::Urgency::Ordinary),
                addressee_position_id: PositionId::from_uuid(post),
            };
            let registered = register(
                conn,
                OrganizationId::from_uuid(office),
                EmployeeId::from_uuid(signer),
                &fields,
            )
            .await?;
            sqlx::query("UPDATE incoming_letters SET source_document_id = $2 WHERE id = $1")
                .bind(registered.id.as_uuid())
                .bind(document.as_uuid())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Returns the organisation whose register contains the incoming
    /// letter.
    pub async fn incoming_organization(
        &self,
        id: IncomingId,
    ) -> Result<Option<OrganizationId>, StoreError> {
        rd!(self, |conn, q| q::letter_organization(conn, id).await)
    }

    /// Records a scan already stored under its SHA-256; returns its
    /// sequence number.
    pub async fn add_incoming_file(
        &self,
        id: IncomingId,
        file: &IncomingFile,
    ) -> Result<i64, StoreError> {
        tx!(self, |conn, q| q::add_file(conn, id, file).await)
    }

    /// Returns the scans of an incoming letter in upload order.
    pub async fn incoming_files(&self, id: IncomingId) -> Result<Vec<IncomingFile>, StoreError> {
        rd!(self, |conn, q| q::files(conn, id).await)
    }

    /// Registers an incoming letter in `organization`'s register for the
    /// year it arrived and returns its agenda number.
    pub async fn register_incoming(
        &self,
        organization: OrganizationId,
        clerk: EmployeeId,
        fields: &IncomingFields,
    ) -> Result<Registered, StoreError> {
        tx!(self, |conn, q| q::register(
            conn,
            organization,
            clerk,
            fields
        )
        .await)
    }

    /// Returns one page of an organisation's incoming register for a year,
    /// in agenda order, and the number of letters in it.
    pub async fn incoming_register(
        &self,
        organization: OrganizationId,
        year: i32,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<IncomingRow>, i64), StoreError> {
        let limit = i64::from(per_page.clamp(1, 200));
        let offset = i64::from(page.max(1) - 1) * limit;
        rd!(self, |conn, q| q::register_page(
            conn,
            organization,
            i64::from(year),
            limit,
            offset
        )
        .await)
    }
}

/// How far someone may see an incoming letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LetterAccess {
    None,
    /// As a clerk of its register or an administrator: ordinary letters
    /// only.
    Register,
    /// As someone named on it: the clerk who registered it, its
    /// addressee, or a sender or recipient of a disposition.
    Named,
}

/// An incoming letter with everything its page shows.
#[derive(Clone, Debug, Serialize)]
pub struct IncomingDetail {
    pub letter: IncomingRow,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub source_document_id: Option<serasi_domain::DocumentId>,
    pub registered_by: String,
    pub files: Vec<IncomingFile>,
    /// Whether the viewer holds the addressee's post or acts in it.
    pub is_addressee: bool,
}

impl Store {
    /// Returns how far `actor` may read an incoming letter on `day`.
    pub async fn incoming_access(
        &self,
        id: IncomingId,
        actor: crate::documents::Actor,
        day: time::Date,
    ) -> Result<LetterAccess, StoreError> {
        rd!(self, |conn, q| q::access(conn, id, actor, day).await)
    }

    /// Returns the letter's page data, or `None` when `actor` may not
    /// read it.
    pub async fn incoming_detail(
        &self,
        id: IncomingId,
        actor: crate::documents::Actor,
        day: time::Date,
    ) -> Result<Option<(IncomingDetail, LetterAccess)>, StoreError> {
        rd!(self, |conn, q| q::detail(conn, id, actor, day).await)
    }
}
