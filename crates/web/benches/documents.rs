//! Documents benchmark on SQLite and PostgreSQL, over a database seeded
//! with 1,000,000 signed documents and 10,000 employees. It measures:
//!
//! - numbering: 64 concurrent clients sign ready documents of one signer,
//!   so every number comes from one series. It reports numbers per second
//!   and checks that the serials are distinct and consecutive.
//! - inbox: 64 concurrent clients request `GET /api/v1/documents?queue=inbox`
//!   pages with API tokens. It reports requests per second, p50 and p99.
//! - `/healthz`, driven the same way in the same run, as the ceiling.
//! - the same inbox pages through `Store::queue` directly, without the
//!   router and the bearer-token lookup, for comparison.
//! - as a diagnostic, the time of `MAX(letter_date)` over the signing
//!   series. Signing no longer runs it, because the series counter keeps
//!   the latest date, but back-dated letters use the same index.
//!
//! Run it with `cargo bench -p serasi-web --bench documents`. BENCHMARKS.md
//! records the figures. Requests go through the real axum router in-process
//! with `tower::ServiceExt::oneshot`, so they do not cross a socket. Signing
//! calls `Store::sign_document` directly because the HTTP route adds an
//! Argon2 password check per signature, which would measure hashing, not
//! numbering.
//!
//! Environment variables, with their defaults:
//! - `SERASI_BENCH_DOCS` (1000000) and `SERASI_BENCH_EMPLOYEES` (10000): the
//!   seeded sizes.
//! - `SERASI_BENCH_SECS` (20): the length of each load phase in seconds.
//! - `SERASI_BENCH_SIGN_ROUNDS` (8): the documents each signing client signs.
//! - `SERASI_BENCH_BACKENDS` (`sqlite,postgres`): the backends to run.
//! - `SERASI_BENCH_KEEP_DB` (unset): when set, the seeded databases are kept
//!   for inspection. The next `scripts/test` drops leftover PostgreSQL ones.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serasi_domain::document::{
    DocumentKind, DraftInput, Layout, Recipient, SecurityClass, SeriesScope, Urgency,
};
use serasi_domain::numbering::{NumberContext, NumberTemplate, Serial};
use serasi_domain::user::Role;
use serasi_domain::{DocumentId, EmployeeId, PositionId, text, wib};
use serasi_store::testing::TestDb;
use serasi_store::{Backend, NewUser, Queue, QueueFilter, SignRequest, Store};
use serasi_web::{AppState, WebConfig, router};
use sqlx::{AssertSqlSafe, Connection};
use time::Date;
use tower::ServiceExt;
use uuid::Uuid;

/// Concurrent clients in every measured phase.
const CLIENTS: usize = 64;
/// Rows per multi-row INSERT.
const BATCH: usize = 1_000;
/// Documents per seeding transaction.
const CHUNK: usize = 50_000;
/// Accounts whose inboxes the inbox phase reads.
const USERS: usize = 256;
/// Inbox pages each account has with ~100 documents at 25 per page.
const PAGES: usize = 4;
/// Kinds the seeded documents take turns in, all signed by the agency head.
const SEED_KINDS: [&str; 5] = [
    "surat_dinas",
    "nota_dinas",
    "surat_undangan",
    "surat_edaran",
    "surat_tugas",
];
const SEED_BODY: &str =
    "Dengan hormat,\n\nbersama ini kami mengundang Saudara untuk menghadiri rapat koordinasi.";
/// The agency whose head signs in the numbering phase.
const SIGNING_AGENCY: &str = "DISKOMINFO";
const NUMBERING_KIND: &str = "surat_dinas";
const NUMBERING_CLASSIFICATION: &str = "000.1.2";

const FIRST: [&str; 10] = [
    "Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hana", "Indra", "Joko",
];
const LAST: [&str; 10] = [
    "Santoso",
    "Wulandari",
    "Pratama",
    "Saputra",
    "Lestari",
    "Nugroho",
    "Rahayu",
    "Setiawan",
    "Kurniawan",
    "Handayani",
];

struct Settings {
    docs: usize,
    employees: usize,
    phase: Duration,
    sign_rounds: usize,
    backends: Vec<(Backend, &'static str)>,
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {value:?}")),
        Err(_) => default,
    }
}

