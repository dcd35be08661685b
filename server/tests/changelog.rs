//! The per-user change log, on SQLite and on PostgreSQL (real server processes, a real
//! database file, a real PostgreSQL): one `seq` more per change and none for a request that
//! changes nothing, envelopes that carry it live, `subscribe_notifications {sinceSeq}` and
//! SSE `Last-Event-ID: <seq>` replays, the resync cases, the log's trimming, and seqs in
//! commit order across two nodes.

use notify_testkit::bindings::{
    Ack, AllRead, Envelope, ErrorCode, Notification, NotificationId, ServerEvent, SubscribeResult,
    UnreadCount, events,
};
use notify_testkit::services::Postgres;
use notify_testkit::sio::Auth;
use notify_testkit::sse::SseClient;
use notify_testkit::{SioClient, TestServer};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// A server on SQLite, or on a PostgreSQL of its own.
struct Setup {
    server: TestServer,
    postgres: Option<Postgres>,
}

impl Setup {
    async fn sqlite() -> Self {
        Self {
            server: TestServer::start(BIN).await,
            postgres: None,
        }
    }

    async fn postgres() -> Self {
        let postgres = Postgres::start();
        Self {
            server: node(&postgres).await,
            postgres: Some(postgres),
        }
    }

    /// How many changes of `user` the database's log holds.
    async fn logged_changes(&self, user: &str) -> i64 {
        const COUNT: &str = "SELECT COUNT(*) FROM changes WHERE user_id = $1";
        match &self.postgres {
            Some(postgres) => {
                let (client, connection) =
                    tokio_postgres::connect(&postgres.url(), tokio_postgres::NoTls)
                        .await
                        .expect("connect to PostgreSQL");
                tokio::spawn(connection);
                client.query_one(COUNT, &[&user]).await.unwrap().get(0)
            }
            None => rusqlite::Connection::open(self.server.db_path())
                .unwrap()
                .query_row(&COUNT.replace("$1", "?1"), [user], |row| row.get(0))
                .unwrap(),
        }
    }
}

async fn node(postgres: &Postgres) -> TestServer {
    TestServer::builder(BIN)
        .no_database_flag()
        .flag("--database-url", postgres.url())
        .start()
        .await
}

fn change(seq: u64, event: ServerEvent) -> Envelope {
    Envelope::change(seq, event)
}

/// The `unread_count` of state `seq`: `count` unread, and as many unseen (in these tests a
/// notification is seen only once read, unless said otherwise).
fn count(seq: u64, count: u64) -> Envelope {
    counts(seq, count, count)
}

fn counts(seq: u64, count: u64, unseen: u64) -> Envelope {
    change(seq, ServerEvent::UnreadCount(UnreadCount { count, unseen }))
}

async fn subscribe(socket: &SioClient, data: Value) -> SubscribeResult {
    let ack: Ack<SubscribeResult> = socket.call(events::SUBSCRIBE_NOTIFICATIONS, data).await;
    ack.into_result().expect("subscribe succeeds")
}

/// A stream of `user` resuming with `Last-Event-ID: last_event_id`.
async fn sse_resuming(server: &TestServer, user: &str, last_event_id: &str) -> SseClient {
    let request = server
        .sse_request("/notifications/events")
        .bearer_auth(server.user_token(user))
        .header("last-event-id", last_event_id);
    SseClient::open(request).await.expect("stream opens")
}

/// The next SSE message as `(id, envelope)`.
async fn next_sse(sse: &mut SseClient) -> (String, Envelope) {
    let (id, envelope) = sse.next_envelope().await;
    (id.unwrap_or_default(), envelope)
}

