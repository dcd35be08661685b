//! Liveness, readiness (the store answers) and Prometheus metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive", body = Object,
               example = json!({"status": "ok"})))
)]
async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// 200 `ready` when every dependency answers; 200 `degraded` when only the Redis link is down
/// (this node still serves its own clients, so a load balancer should keep it); 503 when the
/// store can't be reached.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "`ready`, or `degraded` when only the Redis link is down", body = Object,
         example = json!({"status": "ready", "checks": {"store": "ok", "redis": "ok"}})),
        (status = 503, description = "The store can't be reached", body = Object,
         example = json!({"status": "unavailable", "checks": {"store": "unavailable"}})),
    )
)]
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

/// Prometheus metrics (prefix `notify_`), unless `--metrics` turned them off.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
        (status = 404, description = "`not_found`: metrics are disabled", body = notify_bindings::ErrorResponse),
    )
)]
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
