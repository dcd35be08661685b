//! The embedded SQLite store: WAL mode, one writer thread that group-commits, pooled readers.
//!
//! SQLite allows one writer at a time, and each commit costs a WAL append. So all writes go
//! to a dedicated thread over a channel; it takes every job waiting, runs each in its own
//! savepoint (a failing job never undoes its neighbours) and commits them together. Reads run
//! on `spawn_blocking` with a pooled connection each, concurrently with the writer (WAL).
//!
//! Each user's unread, unseen and total counts live on their `feed_heads` row, kept by
//! triggers in the statement that changes a notification (migration 4), so the badge and
//! `/counts` of every type are one row to read.
//!
//! Nothing that can block runs on the async workers, with one bounded exception: reads of the
//! head row (the feed state read at every socket connect, the badge, `/counts` of every
//! type). Handing such a read to the blocking pool and back cost more CPU than the read itself
//! (about a quarter of a handshake's), so it is first tried in place, on a connection of its
//! own (opened once per worker) that never waits for a lock and that SQLite interrupts after
//! [`IN_PLACE_STEPS`] steps of its virtual machine, so an in-place read takes tens of µs at
//! most; a read that is interrupted or finds the database busy runs again on the blocking
//! pool.

use std::sync::{Arc, Mutex, mpsc};

use async_trait::async_trait;
use notify_bindings::{
    AllRead, AllSeen, Counts, Envelope, Notification, NotificationId, Page, ServerEvent,
    UnreadCount,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql, params, params_from_iter};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::filter::{self, Dialect};
use super::{
    AllMarkedRead, AllMarkedSeen, CatchUp, Changed, FeedState, ListQuery, NewNotification, Replay,
    Store, StoreError, StoreResult, TypeFilter, data_from_text, data_to_text, logged_text,
    migrations, next_id, now_rfc3339, page_of, replay_of, trim_below,
};

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;
/// How often the WAL is checkpointed.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);
/// The writer's page cache (negative = KiB): 64 MiB.
const WRITER_CACHE_KIB: i64 = -65_536;
/// Idle reader connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// SQLite VM steps an in-place read may take before it is handed to the blocking pool: far
/// more than a head row's lookup takes, about a thousand index entries' worth.
const IN_PLACE_STEPS: i32 = 4096;

const COLUMNS: &str = "id, user_id, type, title, message, data, is_read, created_at, read_at, \
                       is_seen, seen_at, is_archived, archived_at";

/// A write job: runs on the writer thread inside the open transaction (or is told the
/// transaction could not start), and returns what to do once the commit's outcome is known.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;
type Completion = Box<dyn FnOnce(StoreResult<()>) + Send>;

pub struct SqliteStore {
    path: Arc<str>,
    writer: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// Connections for in-place reads, at most one in use per async worker; all are kept, so
    /// workers never reopen one.
    in_place: Mutex<Vec<Connection>>,
    /// The newest id handed out, so ids keep increasing even if the clock steps back.
    last_id: Arc<Mutex<Uuid>>,
    _checkpointer: Checkpointer,
}

