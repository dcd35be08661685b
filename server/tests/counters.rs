//! The unread, unseen and total counts each store keeps per user (SQLite: `feed_heads`, by
//! triggers; PostgreSQL: `user_heads`, by every statement) never drift from the notifications they
//! count: after seeded pseudo-random rounds of mixed operations, some run concurrently and many
//! changing nothing (reading a read one, archiving an archived one, another user's id, an id
//! that doesn't exist), the kept counts equal a recount of the rows, on a real SQLite file and
//! a real PostgreSQL.

use std::sync::Arc;

use futures_util::future::join_all;
use notify_bindings::{Archived, Counts, UnreadCount};
use notify_server::store::{
    Changed, ListQuery, NewNotification, PostgresStore, SqliteStore, Store, StoreResult,
};
use notify_testkit::services::Postgres;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const USERS: [&str; 3] = ["ann", "bob", "cy"];
const ROUNDS: usize = 80;
/// Operations run at once in a round (SQLite commits them in one group, each in its savepoint).
const MAX_PER_ROUND: usize = 6;
const SEED: u64 = 0x5eed_c0de;

/// One operation on a user's feed.
#[derive(Debug, Clone)]
enum Op {
    Create,
    Read(String),
    Unread(String),
    Archive(String),
    Unarchive(String),
    Delete(String),
    Seen(Vec<String>),
    AllRead,
    AllSeen,
}

/// Picks operations: mostly on the user's own ids (also ones already deleted), sometimes on
/// another user's or a made-up one.
struct Picker {
    rng: StdRng,
    /// Every id created so far, with its owner.
    created: Vec<(String, &'static str)>,
}

impl Picker {
    fn id_for(&mut self, user: &str) -> String {
        let own: Vec<&String> = self
            .created
            .iter()
            .filter(|(_, owner)| *owner == user)
            .map(|(id, _)| id)
            .collect();
        match self.rng.random_range(0..10) {
            0 => "00000000-0000-7000-8000-000000000000".to_owned(),
            1 if !self.created.is_empty() => {
                let any = self.rng.random_range(0..self.created.len());
                self.created[any].0.clone()
            }
            _ if !own.is_empty() => own[self.rng.random_range(0..own.len())].clone(),
            _ => "not-an-id".to_owned(),
        }
    }

