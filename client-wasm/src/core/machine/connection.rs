//! Connection lifecycle: attempts, backoff, the WebSocket and SSE links, probes and watchdogs.

use super::sync::Op;
use super::{Effect, Link, Machine, Phase, SseLink, Status, TokenFor, WsLink};
use crate::core::codec::{self, EnginePacket, SocketKind};
use crate::core::json::{self, Json, str_field, u64_field};
use crate::core::token;
use crate::core::transport::Transport;
use crate::core::wire::{ClientError, codes, decode_ack, decode_push};
use notify_bindings::{NAMESPACE, events};

/// Engine.IO defaults, used when a handshake omits them.
const DEFAULT_PING_WINDOW: u64 = 25_000 + 20_000;

impl<J: Json> Machine<J> {
    pub fn connect(&mut self) {
        if matches!(
            self.status,
            Status::Idle | Status::Disconnected | Status::Unauthorized
        ) {
            self.attempt = 0;
            self.auth_retry = false;
            self.set_status(Status::Connecting);
            self.start_attempt();
        }
    }

    pub fn disconnect(&mut self) {
        self.close_main();
        self.close_probe();
        self.reconnect_at = None;
        self.probe_at = None;
        // Only the requests' waits stay (removed one by one: smaller than a `retain`).
        while let Some(i) = self
            .tokens
            .iter()
            .position(|(_, f)| !matches!(f, TokenFor::Http(_)))
        {
            self.tokens.swap_remove(i);
        }
        if self.status != Status::Idle {
            self.set_status(Status::Disconnected);
        }
    }

    pub fn online(&mut self, now: u64) {
        self.offline = false;
        if self.reconnect_at.is_some() {
            self.attempt = 0;
            self.start_attempt();
        }
        if self.probe_at.is_some() {
            self.probe_at = Some(now);
            self.start_probe_if_due(now);
        }
    }

    pub fn tick(&mut self, now: u64) {
        if self.main.deadline().is_some_and(|d| d <= now) {
            let connected = self.transport().is_some();
            self.close_main();
            if connected {
                self.lost(now);
            } else {
                self.failed(now, true);
            }
        }
        if self.probe.deadline().is_some_and(|d| d <= now) {
            self.close_probe();
            self.schedule_probe(now);
        }
        if self.reconnect_at.is_some_and(|d| d <= now) {
            self.start_attempt();
        }
        if self.refresh_at.is_some_and(|d| d <= now) {
            self.refresh_at = None;
            let seq = self.next_seq();
            self.ask_token(seq, TokenFor::Refresh);
        }
        self.start_probe_if_due(now);
    }

    fn start_attempt(&mut self) {
        self.reconnect_at = None;
        self.close_main();
        let seq = self.next_seq();
        self.ask_token(seq, TokenFor::Main);
        self.main = Link::Token(seq);
    }

    pub fn on_token(
        &mut self,
        seq: u32,
        token: Result<&str, &str>,
        expires_at: Option<u64>,
        now: u64,
    ) {
        let Some(purpose) = self.take_token(seq) else {
            return;
        };
        let token = match token {
            Ok(t) if !t.is_empty() => Ok(t),
            Ok(_) => Err("getToken returned an empty token"),
            Err(e) => Err(e),
        };
        // A refresh compares the token first (`use_fresh_token`); the others keep it at once.
        if let (Ok(t), false) = (token, purpose == TokenFor::Refresh) {
            self.set_token(t, expires_at);
        }
        match purpose {
            TokenFor::Main => match token {
                Ok(_) => self.open_main(now),
                Err(message) => {
                    self.main = Link::None;
                    self.report(ClientError::new(codes::TOKEN, message));
                    if self.auth_retry {
                        self.give_up_unauthorized();
                    } else {
                        self.failed(now, false);
                    }
                }
            },
            TokenFor::Probe => {
                self.probe = Link::None;
                match token {
                    Ok(_) => {
                        let conn = self.open_ws(now);
                        self.probe = Link::Ws(conn);
                    }
                    Err(_) => self.schedule_probe(now),
                }
            }
            TokenFor::Http(req) => match token {
                Ok(_) => self.send_http(req),
                Err(message) => {
                    self.fail_pending_http(req, ClientError::new(codes::TOKEN, message))
                }
            },
            // A failed refresh changes nothing: at expiry the server disconnects and the
            // reconnect asks `getToken` again.
            TokenFor::Refresh => {
                if let Ok(t) = token {
                    self.use_fresh_token(t, expires_at, now);
                }
            }
        }
    }

