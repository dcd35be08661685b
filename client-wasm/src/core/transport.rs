//! Which transport to use next: WebSocket first, SSE when WebSocket can't get through.
//!
//! A WebSocket that fails before its Socket.IO handshake completes (refused upgrade, a proxy
//! that drops it, a firewall) counts against WebSocket; after `fallback_after` such failures in
//! a row the client switches to the SSE stream. While on SSE it probes WebSocket in the
//! background (the machine schedules the probes) and returns as soon as one gets through. When
//! SSE keeps failing too (the server is simply down), the choice swings back to WebSocket, so
//! whichever transport works first when the server returns wins.

/// The two ways the client talks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    Sse,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::Sse => "sse",
        }
    }
}

/// Tracks consecutive failures and picks the transport for the next attempt.
#[derive(Debug, Clone)]
pub struct Chooser {
    websocket: bool,
    sse: bool,
    fallback_after: u32,
    current: Transport,
    failures: u32,
}

impl Chooser {
    /// `websocket` / `sse`: which transports are allowed (at least one; WebSocket when neither).
    pub fn new(websocket: bool, sse: bool, fallback_after: u32) -> Self {
        let websocket = websocket || !sse;
        Chooser {
            websocket,
            sse,
            fallback_after: fallback_after.max(1),
            current: if websocket {
                Transport::WebSocket
            } else {
                Transport::Sse
            },
            failures: 0,
        }
    }

    /// The transport the next attempt uses.
    pub fn current(&self) -> Transport {
        self.current
    }

    /// Whether background WebSocket probes should run (on SSE, with WebSocket allowed).
    pub fn should_probe(&self) -> bool {
        self.current == Transport::Sse && self.websocket
    }

    /// An attempt on the current transport failed before it was connected.
    /// Returns true when this switched the transport.
    pub fn failed(&mut self) -> bool {
        self.failures += 1;
        if self.failures < self.fallback_after || !(self.websocket && self.sse) {
            return false;
        }
        self.failures = 0;
        self.current = match self.current {
            Transport::WebSocket => Transport::Sse,
            Transport::Sse => Transport::WebSocket,
        };
        true
    }

    /// A connection on `transport` completed its handshake.
    pub fn connected(&mut self, transport: Transport) {
        self.current = transport;
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_first_then_sse_after_repeated_failures() {
        let mut c = Chooser::new(true, true, 2);
        assert_eq!(c.current(), Transport::WebSocket);
        assert!(!c.should_probe());
        assert!(!c.failed());
        assert_eq!(c.current(), Transport::WebSocket);
        assert!(c.failed());
        assert_eq!(c.current(), Transport::Sse);
        assert!(c.should_probe());
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut c = Chooser::new(true, true, 2);
        c.failed();
        c.connected(Transport::WebSocket);
        assert!(!c.failed());
        assert_eq!(c.current(), Transport::WebSocket);
    }

    #[test]
    fn sse_failing_too_swings_back_to_websocket() {
        let mut c = Chooser::new(true, true, 1);
        assert!(c.failed());
        assert_eq!(c.current(), Transport::Sse);
        assert!(c.failed());
        assert_eq!(c.current(), Transport::WebSocket);
    }

    #[test]
    fn a_probe_success_moves_back_to_websocket() {
        let mut c = Chooser::new(true, true, 1);
        c.failed();
        c.connected(Transport::WebSocket);
        assert_eq!(c.current(), Transport::WebSocket);
        assert!(!c.should_probe());
    }

    #[test]
    fn single_transport_never_switches() {
        let mut ws = Chooser::new(true, false, 1);
        assert!(!ws.failed() && !ws.failed());
        assert_eq!(ws.current(), Transport::WebSocket);
        let mut sse = Chooser::new(false, true, 1);
        assert_eq!(sse.current(), Transport::Sse);
        assert!(!sse.failed());
        assert!(!sse.should_probe());
        assert_eq!(
            Chooser::new(false, false, 0).current(),
            Transport::WebSocket
        );
    }
}
