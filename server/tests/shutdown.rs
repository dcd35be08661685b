//! Graceful shutdown: SIGTERM makes the server tell its sockets, end its SSE streams and exit 0.

use notify_testkit::TestServer;
use notify_testkit::sio::SioEvent;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

#[tokio::test]
async fn sigterm_on_an_idle_server_exits_zero() {
    let mut server = TestServer::start(BIN).await;
    let status = server.terminate().await;
    assert_eq!(status.code(), Some(0), "exit status {status}");
}

#[tokio::test]
async fn sigterm_tells_sockets_ends_streams_and_exits_zero() {
    let mut server = TestServer::start(BIN).await;
    let (mut alice, _) = server.connect_user("alice").await;
    let (mut bob, _) = server.connect_user("bob").await;
    let (mut alice_sse, _) = server.sse_user("alice").await;
    let (mut bob_sse, _) = server.sse_user("bob").await;

    server.send_sigterm();

    for socket in [&mut alice, &mut bob] {
        let (end, skipped) = socket.expect_disconnect().await;
        assert!(
            matches!(
                end,
                SioEvent::Disconnect | SioEvent::Closed { clean: true, .. }
            ),
            "sockets should be told (41 or a close), got {end:?}"
        );
        assert!(skipped.is_empty(), "unexpected events: {skipped:?}");
    }
    for sse in [&mut alice_sse, &mut bob_sse] {
        let rest = sse.expect_end().await;
        assert!(
            rest.iter()
                .all(|item| matches!(item, notify_testkit::SseItem::Comment(_))),
            "unexpected messages before the end: {rest:?}"
        );
    }
    let status = server.wait_exit(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0), "exit status {status}");
}
