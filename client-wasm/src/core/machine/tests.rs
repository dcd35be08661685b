//! The state machine driven through whole scenarios: a scripted server answers its effects.

use super::*;
use crate::core::backoff::Backoff;
use crate::core::list::Flag;
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

/// The user's action `edit` on one notification.
fn edit(edit: Edit, id: &str, action: u32) -> Input<'_> {
    Input::Edit {
        edit,
        ids: Some(vec![id.into()]),
        action,
    }
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
            token: Ok(&token),
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
        self.step(Input::WsText { conn, text });
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

    /// The SSE stream `sse` ends after a while; returns the next stream and its `Last-Event-ID`.
    fn reopen_sse(&mut self, sse: u32) -> (u32, Option<String>) {
        self.advance(10_000);
        self.step(Input::SseEnded { conn: sse });
        assert_eq!(self.m.status(), Status::Reconnecting);
        self.take();
        self.advance_to_deadline();
        self.give_token();
        self.find(|e| match e {
            Effect::OpenSse {
                conn,
                last_event_id,
                ..
            } => Some((*conn, last_event_id.clone())),
            _ => None,
        })
    }

    /// SSE messages on `conn`.
    fn sse(&mut self, conn: u32, messages: impl IntoIterator<Item = String>) {
        for data in messages {
            self.step(Input::SseData { conn, data: &data });
        }
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
fn a_push_that_comes_after_the_first_page_read_its_notification_is_still_news() {
    // Created just after the socket joined: the first page reads it before its push arrives.
    let (mut h, conn) = connected_harness();
    h.ws(conn, &push_frame(new_event("03")));
    assert_eq!(h.emitted(), ["03"]);
    h.take();
    h.ws(conn, &push_frame(new_event("03")));
    assert!(h.emitted().is_empty(), "announced once");
    assert_eq!(h.ids(), ["03", "02", "01"]);
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
        token: Err("offline"),
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
        body: &json!({"items": [notification("01", false)], "nextCursor": "01"}).to_string(),
        retry_after: None,
    });
    assert!(h.m.has_more());
    // A ping (no event), then two events.
    for data in [
        String::new(),
        sse_data(count_event(1)),
        sse_data(new_event("02")),
    ] {
        h.step(Input::SseData { conn, data: &data });
    }
    assert_eq!(h.ids(), ["02", "01"]);
    h.step(Input::SseData {
        conn,
        data: &sse_data(count_event(2)),
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
        body: &json!({"items": [notification("01", false)], "nextCursor": null}).to_string(),
        retry_after: None,
    });
    h.step(Input::SseData {
        conn: sse,
        data: &sse_data(new_event("02")),
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
        data: &sse_data(new_event("09")),
    });
    assert_eq!(h.ids(), ["03", "02", "01"]);
}

#[test]
fn sse_reconnects_resume_with_last_event_id() {
    let mut h = Harness::new();
    let sse = fall_back_to_sse(&mut h);
    h.sse(sse, [sse_data(new_event("05"))]);
    let (_, last) = h.reopen_sse(sse);
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
    h.step(edit(Edit::Read, "03", 0));
    assert_eq!(h.m.unread_count(), 1);
    assert!(h.m.notifications()[0].flag(Flag::Read));
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
    h.step(edit(Edit::Read, "03", 0));
    assert_eq!(h.m.unread_count(), 1);
}

#[test]
fn a_refused_action_is_rolled_back_with_an_error() {
    let (mut h, conn) = connected_harness();
    h.step(edit(Edit::Read, "02", 0));
    let sent = h.sent(conn);
    h.take();
    h.ack(
        conn,
        sent.ack,
        json!({"success": false, "error": {"code": "not_found", "message": "gone"}}),
    );
    assert_eq!(h.m.unread_count(), 2);
    assert!(!h.m.notifications()[1].flag(Flag::Read));
    assert!(h.has(|e| *e == Effect::Error(ClientError::new("not_found", "gone"))));
    assert_eq!(h.m.last_error().unwrap().code, "not_found");

    h.step(Input::Edit {
        edit: Edit::Read,
        ids: None,
        action: 0,
    });
    assert_eq!(h.m.unread_count(), 0);
    assert!(h.m.notifications().iter().all(|i| i.flag(Flag::Read)));
    let sent = h.sent(conn);
    assert_eq!(sent.name, "mark_all_read");
    h.ack(
        conn,
        sent.ack,
        json!({"success": false, "error": {"code": "internal", "message": "db"}}),
    );
    assert_eq!(h.m.unread_count(), 2);
    let reads: Vec<bool> =
        h.m.notifications()
            .iter()
            .map(|i| i.flag(Flag::Read))
            .collect();
    assert_eq!(reads, [false, false, true]);
}

