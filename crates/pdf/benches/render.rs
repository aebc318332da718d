//! Letters rendered, and rendered and signed, per second on every core.
//!
//! Run with `CARGO_TARGET_DIR=/tmp/bench-target cargo bench -p serasi-pdf
//! --bench render`. Each worker thread renders a one-page letter (kop,
//! number block, a table, QR stamp) again and again; the signed run adds
//! the PAdES signature with a 2048-bit RSA key. Both runs happen in the
//! same process, one after the other, so their figures compare directly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serasi_domain::body;
use serasi_pdf::ca::{Authority, SignerSubject, unlock};
use serasi_pdf::{LetterData, Letterhead, SignatureFields, Stamp, render, sign_pdf};

const RUN: Duration = Duration::from_secs(10);

fn letter(i: usize) -> LetterData {
    LetterData {
        letterhead: Letterhead {
            tiers: vec![
                "Pemerintah Kabupaten Semarang".into(),
                "Dinas Kesehatan".into(),
            ],
            contact: vec!["Jalan Pemuda Nomor 1, Ungaran 50511".into()],
            emblem: Vec::new(),
        },
        layout: "letter".into(),
        title: "Surat Dinas".into(),
        number: format!("400.7/{i:03}/DINKES/XII/2026"),
        place: "Ungaran".into(),
        date: "4 Desember 2026".into(),
        security: "Biasa".into(),
        urgency: "Segera".into(),
        attachments: "-".into(),
        subject: format!("Undangan rapat koordinasi {i}"),
        addressees: vec!["Camat Tengaran".into()],
        body: body::parse(
            "Dengan hormat,\n\nkami mengundang Saudara pada rapat koordinasi posyandu.\n\n\
             | Acara | Waktu |\n|---|---|\n| Pembukaan | 08.00 |\n| Diskusi | 09.00 |",
        ),
        signature_lines: vec!["Kepala Dinas Kesehatan,".into()],
        signer_name: "dr. Ratna Wijayanti".into(),
        signer_rank: "Pembina Utama Muda (IV/c)".into(),
        signer_nip: "197001011995032001".into(),
        copies: vec!["Bupati Semarang".into()],
        draft: false,
        stamp: Some(Stamp {
            url: format!("https://office.semarangkab.go.id/v/CODE{i:022}"),
            statement: "Ditandatangani secara elektronik.".into(),
        }),
        ..LetterData::default()
    }
}

/// Runs `work` on every core for `RUN`; returns letters per second and the
/// median single-letter time.
fn measure(work: Arc<dyn Fn(usize) + Send + Sync>) -> (f64, Duration) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let work = Arc::clone(&work);
            std::thread::spawn(move || {
                let mut times = Vec::new();
                let mut i = t * 1_000_000;
                while started.elapsed() < RUN {
                    let one = Instant::now();
                    work(i);
                    times.push(one.elapsed());
                    i += 1;
                }
                times
            })
        })
        .collect();
    let mut times: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    (times.len() as f64 / elapsed, median)
}

fn main() {
    let today = time::macros::date!(2026 - 12 - 04);
    // Warm the font book and the compiler once.
    let _ = render(&letter(0), today);
    let authority = Authority::create("Bench").expect("ca");
    let issued = authority
        .issue(
            &SignerSubject {
                name: "dr. Ratna Wijayanti".into(),
                identifier: "197001011995032001".into(),
                position: "Kepala Dinas Kesehatan".into(),
                organization: "Dinas Kesehatan".into(),
            },
            "bench",
        )
        .expect("issue");
    let identity = Arc::new(
        unlock(
            &issued.certificate_der,
            &issued.sealed_key,
            "bench",
            &authority.certificate().expect("root"),
        )
        .expect("unlock"),
    );
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("cores: {cores}, {} s per run", RUN.as_secs());

    let (rate, median) = measure(Arc::new(move |i| {
        render(&letter(i), today).expect("render");
    }));
    println!(
        "render only:     {rate:8.1} letters/s  (median {:.2} ms per letter)",
        median.as_secs_f64() * 1000.0
    );

    let fields = SignatureFields {
        signer_name: "dr. Ratna Wijayanti".into(),
        reason: "Penandatanganan".into(),
        location: "Ungaran".into(),
        signed_at: time::OffsetDateTime::now_utc(),
    };
    let (rate, median) = measure(Arc::new(move |i| {
        let pdf = render(&letter(i), today).expect("render");
        sign_pdf(&pdf, &identity, &fields).expect("sign");
    }));
    println!(
        "render and sign: {rate:8.1} letters/s  (median {:.2} ms per letter)",
        median.as_secs_f64() * 1000.0
    );
}
