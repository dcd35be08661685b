//! Hardening, HTTP side: metrics labels, slow clients (timeouts and the connection limit),
//! error shapes on every path, over-deep payloads and the answer to an oversize body. Each
//! test replays an attack from the security review (issue 11) against the real binary on
//! loopback, bounded in count; no timing is asserted, waits only guard against hanging.

use notify_testkit::attack::{Ending, RawConnection};
use notify_testkit::bindings::{Ack, ErrorCode, events};
use notify_testkit::reqwest::Method;
use notify_testkit::{TestServer, WAIT};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// Fault 2: every made-up HTTP method used to become a new `method` label value.
#[tokio::test]
async fn made_up_methods_do_not_grow_the_metrics() {
    let server = TestServer::start(BIN).await;
    let before = server.api().metrics().await.len();
    for i in 0..200 {
        let method = Method::from_bytes(format!("MADEUP{i}{}", "X".repeat(200)).as_bytes())
            .expect("method token");
        server
            .api()
            .send(server.api().raw(method, "/healthz"))
            .await;
    }
    let metrics = server.api().metrics().await;
    assert!(
        !metrics.contains("MADEUP"),
        "made-up methods were exported as labels"
    );
    assert!(
        metrics.len() < before + 16 * 1024,
        "200 requests with made-up methods grew /metrics from {before} to {} bytes",
        metrics.len()
    );
}

/// Fault 6: connections that never finish their headers are closed by the header timeout.
#[tokio::test]
async fn connections_that_never_finish_their_headers_are_closed() {
    let server = TestServer::builder(BIN)
        .flag("--header-read-timeout", "1s")
        .start()
        .await;
    let mut connections = Vec::new();
    for _ in 0..20 {
        let mut connection = RawConnection::open(server.port()).await.expect("connect");
        connection
            .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .expect("send half a header");
        connections.push(connection);
    }
    for connection in &mut connections {
        let ending = connection.wait_for_close(WAIT).await;
        assert!(
            matches!(ending, Ending::Closed(_)),
            "a half-sent request head was kept open: {ending:?}"
        );
    }
    server.api().get("/healthz", "").await.expect(200);
}

/// Fault 6: a body that announces more than it sends is cut off by the body timeout.
#[tokio::test]
async fn bodies_that_never_arrive_are_cut_off() {
    let server = TestServer::builder(BIN)
        .flag("--body-read-timeout", "1s")
        .flag("--body-limit", "200000")
        .start()
        .await;
    let mut connection = RawConnection::open(server.port()).await.expect("connect");
    let head = format!(
        "POST /notifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"userId\":",
        server.service_token()
    );
    connection.send(head.as_bytes()).await.expect("send");
    match connection.wait_for_close(WAIT).await {
        Ending::Closed(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.is_empty() || text.starts_with("HTTP/1.1 408"),
                "unexpected answer: {text}"
            );
        }
        Ending::StillOpen(bytes) => panic!(
            "a body announced as 100,000 bytes, 10 sent, kept the connection: {:?}",
            String::from_utf8_lossy(&bytes)
        ),
    }
}

/// Fault 6: a keep-alive connection left idle is closed.
#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let server = TestServer::builder(BIN)
        .flag("--idle-timeout", "1s")
        .start()
        .await;
    let mut connection = RawConnection::open(server.port()).await.expect("connect");
    connection
        .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let (status, _) = connection.read_response().await.expect("response");
    assert_eq!(status, 200);
    let ending = connection.wait_for_close(WAIT).await;
    assert!(matches!(ending, Ending::Closed(_)), "{ending:?}");
}