#[test]
fn remove_goes_over_rest_and_is_restored_when_refused() {
    let (mut h, _conn) = connected_harness();
    h.step(edit(Edit::Remove, "02", 0));
    assert_eq!(h.ids(), ["03", "01"]);
    assert_eq!(h.m.unread_count(), 1);
    let (req, method, url, token) = h.http();
    assert_eq!(method, Method::Delete);
    assert_eq!(url, "http://127.0.0.1:3001/notifications/02");
    assert_eq!(token, "token-1");
    h.step(Input::HttpDone {
        req,
        status: 500,
        body: r#"{"error":{"code":"internal","message":"x"}}"#,
        retry_after: None,
    });
    assert_eq!(h.ids(), ["03", "02", "01"]);
    assert_eq!(h.m.unread_count(), 2);
    // An id the server doesn't know: refused with not_found, and the item comes back.
    h.step(edit(Edit::Remove, "02", 7));
    let (req, ..) = h.http();
    h.take();
    h.step(Input::HttpDone {
        req,
        status: 404,
        body: r#"{"error":{"code":"not_found","message":"x"}}"#,
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
    h.step(edit(Edit::Read, "03", 1));
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
    h.step(Input::Edit {
        edit: Edit::Read,
        ids: None,
        action: 4,
    });
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
    h.step(edit(Edit::Remove, "03", 0));
    let (req, ..) = h.http();
    h.step(Input::HttpDone {
        req,
        status: 401,
        body: "",
        retry_after: None,
    });
    let token = h.give_token();
    let (req2, _, _, used) = h.http();
    assert_eq!(req2, req);
    assert_eq!(used, token);
    h.step(Input::HttpDone {
        req,
        status: 401,
        body: "",
        retry_after: None,
    });
    assert_eq!(h.m.last_error().unwrap().code, "unauthorized");
    assert_eq!(h.ids(), ["03", "02", "01"], "rolled back");
}

#[test]
fn actions_waiting_on_a_dropped_socket_finish_over_rest() {
    let (mut h, conn) = connected_harness();
    h.step(edit(Edit::Read, "03", 0));
    h.sent(conn);
    h.advance(10_000);
    h.step(Input::WsClosed { conn });
    let (req, method, url, _) = h.http();
    assert_eq!(method, Method::Post);
    assert_eq!(url, "http://127.0.0.1:3001/notifications/03/read");
    h.step(Input::HttpDone {
        req,
        status: 200,
        body: &notification("03", true).to_string(),
        retry_after: None,
    });
    assert!(h.m.notifications()[0].flag(Flag::Read));
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
        body: &json!({"items": [notification("01", false)], "nextCursor": null}).to_string(),
        retry_after: None,
    });
    h.step(Input::SseData { conn: 0, data: "" });
    h.step(Input::Edit {
        edit: Edit::Read,
        ids: None,
        action: 0,
    });
    let (req, method, url, _) = h.http();
    assert_eq!(
        (method, url.as_str()),
        (Method::Post, "http://127.0.0.1:3001/notifications/read-all")
    );
    assert!(h.m.notifications()[0].flag(Flag::Read));
    h.step(Input::HttpFailed { req });
    assert!(!h.m.notifications()[0].flag(Flag::Read));
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
    assert!(h.m.notifications()[1].flag(Flag::Read));
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
    assert!(h.m.notifications().iter().all(|i| i.flag(Flag::Read)));
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

// ---- v2: feed states, the change log, filters -------------------------------------------

/// A v2 notification (with its feed states).
fn v2(id: &str, kind: &str, read: bool, seen: bool, archived: bool) -> Value {
    let mut n = notification(id, read);
    n["type"] = json!(kind);
    n["isSeen"] = json!(seen);
    n["seenAt"] = if seen { json!("t") } else { Value::Null };
    n["isArchived"] = json!(archived);
    n["archivedAt"] = if archived { json!("t") } else { Value::Null };
    n
}

/// A change envelope as the server reports it (`{"type", "data", "seq"}`).
fn change(kind: &str, data: Value, seq: u64) -> Value {
    json!({"type": kind, "data": data, "seq": seq})
}

fn counts(unread: u64, unseen: u64, seq: u64) -> Value {
    change(
        "unread_count",
        json!({"count": unread, "unseen": unseen}),
        seq,
    )
}

fn live(h: &mut Harness, conn: u32, envelope: Value) {
    h.ws(
        conn,
        &format!("42{NS},{}", json!([envelope["type"], envelope])),
    );
}

/// Connected to a v2 server at `seq` 5 holding 04..01 (04, 03 unread; 04 unseen).
fn v2_harness(cfg: Config) -> (Harness, u32) {
    let mut h = Harness::with(cfg);
    h.step(Input::Connect);
    let conn = h.open_websocket();
    let sub = h.sent(conn);
    assert_eq!(sub.payload, json!({}), "nothing to resume from yet");
    let list = h.sent(conn);
    let page = [
        v2("04", "payment.received", false, false, false),
        v2("03", "payment.sent", false, true, false),
        v2("02", "info", true, true, false),
        v2("01", "info", true, true, false),
    ];
    h.ack(
        conn,
        list.ack,
        json!({"success": true, "data": {"items": page, "nextCursor": null}}),
    );
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 2, "unseenCount": 1, "seq": 5,
            "changes": [], "resync": false}}),
    );
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (2, 1));
    h.take();
    (h, conn)
}

