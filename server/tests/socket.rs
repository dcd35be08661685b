//! Socket.IO over WebSocket: pushes, client events and their acks, bad events, and isolation
//! between users, `refresh_token`'s acks. (Disconnection at token expiry, and a refresh moving
//! it, are in `expiry.rs`, on paused time.) The WebSocket handshake's bytes on the wire.

use notify_testkit::bindings::{
    Ack, AllRead, ErrorCode, Notification, NotificationId, Page, ServerEvent, SubscribeResult,
    TokenRefreshed, UnreadCount, Updated, events,
};
use notify_testkit::sio::{AckError, Auth, parse_ack};
use notify_testkit::{TestServer, Token};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

fn count(n: u64) -> ServerEvent {
    ServerEvent::UnreadCount(UnreadCount {
        count: n,
        unseen: n,
    })
}

fn ok<T: std::fmt::Debug>(ack: Ack<T>) -> T {
    ack.into_result()
        .unwrap_or_else(|e| panic!("expected a successful ack, got {e:?}"))
}

fn err_code<T: std::fmt::Debug>(ack: Ack<T>) -> ErrorCode {
    match ack.into_result() {
        Ok(data) => panic!("expected a failed ack, got {data:?}"),
        Err(error) => error.code,
    }
}

#[tokio::test]
async fn connect_sends_the_unread_count_first() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let (_empty, zero) = server.connect_user("fresh").await;
    assert_eq!(zero, 0);
    server.api().publish(&service, "counted", "a").await;
    server.api().publish(&service, "counted", "b").await;
    let (_socket, two) = server.connect_user("counted").await;
    assert_eq!(two, 2);
}

#[tokio::test]
async fn a_publish_is_pushed_to_every_socket_of_the_user_then_the_count() {
    let server = TestServer::start(BIN).await;
    let (mut first, _) = server.connect_user("multi").await;
    let (mut second, _) = server.connect_user("multi").await;
    let created = server
        .api()
        .publish(&server.service_token(), "multi", "hello")
        .await;
    for socket in [&mut first, &mut second] {
        assert_eq!(
            socket.next_server_event().await,
            ServerEvent::Notification(created.clone())
        );
        assert_eq!(socket.next_server_event().await, count(1));
    }
}

#[tokio::test]
async fn users_only_see_their_own_events() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let (mut alice, _) = server.connect_user("alice").await;
    let (mut bob, _) = server.connect_user("bob").await;

    // Alice's notification is published first; Bob's first event must still be his own.
    let for_alice = server.api().publish(&service, "alice", "for alice").await;
    let for_bob = server.api().publish(&service, "bob", "for bob").await;
    assert_eq!(
        bob.next_server_event().await,
        ServerEvent::Notification(for_bob.clone())
    );
    assert_eq!(bob.next_server_event().await, count(1));
    assert_eq!(
        alice.next_server_event().await,
        ServerEvent::Notification(for_alice.clone())
    );
    assert_eq!(alice.next_server_event().await, count(1));

    // Alice's changes don't reach Bob either.
    server
        .api()
        .mark_read(&server.user_token("alice"), &for_alice.id)
        .await;
    let second_for_bob = server.api().publish(&service, "bob", "again").await;
    assert_eq!(
        bob.next_server_event().await,
        ServerEvent::Notification(second_for_bob)
    );

    // Bob can't act on Alice's notification over the socket.
    let ack: Ack<Notification> = bob
        .call(events::MARK_READ, json!({"id": for_alice.id}))
        .await;
    assert_eq!(err_code(ack), ErrorCode::NotFound);
    let page: Page = ok(bob.call(events::LIST_NOTIFICATIONS, json!({})).await);
    assert!(page.items.iter().all(|n| n.user_id == "bob"));
}

