//! Outgoing official documents: kinds, drafts and their revisions, the
//! initials chain, delegations, signing with atomic numbering, delivery to
//! inboxes, queues and the timeline.
//!
//! Every action runs in one write transaction that first locks the
//! document row (PostgreSQL `FOR UPDATE`; SQLite has a single writer), then
//! checks the state machine, so a double-clicked button acts once and the
//! second click gets the state it found.

use std::collections::HashSet;

use serasi_domain::authority::{Chart, Delegation, DelegationKind};
use serasi_domain::directory::{Organization, Position};
use serasi_domain::document::{
    DocumentAction, DocumentKind, DocumentState, DraftFields, Layout, Recipient, SecurityClass,
    SeriesScope, Urgency, next_state,
};
use serasi_domain::numbering::{NumberContext, NumberTemplate, Serial};
use serasi_domain::{DelegationId, DocumentId, EmployeeId, OrganizationId, PositionId};
use serde::Serialize;
use time::Date;
use time::macros::format_description;
use uuid::Uuid;

use crate::error::{Conflict, DocumentRule};
use crate::{Store, StoreError, both_backends, now_ms, rd, tx};

/// Formats a WIB date as stored: `2026-12-04`.
fn date_text(date: Date) -> String {
    date.to_string()
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| StoreError::Corrupt(format!("date {text:?}")))
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

fn label<T: std::str::FromStr>(what: &str, value: &str) -> Result<T, StoreError> {
    value.parse().map_err(|_| corrupt(what, value))
}

/// Acting person: the employee behind the account and the account's role.
#[derive(Clone, Copy, Debug)]
pub struct Actor {
    pub employee_id: EmployeeId,
    pub is_admin: bool,
    pub is_clerk: bool,
}

/// An addressee or copy holder with a readable label.
#[derive(Clone, Debug, Serialize)]
pub struct RecipientView {
    pub recipient: Recipient,
    pub label: String,
}

/// One place in the initials chain.
#[derive(Clone, Debug, Serialize)]
pub struct ReviewView {
    pub seq: i64,
    pub position_id: PositionId,
    pub position_name: String,
    pub coordination: bool,
    /// `pending`, `initialled` or `returned`.
    pub status: String,
    pub reviewed_revision: Option<i64>,
    pub actor_name: Option<String>,
    pub acting: Option<String>,
    pub acted_at: Option<i64>,
}

/// One recipient of a signed document.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryView {
    pub seq: i64,
    pub is_copy: bool,
    pub label: String,
    pub employee_id: Option<EmployeeId>,
    pub employee_name: Option<String>,
    pub external_address: Option<String>,
    pub delivered_at: i64,
    pub read_at: Option<i64>,
}

/// One step of a document's life.
#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub at: i64,
    pub actor_name: Option<String>,
    pub action: String,
    pub revision: i64,
    pub comment: Option<String>,
}

/// A document with everything its page shows.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentView {
    pub id: DocumentId,
    pub kind: String,
    pub kind_name: String,
    pub layout: Layout,
    pub state: DocumentState,
    pub revision: i64,
    pub author_id: EmployeeId,
    pub author_name: String,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub classification: String,
    pub security: SecurityClass,
    pub urgency: Urgency,
    pub subject: String,
    pub attachment_count: i64,
    pub body: String,
    pub addressees: Vec<RecipientView>,
    pub copies: Vec<RecipientView>,
    pub reviews: Vec<ReviewView>,
    pub required_signer_id: PositionId,
    pub signer_position_id: PositionId,
    pub signer_position_name: String,
    pub waiting_position_id: Option<PositionId>,
    pub signed_by: Option<EmployeeId>,
    pub signed_by_name: Option<String>,
    pub signature_block: Vec<String>,
    pub signed_at: Option<i64>,
    pub letter_date: Option<Date>,
    pub number: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Actions the viewer may take now: `edit`, `submit`, `initial`,
    /// `return`, `sign`, `cancel`.
    pub actions: Vec<&'static str>,
    /// Whether the viewer takes part in drafting and signing; recipients
    /// see the signed letter but not its revisions or review comments.
    pub participant: bool,
}

/// A line of a queue or box.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DocumentSummary {
    #[sqlx(try_from = "Uuid")]
    pub id: DocumentIdColumn,
    pub kind: String,
    pub kind_name: String,
    pub state: String,
    pub subject: String,
    pub number: Option<String>,
    pub urgency: String,
    pub security: String,
    pub letter_date: Option<String>,
    pub author_name: String,
    pub updated_at: i64,
    /// Inbox only: delivery time, read time and whether it is a copy.
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub is_copy: Option<bool>,
}

/// A document id read from a row.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(transparent)]
pub struct DocumentIdColumn(pub DocumentId);

impl From<Uuid> for DocumentIdColumn {
    fn from(id: Uuid) -> Self {
        DocumentIdColumn(DocumentId::from_uuid(id))
    }
}

/// The lists a person works from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// My drafts and returned drafts.
    Drafts,
    /// Waiting for my initials.
    ToInitial,
    /// Waiting for my signature.
    ToSign,
    /// Delivered to me, unread first.
    Inbox,
    /// Signed documents I wrote or signed.
    Outbox,
}

impl Queue {
    pub const ALL: [Queue; 5] = [
        Queue::Drafts,
        Queue::ToInitial,
        Queue::ToSign,
        Queue::Inbox,
        Queue::Outbox,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Queue::Drafts => "drafts",
            Queue::ToInitial => "to_initial",
            Queue::ToSign => "to_sign",
            Queue::Inbox => "inbox",
            Queue::Outbox => "outbox",
        }
    }
}

impl std::str::FromStr for Queue {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Queue::ALL.into_iter().find(|q| q.as_str() == s).ok_or(())
    }
}

/// Filters of a queue listing.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub kind: Option<String>,
    pub urgency: Option<Urgency>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// 1-based page.
    pub page: u32,
    pub per_page: u32,
}

/// One page of a queue.
#[derive(Clone, Debug, Serialize)]
pub struct QueuePage {
    pub items: Vec<DocumentSummary>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// Counters shown on the dashboard.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct QueueCounts {
    pub drafts: i64,
    pub to_initial: i64,
    pub to_sign: i64,
    pub inbox_unread: i64,
    pub outbox: i64,
}

/// A saved revision of a draft.
#[derive(Clone, Debug, Serialize)]
pub struct RevisionView {
    pub revision: i64,
    pub saved_at: i64,
    pub saved_by_name: String,
    pub content: DraftFields,
}

/// Rule for a save of a new draft's form when the same form already
/// created a draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewDraftSave {
    /// The form sends the revision it builds on.
    Based(i64),
    /// The author clicked Save: the form's content is the newest.
    Explicit,
    /// An autosave without a revision yet: it never overwrites.
    Auto,
}

/// Signing options: the letter date and a typed number.
#[derive(Clone, Debug, Default)]
pub struct SignRequest {
    /// The letter's date; today (WIB) when absent. An earlier date than
    /// numbers already given gets an insert number.
    pub letter_date: Option<Date>,
    /// A number typed by hand for a letter signed on paper.
    pub manual_number: Option<String>,
}

/// A line of the dispatch register: an external addressee to send to.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DispatchLine {
    #[sqlx(try_from = "Uuid")]
    pub document_id: DocumentIdColumn,
    pub number: Option<String>,
    pub letter_date: Option<String>,
    pub subject: String,
    pub external_name: Option<String>,
    pub external_address: Option<String>,
    pub is_copy: bool,
}

/// A file attached to a document.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AttachmentView {
    pub seq: i64,
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub added_at: i64,
}

/// Most files on one document.
pub const MAX_ATTACHMENTS: i64 = 20;

/// A position found by the recipient picker.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PositionHit {
    pub id: Uuid,
    pub name: String,
    pub organization_name: String,
    pub holder_name: Option<String>,
}

/// A number in the cancellation log.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CancelledNumber {
    pub number: String,
    #[sqlx(try_from = "Uuid")]
    pub document_id: DocumentIdColumn,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct KindRow {
    code: String,
    name: String,
    abbreviation: String,
    layout: String,
    signer_level: String,
    number_template: String,
    series_scope: String,
    active: bool,
}

