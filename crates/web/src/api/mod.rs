//! The REST API under `/api/v1`: the same operations as the web
//! interface, as JSON, for holders of an API token or a session. The
//! OpenAPI document is generated from the handlers' annotations.

mod account;

pub use account::token_name;
mod directory;
pub mod dispositions;
pub mod documents;
pub mod import;
pub mod incoming;
pub mod pdfs;
mod profile;
pub mod registers;

use std::sync::LazyLock;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::routing::get;
use rand::Rng;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Serasi API",
        description = "Directory, accounts, reference data and official documents of a Serasi e-Office. \
            Authenticate with `Authorization: Bearer <token>`; create tokens on the account page \
            or with POST /api/v1/auth/token.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    servers((url = "/api/v1", description = "this Serasi installation")),
    security(("bearer" = [])),
    tags(
        (name = "directory", description = "Organisations, positions and employees"),
        (name = "reference", description = "Archive classification codes"),
        (name = "documents", description = "Outgoing official documents: drafts, initials, signature, numbering and delivery"),
        (name = "incoming", description = "Incoming letters and the organisation's incoming register"),
        (name = "dispositions", description = "Referrals of incoming letters down the hierarchy"),
        (name = "registers", description = "Incoming, outgoing and dispatch registers and their exports"),
        (name = "search", description = "Full-text search over every letter the caller may see"),
        (name = "verification", description = "Public checks of signed PDFs, without login"),
        (name = "account", description = "The caller's account and API tokens"),
        (name = "admin", description = "Administration")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(
            directory::list_organizations,
            directory::create_organization
        ))
        .routes(routes!(
            directory::get_organization,
            directory::update_organization,
            directory::delete_organization
        ))
        .routes(routes!(directory::organization_positions))
        .routes(routes!(directory::create_position))
        .routes(routes!(directory::get_position, directory::update_position))
        .routes(routes!(
            directory::search_employees,
            directory::create_employee
        ))
        .routes(routes!(directory::get_employee, directory::update_employee))
        .routes(routes!(directory::search_classifications))
        .routes(routes!(import::import_file))
        .routes(routes!(documents::list_kinds, documents::create_kind))
        .routes(routes!(documents::update_kind))
        .routes(routes!(
            documents::list_delegations,
            documents::create_delegation
        ))
        .routes(routes!(documents::delete_delegation))
        .routes(routes!(
            documents::list_documents,
            documents::create_document
        ))
        .routes(routes!(documents::counts))
        .routes(routes!(documents::get_document, documents::update_document))
        .routes(routes!(documents::list_revisions))
        .routes(routes!(documents::upload_attachment))
        .routes(routes!(
            documents::get_attachment,
            documents::delete_attachment
        ))
        .routes(routes!(documents::compare_revisions))
        .routes(routes!(incoming::register, incoming::register_page))
        .routes(routes!(incoming::add_file, incoming::list_files))
        .routes(routes!(incoming::get_file))
        .routes(routes!(dispositions::detail))
        .routes(routes!(dispositions::dispose))
        .routes(routes!(dispositions::act))
        .routes(routes!(dispositions::add_file))
        .routes(routes!(dispositions::get_file))
        .routes(routes!(dispositions::list))
        .routes(routes!(
            dispositions::instructions,
            dispositions::set_instructions
        ))
        .routes(routes!(dispositions::sheet))
        .routes(routes!(registers::page))
        .routes(routes!(registers::csv))
        .routes(routes!(registers::start_export))
        .routes(routes!(registers::export_status))
        .routes(routes!(registers::export_file))
        .routes(routes!(registers::search))
        .routes(routes!(pdfs::document_pdf))
        .routes(routes!(pdfs::verify_code))
        .routes(routes!(pdfs::verify_file))
        .routes(routes!(pdfs::get_letterhead, pdfs::put_letterhead))
        .routes(routes!(pdfs::put_emblem))
        .routes(routes!(documents::submit))
        .routes(routes!(documents::initial))
        .routes(routes!(documents::return_document))
        .routes(routes!(documents::sign))
        .routes(routes!(documents::cancel))
        .routes(routes!(documents::dispatch))
        .routes(routes!(documents::cancelled_numbers))
        .routes(routes!(account::me))
        .routes(routes!(account::change_password))
        .routes(routes!(account::list_tokens, account::create_token))
        .routes(routes!(account::revoke_token))
        .routes(routes!(account::login_token))
        .routes(routes!(account::create_account))
        .routes(routes!(profile::set_locale))
        .routes(routes!(profile::totp_setup))
        .routes(routes!(profile::enable_totp, profile::disable_totp))
        .routes(routes!(profile::audit_log))
}

static OPENAPI: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut openapi = api_router().split_for_parts().1;
    document_unauthorized(&mut openapi);
    openapi
});

/// Adds the 401 response to every operation that needs a token, which is
/// all of them except the token login itself.
fn document_unauthorized(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let response = ResponseBuilder::new()
        .description("No valid token or session.")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    for (path, item) in openapi.paths.paths.iter_mut() {
        if path == "/auth/token" {
            continue;
        }
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("401".to_owned())
                .or_insert_with(|| response.clone().into());
        }
    }
}

/// Returns the OpenAPI 3 document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi_json() -> String {
    OPENAPI.to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot serialise the OpenAPI document");
        String::from("{}")
    })
}

async fn openapi_document() -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_json(),
    )
}

pub fn routes() -> axum::Router<AppState> {
    let (router, _) = api_router().split_for_parts();
    router.route("/openapi.json", get(openapi_document))
}

/// A JSON body whose syntax errors become a 400 with the parser's message.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The parser's own text is English; the message around it follows
        // the caller's language.
        let t = request
            .extensions()
            .get::<crate::auth::Viewer>()
            .map(crate::auth::Viewer::tr);
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                let status = rejection.status();
                let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "too_large"
                } else {
                    "bad_request"
                };
                let detail = rejection.body_text();
                let message = match t {
                    Some(t) => t.fmt("error-json", &[("detail", &detail)]),
                    None => detail,
                };
                Err(ApiError::new(status, code, message))
            }
        }
    }
}

/// Returns a random 16-character password for a new or reset account,
/// from letters and digits that cannot be mistaken for one another.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}
