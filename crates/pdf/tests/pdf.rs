//! Rendering and signing checked by independent tools: poppler's
//! `pdftotext`, `pdfinfo` and `pdfsig` (with the test root trusted in an
//! NSS database made by `certutil`), and `zbarimg` for the QR code.

use std::path::Path;
use std::process::Command;

use serasi_domain::body;
use serasi_pdf::ca::{Authority, SignerSubject, unlock};
use serasi_pdf::{LetterData, Letterhead, SignatureFields, Stamp, Trust, check, render, sign_pdf};
use time::macros::{date, datetime};

fn letter() -> LetterData {
    LetterData {
        letterhead: Letterhead {
            tiers: vec![
                "Pemerintah Kabupaten Semarang".into(),
                "Dinas Kesehatan".into(),
            ],
            contact: vec!["Jalan Pemuda Nomor 1, Ungaran 50511, Telepon (024) 6923088".into()],
            emblem: Vec::new(),
        },
        layout: "letter".into(),
        title: "Surat Dinas".into(),
        number: "400.7/012/DINKES/XII/2026".into(),
        place: "Ungaran".into(),
        date: "4 Desember 2026".into(),
        security: "Biasa".into(),
        marking: String::new(),
        urgency: "Segera".into(),
        attachments: "1 (satu) berkas".into(),
        subject: "Undangan Rapat Koordinasi Posyandu".into(),
        addressees: vec!["Camat Tengaran".into()],
        destination: "Tempat".into(),
        body: body::parse(
            "Dalam rangka peningkatan layanan posyandu, kami mengundang Saudara.\n\n\
             1. Hari: Senin\n2. Tempat: Aula Dinas\n\n| Acara | Waktu |\n|---|---|\n| Pembukaan | 08.00 |",
        ),
        signature_lines: vec!["Kepala Dinas Kesehatan,".into()],
        signer_name: "dr. Ratna Wijayanti".into(),
        signer_rank: "Pembina Utama Muda (IV/c)".into(),
        signer_nip: "197001011995032001".into(),
        copies: vec!["Bupati Semarang".into(), "Sekretaris Daerah".into()],
        draft: false,
        stamp: Some(Stamp {
            url: "http://127.0.0.1:8080/v/ABCDEFGHJKMNPQRSTVWXYZ2345".into(),
            statement: "Ditandatangani secara elektronik.".into(),
        }),
    }
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

/// Writes a test PDF; with `SERASI_PDF_OUT` set, also keeps a copy there
/// for a look by eye.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    if let Ok(keep) = std::env::var("SERASI_PDF_OUT") {
        std::fs::write(Path::new(&keep).join(name), bytes).expect("keep copy");
    }
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn letter_prints_its_parts_on_a4() {
    assert!(
        tool("pdftotext"),
        "poppler-utils is required (scripts/test installs it)"
    );
    let pdf = render(&letter(), date!(2026 - 12 - 04)).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "letter.pdf", &pdf);
    let text = run(Command::new("pdftotext").arg("-layout").arg(&path).arg("-"));
    for expected in [
        "PEMERINTAH KABUPATEN SEMARANG",
        "DINAS KESEHATAN",
        "400.7/012/DINKES/XII/2026",
        "Undangan Rapat Koordinasi Posyandu",
        "dr. Ratna Wijayanti",
        "NIP. 197001011995032001",
        "Bupati Semarang",
        "Sekretaris Daerah",
        "Ungaran, 4 Desember 2026",
        "Tembusan",
        "Pembukaan",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let info = run(Command::new("pdfinfo").arg(&path));
    assert!(info.contains("595.276 x 841.89"), "not A4:\n{info}");
    let fonts = run(Command::new("pdffonts").arg(&path));
    assert!(fonts.contains("Arimo"), "fonts:\n{fonts}");
}