async fn seq_per_change_and_replay(setup: Setup) {
    let server = &setup.server;
    let (user, token, service) = ("ada", server.user_token("ada"), server.service_token());
    let (mut socket, _) = server.connect_user(user).await;
    let api = server.api();

    // A new user's first change is 1; each change and its unread_count carry the seq.
    let mut created = Vec::new();
    for (i, title) in ["a", "b", "c"].into_iter().enumerate() {
        let n = api.publish(&service, user, title).await;
        let seq = i as u64 + 1;
        assert_eq!(
            socket.next_envelope().await,
            change(seq, ServerEvent::Notification(n.clone()))
        );
        assert_eq!(socket.next_envelope().await, count(seq, seq));
        created.push(n);
    }
    let (a, b, c) = (&created[0], &created[1], &created[2]);

    // Requests that change nothing take no seq and push nothing: the next change is +1.
    let read = api.mark_read(&token, &a.id).await;
    assert_eq!(api.mark_read(&token, &a.id).await, read);
    let read_all = api.read_all(&token).await;
    assert_eq!(read_all, 2);
    assert_eq!(api.read_all(&token).await, 0);
    api.delete_notification(&token, &b.id).await;
    api.delete(&format!("/notifications/{}", b.id), &token)
        .await
        .expect_error(404, ErrorCode::NotFound);
    let d = api.publish(&service, user, "d").await;

    let mut live = Vec::new();
    for _ in 0..8 {
        live.push(socket.next_envelope().await);
    }
    let read_at = match &live[2].event {
        ServerEvent::AllRead(all) => all.read_at.clone(),
        other => panic!("expected all_read, got {other:?}"),
    };
    assert_eq!(
        live,
        vec![
            change(4, ServerEvent::NotificationUpdated(read.clone())),
            count(4, 2),
            change(5, ServerEvent::AllRead(AllRead { read_at })),
            count(5, 0),
            change(
                6,
                ServerEvent::NotificationDeleted(NotificationId { id: b.id.clone() })
            ),
            count(6, 0),
            change(7, ServerEvent::Notification(d.clone())),
            count(7, 1),
        ]
    );
    let logged_live: Vec<Envelope> = live
        .iter()
        .filter(|e| !matches!(e.event, ServerEvent::UnreadCount(_)))
        .cloned()
        .collect();

    // The replay after 3 is every later change exactly as it was pushed, oldest first.
    let replay = subscribe(&socket, json!({"sinceSeq": 3})).await;
    assert_eq!(
        (replay.unread_count, replay.unseen_count, replay.seq),
        (1, 1, 7)
    );
    assert_eq!(replay.changes.as_ref(), Some(&logged_live));
    assert!(!replay.resync && replay.missed.is_empty());
    let everything = subscribe(&socket, json!({"sinceSeq": 0})).await;
    let seqs: Vec<u64> = everything
        .changes
        .unwrap()
        .iter()
        .map(|e| e.seq.unwrap())
        .collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());

    // Without sinceSeq: the counts and the seq; up to date: nothing; ahead: resync.
    let plain = subscribe(&socket, json!({})).await;
    assert_eq!((plain.unread_count, plain.seq, plain.changes), (1, 7, None));
    let current = subscribe(&socket, json!({"sinceSeq": 7})).await;
    assert_eq!((current.changes, current.resync), (Some(vec![]), false));
    let ahead = subscribe(&socket, json!({"sinceSeq": 8})).await;
    assert_eq!(
        (ahead.changes, ahead.resync, ahead.seq),
        (Some(vec![]), true, 7)
    );
    let bad: Ack<SubscribeResult> = socket
        .call(events::SUBSCRIBE_NOTIFICATIONS, json!({"sinceSeq": -1}))
        .await;
    assert_eq!(
        bad.into_result().unwrap_err().code,
        ErrorCode::ValidationFailed
    );

    // A socket's first unread_count carries the seq of the state it counts.
    let mut fresh = server.sio(Auth::payload(token.clone())).await.unwrap();
    assert_eq!(fresh.next_envelope().await, count(7, 1));

    // SSE: a numeric Last-Event-ID is a seq: the count, the changes after it, then live.
    let mut sse = sse_resuming(server, user, "3").await;
    assert_eq!(next_sse(&mut sse).await, ("7".into(), count(7, 1)));
    for expected in &logged_live {
        assert_eq!(
            next_sse(&mut sse).await,
            (expected.seq.unwrap().to_string(), expected.clone())
        );
    }
    let e = api.publish(&service, user, "e").await;
    assert_eq!(
        next_sse(&mut sse).await,
        ("8".into(), change(8, ServerEvent::Notification(e.clone())))
    );
    assert_eq!(next_sse(&mut sse).await, ("8".into(), count(8, 2)));

    // A notification id keeps its v1 meaning: the newer notifications, under their ids.
    let mut v1 = sse_resuming(server, user, &c.id).await;
    assert_eq!(next_sse(&mut v1).await, ("8".into(), count(8, 2)));
    for newer in [&d, &e] {
        let (id, envelope) = next_sse(&mut v1).await;
        assert_eq!(id, newer.id);
        assert_eq!(envelope.event, ServerEvent::Notification((*newer).clone()));
    }
    let f = api.publish(&service, user, "f").await;
    assert_eq!(
        next_sse(&mut v1).await,
        ("9".into(), change(9, ServerEvent::Notification(f)))
    );

    // A seq ahead of the user's: the count, then resync.
    let mut ahead = sse_resuming(server, user, "99").await;
    assert_eq!(next_sse(&mut ahead).await.1, count(9, 3));
    assert_eq!(
        next_sse(&mut ahead).await,
        (
            String::new(),
            Envelope {
                event: ServerEvent::Resync(Default::default()),
                seq: None
            }
        )
    );

    // Another user's log is their own.
    let (other, _) = server.connect_user("bob").await;
    let theirs = subscribe(&other, json!({"sinceSeq": 0})).await;
    assert_eq!((theirs.seq, theirs.changes), (0, Some(vec![])));
}

