//! (soak) A bounded soak: for `--soak-secs` (default 10 minutes) the server takes steady
//! publishing while sockets and SSE streams connect and leave (half of the sockets cleanly,
//! half dropped without a goodbye) and short-lived tokens expire under open sockets. Then it
//! checks that RSS, open file descriptors and the `notify_sockets` / `notify_sse_streams`
//! gauges are back at their baseline, and that nothing was lost: every user's inbox holds
//! exactly what was published to them, and the witness sockets held throughout received every
//! notification of their users.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use notify_testkit::jwt::TEST_SECRET;
use notify_testkit::load::{LoadSocket, LoadStats};
use notify_testkit::rest::{Api, metric_value};
use notify_testkit::sio::Auth;
use notify_testkit::{SioClient, SseClient, Token};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::procfs;
use crate::server::Server;

/// Users the load is spread over; the first [`WITNESSES`] hold one socket throughout.
const USERS: usize = 20;
const WITNESSES: usize = 5;
/// Per second: notifications published, sockets and SSE streams opened.
const PUBLISH_PER_SECOND: usize = 20;
const SOCKETS_PER_SECOND: usize = 8;
const STREAMS_PER_SECOND: usize = 3;
/// Every this many seconds, sockets whose tokens expire after [`SHORT_TOKEN_SECS`].
const SHORT_TOKEN_EVERY: u64 = 5;
const SHORT_TOKENS: usize = 3;
const SHORT_TOKEN_SECS: i64 = 2;
/// How long a churning socket or stream stays open.
const CHURN_LIFETIME: Duration = Duration::from_secs(3);
/// How long the gauges may take to settle once the load stops.
const SETTLE: Duration = Duration::from_secs(30);

fn user(i: usize) -> String {
    format!("soak-{i}")
}

/// What the server holds at one moment.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    rss_kib: u64,
    fds: usize,
    sockets: f64,
    streams: f64,
}

async fn snapshot(server: &Server, api: &Api) -> Result<Snapshot> {
    let metrics = api.metrics().await;
    Ok(Snapshot {
        rss_kib: procfs::rss_kib(server.pid())?,
        fds: std::fs::read_dir(format!("/proc/{}/fd", server.pid()))?.count(),
        sockets: metric_value(&metrics, "notify_sockets").unwrap_or(-1.0),
        streams: metric_value(&metrics, "notify_sse_streams").unwrap_or(-1.0),
    })
}

/// Sockets and streams that come and go.
#[derive(Default)]
struct Churn {
    sockets: VecDeque<(Instant, SioClient)>,
    streams: VecDeque<(Instant, SseClient)>,
    short_lived: Vec<SioClient>,
    opened_sockets: usize,
    opened_streams: usize,
    refused: usize,
}

impl Churn {
    async fn open_round(&mut self, api: &Api, second: u64) {
        let base = api.base();
        for i in 0..SOCKETS_PER_SECOND {
            let token = Token::user(&user((second as usize + i) % USERS)).hs256(TEST_SECRET);
            match SioClient::connect(base, Auth::payload(token)).await {
                Ok(socket) => {
                    self.sockets.push_back((Instant::now(), socket));
                    self.opened_sockets += 1;
                }
                Err(_) => self.refused += 1,
            }
        }
        for i in 0..STREAMS_PER_SECOND {
            let token = Token::user(&user((second as usize + 7 * i) % USERS)).hs256(TEST_SECRET);
            let request = SseClient::http()
                .get(api.url("/notifications/events"))
                .bearer_auth(token);
            match SseClient::open(request).await {
                Ok(stream) => {
                    self.streams.push_back((Instant::now(), stream));
                    self.opened_streams += 1;
                }
                Err(_) => self.refused += 1,
            }
        }
        if second.is_multiple_of(SHORT_TOKEN_EVERY) {
            self.short_lived.clear();
            for i in 0..SHORT_TOKENS {
                let token = Token::user(&user(i))
                    .expires_in(SHORT_TOKEN_SECS)
                    .hs256(TEST_SECRET);
                match SioClient::connect(base, Auth::payload(token)).await {
                    Ok(socket) => self.short_lived.push(socket),
                    Err(_) => self.refused += 1,
                }
            }
        }
    }

