//! When a connection's token expires, as a moment that can move: `refresh_token` moves a
//! socket's expiry to its fresh token's `exp` (`socket::expiry` waits for it).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::auth::Principal;

/// When a token expires, on the runtime's clock (so paused-time tests move it too).
pub struct Expiry {
    at: Mutex<Instant>,
}

impl Expiry {
    pub fn new(principal: &Principal) -> Self {
        Self {
            at: Mutex::new(deadline(principal)),
        }
    }

    /// The moment, wherever it has moved.
    pub fn at(&self) -> Instant {
        *self.at.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the expiry to `principal`'s, earlier or later.
    pub fn move_to(&self, principal: &Principal) {
        *self.at.lock().unwrap_or_else(PoisonError::into_inner) = deadline(principal);
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

    #[tokio::test(start_paused = true)]
    async fn the_moment_moves_later_or_earlier() {
        let expiry = Expiry::new(&Principal::user_expiring_in(10));
        let first = expiry.at();
        expiry.move_to(&Principal::user_expiring_in(100));
        assert!(expiry.at() >= first + Duration::from_secs(89));
        expiry.move_to(&Principal::user_expiring_in(1));
        assert!(expiry.at() < first);
    }

    #[tokio::test(start_paused = true)]
    async fn an_exp_beyond_any_clock_is_far_off_and_never_panics() {
        let forever = Principal {
            expires_at: u64::MAX,
            ..Principal::user_expiring_in(0)
        };
        let expiry = Expiry::new(&forever);
        assert!(expiry.at() > Instant::now() + Duration::from_secs(86_400 * 365 * 29));
    }
}
