//! Real-process test harness for the GhostPay notification server.
//!
//! The server's integration tests (and the benchmark) use this crate to run the real
//! `notify-server` binary and talk to it the way clients do: over HTTP, SSE and Socket.IO on
//! WebSocket. Nothing here links the server's code; it only speaks the wire contract, with the
//! shared types of `notify-bindings`.
//!
//! # Layout
//! - [`attack`]: what hostile clients do on the wire (half-sent requests, WebSockets reset
//!   right after CONNECT, Engine.IO handshakes that never authenticate), for the hardening tests.
//! - [`server`]: [`TestServer`] launches the binary on `127.0.0.1:0` with a SQLite file in a
//!   temp dir, reads its port, stops it by pid (SIGTERM or SIGKILL) and restarts it on the same
//!   database.
//! - [`rest`]: [`Api`], a thin REST client whose [`Reply`] keeps status and JSON body.
//! - [`sio`]: [`SioClient`], a small Socket.IO v5 client over WebSocket only (one task per
//!   socket, lean enough to open thousands).
//! - [`sse`]: [`SseClient`], an SSE client parsing `id:` / `data:` / comment lines.
//! - [`jwt`]: [`Token`], which mints valid tokens and forged ones (alg `none`, wrong algorithm,
//!   expired, bad signature), and the test key pairs.
//! - [`services`]: real PostgreSQL and Redis servers on free ports, stoppable and resumable
//!   (for the cluster tests).
//! - [`tls`]: a self-signed certificate made on the spot and a client trusting it (https, wss).
//! - [`load`]: [`load::LoadSocket`], a leaner socket for load tests and the benchmark (no acks,
//!   no event queue; counts and optionally timestamps `notification` events).
//!
//! # Example
//! ```no_run
//! # async fn demo(bin: &str) {
//! use notify_testkit::{TestServer, sio::Auth};
//! // In the server's integration tests: `bin` = env!("CARGO_BIN_EXE_notify-server").
//! let server = TestServer::start(bin).await;
//! let mut socket = server.sio(Auth::payload(server.user_token("alice"))).await.unwrap();
//! let first = socket.next_server_event().await; // unread_count
//! server.api().publish(&server.service_token(), "alice", "Hello").await;
//! # }
//! ```

pub mod attack;
pub mod jwt;
pub mod load;
pub mod rest;
pub mod server;
pub mod services;
pub mod sio;
pub mod sse;
pub mod tls;

pub use jwt::Token;
pub use notify_bindings as bindings;
pub use reqwest;
pub use rest::{Api, Reply};
pub use server::{ServerBuilder, TestServer};
pub use sio::{SioClient, SioEvent};
pub use sse::{SseClient, SseItem};

use std::future::Future;
use std::time::Duration;

/// How long any wait for something the contract promises may take before a test gives up.
///
/// This is a guard against hanging, never a performance assertion: every wait that uses it
/// expects an event that must come.
pub const WAIT: Duration = Duration::from_secs(10);

/// Awaits `fut`, panicking with `what` if it takes longer than [`WAIT`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    within_for(WAIT, what, fut).await
}

/// Awaits `fut`, panicking with `what` if it takes longer than `limit`.
pub async fn within_for<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Polls `check` every 20 ms until it returns `Some`, panicking with `what` after [`WAIT`].
///
/// For conditions the server reaches asynchronously (a gauge after a disconnect, a slot freed
/// by a closed socket).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    within(what, async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}
