//! The REST routes under `/notifications`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use notify_bindings::{CreateNotification, Notification, Page, UnreadCount, Updated};
use serde::Deserialize;

use super::extract::{ApiJson, Caller, IdPath, Publisher};
use super::sse;
use crate::actions;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::ListQuery;
use crate::validation::{self, invalid};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/notifications", post(create).get(list))
        .route("/notifications/unread-count", get(unread_count))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/events", get(sse::events))
        .route("/notifications/{id}/read", post(read_one))
        .route("/notifications/{id}", axum::routing::delete(remove))
}

async fn create(
    State(state): State<Arc<AppState>>,
    _: Publisher,
    ApiJson(body): ApiJson<CreateNotification>,
) -> Result<(StatusCode, Json<Notification>), ApiError> {
    let notification = actions::create(&state, body).await?;
    Ok((StatusCode::CREATED, Json(notification)))
}

/// Query parameters as text, so that a bad value gets a 422 naming it.
#[derive(Deserialize)]
struct ListParams {
    limit: Option<String>,
    before: Option<String>,
    unread: Option<String>,
}

impl ListParams {
    fn parse(self) -> Result<ListQuery, ApiError> {
        let limit = match self.limit {
            Some(text) => Some(
                text.parse()
                    .map_err(|_| invalid("limit", "must be a whole number from 1 to 100"))?,
            ),
            None => None,
        };
        let unread_only = match self.unread.as_deref() {
            None | Some("false" | "0" | "") => false,
            Some("true" | "1") => true,
            Some(_) => return Err(invalid("unread", "must be true or false").into()),
        };
        Ok(validation::list_query(limit, self.before, unread_only)?)
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::Validation(invalid("query", e.body_text())))?;
    Ok(Json(
        actions::list(&state, &caller.user_id, params.parse()?).await?,
    ))
}

async fn unread_count(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<UnreadCount>, ApiError> {
    Ok(Json(actions::unread_count(&state, &caller.user_id).await?))
}

async fn read_one(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<Json<Notification>, ApiError> {
    Ok(Json(
        actions::mark_read(&state, &caller.user_id, &id).await?,
    ))
}

async fn read_all(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<Updated>, ApiError> {
    Ok(Json(actions::mark_all_read(&state, &caller.user_id).await?))
}

async fn remove(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    actions::delete(&state, &caller.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