/// Copies the WAL back into the database every [`CHECKPOINT_INTERVAL`] on its own connection
/// (PASSIVE: it never blocks the writer or readers), until the store is dropped.
struct Checkpointer {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Checkpointer {
    fn start(path: &str) -> anyhow::Result<Self> {
        let conn = open_connection(path, false)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "SQLite checkpoint failed");
                    }
                }
            })?;
        Ok(Self { stop })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, and starts the writer thread.
    pub fn open(path: &str) -> anyhow::Result<Self> {
        let mut conn = open_connection(path, true)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // The writer never checkpoints inline (that stalled every queued write); the
        // checkpointer thread does, beside it. A large cache keeps hot pages from being re-read.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        migrations::migrate(&mut conn)?;
        let last: Option<String> =
            conn.query_row("SELECT MAX(id) FROM notifications", [], |r| r.get(0))?;
        let last_id = last
            .and_then(|id| Uuid::parse_str(&id).ok())
            .unwrap_or(Uuid::nil());
        let (writer, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(conn, jobs))?;
        let checkpointer = Checkpointer::start(path)?;
        tracing::info!(
            path,
            schema_version = migrations::latest_version(),
            "SQLite store open (WAL)"
        );
        Ok(Self {
            path: path.into(),
            writer,
            readers: Arc::default(),
            in_place: Mutex::default(),
            last_id: Arc::new(Mutex::new(last_id)),
            _checkpointer: checkpointer,
        })
    }

    /// Runs `f` on the writer thread in its own savepoint; resolves once committed.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Some(conn) => in_savepoint(conn, f),
                None => Err(StoreError::Unavailable(
                    "could not begin a transaction".into(),
                )),
            };
            Box::new(move |committed: StoreResult<()>| {
                let _ = reply.send(committed.and(result));
            })
        });
        self.writer
            .send(job)
            .map_err(|_| StoreError::Unavailable("writer thread stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("writer thread stopped".into()))?
    }

    /// Runs `f` in place when it is quick (see the module docs), else on the blocking pool.
    async fn read_quick<T: Send + 'static>(
        &self,
        f: impl Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        match self.try_in_place(&f) {
            Some(result) => result,
            None => self.read(f).await,
        }
    }

    /// `f` on an in-place connection; `None` when it was interrupted, found the database busy,
    /// or no connection could be opened.
    fn try_in_place<T>(
        &self,
        f: &impl Fn(&Connection) -> rusqlite::Result<T>,
    ) -> Option<StoreResult<T>> {
        let pooled = self
            .in_place
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_in_place(&self.path).ok()?,
        };
        let result = match f(&conn) {
            Ok(value) => Some(Ok(value)),
            Err(e) if is_interrupted_or_busy(&e) => None,
            Err(e) => Some(Err(classify(e))),
        };
        self.in_place
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        result
    }

    /// One statement of [`change_one`] on the writer thread.
    async fn change_one(
        &self,
        update: &'static str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        let (user_id, id) = (user_id.to_owned(), id.to_owned());
        self.write(move |conn| change_one(conn, update, &user_id, &id))
            .await
    }

    /// Runs `f` with a pooled read connection on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (path, readers) = (self.path.clone(), self.readers.clone());
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => open_connection(&path, false)
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?,
            };
            let result = f(&conn).map_err(classify);
            let mut idle = readers.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?
    }
}

fn open_connection(path: &str, create: bool) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn run_writer(conn: Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        let began = conn.execute_batch("BEGIN IMMEDIATE").map_err(classify);
        let open = began.is_ok().then_some(&conn);
        let completions: Vec<Completion> = batch.into_iter().map(|job| job(open)).collect();
        let committed = began.and_then(|()| {
            conn.execute_batch("COMMIT").map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                classify(e)
            })
        });
        if let Err(e) = &committed {
            tracing::error!(error = %e, "SQLite commit failed");
        }
        for complete in completions {
            complete(committed.clone());
        }
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    conn.execute_batch("SAVEPOINT job").map_err(classify)?;
    match f(conn) {
        Ok(value) => {
            conn.execute_batch("RELEASE job").map_err(classify)?;
            Ok(value)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            Err(classify(e))
        }
    }
}

/// A read connection for [`SqliteStore::try_in_place`]: it never waits for a lock, and is
/// interrupted after [`IN_PLACE_STEPS`] VM steps.
fn open_in_place(path: &str) -> rusqlite::Result<Connection> {
    let mut conn = open_connection(path, false)?;
    conn.busy_timeout(std::time::Duration::ZERO)?;
    conn.progress_handler(IN_PLACE_STEPS, Some(|| true))?;
    Ok(conn)
}

fn is_interrupted_or_busy(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode as C;
    matches!(
        e.sqlite_error_code(),
        Some(C::OperationInterrupted | C::DatabaseBusy | C::DatabaseLocked)
    )
}

fn classify(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(
            C::DatabaseBusy | C::DatabaseLocked | C::CannotOpen | C::DiskFull | C::SystemIoFailure,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Internal(e.to_string()),
    }
}

