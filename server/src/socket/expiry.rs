//! A socket lives as long as its token: one task and one timer queue for all sockets of the
//! namespace disconnects each when its token expires, and `refresh_token` moves that moment.
//! (A task per socket cost 0.6 KiB of every idle socket.)

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use notify_bindings::TokenRefreshed;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::time::{DelayQueue, delay_queue};

use crate::caller;
use crate::error::ApiError;
use crate::rooms::Session;
use crate::state::AppState;
use crate::store::rfc3339;

/// A socket that can be made to leave.
pub trait Leave: Send + Sync + 'static {
    fn leave(&self);
    /// Whether it has left already.
    fn gone(&self) -> bool;
}

impl<A: Adapter> Leave for SocketRef<A> {
    fn leave(&self) {
        tracing::debug!(sid = %self.id, "token expired; disconnecting");
        let _ = self.clone().disconnect();
    }

    fn gone(&self) -> bool {
        !self.connected()
    }
}

/// The handle of the expiry task; it ends when every handle is dropped.
#[derive(Clone)]
pub struct Expiries {
    commands: mpsc::UnboundedSender<Command>,
}

enum Command {
    /// Make the socket leave once the session's token expires.
    Watch(Arc<Session>, Box<dyn Leave>),
    /// The session's expiry moved (a refresh).
    Moved(Arc<Session>),
    /// The socket left by itself.
    Forget(Arc<Session>),
}

impl Expiries {
    /// Starts the task on the current runtime.
    pub fn start() -> Self {
        let (commands, received) = mpsc::unbounded_channel();
        tokio::spawn(run(received));
        Self { commands }
    }

    /// `socket` leaves once `session`'s token expires, wherever `refresh_token` moves it.
    pub fn watch(&self, socket: impl Leave, session: Arc<Session>) {
        let _ = self
            .commands
            .send(Command::Watch(session, Box::new(socket)));
    }

    fn moved(&self, session: Arc<Session>) {
        let _ = self.commands.send(Command::Moved(session));
    }

    /// The socket left: nothing is left waiting for its expiry.
    pub fn forget(&self, session: Arc<Session>) {
        let _ = self.commands.send(Command::Forget(session));
    }
}

/// A watched socket, in the queue until its token expires or it leaves.
struct Watched {
    session: Arc<Session>,
    socket: Box<dyn Leave>,
}

/// The queue's timers reach about two years; a later expiry is checked again then.
const LONGEST_WAIT: Duration = Duration::from_secs(86_400 * 365);

/// A session's identity in the queue: the address of its `Arc`, which the queue's entry (or
/// the command naming it) keeps alive, so it can't be another session's meanwhile.
fn id_of(session: &Arc<Session>) -> usize {
    Arc::as_ptr(session) as usize
}

async fn run(mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut queue = DelayQueue::<Watched>::new();
    let mut keys = HashMap::<usize, delay_queue::Key>::new();
    let when = |session: &Session| session.expiry.at().min(Instant::now() + LONGEST_WAIT);
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => return,
                // Gone already: its `forget` may have come first.
                Some(Command::Watch(_, socket)) if socket.gone() => {}
                Some(Command::Watch(session, socket)) => {
                    let id = id_of(&session);
                    let at = when(&session);
                    let key = queue.insert_at(Watched { session, socket }, at);
                    if let Some(old) = keys.insert(id, key) {
                        queue.remove(&old);
                    }
                }
                Some(Command::Moved(session)) => {
                    if let Some(key) = keys.get(&id_of(&session)) {
                        queue.reset_at(key, when(&session));
                    }
                }
                Some(Command::Forget(session)) => {
                    if let Some(key) = keys.remove(&id_of(&session)) {
                        queue.remove(&key);
                    }
                }
            },
            Some(expired) = poll_fn(|cx| queue.poll_expired(cx)) => {
                let watched = expired.into_inner();
                let id = id_of(&watched.session);
                // A move not yet seen here (or beyond the queue's reach) waits on.
                if watched.session.expiry.at() > Instant::now() {
                    let at = when(&watched.session);
                    keys.insert(id, queue.insert_at(watched, at));
                } else {
                    keys.remove(&id);
                    watched.socket.leave();
                }
            }
        }
    }
}

