//! The state machine driven through whole scenarios: a scripted server answers its effects.

use super::*;
use crate::core::backoff::Backoff;
use notify_bindings as b;
use serde_json::{Value, json};

const NS: &str = "/notifications";

fn notification(id: &str, read: bool) -> Value {
    serde_json::to_value(b::Notification {
        id: id.into(),
        user_id: "42".into(),
        kind: "info".into(),
        title: format!("title {id}"),
        message: String::new(),
        data: None,
        is_read: read,
        created_at: "2026-11-25T17:00:00.000Z".into(),
        read_at: None,
        is_seen: read,
        seen_at: None,
        is_archived: false,
        archived_at: None,
    })
    .unwrap()
}

fn envelope(event: b::ServerEvent) -> Value {
    serde_json::to_value(event).unwrap()
}

fn push_frame(event: b::ServerEvent) -> String {
    format!("42{NS},{}", json!([event.name(), envelope(event)]))
}

fn new_event(id: &str) -> b::ServerEvent {
    b::ServerEvent::Notification(serde_json::from_value(notification(id, false)).unwrap())
}

fn count_event(n: u64) -> b::ServerEvent {
    b::ServerEvent::UnreadCount(b::UnreadCount {
        count: n,
        unseen: n,
    })
}

/// A frame the client sent: event name, payload and ack id.
#[derive(Debug)]
struct Sent {
    ack: u64,
    name: String,
    payload: Value,
}

fn parse_sent(text: &str) -> Option<Sent> {
    let rest = text.strip_prefix("42/notifications,")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let args: Value = serde_json::from_str(&rest[digits..]).ok()?;
    Some(Sent {
        ack: rest[..digits].parse().ok()?,
        name: args[0].as_str()?.to_owned(),
        payload: args[1].clone(),
    })
}

struct Harness {
    m: Machine<Value>,
    now: u64,
    /// Effects not yet looked at.
    fx: Vec<Effect<Value>>,
    tokens_issued: u32,
}

fn config() -> Config {
    let mut cfg = Config::new("http://127.0.0.1:3001");
    cfg.backoff = Backoff {
        initial_ms: 500,
        max_ms: 30_000,
        factor: 2.0,
        max_attempts: None,
    };
    cfg
}

impl Harness {
    fn new() -> Self {
        Self::with(config())
    }

    fn with(cfg: Config) -> Self {
        Harness {
            m: Machine::new(cfg, 12345),
            now: 1_000_000,
            fx: Vec::new(),
            tokens_issued: 0,
        }
    }

    fn step(&mut self, input: Input) {
        let out = self.m.step(input, self.now);
        self.fx.extend(out);
    }

    fn take(&mut self) -> Vec<Effect<Value>> {
        core::mem::take(&mut self.fx)
    }

    /// Runs time forward to the machine's deadline and ticks.
    fn advance_to_deadline(&mut self) -> u64 {
        let d = self.m.deadline().expect("a deadline");
        let waited = d.saturating_sub(self.now);
        self.now = self.now.max(d);
        self.step(Input::Tick);
        waited
    }

    fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.step(Input::Tick);
    }

    /// Answers the pending GetToken with a fresh token; returns it.
    fn give_token(&mut self) -> String {
        let seq = self.find(|e| match e {
            Effect::GetToken(s) => Some(*s),
            _ => None,
        });
        self.tokens_issued += 1;
        let token = format!("token-{}", self.tokens_issued);
        self.step(Input::Token {
            seq,
            token: Ok(token.clone()),
            expires_at: None,
        });
        token
    }

    /// Removes and returns the first effect `f` picks.
    fn find<T>(&mut self, f: impl Fn(&Effect<Value>) -> Option<T>) -> T {
        let i = self
            .fx
            .iter()
            .position(|e| f(e).is_some())
            .unwrap_or_else(|| panic!("effect not found in {:#?}", self.fx));
        f(&self.fx.remove(i)).unwrap()
    }

    fn has(&self, f: impl Fn(&Effect<Value>) -> bool) -> bool {
        self.fx.iter().any(f)
    }

    fn opened_ws(&mut self) -> u32 {
        self.find(|e| match e {
            Effect::OpenWs { conn, url } => {
                assert!(
                    !url.contains("token"),
                    "no token in the WebSocket URL: {url}"
                );
                Some(*conn)
            }
            _ => None,
        })
    }

    fn ws(&mut self, conn: u32, text: &str) {
        self.step(Input::WsText {
            conn,
            text: text.to_owned(),
        });
    }

    /// Engine.IO open; returns the namespace CONNECT frame the client sent.
    fn handshake(&mut self, conn: u32) -> String {
        self.ws(
            conn,
            r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#,
        );
        self.sent_raw(conn)
    }

    fn sent_raw(&mut self, conn: u32) -> String {
        self.find(|e| match e {
            Effect::SendWs { conn: c, text } if *c == conn => Some(text.clone()),
            _ => None,
        })
    }

    /// The next event the client emitted on `conn`.
    fn sent(&mut self, conn: u32) -> Sent {
        let text = self.sent_raw(conn);
        parse_sent(&text).unwrap_or_else(|| panic!("not an event: {text}"))
    }

    fn ack(&mut self, conn: u32, id: u64, ack: Value) {
        self.ws(conn, &format!("43{NS},{id}{}", json!([ack])));
    }

    /// Connect → token → WebSocket → handshake → CONNECT accepted. Returns the conn.
    fn open_websocket(&mut self) -> u32 {
        let token = self.give_token();
        let conn = self.opened_ws();
        let connect = self.handshake(conn);
        assert_eq!(connect, format!(r#"40{NS},{{"token":"{token}"}}"#));
        self.ws(conn, &format!(r#"40{NS},{{"sid":"x"}}"#));
        conn
    }

    /// Answers the subscribe (and the first page, when asked) of a fresh WebSocket connection.
    fn answer_sync(
        &mut self,
        conn: u32,
        unread: u64,
        missed: Vec<Value>,
        page: Option<Vec<Value>>,
    ) {
        let sub = self.sent(conn);
        assert_eq!(sub.name, "subscribe_notifications");
        if let Some(items) = page {
            let list = self.sent(conn);
            assert_eq!(list.name, "list_notifications");
            self.ack(
                conn,
                list.ack,
                json!({"success": true, "data": {"items": items, "nextCursor": null}}),
            );
        }
        self.ack(
            conn,
            sub.ack,
            json!({"success": true, "data": {"unreadCount": unread, "missed": missed, "resync": false}}),
        );
    }

    fn ids(&self) -> Vec<String> {
        self.m
            .notifications()
            .iter()
            .map(|i| i.id.clone())
            .collect()
    }

    fn emitted(&self) -> Vec<String> {
        self.fx
            .iter()
            .filter_map(|e| match e {
                Effect::Notification(v) => Some(v["id"].as_str().unwrap().to_owned()),
                _ => None,
            })
            .collect()
    }

    fn http(&mut self) -> (u32, Method, String, String) {
        self.find(|e| match e {
            Effect::Http {
                req,
                method,
                url,
                token,
                ..
            } => Some((*req, *method, url.clone(), token.clone())),
            _ => None,
        })
    }
}

fn connected_harness() -> (Harness, u32) {
    let mut h = Harness::new();
    h.step(Input::Connect);
    let conn = h.open_websocket();
    h.answer_sync(
        conn,
        2,
        vec![],
        Some(vec![
            notification("03", false),
            notification("02", false),
            notification("01", true),
        ]),
    );
    h.take();
    (h, conn)
}

#[test]
fn idle_until_connect_then_connects_over_websocket() {
    let mut h = Harness::new();
    assert_eq!(h.m.status(), Status::Idle);
    assert_eq!(h.m.deadline(), None);
    h.step(Input::Connect);
    assert_eq!(h.m.status(), Status::Connecting);
    assert!(h.has(|e| *e == Effect::Status(Status::Connecting)));
    let conn = h.open_websocket();
    assert_eq!(h.m.status(), Status::Connected);
    assert_eq!(h.m.transport(), Some(Transport::WebSocket));
    h.answer_sync(conn, 1, vec![], Some(vec![notification("01", false)]));
    assert_eq!(h.ids(), ["01"]);
    assert_eq!(h.m.unread_count(), 1);
    assert!(h.has(|e| *e == Effect::UnreadCount(1)));
    assert!(h.emitted().is_empty(), "a page is not news");
    assert!(matches!(h.fx.last(), Some(Effect::Changed)));
    assert!(!h.m.has_more());
}

#[test]
fn live_notifications_arrive_once_and_the_count_follows_the_server() {
    let (mut h, conn) = connected_harness();
    h.ws(conn, &push_frame(new_event("04")));
    h.ws(conn, &push_frame(count_event(3)));
    assert_eq!(h.emitted(), ["04"]);
    h.take();
    h.ws(conn, &push_frame(new_event("04")));
    assert!(h.emitted().is_empty(), "duplicate delivery is dropped");
    assert_eq!(h.ids(), ["04", "03", "02", "01"]);
    assert_eq!(h.m.unread_count(), 3);
}

#[test]
fn pings_are_answered_and_a_silent_link_is_declared_dead() {
    let (mut h, conn) = connected_harness();
    h.ws(conn, "2");
    assert_eq!(h.sent_raw(conn), "3");
    // The watchdog is pingInterval + pingTimeout after the last packet.
    assert_eq!(h.m.deadline(), Some(h.now + 45_000));
    h.advance(44_999);
    assert_eq!(h.m.status(), Status::Connected);
    h.advance(1);
    assert_eq!(h.m.status(), Status::Reconnecting);
    assert!(h.has(|e| *e == Effect::CloseWs { conn }));
    assert_eq!(h.m.transport(), None);
}

#[test]
fn reconnects_with_a_fresh_token_and_resumes_from_the_newest_id() {
    let (mut h, conn) = connected_harness();
    h.ws(conn, &push_frame(new_event("04")));
    h.advance(10_000);
    h.step(Input::WsClosed { conn });
    assert_eq!(h.m.status(), Status::Reconnecting);
    h.take();
    let waited = h.advance_to_deadline();
    assert!(
        waited <= 500,
        "first retry after a stable connection waits at most 500 ms"
    );
    let conn2 = h.open_websocket();
    assert_ne!(conn, conn2);
    assert_eq!(
        h.tokens_issued, 2,
        "getToken is called before every connect"
    );
    // Only the subscribe goes out (the first page is already loaded), resuming from 04.
    let sub = h.sent(conn2);
    assert_eq!(sub.name, "subscribe_notifications");
    assert_eq!(sub.payload, json!({"since": "04"}));
    // A live push that overtakes the catch-up, then the catch-up (oldest first) with a duplicate.
    h.ws(conn2, &push_frame(new_event("07")));
    h.ack(
        conn2,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 6,
            "missed": [notification("05", false), notification("06", false), notification("07", false)],
            "resync": false}}),
    );
    assert_eq!(h.emitted(), ["07", "05", "06"]);
    assert_eq!(h.ids(), ["07", "06", "05", "04", "03", "02", "01"]);
    assert_eq!(h.m.unread_count(), 6);
    assert_eq!(h.m.status(), Status::Connected);
}

