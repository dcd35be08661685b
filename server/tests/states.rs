//! Feed states against the real server, on SQLite and on PostgreSQL: seen, unread, archive,
//! the `unseen` / `archived` / `type` filters, `GET /notifications/counts`, the Socket.IO
//! events, and the live pushes each change makes to the user's other sockets and streams.
//!
//! Each scenario runs on a server of either store (see `on_both_stores!`).

use notify_testkit::bindings::{
    Ack, Counts, ErrorCode, Notification, Page, ServerEvent, SubscribeResult, UnreadCount, Updated,
    events,
};
use notify_testkit::services::Postgres;
use notify_testkit::{SioClient, TestServer};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

async fn on_postgres(postgres: &Postgres) -> TestServer {
    TestServer::builder(BIN)
        .no_database_flag()
        .flag("--database-url", postgres.url())
        .start()
        .await
}

/// Publishes a notification of `kind` for `user`.
async fn publish(server: &TestServer, user: &str, kind: &str, title: &str) -> Notification {
    server
        .api()
        .post_json(
            "/notifications",
            &server.service_token(),
            &json!({"userId": user, "title": title, "type": kind}),
        )
        .await
        .expect(201)
        .parse()
}

/// `POST path` as `user`, expecting 200 and a body of type `T`.
async fn post<T: DeserializeOwned>(server: &TestServer, user: &str, path: &str) -> T {
    let token = server.user_token(user);
    server.api().post(path, &token).await.expect(200).parse()
}

async fn counts(server: &TestServer, user: &str, query: &str) -> Counts {
    let token = server.user_token(user);
    server
        .api()
        .get(&format!("/notifications/counts{query}"), &token)
        .await
        .expect(200)
        .parse()
}

fn tally(unread: u64, unseen: u64, total: u64) -> Counts {
    Counts {
        unread,
        unseen,
        total,
    }
}

fn unread_unseen(count: u64, unseen: u64) -> UnreadCount {
    UnreadCount { count, unseen }
}

async fn badge(server: &TestServer, user: &str) -> UnreadCount {
    let token = server.user_token(user);
    server
        .api()
        .get("/notifications/unread-count", &token)
        .await
        .expect(200)
        .parse()
}

/// The titles of the first page `GET /notifications?<query>` answers, newest first.
async fn titles(server: &TestServer, user: &str, query: &str) -> Vec<String> {
    let page: Page = server.api().list(&server.user_token(user), query).await;
    page.items.into_iter().map(|n| n.title).collect()
}

fn ok<T: DeserializeOwned>(ack: Ack<Value>) -> T {
    let data = ack.into_result().expect("successful ack");
    serde_json::from_value(data).expect("ack data of the expected shape")
}

fn failed(ack: Ack<Value>) -> ErrorCode {
    ack.into_result().expect_err("failed ack").code
}

/// The next event on `socket`, which must be a `notification_updated`.
async fn next_updated(socket: &mut SioClient) -> Notification {
    match socket.next_server_event().await {
        ServerEvent::NotificationUpdated(n) => n,
        other => panic!("expected notification_updated, got {other:?}"),
    }
}

/// The next event on `socket`, which must be an `unread_count`.
async fn next_counts(socket: &mut SioClient) -> UnreadCount {
    match socket.next_server_event().await {
        ServerEvent::UnreadCount(counts) => counts,
        other => panic!("expected unread_count, got {other:?}"),
    }
}

