//! GhostPay Notifications server: stores each user's notifications and pushes them live over
//! Socket.IO (namespace `/notifications`) and Server-Sent Events, with a REST API beside.
//!
//! # Layout
//! Dependencies run one way, from the handlers down to the contract's types
//! (`notify-bindings`); a module uses only the layers below its own (checked by
//! `tests/layers.rs`):
//!
//! 1. [`server`]: assembles the parts and runs until a shutdown signal (with [`run`] here);
//!    `fuzzing`: entry points for the fuzz targets in `fuzz/` (hidden; not an API).
//! 2. Handlers: `http` (REST routes, SSE, health, metrics, CORS, body limits and timeouts, the
//!    per-IP cap on pending Socket.IO handshakes) and `socket` (the Socket.IO namespace:
//!    connect, event dispatch, token expiry and refresh); `listen`, the accept loop (connection limit,
//!    header and idle timeouts), and below it `tls` (`--tls-cert` / `--tls-key`).
//! 3. `actions`: create / list / counts / read / unread / archive / unarchive / read-all /
//!    seen / seen-all / delete / catch-up, shared by both handlers;
//!    `caller`: the one token extraction for REST, SSE and Socket.IO.
//! 4. `state`: the one `AppState` every handler shares (as `Arc<AppState>`).
//! 5. `fanout`: pushes a change to every socket and SSE stream of a user, on every node.
//! 6. What a push uses: `rooms` (Socket.IO rooms and the per-socket session), `cluster`
//!    (several nodes on Redis: socketioxide-redis adapter, SSE relay, link health), then
//!    `sse_hub` (per-user SSE channels), `presence` (sockets and SSE streams per user),
//!    `handshakes` (unauthenticated Socket.IO handshakes per IP), `metrics` (Prometheus),
//!    `turns` (each user's changes in commit order), `expiry` (when a socket's token expires,
//!    movable by `refresh_token`).
//! 7. Foundations: `dev` (`--dev`'s secret, banner and minter), `rate_limit` (token buckets),
//!    `json` (typed decoding), then `error` (the contract's error shapes), `validation` (input
//!    rules), [`auth`] (JWT verification and minting) and [`store`] (the [`store::Store`]
//!    trait, SQLite and PostgreSQL, each user's change log), [`config`] (flags and env vars), `listener` (the
//!    listening socket's accept backlog, the open-file limit check), and at the bottom
//!    `forwarded` (the client IP behind trusted proxies, `--trust-proxy`).

mod actions;
pub mod auth;
mod caller;
mod cluster;
pub mod config;
pub mod dev;
mod error;
mod expiry;
mod fanout;
mod forwarded;
#[doc(hidden)]
pub mod fuzzing;
mod handshakes;
mod http;
mod json;
mod listen;
mod listener;
mod metrics;
mod presence;
mod rate_limit;
mod rooms;
pub mod server;
mod socket;
mod sse_hub;
mod state;
pub mod store;
pub mod tls;
mod turns;
mod validation;

use tokio_util::sync::CancellationToken;

use config::{JwtAlgorithm, JwtConfig, ServerConfig};

/// Runs the server as configured until SIGTERM / Ctrl-C.
pub async fn run(jwt: JwtConfig, config: ServerConfig) -> anyhow::Result<()> {
    listener::raise_descriptor_limit(config.expected_connections);
    let (secret, generated) = match (
        &jwt.jwt_secret,
        config.dev && jwt.jwt_algorithm == JwtAlgorithm::Hs256,
    ) {
        (Some(secret), _) => (Some(secret.clone()), false),
        (None, true) => (Some(dev::generate_secret()), true),
        (None, false) => (None, false),
    };
    // Everything that can be misconfigured fails here, before the port is taken.
    let hs256 = jwt.jwt_algorithm == JwtAlgorithm::Hs256;
    if let Some(secret) = secret.as_deref().filter(|_| hs256 && !config.dev) {
        anyhow::ensure!(
            secret.len() >= auth::MIN_SECRET_BYTES,
            "JWT_SECRET must be at least {} bytes (it has {}); generate one with \
             `openssl rand -base64 48` (only --dev accepts a shorter one)",
            auth::MIN_SECRET_BYTES,
            secret.len()
        );
    }
    let auth = auth::Authenticator::new(&jwt, secret.as_deref())?;
    anyhow::ensure!(
        config.redis_url.is_none() || config.database_url.starts_with("postgres"),
        "REDIS_URL means several nodes, and they must share one store: set DATABASE_URL=postgres://... \
         (each node's SQLite file would hold only its own notifications)"
    );
    let store = store::open(&config.database_url).await?;
    let cluster = match &config.redis_url {
        Some(url) => Some(cluster::Cluster::connect(url).await?),
        None => None,
    };
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::Tls::load(cert, key)?),
        _ => None,
    };
    let listener = listener::bind(&config.host, config.port, config.listen_backlog).await?;
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{address}");
    let minter = match (&secret, config.dev) {
        (Some(secret), true) => Some(dev::Minter::new(jwt.clone(), secret.clone())),
        _ => None,
    };
    if config.dev {
        if let Some(minter) = &minter {
            println!("{}", minter.banner(&base_url, generated)?);
        }
        tracing::warn!("development mode: do not use in production");
    }
    let shutdown = CancellationToken::new();
    server::cancel_on_signal(shutdown.clone())?;
    // Tests and scripts read the port from this line (signals are handled from here on).
    println!("listening on {base_url}");
    tracing::info!(%address, "listening");

    server::serve(
        config, auth, minter, store, cluster, listener, tls, shutdown,
    )
    .await?;
    tracing::info!("stopped");
    Ok(())
}
