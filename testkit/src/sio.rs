//! A small Socket.IO v5 client over WebSocket only (Engine.IO 4, no polling, no binary).
//!
//! [`SioClient::connect`] opens `GET /socket.io/?EIO=4&transport=websocket`, reads the OPEN
//! packet, sends CONNECT for the namespace (with the token in the auth payload, the
//! `Authorization` header or `?token=`, see [`Auth`]) and waits for CONNECT or CONNECT_ERROR.
//! After that one tokio task per socket owns the WebSocket: it answers every server ping `2`
//! with exactly one `3` (and never sends either unprompted), resolves acks, and forwards
//! events, the server's namespace DISCONNECT and the transport's end as [`SioEvent`]s.
//!
//! The client is deliberately lean (one task, two channels, no reconnection) so a benchmark
//! can hold thousands of them.
//!
//! Wire format (`→` sent, `←` received):
//! ```text
//! ← 0{"sid":"…","pingInterval":25000,…}
//! → 40/notifications,{"token":"…"}      ← 40/notifications,{"sid":"…"} | 44/notifications,{"message":"…"}
//! ← 2   → 3
//! ← 42/notifications,["notification",{…}]
//! → 42/notifications,7["mark_read",{"id":"…"}]   ← 43/notifications,7[{…}]
//! ← 41/notifications,
//! ```

use futures_util::{SinkExt, StreamExt};
use notify_bindings::{Ack, Envelope, NAMESPACE, ServerEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type PendingAcks = Arc<Mutex<HashMap<u64, oneshot::Sender<Vec<Value>>>>>;

/// How the token travels on the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No token at all.
    None,
    /// The CONNECT auth payload `{"token": ...}` (what browsers use).
    Payload(String),
    /// `Authorization: Bearer ...` on the WebSocket upgrade request.
    Header(String),
    /// `?token=...` on the handshake URL.
    Query(String),
    /// Any CONNECT payload (e.g. `{"token": 5}` or `"not an object"`).
    RawPayload(Value),
}

impl Auth {
    /// [`Auth::Payload`] from anything string-like.
    pub fn payload(token: impl Into<String>) -> Self {
        Auth::Payload(token.into())
    }
}

/// Options of [`SioClient::connect_with`]. `Default` is namespace `/notifications`, no auth.
#[derive(Debug, Clone)]
pub struct Options {
    pub auth: Auth,
    /// The namespace to CONNECT to.
    pub namespace: String,
    /// Extra `key=value` pairs appended to the handshake query.
    pub query: Vec<(String, String)>,
    /// Extra headers on the upgrade request.
    pub headers: Vec<(String, String)>,
    /// Limit for the whole handshake (WebSocket + OPEN + CONNECT).
    pub handshake_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            auth: Auth::None,
            namespace: NAMESPACE.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            handshake_timeout: crate::WAIT,
        }
    }
}

/// Why a connection didn't get to CONNECT.
#[derive(Debug, Clone)]
pub enum ConnectError {
    /// The server answered CONNECT_ERROR (`44`) with this payload, e.g. `{"message":"unauthorized"}`.
    Rejected(Value),
    /// The WebSocket upgrade failed (e.g. an HTTP error status).
    Upgrade(String),
    /// The connection closed, or an unexpected packet came, during the handshake.
    Protocol(String),
    /// The handshake took longer than [`Options::handshake_timeout`].
    Timeout,
}

