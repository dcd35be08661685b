//! The accept loop: each TCP connection is served by hyper (HTTP/1.1 with upgrades, for
//! WebSocket) within the configured limits, so slow or idle clients can't hold the server:
//!
//! - `--max-connections`: past it, a new connection is closed at once;
//! - `--header-read-timeout`: a request head (and a keep-alive connection's next one) must
//!   arrive within it;
//! - `--idle-timeout`: a connection on which no byte moves either way for this long is
//!   closed (SSE and Socket.IO heartbeat well within the default);
//! - the body-read timeout is applied per request, by the `http` layer.
//!
//! With `--tls-cert`/`--tls-key` each connection first completes a TLS handshake (see `tls`).
//! Each request carries the peer address as `ConnectInfo<SocketAddr>`. On shutdown the loop
//! stops accepting, runs `on_shutdown` (closing sockets and streams) and waits for the
//! connections it serves to finish.
//!
//! A `101 Switching Protocols` is held back to leave with the server's first WebSocket frame
//! (the Engine.IO OPEN): one write per handshake fewer (`watched`, `held`).

mod held;
mod watched;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::Response;
use futures_util::FutureExt as _;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::{Service, ServiceExt};

use crate::config::ServerConfig;
use crate::tls::Tls;
use watched::Watched;

/// Connection limits, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Limits {
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            max_connections: config.max_connections,
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
        }
    }
}

/// What serves each request: the whole application.
pub trait App:
    Service<Request<Incoming>, Response = Response, Error = Infallible, Future: Send>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> App for S where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible, Future: Send>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Serves `app` on `listener` until `shutdown` is cancelled; see the module docs.
pub async fn serve(
    listener: TcpListener,
    app: impl App,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: CancellationToken,
    on_shutdown: impl Future<Output = ()>,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let connections = TaskTracker::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let http = Arc::new(http);
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or the peer left before accept: keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(place) = places.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection limit reached; closing a new connection");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, http, shutdown, tls) = (app.clone(), http.clone(), shutdown.clone(), tls.clone());
        connections.spawn(async move {
            match tls {
                None => serve_connection(stream, place, peer, app, &http, limits, shutdown).await,
                // The handshake is bounded like a request head.
                Some(tls) => {
                    if let Some(stream) = tls.accept(stream, limits.header_read_timeout).await {
                        serve_connection(stream, place, peer, app, &http, limits, shutdown).await;
                    }
                }
            }
        });
    }
    drop(listener);
    connections.close();
    on_shutdown.await;
    connections.wait().await;
}

/// Serves one connection until it ends, its idle timeout passes, or shutdown.
async fn serve_connection<IO>(
    io: IO,
    place: OwnedSemaphorePermit,
    peer: SocketAddr,
    app: impl App,
    http: &hyper::server::conn::http1::Builder,
    limits: Limits,
    shutdown: CancellationToken,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = Watched::new(io, place);
    let activity = io.activity.clone();
    let replies = io.activity.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let replies = replies.clone();
        app.clone().oneshot(request).inspect(move |response| {
            if matches!(response, Ok(r) if r.status() == StatusCode::SWITCHING_PROTOCOLS) {
                replies.hold_next_write();
            }
        })
    });
    let connection = http
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(connection);
    let idle = limits.idle_timeout;
    let mut finishing = false;
    loop {
        let deadline = activity.last() + idle;
        tokio::select! {
            () = shutdown.cancelled(), if !finishing => {
                // Finish the request in flight, then close (upgraded sockets have left hyper).
                connection.as_mut().graceful_shutdown();
                finishing = true;
            }
            result = &mut connection => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                return;
            }
            () = tokio::time::sleep_until(deadline) => {
                if activity.last() + idle <= tokio::time::Instant::now() {
                    tracing::debug!(%peer, "idle timeout; closing the connection");
                    return;
                }
            }
        }
    }
}
