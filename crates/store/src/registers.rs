//! The registers an organisation keeps (domain §8): the incoming register
//! (*buku agenda surat masuk*), the outgoing register (*buku agenda surat
//! keluar*) and the dispatch register (*buku ekspedisi*). Lines are read a
//! batch at a time after a cursor, so an export of any size streams in
//! bounded memory. Subjects of Rahasia and Sangat Rahasia letters are
//! never shown in a register.

use serasi_domain::OrganizationId;
use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::{Store, StoreError, both_backends, rd};

/// Which register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterKind {
    Incoming,
    Outgoing,
    Dispatch,
}

impl RegisterKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            RegisterKind::Incoming => "incoming",
            RegisterKind::Outgoing => "outgoing",
            RegisterKind::Dispatch => "dispatch",
        }
    }

    /// Returns the message ids of the column headings, after the running
    /// number.
    pub fn columns(&self) -> &'static [&'static str] {
        match self {
            RegisterKind::Incoming => &[
                "register-col-agenda",
                "register-col-received",
                "register-col-number",
                "register-col-date",
                "register-col-sender",
                "register-col-subject",
                "register-col-classification",
                "register-col-addressee",
                "register-col-disposition",
            ],
            RegisterKind::Outgoing => &[
                "register-col-number",
                "register-col-date",
                "register-col-kind",
                "register-col-addressee",
                "register-col-subject",
                "register-col-classification",
                "register-col-dispatched",
            ],
            RegisterKind::Dispatch => &[
                "register-col-sent",
                "register-col-number",
                "register-col-date",
                "register-col-addressee",
                "register-col-address",
                "register-col-subject",
                "register-col-copy",
                "register-col-receipt",
            ],
        }
    }
}

impl std::str::FromStr for RegisterKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "incoming" => Ok(RegisterKind::Incoming),
            "outgoing" => Ok(RegisterKind::Outgoing),
            "dispatch" => Ok(RegisterKind::Dispatch),
            _ => Err(()),
        }
    }
}

/// Filters of a register.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegisterFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// A document kind code (outgoing and dispatch registers).
    pub kind: Option<String>,
    /// A classification code or the start of one.
    pub classification: Option<String>,
}

/// The position after which the next batch starts: the sort key of the
/// last line read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub tie: i64,
    pub id: Uuid,
}

/// One register line: the letter it is about, whether the subject was
/// withheld, and its cells in column order.
#[derive(Clone, Debug, Serialize)]
pub struct RegisterLine {
    pub id: Uuid,
    /// `incoming` or `document`: which page the line links to.
    pub source: &'static str,
    pub cells: Vec<String>,
    #[serde(skip)]
    pub cursor: Cursor,
}

/// Returns the subject shown for a letter of `security`.
fn shown_subject(security: &str, subject: String) -> String {
    if matches!(security, "rahasia" | "sangat_rahasia") {
        String::new()
    } else {
        subject
    }
}

/// Returns whether `text` can start a classification code: digits and
/// dots only.
pub fn is_code_prefix(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn filter_sql(
    filter: &RegisterFilter,
    date_column: &str,
    kind_column: Option<&str>,
    class_column: &str,
    first: usize,
) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    let mut slot = first;
    let mut add = |condition: String, value: String| {
        sql.push_str(" AND ");
        sql.push_str(&condition);
        binds.push(value);
    };
    if let Some(from) = filter.from {
        add(format!("{date_column} >= ${slot}"), from.to_string());
        slot += 1;
    }
    if let Some(to) = filter.to {
        add(format!("{date_column} <= ${slot}"), to.to_string());
        slot += 1;
    }
    if let (Some(kind), Some(column)) = (
        filter.kind.as_deref().filter(|k| !k.trim().is_empty()),
        kind_column,
    ) {
        add(format!("{column} = ${slot}"), kind.trim().to_owned());
        slot += 1;
    }
    if let Some(code) = filter
        .classification
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        // A code contains digits and dots only, so anything else (such as
        // the LIKE wildcards % and _) matches no letter.
        let code = if is_code_prefix(code.trim()) {
            code
        } else {
            "-"
        };
        add(
            format!("({class_column} = ${slot} OR {class_column} LIKE ${slot} || '.%')"),
            code.trim().to_owned(),
        );
    }
    (sql, binds)
}

