//! `GET /metrics`: the contract's metric names, and gauges and counters that follow activity.

use notify_testkit::rest::metric_value;
use notify_testkit::{TestServer, eventually};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// Waits until `name` reads `wanted` (gauges settle after connects and disconnects).
async fn until_metric(server: &TestServer, name: &str, wanted: f64) {
    eventually(&format!("{name} == {wanted}"), || async move {
        let text = server.api().metrics().await;
        (metric_value(&text, name) == Some(wanted)).then_some(())
    })
    .await
}

#[tokio::test]
async fn metrics_are_public_prometheus_text_with_the_contract_names() {
    let server = TestServer::start(BIN).await;
    server
        .api()
        .get("/notifications", &server.user_token("u"))
        .await;
    let text = server.api().metrics().await;
    for name in [
        "notify_sockets",
        "notify_sse_streams",
        "notify_notifications_created_total",
        "notify_notifications_delivered_total",
        "notify_http_request_duration_seconds_bucket",
        "notify_http_request_duration_seconds_count",
    ] {
        assert!(
            metric_value(&text, name).is_some(),
            "{name} missing from:\n{text}"
        );
    }
    assert!(text.contains("# TYPE notify_sockets gauge"), "{text}");
    assert!(text.contains("# TYPE notify_sse_streams gauge"), "{text}");
    assert!(
        text.contains("# TYPE notify_http_request_duration_seconds histogram"),
        "{text}"
    );
}

#[tokio::test]
async fn gauges_and_counters_follow_activity() {
    let server = TestServer::start(BIN).await;
    until_metric(&server, "notify_sockets", 0.0).await;
    until_metric(&server, "notify_sse_streams", 0.0).await;

    let (mut socket, _) = server.connect_user("metered").await;
    let (mut sse, _) = server.sse_user("metered").await;
    until_metric(&server, "notify_sockets", 1.0).await;
    until_metric(&server, "notify_sse_streams", 1.0).await;

    let created = server
        .api()
        .publish(&server.service_token(), "metered", "count me")
        .await;
    socket.next_server_event().await;
    sse.next_event().await;
    until_metric(&server, "notify_notifications_created_total", 1.0).await;
    let text = server.api().metrics().await;
    let delivered = metric_value(&text, "notify_notifications_delivered_total").unwrap_or(0.0);
    assert!(delivered >= 1.0, "{} delivered: {delivered}", created.id);
    let requests = metric_value(&text, "notify_http_request_duration_seconds_count").unwrap_or(0.0);
    assert!(requests >= 1.0, "requests observed: {requests}");

    socket.close().await;
    drop(sse);
    until_metric(&server, "notify_sockets", 0.0).await;
    until_metric(&server, "notify_sse_streams", 0.0).await;
}
