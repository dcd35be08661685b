//! Storage of users' notifications behind a small trait, so that another engine (PostgreSQL)
//! can be added without touching the handlers.
//!
//! Every mutation returns the user's unread count as of that change, computed in the same
//! transaction, so the push that follows it never shows a stale count.

mod migrations;
mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use std::sync::Arc;

use async_trait::async_trait;
use notify_bindings::{Notification, Page};
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
    /// The notification this becomes once stored under `id`, created now and unread.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: u32,
    pub before: Option<String>,
    pub unread_only: bool,
}

/// What a change left behind: its result and the user's unread count afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<T> {
    pub value: T,
    pub unread_count: u64,
}

/// Result of marking one notification read.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkedRead {
    pub notification: Notification,
    /// False when it was already read (nothing to push).
    pub changed: bool,
}

/// Result of marking everything read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllMarkedRead {
    pub updated: u64,
    pub read_at: String,
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
    async fn unread_count(&self, user_id: &str) -> StoreResult<u64>;
    /// Marks one read; `None` when the user has no such notification.
    async fn mark_read(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<MarkedRead>>>;
    async fn mark_all_read(&self, user_id: &str) -> StoreResult<Changed<AllMarkedRead>>;
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
    rfc3339(chrono::Utc::now())
}

/// A time as the contract writes it, e.g. `2026-11-25T17:00:00.000Z`.
pub(crate) fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