#[tokio::test]
async fn rest_changes_are_pushed_with_a_fresh_count() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("watcher");
    let a = server.api().publish(&service, "watcher", "a").await;
    let b = server.api().publish(&service, "watcher", "b").await;
    server.api().publish(&service, "watcher", "c").await;
    let (mut socket, unread) = server.connect_user("watcher").await;
    assert_eq!(unread, 3);

    let read = server.api().mark_read(&token, &a.id).await;
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::NotificationUpdated(read)
    );
    assert_eq!(socket.next_server_event().await, count(2));

    server.api().delete_notification(&token, &b.id).await;
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::NotificationDeleted(NotificationId { id: b.id.clone() })
    );
    assert_eq!(socket.next_server_event().await, count(1));

    server.api().read_all(&token).await;
    let read_at = match socket.next_server_event().await {
        ServerEvent::AllRead(AllRead { read_at }) => read_at,
        other => panic!("expected all_read, got {other:?}"),
    };
    assert_eq!(socket.next_server_event().await, count(0));
    // The one notification read-all changed carries the announced readAt.
    let items = server.api().list_all(&token).await;
    let changed = items
        .iter()
        .find(|n| n.title == "c")
        .expect("c is still there");
    assert_eq!(changed.read_at.as_deref(), Some(read_at.as_str()));
}

#[tokio::test]
async fn subscribe_since_another_users_id_returns_only_own_newer_notifications() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let mine_old = server.api().publish(&service, "alice", "old").await;
    let theirs = server.api().publish(&service, "bob", "bob's").await;
    let mine_new = server.api().publish(&service, "alice", "new").await;
    server.api().publish(&service, "bob", "bob's newer").await;
    let (socket, _) = server.connect_user("alice").await;
    let result: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"since": theirs.id}))
        .await);
    assert_eq!(result.missed, vec![mine_new]);
    assert!(mine_old.id < theirs.id);
}

#[tokio::test]
async fn subscribe_returns_count_and_missed_notifications_oldest_first() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            server
                .api()
                .publish(&service, "catchup", &format!("n{i}"))
                .await,
        );
    }
    let (socket, _) = server.connect_user("catchup").await;

    let plain: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({}))
        .await);
    assert_eq!(
        plain,
        SubscribeResult {
            unread_count: 4,
            unseen_count: 4,
            seq: 4,
            missed: vec![],
            changes: None,
            resync: false
        }
    );

    let since: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"since": ids[1].id}))
        .await);
    assert_eq!(since.unread_count, 4);
    assert_eq!(since.missed, vec![ids[2].clone(), ids[3].clone()]);
    assert!(!since.resync);

    let up_to_date: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"since": ids[3].id}))
        .await);
    assert!(up_to_date.missed.is_empty());
}

#[tokio::test]
async fn subscribe_asks_for_a_resync_beyond_500_missed() {
    let server = TestServer::start(BIN).await;
    let ids = server
        .api()
        .publish_many(&server.service_token(), "flood", 502, 0)
        .await;
    let (socket, unread) = server.connect_user("flood").await;
    assert_eq!(unread, 502);

    // 501 missed: more than a catch-up holds.
    let result: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"since": ids[0]}))
        .await);
    assert!(result.resync, "501 missed > 500: resync expected");
    assert!(result.missed.len() <= 500, "{} missed", result.missed.len());
    assert_eq!(result.unread_count, 502);

    // Exactly 500: all of them, oldest first, no resync.
    let result: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"since": ids[1]}))
        .await);
    assert!(!result.resync, "exactly 500 missed fit in one catch-up");
    let missed: Vec<_> = result.missed.into_iter().map(|n| n.id).collect();
    assert_eq!(missed, ids[2..].to_vec());
}

#[tokio::test]
async fn mark_read_and_mark_all_read_ack_and_push_to_other_sockets() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let a = server.api().publish(&service, "acker", "a").await;
    server.api().publish(&service, "acker", "b").await;
    let (actor, _) = server.connect_user("acker").await;
    let (mut observer, _) = server.connect_user("acker").await;

    let read: Notification = ok(actor.call(events::MARK_READ, json!({"id": a.id})).await);
    assert!(read.is_read && read.read_at.is_some());
    assert_eq!(read.id, a.id);
    assert_eq!(
        observer.next_server_event().await,
        ServerEvent::NotificationUpdated(read.clone())
    );
    assert_eq!(observer.next_server_event().await, count(1));

    // Idempotent.
    let again: Notification = ok(actor.call(events::MARK_READ, json!({"id": a.id})).await);
    assert_eq!(again, read);

    let updated: Updated = ok(actor.call(events::MARK_ALL_READ, json!({})).await);
    assert_eq!(updated, Updated { updated: 1 });
    assert!(matches!(
        observer.next_server_event().await,
        ServerEvent::AllRead(_)
    ));
    assert_eq!(observer.next_server_event().await, count(0));
    let none_left: Updated = ok(actor.call(events::MARK_ALL_READ, json!({})).await);
    assert_eq!(none_left.updated, 0);
    assert_eq!(
        server.api().unread_count(&server.user_token("acker")).await,
        0
    );
}

