//! Request extractors: the authenticated, rate-limited caller, and JSON bodies whose errors
//! have the contract's shape (400 for bad JSON, 422 naming the field, 413 over the limit).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::{self, Principal};
use crate::caller;
use crate::error::ApiError;
use crate::json::parse_json;
use crate::state::AppState;

/// The caller of a REST route, from `Authorization: Bearer <jwt>`.
pub struct Caller(pub Principal);

/// A caller allowed to publish (`role: service` or scope `notifications:publish`); others get 403
/// before their body is even read.
pub struct Publisher;

impl FromRequestParts<Arc<AppState>> for Publisher {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let principal = authenticate(parts, state, false)?;
        if !principal.can_publish {
            return Err(ApiError::Forbidden(
                "publishing needs a service token".into(),
            ));
        }
        Ok(Publisher)
    }
}

/// The caller of the SSE stream: the header, or `?access_token=` for EventSource.
pub struct StreamCaller(pub Principal);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        authenticate(parts, state, false).map(Caller)
    }
}

impl FromRequestParts<Arc<AppState>> for StreamCaller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        authenticate(parts, state, true).map(StreamCaller)
    }
}

/// Verifies the token (see [`caller::authenticate`]) and charges the caller's rate-limit
/// bucket: publishers their own, users theirs.
fn authenticate(
    parts: &Parts,
    state: &AppState,
    allow_query_token: bool,
) -> Result<Principal, ApiError> {
    let query = allow_query_token.then_some("access_token");
    let principal = caller::authenticate(state, parts, None, query)?;
    if principal.can_publish {
        state.limits.publisher(&principal.user_id)?;
    } else {
        state.limits.user(&principal.user_id)?;
    }
    Ok(principal)
}

/// A query parameter of the request, percent-decoded.
pub fn query_param(parts: &Parts, name: &str) -> Option<String> {
    auth::query_value(parts.uri.query()?, name)
}

/// A JSON body. Unlike axum's `Json`, it needs no `Content-Type` and reports errors in the
/// contract's shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge("request body is over the size limit".into())
            } else {
                ApiError::InvalidJson(rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}