impl KindRow {
    fn into_domain(self) -> Result<DocumentKind, StoreError> {
        Ok(DocumentKind {
            layout: label("layout", &self.layout)?,
            signer_level: label("signer level", &self.signer_level)?,
            series_scope: label("series scope", &self.series_scope)?,
            code: self.code,
            name: self.name,
            abbreviation: self.abbreviation,
            number_template: self.number_template,
            active: self.active,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DelegationRow {
    id: Uuid,
    kind: String,
    principal_id: Uuid,
    delegate_position_id: Option<Uuid>,
    delegate_employee_id: Option<Uuid>,
    via_id: Option<Uuid>,
    decree_number: String,
    starts_on: String,
    ends_on: String,
}

impl DelegationRow {
    fn into_domain(self) -> Result<Delegation, StoreError> {
        Ok(Delegation {
            id: DelegationId::from_uuid(self.id),
            kind: label("delegation kind", &self.kind)?,
            principal_id: PositionId::from_uuid(self.principal_id),
            delegate_position_id: self.delegate_position_id.map(PositionId::from_uuid),
            delegate_employee_id: self.delegate_employee_id.map(EmployeeId::from_uuid),
            via_id: self.via_id.map(DelegationId::from_uuid),
            decree_number: self.decree_number,
            starts_on: parse_date(&self.starts_on)?,
            ends_on: parse_date(&self.ends_on)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DocRow {
    id: Uuid,
    kind: String,
    state: String,
    revision: i64,
    author_id: Uuid,
    organization_id: Uuid,
    classification: String,
    security: String,
    urgency: String,
    subject: String,
    attachment_count: i64,
    body: String,
    addressees: String,
    copies: String,
    reviewers: String,
    coordinators: String,
    required_signer_id: Uuid,
    signer_position_id: Uuid,
    waiting_position_id: Option<Uuid>,
    signed_by: Option<Uuid>,
    signature_block: Option<String>,
    signed_at: Option<i64>,
    letter_date: Option<String>,
    number: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const DOC_COLUMNS: &str = "id, kind, state, revision, author_id, \
    organization_id, classification, security, urgency, subject, attachment_count, body, \
    addressees, copies, reviewers, coordinators, required_signer_id, signer_position_id, \
    waiting_position_id, signed_by, signature_block, signed_at, letter_date, number, \
    created_at, updated_at";

/// A document as stored, decoded.
pub(crate) struct Doc {
    row: DocRow,
    state: DocumentState,
    author: EmployeeId,
    fields: DraftFields,
}

impl Doc {
    fn from_row(row: DocRow) -> Result<Doc, StoreError> {
        let json = |what: &str, text: &str| -> Result<serde_json::Value, StoreError> {
            serde_json::from_str(text).map_err(|_| corrupt(what, text))
        };
        let fields = DraftFields {
            kind: row.kind.clone(),
            classification: row.classification.clone(),
            security: label("security class", &row.security)?,
            urgency: label("urgency", &row.urgency)?,
            subject: row.subject.clone(),
            attachment_count: u16::try_from(row.attachment_count).unwrap_or(0),
            addressees: serde_json::from_value(json("addressees", &row.addressees)?)
                .map_err(|_| corrupt("addressees", &row.addressees))?,
            copies: serde_json::from_value(json("copies", &row.copies)?)
                .map_err(|_| corrupt("copies", &row.copies))?,
            body: row.body.clone(),
            signer_position_id: Some(PositionId::from_uuid(row.signer_position_id)),
            reviewers: Some(
                serde_json::from_value(json("reviewers", &row.reviewers)?)
                    .map_err(|_| corrupt("reviewers", &row.reviewers))?,
            ),
            coordinators: serde_json::from_value(json("coordinators", &row.coordinators)?)
                .map_err(|_| corrupt("coordinators", &row.coordinators))?,
        };
        Ok(Doc {
            state: label_state(&row.state)?,
            author: EmployeeId::from_uuid(row.author_id),
            fields,
            row,
        })
    }

    fn id(&self) -> DocumentId {
        DocumentId::from_uuid(self.row.id)
    }

    fn reviewers(&self) -> &[PositionId] {
        self.fields.reviewers.as_deref().unwrap_or_default()
    }

    fn signer(&self) -> PositionId {
        PositionId::from_uuid(self.row.signer_position_id)
    }

    fn required(&self) -> PositionId {
        PositionId::from_uuid(self.row.required_signer_id)
    }

    /// Returns the positions and organisations the document names.
    fn seeds(&self) -> (Vec<PositionId>, Vec<OrganizationId>) {
        let mut positions = vec![self.required(), self.signer()];
        positions.extend(self.reviewers().iter().copied());
        positions.extend(self.fields.coordinators.iter().copied());
        let mut orgs = Vec::new();
        for recipient in self.fields.addressees.iter().chain(&self.fields.copies) {
            match recipient {
                Recipient::Position { position_id } => positions.push(*position_id),
                Recipient::Organization { organization_id } => orgs.push(*organization_id),
                Recipient::External { .. } => {}
            }
        }
        (positions, orgs)
    }
}

/// How far a person may see a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    None,
    /// An addressee or copy holder: the signed letter, not its drafting.
    Recipient,
    /// The author, a reviewer, the signer or an administrator.
    Participant,
}

/// A position row of the partial chart query.
#[derive(sqlx::FromRow)]
struct PositionRecord {
    id: Uuid,
    organization_id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    holder_id: Option<Uuid>,
    is_demo: bool,
}

impl PositionRecord {
    fn into_domain(self) -> Position {
        Position {
            id: PositionId::from_uuid(self.id),
            organization_id: OrganizationId::from_uuid(self.organization_id),
            name: self.name,
            parent_id: self.parent_id.map(PositionId::from_uuid),
            holder_id: self.holder_id.map(EmployeeId::from_uuid),
            is_demo: self.is_demo,
        }
    }
}

pub(crate) fn label_state(text: &str) -> Result<DocumentState, StoreError> {
    let state = match text {
        "draft" => DocumentState::Draft,
        "in_review" => DocumentState::InReview,
        "returned" => DocumentState::Returned,
        "ready_to_sign" => DocumentState::ReadyToSign,
        "signed" => DocumentState::Signed,
        "cancelled" => DocumentState::Cancelled,
        other => return Err(corrupt("document state", other)),
    };
    Ok(state)
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    seq: i64,
    position_id: Uuid,
    coordination: bool,
    status: String,
}

/// Draft references resolved against the chart.
struct Placement {
    organization_id: OrganizationId,
    author_position: Option<PositionId>,
    required: PositionId,
    signer: PositionId,
    reviewers: Vec<PositionId>,
}

/// The series a document is numbered in.
struct Series {
    organization_id: OrganizationId,
    key: String,
    year: i32,
}

/// Serialises the part of `fields` a revision keeps as JSON.
fn revision_json(fields: &DraftFields) -> String {
    serde_json::to_string(fields).unwrap_or_else(|_| String::from("{}"))
}

fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| String::from("[]"))
}

/// SQL of the positions an employee fills or acts for on a day ($1 the
/// employee, $2 the WIB date).
const MY_POSITIONS: &str = "SELECT id FROM positions WHERE holder_id = $1 \
    UNION SELECT d.principal_id FROM delegations d JOIN positions p ON p.id = d.principal_id \
    WHERE d.delegate_employee_id = $1 AND d.starts_on <= $2 AND d.ends_on >= $2 \
    AND ((d.kind = 'plt' AND p.holder_id IS NULL) OR (d.kind = 'plh' AND p.holder_id IS NOT NULL))";

both_backends! {
    pub(crate) async fn load_chart(conn: &mut Conn) -> Result<Chart, StoreError> {
        let orgs: Vec<Organization> = directory_db::all_orgs(conn).await?;
        let positions: Vec<Position> = directory_db::all_positions(conn).await?;
        let delegations = all_delegations(conn).await?;
        Ok(Chart::new(orgs, positions, delegations))
    }

    /// Loads the part of the chart that decisions about `seeds` need: those
    /// positions and their superiors, the positions of `orgs` and of their
    /// superior organisations, every delegation and the positions it names.
    /// A regency has thousands of posts, and an action needs a few.
    pub(crate) async fn load_chart_for(
        conn: &mut Conn,
        seeds: &[PositionId],
        orgs: &[OrganizationId],
    ) -> Result<Chart, StoreError> {
        let all_orgs: Vec<Organization> = directory_db::all_orgs(conn).await?;
        let mut org_ids: Vec<OrganizationId> = Vec::new();
        for org in orgs {
            let mut current = all_orgs.iter().find(|o| o.id == *org);
            while let Some(o) = current {
                if org_ids.contains(&o.id) {
                    break;
                }
                org_ids.push(o.id);
                current = o.parent_id.and_then(|p| all_orgs.iter().find(|x| x.id == p));
            }
        }
        let delegations = all_delegations(conn).await?;
        let placeholders = |start: usize, count: usize| {
            if count == 0 {
                "NULL".to_owned()
            } else {
                (start..start + count)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let sql = format!(
            "WITH RECURSIVE seed(id) AS ( \
               SELECT id FROM positions WHERE id IN ({}) OR organization_id IN ({}) \
               UNION SELECT principal_id FROM delegations \
               UNION SELECT delegate_position_id FROM delegations WHERE delegate_position_id IS NOT NULL), \
             up(id) AS (SELECT id FROM seed \
               UNION SELECT p.parent_id FROM positions p JOIN up ON p.id = up.id \
               WHERE p.parent_id IS NOT NULL) \
             SELECT id, organization_id, name, parent_id, holder_id, is_demo FROM positions \
             WHERE id IN (SELECT id FROM up)",
            placeholders(1, seeds.len()),
            placeholders(seeds.len() + 1, org_ids.len()),
        );
        let mut query = sqlx::query_as::<_, PositionRecord>(sqlx::AssertSqlSafe(sql));
        for seed in seeds {
            query = query.bind(seed.as_uuid());
        }
        for org in &org_ids {
            query = query.bind(org.as_uuid());
        }
        let positions = query
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(PositionRecord::into_domain)
            .collect();
        Ok(Chart::new(all_orgs, positions, delegations))
    }

    /// Loads the chart around a stored document: its signer, chain and
    /// recipients.
    async fn chart_for_doc(conn: &mut Conn, doc: &Doc) -> Result<Chart, StoreError> {
        let (seeds, orgs) = doc.seeds();
        load_chart_for(conn, &seeds, &orgs).await
    }

    pub(crate) async fn all_delegations(conn: &mut Conn) -> Result<Vec<Delegation>, StoreError> {
        let rows: Vec<DelegationRow> = sqlx::query_as(
            "SELECT id, kind, principal_id, delegate_position_id, delegate_employee_id, via_id, \
             decree_number, starts_on, ends_on FROM delegations ORDER BY starts_on, id",
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().map(DelegationRow::into_domain).collect()
    }

    pub(crate) async fn insert_delegation(
        conn: &mut Conn,
        d: &Delegation,
    ) -> Result<(), StoreError> {
        let mut seeds = vec![d.principal_id];
        seeds.extend(d.delegate_position_id);
        let chart = load_chart_for(conn, &seeds, &[]).await?;
        chart.check_delegation(d)?;
        sqlx::query(
            "INSERT INTO delegations (id, kind, principal_id, delegate_position_id, \
             delegate_employee_id, via_id, decree_number, starts_on, ends_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(d.id.as_uuid())
        .bind(d.kind.as_str())
        .bind(d.principal_id.as_uuid())
        .bind(d.delegate_position_id.map(|p| p.as_uuid()))
        .bind(d.delegate_employee_id.map(|e| e.as_uuid()))
        .bind(d.via_id.map(|v| v.as_uuid()))
        .bind(&d.decree_number)
        .bind(date_text(d.starts_on))
        .bind(date_text(d.ends_on))
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn delete_delegation(
        conn: &mut Conn,
        id: DelegationId,
    ) -> Result<(), StoreError> {
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM delegations WHERE via_id = $1")
            .bind(id.as_uuid())
            .fetch_one(&mut *conn)
            .await?;
        if used > 0 {
            return Err(Conflict::DelegationInUse.into());
        }
        let done = sqlx::query("DELETE FROM delegations WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("delegation", id));
        }
        Ok(())
    }

    pub(crate) async fn kinds(conn: &mut Conn) -> Result<Vec<DocumentKind>, StoreError> {
        let rows: Vec<KindRow> = sqlx::query_as(
            "SELECT code, name, abbreviation, layout, signer_level, number_template, series_scope, \
             active FROM document_kinds ORDER BY sort_order, code",
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().map(KindRow::into_domain).collect()
    }

    pub(crate) async fn kind(conn: &mut Conn, code: &str) -> Result<DocumentKind, StoreError> {
        let row: Option<KindRow> = sqlx::query_as(
            "SELECT code, name, abbreviation, layout, signer_level, number_template, series_scope, \
             active FROM document_kinds WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
        row.ok_or_else(|| DocumentRule::UnknownKind(code.to_owned()).into())
            .and_then(KindRow::into_domain)
    }

    pub(crate) async fn update_kind(
        conn: &mut Conn,
        kind: &DocumentKind,
        year: i32,
    ) -> Result<(), StoreError> {
        NumberTemplate::parse(&kind.number_template)
            .and_then(|t| t.check_scope(kind.series_scope))
            .map_err(DocumentRule::Template)?;
        let old = self::kind(conn, &kind.code).await?;
        check_abbreviation(conn, kind).await?;
        // A series that changes scope would restart its serials and repeat
        // numbers already given this year.
        if old.series_scope != kind.series_scope {
            let numbered: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM document_numbers n JOIN documents d ON d.id = n.document_id \
                 WHERE d.kind = $1 AND n.year >= $2",
            )
            .bind(&kind.code)
            .bind(i64::from(year))
            .fetch_one(&mut *conn)
            .await?;
            if numbered > 0 {
                return Err(DocumentRule::ScopeInUse.into());
            }
        }
        let done = sqlx::query(
            "UPDATE document_kinds SET name = $2, abbreviation = $3, layout = $4, \
             signer_level = $5, number_template = $6, series_scope = $7, active = $8 WHERE code = $1",
        )
        .bind(&kind.code)
        .bind(&kind.name)
        .bind(&kind.abbreviation)
        .bind(kind.layout.as_str())
        .bind(kind.signer_level.as_str())
        .bind(&kind.number_template)
        .bind(kind.series_scope.as_str())
        .bind(kind.active)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DocumentRule::UnknownKind(kind.code.clone()).into());
        }
        Ok(())
    }

    /// Rejects an abbreviation another kind already uses, because the
    /// `{kind}` token would make their numbers look alike.
    async fn check_abbreviation(conn: &mut Conn, kind: &DocumentKind) -> Result<(), StoreError> {
        let same: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM document_kinds WHERE LOWER(abbreviation) = LOWER($1) AND code <> $2",
        )
        .bind(&kind.abbreviation)
        .bind(&kind.code)
        .fetch_one(&mut *conn)
        .await?;
        if same > 0 {
            return Err(StoreError::Duplicate {
                field: "abbreviation",
                value: kind.abbreviation.clone(),
            });
        }
        Ok(())
    }

    pub(crate) async fn insert_kind(conn: &mut Conn, kind: &DocumentKind) -> Result<(), StoreError> {
        check_abbreviation(conn, kind).await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM document_kinds WHERE code = $1")
            .bind(&kind.code)
            .fetch_one(&mut *conn)
            .await?;
        if exists > 0 {
            return Err(StoreError::Duplicate {
                field: "code",
                value: kind.code.clone(),
            });
        }
        let order: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(sort_order), 0) + 1 FROM document_kinds")
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO document_kinds (code, name, abbreviation, layout, signer_level, \
             number_template, series_scope, active, sort_order) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&kind.code)
        .bind(&kind.name)
        .bind(&kind.abbreviation)
        .bind(kind.layout.as_str())
        .bind(kind.signer_level.as_str())
        .bind(&kind.number_template)
        .bind(kind.series_scope.as_str())
        .bind(kind.active)
        .bind(order)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Checks every reference of a draft and works out its signer and chain.
    async fn place_draft(
        conn: &mut Conn,
        author: EmployeeId,
        fields: &DraftFields,
        day: Date,
    ) -> Result<(Placement, Chart), StoreError> {
        let kind = kind(conn, &fields.kind).await?;
        if !kind.active {
            return Err(DocumentRule::KindRetired(kind.name).into());
        }
        let known: Option<String> =
            sqlx::query_scalar("SELECT code FROM classifications WHERE code = $1")
                .bind(&fields.classification)
                .fetch_optional(&mut *conn)
                .await?;
        if known.is_none() {
            return Err(DocumentRule::UnknownClassification(fields.classification.clone()).into());
        }
        let author_post = directory_db::position_of_employee(conn, author).await?;
        let author_position = author_post.as_ref().map(|p| p.id);
        let employee = directory_db::employee_by_id(conn, author)
            .await?
            .ok_or_else(|| StoreError::not_found("employee", author))?;
        let organization_id = author_post
            .as_ref()
            .map_or(employee.organization_id, |p| p.organization_id);
        let mut seeds: Vec<PositionId> = author_position.into_iter().collect();
        seeds.extend(fields.signer_position_id);
        seeds.extend(fields.reviewers.iter().flatten().copied());
        seeds.extend(fields.coordinators.iter().copied());
        let mut orgs = vec![organization_id];
        for recipient in fields.addressees.iter().chain(&fields.copies) {
            match recipient {
                Recipient::Position { position_id } => seeds.push(*position_id),
                Recipient::Organization { organization_id } => orgs.push(*organization_id),
                Recipient::External { .. } => {}
            }
        }
        let chart = load_chart_for(conn, &seeds, &orgs).await?;
        for recipient in fields.addressees.iter().chain(&fields.copies) {
            match recipient {
                Recipient::Position { position_id } if chart.position(*position_id).is_none() => {
                    return Err(StoreError::not_found("position", position_id));
                }
                Recipient::Organization { organization_id }
                    if chart.organization(*organization_id).is_none() =>
                {
                    return Err(StoreError::not_found("organisation", organization_id));
                }
                _ => {}
            }
        }
        let required = chart
            .required_signer(organization_id, kind.signer_level)
            .ok_or(serasi_domain::authority::AuthorityError::NoRequiredSigner)?;
        let signer = fields.signer_position_id.unwrap_or(required);
        if chart.position(signer).is_none() {
            return Err(StoreError::not_found("position", signer));
        }
        chart.route(required, signer, day)?;
        let reviewers = match &fields.reviewers {
            Some(list) => list.clone(),
            None => author_position
                .map(|p| chart.default_reviewers(p, signer))
                .unwrap_or_default(),
        };
        for position in reviewers.iter().chain(&fields.coordinators) {
            if chart.position(*position).is_none() {
                return Err(StoreError::not_found("position", position));
            }
        }
        let mut all = reviewers.clone();
        all.extend(fields.coordinators.iter().copied());
        chart.check_chain(author, signer, &all, day)?;
        Ok((
            Placement {
                organization_id,
                author_position,
                required,
                signer,
                reviewers,
            },
            chart,
        ))
    }

    async fn add_event(
        conn: &mut Conn,
        doc: DocumentId,
        actor: Option<EmployeeId>,
        action: &str,
        revision: i64,
        comment: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO document_events (id, document_id, at, actor_id, action, revision, comment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(doc.as_uuid())
        .bind(now_ms())
        .bind(actor.map(|a| a.as_uuid()))
        .bind(action)
        .bind(revision)
        .bind(comment)
        .execute(&mut *conn)
        .await?;
        if action != "read" {
            reindex(conn, doc).await?;
        }
        Ok(())
    }

    /// Rewrites the search entry of a document from its current state.
    pub(crate) async fn reindex(conn: &mut Conn, id: DocumentId) -> Result<(), StoreError> {
        let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE id = $1");
        let row: Option<DocRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let doc = Doc::from_row(row)?;
        let mut party: Vec<String> = Vec::new();
        for group in [&doc.fields.addressees, &doc.fields.copies] {
            for view in recipient_views(conn, group).await? {
                party.push(view.label);
            }
        }
        let texts: Vec<String> = sqlx::query_scalar(
            "SELECT t.text FROM document_attachments a JOIN file_texts t ON t.sha256 = a.sha256 \
             WHERE a.document_id = $1 ORDER BY a.seq",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        let letter_date = doc.row.letter_date.clone().unwrap_or_else(|| {
            crate::from_ms(doc.row.created_at)
                .to_offset(serasi_domain::wib::WIB)
                .date()
                .to_string()
        });
        search_db::put_entry(
            conn,
            crate::search::Entry {
                entry_id: doc.row.id,
                source: "document",
                kind: doc.row.kind.clone(),
                organization_id: doc.row.organization_id,
                classification: doc.row.classification.clone(),
                security: doc.row.security.clone(),
                status: doc.row.state.clone(),
                letter_date,
                number: doc.row.number.clone().unwrap_or_default(),
                agenda_no: None,
                subject: doc.row.subject.clone(),
                party: party.join("; "),
                body: doc.row.body.clone(),
                extra: texts.join("\n"),
            },
        )
        .await
    }

    async fn add_revision(
        conn: &mut Conn,
        doc: DocumentId,
        revision: i64,
        fields: &DraftFields,
        by: EmployeeId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO document_revisions (document_id, revision, content, saved_by, saved_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(doc.as_uuid())
        .bind(revision)
        .bind(revision_json(fields))
        .bind(by.as_uuid())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn create_draft(
        conn: &mut Conn,
        author: EmployeeId,
        fields: &DraftFields,
        day: Date,
        is_demo: bool,
    ) -> Result<DocumentId, StoreError> {
        let (placement, _) = place_draft(conn, author, fields, day).await?;
        let id = DocumentId::new();
        let now = now_ms();
        let mut stored = fields.clone();
        stored.signer_position_id = Some(placement.signer);
        stored.reviewers = Some(placement.reviewers.clone());
        sqlx::query(
            "INSERT INTO documents (id, kind, state, revision, author_id, author_position_id, \
             organization_id, classification, security, urgency, subject, attachment_count, body, \
             addressees, copies, reviewers, coordinators, required_signer_id, signer_position_id, \
             is_demo, created_at, updated_at) \
             VALUES ($1, $2, 'draft', 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $19)",
        )
        .bind(id.as_uuid())
        .bind(&fields.kind)
        .bind(author.as_uuid())
        .bind(placement.author_position.map(|p| p.as_uuid()))
        .bind(placement.organization_id.as_uuid())
        .bind(&fields.classification)
        .bind(fields.security.as_str())
        .bind(fields.urgency.as_str())
        .bind(&fields.subject)
        .bind(i64::from(fields.attachment_count))
        .bind(&fields.body)
        .bind(json_text(&fields.addressees))
        .bind(json_text(&fields.copies))
        .bind(json_text(&placement.reviewers))
        .bind(json_text(&fields.coordinators))
        .bind(placement.required.as_uuid())
        .bind(placement.signer.as_uuid())
        .bind(is_demo)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        add_revision(conn, id, 1, &stored, author).await?;
        add_event(conn, id, Some(author), "create", 1, None).await?;
        Ok(id)
    }

    /// Creates the draft the first time a form is saved and updates it
    /// afterwards: `key` identifies the form the draft came from.
    pub(crate) async fn save_new_draft(
        conn: &mut Conn,
        author: EmployeeId,
        key: &str,
        save: NewDraftSave,
        fields: &DraftFields,
        day: Date,
    ) -> Result<(DocumentId, i64), StoreError> {
        let existing: Option<(Uuid, i64)> = sqlx::query_as(
            "SELECT id, revision FROM documents WHERE author_id = $1 AND client_key = $2",
        )
        .bind(author.as_uuid())
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((id, current)) = existing {
            let id = DocumentId::from_uuid(id);
            let base = match save {
                NewDraftSave::Based(base) => base,
                NewDraftSave::Explicit => current,
                // An autosave that has not seen the draft another request
                // created must not overwrite it.
                NewDraftSave::Auto => return Err(Conflict::StaleRevision { current }.into()),
            };
            let revision = update_draft(conn, id, author, base, fields, day).await?;
            return Ok((id, revision));
        }
        let id = create_draft(conn, author, fields, day, false).await?;
        sqlx::query("UPDATE documents SET client_key = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok((id, 1))
    }

    async fn lock_doc(conn: &mut Conn, id: DocumentId) -> Result<Doc, StoreError> {
        let lock = if IS_POSTGRES { " FOR UPDATE" } else { "" };
        let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE id = $1{lock}");
        let row: Option<DocRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        Doc::from_row(row.ok_or_else(|| StoreError::not_found("document", id))?)
    }

    /// Returns the signature block the document would get if the holder of
    /// the signer's post (or the person acting for them) signed it on
    /// `day`, for previews.
    pub(crate) async fn planned_signature_block(
        conn: &mut Conn,
        id: DocumentId,
        day: Date,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let Some(doc) = doc(conn, id).await? else {
            return Ok(None);
        };
        let chart = chart_for_doc(conn, &doc).await?;
        let Some(actor) = chart.actors(doc.signer(), day).into_iter().next() else {
            return Ok(None);
        };
        Ok(chart
            .check_signer(actor.employee_id, doc.author, doc.required(), doc.signer(), day)
            .ok())
    }

    pub(crate) async fn doc(conn: &mut Conn, id: DocumentId) -> Result<Option<Doc>, StoreError> {
        let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE id = $1");
        let row: Option<DocRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        row.map(Doc::from_row).transpose()
    }

    pub(crate) async fn update_draft(
        conn: &mut Conn,
        id: DocumentId,
        editor: EmployeeId,
        base_revision: i64,
        fields: &DraftFields,
        day: Date,
    ) -> Result<i64, StoreError> {
        let doc = lock_doc(conn, id).await?;
        ensure_visible(conn, &doc, editor, day).await?;
        next_state(doc.state, DocumentAction::Edit)?;
        if doc.author != editor {
            return Err(DocumentRule::NotAuthor.into());
        }
        if doc.row.revision != base_revision {
            return Err(Conflict::StaleRevision {
                current: doc.row.revision,
            }
            .into());
        }
        let (placement, _) = place_draft(conn, editor, fields, day).await?;
        let mut stored = fields.clone();
        stored.signer_position_id = Some(placement.signer);
        stored.reviewers = Some(placement.reviewers.clone());
        if stored == doc.fields {
            // Nothing changed (an autosave after a pause): no new revision.
            return Ok(doc.row.revision);
        }
        let revision = doc.row.revision + 1;
        sqlx::query(
            "UPDATE documents SET kind = $2, revision = $3, classification = $4, security = $5, \
             urgency = $6, subject = $7, attachment_count = $8, body = $9, addressees = $10, \
             copies = $11, reviewers = $12, coordinators = $13, required_signer_id = $14, \
             signer_position_id = $15, updated_at = $16 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(&fields.kind)
        .bind(revision)
        .bind(&fields.classification)
        .bind(fields.security.as_str())
        .bind(fields.urgency.as_str())
        .bind(&fields.subject)
        .bind(i64::from(fields.attachment_count))
        .bind(&fields.body)
        .bind(json_text(&fields.addressees))
        .bind(json_text(&fields.copies))
        .bind(json_text(&placement.reviewers))
        .bind(json_text(&fields.coordinators))
        .bind(placement.required.as_uuid())
        .bind(placement.signer.as_uuid())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        add_revision(conn, id, revision, &stored, editor).await?;
        add_event(conn, id, Some(editor), "edit", revision, None).await?;
        Ok(revision)
    }

    async fn reviews(conn: &mut Conn, id: DocumentId) -> Result<Vec<ReviewRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT seq, position_id, coordination, status \
             FROM document_reviews WHERE document_id = $1 ORDER BY seq",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Sets the state and the position the hierarchical chain waits for.
    async fn set_state(
        conn: &mut Conn,
        id: DocumentId,
        state: DocumentState,
    ) -> Result<(), StoreError> {
        let waiting: Option<Uuid> = if state == DocumentState::InReview {
            sqlx::query_scalar(
                "SELECT position_id FROM document_reviews WHERE document_id = $1 \
                 AND NOT coordination AND status = 'pending' ORDER BY seq LIMIT 1",
            )
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?
        } else {
            None
        };
        sqlx::query(
            "UPDATE documents SET state = $2, waiting_position_id = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(state.as_str())
        .bind(waiting)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn submit(
        conn: &mut Conn,
        id: DocumentId,
        actor: EmployeeId,
        day: Date,
    ) -> Result<DocumentState, StoreError> {
        let doc = lock_doc(conn, id).await?;
        ensure_visible(conn, &doc, actor, day).await?;
        if doc.author != actor {
            return Err(DocumentRule::NotAuthor.into());
        }
        next_state(
            doc.state,
            DocumentAction::Submit {
                has_reviewers: true,
            },
        )?;
        // The same checks as saving: delegations may have lapsed since.
        let (placement, chart) = place_draft(conn, actor, &doc.fields, day).await?;
        let mut posts = placement.reviewers.clone();
        posts.extend(doc.fields.coordinators.iter().copied());
        posts.push(placement.signer);
        chart.check_staffed(&posts, day)?;
        // The chain is rebuilt from the draft, which the author may have
        // changed. Initials on the current revision remain, and every
        // other reviewer has not seen the change and initials again.
        #[derive(sqlx::FromRow)]
        struct KeptInitial {
            position_id: Uuid,
            coordination: bool,
            actor_id: Option<Uuid>,
            acting: Option<String>,
            acted_at: Option<i64>,
        }
        let initialled: Vec<KeptInitial> = sqlx::query_as(
            "SELECT position_id, coordination, actor_id, acting, acted_at FROM document_reviews \
             WHERE document_id = $1 AND status = 'initialled' AND reviewed_revision = $2",
        )
        .bind(id.as_uuid())
        .bind(doc.row.revision)
        .fetch_all(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM document_reviews WHERE document_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *conn)
            .await?;
        let chain = placement.reviewers.iter().map(|p| (p, false));
        let coordination = doc.fields.coordinators.iter().map(|p| (p, true));
        for (seq, (position, coordination)) in chain.chain(coordination).enumerate() {
            let kept = initialled
                .iter()
                .find(|g| g.position_id == position.as_uuid() && g.coordination == coordination);
            sqlx::query(
                "INSERT INTO document_reviews (document_id, seq, position_id, coordination, status, \
                 reviewed_revision, actor_id, acting, acted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id.as_uuid())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(position.as_uuid())
            .bind(coordination)
            .bind(if kept.is_some() { "initialled" } else { "pending" })
            .bind(kept.map(|_| doc.row.revision))
            .bind(kept.and_then(|k| k.actor_id))
            .bind(kept.and_then(|k| k.acting.clone()))
            .bind(kept.and_then(|k| k.acted_at))
            .execute(&mut *conn)
            .await?;
        }
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM document_reviews WHERE document_id = $1 AND status = 'pending'",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        let state = next_state(
            doc.state,
            DocumentAction::Submit {
                has_reviewers: pending > 0,
            },
        )?;
        set_state(conn, id, state).await?;
        add_event(conn, id, Some(actor), "submit", doc.row.revision, None).await?;
        Ok(state)
    }

    /// Finds the review row `actor` may act on now: the chain's current
    /// place, or a pending coordination place.
    async fn my_review(
        conn: &mut Conn,
        doc: &Doc,
        actor: EmployeeId,
        chart: &Chart,
        day: Date,
    ) -> Result<(ReviewRow, Option<DelegationKind>), StoreError> {
        let rows = reviews(conn, doc.id()).await?;
        let current_chain = rows
            .iter()
            .find(|r| !r.coordination && r.status == "pending")
            .map(|r| r.seq);
        let mut last_error = None;
        for row in rows {
            let open = row.status == "pending"
                && (row.coordination || Some(row.seq) == current_chain);
            if !open {
                continue;
            }
            let position = PositionId::from_uuid(row.position_id);
            match chart.check_reviewer(actor, doc.author, position, day) {
                Ok(acting) => return Ok((row, acting)),
                Err(e) => last_error = Some(e),
            }
        }
        if let Some(serasi_domain::authority::AuthorityError::AuthorInChain) = last_error {
            return Err(serasi_domain::authority::AuthorityError::AuthorInChain.into());
        }
        let already: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM document_reviews WHERE document_id = $1 AND actor_id = $2 \
             AND status = 'initialled' AND reviewed_revision = $3",
        )
        .bind(doc.row.id)
        .bind(actor.as_uuid())
        .bind(doc.row.revision)
        .fetch_one(&mut *conn)
        .await?;
        Err(if already > 0 {
            DocumentRule::AlreadyInitialled.into()
        } else {
            DocumentRule::NotYourTurn.into()
        })
    }

    /// Records a reviewer's initial or return on their place in the chain.
    async fn record_review(
        conn: &mut Conn,
        doc: &Doc,
        seq: i64,
        status: &str,
        actor: EmployeeId,
        acting: Option<DelegationKind>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE document_reviews SET status = $3, reviewed_revision = $4, \
             actor_id = $5, acting = $6, acted_at = $7 WHERE document_id = $1 AND seq = $2",
        )
        .bind(doc.row.id)
        .bind(seq)
        .bind(status)
        .bind(doc.row.revision)
        .bind(actor.as_uuid())
        .bind(acting.map(|a| a.as_str()))
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn initial(
        conn: &mut Conn,
        id: DocumentId,
        actor: EmployeeId,
        comment: Option<&str>,
        day: Date,
    ) -> Result<DocumentState, StoreError> {
        let doc = lock_doc(conn, id).await?;
        ensure_visible(conn, &doc, actor, day).await?;
        if doc.state != DocumentState::InReview {
            next_state(doc.state, DocumentAction::Initial { last: true })?;
        }
        let chart = chart_for_doc(conn, &doc).await?;
        let (row, acting) = my_review(conn, &doc, actor, &chart, day).await?;
        record_review(conn, &doc, row.seq, "initialled", actor, acting).await?;
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM document_reviews WHERE document_id = $1 AND status = 'pending'",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        let state = next_state(doc.state, DocumentAction::Initial { last: pending == 0 })?;
        set_state(conn, id, state).await?;
        add_event(conn, id, Some(actor), "initial", doc.row.revision, comment).await?;
        Ok(state)
    }

    pub(crate) async fn return_doc(
        conn: &mut Conn,
        id: DocumentId,
        actor: EmployeeId,
        comment: &str,
        day: Date,
    ) -> Result<DocumentState, StoreError> {
        let doc = lock_doc(conn, id).await?;
        ensure_visible(conn, &doc, actor, day).await?;
        let state = next_state(doc.state, DocumentAction::Return)?;
        let chart = chart_for_doc(conn, &doc).await?;
        if doc.state == DocumentState::ReadyToSign {
            if actor == doc.author {
                return Err(serasi_domain::authority::AuthorityError::AuthorIsSigner.into());
            }
            chart.acts_as(actor, doc.signer(), day)?;
        } else {
            let (row, acting) = my_review(conn, &doc, actor, &chart, day).await?;
            record_review(conn, &doc, row.seq, "returned", actor, acting).await?;
        }
        set_state(conn, id, state).await?;
        add_event(conn, id, Some(actor), "return", doc.row.revision, Some(comment)).await?;
        Ok(state)
    }

    /// Takes the next serial of a series, or an insert serial when the
    /// letter is dated before numbers already given.
    async fn next_serial(
        conn: &mut Conn,
        series: &Series,
        letter_date: Date,
    ) -> Result<Serial, StoreError> {
        let (last, latest) = lock_counter(conn, series).await?;
        let date = date_text(letter_date);
        if latest.is_some_and(|l| l > date) {
            let base: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(serial) FROM document_numbers WHERE organization_id = $1 \
                 AND series_key = $2 AND year = $3 AND letter_date <= $4",
            )
            .bind(series.organization_id.as_uuid())
            .bind(&series.key)
            .bind(i64::from(series.year))
            .bind(&date)
            .fetch_one(&mut *conn)
            .await?;
            if let Some(base) = base {
                let insert: i64 = sqlx::query_scalar(
                    "SELECT MAX(insert_no) FROM document_numbers WHERE organization_id = $1 \
                     AND series_key = $2 AND year = $3 AND serial = $4",
                )
                .bind(series.organization_id.as_uuid())
                .bind(&series.key)
                .bind(i64::from(series.year))
                .bind(base)
                .fetch_one(&mut *conn)
                .await?;
                return Ok(Serial {
                    number: u32::try_from(base).unwrap_or(u32::MAX),
                    insert: Some(u32::try_from(insert + 1).unwrap_or(u32::MAX)),
                });
            }
            // Dated before every number of the year: no serial to insert after.
            return Err(DocumentRule::BeforeFirstNumber.into());
        }
        bump_counter(conn, series).await?;
        Ok(Serial {
            number: u32::try_from(last + 1).unwrap_or(u32::MAX),
            insert: None,
        })
    }

    /// Creates the series counter when missing and locks it for the rest
    /// of the transaction. Returns the last serial given and the latest
    /// letter date numbered.
    async fn lock_counter(
        conn: &mut Conn,
        series: &Series,
    ) -> Result<(i64, Option<String>), StoreError> {
        sqlx::query(
            "INSERT INTO number_counters (organization_id, series_key, year, last_serial) \
             VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
        )
        .bind(series.organization_id.as_uuid())
        .bind(&series.key)
        .bind(i64::from(series.year))
        .execute(&mut *conn)
        .await?;
        let lock = if IS_POSTGRES { " FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT last_serial, latest_date FROM number_counters \
             WHERE organization_id = $1 AND series_key = $2 AND year = $3{lock}"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(series.organization_id.as_uuid())
            .bind(&series.key)
            .bind(i64::from(series.year))
            .fetch_one(&mut *conn)
            .await?)
    }

    async fn bump_counter(conn: &mut Conn, series: &Series) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE number_counters SET last_serial = last_serial + 1 \
             WHERE organization_id = $1 AND series_key = $2 AND year = $3",
        )
        .bind(series.organization_id.as_uuid())
        .bind(&series.key)
        .bind(i64::from(series.year))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    async fn number_holder(
        conn: &mut Conn,
        series: &Series,
        serial: Serial,
    ) -> Result<Option<Uuid>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT document_id FROM document_numbers WHERE organization_id = $1 \
             AND series_key = $2 AND year = $3 AND serial = $4 AND insert_no = $5",
        )
        .bind(series.organization_id.as_uuid())
        .bind(&series.key)
        .bind(i64::from(series.year))
        .bind(i64::from(serial.number))
        .bind(i64::from(serial.insert.unwrap_or(0)))
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// Checks a number typed by hand against its series.
    async fn manual_serial(
        conn: &mut Conn,
        series: &Series,
        template: &NumberTemplate,
        context: &NumberContext<'_>,
        typed: &str,
    ) -> Result<Serial, StoreError> {
        let (last, _) = lock_counter(conn, series).await?;
        let next = Serial {
            number: u32::try_from(last + 1).unwrap_or(u32::MAX),
            insert: None,
        };
        let serial = template
            .match_serial(typed, context)
            .filter(|s| s.number > 0 && s.insert != Some(0))
            .ok_or_else(|| DocumentRule::NumberMismatch {
                number: typed.trim().to_owned(),
                example: template.render(context, next),
            })?;
        if let Some(holder) = number_holder(conn, series, serial).await? {
            return Err(Conflict::NumberTaken {
                number: template.render(context, serial),
                document_id: holder.to_string(),
            }
            .into());
        }
        if serial.insert.is_some() {
            let base = Serial { insert: None, ..serial };
            if number_holder(conn, series, base).await?.is_none() {
                return Err(DocumentRule::InsertWithoutBase(template.render(context, base)).into());
            }
        } else if i64::from(serial.number) > last + 1 {
            return Err(Conflict::NumberWouldSkip {
                next: template.render(context, next),
            }
            .into());
        } else if i64::from(serial.number) == last + 1 {
            bump_counter(conn, series).await?;
        }
        Ok(serial)
    }

    pub(crate) async fn sign(
        conn: &mut Conn,
        id: DocumentId,
        actor: EmployeeId,
        request: &SignRequest,
        day: Date,
    ) -> Result<String, StoreError> {
        let doc = lock_doc(conn, id).await?;
        ensure_visible(conn, &doc, actor, day).await?;
        next_state(doc.state, DocumentAction::Sign)?;
        let chart = chart_for_doc(conn, &doc).await?;
        let block = chart.check_signer(actor, doc.author, doc.required(), doc.signer(), day)?;
        let letter_date = request.letter_date.unwrap_or(day);
        if letter_date > day {
            return Err(DocumentRule::FutureDate.into());
        }
        if letter_date.year() < day.year() - 1 {
            return Err(DocumentRule::DateTooOld.into());
        }
        let kind = kind(conn, &doc.fields.kind).await?;
        let template = NumberTemplate::parse(&kind.number_template).map_err(DocumentRule::Template)?;
        let unit_org = chart
            .position(doc.required())
            .map(|p| p.organization_id)
            .ok_or_else(|| StoreError::not_found("position", doc.required()))?;
        let unit = chart
            .organization(unit_org)
            .map(|o| o.code.clone().unwrap_or_else(|| o.name.clone()))
            .unwrap_or_default();
        let series = Series {
            organization_id: unit_org,
            key: match kind.series_scope {
                SeriesScope::Organization => String::new(),
                SeriesScope::Kind => format!("kind:{}", kind.code),
                SeriesScope::Classification => format!("class:{}", doc.fields.classification),
            },
            year: letter_date.year(),
        };
        let context = NumberContext {
            classification: &doc.fields.classification,
            unit: &unit,
            kind: &kind.abbreviation,
            date: letter_date,
        };
        let serial = match request.manual_number.as_deref().map(str::trim) {
            Some(typed) if !typed.is_empty() => {
                manual_serial(conn, &series, &template, &context, typed).await?
            }
            _ => next_serial(conn, &series, letter_date).await?,
        };
        let number = template.render(&context, serial);
        let same_text: Option<Uuid> = sqlx::query_scalar(
            "SELECT document_id FROM document_numbers WHERE organization_id = $1 AND number = $2",
        )
        .bind(series.organization_id.as_uuid())
        .bind(&number)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(holder) = same_text {
            return Err(Conflict::NumberTaken {
                number,
                document_id: holder.to_string(),
            }
            .into());
        }
        let now = now_ms();
        sqlx::query(
            "UPDATE number_counters SET latest_date = $4 WHERE organization_id = $1 \
             AND series_key = $2 AND year = $3 AND (latest_date IS NULL OR latest_date < $4)",
        )
        .bind(series.organization_id.as_uuid())
        .bind(&series.key)
        .bind(i64::from(series.year))
        .bind(date_text(letter_date))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO document_numbers (organization_id, series_key, year, serial, insert_no, \
             number, letter_date, document_id, assigned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(series.organization_id.as_uuid())
        .bind(&series.key)
        .bind(i64::from(series.year))
        .bind(i64::from(serial.number))
        .bind(i64::from(serial.insert.unwrap_or(0)))
        .bind(&number)
        .bind(date_text(letter_date))
        .bind(id.as_uuid())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE documents SET state = 'signed', waiting_position_id = NULL, signed_by = $2, \
             signature_block = $3, signed_at = $4, letter_date = $5, number = $6, updated_at = $4 \
             WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(actor.as_uuid())
        .bind(json_text(&block))
        .bind(now)
        .bind(date_text(letter_date))
        .bind(&number)
        .execute(&mut *conn)
        .await?;
        deliver(conn, &doc, &chart, day, now).await?;
        incoming_db::register_delivered(conn, id, day).await?;
        add_event(conn, id, Some(actor), "sign", doc.row.revision, Some(&number)).await?;
        Ok(number)
    }

    /// Puts a signed document into the inbox of every holder or acting
    /// official of each addressed position now, and lists external addressees.
    async fn deliver(
        conn: &mut Conn,
        doc: &Doc,
        chart: &Chart,
        day: Date,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut seq: i64 = 0;
        let mut reached: HashSet<EmployeeId> = HashSet::new();
        let groups = [(false, &doc.fields.addressees), (true, &doc.fields.copies)];
        for (is_copy, list) in groups {
            for recipient in list.iter() {
                let (position, organization, external) = match recipient {
                    Recipient::Position { position_id } => (Some(*position_id), None, None),
                    Recipient::Organization { organization_id } => {
                        (chart.head_of(*organization_id), Some(*organization_id), None)
                    }
                    Recipient::External { name, address } => {
                        (None, None, Some((name.clone(), address.clone())))
                    }
                };
                let actors = position.map(|p| chart.actors(p, day)).unwrap_or_default();
                let employees: Vec<Option<EmployeeId>> = if actors.is_empty() {
                    // A vacant post, or an external addressee: one line
                    // without an inbox.
                    vec![None]
                } else {
                    actors
                        .into_iter()
                        .map(|a| a.employee_id)
                        .filter(|e| reached.insert(*e))
                        .map(Some)
                        .collect()
                };
                for employee in employees {
                    sqlx::query(
                        "INSERT INTO deliveries (document_id, seq, is_copy, position_id, \
                         organization_id, employee_id, external_name, external_address, delivered_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(doc.row.id)
                    .bind(seq)
                    .bind(is_copy)
                    .bind(position.map(|p| p.as_uuid()))
                    .bind(organization.map(|o| o.as_uuid()))
                    .bind(employee.map(|e| e.as_uuid()))
                    .bind(external.as_ref().map(|(n, _)| n.clone()))
                    .bind(external.as_ref().and_then(|(_, a)| a.clone()))
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    seq += 1;
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn cancel(
        conn: &mut Conn,
        id: DocumentId,
        actor: Actor,
        reason: &str,
        day: Date,
    ) -> Result<(), StoreError> {
        let doc = lock_doc(conn, id).await?;
        if !can_view(conn, &doc, actor, day).await? {
            return Err(StoreError::not_found("document", id));
        }
        next_state(doc.state, DocumentAction::Cancel)?;
        // The author withdraws an unsigned document; the signer, or an
        // administrator who may see it, cancels a signed one.
        let allowed = if doc.state == DocumentState::Signed {
            actor.is_admin
                || doc.row.signed_by == Some(actor.employee_id.as_uuid())
                || chart_for_doc(conn, &doc)
                    .await?
                    .acts_as(actor.employee_id, doc.signer(), day)
                    .is_ok()
        } else {
            doc.author == actor.employee_id
        };
        if !allowed {
            return Err(DocumentRule::NotAuthor.into());
        }
        let now = now_ms();
        sqlx::query(
            "UPDATE document_numbers SET cancelled_at = $2, cancelled_by = $3, cancel_reason = $4 \
             WHERE document_id = $1",
        )
        .bind(id.as_uuid())
        .bind(now)
        .bind(actor.employee_id.as_uuid())
        .bind(reason)
        .execute(&mut *conn)
        .await?;
        set_state(conn, id, DocumentState::Cancelled).await?;
        add_event(conn, id, Some(actor.employee_id), "cancel", doc.row.revision, Some(reason)).await?;
        Ok(())
    }

    pub(crate) async fn mark_read(
        conn: &mut Conn,
        id: DocumentId,
        reader: EmployeeId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET read_at = $3 WHERE document_id = $1 AND employee_id = $2 \
             AND read_at IS NULL",
        )
        .bind(id.as_uuid())
        .bind(reader.as_uuid())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() > 0 {
            let revision: i64 = sqlx::query_scalar("SELECT revision FROM documents WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_one(&mut *conn)
                .await?;
            add_event(conn, id, Some(reader), "read", revision, None).await?;
        }
        Ok(done.rows_affected() > 0)
    }

    async fn my_positions(
        conn: &mut Conn,
        employee: EmployeeId,
        day: Date,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(sqlx::query_scalar(MY_POSITIONS)
            .bind(employee.as_uuid())
            .bind(date_text(day))
            .fetch_all(&mut *conn)
            .await?)
    }

    pub(crate) async fn can_view(
        conn: &mut Conn,
        doc: &Doc,
        viewer: Actor,
        day: Date,
    ) -> Result<bool, StoreError> {
        Ok(access(conn, doc, viewer, day).await? != Access::None)
    }

    /// Decides how far `viewer` may see the document: as someone taking
    /// part in drafting and signing, as a recipient, or not at all.
    pub(crate) async fn access(
        conn: &mut Conn,
        doc: &Doc,
        viewer: Actor,
        day: Date,
    ) -> Result<Access, StoreError> {
        let me = viewer.employee_id.as_uuid();
        if doc.row.author_id == me || doc.row.signed_by == Some(me) {
            return Ok(Access::Participant);
        }
        let reviewed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM document_reviews WHERE document_id = $1 AND actor_id = $2",
        )
        .bind(doc.row.id)
        .bind(me)
        .fetch_one(&mut *conn)
        .await?;
        if reviewed > 0 {
            return Ok(Access::Participant);
        }
        let mine = my_positions(conn, viewer.employee_id, day).await?;
        let in_flow = doc.state != DocumentState::Draft
            && (mine.contains(&doc.row.signer_position_id)
                || doc
                    .reviewers()
                    .iter()
                    .chain(&doc.fields.coordinators)
                    .any(|p| mine.contains(&p.as_uuid())));
        // Administrators see every document that is neither a draft nor
        // confidential; Rahasia and Sangat Rahasia only for named people.
        let admin_sees = viewer.is_admin
            && doc.state != DocumentState::Draft
            && !doc.fields.security.is_confidential();
        if in_flow || admin_sees {
            return Ok(Access::Participant);
        }
        // Clerks see the ordinary letters of the organisations whose
        // registers they keep: the sender's and the recipients'.
        if viewer.is_clerk
            && matches!(doc.state, DocumentState::Signed | DocumentState::Cancelled)
            && !doc.fields.security.is_confidential()
        {
            let orgs = search_db::clerk_orgs(conn, viewer).await?;
            if orgs.contains(&doc.row.organization_id) {
                return Ok(Access::Participant);
            }
            let reached: Vec<(Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
                "SELECT dl.organization_id, p.organization_id FROM deliveries dl \
                 LEFT JOIN positions p ON p.id = dl.position_id WHERE dl.document_id = $1",
            )
            .bind(doc.row.id)
            .fetch_all(&mut *conn)
            .await?;
            if reached
                .iter()
                .any(|(a, b)| [a, b].into_iter().flatten().any(|o| orgs.contains(o)))
            {
                return Ok(Access::Recipient);
            }
        }
        let delivered: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE document_id = $1 AND employee_id = $2",
        )
        .bind(doc.row.id)
        .bind(me)
        .fetch_one(&mut *conn)
        .await?;
        Ok(if delivered > 0 {
            Access::Recipient
        } else {
            Access::None
        })
    }

    /// Fails with `NotFound` when `employee` may not see the document, so
    /// actions on it reveal no more than reading it would.
    async fn ensure_visible(
        conn: &mut Conn,
        doc: &Doc,
        employee: EmployeeId,
        day: Date,
    ) -> Result<(), StoreError> {
        let viewer = Actor {
            employee_id: employee,
            is_admin: false,
            is_clerk: false,
        };
        if can_view(conn, doc, viewer, day).await? {
            Ok(())
        } else {
            Err(StoreError::not_found("document", doc.id()))
        }
    }

    async fn position_name(conn: &mut Conn, id: Uuid) -> Result<String, StoreError> {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM positions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(name.unwrap_or_default())
    }

    async fn employee_name(conn: &mut Conn, id: Uuid) -> Result<String, StoreError> {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM employees WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(name.unwrap_or_default())
    }

    async fn recipient_views(
        conn: &mut Conn,
        list: &[Recipient],
    ) -> Result<Vec<RecipientView>, StoreError> {
        let mut out = Vec::with_capacity(list.len());
        for recipient in list {
            let label = match recipient {
                Recipient::Position { position_id } => {
                    position_name(conn, position_id.as_uuid()).await?
                }
                Recipient::Organization { organization_id } => {
                    let name: Option<String> =
                        sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
                            .bind(organization_id.as_uuid())
                            .fetch_optional(&mut *conn)
                            .await?;
                    name.unwrap_or_default()
                }
                Recipient::External { name, .. } => name.clone(),
            };
            out.push(RecipientView {
                recipient: recipient.clone(),
                label,
            });
        }
        Ok(out)
    }

    /// Returns the readable labels of recipients, in order.
    pub(crate) async fn recipient_labels(
        conn: &mut Conn,
        list: &[Recipient],
    ) -> Result<Vec<String>, StoreError> {
        Ok(recipient_views(conn, list)
            .await?
            .into_iter()
            .map(|v| v.label)
            .collect())
    }

    pub(crate) async fn view(conn: &mut Conn, doc: Doc) -> Result<DocumentView, StoreError> {
        let kind = kind(conn, &doc.fields.kind).await?;
        #[derive(sqlx::FromRow)]
        struct FullReview {
            seq: i64,
            position_id: Uuid,
            coordination: bool,
            status: String,
            reviewed_revision: Option<i64>,
            actor_name: Option<String>,
            acting: Option<String>,
            acted_at: Option<i64>,
            position_name: String,
        }
        let rows: Vec<FullReview> = sqlx::query_as(
            "SELECT r.seq, r.position_id, r.coordination, r.status, r.reviewed_revision, \
             e.name AS actor_name, r.acting, r.acted_at, p.name AS position_name \
             FROM document_reviews r JOIN positions p ON p.id = r.position_id \
             LEFT JOIN employees e ON e.id = r.actor_id WHERE r.document_id = $1 ORDER BY r.seq",
        )
        .bind(doc.row.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut reviews: Vec<ReviewView> = rows
            .into_iter()
            .map(|r| ReviewView {
                seq: r.seq,
                position_id: PositionId::from_uuid(r.position_id),
                position_name: r.position_name,
                coordination: r.coordination,
                status: r.status,
                reviewed_revision: r.reviewed_revision,
                actor_name: r.actor_name,
                acting: r.acting,
                acted_at: r.acted_at,
            })
            .collect();
        if reviews.is_empty() {
            // Not yet submitted: show the planned chain.
            let chain = doc.reviewers().iter().map(|p| (p, false));
            let coordination = doc.fields.coordinators.iter().map(|p| (p, true));
            for (seq, (position, coordination)) in chain.chain(coordination).enumerate() {
                reviews.push(ReviewView {
                    seq: i64::try_from(seq).unwrap_or(0),
                    position_id: *position,
                    position_name: position_name(conn, position.as_uuid()).await?,
                    coordination,
                    status: "planned".to_owned(),
                    reviewed_revision: None,
                    actor_name: None,
                    acting: None,
                    acted_at: None,
                });
            }
        }
        let organization_name: Option<String> =
            sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
                .bind(doc.row.organization_id)
                .fetch_optional(&mut *conn)
                .await?;
        let signature_block: Vec<String> = match &doc.row.signature_block {
            Some(text) => serde_json::from_str(text).map_err(|_| corrupt("signature block", text))?,
            None => Vec::new(),
        };
        let signed_by_name = match doc.row.signed_by {
            Some(id) => Some(employee_name(conn, id).await?),
            None => None,
        };
        Ok(DocumentView {
            id: doc.id(),
            kind_name: kind.name,
            layout: kind.layout,
            kind: kind.code,
            state: doc.state,
            revision: doc.row.revision,
            author_id: doc.author,
            author_name: employee_name(conn, doc.row.author_id).await?,
            organization_id: OrganizationId::from_uuid(doc.row.organization_id),
            organization_name: organization_name.unwrap_or_default(),
            classification: doc.fields.classification.clone(),
            security: doc.fields.security,
            urgency: doc.fields.urgency,
            subject: doc.fields.subject.clone(),
            attachment_count: i64::from(doc.fields.attachment_count),
            body: doc.fields.body.clone(),
            addressees: recipient_views(conn, &doc.fields.addressees).await?,
            copies: recipient_views(conn, &doc.fields.copies).await?,
            reviews,
            required_signer_id: doc.required(),
            signer_position_id: doc.signer(),
            signer_position_name: position_name(conn, doc.row.signer_position_id).await?,
            waiting_position_id: doc.row.waiting_position_id.map(PositionId::from_uuid),
            signed_by: doc.row.signed_by.map(EmployeeId::from_uuid),
            signed_by_name,
            signature_block,
            signed_at: doc.row.signed_at,
            letter_date: doc.row.letter_date.as_deref().map(parse_date).transpose()?,
            number: doc.row.number.clone(),
            created_at: doc.row.created_at,
            updated_at: doc.row.updated_at,
            actions: Vec::new(),
            participant: false,
        })
    }

    /// Lists what `viewer` may do with the document now.
    pub(crate) async fn actions(
        conn: &mut Conn,
        doc: &Doc,
        viewer: Actor,
        day: Date,
    ) -> Result<Vec<&'static str>, StoreError> {
        let me = viewer.employee_id;
        let is_author = doc.author == me;
        let mut actions = Vec::new();
        match doc.state {
            DocumentState::Draft | DocumentState::Returned if is_author => {
                actions.extend(["edit", "submit", "cancel"]);
            }
            DocumentState::InReview => {
                let chart = chart_for_doc(conn, doc).await?;
                if my_review(conn, doc, me, &chart, day).await.is_ok() {
                    actions.extend(["initial", "return"]);
                }
                if is_author {
                    actions.push("cancel");
                }
            }
            DocumentState::ReadyToSign => {
                let chart = chart_for_doc(conn, doc).await?;
                if !is_author && chart.acts_as(me, doc.signer(), day).is_ok() {
                    actions.extend(["sign", "return"]);
                }
                if is_author {
                    actions.push("cancel");
                }
            }
            DocumentState::Signed => {
                let chart = chart_for_doc(conn, doc).await?;
                if viewer.is_admin || chart.acts_as(me, doc.signer(), day).is_ok() {
                    actions.push("cancel");
                }
            }
            _ => {}
        }
        Ok(actions)
    }

    pub(crate) async fn deliveries(
        conn: &mut Conn,
        id: DocumentId,
    ) -> Result<Vec<DeliveryView>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            seq: i64,
            is_copy: bool,
            employee_id: Option<Uuid>,
            employee_name: Option<String>,
            position_name: Option<String>,
            organization_name: Option<String>,
            external_name: Option<String>,
            external_address: Option<String>,
            delivered_at: i64,
            read_at: Option<i64>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT d.seq, d.is_copy, d.employee_id, e.name AS employee_name, \
             p.name AS position_name, o.name AS organization_name, d.external_name, \
             d.external_address, d.delivered_at, d.read_at FROM deliveries d \
             LEFT JOIN employees e ON e.id = d.employee_id \
             LEFT JOIN positions p ON p.id = d.position_id \
             LEFT JOIN organizations o ON o.id = d.organization_id \
             WHERE d.document_id = $1 ORDER BY d.seq",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DeliveryView {
                seq: r.seq,
                is_copy: r.is_copy,
                label: r
                    .external_name
                    .or(r.position_name)
                    .or(r.organization_name)
                    .unwrap_or_default(),
                employee_id: r.employee_id.map(EmployeeId::from_uuid),
                employee_name: r.employee_name,
                external_address: r.external_address,
                delivered_at: r.delivered_at,
                read_at: r.read_at,
            })
            .collect())
    }

    pub(crate) async fn events(conn: &mut Conn, id: DocumentId) -> Result<Vec<EventView>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            at: i64,
            actor_name: Option<String>,
            action: String,
            revision: i64,
            comment: Option<String>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT v.at, e.name AS actor_name, v.action, v.revision, v.comment \
             FROM document_events v LEFT JOIN employees e ON e.id = v.actor_id \
             WHERE v.document_id = $1 ORDER BY v.at, v.id",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| EventView {
                at: r.at,
                actor_name: r.actor_name,
                action: r.action,
                revision: r.revision,
                comment: r.comment,
            })
            .collect())
    }

    pub(crate) async fn revisions(
        conn: &mut Conn,
        id: DocumentId,
    ) -> Result<Vec<RevisionView>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            revision: i64,
            saved_at: i64,
            saved_by_name: String,
            content: String,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT r.revision, r.saved_at, e.name AS saved_by_name, r.content \
             FROM document_revisions r JOIN employees e ON e.id = r.saved_by \
             WHERE r.document_id = $1 ORDER BY r.revision",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(RevisionView {
                    content: serde_json::from_str(&r.content)
                        .map_err(|_| corrupt("revision", &r.content))?,
                    revision: r.revision,
                    saved_at: r.saved_at,
                    saved_by_name: r.saved_by_name,
                })
            })
            .collect()
    }

    pub(crate) async fn queue(
        conn: &mut Conn,
        employee: EmployeeId,
        queue: Queue,
        filter: &QueueFilter,
        day: Date,
    ) -> Result<QueuePage, StoreError> {
        let (from, condition, order) = queue_sql(queue);
        // Every placeholder appears once whatever the filter, so both
        // drivers accept the same binds; an empty value means no filter.
        let extra = " AND $2 = $2 AND ($3 = '' OR d.kind = $3) AND ($4 = '' OR d.urgency = $4) \
            AND ($5 = '' OR d.letter_date >= $5) AND ($6 = '' OR d.letter_date <= $6)";
        let per_page = filter.per_page.clamp(1, 100);
        let page = filter.page.max(1);
        let offset = i64::from(page - 1) * i64::from(per_page);
        let count_sql = format!("SELECT COUNT(*) FROM {from} WHERE {condition}{extra}");
        let bind_all = |sql: String| {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .bind(employee.as_uuid())
                .bind(date_text(day))
                .bind(filter.kind.clone().unwrap_or_default())
                .bind(filter.urgency.map(|u| u.as_str()).unwrap_or_default())
                .bind(filter.from.map(date_text).unwrap_or_default())
                .bind(filter.to.map(date_text).unwrap_or_default())
        };
        let total = bind_all(count_sql).fetch_one(&mut *conn).await?;
        let list_sql = format!(
            "SELECT d.id, d.kind, k.name AS kind_name, d.state, d.subject, d.number, d.urgency, \
             d.security, d.letter_date, a.name AS author_name, d.updated_at, {delivery} \
             FROM {from} JOIN document_kinds k ON k.code = d.kind \
             JOIN employees a ON a.id = d.author_id \
             WHERE {condition}{extra} ORDER BY {order} LIMIT {per_page} OFFSET {offset}",
            delivery = if queue == Queue::Inbox {
                "dl.delivered_at, dl.read_at, dl.is_copy"
            } else {
                "NULL AS delivered_at, NULL AS read_at, NULL AS is_copy"
            },
        );
        let items: Vec<DocumentSummary> = sqlx::query_as(sqlx::AssertSqlSafe(list_sql))
            .bind(employee.as_uuid())
            .bind(date_text(day))
            .bind(filter.kind.clone().unwrap_or_default())
            .bind(filter.urgency.map(|u| u.as_str()).unwrap_or_default())
            .bind(filter.from.map(date_text).unwrap_or_default())
            .bind(filter.to.map(date_text).unwrap_or_default())
            .fetch_all(&mut *conn)
            .await?;
        Ok(QueuePage {
            items,
            total,
            page,
            per_page,
        })
    }

    pub(crate) async fn counts(
        conn: &mut Conn,
        employee: EmployeeId,
        day: Date,
    ) -> Result<QueueCounts, StoreError> {
        let mut counts = QueueCounts::default();
        for queue in Queue::ALL {
            let (from, mut condition, _) = queue_sql(queue);
            if queue == Queue::Inbox {
                condition.push_str(" AND dl.read_at IS NULL AND d.state = 'signed'");
            }
            let sql = format!(
                "SELECT COUNT(*) FROM {from} WHERE {condition} AND $2 = $2"
            );
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(employee.as_uuid())
                .bind(date_text(day))
                .fetch_one(&mut *conn)
                .await?;
            match queue {
                Queue::Drafts => counts.drafts = n,
                Queue::ToInitial => counts.to_initial = n,
                Queue::ToSign => counts.to_sign = n,
                Queue::Inbox => counts.inbox_unread = n,
                Queue::Outbox => counts.outbox = n,
            }
        }
        Ok(counts)
    }

    pub(crate) async fn dispatch(
        conn: &mut Conn,
        org: OrganizationId,
    ) -> Result<Vec<DispatchLine>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT d.id AS document_id, d.number, d.letter_date, \
             CASE WHEN d.security IN ('rahasia', 'sangat_rahasia') THEN '' ELSE d.subject END AS subject, \
             dl.external_name, \
             dl.external_address, dl.is_copy FROM deliveries dl JOIN documents d ON d.id = dl.document_id \
             JOIN document_numbers n ON n.document_id = d.id \
             WHERE dl.external_name IS NOT NULL AND d.state = 'signed' \
             AND (n.organization_id = $1 OR d.organization_id = $1) \
             ORDER BY d.letter_date DESC, d.number DESC LIMIT 1000",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *conn)
        .await?)
    }

    pub(crate) async fn add_attachment(
        conn: &mut Conn,
        id: DocumentId,
        actor: EmployeeId,
        file: &AttachmentView,
    ) -> Result<i64, StoreError> {
        let doc = lock_doc(conn, id).await?;
        next_state(doc.state, DocumentAction::Edit)?;
        if doc.author != actor {
            return Err(DocumentRule::NotAuthor.into());
        }
        let (count, last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(seq) FROM document_attachments WHERE document_id = $1",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        if count >= MAX_ATTACHMENTS {
            return Err(DocumentRule::TooManyAttachments(MAX_ATTACHMENTS).into());
        }
        let seq = last.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO document_attachments (document_id, seq, sha256, name, content_type, size, \
             added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.as_uuid())
        .bind(seq)
        .bind(&file.sha256)
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(file.size)
        .bind(actor.as_uuid())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        add_event(conn, id, Some(actor), "attach", doc.row.revision, Some(&file.name)).await?;
        Ok(seq)
    }

    pub(crate) async fn remove_attachment(
        conn: &mut Conn,
        id: DocumentId,
        actor: EmployeeId,
        seq: i64,
    ) -> Result<(), StoreError> {
        let doc = lock_doc(conn, id).await?;
        next_state(doc.state, DocumentAction::Edit)?;
        if doc.author != actor {
            return Err(DocumentRule::NotAuthor.into());
        }
        let name: Option<String> = sqlx::query_scalar(
            "DELETE FROM document_attachments WHERE document_id = $1 AND seq = $2 RETURNING name",
        )
        .bind(id.as_uuid())
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
        let name = name.ok_or_else(|| StoreError::not_found("attachment", seq))?;
        add_event(conn, id, Some(actor), "detach", doc.row.revision, Some(&name)).await?;
        Ok(())
    }

    pub(crate) async fn attachments(
        conn: &mut Conn,
        id: DocumentId,
    ) -> Result<Vec<AttachmentView>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT seq, sha256, name, content_type, size, added_at FROM document_attachments \
             WHERE document_id = $1 ORDER BY seq",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?)
    }

