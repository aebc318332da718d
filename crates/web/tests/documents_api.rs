//! The outgoing-document API on SQLite and PostgreSQL: every transition
//! and every rejection the workflow promises.

use axum::Router;
use axum::http::{Method, StatusCode, header};
use serasi_domain::user::Role;
use serasi_store::{NewUser, Store, test_both_backends};
use serde_json::{Value, json};

mod common;
use common::{get, json_request, org_id, send, setup, upload_file as upload};

test_both_backends!(
    draft_validation_and_conflicts,
    full_workflow_with_return,
    sign_rejections_and_double_click,
    delegations_over_api,
    attachments_over_api,
    review_findings_hold,
    kinds_are_configurable,
);

/// People in Diskominfo and Dinkes, each with a token.
struct Office {
    app: Router,
    admin: String,
    staff: String,
    kabid: String,
    sekdis: String,
    kadis: String,
    dinkes: String,
    outsider: String,
    positions: std::collections::HashMap<&'static str, String>,
}

const PASSWORD: &str = "kata-sandi-rahasia";

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
            &json!({ "identifier": nip, "name": format!("Pejabat {title}"), "organization_id": org_id }),
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
    let position_id = position.json()["id"].as_str().expect("id").to_owned();
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
    (position_id, token)
}

async fn office(store: Store) -> Office {
    let (app, admin) = setup(store.clone()).await;
    let (kadis_p, kadis) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DISKOMINFO",
            "Kepala Dinas",
            None,
            "197206201998031005",
            "kadis",
        ),
    )
    .await;
    let (kabid_p, kabid) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DISKOMINFO.APTIKA",
            "Kepala Bidang Aptika",
            Some(&kadis_p),
            "198507142010011012",
            "kabid",
        ),
    )
    .await;
    let (sekdis_p, sekdis) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DISKOMINFO.SEK",
            "Sekretaris Dinas",
            Some(&kadis_p),
            "198003082005012006",
            "sekdis",
        ),
    )
    .await;
    let (staff_p, staff) = person(
        &app,
        &store,
        &admin,
        Hire(
            "DISKOMINFO.APTIKA",
            "Pranata Komputer",
            Some(&kabid_p),
            "199203152019031007",
            "staff",
        ),
    )
    .await;
    let (dinkes_p, dinkes) = person(
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
            Some(&dinkes_p),
            "199001102015031003",
            "outsider",
        ),
    )
    .await;
    let positions = [
        ("kadis", kadis_p),
        ("kabid", kabid_p),
        ("sekdis", sekdis_p),
        ("staff", staff_p),
        ("dinkes", dinkes_p),
    ]
    .into_iter()
    .collect();
    Office {
        app,
        admin,
        staff,
        kabid,
        sekdis,
        kadis,
        dinkes,
        outsider,
        positions,
    }
}

fn nota(office: &Office) -> Value {
    json!({
        "kind": "nota_dinas",
        "classification": "000.1.2",
        "urgency": "segera",
        "subject": "Permintaan data kunjungan puskesmas",
        "body": "Dengan hormat,\n\n1. data kunjungan\n2. data rujukan\n\n<script>alert(1)</script>",
        "addressees": [{ "type": "position", "position_id": office.positions["dinkes"] }],
        "copies": [{ "type": "position", "position_id": office.positions["sekdis"] }],
        "coordinators": [office.positions["sekdis"]],
    })
}

async fn post(office: &Office, token: &str, uri: &str, body: &Value) -> common::Response {
    send(&office.app, json_request(Method::POST, uri, token, body)).await
}

