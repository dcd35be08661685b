//! The PostgreSQL store, for several server nodes sharing one database.
//!
//! Ids must increase in commit order per user even with several nodes writing, or a client
//! resuming `since` an id could skip a notification committed later with a smaller id. So each
//! create locks the user's row in `user_heads` (which holds the newest id handed out and the
//! counts), stores its id only when it is above that head, and commits; the next create
//! of that user waits for the lock. Every operation is one statement (data-modifying CTEs, in
//! autocommit) prepared once per pooled connection (`prepare_cached`): one round trip each,
//! and the unread, unseen and total counts (of notifications not archived) come from the head
//! row, never from counting (only the counts of one type do). A change
//! locks the notifications it changes in id order (`... ORDER BY id FOR UPDATE`), then the head
//! row, so that changes of one user on several nodes can't deadlock. The head row also holds
//! the user's change `seq`: a statement that changes the feed moves it on and logs each
//! change's envelope under its seq (see [`log_changes`]), so seqs follow commit order across
//! nodes too. Pool
//! timeouts are short, so a request fails fast with 503 while the database is unreachable,
//! and the pool reconnects by itself when it comes back.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Config, GenericClient, Pool, PoolConfig, Runtime, Timeouts};
use notify_bindings::{
    AllRead, AllSeen, Counts, Envelope, Notification, NotificationId, Page, ServerEvent,
    UnreadCount,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use super::filter::{self, Dialect};
use super::{
    AllMarkedRead, AllMarkedSeen, CatchUp, Changed, FeedState, LOG_KEEP, ListQuery,
    NewNotification, Replay, Store, StoreError, StoreResult, TRIM_EVERY, TypeFilter,
    data_from_text, data_to_text, logged_text, next_id, now_rfc3339, page_of, replay_of,
};

const COLUMNS: &str = "id, user_id, type, title, message, data, is_read, created_at, read_at, \
                       is_seen, seen_at, is_archived, archived_at";

/// Schema versions, applied in order under an advisory lock (nodes may start together).
const MIGRATIONS: &[&str] = &[
    // 1: notifications clustered by (user, id); ids compare bytewise (COLLATE "C").
    r#"CREATE TABLE notifications (
        user_id    TEXT COLLATE "C" NOT NULL,
        id         TEXT COLLATE "C" NOT NULL,
        type       TEXT NOT NULL,
        title      TEXT NOT NULL,
        message    TEXT NOT NULL,
        data       TEXT,
        is_read    BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TEXT NOT NULL,
        read_at    TEXT,
        PRIMARY KEY (user_id, id)
    );
    CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE NOT is_read;
    CREATE TABLE user_heads (
        user_id TEXT COLLATE "C" PRIMARY KEY,
        last_id TEXT COLLATE "C" NOT NULL
    );"#,
    // 2: each user's unread count kept beside the head, so no change counts rows.
    r#"ALTER TABLE user_heads ADD COLUMN unread BIGINT NOT NULL DEFAULT 0;
    UPDATE user_heads SET unread = (
        SELECT COUNT(*) FROM notifications n WHERE n.user_id = user_heads.user_id AND NOT n.is_read
    );"#,
    // 3: feed states (seen, archived); read ones count as seen. The head's `unread` and
    // `unseen` count only notifications not archived. Types compare bytewise, so a type prefix
    // is an index range; each index serves the pages and counts of one filter (see `filter`).
    r#"ALTER TABLE notifications
        ADD COLUMN is_seen BOOLEAN NOT NULL DEFAULT FALSE,
        ADD COLUMN seen_at TEXT,
        ADD COLUMN is_archived BOOLEAN NOT NULL DEFAULT FALSE,
        ADD COLUMN archived_at TEXT,
        ALTER COLUMN type TYPE TEXT COLLATE "C";
    UPDATE notifications SET is_seen = TRUE, seen_at = read_at WHERE is_read;
    DROP INDEX notifications_unread;
    CREATE INDEX notifications_unread ON notifications (user_id, is_archived, id) WHERE is_read = FALSE;
    CREATE INDEX notifications_unseen ON notifications (user_id, is_archived, id) WHERE is_seen = FALSE;
    CREATE INDEX notifications_archived ON notifications (user_id, is_archived, id);
    CREATE INDEX notifications_type ON notifications (user_id, type, id)
        INCLUDE (is_archived, is_read, is_seen);
    ALTER TABLE user_heads ADD COLUMN unseen BIGINT NOT NULL DEFAULT 0;
    UPDATE user_heads SET unseen = (
        SELECT COUNT(*) FROM notifications n
        WHERE n.user_id = user_heads.user_id AND NOT n.is_seen AND NOT n.is_archived
    );"#,
    // 4: the change log: the user's newest seq on the head row, each change's envelope.
    r#"ALTER TABLE user_heads ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
    CREATE TABLE changes (
        user_id  TEXT COLLATE "C" NOT NULL,
        seq      BIGINT NOT NULL,
        envelope TEXT NOT NULL,
        PRIMARY KEY (user_id, seq)
    );"#,
    // 5: the head also counts the user's notifications not archived, so `/counts` of every
    // type is the head row too.
    r#"ALTER TABLE user_heads ADD COLUMN total BIGINT NOT NULL DEFAULT 0;
    UPDATE user_heads SET total = (
        SELECT COUNT(*) FROM notifications n
        WHERE n.user_id = user_heads.user_id AND NOT n.is_archived
    );"#,
];