/// Drops `conn` and reconnects over WebSocket; returns the new conn and its subscribe.
fn reconnect(h: &mut Harness, conn: u32) -> (u32, Sent) {
    h.advance(10_000);
    h.step(Input::WsClosed { conn });
    h.take();
    h.advance_to_deadline();
    let conn2 = h.open_websocket();
    let sub = h.sent(conn2);
    assert_eq!(sub.name, "subscribe_notifications");
    (conn2, sub)
}

fn list_requests(h: &Harness) -> usize {
    h.fx.iter()
        .filter(|e| match e {
            Effect::SendWs { text, .. } => text.contains("list_notifications"),
            Effect::Http { url, .. } => url.contains("/notifications?"),
            _ => false,
        })
        .count()
}

#[test]
fn a_reconnect_replays_the_changes_made_elsewhere_without_reloading() {
    let (mut h, conn) = v2_harness(config());
    h.step(Input::Offline);
    let (conn2, sub) = reconnect(&mut h, conn);
    assert_eq!(sub.payload, json!({"sinceSeq": 5}));
    // Meanwhile on another device: 03 read, 02 deleted, 01 archived, 05 and 06 created.
    let changes = json!([
        change(
            "notification_updated",
            v2("03", "payment.sent", true, true, false),
            6
        ),
        counts(1, 1, 6),
        change("notification_deleted", json!({"id": "02"}), 7),
        change(
            "notification_updated",
            v2("01", "info", true, true, true),
            8
        ),
        change("notification", v2("05", "info", false, false, false), 9),
        change("notification", v2("06", "info", false, false, false), 10),
        counts(3, 3, 10),
        // Already held: ignored.
        change("notification_deleted", json!({"id": "04"}), 5),
    ]);
    h.ack(
        conn2,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 3, "unseenCount": 3, "seq": 10,
            "changes": changes, "resync": false}}),
    );
    assert_eq!(h.ids(), ["06", "05", "04", "03"]);
    assert!(h.m.notifications()[3].flag(Flag::Read), "03 read elsewhere");
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (3, 3));
    assert_eq!(h.emitted(), ["05", "06"]);
    assert_eq!(list_requests(&h), 0, "no page reload");
    // The next gap resumes from 10, and a replayed change never applies twice.
    live(
        &mut h,
        conn2,
        change("notification_deleted", json!({"id": "05"}), 11),
    );
    live(
        &mut h,
        conn2,
        change("notification", v2("05", "info", false, false, false), 9),
    );
    assert_eq!(h.ids(), ["06", "04", "03"]);
    let (_, sub) = reconnect(&mut h, conn2);
    assert_eq!(sub.payload, json!({"sinceSeq": 11}));
}

