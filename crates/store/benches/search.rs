//! Search and register-export benchmark over one organisation's incoming
//! register, 1,000,000 letters by default, on SQLite and optionally on
//! PostgreSQL. In one run per backend it measures:
//!
//! - search: `Store::search` latency (count plus the first page of 20 with
//!   highlighting) over 200 queries of 1–3 terms, as an administrator and as
//!   a clerk of the organisation, so the visibility rule runs for both;
//! - the full-text engine alone on the same queries
//!   (`Store::match_search_entries`: count plus the best 20 by rank), to
//!   show what the visibility rule, the joins and highlighting add;
//! - register export: the whole incoming register read through
//!   `Store::register_lines` in batches of 2,000 after a cursor and written
//!   as CSV to a byte-counting sink, in rows per second;
//! - for reference, how fast the letters were bulk-loaded.
//!
//! Run it with `cargo bench -p serasi-store --features test-support --bench
//! search`. BENCHMARKS.md records the figures. Environment variables:
//! - `SERASI_BENCH_LETTERS` (1000000): letters loaded per backend.
//! - `SERASI_BENCH_POSTGRES` (unset): `1` runs PostgreSQL after SQLite,
//!   `only` runs PostgreSQL alone. The server is the one `TestDb` uses
//!   (`SERASI_TEST_POSTGRES_URL`).
//! - `SERASI_BENCH_KEEP_DB` (unset): when set, the loaded databases are kept
//!   for inspection and their URLs printed. The next `scripts/test` drops
//!   leftover PostgreSQL ones; SQLite files stay in the temporary folder.
//!
//! Letters are generated from word lists and the shipped reference data
//! with a seeded xorshift generator, so every run loads the same letters
//! and runs the same queries.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use serasi_domain::directory::{EmployeeInput, PositionInput};
use serasi_domain::document::{SecurityClass, Urgency};
use serasi_domain::incoming::IncomingFields;
use serasi_domain::search::Query;
use serasi_domain::{EmployeeId, IncomingId, OrganizationId, PositionId, wib};
use serasi_store::registers::{Cursor, RegisterFilter, RegisterKind};
use serasi_store::search::SearchFilters;
use serasi_store::testing::{SeedLetter, TestDb};
use serasi_store::{Actor, Backend, Store};
use time::{Date, Duration as Days};

/// Letters per `bulk_insert_incoming` call, one transaction each.
const LOAD_CHUNK: usize = 50_000;
/// Results per search page, the API's default.
const PER_PAGE: u32 = 20;
/// Queries per class. Five classes make 200 queries.
const QUERIES_PER_CLASS: usize = 40;
/// Untimed queries run through every path before measuring.
const WARM_UP_QUERIES: usize = 20;
/// Register lines per `register_lines` call, as the web export reads them.
const EXPORT_BATCH: i64 = 2_000;
/// Years of letters before today that the register spans.
const YEARS: i64 = 6;
/// The agency whose register is loaded.
const AGENCY: &str = "DISKOMINFO";

const CLASSIFICATIONS_CSV: &str = include_str!("../../../data/klasifikasi_arsip_pemda.csv");
const REGIONS_CSV: &str = include_str!("../../../data/wilayah_kabupaten_semarang.csv");
const AGENCIES_CSV: &str = include_str!("../../../data/agencies.csv");

