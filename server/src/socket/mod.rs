//! The Socket.IO namespace `/notifications`: authentication at connect, one room per user,
//! the client events with their acks, and disconnection when the token expires.

pub(crate) mod events;
mod expiry;

pub use expiry::Expiries;

use std::sync::Arc;

use notify_bindings::NAMESPACE;
use serde::Deserialize;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{Extension, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide_core::adapter::DefinedAdapter;

use crate::error::ApiError;
use crate::handshakes::Pending;
use crate::presence::Kind;
use crate::rooms::{Session, room};
use crate::state::AppState;
use crate::{actions, caller};

/// Registers the namespace. With the Redis adapter the result is a future that joins the
/// cluster's channels (and fails when Redis can't be reached).
pub fn register<A: Adapter + DefinedAdapter>(io: &SocketIo<A>) -> A::InitRes {
    io.ns(NAMESPACE, on_connect::<A>.with(authenticate::<A>))
}

/// The CONNECT auth payload browsers send: `{"token": "<jwt>"}`.
#[derive(Deserialize)]
struct AuthPayload {
    token: Option<String>,
}

/// Why a connection was refused; the text is the `connect_error` message.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("unauthorized")]
    Unauthorized,
    /// Over the per-user socket cap, or too many failed attempts from one IP.
    #[error("rate_limited")]
    RateLimited,
    /// A token that may publish: services publish, they don't read as a user.
    #[error("forbidden")]
    Forbidden,
}

/// Connect middleware: the token comes from the auth payload, the handshake's
/// `Authorization` header, or `?token=`; without a valid one the socket joins nothing.
async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    TryData(payload): TryData<AuthPayload>,
    State(state): State<Arc<AppState>>,
) -> Result<(), Refused> {
    let token = payload.ok().and_then(|p| p.token);
    let principal = caller::authenticate(&state, socket.req_parts(), token, Some("token"))
        .map_err(|e| match e {
            ApiError::RateLimited { .. } => Refused::RateLimited,
            _ => Refused::Unauthorized,
        })?;
    if principal.can_publish {
        return Err(Refused::Forbidden);
    }
    // The slot lives in the socket's extensions: if the client vanishes before socketioxide
    // registers the socket, no disconnect handler runs, but the socket (and the slot) is dropped.
    let Some(slot) = state.presence.try_join(
        &principal.user_id,
        Kind::Socket,
        state.config.max_sockets_per_user,
        &state.metrics.sockets,
    ) else {
        return Err(Refused::RateLimited);
    };
    if let Some(pending) = socket.req_parts().extensions.get::<Pending>() {
        pending.authenticated();
    }
    let session = Session::new(principal, slot);
    // Registered here, not in `on_connect`: socketioxide sends CONNECT after the middleware and
    // then *spawns* the connect handler, so a client's first events (sent right after CONNECT)
    // could be dispatched before an `on_fallback` registered there exists, and be dropped.
    socket.join(room(&session.principal.user_id));
    if let Some(cluster) = &state.cluster {
        socket.join(cluster.node_room().to_owned());
    }
    socket.on_fallback(events::dispatch::<A>);
    socket.on_disconnect(on_disconnect);
    socket.extensions.insert(session);
    Ok(())
}

async fn on_connect<A: Adapter>(
    socket: SocketRef<A>,
    State(state): State<Arc<AppState>>,
    State(expiries): State<Expiries>,
    Extension(session): Extension<Arc<Session>>,
) {
    // Watched from here, once the socket is registered: a watch from the middleware on would
    // keep a never-registered socket (and its slot) alive until expiry.
    expiries.watch(socket.clone(), session.clone());

    match actions::feed_state(&state, &session.principal.user_id).await {
        Ok(feed) => {
            let event = actions::counted(feed);
            if let Err(e) = socket.emit(event.event.name(), &event) {
                tracing::debug!(error = %e, "could not send the first unread_count");
            }
        }
        Err(e) => tracing::warn!(error = %e, "unread count unavailable at connect"),
    }
}

async fn on_disconnect(
    State(expiries): State<Expiries>,
    Extension(session): Extension<Arc<Session>>,
) {
    session.slot.release();
    expiries.forget(session);
}