/// `refresh_token`: verifies `token` like a connect token; when it is a user token of the
/// socket's user, the socket now expires with it. A refused token changes nothing.
pub fn refresh<A: Adapter>(
    state: &AppState,
    expiries: &Expiries,
    socket: &SocketRef<A>,
    session: &Arc<Session>,
    token: String,
) -> Result<TokenRefreshed, ApiError> {
    let principal = caller::authenticate(state, socket.req_parts(), Some(token), None)?;
    if principal.can_publish || principal.user_id != session.principal.user_id {
        return Err(ApiError::Forbidden(
            "not a user token of this socket's user".into(),
        ));
    }
    let expires_at = i64::try_from(principal.expires_at)
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| ApiError::Unauthorized("`exp` is out of range".into()))?;
    session.expiry.move_to(&principal);
    expiries.moved(session.clone());
    Ok(TokenRefreshed {
        expires_at: rfc3339(expires_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Principal;
    use crate::presence::{Kind, Presence};
    use prometheus_client::metrics::gauge::Gauge;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A socket that counts how often it was made to leave.
    #[derive(Clone, Default)]
    struct Counted(Arc<AtomicUsize>);

    impl Leave for Counted {
        fn leave(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }

        fn gone(&self) -> bool {
            self.left() > 0
        }
    }

    impl Counted {
        fn left(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn session(expires_in: u64) -> Arc<Session> {
        let presence = Arc::new(Presence::default());
        let slot = presence
            .try_join("u", Kind::Socket, 10, &Gauge::default())
            .unwrap();
        Session::new(Principal::user_expiring_in(expires_in), slot)
    }

    /// A started queue watching a fresh socket whose token expires in `expires_in` seconds.
    fn watching(expires_in: u64) -> (Expiries, Counted, Arc<Session>) {
        let (expiries, socket, session) =
            (Expiries::start(), Counted::default(), session(expires_in));
        expiries.watch(socket.clone(), session.clone());
        (expiries, socket, session)
    }

    async fn wait(secs: u64) {
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_socket_leaves_when_its_token_expires_and_only_then() {
        let (_expiries, socket, _session) = watching(10);
        wait(8).await;
        assert_eq!(socket.left(), 0);
        wait(4).await;
        assert_eq!(socket.left(), 1);
        wait(100).await;
        assert_eq!(socket.left(), 1, "made to leave twice");
    }

    #[tokio::test(start_paused = true)]
    async fn a_moved_expiry_is_kept_later_or_earlier() {
        let expiries = Expiries::start();
        let (later, earlier) = (Counted::default(), Counted::default());
        let (late, early) = (session(10), session(100));
        expiries.watch(later.clone(), late.clone());
        expiries.watch(earlier.clone(), early.clone());
        wait(5).await;
        late.expiry.move_to(&Principal::user_expiring_in(100));
        expiries.moved(late);
        early.expiry.move_to(&Principal::user_expiring_in(5));
        expiries.moved(early);
        wait(20).await;
        assert_eq!((later.left(), earlier.left()), (0, 1));
        wait(100).await;
        assert_eq!((later.left(), earlier.left()), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_move_the_queue_has_not_seen_yet_still_counts() {
        let (_expiries, socket, session) = watching(10);
        wait(5).await;
        // Refreshed, but the queue is told only later (or never): it checks when it fires.
        session.expiry.move_to(&Principal::user_expiring_in(100));
        wait(20).await;
        assert_eq!(socket.left(), 0);
        wait(100).await;
        assert_eq!(socket.left(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_socket_that_left_is_forgotten() {
        let (expiries, socket, session) = watching(10);
        expiries.forget(session.clone());
        wait(20).await;
        assert_eq!(socket.left(), 0);
        assert_eq!(
            Arc::strong_count(&session),
            1,
            "the queue still holds the session"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_socket_gone_before_its_watch_is_not_held() {
        let expiries = Expiries::start();
        let socket = Counted::default();
        socket.leave();
        let session = session(10);
        expiries.forget(session.clone());
        expiries.watch(socket.clone(), session.clone());
        wait(1).await;
        assert_eq!(
            Arc::strong_count(&session),
            1,
            "the queue holds a socket that left"
        );
        wait(20).await;
        assert_eq!(socket.left(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_exp_beyond_the_queue_s_reach_waits_without_panicking() {
        let (expiries, socket, _session) = watching(u64::MAX);
        wait(86_400 * 800).await;
        assert_eq!(socket.left(), 0);
        // The task is still there: a short one after it leaves on time.
        let short = Counted::default();
        expiries.watch(short.clone(), session(3));
        wait(5).await;
        assert_eq!(short.left(), 1);
    }
}
