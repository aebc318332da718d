//! Directory benchmark: bulk import, people search and password login on
//! SQLite and PostgreSQL. Run with `cargo bench -p serasi-store
//! --features test-support`; results go to BENCHMARKS.md.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serasi_domain::user::Role;
use serasi_store::import::{ImportKind, ImportRow};
use serasi_store::testing::TestDb;
use serasi_store::{Backend, LoginThrottle, NewUser, Store};

const EMPLOYEES: usize = 20_000;
const SEARCHES: usize = 400;

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
const AGENCIES: [&str; 5] = ["DISKOMINFO", "DINKES", "DPU", "BAPPEDA", "SETDA"];

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

fn rows() -> Vec<ImportRow> {
    (0..EMPLOYEES)
        .map(|i| {
            let name = format!("{} {} {}", FIRST[i % 10], LAST[i / 10 % 10], i);
            let cells = HashMap::from([
                ("identifier".to_owned(), nip(i)),
                ("name".to_owned(), name),
                ("rank".to_owned(), "III/a".to_owned()),
                ("organization_code".to_owned(), AGENCIES[i % 5].to_owned()),
            ]);
            ImportRow { line: i + 2, cells }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn run(store: &Store, label: &str) {
    store.load_reference_data().await.expect("reference data");
    let rows = rows();
    let started = Instant::now();
    let created = match store.import_directory(ImportKind::Employees, &rows).await {
        Ok(created) => created,
        Err(serasi_store::import::ImportError::Rows(errors)) => {
            panic!("{} bad rows, first: {:?}", errors.len(), errors[0])
        }
        Err(e) => panic!("import failed: {e}"),
    };
    let import = started.elapsed();
    assert_eq!(created, EMPLOYEES);

    let queries: Vec<String> = (0..SEARCHES)
        .map(|i| match i % 3 {
            0 => FIRST[i % 10].to_lowercase(),
            1 => LAST[i % 10].to_uppercase(),
            _ => nip(i * 7)[..8].to_owned(),
        })
        .collect();
    let mut latencies = Vec::with_capacity(SEARCHES);
    for q in &queries {
        let t = Instant::now();
        let (hits, _) = store
            .search_employees(q, None, 25, 0)
            .await
            .expect("search");
        latencies.push(t.elapsed());
        assert!(!hits.is_empty(), "query {q} found nothing");
    }
    latencies.sort();

    store
        .create_user(&NewUser {
            username: "bench",
            password: "kata-sandi-bench",
            role: Role::Employee,
            employee_id: None,
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("user");
    let logins = 10;
    let t = Instant::now();
    for _ in 0..logins {
        store
            .authenticate(
                "bench",
                "kata-sandi-bench",
                "bench",
                LoginThrottle::default(),
            )
            .await
            .expect("login");
    }
    let login = t.elapsed() / logins;

    println!(
        "| {label} | {:.0} rows/s | {} | {} | {} |",
        EMPLOYEES as f64 / import.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(login),
    );
}

#[tokio::main]
async fn main() {
    println!("{EMPLOYEES} employees, {SEARCHES} searches (25 per page, with total count)");
    println!("| backend | import | search p50 | search p95 | password login |");
    println!("|---|---|---|---|---|");
    for (backend, label) in [
        (Backend::Sqlite, "SQLite"),
        (Backend::Postgres, "PostgreSQL"),
    ] {
        let db = TestDb::new(backend).await;
        run(&db.store, label).await;
        db.finish().await;
    }
}