#[tokio::test]
async fn events_without_an_ack_still_take_effect() {
    let server = TestServer::start(BIN).await;
    let created = server
        .api()
        .publish(&server.service_token(), "silent", "read me")
        .await;
    let (actor, _) = server.connect_user("silent").await;
    let (mut observer, _) = server.connect_user("silent").await;
    actor.emit(events::MARK_READ, json!({"id": created.id}));
    match observer.next_server_event().await {
        ServerEvent::NotificationUpdated(n) => assert!(n.is_read && n.id == created.id),
        other => panic!("expected notification_updated, got {other:?}"),
    }
    assert_eq!(observer.next_server_event().await, count(0));
}

#[tokio::test]
async fn list_notifications_pages_like_rest() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("lister");
    let mut created = Vec::new();
    for i in 0..3 {
        created.push(
            server
                .api()
                .publish(&service, "lister", &format!("n{i}"))
                .await,
        );
    }
    server.api().mark_read(&token, &created[2].id).await;
    let (socket, _) = server.connect_user("lister").await;

    let all: Page = ok(socket.call(events::LIST_NOTIFICATIONS, json!({})).await);
    assert_eq!(all, server.api().list(&token, "").await);
    assert_eq!(all.items.len(), 3);

    let first: Page = ok(socket
        .call(events::LIST_NOTIFICATIONS, json!({"limit": 2}))
        .await);
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("a next page");
    let rest: Page = ok(socket
        .call(
            events::LIST_NOTIFICATIONS,
            json!({"limit": 2, "before": cursor}),
        )
        .await);
    assert_eq!(rest.items, vec![created[0].clone()]);
    assert_eq!(rest.next_cursor, None);

    let unread: Page = ok(socket
        .call(events::LIST_NOTIFICATIONS, json!({"unreadOnly": true}))
        .await);
    let ids: Vec<_> = unread.items.iter().map(|n| n.id.clone()).collect();
    assert_eq!(ids, vec![created[1].id.clone(), created[0].id.clone()]);

    for limit in [0, 101] {
        let ack: Ack<Page> = socket
            .call(events::LIST_NOTIFICATIONS, json!({"limit": limit}))
            .await;
        assert_eq!(err_code(ack), ErrorCode::ValidationFailed, "limit {limit}");
    }
}

#[tokio::test]
async fn unknown_ids_fail_the_ack_with_not_found() {
    let server = TestServer::start(BIN).await;
    let (socket, _) = server.connect_user("lost").await;
    let ack: Ack<Notification> = socket
        .call(events::MARK_READ, json!({"id": "no-such-id"}))
        .await;
    assert_eq!(err_code(ack), ErrorCode::NotFound);
}

#[tokio::test]
async fn unknown_events_get_a_failed_ack_and_nothing_breaks() {
    let server = TestServer::start(BIN).await;
    let (mut socket, _) = server.connect_user("prober").await;
    let (mut bystander, _) = server.connect_user("bystander").await;

    for event in ["no_such_event", "notification", "unread_count", "Mark_Read"] {
        let ack: Ack<Value> = socket.call(event, json!({})).await;
        assert!(ack.into_result().is_err(), "{event:?} should fail");
    }
    // Without an ack id: ignored.
    socket.emit("no_such_event", json!({"x": 1}));

    // The socket is still connected and served, and so is the other user.
    let service = server.service_token();
    let mine = server.api().publish(&service, "prober", "still here").await;
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::Notification(mine)
    );
    let theirs = server.api().publish(&service, "bystander", "fine").await;
    assert_eq!(
        bystander.next_server_event().await,
        ServerEvent::Notification(theirs)
    );
    let _: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({}))
        .await);
}

