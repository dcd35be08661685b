//! Storage of users' notifications behind a small trait, so that another engine (PostgreSQL)
//! can be added without touching the handlers.
//!
//! Every change to a user's feed is one operation here that returns what changed and the
//! user's unread and unseen counts as of that change, computed in the same transaction, so
//! the push that follows it never shows a stale count.
//!
//! Every change is also numbered and logged in that transaction: it takes the user's next
//! `seq` and its envelope goes to the user's change log, which `subscribe_notifications
//! {sinceSeq}` and SSE `Last-Event-ID` replay. An operation that changes nothing takes no seq.
//! The log keeps at least [`LOG_KEEP`] changes per user.

mod filter;
mod migrations;
mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use std::sync::Arc;

use async_trait::async_trait;
use notify_bindings::{Archived, Counts, Envelope, Notification, Page, ServerEvent, UnreadCount};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A validated notification to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub message: String,
    pub data: Option<Map<String, Value>>,
}

impl NewNotification {
    /// The notification this becomes once stored under `id`, created now, unread and unseen.
    pub(crate) fn stored(self, id: Uuid) -> Notification {
        Notification {
            id: id.to_string(),
            user_id: self.user_id,
            kind: self.kind,
            title: self.title,
            message: self.message,
            data: self.data,
            is_read: false,
            created_at: now_rfc3339(),
            read_at: None,
            is_seen: false,
            seen_at: None,
            is_archived: false,
            archived_at: None,
        }
    }
}

/// `data` as the JSON text both stores keep (text, not JSONB: byte-for-byte what was sent).
pub(crate) fn data_to_text(data: &Option<Map<String, Value>>) -> Option<String> {
    data.as_ref().map(|d| Value::Object(d.clone()).to_string())
}

/// `data` read back from its JSON text.
pub(crate) fn data_from_text(text: Option<String>) -> Option<Map<String, Value>> {
    text.and_then(|text| serde_json::from_str(&text).ok())
}

/// A page from a query that fetched `limit + 1` rows: the extra row only says there is more.
pub(crate) fn page_of(mut items: Vec<Notification>, limit: u32) -> Page {
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|n| n.id.clone())
    } else {
        None
    };
    Page { items, next_cursor }
}

/// A validated page request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: u32,
    pub before: Option<String>,
    pub unread_only: bool,
    pub unseen_only: bool,
    pub archived: Archived,
    pub kind: Option<TypeFilter>,
}

/// The `type` a list or count is narrowed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeFilter {
    /// Exactly this type.
    Exact(String),
    /// Types that start with this prefix, which ends with `.` (from `payment.*`: `payment.`).
    Prefix(String),
}

impl TypeFilter {
    /// The half-open range `[low, high)` of the types a prefix matches, compared bytewise: the
    /// prefix's final `.` becomes the next character, `/`.
    pub(crate) fn prefix_range(prefix: &str) -> (String, String) {
        let stem = prefix.strip_suffix('.').unwrap_or(prefix);
        (prefix.to_owned(), format!("{stem}/"))
    }
}

/// What an operation left behind: its result, the user's counts afterwards, and the changes
/// it made, each numbered and logged (none when nothing changed).
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<T> {
    pub value: T,
    pub unread_count: UnreadCount,
    pub changes: Vec<Envelope>,
}

/// The user's feed as of its newest change: that change's seq (0 before the first) and the
/// counts of that state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedState {
    pub seq: u64,
    pub unread_count: UnreadCount,
}

/// The changes after a seq, oldest first, with the state they lead to.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub state: FeedState,
    /// `None` when they can't all be given: more than the maximum are missing, the log no
    /// longer reaches back that far, or the seq is ahead of the state's.
    pub changes: Option<Vec<Envelope>>,
}

/// Result of marking everything read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllMarkedRead {
    pub updated: u64,
    pub read_at: String,
}

/// Result of marking everything seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllMarkedSeen {
    pub updated: u64,
    pub seen_at: String,
}