    /// Hands the live connection a fresh token: in-band on the socket; on SSE, a new stream
    /// that resumes after the newest notification (`Last-Event-ID`) replaces the old one.
    fn use_fresh_token(&mut self, fresh: &str, expires_at: Option<u64>, now: u64) {
        if self.token.as_deref() == Some(fresh) {
            return;
        }
        self.set_token(fresh, expires_at);
        match &self.main {
            Link::Ws(l) if l.phase == Phase::Connected => {
                let conn = l.conn;
                let payload = json::object1("token", self.token.as_deref().unwrap_or_default());
                let array = crate::core::wire::event_array(events::REFRESH_TOKEN, &payload);
                let text = codec::event(NAMESPACE, None, &array);
                self.emit(Effect::SendWs { conn, text });
                self.schedule_refresh(now);
            }
            Link::Sse(l) if l.open => {
                self.close_main();
                self.open_main(now);
            }
            _ => {}
        }
    }

    /// Stops waiting for the token `seq`; returns what it was for.
    fn take_token(&mut self, seq: u32) -> Option<TokenFor> {
        let i = self.tokens.iter().position(|(s, _)| *s == seq)?;
        Some(self.tokens.swap_remove(i).1)
    }

    fn set_token(&mut self, token: &str, expires_at: Option<u64>) {
        self.token = Some(token.to_owned());
        self.token_expires = expires_at;
    }

    /// Plans the next refresh from the current token's `exp` (none for a token without one).
    fn schedule_refresh(&mut self, now: u64) {
        self.refresh_at = self
            .token_expires
            .filter(|_| self.token.is_some())
            .and_then(|exp| token::refresh_due(now, exp));
    }

    fn open_main(&mut self, now: u64) {
        self.main = match self.chooser.current() {
            Transport::WebSocket => Link::Ws(self.open_ws(now)),
            Transport::Sse => {
                let conn = self.next_seq();
                self.emit(Effect::OpenSse {
                    conn,
                    url: self.cfg.http_url("/notifications/events"),
                    token: self.token.clone().unwrap_or_default(),
                    last_event_id: self.resume_point(),
                });
                Link::Sse(SseLink {
                    conn,
                    open: false,
                    deadline: now + self.cfg.connect_timeout_ms,
                })
            }
        };
    }

    /// SSE `Last-Event-ID`: the change-log position (v2), else the newest id (v1).
    fn resume_point(&self) -> Option<String> {
        match self.change_seq {
            Some(seq) => {
                let mut out = String::new();
                crate::core::json::push_u64(&mut out, seq);
                Some(out)
            }
            None => self.high_water.clone(),
        }
    }

    fn open_ws(&mut self, now: u64) -> WsLink {
        let conn = self.next_seq();
        self.emit(Effect::OpenWs {
            conn,
            url: self.cfg.websocket_url(),
        });
        WsLink {
            conn,
            phase: Phase::Opening,
            ping_window: DEFAULT_PING_WINDOW,
            deadline: now + self.cfg.connect_timeout_ms,
        }
    }

    fn close_main(&mut self) {
        self.refresh_at = None;
        let link = core::mem::take(&mut self.main);
        self.close_link(link);
    }

    fn close_probe(&mut self) {
        let link = core::mem::take(&mut self.probe);
        self.close_link(link);
    }

    fn close_link(&mut self, link: Link) {
        match link {
            Link::Ws(l) => {
                self.emit(Effect::CloseWs { conn: l.conn });
                self.dirty = true;
                self.requeue_acks(l.conn);
            }
            Link::Sse(l) => {
                self.emit(Effect::CloseSse { conn: l.conn });
                self.dirty = true;
            }
            Link::Token(seq) => {
                self.take_token(seq);
            }
            Link::None => {}
        }
    }

    /// The live connection dropped.
    fn lost(&mut self, now: u64) {
        if now.saturating_sub(self.connected_at) >= self.cfg.stable_after_ms {
            self.attempt = 0;
        }
        self.retry(now);
    }

    /// An attempt failed before it connected; `counts` says whether it speaks against the
    /// transport (a refused or dropped link, not a token or server-side refusal).
    fn failed(&mut self, now: u64, counts: bool) {
        if counts {
            self.chooser.failed();
        }
        self.retry(now);
    }