#[tokio::test]
async fn malformed_payloads_get_validation_failed_acks() {
    let server = TestServer::start(BIN).await;
    let (socket, _) = server.connect_user("fuzzer").await;
    let cases = [
        (events::MARK_READ, json!("not an object")),
        (events::MARK_READ, json!({})),
        (events::MARK_READ, json!({"id": 5})),
        (events::MARK_READ, json!({"id": null})),
        (events::MARK_READ, json!([{"id": "x"}])),
        (events::LIST_NOTIFICATIONS, json!({"limit": "ten"})),
        (events::LIST_NOTIFICATIONS, json!({"unreadOnly": "yes"})),
        (events::LIST_NOTIFICATIONS, json!({"before": 12})),
        (events::SUBSCRIBE_NOTIFICATIONS, json!({"since": 5})),
        (events::SUBSCRIBE_NOTIFICATIONS, json!("since")),
    ];
    for (event, payload) in cases {
        let ack: Ack<Value> = socket.call(event, payload.clone()).await;
        assert_eq!(
            err_code(ack),
            ErrorCode::ValidationFailed,
            "{event} {payload}"
        );
    }
    // An event packet whose JSON is broken: the socket may be dropped for it, but the
    // server must go on serving others.
    let _ = socket
        .request_ack(|prefix, id| format!("42{prefix}{id}[\"mark_read\",{{\"id\":"))
        .await;
    let (mut other, _) = server.connect_user("fuzzer").await;
    let created = server
        .api()
        .publish(&server.service_token(), "fuzzer", "alive")
        .await;
    assert_eq!(
        other.next_server_event().await,
        ServerEvent::Notification(created)
    );
}

#[tokio::test]
async fn an_oversize_socket_payload_is_refused_without_harming_others() {
    let server = TestServer::start(BIN).await;
    let (socket, _) = server.connect_user("big").await;
    let (mut bystander, _) = server.connect_user("bystander").await;

    let huge = "x".repeat(2 * 1024 * 1024);
    match socket
        .emit_with_ack(events::MARK_READ, json!({"id": huge}))
        .await
    {
        // Refused with a failed ack…
        Ok(args) => {
            let ack: Ack<Value> = parse_ack(events::MARK_READ, &args);
            assert!(ack.into_result().is_err(), "a 2 MiB payload was accepted");
        }
        // …or the connection was dropped for it.
        Err(AckError::Closed) => {}
        Err(AckError::Timeout) => panic!("neither an ack nor a disconnect for a 2 MiB payload"),
    }
    let created = server
        .api()
        .publish(&server.service_token(), "bystander", "unharmed")
        .await;
    assert_eq!(
        bystander.next_server_event().await,
        ServerEvent::Notification(created)
    );
}

#[tokio::test]
async fn a_payload_over_the_body_limit_gets_payload_too_large() {
    let server = TestServer::start(BIN).await;
    let (socket, _) = server.connect_user("wordy").await;
    let big = "x".repeat(100 * 1024); // over the 64 KiB default, under any frame limit
    let ack: Ack<Notification> = socket.call(events::MARK_READ, json!({"id": big})).await;
    assert_eq!(err_code(ack), ErrorCode::PayloadTooLarge);
    // Still connected and served.
    let _: SubscribeResult = ok(socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({}))
        .await);
}

#[tokio::test]
async fn odd_user_ids_get_their_own_pushes() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let users = ["用户😀", "user:1", "user", "a b/c?d#e", "%", "'; --"];
    let mut sockets = Vec::new();
    for user in users {
        sockets.push(server.connect_user(user).await.0);
    }
    for (user, socket) in users.iter().zip(&mut sockets) {
        let created = server.api().publish(&service, user, user).await;
        assert_eq!(
            socket.next_server_event().await,
            ServerEvent::Notification(created),
            "user {user:?}"
        );
        assert_eq!(socket.next_server_event().await, count(1), "user {user:?}");
    }
}

