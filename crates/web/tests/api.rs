//! HTTP tests of the router on SQLite and PostgreSQL, without a socket.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serasi_store::{Store, test_both_backends};
use serde_json::{Value, json};

mod common;
use common::{Response, get, json_request, org_id, send, setup};

test_both_backends!(
    health_ready_and_metrics,
    api_requires_a_token,
    employee_validation_over_api,
    position_cycle_over_api,
    organization_errors_over_api,
    import_xlsx_all_or_nothing,
    token_login_and_lockout,
    form_login_language_and_csrf,
    database_failure_is_opaque,
    redirects_stay_on_site,
    control_characters_rejected,
    security_headers_and_errors,
    one_time_password_must_change,
    totp_code_works_once,
    password_change_is_throttled,
    profile_and_audit_endpoints,
    one_time_password_blocks_api,
    totp_guessing_locks_account,
    directory_rules_over_api,
    hostile_spreadsheets_rejected,
);

async fn health_ready_and_metrics(store: Store) {
    let (app, _) = setup(store).await;
    let health = send(
        &app,
        Request::get("/healthz").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = send(
        &app,
        Request::get("/readyz").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(ready.status, StatusCode::OK);
    assert!(
        ready.headers.contains_key("x-request-id"),
        "request id echoed"
    );
    let metrics = send(
        &app,
        Request::get("/metrics").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.body.contains("http_requests_total"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("route=\"/readyz\""),
        "route template label"
    );
}

async fn api_requires_a_token(store: Store) {
    let (app, _) = setup(store).await;
    let anonymous = send(
        &app,
        Request::get("/api/v1/me").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["error"], "unauthorized");
    let forged = send(&app, get("/api/v1/me", "srs_nope")).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let spec = send(
        &app,
        Request::get("/api/v1/openapi.json")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(spec.status, StatusCode::OK);
    assert_eq!(
        spec.json()["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
}

async fn employee_validation_over_api(store: Store) {
    let (app, token) = setup(store).await;
    let org = org_id(&app, &token, "DISKOMINFO").await;
    let bad =
        json!({ "identifier": "19861326 201505 1 001", "name": "Ani", "organization_id": org });
    let rejected = send(
        &app,
        json_request(Method::POST, "/api/v1/employees", &token, &bad),
    )
    .await;
    assert_eq!(
        rejected.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        rejected.body
    );
    assert_eq!(rejected.json()["field"], "identifier");
    assert!(
        rejected.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("19861326"),
        "{}",
        rejected.body
    );

    let good = json!({ "identifier": "19860926 201505 1 001", "name": "Ani", "rank": "III/a", "organization_id": org });
    let created = send(
        &app,
        json_request(Method::POST, "/api/v1/employees", &token, &good),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.json()["rank_title"], "Penata Muda");

    let duplicate = send(
        &app,
        json_request(Method::POST, "/api/v1/employees", &token, &good),
    )
    .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.json()["field"], "identifier");

    let found = send(&app, get("/api/v1/employees?q=ANI", &token))
        .await
        .json();
    assert_eq!(found["total"], 1);

    let malformed = Request::post("/api/v1/employees")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": "))
        .expect("req");
    assert_eq!(send(&app, malformed).await.status, StatusCode::BAD_REQUEST);
}

async fn position_cycle_over_api(store: Store) {
    let (app, token) = setup(store).await;
    let org = org_id(&app, &token, "DINKES").await;
    let head = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/positions",
            &token,
            &json!({ "organization_id": org, "name": "Kepala Dinas" }),
        ),
    )
    .await
    .json();
    let deputy = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/positions",
            &token,
            &json!({ "organization_id": org, "name": "Sekretaris", "parent_id": head["id"] }),
        ),
    )
    .await
    .json();
    let uri = format!("/api/v1/positions/{}", head["id"].as_str().expect("id"));
    let cycle = send(
        &app,
        json_request(
            Method::PUT,
            &uri,
            &token,
            &json!({ "organization_id": org, "name": "Kepala Dinas", "parent_id": deputy["id"] }),
        ),
    )
    .await;
    assert_eq!(
        cycle.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        cycle.body
    );
    assert_eq!(cycle.json()["field"], "parent");
    let unchanged = send(&app, get(&uri, &token)).await.json();
    assert_eq!(
        unchanged["parent_id"],
        Value::Null,
        "failed update changed nothing"
    );
}

