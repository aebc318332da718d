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