/// The first connection to a v2 server: the subscribe ack (or the connect count) can report a
/// seq whose change the first page, read concurrently, does not hold yet and whose push is still
/// on its way. That push is the only copy of the change: it applies and is news.
#[test]
fn a_push_behind_the_first_acks_seq_still_applies_on_a_first_connection() {
    for count_first in [false, true] {
        let mut h = Harness::new();
        h.step(Input::Connect);
        let conn = h.open_websocket();
        let sub = h.sent(conn);
        let list = h.sent(conn);
        if count_first {
            live(&mut h, conn, counts(1, 1, 1));
        }
        h.ack(
            conn,
            sub.ack,
            json!({"success": true, "data": {"unreadCount": 1, "unseenCount": 1, "seq": 1,
                "changes": [], "resync": false}}),
        );
        h.ack(
            conn,
            list.ack,
            json!({"success": true, "data": {"items": [], "nextCursor": null}}),
        );
        live(
            &mut h,
            conn,
            change("notification", v2("01", "info", false, false, false), 1),
        );
        live(&mut h, conn, counts(1, 1, 1));
        assert_eq!(h.ids(), ["01"], "count first: {count_first}");
        assert_eq!(h.emitted(), ["01"]);
        assert_eq!(h.m.unread_count(), 1);
        // A later gap resumes from the position reached.
        let (_, sub) = reconnect(&mut h, conn);
        assert_eq!(sub.payload, json!({"sinceSeq": 1}));
    }
}

#[test]
fn a_handover_resumes_from_the_seq_the_leader_reached() {
    let mut h = Harness::new();
    let page = json!({"items": [v2("04", "info", false, false, false)], "nextCursor": null,
        "seq": 12});
    h.step(Input::Resume {
        counts: [1, 1],
        page: &page.to_string(),
    });
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (1, 1));
    h.step(Input::Connect);
    let conn = h.open_websocket();
    let sub = h.sent(conn);
    assert_eq!(sub.payload, json!({"sinceSeq": 12}));
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 0, "unseenCount": 0, "seq": 13,
            "changes": [change("notification_updated", v2("04", "info", true, true, false), 13)],
            "resync": false}}),
    );
    assert!(
        h.m.notifications()[0].flag(Flag::Read),
        "read while no tab led"
    );
    assert_eq!(list_requests(&h), 0, "no page reload");
}

#[test]
fn live_pushes_during_a_catch_up_apply_after_it() {
    let (mut h, conn) = v2_harness(config());
    let (conn2, sub) = reconnect(&mut h, conn);
    // 04 read (6), then unread again (7): the live 7 arrives before the ack that holds 6.
    live(
        &mut h,
        conn2,
        change(
            "notification_updated",
            v2("04", "payment.received", false, true, false),
            7,
        ),
    );
    h.ack(
        conn2,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 1, "unseenCount": 0, "seq": 6,
            "changes": [change("notification_updated",
                v2("04", "payment.received", true, true, false), 6)],
            "resync": false}}),
    );
    assert!(
        !h.m.notifications()[0].flag(Flag::Read),
        "the later change wins"
    );
}