async fn organization_errors_over_api(store: Store) {
    let (app, token) = setup(store).await;
    let unknown_parent = json!({ "code": "X", "name": "Dinas X", "kind": "agency", "parent_id": "0190f5b2-0000-7000-8000-000000000000" });
    let r = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/organizations",
            &token,
            &unknown_parent,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let regency = org_id(&app, &token, "33.22").await;
    let bad_kind =
        json!({ "code": "X", "name": "Dinas X", "kind": "kingdom", "parent_id": regency });
    let r = send(
        &app,
        json_request(Method::POST, "/api/v1/organizations", &token, &bad_kind),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let village_under_regency =
        json!({ "code": "X", "name": "Desa X", "kind": "village", "parent_id": regency });
    let r = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/organizations",
            &token,
            &village_under_regency,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "parent");
}

fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (
                u32::try_from(r).expect("row"),
                u16::try_from(c).expect("col"),
            );
            sheet.write_string(r, c, *cell).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn multipart(token: &str, kind: &str, file: &[u8]) -> Request<Body> {
    let boundary = "serasi-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"data.xlsx\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/api/v1/import")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("req")
}

async fn import_xlsx_all_or_nothing(store: Store) {
    let (app, token) = setup(store).await;
    let header: &[&str] = &["identifier", "name", "rank", "organization_code"];
    let bad = xlsx(&[
        header,
        &["198609262015051001", "Ani", "III/a", "DISKOMINFO"],
        &["198609262015051002", "Budi", "III/x", "DISKOMINFO"],
        &["198609262015051003", "Cici", "II/a", "NOWHERE"],
    ]);
    let r = send(&app, multipart(&token, "employees", &bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let rows = r.json()["rows"].clone();
    assert_eq!(rows[0]["line"], 3);
    assert_eq!(rows[0]["column"], "rank");
    assert_eq!(rows[1]["line"], 4);
    assert_eq!(rows[1]["column"], "organization_code");
    let none = send(&app, get("/api/v1/employees", &token)).await.json();
    assert_eq!(none["total"], 0, "no partial import");

    let good = xlsx(&[
        header,
        &["198609262015051001", "Ani", "III/a", "DISKOMINFO"],
        &["198609262015051002", "Budi", "", "DINKES"],
    ]);
    let r = send(&app, multipart(&token, "employees", &good)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["created"], 2);

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, title) in ["identifier", "name", "organization_code"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string(0, u16::try_from(c).expect("col"), *title)
            .expect("cell");
    }
    sheet
        .write_number(1, 0, 198_609_262_015_051_001.0)
        .expect("cell");
    sheet.write_string(1, 1, "Dodi").expect("cell");
    sheet.write_string(1, 2, "DINKES").expect("cell");
    let numeric = book.save_to_buffer().expect("xlsx");
    let r = send(&app, multipart(&token, "employees", &numeric)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["rows"][0]["line"], 2);
    assert_eq!(r.json()["rows"][0]["column"], "A");

    let garbage = send(
        &app,
        multipart(&token, "employees", b"PK\x03\x04not really a zip"),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    let oversized = vec![b'a'; 11 * 1024 * 1024];
    let too_big = send(&app, multipart(&token, "employees", &oversized)).await;
    assert_eq!(
        too_big.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        too_big.body
    );
}

async fn token_login_and_lockout(store: Store) {
    let (app, _) = setup(store).await;
    let login = |password: &str| {
        Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "username": "admin", "password": password, "name": "cli" }).to_string(),
            ))
            .expect("req")
    };
    let ok = send(&app, login("kata-sandi-admin")).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let token = ok.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        send(&app, get("/api/v1/me", &token)).await.json()["role"],
        "admin"
    );

    for _ in 0..5 {
        assert_eq!(
            send(&app, login("salah")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = send(&app, login("kata-sandi-admin")).await;
    assert_eq!(locked.status, StatusCode::LOCKED, "{}", locked.body);
    assert!(
        locked.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("WIB"),
        "{}",
        locked.body
    );
}

fn form(uri: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::from(body.to_owned())).expect("req")
}

async fn form_login_language_and_csrf(store: Store) {
    let (app, _) = setup(store).await;
    let wrong = send(&app, form("/login", "username=admin&password=salah", None)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.body.contains("Nama pengguna atau kata sandi salah"),
        "Indonesian by default"
    );

    let ok = send(
        &app,
        form(
            "/login",
            "username=admin&password=kata-sandi-admin&next=%2Fdirectory",
            None,
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers[header::LOCATION], "/directory");
    let set_cookie = ok
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("serasi_session="))
        .expect("session cookie");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let session = set_cookie.split(';').next().expect("pair").to_owned();

    let page = send(
        &app,
        Request::get("/directory")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Kecamatan Tengaran"));
    assert!(page.body.contains(">Direktori<"));
    let english = format!("{session}; serasi_lang=en");
    let page = send(
        &app,
        Request::get("/directory")
            .header(header::COOKIE, &english)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert!(page.body.contains(">Directory<"), "English switch");
    assert!(page.body.contains("<html lang=\"en\">"));

    let open_redirect = send(
        &app,
        form(
            "/login",
            "username=admin&password=kata-sandi-admin&next=%2F%2Fevil.example",
            None,
        ),
    )
    .await;
    assert_eq!(
        open_redirect.headers[header::LOCATION],
        "/",
        "external redirect refused"
    );

    let mut cross_site = form("/lang", "locale=en", Some(&session));
    cross_site
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().expect("header"));
    assert_eq!(
        send(&app, cross_site).await.status,
        StatusCode::FORBIDDEN,
        "cross-site form post rejected"
    );
    let mut foreign_origin = form("/logout", "", Some(&session));
    foreign_origin
        .headers_mut()
        .insert("origin", "https://evil.example".parse().expect("header"));
    foreign_origin
        .headers_mut()
        .insert(header::HOST, "serasi.local".parse().expect("header"));
    assert_eq!(
        send(&app, foreign_origin).await.status,
        StatusCode::FORBIDDEN
    );

    let logout = send(&app, form("/logout", "", Some(&session))).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    let after = send(
        &app,
        Request::get("/directory")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "session ended");
}

async fn database_failure_is_opaque(store: Store) {
    let (app, token) = setup(store.clone()).await;
    store.close().await;
    let r = send(&app, get("/api/v1/organizations", &token)).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = r.headers["x-request-id"].to_str().expect("id").to_owned();
    assert!(r.body.contains(&request_id), "{}", r.body);
    assert!(
        !r.body.to_lowercase().contains("pool"),
        "no database detail: {}",
        r.body
    );
}

/// Returns the `name=value` pair of the session cookie a response sets.
fn session_cookie(response: &Response) -> String {
    response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("serasi_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned()
}

fn location(response: &Response) -> &str {
    response.headers[header::LOCATION]
        .to_str()
        .expect("location")
}

async fn redirects_stay_on_site(store: Store) {
    let (app, _) = setup(store).await;
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
    ] {
        let body = format!("username=admin&password=kata-sandi-admin&next={next}");
        let r = send(&app, form("/login", &body, None)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "next={next}");
        assert_eq!(location(&r), "/", "next={next}");
        let r = send(&app, form("/lang", &format!("locale=en&next={next}"), None)).await;
        assert_eq!(location(&r), "/", "lang next={next}");
    }
    let r = send(
        &app,
        form(
            "/login",
            "username=admin&password=kata-sandi-admin&next=%2Fpeople%3Fq%3Dani",
            None,
        ),
    )
    .await;
    assert_eq!(location(&r), "/people?q=ani");
    let page = send(
        &app,
        Request::get("/login?next=%2Fpeople")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert!(
        page.body.contains("name=\"next\" value=\"/people\""),
        "login form keeps next"
    );
}

async fn control_characters_rejected(store: Store) {
    let (app, token) = setup(store).await;
    let login = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "username": "ad\u{0}min", "password": "x", "name": "t" }).to_string(),
        ))
        .expect("req");
    assert_eq!(send(&app, login).await.status, StatusCode::UNAUTHORIZED);
    let search = send(&app, get("/api/v1/employees?q=a%00b", &token)).await;
    assert_eq!(search.status, StatusCode::OK, "{}", search.body);
    let codes = send(&app, get("/api/v1/classifications?q=%00", &token)).await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.body);
    let org = org_id(&app, &token, "DINKES").await;
    let bad =
        json!({ "identifier": "198609262015051001", "name": "A\u{0}B", "organization_id": org });
    let r = send(
        &app,
        json_request(Method::POST, "/api/v1/employees", &token, &bad),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["field"], "name");
    let form_login = send(&app, form("/login", "username=ad%00min&password=x", None)).await;
    assert_eq!(form_login.status, StatusCode::UNAUTHORIZED);
}

