//! A socket lives as long as its token: one task per socket disconnects it when the token
//! expires, and `refresh_token` moves that moment to a fresh token's `exp`.

use std::sync::Arc;

use chrono::DateTime;
use notify_bindings::TokenRefreshed;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use crate::caller;
use crate::error::ApiError;
use crate::rooms::Session;
use crate::state::AppState;
use crate::store::rfc3339;

/// Disconnects the socket the moment its token expires; the client reconnects with a fresh
/// one (or refreshes it before then).
pub fn disconnect_at_expiry<A: Adapter>(socket: SocketRef<A>, session: &Arc<Session>) {
    let session = session.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = session.left.cancelled() => {}
            () = session.expiry.passed() => {
                tracing::debug!(sid = %socket.id, "token expired; disconnecting");
                let _ = socket.disconnect();
            }
        }
    });
}

/// `refresh_token`: verifies `token` like a connect token; when it is a user token of the
/// socket's user, the socket now expires with it. A refused token changes nothing.
pub fn refresh<A: Adapter>(
    state: &AppState,
    socket: &SocketRef<A>,
    session: &Session,
    token: String,
) -> Result<TokenRefreshed, ApiError> {
    let principal = caller::authenticate(state, socket.req_parts(), Some(token), None)?;
    if principal.can_publish || principal.user_id != session.principal.user_id {
        return Err(ApiError::Forbidden(
            "not a user token of this socket's user".into(),
        ));
    }
    let expires_at = i64::try_from(principal.expires_at)
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| ApiError::Unauthorized("`exp` is out of range".into()))?;
    session.expiry.move_to(&principal);
    Ok(TokenRefreshed {
        expires_at: rfc3339(expires_at),
    })
}
