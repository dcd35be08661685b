//! The REST routes under `/notifications`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use notify_bindings::{
    CreateNotification, ErrorResponse, Notification, Page, UnreadCount, Updated,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Caller, IdPath, Publisher};
use super::openapi::{BodyErrors, CallerErrors, NotFoundError};
use super::sse;
use crate::actions;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::ListQuery;
use crate::validation::{self, invalid};

pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(unread_count))
        .routes(routes!(read_all))
        .routes(routes!(sse::events))
        .routes(routes!(read_one))
        .routes(routes!(remove))
}

/// Creates a notification for any user and pushes it live (service tokens only).
#[utoipa::path(
    post,
    path = "/notifications",
    tag = "notifications",
    security(("bearer" = [])),
    request_body = CreateNotification,
    responses(
        (status = 201, description = "Stored and pushed to the user's sockets and streams", body = Notification),
        (status = 403, description = "`forbidden`: publishing needs a service token \
                                      (`role: service` or scope `notifications:publish`)",
         body = ErrorResponse),
        BodyErrors,
        CallerErrors,
    )
)]
async fn create(
    State(state): State<Arc<AppState>>,
    _: Publisher,
    ApiJson(body): ApiJson<CreateNotification>,
) -> Result<(StatusCode, Json<Notification>), ApiError> {
    let notification = actions::create(&state, body).await?;
    Ok((StatusCode::CREATED, Json(notification)))
}

/// Query parameters as text, so that a bad value gets a 422 naming it.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// The `nextCursor` of the previous page: only notifications older than this id.
    before: Option<String>,
    /// `true` lists only unread notifications.
    #[param(value_type = Option<bool>)]
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

/// The caller's notifications, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "notifications",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "One page; `nextCursor` is null once the end is reached", body = Page),
        (status = 422, description = "`validation_failed`: a query parameter is out of bounds; the message names it",
         body = ErrorResponse),
        CallerErrors,
    )
)]
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

/// How many of the caller's notifications are unread.
#[utoipa::path(
    get,
    path = "/notifications/unread-count",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "The unread count", body = UnreadCount), CallerErrors)
)]
async fn unread_count(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<UnreadCount>, ApiError> {
    Ok(Json(actions::unread_count(&state, &caller.user_id).await?))
}

/// Marks one of the caller's notifications read (idempotent).
#[utoipa::path(
    post,
    path = "/notifications/{id}/read",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification, now read", body = Notification),
        NotFoundError,
        CallerErrors,
    )
)]
async fn read_one(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<Json<Notification>, ApiError> {
    Ok(Json(
        actions::mark_read(&state, &caller.user_id, &id).await?,
    ))
}

/// Marks every notification of the caller read.
#[utoipa::path(
    post,
    path = "/notifications/read-all",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "How many were unread", body = Updated), CallerErrors)
)]
async fn read_all(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<Updated>, ApiError> {
    Ok(Json(actions::mark_all_read(&state, &caller.user_id).await?))
}

/// Deletes one of the caller's notifications.
#[utoipa::path(
    delete,
    path = "/notifications/{id}",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 204, description = "Deleted"),
        NotFoundError,
        CallerErrors,
    )
)]
async fn remove(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    actions::delete(&state, &caller.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
