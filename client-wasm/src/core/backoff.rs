//! Reconnect delays: exponential backoff with full jitter.
//!
//! Attempt `n` (0-based) waits a uniformly random time in `[0, min(max, initial * factor^n)]`
//! ("full jitter"), so thousands of clients dropped by the same server restart don't come back
//! in lockstep. The random source is injected, which keeps the bounds testable.

/// Backoff settings; the defaults match the documented client options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Ceiling of the first delay, in milliseconds.
    pub initial_ms: u64,
    /// No delay exceeds this, in milliseconds.
    pub max_ms: u64,
    /// Growth of the ceiling per attempt (at least 1).
    pub factor: f64,
    /// Attempts after which the client gives up; `None` retries forever.
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_ms: 500,
            max_ms: 30_000,
            factor: 2.0,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// The largest delay attempt `attempt` may wait.
    pub fn ceiling(&self, attempt: u32) -> u64 {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let grown = self.initial_ms as f64 * factor.powi(attempt.min(1024) as i32);
        let max = self.max_ms.max(self.initial_ms.min(self.max_ms)) as f64;
        if grown.is_finite() && grown < max {
            grown as u64
        } else {
            max as u64
        }
    }

    /// The delay before attempt `attempt`, given `random` in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> u64 {
        let random = if (0.0..1.0).contains(&random) {
            random
        } else {
            0.0
        };
        (self.ceiling(attempt) as f64 * random) as u64
    }

    /// Whether `attempts` failed attempts exhaust the budget.
    pub fn exhausted(&self, attempts: u32) -> bool {
        self.max_attempts.is_some_and(|max| attempts >= max)
    }
}

/// A small deterministic generator (xorshift64*) for jitter; the glue seeds it from
/// `Math.random`, the tests with a constant.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// A value in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_grow_by_factor_up_to_the_cap() {
        let b = Backoff::default();
        let ceilings: Vec<u64> = (0..9).map(|n| b.ceiling(n)).collect();
        assert_eq!(
            ceilings,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(b.ceiling(u32::MAX), 30_000);
    }

    #[test]
    fn delays_stay_within_zero_and_the_ceiling() {
        let b = Backoff::default();
        let mut rng = Rng::new(42);
        for attempt in 0..40 {
            for _ in 0..200 {
                let d = b.delay(attempt, rng.next_f64());
                assert!(d <= b.ceiling(attempt), "attempt {attempt}: {d}");
            }
        }
        assert_eq!(b.delay(3, 0.0), 0);
        assert_eq!(b.delay(3, 0.999_999), 3999);
        assert_eq!(b.delay(3, 1.0), 0, "out-of-range randomness is clamped");
        assert_eq!(b.delay(3, f64::NAN), 0);
    }

    #[test]
    fn jitter_spreads_delays() {
        let b = Backoff::default();
        let mut rng = Rng::new(7);
        let delays: Vec<u64> = (0..1000).map(|_| b.delay(6, rng.next_f64())).collect();
        let low = delays.iter().filter(|&&d| d < 10_000).count();
        let high = delays.iter().filter(|&&d| d > 20_000).count();
        assert!(low > 250 && high > 250, "low {low}, high {high}");
    }

    #[test]
    fn odd_settings_are_tamed() {
        let b = Backoff {
            initial_ms: 100,
            max_ms: 50,
            factor: 0.5,
            max_attempts: Some(3),
        };
        assert_eq!(b.ceiling(0), 50);
        assert_eq!(b.ceiling(5), 50);
        let flat = Backoff {
            factor: f64::NAN,
            ..Backoff::default()
        };
        assert_eq!(flat.ceiling(10), 500);
        assert!(!b.exhausted(2));
        assert!(b.exhausted(3));
        assert!(!Backoff::default().exhausted(u32::MAX));
    }

    #[test]
    fn rng_is_uniform_enough_and_in_range() {
        let mut rng = Rng::new(0);
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
            buckets[(x * 10.0) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (800..1200).contains(&n)),
            "{buckets:?}"
        );
    }
}