async fn security_headers_and_errors(store: Store) {
    let (app, token) = setup(store).await;
    let page = send(
        &app,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    let anonymous = send(
        &app,
        Request::get("/api/v1/me").body(Body::empty()).expect("req"),
    )
    .await;
    assert!(anonymous.headers.contains_key(header::WWW_AUTHENTICATE));
    let lower = Request::get("/api/v1/me")
        .header(header::AUTHORIZATION, format!("bearer {token}"))
        .body(Body::empty())
        .expect("req");
    assert_eq!(
        send(&app, lower).await.status,
        StatusCode::OK,
        "scheme is case-insensitive"
    );

    let bad_id = send(&app, get("/api/v1/organizations/not-a-uuid", &token)).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_id.json()["error"], "bad_request");
    let unknown = send(&app, get("/api/v1/nothing-here", &token)).await;
    assert_eq!(unknown.json()["error"], "not_found");

    let english = Request::get("/login")
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.8")
        .body(Body::empty())
        .expect("req");
    assert!(send(&app, english).await.body.contains("Log in to Serasi"));

    let odd = Request::builder()
        .method("FOOBAR")
        .uri("/healthz")
        .body(Body::empty())
        .expect("req");
    send(&app, odd).await;
    let metrics = send(
        &app,
        Request::get("/metrics").body(Body::empty()).expect("req"),
    )
    .await;
    assert!(
        !metrics.body.contains("FOOBAR"),
        "odd methods are not labels"
    );
}