async fn create(office: &Office, body: &Value) -> String {
    let created = post(office, &office.staff, "/api/v1/documents", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.json()["id"].as_str().expect("id").to_owned()
}

async fn document(office: &Office, token: &str, id: &str) -> Value {
    let response = send(&office.app, get(&format!("/api/v1/documents/{id}"), token)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

async fn draft_validation_and_conflicts(store: Store) {
    let office = office(store).await;
    let mut missing = nota(&office);
    missing["subject"] = json!("  ");
    let response = post(&office, &office.staff, "/api/v1/documents", &missing).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["field"], "subject");
    assert!(
        response.json()["message"]
            .as_str()
            .expect("msg")
            .contains("Hal")
    );

    let mut unknown_code = nota(&office);
    unknown_code["classification"] = json!("999.99");
    let response = post(&office, &office.staff, "/api/v1/documents", &unknown_code).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["field"], "classification");

    let mut nobody = nota(&office);
    nobody["addressees"] = json!([{ "type": "position", "position_id": uuid::Uuid::now_v7() }]);
    let response = post(&office, &office.staff, "/api/v1/documents", &nobody).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND, "{}", response.body);

    let mut no_addressee = nota(&office);
    no_addressee["addressees"] = json!([]);
    let response = post(&office, &office.staff, "/api/v1/documents", &no_addressee).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["field"], "addressees");

    let mut bad_signer = nota(&office);
    bad_signer["signer_position_id"] = json!(office.positions["kabid"]);
    let response = post(&office, &office.staff, "/api/v1/documents", &bad_signer).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert_eq!(response.json()["error"], "no_authority");

    // A body that is not the expected JSON gets a message in the caller's
    // language around the parser's detail.
    let broken = send(
        &office.app,
        json_request(
            Method::POST,
            "/api/v1/documents",
            &office.staff,
            &json!({ "kind": 5 }),
        ),
    )
    .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        broken.json()["message"]
            .as_str()
            .expect("msg")
            .starts_with("Isi permintaan")
    );

    // An administrator without an employee record cannot draft.
    let response = post(&office, &office.admin, "/api/v1/documents", &nota(&office)).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);

    let id = create(&office, &nota(&office)).await;
    let uri = format!("/api/v1/documents/{id}");
    let mut first = nota(&office);
    first["base_revision"] = json!(1);
    first["subject"] = json!("Perubahan dari tab pertama");
    let saved = send(
        &office.app,
        json_request(Method::PUT, &uri, &office.staff, &first),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["revision"], 2);
    let mut second = nota(&office);
    second["base_revision"] = json!(1);
    second["subject"] = json!("Perubahan dari tab kedua");
    let stale = send(
        &office.app,
        json_request(Method::PUT, &uri, &office.staff, &second),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.json()["current_revision"], 2);
    let doc = document(&office, &office.staff, &id).await;
    assert_eq!(doc["subject"], "Perubahan dari tab pertama");
    assert!(!doc["body_html"].as_str().expect("html").contains("<script"));
    assert_eq!(
        doc["reviews"][0]["position_id"],
        json!(office.positions["kabid"])
    );

    let compare = send(
        &office.app,
        get(&format!("{uri}/compare?from=1&to=2"), &office.staff),
    )
    .await;
    assert_eq!(compare.status, StatusCode::OK, "{}", compare.body);
    let subject = &compare.json()["subject"];
    assert_eq!(subject[0]["change"], "removed");
    assert_eq!(subject[1]["text"], "Perubahan dari tab pertama");
    let revisions = send(&office.app, get(&format!("{uri}/revisions"), &office.staff)).await;
    assert_eq!(revisions.json().as_array().expect("list").len(), 2);

    // Others neither see nor change it.
    let hidden = send(&office.app, get(&uri, &office.outsider)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let mut foreign = nota(&office);
    foreign["base_revision"] = json!(2);
    let response = send(
        &office.app,
        json_request(Method::PUT, &uri, &office.kabid, &foreign),
    )
    .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

async fn full_workflow_with_return(store: Store) {
    let office = office(store).await;
    let id = create(&office, &nota(&office)).await;
    let uri = format!("/api/v1/documents/{id}");
    let empty = json!({});
    // Signing a draft is refused with a message naming its state; the
    // signer does not even see a draft before it is submitted.
    let unseen = post(
        &office,
        &office.kadis,
        &format!("{uri}/sign"),
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(unseen.status, StatusCode::NOT_FOUND, "{}", unseen.body);
    let early = post(
        &office,
        &office.staff,
        &format!("{uri}/sign"),
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(early.json()["error"], "invalid_state");
    assert!(
        early.json()["message"]
            .as_str()
            .expect("msg")
            .contains("Konsep")
    );

    let submitted = post(&office, &office.staff, &format!("{uri}/submit"), &empty).await;
    assert_eq!(submitted.json()["state"], "in_review");
    let again = post(&office, &office.staff, &format!("{uri}/submit"), &empty).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // The author cannot initial; the head is not in the chain.
    let own = post(&office, &office.staff, &format!("{uri}/initial"), &empty).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    let head = post(&office, &office.kadis, &format!("{uri}/initial"), &empty).await;
    assert_eq!(head.status, StatusCode::FORBIDDEN);

    let queue = send(
        &office.app,
        get("/api/v1/documents?queue=to_initial", &office.kabid),
    )
    .await;
    assert_eq!(queue.json()["total"], 1);
    let kabid = post(
        &office,
        &office.kabid,
        &format!("{uri}/initial"),
        &json!({ "comment": "Setuju" }),
    )
    .await;
    assert_eq!(kabid.json()["state"], "in_review", "{}", kabid.body);
    let twice = post(&office, &office.kabid, &format!("{uri}/initial"), &empty).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(
        twice.json()["message"]
            .as_str()
            .expect("msg")
            .contains("sudah memaraf")
    );
    let no_comment = post(
        &office,
        &office.sekdis,
        &format!("{uri}/return"),
        &json!({ "comment": " " }),
    )
    .await;
    assert_eq!(no_comment.status, StatusCode::UNPROCESSABLE_ENTITY);
    let returned = post(
        &office,
        &office.sekdis,
        &format!("{uri}/return"),
        &json!({ "comment": "Lengkapi periode data" }),
    )
    .await;
    assert_eq!(returned.json()["state"], "returned");

    let mut changed = nota(&office);
    changed["base_revision"] = json!(1);
    changed["body"] = json!("Dengan hormat,\n\nmohon data Januari sampai November 2026.");
    let saved = send(
        &office.app,
        json_request(Method::PUT, &uri, &office.staff, &changed),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    post(&office, &office.staff, &format!("{uri}/submit"), &empty).await;
    // The change restarts the chain at the Kepala Bidang.
    let doc = document(&office, &office.staff, &id).await;
    assert_eq!(doc["reviews"][0]["status"], "pending");
    post(&office, &office.kabid, &format!("{uri}/initial"), &empty).await;
    let last = post(&office, &office.sekdis, &format!("{uri}/initial"), &empty).await;
    assert_eq!(last.json()["state"], "ready_to_sign");

    let counts = send(&office.app, get("/api/v1/documents/counts", &office.kadis)).await;
    assert_eq!(counts.json()["to_sign"], 1);
    let signed = post(
        &office,
        &office.kadis,
        &format!("{uri}/sign"),
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let number = signed.json()["number"].as_str().expect("number").to_owned();
    assert!(number.starts_with("000.1.2/001/ND/DISKOMINFO/"), "{number}");

    // The addressee finds it unread, then opens it.
    let inbox = send(
        &office.app,
        get("/api/v1/documents?queue=inbox", &office.dinkes),
    )
    .await;
    assert_eq!(inbox.json()["items"][0]["read_at"], Value::Null);
    assert_eq!(inbox.json()["items"][0]["is_copy"], false);
    let copy = send(
        &office.app,
        get("/api/v1/documents?queue=inbox", &office.sekdis),
    )
    .await;
    assert_eq!(copy.json()["items"][0]["is_copy"], true);
    document(&office, &office.dinkes, &id).await;
    let sender_view = document(&office, &office.staff, &id).await;
    let deliveries = sender_view["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries[0]["read_at"].is_i64());
    assert!(deliveries[1]["read_at"].is_null());
    let actions: Vec<&str> = sender_view["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "create", "submit", "initial", "return", "edit", "submit", "initial", "initial",
            "sign", "read"
        ]
    );
    assert_eq!(sender_view["signature_block"], json!(["Kepala Dinas,"]));

    // Cancelling keeps the number in the log.
    let no_reason = post(
        &office,
        &office.kadis,
        &format!("{uri}/cancel"),
        &json!({ "reason": "" }),
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cancelled = post(
        &office,
        &office.kadis,
        &format!("{uri}/cancel"),
        &json!({ "reason": "Salah tujuan" }),
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let twice = post(
        &office,
        &office.kadis,
        &format!("{uri}/cancel"),
        &json!({ "reason": "lagi" }),
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let org = org_id(&office.app, &office.admin, "DISKOMINFO").await;
    let log = send(
        &office.app,
        get(
            &format!("/api/v1/organizations/{org}/cancelled-numbers"),
            &office.admin,
        ),
    )
    .await;
    assert_eq!(log.json()[0]["number"], json!(number));
}

async fn sign_rejections_and_double_click(store: Store) {
    let office = office(store).await;
    let mut direct = nota(&office);
    direct["reviewers"] = json!([]);
    direct["coordinators"] = json!([]);
    direct["addressees"].as_array_mut().expect("list").push(
        json!({ "type": "external", "name": "PT Telkom Ungaran", "address": "Jl. Gatot Subroto" }),
    );
    let id = create(&office, &direct).await;
    let uri = format!("/api/v1/documents/{id}");
    let submitted = post(&office, &office.staff, &format!("{uri}/submit"), &json!({})).await;
    assert_eq!(submitted.json()["state"], "ready_to_sign");
    let sign = format!("{uri}/sign");
    let unconfirmed = post(&office, &office.kadis, &sign, &json!({})).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The installation's own CA needs the password to unlock the key.
    assert_eq!(unconfirmed.json()["error"], "password_required");
    let wrong = post(
        &office,
        &office.kadis,
        &sign,
        &json!({ "password": "salah-sekali" }),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let outsider = post(
        &office,
        &office.kabid,
        &sign,
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    let not_signer = post(
        &office,
        &office.staff,
        &sign,
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(
        not_signer.status,
        StatusCode::FORBIDDEN,
        "{}",
        not_signer.body
    );
    let future = post(
        &office,
        &office.kadis,
        &sign,
        &json!({ "password": PASSWORD, "letter_date": "2099-01-01" }),
    )
    .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(future.json()["field"], "letter_date");
    let doc = document(&office, &office.staff, &id).await;
    assert_eq!(doc["state"], "ready_to_sign");
    assert_eq!(doc["number"], Value::Null);

    // A double click: two requests at once give one signature.
    let body = json!({ "password": PASSWORD });
    let (a, b) = tokio::join!(
        post(&office, &office.kadis, &sign, &body),
        post(&office, &office.kadis, &sign, &body)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} {}",
        a.body,
        b.body
    );
    let inbox = send(
        &office.app,
        get("/api/v1/documents?queue=inbox", &office.dinkes),
    )
    .await;
    assert_eq!(inbox.json()["total"], 1);
    let org = org_id(&office.app, &office.admin, "DISKOMINFO").await;
    let register = send(
        &office.app,
        get(
            &format!("/api/v1/organizations/{org}/dispatch"),
            &office.admin,
        ),
    )
    .await;
    assert_eq!(
        register.json()[0]["name"],
        "PT Telkom Ungaran",
        "{}",
        register.body
    );
    let denied = send(
        &office.app,
        get(
            &format!("/api/v1/organizations/{org}/dispatch"),
            &office.staff,
        ),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // A typed number that is taken points at the document holding it.
    let number = document(&office, &office.staff, &id).await["number"]
        .as_str()
        .expect("number")
        .to_owned();
    let other = create(&office, &direct).await;
    post(
        &office,
        &office.staff,
        &format!("/api/v1/documents/{other}/submit"),
        &json!({}),
    )
    .await;
    let conflict = post(
        &office,
        &office.kadis,
        &format!("/api/v1/documents/{other}/sign"),
        &json!({ "password": PASSWORD, "manual_number": number }),
    )
    .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.body);
    assert_eq!(conflict.json()["link"], json!(format!("/letters/{id}")));
    let filters = send(
        &office.app,
        get(
            "/api/v1/documents?queue=inbox&urgency=kilat",
            &office.dinkes,
        ),
    )
    .await;
    assert_eq!(filters.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_queue = send(
        &office.app,
        get("/api/v1/documents?queue=trash", &office.dinkes),
    )
    .await;
    assert_eq!(unknown_queue.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn delegations_over_api(store: Store) {
    let office = office(store).await;
    let (app, admin) = (&office.app, office.admin.as_str());
    let create = |body: Value| async move {
        send(
            app,
            json_request(Method::POST, "/api/v1/delegations", admin, &body),
        )
        .await
    };
    let too_long = create(json!({
        "kind": "plh", "principal_id": office.positions["kadis"],
        "delegate_employee_id": uuid::Uuid::now_v7(), "decree_number": "800/1/2026",
        "starts_on": "2026-12-01", "ends_on": "2027-03-15"
    }))
    .await;
    assert_eq!(
        too_long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_long.body
    );
    assert_eq!(too_long.json()["field"], "ends_on");
    let orphan = create(json!({
        "kind": "ub", "principal_id": office.positions["sekdis"],
        "delegate_position_id": office.positions["staff"], "decree_number": "800/2/2026",
        "starts_on": "2026-12-01", "ends_on": "2026-12-31"
    }))
    .await;
    assert_eq!(orphan.status, StatusCode::UNPROCESSABLE_ENTITY);
    let by_employee = post(
        &office,
        &office.staff,
        "/api/v1/delegations",
        &json!({ "kind": "an", "decree_number": "800/9/2026" }),
    )
    .await;
    assert_eq!(by_employee.status, StatusCode::FORBIDDEN);
    // An a.n. that has expired does not let the Sekretaris sign.
    let expired = create(json!({
        "kind": "an", "principal_id": office.positions["kadis"],
        "delegate_position_id": office.positions["sekdis"], "decree_number": "800/3/2026",
        "starts_on": "2026-01-01", "ends_on": "2026-01-31"
    }))
    .await;
    assert_eq!(expired.status, StatusCode::CREATED, "{}", expired.body);
    let mut by_sekdis = nota(&office);
    by_sekdis["signer_position_id"] = json!(office.positions["sekdis"]);
    by_sekdis["coordinators"] = json!([]);
    let rejected_draft = post(&office, &office.staff, "/api/v1/documents", &by_sekdis).await;
    assert_eq!(
        rejected_draft.status,
        StatusCode::FORBIDDEN,
        "{}",
        rejected_draft.body
    );
    assert!(
        rejected_draft.json()["message"]
            .as_str()
            .expect("msg")
            .contains("800/3/2026")
    );
    let list = send(&office.app, get("/api/v1/delegations", &office.staff)).await;
    assert_eq!(list.json().as_array().expect("list").len(), 1);
    let id = expired.json()["id"].as_str().expect("id").to_owned();
    let removed = send(
        &office.app,
        json_request(
            Method::DELETE,
            &format!("/api/v1/delegations/{id}"),
            &office.admin,
            &json!({}),
        ),
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let _ = (&office.kabid, &office.dinkes);
}

async fn attachments_over_api(store: Store) {
    let office = office(store).await;
    let id = create(&office, &nota(&office)).await;
    let uri = format!("/api/v1/documents/{id}/attachments");
    let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n";
    let added = send(
        &office.app,
        upload(&uri, &office.staff, "Jadwal rapat.pdf", pdf),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.json()["content_type"], "application/pdf");
    let seq = added.json()["seq"].as_i64().expect("seq");
    for (name, bytes) in [
        ("x.php", b"<?php echo 1; ?>".as_slice()),
        ("x.php.jpg", b"<?php echo 1; ?>".as_slice()),
        (
            "surat.pdf",
            b"<html><script>alert(1)</script></html>".as_slice(),
        ),
        ("kosong.pdf", b"".as_slice()),
    ] {
        let rejected = send(&office.app, upload(&uri, &office.staff, name, bytes)).await;
        assert_eq!(
            rejected.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            rejected.body
        );
        assert_eq!(rejected.json()["field"], "file");
    }
    let other = send(&office.app, upload(&uri, &office.kabid, "a.pdf", pdf)).await;
    assert_eq!(
        other.status,
        StatusCode::NOT_FOUND,
        "a stranger cannot see the draft"
    );
    let file_uri = format!("{uri}/{seq}");
    let download = send(&office.app, get(&file_uri, &office.staff)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body.as_bytes(), pdf);
    assert!(
        download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    let doc = document(&office, &office.staff, &id).await;
    assert_eq!(doc["attachments"].as_array().expect("list").len(), 1);
    let hidden = send(&office.app, get(&file_uri, &office.outsider)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    // Once submitted the draft is closed for files.
    post(
        &office,
        &office.staff,
        &format!("/api/v1/documents/{id}/submit"),
        &json!({}),
    )
    .await;
    let late = send(&office.app, upload(&uri, &office.staff, "b.pdf", pdf)).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let removed = send(
        &office.app,
        json_request(Method::DELETE, &file_uri, &office.staff, &json!({})),
    )
    .await;
    assert_eq!(removed.status, StatusCode::CONFLICT);
    // The reviewer can download the file too.
    let reviewer = send(&office.app, get(&file_uri, &office.kabid)).await;
    assert_eq!(reviewer.status, StatusCode::OK);
}

/// Cases an attacker and a newcomer tried: hidden documents stay hidden,
/// the chain follows the edited draft, and numbering cannot repeat.
async fn review_findings_hold(store: Store) {
    let office = office(store.clone()).await;
    // A confidential letter, signed.
    let mut secret = nota(&office);
    secret["security"] = json!("rahasia");
    secret["reviewers"] = json!([]);
    secret["coordinators"] = json!([]);
    secret["addressees"]
        .as_array_mut()
        .expect("list")
        .push(json!({ "type": "external", "name": "Kejaksaan Negeri", "address": "Ungaran" }));
    let id = create(&office, &secret).await;
    let uri = format!("/api/v1/documents/{id}");
    post(&office, &office.staff, &format!("{uri}/submit"), &json!({})).await;
    let signed = post(
        &office,
        &office.kadis,
        &format!("{uri}/sign"),
        &json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    // An administrator with an employee record can neither read nor cancel it.
    let admin_employee = send(
        &office.app,
        json_request(
            Method::POST,
            "/api/v1/employees",
            &office.admin,
            &json!({ "identifier": "198801012010011001", "name": "Admin Pegawai",
                     "organization_id": org_id(&office.app, &office.admin, "DISKOMINFO.SEK").await }),
        ),
    )
    .await;
    let admin_user = store
        .create_user(&NewUser {
            username: "admin.pegawai",
            password: PASSWORD,
            role: Role::Admin,
            employee_id: Some(
                admin_employee.json()["id"]
                    .as_str()
                    .expect("id")
                    .parse()
                    .expect("uuid"),
            ),
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("admin user");
    let (_, admin2) = store
        .create_api_token(admin_user.id, "t")
        .await
        .expect("token");
    let hidden = send(&office.app, get(&uri, &admin2)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let cancel = post(
        &office,
        &admin2,
        &format!("{uri}/cancel"),
        &json!({ "reason": "x" }),
    )
    .await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND, "{}", cancel.body);
    // The dispatch register hides the subject, and other units' clerks get nothing.
    let org = org_id(&office.app, &office.admin, "DISKOMINFO").await;
    let register = send(
        &office.app,
        get(
            &format!("/api/v1/organizations/{org}/dispatch"),
            &office.admin,
        ),
    )
    .await;
    assert_eq!(register.json()[0]["subject"], "", "{}", register.body);
    // A clerk keeps the registers of their agency, not the regency's.
    let clerk_employee = send(
        &office.app,
        json_request(
            Method::POST,
            "/api/v1/employees",
            &office.admin,
            &json!({ "identifier": "199005052015031002", "name": "Pengadministrasi Persuratan",
                     "organization_id": org_id(&office.app, &office.admin, "DISKOMINFO.SEK").await }),
        ),
    )
    .await;
    let clerk = store
        .create_user(&NewUser {
            username: "clerk.kominfo",
            password: PASSWORD,
            role: Role::Clerk,
            employee_id: Some(
                clerk_employee.json()["id"]
                    .as_str()
                    .expect("id")
                    .parse()
                    .expect("uuid"),
            ),
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("clerk");
    let (_, clerk) = store.create_api_token(clerk.id, "t").await.expect("token");
    let own = send(
        &office.app,
        get(&format!("/api/v1/organizations/{org}/dispatch"), &clerk),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let regency = org_id(&office.app, &office.admin, "33.22").await;
    let above = send(
        &office.app,
        get(&format!("/api/v1/organizations/{regency}/dispatch"), &clerk),
    )
    .await;
    assert_eq!(above.status, StatusCode::FORBIDDEN);
    // A recipient reads the letter but not its drafting history.
    let revisions = send(
        &office.app,
        get(&format!("{uri}/revisions"), &office.dinkes),
    )
    .await;
    assert_eq!(revisions.status, StatusCode::NOT_FOUND);
    let recipient_view = document(&office, &office.dinkes, &id).await;
    let actions: Vec<&str> = recipient_view["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["sign"]);
    // Someone outside the letter learns nothing from the action endpoints.
    let probe = post(
        &office,
        &office.outsider,
        &format!("{uri}/initial"),
        &json!({}),
    )
    .await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{}", probe.body);

    // The chain follows the edited draft after a return.
    let draft = create(&office, &nota(&office)).await;
    let draft_uri = format!("/api/v1/documents/{draft}");
    post(
        &office,
        &office.staff,
        &format!("{draft_uri}/submit"),
        &json!({}),
    )
    .await;
    post(
        &office,
        &office.kabid,
        &format!("{draft_uri}/initial"),
        &json!({}),
    )
    .await;
    post(
        &office,
        &office.sekdis,
        &format!("{draft_uri}/return"),
        &json!({ "comment": "Tanpa koordinasi" }),
    )
    .await;
    let mut fewer = nota(&office);
    fewer["coordinators"] = json!([]);
    fewer["base_revision"] = json!(1);
    let saved = send(
        &office.app,
        json_request(Method::PUT, &draft_uri, &office.staff, &fewer),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let resubmitted = post(
        &office,
        &office.staff,
        &format!("{draft_uri}/submit"),
        &json!({}),
    )
    .await;
    assert_eq!(resubmitted.json()["state"], "in_review");
    let chain = document(&office, &office.staff, &draft).await["reviews"].clone();
    assert_eq!(chain.as_array().expect("chain").len(), 1, "{chain}");
    let removed = post(
        &office,
        &office.sekdis,
        &format!("{draft_uri}/initial"),
        &json!({}),
    )
    .await;
    assert_eq!(removed.status, StatusCode::NOT_FOUND, "{}", removed.body);

    // A kind whose series scope would repeat numbers is refused.
    let kind = send(&office.app, get("/api/v1/document-kinds", &office.admin))
        .await
        .json();
    let mut nota_kind = kind
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["code"] == "nota_dinas")
        .cloned()
        .expect("nota dinas");
    nota_kind["series_scope"] = json!("organization");
    let changed = send(
        &office.app,
        json_request(
            Method::PUT,
            "/api/v1/document-kinds/nota_dinas",
            &office.admin,
            &nota_kind,
        ),
    )
    .await;
    assert_eq!(
        changed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        changed.body
    );
    nota_kind["series_scope"] = json!("kind");
    nota_kind["number_template"] = json!("{serial:03}/{kind}");
    let yearless = send(
        &office.app,
        json_request(
            Method::PUT,
            "/api/v1/document-kinds/nota_dinas",
            &office.admin,
            &nota_kind,
        ),
    )
    .await;
    assert_eq!(yearless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        yearless.json()["message"]
            .as_str()
            .expect("msg")
            .contains("{year}")
    );
}

async fn kinds_are_configurable(store: Store) {
    let office = office(store).await;
    let new_kind = json!({
        "code": "surat_izin", "name": "Surat Izin", "abbreviation": "SIZ",
        "layout": "letter", "signer_level": "agency_head",
        "number_template": "{classification}/{serial:03}/{kind}/{unit}/{year}",
        "series_scope": "kind"
    });
    let created = post(&office, &office.admin, "/api/v1/document-kinds", &new_kind).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.json()["active"], true);
    let twice = post(&office, &office.admin, "/api/v1/document-kinds", &new_kind).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let mut bad_code = new_kind.clone();
    bad_code["code"] = json!("Surat Izin!");
    let rejected = post(&office, &office.admin, "/api/v1/document-kinds", &bad_code).await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rejected.json()["field"], "code");
    let mut same_abbreviation = new_kind.clone();
    same_abbreviation["code"] = json!("surat_izin_2");
    same_abbreviation["abbreviation"] = json!("ND");
    let clash = post(
        &office,
        &office.admin,
        "/api/v1/document-kinds",
        &same_abbreviation,
    )
    .await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
    same_abbreviation["abbreviation"] = json!("nd");
    let lowercase = post(
        &office,
        &office.admin,
        "/api/v1/document-kinds",
        &same_abbreviation,
    )
    .await;
    assert_eq!(lowercase.status, StatusCode::CONFLICT, "{}", lowercase.body);
    let by_staff = post(&office, &office.staff, "/api/v1/document-kinds", &new_kind).await;
    assert_eq!(by_staff.status, StatusCode::FORBIDDEN);
    // The new kind can be drafted; a retired kind cannot.
    let mut izin = nota(&office);
    izin["kind"] = json!("surat_izin");
    create(&office, &izin).await;
    let mut retired = new_kind.clone();
    retired["active"] = json!(false);
    let changed = send(
        &office.app,
        json_request(
            Method::PUT,
            "/api/v1/document-kinds/surat_izin",
            &office.admin,
            &retired,
        ),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let rejected_draft = post(&office, &office.staff, "/api/v1/documents", &izin).await;
    assert_eq!(
        rejected_draft.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        rejected_draft.body
    );
}
