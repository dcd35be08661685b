//! The operations on a user's notifications, shared by REST and Socket.IO handlers: each
//! validates, changes the store (which numbers and logs each change), then pushes the changes
//! and one fresh `unread_count` to every live socket and SSE stream of that user. Changes of
//! one user take turns (see `turns`). Also the catch-up a reconnecting client asks for.

use notify_bindings::{
    Counts, CreateNotification, Envelope, Notification, Page, ServerEvent, SubscribeResult,
    UnreadCount, Updated, limits,
};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Changed, FeedState, ListQuery, TypeFilter};
use crate::validation;

/// The `unread_count` envelope of a feed state, carrying that state's seq.
pub fn counted(feed: FeedState) -> Envelope {
    Envelope {
        event: ServerEvent::UnreadCount(feed.unread_count),
        seq: Some(feed.seq),
    }
}

/// Pushes an operation's changes, in order, then one `unread_count` of the state they leave;
/// nothing when it changed nothing.
async fn report<T>(state: &AppState, user_id: &str, changed: &Changed<T>) {
    let Some(seq) = changed.changes.last().and_then(|last| last.seq) else {
        return;
    };
    let mut events = changed.changes.clone();
    events.push(counted(FeedState {
        seq,
        unread_count: changed.unread_count,
    }));
    state.fanout.push(user_id, &events).await;
}

/// Stores a notification for `body.userId` and pushes it live. The caller must be allowed
/// to publish (checked where the request arrives).
pub async fn create(state: &AppState, body: CreateNotification) -> Result<Notification, ApiError> {
    let new = validation::new_notification(body)?;
    let _turn = state.turns.take(&new.user_id).await;
    let created = state.store.create(new).await?;
    state.metrics.notifications_created.inc();
    report(state, &created.value.user_id, &created).await;
    Ok(created.value)
}

pub async fn list(state: &AppState, user_id: &str, query: ListQuery) -> Result<Page, ApiError> {
    Ok(state.store.list(user_id, query).await?)
}

pub async fn unread_count(state: &AppState, user_id: &str) -> Result<UnreadCount, ApiError> {
    Ok(state.store.unread_count(user_id).await?)
}

/// Unread, unseen and total over the user's non-archived notifications of `kind`.
pub async fn counts(
    state: &AppState,
    user_id: &str,
    kind: Option<TypeFilter>,
) -> Result<Counts, ApiError> {
    Ok(state.store.counts(user_id, kind).await?)
}

/// The user's feed state (seq and counts), as a socket's first `unread_count` reports it.
pub async fn feed_state(state: &AppState, user_id: &str) -> Result<FeedState, ApiError> {
    Ok(state.store.feed_state(user_id).await?)
}

/// A change to one notification.
#[derive(Debug, Clone, Copy)]
enum OneChange {
    Read,
    Unread,
    Archive,
    Unarchive,
}

/// Makes `change` to the user's notification `id` in the store, then pushes the notification
/// as it is now with the counts (when it changed). 404 when the user has no such notification.
async fn change_one(
    state: &AppState,
    user_id: &str,
    id: &str,
    change: OneChange,
) -> Result<Notification, ApiError> {
    validation::notification_id("id", id)?;
    let _turn = state.turns.take(user_id).await;
    let store = &state.store;
    let marked = match change {
        OneChange::Read => store.mark_read(user_id, id).await?,
        OneChange::Unread => store.mark_unread(user_id, id).await?,
        OneChange::Archive => store.archive(user_id, id).await?,
        OneChange::Unarchive => store.unarchive(user_id, id).await?,
    }
    .ok_or_else(ApiError::not_found)?;
    report(state, user_id, &marked).await;
    Ok(marked.value)
}

/// Marks one read, and so seen.
pub async fn mark_read(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> Result<Notification, ApiError> {
    change_one(state, user_id, id, OneChange::Read).await
}

/// Marks one unread; it stays seen.
pub async fn mark_unread(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> Result<Notification, ApiError> {
    change_one(state, user_id, id, OneChange::Unread).await
}

/// Archives one: it leaves the default list and every count.
pub async fn archive(state: &AppState, user_id: &str, id: &str) -> Result<Notification, ApiError> {
    change_one(state, user_id, id, OneChange::Archive).await
}

/// Brings one back from the archive.
pub async fn unarchive(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> Result<Notification, ApiError> {
    change_one(state, user_id, id, OneChange::Unarchive).await
}

/// Marks every notification read, and so seen.
pub async fn mark_all_read(state: &AppState, user_id: &str) -> Result<Updated, ApiError> {
    let _turn = state.turns.take(user_id).await;
    let all = state.store.mark_all_read(user_id).await?;
    report(state, user_id, &all).await;
    Ok(Updated {
        updated: all.value.updated,
    })
}

/// Marks the user's notifications among `ids` seen (others' ids are ignored); each one that
/// changed is pushed.
pub async fn mark_seen(
    state: &AppState,
    user_id: &str,
    ids: Vec<String>,
) -> Result<Updated, ApiError> {
    let ids = validation::seen_ids(ids)?;
    let _turn = state.turns.take(user_id).await;
    let seen = state.store.mark_seen(user_id, &ids).await?;
    report(state, user_id, &seen).await;
    Ok(Updated {
        updated: seen.value.len() as u64,
    })
}

/// Marks every notification seen.
pub async fn mark_all_seen(state: &AppState, user_id: &str) -> Result<Updated, ApiError> {
    let _turn = state.turns.take(user_id).await;
    let all = state.store.mark_all_seen(user_id).await?;
    report(state, user_id, &all).await;
    Ok(Updated {
        updated: all.value.updated,
    })
}

pub async fn delete(state: &AppState, user_id: &str, id: &str) -> Result<(), ApiError> {
    validation::notification_id("id", id)?;
    let _turn = state.turns.take(user_id).await;
    let deleted = state
        .store
        .delete(user_id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    report(state, user_id, &deleted).await;
    Ok(())
}

/// Where a client resumes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// Nowhere: it only needs the current state.
    Start,
    /// After this change (`sinceSeq`, or a numeric SSE `Last-Event-ID`).
    Seq(u64),
    /// v1: after this notification id (`since`, or any other `Last-Event-ID`).
    Notification(String),
}

/// The feed state and what the client missed since `since`: the logged changes after a seq,
/// or v1's newer notifications (oldest first, at most 500 either way; `resync` beyond).
pub async fn catch_up(
    state: &AppState,
    user_id: &str,
    since: Since,
) -> Result<SubscribeResult, ApiError> {
    let result = |feed: FeedState, missed, changes, resync| SubscribeResult {
        unread_count: feed.unread_count.count,
        unseen_count: feed.unread_count.unseen,
        seq: feed.seq,
        missed,
        changes,
        resync,
    };
    Ok(match since {
        Since::Start => result(
            state.store.feed_state(user_id).await?,
            Vec::new(),
            None,
            false,
        ),
        Since::Seq(after) => {
            let replay = state
                .store
                .changes_since(user_id, after, limits::CATCH_UP_MAX)
                .await?;
            let resync = replay.changes.is_none();
            let changes = replay.changes.unwrap_or_default();
            result(replay.state, Vec::new(), Some(changes), resync)
        }
        Since::Notification(since) => {
            validation::notification_id("since", &since)?;
            let catch_up = state
                .store
                .since(user_id, &since, limits::CATCH_UP_MAX)
                .await?;
            // Read after the catch-up, so it covers at least everything in `missed`.
            let feed = state.store.feed_state(user_id).await?;
            result(feed, catch_up.missed, None, catch_up.truncated)
        }
    })
}