both_backends! {
    /// Reads up to `limit` lines after `after` (from the start when
    /// `None`); `offset` skips lines for page views.
    pub(crate) async fn batch(
        conn: &mut Conn,
        kind: RegisterKind,
        org: OrganizationId,
        filter: &RegisterFilter,
        after: Option<&Cursor>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegisterLine>, StoreError> {
        // Each register compares its sort key with the cursor as one row
        // value, so both databases seek the index. Without a cursor the
        // comparison starts before every line: an empty date, the smallest
        // number and the nil id sort first.
        let cursor = after.cloned().unwrap_or(Cursor {
            key: String::new(),
            tie: i64::MIN,
            id: Uuid::nil(),
        });
        match kind {
            RegisterKind::Incoming => {
                #[derive(sqlx::FromRow)]
                struct Row {
                    id: Uuid,
                    year: i64,
                    agenda_no: i64,
                    received_on: String,
                    sender_number: String,
                    sender_date: String,
                    sender: String,
                    subject: String,
                    classification: String,
                    security: String,
                    addressee: String,
                    open: i64,
                    total: i64,
                }
                let (extra, binds) = filter_sql(filter, "i.received_on", None, "i.classification", 4);
                let sql = format!(
                    "SELECT i.id, i.year, i.agenda_no, i.received_on, i.sender_number, i.sender_date, \
                     i.sender, i.subject, i.classification, i.security, p.name AS addressee, \
                     (SELECT COUNT(*) FROM dispositions x WHERE x.incoming_id = i.id \
                        AND x.status IN ('unread', 'read', 'in_progress')) AS open, \
                     (SELECT COUNT(*) FROM dispositions x WHERE x.incoming_id = i.id \
                        AND x.status <> 'cancelled') AS total \
                     FROM incoming_letters i JOIN positions p ON p.id = i.addressee_position_id \
                     WHERE i.organization_id = $1 AND (i.year, i.agenda_no) > ($2, $3) \
{extra} \
                     ORDER BY i.year, i.agenda_no LIMIT {limit} OFFSET {offset}"
                );
                // A row-value comparison lets both databases seek the
                // (organization_id, year, agenda_no) index to the cursor;
                // the first batch starts before every line.
                let (after_year, after_agenda) = match after {
                    Some(c) => (c.key.parse::<i64>().unwrap_or(i64::MIN), c.tie),
                    None => (i64::MIN, i64::MIN),
                };
                let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                    .bind(org.as_uuid())
                    .bind(after_year)
                    .bind(after_agenda);
                for value in &binds {
                    query = query.bind(value);
                }
                let rows = query.fetch_all(&mut *conn).await?;
                Ok(rows
                    .into_iter()
                    .map(|r| RegisterLine {
                        id: r.id,
                        source: "incoming",
                        cursor: Cursor { key: r.year.to_string(), tie: r.agenda_no, id: r.id },
                        cells: vec![
                            format!("{}/{}", r.agenda_no, r.year),
                            r.received_on,
                            r.sender_number,
                            r.sender_date,
                            r.sender,
                            shown_subject(&r.security, r.subject),
                            r.classification,
                            r.addressee,
                            if r.total == 0 {
                                String::new()
                            } else {
                                format!("{}/{}", r.total - r.open, r.total)
                            },
                        ],
                    })
                    .collect())
            }
            RegisterKind::Outgoing => {
                #[derive(sqlx::FromRow)]
                struct Row {
                    id: Uuid,
                    number: String,
                    letter_date: String,
                    signed_at: i64,
                    kind: String,
                    addressees: String,
                    subject: String,
                    classification: String,
                    security: String,
                    dispatched: i64,
                }
                let (extra, binds) =
                    filter_sql(filter, "d.letter_date", Some("d.kind"), "d.classification", 5);
                let sql = format!(
                    "SELECT d.id, d.number, d.letter_date, d.signed_at, k.name AS kind, d.addressees, \
                     d.subject, d.classification, d.security, \
                     (SELECT COUNT(*) FROM deliveries dl WHERE dl.document_id = d.id) AS dispatched \
                     FROM documents d JOIN document_kinds k ON k.code = d.kind \
                     JOIN document_numbers n ON n.document_id = d.id WHERE n.organization_id = $1 AND d.state = 'signed' \
                     AND (d.letter_date, d.signed_at, d.id) > ($2, $3, $4) \
{extra} \
                     ORDER BY d.letter_date, d.signed_at, d.id LIMIT {limit} OFFSET {offset}"
                );
                let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                    .bind(org.as_uuid())
                    .bind(&cursor.key)
                    .bind(cursor.tie)
                    .bind(cursor.id);
                for value in &binds {
                    query = query.bind(value);
                }
                let rows = query.fetch_all(&mut *conn).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let list: Vec<serasi_domain::document::Recipient> =
                        serde_json::from_str(&r.addressees).unwrap_or_default();
                    let labels = documents_db::recipient_labels(conn, &list).await?;
                    out.push(RegisterLine {
                        id: r.id,
                        source: "document",
                        cursor: Cursor { key: r.letter_date.clone(), tie: r.signed_at, id: r.id },
                        cells: vec![
                            r.number,
                            r.letter_date,
                            r.kind,
                            labels.join("; "),
                            shown_subject(&r.security, r.subject),
                            r.classification,
                            if r.dispatched > 0 { "✓".into() } else { String::new() },
                        ],
                    });
                }
                Ok(out)
            }
            RegisterKind::Dispatch => {
                #[derive(sqlx::FromRow)]
                struct Row {
                    id: Uuid,
                    seq: i64,
                    delivered_at: i64,
                    number: String,
                    letter_date: String,
                    subject: String,
                    security: String,
                    is_copy: bool,
                    external_name: Option<String>,
                    external_address: Option<String>,
                    position_name: Option<String>,
                    organization_name: Option<String>,
                    employee_name: Option<String>,
                    read_at: Option<i64>,
                }
                let (extra, binds) =
                    filter_sql(filter, "d.letter_date", Some("d.kind"), "d.classification", 5);
                let sql = format!(
                    "SELECT d.id, dl.seq, dl.delivered_at, d.number, d.letter_date, d.subject, d.security, \
                     dl.is_copy, dl.external_name, dl.external_address, p.name AS position_name, \
                     o.name AS organization_name, e.name AS employee_name, dl.read_at \
                     FROM deliveries dl JOIN documents d ON d.id = dl.document_id \
                     LEFT JOIN positions p ON p.id = dl.position_id \
                     LEFT JOIN organizations o ON o.id = dl.organization_id \
                     LEFT JOIN employees e ON e.id = dl.employee_id \
                     JOIN document_numbers n ON n.document_id = d.id WHERE n.organization_id = $1 AND d.state = 'signed' \
                     AND (dl.delivered_at, d.id, dl.seq) > ($2, $3, $4){extra} \
                     ORDER BY dl.delivered_at, d.id, dl.seq LIMIT {limit} OFFSET {offset}"
                );
                let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                    .bind(org.as_uuid())
                    .bind(cursor.tie)
                    .bind(cursor.id)
                    .bind(cursor.key.parse::<i64>().unwrap_or(i64::MIN));
                for value in &binds {
                    query = query.bind(value);
                }
                let rows = query.fetch_all(&mut *conn).await?;
                Ok(rows
                    .into_iter()
                    .map(|r| {
                        let sent = crate::from_ms(r.delivered_at)
                            .to_offset(serasi_domain::wib::WIB)
                            .date()
                            .to_string();
                        let receipt = r
                            .read_at
                            .map(|at| {
                                crate::from_ms(at)
                                    .to_offset(serasi_domain::wib::WIB)
                                    .date()
                                    .to_string()
                            })
                            .unwrap_or_default();
                        let addressee = r
                            .external_name
                            .or(r.position_name.map(|p| match r.employee_name {
                                Some(e) => format!("{p} ({e})"),
                                None => p,
                            }))
                            .or(r.organization_name)
                            .unwrap_or_default();
                        RegisterLine {
                            id: r.id,
                            source: "document",
                            cursor: Cursor {
                                key: r.seq.to_string(),
                                tie: r.delivered_at,
                                id: r.id,
                            },
                            cells: vec![
                                sent,
                                r.number,
                                r.letter_date,
                                addressee,
                                r.external_address.unwrap_or_default(),
                                shown_subject(&r.security, r.subject),
                                if r.is_copy { "✓".into() } else { String::new() },
                                receipt,
                            ],
                        }
                    })
                    .collect())
            }
        }
    }

    pub(crate) async fn count(
        conn: &mut Conn,
        kind: RegisterKind,
        org: OrganizationId,
        filter: &RegisterFilter,
    ) -> Result<i64, StoreError> {
        let (table, date_column, kind_column, class_column) = match kind {
            RegisterKind::Incoming => (
                "incoming_letters i WHERE i.organization_id = $1",
                "i.received_on",
                None,
                "i.classification",
            ),
            RegisterKind::Outgoing => (
                "documents d JOIN document_numbers n ON n.document_id = d.id WHERE n.organization_id = $1 AND d.state = 'signed'",
                "d.letter_date",
                Some("d.kind"),
                "d.classification",
            ),
            RegisterKind::Dispatch => (
                "deliveries dl JOIN documents d ON d.id = dl.document_id JOIN document_numbers n ON n.document_id = d.id \
                 WHERE n.organization_id = $1 AND d.state = 'signed'",
                "d.letter_date",
                Some("d.kind"),
                "d.classification",
            ),
        };
        let (extra, binds) = filter_sql(filter, date_column, kind_column, class_column, 2);
        let sql = format!("SELECT COUNT(*) FROM {table}{extra}");
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(org.as_uuid());
        for value in &binds {
            query = query.bind(value);
        }
        Ok(query.fetch_one(&mut *conn).await?)
    }

    pub(crate) async fn create_job(conn: &mut Conn, job: &ExportJob) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO export_jobs (id, user_id, organization_id, register, format, state, total, \
             done, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'running', $6, 0, $7, $7)",
        )
        .bind(job.id)
        .bind(job.user_id)
        .bind(job.organization_id)
        .bind(&job.register)
        .bind(&job.format)
        .bind(job.total)
        .bind(job.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn update_job(
        conn: &mut Conn,
        id: Uuid,
        done: i64,
        state: &str,
        file: Option<(&str, &str)>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE export_jobs SET done = $2, state = $3, sha256 = COALESCE($4, sha256), \
             file_name = COALESCE($5, file_name), error = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(done)
        .bind(state)
        .bind(file.map(|f| f.0))
        .bind(file.map(|f| f.1))
        .bind(error)
        .bind(crate::now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn running_jobs(conn: &mut Conn, user: Uuid) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM export_jobs WHERE user_id = $1 AND state = 'running' \
             AND updated_at > $2",
        )
        .bind(user)
        .bind(crate::now_ms() - STALE_JOB_MS)
        .fetch_one(&mut *conn)
        .await?)
    }

    pub(crate) async fn job(conn: &mut Conn, id: Uuid) -> Result<Option<ExportJob>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, organization_id, register, format, state, total, done, sha256, \
             file_name, error, created_at, updated_at FROM export_jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
    }
}

