//! Per-user channels feeding this node's SSE streams. An event is serialised once per push
//! and shared by all streams of that user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use notify_bindings::{Envelope, ServerEvent};
use tokio::sync::broadcast;

/// Events an SSE stream may fall behind by before it is told to resync.
const SSE_BUFFER: usize = 256;

/// One event as an SSE stream sends it.
#[derive(Debug, Clone)]
pub struct SseMessage {
    /// The seq of the change (or of the state an `unread_count` counts).
    pub seq: Option<u64>,
    /// The notification id, on `notification` events (what v1 resumes after).
    pub notification_id: Option<String>,
    /// The envelope as JSON.
    pub json: Arc<str>,
}

impl SseMessage {
    pub fn new(envelope: &Envelope) -> Self {
        let notification_id = match &envelope.event {
            ServerEvent::Notification(n) => Some(n.id.clone()),
            _ => None,
        };
        // Serialising our own types to a string cannot fail.
        let json = serde_json::to_string(envelope).unwrap_or_default().into();
        Self {
            seq: envelope.seq,
            notification_id,
            json,
        }
    }

    /// The SSE `id:` line: the seq; a notification replayed for a v1 resume has none, and
    /// keeps v1's notification id.
    pub fn id(&self) -> Option<String> {
        match self.seq {
            Some(seq) => Some(seq.to_string()),
            None => self.notification_id.clone(),
        }
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
