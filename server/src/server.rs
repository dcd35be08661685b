//! Assembles the service (store, auth, Socket.IO, HTTP) and runs it until a shutdown signal.
//!
//! Shutdown order: stop accepting, end SSE streams and disconnect sockets (clients reconnect
//! elsewhere), let in-flight requests finish their writes, then return.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Uri};
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
use crate::{http, listen, socket};

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
/// into allocations of their own lets hyper's buffer go when the connection is upgraded.
fn detach_handshake_head(mut request: Request) -> Request {
    if !request.uri().path().starts_with("/socket.io") {
        return request;
    }
    let headers: HeaderMap = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
            (name.clone(), value)
        })
        .collect();
    *request.headers_mut() = headers;
    if let Ok(uri) = request.uri().to_string().parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    request
}

/// Socket.IO settings shared by both adapters.
fn configure<A: Adapter>(builder: SocketIoBuilder<A>, state: &Arc<AppState>) -> SocketIoBuilder<A> {
    let config = &state.config;
    let builder = builder
        .with_state(state.clone())
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
