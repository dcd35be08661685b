//! The one state every handler shares, built once at start and held as `Arc<AppState>` by
//! axum and Socket.IO alike: configuration, the store, the token verifier and rate limits,
//! the per-user turns and socket counts, metrics, the cluster link, and the fan-out.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::cluster::Cluster;
use crate::config::ServerConfig;
use crate::dev::Minter;
use crate::fanout::Fanout;
use crate::handshakes::PendingHandshakes;
use crate::metrics::Metrics;
use crate::presence::Presence;
use crate::rate_limit::RateLimits;
use crate::store::Store;
use crate::turns::Turns;

pub struct AppState {
    pub config: ServerConfig,
    pub store: Arc<dyn Store>,
    pub auth: Authenticator,
    pub limits: RateLimits,
    /// Socket.IO handshakes not (yet) authenticated, per client IP.
    pub handshakes: Arc<PendingHandshakes>,
    /// Dev mode's token minter; `None` outside `--dev` (and the dev routes answer 404).
    pub dev: Option<Minter>,
    /// Cancelled when the server shuts down: SSE streams end, background tasks stop.
    pub shutdown: CancellationToken,
    /// Orders each user's changes, so pushes follow commit order.
    pub turns: Turns,
    /// Live sockets per user on this node.
    pub presence: Arc<Presence>,
    pub metrics: Arc<Metrics>,
    /// Other nodes, when running as a cluster.
    pub cluster: Option<Arc<Cluster>>,
    /// Pushes changes to every socket and SSE stream of a user.
    pub fanout: Fanout,
}

impl AppState {
    pub fn new(
        config: ServerConfig,
        auth: Authenticator,
        dev: Option<Minter>,
        store: Arc<dyn Store>,
        cluster: Option<Arc<Cluster>>,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let presence = Arc::new(Presence::default());
        let metrics = Arc::new(Metrics::default());
        Arc::new(Self {
            limits: RateLimits::new(&config),
            handshakes: PendingHandshakes::new(config.max_pending_handshakes_per_ip),
            fanout: Fanout::new(cluster.clone(), presence.clone(), metrics.clone()),
            config,
            store,
            auth,
            dev,
            shutdown,
            turns: Turns::default(),
            presence,
            metrics,
            cluster,
        })
    }
}
