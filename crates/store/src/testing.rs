//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database on the server named by `SERASI_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The `s3` module starts a
//! local S3-compatible server. Benchmarks bulk-load incoming letters with
//! [`Store::bulk_insert_incoming`].

use std::path::PathBuf;

use serasi_domain::incoming::IncomingFields;
use serasi_domain::search::Query;
use serasi_domain::{EmployeeId, IncomingId, OrganizationId};

use crate::{Backend, Store, StoreError};

pub mod s3;

/// A migrated, empty database that is removed by [`TestDb::finish`].
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

fn admin_url() -> String {
    std::env::var("SERASI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    /// Creates a fresh database of the given backend.
    ///
    /// # Panics
    /// When the database cannot be created: tests have no way around that.
    pub async fn new(backend: Backend) -> TestDb {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("serasi_t_{suffix}.sqlite"));
                let url = format!("sqlite:{}", path.display());
                (url, Cleanup::File(path))
            }
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("serasi_t_{suffix}");
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base);
                let url = format!("{base}/{name}");
                (
                    url,
                    Cleanup::Database {
                        admin_url: admin,
                        name,
                    },
                )
            }
        };
        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("migration failed: {e}"));
        TestDb {
            store,
            url,
            cleanup,
        }
    }

    /// Closes the store and deletes the database.
    pub async fn finish(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(mut conn) =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await
                {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            }
        }
    }
}

/// Defines a test module with one `#[tokio::test]` per backend, each
/// calling `$test(store).await` on a fresh database.
#[macro_export]
macro_rules! test_both_backends {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn sqlite() {
                    let db = $crate::testing::TestDb::new($crate::Backend::Sqlite).await;
                    super::$test(db.store.clone()).await;
                    db.finish().await;
                }

                #[tokio::test]
                async fn postgres() {
                    let db = $crate::testing::TestDb::new($crate::Backend::Postgres).await;
                    super::$test(db.store.clone()).await;
                    db.finish().await;
                }
            }
        )*
    };
}

/// An incoming letter for [`Store::bulk_insert_incoming`], with the
/// agenda number and clerk that registration would have given it.
#[derive(Clone, Debug)]
pub struct SeedLetter {
    pub id: IncomingId,
    pub organization_id: OrganizationId,
    pub agenda_no: i64,
    pub fields: IncomingFields,
    pub registered_by: EmployeeId,
    /// Epoch milliseconds.
    pub registered_at: i64,
}

/// Rows per multi-row INSERT in [`Store::bulk_insert_incoming`]. On SQLite,
/// sqlx looks up every parameter's name when it binds, at a cost that grows
/// with the statement's parameter count, so statements stay small: 100 rows
/// of at most 15 values.
const SEED_ROWS_PER_INSERT: usize = 100;

/// Returns `rows` parenthesised tuples of `$n` placeholders, numbered
/// from 1, with `template` giving each tuple's shape: `?` marks a bound
/// value and anything else is copied.
fn placeholder_rows(rows: usize, template: &[&str]) -> String {
    let mut next = 1;
    let mut out = Vec::with_capacity(rows);
    for _ in 0..rows {
        let cells: Vec<String> = template
            .iter()
            .map(|cell| {
                if *cell == "?" {
                    next += 1;
                    format!("${}", next - 1)
                } else {
                    (*cell).to_owned()
                }
            })
            .collect();
        out.push(format!("({})", cells.join(", ")));
    }
    out.join(", ")
}

