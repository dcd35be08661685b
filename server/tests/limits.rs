//! Rate limits (per user, per IP, publishing, socket events), the per-user socket cap and the
//! configurable body limit. Each test starts a server with tight limits and sends a bounded
//! number of requests: no timing is asserted, only that the limit is reached at all and that
//! whoever is under their own limit is unaffected.

use notify_testkit::bindings::{Ack, ErrorCode, ServerEvent, SubscribeResult, events};
use notify_testkit::reqwest::Method;
use notify_testkit::sio::Auth;
use notify_testkit::{Reply, TestServer, eventually};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// The first 429 among `replies`; panics when none was limited. Checks its error body and
/// its `Retry-After` header.
fn first_rate_limited(replies: &[Reply]) -> &Reply {
    let limited = replies.iter().find(|r| r.status == 429).unwrap_or_else(|| {
        let statuses: Vec<_> = replies.iter().map(|r| r.status.as_u16()).collect();
        panic!("no request was rate limited: {statuses:?}")
    });
    limited.expect_error(429, ErrorCode::RateLimited);
    let retry_after = limited
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry_after.is_some_and(|s| s >= 1),
        "a 429 tells when to retry (Retry-After in seconds): {:?}",
        limited.headers.get("retry-after")
    );
    limited
}

#[tokio::test]
async fn rest_requests_beyond_the_user_burst_get_429() {
    let server = TestServer::builder(BIN)
        .flag("--user-rate", "1")
        .flag("--user-burst", "5")
        .start()
        .await;
    let greedy = server.user_token("greedy");
    let mut replies = Vec::new();
    for _ in 0..30 {
        replies.push(
            server
                .api()
                .get("/notifications/unread-count", &greedy)
                .await,
        );
    }
    first_rate_limited(&replies);
    assert!(
        replies.iter().all(|r| r.status == 200 || r.status == 429),
        "only 200s and 429s expected"
    );
    // Another user has their own budget.
    server
        .api()
        .get("/notifications/unread-count", &server.user_token("patient"))
        .await
        .expect(200);
}

/// Unauthenticated and failed-auth traffic is charged to the client IP (it slows token
/// guessing); authenticated users are not throttled as one IP (office NATs).
#[tokio::test]
async fn failed_auth_beyond_the_ip_burst_gets_429_but_users_are_not_ip_limited() {
    let server = TestServer::builder(BIN)
        .flag("--ip-rate", "1")
        .flag("--ip-burst", "5")
        .start()
        .await;
    let mut replies = Vec::new();
    for i in 0..30 {
        replies.push(
            server
                .api()
                .get("/notifications", &format!("guess-{i}"))
                .await,
        );
    }
    first_rate_limited(&replies);
    assert!(
        replies.iter().all(|r| r.status == 401 || r.status == 429),
        "only 401s and 429s expected"
    );
    // A valid user from the same IP is not.
    for i in 0..10 {
        let token = server.user_token(&format!("user-{i}"));
        server.api().get("/notifications", &token).await.expect(200);
    }
    server.connect_user("user-0").await;
}

/// Socket handshakes with bad tokens cost the same IP bucket: past the burst the answer turns
/// from `unauthorized` into `rate_limited`, while valid users still connect.
#[tokio::test]
async fn failed_socket_handshakes_beyond_the_ip_burst_are_rate_limited() {
    let server = TestServer::builder(BIN)
        .flag("--ip-rate", "1")
        .flag("--ip-burst", "3")
        .start()
        .await;
    let mut messages = Vec::new();
    for i in 0..10 {
        let refused = server
            .sio(Auth::payload(format!("guess-{i}")))
            .await
            .err()
            .expect("bad token refused");
        messages.push(refused.message().unwrap_or_default().to_owned());
    }
    assert_eq!(messages[0], "unauthorized");
    assert!(messages.iter().any(|m| m == "rate_limited"), "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| m == "unauthorized" || m == "rate_limited"),
        "{messages:?}"
    );
    server.connect_user("honest").await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_ip_is_limited() {
    // Two proxies: 198.51.100.1 forwarded to the one on loopback.
    let server = TestServer::builder(BIN)
        .flag("--trust-proxy", "2")
        .flag("--ip-rate", "1")
        .flag("--ip-burst", "3")
        .start()
        .await;
    let guess = |forwarded_for: &'static str| {
        server
            .api()
            .authed(Method::GET, "/notifications", "bad-token")
            .header("x-forwarded-for", forwarded_for)
    };
    let mut replies = Vec::new();
    for _ in 0..20 {
        replies.push(server.api().send(guess("203.0.113.7, 198.51.100.1")).await);
    }
    first_rate_limited(&replies);
    // Another client behind the same proxy has its own bucket.
    server
        .api()
        .send(guess("203.0.113.8, 198.51.100.1"))
        .await
        .expect_error(401, ErrorCode::Unauthorized);
}

