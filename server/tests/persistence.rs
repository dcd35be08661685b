//! Restart persistence: stop the server (gracefully or by SIGKILL), start it again on the same
//! SQLite file, and everything is still there.

use notify_testkit::TestServer;
use notify_testkit::bindings::{
    CreateNotification, Notification, ServerEvent, SubscribeResult, events,
};
use notify_testkit::sse::SseClient;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// Everything a user can observe about their notifications.
async fn snapshot(server: &TestServer, user: &str) -> (Vec<Notification>, u64) {
    let token = server.user_token(user);
    (
        server.api().list_all(&token).await,
        server.api().unread_count(&token).await,
    )
}

#[tokio::test]
async fn a_graceful_restart_keeps_every_notification_and_state() {
    let mut server = TestServer::start(BIN).await;
    let service = server.service_token();
    let alice = server.user_token("alice");
    let rich = CreateNotification {
        user_id: "alice".into(),
        title: "Payment received ✓".into(),
        message: Some("You got $20 — thanks".into()),
        kind: Some("payment.received".into()),
        data: json!({"amount": 20, "tags": ["a", "b"], "nested": {"ok": true}})
            .as_object()
            .cloned(),
    };
    let kept = server.api().create(&service, &rich).await;
    let read = server
        .api()
        .publish(&service, "alice", "will be read")
        .await;
    let deleted = server
        .api()
        .publish(&service, "alice", "will be deleted")
        .await;
    server
        .api()
        .publish(&service, "alice", "stays unread")
        .await;
    server.api().mark_read(&alice, &read.id).await;
    server.api().delete_notification(&alice, &deleted.id).await;
    server.api().publish(&service, "bob", "b1").await;
    server.api().publish(&service, "bob", "b2").await;
    server.api().read_all(&server.user_token("bob")).await;

    let alice_before = snapshot(&server, "alice").await;
    let bob_before = snapshot(&server, "bob").await;
    assert_eq!(alice_before.0.len(), 3);
    assert_eq!(alice_before.1, 2);
    assert_eq!(bob_before.1, 0);

    let status = server.terminate().await;
    assert!(status.success(), "SIGTERM exit: {status}");
    assert!(
        server.db_path().exists(),
        "the SQLite file is where we put it"
    );
    server.restart().await;

    assert_eq!(snapshot(&server, "alice").await, alice_before);
    assert_eq!(snapshot(&server, "bob").await, bob_before);
    assert!(
        alice_before.0.contains(&kept),
        "the rich notification round-trips"
    );

    // Ids stay time-ordered across the restart, and catch-up works from an old id.
    let newest_before = alice_before
        .0
        .first()
        .expect("alice has notifications")
        .id
        .clone();
    let after = server
        .api()
        .publish(&service, "alice", "after restart")
        .await;
    assert!(after.id > newest_before, "{} <= {newest_before}", after.id);
    let (socket, unread) = server.connect_user("alice").await;
    assert_eq!(unread, 3);
    let caught_up: SubscribeResult = socket
        .call(
            events::SUBSCRIBE_NOTIFICATIONS,
            json!({"since": newest_before}),
        )
        .await
        .into_result()
        .expect("subscribe ack");
    assert_eq!(caught_up.missed, vec![after]);
}

#[tokio::test]
async fn acknowledged_writes_survive_a_crash() {
    let mut server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("crash");
    let mut created = Vec::new();
    for i in 0..10 {
        created.push(
            server
                .api()
                .publish(&service, "crash", &format!("n{i}"))
                .await,
        );
    }
    let read = server.api().mark_read(&token, &created[0].id).await;
    server
        .api()
        .delete_notification(&token, &created[1].id)
        .await;

    server.kill().await;
    server.restart().await;

    let mut expected: Vec<Notification> = created[2..].iter().rev().cloned().collect();
    expected.push(read);
    let (items, unread) = snapshot(&server, "crash").await;
    assert_eq!(items, expected);
    assert_eq!(unread, 8);
}

#[tokio::test]
async fn sse_resumes_across_a_restart_with_last_event_id() {
    let mut server = TestServer::start(BIN).await;
    let service = server.service_token();
    let (mut sse, _) = server.sse_user("resume").await;
    let seen = server.api().publish(&service, "resume", "seen").await;
    let (last_id, event) = sse.next_event().await;
    assert_eq!(event, ServerEvent::Notification(seen.clone()));
    let last_id = last_id.expect("notification messages carry an id");

    let status = server.terminate().await;
    assert!(status.success(), "SIGTERM exit: {status}");
    sse.expect_end().await;
    server.restart().await;

    let missed = server.api().publish(&service, "resume", "missed").await;
    let request = server
        .sse_request("/notifications/events")
        .bearer_auth(server.user_token("resume"))
        .header("last-event-id", last_id);
    let mut sse = SseClient::open(request).await.expect("stream opens");
    assert!(matches!(
        sse.next_event().await.1,
        ServerEvent::UnreadCount(_)
    ));
    assert_eq!(sse.next_event().await.1, ServerEvent::Notification(missed));
}

#[tokio::test]
async fn the_default_database_is_notifications_db_in_the_working_directory() {
    let mut server = TestServer::builder(BIN).no_database_flag().start().await;
    let created = server
        .api()
        .publish(&server.service_token(), "default-db", "hi")
        .await;
    assert!(server.dir().join("notifications.db").exists());
    server.terminate().await;
    server.restart().await;
    assert_eq!(snapshot(&server, "default-db").await, (vec![created], 1));
}