async fn one_time_password_must_change(store: Store) {
    let (app, token) = setup(store).await;
    let created = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/users",
            &token,
            &json!({ "username": "sari", "role": "clerk" }),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let one_time = created.json()["one_time_password"]
        .as_str()
        .expect("password")
        .to_owned();

    let login = send(
        &app,
        form(
            "/login",
            &format!("username=sari&password={one_time}"),
            None,
        ),
    )
    .await;
    assert_eq!(
        location(&login),
        "/account",
        "one-time password leads to the account page"
    );
    let session = session_cookie(&login);
    let blocked = send(
        &app,
        Request::get("/directory")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(
        location(&blocked),
        "/account",
        "other pages wait for the new password"
    );

    let same = send(
        &app,
        form(
            "/account/password",
            &format!("current={one_time}&new_password={one_time}"),
            Some(&session),
        ),
    )
    .await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = send(
        &app,
        form(
            "/account/password",
            &format!("current={one_time}&new_password=kata-sandi-sari"),
            Some(&session),
        ),
    )
    .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let open = send(
        &app,
        Request::get("/directory")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(
        open.status,
        StatusCode::OK,
        "own session survives the change"
    );
}

/// Computes the RFC 6238 code for `secret` at `time` with the same library
/// the server uses.
fn totp_code(secret: &str, time: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32");
    totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Serasi".into()),
        "admin".into(),
    )
    .expect("totp")
    .generate(time)
}

async fn totp_code_works_once(store: Store) {
    let (app, _) = setup(store.clone()).await;
    let admin = store
        .user_by_username("admin")
        .await
        .expect("q")
        .expect("admin");
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    store
        .set_totp_secret(admin.id, Some(secret))
        .await
        .expect("totp on");
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).expect("time");
    let code = totp_code(secret, now);
    let login = |totp: &str| {
        Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "username": "admin", "password": "kata-sandi-admin", "totp": totp, "name": "t" }).to_string()))
            .expect("req")
    };
    let missing = send(&app, login("")).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json()["field"], "totp");
    assert_eq!(send(&app, login(&code)).await.status, StatusCode::CREATED);
    let replay = send(&app, login(&code)).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "a code works once");
}