/// The CTEs that log the `count` changes a statement made (SQL expressions), given its CTE
/// `head` (the user's head row after `seq = seq + count`, `RETURNING seq`): one row per change
/// of `from`, with the seq `seq` and the envelope text `envelope` (SQL expressions over
/// `head` and `from`). Every change goes through here. When the seqs pass a multiple of
/// [`TRIM_EVERY`], the user's log is trimmed to the [`LOG_KEEP`] changes up to it.
fn log_changes(seq: &str, envelope: &str, from: &str, count: &str) -> String {
    format!(
        "logged AS (
            INSERT INTO changes (user_id, seq, envelope) SELECT $1, {seq}, {envelope} FROM {from}
        ), trimmed AS (
            DELETE FROM changes WHERE user_id = $1 AND seq <= (
                SELECT seq - seq % {TRIM_EVERY} FROM head WHERE seq % {TRIM_EVERY} < {count}
            ) - {LOG_KEEP}
        )"
    )
}

/// [`log_changes`] for a statement that made one change, whose envelope is `envelope`.
fn log_change(envelope: &str, from: &str) -> String {
    log_changes("head.seq", envelope, from, "1")
}

/// A `notifications` row as the contract's Notification JSON, to log what an update made of it
/// (the fields `Notification` serialises; `tests/changelog.rs` compares the two).
const NOTIFICATION_JSON: &str = "json_build_object('id', id, 'userId', user_id, 'type', type, \
    'title', title, 'message', message, 'data', data::json, 'isRead', is_read, \
    'createdAt', created_at, 'readAt', read_at, 'isSeen', is_seen, 'seenAt', seen_at, \
    'isArchived', is_archived, 'archivedAt', archived_at)";

/// The `notification_updated` envelope of the updated row `u` (which returned `json`).
const UPDATED_ENVELOPE: &str =
    "json_build_object('type', 'notification_updated', 'data', u.json)::text";

/// Stores a notification under the proposed id `$2` when it is above the user's newest, in
/// one statement, and logs its envelope `$8`. The upsert locks the user's head row until the
/// statement commits, so ids and seqs rise in commit order across nodes; a waiting create
/// sees the head its predecessor left. Returns `(unread, unseen, seq, NULL)` when stored, or
/// `(NULL, NULL, NULL, newest id)` when `$2` is not above it.
static CREATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
WITH head AS (
    INSERT INTO user_heads AS h (user_id, last_id, unread, unseen, total, seq)
    VALUES ($1, $2, 1, 1, 1, 1)
    ON CONFLICT (user_id) DO UPDATE
        SET last_id = EXCLUDED.last_id, unread = h.unread + 1, unseen = h.unseen + 1,
            total = h.total + 1, seq = h.seq + 1
        WHERE h.last_id < EXCLUDED.last_id
    RETURNING unread, unseen, seq
), stored AS (
    INSERT INTO notifications (id, user_id, type, title, message, data, is_read, created_at)
    SELECT $2, $1, $3, $4, $5, $6, FALSE, $7 FROM head
), {}
SELECT (SELECT unread FROM head), (SELECT unseen FROM head), (SELECT seq FROM head),
       CASE WHEN NOT EXISTS (SELECT 1 FROM head)
            THEN (SELECT last_id FROM user_heads WHERE user_id = $1) END"#,
        log_change("$8", "head")
    )
});

/// Tries of [`CREATE`] before giving up; a second one is needed only when another node's
/// clock ran ahead for this user.
const CREATE_ATTEMPTS: usize = 8;

/// The user's counts from the head row: unread, unseen, total.
const HEAD_COUNTS: &str = "SELECT COALESCE(MAX(unread), 0), COALESCE(MAX(unseen), 0),
     COALESCE(MAX(total), 0) FROM user_heads WHERE user_id = $1";

const FEED_STATE: &str = "SELECT unread, unseen, seq FROM user_heads WHERE user_id = $1";

