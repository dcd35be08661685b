//! Hardening, authentication side: the client IP behind proxies, `sub`/`userId` precedence,
//! `sub` length and short secrets. Each test replays an attack from the security review
//! (issue 11) against the real binary on loopback, bounded in count.

use notify_testkit::bindings::ErrorCode;
use notify_testkit::jwt::TEST_SECRET;
use notify_testkit::reqwest::Method;
use notify_testkit::{Reply, TestServer, Token};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// Sends 60 bad-token requests whose `X-Forwarded-For` comes from `forwarded_for(i)`;
/// returns the replies.
async fn guesses(server: &TestServer, forwarded_for: impl Fn(usize) -> String) -> Vec<Reply> {
    let mut replies = Vec::new();
    for i in 0..60 {
        let request = server
            .api()
            .authed(Method::GET, "/notifications", "bad-token")
            .header("x-forwarded-for", forwarded_for(i));
        replies.push(server.api().send(request).await);
    }
    replies
}

fn limited(replies: &[Reply]) -> usize {
    replies.iter().filter(|r| r.status == 429).count()
}

/// Fault 3: with `--trust-proxy` the leftmost hop (written by the client) was the client IP,
/// so rotating it escaped the per-IP limit. One trusted hop: the proxy's own entry (the
/// rightmost) is the client.
#[tokio::test]
async fn rotating_the_leftmost_forwarded_hop_does_not_escape_the_ip_limit() {
    let server = TestServer::builder(BIN)
        .arg("--trust-proxy")
        .flag("--ip-rate", "1")
        .flag("--ip-burst", "5")
        .start()
        .await;
    let replies = guesses(&server, |i| {
        format!("10.9.{}.{}, 203.0.113.7", i / 250, i % 250)
    })
    .await;
    assert!(
        limited(&replies) > 0,
        "60 bad tokens with a rotated leftmost hop, none limited"
    );
}

/// Fault 3, CIDR form: trusted proxies are skipped from the right; the first untrusted hop is
/// the client, whatever the client wrote to the left of it.
#[tokio::test]
async fn with_trusted_proxy_ranges_the_rightmost_untrusted_hop_is_the_client() {
    let server = TestServer::builder(BIN)
        .flag("--trust-proxy", "127.0.0.0/8,198.51.100.0/24")
        .flag("--ip-rate", "1")
        .flag("--ip-burst", "5")
        .start()
        .await;
    let replies = guesses(&server, |i| {
        format!("10.0.{}.{}, 203.0.113.7, 198.51.100.1", i / 250, i % 250)
    })
    .await;
    assert!(limited(&replies) > 0, "rotated hops escaped the limit");
    // Another client behind the same proxies has its own bucket.
    let request = server
        .api()
        .authed(Method::GET, "/notifications", "bad-token")
        .header("x-forwarded-for", "203.0.113.8, 198.51.100.1");
    server
        .api()
        .send(request)
        .await
        .expect_error(401, ErrorCode::Unauthorized);
}

/// Fault 3: a peer that is not a trusted proxy can't choose its IP with `X-Forwarded-For`.
#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let server = TestServer::builder(BIN)
        .flag("--trust-proxy", "10.0.0.0/8")
        .flag("--ip-rate", "1")
        .flag("--ip-burst", "5")
        .start()
        .await;
    let replies = guesses(&server, |i| format!("203.0.{}.{}", i / 250, i % 250)).await;
    assert!(limited(&replies) > 0, "a spoofed header escaped the limit");
}

/// Fault 8: an empty `sub` beside a `userId` authenticated as that userId; `userId` counts
/// only when `sub` is absent.
#[tokio::test]
async fn an_empty_sub_is_not_replaced_by_user_id() {
    let server = TestServer::start(BIN).await;
    server
        .api()
        .publish(&server.service_token(), "victim", "private")
        .await;
    let token = Token::user("").claim("userId", "victim").hs256(TEST_SECRET);
    server
        .api()
        .get("/notifications", &token)
        .await
        .expect_error(401, ErrorCode::Unauthorized);
}

/// Fault 8: a `sub` longer than a user id may be (255 characters) is refused.
#[tokio::test]
async fn an_overlong_sub_is_refused() {
    let server = TestServer::start(BIN).await;
    let token = Token::user(&"x".repeat(100 * 1024)).hs256(TEST_SECRET);
    server
        .api()
        .get("/notifications/unread-count", &token)
        .await
        .expect_error(401, ErrorCode::Unauthorized);
    let token = Token::user(&"y".repeat(256)).hs256(TEST_SECRET);
    server
        .api()
        .get("/notifications/unread-count", &token)
        .await
        .expect_error(401, ErrorCode::Unauthorized);
    let token = Token::user(&"z".repeat(255)).hs256(TEST_SECRET);
    server
        .api()
        .get("/notifications/unread-count", &token)
        .await
        .expect(200);
}

/// Fault 8: a secret shorter than 32 bytes is refused outside `--dev`, with a clear message.
#[tokio::test]
async fn a_short_jwt_secret_is_refused_outside_dev_mode() {
    let error = match TestServer::builder(BIN).jwt_secret("x").try_start().await {
        Ok(_) => panic!("started with a 1-byte JWT_SECRET"),
        Err(e) => e,
    };
    assert!(
        error.output.contains("at least 32 bytes"),
        "the error should say how long a secret must be: {}",
        error.output
    );
    // `--dev` accepts it (a demo on a laptop).
    TestServer::builder(BIN)
        .jwt_secret("x")
        .arg("--dev")
        .start()
        .await;
}