fn row_to_notification(row: &Row<'_>) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: row.get(0)?,
        user_id: row.get(1)?,
        kind: row.get(2)?,
        title: row.get(3)?,
        message: row.get(4)?,
        data: data_from_text(row.get(5)?),
        is_read: row.get(6)?,
        created_at: row.get(7)?,
        read_at: row.get(8)?,
        is_seen: row.get(9)?,
        seen_at: row.get(10)?,
        is_archived: row.get(11)?,
        archived_at: row.get(12)?,
    })
}

/// Unread and unseen among the user's non-archived notifications, as the head row keeps them
/// (see migration 4).
fn unread_count(conn: &Connection, user_id: &str) -> rusqlite::Result<UnreadCount> {
    Ok(feed_state(conn, user_id)?.unread_count)
}

/// Runs `update` (parameters: user, id and, when it takes one, now) on one notification, then
/// reads it back with the user's counts; `None` when the user has no such notification.
fn change_one(
    conn: &Connection,
    update: &str,
    user_id: &str,
    id: &str,
) -> rusqlite::Result<Option<Changed<Notification>>> {
    let mut statement = conn.prepare_cached(update)?;
    let now = now_rfc3339();
    let values: [&dyn ToSql; 3] = [&user_id, &id, &now];
    let taken = statement.parameter_count();
    let changed = statement.execute(&values[..taken])? > 0;
    let Some(notification) = find(conn, user_id, id)? else {
        return Ok(None);
    };
    let changes = record_if(conn, user_id, changed, || {
        ServerEvent::NotificationUpdated(notification.clone())
    })?;
    Ok(Some(Changed {
        value: notification,
        unread_count: unread_count(conn, user_id)?,
        changes,
    }))
}

/// Records one change of the user's feed, in the write that makes it: takes the user's next
/// seq and logs the event under it (trimming the log now and then). Every change goes
/// through here.
fn record(conn: &Connection, user_id: &str, event: ServerEvent) -> rusqlite::Result<Envelope> {
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO feed_heads (user_id, seq) VALUES (?1, 1)
             ON CONFLICT (user_id) DO UPDATE SET seq = seq + 1 RETURNING seq",
        )?
        .query_row([user_id], |row| row.get(0))?;
    conn.prepare_cached("INSERT INTO changes (user_id, seq, envelope) VALUES (?1, ?2, ?3)")?
        .execute(params![user_id, seq, logged_text(&event)])?;
    // Seqs start at 1 and only grow: never negative.
    let seq = seq as u64;
    if let Some(below) = trim_below(seq) {
        conn.prepare_cached("DELETE FROM changes WHERE user_id = ?1 AND seq <= ?2")?
            .execute(params![user_id, below as i64])?;
    }
    Ok(Envelope::change(seq, event))
}

/// [`record`]s the change `event` makes when the operation `changed` anything: its changes.
fn record_if(
    conn: &Connection,
    user_id: &str,
    changed: bool,
    event: impl FnOnce() -> ServerEvent,
) -> rusqlite::Result<Vec<Envelope>> {
    Ok(if changed {
        vec![record(conn, user_id, event())?]
    } else {
        Vec::new()
    })
}

/// A seq as SQLite's INTEGER (one beyond it is beyond every seq too).
fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// Counts from columns unread, unseen, total (all counted, so never negative).
fn row_to_counts(row: &Row<'_>) -> rusqlite::Result<Counts> {
    Ok(Counts {
        unread: row.get::<_, i64>(0)? as u64,
        unseen: row.get::<_, i64>(1)? as u64,
        total: row.get::<_, i64>(2)? as u64,
    })
}

/// Every count of the user as the head row keeps them (migration 4).
fn head_counts(conn: &Connection, user_id: &str) -> rusqlite::Result<Counts> {
    let counts = conn
        .prepare_cached("SELECT unread, unseen, total FROM feed_heads WHERE user_id = ?1")?
        .query_row([user_id], row_to_counts)
        .optional()?;
    Ok(counts.unwrap_or_default())
}