#[tokio::test]
async fn publishing_beyond_the_publish_burst_gets_429() {
    let server = TestServer::builder(BIN)
        .flag("--publish-rate", "1")
        .flag("--publish-burst", "3")
        .start()
        .await;
    let service = server.service_token();
    let mut replies = Vec::new();
    for i in 0..20 {
        let body = json!({"userId": format!("target-{i}"), "title": "t"});
        replies.push(
            server
                .api()
                .post_json("/notifications", &service, &body)
                .await,
        );
    }
    first_rate_limited(&replies);
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert!(
        created >= 3,
        "the burst itself is allowed: {created} created"
    );
}

#[tokio::test]
async fn socket_events_beyond_the_user_burst_get_rate_limited_acks() {
    let server = TestServer::builder(BIN)
        .flag("--user-rate", "1")
        .flag("--user-burst", "5")
        .start()
        .await;
    let (mut socket, _) = server.connect_user("chatty").await;
    let mut codes = Vec::new();
    for _ in 0..30 {
        let ack: Ack<SubscribeResult> = socket
            .call(events::SUBSCRIBE_NOTIFICATIONS, json!({}))
            .await;
        codes.push(ack.into_result().err().map(|e| e.code));
    }
    assert!(
        codes.contains(&Some(ErrorCode::RateLimited)),
        "no event was rate limited: {codes:?}"
    );
    assert!(
        codes
            .iter()
            .all(|c| matches!(c, None | Some(ErrorCode::RateLimited))),
        "{codes:?}"
    );
    // Rate limiting doesn't disconnect: pushes still arrive.
    let created = server
        .api()
        .publish(&server.service_token(), "chatty", "still connected")
        .await;
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::Notification(created)
    );
}

#[tokio::test]
async fn sockets_beyond_the_per_user_cap_are_refused_until_one_closes() {
    let server = TestServer::builder(BIN)
        .flag("--max-sockets-per-user", "2")
        .start()
        .await;
    let (first, _) = server.connect_user("capped").await;
    let (_second, _) = server.connect_user("capped").await;
    let token = server.user_token("capped");
    match server.sio(Auth::payload(token.clone())).await {
        Ok(_) => panic!("a third socket was accepted with a cap of 2"),
        Err(e) => assert!(
            e.to_string().contains("rate_limited"),
            "connect_error should carry rate_limited: {e}"
        ),
    }
    // Other users are not capped by this user's sockets.
    server.connect_user("uncapped").await;

    // A clean close frees a slot (dropped connections: see the next test).
    first.close().await;
    eventually("a slot freed by the closed socket", || {
        let token = token.clone();
        let server = &server;
        async move { server.sio(Auth::payload(token)).await.ok() }
    })
    .await;
}

/// Clients that vanish right after CONNECT (a flaky network, a closed tab) must give their
/// slot back, or the user is eventually locked out.
#[tokio::test]
async fn sockets_dropped_right_after_connecting_give_their_slots_back() {
    let server = TestServer::builder(BIN)
        .flag("--max-sockets-per-user", "2")
        .start()
        .await;
    let token = server.user_token("flaky");
    for round in 0..50 {
        let what = format!(
            "a free slot in round {round} (cap 2; every earlier socket was dropped right after \
             CONNECT, so none should still hold one)"
        );
        let socket = eventually(&what, || {
            let token = token.clone();
            let server = &server;
            async move { server.sio(Auth::payload(token)).await.ok() }
        })
        .await;
        drop(socket); // gone without a goodbye, right after the CONNECT answer
    }
    let gauge = || async {
        let text = server.api().metrics().await;
        notify_testkit::rest::metric_value(&text, "notify_sockets")
    };
    let settled = tokio::time::timeout(notify_testkit::WAIT, async {
        while gauge().await != Some(0.0) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        settled.is_ok(),
        "notify_sockets stays at {:?} with no socket connected: disconnects right after \
         CONNECT are not counted (and their per-user slots not given back)",
        gauge().await
    );
    // All of the user's slots are free again.
    let _first = server
        .sio(Auth::payload(token.clone()))
        .await
        .expect("slot 1");
    let _second = server.sio(Auth::payload(token)).await.expect("slot 2");
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let server = TestServer::builder(BIN)
        .flag("--body-limit", "2048")
        .start()
        .await;
    let service = server.service_token();
    let small = json!({"userId": "u", "title": "t", "message": "m".repeat(1500)});
    server
        .api()
        .post_json("/notifications", &service, &small)
        .await
        .expect(201);
    let large = json!({"userId": "u", "title": "t", "data": {"pad": "p".repeat(3000)}});
    server
        .api()
        .post_json("/notifications", &service, &large)
        .await
        .expect_error(413, ErrorCode::PayloadTooLarge);

    // The same limit applies to Socket.IO event payloads.
    let (socket, _) = server.connect_user("u").await;
    let ack: Ack<Value> = socket
        .call(events::MARK_READ, json!({"id": "i".repeat(3000)}))
        .await;
    assert_eq!(
        ack.into_result().err().map(|e| e.code),
        Some(ErrorCode::PayloadTooLarge)
    );
    let ack: Ack<Value> = socket
        .call(events::LIST_NOTIFICATIONS, json!({"limit": 1}))
        .await;
    assert!(ack.into_result().is_ok(), "small events still work");
}
