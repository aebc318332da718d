//! Helpers shared by the HTTP tests: requests against the router without a
//! socket, and a fresh app with an administrator's token.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serasi_domain::user::Role;
use serasi_store::{NewUser, Store};
use serasi_web::{AppState, WebConfig, router};
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as received, for binary responses such as PDFs.
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Response {
    let response = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

pub fn json_request(method: Method, uri: &str, token: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

pub fn get(uri: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

/// Loads the reference data and returns the app with an administrator's API token.
pub async fn setup(store: Store) -> (Router, String) {
    setup_with(store, test_config()).await
}

/// `setup` with a configuration of the caller's.
pub async fn setup_with(store: Store, config: WebConfig) -> (Router, String) {
    store.load_reference_data().await.expect("reference data");
    let admin = store
        .create_user(&NewUser {
            username: "admin",
            password: "kata-sandi-admin",
            role: Role::Admin,
            employee_id: None,
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("admin");
    let (_, token) = store
        .create_api_token(admin.id, "test")
        .await
        .expect("token");
    let state = AppState::new(store, config).expect("file store opens");
    (router(state), token)
}

/// Returns a configuration whose file store and certificate authority
/// live in a folder of their own, so tests running at once do not share
/// them.
pub fn test_config() -> WebConfig {
    let dir = std::env::temp_dir().join(format!("serasi-test-{}", uuid::Uuid::new_v4()));
    WebConfig {
        files: serasi_store::files::FileStorage::Local(dir.join("files")),
        signing: serasi_web::signing::SigningConfig {
            ca_dir: dir.join("ca"),
            ..serasi_web::signing::SigningConfig::default()
        },
        ..WebConfig::default()
    }
}

pub async fn org_id(app: &Router, token: &str, code: &str) -> String {
    let list = send(app, get("/api/v1/organizations", token)).await.json();
    let found = list
        .as_array()
        .expect("array")
        .iter()
        .find(|o| o["code"] == code)
        .cloned();
    found.unwrap_or_else(|| panic!("organisation {code} missing"))["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Builds a multipart upload with one `file` field, as the attachment
/// form sends it.
pub fn upload_file(uri: &str, token: &str, name: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "serasi-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

/// Creates an employee holding a new post in `org` (under `parent` when
/// given) with an account of `role`; returns the post id and an API token.
#[allow(clippy::too_many_arguments)]
pub async fn account(
    app: &Router,
    store: &Store,
    admin: &str,
    org: &str,
    nip: &str,
    username: &str,
    role: Role,
    parent: Option<&str>,
) -> (String, String) {
    let org_id = org_id(app, admin, org).await;
    let employee = send(
        app,
        json_request(
            Method::POST,
            "/api/v1/employees",
            admin,
            &json!({ "identifier": nip, "name": format!("Pegawai {username}"), "organization_id": org_id }),
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
            &json!({ "organization_id": org_id, "name": format!("Jabatan {username}"), "holder_id": employee_id, "parent_id": parent }),
        ),
    )
    .await;
    assert_eq!(position.status, StatusCode::CREATED, "{}", position.body);
    let user = store
        .create_user(&NewUser {
            username,
            password: "kata-sandi-panjang",
            role,
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