/// Openings of a subject, most frequent first.
const HEADS: [&str; 18] = [
    "Undangan",
    "Permohonan",
    "Pemberitahuan",
    "Penyampaian",
    "Laporan",
    "Permintaan Data",
    "Usulan",
    "Tindak Lanjut",
    "Konfirmasi",
    "Rekomendasi",
    "Pengajuan",
    "Klarifikasi",
    "Surat Edaran tentang",
    "Penawaran",
    "Pengantar",
    "Balasan atas",
    "Nota Kesepahaman",
    "Pemutakhiran",
];
/// Activities named after the opening, most frequent first.
const ACTIVITIES: [&str; 20] = [
    "Rapat Koordinasi",
    "Sosialisasi",
    "Bimbingan Teknis",
    "Monitoring dan Evaluasi",
    "Pelatihan",
    "Verifikasi",
    "Pendataan",
    "Musyawarah Perencanaan Pembangunan",
    "Focus Group Discussion",
    "Audiensi",
    "Pembinaan",
    "Rapat Kerja",
    "Workshop",
    "Rekonsiliasi",
    "Asistensi",
    "Uji Coba",
    "Peninjauan Lapangan",
    "Penilaian",
    "Pendampingan",
    "Forum Konsultasi Publik",
];
const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];
/// Offices outside the regency that write to an agency.
const OUTSIDE_OFFICES: [&str; 21] = [
    "Dinas Komunikasi dan Informatika Provinsi Jawa Tengah",
    "Kementerian Komunikasi dan Digital",
    "Badan Siber dan Sandi Negara",
    "Kementerian Dalam Negeri",
    "Badan Pusat Statistik Kabupaten Semarang",
    "Sekretariat Daerah Provinsi Jawa Tengah",
    "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
    "Arsip Nasional Republik Indonesia",
    "Badan Kepegawaian Negara",
    "Lembaga Kebijakan Pengadaan Barang/Jasa Pemerintah",
    "Ombudsman Republik Indonesia Perwakilan Jawa Tengah",
    "Kepolisian Resor Semarang",
    "Komando Distrik Militer 0714/Salatiga",
    "Pengadilan Negeri Ungaran",
    "Kejaksaan Negeri Kabupaten Semarang",
    "DPRD Kabupaten Semarang",
    "Bank Jateng Cabang Ungaran",
    "PT Telkom Indonesia Witel Semarang",
    "Universitas Diponegoro",
    "Universitas Negeri Semarang",
    "Universitas Kristen Satya Wacana",
];
const NEIGHBOURS: [&str; 8] = [
    "Kabupaten Demak",
    "Kabupaten Kendal",
    "Kabupaten Boyolali",
    "Kabupaten Grobogan",
    "Kabupaten Temanggung",
    "Kabupaten Magelang",
    "Kota Salatiga",
    "Kota Semarang",
];
const COMPANY_WORDS: [&str; 38] = [
    "Maju",
    "Jaya",
    "Sentosa",
    "Abadi",
    "Karya",
    "Mandiri",
    "Sejahtera",
    "Makmur",
    "Nusantara",
    "Prima",
    "Teknologi",
    "Solusi",
    "Digital",
    "Informatika",
    "Media",
    "Data",
    "Global",
    "Persada",
    "Utama",
    "Cipta",
    "Sarana",
    "Mitra",
    "Bersama",
    "Sinergi",
    "Citra",
    "Indah",
    "Perkasa",
    "Lestari",
    "Gemilang",
    "Cahaya",
    "Mulia",
    "Inti",
    "Buana",
    "Semesta",
    "Rekayasa",
    "Telematika",
    "Andalan",
    "Kreasi",
];
/// Words that many subjects or senders contain.
const COMMON_WORDS: [&str; 14] = [
    "undangan",
    "permohonan",
    "rapat",
    "koordinasi",
    "kabupaten",
    "semarang",
    "laporan",
    "kecamatan",
    "desa",
    "tahun",
    "dinas",
    "sosialisasi",
    "pemberitahuan",
    "data",
];

/// xorshift64* (Vigna), enough for varied test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Returns a number in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Returns an index below `n` where small indexes are much more likely:
    /// `n · u^power` for a uniform `u`, so `power` 2 or 3 gives a long tail.
    fn skewed(&mut self, n: usize, power: f64) -> usize {
        ((n as f64 * self.unit().powf(power)) as usize).min(n - 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
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

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("reference CSV row"))
        .collect()
}

/// The shipped reference data that letters are written from.
struct Vocabulary {
    /// Classification code and a subject topic made from its name.
    topics: Vec<(String, String)>,
    /// Village (desa or kelurahan) and its kecamatan.
    villages: Vec<(String, String)>,
    kecamatan: Vec<String>,
    /// Agency name and code.
    agencies: Vec<(String, String)>,
}

