//! Dispositions of incoming letters: who may refer a letter to whom, the
//! status of each referral, reports, and the configured instruction list.
//! Every change rewrites the letter's search entry in the same
//! transaction.

use serasi_domain::disposition::{
    DEFAULT_INSTRUCTIONS, DispositionAction, DispositionError, DispositionFields,
    DispositionStatus, is_overdue, next_status,
};
use serasi_domain::{DispositionId, EmployeeId, IncomingId, PositionId};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::documents::Actor;
use crate::incoming::{IncomingFile, LetterAccess};
use crate::search::MY_POSITIONS_SQL;
use crate::{Store, StoreError, both_backends, now_ms, rd, tx};

const INSTRUCTIONS_KEY: &str = "disposition_instructions";

/// One referral in a letter's disposition tree, as its page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct DispositionNode {
    pub id: DispositionId,
    pub parent_id: Option<DispositionId>,
    pub from_position_id: PositionId,
    pub from_position: String,
    pub from_employee: String,
    pub to_position_id: PositionId,
    pub to_position: String,
    /// The definitive holder of the recipient's post, if any.
    pub to_holder: Option<String>,
    pub instructions: Vec<String>,
    pub note: String,
    pub deadline: Option<String>,
    pub urgency: String,
    pub status: DispositionStatus,
    pub overdue: bool,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub started_at: Option<i64>,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub report: Option<String>,
    pub files: Vec<IncomingFile>,
    /// The viewer sent it and it is still unread.
    pub can_cancel: bool,
    /// Whether the viewer holds the recipient's post or acts in it.
    pub is_mine: bool,
}

/// A disposition in someone's list of received or sent referrals.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DispositionLine {
    #[sqlx(skip)]
    pub id: Option<DispositionId>,
    #[serde(skip)]
    pub raw_id: Uuid,
    #[sqlx(skip)]
    pub incoming_id: Option<IncomingId>,
    #[serde(skip)]
    pub raw_incoming_id: Uuid,
    pub agenda_no: i64,
    pub year: i64,
    pub subject: String,
    pub sender: String,
    pub from_position: String,
    pub to_position: String,
    pub deadline: Option<String>,
    pub urgency: String,
    pub status: String,
    pub created_at: i64,
    #[sqlx(skip)]
    pub overdue: bool,
    #[serde(skip)]
    pub security: String,
}

/// The dashboard's numbers for one person.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct DispositionCounts {
    /// Received referrals not yet done.
    pub open: i64,
    /// Of those, past their deadline.
    pub overdue: i64,
    /// Referrals the person sent that are past their deadline.
    pub sent_overdue: i64,
    /// Letters addressed to the person's posts that wait for a referral.
    pub pending: i64,
}

/// A list of dispositions to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispositionBox {
    Received,
    Sent,
    /// Incoming letters addressed to the actor's posts, with status
    /// `pending` until the addressee refers them, then `referred`.
    Addressed,
}

#[derive(sqlx::FromRow)]
struct DispositionRow {
    id: Uuid,
    incoming_id: Uuid,
    parent_id: Option<Uuid>,
    from_position_id: Uuid,
    from_employee_id: Uuid,
    to_position_id: Uuid,
    instructions: String,
    note: String,
    deadline: Option<String>,
    urgency: String,
    status: String,
    created_at: i64,
    read_at: Option<i64>,
    started_at: Option<i64>,
    done_at: Option<i64>,
    done_by: Option<Uuid>,
    report: Option<String>,
}

const ROW_COLUMNS: &str = "id, incoming_id, parent_id, from_position_id, from_employee_id, \
    to_position_id, instructions, note, deadline, urgency, status, created_at, read_at, \
    started_at, done_at, done_by, report";

fn status_of(text: &str) -> Result<DispositionStatus, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("disposition status {text:?}")))
}

fn date_of(text: &Option<String>) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    text.as_deref().and_then(|t| Date::parse(t, &format).ok())
}

