//! Counts each user's live sockets and SSE streams, to cap them together and to know how many
//! sockets receive a push.
//!
//! A place is held by a [`Slot`], which gives it back (and lowers its gauge) exactly once:
//! when released explicitly or, at the latest, when dropped. A socket that vanishes before
//! socketioxide registers it never reaches a disconnect handler, but its slot is dropped
//! with it, so no ghost keeps a place.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use prometheus_client::metrics::gauge::Gauge;

/// What holds a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Socket,
    Stream,
}

#[derive(Default, Clone, Copy)]
struct Held {
    sockets: usize,
    streams: usize,
}

impl Held {
    fn total(self) -> usize {
        self.sockets + self.streams
    }

    fn count(&mut self, kind: Kind) -> &mut usize {
        match kind {
            Kind::Socket => &mut self.sockets,
            Kind::Stream => &mut self.streams,
        }
    }
}

#[derive(Default)]
pub struct Presence {
    users: Mutex<HashMap<String, Held>>,
}

impl Presence {
    /// Takes a place for one more socket or stream of `user_id`, unless the user already holds
    /// `max`; `gauge` counts it while it is held.
    pub fn try_join(
        self: &Arc<Self>,
        user_id: &str,
        kind: Kind,
        max: usize,
        gauge: &Gauge,
    ) -> Option<Slot> {
        {
            let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            let held = users.entry(user_id.to_owned()).or_default();
            if held.total() >= max {
                if held.total() == 0 {
                    users.remove(user_id);
                }
                return None;
            }
            *held.count(kind) += 1;
        }
        gauge.inc();
        Some(Slot {
            presence: self.clone(),
            user_id: user_id.to_owned(),
            kind,
            gauge: gauge.clone(),
            released: AtomicBool::new(false),
        })
    }

    fn leave(&self, user_id: &str, kind: Kind) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = users.get_mut(user_id) {
            let count = held.count(kind);
            *count = count.saturating_sub(1);
            if held.total() == 0 {
                users.remove(user_id);
            }
        }
    }

    /// Live sockets of one user on this node.
    pub fn sockets_of(&self, user_id: &str) -> usize {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(user_id)
            .map_or(0, |held| held.sockets)
    }
}

/// One held place; see the module docs.
pub struct Slot {
    presence: Arc<Presence>,
    user_id: String,
    kind: Kind,
    gauge: Gauge,
    released: AtomicBool,
}

impl Slot {
    /// Gives the place back now (later calls, and the drop, do nothing).
    pub fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.presence.leave(&self.user_id, self.kind);
            self.gauge.dec();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_sockets_and_streams_together_and_releases_once() {
        let presence = Arc::new(Presence::default());
        let gauge = Gauge::default();
        let a = presence.try_join("u", Kind::Socket, 2, &gauge).unwrap();
        let b = presence.try_join("u", Kind::Stream, 2, &gauge).unwrap();
        assert!(presence.try_join("u", Kind::Socket, 2, &gauge).is_none());
        assert!(presence.try_join("v", Kind::Socket, 2, &gauge).is_some());
        assert_eq!(presence.sockets_of("u"), 1);
        assert_eq!(gauge.get(), 2);
        a.release();
        a.release();
        drop(a);
        assert_eq!(presence.sockets_of("u"), 0);
        assert_eq!(gauge.get(), 1);
        assert!(presence.try_join("u", Kind::Socket, 2, &gauge).is_some());
        drop(b);
        assert_eq!(gauge.get(), 0);
    }
}
