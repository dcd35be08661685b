//! Delivers server events to every live socket and SSE stream of a user.
//!
//! Sockets of a user share the Socket.IO room `user:<id>` (see `rooms`); SSE streams
//! subscribe to a per-user channel of the `sse_hub`; with a cluster, both reach the other
//! nodes too.

use std::sync::{Arc, OnceLock};

use notify_bindings::{Envelope, ServerEvent};

use crate::cluster::Cluster;
use crate::metrics::Metrics;
use crate::presence::Presence;
use crate::rooms::{SocketRooms, room};
use crate::sse_hub::{SseHub, SseMessage};

/// Everything a push needs: the Socket.IO rooms, the SSE hub, the cluster link, and the socket
/// counts and metrics it records deliveries in.
pub struct Fanout {
    /// Set once the Socket.IO layer is built (which itself needs the state holding this).
    sockets: OnceLock<Arc<dyn SocketRooms>>,
    cluster: Option<Arc<Cluster>>,
    pub sse: Arc<SseHub>,
    presence: Arc<Presence>,
    metrics: Arc<Metrics>,
}

impl Fanout {
    pub fn new(
        cluster: Option<Arc<Cluster>>,
        presence: Arc<Presence>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            sockets: OnceLock::new(),
            cluster,
            sse: Arc::default(),
            presence,
            metrics,
        }
    }

    /// Hands over the Socket.IO handle, once it is built.
    pub fn attach_sockets(&self, sockets: Arc<dyn SocketRooms>) {
        let _ = self.sockets.set(sockets);
    }

    /// Disconnects every socket (shutdown).
    pub async fn close_sockets(&self) {
        if let Some(sockets) = self.sockets.get() {
            sockets.close().await;
        }
    }

    /// Pushes `events`, in order, to all of the user's sockets and SSE streams.
    pub async fn push(&self, user_id: &str, events: &[Envelope]) {
        let started = std::time::Instant::now();
        let room = room(user_id);
        // While the Redis link is down, don't wait on it: serve this node's clients; the others
        // catch up from the store when they reconnect.
        let cluster = self.cluster.as_ref().filter(|cluster| cluster.is_up());
        let other_nodes = cluster.map(|cluster| cluster.node_room());
        for event in events {
            if let Some(sockets) = self.sockets.get() {
                sockets.emit(room.clone(), event, other_nodes).await;
            }
            let streams = match cluster {
                Some(cluster) => {
                    let message = SseMessage::new(event);
                    cluster.relay_sse(user_id, &message).await;
                    self.sse.send(user_id, message)
                }
                // Most users have no SSE stream: don't serialise for nobody.
                None => self.sse.send_with(user_id, || SseMessage::new(event)),
            };
            if matches!(event.event, ServerEvent::Notification(_)) {
                let receivers = streams + self.presence.sockets_of(user_id);
                self.metrics
                    .notifications_delivered
                    .inc_by(receivers as u64);
            }
        }
        self.metrics
            .push_duration
            .observe(started.elapsed().as_secs_f64());
    }
}