crate::both_backends! {
    pub(crate) async fn insert_seed_letters(
        conn: &mut Conn,
        letters: &[SeedLetter],
    ) -> Result<(), StoreError> {
        let mut counters: std::collections::BTreeMap<(uuid::Uuid, i64), i64> =
            std::collections::BTreeMap::new();
        for chunk in letters.chunks(SEED_ROWS_PER_INSERT) {
            let shape = ["?"; 15];
            let sql = format!(
                "INSERT INTO incoming_letters (id, organization_id, year, agenda_no, sender, \
                 sender_number, sender_date, received_on, subject, classification, security, \
                 urgency, addressee_position_id, registered_by, registered_at) VALUES {}",
                placeholder_rows(chunk.len(), &shape)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for letter in chunk {
                let f = &letter.fields;
                let year = i64::from(f.received_on.year());
                let last = counters.entry((letter.organization_id.as_uuid(), year)).or_insert(0);
                *last = (*last).max(letter.agenda_no);
                insert = insert
                    .bind(letter.id.as_uuid())
                    .bind(letter.organization_id.as_uuid())
                    .bind(year)
                    .bind(letter.agenda_no)
                    .bind(&f.sender)
                    .bind(&f.sender_number)
                    .bind(f.sender_date.to_string())
                    .bind(f.received_on.to_string())
                    .bind(&f.subject)
                    .bind(&f.classification)
                    .bind(f.security.as_str())
                    .bind(f.urgency.as_str())
                    .bind(f.addressee_position_id.as_uuid())
                    .bind(letter.registered_by.as_uuid())
                    .bind(letter.registered_at);
            }
            insert.execute(&mut *conn).await?;

            // The entry `reindex_letter` writes for a letter without
            // dispositions or scans. Subject and sender are far below
            // `search::MAX_FIELD_BYTES`, so `put_entry` would not cut them.
            let tokens: Vec<String> = chunk
                .iter()
                .map(|letter| {
                    let f = &letter.fields;
                    serasi_domain::search::tokens([
                        f.subject.as_str(),
                        f.sender.as_str(),
                        f.sender_number.as_str(),
                        &letter.agenda_no.to_string(),
                        "",
                        "",
                    ])
                })
                .collect();
            let shape = [
                "?", "'incoming'", "'surat_masuk'", "?", "?", "?", "'registered'", "?", "?", "?",
                "?", "?", "''", "''", "?",
            ];
            let sql = format!(
                "INSERT INTO search_entries (entry_id, source, kind, organization_id, \
                 classification, security, status, letter_date, number, agenda_no, subject, party, \
                 body, extra, tokens) VALUES {}",
                placeholder_rows(chunk.len(), &shape)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (letter, tokens) in chunk.iter().zip(&tokens) {
                let f = &letter.fields;
                insert = insert
                    .bind(letter.id.as_uuid())
                    .bind(letter.organization_id.as_uuid())
                    .bind(&f.classification)
                    .bind(f.security.as_str())
                    .bind(f.received_on.to_string())
                    .bind(&f.sender_number)
                    .bind(letter.agenda_no)
                    .bind(&f.subject)
                    .bind(&f.sender)
                    .bind(tokens);
            }
            insert.execute(&mut *conn).await?;
        }
        for ((organization, year), last) in counters {
            sqlx::query(
                "INSERT INTO agenda_counters (organization_id, year, last_agenda) VALUES ($1, $2, $3) \
                 ON CONFLICT (organization_id, year) DO UPDATE SET last_agenda = CASE \
                 WHEN excluded.last_agenda > agenda_counters.last_agenda THEN excluded.last_agenda \
                 ELSE agenda_counters.last_agenda END",
            )
            .bind(organization)
            .bind(year)
            .bind(last)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn match_only(
        conn: &mut Conn,
        query: &Query,
        limit: i64,
    ) -> Result<(i64, Vec<i64>), StoreError> {
        let (count_sql, page_sql, text) = if IS_POSTGRES {
            (
                "SELECT COUNT(*) FROM search_entries WHERE vector @@ to_tsquery('simple', $1)",
                "SELECT seq FROM search_entries WHERE vector @@ to_tsquery('simple', $1) \
                 ORDER BY ts_rank(vector, to_tsquery('simple', $1)) DESC LIMIT $2",
                query.tsquery(),
            )
        } else {
            (
                "SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH $1",
                "SELECT rowid FROM search_fts WHERE search_fts MATCH $1 \
                 ORDER BY bm25(search_fts) LIMIT $2",
                query.fts5(),
            )
        };
        let total: i64 = sqlx::query_scalar(count_sql)
            .bind(&text)
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<i64> = sqlx::query_scalar(page_sql)
            .bind(&text)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        Ok((total, rows))
    }
}

impl Store {
    /// Inserts incoming letters with their search entries in one
    /// transaction, by multi-row INSERTs, and raises each organisation's
    /// agenda counter to the highest agenda number given. The letters get
    /// the same rows as through [`Store::register_incoming`], without its
    /// checks: the caller supplies distinct agenda numbers, known
    /// classification codes and addressees inside the organisation.
    pub async fn bulk_insert_incoming(&self, letters: &[SeedLetter]) -> Result<(), StoreError> {
        crate::tx!(self, |conn, q| q::insert_seed_letters(conn, letters).await)
    }

    /// Runs only the full-text engine's part of a search, on a reading
    /// connection like [`Store::search`]: the number of matches, and the
    /// `seq` of the best `limit` entries by the engine's rank (bm25 on
    /// SQLite, `ts_rank` on PostgreSQL). No visibility rule, join or
    /// highlighting is applied.
    pub async fn match_search_entries(
        &self,
        query: &Query,
        limit: i64,
    ) -> Result<(i64, Vec<i64>), StoreError> {
        crate::rd!(self, |conn, q| q::match_only(conn, query, limit).await)
    }

    /// Brings a freshly bulk-loaded database to the state a running
    /// installation soon reaches: PostgreSQL runs `VACUUM ANALYZE`, as
    /// autovacuum would, and SQLite checkpoints its write-ahead log. SQLite
    /// gets no `ANALYZE` because Serasi runs none.
    pub async fn settle_after_bulk_load(&self) -> Result<(), StoreError> {
        match &self.pools {
            crate::Pools::Sqlite { write, .. } => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(write)
                    .await?;
            }
            crate::Pools::Postgres(pool) => {
                sqlx::query("VACUUM ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }
}
