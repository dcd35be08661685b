//! Liveness, readiness (the store answers) and Prometheus metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

/// 200 `ready` when every dependency answers; 200 `degraded` when only the Redis link is down
/// (this node still serves its own clients, so a load balancer should keep it); 503 when the
/// store can't be reached.
async fn ready(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let store_ok = match state.store.ping().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unavailable");
            false
        }
    };
    let mut checks = serde_json::Map::new();
    checks.insert(
        "store".into(),
        json!(if store_ok { "ok" } else { "unavailable" }),
    );
    let redis_ok = state.cluster.as_ref().map(|cluster| cluster.is_up());
    if let Some(up) = redis_ok {
        checks.insert("redis".into(), json!(if up { "ok" } else { "unavailable" }));
    }
    let (status, text) = match (store_ok, redis_ok) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (true, Some(false)) => (StatusCode::OK, "degraded"),
        (true, _) => (StatusCode::OK, "ready"),
    };
    (status, Json(json!({"status": text, "checks": checks})))
}

async fn metrics(State(state): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    if !state.config.metrics {
        return Err(ApiError::NotFound("metrics are disabled".into()));
    }
    let metrics = &state.metrics;
    if let Some(cluster) = &state.cluster {
        metrics.redis_link_up.set(i64::from(cluster.is_up()));
    }
    Ok((
        [(header::CONTENT_TYPE, crate::metrics::Metrics::CONTENT_TYPE)],
        metrics.render(),
    ))
}