    fn retry(&mut self, now: u64) {
        self.close_main();
        self.close_probe();
        self.probe_at = None;
        if !matches!(
            self.status,
            Status::Connecting | Status::Connected | Status::Reconnecting
        ) {
            return;
        }
        if self.cfg.backoff.exhausted(self.attempt) {
            self.set_status(Status::Disconnected);
            self.report(ClientError::new(
                codes::RECONNECT_FAILED,
                "gave up reconnecting",
            ));
            return;
        }
        let delay = if self.offline {
            self.cfg.backoff.max_ms
        } else {
            self.cfg.backoff.delay(self.attempt, self.rng.next_f64())
        };
        self.attempt = self.attempt.saturating_add(1);
        self.reconnect_at = Some(now + delay);
        self.set_status(Status::Reconnecting);
    }

    fn unauthorized(&mut self) {
        self.close_main();
        if self.auth_retry {
            self.report(ClientError::new(codes::UNAUTHORIZED, "unauthorized"));
            self.give_up_unauthorized();
        } else {
            // The token may just have expired: ask for a fresh one once, right away.
            self.auth_retry = true;
            self.start_attempt();
        }
    }

    fn give_up_unauthorized(&mut self) {
        self.close_main();
        self.close_probe();
        self.reconnect_at = None;
        self.probe_at = None;
        self.set_status(Status::Unauthorized);
    }

    fn connected(&mut self, transport: Transport, now: u64) {
        self.chooser.connected(transport);
        self.connected_at = now;
        self.auth_retry = false;
        self.last_error = None;
        self.dirty = true;
        self.set_status(Status::Connected);
        // Pushes of a dropped socket were never applied: the catch-up replays them, and the
        // state held is complete up to where it resumes.
        self.held = None;
        self.applied_seq = self.change_seq;
        self.schedule_refresh(now);
        if transport == Transport::WebSocket {
            if self.change_seq.is_some() {
                self.held = Some(Vec::new());
            }
            self.send_op(Op::Subscribe {
                since: self.high_water.clone(),
                since_seq: self.change_seq,
            });
        }
        if !self.first_page_loaded {
            self.send_op(Op::Page {
                replace: false,
                before: None,
                mark: self.high_water.clone(),
            });
        }
        self.schedule_probe(now);
    }

    fn schedule_probe(&mut self, now: u64) {
        self.probe_at = (self.chooser.should_probe()
            && self.transport() == Some(Transport::Sse)
            && matches!(self.probe, Link::None))
        .then(|| now + self.cfg.probe_interval_ms);
    }

    fn start_probe_if_due(&mut self, now: u64) {
        if self.probe_at.is_some_and(|d| d <= now) {
            self.probe_at = None;
            let seq = self.next_seq();
            self.ask_token(seq, TokenFor::Probe);
            self.probe = Link::Token(seq);
        }
    }

    pub fn on_ws_text(&mut self, conn: u32, text: &str, now: u64) {
        let is_main = matches!(&self.main, Link::Ws(l) if l.conn == conn);
        let link = match (&mut self.main, &mut self.probe) {
            (Link::Ws(l), _) if l.conn == conn => l,
            (_, Link::Ws(l)) if l.conn == conn => l,
            _ => return,
        };
        let Ok(packet) = codec::decode_engine(text) else {
            return;
        };
        // Once joined, any packet proves the link alive; until then the connect timeout runs.
        if link.phase == Phase::Connected {
            link.deadline = now + link.ping_window;
        }
        match packet {
            EnginePacket::Open(handshake) => {
                if link.phase != Phase::Opening {
                    return;
                }
                let window = J::parse(handshake).and_then(|h| {
                    Some(u64_field(&h, "pingInterval")? + u64_field(&h, "pingTimeout")?)
                });
                if let Some(window) = window {
                    link.ping_window = window;
                }
                link.phase = Phase::Joining;
                link.deadline = now + self.cfg.connect_timeout_ms;
                let auth = json::object1("token", self.token.as_deref().unwrap_or_default());
                let text = codec::connect(NAMESPACE, &auth);
                self.emit(Effect::SendWs { conn, text });
            }
            EnginePacket::Ping(payload) => {
                let text = codec::pong(payload);
                self.emit(Effect::SendWs { conn, text });
            }
            EnginePacket::Close => self.on_ws_closed(conn, now),
            EnginePacket::Message(inner) => self.on_socket_packet(conn, is_main, inner, now),
            EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop => {}
        }
    }