#[test]
fn a_resync_reloads_the_first_page_and_resumes_from_the_new_seq() {
    let (mut h, conn) = v2_harness(config());
    let (conn2, sub) = reconnect(&mut h, conn);
    h.ack(
        conn2,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 0, "unseenCount": 0, "seq": 900,
            "changes": [], "resync": true}}),
    );
    let list = h.sent(conn2);
    assert_eq!(list.name, "list_notifications");
    h.ack(
        conn2,
        list.ack,
        json!({"success": true, "data": {"items": [v2("09", "info", true, true, false)],
            "nextCursor": null}}),
    );
    assert_eq!(h.ids(), ["09"]);
    let (_, sub) = reconnect(&mut h, conn2);
    assert_eq!(sub.payload, json!({"sinceSeq": 900}));
}

#[test]
fn an_sse_resume_replays_after_a_count_that_is_ahead_of_it() {
    let mut h = Harness::new();
    let sse = fall_back_to_sse(&mut h);
    let first = [
        counts(0, 0, 2),
        change("notification", v2("05", "info", false, false, false), 3),
    ];
    h.sse(sse, first.map(|m| m.to_string()));
    let (sse2, last) = h.reopen_sse(sse);
    assert_eq!(last.as_deref(), Some("3"), "Last-Event-ID: the seq");
    assert_eq!(h.ids(), ["05"]);
    h.step(Input::SseResponse {
        conn: sse2,
        status: 200,
    });
    // The stream opens with the count of the state now (seq 5), then replays 4 and 5.
    let replay = [
        counts(1, 1, 5),
        change("notification_deleted", json!({"id": "05"}), 4),
        counts(0, 0, 4),
        change("notification", v2("06", "info", false, false, false), 5),
        counts(1, 1, 5),
    ];
    h.sse(sse2, replay.map(|m| m.to_string()));
    assert_eq!(h.ids(), ["06"]);
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (1, 1));
}

#[test]
fn feed_actions_are_optimistic_and_roll_back() {
    let (mut h, conn) = v2_harness(config());
    // Archive 03 (unread, seen): it leaves the default list and the unread count.
    h.step(edit(Edit::Archive, "03", 1));
    assert_eq!(h.ids(), ["04", "02", "01"]);
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (1, 1));
    let sent = h.sent(conn);
    assert_eq!(
        (sent.name.as_str(), &sent.payload),
        ("archive", &json!({"id": "03"}))
    );
    h.ack(
        conn,
        sent.ack,
        json!({"success": false, "error": {"code": "not_found", "message": "x"}}),
    );
    assert_eq!(h.ids(), ["04", "03", "02", "01"], "restored");
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (2, 1));
    // Mark 02 unread: it stays seen.
    h.step(edit(Edit::Unread, "02", 2));
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (3, 1));
    let sent = h.sent(conn);
    assert_eq!(sent.name, "mark_unread");
    let answer = v2("02", "info", false, true, false);
    h.ack(conn, sent.ack, json!({"success": true, "data": answer}));
    assert!(h.has(|e| *e
        == Effect::Settled {
            action: 2,
            error: None
        }));
    assert!(!h.m.notifications()[2].flag(Flag::Read) && h.m.notifications()[2].flag(Flag::Seen));
    // Seen by ids, then all seen.
    h.step(Input::Edit {
        edit: Edit::Seen,
        ids: Some(vec!["04".into(), "nope".into()]),
        action: 3,
    });
    assert_eq!(h.m.unseen_count(), 0);
    let sent = h.sent(conn);
    assert_eq!(
        (sent.name.as_str(), &sent.payload),
        ("mark_seen", &json!({"ids": ["04", "nope"]}))
    );
    h.step(Input::Edit {
        edit: Edit::Seen,
        ids: None,
        action: 4,
    });
    assert_eq!(h.sent(conn).name, "mark_all_seen");
}

