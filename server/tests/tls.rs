//! TLS served directly: with `--tls-cert` / `--tls-key` the same port speaks https (REST) and
//! wss (Socket.IO), with a certificate generated in the test; plain http there gets no answer.

use notify_testkit::attack::{Ending, RawConnection};
use notify_testkit::tls::TestCert;
use notify_testkit::{TestServer, WAIT};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

#[tokio::test]
async fn rest_over_https_and_socket_io_over_wss_on_one_port() {
    let cert = TestCert::localhost();
    let server = TestServer::builder(BIN)
        .file("cert.pem", &cert.cert_pem)
        .file("key.pem", &cert.key_pem)
        .flag("--tls-cert", "cert.pem")
        .flag("--tls-key", "key.pem")
        .start()
        .await;
    assert!(
        server.output().contains("listening on https://"),
        "{}",
        server.output()
    );
    let token = server.user_token("secure");
    let (status, body) = cert
        .get(server.port(), "/notifications/unread-count", &token)
        .await
        .expect("https request");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).expect("JSON")["count"],
        0
    );

    let answer = cert
        .sio_connect(server.port(), &token)
        .await
        .expect("wss connect");
    assert!(
        answer.starts_with("40/notifications,{\"sid\""),
        "CONNECT over wss: {answer}"
    );

    // Plain http on the TLS port gets no HTTP answer.
    let mut plain = RawConnection::open(server.port()).await.expect("connect");
    plain
        .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    match plain.wait_for_close(WAIT).await {
        Ending::Closed(bytes) => assert!(!bytes.starts_with(b"HTTP/1.1 200"), "served plain http"),
        Ending::StillOpen(bytes) => panic!("plain http kept open: {bytes:?}"),
    }
}

#[tokio::test]
async fn a_key_without_a_certificate_is_refused_at_start() {
    let cert = TestCert::localhost();
    let error = match TestServer::builder(BIN)
        .file("key.pem", &cert.key_pem)
        .flag("--tls-key", "key.pem")
        .try_start()
        .await
    {
        Ok(_) => panic!("started with --tls-key alone"),
        Err(e) => e,
    };
    assert!(error.output.contains("--tls-cert"), "{}", error.output);
}