impl Store {
    /// Reads a batch of register lines after `after`, or a page with
    /// `offset`.
    pub async fn register_lines(
        &self,
        kind: RegisterKind,
        org: OrganizationId,
        filter: &RegisterFilter,
        after: Option<&Cursor>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegisterLine>, StoreError> {
        let limit = limit.clamp(1, 5000);
        let offset = offset.max(0);
        rd!(self, |conn, q| q::batch(
            conn, kind, org, filter, after, limit, offset
        )
        .await)
    }

    /// Counts the lines of a register under `filter`.
    pub async fn register_count(
        &self,
        kind: RegisterKind,
        org: OrganizationId,
        filter: &RegisterFilter,
    ) -> Result<i64, StoreError> {
        rd!(self, |conn, q| q::count(conn, kind, org, filter).await)
    }
}

/// A register export running or finished in the background.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ExportJob {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub register: String,
    pub format: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub total: i64,
    pub done: i64,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A job not updated for this long counts as failed: its server stopped.
pub const STALE_JOB_MS: i64 = 5 * 60 * 1000;

impl Store {
    /// Records a new export job in state `running`.
    pub async fn create_export_job(&self, job: &ExportJob) -> Result<(), StoreError> {
        crate::tx!(self, |conn, q| q::create_job(conn, job).await)
    }

    /// Records progress, the finished file (hash and name) or a failure.
    pub async fn update_export_job(
        &self,
        id: Uuid,
        done: i64,
        state: &str,
        file: Option<(&str, &str)>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        crate::tx!(self, |conn, q| q::update_job(
            conn, id, done, state, file, error
        )
        .await)
    }

    /// Counts the user's exports that are still running.
    pub async fn running_export_jobs(&self, user: Uuid) -> Result<i64, StoreError> {
        rd!(self, |conn, q| q::running_jobs(conn, user).await)
    }

    /// Reads a job; a running job whose server went quiet reads as failed.
    pub async fn export_job(&self, id: Uuid) -> Result<Option<ExportJob>, StoreError> {
        let job = rd!(self, |conn, q| q::job(conn, id).await)?;
        Ok(job.map(|mut j| {
            if j.state == "running" && crate::now_ms() - j.updated_at > STALE_JOB_MS {
                j.state = "failed".into();
            }
            j
        }))
    }
}
