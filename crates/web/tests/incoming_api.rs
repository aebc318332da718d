//! The incoming register over the API on SQLite and PostgreSQL: clerks
//! register letters with agenda numbers, bad input is rejected field by
//! field, and only the organisation's clerks read the register.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serasi_domain::user::Role;
use serasi_store::{Store, test_both_backends};
use serde_json::{Value, json};

mod common;
use common::{
    account, get, json_request, org_id, send, setup, setup_with, test_config, upload_file,
};

test_both_backends!(
    clerks_register_and_read_the_incoming_register,
    scans_are_checked_and_read_back,
);

fn letter(addressee: &str, subject: &str, security: &str) -> Value {
    json!({
        "sender": "Kepala Kantor Pos Ungaran",
        "sender_number": "123/KP/XII/2026",
        "sender_date": "2026-12-01",
        "subject": subject,
        "classification": "000.1.2",
        "security": security,
        "addressee_position_id": addressee,
    })
}

async fn clerks_register_and_read_the_incoming_register(store: Store) {
    let (app, admin) = setup(store.clone()).await;
    let (head, _) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "197206201998031005",
        "kadis",
        Role::Employee,
        None,
    )
    .await;
    let (_, clerk) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "199203152019031007",
        "operator",
        Role::Clerk,
        None,
    )
    .await;
    let (_, other_clerk) = account(
        &app,
        &store,
        &admin,
        "DINKES",
        "199001102015031003",
        "operator.dinkes",
        Role::Clerk,
        None,
    )
    .await;
    let (_, employee) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "198507142010011012",
        "staf",
        Role::Employee,
        None,
    )
    .await;
    let org = org_id(&app, &admin, "DISKOMINFO").await;
    let uri = format!("/api/v1/organizations/{org}/incoming");

    let first = send(
        &app,
        json_request(
            Method::POST,
            &uri,
            &clerk,
            &letter(&head, "Pemberitahuan jadwal layanan", "biasa"),
        ),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.json()["agenda_no"], 1);
    let secret = send(
        &app,
        json_request(
            Method::POST,
            &uri,
            &clerk,
            &letter(&head, "Laporan hasil pemeriksaan khusus", "rahasia"),
        ),
    )
    .await;
    assert_eq!(secret.json()["agenda_no"], 2, "{}", secret.body);

    // Bad input names its field and uses no agenda number.
    let mut future = letter(&head, "Surat dari masa depan", "biasa");
    future["sender_date"] = json!("2999-01-01");
    let rejected = send(&app, json_request(Method::POST, &uri, &clerk, &future)).await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rejected.json()["field"], "sender_date");
    let mut nameless = letter(&head, "Tanpa pengirim", "biasa");
    nameless["sender"] = json!(" ");
    let rejected = send(&app, json_request(Method::POST, &uri, &clerk, &nameless)).await;
    assert_eq!(rejected.json()["field"], "sender");
    assert!(
        rejected.json()["message"]
            .as_str()
            .expect("message")
            .contains("Pengirim"),
        "{}",
        rejected.body
    );
    let outside = send(
        &app,
        json_request(
            Method::POST,
            &uri,
            &other_clerk,
            &letter(&head, "Salah alamat", "biasa"),
        ),
    )
    .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    let by_employee = send(
        &app,
        json_request(
            Method::POST,
            &uri,
            &employee,
            &letter(&head, "Bukan petugas", "biasa"),
        ),
    )
    .await;
    assert_eq!(by_employee.status, StatusCode::FORBIDDEN);

    let page = send(&app, get(&uri, &clerk)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let json = page.json();
    assert_eq!(json["total"], 2);
    assert_eq!(json["items"][0]["subject"], "Pemberitahuan jadwal layanan");
    assert_eq!(
        json["items"][1]["subject"], "(rahasia)",
        "the register hides secret subjects"
    );
    assert!(!page.body.contains("pemeriksaan khusus"));
    let next = send(
        &app,
        json_request(
            Method::POST,
            &uri,
            &clerk,
            &letter(&head, "Surat ketiga", "biasa"),
        ),
    )
    .await;
    assert_eq!(next.json()["agenda_no"], 3, "failures used no number");
    let hidden = send(&app, get(&uri, &other_clerk)).await;
    assert_eq!(hidden.status, StatusCode::FORBIDDEN);

    // The register page shows the same register and takes the same form.
    let page = send(&app, get("/letters/incoming", &clerk)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Pemberitahuan jadwal layanan"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("pemeriksaan khusus"));
    let form = format!(
        "org={org}&sender=Camat+Tengaran&sender_number=005%2F12%2F2026&sender_date=2026-12-01\
         &received_on=&subject=Undangan+musrenbang&classification=000.1.2&security=biasa\
         &urgency=segera&addressee_position_id={head}"
    );
    let posted = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/letters/incoming")
            .header(header::AUTHORIZATION, format!("Bearer {clerk}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.clone()))
            .expect("request"),
    )
    .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    assert!(
        posted.headers[header::LOCATION]
            .to_str()
            .expect("location")
            .ends_with("#scans")
    );
    let bad = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/letters/incoming")
            .header(header::AUTHORIZATION, format!("Bearer {clerk}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                form.replace("sender_date=2026-12-01", "sender_date=kemarin"),
            ))
            .expect("request"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("Undangan musrenbang"),
        "the form keeps what was typed"
    );
    let by_employee = send(&app, get("/letters/incoming", &employee)).await;
    assert_eq!(by_employee.status, StatusCode::FORBIDDEN);
}

async fn scans_are_checked_and_read_back(store: Store) {
    let (app, admin) = setup(store.clone()).await;
    let (head, _) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "197206201998031005",
        "kadis",
        Role::Employee,
        None,
    )
    .await;
    let (_, clerk) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "199203152019031007",
        "operator",
        Role::Clerk,
        None,
    )
    .await;
    let (_, other_clerk) = account(
        &app,
        &store,
        &admin,
        "DINKES",
        "199001102015031003",
        "operator.dinkes",
        Role::Clerk,
        None,
    )
    .await;
    let org = org_id(&app, &admin, "DISKOMINFO").await;
    let registered = send(
        &app,
        json_request(
            Method::POST,
            &format!("/api/v1/organizations/{org}/incoming"),
            &clerk,
            &letter(&head, "Surat dengan pindaian", "biasa"),
        ),
    )
    .await;
    let id = registered.json()["id"].as_str().expect("id").to_owned();
    let uri = format!("/api/v1/incoming/{id}/files");

    let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n".to_vec();
    let added = send(&app, upload_file(&uri, &clerk, "pindaian", &pdf)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.json()["content_type"], "application/pdf");
    assert_eq!(
        added.json()["name"],
        "pindaian.pdf",
        "the name gets the content's extension"
    );
    let seq = added.json()["seq"].as_i64().expect("seq");
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    let added = send(&app, upload_file(&uri, &clerk, "halaman2.jpeg", &jpeg)).await;
    assert_eq!(added.json()["content_type"], "image/jpeg", "{}", added.body);

    for (name, bytes) in [
        ("x.php", b"<?php echo 1; ?>".as_slice()),
        ("x.php.jpg", b"<?php echo 1; ?>".as_slice()),
        (
            "surat.pdf",
            b"<html><body>bukan pdf</body></html>".as_slice(),
        ),
        ("kosong.pdf", b"".as_slice()),
        ("laporan.docx", b"PK\x03\x04rest".as_slice()),
    ] {
        let rejected = send(&app, upload_file(&uri, &clerk, name, bytes)).await;
        assert_eq!(
            rejected.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            rejected.body
        );
        assert_eq!(rejected.json()["field"], "file");
    }
    // A clerk of another organisation cannot see the letter at all.
    let foreign = send(&app, upload_file(&uri, &other_clerk, "x.pdf", &pdf)).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let unknown = send(
        &app,
        upload_file(
            &format!("/api/v1/incoming/{}/files", uuid::Uuid::now_v7()),
            &clerk,
            "x.pdf",
            &pdf,
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let list = send(&app, get(&uri, &clerk)).await;
    assert_eq!(
        list.json().as_array().expect("list").len(),
        2,
        "rejected files left nothing behind"
    );
    let download = send(&app, get(&format!("{uri}/{seq}"), &clerk)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes, pdf, "the scan comes back byte for byte");
    let hidden = send(&app, get(&format!("{uri}/{seq}"), &other_clerk)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

/// Registers a letter in Diskominfo's register and returns its scan
/// upload address and the clerk's token.
async fn letter_for_scans(app: &Router, store: &Store, admin: &str) -> (String, String) {
    let (head, _) = account(
        app,
        store,
        admin,
        "DISKOMINFO",
        "197206201998031005",
        "kadis",
        Role::Employee,
        None,
    )
    .await;
    let (_, clerk) = account(
        app,
        store,
        admin,
        "DISKOMINFO",
        "199203152019031007",
        "operator",
        Role::Clerk,
        None,
    )
    .await;
    let org = org_id(app, admin, "DISKOMINFO").await;
    let registered = send(
        app,
        json_request(
            Method::POST,
            &format!("/api/v1/organizations/{org}/incoming"),
            &clerk,
            &letter(&head, "Surat dengan pindaian", "biasa"),
        ),
    )
    .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.body
    );
    let id = registered.json()["id"].as_str().expect("id").to_owned();
    (format!("/api/v1/incoming/{id}/files"), clerk)
}

/// A PDF scan whose body contains every byte value, so a download that
/// changed any byte (text decoding, line endings) would not match.
fn binary_pdf(len: usize) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..=255u8).cycle().take(len.saturating_sub(pdf.len())));
    pdf
}

