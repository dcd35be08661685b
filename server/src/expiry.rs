//! When a connection's token expires, as a moment that can move: `refresh_token` moves a
//! socket's expiry to its fresh token's `exp`, and the one task that waits for it wakes up and
//! waits for the new moment (no second timer).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use crate::auth::Principal;

/// When a token expires, on the runtime's clock (so paused-time tests move it too).
pub struct Expiry {
    at: Mutex<Instant>,
    moved: Notify,
}

impl Expiry {
    pub fn new(principal: &Principal) -> Self {
        Self {
            at: Mutex::new(deadline(principal)),
            moved: Notify::new(),
        }
    }

    fn at(&self) -> Instant {
        *self.at.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the expiry to `principal`'s, earlier or later.
    pub fn move_to(&self, principal: &Principal) {
        *self.at.lock().unwrap_or_else(PoisonError::into_inner) = deadline(principal);
        // The permit is kept while nobody waits, so a move is never missed.
        self.moved.notify_one();
    }

    /// Resolves once the expiry, wherever it has moved meanwhile, has passed.
    pub async fn passed(&self) {
        loop {
            let at = self.at();
            tokio::select! {
                () = sleep_until(at) => if self.at() <= Instant::now() { return },
                () = self.moved.notified() => {}
            }
        }
    }
}

/// Far enough never to come (tokio caps its own far-off timers the same way).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// When `principal`'s token expires, on the runtime's clock.
fn deadline(principal: &Principal) -> Instant {
    Instant::now() + principal.time_left().min(FAR_FUTURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn expiring_in(secs: u64) -> Principal {
        Principal {
            user_id: "u".into(),
            can_publish: false,
            expires_at: crate::auth::unix_now() + secs,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_moved_expiry_passes_at_the_new_moment_later_or_earlier() {
        let expiry = Arc::new(Expiry::new(&expiring_in(10)));
        let waiter = tokio::spawn({
            let expiry = expiry.clone();
            async move { expiry.passed().await }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        expiry.move_to(&expiring_in(100));
        tokio::time::sleep(Duration::from_secs(50)).await;
        assert!(!waiter.is_finished(), "passed at the old expiry");
        expiry.move_to(&expiring_in(1));
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            waiter.is_finished(),
            "an earlier expiry did not wake the waiter"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_exp_beyond_any_clock_never_passes_and_never_panics() {
        let forever = Principal {
            expires_at: u64::MAX,
            ..expiring_in(0)
        };
        let expiry = Expiry::new(&forever);
        let waited = tokio::time::timeout(Duration::from_secs(86_400), expiry.passed()).await;
        assert!(waited.is_err());
    }
}
