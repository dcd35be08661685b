//! What a hostile client does on the wire, for the hardening tests: raw TCP connections that
//! send half a request and stall, WebSockets reset right after the namespace CONNECT, and
//! requests with made-up methods or bodies larger than announced.
//!
//! Everything here talks to `127.0.0.1` only and is bounded by the caller's counts; waits use
//! [`crate::WAIT`] as a guard against hanging, never as a performance assertion.

use futures_util::SinkExt;
use futures_util::StreamExt;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// A raw TCP connection to the server, for requests no well-behaved client sends.
pub struct RawConnection {
    stream: TcpStream,
}

/// How a raw connection ended while we waited on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The server sent these bytes and then closed (or reset) the connection.
    Closed(Vec<u8>),
    /// Still open after the wait (the server neither answered in full nor closed).
    StillOpen(Vec<u8>),
}

impl RawConnection {
    /// Connects to `127.0.0.1:port`.
    pub async fn open(port: u16) -> io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream })
    }

    /// Writes `bytes` (all of them, or the error the server's close caused).
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Reads until the server closes the connection or `limit` passes.
    pub async fn wait_for_close(&mut self, limit: Duration) -> Ending {
        let mut received = Vec::new();
        let read_all = async {
            let mut buffer = [0u8; 4096];
            loop {
                match self.stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => received.extend_from_slice(&buffer[..n]),
                }
            }
        };
        match tokio::time::timeout(limit, read_all).await {
            Ok(()) => Ending::Closed(received),
            Err(_) => Ending::StillOpen(received),
        }
    }

    /// Reads one HTTP/1.1 response with a `Content-Length` body; returns its status and body.
    pub async fn read_response(&mut self) -> io::Result<(u16, String)> {
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(end) = find(&received, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).to_string();
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| io::Error::other(format!("bad status line: {head:?}")))?;
                let length = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                while received.len() < end + 4 + length {
                    let n = self.stream.read(&mut buffer).await?;
                    if n == 0 {
                        break;
                    }
                    received.extend_from_slice(&buffer[..n]);
                }
                let body = String::from_utf8_lossy(&received[end + 4..]).to_string();
                return Ok((status, body));
            }
            let n = self.stream.read(&mut buffer).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "closed before a full response: {:?}",
                        String::from_utf8_lossy(&received)
                    ),
                ));
            }
            received.extend_from_slice(&buffer[..n]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Opens a WebSocket, reads the Engine.IO OPEN, sends the namespace CONNECT with `token` and
/// resets the TCP connection at once (SO_LINGER 0), without waiting for the answer.
pub async fn connect_and_reset(port: u16, token: &str) -> io::Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(io::Error::other)?;
    match ws.next().await {
        Some(Ok(Message::Text(open))) if open.starts_with('0') => {}
        other => return Err(io::Error::other(format!("expected OPEN, got {other:?}"))),
    }
    ws.send(Message::text(crate::sio::connect_frame(token)))
        .await
        .map_err(io::Error::other)?;
    ws.get_ref().set_zero_linger()?;
    drop(ws);
    Ok(())
}

/// Starts an Engine.IO polling handshake (`GET /socket.io/?EIO=4&transport=polling`) and
/// never authenticates; returns the HTTP status.
pub async fn polling_handshake(http: &reqwest::Client, base: &str) -> reqwest::StatusCode {
    http.get(format!("{base}/socket.io/?EIO=4&transport=polling"))
        .send()
        .await
        .map(|response| response.status())
        .expect("polling handshake")
}
