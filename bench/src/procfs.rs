//! What the benchmark reads about the server process from `/proc/<pid>`, and the bench's
//! own open-file limit.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};

/// Resident memory of `pid` in KiB (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Result<u64> {
    status_field(pid, "VmRSS:")
}

/// Threads of `pid` (`Threads` in `/proc/<pid>/status`).
pub fn threads(pid: u32) -> Result<u64> {
    status_field(pid, "Threads:")
}

fn status_field(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))?;
    let number = line[field.len()..]
        .split_whitespace()
        .next()
        .ok_or_else(|| anyhow!("empty {field}"))?;
    Ok(number.parse()?)
}

/// CPU time `pid` has used so far, user + system (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    let rest = &stat[stat.rfind(')').ok_or_else(|| anyhow!("bad stat"))? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(Duration::from_millis(ticks * 1000 / hz))
}

/// CPU time used so far by this process's descendants (user + system, each process's own),
/// leaving out `exclude` and everything under them; processes that already exited don't
/// count. The cluster phase's PostgreSQL (postmaster and backends) and Redis are this.
pub fn descendants_cpu_time(exclude: &[u32]) -> Result<Duration> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Some(pid) = entry?
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // Processes come and go while we read; skip the ones that went.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let ppid = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![std::process::id()];
    let mut total = Duration::ZERO;
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        i += 1;
        for &(pid, ppid) in &parents {
            if ppid == parent && !exclude.contains(&pid) && !found.contains(&pid) {
                found.push(pid);
                total += cpu_time(pid).unwrap_or_default();
            }
        }
    }
    Ok(total)
}

/// CPU time this process has used so far (user + system).
pub fn own_cpu_time() -> Result<Duration> {
    cpu_time(std::process::id())
}

/// The soft and hard "Max open files" of `pid` (`/proc/<pid>/limits`).
pub fn nofile_limits(pid: u32) -> Result<(String, String)> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits"))?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .ok_or_else(|| anyhow!("no Max open files line"))?;
    let mut parts = line["Max open files".len()..].split_whitespace();
    let soft = parts.next().unwrap_or("?").to_owned();
    let hard = parts.next().unwrap_or("?").to_owned();
    Ok((soft, hard))
}

/// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the new soft limit.
pub fn raise_own_nofile() -> Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
    }
    Ok(limit.rlim_cur)
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), e.g. `0.52 0.61 0.70`.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}