/// The user's counts and seq, and the logged changes after seq `$2` (at most `$3`), all from
/// one snapshot: one row `(unread, unseen, seq, NULL, NULL)`, then `(NULL, NULL, NULL, seq,
/// envelope)` per change.
const CHANGES_SINCE: &str = r#"
WITH head AS (SELECT unread, unseen, seq FROM user_heads WHERE user_id = $1)
SELECT COALESCE((SELECT unread FROM head), 0), COALESCE((SELECT unseen FROM head), 0),
       COALESCE((SELECT seq FROM head), 0), NULL::BIGINT, NULL::TEXT
UNION ALL
(SELECT NULL, NULL, NULL, seq, envelope FROM changes WHERE user_id = $1 AND seq > $2
 ORDER BY seq LIMIT $3)"#;

/// How a notification counts in the head: 1 when unread (or unseen) and not archived.
fn counted(flag: &str, archived: &str) -> String {
    format!("(NOT {flag} AND NOT {archived})::int")
}

/// Changes one notification (`$1` user, `$2` id, `$3` now if the change names it) with the
/// `SET` clause `set` where `guard` holds, in one statement, logging the change: the
/// notification as it is now, the head's unread and unseen counts, and the change's seq (NULL
/// when nothing changed); no row when the user has no such notification. The notification is locked first (`old`, which the update joins so that
/// it runs first), so the head moves by exactly how its counted state changed, even when
/// another node changes it at the same moment.
fn change_one(set: &str, guard: &str) -> String {
    let unread_now = counted("u.is_read", "u.is_archived");
    let unread_before = counted("o.was_read", "o.was_archived");
    let unseen_now = counted("u.is_seen", "u.is_archived");
    let unseen_before = counted("o.was_seen", "o.was_archived");
    let total_delta = "(NOT u.is_archived)::int - (NOT o.was_archived)::int";
    format!(
        r#"
WITH old AS (
    SELECT is_read AS was_read, is_seen AS was_seen, is_archived AS was_archived
    FROM notifications WHERE user_id = $1 AND id = $2 FOR UPDATE
), updated AS (
    UPDATE notifications SET {set}
    FROM old
    WHERE user_id = $1 AND id = $2 AND {guard}
    RETURNING {COLUMNS}, {NOTIFICATION_JSON} AS json
), head AS (
    UPDATE user_heads h
    SET unread = h.unread + {unread_now} - {unread_before},
        unseen = h.unseen + {unseen_now} - {unseen_before},
        total = h.total + {total_delta}, seq = h.seq + 1
    FROM updated u, old o
    WHERE h.user_id = $1
    RETURNING h.unread, h.unseen, h.seq
), {log}
SELECT {COLUMNS}, head.unread, head.unseen, head.seq FROM updated u, head
UNION ALL
SELECT {COLUMNS}, COALESCE(h.unread, 0), COALESCE(h.unseen, 0), NULL
FROM notifications LEFT JOIN user_heads h USING (user_id)
WHERE user_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM updated)"#,
        log = log_change(UPDATED_ENVELOPE, "head, updated u")
    )
}

/// Marks `$2` read (and seen) at `$3`.
static MARK_READ: LazyLock<String> = LazyLock::new(|| {
    change_one(
        "is_read = TRUE, read_at = $3, is_seen = TRUE, seen_at = COALESCE(seen_at, $3)",
        "NOT is_read",
    )
});
/// Marks `$2` unread; it stays seen.
static MARK_UNREAD: LazyLock<String> =
    LazyLock::new(|| change_one("is_read = FALSE, read_at = NULL", "is_read"));
/// Archives `$2` at `$3`.
static ARCHIVE: LazyLock<String> =
    LazyLock::new(|| change_one("is_archived = TRUE, archived_at = $3", "NOT is_archived"));
/// Brings `$2` back from the archive.
static UNARCHIVE: LazyLock<String> =
    LazyLock::new(|| change_one("is_archived = FALSE, archived_at = NULL", "is_archived"));