impl Settings {
    fn from_env() -> Settings {
        let backends = std::env::var("SERASI_BENCH_BACKENDS")
            .unwrap_or_else(|_| "sqlite,postgres".to_owned())
            .split(',')
            .map(|name| match name.trim() {
                "sqlite" => (Backend::Sqlite, "SQLite"),
                "postgres" => (Backend::Postgres, "PostgreSQL"),
                other => panic!("unknown backend {other:?} in SERASI_BENCH_BACKENDS"),
            })
            .collect();
        let settings = Settings {
            docs: env_number("SERASI_BENCH_DOCS", 1_000_000),
            employees: env_number("SERASI_BENCH_EMPLOYEES", 10_000),
            phase: Duration::from_secs(env_number("SERASI_BENCH_SECS", 20) as u64),
            sign_rounds: env_number("SERASI_BENCH_SIGN_ROUNDS", 8).max(1),
            backends,
        };
        assert!(
            settings.employees >= 1_000,
            "SERASI_BENCH_EMPLOYEES must be at least 1000"
        );
        settings
    }
}

/// Returns a valid, unique NIP for employee `i`: birth dates 1970–1989, TMT
/// 2010–2019.
fn nip(i: usize) -> String {
    let date = i % 6720;
    let year = 1970 + date / 336;
    let month = 1 + date / 28 % 12;
    let day = 1 + date % 28;
    let serial = 1 + i / 6720;
    let tmt_year = 2010 + i % 10;
    let gender = 1 + i % 2;
    format!("{year}{month:02}{day:02}{tmt_year}01{gender}{serial:03}")
}

