//! Storage of users' notifications behind a small trait, so that another engine (PostgreSQL)
//! can be added without touching the handlers.
//!
//! Every change to a user's feed is one operation here that returns what changed and the
//! user's unread and unseen counts as of that change, computed in the same transaction, so
//! the push that follows it never shows a stale count.

mod filter;
mod migrations;
mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use std::sync::Arc;

use async_trait::async_trait;
use notify_bindings::{Archived, Counts, Notification, Page, UnreadCount};
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

/// What a change left behind: its result and the user's counts afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<T> {
    pub value: T,
    pub unread_count: UnreadCount,
}

/// Result of a change to one notification (read, unread, archive, unarchive).
#[derive(Debug, Clone, PartialEq)]
pub struct Marked {
    /// The notification as it is now.
    pub notification: Notification,
    /// False when it already was in that state (nothing to push).
    pub changed: bool,
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
    /// Marks one read (and seen); `None` when the user has no such notification.
    async fn mark_read(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<Marked>>>;
    /// Marks one unread (it stays seen); `None` when the user has no such notification.
    async fn mark_unread(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<Marked>>>;
    /// Archives one, keeping its first `archivedAt`; `None` when the user has no such one.
    async fn archive(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<Marked>>>;
    /// Brings one back from the archive; `None` when the user has no such notification.
    async fn unarchive(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<Marked>>>;
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

/// A UUIDv7 greater than `last`, even if the clock stepped back since `last` was made.
pub(crate) fn next_id(last: Uuid) -> Uuid {
    Uuid::now_v7().max(Uuid::from_u128(last.as_u128() + 1))
}

/// Now, as the contract's timestamps: RFC 3339 UTC with milliseconds.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
