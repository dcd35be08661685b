//! Client settings and the URLs derived from them.

use super::backoff::Backoff;
use super::codec::WEBSOCKET_QUERY;
use super::filter::Filter;

/// Everything the app can tune; [`Config::new`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The server's base URL (`http(s)://host:port`), without a trailing slash.
    pub base_url: String,
    /// The Socket.IO path (`/socket.io/`).
    pub socket_path: String,
    pub backoff: Backoff,
    /// Transports allowed (at least one is used).
    pub websocket: bool,
    pub sse: bool,
    /// Failed WebSocket attempts (before the handshake completes) that switch to SSE.
    pub fallback_after: u32,
    /// While on SSE: how often to try WebSocket again.
    pub probe_interval_ms: u64,
    /// How long an opening connection may take to complete its handshake.
    pub connect_timeout_ms: u64,
    /// A connection up at least this long resets the backoff.
    pub stable_after_ms: u64,
    /// SSE silence (no bytes, not even a `: ping`) after which the stream counts as dead.
    pub sse_idle_timeout_ms: u64,
    /// Page size of the first page and of `loadMore`.
    pub page_size: u32,
    /// What the list holds.
    pub filter: Filter,
}

impl Config {
    pub fn new(url: &str) -> Self {
        Config {
            // Bytes, not `trim_end_matches('/')`: no char searcher in the wasm.
            base_url: url[..url.bytes().rposition(|b| b != b'/').map_or(0, |i| i + 1)].to_owned(),
            socket_path: "/socket.io/".to_owned(),
            backoff: Backoff::default(),
            websocket: true,
            sse: true,
            fallback_after: 2,
            probe_interval_ms: 15_000,
            connect_timeout_ms: 10_000,
            stable_after_ms: 5_000,
            sse_idle_timeout_ms: 45_000,
            page_size: notify_bindings::limits::PAGE_LIMIT_DEFAULT,
            filter: Filter::default(),
        }
    }

    /// `ws(s)://host/socket.io/?EIO=4&transport=websocket`; no token in it.
    pub fn websocket_url(&self) -> String {
        let base = &self.base_url;
        let mut out = String::new();
        // `http://` becomes `ws://` and `https://` `wss://` (the url is http(s): options.ts
        // checked it).
        if let Some(rest) = base.strip_prefix("http") {
            out.push_str("ws");
            out.push_str(rest);
        } else {
            out.push_str(base);
        }
        // String patterns: a `char` one is UTF-8 encoded at run time (an encoder in the wasm).
        if !self.socket_path.starts_with("/") {
            out.push('/');
        }
        out.push_str(&self.socket_path);
        if !out.ends_with("/") {
            out.push('/');
        }
        out.push_str(WEBSOCKET_QUERY);
        out
    }

    /// The base URL followed by `path` (which starts with `/`).
    pub fn http_url(&self, path: &str) -> String {
        let mut out = String::new();
        out.push_str(&self.base_url);
        out.push_str(path);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_base() {
        let c = Config::new("http://127.0.0.1:3001/");
        assert_eq!(c.base_url, "http://127.0.0.1:3001");
        assert_eq!(
            c.websocket_url(),
            "ws://127.0.0.1:3001/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            c.http_url("/notifications/events"),
            "http://127.0.0.1:3001/notifications/events"
        );
        let mut s = Config::new("https://api.example.com/push");
        assert_eq!(
            s.websocket_url(),
            "wss://api.example.com/push/socket.io/?EIO=4&transport=websocket"
        );
        s.socket_path = "io".into();
        assert_eq!(
            s.websocket_url(),
            "wss://api.example.com/push/io/?EIO=4&transport=websocket"
        );
    }
}