/// `POST path` answered 200 with a `T`.
async fn post<T: serde::de::DeserializeOwned>(server: &TestServer, path: &str, token: &str) -> T {
    server.api().post(path, token).await.expect(200).parse()
}

/// The feed-state changes (seen, archive, unarchive, unread, seen-all) each take a seq too;
/// marking several seen is one change per notification that changed, in id order.
async fn feed_state_changes(setup: Setup) {
    let server = &setup.server;
    let (user, token, service) = ("sam", server.user_token("sam"), server.service_token());
    let api = server.api();
    let mut created = Vec::new();
    for title in ["n1", "n2", "n3"] {
        created.push(api.publish(&service, user, title).await);
    }
    let (n1, n2, n3) = (&created[0], &created[1], &created[2]);
    // One socket acts; another of the same user watches what is pushed.
    let (socket, _) = server.connect_user(user).await;
    let (mut watcher, _) = server.connect_user(user).await;

    let call = |name: &'static str, data: Value| {
        let socket = &socket;
        async move {
            let ack: Ack<Value> = socket.call(name, data).await;
            ack.into_result().expect("the event succeeds")
        }
    };
    let ids = json!({"ids": [n2.id, n1.id, "someone-elses"]});
    assert_eq!(
        call(events::MARK_SEEN, ids.clone()).await,
        json!({"updated": 2})
    );
    assert_eq!(call(events::MARK_SEEN, ids).await, json!({"updated": 0}));
    let archived: Notification =
        post(server, &format!("/notifications/{}/archive", n3.id), &token).await;
    let _: Notification = post(server, &format!("/notifications/{}/archive", n3.id), &token).await;
    let unarchived: Notification = post(
        server,
        &format!("/notifications/{}/unarchive", n3.id),
        &token,
    )
    .await;
    let read = api.mark_read(&token, &n1.id).await;
    let unread: Notification =
        post(server, &format!("/notifications/{}/unread", n1.id), &token).await;
    let _: Notification = post(server, &format!("/notifications/{}/unread", n1.id), &token).await;
    assert_eq!(
        call(events::MARK_ALL_SEEN, json!({})).await,
        json!({"updated": 1})
    );
    assert_eq!(
        call(events::MARK_ALL_SEEN, json!({})).await,
        json!({"updated": 0})
    );
    let n4 = api.publish(&service, user, "n4").await;

    let mut live = Vec::new();
    for _ in 0..15 {
        live.push(watcher.next_envelope().await);
    }
    let seen = |n: &Notification, seen_at: &str| Notification {
        is_seen: true,
        seen_at: Some(seen_at.to_owned()),
        ..n.clone()
    };
    let ServerEvent::NotificationUpdated(seen_n1) = &live[0].event else {
        panic!("expected n1 seen, got {:?}", live[0]);
    };
    let seen_at = seen_n1.seen_at.clone().expect("seen now");
    let ServerEvent::AllSeen(all_seen) = &live[11].event else {
        panic!("expected all_seen, got {:?}", live[11]);
    };
    let updated = |seq, n: &Notification| change(seq, ServerEvent::NotificationUpdated(n.clone()));
    assert_eq!(
        live,
        vec![
            updated(4, &seen(n1, &seen_at)),
            updated(5, &seen(n2, &seen_at)),
            counts(5, 3, 1),
            updated(6, &archived),
            counts(6, 2, 0),
            updated(7, &unarchived),
            counts(7, 3, 1),
            updated(8, &read),
            counts(8, 2, 1),
            updated(9, &unread),
            counts(9, 3, 1),
            change(10, ServerEvent::AllSeen(all_seen.clone())),
            counts(10, 3, 0),
            change(11, ServerEvent::Notification(n4.clone())),
            counts(11, 4, 1),
        ]
    );
    let replay = subscribe(&socket, json!({"sinceSeq": 3})).await;
    let logged: Vec<Envelope> = live
        .iter()
        .filter(|e| !matches!(e.event, ServerEvent::UnreadCount(_)))
        .cloned()
        .collect();
    assert_eq!(replay.changes, Some(logged));
    assert_eq!(
        (replay.unread_count, replay.unseen_count, replay.seq),
        (4, 1, 11)
    );
}

