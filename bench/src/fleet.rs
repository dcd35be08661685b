//! Opens many load sockets at once, one per user, with a bounded number of connects in flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures_util::StreamExt;
use notify_testkit::Token;
use notify_testkit::jwt::TEST_SECRET;
use tokio::sync::mpsc;

use notify_testkit::load::{Arrival, LoadSocket, LoadStats};

/// The user id of the `i`th socket of a fleet.
pub fn user_id(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i}")
}

/// Sockets held open, with their shared counters.
pub struct Fleet {
    pub sockets: Vec<LoadSocket>,
    pub stats: Arc<LoadStats>,
    pub took: Duration,
}

/// Opens `count` sockets for users `<prefix>-0 .. <prefix>-<count-1>` (one each).
///
/// Fails when any socket can't connect, naming how many did and the first error.
pub async fn open(
    addr: SocketAddr,
    prefix: &str,
    count: usize,
    concurrency: usize,
    sink: Option<mpsc::UnboundedSender<Arrival>>,
) -> Result<Fleet> {
    let stats = Arc::new(LoadStats::default());
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..count)
        .map(|i| {
            let token = Token::user(&user_id(prefix, i)).hs256(TEST_SECRET);
            let sink = sink.clone();
            let stats = stats.clone();
            async move {
                tokio::time::timeout(
                    Duration::from_secs(30),
                    LoadSocket::connect(addr, &token, sink, stats),
                )
                .await
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let took = started.elapsed();

    let mut sockets = Vec::with_capacity(count);
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(Ok(socket)) => sockets.push(socket),
            Ok(Err(e)) => errors.push(e.to_string()),
            Err(_) => errors.push("connect timed out after 30 s".to_owned()),
        }
    }
    if !errors.is_empty() {
        bail!(
            "{} of {count} sockets failed to connect (first error: {})",
            errors.len(),
            errors[0]
        );
    }
    Ok(Fleet {
        sockets,
        stats,
        took,
    })
}