/// Quotes `value` as a SQL string literal.
fn sql_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Returns the epoch milliseconds of 09:00 WIB (02:00 UTC) on `date`.
fn morning_ms(date: Date) -> i64 {
    const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
    (i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * 86_400_000 + 2 * 3_600_000
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("milliseconds fit i64")
}

/// Returns the series key that `sign_document` uses for a kind and classification.
fn series_key(kind: &DocumentKind, classification: &str) -> String {
    match kind.series_scope {
        SeriesScope::Organization => String::new(),
        SeriesScope::Kind => format!("kind:{}", kind.code),
        SeriesScope::Classification => format!("class:{classification}"),
    }
}

/// A direct connection to the benchmark database for bulk seeding with
/// literal multi-row INSERTs (no bind limits, one round trip per batch).
enum Seeder {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Seeder {
    async fn connect(url: &str) -> Seeder {
        if url.starts_with("sqlite:") {
            let conn = sqlx::SqliteConnection::connect(url)
                .await
                .expect("open SQLite for seeding");
            Seeder::Sqlite(conn)
        } else {
            let conn = sqlx::PgConnection::connect(url)
                .await
                .expect("open PostgreSQL for seeding");
            Seeder::Postgres(conn)
        }
    }

    /// Writes `id` as a UUID literal of this dialect.
    fn uuid(&self, id: Uuid) -> String {
        match self {
            Seeder::Sqlite(_) => format!("X'{}'", id.simple()),
            Seeder::Postgres(_) => format!("'{id}'::uuid"),
        }
    }

    fn optional_uuid(&self, id: Option<Uuid>) -> String {
        id.map_or_else(|| "NULL".to_owned(), |id| self.uuid(id))
    }

    async fn exec(&mut self, sql: String) {
        let head: String = sql.chars().take(200).collect();
        let done = match self {
            Seeder::Sqlite(conn) => sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await
                .map(|_| ()),
            Seeder::Postgres(conn) => sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await
                .map(|_| ()),
        };
        if let Err(e) = done {
            panic!("seeding statement failed: {e}\n{head}…");
        }
    }

    /// Inserts `rows` (each a parenthesised tuple) in batches.
    async fn insert(&mut self, table_and_columns: &str, rows: &[String]) {
        for batch in rows.chunks(BATCH) {
            self.exec(format!(
                "INSERT INTO {table_and_columns} VALUES {}",
                batch.join(",")
            ))
            .await;
        }
    }

    async fn agencies_and_units(&mut self) -> Vec<(Uuid, String, String, String, Option<Uuid>)> {
        let sql = "SELECT id, code, name, kind, parent_id FROM organizations \
                   WHERE kind IN ('agency', 'unit') AND code IS NOT NULL ORDER BY code";
        let rows = match self {
            Seeder::Sqlite(conn) => sqlx::query_as(sql).fetch_all(&mut *conn).await,
            Seeder::Postgres(conn) => sqlx::query_as(sql).fetch_all(&mut *conn).await,
        };
        rows.expect("organisations")
    }

    async fn classification_codes(&mut self) -> Vec<String> {
        let sql = "SELECT code FROM classifications ORDER BY sort_key LIMIT 200";
        let rows = match self {
            Seeder::Sqlite(conn) => sqlx::query_scalar(sql).fetch_all(&mut *conn).await,
            Seeder::Postgres(conn) => sqlx::query_scalar(sql).fetch_all(&mut *conn).await,
        };
        rows.expect("classification codes")
    }

    /// Measures the mean time of `MAX(letter_date)` over a series and
    /// returns it with the series' size.
    async fn series_probe(&mut self, org: Uuid, key: &str, year: i32) -> (i64, Duration) {
        let filter = format!(
            "FROM document_numbers WHERE organization_id = {} AND series_key = {} AND year = {year}",
            self.uuid(org),
            sql_string(key)
        );
        let count_sql = format!("SELECT COUNT(*) {filter}");
        let max_sql = format!("SELECT MAX(letter_date) {filter}");
        let size: i64 = match self {
            Seeder::Sqlite(conn) => {
                sqlx::query_scalar(AssertSqlSafe(count_sql))
                    .fetch_one(&mut *conn)
                    .await
            }
            Seeder::Postgres(conn) => {
                sqlx::query_scalar(AssertSqlSafe(count_sql))
                    .fetch_one(&mut *conn)
                    .await
            }
        }
        .expect("series size");
        let runs = 20;
        let started = Instant::now();
        for _ in 0..runs {
            let latest: Option<String> = match self {
                Seeder::Sqlite(conn) => {
                    sqlx::query_scalar(AssertSqlSafe(max_sql.clone()))
                        .fetch_one(&mut *conn)
                        .await
                }
                Seeder::Postgres(conn) => {
                    sqlx::query_scalar(AssertSqlSafe(max_sql.clone()))
                        .fetch_one(&mut *conn)
                        .await
                }
            }
            .expect("latest letter date");
            assert!(size == 0 || latest.is_some());
        }
        (size, started.elapsed() / runs)
    }

    async fn close(self) {
        let closed = match self {
            Seeder::Sqlite(conn) => conn.close().await,
            Seeder::Postgres(conn) => conn.close().await,
        };
        closed.expect("close seeding connection");
    }
}

/// An agency or unit of the reference data. Employee `k` heads organisation `k`.
struct Org {
    id: Uuid,
    code: String,
    name: String,
    /// Index of the agency this organisation belongs to (itself for one).
    agency: usize,
}

struct Person {
    id: Uuid,
    position: Uuid,
    position_name: String,
    org: usize,
}

/// The seeded directory: employee `k < orgs.len()` heads organisation `k`.
struct Directory {
    orgs: Vec<Org>,
    people: Vec<Person>,
}

impl Directory {
    fn is_agency_head(&self, k: usize) -> bool {
        k < self.orgs.len() && self.orgs[k].agency == k
    }

    /// Returns the position that person `k` reports to.
    fn parent_position(&self, k: usize) -> Option<Uuid> {
        let org = &self.orgs[self.people[k].org];
        if self.is_agency_head(k) {
            None
        } else if k < self.orgs.len() {
            Some(self.people[org.agency].position)
        } else {
            Some(self.people[self.people[k].org].position)
        }
    }
}

struct SeedReport {
    directory: Directory,
    /// Last serial given per (agency index, series key, year).
    counters: HashMap<(usize, String, i32), u32>,
    elapsed: Duration,
}

async fn seed(store: &Store, url: &str, settings: &Settings) -> SeedReport {
    let started = Instant::now();
    store.load_reference_data().await.expect("reference data");
    let kinds: HashMap<String, DocumentKind> = store
        .document_kinds()
        .await
        .expect("document kinds")
        .into_iter()
        .map(|k| (k.code.clone(), k))
        .collect();
    let mut db = Seeder::connect(url).await;
    let postgres = matches!(db, Seeder::Postgres(_));
    if postgres {
        db.exec("SET synchronous_commit = off".to_owned()).await;
    }

    let directory = seed_directory(&mut db, settings.employees).await;
    let counters = seed_documents(&mut db, &directory, &kinds, settings.docs).await;
    let today = wib::today();

    // Leave the state a running installation would reach: PostgreSQL's
    // autovacuum would soon analyse and vacuum the loaded tables, and SQLite
    // checkpoints its WAL. SQLite gets no ANALYZE because Serasi runs none.
    let tidy_started = Instant::now();
    if postgres {
        db.exec("VACUUM ANALYZE".to_owned()).await;
    } else {
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)".to_owned()).await;
    }
    println!(
        "  tidied up after loading in {:.1} s",
        tidy_started.elapsed().as_secs_f64()
    );
    if let Some(agency) = directory.orgs.iter().position(|o| o.code == SIGNING_AGENCY) {
        let kind = kinds.get(NUMBERING_KIND).expect("numbering kind");
        let key = series_key(kind, NUMBERING_CLASSIFICATION);
        let (size, mean) = db
            .series_probe(directory.orgs[agency].id, &key, today.year())
            .await;
        println!(
            "  diagnostic: MAX(letter_date) over the signing series ({size} numbers) \
             takes {} on average",
            millis(mean)
        );
    }
    db.close().await;
    SeedReport {
        directory,
        counters,
        elapsed: started.elapsed(),
    }
}

/// Inserts `employees` employees, each holding one position, over the
/// agencies and units of the reference data.
async fn seed_directory(db: &mut Seeder, employees: usize) -> Directory {
    let found = db.agencies_and_units().await;
    let index: HashMap<Uuid, usize> = found
        .iter()
        .enumerate()
        .map(|(i, row)| (row.0, i))
        .collect();
    let orgs: Vec<Org> = found
        .iter()
        .enumerate()
        .map(|(i, (id, code, name, kind, parent))| Org {
            id: *id,
            code: code.clone(),
            name: name.clone(),
            agency: if kind == "unit" {
                parent.and_then(|p| index.get(&p).copied()).unwrap_or(i)
            } else {
                i
            },
        })
        .collect();
    assert!(!orgs.is_empty(), "the reference data has no agencies");

    let people: Vec<Person> = (0..employees)
        .map(|k| {
            let org = k % orgs.len();
            let position_name = if k < orgs.len() {
                format!("Kepala {}", orgs[org].name)
            } else {
                format!("Staf {} {k}", orgs[org].code)
            };
            Person {
                id: Uuid::now_v7(),
                position: Uuid::now_v7(),
                position_name,
                org,
            }
        })
        .collect();
    let directory = Directory { orgs, people };
    let now = now_ms();

    println!(
        "  seeding {} employees with positions in {} agencies and units",
        directory.people.len(),
        directory.orgs.len()
    );
    db.exec("BEGIN".to_owned()).await;
    let employees: Vec<String> = directory
        .people
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let name = format!("{} {} {k}", FIRST[k % 10], LAST[k / 10 % 10]);
            format!(
                "({}, 'nip', {}, {}, {}, {}, {now}, {now})",
                db.uuid(p.id),
                sql_string(&nip(k)),
                sql_string(&name),
                sql_string(&text::fold(&name)),
                db.uuid(directory.orgs[p.org].id),
            )
        })
        .collect();
    db.insert(
        "employees (id, identifier_kind, identifier, name, name_folded, organization_id, \
         created_at, updated_at)",
        &employees,
    )
    .await;
    // Parents first: agency heads, then unit heads, then everyone else.
    let org_count = directory.orgs.len();
    let phases: [Vec<usize>; 3] = [
        (0..org_count)
            .filter(|&k| directory.is_agency_head(k))
            .collect(),
        (0..org_count)
            .filter(|&k| !directory.is_agency_head(k))
            .collect(),
        (org_count..directory.people.len()).collect(),
    ];
    for phase in phases {
        let rows: Vec<String> = phase
            .into_iter()
            .map(|k| {
                let p = &directory.people[k];
                format!(
                    "({}, {}, {}, {}, {}, {}, {now}, {now})",
                    db.uuid(p.position),
                    db.uuid(directory.orgs[p.org].id),
                    sql_string(&p.position_name),
                    sql_string(&text::fold(&p.position_name)),
                    db.optional_uuid(directory.parent_position(k)),
                    db.uuid(p.id),
                )
            })
            .collect();
        db.insert(
            "positions (id, organization_id, name, name_folded, parent_id, holder_id, \
             created_at, updated_at)",
            &rows,
        )
        .await;
    }
    db.exec("COMMIT".to_owned()).await;
    directory
}

