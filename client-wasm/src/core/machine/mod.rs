//! The client as a deterministic state machine that performs no I/O.
//!
//! `step(input, now)` feeds one thing that happened (a user call, a frame, a response, a token,
//! a timer) and returns the [`Effect`]s the glue must carry out: open or close a socket or
//! stream, send a frame, make a request, ask for a token, tell listeners. Time is passed in,
//! timers are a single [`Machine::deadline`] the glue wakes up for, and randomness is a seeded
//! generator, so every reconnect, transport switch and race is reproducible in native tests.
//! Each [`Input`] has a public handler (`connect`, `on_ws_text`, ...) that `step` calls; the
//! browser glue calls the handler itself and then [`Machine::take_effects`], so the wasm has one
//! dispatch instead of an `Input` built by the glue and matched again by `step`.
//!
//! Layout:
//! - `connection.rs`: connect/disconnect, attempts and backoff, the WebSocket and SSE links,
//!   background WebSocket probes while on SSE, watchdogs.
//! - `sync.rs`: server pushes, catch-up after reconnects, pages, and the user's actions with
//!   their optimistic updates and rollbacks.

mod connection;
mod sync;
#[cfg(test)]
mod tests;

use super::backoff::Rng;
use super::config::Config;
use super::list::{Item, List};
use super::transport::{Chooser, Transport};
use super::wire::ClientError;

/// Connection status as apps see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Idle,
    Connecting,
    Connected,
    Reconnecting,
    Unauthorized,
    Disconnected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Reconnecting => "reconnecting",
            Status::Unauthorized => "unauthorized",
            Status::Disconnected => "disconnected",
        }
    }
}

/// Something that happened. Connection ids (`conn`) and request ids (`req`, `seq`) come from
/// the effects that started them; answers for connections that are gone are ignored. Texts are
/// borrowed from the caller (no owned copies to build and drop in the glue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<'a> {
    Connect,
    Disconnect,
    /// The browser reports it is back online / offline.
    Online,
    Offline,
    /// The deadline the glue was asked to wake up for may have passed.
    Tick,
    /// `getToken` answered (`Err` when it threw or returned no usable string); `expires_at`:
    /// the token's `exp` in ms, when it has one.
    Token {
        seq: u32,
        token: Result<&'a str, &'a str>,
        expires_at: Option<u64>,
    },
    WsText {
        conn: u32,
        text: &'a str,
    },
    /// The WebSocket closed or failed (an error is always followed by a close).
    WsClosed {
        conn: u32,
    },
    /// The SSE request got its response head.
    SseResponse {
        conn: u32,
        status: u16,
    },
    /// The data of one SSE event (the npm package's `io.ts` splits the stream into events);
    /// empty for a chunk that completed no event (a ping comment): the stream is alive.
    SseData {
        conn: u32,
        data: &'a str,
    },
    /// The SSE body ended or failed (or the request failed before a response).
    SseEnded {
        conn: u32,
    },
    HttpDone {
        req: u32,
        status: u16,
        body: &'a str,
        /// The `Retry-After` header in seconds, when the answer has one (429).
        retry_after: Option<u32>,
    },
    /// The request never got a response (network error, CORS refusal).
    HttpFailed {
        req: u32,
    },
    /// The user's actions. `action` identifies the caller's promise: the step that finishes the
    /// action emits [`Effect::Settled`] with it (0: nobody waits).
    ///
    /// `edit` applied to the notifications `ids`; `None`: to all of them (read or seen).
    Edit {
        edit: Edit,
        ids: Option<Vec<String>>,
        action: u32,
    },
    LoadMore {
        action: u32,
    },
    Refresh {
        action: u32,
    },
    /// Another user signs in: forget the list, the count and the catch-up position (actions in
    /// flight settle with `user_changed`); with `restart`, a live connection starts over.
    ClearUser {
        restart: bool,
    },
    /// Before connecting, take over the state another tab's client held (its list as a first
    /// page `{"items", "nextCursor", "seq"}` with the change-log position it had reached, and
    /// its unread and unseen counts), so the catch-up resumes from it.
    Resume {
        counts: [u64; 2],
        page: &'a str,
    },
}

/// What a user action does to the notifications it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Read,
    Unread,
    Seen,
    Archive,
    Unarchive,
    Remove,
}

