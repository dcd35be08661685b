//! Request extractors: the authenticated, rate-limited caller, and JSON bodies whose errors
//! have the contract's shape (400 for bad JSON, 422 naming the field, 413 over the limit).

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::body;
use crate::auth::{self, Principal};
use crate::caller;
use crate::error::ApiError;
use crate::json::parse_json;
use crate::state::AppState;

/// The user calling a REST route that reads or changes their own notifications, from
/// `Authorization: Bearer <jwt>`. Tokens that may publish are refused (403): a service publishes
/// for anyone, and must not read anyone's inbox by naming them in `sub`.
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
            state.limits.user(&principal.user_id)?;
            return Err(ApiError::Forbidden(
                "publishing needs a service token".into(),
            ));
        }
        state.limits.publisher(&principal.user_id)?;
        Ok(Publisher)
    }
}

/// The user of the SSE stream: the header, or `?access_token=` for EventSource. Like [`Caller`].
pub struct StreamCaller(pub Principal);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        reader(parts, state, false).map(Caller)
    }
}

impl FromRequestParts<Arc<AppState>> for StreamCaller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        reader(parts, state, true).map(StreamCaller)
    }
}

/// A user reading their own notifications: charged to the bucket of the token's subject
/// (whatever the token), and refused when the token may publish.
fn reader(parts: &Parts, state: &AppState, allow_query_token: bool) -> Result<Principal, ApiError> {
    let principal = authenticate(parts, state, allow_query_token)?;
    state.limits.user(&principal.user_id)?;
    if principal.can_publish {
        return Err(ApiError::Forbidden(SERVICE_TOKENS_DONT_READ.into()));
    }
    Ok(principal)
}

/// Why a token that may publish can't read.
const SERVICE_TOKENS_DONT_READ: &str =
    "service tokens publish; they can't read a user's notifications";

/// Verifies the token (see [`caller::authenticate`]).
fn authenticate(
    parts: &Parts,
    state: &AppState,
    allow_query_token: bool,
) -> Result<Principal, ApiError> {
    let query = allow_query_token.then_some("access_token");
    caller::authenticate(state, parts, None, query)
}

/// A notification id from the path. One that can't be decoded (e.g. `%FF`) names no
/// notification: 404 in the contract's shape, not axum's plain-text rejection.
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| IdPath(id))
            .map_err(|_| ApiError::not_found())
    }
}

/// A query parameter of the request, percent-decoded.
pub fn query_param(parts: &Parts, name: &str) -> Option<String> {
    auth::query_value(parts.uri.query()?, name)
}

/// A JSON body. Unlike axum's `Json`, it needs no `Content-Type` and reports errors in the
/// contract's shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let bytes = body::read_limited(req, state.config.body_limit).await?;
        parse_json(&bytes).map(ApiJson)
    }
}
