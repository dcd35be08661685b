//! Assembles the service (store, auth, Socket.IO, HTTP) and runs it until a shutdown signal.
//!
//! Shutdown order: stop accepting, end SSE streams and disconnect sockets (clients reconnect
//! elsewhere), let in-flight requests finish their writes, then return.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, Uri};
use bytes::BytesMut;
use socketioxide::adapter::Adapter;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{SocketIo, SocketIoBuilder, TransportType};
use socketioxide_redis::CustomRedisAdapter;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::cluster::{Cluster, ManagedDriver};
use crate::config::{ServerConfig, Transport};
use crate::dev::Minter;
use crate::rate_limit::FORGET_INTERVAL;
use crate::state::AppState;
use crate::store::Store;
use crate::tls::Tls;
use crate::{handshakes, http, listen, socket};

/// How long shutdown waits for connections to finish before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves on `listener` (over TLS with `tls`) until `shutdown` is cancelled. With a `cluster`, Socket.IO uses the
/// Redis adapter and SSE messages are relayed between nodes.
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    config: ServerConfig,
    auth: Authenticator,
    dev: Option<Minter>,
    store: Arc<dyn Store>,
    cluster: Option<Arc<Cluster>>,
    listener: TcpListener,
    tls: Option<Tls>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let state = AppState::new(config, auth, dev, store, cluster.clone(), shutdown.clone());
    let app = match &cluster {
        None => {
            let (layer, io) = configure(SocketIo::builder(), &state).build_layer();
            socket::register(&io);
            mount(&state, io, layer)
        }
        Some(cluster) => {
            let builder = SocketIo::builder()
                .with_adapter::<CustomRedisAdapter<_, ManagedDriver>>(cluster.adapter());
            let (layer, io) = configure(builder, &state).build_layer();
            socket::register(&io).await?;
            cluster.spawn_sse_listener(state.fanout.sse.clone()).await?;
            cluster.spawn_health_check(shutdown.clone());
            mount(&state, io, layer)
        }
    };
    spawn_limit_cleanup(&state);

    let stopping = state.clone();
    let closing = async move {
        tracing::info!("shutting down: closing sockets and streams");
        stopping.fanout.close_sockets().await;
    };
    let limits = listen::Limits::new(&state.config);
    let server = listen::serve(listener, app, limits, tls, shutdown.clone(), closing);
    let server = tokio::spawn(server);
    shutdown.cancelled().await;
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(result) => result?,
        Err(_) => tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them"),
    }
    Ok(())
}

/// Hands the Socket.IO handle to the fan-out and mounts its layer beside the HTTP routes.
fn mount<A: Adapter>(state: &Arc<AppState>, io: SocketIo<A>, layer: SocketIoLayer<A>) -> http::App {
    state.fanout.attach_sockets(Arc::new(io));
    http::app(state.clone(), layer, detach_handshake_head)
}

/// engineioxide keeps each socket's handshake request head (`req_parts`) for the socket's
/// whole life. hyper parses the URI and header values as slices of the connection's 8 KiB read
/// buffer, so keeping them would keep that buffer too (16 KiB per idle socket); copying them
/// into a buffer of their own lets hyper's buffer go when the connection is upgraded. One
/// buffer holds the URI and every value, each a shared slice of it: two allocations however
/// many headers (a copy per value and a rebuilt header map were a dozen per handshake). Only
/// the request that opens a session is kept, so the others (polls, upgrades) aren't copied.
fn detach_handshake_head(mut request: Request) -> Request {
    if !handshakes::opens_session(request.uri()) {
        return request;
    }
    let uri = request.uri();
    let uri_len = uri.path_and_query().map_or(0, |p| p.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.scheme_str().map_or(0, |s| s.len() + 3);
    let values: usize = request.headers().values().map(HeaderValue::len).sum();
    let mut buffer = BytesMut::with_capacity(uri_len + values);
    if write!(buffer, "{uri}").is_ok()
        && let Ok(copy) = Uri::from_maybe_shared(buffer.split().freeze())
    {
        *request.uri_mut() = copy;
    }
    for value in request.headers_mut().values_mut() {
        buffer.extend_from_slice(value.as_bytes());
        // The same bytes hyper accepted, so this stays valid; the value is kept if not.
        if let Ok(mut copy) = HeaderValue::from_maybe_shared(buffer.split().freeze()) {
            copy.set_sensitive(value.is_sensitive());
            *value = copy;
        }
    }
    request
}

/// Socket.IO settings shared by both adapters.
fn configure<A: Adapter>(builder: SocketIoBuilder<A>, state: &Arc<AppState>) -> SocketIoBuilder<A> {
    let config = &state.config;
    let builder = builder
        .with_state(state.clone())
        .with_state(socket::Expiries::start())
        .max_payload(config.body_limit as u64)
        // Client frames are small; the 4 KiB default costs every idle socket 3.8 KiB more
        // (tungstenite reads larger frames in several reads).
        .ws_read_buffer_size(256)
        // Oversize events get a failed ack (checked per event); this only stops abuse.
        .ws_max_message_size(config.body_limit.max(1 << 20))
        .ws_max_frame_size(config.body_limit.max(1 << 20));
    match (
        config.transports.contains(&Transport::Polling),
        config.transports.contains(&Transport::Websocket),
    ) {
        (true, false) => builder.transports([TransportType::Polling]),
        (false, true) => builder.transports([TransportType::Websocket]),
        _ => builder,
    }
}

fn spawn_limit_cleanup(state: &Arc<AppState>) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FORGET_INTERVAL);
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => break,
                _ = every.tick() => state.limits.forget_idle(),
            }
        }
    });
}

