//! Real PostgreSQL and Redis servers for the cluster tests, from Debian's `postgresql` and
//! `redis-server` packages (the test command installs them when missing).
//!
//! Each runs on a free loopback port with its data in a temp dir, is stopped by pid, and can
//! be stopped and started again on the same port and data (to test outages).
//! PostgreSQL refuses to run as root, so under root it runs as the `postgres` system user.

use std::net::TcpListener;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a service may take to accept connections.
const STARTUP: Duration = Duration::from_secs(30);

/// A free loopback port (bound and released; the service binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited during startup: {status}");
        }
        assert!(
            started.elapsed() < STARTUP,
            "{what} did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop_child(child: &mut Option<Child>, signal: libc::c_int) {
    if let Some(mut child) = child.take() {
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) on our own unreaped child.
        unsafe { libc::kill(pid, signal) };
        let _ = child.wait();
    }
}

/// The uid/gid to run PostgreSQL as: ours, or the `postgres` user's when we are root.
fn postgres_identity() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let field = |flag: &str| -> u32 {
        let out = Command::new("id")
            .arg(flag)
            .arg("postgres")
            .output()
            .expect("run id");
        assert!(
            out.status.success(),
            "no `postgres` user: install Debian's postgresql package"
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("numeric id")
    };
    Some((field("-u"), field("-g")))
}

/// Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`), newest version.
fn postgres_bin_dir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: apt-get install postgresql (scripts/test.sh does)")
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("postgres").exists())
        .collect();
    dirs.sort();
    dirs.pop()
        .expect("no PostgreSQL server binary under /usr/lib/postgresql")
}

/// A PostgreSQL server with a fresh cluster in a temp dir.
pub struct Postgres {
    child: Option<Child>,
    port: u16,
    bin: PathBuf,
    identity: Option<(u32, u32)>,
    dir: tempfile::TempDir,
}

impl Postgres {
    /// Initialises a cluster (user `notify`, trust auth on loopback) and starts it.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let identity = postgres_identity();
        if let Some((uid, gid)) = identity {
            chown(dir.path(), Some(uid), Some(gid)).expect("chown the data dir to postgres");
        }
        let bin = postgres_bin_dir();
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .args([
                "-D",
                "data",
                "-U",
                "notify",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some((uid, gid)) = identity {
            initdb.uid(uid).gid(gid);
        }
        let out = initdb.output().expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut postgres = Self {
            child: None,
            port: free_port(),
            bin,
            identity,
            dir,
        };
        postgres.resume();
        postgres
    }

    /// `postgres://notify@127.0.0.1:<port>/postgres`
    pub fn url(&self) -> String {
        format!("postgres://notify@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown); the data stays for [`Postgres::resume`].
    pub fn stop(&mut self) {
        stop_child(&mut self.child, libc::SIGINT);
    }

    /// Starts the server again on the same port and data.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "PostgreSQL is already running");
        let mut command = Command::new(self.bin.join("postgres"));
        command
            .args(["-D", "data", "-k"])
            .arg(self.dir.path())
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.identity {
            command.uid(uid).gid(gid);
        }
        let mut child = command.spawn().expect("start postgres");
        wait_for_port(self.port, "postgres", &mut child);
        // The port opens before the server accepts sessions ("the database system is starting up").
        let started = Instant::now();
        while !Command::new(self.bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .status()
            .is_ok_and(|status| status.success())
        {
            assert!(started.elapsed() < STARTUP, "postgres did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child = Some(child);
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        stop_child(&mut self.child, libc::SIGQUIT);
    }
}

/// A Redis server without persistence.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    pub fn start() -> Self {
        let mut redis = Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        redis.resume();
        redis
    }

    /// `redis://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (a Redis outage).
    pub fn stop(&mut self) {
        stop_child(&mut self.child, libc::SIGKILL);
    }

    /// Starts it again on the same port.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "Redis is already running");
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not installed: apt-get install redis-server (scripts/test.sh does)");
        wait_for_port(self.port, "redis-server", &mut child);
        self.child = Some(child);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        stop_child(&mut self.child, libc::SIGKILL);
    }
}
