//! Lean Socket.IO connections for load tests: thousands of sockets held open at once.
//!
//! [`crate::sio::SioClient`] is the full test client (acks, event queues, assertions). A load
//! test needs far less per socket and far more sockets, so a [`LoadSocket`] is one task and one
//! small WebSocket buffer: it joins `/notifications` with a token, answers every ping (`2` with
//! exactly one `3`), and either drops every event (idle mode) or forwards `notification`
//! events with their arrival [`Instant`] to a shared channel (receiving mode).
//!
//! Dropping a [`LoadSocket`] aborts its task, which closes the TCP connection.
//!
//! On Linux, sockets to a loopback server connect from `127.0.0.2`–`127.0.0.9` in turn
//! (`source_for`): the kernel picks an outgoing connection's port by scanning for one not yet
//! used towards the same destination, and from one address past ~14,000 connections that scan
//! costs milliseconds per connect (`__inet_hash_connect`). A 19,000-socket load then slowed
//! the load client itself, and every connection it opened afterwards, such as the publisher's
//! from `127.0.0.1`, while it measured.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Prefix of a `notification` event in the `/notifications` namespace.
const NOTIFICATION_EVENT: &str = "42/notifications,[\"notification\",";

/// One `notification` event as it arrived: when, and the raw Socket.IO text frame.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Taken as soon as the frame was read, before any parsing.
    pub at: Instant,
    /// The whole packet, e.g. `42/notifications,["notification",{"type":...}]`.
    pub frame: Utf8Bytes,
}

impl Arrival {
    /// The event payload (the envelope `{"type":"notification","data":{...}}`) as JSON text.
    pub fn payload(&self) -> &str {
        let text = self.frame.as_str();
        text.strip_prefix(NOTIFICATION_EVENT)
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or("")
    }
}

/// Why a load connection could not be opened.
#[derive(Debug)]
pub enum LoadError {
    /// TCP connect or the WebSocket upgrade failed.
    Connect(String),
    /// The server answered CONNECT with CONNECT_ERROR (the text is its payload).
    Refused(String),
    /// The connection closed or sent something unexpected during the handshake.
    Protocol(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Connect(e) => write!(f, "connect failed: {e}"),
            LoadError::Refused(e) => write!(f, "connect refused: {e}"),
            LoadError::Protocol(e) => write!(f, "protocol error: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Counters shared by every socket of one load run.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Sockets whose connection is currently open.
    pub open: AtomicUsize,
    /// Sockets that were closed by the server or by an error (not by being dropped).
    pub closed_by_peer: AtomicUsize,
    /// Pings answered.
    pub pongs: AtomicUsize,
}

/// An open Socket.IO connection held by a load test. Drop it to close it.
#[derive(Debug)]
pub struct LoadSocket {
    task: JoinHandle<()>,
}

impl Drop for LoadSocket {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LoadSocket {
    /// Opens a WebSocket-only Socket.IO connection to `addr`, joins `/notifications` with
    /// `{"token": token}`, and returns once the server confirmed the CONNECT.
    ///
    /// With `sink`, every `notification` event is sent there as an [`Arrival`]; without it
    /// every event is read and dropped.
    pub async fn connect(
        addr: SocketAddr,
        token: &str,
        sink: Option<mpsc::UnboundedSender<Arrival>>,
        stats: Arc<LoadStats>,
    ) -> Result<LoadSocket, LoadError> {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        // Small buffers: events are a few hundred bytes, and a load client holds thousands.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let stream = connect_tcp(addr)
            .await
            .map_err(|e| LoadError::Connect(e.to_string()))?;
        let (mut ws, _) = tokio_tungstenite::client_async_with_config(
            url,
            MaybeTlsStream::Plain(stream),
            Some(config),
        )
        .await
        .map_err(|e| LoadError::Connect(e.to_string()))?;

        let open = next_text(&mut ws).await?;
        if !open.starts_with('0') {
            return Err(LoadError::Protocol(format!(
                "expected engine.io OPEN, got {open:?}"
            )));
        }
        send(&mut ws, crate::sio::connect_frame(token)).await?;
        loop {
            let text = next_text(&mut ws).await?;
            if text.starts_with("40/notifications,") {
                break;
            }
            if let Some(error) = text.strip_prefix("44/notifications,") {
                return Err(LoadError::Refused(error.to_owned()));
            }
            if text.as_str() == "2" {
                send(&mut ws, "3".to_owned()).await?;
            }
            // Anything else before the CONNECT answer is ignored.
        }

        stats.open.fetch_add(1, Ordering::Relaxed);
        let task = tokio::spawn(drive(ws, sink, stats));
        Ok(LoadSocket { task })
    }
}

/// Loopback source addresses the load sockets take in turn (see the module docs).
const SOURCES: usize = 8;

/// Counts connects, to take the next source address.
static CONNECTS: AtomicUsize = AtomicUsize::new(0);

/// The address the `n`th connect to `server` is made from: one of [`SOURCES`] loopback
/// addresses when the server is on IPv4 loopback (Linux answers on all of `127.0.0.0/8`), the
/// system's choice otherwise.
fn source_for(server: SocketAddr, n: usize) -> Option<SocketAddr> {
    match server {
        SocketAddr::V4(v4) if cfg!(target_os = "linux") && v4.ip().is_loopback() => {
            let last = 2 + (n % SOURCES) as u8;
            Some(SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), 0)))
        }
        _ => None,
    }
}

