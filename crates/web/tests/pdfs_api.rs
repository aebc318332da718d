//! Signed PDFs over the API on SQLite and PostgreSQL: signing renders and
//! seals the letter, poppler accepts it, the public check separates
//! genuine from altered files, and signing through BSrE (a local fake of
//! its API) keeps numbers whole when the provider refuses or times out.

use std::process::Command;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serasi_domain::user::Role;
use serasi_pdf::bsre::BsreConfig;
use serasi_pdf::bsre::fake::{FakeBsre, spawn};
use serasi_store::{NewUser, Store, test_both_backends};
use serasi_web::WebConfig;
use serasi_web::signing::{SignerChoice, SigningConfig};
use serde_json::{Value, json};

mod common;
use common::{get, json_request, org_id, send, setup_with, test_config, upload_file};

test_both_backends!(
    signed_pdf_checks_out,
    confidential_checks_hide_the_subject,
    letterheads_print_and_reject_bad_emblems,
    password_change_keeps_the_key_and_revocation_shows,
    bsre_refusals_and_timeouts_keep_numbers_whole,
    delegated_signature_and_external_address_print,
    servers_starting_together_share_one_root,
);

const PASSWORD: &str = "kata-sandi-penanda";
const HEAD_NIP: &str = "197206201998031005";

struct Office {
    app: Router,
    store: Store,
    admin: String,
    staff: String,
    kadis: String,
    outsider: String,
    kadis_post: String,
    dinkes_post: String,
    config: WebConfig,
}

/// A post to fill: organisation code, title, superior, NIP and login.
struct Hire<'a>(&'a str, &'a str, Option<&'a str>, &'a str, &'a str);

async fn person(app: &Router, store: &Store, admin: &str, hire: Hire<'_>) -> (String, String) {
    let Hire(org, title, parent, nip, username) = hire;
    let org_id = org_id(app, admin, org).await;
    let employee = send(
        app,
        json_request(
            Method::POST,
            "/api/v1/employees",
            admin,
            &json!({ "identifier": nip, "name": format!("Pejabat {username}"), "organization_id": org_id, "rank": "IV/c" }),
        ),
    )
    .await;
    assert_eq!(employee.status, StatusCode::CREATED, "{}", employee.body);
    let employee_id = employee.json()["id"].as_str().expect("id").to_owned();
    let position = send(
        app,
        json_request(
            Method::POST,
            "/api/v1/positions",
            admin,
            &json!({ "organization_id": org_id, "name": title, "parent_id": parent, "holder_id": employee_id }),
        ),
    )
    .await;
    assert_eq!(position.status, StatusCode::CREATED, "{}", position.body);
    let user = store
        .create_user(&NewUser {
            username,
            password: PASSWORD,
            role: Role::Employee,
            employee_id: Some(employee_id.parse().expect("uuid")),
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("user");
    let (_, token) = store
        .create_api_token(user.id, "test")
        .await
        .expect("token");
    (
        position.json()["id"].as_str().expect("id").to_owned(),
        token,
    )
}

async fn office_with(store: Store, config: WebConfig) -> Office {
    let (app, admin) = setup_with(store.clone(), config.clone()).await;
    let (kadis_p, kadis) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DISKOMINFO",
            "Kepala Dinas Komunikasi dan Informatika",
            None,
            HEAD_NIP,
            "kadis",
        ),
    )
    .await;
    let (_, staff) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DISKOMINFO.APTIKA",
            "Pranata Komputer",
            Some(&kadis_p),
            "199203152019031007",
            "staff",
        ),
    )
    .await;
    let (dinkes_post, _) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DINKES",
            "Kepala Dinas Kesehatan",
            None,
            "197501012000031001",
            "dinkes",
        ),
    )
    .await;
    let (_, outsider) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DINKES",
            "Staf Dinkes",
            Some(&dinkes_post),
            "199001102015031003",
            "outsider",
        ),
    )
    .await;
    Office {
        app,
        store,
        admin,
        staff,
        kadis,
        outsider,
        kadis_post: kadis_p,
        dinkes_post,
        config,
    }
}

async fn office(store: Store) -> Office {
    office_with(store, test_config()).await
}

async fn post(office: &Office, token: &str, uri: &str, body: &Value) -> common::Response {
    send(&office.app, json_request(Method::POST, uri, token, body)).await
}