#[test]
fn backoff_grows_while_the_server_is_down_and_resets_after_a_stable_connection() {
    let mut cfg = config();
    cfg.sse = false;
    let mut h = Harness::with(cfg);
    h.step(Input::Connect);
    let conn = h.open_websocket();
    h.take();
    h.advance(6_000);
    h.step(Input::WsClosed { conn });
    let mut ceilings = Vec::new();
    for attempt in 0..8u32 {
        let waited = h.advance_to_deadline();
        let ceiling = Backoff::default().ceiling(attempt);
        assert!(
            waited <= ceiling,
            "attempt {attempt}: waited {waited} > {ceiling}"
        );
        ceilings.push(ceiling);
        h.give_token();
        let c = h.opened_ws();
        h.step(Input::WsClosed { conn: c });
        assert_eq!(h.m.status(), Status::Reconnecting);
        h.take();
    }
    assert_eq!(ceilings.last(), Some(&30_000));
    // A connection that stays up resets the backoff: the next drop retries within 500 ms.
    h.advance_to_deadline();
    let conn = h.open_websocket();
    h.advance(5_000);
    h.step(Input::WsClosed { conn });
    assert!(h.advance_to_deadline() <= 500);
}

#[test]
fn a_connection_that_drops_at_once_does_not_reset_the_backoff() {
    let mut cfg = config();
    cfg.sse = false;
    let mut h = Harness::with(cfg);
    h.step(Input::Connect);
    let mut flaps = Vec::new();
    for _ in 0..6 {
        let conn = h.open_websocket();
        h.take();
        h.step(Input::WsClosed { conn });
        flaps.push(h.m.attempt);
        h.advance_to_deadline();
    }
    assert_eq!(flaps, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn server_side_disconnect_reconnects_with_a_new_token() {
    let (mut h, conn) = connected_harness();
    for _ in 0..2 {
        h.advance(30_000);
        h.ws(conn, "2"); // pings keep the watchdog happy
    }
    assert_eq!(h.m.status(), Status::Connected);
    h.take();
    h.ws(conn, &format!("41{NS},"));
    assert_eq!(h.m.status(), Status::Reconnecting);
    assert!(h.has(|e| *e == Effect::CloseWs { conn }));
    h.take();
    h.advance_to_deadline();
    h.open_websocket();
    assert_eq!(h.tokens_issued, 2);
    assert_eq!(h.m.status(), Status::Connected);
}

#[test]
fn unauthorized_asks_for_a_token_once_more_then_stops() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    h.give_token();
    let conn = h.opened_ws();
    h.handshake(conn);
    h.ws(conn, &format!(r#"44{NS},{{"message":"unauthorized"}}"#));
    // At once, no backoff: a fresh token.
    assert!(h.has(|e| matches!(e, Effect::GetToken(_))));
    let token = h.give_token();
    assert_eq!(token, "token-2");
    let conn2 = h.opened_ws();
    h.handshake(conn2);
    h.ws(conn2, &format!(r#"44{NS},{{"message":"unauthorized"}}"#));
    assert_eq!(h.m.status(), Status::Unauthorized);
    assert_eq!(h.m.last_error().unwrap().code, "unauthorized");
    assert_eq!(h.m.deadline(), None, "no more retries");
    // connect() starts over.
    h.take();
    h.step(Input::Connect);
    assert_eq!(h.m.status(), Status::Connecting);
    h.open_websocket();
    assert_eq!(h.m.status(), Status::Connected);
}

#[test]
fn an_expired_token_is_replaced_and_the_client_carries_on() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    h.give_token();
    let conn = h.opened_ws();
    h.handshake(conn);
    h.ws(conn, &format!(r#"44{NS},{{"message":"unauthorized"}}"#));
    let conn2 = h.open_websocket();
    assert_eq!(h.m.status(), Status::Connected);
    h.answer_sync(conn2, 0, vec![], Some(vec![]));
    // A later unauthorized gets its one retry again: the budget resets on success.
    h.advance(10_000);
    h.ws(conn2, &format!("41{NS},"));
    h.advance_to_deadline();
    h.give_token();
    let conn3 = h.opened_ws();
    h.handshake(conn3);
    h.ws(conn3, &format!(r#"44{NS},{{"message":"unauthorized"}}"#));
    assert_ne!(h.m.status(), Status::Unauthorized);
    h.open_websocket();
    assert_eq!(h.m.status(), Status::Connected);
}

#[test]
fn get_token_failures_back_off_like_connection_failures() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    let seq = h.find(|e| match e {
        Effect::GetToken(s) => Some(*s),
        _ => None,
    });
    h.step(Input::Token {
        seq,
        token: Err("offline".into()),
        expires_at: None,
    });
    assert_eq!(h.m.status(), Status::Reconnecting);
    assert_eq!(h.m.last_error().unwrap().code, "token_error");
    h.take();
    h.advance_to_deadline();
    h.open_websocket();
    assert_eq!(h.m.status(), Status::Connected);
    assert_eq!(h.m.last_error(), None);
}

/// Blocks WebSocket twice; returns the SSE conn after it opened.
fn fall_back_to_sse(h: &mut Harness) -> u32 {
    h.step(Input::Connect);
    for _ in 0..2 {
        h.give_token();
        let conn = h.opened_ws();
        h.step(Input::WsClosed { conn });
        h.take();
        h.advance_to_deadline();
    }
    let token = h.give_token();
    let (conn, last_event_id) = h.find(|e| match e {
        Effect::OpenSse {
            conn,
            url,
            token: t,
            last_event_id,
        } => {
            assert_eq!(url, "http://127.0.0.1:3001/notifications/events");
            assert_eq!(*t, token);
            Some((*conn, last_event_id.clone()))
        }
        _ => None,
    });
    assert_eq!(last_event_id, None);
    h.step(Input::SseResponse { conn, status: 200 });
    conn
}

/// The data of one SSE event, as `io.ts` hands it over.
fn sse_data(event: b::ServerEvent) -> String {
    envelope(event).to_string()
}

#[test]
fn blocked_websocket_falls_back_to_sse_and_keeps_delivering() {
    let mut h = Harness::new();
    let conn = fall_back_to_sse(&mut h);
    assert_eq!(h.m.status(), Status::Connected);
    assert_eq!(h.m.transport(), Some(Transport::Sse));
    // The first page comes over REST with the same token.
    let (req, method, url, token) = h.http();
    assert_eq!(
        (method, url.as_str()),
        (Method::Get, "http://127.0.0.1:3001/notifications?limit=20")
    );
    assert_eq!(token, "token-3");
    h.step(Input::HttpDone {
        req,
        status: 200,
        body: json!({"items": [notification("01", false)], "nextCursor": "01"}).to_string(),
        retry_after: None,
    });
    assert!(h.m.has_more());
    // A ping (no event), then two events.
    for data in [
        String::new(),
        sse_data(count_event(1)),
        sse_data(new_event("02")),
    ] {
        h.step(Input::SseData { conn, data });
    }
    assert_eq!(h.ids(), ["02", "01"]);
    h.step(Input::SseData {
        conn,
        data: sse_data(count_event(2)),
    });
    assert_eq!(h.m.unread_count(), 2);
    assert_eq!(h.emitted(), ["02"]);
}

#[test]
fn on_sse_it_probes_websocket_and_moves_back_without_losing_anything() {
    let mut h = Harness::new();
    let sse = fall_back_to_sse(&mut h);
    let (req, ..) = h.http();
    h.step(Input::HttpDone {
        req,
        status: 200,
        body: json!({"items": [notification("01", false)], "nextCursor": null}).to_string(),
        retry_after: None,
    });
    h.step(Input::SseData {
        conn: sse,
        data: sse_data(new_event("02")),
    });
    h.take();
    // A probe that fails keeps us on SSE and schedules the next one.
    assert_eq!(h.advance_to_deadline(), 15_000);
    h.give_token();
    let probe = h.opened_ws();
    h.step(Input::WsClosed { conn: probe });
    assert_eq!(h.m.transport(), Some(Transport::Sse));
    assert_eq!(h.m.deadline(), Some(h.now + 15_000));
    // The next probe gets through: SSE is closed, WebSocket resumes from the newest id.
    h.advance_to_deadline();
    let token = h.give_token();
    let probe = h.opened_ws();
    assert_eq!(
        h.handshake(probe),
        format!(r#"40{NS},{{"token":"{token}"}}"#)
    );
    assert_eq!(
        h.m.transport(),
        Some(Transport::Sse),
        "still on SSE until the probe joins"
    );
    h.ws(probe, &format!(r#"40{NS},{{"sid":"y"}}"#));
    assert!(h.has(|e| *e == Effect::CloseSse { conn: sse }));
    assert_eq!(h.m.transport(), Some(Transport::WebSocket));
    assert_eq!(h.m.status(), Status::Connected);
    let sub = h.sent(probe);
    assert_eq!(sub.payload, json!({"since": "02"}));
    h.ack(
        probe,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 3, "missed": [notification("03", false)], "resync": false}}),
    );
    assert_eq!(h.ids(), ["03", "02", "01"]);
    // A chunk from the closed stream is ignored.
    h.step(Input::SseData {
        conn: sse,
        data: sse_data(new_event("09")),
    });
    assert_eq!(h.ids(), ["03", "02", "01"]);
}

#[test]
fn sse_reconnects_resume_with_last_event_id() {
    let mut h = Harness::new();
    let sse = fall_back_to_sse(&mut h);
    h.step(Input::SseData {
        conn: sse,
        data: sse_data(new_event("05")),
    });
    h.advance(10_000);
    h.step(Input::SseEnded { conn: sse });
    assert_eq!(h.m.status(), Status::Reconnecting);
    h.take();
    h.advance_to_deadline();
    h.give_token();
    let last = h.find(|e| match e {
        Effect::OpenSse { last_event_id, .. } => Some(last_event_id.clone()),
        _ => None,
    });
    assert_eq!(last.as_deref(), Some("05"));
}

#[test]
fn sse_401_is_handled_like_an_unauthorized_connect_error() {
    let mut h = Harness::new();
    let sse = fall_back_to_sse(&mut h);
    h.advance(20_000);
    h.step(Input::SseEnded { conn: sse });
    h.take();
    h.advance_to_deadline();
    h.give_token();
    let conn = h.find(|e| match e {
        Effect::OpenSse { conn, .. } => Some(*conn),
        _ => None,
    });
    h.step(Input::SseResponse { conn, status: 401 });
    h.give_token();
    let conn = h.find(|e| match e {
        Effect::OpenSse { conn, .. } => Some(*conn),
        _ => None,
    });
    h.step(Input::SseResponse { conn, status: 401 });
    assert_eq!(h.m.status(), Status::Unauthorized);
}

#[test]
fn mark_read_is_optimistic_and_confirmed_by_the_ack() {
    let (mut h, conn) = connected_harness();
    h.step(Input::MarkRead {
        id: "03".into(),
        action: 0,
    });
    assert_eq!(h.m.unread_count(), 1);
    assert!(h.m.notifications()[0].read);
    let sent = h.sent(conn);
    assert_eq!(
        (sent.name.as_str(), &sent.payload),
        ("mark_read", &json!({"id": "03"}))
    );
    let mut read = notification("03", true);
    read["readAt"] = json!("2026-11-25T17:01:00.000Z");
    h.ack(conn, sent.ack, json!({"success": true, "data": read}));
    assert_eq!(
        h.m.notifications()[0].value["readAt"],
        "2026-11-25T17:01:00.000Z"
    );
    // Marking it again sends (idempotent) but doesn't count twice.
    h.step(Input::MarkRead {
        id: "03".into(),
        action: 0,
    });
    assert_eq!(h.m.unread_count(), 1);
}

#[test]
fn a_refused_action_is_rolled_back_with_an_error() {
    let (mut h, conn) = connected_harness();
    h.step(Input::MarkRead {
        id: "02".into(),
        action: 0,
    });
    let sent = h.sent(conn);
    h.take();
    h.ack(
        conn,
        sent.ack,
        json!({"success": false, "error": {"code": "not_found", "message": "gone"}}),
    );
    assert_eq!(h.m.unread_count(), 2);
    assert!(!h.m.notifications()[1].read);
    assert!(h.has(|e| *e == Effect::Error(ClientError::new("not_found", "gone"))));
    assert_eq!(h.m.last_error().unwrap().code, "not_found");

    h.step(Input::MarkAllRead { action: 0 });
    assert_eq!(h.m.unread_count(), 0);
    assert!(h.m.notifications().iter().all(|i| i.read));
    let sent = h.sent(conn);
    assert_eq!(sent.name, "mark_all_read");
    h.ack(
        conn,
        sent.ack,
        json!({"success": false, "error": {"code": "internal", "message": "db"}}),
    );
    assert_eq!(h.m.unread_count(), 2);
    let reads: Vec<bool> = h.m.notifications().iter().map(|i| i.read).collect();
    assert_eq!(reads, [false, false, true]);
}

#[test]
fn remove_goes_over_rest_and_is_restored_when_refused() {
    let (mut h, _conn) = connected_harness();
    h.step(Input::Remove {
        id: "02".into(),
        action: 0,
    });
    assert_eq!(h.ids(), ["03", "01"]);
    assert_eq!(h.m.unread_count(), 1);
    let (req, method, url, token) = h.http();
    assert_eq!(method, Method::Delete);
    assert_eq!(url, "http://127.0.0.1:3001/notifications/02");
    assert_eq!(token, "token-1");
    h.step(Input::HttpDone {
        req,
        status: 500,
        body: r#"{"error":{"code":"internal","message":"x"}}"#.into(),
        retry_after: None,
    });
    assert_eq!(h.ids(), ["03", "02", "01"]);
    assert_eq!(h.m.unread_count(), 2);
    // An id the server doesn't know: refused with not_found, and the item comes back.
    h.step(Input::Remove {
        id: "02".into(),
        action: 7,
    });
    let (req, ..) = h.http();
    h.take();
    h.step(Input::HttpDone {
        req,
        status: 404,
        body: r#"{"error":{"code":"not_found","message":"x"}}"#.into(),
        retry_after: None,
    });
    assert_eq!(h.ids(), ["03", "02", "01"]);
    let settled = h.find(|e| match e {
        Effect::Settled { action, error } => Some((*action, error.clone())),
        _ => None,
    });
    let error = settled.1.expect("rejected");
    assert_eq!((settled.0, error.code.as_str()), (7, "not_found"));
    assert_eq!(error.status, Some(404));
}

#[test]
fn actions_settle_when_the_server_confirms() {
    let (mut h, conn) = connected_harness();
    h.step(Input::MarkRead {
        id: "03".into(),
        action: 1,
    });
    let sent = h.sent(conn);
    assert!(
        !h.has(|e| matches!(e, Effect::Settled { .. })),
        "not before the ack"
    );
    h.ack(
        conn,
        sent.ack,
        json!({"success": true, "data": notification("03", true)}),
    );
    assert!(h.has(|e| *e
        == Effect::Settled {
            action: 1,
            error: None
        }));
    // Nothing older to load: settles at once.
    h.step(Input::LoadMore { action: 2 });
    if h.has(|e| matches!(e, Effect::SendWs { .. })) {
        let sent = h.sent(conn);
        h.ack(
            conn,
            sent.ack,
            json!({"success": true, "data": {"items": [], "nextCursor": null}}),
        );
    }
    assert!(h.has(|e| *e
        == Effect::Settled {
            action: 2,
            error: None
        }));
    h.step(Input::LoadMore { action: 3 });
    assert!(h.has(|e| *e
        == Effect::Settled {
            action: 3,
            error: None
        }));
}

#[test]
fn clearing_the_user_forgets_the_list_and_restarts_the_connection() {
    let (mut h, conn) = connected_harness();
    h.step(Input::MarkAllRead { action: 4 });
    h.take();
    h.step(Input::ClearUser { restart: true });
    assert!(h.ids().is_empty());
    assert_eq!(h.m.unread_count(), 0);
    let settled = h.find(|e| match e {
        Effect::Settled { action, error } => Some((*action, error.clone())),
        _ => None,
    });
    assert_eq!(settled.0, 4);
    assert_eq!(settled.1.unwrap().code, "user_changed");
    assert!(h.has(|e| *e == Effect::CloseWs { conn }));
    assert!(
        h.has(|e| matches!(e, Effect::GetToken(_))),
        "connects again"
    );
    assert_eq!(h.m.status(), Status::Connecting);
}

#[test]
fn rest_401_fetches_a_fresh_token_and_retries_once() {
    let (mut h, _conn) = connected_harness();
    h.step(Input::Remove {
        id: "03".into(),
        action: 0,
    });
    let (req, ..) = h.http();
    h.step(Input::HttpDone {
        req,
        status: 401,
        body: String::new(),
        retry_after: None,
    });
    let token = h.give_token();
    let (req2, _, _, used) = h.http();
    assert_eq!(req2, req);
    assert_eq!(used, token);
    h.step(Input::HttpDone {
        req,
        status: 401,
        body: String::new(),
        retry_after: None,
    });
    assert_eq!(h.m.last_error().unwrap().code, "unauthorized");
    assert_eq!(h.ids(), ["03", "02", "01"], "rolled back");
}

#[test]
fn actions_waiting_on_a_dropped_socket_finish_over_rest() {
    let (mut h, conn) = connected_harness();
    h.step(Input::MarkRead {
        id: "03".into(),
        action: 0,
    });
    h.sent(conn);
    h.advance(10_000);
    h.step(Input::WsClosed { conn });
    let (req, method, url, _) = h.http();
    assert_eq!(method, Method::Post);
    assert_eq!(url, "http://127.0.0.1:3001/notifications/03/read");
    h.step(Input::HttpDone {
        req,
        status: 200,
        body: notification("03", true).to_string(),
        retry_after: None,
    });
    assert!(h.m.notifications()[0].read);
    assert_eq!(h.m.unread_count(), 1);
}

#[test]
fn network_failures_of_actions_roll_back() {
    let mut h = Harness::new();
    let _ = fall_back_to_sse(&mut h);
    let (req, ..) = h.http();
    h.step(Input::HttpDone {
        req,
        status: 200,
        body: json!({"items": [notification("01", false)], "nextCursor": null}).to_string(),
        retry_after: None,
    });
    h.step(Input::SseData {
        conn: 0,
        data: String::new(),
    });
    h.step(Input::MarkAllRead { action: 0 });
    let (req, method, url, _) = h.http();
    assert_eq!(
        (method, url.as_str()),
        (Method::Post, "http://127.0.0.1:3001/notifications/read-all")
    );
    assert!(h.m.notifications()[0].read);
    h.step(Input::HttpFailed { req });
    assert!(!h.m.notifications()[0].read);
    assert_eq!(h.m.last_error().unwrap().code, "network_error");
}

#[test]
fn load_more_pages_backwards_until_the_end() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    let conn = h.open_websocket();
    let sub = h.sent(conn);
    let list = h.sent(conn);
    h.ack(
        conn,
        list.ack,
        json!({"success": true, "data": {"items": [notification("05", false), notification("04", false)], "nextCursor": "04"}}),
    );
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 4, "missed": [], "resync": false}}),
    );
    assert!(h.m.has_more());
    h.step(Input::LoadMore { action: 0 });
    h.step(Input::LoadMore { action: 0 }); // ignored while one is in flight
    let more = h.sent(conn);
    assert_eq!(more.payload, json!({"limit": 20, "before": "04"}));
    assert!(!h.has(|e| matches!(e, Effect::SendWs { .. })));
    h.ack(
        conn,
        more.ack,
        json!({"success": true, "data": {"items": [notification("02", false)], "nextCursor": null}}),
    );
    assert_eq!(h.ids(), ["05", "04", "02"]);
    assert!(!h.m.has_more());
    h.take();
    h.step(Input::LoadMore { action: 0 });
    assert!(!h.has(|e| matches!(e, Effect::SendWs { .. })));
}

#[test]
fn a_resync_replaces_the_list_with_the_first_page() {
    let (mut h, conn) = connected_harness();
    h.advance(10_000);
    h.step(Input::WsClosed { conn });
    h.advance_to_deadline();
    let conn = h.open_websocket();
    let sub = h.sent(conn);
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 900, "missed": [], "resync": true}}),
    );
    let list = h.sent(conn);
    assert_eq!(list.payload, json!({"limit": 20}));
    h.ws(conn, &push_frame(new_event("99")));
    h.ack(
        conn,
        list.ack,
        json!({"success": true, "data": {"items": [notification("90", false), notification("80", false)], "nextCursor": "80"}}),
    );
    assert_eq!(h.ids(), ["99", "90", "80"]);
    assert_eq!(h.m.unread_count(), 900);
}

