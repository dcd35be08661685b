//! Several nodes sharing PostgreSQL and Redis, all real processes: cross-node delivery to
//! sockets and SSE streams, agreeing unread counts, and the faults a cluster must survive
//! (a Redis outage, a killed node, a PostgreSQL outage).

use notify_testkit::bindings::{Ack, ErrorCode, ServerEvent, SubscribeResult, events};
use notify_testkit::services::{Postgres, Redis};
use notify_testkit::sio::SioEvent;
use notify_testkit::{SioClient, TestServer, eventually, within};
use serde_json::json;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

async fn node(postgres: &Postgres, redis: Option<&Redis>) -> TestServer {
    let builder = TestServer::builder(BIN)
        .no_database_flag()
        .flag("--database-url", postgres.url());
    match redis {
        Some(redis) => builder.flag("--redis-url", redis.url()),
        None => builder,
    }
    .start()
    .await
}

/// The next `notification` event on the socket, skipping unread counts.
async fn next_notification(socket: &mut SioClient) -> notify_testkit::bindings::Notification {
    loop {
        if let ServerEvent::Notification(n) = socket.next_server_event().await {
            return n;
        }
    }
}

async fn readiness(server: &TestServer) -> serde_json::Value {
    let reply = server
        .api()
        .send(
            server
                .api()
                .raw(notify_testkit::reqwest::Method::GET, "/readyz"),
        )
        .await;
    reply.json()
}

#[tokio::test]
async fn a_change_on_one_node_reaches_sockets_and_streams_on_every_node() {
    let (postgres, redis) = (Postgres::start(), Redis::start());
    let a = node(&postgres, Some(&redis)).await;
    let b = node(&postgres, Some(&redis)).await;
    let c = node(&postgres, Some(&redis)).await;

    let (mut socket_on_a, _) = a.connect_user("ada").await;
    let (mut stream_on_c, _) = c.sse_user("ada").await;
    let (mut bystander_on_a, _) = a.connect_user("bob").await;

    let published = b
        .api()
        .publish(&b.service_token(), "ada", "from node B")
        .await;
    assert_eq!(next_notification(&mut socket_on_a).await, published);
    let (id, event) = stream_on_c.next_event().await;
    assert_eq!(event, ServerEvent::Notification(published.clone()));
    assert_eq!(
        id.as_deref(),
        Some("1"),
        "the id is the seq of ada's first change"
    );
    assert_eq!(
        stream_on_c.next_event().await.1,
        ServerEvent::UnreadCount(notify_testkit::bindings::UnreadCount {
            count: 1,
            unseen: 1
        })
    );

    // Every node sees the same store.
    let token = a.user_token("ada");
    for server in [&a, &b, &c] {
        assert_eq!(server.api().unread_count(&token).await, 1);
    }

    // A change made through a socket on A reaches the stream on C.
    let ack: Ack<notify_testkit::bindings::Notification> = socket_on_a
        .call(events::MARK_READ, json!({"id": published.id}))
        .await;
    assert!(ack.into_result().unwrap().is_read);
    let (_, updated) = stream_on_c.next_event().await;
    assert!(matches!(updated, ServerEvent::NotificationUpdated(n) if n.is_read));
    for server in [&a, &b, &c] {
        assert_eq!(server.api().unread_count(&token).await, 0);
    }

    // Nobody else got anything.
    assert!(
        bystander_on_a
            .next_within(Duration::from_millis(300))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn nodes_keep_serving_through_a_redis_outage_and_resume_by_themselves() {
    let (postgres, mut redis) = (Postgres::start(), Redis::start());
    let a = node(&postgres, Some(&redis)).await;
    let b = node(&postgres, Some(&redis)).await;
    let service = a.service_token();
    let (mut socket_on_a, _) = a.connect_user("eve").await;
    let before = b.api().publish(&service, "eve", "before").await;
    assert_eq!(next_notification(&mut socket_on_a).await.id, before.id);

    redis.stop();
    eventually("node A to report the Redis link down", || async {
        let ready = readiness(&a).await;
        (ready["status"] == "degraded" && ready["checks"]["redis"] == "unavailable").then_some(())
    })
    .await;
    // Same-node delivery goes on; a publish on B is stored even though it can't reach A live.
    let local = a
        .api()
        .publish(&service, "eve", "same node, during outage")
        .await;
    assert_eq!(next_notification(&mut socket_on_a).await.id, local.id);
    let missed = b
        .api()
        .publish(&service, "eve", "other node, during outage")
        .await;

    redis.resume();
    for server in [&a, &b] {
        eventually("the Redis link to come back", || async {
            (readiness(server).await["status"] == "ready").then_some(())
        })
        .await;
    }
    let after = b.api().publish(&service, "eve", "after").await;
    let received = within("cross-node delivery to resume", async {
        loop {
            let n = next_notification(&mut socket_on_a).await;
            if n.id == after.id {
                return n;
            }
        }
    })
    .await;
    assert_eq!(received.title, "after");

    // What was missed live comes back through the catch-up path.
    let ack: Ack<SubscribeResult> = socket_on_a
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"since": before.id}))
        .await;
    let ids: Vec<String> = ack
        .into_result()
        .unwrap()
        .missed
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(ids, [local.id, missed.id, after.id]);
}