#[tokio::test]
async fn scans_round_trip_on_s3() {
    let Some(server) = serasi_store::testing::s3::S3Server::start("scans_round_trip_on_s3") else {
        return;
    };
    let bucket = server.new_bucket();
    let db = serasi_store::testing::TestDb::new(serasi_store::Backend::Sqlite).await;
    let config = serasi_web::WebConfig {
        files: serasi_store::files::FileStorage::S3(bucket.clone()),
        ..test_config()
    };
    let (app, admin) = setup_with(db.store.clone(), config).await;
    let (uri, clerk) = letter_for_scans(&app, &db.store, &admin).await;

    let pdf = binary_pdf(300_000);
    let added = send(&app, upload_file(&uri, &clerk, "pindaian.pdf", &pdf)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let sha256 = added.json()["sha256"].as_str().expect("sha256").to_owned();
    assert_eq!(sha256, serasi_store::files::sha256_hex(&pdf));
    let seq = added.json()["seq"].as_i64().expect("seq");

    // The object sits in the bucket under ab/abcdef…, independent of the
    // server's own store handle.
    let stored = serasi_store::files::FileStore::s3(&bucket)
        .expect("second S3 handle")
        .get(&sha256)
        .await
        .expect("object in the bucket");
    assert_eq!(stored, pdf);

    let download = send(&app, get(&format!("{uri}/{seq}"), &clerk)).await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert_eq!(download.bytes, pdf, "the scan comes back byte for byte");

    let again = send(&app, upload_file(&uri, &clerk, "salinan.pdf", &pdf)).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.json()["sha256"], sha256.as_str());
    drop(app);
    db.finish().await;
}

