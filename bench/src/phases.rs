//! The four single-node phases; each starts its own server, measures, stops it, and returns
//! Markdown. [`measure_latency`] and [`step_rates`] also serve the cluster phase
//! ([`crate::cluster`]).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Result;
use notify_testkit::rest::{Api, metric_value};
use reqwest::Method;

use crate::config::Config;
use crate::deliveries::{ms, percentile};
use crate::fleet;
use crate::procfs;
use crate::rig::{Rig, Step};
use crate::server::Server;

/// Soft open-file limit the server is started with to see whether it raises its own.
const LOW_NOFILE: u64 = 1024;

/// Whether the server raises its own RLIMIT_NOFILE (started with a soft limit of 1024).
pub async fn limits(config: &Config, bench_nofile: u64) -> Result<String> {
    let server = Server::start(config, Some(LOW_NOFILE)).await?;
    let (soft, hard) = procfs::nofile_limits(server.pid())?;
    server.stop().await?;
    let verdict = if soft.parse::<u64>().is_ok_and(|s| s > LOW_NOFILE) || soft == "unlimited" {
        "raises its own limit"
    } else {
        "does NOT raise its own limit"
    };
    Ok(format!(
        "### Open-file limit\n\n\
         - bench process: soft RLIMIT_NOFILE raised to {bench_nofile}\n\
         - server started with soft {LOW_NOFILE}: now soft {soft}, hard {hard} → the server {verdict}\n\
         - the phases below start the server with the bench's raised limit (inherited)\n"
    ))
}

/// (a) Server RSS growth per idle authenticated Socket.IO socket, one fresh server per count.
pub async fn memory(config: &Config) -> Result<String> {
    let mut out = String::from(
        "### (a) Memory per idle authenticated socket\n\n\
         | sockets | RSS before | RSS with sockets | delta | per socket | connect time | server threads |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for &count in &config.sockets {
        let server = Server::start(config, None).await?;
        let pid = server.pid();
        // One socket first, so lazily built per-namespace state is in the baseline.
        let warm = fleet::open(server.addr(), "warm", 1, 1, None).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = procfs::rss_kib(pid)?;

        let fleet = fleet::open(
            server.addr(),
            "idle",
            count,
            config.connect_concurrency,
            None,
        )
        .await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = procfs::rss_kib(pid)?;
        let threads = procfs::threads(pid)?;
        let api = Api::new(server.base_url());
        let metrics = api.send(api.raw(Method::GET, "/metrics")).await;
        let gauge = metric_value(&metrics.text, "notify_sockets").unwrap_or(f64::NAN);
        let still_open = fleet.stats.open.load(std::sync::atomic::Ordering::Relaxed);

        let delta = after.saturating_sub(before);
        let per = delta as f64 / count as f64;
        writeln!(
            out,
            "| {count} | {before} KiB | {after} KiB | {delta} KiB | **{per:.1} KiB** | {:.1} s | {threads} |",
            fleet.took.as_secs_f64()
        )?;
        if gauge as usize != count + 1 || still_open != fleet.sockets.len() {
            writeln!(
                out,
                "\n> warning: notify_sockets gauge = {gauge}, client sockets open = {still_open}, expected {}\n",
                count + 1
            )?;
        }
        if config.hold_secs > 0 {
            eprintln!(
                "holding {count} sockets for {} s; server pid {pid}",
                config.hold_secs
            );
            tokio::time::sleep(Duration::from_secs(config.hold_secs)).await;
        }
        drop(fleet);
        drop(warm);
        server.stop().await?;
    }
    Ok(out)
}

/// (b) Delivery latency at a steady rate, over many users.
pub async fn latency(config: &Config) -> Result<String> {
    let mut rig = Rig::start(config).await?;
    let heading = format!(
        "### (b) Delivery latency at {} notifications/s for {} s ({} receiving sockets, one user each)",
        config.latency_rate, config.latency_secs, config.receivers
    );
    let mut out = measure_latency(config, &mut rig, &heading).await?;
    let stopped = rig.stop().await?;
    writeln!(out, "- server stop: {stopped}")?;
    Ok(out)
}

/// The latency measurement on `rig`: one second of warm-up, then `--latency-rate` for
/// `--latency-secs`; a Markdown section under `heading` (the rig keeps running).
pub async fn measure_latency(config: &Config, rig: &mut Rig, heading: &str) -> Result<String> {
    // One second at the same rate first, so caches and connection pools are warm.
    rig.step(config.latency_rate, Duration::from_secs(1), config.drain())
        .await?;
    let step = rig
        .step(
            config.latency_rate,
            config.latency_duration(),
            config.drain(),
        )
        .await?;

    let t = &step.tally.micros;
    let p = &step.publish;
    let mut post = p.post_micros.clone();
    post.sort_unstable();
    let mut out = format!("{heading}\n\n");
    writeln!(
        out,
        "| | p50 | p90 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|"
    )?;
    writeln!(
        out,
        "| POST sent → socket received (ms) | {} | {} | **{}** | {} | {} |",
        ms(percentile(t, 50.0)),
        ms(percentile(t, 90.0)),
        ms(percentile(t, 99.0)),
        ms(percentile(t, 99.9)),
        ms(t.last().copied())
    )?;
    writeln!(
        out,
        "| POST round trip (ms) | {} | {} | {} | {} | {} |\n",
        ms(percentile(&post, 50.0)),
        ms(percentile(&post, 90.0)),
        ms(percentile(&post, 99.0)),
        ms(percentile(&post, 99.9)),
        ms(post.last().copied())
    )?;
    out.push_str(&step_summary(&step));
    Ok(out)
}

