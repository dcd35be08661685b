//! Liveness, readiness (the store answers) and Prometheus metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
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

/// `/healthz`'s answer.
#[derive(Serialize, ToSchema)]
struct Liveness {
    status: Alive,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Alive {
    Ok,
}

/// `/readyz`'s answer: the overall state and each dependency's.
#[derive(Serialize, ToSchema)]
struct Readiness {
    status: ReadyStatus,
    checks: Checks,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ReadyStatus {
    Ready,
    Degraded,
    Unavailable,
}

#[derive(Serialize, ToSchema)]
struct Checks {
    store: CheckState,
    /// Only with `--redis-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    redis: Option<CheckState>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum CheckState {
    Ok,
    Unavailable,
}

impl CheckState {
    fn of(up: bool) -> Self {
        if up {
            CheckState::Ok
        } else {
            CheckState::Unavailable
        }
    }
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive", body = Liveness))
)]
async fn live() -> Json<Liveness> {
    Json(Liveness { status: Alive::Ok })
}

/// Readiness: the store answers.
///
/// 200 `ready` when every dependency answers; 200 `degraded` when only the Redis link is down
/// (this node still serves its own clients, so a load balancer should keep it); 503 when the
/// store can't be reached.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "`ready`, or `degraded` when only the Redis link is down", body = Readiness),
        (status = 503, description = "`unavailable`: the store can't be reached", body = Readiness),
    )
)]
async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Readiness>) {
    let store_ok = match state.store.ping().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unavailable");
            false
        }
    };
    let redis_ok = state.cluster.as_ref().map(|cluster| cluster.is_up());
    let (code, status) = match (store_ok, redis_ok) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, ReadyStatus::Unavailable),
        (true, Some(false)) => (StatusCode::OK, ReadyStatus::Degraded),
        (true, _) => (StatusCode::OK, ReadyStatus::Ready),
    };
    let checks = Checks {
        store: CheckState::of(store_ok),
        redis: redis_ok.map(CheckState::of),
    };
    (code, Json(Readiness { status, checks }))
}

/// Prometheus metrics (prefix `notify_`), unless `--metrics` turned them off.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "OpenMetrics text (Prometheus reads it)", content_type = "application/openmetrics-text", body = String),
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