both_backends! {
    async fn my_positions(conn: &mut Conn, employee: EmployeeId, day: Date) -> Result<Vec<Uuid>, StoreError> {
        Ok(sqlx::query_scalar(MY_POSITIONS_SQL)
            .bind(employee.as_uuid())
            .bind(day.to_string())
            .fetch_all(&mut *conn)
            .await?)
    }

    /// Returns whether `position` lies strictly below `top` in the chain
    /// of superiors.
    async fn is_below(conn: &mut Conn, position: PositionId, top: Uuid) -> Result<bool, StoreError> {
        let found: i64 = sqlx::query_scalar(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT id, parent_id, 0 FROM positions WHERE id = $1 \
               UNION ALL \
               SELECT p.id, p.parent_id, up.depth + 1 FROM positions p JOIN up ON p.id = up.parent_id \
               WHERE up.depth < 64) \
             SELECT COUNT(*) FROM up WHERE id = $2 AND depth > 0",
        )
        .bind(position.as_uuid())
        .bind(top)
        .fetch_one(&mut *conn)
        .await?;
        Ok(found > 0)
    }

    pub(crate) async fn instructions(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
        let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(INSTRUCTIONS_KEY)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(match stored.and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok()) {
            Some(list) if !list.is_empty() => list,
            _ => DEFAULT_INSTRUCTIONS.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    pub(crate) async fn set_instructions(conn: &mut Conn, list: &[String]) -> Result<(), StoreError> {
        let value = serde_json::to_string(list).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(INSTRUCTIONS_KEY)
        .bind(value)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    async fn load(conn: &mut Conn, id: DispositionId) -> Result<DispositionRow, StoreError> {
        let lock = if IS_POSTGRES { " FOR UPDATE" } else { "" };
        let sql = format!("SELECT {ROW_COLUMNS} FROM dispositions WHERE id = $1{lock}");
        let row: Option<DispositionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        row.ok_or_else(|| StoreError::not_found("disposition", id))
    }

    /// Refers `letter` to the recipients: from its addressee when `parent`
    /// is `None`, or further down from the recipient of `parent`.
    pub(crate) async fn dispose(
        conn: &mut Conn,
        letter: IncomingId,
        parent: Option<DispositionId>,
        actor: Actor,
        fields: &DispositionFields,
        day: Date,
    ) -> Result<Vec<DispositionId>, StoreError> {
        let access = incoming_db::access(conn, letter, actor, day).await?;
        if access == LetterAccess::None {
            return Err(StoreError::not_found("incoming letter", letter));
        }
        let mine = my_positions(conn, actor.employee_id, day).await?;
        let from: Uuid = match parent {
            None => {
                let addressee: Uuid = sqlx::query_scalar(
                    "SELECT addressee_position_id FROM incoming_letters WHERE id = $1",
                )
                .bind(letter.as_uuid())
                .fetch_one(&mut *conn)
                .await?;
                addressee
            }
            Some(parent) => {
                let row = load(conn, parent).await?;
                if row.incoming_id != letter.as_uuid() {
                    return Err(StoreError::not_found("disposition", parent));
                }
                let status = status_of(&row.status)?;
                if status == DispositionStatus::Cancelled {
                    return Err(DispositionError::Cancelled.into());
                }
                if status == DispositionStatus::Done {
                    return Err(DispositionError::AlreadyDone.into());
                }
                if status == DispositionStatus::Unread && mine.contains(&row.to_position_id) {
                    mark(conn, &row, DispositionStatus::Read, actor.employee_id).await?;
                }
                row.to_position_id
            }
        };
        if !mine.contains(&from) {
            return Err(DispositionError::NotAddressee.into());
        }
        let known: Vec<String> = instructions(conn).await?;
        for label in &fields.instructions {
            if !known.contains(label) {
                return Err(DispositionError::UnknownInstruction(label.clone()).into());
            }
        }
        let mut ids = Vec::with_capacity(fields.recipients.len());
        let now = now_ms();
        let list = serde_json::to_string(&fields.instructions)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for recipient in &fields.recipients {
            if recipient.as_uuid() == from {
                return Err(DispositionError::ToSelf.into());
            }
            if !is_below(conn, *recipient, from).await? {
                return Err(DispositionError::OutsideSubtree.into());
            }
            // One open referral per post and sender is enough.
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM dispositions WHERE incoming_id = $1 AND from_position_id = $2 \
                 AND to_position_id = $3 AND status IN ('unread', 'read', 'in_progress')",
            )
            .bind(letter.as_uuid())
            .bind(from)
            .bind(recipient.as_uuid())
            .fetch_one(&mut *conn)
            .await?;
            if open > 0 {
                return Err(DispositionError::AlreadyReferred.into());
            }
            let id = DispositionId::new();
            sqlx::query(
                "INSERT INTO dispositions (id, incoming_id, parent_id, from_position_id, \
                 from_employee_id, to_position_id, instructions, note, deadline, urgency, status, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'unread', $11)",
            )
            .bind(id.as_uuid())
            .bind(letter.as_uuid())
            .bind(parent.map(|p| p.as_uuid()))
            .bind(from)
            .bind(actor.employee_id.as_uuid())
            .bind(recipient.as_uuid())
            .bind(&list)
            .bind(&fields.note)
            .bind(fields.deadline.map(|d| d.to_string()))
            .bind(fields.urgency.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await?;
            ids.push(id);
        }
        incoming_db::reindex_letter(conn, letter).await?;
        Ok(ids)
    }

    async fn mark(
        conn: &mut Conn,
        row: &DispositionRow,
        status: DispositionStatus,
        actor: EmployeeId,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let column = match status {
            DispositionStatus::Read => "read_at = $3, read_by = $4",
            DispositionStatus::InProgress => "started_at = $3, read_at = COALESCE(read_at, $3), read_by = COALESCE(read_by, $4)",
            DispositionStatus::Cancelled => "cancelled_at = $3",
            DispositionStatus::Done | DispositionStatus::Unread => "done_at = $3",
        };
        let sql = format!("UPDATE dispositions SET status = $2, {column} WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(row.id)
            .bind(status.as_str())
            .bind(now)
            .bind(actor.as_uuid())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Applies `action` by `actor`; `report` is required for `Finish`.
    pub(crate) async fn act(
        conn: &mut Conn,
        id: DispositionId,
        actor: Actor,
        action: DispositionAction,
        report: Option<&str>,
        day: Date,
    ) -> Result<DispositionStatus, StoreError> {
        let row = load(conn, id).await?;
        let letter = IncomingId::from_uuid(row.incoming_id);
        if incoming_db::access(conn, letter, actor, day).await? == LetterAccess::None {
            return Err(StoreError::not_found("disposition", id));
        }
        let mine = my_positions(conn, actor.employee_id, day).await?;
        let allowed = match action {
            DispositionAction::Cancel => {
                row.from_employee_id == actor.employee_id.as_uuid() || mine.contains(&row.from_position_id)
            }
            _ => mine.contains(&row.to_position_id),
        };
        if !allowed {
            return Err(DispositionError::NotAllowed.into());
        }
        let current = status_of(&row.status)?;
        let next = next_status(current, action)?;
        if action == DispositionAction::Cancel {
            let below: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM dispositions WHERE parent_id = $1 AND status <> 'cancelled'",
            )
            .bind(row.id)
            .fetch_one(&mut *conn)
            .await?;
            if below > 0 {
                return Err(DispositionError::CancelAfterRead.into());
            }
        }
        if next == current {
            return Ok(current);
        }
        if action == DispositionAction::Finish {
            let text = report.unwrap_or_default();
            let text = serasi_domain::disposition::validate_report(text)?;
            sqlx::query(
                "UPDATE dispositions SET status = 'done', done_at = $2, done_by = $3, report = $4, \
                 read_at = COALESCE(read_at, $2), read_by = COALESCE(read_by, $3) WHERE id = $1",
            )
            .bind(row.id)
            .bind(now_ms())
            .bind(actor.employee_id.as_uuid())
            .bind(text)
            .execute(&mut *conn)
            .await?;
        } else {
            mark(conn, &row, next, actor.employee_id).await?;
        }
        incoming_db::reindex_letter(conn, letter).await?;
        Ok(next)
    }

    /// Records a file, already stored, on a disposition's report; only
    /// its recipient may add one, before or with the report.
    pub(crate) async fn add_file(
        conn: &mut Conn,
        id: DispositionId,
        actor: Actor,
        file: &IncomingFile,
        day: Date,
    ) -> Result<i64, StoreError> {
        let row = load(conn, id).await?;
        let mine = my_positions(conn, actor.employee_id, day).await?;
        if !mine.contains(&row.to_position_id) {
            return Err(StoreError::not_found("disposition", id));
        }
        match status_of(&row.status)? {
            DispositionStatus::Cancelled => return Err(DispositionError::Cancelled.into()),
            DispositionStatus::Done => return Err(DispositionError::AlreadyDone.into()),
            _ => {}
        }
        let (count, last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(seq) FROM disposition_files WHERE disposition_id = $1",
        )
        .bind(row.id)
        .fetch_one(&mut *conn)
        .await?;
        if count >= crate::incoming::MAX_SCANS {
            return Err(serasi_domain::incoming::IncomingError::TooManyScans.into());
        }
        let seq = last.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO disposition_files (disposition_id, seq, name, content_type, size, sha256, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(row.id)
        .bind(seq)
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(file.size)
        .bind(&file.sha256)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        incoming_db::reindex_letter(conn, IncomingId::from_uuid(row.incoming_id)).await?;
        Ok(seq)
    }

    /// Posts below `top` with their holders' names, nearest first, for
    /// picking disposition recipients.
    pub(crate) async fn below(conn: &mut Conn, top: PositionId) -> Result<Vec<(Uuid, String, Option<String>, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "WITH RECURSIVE down(id, depth) AS ( \
               SELECT id, 1 FROM positions WHERE parent_id = $1 \
               UNION ALL \
               SELECT p.id, down.depth + 1 FROM positions p JOIN down ON p.parent_id = down.id \
               WHERE down.depth < 64) \
             SELECT p.id, p.name, e.name, down.depth FROM down JOIN positions p ON p.id = down.id \
             LEFT JOIN employees e ON e.id = p.holder_id ORDER BY down.depth, p.name LIMIT 500",
        )
        .bind(top.as_uuid())
        .fetch_all(&mut *conn)
        .await?)
    }

    pub(crate) async fn may_report(
        conn: &mut Conn,
        id: DispositionId,
        actor: Actor,
        day: Date,
    ) -> Result<(), StoreError> {
        let to: Option<(Uuid, String, i64)> = sqlx::query_as(
            "SELECT to_position_id, status, (SELECT COUNT(*) FROM disposition_files f \
             WHERE f.disposition_id = d.id) FROM dispositions d WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await?;
        let Some((to, status, files)) = to else {
            return Err(StoreError::not_found("disposition", id));
        };
        // Checked before an upload is stored, so a refused file leaves
        // nothing behind.
        if !my_positions(conn, actor.employee_id, day).await?.contains(&to) {
            return Err(StoreError::not_found("disposition", id));
        }
        match status.as_str() {
            "done" => Err(DispositionError::AlreadyDone.into()),
            "cancelled" => Err(DispositionError::Cancelled.into()),
            _ if files >= crate::incoming::MAX_SCANS => {
                Err(serasi_domain::incoming::IncomingError::TooManyScans.into())
            }
            _ => Ok(()),
        }
    }

    pub(crate) async fn file(
        conn: &mut Conn,
        id: DispositionId,
        seq: i64,
    ) -> Result<Option<(IncomingId, IncomingFile)>, StoreError> {
        let row: Option<(Uuid, i64, String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT d.incoming_id, f.seq, f.name, f.content_type, f.size, f.sha256, f.added_at \
             FROM disposition_files f JOIN dispositions d ON d.id = f.disposition_id \
             WHERE f.disposition_id = $1 AND f.seq = $2",
        )
        .bind(id.as_uuid())
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.map(|r| {
            (
                IncomingId::from_uuid(r.0),
                IncomingFile {
                    seq: r.1,
                    name: r.2,
                    content_type: r.3,
                    size: r.4,
                    sha256: r.5,
                    added_at: r.6,
                },
            )
        }))
    }

    /// Returns the whole tree of a letter, parents before children, in
    /// the order they were sent.
    pub(crate) async fn tree(
        conn: &mut Conn,
        letter: IncomingId,
        actor: Actor,
        day: Date,
        now: OffsetDateTime,
    ) -> Result<Vec<DispositionNode>, StoreError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM dispositions WHERE incoming_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<DispositionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(letter.as_uuid())
            .fetch_all(&mut *conn)
            .await?;
        let mine = my_positions(conn, actor.employee_id, day).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let names: (String, String, String, Option<String>) = sqlx::query_as(
                "SELECT fp.name, fe.name, tp.name, th.name FROM positions fp, employees fe, positions tp \
                 LEFT JOIN employees th ON th.id = tp.holder_id \
                 WHERE fp.id = $1 AND fe.id = $2 AND tp.id = $3",
            )
            .bind(row.from_position_id)
            .bind(row.from_employee_id)
            .bind(row.to_position_id)
            .fetch_one(&mut *conn)
            .await?;
            let done_by: Option<String> = match row.done_by {
                Some(e) => sqlx::query_scalar("SELECT name FROM employees WHERE id = $1")
                    .bind(e)
                    .fetch_optional(&mut *conn)
                    .await?,
                None => None,
            };
            let files: Vec<IncomingFile> = sqlx::query_as(
                "SELECT seq, name, content_type, size, sha256, added_at FROM disposition_files \
                 WHERE disposition_id = $1 ORDER BY seq",
            )
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await?;
            let status = status_of(&row.status)?;
            let deadline = date_of(&row.deadline);
            out.push(DispositionNode {
                id: DispositionId::from_uuid(row.id),
                parent_id: row.parent_id.map(DispositionId::from_uuid),
                from_position_id: PositionId::from_uuid(row.from_position_id),
                from_position: names.0,
                from_employee: names.1,
                to_position_id: PositionId::from_uuid(row.to_position_id),
                to_position: names.2,
                to_holder: names.3,
                instructions: serde_json::from_str(&row.instructions).unwrap_or_default(),
                note: row.note,
                deadline: row.deadline.clone(),
                urgency: row.urgency,
                status,
                overdue: is_overdue(deadline, status, now),
                created_at: row.created_at,
                read_at: row.read_at,
                started_at: row.started_at,
                done_at: row.done_at,
                done_by,
                report: row.report,
                files,
                can_cancel: status == DispositionStatus::Unread
                    && (row.from_employee_id == actor.employee_id.as_uuid()
                        || mine.contains(&row.from_position_id)),
                is_mine: mine.contains(&row.to_position_id),
            });
        }
        // Parents first: a depth-first walk from the roots.
        let mut ordered = Vec::with_capacity(out.len());
        let mut seen = std::collections::HashSet::new();
        fn children(all: &[DispositionNode], parent: Option<DispositionId>) -> Vec<usize> {
            all.iter()
                .enumerate()
                .filter(|(_, n)| n.parent_id == parent)
                .map(|(i, _)| i)
                .collect()
        }
        let mut queue: Vec<usize> = children(&out, None);
        queue.reverse();
        while let Some(i) = queue.pop() {
            if !seen.insert(i) {
                continue;
            }
            ordered.push(i);
            let mut next = children(&out, Some(out[i].id));
            next.reverse();
            queue.extend(next);
        }
        let mut slots: Vec<Option<DispositionNode>> = out.into_iter().map(Some).collect();
        Ok(ordered.into_iter().filter_map(|i| slots[i].take()).collect())
    }

    /// Dispositions received by or sent from the actor's posts, newest
    /// first, with the number of lines.
    pub(crate) async fn list(
        conn: &mut Conn,
        actor: Actor,
        which: DispositionBox,
        open_only: bool,
        now: OffsetDateTime,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DispositionLine>, i64), StoreError> {
        let day = now.to_offset(serasi_domain::wib::WIB).date();
        if which == DispositionBox::Addressed {
            return addressed(conn, actor, open_only, day, limit, offset).await;
        }
        let side = match which {
            DispositionBox::Received => format!("x.to_position_id IN ({MY_POSITIONS_SQL}) AND x.status <> 'cancelled'"),
            _ => format!("(x.from_employee_id = $1 OR x.from_position_id IN ({MY_POSITIONS_SQL}))"),
        };
        let open = if open_only { " AND x.status IN ('unread', 'read', 'in_progress')" } else { "" };
        let sql = format!(
            "SELECT x.id AS raw_id, x.incoming_id AS raw_incoming_id, i.agenda_no, i.year, \
             i.subject, i.sender, fp.name AS from_position, tp.name AS to_position, x.deadline, \
             x.urgency, x.status, x.created_at, i.security FROM dispositions x \
             JOIN incoming_letters i ON i.id = x.incoming_id \
             JOIN positions fp ON fp.id = x.from_position_id \
             JOIN positions tp ON tp.id = x.to_position_id \
             WHERE {side}{open} ORDER BY x.created_at DESC LIMIT $3 OFFSET $4"
        );
        let mut rows: Vec<DispositionLine> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(actor.employee_id.as_uuid())
            .bind(day.to_string())
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await?;
        for row in &mut rows {
            row.id = Some(DispositionId::from_uuid(row.raw_id));
            row.incoming_id = Some(IncomingId::from_uuid(row.raw_incoming_id));
            let status = status_of(&row.status)?;
            row.overdue = is_overdue(date_of(&row.deadline), status, now);
        }
        let count_sql = format!("SELECT COUNT(*) FROM dispositions x WHERE {side}{open}");
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(actor.employee_id.as_uuid())
            .bind(day.to_string())
            .fetch_one(&mut *conn)
            .await?;
        Ok((rows, total))
    }

    /// Incoming letters addressed to the actor's posts, newest first; with
    /// `pending_only`, those the addressee has not referred yet.
    async fn addressed(
        conn: &mut Conn,
        actor: Actor,
        pending_only: bool,
        day: Date,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DispositionLine>, i64), StoreError> {
        let referred = "EXISTS (SELECT 1 FROM dispositions x WHERE x.incoming_id = i.id \
             AND x.from_position_id = i.addressee_position_id AND x.status <> 'cancelled')";
        let pending = if pending_only { format!(" AND NOT {referred}") } else { String::new() };
        let sql = format!(
            "SELECT i.id AS raw_id, i.id AS raw_incoming_id, i.agenda_no, i.year, i.subject, \
             i.sender, i.sender AS from_position, p.name AS to_position, NULL AS deadline, \
             i.urgency, CASE WHEN {referred} THEN 'referred' ELSE 'pending' END AS status, \
             i.registered_at AS created_at, i.security FROM incoming_letters i \
             JOIN positions p ON p.id = i.addressee_position_id \
             WHERE i.addressee_position_id IN ({MY_POSITIONS_SQL}){pending} \
             ORDER BY i.registered_at DESC LIMIT $3 OFFSET $4"
        );
        let mut rows: Vec<DispositionLine> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(actor.employee_id.as_uuid())
            .bind(day.to_string())
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await?;
        for row in &mut rows {
            row.incoming_id = Some(IncomingId::from_uuid(row.raw_incoming_id));
        }
        let count_sql = format!(
            "SELECT COUNT(*) FROM incoming_letters i \
             WHERE i.addressee_position_id IN ({MY_POSITIONS_SQL}){pending}"
        );
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(actor.employee_id.as_uuid())
            .bind(day.to_string())
            .fetch_one(&mut *conn)
            .await?;
        Ok((rows, total))
    }

    /// Counts the actor's open received dispositions and how many of them
    /// are overdue on `day`.
    pub(crate) async fn counts(conn: &mut Conn, actor: Actor, day: Date) -> Result<DispositionCounts, StoreError> {
        let sql = format!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN deadline IS NOT NULL AND deadline < $2 THEN 1 ELSE 0 END), 0) \
             FROM dispositions x WHERE x.to_position_id IN ({MY_POSITIONS_SQL}) \
             AND x.status IN ('unread', 'read', 'in_progress')"
        );
        let (open, overdue): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(actor.employee_id.as_uuid())
            .bind(day.to_string())
            .fetch_one(&mut *conn)
            .await?;
        let sent_sql = format!(
            "SELECT COUNT(*) FROM dispositions x WHERE (x.from_employee_id = $1 \
             OR x.from_position_id IN ({MY_POSITIONS_SQL})) AND x.status IN ('unread', 'read', 'in_progress') \
             AND x.deadline IS NOT NULL AND x.deadline < $2"
        );
        let sent_overdue: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sent_sql))
            .bind(actor.employee_id.as_uuid())
            .bind(day.to_string())
            .fetch_one(&mut *conn)
            .await?;
        let (_, pending) = addressed(conn, actor, true, day, 1, 0).await?;
        Ok(DispositionCounts {
            open,
            overdue,
            sent_overdue,
            pending,
        })
    }
}