/// A submitted letter waiting for the head's signature; returns its id.
async fn ready_letter(office: &Office, subject: &str, security: &str) -> String {
    let id = draft_letter(office, subject, security).await;
    let submitted = post(
        office,
        &office.staff,
        &format!("/api/v1/documents/{id}/submit"),
        &json!({}),
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    id
}

/// Creates a draft letter from the staff member to the head of Dinas
/// Kesehatan and returns its id.
async fn draft_letter(office: &Office, subject: &str, security: &str) -> String {
    let body = json!({
        "kind": "surat_dinas",
        "classification": "000.1.2",
        "urgency": "segera",
        "security": security,
        "subject": subject,
        "attachment_count": 1,
        "body": "Dengan hormat,\n\nKami sampaikan jadwal pemeliharaan jaringan.\n\n| Hari | Jam |\n|---|---|\n| Sabtu | 20.00 |",
        "addressees": [{ "type": "position", "position_id": office.dinkes_post }],
        "copies": [{ "type": "external", "name": "Inspektur Kabupaten Semarang" }],
    });
    let created = post(office, &office.staff, "/api/v1/documents", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.json()["id"].as_str().expect("id").to_owned()
}

async fn sign(office: &Office, id: &str, password: &str) -> common::Response {
    post(
        office,
        &office.kadis,
        &format!("/api/v1/documents/{id}/sign"),
        &json!({ "password": password }),
    )
    .await
}

fn public_get(uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request")
}

fn upload(bytes: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/api/v1/verify")
        .header(header::CONTENT_TYPE, "application/pdf")
        .body(Body::from(bytes))
        .expect("request")
}

fn tool_output(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .expect("tool runs (scripts/test installs poppler-utils, libnss3-tools and zbar-tools)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn signed_pdf_checks_out(store: Store) {
    let office = office(store).await;
    let id = ready_letter(&office, "Jadwal pemeliharaan jaringan", "biasa").await;

    // A draft's preview is watermarked and has no number yet.
    let preview = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &office.staff),
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().expect("tempdir");
    let preview_path = dir.path().join("preview.pdf");
    std::fs::write(&preview_path, &preview.bytes).expect("write");
    let text = tool_output(Command::new("pdftotext").arg(&preview_path).arg("-"));
    assert!(text.contains("KONSEP"), "{text}");

    let signed = sign(&office, &id, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let number = signed.json()["number"].as_str().expect("number").to_owned();
    let code = signed.json()["verify_code"]
        .as_str()
        .expect("code")
        .to_owned();

    let first = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &office.kadis),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::CONTENT_TYPE], "application/pdf");
    let again = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &office.staff),
    )
    .await;
    assert_eq!(
        first.bytes, again.bytes,
        "every download returns the stored bytes"
    );
    let outsider = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &office.outsider),
    )
    .await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);

    let path = dir.path().join("signed.pdf");
    std::fs::write(&path, &first.bytes).expect("write");
    let text = tool_output(Command::new("pdftotext").arg("-layout").arg(&path).arg("-"));
    for expected in [
        number.as_str(),
        "Jadwal pemeliharaan jaringan",
        "Pejabat kadis",
        HEAD_NIP,
        "Inspektur Kabupaten Semarang",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
        "Pembina Utama Muda (IV/c)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        text.contains(&format!("/v/{code}")),
        "the printed link is copyable: {text}"
    );
    let info = tool_output(Command::new("pdfinfo").arg(&path));
    assert!(info.contains("595.276 x 841.89"), "{info}");

    // pdfsig trusts the signature once the installation's root is in its
    // NSS database.
    let root = office
        .store
        .ca_certificate()
        .await
        .expect("read")
        .expect("root recorded");
    let nss = dir.path().join("nss");
    std::fs::create_dir(&nss).expect("nss");
    let db = format!("sql:{}", nss.display());
    tool_output(Command::new("certutil").args(["-N", "-d", &db, "--empty-password"]));
    let root_path = dir.path().join("root.pem");
    std::fs::write(&root_path, &root).expect("write");
    tool_output(
        Command::new("certutil")
            .args(["-A", "-n", "serasi", "-t", "CT,C,C", "-d", &db, "-i"])
            .arg(&root_path),
    );
    let report = tool_output(Command::new("pdfsig").args(["-nssdir", &db]).arg(&path));
    assert!(report.contains("Signature is Valid"), "{report}");
    assert!(report.contains("Certificate is Trusted"), "{report}");
    assert!(report.contains("Total document signed"), "{report}");

    // The QR code on the page opens the public check page.
    let prefix = dir.path().join("page");
    tool_output(
        Command::new("pdftoppm")
            .args(["-r", "150", "-png", "-singlefile"])
            .arg(&path)
            .arg(&prefix),
    );
    let decoded = tool_output(
        Command::new("zbarimg")
            .args(["--quiet", "--raw"])
            .arg(dir.path().join("page.png")),
    );
    let link = decoded.trim();
    assert!(link.ends_with(&format!("/v/{code}")), "{link}");
    let check_path = &link[link.find("/v/").expect("path")..];
    let page = send(&office.app, public_get(check_path)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&number), "{}", page.body);
    assert!(page.body.contains("Jadwal pemeliharaan jaringan"));

    // The check by code and by file, without login.
    let by_code = send(&office.app, public_get(&format!("/api/v1/verify/{code}"))).await;
    assert_eq!(by_code.status, StatusCode::OK, "{}", by_code.body);
    assert_eq!(by_code.json()["status"], "valid");
    assert_eq!(by_code.json()["number"], number.as_str());
    let sha = by_code.json()["sha256"].as_str().expect("sha").to_owned();
    assert_eq!(sha, serasi_pdf::sha256_hex(&first.bytes));
    let unknown = send(
        &office.app,
        public_get("/api/v1/verify/ABCDEFGHJKMNPQRSTVWXYZ0123"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let lower = send(
        &office.app,
        public_get(&format!("/api/v1/verify/{}", code.to_lowercase())),
    )
    .await;
    assert_eq!(lower.status, StatusCode::OK, "codes are read case-blind");
    let genuine = send(&office.app, upload(first.bytes.clone())).await;
    assert_eq!(genuine.json()["status"], "valid", "{}", genuine.body);
    assert!(
        genuine.json()["signatures"][0]["signed_at"]
            .as_str()
            .is_some_and(|m| m.starts_with("D:20")),
        "{}",
        genuine.body
    );
    // A changed digit in the signature's zero padding keeps the signature
    // sound, but the file is no longer the one issued.
    let padding = first
        .bytes
        .windows(40)
        .rposition(|w| w.iter().all(|b| *b == b'0'))
        .expect("padding");
    let mut padded = first.bytes.clone();
    padded[padding + 10] = b'1';
    let padded = send(&office.app, upload(padded)).await;
    assert_eq!(padded.json()["status"], "altered", "{}", padded.body);
    let mut altered = first.bytes.clone();
    altered[first.bytes.len() / 3] ^= 0x20;
    let altered = send(&office.app, upload(altered)).await;
    assert_eq!(altered.json()["status"], "altered", "{}", altered.body);
    let unsigned = send(&office.app, upload(preview.bytes.clone())).await;
    assert_eq!(unsigned.json()["status"], "unsigned", "{}", unsigned.body);
    let html = send(
        &office.app,
        upload(b"<html><body>bukan pdf</body></html>".to_vec()),
    )
    .await;
    assert_eq!(html.status, StatusCode::UNPROCESSABLE_ENTITY);
    let truncated = send(
        &office.app,
        upload(first.bytes[..first.bytes.len() / 2].to_vec()),
    )
    .await;
    assert_eq!(truncated.status, StatusCode::UNPROCESSABLE_ENTITY);
    let empty = send(&office.app, upload(Vec::new())).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A signed PDF attached to a new draft is stored untouched, and the
    // document page shows the verdict on its signature.
    let draft = draft_letter(&office, "Tindak lanjut jadwal", "biasa").await;
    let attached = send(
        &office.app,
        upload_file(
            &format!("/api/v1/documents/{draft}/attachments"),
            &office.staff,
            "surat-masuk.pdf",
            &first.bytes,
        ),
    )
    .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.body);
    assert_eq!(
        attached.json()["sha256"].as_str().expect("sha"),
        serasi_pdf::sha256_hex(&first.bytes),
        "the attachment is stored byte for byte"
    );
    let mut changed = first.bytes.clone();
    changed[first.bytes.len() / 3] ^= 0x20;
    let attached = send(
        &office.app,
        upload_file(
            &format!("/api/v1/documents/{draft}/attachments"),
            &office.staff,
            "diubah.pdf",
            &changed,
        ),
    )
    .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.body);
    let page = send(
        &office.app,
        get(&format!("/letters/{draft}"), &office.staff),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("ditandatangani Pejabat kadis, sah dan utuh"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("berkas diubah setelah ditandatangani"),
        "{}",
        page.body
    );
}

