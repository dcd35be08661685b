//! Versioned SQLite schema migrations, tracked with `PRAGMA user_version`.
//!
//! Each entry moves the schema one version forward inside a transaction; entries are never
//! edited once released, only appended.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: notifications, clustered by user so a user's page is one range scan.
    "CREATE TABLE notifications (
        user_id    TEXT NOT NULL,
        id         TEXT NOT NULL,
        type       TEXT NOT NULL,
        title      TEXT NOT NULL,
        message    TEXT NOT NULL,
        data       TEXT,
        is_read    INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        read_at    TEXT,
        PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID;
    CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE is_read = 0;",
    // 2: feed states (seen, archived). Read ones count as seen. Each index serves the pages and
    // counts of one filter by range, without reading the rows (see `store::filter`); the
    // partial ones also hold their flag, so that the planner, which has no statistics, sees
    // them as the better match for a query on that flag.
    "ALTER TABLE notifications ADD COLUMN is_seen INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE notifications ADD COLUMN seen_at TEXT;
    ALTER TABLE notifications ADD COLUMN is_archived INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE notifications ADD COLUMN archived_at TEXT;
    UPDATE notifications SET is_seen = 1, seen_at = read_at WHERE is_read = 1;
    DROP INDEX notifications_unread;
    CREATE INDEX notifications_unread
        ON notifications (user_id, is_archived, is_read, id) WHERE is_read = 0;
    CREATE INDEX notifications_unseen
        ON notifications (user_id, is_archived, is_seen, id) WHERE is_seen = 0;
    CREATE INDEX notifications_archived ON notifications (user_id, is_archived, id);
    CREATE INDEX notifications_type
        ON notifications (user_id, type, id, is_archived, is_read, is_seen);",
    // 3: the change log: each user's newest seq, and the envelope of each numbered change.
    "CREATE TABLE feed_heads (
        user_id TEXT NOT NULL PRIMARY KEY,
        seq     INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE changes (
        user_id  TEXT NOT NULL,
        seq      INTEGER NOT NULL,
        envelope TEXT NOT NULL,
        PRIMARY KEY (user_id, seq)
    ) WITHOUT ROWID;",
    // 4: each user's counts on the head row, so the badge and `/counts` are one row to read,
    // not a count: unread, unseen and total, all of notifications not archived. Triggers keep
    // them: every statement that inserts, deletes or changes the flags of a notification moves
    // them in that statement (and a job's savepoint rolls them back with it), so no write path
    // can leave them behind. A head row made here has seq 0, which is the same as having none.
    "ALTER TABLE feed_heads ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE feed_heads ADD COLUMN unseen INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE feed_heads ADD COLUMN total INTEGER NOT NULL DEFAULT 0;
    INSERT INTO feed_heads (user_id, seq, unread, unseen, total)
        SELECT user_id, 0, SUM(is_read = 0 AND is_archived = 0),
               SUM(is_seen = 0 AND is_archived = 0), SUM(is_archived = 0)
        FROM notifications GROUP BY user_id
        ON CONFLICT (user_id) DO UPDATE
            SET unread = excluded.unread, unseen = excluded.unseen, total = excluded.total;
    CREATE TRIGGER feed_heads_count_created AFTER INSERT ON notifications
    BEGIN
        INSERT INTO feed_heads (user_id, seq, unread, unseen, total)
        VALUES (NEW.user_id, 0, NEW.is_read = 0 AND NEW.is_archived = 0,
                NEW.is_seen = 0 AND NEW.is_archived = 0, NEW.is_archived = 0)
        ON CONFLICT (user_id) DO UPDATE
            SET unread = unread + excluded.unread, unseen = unseen + excluded.unseen,
                total = total + excluded.total;
    END;
    CREATE TRIGGER feed_heads_count_changed AFTER UPDATE OF is_read, is_seen, is_archived
        ON notifications
        WHEN NEW.is_read IS NOT OLD.is_read OR NEW.is_seen IS NOT OLD.is_seen
          OR NEW.is_archived IS NOT OLD.is_archived
    BEGIN
        UPDATE feed_heads
        SET unread = unread + (NEW.is_read = 0 AND NEW.is_archived = 0)
                            - (OLD.is_read = 0 AND OLD.is_archived = 0),
            unseen = unseen + (NEW.is_seen = 0 AND NEW.is_archived = 0)
                            - (OLD.is_seen = 0 AND OLD.is_archived = 0),
            total = total + (NEW.is_archived = 0) - (OLD.is_archived = 0)
        WHERE user_id = NEW.user_id;
    END;
    CREATE TRIGGER feed_heads_count_deleted AFTER DELETE ON notifications
        WHEN OLD.is_archived = 0
    BEGIN
        UPDATE feed_heads
        SET unread = unread - (OLD.is_read = 0), unseen = unseen - (OLD.is_seen = 0),
            total = total - 1
        WHERE user_id = OLD.user_id;
    END;",
];

/// Brings the schema to the latest version.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(conn, latest_version())
}

/// Brings the schema up to `version` (tests build databases of earlier versions with it).
pub(crate) fn migrate_to(conn: &mut Connection, version: usize) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, sql) in MIGRATIONS[..version]
        .iter()
        .enumerate()
        .skip(current as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied SQLite migration");
    }
    Ok(())
}

/// The version this binary migrates to.
pub fn latest_version() -> usize {
    MIGRATIONS.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_notifications_of_a_version_1_database_become_seen() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO notifications (user_id, id, type, title, message, is_read, created_at, read_at)
             VALUES ('u', '1', 'info', 't', '', 1, 'c', 'r'), ('u', '2', 'info', 't', '', 0, 'c', NULL)",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        type States = (String, bool, Option<String>, bool, Option<String>);
        let rows: Vec<States> = conn
            .prepare("SELECT id, is_seen, seen_at, is_archived, archived_at FROM notifications ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                ("1".to_owned(), true, Some("r".to_owned()), false, None),
                ("2".to_owned(), false, None, false, None)
            ]
        );
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, latest_version());
    }
}
