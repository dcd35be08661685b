//! The PostgreSQL store, for several server nodes sharing one database.
//!
//! Ids must increase in commit order per user even with several nodes writing, or a client
//! resuming `since` an id could skip a notification committed later with a smaller id. So each
//! create locks the user's row in `user_heads` (which holds the newest id handed out and the
//! unread count), stores its id only when it is above that head, and commits; the next create
//! of that user waits for the lock. Every operation is one statement (data-modifying CTEs, in
//! autocommit) prepared once per pooled connection (`prepare_cached`): one round trip each,
//! and the unread count comes from the head row, never from counting. The head row also holds
//! the user's change `seq`: a statement that changes the feed bumps it and logs the change's
//! envelope under it (see [`log_change`]), so seqs follow commit order across nodes too. Pool
//! timeouts are short, so a request fails fast with 503 while the database is unreachable,
//! and the pool reconnects by itself when it comes back.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Config, GenericClient, Pool, PoolConfig, Runtime, Timeouts};
use notify_bindings::{AllRead, Envelope, Notification, NotificationId, Page, ServerEvent};
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use super::{
    AllMarkedRead, CatchUp, Changed, FeedState, LOG_KEEP, ListQuery, NewNotification, Replay,
    Store, StoreError, StoreResult, TRIM_EVERY, data_from_text, data_to_text, logged_text, next_id,
    now_rfc3339, page_of, replay_of,
};

const COLUMNS: &str = "id, user_id, type, title, message, data, is_read, created_at, read_at";

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
    // 3: the change log: the user's newest seq on the head row, each change's envelope.
    r#"ALTER TABLE user_heads ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
    CREATE TABLE changes (
        user_id  TEXT COLLATE "C" NOT NULL,
        seq      BIGINT NOT NULL,
        envelope TEXT NOT NULL,
        PRIMARY KEY (user_id, seq)
    );"#,
];

/// The CTEs that log the change a statement made, given its CTE `head` (the user's head row
/// after `seq = seq + 1`, `RETURNING seq`) and the envelope text `envelope` (an SQL expression
/// over `head` and what else the statement names in `from`). Every change goes through here.
/// Now and then it trims the user's log to its newest [`LOG_KEEP`] changes.
fn log_change(envelope: &str, from: &str) -> String {
    format!(
        "logged AS (
            INSERT INTO changes (user_id, seq, envelope) SELECT $1, head.seq, {envelope} FROM {from}
        ), trimmed AS (
            DELETE FROM changes WHERE user_id = $1
            AND seq <= (SELECT seq FROM head WHERE seq % {TRIM_EVERY} = 0) - {LOG_KEEP}
        )"
    )
}

/// A `notifications` row as the contract's Notification JSON, to log what an update made of it
/// (the same fields `Notification` serialises; `tests/changelog.rs` compares the two).
const NOTIFICATION_JSON: &str = "json_build_object('id', id, 'userId', user_id, 'type', type, \
    'title', title, 'message', message, 'data', data::json, 'isRead', is_read, \
    'createdAt', created_at, 'readAt', read_at)";

/// Stores a notification under the proposed id `$2` when it is above the user's newest, in
/// one statement, and logs its envelope `$8`. The upsert locks the user's head row until the
/// statement commits, so ids and seqs rise in commit order across nodes; a waiting create
/// sees the head its predecessor left. Returns `(unread, seq, NULL)` when stored, or
/// `(NULL, NULL, newest id)` when `$2` is not above it.
static CREATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
WITH head AS (
    INSERT INTO user_heads AS h (user_id, last_id, unread, seq) VALUES ($1, $2, 1, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_id = EXCLUDED.last_id, unread = h.unread + 1,
        seq = h.seq + 1
        WHERE h.last_id < EXCLUDED.last_id
    RETURNING unread, seq
), stored AS (
    INSERT INTO notifications (id, user_id, type, title, message, data, is_read, created_at)
    SELECT $2, $1, $3, $4, $5, $6, FALSE, $7 FROM head
), {}
SELECT (SELECT unread FROM head), (SELECT seq FROM head),
       CASE WHEN NOT EXISTS (SELECT 1 FROM head)
            THEN (SELECT last_id FROM user_heads WHERE user_id = $1) END"#,
        log_change("$8", "head")
    )
});

/// Tries of [`CREATE`] before giving up; a second one is needed only when another node's
/// clock ran ahead for this user.
const CREATE_ATTEMPTS: usize = 8;

const UNREAD_COUNT: &str = "SELECT COALESCE((SELECT unread FROM user_heads WHERE user_id = $1), 0)";

const FEED_STATE: &str = "SELECT seq, unread FROM user_heads WHERE user_id = $1";

/// The user's seq and unread count, and the logged changes after seq `$2` (at most `$3`),
/// all from one snapshot: one row `(seq, unread, NULL, NULL)`, then `(NULL, NULL, seq,
/// envelope)` per change.
const CHANGES_SINCE: &str = r#"
WITH head AS (SELECT seq, unread FROM user_heads WHERE user_id = $1)
SELECT COALESCE((SELECT seq FROM head), 0), COALESCE((SELECT unread FROM head), 0),
       NULL::BIGINT, NULL::TEXT
UNION ALL
(SELECT NULL, NULL, seq, envelope FROM changes WHERE user_id = $1 AND seq > $2
 ORDER BY seq LIMIT $3)"#;