#[tokio::test]
async fn a_since_full_of_sql_metacharacters_only_returns_own_notifications() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    server.api().publish(&service, "victim", "private").await;
    server.api().publish(&service, "prober", "mine").await;
    let (socket, _) = server.connect_user("prober").await;
    for since in ["' OR '1'='1", "0' OR user_id <> '", "%", "\\"] {
        let ack: Ack<SubscribeResult> = socket
            .call(events::SUBSCRIBE_NOTIFICATIONS, json!({ "since": since }))
            .await;
        if let Ok(result) = ack.into_result() {
            assert!(
                result.missed.iter().all(|n| n.user_id == "prober"),
                "since {since:?} leaked: {:?}",
                result.missed
            );
            assert_eq!(result.unread_count, 1);
        }
    }
}

#[tokio::test]
async fn a_token_valid_for_centuries_is_fine() {
    let server = TestServer::start(BIN).await;
    let token = Token::user("forever")
        .claim("exp", 253_402_300_799i64) // 9999-12-31T23:59:59Z
        .hs256(server.secret());
    let mut socket = server
        .sio(Auth::Payload(token))
        .await
        .expect("a far-future exp connects");
    assert_eq!(socket.next_server_event().await, count(0));
    let created = server
        .api()
        .publish(&server.service_token(), "forever", "still here")
        .await;
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::Notification(created)
    );
}

#[tokio::test]
async fn a_closed_socket_no_longer_counts_and_others_keep_working() {
    let server = TestServer::start(BIN).await;
    let (leaving, _) = server.connect_user("leaver").await;
    let (mut staying, _) = server.connect_user("leaver").await;
    leaving.close().await;
    let created = server
        .api()
        .publish(&server.service_token(), "leaver", "still delivered")
        .await;
    assert_eq!(
        staying.next_server_event().await,
        ServerEvent::Notification(created)
    );
}

#[tokio::test]
async fn refresh_token_acks_the_new_expiry_of_the_same_user() {
    let server = TestServer::start(BIN).await;
    let (socket, _) = server.connect_user("refresher").await;
    let fresh = Token::user("refresher")
        .claim("exp", 4_102_444_800i64) // 2100-01-01T00:00:00Z
        .hs256(server.secret());
    let refreshed: TokenRefreshed = ok(socket
        .call(events::REFRESH_TOKEN, json!({ "token": fresh }))
        .await);
    assert_eq!(refreshed.expires_at, "2100-01-01T00:00:00.000Z");
    // A numeric `sub` names the same user as its string form, as at connect.
    let (numeric, _) = server.connect_user("7").await;
    let as_number = Token::user("x").claim("sub", 7).hs256(server.secret());
    let _: TokenRefreshed = ok(numeric
        .call(events::REFRESH_TOKEN, json!({ "token": as_number }))
        .await);
}

#[tokio::test]
async fn refresh_token_refuses_other_users_bad_tokens_and_no_token() {
    let server = TestServer::start(BIN).await;
    let (mut socket, _) = server.connect_user("holder").await;
    let secret = server.secret();
    let cases = [
        (
            json!({"token": Token::user("someone-else").hs256(secret)}),
            ErrorCode::Forbidden,
        ),
        (
            json!({"token": Token::service("holder").hs256(secret)}),
            ErrorCode::Forbidden,
        ),
        (
            json!({"token": Token::user("holder").claim("scope", "notifications:publish").hs256(secret)}),
            ErrorCode::Forbidden,
        ),
        (
            json!({"token": Token::user("holder").with_bad_signature(secret)}),
            ErrorCode::Unauthorized,
        ),
        (
            json!({"token": Token::user("holder").expires_in(-60).hs256(secret)}),
            ErrorCode::Unauthorized,
        ),
        (
            json!({"token": Token::user("holder").alg_none()}),
            ErrorCode::Unauthorized,
        ),
        (json!({"token": "not a jwt"}), ErrorCode::Unauthorized),
        (json!({}), ErrorCode::ValidationFailed),
        (json!({"token": 42}), ErrorCode::ValidationFailed),
        (json!(null), ErrorCode::ValidationFailed),
    ];
    for (payload, code) in cases {
        let ack: Ack<Value> = socket.call(events::REFRESH_TOKEN, payload.clone()).await;
        assert_eq!(err_code(ack), code, "{payload}");
    }
    // The socket is still connected and served.
    let created = server
        .api()
        .publish(&server.service_token(), "holder", "still here")
        .await;
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::Notification(created)
    );
}

