//! TLS for testing `--tls-cert` / `--tls-key`: a self-signed certificate made on the spot
//! (rcgen), and a client that trusts only that certificate, for REST over https and a
//! Socket.IO CONNECT over wss.

use futures_util::{SinkExt, StreamExt};
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// A certificate for `localhost` / `127.0.0.1` and its key, as PEM, with a client trusting it.
pub struct TestCert {
    /// The certificate, for `--tls-cert`.
    pub cert_pem: String,
    /// Its private key, for `--tls-key`.
    pub key_pem: String,
    connector: TlsConnector,
}

impl TestCert {
    /// Generates a fresh self-signed certificate.
    pub fn localhost() -> Self {
        let generated =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .expect("generate a certificate");
        let mut roots = RootCertStore::empty();
        roots
            .add(generated.cert.der().clone())
            .expect("trust the certificate");
        let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            cert_pem: generated.cert.pem(),
            key_pem: generated.signing_key.serialize_pem(),
            connector: TlsConnector::from(Arc::new(config)),
        }
    }

    /// A TLS connection to `127.0.0.1:port`, verifying the server's certificate as `localhost`.
    pub async fn connect(&self, port: u16) -> io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
        let name = ServerName::try_from("localhost").expect("server name");
        self.connector.connect(name, tcp).await
    }

    /// `GET path` over https with a bearer token; the status and the body.
    pub async fn get(&self, port: u16, path: &str, token: &str) -> io::Result<(u16, String)> {
        let mut stream = self.connect(port).await?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
             Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        // The server closes after answering; a TLS close without close_notify is fine here.
        let _ = stream.read_to_end(&mut response).await;
        let text = String::from_utf8_lossy(&response).to_string();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| io::Error::other(format!("no HTTP response: {text:?}")))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line: {head:?}")))?;
        Ok((status, body.to_owned()))
    }

    /// Opens a Socket.IO WebSocket over wss, sends the namespace CONNECT with `token` and
    /// returns the server's answer packet (`40/notifications,{"sid":…}` when accepted).
    pub async fn sio_connect(&self, port: u16, token: &str) -> io::Result<String> {
        let stream = self.connect(port).await?;
        let url = format!("wss://localhost:{port}/socket.io/?EIO=4&transport=websocket");
        let (mut ws, _) = tokio_tungstenite::client_async(url, stream)
            .await
            .map_err(io::Error::other)?;
        let open = next_text(&mut ws).await?;
        if !open.starts_with('0') {
            return Err(io::Error::other(format!("expected OPEN, got {open:?}")));
        }
        ws.send(Message::text(crate::sio::connect_frame(token)))
            .await
            .map_err(io::Error::other)?;
        // The server may ping before it answers the CONNECT: answer each ping once.
        let answer = loop {
            let text = next_text(&mut ws).await?;
            if text != "2" {
                break text;
            }
            ws.send(Message::text("3"))
                .await
                .map_err(io::Error::other)?;
        };
        let _ = ws.close(None).await;
        Ok(answer)
    }
}

async fn next_text(ws: &mut WebSocketStream<TlsStream<TcpStream>>) -> io::Result<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.to_string()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(io::Error::other(e)),
            None => return Err(io::Error::other("closed")),
        }
    }
}
