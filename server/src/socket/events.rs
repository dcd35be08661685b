//! Client → server events on `/notifications`, each answered by an ack
//! `{"success": true, "data": ...}` or `{"success": false, "error": {...}}`.
//!
//! One fallback handler per socket dispatches by event name (one boxed handler instead of
//! one per event keeps idle sockets small), so unknown events get a failed ack too.

use std::sync::Arc;

use notify_bindings::{
    Ack, ListRequest, NotificationId, RefreshToken, SeenRequest, SubscribeRequest, events,
};
use serde::Serialize;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Event, Extension, SocketRef, State, TryData};

use super::expiry::{self, Expiries};
use crate::actions::{self, Since};
use crate::error::ApiError;
use crate::json::{self, from_value};
use crate::rooms::Session;
use crate::state::AppState;
use crate::store::ListQuery;
use crate::validation;

pub async fn dispatch<A: Adapter>(
    socket: SocketRef<A>,
    Event(name): Event,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
    State(state): State<Arc<AppState>>,
    State(expiries): State<Expiries>,
    Extension(session): Extension<Arc<Session>>,
) {
    let reply = match (state.limits.user(&session.principal.user_id), data) {
        (Err(e), _) => reply::<()>(Err(e)),
        (Ok(()), Err(e)) => reply::<()>(Err(json::unreadable(&e))),
        (Ok(()), Ok(data)) => handle(&state, &expiries, &socket, &session, &name, data).await,
    };
    if let Err(e) = ack.send(&reply) {
        tracing::debug!(error = %e, event = name, "could not send ack");
    }
}

/// A client event, decoded and validated (no I/O yet).
pub enum Request {
    Subscribe { since: Since },
    MarkRead { id: String },
    MarkUnread { id: String },
    Archive { id: String },
    Unarchive { id: String },
    MarkAllRead,
    MarkSeen { ids: Vec<String> },
    MarkAllSeen,
    List(ListQuery),
    RefreshToken { token: String },
}

/// Decodes the event `name` with its payload: size, shape and bounds. Pure, so the fuzz
/// targets drive it directly.
pub fn decode(name: &str, data: Value, body_limit: usize) -> Result<Request, ApiError> {
    if validation::encoded_len(&data) > body_limit {
        return Err(ApiError::PayloadTooLarge(
            "event payload is over the size limit".into(),
        ));
    }
    // `{}` and no payload at all mean the same.
    let data = if data.is_null() {
        Value::Object(Default::default())
    } else {
        data
    };
    Ok(match name {
        events::SUBSCRIBE_NOTIFICATIONS => {
            let request: SubscribeRequest = from_value(data)?;
            let since = match (request.since_seq, request.since) {
                (Some(seq), _) => Since::Seq(seq),
                (None, Some(id)) if !id.is_empty() => Since::Notification(id),
                (None, _) => Since::Start,
            };
            Request::Subscribe { since }
        }
        events::MARK_READ => Request::MarkRead {
            id: from_value::<NotificationId>(data)?.id,
        },
        events::MARK_UNREAD => Request::MarkUnread {
            id: from_value::<NotificationId>(data)?.id,
        },
        events::ARCHIVE => Request::Archive {
            id: from_value::<NotificationId>(data)?.id,
        },
        events::UNARCHIVE => Request::Unarchive {
            id: from_value::<NotificationId>(data)?.id,
        },
        events::MARK_ALL_READ => Request::MarkAllRead,
        events::MARK_SEEN => Request::MarkSeen {
            ids: from_value::<SeenRequest>(data)?.ids,
        },
        events::MARK_ALL_SEEN => Request::MarkAllSeen,
        events::LIST_NOTIFICATIONS => {
            Request::List(validation::list_query(from_value::<ListRequest>(data)?)?)
        }
        events::REFRESH_TOKEN => {
            let RefreshToken { token } = from_value(data)?;
            Request::RefreshToken { token }
        }
        other => return Err(ApiError::NotFound(format!("unknown event {other:?}"))),
    })
}

async fn handle<A: Adapter>(
    state: &AppState,
    expiries: &Expiries,
    socket: &SocketRef<A>,
    session: &Arc<Session>,
    name: &str,
    data: Value,
) -> Value {
    let request = match decode(name, data, state.config.body_limit) {
        Ok(request) => request,
        Err(e) => return reply::<()>(Err(e)),
    };
    let user_id = &session.principal.user_id;
    match request {
        Request::Subscribe { since } => reply(actions::catch_up(state, user_id, since).await),
        Request::MarkRead { id } => reply(actions::mark_read(state, user_id, &id).await),
        Request::MarkUnread { id } => reply(actions::mark_unread(state, user_id, &id).await),
        Request::Archive { id } => reply(actions::archive(state, user_id, &id).await),
        Request::Unarchive { id } => reply(actions::unarchive(state, user_id, &id).await),
        Request::MarkAllRead => reply(actions::mark_all_read(state, user_id).await),
        Request::MarkSeen { ids } => reply(actions::mark_seen(state, user_id, ids).await),
        Request::MarkAllSeen => reply(actions::mark_all_seen(state, user_id).await),
        Request::List(query) => reply(actions::list(state, user_id, query).await),
        Request::RefreshToken { token } => {
            reply(expiry::refresh(state, expiries, socket, session, token))
        }
    }
}

fn reply<T: Serialize>(result: Result<T, ApiError>) -> Value {
    let ack = match result {
        Ok(data) => Ack::ok(data),
        Err(e) => e.ack(),
    };
    serde_json::to_value(ack).unwrap_or(Value::Null)
}
