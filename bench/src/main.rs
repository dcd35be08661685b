//! `notify-bench`: measures the release notify-server on this machine and prints Markdown.
//!
//! # Layout
//! - [`config`]: flags (binary path, socket counts, rates, durations); every load is bounded.
//! - [`server`]: starts a fresh server per phase on `127.0.0.1:0`, stops it by pid.
//! - [`procfs`]: RSS, CPU time and open-file limits from `/proc`.
//! - [`fleet`]: opens thousands of lean Socket.IO sockets ([`notify_testkit::load`]).
//! - [`publisher`]: open-loop `POST /notifications` at a fixed rate.
//! - [`deliveries`]: matches what sockets received to what was sent; percentiles.
//! - [`rig`]: server(s) + receiving sockets + collector + publisher, for (b), (c) and cluster.
//! - [`phases`]: limits, (a) memory, (b) latency, (c) throughput.
//! - [`cluster`]: two nodes on PostgreSQL + Redis (latency across nodes, sustained rate), and
//!   one node on PostgreSQL; not in the default phases (`--phases cluster`).
//! - [`capacity`]: 19,000 idle sockets on one server for a minute, a burst of handshakes,
//!   then one notification to each of 1,000 of them (`--phases capacity`).
//! - [`soak`]: a bounded soak (default 10 min, `--soak-secs`): connection churn, expiring
//!   tokens and steady publishing; resources back at baseline, nothing lost (`--phases soak`).
//!
//! Usage: `cargo build --release -p notify-server -p notify-bench && target/release/notify-bench`.

mod capacity;
mod cluster;
mod config;
mod deliveries;
mod fleet;
mod phases;
mod procfs;
mod publisher;
mod rig;
mod server;
mod soak;

use anyhow::Result;
use clap::Parser;

use config::{Config, Phase};

#[tokio::main]
async fn main() -> Result<()> {
    let config = Config::parse();
    let bench_nofile = procfs::raise_own_nofile()?;
    println!("{}", header(&config));
    for phase in &config.phases {
        eprintln!("phase {phase:?}…");
        let load_before = procfs::loadavg();
        let section = match phase {
            Phase::Limits => phases::limits(&config, bench_nofile).await?,
            Phase::Memory => phases::memory(&config).await?,
            Phase::Latency => phases::latency(&config).await?,
            Phase::Throughput => phases::throughput(&config).await?,
            Phase::Cluster => cluster::cluster(&config).await?,
            Phase::Capacity => capacity::capacity(&config, bench_nofile).await?,
            Phase::Soak => soak::soak(&config).await?,
        };
        println!("{section}");
        println!(
            "_load average (1/5/15 min) before → after this phase: {load_before} → {}_\n",
            procfs::loadavg()
        );
    }
    Ok(())
}

/// What was measured where: machine, binary, and the exact arguments.
fn header(config: &Config) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "## notify-bench run\n\n\
         - machine: {cores} cores ({cpu}); bench and server share them, on 127.0.0.1\n\
         - server: `{}` (default rate limits)\n\
         - arguments: `{}`\n",
        config.server_bin.display(),
        if args.is_empty() {
            "(defaults)".to_owned()
        } else {
            args.join(" ")
        }
    )
}
