//! The REST routes under `/notifications`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use notify_bindings::{
    Archived, Counts, CreateNotification, ErrorResponse, ListRequest, Notification, Page,
    SeenRequest, UnreadCount, Updated,
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
        .routes(routes!(counts))
        .routes(routes!(unread_one))
        .routes(routes!(archive_one))
        .routes(routes!(unarchive_one))
        .routes(routes!(seen))
        .routes(routes!(seen_all))
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
    /// `true` lists only unseen notifications.
    #[param(value_type = Option<bool>)]
    unseen: Option<String>,
    /// `false` (default): only notifications not archived; `true`: only archived ones;
    /// `all`: both.
    #[param(value_type = Option<String>, pattern = "^(false|true|all)$")]
    archived: Option<String>,
    /// An exact type, or a prefix ending in `.*` (`payment.*` matches `payment.received`).
    #[serde(rename = "type")]
    #[param(rename = "type", max_length = 100)]
    kind: Option<String>,
}

/// A `true`/`false` query flag named `field`.
fn flag(field: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false" | "0" | "") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(invalid(field, "must be true or false").into()),
    }
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
        let archived = match self.archived.as_deref() {
            None => None,
            Some(text) => Some(
                Archived::parse(text)
                    .ok_or_else(|| invalid("archived", "must be false, true or all"))?,
            ),
        };
        Ok(validation::list_query(ListRequest {
            limit,
            before: self.before,
            unread_only: Some(flag("unread", self.unread.as_deref())?),
            unseen: Some(flag("unseen", self.unseen.as_deref())?),
            archived,
            kind: self.kind,
        })?)
    }
}

/// The query of `GET /notifications/counts`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CountsParams {
    /// An exact type, or a prefix ending in `.*`; without it, every type.
    #[serde(rename = "type")]
    #[param(rename = "type", max_length = 100)]
    kind: Option<String>,
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
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let Query(params) = params.map_err(query_error)?;
    Ok(Json(
        actions::list(&state, &caller.user_id, params.parse()?).await?,
    ))
}

fn query_error(rejection: QueryRejection) -> ApiError {
    ApiError::Validation(invalid("query", rejection.body_text()))
}

/// Unread, unseen and total over the caller's non-archived notifications of a type.
#[utoipa::path(
    get,
    path = "/notifications/counts",
    tag = "notifications",
    security(("bearer" = [])),
    params(CountsParams),
    responses(
        (status = 200, description = "The counts", body = Counts),
        (status = 422, description = "`validation_failed`: `type` is out of bounds",
         body = ErrorResponse),
        CallerErrors,
    )
)]
async fn counts(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    params: Result<Query<CountsParams>, QueryRejection>,
) -> Result<Json<Counts>, ApiError> {
    let Query(params) = params.map_err(query_error)?;
    let kind = validation::type_filter(params.kind)?;
    Ok(Json(actions::counts(&state, &caller.user_id, kind).await?))
}

/// How many of the caller's notifications (not archived) are unread, and how many unseen.
#[utoipa::path(
    get,
    path = "/notifications/unread-count",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "The unread and unseen counts", body = UnreadCount), CallerErrors)
)]
async fn unread_count(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<UnreadCount>, ApiError> {
    Ok(Json(actions::unread_count(&state, &caller.user_id).await?))
}

/// Marks one of the caller's notifications read, and so seen (idempotent).
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

/// Marks every notification of the caller read, and so seen.
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

/// Marks one of the caller's notifications unread; it stays seen (idempotent).
#[utoipa::path(
    post,
    path = "/notifications/{id}/unread",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification, now unread", body = Notification),
        NotFoundError,
        CallerErrors,
    )
)]
async fn unread_one(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<Json<Notification>, ApiError> {
    Ok(Json(
        actions::mark_unread(&state, &caller.user_id, &id).await?,
    ))
}

/// Archives one of the caller's notifications: it leaves the default list and every count.
/// Archiving it again keeps its first `archivedAt`.
#[utoipa::path(
    post,
    path = "/notifications/{id}/archive",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification, now archived", body = Notification),
        NotFoundError,
        CallerErrors,
    )
)]
async fn archive_one(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<Json<Notification>, ApiError> {
    Ok(Json(actions::archive(&state, &caller.user_id, &id).await?))
}

/// Brings one of the caller's notifications back from the archive (idempotent).
#[utoipa::path(
    post,
    path = "/notifications/{id}/unarchive",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification, no longer archived", body = Notification),
        NotFoundError,
        CallerErrors,
    )
)]
async fn unarchive_one(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> Result<Json<Notification>, ApiError> {
    Ok(Json(
        actions::unarchive(&state, &caller.user_id, &id).await?,
    ))
}

/// Marks the caller's notifications among `ids` seen; ids that aren't the caller's are ignored.
#[utoipa::path(
    post,
    path = "/notifications/seen",
    tag = "notifications",
    security(("bearer" = [])),
    request_body = SeenRequest,
    responses(
        (status = 200, description = "How many were unseen", body = Updated),
        BodyErrors,
        CallerErrors,
    )
)]
async fn seen(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<SeenRequest>,
) -> Result<Json<Updated>, ApiError> {
    Ok(Json(
        actions::mark_seen(&state, &caller.user_id, body.ids).await?,
    ))
}

/// Marks every notification of the caller seen (the bell was opened).
#[utoipa::path(
    post,
    path = "/notifications/seen-all",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "How many were unseen", body = Updated), CallerErrors)
)]
async fn seen_all(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
) -> Result<Json<Updated>, ApiError> {
    Ok(Json(actions::mark_all_seen(&state, &caller.user_id).await?))
}