async fn password_change_is_throttled(store: Store) {
    let (app, token) = setup(store).await;
    for _ in 0..5 {
        let r = send(
            &app,
            json_request(
                Method::POST,
                "/api/v1/me/password",
                &token,
                &json!({ "current": "salah", "new_password": "kata-sandi-baru" }),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let locked = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/me/password",
            &token,
            &json!({ "current": "kata-sandi-admin", "new_password": "kata-sandi-baru" }),
        ),
    )
    .await;
    assert_eq!(locked.status, StatusCode::LOCKED, "{}", locked.body);
}

async fn profile_and_audit_endpoints(store: Store) {
    let (app, token) = setup(store).await;
    let r = send(
        &app,
        json_request(
            Method::PUT,
            "/api/v1/me/locale",
            &token,
            &json!({ "locale": "en" }),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        send(&app, get("/api/v1/me", &token)).await.json()["locale"],
        "en"
    );
    let bad = send(
        &app,
        json_request(
            Method::PUT,
            "/api/v1/me/locale",
            &token,
            &json!({ "locale": "fr" }),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let setup_body = send(&app, get("/api/v1/me/totp/setup", &token))
        .await
        .json();
    let secret = setup_body["secret"].as_str().expect("secret").to_owned();
    assert!(
        setup_body["url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("otpauth://totp/")
    );
    let wrong = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/me/totp",
            &token,
            &json!({ "secret": secret, "code": "000000" }),
        ),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).expect("time");
    let code = totp_code(&secret, now);
    let on = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/me/totp",
            &token,
            &json!({ "secret": secret, "code": code }),
        ),
    )
    .await;
    assert_eq!(on.status, StatusCode::NO_CONTENT, "{}", on.body);
    assert_eq!(
        send(&app, get("/api/v1/me", &token)).await.json()["totp_enabled"],
        true
    );

    let entries = send(&app, get("/api/v1/audit?limit=10", &token)).await;
    assert_eq!(entries.status, StatusCode::OK);
    assert_eq!(entries.json()[0]["action"], "user.totp.enable");
    assert_eq!(entries.json()[0]["actor_username"], "admin");
}

async fn one_time_password_blocks_api(store: Store) {
    let (app, token) = setup(store).await;
    let created = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/users",
            &token,
            &json!({ "username": "tono", "role": "employee" }),
        ),
    )
    .await;
    let one_time = created.json()["one_time_password"]
        .as_str()
        .expect("password")
        .to_owned();
    let login = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "username": "tono", "password": one_time, "name": "cli" }).to_string(),
        ))
        .expect("req");
    let r = send(&app, login).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"], "password_change_required");

    let page_login = send(
        &app,
        form(
            "/login",
            &format!("username=tono&password={one_time}"),
            None,
        ),
    )
    .await;
    let session = session_cookie(&page_login);
    let with_session = |uri: &str| {
        Request::get(uri)
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("req")
    };
    assert_eq!(
        send(&app, with_session("/api/v1/me")).await.status,
        StatusCode::OK
    );
    let blocked = send(&app, with_session("/api/v1/organizations")).await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN, "{}", blocked.body);
}