async fn trimmed_log_and_resync_beyond_500(setup: Setup) {
    let server = &setup.server;
    let user = "busy";
    server
        .api()
        .publish_many(&server.service_token(), user, 1100, 0)
        .await;
    // Trimmed at seq 1,100 to the last 1,000 changes.
    assert_eq!(setup.logged_changes(user).await, 1000);

    let (socket, _) = server.connect_user(user).await;
    let last_500 = subscribe(&socket, json!({"sinceSeq": 600})).await;
    let seqs: Vec<u64> = last_500
        .changes
        .unwrap()
        .iter()
        .map(|e| e.seq.unwrap())
        .collect();
    assert_eq!(seqs, (601..=1100).collect::<Vec<_>>());
    assert!(!last_500.resync);
    for beyond in [599, 100, 0] {
        let replay = subscribe(&socket, json!({"sinceSeq": beyond})).await;
        assert_eq!(
            (replay.changes, replay.resync),
            (Some(vec![]), true),
            "after {beyond}"
        );
        assert_eq!((replay.seq, replay.unread_count), (1100, 1100));
    }

    let mut sse = sse_resuming(server, user, "599").await;
    assert_eq!(next_sse(&mut sse).await.1, count(1100, 1100));
    assert_eq!(
        next_sse(&mut sse).await.1.event,
        ServerEvent::Resync(Default::default())
    );
    let mut sse = sse_resuming(server, user, "1099").await;
    assert_eq!(next_sse(&mut sse).await.1, count(1100, 1100));
    let (id, last) = next_sse(&mut sse).await;
    assert_eq!((id.as_str(), last.seq), ("1100", Some(1100)));
}

#[tokio::test]
async fn sqlite_numbers_every_change_and_replays_it() {
    seq_per_change_and_replay(Setup::sqlite().await).await;
}

#[tokio::test]
async fn postgres_numbers_every_change_and_replays_it() {
    seq_per_change_and_replay(Setup::postgres().await).await;
}

#[tokio::test]
async fn sqlite_numbers_feed_state_changes() {
    feed_state_changes(Setup::sqlite().await).await;
}

#[tokio::test]
async fn postgres_numbers_feed_state_changes() {
    feed_state_changes(Setup::postgres().await).await;
}

#[tokio::test]
async fn sqlite_trims_the_log_and_resyncs_beyond_it() {
    trimmed_log_and_resync_beyond_500(Setup::sqlite().await).await;
}

#[tokio::test]
async fn postgres_trims_the_log_and_resyncs_beyond_it() {
    trimmed_log_and_resync_beyond_500(Setup::postgres().await).await;
}

/// Two nodes change one user's feed at once: every change gets its own seq, with no gap, and
/// a notification's creation comes before its read (which could only commit after it).
#[tokio::test]
async fn seqs_follow_commit_order_across_two_nodes() {
    let postgres = Postgres::start();
    let (a, b) = (node(&postgres).await, node(&postgres).await);
    let user = "kai";
    let service = a.service_token();
    let token = a.user_token(user);
    let tasks = (0..24).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        let other = if i % 2 == 0 { &b } else { &a };
        let (service, token) = (&service, &token);
        async move {
            let n: Notification = server.api().publish(service, user, &format!("n{i}")).await;
            other.api().mark_read(token, &n.id).await;
            n.id
        }
    });
    let ids = futures_util::future::join_all(tasks).await;

    let (socket, unread) = b.connect_user(user).await;
    assert_eq!(unread, 0);
    let replay = subscribe(&socket, json!({"sinceSeq": 0})).await;
    let changes = replay.changes.expect("the whole log");
    let seqs: Vec<u64> = changes.iter().map(|e| e.seq.unwrap()).collect();
    assert_eq!(seqs, (1..=48).collect::<Vec<_>>());
    assert_eq!(replay.seq, 48);
    for id in &ids {
        let position = |wanted: fn(&ServerEvent, &str) -> bool| {
            let found: Vec<usize> = (0..changes.len())
                .filter(|&i| wanted(&changes[i].event, id))
                .collect();
            assert_eq!(found.len(), 1, "one such change of {id}");
            found[0]
        };
        let created = position(|e, id| matches!(e, ServerEvent::Notification(n) if n.id == id));
        let read = position(
            |e, id| matches!(e, ServerEvent::NotificationUpdated(n) if n.id == id && n.is_read),
        );
        assert!(created < read, "{id} was created before it was read");
    }
}