async fn seen_read_unread_and_their_counts(server: &TestServer) {
    let user = "states-seen";
    let a = publish(server, user, "info", "a").await;
    let b = publish(server, user, "info", "b").await;
    let c = publish(server, user, "info", "c").await;
    assert!(!a.is_seen && a.seen_at.is_none() && !a.is_archived && a.archived_at.is_none());
    assert_eq!(badge(server, user).await, unread_unseen(3, 3));

    // Read marks seen; unread leaves it seen.
    let read: Notification = post(server, user, &format!("/notifications/{}/read", a.id)).await;
    assert!(read.is_read && read.is_seen);
    assert_eq!(read.seen_at, read.read_at);
    let unread: Notification = post(server, user, &format!("/notifications/{}/unread", a.id)).await;
    assert!(!unread.is_read && unread.read_at.is_none());
    assert!(unread.is_seen && unread.seen_at == read.seen_at);
    assert_eq!(badge(server, user).await, unread_unseen(3, 2));
    // Unread again changes nothing.
    let again: Notification = post(server, user, &format!("/notifications/{}/unread", a.id)).await;
    assert_eq!(again, unread);

    // Seen by ids: others' and unknown ids are ignored, only changes count.
    let other = publish(server, "states-someone-else", "info", "theirs").await;
    let token = server.user_token(user);
    let updated: Updated = server
        .api()
        .post_json(
            "/notifications/seen",
            &token,
            &json!({"ids": [a.id, b.id, other.id, "missing"]}),
        )
        .await
        .expect(200)
        .parse();
    assert_eq!(updated.updated, 1, "only b changed");
    assert_eq!(
        badge(server, "states-someone-else").await,
        unread_unseen(1, 1),
        "another user's notification stays unseen"
    );
    assert_eq!(titles(server, user, "unseen=true").await, ["c"]);
    assert_eq!(counts(server, user, "").await, tally(3, 1, 3));

    let all: Updated = post(server, user, "/notifications/seen-all").await;
    assert_eq!(all.updated, 1);
    let none: Updated = post(server, user, "/notifications/seen-all").await;
    assert_eq!(none.updated, 0);
    assert_eq!(badge(server, user).await, unread_unseen(3, 0));
    assert!(titles(server, user, "unseen=true").await.is_empty());

    // Read-all marks seen too, keeping earlier seen times.
    let d = publish(server, user, "info", "d").await;
    let read_all: Updated = post(server, user, "/notifications/read-all").await;
    assert_eq!(read_all.updated, 4);
    assert_eq!(counts(server, user, "").await, tally(0, 0, 4));
    let items = server.api().list(&token, "").await.items;
    let by_title = |t: &str| items.iter().find(|n| n.title == t).unwrap().clone();
    assert!(items.iter().all(|n| n.is_read && n.is_seen));
    assert_eq!(by_title("a").seen_at, read.seen_at);
    assert_eq!(by_title("d").seen_at, by_title("d").read_at);
    assert_ne!(d.id, c.id);
}

async fn archive_hides_from_lists_and_counts(server: &TestServer) {
    let user = "states-archive";
    let a = publish(server, user, "info", "a").await;
    publish(server, user, "info", "b").await;
    let archived: Notification =
        post(server, user, &format!("/notifications/{}/archive", a.id)).await;
    assert!(archived.is_archived);
    let first_archived_at = archived.archived_at.clone().expect("archivedAt");
    let again: Notification = post(server, user, &format!("/notifications/{}/archive", a.id)).await;
    assert_eq!(
        again.archived_at.as_deref(),
        Some(first_archived_at.as_str())
    );

    assert_eq!(titles(server, user, "").await, ["b"]);
    assert_eq!(titles(server, user, "archived=false").await, ["b"]);
    assert_eq!(titles(server, user, "archived=true").await, ["a"]);
    assert_eq!(titles(server, user, "archived=all").await, ["b", "a"]);
    assert_eq!(
        titles(server, user, "archived=all&unread=true").await,
        ["b", "a"]
    );
    assert_eq!(counts(server, user, "").await, tally(1, 1, 1));
    assert_eq!(badge(server, user).await, unread_unseen(1, 1));

    // Read while archived: the counts don't move; unarchived, it counts again as it is.
    post::<Notification>(server, user, &format!("/notifications/{}/read", a.id)).await;
    assert_eq!(badge(server, user).await.count, 1);
    let back: Notification =
        post(server, user, &format!("/notifications/{}/unarchive", a.id)).await;
    assert!(!back.is_archived && back.archived_at.is_none() && back.is_read);
    assert_eq!(titles(server, user, "").await, ["b", "a"]);
    assert_eq!(counts(server, user, "").await, tally(1, 1, 2));
    // Unread while archived, then deleted: the counts stay exact.
    post::<Notification>(server, user, &format!("/notifications/{}/archive", a.id)).await;
    post::<Notification>(server, user, &format!("/notifications/{}/unread", a.id)).await;
    assert_eq!(badge(server, user).await.count, 1);
    server
        .api()
        .delete_notification(&server.user_token(user), &a.id)
        .await;
    assert_eq!(counts(server, user, "").await, tally(1, 1, 1));
}

