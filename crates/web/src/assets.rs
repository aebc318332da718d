//! Static files embedded in the binary: our stylesheet and htmx (fetched
//! from npm at build time). URLs carry a content hash, so browsers may
//! cache them for a year; compression happens in the middleware.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::AppState;

const APP_CSS: &str = include_str!("../static/app.css");
const HTMX_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/htmx.min.js"));

struct Asset {
    name: &'static str,
    body: &'static str,
    content_type: &'static str,
    url: String,
}

fn asset(name: &'static str, body: &'static str, content_type: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..8]);
    let url = format!("/assets/{hash}/{name}");
    Asset {
        name,
        body,
        content_type,
        url,
    }
}

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        asset("app.css", APP_CSS, "text/css; charset=utf-8"),
        asset("htmx.min.js", HTMX_JS, "text/javascript; charset=utf-8"),
    ]
});

pub fn css_url() -> &'static str {
    &ASSETS[0].url
}

pub fn htmx_url() -> &'static str {
    &ASSETS[1].url
}

async fn serve_asset(Path((hash, name)): Path<(String, String)>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // An old hash still gets the current file, but must not be cached long.
    let cache = if asset.url.contains(&hash) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        asset.body,
    )
        .into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{hash}/{name}", get(serve_asset))
}