    pub(crate) async fn search_positions(
        conn: &mut Conn,
        query: &str,
        limit: i64,
    ) -> Result<Vec<PositionHit>, StoreError> {
        let folded: String = serasi_domain::text::fold(query.trim())
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let contains = format!("%{}%", crate::directory::like_escape(&folded));
        Ok(sqlx::query_as(
            "SELECT p.id, p.name, o.name AS organization_name, e.name AS holder_name \
             FROM positions p JOIN organizations o ON o.id = p.organization_id \
             LEFT JOIN employees e ON e.id = p.holder_id \
             WHERE p.name_folded LIKE $1 ESCAPE '\\' OR e.name_folded LIKE $1 ESCAPE '\\' \
             ORDER BY p.name_folded, p.id LIMIT $2",
        )
        .bind(contains)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
    }

    pub(crate) async fn position_hit(
        conn: &mut Conn,
        id: PositionId,
    ) -> Result<Option<PositionHit>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.id, p.name, o.name AS organization_name, e.name AS holder_name \
             FROM positions p JOIN organizations o ON o.id = p.organization_id \
             LEFT JOIN employees e ON e.id = p.holder_id WHERE p.id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await?)
    }

    pub(crate) async fn cancelled_numbers(
        conn: &mut Conn,
        org: OrganizationId,
    ) -> Result<Vec<CancelledNumber>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT n.number, n.document_id, n.cancelled_at, \
             CASE WHEN d.security IN ('rahasia', 'sangat_rahasia') THEN NULL ELSE n.cancel_reason END \
             AS cancel_reason FROM document_numbers n JOIN documents d ON d.id = n.document_id \
             WHERE n.organization_id = $1 AND n.cancelled_at IS NOT NULL ORDER BY n.cancelled_at DESC",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *conn)
        .await?)
    }
}