impl Vocabulary {
    fn load(rng: &mut Rng) -> Vocabulary {
        let mut topics: Vec<(String, String)> = csv_rows(CLASSIFICATIONS_CSV)
            .iter()
            .filter(|r| matches!(&r[2], "3" | "4"))
            .filter_map(|r| {
                // Drop the archivists' notes such as "(antara lain: …".
                let name = r[1].split(['(', ':']).next().unwrap_or("").trim();
                let name = name.trim_end_matches(" antara lain").trim();
                (name.len() > 3).then(|| (r[0].to_owned(), name.to_owned()))
            })
            .collect();
        // A fixed shuffle decides which topics are frequent.
        for i in (1..topics.len()).rev() {
            topics.swap(i, rng.below(i + 1));
        }
        let regions = csv_rows(REGIONS_CSV);
        let kecamatan_names: HashMap<String, String> = regions
            .iter()
            .filter(|r| &r[2] == "kecamatan")
            .map(|r| (r[0].to_owned(), r[1].to_owned()))
            .collect();
        let villages = regions
            .iter()
            .filter(|r| matches!(&r[2], "desa" | "kelurahan"))
            .map(|r| (r[1].to_owned(), kecamatan_names[&r[3]].clone()))
            .collect();
        let mut kecamatan: Vec<String> = kecamatan_names.into_values().collect();
        kecamatan.sort();
        let agencies = csv_rows(AGENCIES_CSV)
            .iter()
            .filter(|r| &r[2] == "agency")
            .map(|r| (r[1].to_owned(), r[0].to_owned()))
            .collect();
        Vocabulary {
            topics,
            villages,
            kecamatan,
            agencies,
        }
    }
}

/// Initials of the capitalised words of `name`, as letter numbers use
/// them ("Maju Jaya Sentosa" → "MJS").
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_uppercase())
        .collect()
}

/// Writes the sender, the sender's own letter number and the subject of
/// one letter, and returns the classification code with them.
fn write_letter(rng: &mut Rng, words: &Vocabulary, year: i32) -> (String, String, String, String) {
    let (code, topic) = &words.topics[rng.skewed(words.topics.len(), 2.5)];
    let (village, village_kecamatan) = &words.villages[rng.below(words.villages.len())];
    let kecamatan = &words.kecamatan[rng.below(words.kecamatan.len())];
    let month = rng.below(12);
    let serial = 1 + rng.skewed(4_000, 1.5);

    let mut subject: Vec<String> = Vec::new();
    let head = HEADS[rng.skewed(HEADS.len(), 2.0)];
    subject.push(head.to_owned());
    if head == "Undangan" || rng.chance(0.5) {
        subject.push(ACTIVITIES[rng.skewed(ACTIVITIES.len(), 2.0)].to_owned());
    }
    subject.push(topic.clone());
    match rng.below(10) {
        0..=2 => subject.push(format!("di Kecamatan {kecamatan}")),
        3..=4 => subject.push(format!("di Desa {village} Kecamatan {village_kecamatan}")),
        5 => subject.push("Kabupaten Semarang".to_owned()),
        _ => {}
    }
    match rng.below(8) {
        0..=1 => subject.push(format!("Tahun Anggaran {year}")),
        2 => subject.push(format!("Triwulan {} Tahun {year}", ROMAN[rng.below(4)])),
        3 => subject.push(format!("Bulan {} {year}", MONTHS[month])),
        4 => subject.push(format!("Semester {} Tahun {year}", ROMAN[rng.below(2)])),
        _ => {}
    }

    let (sender, number) = match rng.below(20) {
        0..=6 => {
            let (name, agency_code) = &words.agencies[rng.below(words.agencies.len())];
            (
                format!("{name} Kabupaten Semarang"),
                format!("{code}/{serial}/{agency_code}/{year}"),
            )
        }
        7..=9 => {
            let sender = if rng.chance(0.6) {
                format!("Pemerintah Desa {village} Kecamatan {village_kecamatan}")
            } else {
                format!("Kecamatan {kecamatan}")
            };
            (sender, format!("{code}/{serial}/{}/{year}", ROMAN[month]))
        }
        10..=13 => {
            let office = OUTSIDE_OFFICES[rng.skewed(OUTSIDE_OFFICES.len(), 1.5)];
            (
                office.to_owned(),
                format!(
                    "B-{serial}/{}/{code}/{:02}/{year}",
                    initials(office),
                    month + 1
                ),
            )
        }
        14..=15 => {
            let (name, agency_code) = &words.agencies[rng.below(words.agencies.len())];
            (
                format!("{name} {}", rng.pick(&NEIGHBOURS)),
                format!("{code}/{serial}/{agency_code}/{year}"),
            )
        }
        16..=18 => {
            let form = if rng.chance(0.7) { "PT" } else { "CV" };
            let mut name = format!("{} {}", rng.pick(&COMPANY_WORDS), rng.pick(&COMPANY_WORDS));
            if rng.chance(0.4) {
                name = format!("{name} {}", rng.pick(&COMPANY_WORDS));
            }
            (
                format!("{form} {name}"),
                format!("{serial:03}/{}/{}/{year}", initials(&name), ROMAN[month]),
            )
        }
        _ => {
            let sender = match rng.below(3) {
                0 => format!("Karang Taruna Desa {village}"),
                1 => format!(
                    "Yayasan {} {}",
                    rng.pick(&COMPANY_WORDS),
                    rng.pick(&COMPANY_WORDS)
                ),
                _ => format!("Kelompok Informasi Masyarakat Desa {village}"),
            };
            (
                sender.clone(),
                format!("{serial:03}/{}/{}/{year}", initials(&sender), ROMAN[month]),
            )
        }
    };
    (code.clone(), sender, number, subject.join(" "))
}