/// Inserts `docs` signed documents with one number and one delivery each,
/// then the series counters. Returns the last serial of each series.
async fn seed_documents(
    db: &mut Seeder,
    directory: &Directory,
    kinds: &HashMap<String, DocumentKind>,
    docs: usize,
) -> HashMap<(usize, String, i32), u32> {
    // Each document is written by anyone but an agency head, signed by the
    // head of the author's agency and delivered to one employee, so every
    // inbox contains docs / employees documents. Letter dates run from a
    // year ago up to yesterday in document order, so serials follow dates.
    let staff: Vec<usize> = (0..directory.people.len())
        .filter(|&k| !directory.is_agency_head(k))
        .collect();
    let classifications: Vec<String> = db
        .classification_codes()
        .await
        .into_iter()
        .filter(|c| !c.contains('/'))
        .collect();
    assert!(!classifications.is_empty(), "no classification codes");
    let seed_kinds: Vec<(&DocumentKind, NumberTemplate)> = SEED_KINDS
        .iter()
        .map(|code| {
            let kind = kinds
                .get(*code)
                .unwrap_or_else(|| panic!("kind {code} missing"));
            let template = NumberTemplate::parse(&kind.number_template).expect("number template");
            (kind, template)
        })
        .collect();
    let today = wib::today();
    let mut counters: HashMap<(usize, String, i32), u32> = HashMap::new();
    let people_count = directory.people.len();
    let seed_started = Instant::now();
    let mut chunk_start = 0;
    while chunk_start < docs {
        let chunk_end = (chunk_start + CHUNK).min(docs);
        let mut documents = Vec::with_capacity(chunk_end - chunk_start);
        let mut numbers = Vec::with_capacity(chunk_end - chunk_start);
        let mut deliveries = Vec::with_capacity(chunk_end - chunk_start);
        for i in chunk_start..chunk_end {
            let author_index = staff[(i / people_count + i * 7) % staff.len()];
            let author = &directory.people[author_index];
            let agency = directory.orgs[author.org].agency;
            let signer = &directory.people[agency];
            let recipient = &directory.people[i % people_count];
            let (kind, template) = &seed_kinds[i % seed_kinds.len()];
            let classification = &classifications[i % classifications.len()];
            let days_back = (365 * (docs - i) / docs).max(1);
            let letter_date = today - time::Duration::days(days_back as i64);
            let year = letter_date.year();
            let key = series_key(kind, classification);
            let serial = counters.entry((agency, key.clone(), year)).or_insert(0);
            *serial += 1;
            let number = template.render(
                &NumberContext {
                    classification,
                    unit: &directory.orgs[agency].code,
                    kind: &kind.abbreviation,
                    date: letter_date,
                },
                Serial {
                    number: *serial,
                    insert: None,
                },
            );
            let signed_at = morning_ms(letter_date) + (i % 28_800) as i64 * 1_000;
            let id = Uuid::now_v7();
            let addressees = serde_json::to_string(&[Recipient::Position {
                position_id: PositionId::from_uuid(recipient.position),
            }])
            .expect("addressees JSON");
            let block = serde_json::to_string(&[format!("{},", signer.position_name)])
                .expect("signature block JSON");
            let date = letter_date.to_string();
            documents.push(format!(
                "({id}, {kind}, 'signed', 1, {author}, {author_position}, {org}, {class}, \
                 {security}, {urgency}, {subject}, 0, {body}, {addressees}, '[]', '[]', '[]', \
                 {signer_position}, {signer_position}, {signed_by}, {block}, {signed_at}, \
                 {date}, {number}, {created}, {signed_at})",
                id = db.uuid(id),
                kind = sql_string(&kind.code),
                author = db.uuid(author.id),
                author_position = db.uuid(author.position),
                org = db.uuid(directory.orgs[author.org].id),
                class = sql_string(classification),
                security = sql_string(SecurityClass::Ordinary.as_str()),
                urgency = sql_string(if i % 10 == 0 {
                    Urgency::Urgent.as_str()
                } else {
                    Urgency::Ordinary.as_str()
                }),
                subject = sql_string(&format!("Undangan rapat koordinasi nomor {i}")),
                body = sql_string(SEED_BODY),
                addressees = sql_string(&addressees),
                signer_position = db.uuid(signer.position),
                signed_by = db.uuid(signer.id),
                block = sql_string(&block),
                date = sql_string(&date),
                number = sql_string(&number),
                created = signed_at - 86_400_000,
            ));
            numbers.push(format!(
                "({}, {}, {year}, {serial}, 0, {}, {}, {}, {signed_at})",
                db.uuid(directory.orgs[agency].id),
                sql_string(&key),
                sql_string(&number),
                sql_string(&date),
                db.uuid(id),
            ));
            let read_at = (i % 4 != 0).then(|| (signed_at + 3_600_000).to_string());
            deliveries.push(format!(
                "({}, 0, FALSE, {}, {}, {signed_at}, {})",
                db.uuid(id),
                db.uuid(recipient.position),
                db.uuid(recipient.id),
                read_at.unwrap_or_else(|| "NULL".to_owned()),
            ));
        }
        db.exec("BEGIN".to_owned()).await;
        db.insert(
            "documents (id, kind, state, revision, author_id, author_position_id, \
             organization_id, classification, security, urgency, subject, attachment_count, \
             body, addressees, copies, reviewers, coordinators, required_signer_id, \
             signer_position_id, signed_by, signature_block, signed_at, letter_date, number, \
             created_at, updated_at)",
            &documents,
        )
        .await;
        db.insert(
            "document_numbers (organization_id, series_key, year, serial, insert_no, number, \
             letter_date, document_id, assigned_at)",
            &numbers,
        )
        .await;
        db.insert(
            "deliveries (document_id, seq, is_copy, position_id, employee_id, delivered_at, \
             read_at)",
            &deliveries,
        )
        .await;
        db.exec("COMMIT".to_owned()).await;
        chunk_start = chunk_end;
        let secs = seed_started.elapsed().as_secs_f64();
        println!(
            "  {chunk_end} / {docs} documents ({:.0} documents/s, {secs:.0} s)",
            chunk_end as f64 / secs
        );
    }

    let counter_rows: Vec<String> = counters
        .iter()
        .map(|((agency, key, year), last)| {
            format!(
                "({}, {}, {year}, {last})",
                db.uuid(directory.orgs[*agency].id),
                sql_string(key),
            )
        })
        .collect();
    db.exec("BEGIN".to_owned()).await;
    db.insert(
        "number_counters (organization_id, series_key, year, last_serial)",
        &counter_rows,
    )
    .await;
    db.exec("COMMIT".to_owned()).await;
    counters
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Throughput and latency of one measured phase.
struct Measured {
    count: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Measured {
    fn new(mut latencies: Vec<Duration>, elapsed: Duration) -> Measured {
        latencies.sort_unstable();
        Measured {
            count: latencies.len(),
            elapsed,
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
        }
    }

    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    fn line(&self, label: &str) -> String {
        format!(
            "{label}: {} in {:.1} s = {:.0}/s, p50 {}, p99 {}",
            self.count,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            millis(self.p50),
            millis(self.p99),
        )
    }
}

/// Creates `CLIENTS × rounds` ready documents for the head of the signing
/// agency, signs them from `CLIENTS` concurrent tasks and checks that the
/// serials continue the series without gap or repeat.
async fn numbering(store: &Store, seeded: &SeedReport, rounds: usize) -> Measured {
    let dir = &seeded.directory;
    let agency = dir
        .orgs
        .iter()
        .position(|o| o.code == SIGNING_AGENCY)
        .expect("signing agency in the reference data");
    let signer = EmployeeId::from_uuid(dir.people[agency].id);
    let author_index = (dir.orgs.len()..dir.people.len())
        .find(|&k| dir.people[k].org == agency)
        .expect("a staff member in the signing agency");
    let author = EmployeeId::from_uuid(dir.people[author_index].id);
    let addressee = dir.people.last().expect("employees").position;
    let fields = DraftInput {
        kind: NUMBERING_KIND.into(),
        classification: NUMBERING_CLASSIFICATION.into(),
        subject: "Undangan rapat koordinasi".into(),
        body: "Dengan hormat,\n\nkami mengundang Saudara.".into(),
        addressees: vec![Recipient::Position {
            position_id: PositionId::from_uuid(addressee),
        }],
        reviewers: Some(Vec::new()),
        ..DraftInput::default()
    }
    .validate(Layout::Letter)
    .expect("valid draft");
    let today = wib::today();
    let total = CLIENTS * rounds;
    let prepared = Instant::now();
    let mut ids: Vec<DocumentId> = Vec::with_capacity(total);
    for _ in 0..total {
        let id = store
            .create_draft(author, &fields, today, false)
            .await
            .expect("create draft");
        store
            .submit_document(id, author, today)
            .await
            .expect("submit draft");
        ids.push(id);
    }
    println!(
        "  prepared {total} ready documents (create_draft + submit_document) in {:.1} s",
        prepared.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let tasks: Vec<_> = ids
        .chunks(rounds)
        .map(|chunk| {
            let store = store.clone();
            let chunk = chunk.to_vec();
            tokio::spawn(async move {
                let mut signed = Vec::with_capacity(chunk.len());
                for id in chunk {
                    let t = Instant::now();
                    let number = store
                        .sign_document(id, signer, &SignRequest::default(), today)
                        .await
                        .expect("sign");
                    signed.push((number, t.elapsed()));
                }
                signed
            })
        })
        .collect();
    let mut numbers = Vec::with_capacity(total);
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        for (number, latency) in task.await.expect("signing client") {
            numbers.push(number);
            latencies.push(latency);
        }
    }
    let elapsed = started.elapsed();

    let kind = store
        .document_kind(NUMBERING_KIND)
        .await
        .expect("numbering kind");
    let key = series_key(&kind, NUMBERING_CLASSIFICATION);
    let last_seeded = seeded
        .counters
        .get(&(agency, key, today.year()))
        .copied()
        .unwrap_or(0);
    let mut serials: Vec<u32> = numbers
        .iter()
        .map(|n| {
            n.split('/')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("number {n} has no plain serial"))
        })
        .collect();
    serials.sort_unstable();
    let first = last_seeded + 1;
    let expected: Vec<u32> = (first..first + total as u32).collect();
    assert_eq!(
        serials, expected,
        "serials are not distinct and consecutive"
    );
    println!(
        "  serials {first}..={} distinct and consecutive, after {last_seeded} seeded in the series",
        first + total as u32 - 1
    );
    Measured::new(latencies, elapsed)
}

/// Drives the router from `CLIENTS` concurrent tasks for `duration`.
/// `make(client, n)` builds a client's n-th request. Every response must be
/// 200, and `check` must accept each client's first body.
async fn load<F>(
    app: &Router,
    duration: Duration,
    make: Arc<F>,
    check: fn(&[u8]) -> bool,
) -> Measured
where
    F: Fn(usize, usize) -> Request<Body> + Send + Sync + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let app = app.clone();
            let make = Arc::clone(&make);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0;
                while Instant::now() < deadline {
                    let request = make(client, n);
                    let t = Instant::now();
                    let response = app.clone().oneshot(request).await.expect("router responds");
                    let status = response.status();
                    let body = response
                        .into_body()
                        .collect()
                        .await
                        .expect("response body")
                        .to_bytes();
                    latencies.push(t.elapsed());
                    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
                    if n == 0 {
                        assert!(
                            check(&body),
                            "unexpected body: {}",
                            String::from_utf8_lossy(&body)
                        );
                    }
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("load client"));
    }
    Measured::new(latencies, started.elapsed())
}