async fn type_filters_are_exact_or_a_dotted_prefix(server: &TestServer) {
    let user = "states-types";
    for kind in [
        "payment",
        "payments",
        "payment.received",
        "payment.card.declined",
        "payment-x",
        "info",
    ] {
        publish(server, user, kind, kind).await;
    }
    assert_eq!(
        titles(server, user, "type=payment.*").await,
        ["payment.card.declined", "payment.received"]
    );
    assert_eq!(titles(server, user, "type=payment").await, ["payment"]);
    assert_eq!(
        titles(server, user, "type=payment.received").await,
        ["payment.received"]
    );
    assert!(titles(server, user, "type=nothing.*").await.is_empty());
    assert_eq!(
        counts(server, user, "?type=payment.*").await,
        tally(2, 2, 2)
    );
    assert_eq!(counts(server, user, "?type=info").await.total, 1);
    assert_eq!(counts(server, user, "").await.total, 6);

    // Filters combine, and page with nextCursor.
    let token = server.user_token(user);
    let page = server.api().list(&token, "type=payment.*&limit=1").await;
    let next = page.next_cursor.expect("a second page");
    let second = server
        .api()
        .list(&token, &format!("type=payment.*&limit=1&before={next}"))
        .await;
    assert_eq!(second.items[0].title, "payment.received");
    assert_eq!(second.next_cursor, None);
    let declined = &page.items[0];
    post::<Notification>(
        server,
        user,
        &format!("/notifications/{}/read", declined.id),
    )
    .await;
    assert_eq!(
        titles(server, user, "type=payment.*&unread=true").await,
        ["payment.received"]
    );
    assert_eq!(
        titles(server, user, "type=payment.*&unseen=true").await,
        ["payment.received"]
    );
    assert_eq!(
        counts(server, user, "?type=payment.*").await,
        tally(1, 1, 2)
    );
}

async fn bad_input_gets_422_and_others_ids_404(server: &TestServer) {
    let user = "states-bad";
    let token = server.user_token(user);
    let theirs = publish(server, "states-victim", "info", "theirs").await;
    for action in ["unread", "archive", "unarchive", "read"] {
        let path = format!("/notifications/{}/{action}", theirs.id);
        server
            .api()
            .post(&path, &token)
            .await
            .expect_error(404, ErrorCode::NotFound);
    }
    let victim = server
        .api()
        .list(&server.user_token("states-victim"), "")
        .await;
    assert_eq!(victim.items, vec![theirs], "nothing changed for its owner");

    for query in [
        "archived=yes",
        "archived=",
        "archived=ALL",
        "unseen=maybe",
        "type=.*",
        &format!("type={}", "t".repeat(101)),
    ] {
        let reply = server
            .api()
            .get(&format!("/notifications?{query}"), &token)
            .await;
        reply.expect_error(422, ErrorCode::ValidationFailed);
    }
    server
        .api()
        .get("/notifications/counts?type=.*", &token)
        .await
        .expect_error(422, ErrorCode::ValidationFailed);

    let too_many: Vec<String> = (0..101).map(|i| format!("id{i}")).collect();
    for body in [
        json!({"ids": []}),
        json!({"ids": too_many}),
        json!({"ids": [""]}),
        json!({"ids": "x"}),
        json!({}),
        json!({"ids": ["a"], "extra": 1}),
    ] {
        let error = server
            .api()
            .post_json("/notifications/seen", &token, &body)
            .await
            .expect_error(422, ErrorCode::ValidationFailed);
        assert!(
            error.message.contains("ids") || error.message.contains("extra"),
            "{error:?}"
        );
    }
    server
        .api()
        .post_raw("/notifications/seen", &token, "{not json")
        .await
        .expect_error(400, ErrorCode::InvalidJson);
    let hundred: Vec<String> = (0..100).map(|i| format!("id{i}")).collect();
    let none: Updated = server
        .api()
        .post_json("/notifications/seen", &token, &json!({"ids": hundred}))
        .await
        .expect(200)
        .parse();
    assert_eq!(none.updated, 0);
}