/// Marks all of the user's notifications read (and seen) at `$2`, logging the envelope `$3`:
/// how many changed, the counts left (creates that committed meanwhile stay unread and
/// counted), and the change's seq (NULL when none changed). The unread ones are locked first
/// (`old`), so the head loses exactly the unseen ones among them.
static MARK_ALL_READ: LazyLock<String> = LazyLock::new(|| {
    let unread = counted("o.is_read", "o.is_archived");
    let unseen = counted("o.is_seen", "o.is_archived");
    format!(
        r#"
WITH old AS (
    SELECT id, is_read, is_seen, is_archived FROM notifications
    WHERE user_id = $1 AND is_read = FALSE ORDER BY id FOR UPDATE
), updated AS (
    UPDATE notifications SET is_read = TRUE, read_at = $2, is_seen = TRUE,
                             seen_at = COALESCE(seen_at, $2)
    WHERE user_id = $1 AND id IN (SELECT id FROM old) AND is_read = FALSE
    RETURNING id
), gone AS (
    SELECT COUNT(*) AS n, COALESCE(SUM({unread}), 0) AS unread,
           COALESCE(SUM({unseen}), 0) AS unseen
    FROM updated u JOIN old o ON o.id = u.id
), head AS (
    UPDATE user_heads SET unread = unread - (SELECT unread FROM gone),
                          unseen = unseen - (SELECT unseen FROM gone), seq = seq + 1
    WHERE user_id = $1 AND EXISTS (SELECT 1 FROM updated)
    RETURNING unread, unseen, seq
), {log}
SELECT (SELECT n FROM gone),
       COALESCE((SELECT unread FROM head), (SELECT unread FROM user_heads WHERE user_id = $1), 0),
       COALESCE((SELECT unseen FROM head), (SELECT unseen FROM user_heads WHERE user_id = $1), 0),
       (SELECT seq FROM head)"#,
        log = log_change("$3", "head")
    )
});

/// Marks the user's notifications among `$2` seen at `$3`, logging one change per
/// notification that changed (seqs in id order): those that changed, each with the counts
/// left and its seq (the counts the same on every row); when none changed, one row of NULLs
/// with the counts.
static MARK_SEEN: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
WITH old AS (
    SELECT id FROM notifications WHERE user_id = $1 AND id = ANY($2) AND is_seen = FALSE
    ORDER BY id FOR UPDATE
), updated AS (
    UPDATE notifications SET is_seen = TRUE, seen_at = $3
    WHERE user_id = $1 AND id IN (SELECT id FROM old) AND is_seen = FALSE
    RETURNING {COLUMNS}, {NOTIFICATION_JSON} AS json
), head AS (
    UPDATE user_heads SET unseen = unseen - (SELECT COUNT(*) FROM updated WHERE NOT is_archived),
                          seq = seq + (SELECT COUNT(*) FROM updated)
    WHERE user_id = $1 AND EXISTS (SELECT 1 FROM updated)
    RETURNING unread, unseen, seq
), numbered AS (
    SELECT u.*, (SELECT seq FROM head) - (SELECT COUNT(*) FROM updated)
                + ROW_NUMBER() OVER (ORDER BY u.id) AS change_seq
    FROM updated u
), {log}
SELECT {COLUMNS}, c.unread, c.unseen, change_seq
FROM (SELECT
    COALESCE((SELECT unread FROM head), (SELECT unread FROM user_heads WHERE user_id = $1), 0),
    COALESCE((SELECT unseen FROM head), (SELECT unseen FROM user_heads WHERE user_id = $1), 0)
) AS c (unread, unseen)
LEFT JOIN numbered u ON TRUE
ORDER BY u.id"#,
        log = log_changes(
            "u.change_seq",
            UPDATED_ENVELOPE,
            "numbered u",
            "(SELECT COUNT(*) FROM updated)"
        )
    )
});

/// Marks all of the user's notifications seen at `$2`, logging the envelope `$3`: how many
/// changed, the counts left, and the change's seq (NULL when none changed).
static MARK_ALL_SEEN: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
WITH old AS (
    SELECT id FROM notifications WHERE user_id = $1 AND is_seen = FALSE ORDER BY id FOR UPDATE
), updated AS (
    UPDATE notifications SET is_seen = TRUE, seen_at = $2
    WHERE user_id = $1 AND id IN (SELECT id FROM old) AND is_seen = FALSE
    RETURNING is_archived
), head AS (
    UPDATE user_heads SET unseen = unseen - (SELECT COUNT(*) FROM updated WHERE NOT is_archived),
                          seq = seq + 1
    WHERE user_id = $1 AND EXISTS (SELECT 1 FROM updated)
    RETURNING unread, unseen, seq
), {log}
SELECT (SELECT COUNT(*) FROM updated),
       COALESCE((SELECT unread FROM head), (SELECT unread FROM user_heads WHERE user_id = $1), 0),
       COALESCE((SELECT unseen FROM head), (SELECT unseen FROM user_heads WHERE user_id = $1), 0),
       (SELECT seq FROM head)"#,
        log = log_change("$3", "head")
    )
});

