//! Who is calling: the one token extraction for REST, SSE and Socket.IO. A token comes from
//! what the client gave at connect (Socket.IO's auth payload), else `Authorization: Bearer`,
//! else a query parameter where the route allows one; a failed attempt is charged to the
//! client's IP, which slows token guessing.

use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::auth::{self, Principal};
use crate::error::ApiError;
use crate::forwarded;
use crate::state::AppState;

/// Verifies the token of a request. `given` is a token handed over outside the request head
/// (the Socket.IO auth payload); `query` names the query parameter that may carry one.
/// Unauthorized without a valid token, or rate limited when the client's IP failed too often.
pub fn authenticate(
    state: &AppState,
    parts: &Parts,
    given: Option<String>,
    query: Option<&str>,
) -> Result<Principal, ApiError> {
    let token = given
        .or_else(|| {
            let header = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
            auth::bearer(header).map(str::to_owned)
        })
        .or_else(|| auth::query_value(parts.uri.query()?, query?));
    let verified = match token {
        Some(token) => state
            .auth
            .verify(&token)
            .map_err(|e| ApiError::Unauthorized(e.to_string())),
        None => Err(ApiError::Unauthorized("missing bearer token".into())),
    };
    verified.or_else(|e| {
        state
            .limits
            .ip(forwarded::client_ip(parts, &state.config.trust_proxy))?;
        Err(e)
    })
}