/// A TCP connection to `addr`, from the next source address, without Nagle's delay.
async fn connect_tcp(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(source) = source_for(addr, CONNECTS.fetch_add(1, Ordering::Relaxed)) {
        socket.bind(source)?;
    }
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Reads until the connection ends: answers pings, forwards notifications.
async fn drive(mut ws: Ws, sink: Option<mpsc::UnboundedSender<Arrival>>, stats: Arc<LoadStats>) {
    // Counts the socket as closed however the task ends, aborts included.
    struct Open(Arc<LoadStats>);
    impl Drop for Open {
        fn drop(&mut self) {
            self.0.open.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let _open = Open(stats.clone());

    while let Some(message) = ws.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let at = Instant::now();
        if text.as_str() == "2" {
            if ws.send(Message::text("3")).await.is_err() {
                break;
            }
            stats.pongs.fetch_add(1, Ordering::Relaxed);
        } else if text.starts_with("41/notifications") || text.as_str() == "1" {
            break;
        } else if let Some(sink) = &sink
            && text.starts_with(NOTIFICATION_EVENT)
        {
            let _ = sink.send(Arrival { at, frame: text });
        }
    }
    stats.closed_by_peer.fetch_add(1, Ordering::Relaxed);
}

async fn next_text(ws: &mut Ws) -> Result<Utf8Bytes, LoadError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text),
            Some(Ok(Message::Close(frame))) => {
                return Err(LoadError::Protocol(format!(
                    "closed during handshake: {frame:?}"
                )));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(LoadError::Protocol(e.to_string())),
            None => return Err(LoadError::Protocol("closed during handshake".to_owned())),
        }
    }
}

async fn send(ws: &mut Ws, text: String) -> Result<(), LoadError> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| LoadError::Protocol(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn loopback_connects_take_the_source_addresses_in_turn() {
        let server: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let sources: Vec<_> = (0..=SOURCES)
            .map(|n| source_for(server, n).unwrap().to_string())
            .collect();
        assert_eq!(sources[0], "127.0.0.2:0");
        assert_eq!(sources[SOURCES - 1], "127.0.0.9:0");
        assert_eq!(sources[SOURCES], sources[0]);
    }

    #[test]
    fn other_servers_are_reached_from_the_systems_choice() {
        for server in ["10.0.0.5:4000", "[::1]:4000"] {
            assert_eq!(source_for(server.parse().unwrap(), 3), None);
        }
    }
}
