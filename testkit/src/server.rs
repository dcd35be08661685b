//! Launching the real `notify-server` binary.
//!
//! [`TestServer::start`] runs the binary with `--host 127.0.0.1 --port 0`, a SQLite file in a
//! fresh temp dir and the test JWT secret, scans stdout for `listening on http://…:<port>`,
//! and keeps draining stdout and stderr (the last lines are kept for failure messages).
//! It stops the process by pid: [`TestServer::terminate`] sends SIGTERM and waits for the exit,
//! [`TestServer::kill`] sends SIGKILL (a crash). [`TestServer::restart`] starts it again with
//! the same flags on the same database file. The process is killed when the value is dropped.
//!
//! The environment is cleared for the child (only `PATH` and `RUST_LOG`/`RUST_BACKTRACE` pass
//! through), so a developer's `JWT_SECRET` or `PORT` can't leak into a test.

use crate::jwt::{TEST_SECRET, Token};
use crate::rest::Api;
use crate::sio::{Auth, ConnectError, SioClient};
use crate::sse::SseClient;
use notify_bindings::ServerEvent;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

/// How long the binary may take to print its `listening on` line.
const STARTUP: Duration = Duration::from_secs(30);
/// How many output lines are kept for failure messages.
const KEPT_LINES: usize = 400;

/// Configures a server before starting it; see [`TestServer::builder`].
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    bin: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    secret: Option<String>,
    database: bool,
    port_zero: bool,
    files: Vec<(String, String)>,
}

impl ServerBuilder {
    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends a `--flag value` pair.
    pub fn flag(self, name: &str, value: impl Into<OsString>) -> Self {
        self.arg(name).arg(value)
    }

    /// Writes a file into the server's temp dir (its working directory) before it starts, so
    /// a flag can name it by a relative path: `.file("key.pem", PEM).flag("--jwt-public-key", "key.pem")`.
    pub fn file(mut self, name: &str, contents: &str) -> Self {
        self.files.push((name.to_owned(), contents.to_owned()));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Starts without `--jwt-secret` (for `--dev`, RS256/ES256, or the missing-secret check).
    /// Token helpers of the resulting server then panic.
    pub fn no_jwt_secret(mut self) -> Self {
        self.secret = None;
        self
    }

    /// Uses another HS256 secret than [`TEST_SECRET`].
    pub fn jwt_secret(mut self, secret: &str) -> Self {
        self.secret = Some(secret.to_owned());
        self
    }

    /// Doesn't pass `--database-url` (the server then uses its default in the temp dir).
    pub fn no_database_flag(mut self) -> Self {
        self.database = false;
        self
    }

    /// Doesn't pass `--port 0` (the test passes `--port`/`PORT` itself).
    pub fn no_port_flag(mut self) -> Self {
        self.port_zero = false;
        self
    }

    /// Starts the server; panics with its output if it doesn't come up.
    pub async fn start(self) -> TestServer {
        match self.try_start().await {
            Ok(server) => server,
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts the server, or returns how it failed (exit status and output).
    pub async fn try_start(self) -> Result<TestServer, StartError> {
        let dir = tempfile::Builder::new()
            .prefix("notify-test-")
            .tempdir()
            .expect("temp dir");
        let db_path = dir.path().join("notifications.db");
        for (name, contents) in &self.files {
            std::fs::write(dir.path().join(name), contents).expect("write server file");
        }
        let mut server = TestServer {
            child: None,
            port: 0,
            api: Api::new("http://127.0.0.1:0"),
            output: Arc::default(),
            db_path,
            builder: self,
            dir,
        };
        server.spawn().await?;
        Ok(server)
    }
}

/// The server didn't print its `listening on` line.
#[derive(Debug)]
pub struct StartError {
    /// The exit status if it exited, `None` if it hung (it was killed).
    pub status: Option<ExitStatus>,
    /// Everything it printed (stdout and stderr interleaved as read).
    pub output: String,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "server exited with {status} before listening")?,
            None => write!(f, "server didn't print `listening on` within {STARTUP:?}")?,
        }
        write!(f, "; output:\n{}", self.output)
    }
}

impl std::error::Error for StartError {}

/// Lines the server printed, shared with the draining tasks.
#[derive(Debug, Default)]
struct Output {
    lines: VecDeque<String>,
}

