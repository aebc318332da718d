//! The search index over every letter, and the visibility rule shared by
//! search, lists and counters.
//!
//! Each outgoing document and each incoming letter has one row in
//! `search_entries`, rewritten in the same transaction as the change that
//! affects it. SQLite matches it with FTS5 and PostgreSQL with a `tsvector`;
//! both see the same folded words (see `serasi_domain::search`).
//!
//! Visibility is decided in SQL, before counting or ranking, so a letter
//! the viewer may not see never reaches a result, a count or a snippet.

use serasi_domain::OrganizationId;
use serasi_domain::search::{Piece, Query, highlight};
use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::documents::Actor;
use crate::{Store, StoreError, both_backends, rd};

/// Longest stored text of one field, in bytes; longer text is cut at a
/// character boundary before indexing.
pub const MAX_FIELD_BYTES: usize = 200_000;

/// One searchable letter.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub entry_id: Uuid,
    /// `document` or `incoming`.
    pub source: &'static str,
    /// The document kind code, or `surat_masuk`.
    pub kind: String,
    pub organization_id: Uuid,
    pub classification: String,
    pub security: String,
    pub status: String,
    pub letter_date: String,
    pub number: String,
    pub agenda_no: Option<i64>,
    pub subject: String,
    /// Sender or addressees.
    pub party: String,
    pub body: String,
    /// Disposition text and the text layer of attached PDFs.
    pub extra: String,
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_FIELD_BYTES {
        let mut end = MAX_FIELD_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Filters beside the query text.
#[derive(Clone, Debug, Default)]
pub struct SearchFilters {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub kind: Option<String>,
    /// A classification code or the start of one (`000.1`).
    pub classification: Option<String>,
    pub organization: Option<OrganizationId>,
    pub status: Option<String>,
}

/// One result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub id: Uuid,
    /// `document` or `incoming`.
    pub source: String,
    pub kind: String,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub classification: String,
    pub security: String,
    pub status: String,
    pub letter_date: String,
    pub number: String,
    pub agenda_no: Option<i64>,
    pub subject: Vec<Piece>,
    pub party: Vec<Piece>,
    pub snippet: Vec<Piece>,
}

/// A page of results and the number of visible matches.
#[derive(Clone, Debug, Serialize)]
pub struct SearchPage {
    pub total: i64,
    pub hits: Vec<SearchHit>,
}

#[derive(sqlx::FromRow)]
struct HitRow {
    entry_id: Uuid,
    source: String,
    kind: String,
    organization_id: Uuid,
    organization_name: String,
    classification: String,
    security: String,
    status: String,
    letter_date: String,
    number: String,
    agenda_no: Option<i64>,
    subject: String,
    party: String,
    body: String,
    extra: String,
}

/// Selects the posts an employee holds or acts in on a day. It binds `$1`
/// (employee) and `$2` (WIB date).
pub(crate) const MY_POSITIONS_SQL: &str = "SELECT id FROM positions WHERE holder_id = $1 \
    UNION SELECT d.principal_id FROM delegations d JOIN positions p ON p.id = d.principal_id \
    WHERE d.delegate_employee_id = $1 AND d.starts_on <= $2 AND d.ends_on >= $2 \
    AND ((d.kind = 'plt' AND p.holder_id IS NULL) OR (d.kind = 'plh' AND p.holder_id IS NOT NULL))";

