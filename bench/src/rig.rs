//! The setup shared by the latency, throughput and cluster phases: a fresh server (or two
//! cluster nodes), one receiving socket per user, a delivery collector, and a publisher with a
//! service token.
//!
//! With two nodes the sockets are on the first ("A") and the POSTs go to the second ("B"), so
//! every delivery crosses nodes (through Redis).

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
    /// The receiving node first; the publishing node last (the same one when alone).
    pub servers: Vec<Server>,
    pub fleet: Fleet,
    pub deliveries: Deliveries,
    client: reqwest::Client,
    service_token: String,
    users: Vec<String>,
    epoch: Instant,
    next_seq: u64,
    max_in_flight: usize,
    /// Also measure the CPU of the bench's other child processes (PostgreSQL, Redis).
    pub count_services: bool,
}

/// One publishing step and what became of it.
pub struct Step {
    pub rate: u32,
    pub publish: Outcome,
    pub tally: Tally,
    pub all_delivered: bool,
    /// Server CPU use over the step (1.0 = one core busy), publish start to drain end;
    /// the sum over the nodes.
    pub server_cores: f64,
    /// The same per node (receiving node first); one entry when alone.
    pub node_cores: Vec<f64>,
    /// With [`Rig::count_services`]: CPU of PostgreSQL and Redis over the step.
    pub services_cores: Option<f64>,
    /// The bench's own CPU use over the same span.
    pub bench_cores: f64,
    /// Server CPU time over the step divided by the notifications created, in µs.
    pub server_micros_each: f64,
}

impl Rig {
    /// One fresh SQLite server, receiving and publishing.
    pub async fn start(config: &Config) -> Result<Rig> {
        let server = Server::start(config, None).await?;
        Rig::on(config, vec![server]).await
    }

    /// `--receivers` receiving sockets on `servers[0]`, POSTs to the last of `servers`.
    pub async fn on(config: &Config, servers: Vec<Server>) -> Result<Rig> {
        Rig::with_receivers(config, servers, config.receivers).await
    }

    /// `receivers` receiving sockets (users `rx-0`, `rx-1`, …) on `servers[0]`, POSTs to the
    /// last of `servers`.
    pub async fn with_receivers(
        config: &Config,
        servers: Vec<Server>,
        receivers: usize,
    ) -> Result<Rig> {
        let Some(server) = servers.first() else {
            bail!("a rig needs a server");
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let epoch = Instant::now();
        let deliveries = Deliveries::spawn(rx, epoch);
        let fleet = fleet::open(
            server.addr(),
            "rx",
            receivers,
            config.connect_concurrency,
            Some(tx),
        )
        .await?;
        let users = (0..receivers).map(|i| fleet::user_id("rx", i)).collect();
        Ok(Rig {
            servers,
            fleet,
            deliveries,
            client: publisher::client(config.max_in_flight),
            service_token: Token::service("bench-publisher").hs256(TEST_SECRET),
            users,
            epoch,
            next_seq: 0,
            max_in_flight: config.max_in_flight,
            count_services: false,
        })
    }

    /// From now on, publish round-robin over these receiving users only.
    pub fn aim_at(&mut self, users: Vec<String>) {
        self.users = users;
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
        let pids: Vec<u32> = self.servers.iter().map(Server::pid).collect();
        let services_cpu = |count: bool| -> Result<Option<Duration>> {
            count
                .then(|| procfs::descendants_cpu_time(&pids))
                .transpose()
        };
        let (server_cpu0, services_cpu0, bench_cpu0, wall0) = (
            cpu_times(&pids)?,
            services_cpu(self.count_services)?,
            procfs::own_cpu_time()?,
            Instant::now(),
        );

        let base = self.servers.last().expect("a server").base_url();
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
        let node_cpu: Vec<f64> = cpu_times(&pids)?
            .iter()
            .zip(&server_cpu0)
            .map(|(after, before)| (*after - *before).as_secs_f64())
            .collect();
        let server_cpu: f64 = node_cpu.iter().sum();
        let node_cores = node_cpu.iter().map(|cpu| cpu / wall).collect();
        let server_cores = server_cpu / wall;
        let server_micros_each = server_cpu * 1e6 / publish.created.max(1) as f64;
        let bench_cores = (procfs::own_cpu_time()? - bench_cpu0).as_secs_f64() / wall;
        let services_cores = services_cpu(self.count_services)?
            .zip(services_cpu0)
            .map(|(after, before)| after.saturating_sub(before).as_secs_f64() / wall);
        Ok(Step {
            rate,
            publish,
            tally,
            all_delivered: all_delivered
                && self.fleet.stats.closed_by_peer.load(Ordering::Relaxed) == 0,
            server_cores,
            node_cores,
            services_cores,
            bench_cores,
            server_micros_each,
        })
    }

    /// Closes the sockets and stops every server; their exit statuses, `; `-separated.
    pub async fn stop(self) -> Result<String> {
        drop(self.fleet);
        let mut statuses = Vec::new();
        for server in self.servers {
            statuses.push(server.stop().await?);
        }
        Ok(statuses.join("; "))
    }
}

fn cpu_times(pids: &[u32]) -> Result<Vec<Duration>> {
    pids.iter().map(|&pid| procfs::cpu_time(pid)).collect()
}
