//! Counts each user's live sockets, to cap them and to know how many receive a push.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Presence {
    sockets: Mutex<HashMap<String, usize>>,
}

impl Presence {
    /// Takes a slot for one more socket of `user_id`, unless the user already has `max`.
    pub fn try_join(&self, user_id: &str, max: usize) -> bool {
        let mut sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let count = sockets.entry(user_id.to_owned()).or_default();
        if *count >= max {
            return false;
        }
        *count += 1;
        true
    }

    /// Gives back the slot of a socket that left.
    pub fn leave(&self, user_id: &str) {
        let mut sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = sockets.get_mut(user_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                sockets.remove(user_id);
            }
        }
    }

    /// Live sockets of one user on this node.
    pub fn sockets_of(&self, user_id: &str) -> usize {
        self.sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(user_id)
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_releases() {
        let presence = Presence::default();
        assert!(presence.try_join("u", 2));
        assert!(presence.try_join("u", 2));
        assert!(!presence.try_join("u", 2));
        assert!(presence.try_join("v", 2));
        presence.leave("u");
        assert_eq!(presence.sockets_of("u"), 1);
        assert!(presence.try_join("u", 2));
        presence.leave("v");
        assert_eq!(presence.sockets_of("v"), 0);
    }
}
