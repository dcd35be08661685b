//! `GET /notifications/events`: the first count, live envelopes with ids, v1 catch-up with a
//! notification id as `Last-Event-ID`, and isolation (replays by seq are in `changelog.rs`). (The keep-alive comment and the end of the stream at token
//! expiry are in `expiry.rs`, on paused time.)

use notify_testkit::TestServer;
use notify_testkit::bindings::{
    Ack, AllRead, Notification, NotificationId, ServerEvent, UnreadCount, events,
};
use notify_testkit::sse::SseClient;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

fn count(n: u64) -> ServerEvent {
    ServerEvent::UnreadCount(UnreadCount {
        count: n,
        unseen: n,
    })
}

#[tokio::test]
async fn the_stream_is_event_stream_and_starts_with_the_count() {
    let server = TestServer::start(BIN).await;
    server
        .api()
        .publish(&server.service_token(), "sse-user", "waiting")
        .await;
    let request = server
        .sse_request("/notifications/events")
        .bearer_auth(server.user_token("sse-user"));
    let mut sse = SseClient::open(request).await.expect("stream opens");
    let content_type = sse
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let first = sse.next_message().await.expect("a first message");
    assert_eq!(first.event, None, "messages are unnamed (onmessage)");
    assert_eq!(
        serde_json::from_str::<ServerEvent>(&first.data).unwrap(),
        count(1)
    );
}

#[tokio::test]
async fn live_changes_arrive_as_envelopes_with_their_seq_as_id() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("live");
    let (mut sse, zero) = server.sse_user("live").await;
    assert_eq!(zero, 0);

    let created = server.api().publish(&service, "live", "hello").await;
    let message = sse.next_message().await.expect("notification message");
    assert_eq!(message.event, None);
    // v2: the id is the change's seq (the user's first change is 1).
    assert_eq!(message.id.as_deref(), Some("1"));
    assert_eq!(
        serde_json::from_str::<ServerEvent>(&message.data).unwrap(),
        ServerEvent::Notification(created.clone())
    );
    assert_eq!(sse.next_event().await.1, count(1));

    let read = server.api().mark_read(&token, &created.id).await;
    assert_eq!(
        sse.next_event().await.1,
        ServerEvent::NotificationUpdated(read)
    );
    assert_eq!(sse.next_event().await.1, count(0));

    let second = server.api().publish(&service, "live", "second").await;
    assert_eq!(
        sse.next_event().await.1,
        ServerEvent::Notification(second.clone())
    );
    assert_eq!(sse.next_event().await.1, count(1));

    server.api().read_all(&token).await;
    assert!(matches!(
        sse.next_event().await.1,
        ServerEvent::AllRead(AllRead { .. })
    ));
    assert_eq!(sse.next_event().await.1, count(0));

    server.api().delete_notification(&token, &second.id).await;
    assert_eq!(
        sse.next_event().await.1,
        ServerEvent::NotificationDeleted(NotificationId { id: second.id })
    );
    assert_eq!(sse.next_event().await.1, count(0));
}

#[tokio::test]
async fn socket_actions_reach_sse_streams_of_the_same_user() {
    let server = TestServer::start(BIN).await;
    let created = server
        .api()
        .publish(&server.service_token(), "mixed", "one")
        .await;
    let (mut sse, _) = server.sse_user("mixed").await;
    let (socket, _) = server.connect_user("mixed").await;
    let ack: Ack<Notification> = socket
        .call(events::MARK_READ, json!({"id": created.id}))
        .await;
    let read = ack.into_result().expect("mark_read ack");
    assert_eq!(
        sse.next_event().await.1,
        ServerEvent::NotificationUpdated(read)
    );
    assert_eq!(sse.next_event().await.1, count(0));
}

#[tokio::test]
async fn streams_only_carry_the_callers_events() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let (mut alice, _) = server.sse_user("alice").await;
    let (mut bob, _) = server.sse_user("bob").await;
    let for_alice = server.api().publish(&service, "alice", "a").await;
    let for_bob = server.api().publish(&service, "bob", "b").await;
    // Bob's first event after the count is his own, though Alice's was published first.
    assert_eq!(bob.next_event().await.1, ServerEvent::Notification(for_bob));
    assert_eq!(
        alice.next_event().await.1,
        ServerEvent::Notification(for_alice)
    );
}