async fn socket_events_change_states_and_push_to_other_sockets(server: &TestServer) {
    let user = "states-socket";
    let a = publish(server, user, "payment.received", "a").await;
    let b = publish(server, user, "info", "b").await;
    let (actor, _) = server.connect_user(user).await;
    let (mut watcher, _) = server.connect_user(user).await;
    let (mut stream, _) = server.sse_user(user).await;

    let seen: Updated = ok(actor
        .call(events::MARK_SEEN, json!({"ids": [a.id, b.id]}))
        .await);
    assert_eq!(seen.updated, 2);
    // One notification_updated per notification that changed, then the counts.
    let first = next_updated(&mut watcher).await;
    let second = next_updated(&mut watcher).await;
    assert_eq!([first.id, second.id], [a.id.clone(), b.id.clone()]);
    assert!(first.is_seen && second.is_seen);
    assert_eq!(next_counts(&mut watcher).await, unread_unseen(2, 0));
    for _ in 0..3 {
        stream.next_event().await;
    }

    let archived: Notification = ok(actor.call(events::ARCHIVE, json!({"id": a.id})).await);
    assert!(archived.is_archived);
    assert_eq!(next_updated(&mut watcher).await, archived);
    assert_eq!(next_counts(&mut watcher).await, unread_unseen(1, 0));
    match stream.next_event().await {
        (_, ServerEvent::NotificationUpdated(n)) => assert_eq!(n, archived),
        other => panic!("expected notification_updated on SSE, got {other:?}"),
    }
    match stream.next_event().await {
        (_, ServerEvent::UnreadCount(counts)) => assert_eq!(counts.count, 1),
        other => panic!("expected unread_count on SSE, got {other:?}"),
    }

    let unarchived: Notification = ok(actor.call(events::UNARCHIVE, json!({"id": a.id})).await);
    assert!(!unarchived.is_archived);
    assert_eq!(next_updated(&mut watcher).await, unarchived);
    next_counts(&mut watcher).await;

    let read: Notification = ok(actor.call(events::MARK_READ, json!({"id": b.id})).await);
    let unread: Notification = ok(actor.call(events::MARK_UNREAD, json!({"id": b.id})).await);
    assert!(read.is_read && !unread.is_read && unread.is_seen);
    assert_eq!(next_updated(&mut watcher).await, read);
    next_counts(&mut watcher).await;
    assert_eq!(next_updated(&mut watcher).await, unread);
    next_counts(&mut watcher).await;

    let c = publish(server, user, "info", "c").await;
    assert!(matches!(
        watcher.next_server_event().await,
        ServerEvent::Notification(_)
    ));
    assert_eq!(next_counts(&mut watcher).await, unread_unseen(3, 1));
    let all: Updated = ok(actor.call(events::MARK_ALL_SEEN, json!({})).await);
    assert_eq!(all.updated, 1);
    match watcher.next_server_event().await {
        ServerEvent::AllSeen(all_seen) => assert_eq!(all_seen.seen_at.len(), 24),
        other => panic!("expected all_seen, got {other:?}"),
    }
    assert_eq!(next_counts(&mut watcher).await, unread_unseen(3, 0));
    let none: Updated = ok(actor.call(events::MARK_ALL_SEEN, json!({})).await);
    assert_eq!(none.updated, 0);

    // list_notifications takes the same filters as REST.
    ok::<Notification>(actor.call(events::ARCHIVE, json!({"id": c.id})).await);
    let page: Page = ok(actor
        .call(
            events::LIST_NOTIFICATIONS,
            json!({"archived": "all", "type": "payment.*"}),
        )
        .await);
    assert_eq!(
        page.items.iter().map(|n| &n.id).collect::<Vec<_>>(),
        [&a.id]
    );
    let page: Page = ok(actor
        .call(events::LIST_NOTIFICATIONS, json!({"archived": true}))
        .await);
    assert_eq!(
        page.items.iter().map(|n| &n.id).collect::<Vec<_>>(),
        [&c.id]
    );
    let page: Page = ok(actor
        .call(events::LIST_NOTIFICATIONS, json!({"unseen": true}))
        .await);
    assert!(page.items.is_empty());
    let subscribed: SubscribeResult =
        ok(actor.call(events::SUBSCRIBE_NOTIFICATIONS, json!({})).await);
    assert_eq!((subscribed.unread_count, subscribed.unseen_count), (2, 0));

    // Bad payloads and others' ids: failed acks, nothing changes.
    let theirs = publish(server, "states-socket-victim", "info", "theirs").await;
    for event in [events::MARK_UNREAD, events::ARCHIVE, events::UNARCHIVE] {
        assert_eq!(
            failed(actor.call(event, json!({"id": theirs.id})).await),
            ErrorCode::NotFound
        );
        assert_eq!(
            failed(actor.call(event, json!({})).await),
            ErrorCode::ValidationFailed
        );
    }
    for payload in [json!({"ids": []}), json!({"ids": "x"}), json!({})] {
        assert_eq!(
            failed(actor.call(events::MARK_SEEN, payload).await),
            ErrorCode::ValidationFailed
        );
    }
    for payload in [
        json!({"archived": "yes"}),
        json!({"archived": 1}),
        json!({"type": ".*"}),
        json!({"unseen": "true"}),
    ] {
        assert_eq!(
            failed(actor.call(events::LIST_NOTIFICATIONS, payload).await),
            ErrorCode::ValidationFailed
        );
    }
    let ignored: Updated = ok(actor
        .call(events::MARK_SEEN, json!({"ids": [theirs.id]}))
        .await);
    assert_eq!(ignored.updated, 0);
    assert!(
        !server
            .api()
            .list(&server.user_token("states-socket-victim"), "")
            .await
            .items[0]
            .is_seen
    );
}