    /// Closes what has lived long enough: every other socket cleanly, the rest dropped.
    async fn retire(&mut self, all: bool) {
        while let Some((opened, _)) = self.sockets.front() {
            if !all && opened.elapsed() < CHURN_LIFETIME {
                break;
            }
            let Some((_, socket)) = self.sockets.pop_front() else {
                break;
            };
            if self.sockets.len().is_multiple_of(2) {
                socket.close().await;
            }
        }
        while let Some((opened, _)) = self.streams.front() {
            if !all && opened.elapsed() < CHURN_LIFETIME {
                break;
            }
            self.streams.pop_front();
        }
        if all {
            self.short_lived.clear();
        }
    }
}

/// Concurrent reads, more than the server's blocking threads, so every pooled read
/// connection the load could open is open before the baseline is taken. They go through a
/// client of their own, dropped at the end, so their HTTP connections close before it.
async fn fill_read_pool(base: &str) {
    const CONCURRENT_READS: usize = 64;
    let api = Api::new(base);
    let reads = (0..CONCURRENT_READS).map(|i| {
        let token = Token::user(&user(i % USERS)).hs256(TEST_SECRET);
        let api = &api;
        async move { api.unread_count(&token).await }
    });
    futures_util::future::join_all(reads).await;
}

pub async fn soak(config: &Config) -> Result<String> {
    let duration = Duration::from_secs(config.soak_secs);
    let server = Server::start(config, None).await?;
    let api = Api::new(server.base_url());
    let service = Token::service("soak-publisher").hs256(TEST_SECRET);

    // Witnesses: one socket per user for the first users, counting what they receive.
    let (arrivals_tx, mut arrivals) = mpsc::unbounded_channel();
    let stats = Arc::new(LoadStats::default());
    let mut witnesses = Vec::new();
    for i in 0..WITNESSES {
        let token = Token::user(&user(i)).hs256(TEST_SECRET);
        witnesses.push(
            LoadSocket::connect(
                server.addr(),
                &token,
                Some(arrivals_tx.clone()),
                stats.clone(),
            )
            .await?,
        );
    }
    drop(arrivals_tx);

    // One warm-up round, so the baseline includes buffers any connection allocates once, and
    // a burst of concurrent reads, so the store's bounded pool of read connections (and their
    // files) is as large at the baseline as the load can make it.
    let mut churn = Churn::default();
    churn.open_round(&api, 1).await;
    churn.retire(true).await;
    fill_read_pool(api.base()).await;
    settle(&server, &api).await?;
    let baseline = snapshot(&server, &api).await?;

    let publisher = Api::new(server.base_url());
    let mut published = [0usize; USERS];
    let started = Instant::now();
    let mut second = 0u64;
    let mut peak = baseline;
    while started.elapsed() < duration {
        let round = Instant::now();
        for i in 0..PUBLISH_PER_SECOND {
            let target = (second as usize * PUBLISH_PER_SECOND + i) % USERS;
            publisher
                .publish(&service, &user(target), &format!("soak {second}/{i}"))
                .await;
            published[target] += 1;
        }
        churn.open_round(&api, second).await;
        churn.retire(false).await;
        if second.is_multiple_of(10) {
            let now = snapshot(&server, &api).await?;
            peak.rss_kib = peak.rss_kib.max(now.rss_kib);
            peak.fds = peak.fds.max(now.fds);
            peak.sockets = peak.sockets.max(now.sockets);
            peak.streams = peak.streams.max(now.streams);
        }
        second += 1;
        if let Some(rest) = Duration::from_secs(1).checked_sub(round.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
    let elapsed = started.elapsed();
    churn.retire(true).await;
    // The publisher's idle keep-alive connections are the client's, not the server's leak.
    drop(publisher);
    settle(&server, &api).await?;
    let after = snapshot(&server, &api).await?;
    let open_files = describe_fds(server.pid());

    // Nothing lost: every inbox holds what was published to it (+ the warm-up's nothing), and
    // the witnesses received every notification of their users.
    let mut stored_ok = true;
    for (i, &count) in published.iter().enumerate() {
        let stored = api
            .list_all(&Token::user(&user(i)).hs256(TEST_SECRET))
            .await
            .len();
        stored_ok &= stored == count;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut received = 0usize;
    while arrivals.try_recv().is_ok() {
        received += 1;
    }
    let expected: usize = published[..WITNESSES].iter().sum();
    drop(witnesses);
    server.stop().await?;

    let rss_ok = after.rss_kib <= baseline.rss_kib + baseline.rss_kib / 4 + 4096;
    let fds_ok = after.fds <= baseline.fds + 2;
    let gauges_ok = after.sockets == baseline.sockets && after.streams == baseline.streams;
    let delivered_ok = received == expected;
    let verdict = |ok: bool| if ok { "ok" } else { "FAILED" };

    let mut out = String::new();
    writeln!(
        out,
        "### Soak\n\n{:.0} s of: {PUBLISH_PER_SECOND} publishes/s over {USERS} users; \
         {SOCKETS_PER_SECOND} sockets/s and {STREAMS_PER_SECOND} SSE streams/s opened and closed \
         after {} s (half of the sockets cleanly, half dropped); every {SHORT_TOKEN_EVERY} s, \
         {SHORT_TOKENS} sockets whose tokens expire after {SHORT_TOKEN_SECS} s; \
         {WITNESSES} witness sockets held throughout.\n",
        elapsed.as_secs_f64(),
        CHURN_LIFETIME.as_secs()
    )?;
    writeln!(
        out,
        "- published {}, sockets opened {}, SSE streams opened {}, refused {}",
        published.iter().sum::<usize>(),
        churn.opened_sockets,
        churn.opened_streams,
        churn.refused
    )?;
    writeln!(out, "\n| | baseline | peak (every 10 s) | after | check |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    writeln!(
        out,
        "| RSS | {} KiB | {} KiB | {} KiB | ≤ baseline + 25 % + 4 MiB: {} |",
        baseline.rss_kib,
        peak.rss_kib,
        after.rss_kib,
        verdict(rss_ok)
    )?;
    writeln!(
        out,
        "| open fds | {} | {} | {} | ≤ baseline + 2: {} |",
        baseline.fds,
        peak.fds,
        after.fds,
        verdict(fds_ok)
    )?;
    writeln!(
        out,
        "| `notify_sockets` / `notify_sse_streams` | {} / {} | {} / {} | {} / {} | back to baseline: {} |",
        baseline.sockets,
        baseline.streams,
        peak.sockets,
        peak.streams,
        after.sockets,
        after.streams,
        verdict(gauges_ok)
    )?;
    writeln!(
        out,
        "\n- stored: every inbox holds exactly what was published to it: {}",
        verdict(stored_ok)
    )?;
    writeln!(
        out,
        "- delivered to the witnesses: {received} of {expected}: {}",
        verdict(delivered_ok)
    )?;
    if !fds_ok {
        writeln!(
            out,
            "- the server's open files after the soak: {open_files}"
        )?;
    }
    if !(rss_ok && fds_ok && gauges_ok && stored_ok && delivered_ok) {
        bail!("soak failed:\n{out}");
    }
    Ok(out)
}

/// The server's open files by kind (`socket`, `anon_inode:[eventpoll]`, a path), with counts.
fn describe_fds(pid: u32) -> String {
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    if let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for entry in entries.flatten() {
            let target = std::fs::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            let kind = target.split(':').next().unwrap_or_default().to_owned();
            let kind = if kind.starts_with('/') { target } else { kind };
            *kinds.entry(kind).or_default() += 1;
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} × {n}")).collect();
    kinds.join(", ")
}

/// Waits until the gauges stop moving for a moment (the server handles closes asynchronously).
async fn settle(server: &Server, api: &Api) -> Result<()> {
    let deadline = Instant::now() + SETTLE;
    let mut last = snapshot(server, api).await?;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = snapshot(server, api).await?;
        let still =
            now.sockets == last.sockets && now.streams == last.streams && now.fds == last.fds;
        if (still && now.sockets == WITNESSES as f64 && now.streams == 0.0)
            || Instant::now() > deadline
        {
            return Ok(());
        }
        last = now;
    }
}
