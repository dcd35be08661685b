//! Authentication on REST, Socket.IO and SSE: where the token travels, which tokens are
//! rejected (missing, garbage, expired, `alg: none`, wrong algorithm, bad signature), who may
//! publish, and the RS256/ES256/issuer/audience options.

use notify_testkit::bindings::{ErrorCode, ServerEvent, UnreadCount};
use notify_testkit::jwt::{
    EC_PUBLIC_PEM, RSA_OTHER_PRIVATE_PEM, RSA_PUBLIC_PEM, TEST_SECRET, tamper_payload,
};
use notify_testkit::reqwest::Method;
use notify_testkit::sio::Auth;
use notify_testkit::sse::SseClient;
use notify_testkit::{TestServer, Token};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// Tokens an HS256-pinned server with [`TEST_SECRET`] must reject, with a label each.
fn rejected_tokens() -> Vec<(&'static str, String)> {
    let user = Token::user("victim");
    let valid = user.hs256(TEST_SECRET);
    vec![
        ("garbage", "not-a-jwt".to_owned()),
        ("empty", String::new()),
        (
            "expired an hour ago",
            user.clone().expires_in(-3600).hs256(TEST_SECRET),
        ),
        (
            "expired 30 s ago",
            user.clone().expires_in(-30).hs256(TEST_SECRET),
        ),
        ("no exp", user.clone().without("exp").hs256(TEST_SECRET)),
        ("alg none", user.alg_none()),
        ("HS384 with the right secret", user.hs384(TEST_SECRET)),
        ("RS256", user.rs256()),
        ("ES256", user.es256()),
        ("wrong secret", user.with_bad_signature(TEST_SECRET)),
        (
            "tampered payload",
            tamper_payload(&valid, &json!({"sub": "admin", "exp": 9_999_999_999i64})),
        ),
        (
            "no sub and no userId",
            user.clone().without("sub").hs256(TEST_SECRET),
        ),
        (
            "signature stripped",
            valid.rsplit_once('.').unwrap().0.to_owned() + ".",
        ),
    ]
}

#[tokio::test]
async fn rest_without_a_token_is_401() {
    let server = TestServer::start(BIN).await;
    let routes = [
        (Method::GET, "/notifications"),
        (Method::GET, "/notifications/unread-count"),
        (Method::POST, "/notifications/some-id/read"),
        (Method::POST, "/notifications/read-all"),
        (Method::DELETE, "/notifications/some-id"),
        (Method::POST, "/notifications"),
        (Method::GET, "/notifications/events"),
    ];
    for (method, path) in routes {
        let reply = server
            .api()
            .send(server.api().raw(method.clone(), path))
            .await;
        assert_eq!(reply.status, 401, "{method} {path}: {}", reply.text);
        reply.expect_error(401, ErrorCode::Unauthorized);
    }
}

#[tokio::test]
async fn rest_rejects_bad_tokens_and_schemes() {
    let server = TestServer::start(BIN).await;
    server
        .api()
        .publish(&server.service_token(), "victim", "private")
        .await;
    for (label, token) in rejected_tokens() {
        let reply = server.api().get("/notifications", &token).await;
        assert_eq!(reply.status, 401, "{label}: {}", reply.text);
        reply.expect_error(401, ErrorCode::Unauthorized);
    }
    let valid = server.user_token("victim");
    for header in [
        format!("Basic {valid}"),
        valid.clone(),
        format!("Bearer{valid}"),
    ] {
        let request = server
            .api()
            .raw(Method::GET, "/notifications")
            .header("authorization", header.clone());
        let reply = server.api().send(request).await;
        assert_eq!(
            reply.status, 401,
            "Authorization: {header:.20}…: {}",
            reply.text
        );
    }
    // The valid token itself works, so the rejections above are about the tokens; the
    // scheme is case-insensitive (RFC 7235).
    assert_eq!(server.api().list_all(&valid).await.len(), 1);
    let lowercase = server
        .api()
        .raw(Method::GET, "/notifications/unread-count")
        .header("authorization", format!("bearer {valid}"));
    server.api().send(lowercase).await.expect(200);
}

