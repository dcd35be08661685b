//! GhostPay Notifications server: stores each user's notifications and pushes them live over
//! Socket.IO (namespace `/notifications`) and Server-Sent Events, with a REST API beside.
//!
//! # Layout
//! - [`config`]: flags and env vars (clap).
//! - [`server`]: assembles the parts and runs until a shutdown signal; `listen`: the accept
//!   loop (connection limit, header and idle timeouts).
//! - `auth`: JWT verification (algorithm pinned) and minting.
//! - `store`: the [`store::Store`] trait and its SQLite implementation.
//! - `actions`: create / list / read / read-all / delete / catch-up, shared by REST and sockets.
//! - `fanout`: pushes events to a user's sockets (rooms) and SSE streams; `turns` keeps
//!   each user's pushes in commit order.
//! - `http`: REST routes, SSE, health, metrics, CORS and body limits.
//! - `cluster`: several nodes on Redis (socketioxide-redis adapter, SSE relay, link health).
//! - `socket`: the Socket.IO namespace: auth middleware, event dispatch, token expiry.
//! - `validation`, `json`, `error`: input rules and the contract's error shapes.
//! - `forwarded`: the client IP behind trusted proxies (`--trust-proxy`); `handshakes`: the
//!   per-IP cap on Socket.IO handshakes that don't authenticate.
//! - `rate_limit`, `presence`, `metrics`: token buckets, sockets per user, Prometheus.
//! - `dev`: `--dev` mode's generated secret, banner and token minter.

mod actions;
pub mod auth;
mod caller;
mod cluster;
pub mod config;
pub mod dev;
mod error;
mod fanout;
mod forwarded;
mod handshakes;
mod http;
mod json;
mod listen;
mod metrics;
mod presence;
mod rate_limit;
mod rooms;
pub mod server;
mod socket;
mod sse_hub;
mod state;
pub mod store;
mod turns;
mod validation;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use config::{JwtAlgorithm, JwtConfig, ServerConfig};

/// Runs the server as configured until SIGTERM / Ctrl-C.
pub async fn run(jwt: JwtConfig, config: ServerConfig) -> anyhow::Result<()> {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "could not raise the open-file limit");
    }
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
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let address = listener.local_addr()?;
    let base_url = format!("http://{address}");
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

    server::serve(config, auth, minter, store, cluster, listener, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
