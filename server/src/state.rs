//! What every handler shares: the store, the verifier, limits, metrics and the fan-out.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::config::ServerConfig;
use crate::fanout::Fanout;
use crate::rate_limit::RateLimits;
use crate::store::Store;

/// Shared services, set as the Socket.IO state and held by the HTTP state.
pub struct Services {
    pub store: Arc<dyn Store>,
    pub auth: Authenticator,
    pub limits: RateLimits,
    pub config: ServerConfig,
    /// Dev mode's token minter; `None` outside `--dev` (and the dev routes answer 404).
    pub dev: Option<crate::dev::Minter>,
    /// Cancelled when the server shuts down: SSE streams end, background tasks stop.
    pub shutdown: CancellationToken,
}

/// The axum state: services plus the fan-out (which holds the Socket.IO handle).
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub fanout: Fanout,
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}