#[tokio::test]
async fn clients_of_a_killed_node_reconnect_to_another_and_lose_nothing() {
    let (postgres, redis) = (Postgres::start(), Redis::start());
    let mut a = node(&postgres, Some(&redis)).await;
    let b = node(&postgres, Some(&redis)).await;
    let service = b.service_token();
    let (mut socket, _) = a.connect_user("kim").await;
    let seen = b.api().publish(&service, "kim", "seen").await;
    assert_eq!(next_notification(&mut socket).await.id, seen.id);

    a.kill().await;
    let (closed, _) = socket.expect_disconnect().await;
    assert!(
        matches!(closed, SioEvent::Closed { .. } | SioEvent::Disconnect),
        "{closed:?}"
    );
    let gone1 = b
        .api()
        .publish(&service, "kim", "while reconnecting 1")
        .await;
    let gone2 = b
        .api()
        .publish(&service, "kim", "while reconnecting 2")
        .await;

    // The client reconnects (to B) and resumes from the newest id it holds.
    let (socket, unread) = b.connect_user("kim").await;
    assert_eq!(unread, 3);
    let ack: Ack<SubscribeResult> = socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"since": seen.id}))
        .await;
    let result = ack.into_result().unwrap();
    assert_eq!(
        result.missed.iter().map(|n| &n.id).collect::<Vec<_>>(),
        [&gone1.id, &gone2.id]
    );
    assert!(!result.resync);
}

#[tokio::test]
async fn a_postgres_outage_gives_clear_503s_and_recovers_without_a_restart() {
    let mut postgres = Postgres::start();
    let server = node(&postgres, None).await;
    let (service, user) = (server.service_token(), server.user_token("lee"));
    server.api().publish(&service, "lee", "stored").await;

    postgres.stop();
    let reply = server
        .api()
        .post_json(
            "/notifications",
            &service,
            &json!({"userId": "lee", "title": "during outage"}),
        )
        .await;
    reply.expect_error(503, ErrorCode::Unavailable);
    server
        .api()
        .get("/notifications", &user)
        .await
        .expect_error(503, ErrorCode::Unavailable);
    let ready = server
        .api()
        .send(
            server
                .api()
                .raw(notify_testkit::reqwest::Method::GET, "/readyz"),
        )
        .await;
    assert_eq!(ready.status, 503);

    postgres.resume();
    eventually("the store to answer again", || async {
        let reply = server.api().get("/notifications/unread-count", &user).await;
        (reply.status == 200).then_some(())
    })
    .await;
    server.api().publish(&service, "lee", "after outage").await;
    let titles: Vec<String> = server
        .api()
        .list_all(&user)
        .await
        .into_iter()
        .map(|n| n.title)
        .collect();
    assert_eq!(
        titles,
        ["after outage", "stored"],
        "nothing half-written, nothing lost"
    );
}

