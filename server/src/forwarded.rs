//! Who the client is behind reverse proxies: `--trust-proxy` as a hop count or as trusted
//! proxy ranges (CIDRs), read from `X-Forwarded-For` the way the most careful servers do.
//!
//! The hops are the `X-Forwarded-For` entries, left to right, followed by the TCP peer. Each
//! proxy appends the address it received the request from, so only the rightmost entries
//! were written by proxies we trust; anything further left came from the client and may be
//! forged. Hence the client is:
//! - with a hop count `n`: the `n`-th hop counted from the right, after the peer (`0` = the
//!   peer itself: the header is ignored);
//! - with trusted ranges: the rightmost hop, starting at the peer, that is not in a trusted
//!   range (when every hop is trusted, the leftmost).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use ipnet::IpNet;

/// Which proxies in front of this server are trusted (`--trust-proxy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustProxy {
    /// This many proxies in front of the server; `0` ignores `X-Forwarded-For`.
    Hops(usize),
    /// Proxies at these addresses.
    Ranges(Vec<IpNet>),
}

impl FromStr for TrustProxy {
    type Err = String;

    /// `2` (hops), `true` (one hop), `false` (none), or `10.0.0.0/8,127.0.0.1` (ranges; a
    /// bare address is a range of one).
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "true" => return Ok(TrustProxy::Hops(1)),
            "false" | "" => return Ok(TrustProxy::Hops(0)),
            _ => {}
        }
        if let Ok(hops) = text.parse() {
            return Ok(TrustProxy::Hops(hops));
        }
        text.split(',')
            .map(|range| {
                let range = range.trim();
                range
                    .parse::<IpNet>()
                    .or_else(|_| range.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "invalid --trust-proxy entry {range:?}: use a hop count or CIDRs \
                             such as 10.0.0.0/8,127.0.0.1"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustProxy::Ranges)
    }
}

/// The client's address as `trust` says to read it.
pub fn client_ip(parts: &Parts, trust: &TrustProxy) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    if trust == &TrustProxy::Hops(0) {
        return peer;
    }
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    pick(peer, &forwarded, trust)
}

/// The client among `forwarded` (left to right) and `peer`; see the module docs. A hop that
/// isn't an IP address ends the walk: the last address read is the answer.
fn pick(peer: IpAddr, forwarded: &[&str], trust: &TrustProxy) -> IpAddr {
    let mut client = peer;
    match trust {
        TrustProxy::Hops(hops) => {
            for hop in forwarded.iter().rev().take(*hops) {
                match hop.parse() {
                    Ok(ip) => client = ip,
                    Err(_) => break,
                }
            }
        }
        TrustProxy::Ranges(ranges) => {
            for hop in forwarded.iter().rev() {
                if !ranges.iter().any(|range| range.contains(&client)) {
                    break;
                }
                match hop.parse() {
                    Ok(ip) => client = ip,
                    Err(_) => break,
                }
            }
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn hop_counts_take_the_rightmost_hops() {
        let peer = ip("10.0.0.2");
        let chain = ["6.6.6.6", "203.0.113.7"];
        let hops = |n| pick(peer, &chain, &TrustProxy::Hops(n));
        assert_eq!(hops(0), peer);
        assert_eq!(hops(1), ip("203.0.113.7"));
        assert_eq!(hops(2), ip("6.6.6.6"));
        assert_eq!(hops(5), ip("6.6.6.6"));
        assert_eq!(pick(peer, &[], &TrustProxy::Hops(1)), peer);
        assert_eq!(pick(peer, &["junk"], &TrustProxy::Hops(1)), peer);
    }

    #[test]
    fn ranges_skip_trusted_hops_from_the_right() {
        let trust: TrustProxy = "127.0.0.0/8, 198.51.100.0/24".parse().unwrap();
        let chain = ["6.6.6.6", "203.0.113.7", "198.51.100.1"];
        assert_eq!(pick(ip("127.0.0.1"), &chain, &trust), ip("203.0.113.7"));
        // An untrusted peer's header is ignored.
        assert_eq!(pick(ip("192.0.2.1"), &chain, &trust), ip("192.0.2.1"));
        // All trusted: the leftmost.
        assert_eq!(
            pick(ip("127.0.0.1"), &["198.51.100.9"], &trust),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn parses_counts_booleans_and_ranges() {
        assert_eq!("2".parse(), Ok(TrustProxy::Hops(2)));
        assert_eq!("true".parse(), Ok(TrustProxy::Hops(1)));
        assert_eq!("false".parse(), Ok(TrustProxy::Hops(0)));
        assert_eq!(
            "10.0.0.0/8,::1".parse(),
            Ok(TrustProxy::Ranges(vec![
                "10.0.0.0/8".parse().unwrap(),
                "::1/128".parse().unwrap()
            ]))
        );
        assert!("10.0.0.0/33".parse::<TrustProxy>().is_err());
        assert!("proxy".parse::<TrustProxy>().is_err());
    }
}