/// Deletes `$2`, logging the envelope `$3`: the counts left and the change's seq, or no row
/// when the user has no such notification.
static DELETE: LazyLock<String> = LazyLock::new(|| {
    let unread = counted("d.is_read", "d.is_archived");
    let unseen = counted("d.is_seen", "d.is_archived");
    format!(
        r#"
WITH deleted AS (
    DELETE FROM notifications WHERE user_id = $1 AND id = $2
    RETURNING is_read, is_seen, is_archived
), head AS (
    UPDATE user_heads h SET unread = h.unread - {unread}, unseen = h.unseen - {unseen},
                            total = h.total - (NOT d.is_archived)::int, seq = h.seq + 1
    FROM deleted d
    WHERE h.user_id = $1
    RETURNING h.unread, h.unseen, h.seq
), {log}
SELECT unread, unseen, seq FROM head"#,
        log = log_change("$3", "head")
    )
});

/// Connection attempts at startup, a second apart.
const STARTUP_ATTEMPTS: u32 = 30;

/// Arbitrary key of the advisory lock that serialises migrations across nodes.
const MIGRATION_LOCK: i64 = 0x6e6f_7469_6679;

pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects (`postgres://user:pass@host:port/db`) and migrates.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let store = Self::connect(url)?;
        // The database may still be starting (containers started together): retry a while.
        let mut attempt = 0;
        while let Err(e) = store.migrate(MIGRATIONS.len()).await {
            attempt += 1;
            anyhow::ensure!(
                attempt < STARTUP_ATTEMPTS,
                "PostgreSQL is not reachable: {e:#}"
            );
            tracing::warn!(error = %e, attempt, "PostgreSQL not ready yet; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tracing::info!(schema_version = MIGRATIONS.len(), "PostgreSQL store ready");
        Ok(store)
    }

    /// The store over a pool for `url`, which connects on first use.
    fn connect(url: &str) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.url = Some(url.to_owned());
        let timeout = Some(Duration::from_secs(3));
        config.pool = Some(PoolConfig {
            max_size: 16,
            timeouts: Timeouts {
                wait: timeout,
                create: timeout,
                recycle: timeout,
            },
            ..PoolConfig::default()
        });
        let pool = config.create_pool(Some(Runtime::Tokio1), NoTls)?;
        Ok(Self { pool })
    }

    /// Brings the schema up to `version` (tests build databases of earlier versions with it).
    async fn migrate(&self, version: usize) -> anyhow::Result<()> {
        let mut client = self.pool.get().await?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let result = async {
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY)",
                )
                .await?;
            let current: i32 = client
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )
                .await?
                .get(0);
            let wanted = MIGRATIONS[..version].iter().enumerate();
            for (index, sql) in wanted.skip(current as usize) {
                let tx = client.transaction().await?;
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[&(index as i32 + 1)],
                )
                .await?;
                tx.commit().await?;
                tracing::info!(version = index + 1, "applied PostgreSQL migration");
            }
            anyhow::Ok(())
        }
        .await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await?;
        result
    }

    /// One [`change_one`] statement: the notification as it is now, the counts, and the change
    /// it made if any; `None` when the user has no such notification.
    async fn change_one(
        &self,
        sql: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await?;
        let now = now_rfc3339();
        let values: [&(dyn ToSql + Sync); 3] = [&user_id, &id, &now];
        let row = client
            .query_opt(&statement, &values[..statement.params().len()])
            .await?;
        Ok(row.map(|row| {
            let notification = to_notification(&row);
            let changes = row
                .get::<_, Option<i64>>(15)
                .map(|seq| change(seq, ServerEvent::NotificationUpdated(notification.clone())))
                .into_iter()
                .collect();
            Changed {
                value: notification,
                unread_count: counts_at(&row, 13),
                changes,
            }
        }))
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        classify(e)
    }
}

fn classify(e: tokio_postgres::Error) -> StoreError {
    // No SQLSTATE means the connection itself failed.
    match e.code() {
        None => StoreError::Unavailable(e.to_string()),
        Some(code) if code.code().starts_with("08") || code.code().starts_with("57") => {
            StoreError::Unavailable(e.to_string())
        }
        Some(_) => StoreError::Internal(e.to_string()),
    }
}

fn to_notification(row: &Row) -> Notification {
    Notification {
        id: row.get(0),
        user_id: row.get(1),
        kind: row.get(2),
        title: row.get(3),
        message: row.get(4),
        data: data_from_text(row.get(5)),
        is_read: row.get(6),
        created_at: row.get(7),
        read_at: row.get(8),
        is_seen: row.get(9),
        seen_at: row.get(10),
        is_archived: row.get(11),
        archived_at: row.get(12),
    }
}

/// The envelope of the change numbered `seq` (a BIGINT, never negative).
fn change(seq: i64, event: ServerEvent) -> Envelope {
    Envelope::change(seq as u64, event)
}