impl ConnectError {
    /// The `message` of a CONNECT_ERROR, if this is one.
    pub fn message(&self) -> Option<&str> {
        match self {
            ConnectError::Rejected(data) => data.get("message").and_then(Value::as_str),
            _ => None,
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Rejected(data) => write!(f, "connect_error {data}"),
            ConnectError::Upgrade(e) => write!(f, "websocket upgrade failed: {e}"),
            ConnectError::Protocol(e) => write!(f, "handshake failed: {e}"),
            ConnectError::Timeout => write!(f, "handshake timed out"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// What a connected socket receives.
#[derive(Debug, Clone, PartialEq)]
pub enum SioEvent {
    /// An EVENT: its name and arguments (the contract sends one envelope argument).
    Event { name: String, args: Vec<Value> },
    /// The server disconnected the socket from the namespace (`41/notifications,`).
    Disconnect,
    /// A CONNECT_ERROR after the connection was established.
    ConnectError(Value),
    /// The transport ended. `clean` is true when the server said goodbye (a WebSocket close
    /// frame or an Engine.IO close packet `1`), false for a reset, an I/O error or a
    /// client-side close.
    Closed { clean: bool, reason: String },
}

/// Why an ack didn't come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckError {
    /// The connection closed before the ack.
    Closed,
    /// No ack within the wait limit.
    Timeout,
}

/// A connected Socket.IO socket (one namespace).
///
/// Dropping it aborts its task, which drops the TCP connection without a goodbye; use
/// [`SioClient::close`] for a clean client-side disconnect.
pub struct SioClient {
    sid: String,
    namespace: String,
    out: mpsc::UnboundedSender<Message>,
    events: mpsc::UnboundedReceiver<SioEvent>,
    acks: PendingAcks,
    next_ack: AtomicU64,
    reading: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Drop for SioClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SioClient {
    /// Connects to the namespace `/notifications` at `base` (`ws://127.0.0.1:<port>` or
    /// `http://...`) with `auth`.
    pub async fn connect(base: &str, auth: Auth) -> Result<Self, ConnectError> {
        Self::connect_with(
            base,
            Options {
                auth,
                ..Options::default()
            },
        )
        .await
    }

    /// Connects with full [`Options`].
    pub async fn connect_with(base: &str, options: Options) -> Result<Self, ConnectError> {
        match tokio::time::timeout(options.handshake_timeout, handshake(base, &options)).await {
            Ok(result) => result,
            Err(_) => Err(ConnectError::Timeout),
        }
    }

    /// The namespace socket id the server gave in its CONNECT packet.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// Sends an event without asking for an ack.
    pub fn emit(&self, event: &str, data: impl Serialize) {
        let packet = format!("42{}{}", self.prefix(), json!([event, data]));
        self.send_raw(packet);
    }

    /// Sends an event with an ack id and returns the ack's arguments, or an error when the
    /// connection closes first or nothing comes within [`crate::WAIT`].
    pub async fn emit_with_ack(
        &self,
        event: &str,
        data: impl Serialize,
    ) -> Result<Vec<Value>, AckError> {
        let args = json!([event, data]);
        self.request_ack(|prefix, id| format!("42{prefix}{id}{args}"))
            .await
    }

    /// Sends a hand-made packet that carries an ack id and awaits that ack.
    /// `packet(prefix, id)` gets the namespace prefix (`/notifications,`) and the id, e.g.
    /// `|p, id| format!("42{p}{id}[\"mark_read\",\"not an object\"]")`.
    pub async fn request_ack(
        &self,
        packet: impl FnOnce(&str, u64) -> String,
    ) -> Result<Vec<Value>, AckError> {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().expect("acks lock").insert(id, tx);
        self.send_raw(packet(&self.prefix(), id));
        match tokio::time::timeout(crate::WAIT, rx).await {
            Ok(Ok(args)) => Ok(args),
            Ok(Err(_)) => Err(AckError::Closed),
            Err(_) => {
                self.acks.lock().expect("acks lock").remove(&id);
                Err(AckError::Timeout)
            }
        }
    }

    /// Emits `event` with `data` and parses the first ack argument as the contract's
    /// [`Ack<T>`]. Panics when no ack comes or it doesn't parse.
    pub async fn call<T: DeserializeOwned>(&self, event: &str, data: impl Serialize) -> Ack<T> {
        let args = self
            .emit_with_ack(event, data)
            .await
            .unwrap_or_else(|e| panic!("no ack for {event}: {e:?}"));
        parse_ack(event, &args)
    }

    /// Stops reading from the connection, like a frozen tab: what the server sends backs up
    /// in TCP buffers and its pings go unanswered. Already received events stay queued.
    pub fn pause_reading(&self) {
        self.reading.send_replace(false);
    }

    /// Reads from the connection again after [`SioClient::pause_reading`].
    pub fn resume_reading(&self) {
        self.reading.send_replace(true);
    }

    /// Sends one raw Engine.IO text packet (e.g. `42/notifications,["x",{}]`).
    pub fn send_raw(&self, packet: impl Into<String>) {
        // A closed connection shows up as `SioEvent::Closed`; nothing to report here.
        let _ = self.out.send(Message::text(packet.into()));
    }

    /// The next thing received; panics after [`crate::WAIT`]. After the transport ended this
    /// keeps returning [`SioEvent::Closed`].
    pub async fn next(&mut self) -> SioEvent {
        self.next_within(crate::WAIT)
            .await
            .expect("timed out waiting for a Socket.IO event")
    }

    /// The next thing received, or `None` after `limit`.
    pub async fn next_within(&mut self, limit: Duration) -> Option<SioEvent> {
        match tokio::time::timeout(limit, self.events.recv()).await {
            Ok(Some(event)) => Some(event),
            Ok(None) => Some(SioEvent::Closed {
                clean: false,
                reason: "connection task ended".into(),
            }),
            Err(_) => None,
        }
    }

    /// The next event parsed as a contract envelope; panics on anything else (a disconnect,
    /// a close, an event whose name differs from its envelope's `type`).
    pub async fn next_server_event(&mut self) -> ServerEvent {
        self.next_envelope().await.event
    }

    /// Like [`SioClient::next_server_event`], with the envelope's `seq`.
    pub async fn next_envelope(&mut self) -> Envelope {
        match self.next().await {
            SioEvent::Event { name, args } => {
                let value = args
                    .first()
                    .unwrap_or_else(|| panic!("event {name} has no argument"));
                let envelope: Envelope = serde_json::from_value(value.clone())
                    .unwrap_or_else(|e| panic!("event {name} is not an envelope ({e}): {value}"));
                assert_eq!(
                    envelope.event.name(),
                    name,
                    "event name differs from envelope type"
                );
                envelope
            }
            other => panic!("expected a server event, got {other:?}"),
        }
    }

    /// Skips events until the server disconnects this socket (`41`) or the transport ends;
    /// panics after [`crate::WAIT`]. Returns what ended it and the events skipped.
    pub async fn expect_disconnect(&mut self) -> (SioEvent, Vec<SioEvent>) {
        crate::within("the server to disconnect the socket", async {
            let mut skipped = Vec::new();
            loop {
                match self.next_within(Duration::MAX).await {
                    Some(end @ (SioEvent::Disconnect | SioEvent::Closed { .. })) => {
                        return (end, skipped);
                    }
                    Some(other) => skipped.push(other),
                    None => unreachable!("no limit"),
                }
            }
        })
        .await
    }

    /// Disconnects from the namespace (`41`), closes the WebSocket and waits for the task.
    pub async fn close(mut self) {
        self.send_raw(format!("41{}", self.prefix()));
        let _ = self.out.send(Message::Close(None));
        let task = &mut self.task;
        let _ = tokio::time::timeout(crate::WAIT, task).await;
    }

    /// `/notifications,` (empty for the main namespace `/`).
    fn prefix(&self) -> String {
        namespace_prefix(&self.namespace)
    }
}

/// Parses the first ack argument as [`Ack<T>`], panicking with the raw ack when it doesn't fit.
pub fn parse_ack<T: DeserializeOwned>(event: &str, args: &[Value]) -> Ack<T> {
    let first = args
        .first()
        .unwrap_or_else(|| panic!("ack of {event} has no argument"));
    serde_json::from_value(first.clone()).unwrap_or_else(|e| {
        panic!(
            "ack of {event} is not Ack<{}> ({e}): {first}",
            std::any::type_name::<T>()
        )
    })
}

fn namespace_prefix(namespace: &str) -> String {
    if namespace == "/" {
        String::new()
    } else {
        format!("{namespace},")
    }
}

async fn handshake(base: &str, options: &Options) -> Result<SioClient, ConnectError> {
    let base = base
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
    let mut url = format!("{base}/socket.io/?EIO=4&transport=websocket");
    let mut query = options.query.clone();
    if let Auth::Query(token) = &options.auth {
        query.push(("token".into(), token.clone()));
    }
    for (key, value) in &query {
        url.push_str(&format!("&{}={}", encode(key), encode(value)));
    }
    let mut request = url
        .into_client_request()
        .map_err(|e| ConnectError::Upgrade(e.to_string()))?;
    let mut headers = options.headers.clone();
    if let Auth::Header(token) = &options.auth {
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    for (name, value) in headers {
        let name: tokio_tungstenite::tungstenite::http::HeaderName = name
            .parse()
            .map_err(|_| ConnectError::Upgrade(name.clone()))?;
        let value =
            HeaderValue::from_str(&value).map_err(|e| ConnectError::Upgrade(e.to_string()))?;
        request.headers_mut().insert(name, value);
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| ConnectError::Upgrade(e.to_string()))?;

    // Engine.IO OPEN.
    let open = read_text(&mut ws).await?;
    if !open.starts_with('0') {
        return Err(ConnectError::Protocol(format!(
            "expected OPEN, got {open:?}"
        )));
    }

    // Socket.IO CONNECT.
    let prefix = namespace_prefix(&options.namespace);
    let payload = match &options.auth {
        Auth::Payload(token) => json!({ "token": token }).to_string(),
        Auth::RawPayload(value) => value.to_string(),
        Auth::None | Auth::Header(_) | Auth::Query(_) => String::new(),
    };
    send(&mut ws, format!("40{prefix}{payload}")).await?;

    loop {
        let text = read_text(&mut ws).await?;
        match text.as_str() {
            "2" => send(&mut ws, "3".into()).await?,
            "6" => {}
            _ => match parse_packet(&text) {
                Some(packet) if packet.namespace == options.namespace => match packet.kind {
                    b'0' => {
                        let data: Value = serde_json::from_str(packet.body).unwrap_or(Value::Null);
                        let sid = data["sid"].as_str().unwrap_or_default().to_owned();
                        return Ok(spawn(ws, sid, options.namespace.clone()));
                    }
                    b'4' => {
                        let data = serde_json::from_str(packet.body).unwrap_or(Value::Null);
                        return Err(ConnectError::Rejected(data));
                    }
                    _ => {
                        return Err(ConnectError::Protocol(format!(
                            "unexpected packet before CONNECT: {text:?}"
                        )));
                    }
                },
                _ => {
                    return Err(ConnectError::Protocol(format!(
                        "unexpected packet before CONNECT: {text:?}"
                    )));
                }
            },
        }
    }
}

fn spawn(ws: Ws, sid: String, namespace: String) -> SioClient {
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let acks: PendingAcks = Arc::default();
    let (reading, reading_rx) = watch::channel(true);
    let task = tokio::spawn(run(
        ws,
        namespace.clone(),
        out_rx,
        event_tx,
        acks.clone(),
        reading_rx,
    ));
    SioClient {
        sid,
        namespace,
        out: out_tx,
        events: event_rx,
        acks,
        next_ack: AtomicU64::new(0),
        reading,
        task,
    }
}

/// The socket's task: the only owner of the WebSocket.
async fn run(
    mut ws: Ws,
    namespace: String,
    mut out: mpsc::UnboundedReceiver<Message>,
    events: mpsc::UnboundedSender<SioEvent>,
    acks: PendingAcks,
    mut reading: watch::Receiver<bool>,
) {
    let (clean, reason) = loop {
        let read = *reading.borrow_and_update();
        tokio::select! {
            changed = reading.changed() => {
                if changed.is_err() {
                    break (false, "client dropped".to_owned());
                }
            }
            incoming = ws.next(), if read => match incoming {
                Some(Ok(Message::Text(text))) => {
                    match text.as_str() {
                        "2" => {
                            if let Err(e) = ws.send(Message::text("3")).await {
                                break (false, format!("sending pong: {e}"));
                            }
                        }
                        "1" => break (true, "engine.io close packet".to_owned()),
                        _ => {
                            if let Some(packet) = parse_packet(&text)
                                && packet.namespace == namespace
                            {
                                dispatch(packet, &events, &acks);
                            }
                        }
                    }
                }
                Some(Ok(Message::Close(frame))) => break (true, format!("websocket close {frame:?}")),
                Some(Ok(_)) => {} // ping/pong frames (answered by tungstenite), binary
                Some(Err(e)) => break (false, format!("websocket error: {e}")),
                None => break (false, "websocket ended".to_owned()),
            },
            outgoing = out.recv() => match outgoing {
                Some(message) => {
                    let closing = matches!(message, Message::Close(_));
                    if let Err(e) = ws.send(message).await {
                        break (false, format!("sending: {e}"));
                    }
                    if closing {
                        // Wait for the server's close reply (or the end) before returning.
                        while let Some(Ok(message)) = ws.next().await {
                            if matches!(message, Message::Close(_)) {
                                break;
                            }
                        }
                        break (false, "closed by the client".to_owned());
                    }
                }
                None => break (false, "client dropped".to_owned()),
            },
        }
    };
    // Pending acks fail with `AckError::Closed` when their senders drop.
    acks.lock().expect("acks lock").clear();
    let _ = events.send(SioEvent::Closed { clean, reason });
}

fn dispatch(packet: Packet<'_>, events: &mpsc::UnboundedSender<SioEvent>, acks: &PendingAcks) {
    match packet.kind {
        b'2' => {
            let Ok(Value::Array(mut args)) = serde_json::from_str(packet.body) else {
                return;
            };
            if args.is_empty() {
                return;
            }
            let name = match args.remove(0) {
                Value::String(name) => name,
                other => other.to_string(),
            };
            let _ = events.send(SioEvent::Event { name, args });
        }
        b'3' => {
            let Some(id) = packet.ack_id else { return };
            let args = match serde_json::from_str(packet.body) {
                Ok(Value::Array(args)) => args,
                _ => return,
            };
            if let Some(waiter) = acks.lock().expect("acks lock").remove(&id) {
                let _ = waiter.send(args);
            }
        }
        b'1' => {
            let _ = events.send(SioEvent::Disconnect);
        }
        b'4' => {
            let data = serde_json::from_str(packet.body).unwrap_or(Value::Null);
            let _ = events.send(SioEvent::ConnectError(data));
        }
        _ => {} // CONNECT again, binary packets: not used by the contract
    }
}

/// One Socket.IO packet inside an Engine.IO message (`4…`).
#[derive(Debug, PartialEq, Eq)]
struct Packet<'a> {
    /// Socket.IO packet type: `0` CONNECT … `6` BINARY_ACK.
    kind: u8,
    namespace: String,
    ack_id: Option<u64>,
    /// JSON text after the ack id (may be empty).
    body: &'a str,
}

fn parse_packet(text: &str) -> Option<Packet<'_>> {
    let rest = text.strip_prefix('4')?;
    let kind = *rest.as_bytes().first()?;
    if !kind.is_ascii_digit() {
        return None;
    }
    let mut rest = &rest[1..];
    if matches!(kind, b'5' | b'6') {
        // Binary attachments count `N-`.
        let dash = rest.find('-')?;
        rest = &rest[dash + 1..];
    }
    let namespace = if rest.starts_with('/') {
        match rest.find(',') {
            Some(comma) => {
                let ns = &rest[..comma];
                rest = &rest[comma + 1..];
                ns.to_owned()
            }
            None => {
                let ns = rest.to_owned();
                rest = "";
                ns
            }
        }
    } else {
        "/".to_owned()
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let ack_id = if digits > 0 {
        let id = rest[..digits].parse().ok();
        rest = &rest[digits..];
        id
    } else {
        None
    };
    Some(Packet {
        kind,
        namespace,
        ack_id,
        body: rest,
    })
}

async fn read_text(ws: &mut Ws) -> Result<String, ConnectError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(frame))) => {
                return Err(ConnectError::Protocol(format!("closed: {frame:?}")));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(ConnectError::Protocol(e.to_string())),
            None => return Err(ConnectError::Protocol("connection ended".into())),
        }
    }
}

