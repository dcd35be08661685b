//! Runs the release server under test: one fresh process (and SQLite file) per phase, or a
//! cluster node on a shared PostgreSQL (and Redis) for the `cluster` phase.
//!
//! The server gets a free loopback port (`--port 0`), its default rate limits, and the
//! testkit's HS256 secret so tokens can be minted in-process. It is stopped by pid (SIGTERM,
//! then SIGKILL if it doesn't exit), and its temp dir goes with it. Its log (stderr) goes to
//! a file in that dir; the last lines are shown when it doesn't start or stop cleanly.
//!
//! This launcher, rather than the testkit's, because the bench needs to set the child's
//! open-file limit before `exec` (to see whether the server raises its own).

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::config::Config;
use notify_testkit::jwt::TEST_SECRET;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Where a server keeps its notifications, and whether it joins other nodes.
#[derive(Debug, Clone, Default)]
pub enum Store {
    /// A fresh SQLite file in the server's temp dir (one node, nothing else running).
    #[default]
    Sqlite,
    /// A shared PostgreSQL (`--database-url`), with `--redis-url` when several nodes serve.
    Postgres {
        database_url: String,
        redis_url: Option<String>,
    },
}

/// A running server process.
pub struct Server {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `bin` and waits for its `listening on http://127.0.0.1:<port>` line.
    ///
    /// With `soft_nofile`, the child starts with that soft RLIMIT_NOFILE (hard unchanged).
    pub async fn start(config: &Config, soft_nofile: Option<u64>) -> Result<Server> {
        Server::start_with(config, soft_nofile, &Store::Sqlite).await
    }

    /// Like [`Server::start`], on `store`.
    pub async fn start_with(
        config: &Config,
        soft_nofile: Option<u64>,
        store: &Store,
    ) -> Result<Server> {
        let bin = config.server_bin.as_path();
        if !bin.exists() {
            bail!(
                "{} not found: run `cargo build --release -p notify-server` first",
                bin.display()
            );
        }
        let dir = match &config.data_dir {
            Some(parent) => tempfile::tempdir_in(parent)?,
            None => tempfile::tempdir()?,
        };
        let (database_url, redis_url) = match store {
            Store::Sqlite => (
                format!("sqlite://{}", dir.path().join("bench.db").display()),
                None,
            ),
            Store::Postgres {
                database_url,
                redis_url,
            } => (database_url.clone(), redis_url.clone()),
        };
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let mut command = std::process::Command::new(bin);
        command
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--jwt-secret",
                TEST_SECRET,
            ])
            // Every bench client comes from 127.0.0.1: the per-address cap on handshakes that
            // haven't authenticated yet (256 by default) would refuse the bursts the bench makes.
            .args(["--max-pending-handshakes-per-ip", "100000"])
            .arg("--database-url")
            .arg(database_url)
            .args(
                redis_url
                    .iter()
                    .flat_map(|url| ["--redis-url", url.as_str()]),
            )
            .env_remove("PORT")
            .env_remove("HOST")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        let server_cpu = config.server_cpu;
        if soft_nofile.is_some() || server_cpu.is_some() {
            // SAFETY: only async-signal-safe calls (getrlimit/setrlimit, sched_setaffinity)
            // between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    if let Some(soft) = soft_nofile {
                        set_soft_nofile(soft)?;
                    }
                    if let Some(cpu) = server_cpu {
                        pin_to_cpu(cpu)?;
                    }
                    Ok(())
                });
            }
        }
        let mut child = Command::from(command)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().ok_or_else(|| anyhow!("server exited at once"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();

        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or(rest);
                    return Ok::<_, anyhow::Error>(addr.parse::<SocketAddr>()?);
                }
            }
            bail!("server closed stdout without printing `listening on`")
        })
        .await
        .context("waiting for `listening on`")
        .and_then(|found| found)
        .with_context(|| log_tail(dir.path()))?;

        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            child,
            pid,
            addr,
            _dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM by pid, then SIGKILL after 10 s; returns the exit status text.
    pub async fn stop(mut self) -> Result<String> {
        // SAFETY: kill(2) on the pid of our own child, which we haven't reaped yet.
        unsafe { libc::kill(self.pid as i32, libc::SIGTERM) };
        match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => {
                let status = status?;
                if !status.success() {
                    eprintln!("{}", log_tail(self._dir.path()));
                }
                Ok(status.to_string())
            }
            Err(_) => {
                self.child.kill().await?;
                Ok("did not exit within 10 s of SIGTERM; killed".to_owned())
            }
        }
    }
}

/// The last lines of the server's log, for error messages.
/// Lowers this process's soft RLIMIT_NOFILE to `soft` (at most the hard limit).
fn set_soft_nofile(soft: u64) -> std::io::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        limit.rlim_cur = soft.min(limit.rlim_max);
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Restricts this process to one CPU.
fn pin_to_cpu(cpu: usize) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and sched_setaffinity only
    // touch it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    format!("server log (last lines):\n{tail}")
}
