//! Command-line flags of the benchmark (each also readable from an env var).
//!
//! Every load is bounded: socket counts, rates and durations all have ceilings here, and the
//! run stops by itself when the last phase ends.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Benchmarks the release notify-server on 127.0.0.1 and prints the figures as Markdown.
#[derive(Debug, Clone, Parser)]
#[command(name = "notify-bench", version, about)]
pub struct Config {
    /// The server binary (build it first: `cargo build --release -p notify-server`).
    #[arg(
        long,
        env = "NOTIFY_SERVER_BIN",
        default_value = "target/release/notify-server"
    )]
    pub server_bin: PathBuf,

    /// Where each server's temp dir (SQLite file, log) is made; default: the system temp dir.
    /// Pointing it at a tmpfs such as /dev/shm takes disk I/O out of the figures.
    #[arg(long, env = "NOTIFY_BENCH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Phases to run, in this order. `cluster` (≈ 1 min, needs Debian's postgresql and
    /// redis-server) and `capacity` (≈ 2 min, 19,000 sockets) are not in the default list:
    /// `--phases cluster`, `--phases capacity`.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "limits,memory,latency,throughput"
    )]
    pub phases: Vec<Phase>,

    /// (a) Idle authenticated sockets to hold, one fresh server per count.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    pub sockets: Vec<usize>,

    /// (a) After measuring, keep the sockets open this many seconds more (printing the
    /// server's pid), so a profiler can attach to the server in its idle state.
    #[arg(long, default_value_t = 0)]
    pub hold_secs: u64,

    /// Socket connects in flight at once while opening a fleet.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,

    /// (capacity) Idle authenticated sockets held at once on one server (the first
    /// `--burst` of them opened all at once). Each side holds one descriptor per socket, so
    /// this must stay below both processes' open-file limits (20,000 here).
    #[arg(long, default_value_t = 19_000)]
    pub capacity_sockets: usize,

    /// (capacity) Sockets opened simultaneously first, to show the accept backlog holds a
    /// burst of handshakes.
    #[arg(long, default_value_t = 1000)]
    pub burst: usize,

    /// (capacity) How long the sockets are held idle (pings answered) before publishing.
    #[arg(long, default_value_t = 60)]
    pub capacity_hold_secs: u64,

    /// (capacity) Users, spread over the held sockets, that each get one notification after
    /// the hold.
    #[arg(long, default_value_t = 1000)]
    pub capacity_targets: usize,

    /// (b) Steady publish rate for the latency phase, notifications per second.
    #[arg(long, default_value_t = 2000)]
    pub latency_rate: u32,

    /// (b) How long the latency phase publishes, in seconds.
    #[arg(long, default_value_t = 10)]
    pub latency_secs: u64,

    /// (b, c, cluster) Receiving users, one socket each; notifications go round-robin over them.
    #[arg(long, default_value_t = 1000)]
    pub receivers: usize,

    /// (c) Publish rates to try, in order, until one is not fully delivered in time.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "2000,4000,6000,8000,10000,12000,15000,20000,25000,30000"
    )]
    pub rates: Vec<u32>,

    /// (cluster) Publish rates to try on PostgreSQL (two nodes, then one), in order, until one
    /// fails; finer and lower than `--rates`, as the PostgreSQL store is slower than SQLite.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "500,1000,1500,2000,3000,4000,6000,8000,10000"
    )]
    pub cluster_rates: Vec<u32>,

    /// (c, cluster) Seconds each rate step publishes for.
    #[arg(long, default_value_t = 5)]
    pub step_secs: u64,

    /// (b, c) POSTs in flight at once (HTTP keep-alive connections used).
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: usize,

    /// (soak) How long the soak phase runs, in seconds (`--phases soak`).
    #[arg(long, default_value_t = 600)]
    pub soak_secs: u64,

    /// (b, c) After the last POST, how long to wait for outstanding deliveries, in seconds.
    #[arg(long, default_value_t = 3)]
    pub drain_secs: u64,

    /// Pins every server this bench starts to this one CPU (its tokio runtime then runs one
    /// worker), as the side-by-side measured; run the bench itself on another CPU
    /// (`taskset -c 1 target/release/notify-bench --server-cpu 0 …`).
    #[arg(long)]
    pub server_cpu: Option<usize>,
}

impl Config {
    pub fn latency_duration(&self) -> Duration {
        Duration::from_secs(self.latency_secs)
    }

    pub fn step_duration(&self) -> Duration {
        Duration::from_secs(self.step_secs)
    }

    pub fn drain(&self) -> Duration {
        Duration::from_secs(self.drain_secs)
    }
}

/// One part of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    /// Whether the server raises its own open-file limit.
    Limits,
    /// (a) Server memory per idle authenticated socket.
    Memory,
    /// (b) Delivery latency at a steady rate.
    Latency,
    /// (c) Highest sustained publish rate with every notification delivered.
    Throughput,
    /// Two nodes on PostgreSQL + Redis: latency across nodes, sustained rate; and the
    /// sustained rate of one node on PostgreSQL.
    Cluster,
    /// As many idle sockets as the open-file limit allows, held a minute, then notified.
    Capacity,
    /// A bounded soak (`--soak-secs`): churn of sockets, streams and expiring tokens under
    /// steady publishing; RSS, fds and gauges back at baseline, nothing lost.
    Soak,
}
