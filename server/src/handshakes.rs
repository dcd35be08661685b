//! Socket.IO handshakes that have not authenticated, counted per client IP: an Engine.IO
//! session opened without ever sending a valid CONNECT holds server memory until the connect
//! timeout, so each IP may hold at most `--max-pending-handshakes-per-ip` of them; more are
//! refused with 429. Authenticated sockets give their place back at once, so many users
//! behind one address (an office NAT) are never limited as one.
//!
//! A place is a [`Pending`] put in the handshake request's extensions, which Engine.IO keeps
//! with the session: it is given back when the namespace middleware authenticates the
//! socket, or when the session (or a refused request) is dropped. The middleware that takes
//! places is `http::handshake_limit`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::Uri;

/// Whether a request opens an Engine.IO session: a `/socket.io` request without `sid` (the
/// later requests of a session, and the upgrade of a polling one, carry its `sid`).
pub fn opens_session(uri: &Uri) -> bool {
    uri.path().starts_with("/socket.io")
        && !uri
            .query()
            .is_some_and(|query| query.split('&').any(|pair| pair.starts_with("sid=")))
}

/// Unauthenticated handshakes per IP.
pub struct PendingHandshakes {
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    max_per_ip: usize,
}

impl PendingHandshakes {
    pub fn new(max_per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            per_ip: Mutex::new(HashMap::new()),
            max_per_ip,
        })
    }

    /// Takes a place for one more pending handshake from `ip`, unless it holds the most.
    pub fn try_take(self: &Arc<Self>, ip: IpAddr) -> Option<Pending> {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let held = per_ip.entry(ip).or_default();
        if *held >= self.max_per_ip {
            return None;
        }
        *held += 1;
        Some(Pending(Arc::new(Place {
            owner: self.clone(),
            ip,
            released: AtomicBool::new(false),
        })))
    }

    fn give_back(&self, ip: IpAddr) {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = per_ip.get_mut(&ip) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                per_ip.remove(&ip);
            }
        }
    }
}

/// One pending handshake's place; see the module docs.
#[derive(Clone)]
pub struct Pending(Arc<Place>);

impl Pending {
    /// The socket authenticated: the place is given back now.
    pub fn authenticated(&self) {
        self.0.release();
    }
}

struct Place {
    owner: Arc<PendingHandshakes>,
    ip: IpAddr,
    released: AtomicBool,
}

impl Place {
    fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.owner.give_back(self.ip);
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_per_ip_and_given_back_once() {
        let pending = PendingHandshakes::new(2);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let first = pending.try_take(a).unwrap();
        let second = pending.try_take(a).unwrap();
        assert!(pending.try_take(a).is_none());
        assert!(pending.try_take(b).is_some());
        first.authenticated();
        first.authenticated();
        let copy = second.clone();
        drop(second);
        assert!(pending.try_take(a).is_some());
        drop(first);
        drop(copy);
        let _again = [pending.try_take(a).unwrap(), pending.try_take(a).unwrap()];
    }
}
