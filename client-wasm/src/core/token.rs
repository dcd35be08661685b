//! When to refresh a token: shortly before its `exp` (read by the glue, without verifying: the
//! server verifies), the client asks `getToken` for a fresh one.

/// How long before `exp` a long-lived token is refreshed, ms.
const REFRESH_LEAD_MS: u64 = 60_000;

/// When to refresh a token received at `now` that expires at `exp` (both ms): a minute before
/// `exp`, or a tenth of its remaining life before when that is shorter. `None` once it expired.
pub fn refresh_due(now: u64, exp: u64) -> Option<u64> {
    let life = exp.checked_sub(now).filter(|&life| life > 0)?;
    Some(exp - (life / 10).min(REFRESH_LEAD_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_token_is_refreshed_a_minute_early_a_short_one_a_tenth_of_its_life_early() {
        let now = 1_000_000;
        assert_eq!(refresh_due(now, now + 3_600_000), Some(now + 3_540_000));
        assert_eq!(refresh_due(now, now + 20_000), Some(now + 18_000));
        assert_eq!(refresh_due(now, now + 600_000), Some(now + 540_000));
    }

    #[test]
    fn an_expired_token_is_not_scheduled() {
        assert_eq!(refresh_due(1_000, 1_000), None);
        assert_eq!(refresh_due(1_000, 999), None);
    }
}