#[test]
fn feed_actions_over_rest() {
    let mut h = Harness::new();
    fall_back_to_sse(&mut h);
    h.take();
    for (edit, ids, method, path, body) in [
        (
            Edit::Seen,
            Some(vec!["a".to_owned(), "b".to_owned()]),
            Method::Post,
            "/notifications/seen",
            Some(r#"{"ids":["a","b"]}"#),
        ),
        (
            Edit::Seen,
            None,
            Method::Post,
            "/notifications/seen-all",
            None,
        ),
        (
            Edit::Unread,
            Some(vec!["a".to_owned()]),
            Method::Post,
            "/notifications/a/unread",
            None,
        ),
        (
            Edit::Archive,
            Some(vec!["a".to_owned()]),
            Method::Post,
            "/notifications/a/archive",
            None,
        ),
        (
            Edit::Unarchive,
            Some(vec!["a".to_owned()]),
            Method::Post,
            "/notifications/a/unarchive",
            None,
        ),
    ] {
        h.step(Input::Edit {
            edit,
            ids,
            action: 0,
        });
        let sent = h.find(|e| match e {
            Effect::Http {
                method, url, body, ..
            } => Some((*method, url.clone(), body.clone())),
            _ => None,
        });
        assert_eq!(
            sent,
            (
                method,
                format!("http://127.0.0.1:3001{path}"),
                body.map(str::to_owned)
            )
        );
    }
}

/// A client whose list holds `payment.*` only, its WebSocket open (nothing answered yet).
fn connected_with_payment_filter() -> (Harness, u32) {
    let mut cfg = config();
    cfg.filter.kind = Some("payment.*".into());
    let mut h = Harness::with(cfg);
    h.step(Input::Connect);
    let conn = h.open_websocket();
    (h, conn)
}

/// Answers a `/notifications/counts` request with `n` unread, unseen and in total.
fn answer_counts(h: &mut Harness, req: u32, n: u32) {
    let body = format!(r#"{{"unread": {n}, "unseen": {n}, "total": {n}}}"#);
    h.step(Input::HttpDone {
        req,
        status: 200,
        body: &body,
        retry_after: None,
    });
}

#[test]
fn a_filter_selects_the_list_and_its_counts() {
    let (mut h, conn) = connected_with_payment_filter();
    let sub = h.sent(conn);
    let list = h.sent(conn);
    assert_eq!(list.payload, json!({"limit": 20, "type": "payment.*"}));
    h.ack(
        conn,
        list.ack,
        json!({"success": true, "data": {"items": [v2("01", "payment.sent", false, false, false)],
            "nextCursor": null}}),
    );
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 9, "unseenCount": 9, "seq": 1,
            "changes": [], "resync": false}}),
    );
    // The user's counts are not the filter's: the client asks for the filter's.
    let (req, method, url, _) = h.http();
    assert_eq!(
        (method, url.as_str()),
        (
            Method::Get,
            "http://127.0.0.1:3001/notifications/counts?type=payment.%2A"
        )
    );
    answer_counts(&mut h, req, 1);
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (1, 1));
    // Live news of another type stays out of the list.
    live(
        &mut h,
        conn,
        change("notification", v2("02", "info", false, false, false), 2),
    );
    live(
        &mut h,
        conn,
        change(
            "notification",
            v2("03", "payment.received", false, false, false),
            3,
        ),
    );
    assert_eq!(h.ids(), ["03", "01"]);
}

#[test]
fn a_filter_asks_for_its_counts_again_when_they_change_during_a_request() {
    let (mut h, conn) = connected_with_payment_filter();
    let sub = h.sent(conn);
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 3, "unseenCount": 3, "seq": 6,
            "changes": [], "resync": false}}),
    );
    let (first, _, url, _) = h.http();
    assert!(url.ends_with("/notifications/counts?type=payment.%2A"));
    // Another change while the first request is in flight: its answer may predate it.
    live(&mut h, conn, counts(4, 4, 7));
    assert!(
        !h.has(|e| matches!(e, Effect::Http { .. })),
        "one request at a time"
    );
    answer_counts(&mut h, first, 1);
    assert_eq!(h.m.unread_count(), 1);
    let (second, _, _, _) = h.http();
    answer_counts(&mut h, second, 2);
    assert_eq!((h.m.unread_count(), h.m.unseen_count()), (2, 2));
    assert!(
        !h.has(|e| matches!(e, Effect::Http { .. })),
        "nothing changed since"
    );
}