/// The agency's staff: who letters are addressed to, who registers them
/// and who searches.
struct Staff {
    agency: OrganizationId,
    /// The head's post first, then the secretary and the heads of fields.
    addressees: Vec<PositionId>,
    clerks: Vec<EmployeeId>,
    /// The clerk who searches, who registered about a third of the letters.
    searching_clerk: EmployeeId,
    /// An administrator's employee record, named on no letter.
    administrator: EmployeeId,
}

/// Returns a valid, unique NIP for employee `i`.
fn nip(i: usize) -> String {
    let year = 1970 + i % 20;
    let month = 1 + i % 12;
    let day = 1 + i % 28;
    let gender = 1 + i % 2;
    format!("{year}{month:02}{day:02}201501{gender}{:03}", 1 + i)
}

async fn create_staff(store: &Store) -> Staff {
    let agency = store
        .organization_by_code(AGENCY)
        .await
        .expect("agency lookup")
        .unwrap_or_else(|| panic!("reference data has no agency {AGENCY}"))
        .id;
    let units: Vec<OrganizationId> = store
        .organizations()
        .await
        .expect("organisations")
        .into_iter()
        .filter(|o| o.parent_id == Some(agency))
        .map(|o| o.id)
        .collect();
    let mut next_nip = 0;
    let mut hire = |organization: OrganizationId, name: String| {
        next_nip += 1;
        let input = EmployeeInput {
            identifier_kind: None,
            identifier: nip(next_nip),
            name,
            rank: Some("III/c".to_owned()),
            email: None,
            phone: None,
            organization_id: Some(organization),
        };
        async move {
            let fields = input.validate().expect("valid employee");
            store
                .create_employee(&fields, false)
                .await
                .expect("create employee")
                .id
        }
    };
    let post = |organization: OrganizationId,
                name: String,
                parent: Option<PositionId>,
                holder: EmployeeId| async move {
        let input = PositionInput {
            organization_id: Some(organization),
            name,
            parent_id: parent,
            holder_id: Some(holder),
        };
        let fields = input.validate().expect("valid position");
        store
            .create_position(&fields, false)
            .await
            .expect("create position")
            .id
    };

    let head = hire(agency, "Kepala Dinas".to_owned()).await;
    let head_post = post(agency, "Kepala Dinas".to_owned(), None, head).await;
    let mut addressees = vec![head_post];
    let mut staff_posts = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        let chief = hire(*unit, format!("Kepala Bidang {}", i + 1)).await;
        let chief_post = post(
            *unit,
            format!("Kepala Bidang {}", i + 1),
            Some(head_post),
            chief,
        )
        .await;
        addressees.push(chief_post);
        for j in 0..4 {
            let name = format!("Staf {} {}", i + 1, j + 1);
            let employee = hire(*unit, name.clone()).await;
            staff_posts.push(post(*unit, name, Some(chief_post), employee).await);
        }
    }
    let secretariat = units.first().copied().unwrap_or(agency);
    let mut clerks = Vec::new();
    for k in 0..3 {
        let name = format!("Pengadministrasi Umum {}", k + 1);
        let clerk = hire(secretariat, name.clone()).await;
        post(secretariat, name, Some(addressees[1]), clerk).await;
        clerks.push(clerk);
    }
    let administrator = hire(agency, "Administrator Sistem".to_owned()).await;
    println!(
        "  staff: {} posts that receive letters, {} staff posts, {} clerks",
        addressees.len(),
        staff_posts.len(),
        clerks.len()
    );
    Staff {
        agency,
        searching_clerk: clerks[0],
        addressees,
        clerks,
        administrator,
    }
}