/// The user's head row: seq and counts, one row read (all zero while the user has none).
fn feed_state(conn: &Connection, user_id: &str) -> rusqlite::Result<FeedState> {
    let head = conn
        .prepare_cached("SELECT seq, unread, unseen FROM feed_heads WHERE user_id = ?1")?
        .query_row([user_id], |row| {
            Ok(FeedState {
                seq: row.get::<_, i64>(0)? as u64,
                unread_count: UnreadCount {
                    count: row.get::<_, i64>(1)? as u64,
                    unseen: row.get::<_, i64>(2)? as u64,
                },
            })
        })
        .optional()?;
    Ok(head.unwrap_or_default())
}

const MARK_READ: &str = "UPDATE notifications SET is_read = 1, read_at = ?3, is_seen = 1,
     seen_at = COALESCE(seen_at, ?3) WHERE user_id = ?1 AND id = ?2 AND is_read = 0";
const MARK_UNREAD: &str = "UPDATE notifications SET is_read = 0, read_at = NULL
     WHERE user_id = ?1 AND id = ?2 AND is_read = 1";
const ARCHIVE: &str = "UPDATE notifications SET is_archived = 1, archived_at = ?3
     WHERE user_id = ?1 AND id = ?2 AND is_archived = 0";
const UNARCHIVE: &str = "UPDATE notifications SET is_archived = 0, archived_at = NULL
     WHERE user_id = ?1 AND id = ?2 AND is_archived = 1";

fn find(conn: &Connection, user_id: &str, id: &str) -> rusqlite::Result<Option<Notification>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE user_id = ?1 AND id = ?2"
    ))?
    .query_row([user_id, id], row_to_notification)
    .optional()
}

