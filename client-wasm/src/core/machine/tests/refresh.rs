//! Tokens refreshed before they expire (in-band on the socket, a resumed stream on SSE), and a
//! client taking over the state another tab held.

use super::*;

/// A token that expires `life_ms` after the harness's clock.
fn token_expiring_in(h: &Harness, life_ms: u64) -> (String, u64) {
    let exp = h.now + life_ms;
    (format!("token-until-{exp}"), exp)
}

/// Answers the pending `getToken`.
fn answer(h: &mut Harness, token: Result<&str, &str>, expires_at: Option<u64>) {
    let seq = h.find(|e| match e {
        Effect::GetToken(s) => Some(*s),
        _ => None,
    });
    h.step(Input::Token {
        seq,
        token,
        expires_at,
    });
}

fn answer_token(h: &mut Harness, (token, exp): &(String, u64)) {
    answer(h, Ok(token), Some(*exp));
}

/// A client connected over WebSocket with a token that expires `life_ms` from now.
fn connected_with_token_for(life_ms: u64) -> (Harness, u32) {
    let mut h = Harness::new();
    h.step(Input::Connect);
    let token = token_expiring_in(&h, life_ms);
    answer_token(&mut h, &token);
    let conn = h.opened_ws();
    h.handshake(conn);
    h.ws(conn, &format!(r#"40{NS},{{"sid":"x"}}"#));
    h.answer_sync(conn, 0, vec![], Some(vec![]));
    h.take();
    (h, conn)
}

#[test]
fn a_socket_gets_a_fresh_token_in_band_before_its_token_expires() {
    let (mut h, conn) = connected_with_token_for(20_000);
    // 20 s of life: refreshed a tenth of it (2 s) before the end; the server's pings keep the
    // link alive meanwhile.
    h.advance(10_000);
    h.ws(conn, "2");
    h.take();
    let waited = h.advance_to_deadline();
    assert_eq!(h.now, 1_000_000 + 18_000, "waited {waited} ms");
    let second = token_expiring_in(&h, 3_600_000);
    answer_token(&mut h, &second);
    let sent = h.sent_raw(conn);
    assert_eq!(
        sent,
        format!(r#"42{NS},["refresh_token",{{"token":"{}"}}]"#, second.0)
    );
    assert!(
        !h.has(|e| matches!(e, Effect::CloseWs { .. } | Effect::OpenWs { .. })),
        "the socket stays: {:?}",
        h.fx
    );
    assert_eq!(h.m.status(), Status::Connected);
    // The next refresh: a minute before the new token's expiry.
    assert_eq!(h.m.refresh_at, Some(h.now + 3_540_000));
}

#[test]
fn a_refresh_that_yields_the_same_token_sends_nothing() {
    let (mut h, _) = connected_with_token_for(20_000);
    let same = (h.m.token.clone().unwrap(), h.m.token_expires.unwrap());
    h.advance(18_000);
    answer_token(&mut h, &same);
    assert!(!h.has(|e| matches!(e, Effect::SendWs { .. })), "{:?}", h.fx);
    assert_eq!(h.m.refresh_at, None, "nothing more to plan for this token");
}

#[test]
fn a_failed_refresh_leaves_the_socket_to_the_server_which_ends_it_at_expiry() {
    let (mut h, conn) = connected_with_token_for(20_000);
    h.advance(18_000);
    answer(&mut h, Err("offline"), None);
    assert!(!h.has(|e| matches!(e, Effect::SendWs { .. })), "{:?}", h.fx);
    assert_eq!(h.m.status(), Status::Connected);
    // At expiry the server disconnects the socket: the usual reconnect with a fresh token.
    h.ws(conn, &format!("41{NS},"));
    assert_eq!(h.m.status(), Status::Reconnecting);
}

#[test]
fn an_sse_stream_is_replaced_by_one_resuming_after_the_newest_notification() {
    let mut h = Harness::new();
    h.step(Input::Connect);
    for _ in 0..2 {
        let token = token_expiring_in(&h, 3_600_000);
        answer_token(&mut h, &token);
        let conn = h.opened_ws();
        h.step(Input::WsClosed { conn });
        h.take();
        h.advance_to_deadline();
    }
    let token = token_expiring_in(&h, 100_000);
    answer_token(&mut h, &token);
    let old = h.find(|e| match e {
        Effect::OpenSse { conn, .. } => Some(*conn),
        _ => None,
    });
    h.step(Input::SseResponse {
        conn: old,
        status: 200,
    });
    h.step(Input::SseData {
        conn: old,
        data: &sse_data(new_event("07")),
    });
    h.take();
    // 100 s of life: refreshed 10 s before the end (keep-alive pings meanwhile).
    for _ in 0..8 {
        h.advance(10_000);
        h.step(Input::SseData {
            conn: old,
            data: "",
        });
    }
    h.take();
    h.advance_to_deadline();
    let fresh = token_expiring_in(&h, 3_600_000);
    answer_token(&mut h, &fresh);
    assert!(h.has(|e| *e == Effect::CloseSse { conn: old }));
    let (token, last_event_id) = h.find(|e| match e {
        Effect::OpenSse {
            token,
            last_event_id,
            ..
        } => Some((token.clone(), last_event_id.clone())),
        _ => None,
    });
    assert_eq!(token, fresh.0);
    assert_eq!(last_event_id.as_deref(), Some("07"));
    assert_eq!(h.m.status(), Status::Connected);
    assert!(!h.has(|e| matches!(e, Effect::Status(_))));
}

#[test]
fn a_resumed_client_catches_up_from_the_newest_notification_it_took_over() {
    let mut h = Harness::new();
    let page =
        json!({"items": [notification("05", false), notification("04", true)], "nextCursor": "04"});
    h.step(Input::Resume {
        counts: [1, 0],
        page: &page.to_string(),
    });
    assert_eq!(h.ids(), ["05", "04"]);
    assert_eq!(h.m.unread_count(), 1);
    assert!(h.m.has_more());
    assert!(
        h.emitted().is_empty(),
        "what another tab showed is not news"
    );
    h.take();

    h.step(Input::Connect);
    let conn = h.open_websocket();
    let sub = h.sent(conn);
    assert_eq!(sub.name, "subscribe_notifications");
    assert_eq!(sub.payload, json!({"since": "05"}));
    assert!(
        !h.has(|e| matches!(e, Effect::SendWs { .. })),
        "no first page: it was taken over"
    );
    h.ack(
        conn,
        sub.ack,
        json!({"success": true, "data": {"unreadCount": 2, "missed": [notification("06", false)], "resync": false}}),
    );
    assert_eq!(h.ids(), ["06", "05", "04"]);
    assert_eq!(h.emitted(), ["06"]);
}

#[test]
fn resume_is_ignored_once_a_first_page_is_in() {
    let (mut h, _) = connected_harness();
    let page = json!({"items": [notification("09", false)], "nextCursor": null});
    h.step(Input::Resume {
        counts: [7, 7],
        page: &page.to_string(),
    });
    assert_eq!(h.ids(), ["03", "02", "01"]);
    assert_eq!(h.m.unread_count(), 2);
}