async fn confidential_checks_hide_the_subject(store: Store) {
    let office = office(store).await;
    let id = ready_letter(&office, "Hasil audit investigatif", "rahasia").await;
    let signed = sign(&office, &id, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let code = signed.json()["verify_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let by_code = send(&office.app, public_get(&format!("/api/v1/verify/{code}"))).await;
    let json = by_code.json();
    assert_eq!(json["status"], "valid");
    assert_eq!(json["confidential"], true);
    assert!(json.get("subject").is_none(), "{json}");
    assert!(json.get("sha256").is_none(), "{json}");
    assert!(json["signer_name"].as_str().is_some());
    let page = send(&office.app, public_get(&format!("/v/{code}"))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("audit investigatif"), "{}", page.body);
    let pdf = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &office.kadis),
    )
    .await;
    let checked = send(&office.app, upload(pdf.bytes)).await;
    assert_eq!(checked.json()["status"], "valid");
    assert!(
        !checked.body.contains("audit investigatif"),
        "{}",
        checked.body
    );
}

fn png_1x1() -> Vec<u8> {
    // A valid 1×1 RGBA PNG: signature, IHDR, IDAT and IEND chunks.
    hex::decode(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489\
         0000000d49444154789c63908fb7ff0f00031b01bd6bfaa3940000000049454e44ae426082",
    )
    .expect("png")
}

