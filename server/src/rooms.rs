//! The Socket.IO side of a push: each user's room, the session every socket carries, and
//! delivery to one socket that may have fallen behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use notify_bindings::{Envelope, NAMESPACE};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use socketioxide::{SocketError, SocketIo};

use crate::auth::Principal;
use crate::expiry::Expiry;
use crate::presence::Slot;

/// The Socket.IO room of a user's sockets.
pub fn room(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// What a connected socket carries: its verified user, its place in the per-user cap, when its
/// token expires (moved by `refresh_token`), and whether it fell behind (a push could not be
/// queued for it). It lives in the socket's extensions as one `Arc`, since socketioxide hands
/// out a clone for every event and every delivery.
pub struct Session {
    pub principal: Principal,
    pub slot: Slot,
    pub expiry: Expiry,
    behind: AtomicBool,
}

impl Session {
    pub fn new(principal: Principal, slot: Slot) -> Arc<Self> {
        Arc::new(Self {
            expiry: Expiry::new(&principal),
            principal,
            slot,
            behind: AtomicBool::new(false),
        })
    }
}

/// How often a socket that fell behind is asked again to take its disconnect packet.
const BEHIND_RETRY: Duration = Duration::from_millis(200);

/// Sends a pushed event to one socket of this node. A socket whose send buffer is full (its
/// client stopped reading) gets nothing more, so it can never see a gap, and is disconnected
/// as soon as its buffer takes the disconnect packet; its client then reconnects and catches
/// up with `sinceSeq`. (If it never reads again, the heartbeat timeout closes it.)
fn deliver<A: Adapter>(socket: SocketRef<A>, event: &Envelope) {
    let Some(session) = socket.extensions.get::<Arc<Session>>() else {
        return;
    };
    if session.behind.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = socket.emit(event.event.name(), event) {
        session.behind.store(true, Ordering::Relaxed);
        tracing::warn!(error = %e, sid = %socket.id, "socket fell behind; disconnecting it");
        tokio::spawn(async move {
            while socket.connected() {
                match socket.clone().disconnect() {
                    Err(SocketError::InternalChannelFull) => tokio::time::sleep(BEHIND_RETRY).await,
                    _ => break,
                }
            }
        });
    }
}

/// How long a cross-node broadcast may take before giving up on it.
const BROADCAST_TIMEOUT: Duration = Duration::from_millis(500);

/// Emits to a room of `/notifications`, whichever Socket.IO adapter is in use.
#[async_trait]
pub trait SocketRooms: Send + Sync {
    /// To the room's sockets on this node, and with `other_nodes` (this node's room, which
    /// every local socket joins) to the room's sockets on every other node too.
    async fn emit(&self, room: String, event: &Envelope, other_nodes: Option<&str>);
    /// Disconnects every socket (shutdown).
    async fn close(&self);
}

#[async_trait]
impl<A: Adapter> SocketRooms for SocketIo<A> {
    async fn emit(&self, room: String, event: &Envelope, other_nodes: Option<&str>) {
        let Some(ns) = self.of(NAMESPACE) else { return };
        // This node's sockets one by one, so one that fell behind is handled (see `deliver`).
        for socket in ns.clone().local().within(room.clone()).sockets() {
            deliver(socket, event);
        }
        if let Some(this_node) = other_nodes {
            let elsewhere = ns
                .to(room)
                .except(this_node.to_owned())
                .emit(event.event.name(), event);
            match tokio::time::timeout(BROADCAST_TIMEOUT, elsewhere).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "cross-node broadcast failed"),
                Err(_) => tracing::warn!("cross-node broadcast timed out"),
            }
        }
    }

    async fn close(&self) {
        SocketIo::close(self).await;
    }
}