#[test]
fn village_letter_kop_and_pagination() {
    let mut village = letter();
    village.letterhead.tiers = vec![
        "Pemerintah Kabupaten Semarang".into(),
        "Kecamatan Tengaran".into(),
        "Desa Karangduren".into(),
    ];
    let rows: String = (1..=300)
        .map(|i| format!("| {i} | Warga {i} | RT {} |\n", i % 9))
        .collect();
    let paragraphs: String = (1..=120)
        .map(|i| {
            format!(
                "Paragraf {i} menjelaskan kegiatan desa secara rinci dan lengkap. {}\n\n",
                "Isi ".repeat(30)
            )
        })
        .collect();
    village.body = body::parse(&format!(
        "| No | Nama | RT |\n|---|---|---|\n{rows}\n{paragraphs}"
    ));
    village.marking = "RAHASIA".into();
    let pdf = render(&village, date!(2026 - 12 - 04)).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "village.pdf", &pdf);
    let text = run(Command::new("pdftotext").arg("-layout").arg(&path).arg("-"));
    for expected in [
        "KECAMATAN TENGARAN",
        "DESA KARANGDUREN",
        "Warga 300",
        "Paragraf 120",
        "RAHASIA",
    ] {
        assert!(text.contains(expected), "missing {expected:?}");
    }
    let info = run(Command::new("pdfinfo").arg(&path));
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("page count");
    assert!(pages >= 10, "expected many pages, got {pages}");
    assert!(
        text.contains(&format!("2 / {pages}")),
        "page numbers missing"
    );
}

#[test]
fn title_layout_tentang_and_addressees() {
    let mut decree = letter();
    decree.layout = "title".into();
    decree.title = "Keputusan Bupati Semarang".into();
    decree.subject = "Pembentukan tim e-Office".into();
    decree.addressees = vec!["Para Kepala Perangkat Daerah".into()];
    let pdf = render(&decree, date!(2026 - 12 - 04)).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "decree.pdf", &pdf);
    let text = run(Command::new("pdftotext").arg(&path).arg("-"));
    assert!(text.contains("KEPUTUSAN BUPATI SEMARANG"), "{text}");
    assert!(text.contains("TENTANG"), "{text}");
    assert!(text.contains("PEMBENTUKAN TIM E-OFFICE"), "{text}");
    assert!(text.contains("Para Kepala Perangkat Daerah"), "{text}");
}

#[test]
fn draft_preview_marked_konsep() {
    let mut draft = letter();
    draft.draft = true;
    draft.number = String::new();
    draft.stamp = None;
    let pdf = render(&draft, date!(2026 - 12 - 04)).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "draft.pdf", &pdf);
    let text = run(Command::new("pdftotext").arg(&path).arg("-"));
    assert!(text.contains("KONSEP"), "{text}");
}

