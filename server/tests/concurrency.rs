//! Many things at once for one user: concurrent publishes, reads and connects.

use futures_util::future::join_all;
use notify_testkit::TestServer;
use notify_testkit::bindings::ServerEvent;
use notify_testkit::sio::Auth;
use std::collections::BTreeSet;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

#[tokio::test]
async fn concurrent_publishes_arrive_in_id_order_with_counts_that_end_at_the_total() {
    const N: usize = 30;
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let (mut socket, _) = server.connect_user("busy").await;
    let (mut sse, _) = server.sse_user("busy").await;

    let created = join_all((0..N).map(|i| {
        let (server, service) = (&server, &service);
        async move {
            server
                .api()
                .publish(service, "busy", &format!("n{i}"))
                .await
        }
    }))
    .await;
    let created_ids: BTreeSet<_> = created.iter().map(|n| n.id.clone()).collect();
    assert_eq!(created_ids.len(), N, "ids are unique");

    // Socket.IO: N notifications, each followed by its count.
    let mut ids = Vec::new();
    let mut counts = Vec::new();
    while counts.len() < N {
        match socket.next_server_event().await {
            ServerEvent::Notification(n) => ids.push(n.id),
            ServerEvent::UnreadCount(c) => counts.push(c.count),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "socket order: {ids:?}");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), created_ids);
    assert_eq!(
        counts.last(),
        Some(&(N as u64)),
        "last count seen: {counts:?}"
    );

    // SSE: the same.
    let mut ids = Vec::new();
    let mut counts = Vec::new();
    while counts.len() < N {
        match sse.next_event().await.1 {
            ServerEvent::Notification(n) => ids.push(n.id),
            ServerEvent::UnreadCount(c) => counts.push(c.count),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "SSE order: {ids:?}");
    assert_eq!(
        counts.last(),
        Some(&(N as u64)),
        "last count seen: {counts:?}"
    );
}

#[tokio::test]
async fn concurrent_reads_and_deletes_leave_a_consistent_count() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("racer");
    let mut created = Vec::new();
    for i in 0..20 {
        created.push(
            server
                .api()
                .publish(&service, "racer", &format!("n{i}"))
                .await,
        );
    }
    let (mut socket, _) = server.connect_user("racer").await;
    let reads = created[..10].iter().map(|n| {
        let (server, token) = (&server, &token);
        async move {
            let path = format!("/notifications/{}/read", n.id);
            server.api().post(&path, token).await
        }
    });
    let deletes = created[5..15].iter().map(|n| {
        let (server, token) = (&server, &token);
        async move {
            let path = format!("/notifications/{}", n.id);
            server.api().delete(&path, token).await
        }
    });
    let (reads, deletes) = tokio::join!(join_all(reads), join_all(deletes));
    // A read may lose the race to the delete of the same notification (404); nothing else.
    assert!(reads.iter().all(|r| r.status == 200 || r.status == 404));
    assert!(deletes.iter().all(|r| r.status == 204));

    // Left: 0..5 read, 15..20 unread.
    let remaining = server.api().list_all(&token).await;
    assert_eq!(remaining.len(), 10);
    assert_eq!(server.api().unread_count(&token).await, 5);

    // The last count pushed matches.
    let changes = reads.iter().filter(|r| r.status == 200).count() + deletes.len();
    let mut last_count = None;
    let mut seen = 0;
    while seen < changes {
        match socket.next_server_event().await {
            ServerEvent::UnreadCount(c) => {
                last_count = Some(c.count);
                seen += 1;
            }
            ServerEvent::NotificationUpdated(_) | ServerEvent::NotificationDeleted(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(last_count, Some(5));
}

#[tokio::test]
async fn concurrent_connects_respect_the_socket_cap() {
    let server = TestServer::builder(BIN)
        .flag("--max-sockets-per-user", "3")
        .start()
        .await;
    let token = server.user_token("crowd");
    let attempts = join_all((0..12).map(|_| server.sio(Auth::payload(token.clone())))).await;
    let connected = attempts.iter().filter(|a| a.is_ok()).count();
    assert_eq!(connected, 3, "cap of 3 with 12 concurrent connects");
    for refused in attempts.iter().filter_map(|a| a.as_ref().err()) {
        assert!(refused.to_string().contains("rate_limited"), "{refused}");
    }
}