/// The notifications a client missed, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct CatchUp {
    pub missed: Vec<Notification>,
    /// More were missing than `missed` holds: the client must reload its first page.
    pub truncated: bool,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// The database can't be reached or is locked up; worth retrying later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else; details are logged, never shown to callers.
    #[error("store error: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A user's notifications. Every method is scoped by `user_id`: an id that belongs to another
/// user behaves exactly like an id that doesn't exist.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new notification with a fresh, time-ordered id.
    async fn create(&self, new: NewNotification) -> StoreResult<Changed<Notification>>;
    /// A page of the user's notifications, newest first.
    async fn list(&self, user_id: &str, query: ListQuery) -> StoreResult<Page>;
    /// The user's unread and unseen counts (not archived).
    async fn unread_count(&self, user_id: &str) -> StoreResult<UnreadCount>;
    /// Unread, unseen and total over the user's non-archived notifications of `kind`.
    async fn counts(&self, user_id: &str, kind: Option<TypeFilter>) -> StoreResult<Counts>;
    /// The user's feed state (seq and counts, read together).
    async fn feed_state(&self, user_id: &str) -> StoreResult<FeedState>;
    /// The logged changes after seq `after`, at most `max`, with the state they lead to.
    async fn changes_since(&self, user_id: &str, after: u64, max: usize) -> StoreResult<Replay>;
    /// Marks one read (and seen); `None` when the user has no such notification.
    async fn mark_read(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>>;
    /// Marks one unread (it stays seen); `None` when the user has no such notification.
    async fn mark_unread(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>>;
    /// Archives one, keeping its first `archivedAt`; `None` when the user has no such one.
    async fn archive(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<Notification>>>;
    /// Brings one back from the archive; `None` when the user has no such notification.
    async fn unarchive(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>>;
    /// Marks every notification of the user read (and seen).
    async fn mark_all_read(&self, user_id: &str) -> StoreResult<Changed<AllMarkedRead>>;
    /// Marks the user's notifications among `ids` seen: those that changed, as they are now,
    /// by id. Ids of other users' notifications are ignored.
    async fn mark_seen(
        &self,
        user_id: &str,
        ids: &[String],
    ) -> StoreResult<Changed<Vec<Notification>>>;
    /// Marks every notification of the user seen.
    async fn mark_all_seen(&self, user_id: &str) -> StoreResult<Changed<AllMarkedSeen>>;
    /// Deletes one; `None` when the user has no such notification.
    async fn delete(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<()>>>;
    /// The user's notifications newer than `since`, oldest first, at most `max`.
    async fn since(&self, user_id: &str, since: &str, max: usize) -> StoreResult<CatchUp>;
    /// Readiness: can the store answer a query?
    async fn ping(&self) -> StoreResult<()>;
}

/// Opens the store a `DATABASE_URL` names: `sqlite://PATH` or `postgres://...`.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresStore::open(url).await?));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|path| !path.is_empty())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "unsupported DATABASE_URL {url:?}: expected sqlite://PATH or postgres://..."
            )
        })?;
    Ok(Arc::new(SqliteStore::open(path)?))
}

/// Changes of each user the log keeps at least.
pub const LOG_KEEP: u64 = 1000;
/// The log of a user is trimmed when their seq reaches a multiple of this (cheap: most
/// changes delete nothing).
pub(crate) const TRIM_EVERY: u64 = 100;

/// The seq at or below which a user's log may be dropped once change `seq` is logged, if
/// this is a change that trims.
pub(crate) fn trim_below(seq: u64) -> Option<u64> {
    (seq.is_multiple_of(TRIM_EVERY) && seq > LOG_KEEP).then(|| seq - LOG_KEEP)
}

/// An event as the log stores it: the envelope without its seq (kept in its own column).
pub(crate) fn logged_text(event: &ServerEvent) -> String {
    // Serialising our own types to a string cannot fail.
    serde_json::to_string(event).unwrap_or_default()
}