    fn on_socket_packet(&mut self, conn: u32, is_main: bool, text: &str, now: u64) {
        let Ok(p) = codec::decode_socket(text) else {
            return;
        };
        if p.namespace != NAMESPACE {
            return;
        }
        match p.kind {
            SocketKind::Connect => {
                if is_main {
                    if let Link::Ws(l) = &mut self.main {
                        l.phase = Phase::Connected;
                        l.deadline = now + l.ping_window;
                    }
                } else {
                    // The background probe got through: WebSocket works again. Leave SSE.
                    let Link::Ws(mut link) = core::mem::take(&mut self.probe) else {
                        return;
                    };
                    link.phase = Phase::Connected;
                    link.deadline = now + link.ping_window;
                    self.close_main();
                    self.main = Link::Ws(link);
                }
                self.connected(Transport::WebSocket, now);
            }
            SocketKind::ConnectError => {
                let message = J::parse(p.data)
                    .and_then(|d| str_field(&d, "message"))
                    .unwrap_or_default();
                if !is_main {
                    self.close_probe();
                    self.schedule_probe(now);
                } else if message == codes::UNAUTHORIZED {
                    self.unauthorized();
                } else {
                    self.report(ClientError::new(codes::CONNECT_ERROR, &message));
                    self.close_main();
                    self.failed(now, false);
                }
            }
            SocketKind::Disconnect => {
                // `io server disconnect` (e.g. the token expired): reconnect with a fresh token.
                if is_main {
                    self.close_main();
                    self.lost(now);
                } else {
                    self.close_probe();
                    self.schedule_probe(now);
                }
            }
            SocketKind::Event => {
                let Some(args) = J::parse(p.data) else {
                    return;
                };
                let (Some(name), Some(payload)) = (args.element(0), args.element(1)) else {
                    return;
                };
                if let Some(push) = name.as_str().and_then(|n| decode_push(&n, &payload)) {
                    self.receive(&payload, push);
                }
            }
            SocketKind::Ack => {
                let Some(id) = p.ack else { return };
                let result = match J::parse(p.data) {
                    Some(args) => decode_ack(&args),
                    None => Err(ClientError::new(
                        codes::PROTOCOL,
                        "malformed acknowledgement",
                    )),
                };
                self.finish_ack(conn, id, result);
            }
        }
    }

    pub fn on_ws_closed(&mut self, conn: u32, now: u64) {
        match (&self.main, &self.probe) {
            (Link::Ws(l), _) if l.conn == conn => {
                let connected = l.phase == Phase::Connected;
                self.close_main();
                if connected {
                    self.lost(now);
                } else {
                    self.failed(now, true);
                }
            }
            (_, Link::Ws(l)) if l.conn == conn => {
                self.close_probe();
                self.schedule_probe(now);
            }
            _ => {}
        }
    }

    pub fn on_sse_response(&mut self, conn: u32, status: u16, now: u64) {
        let Link::Sse(link) = &mut self.main else {
            return;
        };
        if link.conn != conn || link.open {
            return;
        }
        match status {
            200..=299 => {
                link.open = true;
                link.deadline = now + self.cfg.sse_idle_timeout_ms;
                self.connected(Transport::Sse, now);
            }
            401 => self.unauthorized(),
            _ => {
                self.close_main();
                self.failed(now, true);
            }
        }
    }

    pub fn on_sse_data(&mut self, conn: u32, data: &str, now: u64) {
        let Link::Sse(link) = &mut self.main else {
            return;
        };
        if link.conn != conn || !link.open {
            return;
        }
        link.deadline = now + self.cfg.sse_idle_timeout_ms;
        let Some(envelope) = J::parse(data) else {
            return;
        };
        if let Some(push) = crate::core::wire::decode_envelope(&envelope) {
            self.receive(&envelope, push);
        }
    }

    pub fn on_sse_ended(&mut self, conn: u32, now: u64) {
        let Link::Sse(link) = &self.main else {
            return;
        };
        if link.conn != conn {
            return;
        }
        let open = link.open;
        self.close_main();
        if open {
            self.lost(now);
        } else {
            self.failed(now, true);
        }
    }
}