#[tokio::test]
async fn several_nodes_on_sqlite_are_refused() {
    let redis = Redis::start();
    let refused = TestServer::builder(BIN)
        .flag("--redis-url", redis.url())
        .try_start()
        .await;
    let error = match refused {
        Ok(_) => panic!("started a cluster node on SQLite"),
        Err(e) => e,
    };
    assert!(
        error.output.contains("DATABASE_URL=postgres"),
        "{}",
        error.output
    );
}

#[tokio::test]
async fn the_postgres_store_keeps_the_whole_rest_contract() {
    let postgres = Postgres::start();
    let server = node(&postgres, None).await;
    let (service, api) = (server.service_token(), server.api());
    let (ann, ben) = (server.user_token("ann"), server.user_token("ben"));
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(api.publish(&service, "ann", &format!("n{i}")).await.id);
    }
    let theirs = api.publish(&service, "ben", "ben's").await;
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");

    // Newest first, paged by cursor, to the end.
    let first = api.list(&ann, "limit=2").await;
    assert_eq!(
        first
            .items
            .iter()
            .map(|n| n.title.as_str())
            .collect::<Vec<_>>(),
        ["n4", "n3"]
    );
    let cursor = first.next_cursor.expect("more pages");
    let second = api.list(&ann, &format!("limit=3&before={cursor}")).await;
    assert_eq!(second.items.len(), 3);
    assert_eq!(second.next_cursor, None);

    // Another user's id is simply not found.
    api.post(&format!("/notifications/{}/read", theirs.id), &ann)
        .await
        .expect_error(404, ErrorCode::NotFound);
    api.delete(&format!("/notifications/{}", theirs.id), &ann)
        .await
        .expect_error(404, ErrorCode::NotFound);

    api.mark_read(&ann, &ids[0]).await;
    assert_eq!(api.list(&ann, "unread=true").await.items.len(), 4);
    assert_eq!(api.unread_count(&ann).await, 4);
    // Reading it again changes nothing; deleting a read one leaves the count alone.
    api.mark_read(&ann, &ids[0]).await;
    assert_eq!(api.unread_count(&ann).await, 4);
    api.delete_notification(&ann, &ids[1]).await;
    assert_eq!(api.unread_count(&ann).await, 3);
    api.delete_notification(&ann, &ids[0]).await;
    assert_eq!(api.unread_count(&ann).await, 3);
    assert_eq!(api.read_all(&ann).await, 3);
    assert_eq!(api.unread_count(&ann).await, 0);
    assert_eq!(api.list_all(&ann).await.len(), 3);
    assert_eq!(api.unread_count(&ben).await, 1);
}

#[tokio::test]
async fn concurrent_creates_of_one_user_on_two_nodes_get_distinct_ids_and_an_exact_count() {
    let postgres = Postgres::start();
    let a = node(&postgres, None).await;
    let b = node(&postgres, None).await;
    let service = a.service_token();
    let (api_a, api_b) = (a.api(), b.api());
    let creates = (0..40).map(|i| {
        let (api, service) = (if i % 2 == 0 { &api_a } else { &api_b }, &service);
        async move { api.publish(service, "ann", &format!("n{i}")).await.id }
    });
    let mut ids = futures_util::future::join_all(creates).await;
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "every create got its own id");
    let ann = a.user_token("ann");
    assert_eq!(api_a.unread_count(&ann).await, 40);
    let stored: Vec<String> = api_b
        .list_all(&ann)
        .await
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(stored.len(), 40);
    assert!(
        stored.windows(2).all(|w| w[0] > w[1]),
        "newest first, no duplicates"
    );
}