/// Draws a letter's security class: mostly Biasa, 4 % Rahasia or Sangat
/// Rahasia.
fn security(rng: &mut Rng) -> SecurityClass {
    match rng.below(100) {
        0..=2 => SecurityClass::Secret,
        3 => SecurityClass::TopSecret,
        4..=9 => SecurityClass::Restricted,
        _ => SecurityClass::Ordinary,
    }
}

/// Writes the register's letters in arrival order: dates rise with the
/// letter's index over the last `YEARS` years, and agenda numbers restart
/// every year.
struct LetterWriter<'a> {
    rng: Rng,
    words: &'a Vocabulary,
    staff: &'a Staff,
    first_day: Date,
    span_days: i64,
    total: usize,
    /// The last agenda number given in each year.
    agenda: HashMap<i32, i64>,
}

impl LetterWriter<'_> {
    /// Generates letter `i` of `total`.
    fn letter(&mut self, i: usize) -> SeedLetter {
        let rng = &mut self.rng;
        let staff = self.staff;
        let offset = self.span_days * i as i64 / self.total as i64;
        let received_on = self.first_day + Days::days(offset);
        let year = received_on.year();
        let (classification, sender, sender_number, subject) = write_letter(rng, self.words, year);
        let agenda_no = {
            let last = self.agenda.entry(year).or_insert(0);
            *last += 1;
            *last
        };

        // The head receives most letters, and the heads of fields the rest.
        let addressee = if rng.chance(0.6) {
            staff.addressees[0]
        } else {
            staff.addressees[1 + rng.below(staff.addressees.len() - 1)]
        };
        let urgency = match rng.below(10) {
            0 => Urgency::VeryUrgent,
            1..=2 => Urgency::Urgent,
            _ => Urgency::Ordinary,
        };
        let fields = IncomingFields {
            sender,
            sender_number,
            sender_date: received_on - Days::days(rng.below(15) as i64),
            received_on,
            subject,
            classification,
            security: security(rng),
            urgency,
            addressee_position_id: addressee,
        };

        let midnight = received_on.midnight().assume_offset(wib::WIB);
        let registered_at = (midnight.unix_timestamp() + 8 * 3600 + (i % 28_800) as i64) * 1000;
        SeedLetter {
            id: IncomingId::new(),
            organization_id: staff.agency,
            agenda_no,
            fields,
            registered_by: staff.clerks[rng.below(staff.clerks.len())],
            registered_at,
        }
    }
}

