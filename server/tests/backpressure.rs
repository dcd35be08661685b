//! Slow consumers: a socket or SSE stream that stops reading while many large notifications
//! are published. Whatever the server does to protect itself (buffer, drop the connection,
//! send `resync`), the client must never see a *silent* gap: what it receives is the published
//! sequence in order, up to a point where it is told (disconnect, end of stream, `resync`).
//! And such clients must not keep the server from shutting down.

use notify_testkit::TestServer;
use notify_testkit::bindings::{ServerEvent, SubscribeResult, events};
use notify_testkit::sio::SioEvent;
use serde_json::json;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// About 5.6 MB of notifications: more than loopback TCP buffers and the server's per-socket
/// queue hold together (on the CI machine a stalled socket overflows after about 4.3 MB),
/// so a stalled reader really falls behind.
const COUNT: usize = 800;
const PAD: usize = 7000;

async fn publish_many(server: &TestServer, user: &str) -> Vec<String> {
    let service = server.service_token();
    server.api().publish_many(&service, user, COUNT, PAD).await
}

#[tokio::test]
async fn a_stalled_socket_gets_everything_in_order_or_is_told() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let (mut socket, _) = server.connect_user("stalled").await;
    socket.pause_reading();
    let mut published = publish_many(&server, "stalled").await;
    socket.resume_reading();

    // Every notification the socket gets must be the next one published. To learn whether
    // more is coming without asserting on time, keep publishing markers (one per quiet
    // second, at most 30): a marker can't arrive before what was published ahead of it.
    let mut received: Vec<String> = Vec::new();
    let mut markers = 0;
    let ended = loop {
        let event = match socket.next_within(Duration::from_secs(1)).await {
            Some(event) => event,
            None if markers < 30 => {
                let marker = server.api().publish(&service, "stalled", "marker").await;
                published.push(marker.id);
                markers += 1;
                continue;
            }
            None => panic!(
                "the socket stays connected but delivers nothing: {} of {} received",
                received.len(),
                published.len()
            ),
        };
        match event {
            SioEvent::Event { name, args } if name == events::NOTIFICATION => {
                let envelope: ServerEvent = serde_json::from_value(args[0].clone()).unwrap();
                let ServerEvent::Notification(n) = envelope else {
                    panic!("not a notification envelope")
                };
                let position = published.iter().position(|id| *id == n.id);
                assert_eq!(
                    position,
                    Some(received.len()),
                    "silent gap: the socket stayed connected and, after {} in-order \
                     notifications, got #{position:?} of {} published ({markers} markers)",
                    received.len(),
                    published.len()
                );
                received.push(n.id);
                if markers > 0 && received.len() == published.len() {
                    break false; // caught up with the last marker
                }
            }
            SioEvent::Event { .. } => {} // unread_count
            SioEvent::Disconnect | SioEvent::Closed { .. } => break true,
            SioEvent::ConnectError(data) => panic!("connect_error {data}"),
        }
    };

    if ended && let Some(since) = received.last() {
        // The client reconnects and catches up from the newest id it holds: nothing is lost.
        let (again, _) = server.connect_user("stalled").await;
        let caught_up: SubscribeResult = again
            .call(events::SUBSCRIBE_NOTIFICATIONS, json!({ "since": since }))
            .await
            .into_result()
            .expect("subscribe ack");
        let missing = &published[received.len()..];
        if caught_up.resync {
            assert!(
                missing.len() > 500,
                "resync with only {} missing",
                missing.len()
            );
        } else {
            let rest: Vec<_> = caught_up.missed.into_iter().map(|n| n.id).collect();
            assert_eq!(rest, missing.to_vec());
        }
    }
}

#[tokio::test]
async fn a_stalled_sse_stream_gets_a_prefix_then_resync_or_its_end() {
    let server = TestServer::start(BIN).await;
    // Opened, then not read while the notifications are published.
    let (mut sse, _) = server.sse_user("stalled-sse").await;
    let published = publish_many(&server, "stalled-sse").await;

    let mut next = 0; // index in `published` of the next notification due
    let mut resynced = false;
    while next < published.len() {
        let Some(message) = sse.next_message().await else {
            break; // the server ended the stream: the client resumes with Last-Event-ID
        };
        match serde_json::from_str::<ServerEvent>(&message.data).unwrap() {
            ServerEvent::Notification(n) => {
                if n.id == published[next] {
                    next += 1;
                } else {
                    assert!(
                        resynced,
                        "gap without resync: expected #{next}, got another notification"
                    );
                    next = published
                        .iter()
                        .position(|id| *id == n.id)
                        .expect("a published id")
                        + 1;
                }
            }
            ServerEvent::Resync(_) => resynced = true,
            _ => {}
        }
    }
}

/// Graceful shutdown must not wait forever on clients that stopped reading.
#[tokio::test]
async fn sigterm_with_stalled_clients_still_exits_zero() {
    let mut server = TestServer::start(BIN).await;
    let (socket, _) = server.connect_user("frozen").await;
    socket.pause_reading();
    let (_sse, _) = server.sse_user("frozen").await; // never read
    publish_many(&server, "frozen").await;
    server.send_sigterm();
    // The server may give stalled connections a grace period (10 s today) before closing them.
    let status = server.wait_exit(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "exit status {status}");
}
