//! Dev-mode-only routes, for demos and the example apps' login box: mint a user token, and
//! send yourself a test notification. They are not mounted outside `--dev`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use notify_bindings::{CreateNotification, Notification};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::extract::{ApiJson, Caller};
use crate::actions;
use crate::dev::Minter;
use crate::error::ApiError;
use crate::state::AppState;
use crate::validation::invalid;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/dev/token", post(token))
        .route("/dev/notify", post(notify))
}

fn minter(state: &AppState) -> Result<&Minter, ApiError> {
    state
        .dev
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("no such route".into()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenRequest {
    user_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse {
    user_id: String,
    token: String,
}

async fn token(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let minter = minter(&state)?;
    let user_id = request.user_id.trim().to_owned();
    if user_id.is_empty() || user_id.chars().count() > notify_bindings::limits::USER_ID_MAX_CHARS {
        return Err(invalid("userId", "must be 1 to 255 characters").into());
    }
    let token = minter
        .token(&user_id, false)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(TokenResponse { user_id, token }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NotifyRequest {
    title: Option<String>,
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    data: Option<Map<String, Value>>,
}

/// Sends the caller a notification, as a publisher would.
async fn notify(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<NotifyRequest>,
) -> Result<(StatusCode, Json<Notification>), ApiError> {
    let body = CreateNotification {
        user_id: caller.user_id,
        title: request.title.unwrap_or_else(|| "Test notification".into()),
        message: request
            .message
            .or_else(|| Some("Sent from dev mode".into())),
        kind: request.kind.or_else(|| Some("dev.test".into())),
        data: request.data,
    };
    Ok((
        StatusCode::CREATED,
        Json(actions::create(&state, body).await?),
    ))
}