impl Store {
    /// Returns the instruction labels offered on the disposition form.
    pub async fn disposition_instructions(&self) -> Result<Vec<String>, StoreError> {
        rd!(self, |conn, q| q::instructions(conn).await)
    }

    /// Replaces the instruction labels; `list` must be validated.
    pub async fn set_disposition_instructions(&self, list: &[String]) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::set_instructions(conn, list).await)
    }

    /// Refers an incoming letter; see [`DispositionFields`].
    pub async fn dispose(
        &self,
        letter: IncomingId,
        parent: Option<DispositionId>,
        actor: Actor,
        fields: &DispositionFields,
        day: Date,
    ) -> Result<Vec<DispositionId>, StoreError> {
        tx!(self, |conn, q| q::dispose(
            conn, letter, parent, actor, fields, day
        )
        .await)
    }

    /// Marks read, starts, finishes or cancels a disposition.
    pub async fn act_on_disposition(
        &self,
        id: DispositionId,
        actor: Actor,
        action: DispositionAction,
        report: Option<&str>,
        day: Date,
    ) -> Result<DispositionStatus, StoreError> {
        tx!(self, |conn, q| q::act(conn, id, actor, action, report, day)
            .await)
    }

    /// Records a report file already in the file store.
    pub async fn add_disposition_file(
        &self,
        id: DispositionId,
        actor: Actor,
        file: &IncomingFile,
        day: Date,
    ) -> Result<i64, StoreError> {
        tx!(self, |conn, q| q::add_file(conn, id, actor, file, day)
            .await)
    }

    /// Posts below `top`: id, post name, holder name and depth (1 for
    /// direct subordinates).
    pub async fn positions_below(
        &self,
        top: PositionId,
    ) -> Result<Vec<(PositionId, String, Option<String>, i64)>, StoreError> {
        let rows = rd!(self, |conn, q| q::below(conn, top).await)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, holder, depth)| (PositionId::from_uuid(id), name, holder, depth))
            .collect())
    }

    /// Checks that `actor` receives the disposition and may add a report
    /// file. Others get not found. A done or cancelled disposition, or one
    /// that already has the maximum number of files, gets a conflict.
    pub async fn may_report(
        &self,
        id: DispositionId,
        actor: Actor,
        day: Date,
    ) -> Result<(), StoreError> {
        rd!(self, |conn, q| q::may_report(conn, id, actor, day).await)
    }

    /// Returns a report file and the letter it belongs to.
    pub async fn disposition_file(
        &self,
        id: DispositionId,
        seq: i64,
    ) -> Result<Option<(IncomingId, IncomingFile)>, StoreError> {
        rd!(self, |conn, q| q::file(conn, id, seq).await)
    }

    /// Returns the disposition tree of a letter for `actor` at `now`.
    pub async fn disposition_tree(
        &self,
        letter: IncomingId,
        actor: Actor,
        now: OffsetDateTime,
    ) -> Result<Vec<DispositionNode>, StoreError> {
        let day = now.to_offset(serasi_domain::wib::WIB).date();
        rd!(self, |conn, q| q::tree(conn, letter, actor, day, now).await)
    }

    /// Returns one page of the actor's received, sent or addressed list.
    pub async fn dispositions(
        &self,
        actor: Actor,
        which: DispositionBox,
        open_only: bool,
        now: OffsetDateTime,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<DispositionLine>, i64), StoreError> {
        let limit = i64::from(per_page.clamp(1, 200));
        let offset = i64::from(page.clamp(1, 100_000) - 1) * limit;
        rd!(self, |conn, q| q::list(
            conn, actor, which, open_only, now, limit, offset
        )
        .await)
    }

    /// Returns the dashboard's disposition counts for the actor.
    pub async fn disposition_counts(
        &self,
        actor: Actor,
        now: OffsetDateTime,
    ) -> Result<DispositionCounts, StoreError> {
        let day = now.to_offset(serasi_domain::wib::WIB).date();
        rd!(self, |conn, q| q::counts(conn, actor, day).await)
    }
}