/// The upgrade request of a WebSocket, raw; `query` is added to the Engine.IO query.
fn upgrade_request(query: &str) -> String {
    format!(
        "GET /socket.io/?EIO=4&transport=websocket{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// A plain TCP connection to `server`.
async fn connect_raw(server: &TestServer) -> TcpStream {
    TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap()
}

/// What one read gets (failing, not hanging, when nothing comes).
async fn read_once(tcp: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf))
        .await
        .expect("the server answers")
        .expect("read");
    buf.truncate(n);
    buf
}

/// Splits an HTTP response at the end of its head.
fn head_and_rest(bytes: &[u8]) -> (&[u8], &[u8]) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(bytes)));
    (&bytes[..end], &bytes[end + 4..])
}

/// Data segments `tcp` has received so far (Linux `TCP_INFO`).
#[cfg(target_os = "linux")]
fn data_segments_in(tcp: &TcpStream) -> u32 {
    use std::os::fd::AsRawFd;
    // SAFETY: `tcp_info` is plain integers (all-zero is valid); `getsockopt` writes at most
    // `len` bytes into it, on a TCP socket that stays open for the call.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::tcp_info>()).unwrap();
    let rc = unsafe {
        libc::getsockopt(
            tcp.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "TCP_INFO: {}", std::io::Error::last_os_error());
    info.tcpi_data_segs_in
}

/// The 101 is held back to leave with the Engine.IO OPEN (`listen::held`): the client
/// receives both in one data segment.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_upgrade_reply_and_the_open_packet_arrive_in_one_segment() {
    let server = TestServer::start(BIN).await;
    let mut tcp = connect_raw(&server).await;
    tcp.write_all(upgrade_request("").as_bytes()).await.unwrap();

    let mut received = read_once(&mut tcp).await;
    // Read on until the OPEN (an unmasked text frame, one-byte length) is complete.
    let complete = |bytes: &[u8]| {
        let (_, frame) = head_and_rest(bytes);
        frame.len() >= 2 && frame.len() >= 2 + usize::from(frame[1])
    };
    while !complete(&received) {
        received.extend(read_once(&mut tcp).await);
    }
    let (head, frame) = head_and_rest(&received);
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
    assert!(
        frame[0] == 0x81 && frame[2..].starts_with(b"0{\"sid\""),
        "{frame:?}"
    );
    assert_eq!(data_segments_in(&tcp), 1, "the 101 and the OPEN came apart");
}

/// A polling session's upgrade: the client speaks first after the 101 (its probe), so the
/// 101 must not wait for a server write.
#[tokio::test]
async fn a_polling_session_gets_its_101_before_it_sends_the_probe() {
    let server = TestServer::start(BIN).await;
    let mut polling = connect_raw(&server).await;
    polling
        .write_all(
            b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Connection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut opened = Vec::new();
    polling.read_to_end(&mut opened).await.unwrap();
    let (_, body) = head_and_rest(&opened);
    let body = String::from_utf8_lossy(body);
    let sid = body
        .split_once("\"sid\":\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(sid, _)| sid.to_owned())
        .unwrap_or_else(|| panic!("no sid in {body:?}"));

    let mut tcp = connect_raw(&server).await;
    tcp.write_all(upgrade_request(&format!("&sid={sid}")).as_bytes())
        .await
        .unwrap();
    let reply = read_once(&mut tcp).await;
    let (head, rest) = head_and_rest(&reply);
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
    assert!(rest.is_empty(), "{rest:?}");

    // `2probe` in a masked text frame (a zero mask), answered by `3probe`.
    tcp.write_all(b"\x81\x86\0\0\0\x002probe").await.unwrap();
    assert_eq!(read_once(&mut tcp).await, b"\x81\x063probe");
}
