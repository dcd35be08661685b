//! `GET /notifications/events`: the same event stream as Socket.IO, over Server-Sent Events.
//!
//! The stream subscribes to the user's live channel first, then reads the unread count and
//! (with `Last-Event-ID`) what was missed, so nothing published in between is lost; live
//! messages the catch-up already covered are skipped. A numeric `Last-Event-ID` is a seq:
//! the stream replays the change log after it. Any other is a v1 notification id: the
//! stream replays the newer notifications. Change messages carry `id: <seq>`. It ends when the token
//! expires or the server shuts down; `: ping` comments keep proxies from closing it. Open
//! streams count with sockets against `--max-sockets-per-user`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use notify_bindings::{Empty, Envelope, ServerEvent, UnreadCount};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::extract::{StreamCaller, query_param};
use super::openapi::CallerErrors;
use crate::actions::{self, Since};
use crate::error::ApiError;
use crate::presence::Kind;
use crate::sse_hub::SseMessage;
use crate::state::AppState;
use crate::store::FeedState;

/// The `Retry-After` of a stream refused by the per-user cap.
const CAP_RETRY: Duration = Duration::from_secs(1);

/// How often a `: ping` comment is sent.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// The resume point: the `Last-Event-ID` header, or `?lastEventId=` for clients that can't set it.
pub struct LastEventId(Since);

impl LastEventId {
    /// All digits: a seq (one too large for any seq is ahead of every feed: a resync). Anything
    /// else: a v1 notification id (notification ids are never all digits).
    fn parse(id: Option<String>) -> Since {
        match id {
            None => Since::Start,
            Some(id) if id.bytes().all(|b| b.is_ascii_digit()) => {
                Since::Seq(id.parse().unwrap_or(u64::MAX))
            }
            Some(id) => Since::Notification(id),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for LastEventId {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let header = parts
            .headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(LastEventId(LastEventId::parse(
            header
                .or_else(|| query_param(parts, "lastEventId"))
                .filter(|id| !id.is_empty()),
        )))
    }
}

/// The caller's live events as Server-Sent Events.
///
/// First `unread_count`, then (after `Last-Event-ID`) what was missed, oldest first, then every
/// change as it happens. A numeric `Last-Event-ID` is a seq: the changes after it are replayed
/// (at most 500, else a `resync` message); another is a v1 notification id: the newer
/// notifications are. Each `data:` is an envelope `{"type", "data", "seq"}`; change messages
/// carry `id: <seq>`; `: ping` comments come every 15 s.
#[utoipa::path(
    get,
    path = "/notifications/events",
    tag = "notifications",
    security(("bearer" = []), ("access_token" = [])),
    params(
        ("Last-Event-ID" = Option<String>, Header,
         description = "Resume after this seq (all digits) or, as in v1, this notification id"),
        ("lastEventId" = Option<String>, Query,
         description = "The same, for clients that can't set the header"),
    ),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        CallerErrors,
    )
)]
pub async fn events(
    State(state): State<Arc<AppState>>,
    StreamCaller(caller): StreamCaller,
    LastEventId(last_event_id): LastEventId,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Streams share the per-user cap with sockets; the place is held while the stream is.
    let slot = state
        .presence
        .try_join(
            &caller.user_id,
            Kind::Stream,
            state.config.max_sockets_per_user,
            &state.metrics.sse_streams,
        )
        .ok_or(ApiError::RateLimited {
            retry_after: CAP_RETRY,
        })?;
    let live = state.fanout.sse.subscribe(&caller.user_id);
    let replays_log = matches!(last_event_id, Since::Seq(_));
    let catch_up = actions::catch_up(&state, &caller.user_id, last_event_id).await?;
    let feed = actions::counted(FeedState {
        seq: catch_up.seq,
        unread_count: UnreadCount {
            count: catch_up.unread_count,
            unseen: catch_up.unseen_count,
        },
    });

    // Only what the catch-up itself covered is skipped from the live stream (a change made
    // between subscribing and the catch-up query is in both). The client's own Last-Event-ID
    // is not a filter: an id the server never handed out must not swallow live events.
    // A log replay covers every seq up to the state's (read in the same snapshot); a v1
    // catch-up, the notifications up to the newest it sent.
    let covered_seq = replays_log.then_some(catch_up.seq);
    let newest_sent = catch_up.missed.last().map(|n| n.id.clone());
    let mut first = vec![SseMessage::new(&feed)];
    first.extend(catch_up.changes.iter().flatten().map(SseMessage::new));
    first.extend(catch_up.missed.into_iter().map(|n| {
        SseMessage::new(&Envelope {
            event: ServerEvent::Notification(n),
            seq: None,
        })
    }));
    if catch_up.resync {
        first.push(resync());
    }

    let live = BroadcastStream::new(live).filter_map(move |received| {
        let message = match received {
            Ok(m) if m.seq.is_some() && m.seq <= covered_seq => None,
            Ok(m) if m.notification_id.is_some() && m.notification_id <= newest_sent => None,
            Ok(m) => Some(m),
            // This stream fell behind: the client reloads its first page.
            Err(BroadcastStreamRecvError::Lagged(_)) => Some(resync()),
        };
        std::future::ready(message)
    });

    let ends = {
        let shutdown = state.shutdown.clone();
        let expiry = caller.time_left();
        async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(expiry) => {}
            }
        }
    };
    let events = stream::iter(first)
        .chain(live)
        .take_until(ends)
        .map(move |message| {
            let _held = &slot;
            let event = Event::default().data(&*message.json);
            Ok(match message.id() {
                Some(id) => event.id(id),
                None => event,
            })
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("ping")))
}

/// The `resync` message: the client reloads its first page.
fn resync() -> SseMessage {
    SseMessage::new(&Envelope {
        event: ServerEvent::Resync(Empty {}),
        seq: None,
    })
}