#[tokio::test]
async fn last_event_id_header_replays_newer_notifications_oldest_first() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("resumer");
    let mut created = Vec::new();
    for i in 0..4 {
        created.push(
            server
                .api()
                .publish(&service, "resumer", &format!("n{i}"))
                .await,
        );
    }
    // Someone else's newer notification must not be replayed.
    server.api().publish(&service, "other", "not yours").await;

    let request = server
        .sse_request("/notifications/events")
        .bearer_auth(&token)
        .header("last-event-id", &created[1].id);
    let mut sse = SseClient::open(request).await.expect("stream opens");
    assert_eq!(sse.next_event().await.1, count(4));
    for expected in &created[2..] {
        let (id, event) = sse.next_event().await;
        assert_eq!(id.as_deref(), Some(expected.id.as_str()));
        assert_eq!(event, ServerEvent::Notification(expected.clone()));
    }
    // Then the live stream.
    let live = server.api().publish(&service, "resumer", "live").await;
    assert_eq!(sse.next_event().await.1, ServerEvent::Notification(live));
}

#[tokio::test]
async fn last_event_id_query_parameter_works_like_the_header() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("eventsource");
    let old = server.api().publish(&service, "eventsource", "old").await;
    let new = server.api().publish(&service, "eventsource", "new").await;
    let request = server.sse_request("/notifications/events").query(&[
        ("access_token", token.as_str()),
        ("lastEventId", old.id.as_str()),
    ]);
    let mut sse = SseClient::open(request).await.expect("stream opens");
    assert_eq!(sse.next_event().await.1, count(2));
    let (id, event) = sse.next_event().await;
    assert_eq!(id, Some(new.id.clone()));
    assert_eq!(event, ServerEvent::Notification(new));
}

/// A resume id the server never handed out (a client bug, or a node whose clock runs ahead)
/// must not swallow the live stream that follows the catch-up.
#[tokio::test]
async fn an_unknown_last_event_id_still_gets_the_live_stream() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let old = server.api().publish(&service, "skewed", "old").await;
    let request = server
        .sse_request("/notifications/events")
        .bearer_auth(server.user_token("skewed"))
        .header("last-event-id", "zzzzzzzz-from-the-future");
    let mut sse = SseClient::open(request).await.expect("stream opens");
    assert_eq!(sse.next_event().await.1, count(1));
    let live = server.api().publish(&service, "skewed", "live").await;
    assert!(live.id > old.id);
    assert_eq!(sse.next_event().await.1, ServerEvent::Notification(live));
}

#[tokio::test]
async fn more_than_500_missed_ends_the_catch_up_with_resync() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let ids = server.api().publish_many(&service, "behind", 502, 0).await;
    let resume_from = |id: &str| {
        server
            .sse_request("/notifications/events")
            .bearer_auth(server.user_token("behind"))
            .header("last-event-id", id)
    };

    // 501 missed: at most 500 replayed, oldest first, then `resync`, then the live stream.
    let mut sse = SseClient::open(resume_from(&ids[0]))
        .await
        .expect("stream opens");
    assert_eq!(sse.next_event().await.1, count(502));
    let mut replayed: Vec<String> = Vec::new();
    loop {
        match sse.next_event().await.1 {
            ServerEvent::Notification(n) => {
                if let Some(last) = replayed.last() {
                    assert!(*last < n.id, "catch-up must be oldest first");
                }
                replayed.push(n.id);
            }
            ServerEvent::Resync(_) => break,
            other => panic!("unexpected event during catch-up: {other:?}"),
        }
    }
    assert!(replayed.len() <= 500, "{} replayed", replayed.len());
    let live = server.api().publish(&service, "behind", "live").await;
    assert_eq!(
        sse.next_event().await.1,
        ServerEvent::Notification(live.clone())
    );

    // Exactly 500 missed (counting from the second): all replayed, no resync.
    let mut sse = SseClient::open(resume_from(&ids[2]))
        .await
        .expect("stream opens");
    assert_eq!(sse.next_event().await.1, count(503));
    let mut expected: Vec<String> = ids[3..].to_vec();
    expected.push(live.id);
    for id in expected {
        match sse.next_event().await {
            (Some(message_id), ServerEvent::Notification(n)) => {
                assert_eq!(n.id, id);
                assert_eq!(message_id, id);
            }
            other => panic!("expected notification {id}, got {other:?}"),
        }
    }
    let after = server.api().publish(&service, "behind", "after").await;
    assert_eq!(sse.next_event().await.1, ServerEvent::Notification(after));
}
