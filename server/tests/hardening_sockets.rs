//! Hardening, Socket.IO and SSE side: each test replays an attack from the security review
//! (issue 11) against the real binary on loopback, bounded in count, and checks it no longer
//! works. No timing is asserted; waits only guard against hanging.

use futures_util::future::join_all;
use notify_testkit::attack::{connect_and_reset, polling_handshake};
use notify_testkit::bindings::ErrorCode;
use notify_testkit::rest::metric_value;
use notify_testkit::sio::Auth;
use notify_testkit::{SseClient, TestServer, Token, eventually};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

async fn sockets_gauge(server: &TestServer) -> Option<f64> {
    metric_value(&server.api().metrics().await, "notify_sockets")
}

/// Fault 1: a WebSocket reset right after its namespace CONNECT used to keep its presence
/// slot (taken in the connect middleware) forever, until the user was locked out.
#[tokio::test]
async fn sockets_reset_right_after_connect_give_their_slots_back() {
    let server = TestServer::builder(BIN)
        .flag("--max-sockets-per-user", "32")
        .start()
        .await;
    let token = server.user_token("ghost");
    for _ in 0..10 {
        let rounds = (0..30).map(|_| connect_and_reset(server.port(), &token));
        for result in join_all(rounds).await {
            result.expect("connect and reset");
        }
    }
    eventually(
        "notify_sockets back to 0 after 300 reset sockets",
        || async { (sockets_gauge(&server).await == Some(0.0)).then_some(()) },
    )
    .await;
    // All 32 slots are free again: the user's real sockets all connect.
    let mut sockets = Vec::new();
    for _ in 0..32 {
        sockets.push(server.connect_user("ghost").await);
    }
}

/// Fault 4: a service token (which may publish for anyone) must not read a user's inbox by
/// naming that user in `sub`.
#[tokio::test]
async fn service_tokens_cannot_read_inboxes() {
    let server = TestServer::start(BIN).await;
    server
        .api()
        .publish(&server.service_token(), "43", "private")
        .await;
    let service_as_43 = Token::service("43").hs256(server.secret());

    match server.sio(Auth::payload(service_as_43.clone())).await {
        Ok(_) => panic!("a service token opened a socket as user 43"),
        Err(e) => assert_eq!(e.message(), Some("forbidden"), "{e}"),
    }
    for path in [
        "/notifications",
        "/notifications/unread-count",
        "/notifications/events",
    ] {
        server
            .api()
            .get(path, &service_as_43)
            .await
            .expect_error(403, ErrorCode::Forbidden);
    }
    server
        .api()
        .post("/notifications/read-all", &service_as_43)
        .await
        .expect_error(403, ErrorCode::Forbidden);
    // The user still reads their own notification, and the service still publishes.
    assert_eq!(server.api().unread_count(&server.user_token("43")).await, 1);
    server.api().publish(&service_as_43, "43", "again").await;
}

/// Fault 5: SSE streams had no cap at all; they now share the per-user cap with sockets.
#[tokio::test]
async fn sse_streams_count_against_the_per_user_cap() {
    let server = TestServer::builder(BIN)
        .flag("--max-sockets-per-user", "3")
        .start()
        .await;
    let (first, _) = server.sse_user("streamer").await;
    let (_second, _) = server.sse_user("streamer").await;
    let (_socket, _) = server.connect_user("streamer").await;

    let token = server.user_token("streamer");
    let over = SseClient::open(
        server
            .sse_request("/notifications/events")
            .bearer_auth(&token),
    )
    .await;
    match over {
        Ok(_) => panic!("a fourth stream was opened with a cap of 3"),
        Err(reply) => {
            reply.expect_error(429, ErrorCode::RateLimited);
        }
    }
    match server.sio(Auth::payload(token.clone())).await {
        Ok(_) => panic!("a socket was accepted beyond the cap"),
        Err(e) => assert_eq!(e.message(), Some("rate_limited"), "{e}"),
    }
    // Another user is not affected; a closed stream gives its slot back.
    server.sse_user("bystander").await;
    drop(first);
    eventually("a slot freed by the closed stream", || {
        let server = &server;
        let token = token.clone();
        async move {
            SseClient::open(
                server
                    .sse_request("/notifications/events")
                    .bearer_auth(token),
            )
            .await
            .ok()
        }
    })
    .await;
}

/// Fault 5, second half: reads are charged to the caller's own bucket, whatever the token,
/// never to the (huge) publish bucket.
#[tokio::test]
async fn reads_with_a_service_token_are_rate_limited_per_subject() {
    let server = TestServer::builder(BIN)
        .flag("--user-rate", "1")
        .flag("--user-burst", "5")
        .start()
        .await;
    let service = server.service_token();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(
            server
                .api()
                .get("/notifications/unread-count", &service)
                .await
                .status
                .as_u16(),
        );
    }
    assert!(
        statuses.contains(&429),
        "30 reads with a service token, none limited: {statuses:?}"
    );
    // Publishing has its own bucket and still works.
    server
        .api()
        .publish(&service, "someone", "still works")
        .await;
}

/// Fault 7: Engine.IO handshakes that never authenticate were not limited per IP.
#[tokio::test]
async fn unauthenticated_handshakes_are_limited_per_ip() {
    let server = TestServer::builder(BIN)
        .flag("--max-pending-handshakes-per-ip", "20")
        .start()
        .await;
    let http = notify_testkit::reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..60 {
        statuses.push(polling_handshake(&http, &server.base_url()).await.as_u16());
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        refused > 0,
        "60 handshakes that never authenticate, none refused: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

/// Fault 7: sockets that authenticate don't hold a pending-handshake place, so many users
/// behind one address (an office NAT) connect freely.
#[tokio::test]
async fn authenticated_sockets_do_not_count_as_pending_handshakes() {
    let server = TestServer::builder(BIN)
        .flag("--max-pending-handshakes-per-ip", "5")
        .start()
        .await;
    let mut sockets = Vec::new();
    for user in 0..30 {
        sockets.push(server.connect_user(&format!("office-{user}")).await);
    }
}