#[tokio::test]
async fn user_id_claim_is_used_when_sub_is_absent() {
    let server = TestServer::start(BIN).await;
    let created = server
        .api()
        .publish(&server.service_token(), "legacy-7", "hello")
        .await;
    let token = Token::user("ignored")
        .without("sub")
        .claim("userId", "legacy-7")
        .hs256(TEST_SECRET);
    assert_eq!(server.api().list_all(&token).await, vec![created]);

    // A numeric `sub` (documented as accepted) is the same user as its string form.
    let numeric = server
        .api()
        .publish(&server.service_token(), "42", "numeric")
        .await;
    let token = Token::user("ignored").claim("sub", 42).hs256(TEST_SECRET);
    assert_eq!(server.api().list_all(&token).await, vec![numeric]);
}

#[tokio::test]
async fn only_service_tokens_may_publish() {
    let server = TestServer::start(BIN).await;
    let body = json!({"userId": "target", "title": "hi"});
    let forbidden = [
        ("plain user", Token::user("target")),
        ("role user", Token::user("target").claim("role", "user")),
        (
            "other scope",
            Token::user("target").claim("scope", "notifications:read"),
        ),
        (
            "scope prefix only",
            Token::user("target").claim("scope", "notifications:publisher"),
        ),
    ];
    for (label, token) in forbidden {
        let reply = server
            .api()
            .post_json("/notifications", &token.hs256(TEST_SECRET), &body)
            .await;
        assert_eq!(reply.status, 403, "{label}: {}", reply.text);
        reply.expect_error(403, ErrorCode::Forbidden);
    }
    let allowed = [
        ("role service", Token::service("billing")),
        (
            "publish scope among others",
            Token::user("billing").claim("scope", "notifications:read notifications:publish"),
        ),
    ];
    for (label, token) in allowed {
        let reply = server
            .api()
            .post_json("/notifications", &token.hs256(TEST_SECRET), &body)
            .await;
        assert_eq!(reply.status, 201, "{label}: {}", reply.text);
    }
    let stored = server.api().list_all(&server.user_token("target")).await;
    assert_eq!(
        stored.len(),
        2,
        "only the two allowed publishes were stored"
    );
}

#[tokio::test]
async fn socket_accepts_the_token_in_payload_header_or_query() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("carrier");
    for auth in [
        Auth::Payload(token.clone()),
        Auth::Header(token.clone()),
        Auth::Query(token.clone()),
    ] {
        let mut socket = server
            .sio(auth.clone())
            .await
            .unwrap_or_else(|e| panic!("{auth:?}: {e}"));
        match socket.next_server_event().await {
            ServerEvent::UnreadCount(_) => {}
            other => panic!("{auth:?}: expected unread_count, got {other:?}"),
        }
        // Joined the right room: a notification for the user arrives.
        let created = server
            .api()
            .publish(&server.service_token(), "carrier", "via")
            .await;
        assert_eq!(
            socket.next_server_event().await,
            ServerEvent::Notification(created)
        );
    }
}

#[tokio::test]
async fn socket_without_a_valid_token_gets_connect_error_unauthorized() {
    let server = TestServer::start(BIN).await;
    let mut attempts: Vec<(String, Auth)> = vec![
        ("no token".into(), Auth::None),
        (
            "token not a string".into(),
            Auth::RawPayload(json!({"token": 5})),
        ),
        (
            "auth not an object".into(),
            Auth::RawPayload(json!("just a string")),
        ),
    ];
    for (label, token) in rejected_tokens() {
        attempts.push((format!("payload: {label}"), Auth::Payload(token.clone())));
        attempts.push((format!("header: {label}"), Auth::Header(token.clone())));
        attempts.push((format!("query: {label}"), Auth::Query(token)));
    }
    for (label, auth) in attempts {
        match server.sio(auth).await {
            Ok(_) => panic!("{label}: connected"),
            Err(e) => assert_eq!(e.message(), Some("unauthorized"), "{label}: {e}"),
        }
    }
    // The server still serves valid sockets.
    server.connect_user("victim").await;
}