/// The FROM clause, condition and order of a queue; `$1` is the employee
/// and `$2` the WIB date.
fn queue_sql(queue: Queue) -> (&'static str, String, &'static str) {
    match queue {
        Queue::Drafts => (
            "documents d",
            "d.author_id = $1 AND d.state IN ('draft', 'returned')".to_owned(),
            "d.updated_at DESC",
        ),
        Queue::ToInitial => (
            "documents d",
            format!(
                "d.state = 'in_review' AND d.author_id <> $1 \
                 AND (d.waiting_position_id IN ({MY_POSITIONS}) \
                 OR EXISTS (SELECT 1 FROM document_reviews r WHERE r.document_id = d.id \
                 AND r.coordination AND r.status = 'pending' AND r.position_id IN ({MY_POSITIONS})))"
            ),
            "d.updated_at",
        ),
        Queue::ToSign => (
            "documents d",
            format!(
                "d.state = 'ready_to_sign' AND d.author_id <> $1 \
                 AND d.signer_position_id IN ({MY_POSITIONS})"
            ),
            "d.updated_at",
        ),
        Queue::Inbox => (
            "deliveries dl JOIN documents d ON d.id = dl.document_id",
            "dl.employee_id = $1".to_owned(),
            "(dl.read_at IS NULL) DESC, dl.delivered_at DESC",
        ),
        Queue::Outbox => (
            "documents d",
            "(d.author_id = $1 OR d.signed_by = $1) AND d.state IN ('signed', 'cancelled')"
                .to_owned(),
            "d.signed_at DESC",
        ),
    }
}