#[test]
fn pushes_update_delete_and_mark_all_read() {
    let (mut h, conn) = connected_harness();
    h.ws(
        conn,
        &push_frame(b::ServerEvent::NotificationUpdated(
            serde_json::from_value(notification("02", true)).unwrap(),
        )),
    );
    assert!(h.m.notifications()[1].read);
    h.ws(
        conn,
        &push_frame(b::ServerEvent::NotificationDeleted(b::NotificationId {
            id: "01".into(),
        })),
    );
    assert_eq!(h.ids(), ["03", "02"]);
    h.ws(
        conn,
        &push_frame(b::ServerEvent::AllRead(b::AllRead {
            read_at: "t".into(),
        })),
    );
    assert!(h.m.notifications().iter().all(|i| i.read));
    assert_eq!(h.m.notifications()[0].value["readAt"], "t");
    // Junk never breaks the client.
    for junk in [
        "",
        "9",
        "42/notifications,[",
        "42/other,[\"notification\",{}]",
        "43/notifications,999[{}]",
        "42/notifications,[\"notification\"]",
    ] {
        h.ws(conn, junk);
    }
    assert_eq!(h.m.status(), Status::Connected);
}

#[test]
fn online_reconnects_at_once() {
    let (mut h, conn) = connected_harness();
    h.advance(10_000);
    h.step(Input::WsClosed { conn });
    // Fail a few times so the backoff is long.
    for _ in 0..5 {
        h.advance_to_deadline();
        h.give_token();
        let c = h.opened_ws();
        h.ws(c, r#"0{"pingInterval":1,"pingTimeout":1}"#);
        h.ws(c, &format!(r#"44{NS},{{"message":"server busy"}}"#));
    }
    h.step(Input::Offline);
    assert!(h.m.deadline().unwrap() > h.now + 1_000);
    h.take();
    h.step(Input::Online);
    assert!(h.has(|e| matches!(e, Effect::GetToken(_))));
    h.open_websocket();
    assert_eq!(h.m.status(), Status::Connected);
}

#[test]
fn disconnect_stops_everything_and_ignores_late_events() {
    let (mut h, conn) = connected_harness();
    h.step(Input::Disconnect);
    assert_eq!(h.m.status(), Status::Disconnected);
    assert!(h.has(|e| *e == Effect::CloseWs { conn }));
    assert_eq!(h.m.deadline(), None);
    h.take();
    h.step(Input::WsClosed { conn });
    h.ws(conn, &push_frame(new_event("09")));
    assert_eq!(h.m.status(), Status::Disconnected);
    assert!(h.fx.is_empty());
    // Disconnect while waiting for a token: the late token opens nothing.
    h.step(Input::Connect);
    h.step(Input::Disconnect);
    h.give_token();
    assert!(!h.has(|e| matches!(e, Effect::OpenWs { .. })));
}

#[test]
fn gives_up_after_max_attempts() {
    let mut cfg = config();
    cfg.backoff.max_attempts = Some(2);
    cfg.sse = false;
    let mut h = Harness::with(cfg);
    h.step(Input::Connect);
    for _ in 0..3 {
        h.give_token();
        let c = h.opened_ws();
        h.step(Input::WsClosed { conn: c });
        if h.m.status() == Status::Disconnected {
            break;
        }
        h.advance_to_deadline();
    }
    assert_eq!(h.m.status(), Status::Disconnected);
    assert_eq!(h.m.last_error().unwrap().code, "reconnect_failed");
    assert_eq!(h.m.deadline(), None);
}

#[test]
fn a_handshake_that_never_completes_times_out() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    h.give_token();
    let conn = h.opened_ws();
    assert_eq!(h.m.deadline(), Some(h.now + 10_000));
    h.advance(10_000);
    assert!(h.has(|e| *e == Effect::CloseWs { conn }));
    assert_eq!(h.m.status(), Status::Reconnecting);
}

#[test]
fn a_namespace_that_never_answers_the_connect_times_out_despite_pings() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    h.give_token();
    let conn = h.opened_ws();
    h.handshake(conn);
    for _ in 0..3 {
        h.advance(3_000);
        h.ws(conn, "2");
    }
    assert_eq!(h.m.status(), Status::Connecting);
    h.advance(1_000);
    assert!(h.has(|e| *e == Effect::CloseWs { conn }));
    assert_eq!(h.m.status(), Status::Reconnecting);
}

#[test]
fn refresh_reloads_the_first_page_and_the_count() {
    let (mut h, conn) = connected_harness();
    h.step(Input::Refresh { action: 0 });
    let list = h.sent(conn);
    let count = h.sent(conn);
    assert_eq!(list.name, "list_notifications");
    assert_eq!(
        (count.name.as_str(), &count.payload),
        ("subscribe_notifications", &json!({}))
    );
    h.ack(
        conn,
        count.ack,
        json!({"success": true, "data": {"unreadCount": 9, "missed": [], "resync": false}}),
    );
    h.ack(
        conn,
        list.ack,
        json!({"success": true, "data": {"items": [notification("03", true)], "nextCursor": null}}),
    );
    assert_eq!(h.ids(), ["03"]);
    assert_eq!(h.m.unread_count(), 9);
}

#[test]
fn a_page_that_overtakes_the_catch_up_still_announces_new_notifications_once() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    let conn = h.open_websocket();
    let sub = h.sent(conn);
    let _first_page = h.sent(conn); // never answered
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 0, "missed": [], "resync": false}}),
    );
    h.ws(conn, &push_frame(new_event("01")));
    // The connection drops before the first page came back: its request fails over REST.
    h.advance(10_000);
    h.step(Input::WsClosed { conn });
    let (req, ..) = h.http();
    h.step(Input::HttpFailed { req });
    h.take();
    h.advance_to_deadline();
    let conn = h.open_websocket();
    let sub = h.sent(conn);
    assert_eq!(sub.payload, json!({"since": "01"}));
    let list = h.sent(conn);
    assert_eq!(list.name, "list_notifications");
    // The page answers first, then the catch-up with the same notifications.
    h.ack(
        conn,
        list.ack,
        json!({"success": true, "data": {"items": [notification("03", false), notification("02", false), notification("01", false)], "nextCursor": null}}),
    );
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 3, "missed": [notification("02", false), notification("03", false)], "resync": false}}),
    );
    assert_eq!(h.emitted(), ["03", "02"], "each new one announced once");
    assert_eq!(h.ids(), ["03", "02", "01"]);
}

mod refresh;
