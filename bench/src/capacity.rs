//! The capacity phase: as many idle authenticated sockets as one server process may hold
//! (its open-file limit), opened after a burst of simultaneous handshakes, held for a minute
//! with every ping answered, then one notification to each of 1,000 users spread over them.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use notify_testkit::rest::{Api, metric_value};
use reqwest::Method;

use crate::config::Config;
use crate::deliveries::{ms, percentile};
use crate::fleet;
use crate::procfs;
use crate::rig::Rig;
use crate::server::Server;

/// Descriptors each process needs besides the sockets: the publisher's connections, the
/// listener, SQLite files, stdio.
const SPARE_DESCRIPTORS: usize = 64;

/// How often the hold checks that every socket is still open.
const CHECK_EVERY: Duration = Duration::from_secs(5);

pub async fn capacity(config: &Config, bench_nofile: u64) -> Result<String> {
    let total = config.capacity_sockets;
    let burst = config.burst.min(total);
    let needed = total + config.max_in_flight + SPARE_DESCRIPTORS;
    if needed as u64 > bench_nofile {
        bail!(
            "--capacity-sockets {total} needs {needed} descriptors in the bench (its limit is \
             {bench_nofile}); lower it or raise the limit (`ulimit -n`)"
        );
    }
    let server = Server::start(config, None).await?;
    let pid = server.pid();
    let (server_soft, _) = procfs::nofile_limits(pid)?;
    let warm = fleet::open(server.addr(), "warm", 1, 1, None).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = procfs::rss_kib(pid)?;

    // A burst: every handshake of the first `burst` sockets in flight at once.
    let cpu_before = procfs::cpu_time(pid)?;
    let burst_fleet = fleet::open(server.addr(), "burst", burst, burst, None).await?;
    let burst_cpu = procfs::cpu_time(pid)? - cpu_before;
    let burst_took = burst_fleet.took;

    // The rest, `--connect-concurrency` at a time, as receivers.
    let cpu_before = procfs::cpu_time(pid)?;
    let mut rig = Rig::with_receivers(config, vec![server], total - burst).await?;
    let rest_cpu = procfs::cpu_time(pid)? - cpu_before;
    let rest_took = rig.fleet.took;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_held = procfs::rss_kib(pid)?;

    // The hold: every socket must stay open (the load client answers every ping).
    let held_since = Instant::now();
    let hold = Duration::from_secs(config.capacity_hold_secs);
    let mut fewest_open = usize::MAX;
    while held_since.elapsed() < hold {
        tokio::time::sleep(CHECK_EVERY.min(hold.saturating_sub(held_since.elapsed()))).await;
        let open = burst_fleet.stats.open.load(Ordering::Relaxed)
            + rig.fleet.stats.open.load(Ordering::Relaxed);
        fewest_open = fewest_open.min(open);
    }
    let dropped = burst_fleet.stats.closed_by_peer.load(Ordering::Relaxed)
        + rig.fleet.stats.closed_by_peer.load(Ordering::Relaxed);
    let pongs = burst_fleet.stats.pongs.load(Ordering::Relaxed)
        + rig.fleet.stats.pongs.load(Ordering::Relaxed);
    let rss_after_hold = procfs::rss_kib(pid)?;
    let base_url = rig.servers[0].base_url();
    let api = Api::new(&base_url);
    let metrics = api.send(api.raw(Method::GET, "/metrics")).await;
    let gauge = metric_value(&metrics.text, "notify_sockets").unwrap_or(f64::NAN);

    // One notification each to users spread over the receivers (a fixed stride coprime to
    // their count visits distinct users in a scattered order).
    let receivers = total - burst;
    let targets = config.capacity_targets.min(receivers);
    let stride = coprime_stride(receivers);
    rig.aim_at(
        (0..targets)
            .map(|i| fleet::user_id("rx", (i * stride + 13) % receivers))
            .collect(),
    );
    let rate = u32::try_from(targets.max(1)).unwrap_or(u32::MAX);
    let step = rig
        .step(rate, Duration::from_secs(1), config.drain())
        .await?;
    drop(burst_fleet);
    drop(warm);
    let stopped = rig.stop().await?;

    let per_socket = rss_held.saturating_sub(rss_before) as f64 / total as f64;
    let handshake_micros = (burst_cpu + rest_cpu).as_secs_f64() * 1e6 / total as f64;
    let t = &step.tally.micros;
    let mut out = format!(
        "### Capacity: {total} idle sockets on one server for {} s\n\n",
        config.capacity_hold_secs
    );
    writeln!(out, "| | |\n|---|---|")?;
    writeln!(
        out,
        "| open-file limit (soft) | server {server_soft}, bench {bench_nofile} |"
    )?;
    writeln!(
        out,
        "| burst of {burst} simultaneous handshakes | all open in **{:.2} s** (server CPU {:.0} µs per handshake) |",
        burst_took.as_secs_f64(),
        burst_cpu.as_secs_f64() * 1e6 / burst.max(1) as f64
    )?;
    writeln!(
        out,
        "| the other {receivers}, {} at a time | {:.1} s (server CPU {:.0} µs per handshake) |",
        config.connect_concurrency,
        rest_took.as_secs_f64(),
        rest_cpu.as_secs_f64() * 1e6 / receivers.max(1) as f64
    )?;
    writeln!(
        out,
        "| server CPU per handshake, all sockets | **{:.3} ms** |",
        handshake_micros / 1000.0
    )?;
    writeln!(
        out,
        "| RSS before → with {total} sockets → after the hold | {rss_before} → {rss_held} → {rss_after_hold} KiB: **{per_socket:.1} KiB per socket** |"
    )?;
    writeln!(
        out,
        "| during the hold | fewest open {fewest_open} of {total}; closed by the server {dropped}; pings answered {pongs}; `notify_sockets` gauge {gauge} (incl. 1 warm-up socket) |"
    )?;
    writeln!(
        out,
        "| then one notification to each of {targets} users at {rate}/s | {}/{} delivered; POST → socket p50 {} ms, p90 {}, p99 **{}**, max {} |",
        step.tally.delivered,
        step.publish.sent,
        ms(percentile(t, 50.0)),
        ms(percentile(t, 90.0)),
        ms(percentile(t, 99.0)),
        ms(t.last().copied())
    )?;
    writeln!(out, "| server stop | {stopped} |")?;
    let kept = fewest_open == total && dropped == 0 && gauge as usize == total + 1;
    if !kept || !step.all_delivered {
        writeln!(
            out,
            "\n> **not held**: sockets dropped or notifications missing (see above)\n"
        )?;
    }
    Ok(out)
}

/// A stride coprime to `n` (and not tiny), so `i * stride % n` visits distinct values.
fn coprime_stride(n: usize) -> usize {
    (7_919..).find(|s| gcd(*s, n.max(1)) == 1).unwrap_or(1)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}