#[async_trait]
impl Store for SqliteStore {
    async fn create(&self, new: NewNotification) -> StoreResult<Changed<Notification>> {
        // The id is taken on the writer thread, so ids increase in commit order: a reader that
        // has seen id N has seen every id below it (what `since` catch-ups rely on).
        let last_id = self.last_id.clone();
        self.write(move |conn| {
            let id = {
                let mut last = last_id.lock().unwrap_or_else(|e| e.into_inner());
                *last = next_id(*last);
                *last
            };
            let notification = new.stored(id);
            let data = data_to_text(&notification.data);
            conn.prepare_cached(
                "INSERT INTO notifications (id, user_id, type, title, message, data, is_read, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            )?
            .execute(params![
                notification.id,
                notification.user_id,
                notification.kind,
                notification.title,
                notification.message,
                data,
                notification.created_at
            ])?;
            let unread_count = unread_count(conn, &notification.user_id)?;
            let created = record(conn, &notification.user_id, ServerEvent::Notification(notification.clone()))?;
            Ok(Changed { value: notification, unread_count, changes: vec![created] })
        })
        .await
    }

    async fn list(&self, user_id: &str, query: ListQuery) -> StoreResult<Page> {
        let user_id = user_id.to_owned();
        self.read(move |conn| {
            let terms = filter::list_terms(&query, 4, Dialect::Sqlite);
            let sql = format!(
                "SELECT {COLUMNS} FROM notifications WHERE user_id = ?1 AND id < ?2{} ORDER BY id DESC LIMIT ?3",
                terms.sql
            );
            // Every id is below "~" (ids are hex and dashes), so no cursor means "from the top".
            let before = query.before.unwrap_or_else(|| "~".into());
            let limit = query.limit + 1;
            let mut values: Vec<&dyn ToSql> = vec![&user_id, &before, &limit];
            values.extend(terms.params.iter().map(|p| p as &dyn ToSql));
            let items = conn
                .prepare_cached(&sql)?
                .query_map(params_from_iter(values), row_to_notification)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(page_of(items, query.limit))
        })
        .await
    }

    async fn unread_count(&self, user_id: &str) -> StoreResult<UnreadCount> {
        let user_id = user_id.to_owned();
        self.read_quick(move |conn| unread_count(conn, &user_id))
            .await
    }

    async fn counts(&self, user_id: &str, kind: Option<TypeFilter>) -> StoreResult<Counts> {
        let user_id = user_id.to_owned();
        let Some(kind) = kind else {
            return self
                .read_quick(move |conn| head_counts(conn, &user_id))
                .await;
        };
        // One type or prefix: one pass over its range of the type index.
        self.read(move |conn| {
            let terms = filter::type_terms(Some(&kind), 2, Dialect::Sqlite);
            let sql = format!(
                "SELECT COALESCE(SUM(is_read = 0), 0), COALESCE(SUM(is_seen = 0), 0), COUNT(*)
                 FROM notifications WHERE user_id = ?1 AND is_archived = 0{}",
                terms.sql
            );
            let mut values: Vec<&dyn ToSql> = vec![&user_id];
            values.extend(terms.params.iter().map(|p| p as &dyn ToSql));
            conn.prepare_cached(&sql)?
                .query_row(params_from_iter(values), row_to_counts)
        })
        .await
    }

    async fn feed_state(&self, user_id: &str) -> StoreResult<FeedState> {
        let user_id = user_id.to_owned();
        self.read_quick(move |conn| feed_state(conn, &user_id))
            .await
    }

    async fn changes_since(&self, user_id: &str, after: u64, max: usize) -> StoreResult<Replay> {
        let user_id = user_id.to_owned();
        let (state, rows) = self
            .read(move |conn| {
                let snapshot = conn.unchecked_transaction()?;
                let state = feed_state(&snapshot, &user_id)?;
                let rows = snapshot
                    .prepare_cached(
                        "SELECT seq, envelope FROM changes WHERE user_id = ?1 AND seq > ?2
                         ORDER BY seq LIMIT ?3",
                    )?
                    .query_map(params![user_id, seq_param(after), max as i64 + 1], |row| {
                        Ok((row.get::<_, i64>(0)? as u64, row.get(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((state, rows))
            })
            .await?;
        replay_of(state, after, rows, max)
    }

    async fn mark_read(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(MARK_READ, user_id, id).await
    }

    async fn mark_unread(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(MARK_UNREAD, user_id, id).await
    }

    async fn archive(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(ARCHIVE, user_id, id).await
    }

    async fn unarchive(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(UNARCHIVE, user_id, id).await
    }

    async fn mark_all_read(&self, user_id: &str) -> StoreResult<Changed<AllMarkedRead>> {
        let user_id = user_id.to_owned();
        self.write(move |conn| {
            let read_at = now_rfc3339();
            let updated = conn
                .prepare_cached(
                    // Named: archived ones too, so the planner can't use the index's
                    // `is_archived` and would scan every notification of the user.
                    "UPDATE notifications INDEXED BY notifications_unread
                     SET is_read = 1, read_at = ?2, is_seen = 1, seen_at = COALESCE(seen_at, ?2)
                     WHERE user_id = ?1 AND is_read = 0",
                )?
                .execute(params![user_id, read_at])? as u64;
            let changes = record_if(conn, &user_id, updated > 0, || {
                ServerEvent::AllRead(AllRead {
                    read_at: read_at.clone(),
                })
            })?;
            let unread_count = unread_count(conn, &user_id)?;
            Ok(Changed {
                value: AllMarkedRead { updated, read_at },
                unread_count,
                changes,
            })
        })
        .await
    }

    async fn mark_seen(
        &self,
        user_id: &str,
        ids: &[String],
    ) -> StoreResult<Changed<Vec<Notification>>> {
        let (user_id, ids) = (user_id.to_owned(), ids.to_vec());
        self.write(move |conn| {
            let seen_at = now_rfc3339();
            let mut update = conn.prepare_cached(&format!(
                "UPDATE notifications SET is_seen = 1, seen_at = ?3
                 WHERE user_id = ?1 AND id = ?2 AND is_seen = 0 RETURNING {COLUMNS}"
            ))?;
            let mut changed = Vec::new();
            for id in &ids {
                if let Some(notification) = update
                    .query_row(params![user_id, id, seen_at], row_to_notification)
                    .optional()?
                {
                    changed.push(notification);
                }
            }
            changed.sort_by(|a, b| a.id.cmp(&b.id));
            let changes = changed
                .iter()
                .map(|n| record(conn, &user_id, ServerEvent::NotificationUpdated(n.clone())))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let unread_count = unread_count(conn, &user_id)?;
            Ok(Changed {
                value: changed,
                unread_count,
                changes,
            })
        })
        .await
    }

    async fn mark_all_seen(&self, user_id: &str) -> StoreResult<Changed<AllMarkedSeen>> {
        let user_id = user_id.to_owned();
        self.write(move |conn| {
            let seen_at = now_rfc3339();
            let updated = conn
                .prepare_cached(
                    // Named, as in `mark_all_read`.
                    "UPDATE notifications INDEXED BY notifications_unseen SET is_seen = 1, seen_at = ?2
                     WHERE user_id = ?1 AND is_seen = 0",
                )?
                .execute(params![user_id, seen_at])? as u64;
            let changes = record_if(conn, &user_id, updated > 0, || {
                ServerEvent::AllSeen(AllSeen {
                    seen_at: seen_at.clone(),
                })
            })?;
            let unread_count = unread_count(conn, &user_id)?;
            Ok(Changed {
                value: AllMarkedSeen { updated, seen_at },
                unread_count,
                changes,
            })
        })
        .await
    }

    async fn delete(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<()>>> {
        let (user_id, id) = (user_id.to_owned(), id.to_owned());
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached("DELETE FROM notifications WHERE user_id = ?1 AND id = ?2")?
                .execute([&user_id, &id])?;
            if deleted == 0 {
                return Ok(None);
            }
            let event = ServerEvent::NotificationDeleted(NotificationId { id: id.clone() });
            Ok(Some(Changed {
                value: (),
                unread_count: unread_count(conn, &user_id)?,
                changes: vec![record(conn, &user_id, event)?],
            }))
        })
        .await
    }

    async fn since(&self, user_id: &str, since: &str, max: usize) -> StoreResult<CatchUp> {
        let (user_id, since) = (user_id.to_owned(), since.to_owned());
        self.read(move |conn| {
            let mut missed = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM notifications WHERE user_id = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3"
                ))?
                .query_map(params![user_id, since, max as i64 + 1], row_to_notification)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let truncated = missed.len() > max;
            missed.truncate(max);
            Ok(CatchUp { missed, truncated })
        })
        .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await?;
        // The writer must be alive too: an empty write job proves it.
        self.write(|_| Ok(())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::state;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("n.db").to_str().unwrap()).unwrap();
        (dir, store)
    }

    fn new(user: &str, title: &str) -> NewNotification {
        NewNotification {
            user_id: user.into(),
            kind: "info".into(),
            title: title.into(),
            message: String::new(),
            data: None,
        }
    }

    fn page(limit: u32, before: Option<String>) -> ListQuery {
        ListQuery {
            limit,
            before,
            ..ListQuery::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_long_read_leaves_the_worker_and_the_badge_is_read_in_place() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let many = 3000;
        let creates = (0..many).map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.create(new("busy", &format!("n{i}"))).await })
        });
        for create in creates {
            create.await.unwrap().unwrap();
        }
        store.create(new("quiet", "one")).await.unwrap();
        // The badge of a large feed is one row: answered in place.
        let badge = |conn: &Connection| unread_count(conn, "busy");
        assert!(matches!(
            store.try_in_place(&badge),
            Some(Ok(UnreadCount { count, unseen })) if count == many && unseen == many
        ));
        // A short count is answered in place; a long one is interrupted there...
        let count = |user: &'static str| {
            move |conn: &Connection| {
                conn.query_row(
                    "SELECT COUNT(*) FROM notifications WHERE user_id = ?1",
                    [user],
                    |row| row.get::<_, i64>(0),
                )
            }
        };
        assert!(matches!(store.try_in_place(&count("quiet")), Some(Ok(1))));
        assert!(store.try_in_place(&count("busy")).is_none());
        // ...and runs in full on the blocking pool.
        assert_eq!(store.read(count("busy")).await.unwrap(), many as i64);
    }

    fn head(store: &SqliteStore, user: &str) -> FeedState {
        let conn = open_connection(&store.path, false).unwrap();
        feed_state(&conn, user).unwrap()
    }

    #[tokio::test]
    async fn a_version_3_database_gets_its_counters_from_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        {
            let mut conn = open_connection(path.to_str().unwrap(), true).unwrap();
            migrations::migrate_to(&mut conn, 3).unwrap();
            // (user, id, read, seen, archived): every combination the flags can hold.
            let rows = [
                ("ann", "01", 0, 0, 0),
                ("ann", "02", 0, 1, 0),
                ("ann", "03", 1, 1, 0),
                ("ann", "04", 0, 0, 1),
                ("ann", "05", 0, 1, 1),
                ("ann", "06", 1, 1, 1),
                ("ann", "07", 0, 0, 0),
                ("bob", "08", 0, 0, 1),
                ("bob", "09", 1, 1, 0),
            ];
            for (user, id, read, seen, archived) in rows {
                conn.execute(
                    "INSERT INTO notifications
                     (user_id, id, type, title, message, is_read, is_seen, is_archived, created_at)
                     VALUES (?1, ?2, 'info', 't', '', ?3, ?4, ?5, 'c')",
                    params![user, id, read, seen, archived],
                )
                .unwrap();
            }
            // Ann has a change log already; Cy's notifications were all deleted.
            conn.execute_batch(
                "INSERT INTO feed_heads (user_id, seq) VALUES ('ann', 12), ('cy', 3)",
            )
            .unwrap();
        }
        let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
        assert_eq!(head(&store, "ann"), state(12, 3, 2));
        assert_eq!(head(&store, "bob"), state(0, 0, 0));
        assert_eq!(head(&store, "cy"), state(3, 0, 0));
        assert_eq!(store.feed_state("nobody").await.unwrap(), state(0, 0, 0));
        let total = |counts: Counts| counts.total;
        assert_eq!(total(store.counts("ann", None).await.unwrap()), 4);
        assert_eq!(total(store.counts("bob", None).await.unwrap()), 1);
        // The counters move on from there, and the seq too.
        store.mark_read("ann", "01").await.unwrap();
        store.unarchive("bob", "08").await.unwrap();
        store.create(new("bob", "new")).await.unwrap();
        assert_eq!(store.feed_state("ann").await.unwrap(), state(13, 2, 1));
        assert_eq!(store.feed_state("bob").await.unwrap(), state(2, 2, 2));
        assert_eq!(total(store.counts("bob", None).await.unwrap()), 3);
    }

    #[tokio::test]
    async fn a_failing_job_leaves_the_counters_as_they_were() {
        let (_dir, store) = store();
        store.create(new("u", "kept")).await.unwrap();
        let failed = store
            .write(|conn| {
                conn.execute(
                    "INSERT INTO notifications (user_id, id, type, title, message, created_at)
                     VALUES ('u', 'x', 'info', 't', '', 'c')",
                    [],
                )?;
                conn.execute(
                    "UPDATE notifications SET is_read = 1 WHERE user_id = 'u'",
                    [],
                )?;
                conn.execute("INSERT INTO no_such_table VALUES (1)", [])
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(store.feed_state("u").await.unwrap(), state(1, 1, 1));
    }

    #[tokio::test]
    async fn create_list_and_paginate_newest_first() {
        let (_dir, store) = store();
        let mut ids = Vec::new();
        for i in 0..5 {
            let created = store.create(new("u1", &format!("n{i}"))).await.unwrap();
            assert_eq!(created.unread_count.count, i + 1);
            ids.push(created.value.id);
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
        let first = store.list("u1", page(2, None)).await.unwrap();
        assert_eq!(
            first
                .items
                .iter()
                .map(|n| n.title.as_str())
                .collect::<Vec<_>>(),
            ["n4", "n3"]
        );
        let second = store.list("u1", page(2, first.next_cursor)).await.unwrap();
        assert_eq!(
            second
                .items
                .iter()
                .map(|n| n.title.as_str())
                .collect::<Vec<_>>(),
            ["n2", "n1"]
        );
        let last = store.list("u1", page(2, second.next_cursor)).await.unwrap();
        assert_eq!(last.items.len(), 1);
        assert_eq!(last.next_cursor, None);
        assert!(
            store
                .list("u2", page(20, None))
                .await
                .unwrap()
                .items
                .is_empty()
        );
    }

    #[tokio::test]
    async fn reads_are_scoped_to_the_owner() {
        let (_dir, store) = store();
        let theirs = store.create(new("alice", "secret")).await.unwrap().value;
        assert_eq!(store.mark_read("bob", &theirs.id).await.unwrap(), None);
        assert_eq!(store.delete("bob", &theirs.id).await.unwrap(), None);
        assert_eq!(store.unread_count("alice").await.unwrap().count, 1);
        let marked = store.mark_read("alice", &theirs.id).await.unwrap().unwrap();
        assert!(!marked.changes.is_empty() && marked.value.is_read);
        assert!(marked.value.read_at.is_some());
        assert_eq!(marked.unread_count.count, 0);
        let again = store.mark_read("alice", &theirs.id).await.unwrap().unwrap();
        assert!(again.changes.is_empty());
    }

    #[tokio::test]
    async fn mark_all_delete_and_unread_filter() {
        let (_dir, store) = store();
        let a = store.create(new("u", "a")).await.unwrap().value;
        store.create(new("u", "b")).await.unwrap();
        store.mark_read("u", &a.id).await.unwrap();
        let unread = store
            .list(
                "u",
                ListQuery {
                    unread_only: true,
                    ..page(20, None)
                },
            )
            .await
            .unwrap();
        assert_eq!(unread.items.len(), 1);
        let all = store.mark_all_read("u").await.unwrap();
        assert_eq!(all.value.updated, 1);
        assert_eq!(store.unread_count("u").await.unwrap().count, 0);
        assert!(store.delete("u", &a.id).await.unwrap().is_some());
        assert_eq!(
            store.list("u", page(20, None)).await.unwrap().items.len(),
            1
        );
    }

    #[tokio::test]
    async fn since_returns_oldest_first_and_flags_truncation() {
        let (_dir, store) = store();
        let first = store.create(new("u", "0")).await.unwrap().value;
        for i in 1..6 {
            store.create(new("u", &i.to_string())).await.unwrap();
        }
        let catch_up = store.since("u", &first.id, 3).await.unwrap();
        assert_eq!(
            catch_up
                .missed
                .iter()
                .map(|n| n.title.as_str())
                .collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
        assert!(catch_up.truncated);
        let all = store.since("u", &first.id, 10).await.unwrap();
        assert_eq!(all.missed.len(), 5);
        assert!(!all.truncated);
    }

    #[tokio::test]
    async fn stores_strings_verbatim_and_data_as_json() {
        let (_dir, store) = store();
        let mut n = new(
            "u'; DROP TABLE notifications; --",
            "Robert'); DROP TABLE notifications;--",
        );
        n.data = serde_json::json!({"k": "' OR 1=1 --", "n": [1, 2]})
            .as_object()
            .cloned();
        let created = store.create(n.clone()).await.unwrap().value;
        let listed = store.list(&n.user_id, page(20, None)).await.unwrap().items;
        assert_eq!(listed, vec![created.clone()]);
        assert_eq!(created.title, n.title);
        assert_eq!(created.data, n.data);
    }

    #[tokio::test]
    async fn concurrent_writes_are_all_committed_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        {
            let store = Arc::new(SqliteStore::open(path.to_str().unwrap()).unwrap());
            let tasks: Vec<_> = (0..200)
                .map(|i| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        store
                            .create(new(&format!("u{}", i % 4), "x"))
                            .await
                            .unwrap()
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            store.ping().await.unwrap();
        }
        let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
        for user in 0..4 {
            assert_eq!(
                store.unread_count(&format!("u{user}")).await.unwrap().count,
                50
            );
        }
    }
}