/// Marks `$2` read at `$3`: the notification as it is now, the unread count, and the seq of
/// the change (NULL when it was read already); no row when the user has no such notification.
static MARK_READ: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
WITH updated AS (
    UPDATE notifications SET is_read = TRUE, read_at = $3
    WHERE user_id = $1 AND id = $2 AND NOT is_read
    RETURNING {COLUMNS}, {NOTIFICATION_JSON} AS json
), head AS (
    UPDATE user_heads SET unread = unread - 1, seq = seq + 1
    WHERE user_id = $1 AND EXISTS (SELECT 1 FROM updated)
    RETURNING unread, seq
), {}
SELECT {COLUMNS}, COALESCE((SELECT unread FROM head), 0), (SELECT seq FROM head) FROM updated
UNION ALL
SELECT {COLUMNS}, COALESCE((SELECT unread FROM user_heads WHERE user_id = $1), 0), NULL
FROM notifications
WHERE user_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM updated)"#,
        log_change(
            "json_build_object('type', 'notification_updated', 'data', updated.json)::text",
            "head, updated"
        )
    )
});

/// Marks all of the user's notifications read, logging the envelope `$3` (read at `$2`):
/// how many changed, the unread count left (creates that committed meanwhile stay unread and
/// counted), and the seq of the change (NULL when none changed).
static MARK_ALL_READ: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
WITH updated AS (
    UPDATE notifications SET is_read = TRUE, read_at = $2 WHERE user_id = $1 AND NOT is_read
    RETURNING 1
), head AS (
    UPDATE user_heads SET unread = unread - (SELECT COUNT(*) FROM updated), seq = seq + 1
    WHERE user_id = $1 AND EXISTS (SELECT 1 FROM updated)
    RETURNING unread, seq
), {}
SELECT (SELECT COUNT(*) FROM updated),
       COALESCE((SELECT unread FROM head), (SELECT unread FROM user_heads WHERE user_id = $1), 0),
       (SELECT seq FROM head)"#,
        log_change("$3", "head")
    )
});

/// Deletes `$2`, logging the envelope `$3`: the unread count left and the change's seq, or no
/// row when the user has no such notification.
static DELETE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
WITH deleted AS (
    DELETE FROM notifications WHERE user_id = $1 AND id = $2 RETURNING is_read
), head AS (
    UPDATE user_heads SET unread = unread - (SELECT COUNT(*) FROM deleted WHERE NOT is_read),
        seq = seq + 1
    WHERE user_id = $1 AND EXISTS (SELECT 1 FROM deleted)
    RETURNING unread, seq
), {}
SELECT unread, seq FROM head"#,
        log_change("$3", "head")
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
        let store = Self { pool };
        // The database may still be starting (containers started together): retry a while.
        let mut attempt = 0;
        while let Err(e) = store.migrate().await {
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

    async fn migrate(&self) -> anyhow::Result<()> {
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
            for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
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
    }
}

/// The envelope of the change numbered `seq` (a BIGINT, never negative).
fn change(seq: i64, event: ServerEvent) -> Envelope {
    Envelope::change(seq as u64, event)
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
            if let (Some(unread), Some(seq)) = (row.get::<_, Option<i64>>(0), row.get(1)) {
                return Ok(Changed {
                    value: notification,
                    unread_count: unread as u64,
                    changes: vec![change(seq, created)],
                });
            }
            // Another create of this user holds a newer id: go past it and try again.
            let head: Option<String> = row.get(2);
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
        let unread = if query.unread_only {
            "AND NOT is_read"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND id < $2 {unread} ORDER BY id DESC LIMIT $3"
        );
        let before = query.before.unwrap_or_else(|| "~".into());
        let rows = client
            .query(
                &client.prepare_cached(&sql).await?,
                &[&user_id, &before, &(i64::from(query.limit) + 1)],
            )
            .await
            .map_err(classify)?;
        Ok(page_of(
            rows.iter().map(to_notification).collect(),
            query.limit,
        ))
    }

    async fn unread_count(&self, user_id: &str) -> StoreResult<u64> {
        let client = self.client().await?;
        let row = client
            .query_one(&client.prepare_cached(UNREAD_COUNT).await?, &[&user_id])
            .await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn feed_state(&self, user_id: &str) -> StoreResult<FeedState> {
        let client = self.client().await?;
        let row = client
            .query_opt(&client.prepare_cached(FEED_STATE).await?, &[&user_id])
            .await?;
        Ok(row.map_or_else(FeedState::default, |row| FeedState {
            seq: row.get::<_, i64>(0) as u64,
            unread_count: row.get::<_, i64>(1) as u64,
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
            match row.get::<_, Option<i64>>(2) {
                Some(seq) => changes.push((seq as u64, row.get(3))),
                None => {
                    state = FeedState {
                        seq: row.get::<_, i64>(0) as u64,
                        unread_count: row.get::<_, i64>(1) as u64,
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
        let client = self.client().await?;
        let row = client
            .query_opt(
                &client.prepare_cached(&MARK_READ).await?,
                &[&user_id, &id, &now_rfc3339()],
            )
            .await?;
        Ok(row.map(|row| {
            let notification = to_notification(&row);
            let changes = row
                .get::<_, Option<i64>>(10)
                .map(|seq| change(seq, ServerEvent::NotificationUpdated(notification.clone())))
                .into_iter()
                .collect();
            Changed {
                value: notification,
                unread_count: row.get::<_, i64>(9) as u64,
                changes,
            }
        }))
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
        let changes = row
            .get::<_, Option<i64>>(2)
            .map(|seq| change(seq, all_read))
            .into_iter()
            .collect();
        Ok(Changed {
            value: AllMarkedRead {
                updated: row.get::<_, i64>(0) as u64,
                read_at,
            },
            unread_count: row.get::<_, i64>(1) as u64,
            changes,
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
            unread_count: row.get::<_, i64>(0) as u64,
            changes: vec![change(row.get(1), deleted)],
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
