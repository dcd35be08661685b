//! The setup shared by the latency and throughput phases: a fresh server, one receiving
//! socket per user, a delivery collector, and a publisher with a service token.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use notify_testkit::Token;
use notify_testkit::jwt::TEST_SECRET;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::deliveries::{Deliveries, Tally};
use crate::fleet::{self, Fleet};
use crate::procfs;
use crate::publisher::{self, Outcome, Plan};
use crate::server::Server;

pub struct Rig {
    pub server: Server,
    pub fleet: Fleet,
    pub deliveries: Deliveries,
    client: reqwest::Client,
    service_token: String,
    users: Vec<String>,
    epoch: Instant,
    next_seq: u64,
    max_in_flight: usize,
}

/// One publishing step and what became of it.
pub struct Step {
    pub rate: u32,
    pub publish: Outcome,
    pub tally: Tally,
    pub all_delivered: bool,
    /// Server CPU use over the step (1.0 = one core busy), publish start to drain end.
    pub server_cores: f64,
    /// The bench's own CPU use over the same span.
    pub bench_cores: f64,
    /// Server CPU time over the step divided by the notifications created, in µs.
    pub server_micros_each: f64,
}

impl Rig {
    pub async fn start(config: &Config) -> Result<Rig> {
        let server = Server::start(config, None).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let epoch = Instant::now();
        let deliveries = Deliveries::spawn(rx, epoch);
        let fleet = fleet::open(
            server.addr(),
            "rx",
            config.receivers,
            config.connect_concurrency,
            Some(tx),
        )
        .await?;
        let users = (0..config.receivers)
            .map(|i| fleet::user_id("rx", i))
            .collect();
        Ok(Rig {
            server,
            fleet,
            deliveries,
            client: publisher::client(config.max_in_flight),
            service_token: Token::service("bench-publisher").hs256(TEST_SECRET),
            users,
            epoch,
            next_seq: 0,
            max_in_flight: config.max_in_flight,
        })
    }

    /// Publishes at `rate` for `duration`, then waits up to `drain` for every delivery.
    pub async fn step(&mut self, rate: u32, duration: Duration, drain: Duration) -> Result<Step> {
        if rate == 0 {
            bail!("rate must be positive");
        }
        let plan = Plan {
            rate,
            duration,
            users: &self.users,
            first_seq: self.next_seq,
        };
        let pid = self.server.pid();
        let (server_cpu0, bench_cpu0, wall0) = (
            procfs::cpu_time(pid)?,
            procfs::own_cpu_time()?,
            Instant::now(),
        );

        let base = self.server.base_url();
        let publish = publisher::run(
            &self.client,
            &base,
            &self.service_token,
            &plan,
            self.epoch,
            self.max_in_flight,
        )
        .await;
        let first = plan.first_seq;
        self.next_seq += publish.sent;
        let all_delivered = self
            .deliveries
            .wait_for(first, publish.sent, publish.created, drain)
            .await;
        let tally = self.deliveries.tally(first, publish.sent);

        let wall = wall0.elapsed().as_secs_f64();
        let server_cpu = (procfs::cpu_time(pid)? - server_cpu0).as_secs_f64();
        let server_cores = server_cpu / wall;
        let server_micros_each = server_cpu * 1e6 / publish.created.max(1) as f64;
        let bench_cores = (procfs::own_cpu_time()? - bench_cpu0).as_secs_f64() / wall;
        Ok(Step {
            rate,
            publish,
            tally,
            all_delivered: all_delivered
                && self.fleet.stats.closed_by_peer.load(Ordering::Relaxed) == 0,
            server_cores,
            bench_cores,
            server_micros_each,
        })
    }

    pub async fn stop(self) -> Result<String> {
        drop(self.fleet);
        self.server.stop().await
    }
}