/// Builds the SQL condition under which the viewer sees the letter of
/// search entry `e`. It binds `$1` (employee) and `$2` (WIB date) and
/// lists the clerk's organisations as placeholders from `$first`.
pub(crate) fn visible_sql(actor: Actor, clerk_orgs: usize, first: usize) -> String {
    let orgs = if clerk_orgs == 0 {
        "NULL".to_owned()
    } else {
        (first..first + clerk_orgs)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let admin = if actor.is_admin { "1 = 1" } else { "1 = 0" };
    let mine = MY_POSITIONS_SQL;
    // The first test reads only the entry's own columns, which mirror the
    // letter's state, security class and organisation because every change
    // rewrites the entry in the same transaction. It settles most matches
    // without the per-letter lookups below and grants nothing the full
    // rule would not: administrators see ordinary letters that are not
    // drafts, clerks the ordinary incoming letters of their registers and
    // the signed or cancelled documents of their organisations.
    format!(
        "((e.security NOT IN ('rahasia', 'sangat_rahasia') AND e.status <> 'draft' AND ({admin} \
           OR (e.organization_id IN ({orgs}) AND (e.source = 'incoming' OR e.status IN ('signed', 'cancelled'))))) \
         OR (e.source = 'document' AND EXISTS (SELECT 1 FROM documents d WHERE d.id = e.entry_id AND ( \
            d.author_id = $1 OR d.signed_by = $1 \
            OR EXISTS (SELECT 1 FROM document_reviews r WHERE r.document_id = d.id AND r.actor_id = $1) \
            OR EXISTS (SELECT 1 FROM deliveries dl WHERE dl.document_id = d.id AND dl.employee_id = $1) \
            OR (d.state <> 'draft' AND (d.signer_position_id IN ({mine}) \
                OR EXISTS (SELECT 1 FROM document_reviews r WHERE r.document_id = d.id AND r.position_id IN ({mine})))) \
            OR (d.state <> 'draft' AND d.security NOT IN ('rahasia', 'sangat_rahasia') AND {admin}) \
            OR (d.state IN ('signed', 'cancelled') AND d.security NOT IN ('rahasia', 'sangat_rahasia') AND ( \
                d.organization_id IN ({orgs}) \
                OR EXISTS (SELECT 1 FROM deliveries dl LEFT JOIN positions p ON p.id = dl.position_id \
                   WHERE dl.document_id = d.id AND (dl.organization_id IN ({orgs}) OR p.organization_id IN ({orgs})))))))) \
         OR (e.source = 'incoming' AND EXISTS (SELECT 1 FROM incoming_letters i WHERE i.id = e.entry_id AND ( \
            (i.registered_by = $1 AND i.source_document_id IS NULL) OR i.addressee_position_id IN ({mine}) \
            OR EXISTS (SELECT 1 FROM dispositions x WHERE x.incoming_id = i.id AND (x.from_employee_id = $1 \
               OR (x.status <> 'cancelled' AND x.to_position_id IN ({mine})))) \
            OR (i.security NOT IN ('rahasia', 'sangat_rahasia') AND ({admin} OR i.organization_id IN ({orgs})))))))"
    )
}

fn fold_filter(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

both_backends! {
    /// Writes the index row of one letter, replacing the old one.
    pub(crate) async fn put_entry(conn: &mut Conn, entry: Entry) -> Result<(), StoreError> {
        let subject = cut(entry.subject);
        let party = cut(entry.party);
        let body = cut(entry.body);
        let extra = cut(entry.extra);
        let tokens = serasi_domain::search::tokens([
            subject.as_str(),
            party.as_str(),
            entry.number.as_str(),
            &entry.agenda_no.map(|n| n.to_string()).unwrap_or_default(),
            body.as_str(),
            extra.as_str(),
        ]);
        sqlx::query("DELETE FROM search_entries WHERE entry_id = $1")
            .bind(entry.entry_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO search_entries (entry_id, source, kind, organization_id, classification, \
             security, status, letter_date, number, agenda_no, subject, party, body, extra, tokens) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(entry.entry_id)
        .bind(entry.source)
        .bind(&entry.kind)
        .bind(entry.organization_id)
        .bind(&entry.classification)
        .bind(&entry.security)
        .bind(&entry.status)
        .bind(&entry.letter_date)
        .bind(&entry.number)
        .bind(entry.agenda_no)
        .bind(&subject)
        .bind(&party)
        .bind(&body)
        .bind(&extra)
        .bind(&tokens)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Returns the organisations a clerk works for: the clerk's agency,
    /// kecamatan or village and its units, but not the offices below it
    /// (a kecamatan clerk does not keep its villages' registers).
    pub(crate) async fn clerk_orgs(
        conn: &mut Conn,
        actor: Actor,
    ) -> Result<Vec<Uuid>, StoreError> {
        if !actor.is_clerk {
            return Ok(Vec::new());
        }
        let rows: Vec<(Uuid, Option<Uuid>, String)> =
            sqlx::query_as("SELECT id, parent_id, kind FROM organizations")
                .fetch_all(&mut *conn)
                .await?;
        let home: Option<Uuid> =
            sqlx::query_scalar("SELECT organization_id FROM employees WHERE id = $1")
                .bind(actor.employee_id.as_uuid())
                .fetch_optional(&mut *conn)
                .await?;
        let Some(mut office) = home else {
            return Ok(Vec::new());
        };
        for _ in 0..32 {
            match rows.iter().find(|r| r.0 == office) {
                Some((_, Some(parent), kind)) if kind == "unit" => office = *parent,
                _ => break,
            }
        }
        let mut out = vec![office];
        let mut i = 0;
        while i < out.len() && out.len() < 10_000 {
            let parent = out[i];
            // Units belong to the office; a kecamatan's villages and an
            // agency's nested offices keep their own registers.
            out.extend(
                rows.iter()
                    .filter(|r| r.1 == Some(parent) && r.2 == "unit")
                    .map(|r| r.0),
            );
            i += 1;
        }
        Ok(out)
    }

    pub(crate) async fn search(
        conn: &mut Conn,
        actor: Actor,
        day: Date,
        query: &Query,
        filters: &SearchFilters,
        limit: i64,
        offset: i64,
    ) -> Result<SearchPage, StoreError> {
        let orgs = clerk_orgs(conn, actor).await?;
        // $1 employee, $2 day, $3 query, $4.. filters, then clerk orgs.
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut add = |template: &str, value: String| {
            let slot = format!("${}", 4 + binds.len());
            conditions.push(template.replace('?', &slot));
            binds.push(value);
        };
        if let Some(from) = filters.from {
            add("e.letter_date >= ?", from.to_string());
        }
        if let Some(to) = filters.to {
            add("e.letter_date <= ?", to.to_string());
        }
        if let Some(kind) = fold_filter(filters.kind.as_deref()) {
            add("e.kind = ?", kind);
        }
        if let Some(code) = fold_filter(filters.classification.as_deref()) {
            // Digits and dots only, so LIKE wildcards never reach the query.
            let code = if crate::registers::is_code_prefix(&code) { code } else { "-".to_owned() };
            add("(e.classification = ? OR e.classification LIKE ? || '.%')", code);
        }
        if let Some(status) = fold_filter(filters.status.as_deref()) {
            add("e.status = ?", status);
        }
        let mut next = 4 + binds.len();
        let org_filter = filters.organization.map(|o| o.as_uuid());
        let org_slot = next;
        if org_filter.is_some() {
            conditions.push(format!("e.organization_id = ${org_slot}"));
            next += 1;
        }
        let visible = visible_sql(actor, orgs.len(), next);
        conditions.push(visible);
        let filter_sql = conditions.join(" AND ");
        let (from_sql, match_sql, rank_sql) = if IS_POSTGRES {
            (
                "search_entries e",
                "e.vector @@ to_tsquery('simple', $3)",
                "ts_rank(e.vector, to_tsquery('simple', $3)) DESC",
            )
        } else {
            (
                "search_fts JOIN search_entries e ON e.seq = search_fts.rowid",
                "search_fts MATCH $3",
                "bm25(search_fts)",
            )
        };
        let engine_query = if IS_POSTGRES { query.tsquery() } else { query.fts5() };
        let count_sql = format!("SELECT COUNT(*) FROM {from_sql} WHERE {match_sql} AND {filter_sql}");
        let page_sql = format!(
            "SELECT e.entry_id, e.source, e.kind, e.organization_id, o.name AS organization_name, \
             e.classification, e.security, e.status, e.letter_date, e.number, e.agenda_no, \
             e.subject, e.party, e.body, e.extra \
             FROM {from_sql} JOIN organizations o ON o.id = e.organization_id \
             WHERE {match_sql} AND {filter_sql} \
             ORDER BY {rank_sql}, e.letter_date DESC, e.seq DESC \
             LIMIT {limit} OFFSET {offset}"
        );
        let employee = actor.employee_id.as_uuid();
        let day = day.to_string();
        let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(employee)
            .bind(&day)
            .bind(&engine_query);
        for value in &binds {
            count = count.bind(value);
        }
        if let Some(org) = org_filter {
            count = count.bind(org);
        }
        for org in &orgs {
            count = count.bind(*org);
        }
        let total: i64 = count.fetch_one(&mut *conn).await?;
        let mut page = sqlx::query_as::<_, HitRow>(sqlx::AssertSqlSafe(page_sql))
            .bind(employee)
            .bind(&day)
            .bind(&engine_query);
        for value in &binds {
            page = page.bind(value);
        }
        if let Some(org) = org_filter {
            page = page.bind(org);
        }
        for org in &orgs {
            page = page.bind(*org);
        }
        let rows: Vec<HitRow> = page.fetch_all(&mut *conn).await?;
        let hits = rows
            .into_iter()
            .map(|r| {
                let snippet_source = if r.body.trim().is_empty() { &r.extra } else { &r.body };
                let mut snippet = highlight(snippet_source, query, 220);
                if !snippet.iter().any(|p| p.hit) && !r.extra.is_empty() {
                    snippet = highlight(&r.extra, query, 220);
                }
                SearchHit {
                    id: r.entry_id,
                    source: r.source,
                    kind: r.kind,
                    organization_id: r.organization_id,
                    organization_name: r.organization_name,
                    classification: r.classification,
                    security: r.security,
                    status: r.status,
                    letter_date: r.letter_date,
                    number: r.number,
                    agenda_no: r.agenda_no,
                    subject: highlight(&r.subject, query, 500),
                    party: highlight(&r.party, query, 200),
                    snippet,
                }
            })
            .collect();
        Ok(SearchPage { total, hits })
    }

    /// Stores the text layer of a file, keyed by its SHA-256.
    pub(crate) async fn put_file_text(conn: &mut Conn, sha256: &str, text: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO file_texts (sha256, text) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(cut(text.to_owned()))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Searches every letter `actor` may see on `day` (WIB).
    pub async fn search(
        &self,
        actor: Actor,
        day: Date,
        query: &Query,
        filters: &SearchFilters,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage, StoreError> {
        let limit = i64::from(per_page.clamp(1, 100));
        let offset = i64::from(page.clamp(1, 1000) - 1) * limit;
        rd!(self, |conn, q| q::search(
            conn, actor, day, query, filters, limit, offset
        )
        .await)
    }

    /// Records the text layer of a stored file for search.
    pub async fn put_file_text(&self, sha256: &str, text: &str) -> Result<(), StoreError> {
        crate::tx!(self, |conn, q| q::put_file_text(conn, sha256, text).await)
    }

    /// Returns the organisations whose registers `actor` keeps as a clerk.
    pub async fn clerk_organizations(
        &self,
        actor: Actor,
    ) -> Result<Vec<OrganizationId>, StoreError> {
        let ids = rd!(self, |conn, q| q::clerk_orgs(conn, actor).await)?;
        Ok(ids.into_iter().map(OrganizationId::from_uuid).collect())
    }
}
