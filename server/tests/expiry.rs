//! Token expiry (and `refresh_token` moving it) and the SSE keep-alive, driven in-process with
//! paused time.
//!
//! The server runs in the test's own (single-threaded) runtime through the library, on a real
//! listener and a real SQLite file, and clients talk to it over loopback as usual. Once a
//! client is connected and has read its first event, the wait runs [`fast_forward`]: the
//! clock is paused and moved in steps, at most ten times as fast as the wall clock, so the
//! token's expiry or the keep-alive comes in a tenth of the time. Token validity itself is
//! checked against the wall clock, which a paused tokio clock doesn't touch, so a token is
//! valid at connect and its expiry is still what ends the connection.

use std::future::Future;
use std::time::Duration;

use clap::Parser;
use notify_server::auth::Authenticator;
use notify_server::config::Cli;
use notify_testkit::bindings::{Ack, ErrorCode, ServerEvent, TokenRefreshed, UnreadCount, events};
use notify_testkit::jwt::TEST_SECRET;
use notify_testkit::sio::{Auth, SioEvent};
use notify_testkit::sse::{SseClient, SseItem};
use notify_testkit::{SioClient, Token, within_for};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A server running inside the test's runtime; stopped when dropped.
struct InProcess {
    base_url: String,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl InProcess {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = format!("sqlite://{}", dir.path().join("notifications.db").display());
        let cli = Cli::try_parse_from([
            "notify-server",
            "--jwt-secret",
            TEST_SECRET,
            "--database-url",
            &database,
        ])
        .expect("flags");
        let auth = Authenticator::new(&cli.jwt, cli.jwt.jwt_secret.as_deref()).expect("auth");
        let store = notify_server::store::open(&database).await.expect("store");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let shutdown = CancellationToken::new();
        let serve = notify_server::server::serve(
            cli.server,
            auth,
            None,
            store,
            None,
            listener,
            None,
            shutdown.clone(),
        );
        let task = tokio::spawn(async move { serve.await.expect("server") });
        Self {
            base_url,
            shutdown,
            task,
            _dir: dir,
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.task.abort();
    }
}

/// How far the paused clock moves in one step, and the real time each step lets pass: the
/// clock runs at most ten times as fast as the wall clock.
const STEP: Duration = Duration::from_millis(10);
const REAL_STEP: Duration = Duration::from_millis(1);

/// Awaits `wait` with the clock paused, moving it by [`STEP`]s (see the module docs).
///
/// A paused clock alone jumps straight to the next timer whenever the runtime is idle, even
/// while bytes are still on their way over loopback (the kernel may deliver them a little
/// later, more so on a busy machine), so a guard timeout could fire ahead of an event that
/// came in time. Here the next timer is always a step away, and between steps a blocking
/// task (during which tokio doesn't move a paused clock) lets real time pass while the runtime
/// waits on I/O.
async fn fast_forward<T>(wait: impl Future<Output = T>) -> T {
    tokio::time::pause();
    let ticker = tokio::spawn(async {
        loop {
            tokio::time::sleep(STEP).await;
            let _ = tokio::task::spawn_blocking(|| std::thread::sleep(REAL_STEP)).await;
        }
    });
    let result = wait.await;
    ticker.abort();
    tokio::time::resume();
    result
}

fn count(n: u64) -> ServerEvent {
    ServerEvent::UnreadCount(UnreadCount {
        count: n,
        unseen: n,
    })
}

/// Connects `user` with a token valid for 2 s and reads the first `unread_count`.
async fn connect_for_two_seconds(server: &InProcess, user: &str) -> SioClient {
    let short = Token::user(user).expires_in(2).hs256(TEST_SECRET);
    let mut socket = SioClient::connect(&server.base_url, Auth::payload(short))
        .await
        .expect("connect with a token valid for 2 s");
    assert_eq!(socket.next_server_event().await, count(0));
    socket
}

/// Fast-forwards until the server disconnects `socket` (`41/notifications,`, which the client
/// sees as `io server disconnect`); `what` names the moment in a failure.
async fn disconnected_by_the_server(socket: &mut SioClient, what: &str) {
    let (end, _) = fast_forward(within_for(
        Duration::from_secs(20),
        what,
        socket.expect_disconnect(),
    ))
    .await;
    assert_eq!(end, SioEvent::Disconnect, "{what}: not a server disconnect");
}

async fn refresh(socket: &SioClient, token: String) -> Ack<TokenRefreshed> {
    socket
        .call(events::REFRESH_TOKEN, serde_json::json!({ "token": token }))
        .await
}

#[tokio::test]
async fn an_expired_token_disconnects_the_socket() {
    let server = InProcess::start().await;
    let mut socket = connect_for_two_seconds(&server, "brief").await;
    disconnected_by_the_server(&mut socket, "the server to disconnect an expired socket").await;

    // A fresh token connects again.
    let fresh = Token::user("brief").hs256(TEST_SECRET);
    let mut again = SioClient::connect(&server.base_url, Auth::payload(fresh))
        .await
        .expect("a fresh token connects");
    assert_eq!(again.next_server_event().await, count(0));
}

#[tokio::test]
async fn a_refreshed_token_moves_the_disconnect_to_its_expiry() {
    let server = InProcess::start().await;
    let mut socket = connect_for_two_seconds(&server, "refreshed").await;
    let longer = Token::user("refreshed").expires_in(8).hs256(TEST_SECRET);
    let ack = refresh(&socket, longer).await;
    assert!(ack.into_result().is_ok(), "the refresh should succeed");

    // Past the first token's expiry (2 s), the socket is still there...
    let early = fast_forward(socket.next_within(Duration::from_secs(5))).await;
    assert_eq!(early, None, "nothing should happen at the old expiry");
    // ...and the new token's expiry ends it.
    disconnected_by_the_server(&mut socket, "the server to disconnect at the new expiry").await;
}

#[tokio::test]
async fn a_refused_refresh_keeps_the_old_expiry() {
    let server = InProcess::start().await;
    let mut socket = connect_for_two_seconds(&server, "kept").await;
    // Valid for an hour, but another user's: had it been taken, the socket would stay.
    let other = Token::user("someone-else").hs256(TEST_SECRET);
    let ack = refresh(&socket, other).await;
    assert_eq!(
        ack.into_result().map_err(|e| e.code),
        Err(ErrorCode::Forbidden)
    );
    disconnected_by_the_server(&mut socket, "the server to disconnect at the old expiry").await;
}

#[tokio::test]
async fn the_stream_ends_when_the_token_expires() {
    let server = InProcess::start().await;
    let token = Token::user("short-lived").expires_in(2).hs256(TEST_SECRET);
    let request = SseClient::http()
        .get(format!("{}/notifications/events", server.base_url))
        .bearer_auth(token);
    let mut sse = SseClient::open(request).await.expect("stream opens");
    assert_eq!(sse.next_event().await.1, count(0));
    fast_forward(within_for(
        Duration::from_secs(20),
        "the stream to end at expiry",
        async {
            while let Some(item) = sse.next_item_within(Duration::from_secs(20)).await {
                if let SseItem::Message(m) = item {
                    panic!("unexpected message before the end: {m:?}");
                }
            }
        },
    ))
    .await;
}

#[tokio::test]
async fn a_ping_comment_comes_within_15_seconds() {
    let server = InProcess::start().await;
    let token = Token::user("quiet").hs256(TEST_SECRET);
    let request = SseClient::http()
        .get(format!("{}/notifications/events", server.base_url))
        .bearer_auth(token);
    let mut sse = SseClient::open(request).await.expect("stream opens");
    assert_eq!(sse.next_event().await.1, count(0));
    // The stream is idle: the next thing on it must be the keep-alive comment.
    match fast_forward(sse.next_item_within(Duration::from_secs(25))).await {
        Some(SseItem::Comment(text)) => assert_eq!(text.trim(), "ping"),
        other => panic!("expected a `: ping` comment on an idle stream, got {other:?}"),
    }
}
