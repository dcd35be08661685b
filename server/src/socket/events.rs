//! Client → server events on `/notifications`, each answered by an ack
//! `{"success": true, "data": ...}` or `{"success": false, "error": {...}}`.
//!
//! One fallback handler per socket dispatches by event name (one boxed handler instead of
//! one per event keeps idle sockets small), so unknown events get a failed ack too.

use std::sync::Arc;

use notify_bindings::{Ack, ListRequest, NotificationId, SubscribeRequest, events};
use serde::Serialize;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Event, Extension, State, TryData};

use crate::actions;
use crate::error::ApiError;
use crate::json::{self, from_value};
use crate::rooms::Session;
use crate::state::AppState;
use crate::validation;

pub async fn dispatch<A: Adapter>(
    Event(name): Event,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
    State(state): State<Arc<AppState>>,
    Extension(session): Extension<Session>,
) {
    let reply = match (state.limits.user(&session.principal.user_id), data) {
        (Err(e), _) => reply::<()>(Err(e)),
        (Ok(()), Err(e)) => reply::<()>(Err(json::unreadable(&e))),
        (Ok(()), Ok(data)) => handle(&state, &session.principal.user_id, &name, data).await,
    };
    if let Err(e) = ack.send(&reply) {
        tracing::debug!(error = %e, event = name, "could not send ack");
    }
}

async fn handle(state: &AppState, user_id: &str, name: &str, data: Value) -> Value {
    let size = validation::encoded_len(&data);
    if size > state.config.body_limit {
        return reply::<()>(Err(ApiError::PayloadTooLarge(
            "event payload is over the size limit".into(),
        )));
    }
    // `{}` and no payload at all mean the same.
    let data = if data.is_null() {
        Value::Object(Default::default())
    } else {
        data
    };
    match name {
        events::SUBSCRIBE_NOTIFICATIONS => reply(
            async {
                let request: SubscribeRequest = from_value(data)?;
                actions::catch_up(state, user_id, request.since.as_deref()).await
            }
            .await,
        ),
        events::MARK_READ => reply(
            async {
                let NotificationId { id } = from_value(data)?;
                actions::mark_read(state, user_id, &id).await
            }
            .await,
        ),
        events::MARK_ALL_READ => reply(actions::mark_all_read(state, user_id).await),
        events::LIST_NOTIFICATIONS => reply(
            async {
                let request: ListRequest = from_value(data)?;
                let query = validation::list_query(
                    request.limit,
                    request.before,
                    request.unread_only.unwrap_or(false),
                )?;
                actions::list(state, user_id, query).await
            }
            .await,
        ),
        other => reply::<()>(Err(ApiError::NotFound(format!("unknown event {other:?}")))),
    }
}

fn reply<T: Serialize>(result: Result<T, ApiError>) -> Value {
    let ack = match result {
        Ok(data) => Ack::ok(data),
        Err(e) => e.ack(),
    };
    serde_json::to_value(ack).unwrap_or(Value::Null)
}
