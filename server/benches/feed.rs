//! Feed queries for one user with 100,000 notifications, on SQLite and on PostgreSQL: the
//! counts and the first page of each filter, through the real stores (`notify_server::store`).
//! Prints a Markdown table of medians; it asserts nothing about time.
//!
//! `cargo bench -p notify-server --bench feed` (PostgreSQL from Debian's `postgresql`, started
//! on a free loopback port by the testkit and stopped by pid). `FEED_BENCH_NOTIFICATIONS` and
//! `FEED_BENCH_RUNS` change the size and the runs per query.
//!
//! The feed: types rotate over eight (four under `payment.`); the oldest half is read (so
//! seen), the next quarter seen but unread, the newest quarter unread and unseen; one in a
//! hundred is archived. After seeding, PostgreSQL gets the `VACUUM ANALYZE` its autovacuum runs
//! soon after such a load (PostgreSQL 13 and later vacuum after inserts too): statistics, and
//! the visibility map that lets a count read only the covering index. SQLite's indexes are
//! chosen without statistics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use notify_bindings::Archived;
use notify_server::store::{
    ListQuery, NewNotification, PostgresStore, SqliteStore, Store, TypeFilter,
};
use notify_testkit::services::Postgres;

const USER: &str = "feed-bench";
const TYPES: [&str; 8] = [
    "payment.received",
    "payment.sent",
    "payment.card.declined",
    "payment.refund",
    "account.login",
    "account.password",
    "promo",
    "info",
];

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Creates `count` notifications for [`USER`] (`parallel` at a time) with the states above.
async fn seed(store: &Arc<dyn Store>, count: usize, parallel: usize) {
    let created = |from: usize, to: usize| {
        let store = store.clone();
        async move {
            let mut ids = Vec::new();
            for chunk in (from..to).collect::<Vec<_>>().chunks(parallel) {
                let batch = chunk.iter().map(|&i| {
                    let store = store.clone();
                    async move {
                        let new = NewNotification {
                            user_id: USER.into(),
                            kind: TYPES[i % TYPES.len()].into(),
                            title: format!("Notification {i}"),
                            message: "A message of a typical length for a notification.".into(),
                            data: serde_json::json!({"i": i}).as_object().cloned(),
                        };
                        store.create(new).await.expect("create").value.id
                    }
                });
                ids.extend(futures_util::future::join_all(batch).await);
            }
            ids
        }
    };
    let mut ids = created(0, count / 2).await;
    store.mark_all_read(USER).await.expect("read all");
    ids.extend(created(count / 2, count * 3 / 4).await);
    store.mark_all_seen(USER).await.expect("seen all");
    ids.extend(created(count * 3 / 4, count).await);
    for id in ids.iter().step_by(100) {
        store.archive(USER, id).await.expect("archive");
    }
}

/// The median of `runs` timings of `query`.
async fn median<F, Fut, T>(runs: usize, mut query: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        std::hint::black_box(query().await);
        times.push(started.elapsed());
    }
    times.sort();
    times[runs / 2]
}

fn page(adjust: impl FnOnce(&mut ListQuery)) -> ListQuery {
    let mut query = ListQuery {
        limit: 20,
        ..ListQuery::default()
    };
    adjust(&mut query);
    query
}

/// The rows of the table for one store: (what, median).
async fn measure(store: &Arc<dyn Store>, runs: usize) -> Vec<(&'static str, Duration)> {
    let prefix = || Some(TypeFilter::Prefix("payment.".into()));
    let exact = || Some(TypeFilter::Exact("account.login".into()));
    let pages: [(&str, ListQuery); 7] = [
        ("first page (default: not archived)", page(|_| {})),
        ("first page, `unread=true`", page(|q| q.unread_only = true)),
        ("first page, `unseen=true`", page(|q| q.unseen_only = true)),
        (
            "first page, `archived=true`",
            page(|q| q.archived = Archived::Only),
        ),
        ("first page, `type=payment.*`", page(|q| q.kind = prefix())),
        (
            "first page, `type=account.login`",
            page(|q| q.kind = exact()),
        ),
        (
            "first page, `type=payment.*&unread=true`",
            page(|q| {
                q.kind = prefix();
                q.unread_only = true;
            }),
        ),
    ];
    let mut rows = vec![
        (
            "unread + unseen (the `unread_count` badge)",
            median(runs, || store.unread_count(USER)).await,
        ),
        (
            "`GET /notifications/counts`",
            median(runs, || store.counts(USER, None)).await,
        ),
        (
            "counts, `type=payment.*`",
            median(runs, || store.counts(USER, prefix())).await,
        ),
        (
            "counts, `type=account.login`",
            median(runs, || store.counts(USER, exact())).await,
        ),
    ];
    for (what, query) in pages {
        let time = median(runs, || store.list(USER, query.clone())).await;
        rows.push((what, time));
    }
    rows
}

/// `VACUUM ANALYZE` on PostgreSQL, over a connection of its own.
async fn vacuum_analyze(url: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    let driver = tokio::spawn(connection);
    client
        .batch_execute("VACUUM ANALYZE")
        .await
        .expect("VACUUM ANALYZE");
    drop(client);
    let _ = driver.await;
}

fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let count = env_number("FEED_BENCH_NOTIFICATIONS", 100_000);
    let runs = env_number("FEED_BENCH_RUNS", 51);
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("feed.db").to_str().expect("utf-8 path"))
            .expect("open SQLite"),
    );
    let postgres = tokio::task::spawn_blocking(Postgres::start)
        .await
        .expect("start PostgreSQL");
    let pg: Arc<dyn Store> = Arc::new(
        PostgresStore::open(&postgres.url())
            .await
            .expect("open PostgreSQL"),
    );

    let mut results = Vec::new();
    // PostgreSQL creates of one user one at a time, as the server's per-user turns do (creates
    // racing for one user's head retry, and give up after a few tries).
    for (name, store, parallel) in [("SQLite", &sqlite, 256), ("PostgreSQL", &pg, 1)] {
        let started = Instant::now();
        seed(store, count, parallel).await;
        eprintln!(
            "{name}: seeded {count} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if name == "PostgreSQL" {
            vacuum_analyze(&postgres.url()).await;
        }
        let counts = store.counts(USER, None).await.expect("counts");
        eprintln!("{name}: {counts:?}");
        results.push(measure(store, runs).await);
    }

    println!("Medians of {runs} runs, one user with {count} notifications (1% archived):\n");
    println!("| query | SQLite | PostgreSQL |\n|---|---|---|");
    for (row, (what, sqlite_time)) in results[0].iter().enumerate() {
        println!(
            "| {what} | {} | {} |",
            millis(*sqlite_time),
            millis(results[1][row].1)
        );
    }
    drop(pg);
    tokio::task::spawn_blocking(move || drop(postgres))
        .await
        .expect("stop PostgreSQL");
}