/// (c) Steps the publish rate up until a step is not fully delivered in time or errors.
pub async fn throughput(config: &Config) -> Result<String> {
    let mut rig = Rig::start(config).await?;
    let heading = format!(
        "### (c) Sustained publish rate ({} s per step, {} receiving sockets, drain {} s)",
        config.step_secs, config.receivers, config.drain_secs
    );
    let (mut out, _) = step_rates(config, &mut rig, &config.rates, &heading).await?;
    let stopped = rig.stop().await?;
    writeln!(out, "- server stop: {stopped}")?;
    Ok(out)
}

/// The throughput stepping on `rig`: `rates` in order, `--step-secs` each, until a step
/// fails; a Markdown section under `heading` and the highest passing rate.
pub async fn step_rates(
    config: &Config,
    rig: &mut Rig,
    rates: &[u32],
    heading: &str,
) -> Result<(String, Option<u32>)> {
    let mut out = format!(
        "{heading}\n\n\
         A step passes when every POST got 201, the publisher kept its schedule (achieved ≥ 95% of the \
         target rate), every notification reached its socket within the drain time, and delivery \
         p99 stayed under 1 s.\n\n\
         | target/s | achieved/s | created | delivered | errors | delivery p50 ms | p99 ms | max ms | POST p99 ms | server CPU | server CPU µs/notification | bench CPU | pass |\n\
         |---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    let mut best = None;
    let started = Instant::now();
    for &rate in rates {
        let step = rig
            .step(rate, config.step_duration(), config.drain())
            .await?;
        let passed = passes(&step);
        let mut post = step.publish.post_micros.clone();
        post.sort_unstable();
        let t = &step.tally.micros;
        writeln!(
            out,
            "| {rate} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.2} cores | {} |",
            step.publish.achieved_rate(),
            step.publish.created,
            step.tally.delivered,
            errors(&step),
            ms(percentile(t, 50.0)),
            ms(percentile(t, 99.0)),
            ms(t.last().copied()),
            ms(percentile(&post, 99.0)),
            server_cpu(&step),
            step.server_micros_each,
            step.bench_cores,
            if passed { "yes" } else { "**no**" },
        )?;
        eprintln!("  rate {rate}/s: {}", if passed { "pass" } else { "fail" });
        if !passed {
            break;
        }
        best = Some(rate);
    }
    writeln!(
        out,
        "\nHighest sustained rate with every notification delivered: **{}** (stepping took {:.0} s)",
        best.map_or_else(|| "none of the steps".to_owned(), |r| format!("{r}/s")),
        started.elapsed().as_secs_f64()
    )?;
    Ok((out, best))
}

/// Server CPU over a step: `0.85 cores`, or with several nodes the sum and each node's share
/// (`1.20 cores (A 0.40 + B 0.80)`, receiving node first), then PostgreSQL's and Redis's
/// when counted (`; PostgreSQL/Redis 0.50`).
fn server_cpu(step: &Step) -> String {
    let mut text = format!("{:.2} cores", step.server_cores);
    if step.node_cores.len() > 1 {
        let nodes: Vec<String> = step
            .node_cores
            .iter()
            .zip(["A", "B", "C", "D"].iter().cycle())
            .map(|(cores, name)| format!("{name} {cores:.2}"))
            .collect();
        text = format!("{text} ({})", nodes.join(" + "));
    }
    if let Some(services) = step.services_cores {
        text = format!("{text}; PostgreSQL/Redis {services:.2}");
    }
    text
}

fn passes(step: &Step) -> bool {
    let p = &step.publish;
    p.ok()
        && step.all_delivered
        && step.tally.delivered == p.created
        && p.achieved_rate() >= 0.95 * step.rate as f64
        && percentile(&step.tally.micros, 99.0).is_some_and(|p99| p99 < 1_000_000)
}

fn errors(step: &Step) -> String {
    let p = &step.publish;
    let mut parts: Vec<String> = p
        .statuses
        .iter()
        .map(|(code, n)| format!("{n}× HTTP {code}"))
        .collect();
    if p.transport_errors > 0 {
        parts.push(format!("{}× transport", p.transport_errors));
    }
    if step.tally.unparsable > 0 {
        parts.push(format!("{} unparsable events", step.tally.unparsable));
    }
    if step.tally.duplicates > 0 {
        parts.push(format!("{} duplicates", step.tally.duplicates));
    }
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

fn step_summary(step: &Step) -> String {
    let p = &step.publish;
    let mut out = format!(
        "- published {} (achieved {:.0}/s), created {}, delivered {}, errors: {}\n\
         - publisher's worst lag behind schedule: {:.1} ms\n\
         - CPU over the step: server {} ({:.0} µs per notification), bench {:.2} cores\n",
        p.sent,
        p.achieved_rate(),
        p.created,
        step.tally.delivered,
        errors(step),
        p.max_lag.as_secs_f64() * 1000.0,
        server_cpu(step),
        step.server_micros_each,
        step.bench_cores,
    );
    if let Some(e) = &p.first_error {
        let _ = writeln!(out, "- first transport error: {e}");
    }
    out
}
