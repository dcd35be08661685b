//! The `cluster` phase: two nodes on a shared PostgreSQL and Redis, and one node on PostgreSQL
//! alone, measured with the same code as phases (b) and (c).
//!
//! PostgreSQL and Redis are real servers from Debian's packages, started on free loopback
//! ports with their data in temp dirs by [`notify_testkit::services`] (PostgreSQL with
//! `fsync=off`, Redis without persistence) and stopped by pid when dropped. Each part gets a
//! fresh PostgreSQL cluster, so neither measures on the other's rows.
//!
//! 1. Nodes A and B (`--database-url postgres://…`, `--redis-url redis://…`, default limits):
//!    receiving sockets on A, `POST /notifications` to B, so every delivery goes B → Redis → A.
//!    Latency as in (b), then the rate stepping of (c) on the same nodes and sockets.
//! 2. One node on PostgreSQL without Redis: the rate stepping of (c), to compare the stores
//!    (the SQLite figure is phase (c)).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use notify_testkit::services::{Postgres, Redis};

use crate::config::Config;
use crate::phases::{measure_latency, step_rates};
use crate::procfs;
use crate::rig::Rig;
use crate::server::{Server, Store};

/// PostgreSQL, and Redis when several nodes share it; stopped (by pid) on drop.
struct Services {
    postgres: Postgres,
    redis: Option<Redis>,
}

impl Services {
    /// Starts a fresh PostgreSQL cluster, and a Redis with `with_redis`.
    ///
    /// The testkit's launchers block (initdb, readiness polling) and panic on failure, so
    /// they run on a blocking thread and a panic comes back as an error.
    async fn start(with_redis: bool) -> Result<Services> {
        tokio::task::spawn_blocking(move || {
            let postgres = Postgres::start();
            let redis = with_redis.then(Redis::start);
            Services { postgres, redis }
        })
        .await
        .map_err(|e| anyhow!("starting PostgreSQL/Redis failed: {e}"))
        .context("needs Debian's postgresql and redis-server packages")
    }

    fn store(&self) -> Store {
        Store::Postgres {
            database_url: self.postgres.url(),
            redis_url: self.redis.as_ref().map(Redis::url),
        }
    }

    /// Stops both (their `Drop` waits for the processes) off the async threads.
    async fn stop(self) {
        let _ = tokio::task::spawn_blocking(move || drop(self)).await;
    }
}

/// The whole phase; Markdown.
pub async fn cluster(config: &Config) -> Result<String> {
    let started = Instant::now();
    let mut out = String::from(
        "### Two nodes (PostgreSQL + Redis)\n\n\
         Nodes A and B share one PostgreSQL and one Redis (all on 127.0.0.1, default limits); \
         the receiving sockets are on A and the POSTs go to B, so every delivery crosses nodes \
         through Redis. Server CPU is the sum of both nodes (A + B), then PostgreSQL's \
         (postmaster and backends) and Redis's own; all of it, the bench and anything else \
         running share the machine's cores. PostgreSQL runs with `fsync=off`.\n\n",
    );

    let load = procfs::loadavg();
    let services = Services::start(true).await?;
    let store = services.store();
    let a = Server::start_with(config, None, &store).await?;
    let b = Server::start_with(config, None, &store).await?;
    let mut rig = Rig::on(config, vec![a, b]).await?;
    rig.count_services = true;
    let heading = format!(
        "#### Delivery latency across nodes at {} notifications/s for {} s ({} receiving sockets on A, POSTs to B)",
        config.latency_rate, config.latency_secs, config.receivers
    );
    out.push_str(&measure_latency(config, &mut rig, &heading).await?);
    writeln!(
        out,
        "- load average before → after: {load} → {}\n",
        procfs::loadavg()
    )?;

    let load = procfs::loadavg();
    let heading = format!(
        "#### Sustained publish rate, two nodes ({} s per step, {} receiving sockets on A, POSTs to B, drain {} s)",
        config.step_secs, config.receivers, config.drain_secs
    );
    let (section, two_nodes) =
        step_rates(config, &mut rig, &config.cluster_rates, &heading).await?;
    out.push_str(&section);
    let stopped = rig.stop().await?;
    services.stop().await;
    writeln!(
        out,
        "- server stops: {stopped}\n- load average before → after: {load} → {}\n",
        procfs::loadavg()
    )?;

    let load = procfs::loadavg();
    let services = Services::start(false).await?;
    let node = Server::start_with(config, None, &services.store()).await?;
    let mut rig = Rig::on(config, vec![node]).await?;
    rig.count_services = true;
    let heading = format!(
        "#### Sustained publish rate, one node on PostgreSQL, no Redis ({} s per step, {} receiving sockets, drain {} s)",
        config.step_secs, config.receivers, config.drain_secs
    );
    let (section, one_node) = step_rates(config, &mut rig, &config.cluster_rates, &heading).await?;
    out.push_str(&section);
    let stopped = rig.stop().await?;
    services.stop().await;
    writeln!(
        out,
        "- server stop: {stopped}\n- load average before → after: {load} → {}\n",
        procfs::loadavg()
    )?;

    let rate = |r: Option<u32>| r.map_or_else(|| "none".to_owned(), |r| format!("{r}/s"));
    writeln!(
        out,
        "Highest sustained rate, all delivered: two nodes (PostgreSQL + Redis) **{}**, \
         one node on PostgreSQL **{}** (SQLite, one node: phase (c)). Phase took {:.0} s.",
        rate(two_nodes),
        rate(one_node),
        started.elapsed().as_secs_f64()
    )?;
    Ok(out)
}
