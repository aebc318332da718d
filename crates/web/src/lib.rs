//! Serasi's HTTP layer: the Indonesian web interface, the REST API under
//! `/api/v1`, health checks and metrics. Handlers stay thin: they extract
//! input, check the role, call one store operation and map its error.

pub mod api;
mod assets;
mod auth;
mod error;
pub mod exports;
pub mod i18n;
pub mod messages;
mod ops;
mod pages;
pub mod sheets;
pub mod signing;
pub mod tabular;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::http::HeaderValue;
use axum::middleware;
use serasi_store::files::{FileError, FileStorage, FileStore};
use serasi_store::{LoginThrottle, Store};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use ops::metrics_handle;

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// How long a login session lasts.
    pub session_lifetime: Duration,
    /// Mark cookies `Secure`; turn on behind HTTPS.
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes (uploads included).
    pub max_body_bytes: usize,
    pub login_throttle: LoginThrottle,
    /// Origins other than the server's own allowed to post forms, such as
    /// the public URL behind a reverse proxy.
    pub trusted_origins: Vec<String>,
    /// Take the client address for the login throttle from the last
    /// `X-Forwarded-For` entry; turn on only behind a reverse proxy that
    /// sets it.
    pub trust_forwarded_for: bool,
    /// Storage of the content-addressed files (attachments, scans, emblems
    /// and signed PDFs): a local folder or an S3 bucket.
    pub files: FileStorage,
    /// Largest file accepted by an upload form or endpoint, in bytes.
    pub max_file_bytes: usize,
    /// The signing backend, the root certificate's folder, and the public
    /// origin printed in QR codes.
    pub signing: signing::SigningConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            session_lifetime: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            max_body_bytes: 10 * 1024 * 1024,
            login_throttle: LoginThrottle::default(),
            trusted_origins: Vec::new(),
            trust_forwarded_for: false,
            files: FileStorage::Local(std::env::temp_dir().join("serasi-files")),
            max_file_bytes: 10 * 1024 * 1024,
            signing: signing::SigningConfig::default(),
        }
    }
}

/// Shared state of every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: WebConfig,
    files: FileStore,
    signing: signing::Signing,
}

impl WebConfig {
    /// Opens the file store that `files` names.
    pub fn open_files(&self) -> Result<FileStore, FileError> {
        FileStore::open(&self.files)
    }
}

impl AppState {
    /// Builds the state, opening the configured file store.
    pub fn new(store: Store, config: WebConfig) -> Result<AppState, FileError> {
        Ok(AppState {
            inner: Arc::new(Inner {
                files: config.open_files()?,
                signing: signing::Signing::default(),
                store,
                config,
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    pub fn files(&self) -> &FileStore {
        &self.inner.files
    }

    pub fn signing(&self) -> &signing::Signing {
        &self.inner.signing
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the whole application: pages, API, assets, health and metrics,
/// wrapped in the shared middleware stack.
pub fn router(state: AppState) -> Router {
    let mut csrf = CsrfLayer::new();
    for origin in &state.config().trusted_origins {
        match csrf.clone().add_trusted_origin(origin) {
            Ok(layer) => csrf = layer,
            Err(e) => tracing::warn!(origin, error = %e, "ignoring invalid trusted origin"),
        }
    }
    let max_body = state.config().max_body_bytes;

    // Requests to the interface and API are logged at INFO; health checks
    // and metrics scrapes only at DEBUG, so they do not flood the log.
    let app = Router::new()
        .merge(pages::routes())
        .merge(auth::routes())
        .nest("/api/v1", api::routes())
        .merge(assets::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(trace_layer(Level::INFO))
        .merge(ops::routes().layer(trace_layer(Level::DEBUG)))
        .with_state(state);

    let app = app
        .layer(csrf)
        // Multipart framing adds a little to a file's size, so a file of
        // exactly the per-file limit still fits; the upload reader then
        // enforces the file limit itself.
        .layer(axum::extract::DefaultBodyLimit::max(
            max_body.saturating_add(64 * 1024),
        ))
        // Inside the error middleware, so a panic's 500 gets the same
        // opaque body with the request id as any other server error.
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(error::opaque_server_errors))
        .layer(middleware::from_fn(ops::record_metrics))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ));
    with_security_headers(app)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(SetSensitiveHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
            axum::http::header::SET_COOKIE,
        ]))
}

type RequestTrace = TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request) -> tracing::Span,
    tower_http::trace::DefaultOnRequest,
    DefaultOnResponse,
>;

fn trace_layer(level: Level) -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> tracing::Span)
        .on_request(tower_http::trace::DefaultOnRequest::new().level(Level::DEBUG))
        .on_response(DefaultOnResponse::new().level(level))
}

/// Responds to unknown paths with 404: JSON under `/api/`, a page elsewhere.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        let t = i18n::Tr::new(i18n::Locale::default());
        error::ApiError::not_found(t).into_response()
    } else {
        error::PageError::NotFound.into_response()
    }
}

/// Adds security headers to every response. Other sites may not frame the
/// pages (clickjacking), browsers may not sniff types, no referrer leaves
/// the site, and scripts and styles come only from this server. Responses
/// are not cached unless a handler chose otherwise (static assets do), so
/// pages that show a new token are not stored.
fn with_security_headers(router: Router) -> Router {
    use axum::http::header;
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; \
                 form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// One span per request with the method, the route template (never the
/// raw path, which may hold ids) and the request id.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