/// HTTP methods the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// What the glue must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect<J> {
    /// Call the app's `getToken` and answer with [`Input::Token`].
    GetToken(u32),
    OpenWs {
        conn: u32,
        url: String,
    },
    SendWs {
        conn: u32,
        text: String,
    },
    CloseWs {
        conn: u32,
    },
    /// `GET url` with `Authorization: Bearer <token>`, `Accept: text/event-stream` and, when
    /// set, `Last-Event-ID`.
    OpenSse {
        conn: u32,
        url: String,
        token: String,
        last_event_id: Option<String>,
    },
    CloseSse {
        conn: u32,
    },
    /// A REST request with `Authorization: Bearer <token>` and, when it has a body, JSON
    /// (only `POST /notifications/seen` has one).
    Http {
        req: u32,
        method: Method,
        url: String,
        token: String,
        body: Option<String>,
    },
    /// Listeners: a new notification arrived.
    Notification(J),
    /// Listeners: the server changed a notification (read elsewhere, say).
    Updated(J),
    /// Listeners: the server deleted a notification.
    Deleted(String),
    /// Listeners: the server marked everything read (at this time, when it said).
    AllRead(Option<String>),
    /// The user's action `action` finished: confirmed (`None`) or refused and rolled back.
    Settled {
        action: u32,
        error: Option<ClientError>,
    },
    /// Listeners: the unread count changed.
    UnreadCount(u64),
    /// Listeners: the status changed.
    Status(Status),
    /// Listeners: something failed (also kept as `last_error`).
    Error(ClientError),
    /// The snapshot (list, count, status, transport, error) changed; emitted once per step, last.
    Changed,
}

/// Where a client-side wait for `getToken` leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenFor {
    Main,
    Probe,
    Http(u32),
    /// A fresh token for the live connection before its token expires.
    Refresh,
}

/// Progress of a WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the Engine.IO open packet.
    Opening,
    /// Engine.IO is open and the namespace CONNECT (with the token) was sent.
    Joining,
    /// The namespace accepted us.
    Connected,
}

#[derive(Debug, Clone)]
struct WsLink {
    conn: u32,
    phase: Phase,
    /// pingInterval + pingTimeout from the handshake.
    ping_window: u64,
    deadline: u64,
}

#[derive(Debug, Clone)]
struct SseLink {
    conn: u32,
    open: bool,
    deadline: u64,
}

/// A connection slot: the main connection, or the background WebSocket probe.
#[derive(Debug, Clone, Default)]
enum Link {
    #[default]
    None,
    /// Waiting for `getToken` (seq) before opening.
    Token(u32),
    Ws(WsLink),
    Sse(SseLink),
}

impl Link {
    fn deadline(&self) -> Option<u64> {
        match self {
            Link::Ws(l) => Some(l.deadline),
            Link::Sse(l) => Some(l.deadline),
            _ => None,
        }
    }
}

/// The sans-I/O client. `J` is the JSON value type (`JsValue` in the browser).
pub struct Machine<J> {
    cfg: Config,
    status: Status,
    list: List<J>,
    /// `[unread, unseen]`.
    counts: [u64; 2],
    last_error: Option<ClientError>,
    has_more: bool,
    first_page_loaded: bool,
    loading_more: bool,
    /// The newest id ever received: what catch-ups from a v1 server resume from.
    high_water: Option<String>,
    /// Entries of a first page (read before anything was seen) not announced yet: the page may
    /// have read a notification whose push was still on its way, and that push is news.
    unannounced: Vec<String>,
    /// The change-log position of the state held (v2 servers): what catch-ups resume from.
    change_seq: Option<u64>,
    /// The seq of the last change applied, from where this connection began: a change at or
    /// below it is a duplicate (a catch-up replay overlapping live pushes). Counts and acks
    /// don't raise it: on a first connection the first page, read concurrently, may lack a
    /// change a count already includes, and the change's push is then its only copy.
    applied_seq: Option<u64>,
    /// A type filter's counts changed while their request was in flight: ask again once it
    /// is answered (an answer may predate the change).
    recount: bool,
    /// Live pushes that arrived while a `sinceSeq` catch-up was in flight, applied after it.
    held: Option<Vec<sync::Held<J>>>,
    rng: Rng,
    chooser: Chooser,
    token: Option<String>,
    /// When `token` expires (ms), when it said.
    token_expires: Option<u64>,
    main: Link,
    probe: Link,
    reconnect_at: Option<u64>,
    probe_at: Option<u64>,
    /// When to fetch a fresh token for the live connection (shortly before its token expires).
    refresh_at: Option<u64>,
    attempt: u32,
    connected_at: u64,
    auth_retry: bool,
    offline: bool,
    seq: u32,
    /// The `getToken` calls waited for, in no particular order.
    tokens: Vec<(u32, TokenFor)>,
    pending: Vec<sync::Pending<J>>,
    out: Vec<Effect<J>>,
    dirty: bool,
}

impl<J: super::json::Json> Machine<J> {
    pub fn new(cfg: Config, seed: u64) -> Self {
        let chooser = Chooser::new(cfg.websocket, cfg.sse, cfg.fallback_after);
        Machine {
            cfg,
            status: Status::Idle,
            list: List::default(),
            counts: [0, 0],
            last_error: None,
            has_more: true,
            first_page_loaded: false,
            loading_more: false,
            high_water: None,
            unannounced: Vec::new(),
            change_seq: None,
            applied_seq: None,
            held: None,
            recount: false,
            rng: Rng::new(seed),
            chooser,
            token: None,
            token_expires: None,
            main: Link::None,
            probe: Link::None,
            reconnect_at: None,
            probe_at: None,
            refresh_at: None,
            attempt: 0,
            connected_at: 0,
            auth_retry: false,
            offline: false,
            seq: 0,
            tokens: Vec::new(),
            pending: Vec::new(),
            out: Vec::new(),
            dirty: false,
        }
    }