impl Output {
    fn push(&mut self, line: String) {
        if self.lines.len() == KEPT_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

/// A running (or stopped, restartable) `notify-server` process with its own temp dir.
pub struct TestServer {
    // Declared first so the process is killed before the temp dir is removed.
    child: Option<Child>,
    port: u16,
    api: Api,
    output: Arc<Mutex<Output>>,
    db_path: PathBuf,
    builder: ServerBuilder,
    dir: tempfile::TempDir,
}

impl TestServer {
    /// A builder with the defaults: `--host 127.0.0.1 --port 0`, a SQLite file in a temp dir,
    /// `--jwt-secret` [`TEST_SECRET`]. `bin` is `env!("CARGO_BIN_EXE_notify-server")`.
    pub fn builder(bin: impl AsRef<Path>) -> ServerBuilder {
        ServerBuilder {
            bin: bin.as_ref().to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            secret: Some(TEST_SECRET.to_owned()),
            database: true,
            port_zero: true,
            files: Vec::new(),
        }
    }

    /// Starts a server with the defaults of [`TestServer::builder`].
    pub async fn start(bin: impl AsRef<Path>) -> Self {
        Self::builder(bin).start().await
    }

    async fn spawn(&mut self) -> Result<(), StartError> {
        let b = &self.builder;
        let mut command = Command::new(&b.bin);
        command
            .current_dir(self.dir.path())
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for key in ["PATH", "RUST_LOG", "RUST_BACKTRACE"] {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        command.envs(b.envs.iter().map(|(k, v)| (k, v)));
        command.arg("--host").arg("127.0.0.1");
        if b.port_zero {
            command.arg("--port").arg("0");
        }
        if b.database {
            command
                .arg("--database-url")
                .arg(format!("sqlite://{}", self.db_path.display()));
        }
        if let Some(secret) = &b.secret {
            command.arg("--jwt-secret").arg(secret);
        }
        command.args(&b.args);

        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", b.bin.display()));
        let (tx, rx) = oneshot::channel();
        drain(
            child.stdout.take().expect("stdout"),
            self.output.clone(),
            Some(tx),
        );
        drain(
            child.stderr.take().expect("stderr"),
            self.output.clone(),
            None,
        );

        let outcome = tokio::select! {
            port = tokio::time::timeout(STARTUP, rx) => match port {
                Ok(Ok(port)) => Ok(port),
                Ok(Err(_)) => Err(None), // stdout closed without the line
                Err(_) => Err(None),
            },
            status = child.wait() => Err(status.ok()),
        };
        match outcome {
            Ok(port) => {
                self.port = port;
                self.api = Api::new(format!("http://127.0.0.1:{port}"));
                self.child = Some(child);
                Ok(())
            }
            Err(mut status) => {
                if status.is_none() {
                    // Give an exiting process a moment, else kill a hung one.
                    status = match tokio::time::timeout(Duration::from_secs(2), child.wait()).await
                    {
                        Ok(status) => status.ok(),
                        Err(_) => {
                            let _ = child.kill().await;
                            None
                        }
                    };
                }
                // Let the drain tasks catch the last lines.
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(StartError {
                    status,
                    output: self.output(),
                })
            }
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The SQLite file (`<tempdir>/notifications.db`).
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The temp dir (the server's working directory).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The REST client for this server.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// What the server printed so far (the last lines, stdout and stderr).
    pub fn output(&self) -> String {
        let output = self.output.lock().expect("output lock");
        output.lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// The HS256 secret the server was started with; panics if none.
    pub fn secret(&self) -> &str {
        self.builder
            .secret
            .as_deref()
            .expect("server started without --jwt-secret")
    }

    /// A valid user token for `user` (HS256, expires in an hour).
    pub fn user_token(&self, user: &str) -> String {
        Token::user(user).hs256(self.secret())
    }

    /// A valid publisher token (`role: "service"`).
    pub fn service_token(&self) -> String {
        Token::service("publisher").hs256(self.secret())
    }

    /// Opens a Socket.IO connection to `/notifications`.
    pub async fn sio(&self, auth: Auth) -> Result<SioClient, ConnectError> {
        SioClient::connect(&self.ws_url(), auth).await
    }

    /// Connects `user` with a fresh token in the CONNECT payload and reads the `unread_count`
    /// the server sends on connect; returns the socket and that count.
    pub async fn connect_user(&self, user: &str) -> (SioClient, u64) {
        let mut socket = self
            .sio(Auth::payload(self.user_token(user)))
            .await
            .unwrap_or_else(|e| panic!("connect {user}: {e}"));
        match socket.next_server_event().await {
            ServerEvent::UnreadCount(count) => (socket, count.count),
            other => panic!("expected unread_count first, got {other:?}"),
        }
    }

    /// A request for `GET /notifications/events` (no token, no total timeout), to add headers
    /// or query parameters to; open it with [`SseClient::open`].
    pub fn sse_request(&self, path_and_query: &str) -> reqwest::RequestBuilder {
        SseClient::http().get(self.api.url(path_and_query))
    }

    /// Opens `GET /notifications/events` for `user` (bearer header) and reads the first
    /// `unread_count`; returns the stream and that count.
    pub async fn sse_user(&self, user: &str) -> (SseClient, u64) {
        let request = self
            .sse_request("/notifications/events")
            .bearer_auth(self.user_token(user));
        let mut sse = SseClient::open(request)
            .await
            .unwrap_or_else(|reply| panic!("SSE for {user}: {} {}", reply.status, reply.text));
        match sse.next_event().await {
            (_, ServerEvent::UnreadCount(count)) => (sse, count.count),
            other => panic!("expected unread_count first, got {other:?}"),
        }
    }

    /// Sends SIGTERM and waits for the exit (panics after 15 s, killing it).
    pub async fn terminate(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.wait_exit(Duration::from_secs(15)).await
    }

    /// Sends SIGTERM without waiting (see [`TestServer::wait_exit`]).
    pub fn send_sigterm(&self) {
        self.signal(libc::SIGTERM);
    }

    /// Sends SIGKILL (a crash) and reaps the process.
    pub async fn kill(&mut self) -> ExitStatus {
        self.signal(libc::SIGKILL);
        self.wait_exit(Duration::from_secs(15)).await
    }

    /// Waits for the process to exit; kills it and panics after `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("server is not running");
        match tokio::time::timeout(limit, child.wait()).await {
            Ok(status) => status.expect("wait for server"),
            Err(_) => {
                let _ = child.kill().await;
                panic!(
                    "server didn't exit within {limit:?}; output:\n{}",
                    self.output()
                );
            }
        }
    }

    /// Starts the stopped server again with the same flags and database file (on a new port).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server before restarting it");
        if let Err(e) = self.spawn().await {
            panic!("restart: {e}");
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = self.pid().expect("server is not running");
        let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
        // SAFETY: kill(2) with the pid of our own child, which we haven't reaped yet.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }
}

/// Runs the binary once with `args` (e.g. the `token` subcommand) in a cleared environment
/// and returns its output; panics if it takes longer than [`crate::WAIT`].
pub async fn run_cli(bin: impl AsRef<Path>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(bin.as_ref());
    command
        .env_clear()
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    crate::within("the CLI to exit", command.output())
        .await
        .expect("run the CLI")
}

/// Copies lines from a child's pipe into `output`; sends the port of the first
/// `listening on http://host:port` line through `port`.
fn drain(
    pipe: impl AsyncRead + Unpin + Send + 'static,
    output: Arc<Mutex<Output>>,
    mut port: Option<oneshot::Sender<u16>>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(found) = listening_port(&line)
                && let Some(tx) = port.take()
            {
                let _ = tx.send(found);
            }
            output.lock().expect("output lock").push(line);
        }
    });
}

/// The port in a `listening on http://127.0.0.1:<port>` line.
pub fn listening_port(line: &str) -> Option<u16> {
    let (_, rest) = line
        .split_once("listening on http://")
        .or_else(|| line.split_once("listening on https://"))?;
    let authority = rest.split(['/', ' ']).next()?;
    let (_, port) = authority.rsplit_once(':')?;
    port.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::listening_port;

    #[test]
    fn finds_the_port() {
        assert_eq!(
            listening_port("listening on http://127.0.0.1:40123"),
            Some(40123)
        );
        assert_eq!(
            listening_port("INFO notify: listening on http://127.0.0.1:5/ (dev)"),
            Some(5)
        );
        assert_eq!(
            listening_port("listening on https://127.0.0.1:443"),
            Some(443)
        );
        assert_eq!(listening_port("dev token: eyJ..."), None);
    }
}