/// Loads `total` letters and returns the time it took and a sample of
/// every 5,000th letter for known-item queries.
async fn load_letters(
    store: &Store,
    words: &Vocabulary,
    staff: &Staff,
    total: usize,
) -> (Duration, Vec<SeedLetter>) {
    let mut writer = LetterWriter {
        rng: Rng(0x5E7A_5115_EA7C_0001),
        words,
        staff,
        first_day: wib::today() - Days::days(365 * YEARS),
        span_days: 365 * YEARS,
        total,
        agenda: HashMap::new(),
    };
    let mut sample = Vec::new();
    let started = Instant::now();
    let mut done = 0;
    while done < total {
        let end = (done + LOAD_CHUNK).min(total);
        let letters: Vec<SeedLetter> = (done..end).map(|i| writer.letter(i)).collect();
        sample.extend(letters.iter().step_by(5_000).cloned());
        store
            .bulk_insert_incoming(&letters)
            .await
            .expect("bulk insert");
        done = end;
        if done.is_multiple_of(200_000) || done == total {
            eprintln!(
                "  loaded {done} letters in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    (started.elapsed(), sample)
}

/// A query and the class it was drawn from.
struct BenchQuery {
    class: usize,
    text: String,
    query: Query,
}

const CLASSES: [&str; 5] = [
    "one common word",
    "one rare word",
    "one prefix (3–5 letters)",
    "two words",
    "three words of one letter",
];

/// Returns a word of `text` with at least `min_len` letters, if any.
fn word_of(rng: &mut Rng, text: &str, min_len: usize) -> Option<String> {
    let candidates: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= min_len && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    (!candidates.is_empty()).then(|| candidates[rng.below(candidates.len())].to_owned())
}

fn make_queries(words: &Vocabulary, sample: &[SeedLetter]) -> Vec<BenchQuery> {
    let mut rng = Rng(0x0DDB_A11C_0FFE_E123);
    let mut out = Vec::new();
    for class in 0..CLASSES.len() {
        for _ in 0..QUERIES_PER_CLASS {
            let text = match class {
                0 => rng.pick(&COMMON_WORDS).to_owned(),
                1 => {
                    if rng.chance(0.5) {
                        words.villages[rng.below(words.villages.len())].0.clone()
                    } else {
                        // Topics late in the shuffled list are rarely used.
                        let tail = words.topics.len() / 2;
                        let topic = &words.topics[tail + rng.below(tail)].1;
                        word_of(&mut rng, topic, 7).unwrap_or_else(|| topic.clone())
                    }
                }
                2 => {
                    let source = if rng.chance(0.5) {
                        rng.pick(&ACTIVITIES).to_owned()
                    } else {
                        words.topics[rng.skewed(words.topics.len(), 2.5)].1.clone()
                    };
                    let word =
                        word_of(&mut rng, &source, 6).unwrap_or_else(|| "pembangunan".into());
                    word.chars().take(3 + rng.below(3)).collect()
                }
                3 => {
                    let first = rng.pick(&COMMON_WORDS);
                    let second = match rng.below(3) {
                        0 => words.villages[rng.below(words.villages.len())].0.clone(),
                        1 => words.kecamatan[rng.below(words.kecamatan.len())].clone(),
                        _ => rng.pick(&ACTIVITIES).to_owned(),
                    };
                    format!("{first} {second}")
                }
                _ => {
                    let letter = &sample[rng.below(sample.len())];
                    let subject = &letter.fields.subject;
                    let mut terms: Vec<String> = Vec::new();
                    for _ in 0..8 {
                        if let Some(word) = word_of(&mut rng, subject, 4)
                            && !terms.contains(&word)
                        {
                            terms.push(word);
                        }
                        if terms.len() == 3 {
                            break;
                        }
                    }
                    terms.join(" ")
                }
            };
            let query = Query::parse(&text).expect("valid query");
            out.push(BenchQuery { class, text, query });
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn with_separators(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Latencies and match counts of one path over every query.
#[derive(Default)]
struct Timings {
    latencies: Vec<Duration>,
    totals: Vec<i64>,
}

impl Timings {
    fn sorted(&self, class: Option<usize>, queries: &[BenchQuery]) -> Vec<Duration> {
        let mut out: Vec<Duration> = self
            .latencies
            .iter()
            .zip(queries)
            .filter(|(_, q)| class.is_none_or(|c| q.class == c))
            .map(|(d, _)| *d)
            .collect();
        out.sort();
        out
    }
}

struct SearchRun {
    engine: Timings,
    admin: Timings,
    clerk: Timings,
}

async fn timed_search(store: &Store, actor: Actor, query: &Query) -> (Duration, i64) {
    let started = Instant::now();
    let page = store
        .search(
            actor,
            wib::today(),
            query,
            &SearchFilters::default(),
            1,
            PER_PAGE,
        )
        .await
        .expect("search");
    (started.elapsed(), page.total)
}

async fn timed_engine(store: &Store, query: &Query) -> (Duration, i64) {
    let started = Instant::now();
    let (total, _) = store
        .match_search_entries(query, i64::from(PER_PAGE))
        .await
        .expect("full-text query");
    (started.elapsed(), total)
}

/// Runs every query through the engine alone, then as the administrator,
/// then as the clerk, query by query, so all three paths see the same cache
/// state.
async fn measure_search(store: &Store, staff: &Staff, queries: &[BenchQuery]) -> SearchRun {
    let admin = Actor {
        employee_id: staff.administrator,
        is_admin: true,
        is_clerk: false,
    };
    let clerk = Actor {
        employee_id: staff.searching_clerk,
        is_admin: false,
        is_clerk: true,
    };
    for q in queries.iter().step_by(queries.len() / WARM_UP_QUERIES) {
        timed_engine(store, &q.query).await;
        timed_search(store, admin, &q.query).await;
        timed_search(store, clerk, &q.query).await;
    }
    let mut run = SearchRun {
        engine: Timings::default(),
        admin: Timings::default(),
        clerk: Timings::default(),
    };
    let started = Instant::now();
    for (n, q) in queries.iter().enumerate() {
        let (elapsed, total) = timed_engine(store, &q.query).await;
        run.engine.latencies.push(elapsed);
        run.engine.totals.push(total);
        for (actor, timings) in [(admin, &mut run.admin), (clerk, &mut run.clerk)] {
            let (elapsed, total) = timed_search(store, actor, &q.query).await;
            timings.latencies.push(elapsed);
            timings.totals.push(total);
        }
        if (n + 1).is_multiple_of(50) {
            eprintln!(
                "  {} queries in {:.0} s",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    run
}

/// A writer that only counts the bytes it is given.
#[derive(Default)]
struct CountingSink {
    bytes: u64,
}

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct ExportRun {
    rows: u64,
    bytes: u64,
    elapsed: Duration,
    /// Time of each `register_lines` call.
    batches: Vec<Duration>,
}

/// Reads the whole incoming register after a cursor, as the CSV export
/// does, and writes each line with its running number.
async fn export_register(store: &Store, agency: OrganizationId) -> ExportRun {
    let filter = RegisterFilter::default();
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(CountingSink::default());
    let mut heading = vec!["No".to_owned()];
    heading.extend(
        RegisterKind::Incoming
            .columns()
            .iter()
            .map(|c| c.to_string()),
    );
    writer.write_record(&heading).expect("CSV heading");

    let mut cursor: Option<Cursor> = None;
    let mut rows = 0_u64;
    let mut batches = Vec::new();
    let started = Instant::now();
    loop {
        let batch_started = Instant::now();
        let lines = store
            .register_lines(
                RegisterKind::Incoming,
                agency,
                &filter,
                cursor.as_ref(),
                EXPORT_BATCH,
                0,
            )
            .await
            .expect("register batch");
        batches.push(batch_started.elapsed());

        let Some(last) = lines.last() else {
            break;
        };
        cursor = Some(last.cursor.clone());
        let full = lines.len() as i64 == EXPORT_BATCH;
        for line in lines {
            rows += 1;
            let number = rows.to_string();
            writer
                .write_record(
                    std::iter::once(number.as_str()).chain(line.cells.iter().map(String::as_str)),
                )
                .expect("CSV row");
        }
        if batches.len().is_multiple_of(100) {
            eprintln!(
                "  exported {rows} rows in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
        if !full {
            break;
        }
    }
    writer.flush().expect("CSV flush");

    let elapsed = started.elapsed();
    let bytes = writer.get_ref().bytes;
    ExportRun {
        rows,
        bytes,
        elapsed,
        batches,
    }
}

fn median(values: &mut [i64]) -> i64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

fn print_search(run: &SearchRun, queries: &[BenchQuery]) {
    println!();
    println!(
        "Search, {} queries, first page of {PER_PAGE} plus the total count:",
        queries.len()
    );
    println!("| path | p50 | p95 | p99 | max |");
    println!("|---|---:|---:|---:|---:|");
    for (label, timings) in [
        ("full-text engine alone (count + best 20)", &run.engine),
        ("`Store::search`, administrator", &run.admin),
        ("`Store::search`, clerk", &run.clerk),
    ] {
        let sorted = timings.sorted(None, queries);
        println!(
            "| {label} | {} | {} | {} | {} |",
            ms(percentile(&sorted, 0.5)),
            ms(percentile(&sorted, 0.95)),
            ms(percentile(&sorted, 0.99)),
            ms(sorted[sorted.len() - 1]),
        );
    }

    println!();
    println!("By query class (p50 / p95):");
    println!(
        "| class | median matches | engine alone | administrator | clerk | clerk sees (median) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (class, label) in CLASSES.iter().enumerate() {
        let of_class = |totals: &[i64]| -> Vec<i64> {
            totals
                .iter()
                .zip(queries)
                .filter(|(_, q)| q.class == class)
                .map(|(t, _)| *t)
                .collect()
        };
        let cell = |timings: &Timings| {
            let sorted = timings.sorted(Some(class), queries);
            format!(
                "{} / {}",
                ms(percentile(&sorted, 0.5)),
                ms(percentile(&sorted, 0.95))
            )
        };
        println!(
            "| {label} | {} | {} | {} | {} | {} |",
            with_separators(median(&mut of_class(&run.engine.totals)) as u64),
            cell(&run.engine),
            cell(&run.admin),
            cell(&run.clerk),
            with_separators(median(&mut of_class(&run.clerk.totals)) as u64),
        );
    }

    let slowest = run
        .admin
        .latencies
        .iter()
        .zip(queries)
        .zip(&run.engine.totals)
        .max_by_key(|((d, _), _)| **d);
    if let Some(((d, q), total)) = slowest {
        println!(
            "Slowest administrator query: {:?} ({} matches) in {}",
            q.text,
            with_separators(*total as u64),
            ms(*d)
        );
    }
}

fn print_export(export: &ExportRun, letters: usize) {
    let mut sorted = export.batches.clone();
    sorted.sort();
    let ends = export.batches.len().min(10);
    let first = export.batches.iter().take(ends).sum::<Duration>() / ends as u32;
    let last = export.batches.iter().rev().take(ends).sum::<Duration>() / ends as u32;
    println!();
    println!(
        "Register export: {} rows of {} letters, {:.1} MB of CSV in {:.1} s = {} rows/s",
        with_separators(export.rows),
        with_separators(letters as u64),
        export.bytes as f64 / 1e6,
        export.elapsed.as_secs_f64(),
        with_separators((export.rows as f64 / export.elapsed.as_secs_f64()) as u64),
    );
    println!(
        "  `register_lines` per batch of {EXPORT_BATCH}: p50 {}, first ten {} each, last ten {} each",
        ms(percentile(&sorted, 0.5)),
        ms(first),
        ms(last),
    );
}

/// Prints the system's load averages (Linux), so a reader can tell whether
/// other work competed with the measured phases.
fn print_load(when: &str) {
    if let Ok(text) = std::fs::read_to_string("/proc/loadavg") {
        let averages: Vec<&str> = text.split_whitespace().take(3).collect();
        println!("  load average {when}: {}", averages.join(" "));
    }
}

async fn run(backend: Backend, label: &str, letters: usize) {
    println!();
    println!("## {label}, {} letters", with_separators(letters as u64));
    let db = TestDb::new(backend).await;
    let store = &db.store;
    store.load_reference_data().await.expect("reference data");
    let mut rng = Rng(0xC1A5_51F1_CA71_0000);
    let words = Vocabulary::load(&mut rng);
    let staff = create_staff(store).await;

    let (load, sample) = load_letters(store, &words, &staff, letters).await;
    let settle_started = Instant::now();
    store.settle_after_bulk_load().await.expect("settle");
    println!(
        "  loaded in {:.1} s = {} letters/s (with their search entries); settling took {:.1} s",
        load.as_secs_f64(),
        with_separators((letters as f64 / load.as_secs_f64()) as u64),
        settle_started.elapsed().as_secs_f64()
    );

    print_load("before searching");
    let queries = make_queries(&words, &sample);
    let search = measure_search(store, &staff, &queries).await;
    print_search(&search, &queries);

    let export = export_register(store, staff.agency).await;
    print_export(&export, letters);
    print_load("after exporting");
    assert_eq!(export.rows, letters as u64, "the export missed letters");
    if std::env::var_os("SERASI_BENCH_KEEP_DB").is_some() {
        println!("  kept the database at {}", db.url);
        store.close().await;
    } else {
        db.finish().await;
    }
}

#[tokio::main]
async fn main() {
    let letters = env_number("SERASI_BENCH_LETTERS", 1_000_000).max(1_000);
    let postgres = std::env::var("SERASI_BENCH_POSTGRES").unwrap_or_default();
    let backends: Vec<(Backend, &str)> = match postgres.trim() {
        "" | "0" => vec![(Backend::Sqlite, "SQLite")],
        "1" => vec![
            (Backend::Sqlite, "SQLite"),
            (Backend::Postgres, "PostgreSQL"),
        ],
        "only" => vec![(Backend::Postgres, "PostgreSQL")],
        other => panic!("SERASI_BENCH_POSTGRES must be 1 or only, got {other:?}"),
    };
    println!("Search and register export over one agency's incoming register");
    for (backend, label) in backends {
        run(backend, label, letters).await;
    }
}