async fn letterheads_print_and_reject_bad_emblems(store: Store) {
    let office = office(store).await;
    let org = org_id(&office.app, &office.admin, "DISKOMINFO").await;
    let uri = format!("/api/v1/organizations/{org}/letterhead");
    let saved = send(
        &office.app,
        json_request(
            Method::PUT,
            &uri,
            &office.admin,
            &json!({ "contact": "Jalan Gatot Subroto Nomor 1, Ungaran 50511\nLaman diskominfo.semarangkab.go.id", "place": "Ungaran" }),
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let too_long = send(
        &office.app,
        json_request(
            Method::PUT,
            &uri,
            &office.admin,
            &json!({ "contact": "a\nb\nc\nd\ne", "place": "Ungaran" }),
        ),
    )
    .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let employee = send(
        &office.app,
        json_request(
            Method::PUT,
            &uri,
            &office.staff,
            &json!({ "contact": "x", "place": "y" }),
        ),
    )
    .await;
    assert_eq!(employee.status, StatusCode::FORBIDDEN);

    let emblem = |bytes: Vec<u8>| {
        Request::builder()
            .method(Method::PUT)
            .uri(format!("{uri}/emblem"))
            .header(header::AUTHORIZATION, format!("Bearer {}", office.admin))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(bytes))
            .expect("request")
    };
    let html = send(
        &office.app,
        emblem(b"<html><script>x</script></html>".to_vec()),
    )
    .await;
    assert_eq!(
        html.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        html.body
    );
    let empty = send(&office.app, emblem(Vec::new())).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let filtered = send(
        &office.app,
        emblem(
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><filter id="f"><feGaussianBlur stdDeviation="5000"/></filter><rect width="10" height="10" filter="url(#f)"/></svg>"#
                .to_vec(),
        ),
    )
    .await;
    assert_eq!(
        filtered.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        filtered.body
    );
    let broken_png = send(&office.app, emblem(b"\x89PNG\r\n\x1a\nrusak".to_vec())).await;
    assert_eq!(
        broken_png.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        broken_png.body
    );
    let good = send(&office.app, emblem(png_1x1())).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert!(good.json()["emblem_sha256"].as_str().is_some());

    let id = ready_letter(&office, "Undangan sosialisasi", "biasa").await;
    let signed = sign(&office, &id, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let pdf = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &office.kadis),
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kop.pdf");
    std::fs::write(&path, &pdf.bytes).expect("write");
    let text = tool_output(Command::new("pdftotext").arg("-layout").arg(&path).arg("-"));
    assert!(text.contains("Jalan Gatot Subroto Nomor 1"), "{text}");
    assert!(text.contains("Ungaran,"), "{text}");
}

async fn password_change_keeps_the_key_and_revocation_shows(store: Store) {
    let office = office(store).await;
    let first = ready_letter(&office, "Surat pertama", "biasa").await;
    assert_eq!(sign(&office, &first, PASSWORD).await.status, StatusCode::OK);
    let kadis = office
        .store
        .user_by_username("kadis")
        .await
        .expect("read")
        .expect("user");
    let employee = kadis.employee_id.expect("employee");
    let certs = office.store.certificates_of(employee).await.expect("certs");
    assert_eq!(certs.len(), 1);

    let changed = post(
        &office,
        &office.kadis,
        "/api/v1/me/password",
        &json!({ "current": PASSWORD, "new_password": "kata-sandi-baru-sekali" }),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let (_, token) = office
        .store
        .create_api_token(kadis.id, "again")
        .await
        .expect("token");
    let second = ready_letter(&office, "Surat kedua", "biasa").await;
    let signed = post(
        &office,
        &token,
        &format!("/api/v1/documents/{second}/sign"),
        &json!({ "password": "kata-sandi-baru-sekali" }),
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let certs = office.store.certificates_of(employee).await.expect("certs");
    assert_eq!(certs.len(), 1, "the resealed key signs on");

    // TOTP alone cannot unlock a local key.
    let third = ready_letter(&office, "Surat ketiga", "biasa").await;
    let totp_only = post(
        &office,
        &token,
        &format!("/api/v1/documents/{third}/sign"),
        &json!({ "totp": "123456" }),
    )
    .await;
    assert_eq!(totp_only.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(totp_only.json()["error"], "password_required");

    let code = signed.json()["verify_code"]
        .as_str()
        .expect("code")
        .to_owned();
    // A password set without the old one (an administrator's reset) cannot
    // reseal the key: the next signature gets a new certificate, and what
    // the old one signed stays valid.
    office
        .store
        .set_password(
            kadis.id,
            "kata-sandi-setelah-reset",
            serasi_store::PasswordChange::ByOwner { keep_session: None },
        )
        .await
        .expect("reset");
    let fourth = ready_letter(&office, "Surat keempat", "biasa").await;
    let after_reset = post(
        &office,
        &token,
        &format!("/api/v1/documents/{fourth}/sign"),
        &json!({ "password": "kata-sandi-setelah-reset" }),
    )
    .await;
    assert_eq!(after_reset.status, StatusCode::OK, "{}", after_reset.body);
    assert_eq!(
        office
            .store
            .certificates_of(employee)
            .await
            .expect("certs")
            .len(),
        2
    );
    let still = send(&office.app, public_get(&format!("/api/v1/verify/{code}"))).await;
    assert_eq!(
        still.json()["status"],
        "valid",
        "a superseded certificate is not revoked"
    );

    // After a change of name the next signature gets a certificate with
    // the new name.
    let person = send(
        &office.app,
        get(&format!("/api/v1/employees/{employee}"), &office.admin),
    )
    .await
    .json();
    let renamed = send(
        &office.app,
        json_request(
            Method::PUT,
            &format!("/api/v1/employees/{employee}"),
            &office.admin,
            &json!({
                "identifier": HEAD_NIP, "name": "Pejabat kadis baru",
                "organization_id": person["organization_id"], "rank": "IV/c"
            }),
        ),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let sixth = ready_letter(&office, "Surat keenam", "biasa").await;
    let signed_renamed = post(
        &office,
        &token,
        &format!("/api/v1/documents/{sixth}/sign"),
        &json!({ "password": "kata-sandi-setelah-reset" }),
    )
    .await;
    assert_eq!(
        signed_renamed.status,
        StatusCode::OK,
        "{}",
        signed_renamed.body
    );
    let newest = office.store.certificates_of(employee).await.expect("certs");
    assert_eq!(newest.len(), 3);
    assert!(
        newest[0].subject.starts_with("Pejabat kadis baru"),
        "{}",
        newest[0].subject
    );

    // Wrong passwords lock the account, and a locked account cannot sign.
    let fifth = ready_letter(&office, "Surat kelima", "biasa").await;
    for _ in 0..5 {
        let wrong = post(
            &office,
            &token,
            &format!("/api/v1/documents/{fifth}/sign"),
            &json!({ "password": "tebakan-salah" }),
        )
        .await;
        assert_eq!(
            wrong.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            wrong.body
        );
    }
    let locked = post(
        &office,
        &token,
        &format!("/api/v1/documents/{fifth}/sign"),
        &json!({ "password": "kata-sandi-setelah-reset" }),
    )
    .await;
    assert_eq!(locked.status, StatusCode::LOCKED, "{}", locked.body);

    assert!(
        office
            .store
            .revoke_certificate(&certs[0].serial, "key compromised")
            .await
            .expect("revoke")
    );
    let by_code = send(&office.app, public_get(&format!("/api/v1/verify/{code}"))).await;
    assert_eq!(by_code.json()["status"], "revoked");
    let pdf = send(
        &office.app,
        get(&format!("/api/v1/documents/{second}/pdf"), &token),
    )
    .await;
    let checked = send(&office.app, upload(pdf.bytes)).await;
    assert_eq!(checked.json()["status"], "revoked");
}

async fn bsre_office(store: Store) -> (Office, FakeBsre) {
    let authority = serasi_pdf::Authority::create("BSrE Uji").expect("ca");
    let issued = authority
        .issue(
            &serasi_pdf::SignerSubject {
                name: "Pejabat kadis".into(),
                identifier: HEAD_NIP.into(),
                position: "Kepala Dinas".into(),
                organization: "Diskominfo".into(),
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
    let fake = spawn("serasi", "rahasia-api", identity)
        .await
        .expect("fake");
    fake.state.add_user(HEAD_NIP, "passphrase-benar", true);
    let mut config = test_config();
    config.signing = SigningConfig {
        signer: SignerChoice::Bsre(BsreConfig {
            base_url: format!("http://{}", fake.addr),
            username: "serasi".into(),
            password: "rahasia-api".into(),
            timeout: Duration::from_millis(600),
            attempts: 3,
        }),
        ..config.signing
    };
    (office_with(store, config).await, fake)
}

async fn bsre_refusals_and_timeouts_keep_numbers_whole(store: Store) {
    let (office, fake) = bsre_office(store).await;
    let id = ready_letter(&office, "Surat lewat BSrE", "biasa").await;
    let uri = format!("/api/v1/documents/{id}");

    let wrong = sign(&office, &id, "passphrase-salah").await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert_eq!(wrong.json()["error"], "signature_rejected");
    assert!(
        wrong.json()["message"]
            .as_str()
            .expect("message")
            .contains("BSrE")
    );
    let state = send(&office.app, get(&uri, &office.kadis)).await.json();
    assert_eq!(state["state"], "ready_to_sign", "{state}");
    assert!(state["number"].is_null());
    assert_eq!(fake.state.sign_calls(), 1, "a refusal is not retried");

    fake.state.set_malformed(true);
    let malformed = sign(&office, &id, "passphrase-benar").await;
    assert_eq!(
        malformed.status,
        StatusCode::BAD_GATEWAY,
        "{}",
        malformed.body
    );
    let state = send(&office.app, get(&uri, &office.kadis)).await.json();
    assert_eq!(state["state"], "ready_to_sign");
    fake.state.set_malformed(false);

    // The first response comes too late, so the client retries. Only one
    // signed file and one number result.
    fake.state.set_delay_first(1, Duration::from_millis(1500));
    let calls_before = fake.state.sign_calls();
    let signed = sign(&office, &id, "passphrase-benar").await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    assert_eq!(fake.state.sign_calls() - calls_before, 2);
    let number = signed.json()["number"].as_str().expect("number").to_owned();
    assert!(
        number.contains("/001/"),
        "no number was used by the failures: {number}"
    );
    let code = signed.json()["verify_code"]
        .as_str()
        .expect("code")
        .to_owned();

    let pdf = send(&office.app, get(&format!("{uri}/pdf"), &office.kadis)).await;
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let checks = serasi_pdf::check(&pdf.bytes, &[]).expect("check");
    assert_eq!(checks.len(), 1);
    assert!(checks[0].intact);
    assert!(checks[0].covers_whole_file);
    let by_code = send(&office.app, public_get(&format!("/api/v1/verify/{code}"))).await;
    assert_eq!(by_code.json()["signed_through"], "bsre");
    let checked = send(&office.app, upload(pdf.bytes.clone())).await;
    assert_eq!(checked.json()["status"], "valid", "{}", checked.body);

    let again = sign(&office, &id, "passphrase-benar").await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "a second signature is refused"
    );
    assert!(office.config.signing.public_url.starts_with("http"));
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, bytes).expect("write");
    tool_output(Command::new("pdftotext").arg("-layout").arg(&path).arg("-"))
}

async fn delegated_signature_and_external_address_print(store: Store) {
    let office = office(store).await;
    let (sekdis_post, sekdis) = person(
        &office.app,
        &office.store,
        &office.admin,
        Hire(
            "DISKOMINFO.SEK",
            "Sekretaris Dinas",
            Some(&office.kadis_post),
            "198003082005012006",
            "sekdis",
        ),
    )
    .await;
    let today = serasi_domain::wib::today();
    let delegation = send(
        &office.app,
        json_request(
            Method::POST,
            "/api/v1/delegations",
            &office.admin,
            &json!({
                "kind": "an", "principal_id": office.kadis_post,
                "delegate_position_id": sekdis_post, "decree_number": "800/7/2026",
                "starts_on": (today - time::Duration::days(1)).to_string(),
                "ends_on": (today + time::Duration::days(30)).to_string()
            }),
        ),
    )
    .await;
    assert_eq!(
        delegation.status,
        StatusCode::CREATED,
        "{}",
        delegation.body
    );
    let body = json!({
        "kind": "surat_dinas",
        "classification": "000.1.2",
        "subject": "Permohonan data pelanggan",
        "body": "Dengan hormat,\n\nKami memohon data pelanggan.",
        "addressees": [{ "type": "external", "name": "Direktur PDAM Kabupaten Semarang", "address": "Jl. Merdeka 1, Semarang" }],
        "signer_position_id": sekdis_post,
        "reviewers": [],
        "coordinators": [],
    });
    let created = post(&office, &office.staff, "/api/v1/documents", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_str().expect("id").to_owned();

    let preview = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &office.staff),
    )
    .await;
    let text = pdf_text(&preview.bytes);
    assert!(text.contains("a.n. Kepala Dinas Komunikasi"), "{text}");
    assert!(text.contains("Jl. Merdeka 1, Semarang"), "{text}");

    let submitted = post(
        &office,
        &office.staff,
        &format!("/api/v1/documents/{id}/submit"),
        &json!({}),
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let signed = post(
        &office,
        &sekdis,
        &format!("/api/v1/documents/{id}/sign"),
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let pdf = send(
        &office.app,
        get(&format!("/api/v1/documents/{id}/pdf"), &sekdis),
    )
    .await;
    let text = pdf_text(&pdf.bytes);
    assert!(text.contains("a.n. Kepala Dinas Komunikasi"), "{text}");
    assert!(text.contains("Pejabat sekdis"), "{text}");
    assert!(text.contains("198003082005012006"), "{text}");
    assert!(text.contains("Jl. Merdeka 1, Semarang"), "{text}");
}

async fn servers_starting_together_share_one_root(store: Store) {
    store.load_reference_data().await.expect("reference data");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_dir = dir.path().join("ca");
    let (a, b) = tokio::join!(
        serasi_web::signing::ensure_ca(&store, &ca_dir, "Pemerintah Kabupaten Semarang"),
        serasi_web::signing::ensure_ca(&store, &ca_dir, "Pemerintah Kabupaten Semarang"),
    );
    let (a, a_created) = a.expect("first server");
    let (b, b_created) = b.expect("second server");
    assert_eq!(a.root_pem, b.root_pem, "both use the same root");
    assert!(a_created ^ b_created, "exactly one of them created it");
    assert!(a.has_key());
    assert!(b.has_key());
    let (again, created) = serasi_web::signing::ensure_ca(&store, &ca_dir, "x")
        .await
        .expect("restart");
    assert!(!created);
    assert_eq!(again.root_pem, a.root_pem);
}