#[test]
fn signature_accepted_then_changed_byte_rejected() {
    assert!(tool("pdfsig"), "poppler-utils is required");
    let authority = Authority::create("Pemerintah Kabupaten Semarang").expect("ca");
    let issued = authority
        .issue(
            &SignerSubject {
                name: "dr. Ratna Wijayanti".into(),
                identifier: "197001011995032001".into(),
                position: "Kepala Dinas Kesehatan".into(),
                organization: "Dinas Kesehatan".into(),
            },
            "rahasia-penanda",
        )
        .expect("issue");
    let root = authority.certificate().expect("root");
    assert!(unlock(&issued.certificate_der, &issued.sealed_key, "salah", &root).is_err());
    let identity = unlock(
        &issued.certificate_der,
        &issued.sealed_key,
        "rahasia-penanda",
        &root,
    )
    .expect("unlock");
    let pdf = render(&letter(), date!(2026 - 12 - 04)).expect("render");
    let fields = SignatureFields {
        signer_name: "dr. Ratna Wijayanti".into(),
        reason: "Penandatanganan naskah dinas".into(),
        location: "Ungaran".into(),
        signed_at: datetime!(2026-12-04 09:00 +07:00),
    };
    let signed = sign_pdf(&pdf, &identity, &fields).expect("sign");
    assert_eq!(
        &signed[..pdf.len()],
        &pdf[..],
        "the rendered bytes stay in front"
    );

    let checks = check(&signed, std::slice::from_ref(&root)).expect("check");
    assert_eq!(checks.len(), 1);
    assert!(checks[0].valid(), "{:?}", checks[0]);
    assert_eq!(checks[0].signer_identifier, "197001011995032001");

    let dir = tempfile::tempdir().expect("tempdir");
    let nss = dir.path().join("nss");
    std::fs::create_dir(&nss).expect("nss dir");
    let db = format!("sql:{}", nss.display());
    run(Command::new("certutil").args(["-N", "-d", &db, "--empty-password"]));
    let ca_path = write(dir.path(), "ca.pem", authority.certificate_pem.as_bytes());
    run(Command::new("certutil")
        .args(["-A", "-n", "serasi-test", "-t", "CT,C,C", "-d", &db, "-i"])
        .arg(&ca_path));
    let path = write(dir.path(), "signed.pdf", &signed);
    let report = run(Command::new("pdfsig").args(["-nssdir", &db]).arg(&path));
    assert!(report.contains("Signature is Valid"), "{report}");
    assert!(report.contains("Certificate is Trusted"), "{report}");
    assert!(report.contains("Total document signed"), "{report}");

    // OpenSSL verifies the detached CMS over the signed byte ranges.
    let at = signed
        .windows(10)
        .rposition(|w| w == b"/ByteRange")
        .expect("byte range");
    let open = at + signed[at..].iter().position(|b| *b == b'[').expect("[");
    let close = open + signed[open..].iter().position(|b| *b == b']').expect("]");
    let ranges: Vec<usize> = String::from_utf8_lossy(&signed[open + 1..close])
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect();
    let mut content = signed[ranges[0]..ranges[0] + ranges[1]].to_vec();
    content.extend_from_slice(&signed[ranges[2]..ranges[2] + ranges[3]]);
    let der = hex::decode(&signed[ranges[0] + ranges[1] + 1..ranges[2] - 1]).expect("hex");
    let der_len = 4 + usize::from(u16::from_be_bytes([der[2], der[3]]));
    write(dir.path(), "content.bin", &content);
    write(dir.path(), "signature.p7s", &der[..der_len]);
    let verified = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(dir.path().join("signature.p7s"))
        .arg("-content")
        .arg(dir.path().join("content.bin"))
        .arg("-CAfile")
        .arg(&ca_path)
        .arg("-out")
        .arg(dir.path().join("out.bin"))
        .output()
        .expect("openssl runs");
    assert!(
        verified.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stderr).contains("Verification successful"));

    // One changed byte inside the signed range.
    let mut altered = signed.clone();
    let at = pdf.len() / 2;
    altered[at] ^= 0x01;
    let path = write(dir.path(), "altered.pdf", &altered);
    let report = run(Command::new("pdfsig").args(["-nssdir", &db]).arg(&path));
    assert!(!report.contains("Signature is Valid"), "{report}");
    let checks = check(&altered, std::slice::from_ref(&root)).expect("check");
    assert!(!checks[0].valid());

    // A root the installation does not trust.
    let stranger = Authority::create("Lain")
        .expect("ca")
        .certificate()
        .expect("root");
    let checks = check(&signed, &[stranger]).expect("check");
    assert_eq!(checks[0].trust, Trust::UnknownIssuer);
    assert!(!checks[0].valid());

    // Appending bytes after the signature is a change too.
    let mut appended = signed.clone();
    appended.extend_from_slice(b"\n% extra\n%%EOF\n");
    assert!(!check(&appended, std::slice::from_ref(&root)).expect("check")[0].valid());

    // A truncated file and a file that is not a PDF.
    assert!(check(&signed[..signed.len() / 2], std::slice::from_ref(&root)).is_err());
    assert!(check(b"<html>not a pdf</html>", &[root]).is_err());
}

#[test]
fn qr_code_decodes_to_check_link() {
    assert!(
        tool("zbarimg") || Command::new("zbarimg").arg("--version").output().is_ok(),
        "zbar-tools is required"
    );
    let pdf = render(&letter(), date!(2026 - 12 - 04)).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "qr.pdf", &pdf);
    let prefix = dir.path().join("page");
    run(Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&path)
        .arg(&prefix));
    let image = dir.path().join("page.png");
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&image)
        .output()
        .expect("zbarimg runs");
    let decoded = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        decoded.trim(),
        "http://127.0.0.1:8080/v/ABCDEFGHJKMNPQRSTVWXYZ2345"
    );
}
