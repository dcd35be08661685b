//! The operations on a user's notifications, shared by REST and Socket.IO handlers: each
//! validates, changes the store, then pushes the change and the fresh unread count to every
//! live socket and SSE stream of that user. Changes of one user take turns (see `turns`).

use notify_bindings::{
    AllRead, AllSeen, Counts, CreateNotification, Notification, NotificationId, Page, ServerEvent,
    SubscribeResult, UnreadCount, Updated, limits,
};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{ListQuery, TypeFilter};
use crate::validation;

fn unread(counts: UnreadCount) -> ServerEvent {
    ServerEvent::UnreadCount(counts)
}

/// Stores a notification for `body.userId` and pushes it live. The caller must be allowed
/// to publish (checked where the request arrives).
pub async fn create(state: &AppState, body: CreateNotification) -> Result<Notification, ApiError> {
    let new = validation::new_notification(body)?;
    let _turn = state.turns.take(&new.user_id).await;
    let created = state.store.create(new).await?;
    state.metrics.notifications_created.inc();
    let notification = created.value;
    state
        .fanout
        .push(
            &notification.user_id,
            &[
                ServerEvent::Notification(notification.clone()),
                unread(created.unread_count),
            ],
        )
        .await;
    Ok(notification)
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
    let notification = marked.value.notification;
    if marked.value.changed {
        let events = [
            ServerEvent::NotificationUpdated(notification.clone()),
            unread(marked.unread_count),
        ];
        state.fanout.push(user_id, &events).await;
    }
    Ok(notification)
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
    if all.value.updated > 0 {
        let events = [
            ServerEvent::AllRead(AllRead {
                read_at: all.value.read_at,
            }),
            unread(all.unread_count),
        ];
        state.fanout.push(user_id, &events).await;
    }
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
    let updated = seen.value.len() as u64;
    if updated > 0 {
        let mut events: Vec<_> = seen
            .value
            .into_iter()
            .map(ServerEvent::NotificationUpdated)
            .collect();
        events.push(unread(seen.unread_count));
        state.fanout.push(user_id, &events).await;
    }
    Ok(Updated { updated })
}

/// Marks every notification seen.
pub async fn mark_all_seen(state: &AppState, user_id: &str) -> Result<Updated, ApiError> {
    let _turn = state.turns.take(user_id).await;
    let all = state.store.mark_all_seen(user_id).await?;
    if all.value.updated > 0 {
        let events = [
            ServerEvent::AllSeen(AllSeen {
                seen_at: all.value.seen_at,
            }),
            unread(all.unread_count),
        ];
        state.fanout.push(user_id, &events).await;
    }
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
    let events = [
        ServerEvent::NotificationDeleted(NotificationId { id: id.to_owned() }),
        unread(deleted.unread_count),
    ];
    state.fanout.push(user_id, &events).await;
    Ok(())
}

/// The unread and unseen counts and, with `since`, every newer notification (oldest first, at
/// most 500).
pub async fn catch_up(
    state: &AppState,
    user_id: &str,
    since: Option<&str>,
) -> Result<SubscribeResult, ApiError> {
    let (missed, resync) = match since.filter(|s| !s.is_empty()) {
        Some(since) => {
            validation::notification_id("since", since)?;
            let catch_up = state
                .store
                .since(user_id, since, limits::CATCH_UP_MAX)
                .await?;
            (catch_up.missed, catch_up.truncated)
        }
        None => (Vec::new(), false),
    };
    // Counted after the catch-up, so it covers at least everything in `missed`.
    let counts = state.store.unread_count(user_id).await?;
    Ok(SubscribeResult {
        unread_count: counts.count,
        unseen_count: counts.unseen,
        missed,
        resync,
    })
}