async fn totp_guessing_locks_account(store: Store) {
    let (app, _) = setup(store.clone()).await;
    let admin = store
        .user_by_username("admin")
        .await
        .expect("q")
        .expect("admin");
    store
        .set_totp_secret(admin.id, Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"))
        .await
        .expect("totp on");
    let login = |totp: &str| {
        Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "username": "admin", "password": "kata-sandi-admin", "totp": totp, "name": "t" }).to_string()))
            .expect("req")
    };
    for guess in ["000000", "111111", "222222", "333333", "444444"] {
        assert_eq!(
            send(&app, login(guess)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = send(&app, login("555555")).await;
    assert_eq!(locked.status, StatusCode::LOCKED, "{}", locked.body);
}

async fn directory_rules_over_api(store: Store) {
    let (app, token) = setup(store).await;
    let kominfo = org_id(&app, &token, "DISKOMINFO.APTIKA").await;
    let dinkes = org_id(&app, &token, "DINKES").await;
    let head = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/positions",
            &token,
            &json!({ "organization_id": dinkes, "name": "Kepala Dinas" }),
        ),
    )
    .await
    .json();
    let outside =
        json!({ "organization_id": kominfo, "name": "Kepala Bidang", "parent_id": head["id"] });
    let r = send(
        &app,
        json_request(Method::POST, "/api/v1/positions", &token, &outside),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["field"], "parent");

    let employee = send(&app, json_request(Method::POST, "/api/v1/employees", &token, &json!({ "identifier": "198609262015051001", "name": "Ani", "organization_id": dinkes }))).await.json();
    let first = json!({ "username": "ani", "role": "employee", "employee_id": employee["id"] });
    assert_eq!(
        send(
            &app,
            json_request(Method::POST, "/api/v1/users", &token, &first)
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let second = json!({ "username": "ani2", "role": "admin", "employee_id": employee["id"] });
    let r = send(
        &app,
        json_request(Method::POST, "/api/v1/users", &token, &second),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["field"], "employee_id");

    let dinsos = org_id(&app, &token, "DINSOS").await;
    let boss = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/positions",
            &token,
            &json!({ "organization_id": dinsos, "name": "Kepala Dinas Sosial" }),
        ),
    )
    .await
    .json();
    send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/positions",
            &token,
            &json!({ "organization_id": dinsos, "name": "Sekretaris", "parent_id": boss["id"] }),
        ),
    )
    .await;
    let moved = json!({ "organization_id": dinkes, "name": "Kepala Dinas Sosial" });
    let uri = format!("/api/v1/positions/{}", boss["id"].as_str().expect("id"));
    let r = send(&app, json_request(Method::PUT, &uri, &token, &moved)).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "position with subordinates cannot change organisation: {}",
        r.body
    );

    let unit = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/organizations",
            &token,
            &json!({ "code": "DINSOS.X", "name": "Bidang X", "kind": "unit", "parent_id": dinsos }),
        ),
    )
    .await
    .json();
    send(&app, json_request(Method::POST, "/api/v1/positions", &token, &json!({ "organization_id": unit["id"], "name": "Kepala Bidang X", "parent_id": boss["id"] }))).await;
    let bapenda = org_id(&app, &token, "BAPENDA").await;
    let uri = format!("/api/v1/organizations/{}", unit["id"].as_str().expect("id"));
    let r = send(&app, json_request(Method::PUT, &uri, &token, &json!({ "code": "DINSOS.X", "name": "Bidang X", "kind": "unit", "parent_id": bapenda }))).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "moving a unit away from its positions' superiors: {}",
        r.body
    );

    let second = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/organizations",
            &token,
            &json!({ "code": "33.99", "name": "Kabupaten Lain", "kind": "regency" }),
        ),
    )
    .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    let orphan = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/organizations",
            &token,
            &json!({ "code": "ZZ", "name": "Dinas Z", "kind": "agency" }),
        ),
    )
    .await;
    assert_eq!(orphan.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        orphan.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("induk"),
        "{}",
        orphan.body
    );

    let named = send(
        &app,
        json_request(
            Method::POST,
            "/api/v1/me/tokens",
            &token,
            &json!({ "name": "x\u{0}y" }),
        ),
    )
    .await;
    assert_eq!(named.status, StatusCode::CREATED, "{}", named.body);
    assert_eq!(named.json()["name"], "xy");

    let page = Request::get("/org/not-a-uuid")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("req");
    let r = send(&app, page).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
}

async fn hostile_spreadsheets_rejected(store: Store) {
    let (app, token) = setup(store).await;
    // One cell at the sheet's last row and column: a range-based reader
    // would allocate every cell in between.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "identifier").expect("cell");
    sheet.write_string(1_048_575, 16_383, "x").expect("cell");
    let far = book.save_to_buffer().expect("xlsx");
    let r = send(&app, multipart(&token, "employees", &far)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // One long shared string used by many cells: each cell would get its
    // own copy, so an over-long cell is rejected before copying.
    let long = "A".repeat(20_000);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "identifier").expect("cell");
    for row in 1..50 {
        sheet.write_string(row, 0, &long).expect("cell");
    }
    let repeated = book.save_to_buffer().expect("xlsx");
    let r = send(&app, multipart(&token, "employees", &repeated)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["rows"][0]["line"], 2);
}