#[tokio::test]
async fn scan_over_file_limit_rejected() {
    let db = serasi_store::testing::TestDb::new(serasi_store::Backend::Sqlite).await;
    let limit = 1024 * 1024;
    let config = serasi_web::WebConfig {
        max_file_bytes: limit,
        ..test_config()
    };
    let (app, admin) = setup_with(db.store.clone(), config).await;
    let (uri, clerk) = letter_for_scans(&app, &db.store, &admin).await;

    let rejected = send(
        &app,
        upload_file(&uri, &clerk, "besar.pdf", &binary_pdf(limit + 1)),
    )
    .await;
    assert_eq!(
        rejected.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        rejected.body
    );
    assert_eq!(rejected.json()["error"], "too_large");
    assert_eq!(rejected.json()["field"], "file");
    assert_eq!(
        rejected.json()["message"],
        "Berkas lebih besar dari 1 MB, batas ukuran per berkas."
    );
    let list = send(&app, get(&uri, &clerk)).await;
    assert_eq!(
        list.json().as_array().expect("list").len(),
        0,
        "nothing was stored"
    );

    let at_limit = send(
        &app,
        upload_file(&uri, &clerk, "pas.pdf", &binary_pdf(limit)),
    )
    .await;
    assert_eq!(at_limit.status, StatusCode::CREATED, "{}", at_limit.body);
    assert_eq!(at_limit.json()["size"], limit);
    drop(app);
    db.finish().await;
}
