//! Dispositions, registers and search over the API on SQLite and
//! PostgreSQL: a letter with a scan is referred to two units, one passes
//! it further down, everyone reports done and the head sees the finished
//! tree; bad input gets clear errors and stores nothing; the registers
//! export as CSV and XLSX with the same rows; search finds the scan's
//! text layer but never a letter the caller may not see.

use axum::http::{Method, StatusCode};
use serasi_domain::user::Role;
use serasi_store::{Store, test_both_backends};
use serde_json::{Value, json};

mod common;
use common::{account, get, json_request, org_id, send, setup, upload_file};

test_both_backends!(refer_report_and_search, registers_export_alike);

/// Builds a one-page PDF with a text layer with the product's renderer.
fn scan_pdf(text: &str) -> Vec<u8> {
    serasi_pdf::table::render_table(
        &serasi_pdf::table::TableDoc {
            title: "Pindaian".into(),
            organization: "Kantor Pos".into(),
            subtitle: String::new(),
            footer: String::new(),
            columns: vec!["Isi".into()],
            widths: vec![1.0],
            rows: vec![vec![text.into()]],
        },
        time::macros::date!(2026 - 12 - 01),
    )
    .expect("pdf")
}

async fn refer_report_and_search(store: Store) {
    let (app, admin) = setup(store.clone()).await;
    let (head_post, head) = account(
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
    let (a_post, unit_a) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "198003082005012006",
        "kabid.a",
        Role::Employee,
        Some(&head_post),
    )
    .await;
    let (b_post, unit_b) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "198507142010011012",
        "kabid.b",
        Role::Employee,
        Some(&head_post),
    )
    .await;
    let (staff_post, staff) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "199203152019031007",
        "staf",
        Role::Employee,
        Some(&a_post),
    )
    .await;
    let (_, clerk) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "199001102015031003",
        "operator",
        Role::Clerk,
        Some(&head_post),
    )
    .await;
    let (dinkes_post, dinkes_head) = account(
        &app,
        &store,
        &admin,
        "DINKES",
        "197501012000031001",
        "kadinkes",
        Role::Employee,
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
            &json!({
                "sender": "Kepala Kantor Pos Ungaran",
                "sender_number": "77/KP/XII/2026",
                "sender_date": "2026-12-01",
                "subject": "Permohonan data layanan",
                "classification": "000.1.2",
                "urgency": "segera",
                "addressee_position_id": head_post,
            }),
        ),
    )
    .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.body
    );
    let letter = registered.json()["id"].as_str().expect("id").to_owned();
    let scan = send(
        &app,
        upload_file(
            &format!("/api/v1/incoming/{letter}/files"),
            &clerk,
            "pindaian.pdf",
            &scan_pdf("Rincian anggaran posyandu Kecamatan Tengaran"),
        ),
    )
    .await;
    assert_eq!(scan.status, StatusCode::CREATED, "{}", scan.body);

    let dispose_uri = format!("/api/v1/incoming/{letter}/dispositions");
    let tomorrow = (serasi_domain::wib::today() + time::Duration::days(7)).to_string();
    // Bad input first: each is refused with its field and stores nothing.
    let yesterday = (serasi_domain::wib::today() - time::Duration::days(1)).to_string();
    for (body, field) in [
        (
            json!({ "recipients": [a_post], "instructions": ["Pelajari"], "deadline": yesterday }),
            "deadline",
        ),
        (
            json!({ "recipients": [a_post], "instructions": ["Bakar"] }),
            "instructions",
        ),
        (
            json!({ "recipients": [dinkes_post], "instructions": ["Pelajari"] }),
            "recipients",
        ),
        (
            json!({ "recipients": [], "instructions": ["Pelajari"] }),
            "recipients",
        ),
        (
            json!({ "recipients": [a_post], "note": "", "instructions": [] }),
            "instructions",
        ),
    ] {
        let refused = send(&app, json_request(Method::POST, &dispose_uri, &head, &body)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            refused.body
        );
        assert_eq!(refused.json()["field"], field, "{body}");
    }
    // Someone who is not the addressee cannot refer it, and a stranger
    // does not even see it.
    let not_head = send(
        &app,
        json_request(
            Method::POST,
            &dispose_uri,
            &unit_a,
            &json!({ "recipients": [staff_post], "instructions": ["Pelajari"] }),
        ),
    )
    .await;
    assert_eq!(not_head.status, StatusCode::NOT_FOUND);
    let stranger = send(
        &app,
        get(&format!("/api/v1/incoming/{letter}"), &dinkes_head),
    )
    .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    // The head finds the letter among those waiting for his referral.
    let waiting = send(
        &app,
        get("/api/v1/dispositions?box=addressed&open=true", &head),
    )
    .await;
    assert_eq!(waiting.json()["total"], 1, "{}", waiting.body);
    assert_eq!(waiting.json()["items"][0]["status"], "pending");
    // An administrator without an employee record reads ordinary letters.
    let by_admin = send(&app, get(&format!("/api/v1/incoming/{letter}"), &admin)).await;
    assert_eq!(by_admin.status, StatusCode::OK, "{}", by_admin.body);

    let first = send(
        &app,
        json_request(
            Method::POST,
            &dispose_uri,
            &head,
            &json!({
                "recipients": [a_post, b_post],
                "instructions": ["Tindak lanjuti", "Koordinasikan"],
                "note": "Siapkan bahan rapat",
                "deadline": tomorrow,
                "urgency": "segera",
            }),
        ),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let ids: Vec<String> = first.json()["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();
    let (to_a, to_b) = (&ids[0], &ids[1]);
    let twice = send(
        &app,
        json_request(
            Method::POST,
            &dispose_uri,
            &head,
            &json!({ "recipients": [a_post], "instructions": ["Pelajari"] }),
        ),
    )
    .await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.body
    );
    assert_eq!(twice.json()["field"], "recipients");
    let act = |id: &str, action: &str, report: Option<&str>| {
        json_request(
            Method::POST,
            &format!("/api/v1/dispositions/{id}/actions"),
            "",
            &json!({ "action": action, "report": report }),
        )
    };
    let with_token = |mut request: axum::http::Request<axum::body::Body>, token: &str| {
        request.headers_mut().insert(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header"),
        );
        request
    };
    // Unit A receives it and passes it on to its staff.
    let read = send(&app, with_token(act(to_a, "read", None), &unit_a)).await;
    assert_eq!(read.json()["status"], "read");
    let cancel_late = send(&app, with_token(act(to_a, "cancel", None), &head)).await;
    assert_eq!(
        cancel_late.status,
        StatusCode::CONFLICT,
        "{}",
        cancel_late.body
    );
    let second = send(
        &app,
        json_request(
            Method::POST,
            &dispose_uri,
            &unit_a,
            &json!({ "parent_id": to_a, "recipients": [staff_post], "instructions": ["Siapkan jawaban"], "deadline": tomorrow }),
        ),
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    let to_staff = second.json()["ids"][0].as_str().expect("id").to_owned();
    // The staff member reports with a file, then everyone reports done.
    let report_file = send(
        &app,
        upload_file(
            &format!("/api/v1/dispositions/{to_staff}/files"),
            &staff,
            "laporan.pdf",
            &scan_pdf("Laporan tindak lanjut"),
        ),
    )
    .await;
    assert_eq!(
        report_file.status,
        StatusCode::CREATED,
        "{}",
        report_file.body
    );
    let not_mine = send(
        &app,
        upload_file(
            &format!("/api/v1/dispositions/{to_staff}/files"),
            &unit_b,
            "x.pdf",
            &scan_pdf("x"),
        ),
    )
    .await;
    assert_eq!(not_mine.status, StatusCode::NOT_FOUND);
    let empty_report = send(&app, with_token(act(&to_staff, "done", Some("  ")), &staff)).await;
    assert_eq!(empty_report.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty_report.json()["field"], "report");
    for (id, token) in [(&to_staff, &staff), (to_a, &unit_a), (to_b, &unit_b)] {
        let done = send(
            &app,
            with_token(act(id, "done", Some("Sudah ditindaklanjuti")), token),
        )
        .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    }
    let again = send(
        &app,
        with_token(act(&to_staff, "done", Some("Lagi")), &staff),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // A referral reported done cannot be passed on or get more files.
    let after_done = send(
        &app,
        json_request(
            Method::POST,
            &dispose_uri,
            &unit_a,
            &json!({ "parent_id": to_a, "recipients": [staff_post], "instructions": ["Pelajari"] }),
        ),
    )
    .await;
    assert_eq!(
        after_done.status,
        StatusCode::CONFLICT,
        "{}",
        after_done.body
    );
    let late_file = send(
        &app,
        upload_file(
            &format!("/api/v1/dispositions/{to_staff}/files"),
            &staff,
            "lagi.pdf",
            &scan_pdf("lagi"),
        ),
    )
    .await;
    assert_eq!(late_file.status, StatusCode::CONFLICT, "{}", late_file.body);
    let unknown = send(&app, with_token(act(&to_staff, "teleport", None), &staff)).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The head reads the completed three-node tree.
    let detail = send(&app, get(&format!("/api/v1/incoming/{letter}"), &head)).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let tree = detail.json()["dispositions"]
        .as_array()
        .expect("tree")
        .clone();
    assert_eq!(tree.len(), 3);
    assert!(tree.iter().all(|n| n["status"] == "done"), "{tree:?}");
    assert_eq!(tree[1]["parent_id"], Value::String(to_a.clone()));
    assert_eq!(tree[2]["files"].as_array().map(Vec::len), Some(0));
    assert_eq!(tree[1]["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail.json()["files"].as_array().map(Vec::len), Some(1));
    let sheet = send(
        &app,
        get(
            &format!("/api/v1/incoming/{letter}/disposition-sheet"),
            &head,
        ),
    )
    .await;
    assert_eq!(sheet.status, StatusCode::OK);
    let sheet_text = serasi_pdf::table::text_layer(&sheet.bytes, 5);
    assert!(sheet_text.contains("Siapkan"), "{sheet_text}");

    // Search: the scan's text layer, disposition text, case and accents.
    for (text, expected) in [
        ("posyandu", 1),
        ("POSYÁNDU", 1),
        ("bahan rapat", 1),
        ("\"layanan\" OR", 0),
        ("77/KP", 1),
    ] {
        let found = send(
            &app,
            get(&format!("/api/v1/search?q={}", urlencode(text)), &head),
        )
        .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        assert_eq!(found.json()["total"], expected, "{text}: {}", found.body);
    }
    let admin_search = send(&app, get("/api/v1/search?q=posyandu", &admin)).await;
    assert_eq!(admin_search.json()["total"], 1, "{}", admin_search.body);
    let wildcard = send(
        &app,
        get("/api/v1/search?q=surat&classification=%25", &head),
    )
    .await;
    assert_eq!(wildcard.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wildcard.json()["field"], "classification");
    let blind = send(&app, get("/api/v1/search?q=posyandu", &dinkes_head)).await;
    assert_eq!(
        blind.json()["total"],
        0,
        "a stranger's count reveals nothing"
    );
    let long = send(
        &app,
        get(&format!("/api/v1/search?q={}", "a".repeat(2000)), &head),
    )
    .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(long.json()["field"], "q");
    let quotes = send(
        &app,
        get("/api/v1/search?q=%22%22%20AND%20%2A%20NOT%20%28", &head),
    )
    .await;
    assert_eq!(
        quotes.status,
        StatusCode::OK,
        "operators are only words: {}",
        quotes.body
    );
    let only_quotes = send(&app, get("/api/v1/search?q=%22%22%22%2A%28%29", &head)).await;
    assert_eq!(only_quotes.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Lists: received for unit A (done, so hidden from the open list),
    // sent for the head.
    let open = send(
        &app,
        get("/api/v1/dispositions?box=received&open=true", &unit_a),
    )
    .await;
    assert_eq!(open.json()["total"], 0);
    let sent = send(&app, get("/api/v1/dispositions?box=sent", &head)).await;
    assert_eq!(sent.json()["total"], 2);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn registers_export_alike(store: Store) {
    let (app, admin) = setup(store.clone()).await;
    let (head_post, _) = account(
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
        "199001102015031003",
        "operator",
        Role::Clerk,
        Some(&head_post),
    )
    .await;
    let (_, employee) = account(
        &app,
        &store,
        &admin,
        "DISKOMINFO",
        "199203152019031007",
        "staf",
        Role::Employee,
        Some(&head_post),
    )
    .await;
    let org = org_id(&app, &admin, "DISKOMINFO").await;
    for n in 0..7 {
        let security = if n == 3 { "rahasia" } else { "biasa" };
        let posted = send(
            &app,
            json_request(
                Method::POST,
                &format!("/api/v1/organizations/{org}/incoming"),
                &clerk,
                &json!({
                    "sender": format!("=HYPERLINK(\"x\") Pengirim {n}"),
                    "sender_number": format!("{n}/X/2026"),
                    "sender_date": "2026-12-01",
                    "received_on": "2026-12-02",
                    "subject": format!("Surat nomor {n}, dengan \"kutip\""),
                    "classification": if n % 2 == 0 { "000.1.2" } else { "800.1" },
                    "security": security,
                    "addressee_position_id": head_post,
                }),
            ),
        )
        .await;
        assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    }
    let base = format!("/api/v1/organizations/{org}/registers/incoming");
    let page = send(&app, get(&format!("{base}?per_page=5&page=2"), &clerk)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.json()["total"], 7);
    assert_eq!(page.json()["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page.json()["items"][0]["no"], 6);
    let filtered = send(&app, get(&format!("{base}?classification=800"), &clerk)).await;
    assert_eq!(filtered.json()["total"], 3);
    let backwards = send(
        &app,
        get(&format!("{base}?from=2026-12-05&to=2026-12-01"), &clerk),
    )
    .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = send(&app, get(&base, &employee)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = send(
        &app,
        get(
            &format!("/api/v1/organizations/{org}/registers/nope"),
            &clerk,
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let csv = send(&app, get(&format!("{base}/csv"), &clerk)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = String::from_utf8(csv.bytes.clone()).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').expect("byte-order mark");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let csv_rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(csv_rows.len(), 7);
    assert!(
        csv_rows.iter().all(|r| r[5].starts_with("'=")),
        "formulas are neutralised"
    );
    assert_eq!(
        csv_rows[3][6], "",
        "the Rahasia subject stays out of the register"
    );

    let job = send(
        &app,
        json_request(
            Method::POST,
            &format!("{base}/exports"),
            &clerk,
            &json!({ "format": "xlsx" }),
        ),
    )
    .await;
    assert_eq!(job.status, StatusCode::ACCEPTED, "{}", job.body);
    let id = job.json()["id"].as_str().expect("id").to_owned();
    let mut status = Value::Null;
    for _ in 0..200 {
        status = send(&app, get(&format!("/api/v1/exports/{id}"), &clerk))
            .await
            .json();
        if status["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["percent"], 100);
    let other = send(&app, get(&format!("/api/v1/exports/{id}"), &admin)).await;
    assert_eq!(
        other.status,
        StatusCode::NOT_FOUND,
        "only the owner sees a job"
    );
    let xlsx = send(&app, get(&format!("/api/v1/exports/{id}/file"), &clerk)).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK"));
    compare_with_openpyxl(&xlsx.bytes, &csv_rows);

    let pdf_job = send(
        &app,
        json_request(
            Method::POST,
            &format!("{base}/exports"),
            &clerk,
            &json!({ "format": "pdf", "filter": { "classification": "000.1" } }),
        ),
    )
    .await;
    assert_eq!(pdf_job.status, StatusCode::ACCEPTED);
    let pdf_id = pdf_job.json()["id"].as_str().expect("id").to_owned();
    for _ in 0..400 {
        let s = send(&app, get(&format!("/api/v1/exports/{pdf_id}"), &clerk))
            .await
            .json();
        if s["state"] != "running" {
            assert_eq!(s["state"], "done", "{s}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let pdf = send(&app, get(&format!("/api/v1/exports/{pdf_id}/file"), &clerk)).await;
    assert!(pdf.bytes.starts_with(b"%PDF"));
    let pdf_text = serasi_pdf::table::text_layer(&pdf.bytes, 5);
    assert!(pdf_text.contains("AGENDA"), "{pdf_text}");
}

/// Opens the XLSX with Python's openpyxl, an independent reader, and
/// checks that it contains the same rows as the CSV.
fn compare_with_openpyxl(xlsx: &[u8], csv_rows: &[Vec<String>]) {
    let Ok(python) = std::env::var("SERASI_TEST_PYTHON") else {
        assert!(
            std::env::var("CI").is_err(),
            "SERASI_TEST_PYTHON is required in CI"
        );
        eprintln!("SERASI_TEST_PYTHON not set; skipping the openpyxl check");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("register.xlsx");
    std::fs::write(&path, xlsx).expect("write xlsx");
    let script = "import json, sys, openpyxl\n\
        wb = openpyxl.load_workbook(sys.argv[1], read_only=True)\n\
        ws = wb.worksheets[0]\n\
        rows = [[('' if c is None else str(c)) for c in r] for r in ws.iter_rows(values_only=True)]\n\
        print(json.dumps(rows[1:]))\n";
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xlsx_rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).expect("json rows");
    // The CSV neutralises formulas with an apostrophe; XLSX cells are
    // plain strings, never formulas.
    let plain: Vec<Vec<String>> = csv_rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.strip_prefix('\'').unwrap_or(c).to_owned())
                .collect()
        })
        .collect();
    assert_eq!(xlsx_rows, plain);
}
