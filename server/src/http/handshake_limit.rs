//! The per-IP cap on Socket.IO handshakes that don't authenticate (see `crate::handshakes`),
//! as a middleware around the Socket.IO layer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;
use crate::{forwarded, handshakes};

/// The `Retry-After` of a refused handshake.
const RETRY: Duration = Duration::from_secs(1);

/// An Engine.IO handshake (a `/socket.io/` request
/// without `sid`) takes a place of its IP, or is refused.
pub async fn limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if !handshakes::opens_session(request.uri()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let ip = forwarded::client_ip(&parts, &state.config.trust_proxy);
    let Some(place) = state.handshakes.try_take(ip) else {
        return ApiError::RateLimited { retry_after: RETRY }.into_response();
    };
    parts.extensions.insert(place);
    next.run(Request::from_parts(parts, body)).await
}