impl Store {
    pub async fn document_kinds(&self) -> Result<Vec<DocumentKind>, StoreError> {
        rd!(self, |conn, q| q::kinds(conn).await)
    }

    pub async fn document_kind(&self, code: &str) -> Result<DocumentKind, StoreError> {
        rd!(self, |conn, q| q::kind(conn, code).await)
    }

    /// Changes a kind's name, layout, signing level or numbering.
    /// Adds a kind of document.
    pub async fn create_document_kind(&self, kind: &DocumentKind) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::insert_kind(conn, kind).await)
    }

    /// `year` is the current WIB year: a kind with numbers in it keeps its
    /// series scope until the next year.
    pub async fn update_document_kind(
        &self,
        kind: &DocumentKind,
        year: i32,
    ) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::update_kind(conn, kind, year).await)
    }

    pub async fn delegations(&self) -> Result<Vec<Delegation>, StoreError> {
        rd!(self, |conn, q| q::all_delegations(conn).await)
    }

    pub async fn create_delegation(&self, d: &Delegation) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::insert_delegation(conn, d).await)
    }

    pub async fn delete_delegation(&self, id: DelegationId) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::delete_delegation(conn, id).await)
    }

    /// The organisation chart with its delegations, for deciding authority.
    pub async fn chart(&self) -> Result<Chart, StoreError> {
        rd!(self, |conn, q| q::load_chart(conn).await)
    }

    pub async fn create_draft(
        &self,
        author: EmployeeId,
        fields: &DraftFields,
        day: Date,
        is_demo: bool,
    ) -> Result<DocumentId, StoreError> {
        tx!(self, |conn, q| q::create_draft(
            conn, author, fields, day, is_demo
        )
        .await)
    }

    /// Saves the draft of a form identified by `key`: creates it on the
    /// first save and adds a revision on later ones, so an autosave and a
    /// click on Save never make two drafts.
    pub async fn save_new_draft(
        &self,
        author: EmployeeId,
        key: &str,
        save: NewDraftSave,
        fields: &DraftFields,
        day: Date,
    ) -> Result<(DocumentId, i64), StoreError> {
        tx!(self, |conn, q| q::save_new_draft(
            conn, author, key, save, fields, day
        )
        .await)
    }

    /// Saves a new revision; fails with `StaleRevision` when `base_revision`
    /// is not the newest, so the last writer never silently wins.
    pub async fn update_draft(
        &self,
        id: DocumentId,
        editor: EmployeeId,
        base_revision: i64,
        fields: &DraftFields,
        day: Date,
    ) -> Result<i64, StoreError> {
        tx!(self, |conn, q| q::update_draft(
            conn,
            id,
            editor,
            base_revision,
            fields,
            day
        )
        .await)
    }

    pub async fn submit_document(
        &self,
        id: DocumentId,
        actor: EmployeeId,
        day: Date,
    ) -> Result<DocumentState, StoreError> {
        tx!(self, |conn, q| q::submit(conn, id, actor, day).await)
    }

    pub async fn initial_document(
        &self,
        id: DocumentId,
        actor: EmployeeId,
        comment: Option<&str>,
        day: Date,
    ) -> Result<DocumentState, StoreError> {
        tx!(self, |conn, q| q::initial(conn, id, actor, comment, day)
            .await)
    }

    pub async fn return_document(
        &self,
        id: DocumentId,
        actor: EmployeeId,
        comment: &str,
        day: Date,
    ) -> Result<DocumentState, StoreError> {
        if comment.trim().is_empty() {
            return Err(DocumentRule::CommentRequired.into());
        }
        tx!(self, |conn, q| q::return_doc(
            conn,
            id,
            actor,
            comment.trim(),
            day
        )
        .await)
    }

    /// Signs, numbers and delivers in one transaction; returns the number.
    pub async fn sign_document(
        &self,
        id: DocumentId,
        actor: EmployeeId,
        request: &SignRequest,
        day: Date,
    ) -> Result<String, StoreError> {
        tx!(self, |conn, q| q::sign(conn, id, actor, request, day).await)
    }

    /// Withdraws a document; a signed one keeps its number in the
    /// cancellation log.
    pub async fn cancel_document(
        &self,
        id: DocumentId,
        actor: Actor,
        reason: &str,
        day: Date,
    ) -> Result<(), StoreError> {
        if reason.trim().is_empty() {
            return Err(DocumentRule::ReasonRequired.into());
        }
        tx!(self, |conn, q| q::cancel(
            conn,
            id,
            actor,
            reason.trim(),
            day
        )
        .await)
    }

    /// Returns the document when `viewer` may see it; `NotFound` otherwise,
    /// so its existence is not revealed.
    pub async fn document_for(
        &self,
        id: DocumentId,
        viewer: Actor,
        day: Date,
    ) -> Result<DocumentView, StoreError> {
        rd!(self, |conn, q| {
            let doc = q::doc(conn, id)
                .await?
                .ok_or_else(|| StoreError::not_found("document", id))?;
            let access = q::access(conn, &doc, viewer, day).await?;
            if access == Access::None {
                return Err(StoreError::not_found("document", id));
            }
            let actions = q::actions(conn, &doc, viewer, day).await?;
            let mut view = q::view(conn, doc).await?;
            view.actions = actions;
            view.participant = access == Access::Participant;
            Ok(view)
        })
    }

    pub async fn document_deliveries(
        &self,
        id: DocumentId,
    ) -> Result<Vec<DeliveryView>, StoreError> {
        rd!(self, |conn, q| q::deliveries(conn, id).await)
    }

    pub async fn document_events(&self, id: DocumentId) -> Result<Vec<EventView>, StoreError> {
        rd!(self, |conn, q| q::events(conn, id).await)
    }

    pub async fn document_revisions(
        &self,
        id: DocumentId,
    ) -> Result<Vec<RevisionView>, StoreError> {
        rd!(self, |conn, q| q::revisions(conn, id).await)
    }

    /// Records that `reader` opened the document; returns whether this was
    /// the first time.
    pub async fn mark_document_read(
        &self,
        id: DocumentId,
        reader: EmployeeId,
    ) -> Result<bool, StoreError> {
        tx!(self, |conn, q| q::mark_read(conn, id, reader).await)
    }

    pub async fn queue(
        &self,
        employee: EmployeeId,
        queue: Queue,
        filter: &QueueFilter,
        day: Date,
    ) -> Result<QueuePage, StoreError> {
        rd!(self, |conn, q| q::queue(conn, employee, queue, filter, day)
            .await)
    }

    pub async fn queue_counts(
        &self,
        employee: EmployeeId,
        day: Date,
    ) -> Result<QueueCounts, StoreError> {
        rd!(self, |conn, q| q::counts(conn, employee, day).await)
    }

    /// External addressees of the signed documents an organisation numbered
    /// or wrote, newest first (at most 1,000).
    pub async fn dispatch_register(
        &self,
        org: OrganizationId,
    ) -> Result<Vec<DispatchLine>, StoreError> {
        rd!(self, |conn, q| q::dispatch(conn, org).await)
    }

    /// Finds positions by their name or their holder's name, for picking
    /// addressees, copies and reviewers.
    pub async fn search_positions(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<PositionHit>, StoreError> {
        rd!(self, |conn, q| q::search_positions(conn, query, limit)
            .await)
    }

    pub async fn position_hit(&self, id: PositionId) -> Result<Option<PositionHit>, StoreError> {
        rd!(self, |conn, q| q::position_hit(conn, id).await)
    }

    /// Records a file, already in the file store, as attached to a draft.
    pub async fn add_attachment(
        &self,
        id: DocumentId,
        actor: EmployeeId,
        file: &AttachmentView,
    ) -> Result<i64, StoreError> {
        tx!(self, |conn, q| q::add_attachment(conn, id, actor, file)
            .await)
    }

    pub async fn remove_attachment(
        &self,
        id: DocumentId,
        actor: EmployeeId,
        seq: i64,
    ) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::remove_attachment(conn, id, actor, seq)
            .await)
    }

    pub async fn document_attachments(
        &self,
        id: DocumentId,
    ) -> Result<Vec<AttachmentView>, StoreError> {
        rd!(self, |conn, q| q::attachments(conn, id).await)
    }

    /// Counts the documents created by `serasi demo`.
    pub async fn count_demo_documents(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM documents WHERE is_demo = TRUE";
        Ok(crate::read!(self, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)?)
    }

    /// Numbers of cancelled documents, which are never given again.
    pub async fn cancelled_numbers(
        &self,
        org: OrganizationId,
    ) -> Result<Vec<CancelledNumber>, StoreError> {
        rd!(self, |conn, q| q::cancelled_numbers(conn, org).await)
    }
}