fn inbox_page_ok(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|page| {
        page["total"].as_i64().is_some_and(|t| t > 0)
            && page["items"]
                .as_array()
                .is_some_and(|items| !items.is_empty())
    })
}

fn healthz_ok(body: &[u8]) -> bool {
    body == b"ok"
}

/// Calls `Store::queue` for inbox pages from `CLIENTS` concurrent tasks for
/// `duration`, the same pages as the HTTP phase without the router and the
/// bearer-token lookup.
async fn queue_load(store: &Store, employees: &[EmployeeId], duration: Duration) -> Measured {
    let started = Instant::now();
    let deadline = started + duration;
    let per_client = (employees.len() / CLIENTS).max(1);
    let today = wib::today();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let store = store.clone();
            let employees = employees.to_vec();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0;
                while Instant::now() < deadline {
                    let employee =
                        employees[(client * per_client + n % per_client) % employees.len()];
                    let filter = QueueFilter {
                        page: u32::try_from(n / per_client % PAGES + 1).expect("page"),
                        per_page: 25,
                        ..QueueFilter::default()
                    };
                    let t = Instant::now();
                    let page = store
                        .queue(employee, Queue::Inbox, &filter, today)
                        .await
                        .expect("inbox page");
                    latencies.push(t.elapsed());
                    assert!(page.total > 0, "empty inbox");
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("queue client"));
    }
    Measured::new(latencies, started.elapsed())
}

