//! The committed OpenAPI document must match the one generated from the
//! code. Run with SERASI_UPDATE_OPENAPI=1 to rewrite it after an API change.

#[test]
fn committed_openapi_matches_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let generated = format!("{}\n", serasi_web::api::openapi_json());
    if std::env::var_os("SERASI_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; run `SERASI_UPDATE_OPENAPI=1 cargo test -p serasi-web --test openapi` and commit it"
    );
}