#[tokio::test]
async fn sse_takes_the_token_from_header_or_access_token_query() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("streamer");
    server
        .api()
        .publish(&server.service_token(), "streamer", "one")
        .await;

    let by_query = server.sse_request(&format!("/notifications/events?access_token={token}"));
    let mut sse = SseClient::open(by_query)
        .await
        .expect("SSE with ?access_token=");
    assert_eq!(
        sse.next_event().await.1,
        ServerEvent::UnreadCount(UnreadCount {
            count: 1,
            unseen: 1
        })
    );
    let (_sse, count) = server.sse_user("streamer").await;
    assert_eq!(count, 1);

    for (label, token) in rejected_tokens() {
        for request in [
            server
                .sse_request("/notifications/events")
                .bearer_auth(&token),
            server
                .sse_request("/notifications/events")
                .query(&[("access_token", &token)]),
        ] {
            match SseClient::open(request).await {
                Ok(_) => panic!("{label}: stream opened"),
                Err(reply) => {
                    reply.expect_error(401, ErrorCode::Unauthorized);
                }
            }
        }
    }
}

#[tokio::test]
async fn rs256_server_accepts_only_its_key_and_algorithm() {
    let server = TestServer::builder(BIN)
        .no_jwt_secret()
        .file("rsa-public.pem", RSA_PUBLIC_PEM)
        .flag("--jwt-algorithm", "RS256")
        .flag("--jwt-public-key", "rsa-public.pem")
        .start()
        .await;
    let user = Token::user("rsa-user");
    let service = Token::service("rsa-publisher").rs256();
    server.api().publish(&service, "rsa-user", "signed").await;
    assert_eq!(server.api().list_all(&user.rs256()).await.len(), 1);

    let rejected = [
        ("other RSA key", user.rs256_with(RSA_OTHER_PRIVATE_PEM)),
        (
            "HS256 keyed with the public key",
            user.hs256(RSA_PUBLIC_PEM),
        ),
        ("HS256 with the test secret", user.hs256(TEST_SECRET)),
        ("ES256", user.es256()),
        ("alg none", user.alg_none()),
        ("expired", user.clone().expires_in(-3600).rs256()),
    ];
    for (label, token) in rejected {
        let reply = server.api().get("/notifications", &token).await;
        assert_eq!(reply.status, 401, "{label}: {}", reply.text);
        let err = server.sio(Auth::Payload(token)).await.err();
        assert_eq!(
            err.as_ref().and_then(|e| e.message()),
            Some("unauthorized"),
            "{label} on a socket: {err:?}"
        );
    }
    let mut socket = server
        .sio(Auth::Payload(user.rs256()))
        .await
        .expect("RS256 socket");
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::UnreadCount(UnreadCount {
            count: 1,
            unseen: 1
        })
    );
}

#[tokio::test]
async fn es256_server_accepts_es256_only() {
    let server = TestServer::builder(BIN)
        .no_jwt_secret()
        .file("ec-public.pem", EC_PUBLIC_PEM)
        .flag("--jwt-algorithm", "ES256")
        .flag("--jwt-public-key", "ec-public.pem")
        .start()
        .await;
    let user = Token::user("ec-user");
    server
        .api()
        .get("/notifications", &user.es256())
        .await
        .expect(200);
    for (label, token) in [
        ("RS256", user.rs256()),
        ("HS256 keyed with the public key", user.hs256(EC_PUBLIC_PEM)),
        ("alg none", user.alg_none()),
    ] {
        let reply = server.api().get("/notifications", &token).await;
        assert_eq!(reply.status, 401, "{label}: {}", reply.text);
    }
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let server = TestServer::builder(BIN)
        .flag("--jwt-issuer", "https://auth.ghostpay.test")
        .flag("--jwt-audience", "notifications")
        .start()
        .await;
    let good = Token::user("aud-user")
        .claim("iss", "https://auth.ghostpay.test")
        .claim("aud", "notifications");
    server
        .api()
        .get("/notifications", &good.hs256(TEST_SECRET))
        .await
        .expect(200);
    for (label, token) in [
        ("no iss", good.clone().without("iss")),
        ("no aud", good.clone().without("aud")),
        ("wrong iss", good.clone().claim("iss", "https://evil.test")),
        ("wrong aud", good.clone().claim("aud", "billing")),
    ] {
        let token = token.hs256(TEST_SECRET);
        let reply = server.api().get("/notifications", &token).await;
        assert_eq!(reply.status, 401, "{label}: {}", reply.text);
        let err = server.sio(Auth::Payload(token)).await.err();
        assert_eq!(
            err.as_ref().and_then(|e| e.message()),
            Some("unauthorized"),
            "{label} on a socket: {err:?}"
        );
    }
}