/// Creates one account with an API token for each of `USERS` employees
/// spread over the directory.
async fn accounts(store: &Store, dir: &Directory) -> Vec<(EmployeeId, String)> {
    let users = USERS.min(dir.people.len());
    let mut tokens = Vec::with_capacity(users);
    for u in 0..users {
        let employee = EmployeeId::from_uuid(dir.people[u * dir.people.len() / users].id);
        let username = format!("bench{u}");
        let user = store
            .create_user(&NewUser {
                username: &username,
                password: "kata-sandi-bench",
                role: Role::Employee,
                employee_id: Some(employee),
                is_demo: false,
                must_change_password: false,
            })
            .await
            .expect("create user");
        let (_, token) = store
            .create_api_token(user.id, "bench")
            .await
            .expect("create API token");
        tokens.push((employee, token));
    }
    tokens
}

struct Figures {
    label: &'static str,
    seed: Duration,
    numbering: Measured,
    inbox: Measured,
    queue_only: Measured,
    healthz: Measured,
}

async fn run(backend: Backend, label: &'static str, settings: &Settings) -> Figures {
    println!("== {label}");
    let db = TestDb::new(backend).await;
    let seeded = seed(&db.store, &db.url, settings).await;
    println!(
        "  seeded {} employees and {} signed documents (one delivery and one number each) in {:.1} s",
        seeded.directory.people.len(),
        settings.docs,
        seeded.elapsed.as_secs_f64()
    );

    let numbering = numbering(&db.store, &seeded, settings.sign_rounds).await;
    println!(
        "  {}",
        numbering.line(&format!("numbering, {CLIENTS} clients, one series"))
    );

    let (employees, tokens): (Vec<EmployeeId>, Vec<String>) =
        accounts(&db.store, &seeded.directory)
            .await
            .into_iter()
            .unzip();
    let tokens = Arc::new(tokens);
    let state = AppState::new(db.store.clone(), WebConfig::default()).expect("file store opens");
    let app = router(state);
    let per_client = (tokens.len() / CLIENTS).max(1);
    let inbox_request = Arc::new(move |client: usize, n: usize| {
        let token = &tokens[(client * per_client + n % per_client) % tokens.len()];
        let page = n / per_client % PAGES + 1;
        Request::builder()
            .uri(format!("/api/v1/documents?queue=inbox&page={page}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("inbox request")
    });
    let healthz_request = Arc::new(|_: usize, _: usize| {
        Request::builder()
            .uri("/healthz")
            .body(Body::empty())
            .expect("healthz request")
    });
    let warm_up = Duration::from_secs(2);
    load(&app, warm_up, Arc::clone(&inbox_request), inbox_page_ok).await;
    let inbox = load(&app, settings.phase, inbox_request, inbox_page_ok).await;
    println!(
        "  {}",
        inbox.line(&format!("inbox pages, {CLIENTS} clients"))
    );
    let queue_only = queue_load(&db.store, &employees, settings.phase).await;
    println!(
        "  {}",
        queue_only.line(&format!(
            "Store::queue inbox pages without HTTP or token lookup, {CLIENTS} clients"
        ))
    );
    load(&app, warm_up, Arc::clone(&healthz_request), healthz_ok).await;
    let healthz = load(&app, settings.phase, healthz_request, healthz_ok).await;
    println!(
        "  {}",
        healthz.line(&format!("/healthz, {CLIENTS} clients"))
    );

    drop(app);
    if std::env::var_os("SERASI_BENCH_KEEP_DB").is_some() {
        db.store.close().await;
        println!("  kept {} for inspection; delete it by hand", db.url);
    } else {
        db.finish().await;
    }
    Figures {
        label,
        seed: seeded.elapsed,
        numbering,
        inbox,
        queue_only,
        healthz,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let settings = Settings::from_env();
    println!(
        "{} documents, {} employees, {CLIENTS} concurrent clients, {} s per load phase, \
         {} signatures per signing client; {} worker threads",
        settings.docs,
        settings.employees,
        settings.phase.as_secs(),
        settings.sign_rounds,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    println!(
        "HTTP requests go through the axum router in-process (tower oneshot); \
         they do not cross a socket. Signing calls the store directly."
    );
    let mut all = Vec::new();
    for &(backend, label) in &settings.backends {
        all.push(run(backend, label, &settings).await);
    }
    println!();
    println!(
        "| backend | seeding | numbers/s (64 clients) | sign p50 | sign p99 | inbox req/s \
         | inbox p50 | inbox p99 | Store::queue only/s | /healthz req/s | /healthz p99 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for f in &all {
        println!(
            "| {} | {:.0} s | {:.0} | {} | {} | {:.0} | {} | {} | {:.0} | {:.0} | {} |",
            f.label,
            f.seed.as_secs_f64(),
            f.numbering.per_second(),
            millis(f.numbering.p50),
            millis(f.numbering.p99),
            f.inbox.per_second(),
            millis(f.inbox.p50),
            millis(f.inbox.p99),
            f.queue_only.per_second(),
            f.healthz.per_second(),
            millis(f.healthz.p99),
        );
    }
}
