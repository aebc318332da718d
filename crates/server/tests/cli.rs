//! The `serasi` binary on signed PDFs, run as a user would: `demo` signs
//! letters, `export-pdf` writes one, `verify` accepts it and rejects an
//! altered copy and an unrelated PDF, the same with the files in a local
//! S3-compatible server, and `bsre status` talks to a local fake of BSrE's
//! API.

use std::path::Path;
use std::process::{Command, Output};

fn serasi(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serasi"))
        .args(args)
        .env("SERASI_DATA_DIR", data_dir)
        .env("SERASI_LOG_LEVEL", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("SERASI_DATABASE_URL")
        .output()
        .expect("serasi runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn demo_letters_export_and_verify_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let demo = serasi(&data, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo));
    let printed = String::from_utf8_lossy(&demo.stdout).into_owned();
    let id = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("PDF:"))
        .and_then(|url| url.trim().strip_suffix("/pdf"))
        .and_then(|url| url.rsplit('/').next())
        .expect("the demo prints the PDF address of a signed letter")
        .to_owned();

    let genuine = dir.path().join("genuine.pdf");
    let export = serasi(
        &data,
        &["export-pdf", &id, "--out", genuine.to_str().expect("path")],
    );
    assert!(export.status.success(), "{}", text(&export));
    let bytes = std::fs::read(&genuine).expect("exported file");
    assert!(bytes.starts_with(b"%PDF-"));

    let checked = serasi(&data, &["verify", genuine.to_str().expect("path")]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("VALID"), "{}", text(&checked));

    let mut changed = bytes.clone();
    changed[bytes.len() / 3] ^= 0x20;
    let altered = dir.path().join("altered.pdf");
    std::fs::write(&altered, &changed).expect("write");
    let checked = serasi(&data, &["verify", altered.to_str().expect("path")]);
    assert!(!checked.status.success(), "an altered file must fail");
    assert!(text(&checked).contains("ALTERED"), "{}", text(&checked));

    let unrelated = dir.path().join("unrelated.pdf");
    let plain = serasi_pdf::render(
        &serasi_pdf::LetterData {
            layout: "letter".into(),
            subject: "Bukan naskah bertanda tangan".into(),
            ..serasi_pdf::LetterData::default()
        },
        time::macros::date!(2026 - 12 - 04),
    )
    .expect("render");
    std::fs::write(&unrelated, plain).expect("write");
    let checked = serasi(&data, &["verify", unrelated.to_str().expect("path")]);
    assert!(!checked.status.success(), "an unsigned file must fail");
    assert!(text(&checked).contains("UNSIGNED"), "{}", text(&checked));

    let not_pdf = dir.path().join("page.pdf");
    std::fs::write(&not_pdf, b"<html>bukan pdf</html>").expect("write");
    let checked = serasi(&data, &["verify", not_pdf.to_str().expect("path")]);
    assert!(!checked.status.success());
    assert!(text(&checked).contains("not a PDF"), "{}", text(&checked));

    // A wrong data folder is an error, not a new empty office.
    let elsewhere = dir.path().join("nowhere");
    let checked = serasi(&elsewhere, &["verify", genuine.to_str().expect("path")]);
    assert!(!checked.status.success());
    assert!(
        text(&checked).contains("no Serasi database"),
        "{}",
        text(&checked)
    );
    assert!(!elsewhere.join("serasi.sqlite").exists());

    let listed = serasi(&data, &["ca", "list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(text(&listed).contains("active"), "{}", text(&listed));
}

#[test]
fn demo_and_export_with_files_on_s3() {
    let Some(server) =
        serasi_store::testing::s3::S3Server::start("demo_and_export_with_files_on_s3")
    else {
        return;
    };
    let bucket = server.new_bucket();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let on_s3 = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_serasi"))
            .args(args)
            .env("SERASI_DATA_DIR", &data)
            .env("SERASI_LOG_LEVEL", "warn")
            .env("SERASI_STORAGE", "s3")
            .env("SERASI_S3_ENDPOINT", &bucket.endpoint)
            .env("SERASI_S3_BUCKET", &bucket.bucket)
            .env("SERASI_S3_ACCESS_KEY", &bucket.access_key)
            .env("SERASI_S3_SECRET_KEY", &bucket.secret_key)
            .env("SERASI_S3_ALLOW_HTTP", "true")
            .env_remove("DATABASE_URL")
            .env_remove("SERASI_DATABASE_URL")
            .output()
            .expect("serasi runs")
    };
    let demo = on_s3(&["demo"]);
    assert!(demo.status.success(), "{}", text(&demo));
    let printed = String::from_utf8_lossy(&demo.stdout).into_owned();
    let id = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("PDF:"))
        .and_then(|url| url.trim().strip_suffix("/pdf"))
        .and_then(|url| url.rsplit('/').next())
        .expect("the demo prints the PDF address of a signed letter")
        .to_owned();
    assert!(
        !data.join("files").exists(),
        "no file was written to the local folder"
    );

    let exported = dir.path().join("exported.pdf");
    let export = on_s3(&["export-pdf", &id, "--out", exported.to_str().expect("path")]);
    assert!(export.status.success(), "{}", text(&export));
    let bytes = std::fs::read(&exported).expect("exported file");
    let hash = serasi_store::files::sha256_hex(&bytes);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stored = runtime
        .block_on(
            serasi_store::files::FileStore::s3(&bucket)
                .expect("S3 handle")
                .get(&hash),
        )
        .expect("the exported PDF is the object stored in the bucket");
    assert_eq!(stored, bytes);

    let config = on_s3(&["config"]);
    assert!(config.status.success(), "{}", text(&config));
    assert!(
        !text(&config).contains(&bucket.secret_key),
        "{}",
        text(&config)
    );
}

#[test]
fn bsre_status_asks_the_configured_service() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let authority = serasi_pdf::Authority::create("BSrE Uji").expect("ca");
    let issued = authority
        .issue(
            &serasi_pdf::SignerSubject {
                name: "Uji".into(),
                identifier: "3322010101800001".into(),
                position: "Kepala Desa".into(),
                organization: "Desa Uji".into(),
            },
            "x",
        )
        .expect("issue");
    let identity = serasi_pdf::ca::unlock(
        &issued.certificate_der,
        &issued.sealed_key,
        "x",
        &authority.certificate().expect("root"),
    )
    .expect("unlock");
    let fake = runtime
        .block_on(serasi_pdf::bsre::fake::spawn("serasi", "rahasia", identity))
        .expect("fake");
    fake.state.add_user("3322010101800001", "passphrase", true);
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |nik: &str| {
        Command::new(env!("CARGO_BIN_EXE_serasi"))
            .args(["bsre", "status", nik])
            .env("SERASI_DATA_DIR", dir.path())
            .env("SERASI_LOG_LEVEL", "warn")
            .env("SERASI_SIGNER", "bsre")
            .env("SERASI_BSRE_URL", format!("http://{}", fake.addr))
            .env("SERASI_BSRE_USERNAME", "serasi")
            .env("SERASI_BSRE_PASSWORD", "rahasia")
            .output()
            .expect("serasi runs")
    };
    let known = run("3322010101800001");
    assert!(known.status.success(), "{}", text(&known));
    let unknown = run("3322010101809999");
    assert!(!unknown.status.success(), "{}", text(&unknown));
    drop(runtime);
}