/// Cancels `token` on SIGTERM or SIGINT (Ctrl-C). The handlers are installed before this
/// returns, so a signal that arrives right after startup is never lost.
pub fn cancel_on_signal(token: CancellationToken) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        tokio::spawn(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
            token.cancel();
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        token.cancel();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use bytes::Bytes;

    /// A request whose URI and header values are slices of `read`, as hyper parses them.
    fn parsed_from(read: &Bytes, path: &str) -> Request {
        let slice = |text: &str| {
            let start = read
                .windows(text.len())
                .position(|w| w == text.as_bytes())
                .unwrap();
            read.slice(start..start + text.len())
        };
        let mut request = Request::new(Body::empty());
        *request.uri_mut() = Uri::from_maybe_shared(slice(path)).unwrap();
        for (name, value) in [
            ("authorization", "Bearer t.o.k"),
            ("x-forwarded-for", "10.0.0.7"),
        ] {
            let value = HeaderValue::from_maybe_shared(slice(value)).unwrap();
            request.headers_mut().append(name, value);
        }
        request
    }

    fn points_into(read: &Bytes, bytes: &[u8]) -> bool {
        read.as_ptr_range().contains(&bytes.as_ptr())
    }

    const READ: &str = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n\
        authorization: Bearer t.o.k\r\nx-forwarded-for: 10.0.0.7\r\n\r\n/health\
        /socket.io/?EIO=4&transport=polling&sid=abc";

    #[test]
    fn a_handshake_head_keeps_its_values_but_not_the_read_buffer() {
        let read = Bytes::from_static(READ.as_bytes());
        let request =
            detach_handshake_head(parsed_from(&read, "/socket.io/?EIO=4&transport=websocket"));

        assert_eq!(request.uri(), "/socket.io/?EIO=4&transport=websocket");
        assert_eq!(request.uri().query(), Some("EIO=4&transport=websocket"));
        assert_eq!(request.headers()["authorization"], "Bearer t.o.k");
        assert_eq!(request.headers()["x-forwarded-for"], "10.0.0.7");
        assert!(!points_into(&read, request.uri().path().as_bytes()));
        for value in request.headers().values() {
            assert!(
                !points_into(&read, value.as_bytes()),
                "{value:?} still in the read buffer"
            );
        }
    }

    #[test]
    fn a_request_of_an_open_session_is_left_as_it_is() {
        let read = Bytes::from_static(READ.as_bytes());
        let poll = "/socket.io/?EIO=4&transport=polling&sid=abc";
        let request = detach_handshake_head(parsed_from(&read, poll));
        assert!(points_into(&read, request.uri().path().as_bytes()));
    }

    #[test]
    fn other_requests_are_left_as_they_are() {
        let read = Bytes::from_static(READ.as_bytes());
        let request = detach_handshake_head(parsed_from(&read, "/health"));
        assert!(points_into(&read, request.uri().path().as_bytes()));
        assert!(points_into(
            &read,
            request.headers()["authorization"].as_bytes()
        ));
    }
}
