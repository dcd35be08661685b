//! Token-bucket rate limits (governor's GCRA) per user, per client IP and per publisher.
//!
//! Users get a bucket each for REST calls and socket events together. Requests and socket
//! handshakes that fail authentication are charged to their client IP, which slows token
//! guessing; authenticated traffic is not, so thousands of users behind one office NAT are
//! never throttled as one. Service tokens that publish get their own, much larger bucket,
//! since one backend publishes for everyone.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::ServerConfig;
use crate::error::ApiError;

pub struct RateLimits {
    per_user: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_publisher: DefaultKeyedRateLimiter<String>,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate))
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), ApiError> {
    limiter
        .check_key(key)
        .map_err(|not_until| ApiError::RateLimited {
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        })
}

fn forget_idle<K: Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>) {
    limiter.retain_recent();
    limiter.shrink_to_fit();
}

impl RateLimits {
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            per_user: RateLimiter::keyed(quota(config.user_rate, config.user_burst)),
            per_ip: RateLimiter::keyed(quota(config.ip_rate, config.ip_burst)),
            per_publisher: RateLimiter::keyed(quota(config.publish_rate, config.publish_burst)),
        }
    }

    pub fn user(&self, user_id: &str) -> Result<(), ApiError> {
        check(&self.per_user, &user_id.to_owned())
    }

    pub fn ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        check(&self.per_ip, &ip)
    }

    pub fn publisher(&self, subject: &str) -> Result<(), ApiError> {
        check(&self.per_publisher, &subject.to_owned())
    }

    /// Forgets buckets that are full again, so idle keys don't pile up.
    pub fn forget_idle(&self) {
        forget_idle(&self.per_user);
        forget_idle(&self.per_publisher);
        forget_idle(&self.per_ip);
    }
}

/// How often idle buckets are forgotten.
pub const FORGET_INTERVAL: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn buckets_are_per_key_and_allow_the_burst() {
        let cli = crate::config::Cli::try_parse_from([
            "notify-server",
            "--user-rate",
            "1",
            "--user-burst",
            "3",
        ])
        .unwrap();
        let limits = RateLimits::new(&cli.server);
        for _ in 0..3 {
            limits.user("a").unwrap();
        }
        let err = limits.user("a").unwrap_err();
        assert!(
            matches!(err, ApiError::RateLimited { retry_after } if retry_after <= Duration::from_secs(1))
        );
        limits.user("b").unwrap();
        limits.forget_idle();
    }
}