/// Fault 6: past the connection limit, new connections are closed at once; a freed place
/// is taken again.
#[tokio::test]
async fn connections_beyond_the_limit_are_refused() {
    let server = TestServer::builder(BIN)
        .flag("--max-connections", "8")
        .start()
        .await;
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut connection = RawConnection::open(server.port()).await.expect("connect");
        connection
            .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        let (status, _) = connection.read_response().await.expect("response");
        assert_eq!(status, 200);
        held.push(connection);
    }
    let mut extra = RawConnection::open(server.port()).await.expect("connect");
    let _ = extra
        .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(
        extra.wait_for_close(WAIT).await,
        Ending::Closed(Vec::new()),
        "a ninth connection was served with a limit of 8"
    );
    held.clear();
    notify_testkit::eventually("a place freed by closed connections", || async {
        let mut connection = RawConnection::open(server.port()).await.ok()?;
        connection
            .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .ok()?;
        connection
            .read_response()
            .await
            .ok()
            .map(|(status, _)| status)
    })
    .await;
}

/// Fault 8: a path segment that isn't UTF-8 got a `text/plain` answer.
#[tokio::test]
async fn bad_path_segments_get_the_json_error_shape() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("pathy");
    let reply = server.api().post("/notifications/%FF/read", &token).await;
    assert_eq!(reply.status.as_u16(), 404, "{}", reply.text);
    reply.expect_error(404, ErrorCode::NotFound);
    server
        .api()
        .delete("/notifications/%FF", &token)
        .await
        .expect_error(404, ErrorCode::NotFound);
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Fault 8: over-deep JSON is `validation_failed`, over REST and as a socket event (which
/// used to be read as `{}` and acked `success: true`).
#[tokio::test]
async fn over_deep_payloads_are_validation_failed() {
    let server = TestServer::start(BIN).await;
    let body = format!(
        r#"{{"userId":"deep","title":"t","data":{{"x":{}}}}}"#,
        nested(5000)
    );
    server
        .api()
        .post_raw("/notifications", &server.service_token(), body)
        .await
        .expect_error(422, ErrorCode::ValidationFailed);

    let (socket, _) = server.connect_user("deep").await;
    let since = nested(5000);
    let args = socket
        .request_ack(|prefix, id| {
            format!(
                r#"42{prefix}{id}["{}",{{"since":{since}}}]"#,
                events::SUBSCRIBE_NOTIFICATIONS
            )
        })
        .await
        .expect("an ack for the over-deep event");
    let ack: Ack<Value> = notify_testkit::sio::parse_ack("subscribe", &args);
    match ack {
        Ack::Err { error, .. } => assert_eq!(error.code, ErrorCode::ValidationFailed),
        other => panic!("an over-deep payload was acked {other:?}"),
    }
}

/// Fault 8: after answering 413 the server reads the rest of the body (up to a bound) before
/// closing, so a client still writing reads the 413 instead of a reset.
#[tokio::test]
async fn an_oversize_body_gets_a_readable_413() {
    let server = TestServer::start(BIN).await;
    let chunk = vec![b' '; 16 * 1024];
    let size = 40 * chunk.len();
    for _ in 0..3 {
        let mut connection = RawConnection::open(server.port()).await.expect("connect");
        let head = format!(
            "POST /notifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n",
            server.service_token()
        );
        connection.send(head.as_bytes()).await.expect("send head");
        // Let the server see the head and answer before the body follows, as a slow
        // uploader would.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        for _ in 0..size / chunk.len() {
            connection
                .send(&chunk)
                .await
                .expect("the server closed while the client was still sending its body");
        }
        let (status, body) = connection.read_response().await.expect("read the answer");
        assert_eq!(status, 413, "{body}");
        let error: Value = serde_json::from_str(&body).expect("JSON error body");
        assert_eq!(error["error"]["code"], "payload_too_large");
    }
}

/// Fault 6: WebSockets count against the connection limit for as long as they are open (they
/// leave the HTTP server when upgraded).
#[tokio::test]
async fn websockets_count_against_the_connection_limit() {
    let server = TestServer::builder(BIN)
        .flag("--max-connections", "4")
        .start()
        .await;
    let mut sockets = Vec::new();
    for i in 0..4 {
        sockets.push(server.connect_user(&format!("ws-{i}")).await);
    }
    let mut extra = RawConnection::open(server.port()).await.expect("connect");
    let _ = extra
        .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(
        extra.wait_for_close(WAIT).await,
        Ending::Closed(Vec::new()),
        "a fifth connection was served while four WebSockets were open (limit 4)"
    );
}