    fn op_for(&mut self, user: &str) -> Op {
        match self.rng.random_range(0..20) {
            0..=5 => Op::Create,
            6..=7 => Op::Read(self.id_for(user)),
            8..=9 => Op::Unread(self.id_for(user)),
            10..=11 => Op::Archive(self.id_for(user)),
            12..=13 => Op::Unarchive(self.id_for(user)),
            14 => Op::Delete(self.id_for(user)),
            15..=16 => {
                let many = self.rng.random_range(0..5);
                Op::Seen((0..many).map(|_| self.id_for(user)).collect())
            }
            17 => Op::AllRead,
            _ => Op::AllSeen,
        }
    }
}

/// What an operation reported: the counts after it (none for an unknown id), the id it
/// created, and whether it changed anything (took a seq).
#[derive(Debug, Default)]
struct Outcome {
    counts: Option<UnreadCount>,
    created: Option<String>,
    changed: bool,
}

impl<T> From<Option<Changed<T>>> for Outcome {
    fn from(changed: Option<Changed<T>>) -> Self {
        changed.map_or_else(Outcome::default, |c| Outcome {
            counts: Some(c.unread_count),
            created: None,
            changed: !c.changes.is_empty(),
        })
    }
}

/// Runs `op` for `user`.
async fn run(store: &dyn Store, user: &str, op: Op) -> StoreResult<Outcome> {
    Ok(match op {
        Op::Create => {
            let new = NewNotification {
                user_id: user.to_owned(),
                kind: "info".into(),
                title: "t".into(),
                message: String::new(),
                data: None,
            };
            let created = store.create(new).await?;
            let id = created.value.id.clone();
            Outcome {
                created: Some(id),
                ..Some(created).into()
            }
        }
        Op::Read(id) => store.mark_read(user, &id).await?.into(),
        Op::Unread(id) => store.mark_unread(user, &id).await?.into(),
        Op::Archive(id) => store.archive(user, &id).await?.into(),
        Op::Unarchive(id) => store.unarchive(user, &id).await?.into(),
        Op::Delete(id) => store.delete(user, &id).await?.into(),
        Op::Seen(ids) => Some(store.mark_seen(user, &ids).await?).into(),
        Op::AllRead => Some(store.mark_all_read(user).await?).into(),
        Op::AllSeen => Some(store.mark_all_seen(user).await?).into(),
    })
}

/// The user's counts recounted from their rows: every notification, archived or not.
async fn recount(store: &dyn Store, user: &str) -> Counts {
    let query = ListQuery {
        limit: 1000,
        archived: Archived::Include,
        ..ListQuery::default()
    };
    let page = store.list(user, query).await.expect("list");
    assert!(page.next_cursor.is_none(), "one page holds the whole feed");
    let live = || page.items.iter().filter(|n| !n.is_archived);
    Counts {
        unread: live().filter(|n| !n.is_read).count() as u64,
        unseen: live().filter(|n| !n.is_seen).count() as u64,
        total: live().count() as u64,
    }
}

/// The badge's part of `counts`.
fn badge(counts: Counts) -> UnreadCount {
    UnreadCount {
        count: counts.unread,
        unseen: counts.unseen,
    }
}

/// The rounds of operations, each round's counts checked against a recount of every user.
async fn counters_match_a_recount(store: Arc<dyn Store>) {
    let mut picker = Picker {
        rng: StdRng::seed_from_u64(SEED),
        created: Vec::new(),
    };
    let (mut changes, mut no_ops) = (0, 0);
    for round in 0..ROUNDS {
        let at_once = picker.rng.random_range(1..=MAX_PER_ROUND);
        let ops: Vec<(&'static str, Op)> = (0..at_once)
            .map(|_| {
                let user = USERS[picker.rng.random_range(0..USERS.len())];
                (user, picker.op_for(user))
            })
            .collect();
        let results = join_all(ops.iter().map(|(user, op)| {
            let store = store.clone();
            let op = op.clone();
            async move { run(store.as_ref(), user, op).await }
        }))
        .await;
        let mut reported = Vec::new();
        for ((user, op), result) in ops.iter().zip(results) {
            let outcome = result.unwrap_or_else(|e| panic!("round {round}: {op:?}: {e}"));
            if let Some(id) = outcome.created {
                picker.created.push((id, user));
            }
            if outcome.changed {
                changes += 1;
            } else {
                no_ops += 1;
            }
            reported.push(outcome.counts);
        }
        // A lone operation's reported counts are its user's counts right after it.
        if let ([(user, op)], [Some(counts)]) = (ops.as_slice(), reported.as_slice()) {
            let counted = recount(store.as_ref(), user).await;
            assert_eq!(*counts, badge(counted), "round {round}: {op:?} reported");
        }
        for user in USERS {
            let kept = store.counts(user, None).await.expect("counts");
            let unread = store.unread_count(user).await.expect("unread count");
            let state = store.feed_state(user).await.expect("feed state");
            let counted = recount(store.as_ref(), user).await;
            assert_eq!(
                (kept, unread, state.unread_count),
                (counted, badge(counted), badge(counted)),
                "{user} after round {round} ({ops:?})"
            );
        }
    }
    // The mix holds plenty of both (the seed fixes it; a new mix must too).
    assert!(
        changes > 100 && no_ops > 50,
        "{changes} changes, {no_ops} no-ops"
    );
    assert!(
        picker.created.len() > 40,
        "{} created",
        picker.created.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_counters_never_drift_from_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("counters.db");
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    counters_match_a_recount(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_counters_never_drift_from_the_rows() {
    let postgres = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    let store = PostgresStore::open(&postgres.url()).await.unwrap();
    counters_match_a_recount(Arc::new(store)).await;
    tokio::task::spawn_blocking(move || drop(postgres))
        .await
        .unwrap();
}
