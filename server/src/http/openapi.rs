//! `GET /openapi.json`: the OpenAPI 3.1 description of the REST routes, generated from the
//! same `#[utoipa::path]` declarations that build the router (`utoipa-axum`'s `routes!`), so a
//! route can't exist without its entry. The wire types' schemas come from `notify-bindings`
//! (feature `openapi`); this module adds the document's header, the bearer-token scheme and
//! the error answers the routes share.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use notify_bindings::{ErrorCode, ErrorResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{self, OpenApi as Document};
use utoipa::{IntoResponses, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "GhostPay Notifications",
        description = "REST routes of notify-server. The same events also travel over Socket.IO \
                       (namespace `/notifications`), described in docs/api.md."
    ),
    components(schemas(ErrorResponse, ErrorCode)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "notifications", description = "A user's notifications, and publishing them"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
        (name = "dev", description = "Only mounted with `--dev`")
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, document: &mut Document) {
        let components = document
            .components
            .get_or_insert_with(openapi::Components::new);
        // What every route that needs a token names in its `security`.
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // The SSE stream's alternative, for `EventSource`, which can't set headers.
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("access_token"))),
        );
    }
}

/// The router of `routes` plus `GET /openapi.json`, which serves the document built from them.
pub fn with_document(routes: OpenApiRouter<Arc<AppState>>) -> Router<Arc<AppState>> {
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes)
        .routes(routes!(document))
        .split_for_parts();
    router.layer(Extension(Arc::new(document)))
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 description of these routes",
               body = Object))
)]
async fn document(Extension(document): Extension<Arc<Document>>) -> Response {
    Json(&*document).into_response()
}

/// The answers of every route that needs a token: the caller is checked and rate-limited first,
/// and the store may be down.
#[derive(IntoResponses)]
#[expect(
    dead_code,
    reason = "describes ApiError's answers for the document; never built"
)]
pub enum CallerErrors {
    /// `unauthorized`
    #[response(
        status = 401,
        description = "`unauthorized`: the token is missing, malformed, \
                                            expired or signed with another key or algorithm"
    )]
    Unauthorized(ErrorResponse),
    /// `rate_limited`
    #[response(
        status = 429,
        description = "`rate_limited`: too many requests; the \
                                            `Retry-After` header says when to try again"
    )]
    RateLimited(ErrorResponse),
    /// `internal`
    #[response(
        status = 500,
        description = "`internal`: an unexpected error (details are logged, never shown)"
    )]
    Internal(ErrorResponse),
    /// `unavailable`
    #[response(
        status = 503,
        description = "`unavailable`: the store can't be reached; try again shortly"
    )]
    Unavailable(ErrorResponse),
}

/// The answers to a JSON body that can't be taken.
#[derive(IntoResponses)]
#[expect(
    dead_code,
    reason = "describes ApiError's answers for the document; never built"
)]
pub enum BodyErrors {
    /// `invalid_json`
    #[response(status = 400, description = "`invalid_json`: the body is not JSON")]
    InvalidJson(ErrorResponse),
    /// `payload_too_large`
    #[response(
        status = 413,
        description = "`payload_too_large`: the body is over the size limit (64 KiB by default)"
    )]
    PayloadTooLarge(ErrorResponse),
    /// `validation_failed`
    #[response(
        status = 422,
        description = "`validation_failed`: a field is missing, unknown or \
                                            out of bounds; the message names it"
    )]
    ValidationFailed(ErrorResponse),
}

/// The answer of a route that names one of the caller's notifications.
#[derive(IntoResponses)]
#[expect(
    dead_code,
    reason = "describes ApiError's answers for the document; never built"
)]
pub enum NotFoundError {
    /// `not_found`
    #[response(
        status = 404,
        description = "`not_found`: no such notification of the caller"
    )]
    NotFound(ErrorResponse),
}