/// The replay of the logged `(seq, envelope text)` rows read after seq `after` (at most
/// `max + 1` of them, oldest first) in the same snapshot as `state`.
pub(crate) fn replay_of(
    state: FeedState,
    after: u64,
    rows: Vec<(u64, String)>,
    max: usize,
) -> StoreResult<Replay> {
    // The rows have no gaps but a trimmed start: all are there when they are as many as missing.
    let missing = state.seq.checked_sub(after);
    let complete = missing == Some(rows.len() as u64) && rows.len() <= max;
    let changes = if complete {
        let changes = rows
            .into_iter()
            .map(|(seq, text)| {
                serde_json::from_str(&text)
                    .map(|event| Envelope::change(seq, event))
                    .map_err(|e| StoreError::Internal(format!("unreadable change {seq}: {e}")))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Some(changes)
    } else {
        None
    };
    Ok(Replay { state, changes })
}

/// A UUIDv7 greater than `last`, even if the clock stepped back since `last` was made.
pub(crate) fn next_id(last: Uuid) -> Uuid {
    Uuid::now_v7().max(Uuid::from_u128(last.as_u128() + 1))
}

/// Now, as the contract's timestamps: RFC 3339 UTC with milliseconds.
pub(crate) fn now_rfc3339() -> String {
    rfc3339(chrono::Utc::now())
}

/// A time as the contract writes it, e.g. `2026-11-25T17:00:00.000Z`.
pub(crate) fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use notify_bindings::NotificationId;

    fn row(seq: u64) -> (u64, String) {
        let event = ServerEvent::NotificationDeleted(NotificationId {
            id: format!("n{seq}"),
        });
        (seq, logged_text(&event))
    }

    /// The feed state of `seq` with `count` unread and `unseen` unseen.
    pub(crate) fn state(seq: u64, count: u64, unseen: u64) -> FeedState {
        FeedState {
            seq,
            unread_count: UnreadCount { count, unseen },
        }
    }

    fn seqs(replay: &Replay) -> Option<Vec<u64>> {
        let changes = replay.changes.as_ref()?;
        Some(changes.iter().map(|c| c.seq.unwrap()).collect())
    }

    #[test]
    fn replays_every_change_after_the_seq_in_order() {
        let replay = replay_of(state(5, 0, 0), 2, (3..=5).map(row).collect(), 500).unwrap();
        assert_eq!(seqs(&replay), Some(vec![3, 4, 5]));
        assert_eq!(
            replay.changes.unwrap()[0].event,
            ServerEvent::NotificationDeleted(NotificationId { id: "n3".into() })
        );
        let nothing_new = replay_of(state(5, 0, 0), 5, Vec::new(), 500).unwrap();
        assert_eq!(seqs(&nothing_new), Some(vec![]));
        let fresh_user = replay_of(state(0, 0, 0), 0, Vec::new(), 500).unwrap();
        assert_eq!(seqs(&fresh_user), Some(vec![]));
    }

    #[test]
    fn asks_for_a_resync_when_the_replay_cannot_be_complete() {
        // Ahead of the state.
        assert_eq!(
            seqs(&replay_of(state(5, 0, 0), 6, Vec::new(), 500).unwrap()),
            None
        );
        // The log was trimmed past `after`.
        let trimmed = replay_of(state(5, 0, 0), 1, (3..=5).map(row).collect(), 500).unwrap();
        assert_eq!(seqs(&trimmed), None);
        // More missing than `max`.
        let many = replay_of(state(5, 0, 0), 0, (1..=4).map(row).collect(), 3).unwrap();
        assert_eq!(seqs(&many), None);
        assert_eq!(many.state, state(5, 0, 0));
    }

    #[test]
    fn trims_every_hundredth_change_keeping_the_last_thousand() {
        assert_eq!(trim_below(1000), None);
        assert_eq!(trim_below(1050), None);
        assert_eq!(trim_below(1100), Some(100));
        assert_eq!(trim_below(2000), Some(1000));
    }
}