/// Each scenario as its own test on SQLite; on PostgreSQL all in one test on one database
/// (their users differ), as starting a PostgreSQL takes seconds.
macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let server = super::TestServer::start(super::BIN).await;
                    super::$scenario(&server).await;
                }
            )*
        }
        #[tokio::test]
        async fn every_scenario_on_postgres() {
            let postgres = Postgres::start();
            let server = on_postgres(&postgres).await;
            $( $scenario(&server).await; )*
        }
    };
}

on_both_stores!(
    seen_read_unread_and_their_counts,
    archive_hides_from_lists_and_counts,
    type_filters_are_exact_or_a_dotted_prefix,
    bad_input_gets_422_and_others_ids_404,
    socket_events_change_states_and_push_to_other_sockets,
);

/// Two nodes on one PostgreSQL change the same notifications at once (read, unread, archive,
/// unarchive, seen): the counts kept on the head row (`unread-count`, `/counts`) end equal to
/// a recount of the rows.
#[tokio::test]
async fn concurrent_changes_on_two_nodes_keep_the_head_counts_exact() {
    let postgres = Postgres::start();
    let (a, b) = (on_postgres(&postgres).await, on_postgres(&postgres).await);
    let user = "states-race";
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(publish(&a, user, "info", &format!("n{i}")).await.id);
    }
    let actions = ["read", "archive", "unread", "unarchive", "read", "archive"];
    let mut changes = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        for (step, action) in actions.iter().enumerate() {
            // Each node runs the actions in a different order.
            let (node, action) = if (n + step) % 2 == 0 {
                (&a, *action)
            } else {
                (&b, actions[actions.len() - 1 - step])
            };
            let path = format!("/notifications/{id}/{action}");
            let token = node.user_token(user);
            changes.push(async move { node.api().post(&path, &token).await.expect(200) });
        }
    }
    let seen = ids[..4].to_vec();
    let token = b.user_token(user);
    let seen_body = json!({ "ids": seen });
    let (_, seen_reply) = tokio::join!(
        futures_util::future::join_all(changes),
        b.api().post_json("/notifications/seen", &token, &seen_body)
    );
    seen_reply.expect(200);

    let listed = a
        .api()
        .list(&a.user_token(user), "archived=all&limit=100")
        .await;
    let live = || listed.items.iter().filter(|n| !n.is_archived);
    let recounted = tally(
        live().filter(|n| !n.is_read).count() as u64,
        live().filter(|n| !n.is_seen).count() as u64,
        live().count() as u64,
    );
    let kept = counts(&a, user, "").await;
    let badge = badge(&b, user).await;
    assert_eq!(
        (kept, badge),
        (recounted, unread_unseen(recounted.unread, recounted.unseen)),
        "head row against the rows"
    );
    assert!(
        listed.items.iter().all(|n| !n.is_read || n.is_seen),
        "read implies seen"
    );
}