    /// Feeds one input at time `now` (milliseconds) and returns the effects to carry out.
    pub fn step(&mut self, input: Input<'_>, now: u64) -> Vec<Effect<J>> {
        match input {
            Input::Connect => self.connect(),
            Input::Disconnect => self.disconnect(),
            Input::Online => self.online(now),
            Input::Offline => self.go_offline(),
            Input::Tick => self.tick(now),
            Input::Token {
                seq,
                token,
                expires_at,
            } => self.on_token(seq, token, expires_at, now),
            Input::WsText { conn, text } => self.on_ws_text(conn, text, now),
            Input::WsClosed { conn } => self.on_ws_closed(conn, now),
            Input::SseResponse { conn, status } => self.on_sse_response(conn, status, now),
            Input::SseData { conn, data } => self.on_sse_data(conn, data, now),
            Input::SseEnded { conn } => self.on_sse_ended(conn, now),
            Input::HttpDone {
                req,
                status,
                body,
                retry_after,
            } => self.on_http_done(req, status, body, retry_after),
            Input::HttpFailed { req } => self.on_http_failed(req),
            Input::Edit { edit, ids, action } => self.edit(edit, ids, action),
            Input::LoadMore { action } => self.load_more(action),
            Input::Refresh { action } => self.refresh(action),
            Input::ClearUser { restart } => self.clear_user(restart),
            Input::Resume { counts, page } => self.resume(counts, page),
        }
        self.take_effects()
    }

    /// The browser reports it is offline: reconnects wait the longest delay.
    pub fn go_offline(&mut self) {
        self.offline = true;
    }

    /// Ends a step: the effects to carry out, [`Effect::Changed`] last when the snapshot
    /// changed.
    pub fn take_effects(&mut self) -> Vec<Effect<J>> {
        if core::mem::take(&mut self.dirty) {
            self.emit(Effect::Changed);
        }
        core::mem::take(&mut self.out)
    }

    /// The earliest time the glue must call `step(Input::Tick, ..)`, if any.
    pub fn deadline(&self) -> Option<u64> {
        // `u64::MAX` for "none" (no time is that late): plain integer minimums, smaller in the
        // wasm than comparing `Option`s or iterating an array of them.
        let mut earliest = u64::MAX;
        let mut consider = |at: Option<u64>| earliest = earliest.min(at.unwrap_or(u64::MAX));
        consider(self.main.deadline());
        consider(self.probe.deadline());
        consider(self.reconnect_at);
        consider(self.probe_at);
        consider(self.refresh_at);
        (earliest < u64::MAX).then_some(earliest)
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// The transport of the live connection, if connected.
    pub fn transport(&self) -> Option<Transport> {
        match &self.main {
            Link::Ws(l) if l.phase == Phase::Connected => Some(Transport::WebSocket),
            Link::Sse(l) if l.open => Some(Transport::Sse),
            _ => None,
        }
    }

    /// Notifications, newest first.
    pub fn notifications(&self) -> &[Item<J>] {
        self.list.items()
    }

    pub fn unread_count(&self) -> u64 {
        self.counts[0]
    }

    pub fn unseen_count(&self) -> u64 {
        self.counts[1]
    }

    pub fn last_error(&self) -> Option<&ClientError> {
        self.last_error.as_ref()
    }

    /// When the next reconnect attempt is due, while one is scheduled.
    pub fn reconnect_at(&self) -> Option<u64> {
        self.reconnect_at
    }

    /// Whether `loadMore` may find older notifications.
    /// The change-log position reached (`None` before the first, or on a v1 server).
    pub fn change_seq(&self) -> Option<u64> {
        self.change_seq
    }

    pub fn has_more(&self) -> bool {
        self.has_more
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Queues an effect. Not inlined: one `Vec::push` for the two dozen places that emit.
    #[inline(never)]
    fn emit(&mut self, effect: Effect<J>) {
        self.out.push(effect);
    }

    /// Asks the glue for a token for `purpose`; the answer comes back with `seq`.
    fn ask_token(&mut self, seq: u32, purpose: TokenFor) {
        self.tokens.push((seq, purpose));
        self.emit(Effect::GetToken(seq));
    }

    fn set_status(&mut self, status: Status) {
        if self.status != status {
            self.status = status;
            self.emit(Effect::Status(status));
            self.dirty = true;
        }
    }

    /// Shows the counts `[unread, unseen]` (listeners hear about a new unread count).
    fn set_counts(&mut self, counts: [u64; 2]) {
        if self.counts[0] != counts[0] {
            self.emit(Effect::UnreadCount(counts[0]));
        }
        self.dirty |= self.counts != counts;
        self.counts = counts;
    }

    fn report(&mut self, error: ClientError) {
        self.last_error = Some(error.clone());
        self.emit(Effect::Error(error));
        self.dirty = true;
    }
}
