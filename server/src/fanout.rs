//! Delivers server events to every live socket and SSE stream of a user.
//!
//! Sockets of a user share the Socket.IO room `user:<id>`; SSE streams subscribe to a
//! per-user broadcast channel here. An event is serialised once per push and shared by all
//! streams of that user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use notify_bindings::ServerEvent;
use tokio::sync::broadcast;

use crate::cluster::Cluster;
use crate::metrics::Metrics;
use crate::presence::Presence;
use crate::rooms::{SocketRooms, room};
use crate::turns::Turns;

/// Events an SSE stream may fall behind by before it is told to resync.
const SSE_BUFFER: usize = 256;

/// One event as an SSE stream sends it.
#[derive(Debug, Clone)]
pub struct SseMessage {
    /// The notification id, on `notification` events (the SSE `id:` line).
    pub id: Option<String>,
    /// The envelope as JSON.
    pub json: Arc<str>,
}

impl SseMessage {
    pub fn new(event: &ServerEvent) -> Self {
        let id = match event {
            ServerEvent::Notification(n) => Some(n.id.clone()),
            _ => None,
        };
        // Serialising our own types to a string cannot fail.
        let json = serde_json::to_string(event).unwrap_or_default().into();
        Self { id, json }
    }
}

/// Per-user channels feeding the SSE streams of this node.
#[derive(Default)]
pub struct SseHub {
    channels: Mutex<HashMap<String, broadcast::Sender<SseMessage>>>,
}

impl SseHub {
    pub fn subscribe(&self, user_id: &str) -> broadcast::Receiver<SseMessage> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels
            .entry(user_id.to_owned())
            .or_insert_with(|| broadcast::channel(SSE_BUFFER).0)
            .subscribe()
    }

    /// Sends to the user's streams on this node; returns how many received it.
    pub fn send(&self, user_id: &str, message: SseMessage) -> usize {
        self.send_with(user_id, || message)
    }

    /// Like [`SseHub::send`], but builds (serialises) the message only if the user has streams.
    pub fn send_with(&self, user_id: &str, message: impl FnOnce() -> SseMessage) -> usize {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let Some(sender) = channels.get(user_id) else {
            return 0;
        };
        match sender.send(message()) {
            Ok(receivers) => receivers,
            Err(_) => {
                // Every stream of this user has closed.
                channels.remove(user_id);
                0
            }
        }
    }
}

/// Everything a push needs.
#[derive(Clone)]
pub struct Fanout {
    /// Set once the Socket.IO layer is built (which itself needs the state holding this).
    pub sockets: Arc<OnceLock<Arc<dyn SocketRooms>>>,
    /// Other nodes, when running as a cluster.
    pub cluster: Option<Arc<Cluster>>,
    pub sse: Arc<SseHub>,
    pub presence: Arc<Presence>,
    pub metrics: Arc<Metrics>,
    /// Orders each user's changes, so pushes follow commit order.
    pub turns: Arc<Turns>,
}

impl Fanout {
    /// Pushes `events`, in order, to all of the user's sockets and SSE streams.
    pub async fn push(&self, user_id: &str, events: &[ServerEvent]) {
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
            if matches!(event, ServerEvent::Notification(_)) {
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