/// The changes of a statement that made at most one, whose seq is in column `at`.
fn change_in(row: &Row, at: usize, event: ServerEvent) -> Vec<Envelope> {
    row.get::<_, Option<i64>>(at)
        .map(|seq| change(seq, event))
        .into_iter()
        .collect()
}

/// Unread, unseen and total in the first three columns.
fn counts_of(row: &Row) -> Counts {
    Counts {
        unread: row.get::<_, i64>(0) as u64,
        unseen: row.get::<_, i64>(1) as u64,
        total: row.get::<_, i64>(2) as u64,
    }
}

/// The unread and unseen counts in columns `at` and `at + 1`.
fn counts_at(row: &Row, at: usize) -> UnreadCount {
    UnreadCount {
        count: row.get::<_, i64>(at) as u64,
        unseen: row.get::<_, i64>(at + 1) as u64,
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn create(&self, new: NewNotification) -> StoreResult<Changed<Notification>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(&CREATE).await?;
        let mut notification = new.stored(next_id(Uuid::nil()));
        let data = data_to_text(&notification.data);
        for _ in 0..CREATE_ATTEMPTS {
            let created = ServerEvent::Notification(notification.clone());
            let row = client
                .query_one(
                    &statement,
                    &[
                        &notification.user_id,
                        &notification.id,
                        &notification.kind,
                        &notification.title,
                        &notification.message,
                        &data,
                        &notification.created_at,
                        &logged_text(&created),
                    ],
                )
                .await?;
            if let (Some(unread), Some(unseen), Some(seq)) = (
                row.get::<_, Option<i64>>(0),
                row.get::<_, Option<i64>>(1),
                row.get(2),
            ) {
                return Ok(Changed {
                    value: notification,
                    unread_count: UnreadCount {
                        count: unread as u64,
                        unseen: unseen as u64,
                    },
                    changes: vec![change(seq, created)],
                });
            }
            // Another create of this user holds a newer id: go past it and try again.
            let head: Option<String> = row.get(3);
            let last = head
                .and_then(|h| Uuid::parse_str(&h).ok())
                .unwrap_or_default();
            notification.id = next_id(last).to_string();
        }
        Err(StoreError::Internal(format!(
            "no id above the user's newest after {CREATE_ATTEMPTS} attempts"
        )))
    }

    async fn list(&self, user_id: &str, query: ListQuery) -> StoreResult<Page> {
        let client = self.client().await?;
        let terms = filter::list_terms(&query, 4, Dialect::Postgres);
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND id < $2{} ORDER BY id DESC LIMIT $3",
            terms.sql
        );
        let before = query.before.unwrap_or_else(|| "~".into());
        let limit = i64::from(query.limit) + 1;
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![&user_id, &before, &limit];
        values.extend(terms.params.iter().map(|p| p as &(dyn ToSql + Sync)));
        let rows = client
            .query(&client.prepare_cached(&sql).await?, &values)
            .await?;
        Ok(page_of(
            rows.iter().map(to_notification).collect(),
            query.limit,
        ))
    }

    async fn unread_count(&self, user_id: &str) -> StoreResult<UnreadCount> {
        let client = self.client().await?;
        let row = client
            .query_one(&client.prepare_cached(HEAD_COUNTS).await?, &[&user_id])
            .await?;
        Ok(counts_at(&row, 0))
    }

    async fn counts(&self, user_id: &str, kind: Option<TypeFilter>) -> StoreResult<Counts> {
        let client = self.client().await?;
        if kind.is_none() {
            let row = client
                .query_one(&client.prepare_cached(HEAD_COUNTS).await?, &[&user_id])
                .await?;
            return Ok(counts_of(&row));
        }
        let terms = filter::type_terms(kind.as_ref(), 2, Dialect::Postgres);
        let sql = format!(
            "SELECT COUNT(*) FILTER (WHERE is_read = FALSE), COUNT(*) FILTER (WHERE is_seen = FALSE),
                    COUNT(*)
             FROM notifications WHERE user_id = $1 AND is_archived = FALSE{}",
            terms.sql
        );
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![&user_id];
        values.extend(terms.params.iter().map(|p| p as &(dyn ToSql + Sync)));
        let row = client
            .query_one(&client.prepare_cached(&sql).await?, &values)
            .await?;
        Ok(counts_of(&row))
    }

    async fn feed_state(&self, user_id: &str) -> StoreResult<FeedState> {
        let client = self.client().await?;
        let row = client
            .query_opt(&client.prepare_cached(FEED_STATE).await?, &[&user_id])
            .await?;
        Ok(row.map_or_else(FeedState::default, |row| FeedState {
            seq: row.get::<_, i64>(2) as u64,
            unread_count: counts_at(&row, 0),
        }))
    }

    async fn changes_since(&self, user_id: &str, after: u64, max: usize) -> StoreResult<Replay> {
        let client = self.client().await?;
        let rows = client
            .query(
                &client.prepare_cached(CHANGES_SINCE).await?,
                &[
                    &user_id,
                    &i64::try_from(after).unwrap_or(i64::MAX),
                    &(max as i64 + 1),
                ],
            )
            .await?;
        let mut state = FeedState::default();
        let mut changes = Vec::new();
        for row in &rows {
            match row.get::<_, Option<i64>>(3) {
                Some(seq) => changes.push((seq as u64, row.get(4))),
                None => {
                    state = FeedState {
                        seq: row.get::<_, i64>(2) as u64,
                        unread_count: counts_at(row, 0),
                    }
                }
            }
        }
        changes.sort_by_key(|(seq, _)| *seq);
        replay_of(state, after, changes, max)
    }

    async fn mark_read(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(&MARK_READ, user_id, id).await
    }

    async fn mark_unread(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(&MARK_UNREAD, user_id, id).await
    }

    async fn archive(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(&ARCHIVE, user_id, id).await
    }

    async fn unarchive(
        &self,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Changed<Notification>>> {
        self.change_one(&UNARCHIVE, user_id, id).await
    }

    async fn mark_all_read(&self, user_id: &str) -> StoreResult<Changed<AllMarkedRead>> {
        let client = self.client().await?;
        let read_at = now_rfc3339();
        let all_read = ServerEvent::AllRead(AllRead {
            read_at: read_at.clone(),
        });
        let row = client
            .query_one(
                &client.prepare_cached(&MARK_ALL_READ).await?,
                &[&user_id, &read_at, &logged_text(&all_read)],
            )
            .await?;
        Ok(Changed {
            value: AllMarkedRead {
                updated: row.get::<_, i64>(0) as u64,
                read_at,
            },
            unread_count: counts_at(&row, 1),
            changes: change_in(&row, 3, all_read),
        })
    }

    async fn mark_seen(
        &self,
        user_id: &str,
        ids: &[String],
    ) -> StoreResult<Changed<Vec<Notification>>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &client.prepare_cached(&MARK_SEEN).await?,
                &[&user_id, &ids, &now_rfc3339()],
            )
            .await?;
        let unread_count = rows
            .first()
            .map(|row| counts_at(row, 13))
            .unwrap_or_default();
        let (changed, changes) = rows
            .iter()
            .filter(|row| row.get::<_, Option<String>>(0).is_some())
            .map(|row| {
                let notification = to_notification(row);
                let updated = ServerEvent::NotificationUpdated(notification.clone());
                (notification, change(row.get(15), updated))
            })
            .unzip();
        Ok(Changed {
            value: changed,
            unread_count,
            changes,
        })
    }

    async fn mark_all_seen(&self, user_id: &str) -> StoreResult<Changed<AllMarkedSeen>> {
        let client = self.client().await?;
        let seen_at = now_rfc3339();
        let all_seen = ServerEvent::AllSeen(AllSeen {
            seen_at: seen_at.clone(),
        });
        let row = client
            .query_one(
                &client.prepare_cached(&MARK_ALL_SEEN).await?,
                &[&user_id, &seen_at, &logged_text(&all_seen)],
            )
            .await?;
        Ok(Changed {
            value: AllMarkedSeen {
                updated: row.get::<_, i64>(0) as u64,
                seen_at,
            },
            unread_count: counts_at(&row, 1),
            changes: change_in(&row, 3, all_seen),
        })
    }

    async fn delete(&self, user_id: &str, id: &str) -> StoreResult<Option<Changed<()>>> {
        let client = self.client().await?;
        let deleted = ServerEvent::NotificationDeleted(NotificationId { id: id.to_owned() });
        let row = client
            .query_opt(
                &client.prepare_cached(&DELETE).await?,
                &[&user_id, &id, &logged_text(&deleted)],
            )
            .await?;
        Ok(row.map(|row| Changed {
            value: (),
            unread_count: counts_at(&row, 0),
            changes: vec![change(row.get(2), deleted)],
        }))
    }

    async fn since(&self, user_id: &str, since: &str, max: usize) -> StoreResult<CatchUp> {
        let client = self.client().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND id > $2 ORDER BY id ASC LIMIT $3"
        );
        let rows = client
            .query(
                &client.prepare_cached(&sql).await?,
                &[&user_id, &since, &(max as i64 + 1)],
            )
            .await
            .map_err(classify)?;
        let mut missed: Vec<Notification> = rows.iter().map(to_notification).collect();
        let truncated = missed.len() > max;
        missed.truncate(max);
        Ok(CatchUp { missed, truncated })
    }

    async fn ping(&self) -> StoreResult<()> {
        let client = self.client().await?;
        client.query_one("SELECT 1", &[]).await.map_err(classify)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::state;
    use notify_testkit::services::Postgres;

    /// An id from before any made now (a UUIDv7 of 1970), `n` its last digits.
    fn legacy_id(n: u32) -> String {
        format!("00000000-0000-7000-8000-{n:012}")
    }

    /// A database at migration 2 with notifications read and unread, its heads counting them,
    /// brought to the current schema: counts kept (and totals counted), read ones seen (at
    /// their read time), nothing archived, seqs from 0, and every operation working on from
    /// there.
    #[tokio::test]
    async fn a_version_2_database_with_rows_migrates_to_the_current_schema() {
        let postgres = Postgres::start();
        let old = PostgresStore::connect(&postgres.url()).unwrap();
        old.migrate(2).await.unwrap();
        let insert = format!(
            "INSERT INTO notifications (user_id, id, type, title, message, data, is_read,
                                        created_at, read_at)
             VALUES ('ann', '{a1}', 'payment.sent', 't1', 'm', NULL, FALSE, 'c1', NULL),
                    ('ann', '{a2}', 'payment.sent', 't2', 'm', '{{\"k\":1}}', TRUE, 'c2', 'r2'),
                    ('ann', '{a3}', 'info', 't3', 'm', NULL, FALSE, 'c3', NULL),
                    ('ann', '{a4}', 'info', 't4', 'm', NULL, TRUE, 'c4', 'r4'),
                    ('bob', '{b5}', 'info', 't5', 'm', NULL, FALSE, 'c5', NULL);
             INSERT INTO user_heads (user_id, last_id, unread)
             VALUES ('ann', '{a4}', 2), ('bob', '{b5}', 1), ('cy', '{c6}', 0);",
            a1 = legacy_id(1),
            a2 = legacy_id(2),
            a3 = legacy_id(3),
            a4 = legacy_id(4),
            b5 = legacy_id(5),
            c6 = legacy_id(6),
        );
        old.client()
            .await
            .unwrap()
            .batch_execute(&insert)
            .await
            .unwrap();
        drop(old);

        let store = PostgresStore::open(&postgres.url()).await.unwrap();
        assert_eq!(store.feed_state("ann").await.unwrap(), state(0, 2, 2));
        assert_eq!(store.feed_state("bob").await.unwrap(), state(0, 1, 1));
        assert_eq!(store.feed_state("cy").await.unwrap(), state(0, 0, 0));
        let counts = store.counts("ann", None).await.unwrap();
        assert_eq!((counts.unread, counts.unseen, counts.total), (2, 2, 4));
        let all = ListQuery {
            limit: 10,
            archived: notify_bindings::Archived::Include,
            ..ListQuery::default()
        };
        let flags: Vec<_> = store
            .list("ann", all)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|n| (n.title, n.is_read, n.is_seen, n.seen_at, n.is_archived))
            .collect();
        let seen_at = |at: &str| Some(at.to_owned());
        assert_eq!(
            flags,
            [
                ("t4".into(), true, true, seen_at("r4"), false),
                ("t3".into(), false, false, None, false),
                ("t2".into(), true, true, seen_at("r2"), false),
                ("t1".into(), false, false, None, false),
            ]
        );
        let payments = Some(TypeFilter::Prefix("payment.".into()));
        let counts = store.counts("ann", payments).await.unwrap();
        assert_eq!((counts.unread, counts.unseen, counts.total), (1, 1, 2));

        // Changes number from 1 on, and the head counts move with them.
        let created = store
            .create(NewNotification {
                user_id: "ann".into(),
                kind: "info".into(),
                title: "t7".into(),
                message: String::new(),
                data: None,
            })
            .await
            .unwrap();
        assert!(created.value.id > legacy_id(4));
        store.mark_read("ann", &legacy_id(1)).await.unwrap();
        store.archive("ann", &legacy_id(3)).await.unwrap();
        store.mark_unread("ann", &legacy_id(2)).await.unwrap();
        assert_eq!(store.feed_state("ann").await.unwrap(), state(4, 2, 1));
        let counts = store.counts("ann", None).await.unwrap();
        assert_eq!((counts.unread, counts.unseen, counts.total), (2, 1, 4));
        let replay = store.changes_since("ann", 0, 10).await.unwrap();
        let seqs: Vec<_> = replay.changes.unwrap().iter().map(|c| c.seq).collect();
        assert_eq!(seqs, [Some(1), Some(2), Some(3), Some(4)]);
    }
}