async fn send(ws: &mut Ws, text: String) -> Result<(), ConnectError> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| ConnectError::Protocol(e.to_string()))
}

/// Percent-encodes a query component (tokens are base64url and dots, but tests send odd ones).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The namespace CONNECT frame with `token` in its auth payload, as browsers send it.
pub fn connect_frame(token: &str) -> String {
    format!(
        "40{},{}",
        notify_bindings::NAMESPACE,
        json!({ "token": token })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_socketio_packets() {
        assert_eq!(
            parse_packet(r#"42/notifications,["unread_count",{"type":"unread_count"}]"#),
            Some(Packet {
                kind: b'2',
                namespace: "/notifications".into(),
                ack_id: None,
                body: r#"["unread_count",{"type":"unread_count"}]"#,
            })
        );
        assert_eq!(
            parse_packet(r#"43/notifications,12[{"success":true}]"#),
            Some(Packet {
                kind: b'3',
                namespace: "/notifications".into(),
                ack_id: Some(12),
                body: r#"[{"success":true}]"#,
            })
        );
        let disconnect = parse_packet("41/notifications,").unwrap();
        assert_eq!((disconnect.kind, disconnect.body), (b'1', ""));
        let main = parse_packet(r#"40{"sid":"x"}"#).unwrap();
        assert_eq!(main.namespace, "/");
        assert_eq!(parse_packet("3"), None);
    }

    /// The client against a scripted fake server: handshake, pings answered exactly once
    /// (also during the handshake), events, acks, and the server's DISCONNECT.
    #[tokio::test]
    async fn speaks_socketio_v5_over_websocket() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("ws://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let text = |t: &str| Message::text(t.to_owned());
            ws.send(text(r#"0{"sid":"e","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#)).await.unwrap();
            let next = async |ws: &mut WebSocketStream<TcpStream>| loop {
                if let Message::Text(t) = ws.next().await.unwrap().unwrap() {
                    return t.as_str().to_owned();
                }
            };
            assert_eq!(next(&mut ws).await, r#"40/notifications,{"token":"t0k"}"#);
            ws.send(text("2")).await.unwrap();
            assert_eq!(next(&mut ws).await, "3");
            ws.send(text(r#"40/notifications,{"sid":"abc"}"#))
                .await
                .unwrap();
            ws.send(text(
                r#"42/notifications,["unread_count",{"type":"unread_count","data":{"count":2,"unseen":2}}]"#,
            ))
            .await
            .unwrap();
            ws.send(text("2")).await.unwrap();
            // The pong and the client's event race each other; both must come, once.
            let mut got = [next(&mut ws).await, next(&mut ws).await];
            got.sort();
            assert_eq!(got, ["3", r#"42/notifications,0["mark_all_read",{}]"#]);
            ws.send(text(
                r#"43/notifications,0[{"success":true,"data":{"updated":1}}]"#,
            ))
            .await
            .unwrap();
            ws.send(text("41/notifications,")).await.unwrap();
            // No unsolicited ping or pong until the client closes.
            while let Some(Ok(message)) = ws.next().await {
                match message {
                    // `close()` says goodbye to the namespace.
                    Message::Text(t) if t.as_str() == "41/notifications," => {}
                    Message::Text(t) => panic!("unexpected packet from the client: {t}"),
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        });

        let mut client = SioClient::connect(&base, Auth::payload("t0k"))
            .await
            .unwrap();
        assert_eq!(client.sid(), "abc");
        assert_eq!(
            client.next_server_event().await,
            ServerEvent::UnreadCount(notify_bindings::UnreadCount {
                count: 2,
                unseen: 2
            })
        );
        let ack: Ack<notify_bindings::Updated> = client.call("mark_all_read", json!({})).await;
        assert_eq!(ack.into_result().unwrap().updated, 1);
        assert_eq!(client.next().await, SioEvent::Disconnect);
        client.close().await;
        server.await.unwrap();
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("a.b-c_d"), "a.b-c_d");
        assert_eq!(encode("x y&z"), "x%20y%26z");
    }
}
