//! Keeping the notification state in step with the server.
//!
//! Pushes are merged by id into the newest-first list; a v2 server numbers every change (`seq`),
//! and the client applies each change once, in order, and resumes from the last one after a gap.
//! Each user action is an [`Op`] with an optimistic change already applied and the means to undo
//! it; it travels as a Socket.IO event with an ack while the WebSocket is connected, and as a
//! REST request otherwise (SSE mode, reconnecting, or when the socket drops before the ack came
//! back). The counts shown are always the server's latest figures, adjusted only by optimistic
//! actions still in flight.

use super::{Config, Edit, Effect, Link, Machine, Method, Phase, Status, TokenFor};
use crate::core::json::{self, Json};
use crate::core::list::{Flag, Item, Merge};
use crate::core::wire::{
    self, ClientError, Push, codes, decode_counts, decode_envelope, decode_page, decode_response,
    decode_subscribed, seq_of,
};
use notify_bindings::{NAMESPACE, events};

/// A live push held back during a catch-up, with its `seq`.
pub(super) type Held<J> = (Push<J>, Option<u64>);

impl Edit {
    /// The flag the edit sets and its new value (`Remove` has none).
    fn flag(self) -> Option<(Flag, bool)> {
        Some(match self {
            Edit::Read => (Flag::Read, true),
            Edit::Unread => (Flag::Read, false),
            Edit::Seen => (Flag::Seen, true),
            Edit::Archive => (Flag::Archived, true),
            Edit::Unarchive => (Flag::Archived, false),
            Edit::Remove => return None,
        })
    }

    /// The Socket.IO event, for one id (`ids`) or for all (`None`).
    fn event(self, all: bool) -> Option<&'static str> {
        Some(match (self, all) {
            (Edit::Read, false) => events::MARK_READ,
            (Edit::Read, true) => events::MARK_ALL_READ,
            (Edit::Seen, false) => events::MARK_SEEN,
            (Edit::Seen, true) => events::MARK_ALL_SEEN,
            (Edit::Unread, _) => events::MARK_UNREAD,
            (Edit::Archive, _) => events::ARCHIVE,
            (Edit::Unarchive, _) => events::UNARCHIVE,
            (Edit::Remove, _) => return None,
        })
    }

    /// The REST path suffix after `/notifications/<id>`.
    fn suffix(self) -> &'static str {
        match self {
            Edit::Read => "/read",
            Edit::Unread => "/unread",
            Edit::Archive => "/archive",
            Edit::Unarchive => "/unarchive",
            Edit::Seen | Edit::Remove => "",
        }
    }
}

/// A request the client makes, with what it needs to apply the answer or undo its effect.
#[derive(Debug, Clone)]
pub(super) enum Op<J> {
    /// `subscribe_notifications`: catch up from `since_seq` (v2) or `since` (v1) and get the
    /// counts.
    Subscribe {
        since: Option<String>,
        since_seq: Option<u64>,
    },
    /// A page: the first one (`before` none) or an older one. `replace` swaps the list for it
    /// (refresh, resync), keeping entries newer than `mark` that arrived meanwhile. `mark` is
    /// the newest id seen when the page was asked for: page entries newer than it are news
    /// (say a catch-up overtaken by the page) and get their `notification` event.
    Page {
        replace: bool,
        before: Option<String>,
        mark: Option<String>,
    },
    /// The counts alone.
    Count,
    /// A user action on `ids` (`None`: all); `undo` holds the entries as they were and `shifted`
    /// how far the counts moved, to roll back if the server refuses.
    Edit {
        edit: Edit,
        ids: Option<Vec<String>>,
        undo: Vec<Item<J>>,
        shifted: [i64; 2],
    },
}

impl<J> Op<J> {
    /// The Socket.IO form: event name and payload, if the contract has one.
    fn socket_event(&self, cfg: &Config) -> Option<(&'static str, String)> {
        Some(match self {
            Op::Subscribe { since, since_seq } => (
                events::SUBSCRIBE_NOTIFICATIONS,
                match (since_seq, since) {
                    (Some(seq), _) => wire::since_seq_payload(*seq),
                    (None, Some(id)) => json::object1("since", id),
                    (None, None) => "{}".to_owned(),
                },
            ),
            Op::Page { before, .. } => (
                events::LIST_NOTIFICATIONS,
                wire::list_payload(cfg.page_size, before.as_deref(), &cfg.filter),
            ),
            // A type filter's counts are a REST answer only.
            Op::Count if cfg.filter.kind.is_some() => return None,
            Op::Count => (events::SUBSCRIBE_NOTIFICATIONS, "{}".to_owned()),
            Op::Edit { edit, ids, .. } => (
                edit.event(ids.is_none())?,
                match (edit, ids.as_deref()) {
                    (_, None) => "{}".to_owned(),
                    (Edit::Seen, Some(ids)) => wire::ids_payload(ids),
                    (_, Some(ids)) => json::object1("id", ids.first()?),
                },
            ),
        })
    }

    /// The REST form: method, path and body, if there is one.
    fn rest(&self, cfg: &Config) -> Option<(Method, String, Option<String>)> {
        Some(match self {
            Op::Subscribe { .. } => return None,
            Op::Page { before, .. } => (
                Method::Get,
                wire::list_path(cfg.page_size, before.as_deref(), &cfg.filter),
                None,
            ),
            Op::Count => (
                Method::Get,
                cfg.filter
                    .counts_path()
                    .unwrap_or_else(|| "/notifications/unread-count".to_owned()),
                None,
            ),
            Op::Edit { edit, ids, .. } => {
                let path = match (edit, ids.as_deref()) {
                    (Edit::Read, None) => "/notifications/read-all".to_owned(),
                    (Edit::Seen, None) => "/notifications/seen-all".to_owned(),
                    (Edit::Seen, Some(_)) => "/notifications/seen".to_owned(),
                    (_, Some([id, ..])) => wire::item_path(id, edit.suffix()),
                    _ => return None,
                };
                let method = match edit {
                    Edit::Remove => Method::Delete,
                    _ => Method::Post,
                };
                let body = ids.as_deref().filter(|_| *edit == Edit::Seen);
                (method, path, body.map(wire::ids_payload))
            }
        })
    }
}

/// How an op is waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Ack { conn: u32, id: u64 },
    Http { req: u32 },
}

#[derive(Debug, Clone)]
pub(super) struct Pending<J> {
    via: Via,
    op: Op<J>,
    /// The caller's promise to settle when the answer comes (0: none).
    action: u32,
    /// A 401 already made us fetch a fresh token once.
    auth_retried: bool,
}

impl<J: Json> Machine<J> {
    /// A live push: held back while a catch-up is in flight, applied otherwise.
    pub(super) fn receive(&mut self, envelope: &J, push: Push<J>) {
        let seq = seq_of(envelope);
        match &mut self.held {
            Some(held) => held.push((push, seq)),
            None => self.apply_in_order(push, seq),
        }
    }

    /// Applies a push unless a change with its `seq` was applied already. A count
    /// describes the state at its `seq`: it is stale when older than the state held, and it sets
    /// the position only when there is none yet (the first message of a stream), since after a
    /// `Last-Event-ID` the stream's first count is ahead of the changes replayed after it.
    fn apply_in_order(&mut self, push: Push<J>, seq: Option<u64>) {
        if let Some(seq) = seq {
            let position = self.change_seq;
            if matches!(push, Push::UnreadCount(..)) {
                if position.is_some_and(|p| seq < p) {
                    return;
                }
                self.change_seq = position.or(Some(seq));
            } else {
                if self.applied_seq.is_some_and(|a| seq <= a) {
                    return;
                }
                self.applied_seq = Some(seq);
                self.change_seq = position.max(Some(seq));
            }
        }
        self.apply_push(push);
    }

    fn apply_push(&mut self, push: Push<J>) {
        match push {
            Push::Notification(item) => self.add_new(item),
            Push::Updated(item) => {
                let value = item.value.clone();
                self.update(item);
                self.emit(Effect::Updated(value));
            }
            Push::Deleted(id) => {
                self.dirty |= self.list.remove(&id).is_some();
                self.emit(Effect::Deleted(id));
            }
            // A type filter's counts are not the user's: ask for the filter's.
            Push::UnreadCount(..) if self.cfg.filter.kind.is_some() => self.fetch_counts(),
            Push::UnreadCount(unread, unseen) => {
                self.set_counts([unread, unseen.unwrap_or(self.counts[1])])
            }
            Push::AllRead(at) => {
                self.dirty |= !self.list.set_flag_all(Flag::Read, at.as_deref()).is_empty();
                self.emit(Effect::AllRead(at));
            }
            Push::AllSeen(at) => {
                self.dirty |= !self.list.set_flag_all(Flag::Seen, at.as_deref()).is_empty();
            }
            Push::Resync => self.reload_first_page(0),
        }
    }

    /// The counts of a type filter: one request at a time, and one more after it when they
    /// changed meanwhile.
    fn fetch_counts(&mut self) {
        if self.pending.iter().any(|p| matches!(p.op, Op::Count)) {
            self.recount = true;
        } else {
            self.send_op(Op::Count);
        }
    }

    /// A counts request was answered: asks again if they changed while it was in flight.
    fn counts_answered(&mut self) {
        if core::mem::take(&mut self.recount) {
            self.fetch_counts();
        }
    }

    /// The server's current copy of a notification: it replaces the one held, or leaves the
    /// list when it no longer matches the filter.
    fn update(&mut self, item: Item<J>) {
        if self.cfg.filter.matches(&item) {
            self.list.put(item);
            self.dirty = true;
        } else {
            self.dirty |= self.list.remove(&item.id).is_some();
        }
    }

    /// A notification delivered live or by a catch-up: listeners hear about it once (when it
    /// belongs in the list), also when a first page read it before its push came.
    fn add_new(&mut self, item: Item<J>) {
        self.raise_high_water(&item.id);
        let value = item.value.clone();
        let unannounced = match self.unannounced.iter().position(|id| *id == item.id) {
            Some(i) => {
                self.unannounced.swap_remove(i);
                true
            }
            None => false,
        };
        if self.cfg.filter.matches(&item)
            && (self.list.upsert(item, false) == Merge::Added || unannounced)
        {
            self.emit(Effect::Notification(value));
            self.dirty = true;
        }
    }

    fn raise_high_water(&mut self, id: &str) {
        if self.high_water.as_deref().is_none_or(|h| id > h) {
            self.high_water = Some(id.to_owned());
        }
    }

    fn reload_first_page(&mut self, action: u32) {
        self.send_action(
            Op::Page {
                replace: true,
                before: None,
                mark: self.high_water.clone(),
            },
            action,
        );
    }

    /// A user action: applied to the list and the counts at once, then sent.
    pub fn edit(&mut self, edit: Edit, ids: Option<Vec<String>>, action: u32) {
        let mut undo = Vec::new();
        let mut delta = [0i64; 2];
        match (&ids, edit.flag()) {
            (None, Some((flag, true))) => {
                undo = self.list.set_flag_all(flag, None);
                // Reading marks seen; the list may not hold every notification the counts do.
                delta = [-(self.counts[0] as i64), -(self.counts[1] as i64)];
                if flag == Flag::Seen {
                    delta[0] = 0;
                }
            }
            (None, _) => {}
            (Some(ids), flag) => {
                for id in ids {
                    let changed = match flag {
                        Some((flag, on)) => self.list.set_flag(id, flag, on, None),
                        None => self.list.remove(id),
                    };
                    let Some(previous) = changed else { continue };
                    let now = self.list.get(id);
                    let [unread, unseen] = now.map_or([0, 0], Item::counts);
                    let [was_unread, was_unseen] = previous.counts();
                    delta[0] += unread as i64 - was_unread as i64;
                    delta[1] += unseen as i64 - was_unseen as i64;
                    // It leaves the list when it no longer belongs there (archived, say).
                    if now.is_some_and(|i| !self.cfg.filter.matches(i)) {
                        self.list.remove(id);
                    }
                    undo.push(previous);
                }
            }
        }
        self.dirty |= !undo.is_empty();
        let shifted = self.shift_counts(delta);
        self.send_action(
            Op::Edit {
                edit,
                ids,
                undo,
                shifted,
            },
            action,
        );
    }

    /// Moves the counts by `delta` (never below zero); returns how far they moved.
    fn shift_counts(&mut self, delta: [i64; 2]) -> [i64; 2] {
        let before = self.counts;
        let moved = |i: usize| (before[i] as i64 + delta[i]).max(0) as u64;
        self.set_counts([moved(0), moved(1)]);
        [
            self.counts[0] as i64 - before[0] as i64,
            self.counts[1] as i64 - before[1] as i64,
        ]
    }

    /// Loads the next older page; while one loads or at the end there is nothing to wait for.
    pub fn load_more(&mut self, action: u32) {
        if self.loading_more || !self.has_more {
            self.settle(action, None);
            return;
        }
        self.loading_more = true;
        self.send_action(
            Op::Page {
                replace: false,
                before: self.list.oldest_id().map(str::to_owned),
                mark: self.high_water.clone(),
            },
            action,
        );
    }

    /// Reloads the first page (what `action` waits for) and the count.
    pub fn refresh(&mut self, action: u32) {
        self.reload_first_page(action);
        self.send_op(Op::Count);
    }

    /// Forgets the previous user's state; actions still in flight settle with `user_changed`.
    pub fn clear_user(&mut self, restart: bool) {
        // By index, then cleared: no consuming iterator over the ops.
        for i in 0..self.pending.len() {
            let error = ClientError::new(codes::USER_CHANGED, "another user signed in");
            self.settle(self.pending[i].action, Some(error));
        }
        self.pending.clear();
        self.list.clear();
        self.set_counts([0, 0]);
        self.high_water = None;
        self.unannounced.clear();
        self.change_seq = None;
        self.applied_seq = None;
        self.held = None;
        self.recount = false;
        self.has_more = true;
        self.first_page_loaded = false;
        self.loading_more = false;
        self.token = None;
        self.dirty = true;
        if restart && !matches!(self.status, Status::Idle | Status::Disconnected) {
            self.disconnect();
            self.connect();
        }
    }

    /// Takes over another tab's list and count before the first page loads; the catch-up then
    /// resumes from its newest notification.
    pub fn resume(&mut self, counts: [u64; 2], page: &str) {
        if self.first_page_loaded {
            return;
        }
        if let Some(page) = J::parse(page) {
            self.change_seq = json::u64_field(&page, "seq");
            let first_page = Op::Page {
                replace: false,
                before: None,
                mark: None,
            };
            self.apply(first_page, Some(page));
            self.set_counts(counts);
        }
    }

    fn settle(&mut self, action: u32, error: Option<ClientError>) {
        if action != 0 {
            self.emit(Effect::Settled { action, error });
        }
    }

    /// An op nobody waits for.
    pub(super) fn send_op(&mut self, op: Op<J>) {
        self.send_action(op, 0);
    }

    /// Sends `op` over the connected WebSocket when it can, else over REST.
    fn send_action(&mut self, op: Op<J>, action: u32) {
        let conn = match &self.main {
            Link::Ws(l) if l.phase == Phase::Connected => Some(l.conn),
            _ => None,
        };
        if let (Some(conn), Some((name, payload))) = (conn, op.socket_event(&self.cfg)) {
            let id = u64::from(self.next_seq());
            let text =
                crate::core::codec::event(NAMESPACE, Some(id), &wire::event_array(name, &payload));
            self.emit(Effect::SendWs { conn, text });
            self.pending.push(Pending {
                via: Via::Ack { conn, id },
                op,
                action,
                auth_retried: false,
            });
        } else {
            self.send_rest(op, action);
        }
    }

    fn send_rest(&mut self, op: Op<J>, action: u32) {
        if op.rest(&self.cfg).is_none() {
            self.settle(action, None);
            return;
        }
        let req = self.next_seq();
        self.pending.push(Pending {
            via: Via::Http { req },
            op,
            action,
            auth_retried: false,
        });
        if self.token.is_some() {
            self.send_http(req);
        } else {
            self.ask_token(req, TokenFor::Http(req));
        }
    }

    /// (Re)issues the REST request of the pending op `req` with the current token.
    pub(super) fn send_http(&mut self, req: u32) {
        let Some(p) = self.pending.iter().find(|p| p.via == Via::Http { req }) else {
            return;
        };
        let Some((method, path, body)) = p.op.rest(&self.cfg) else {
            return;
        };
        self.emit(Effect::Http {
            req,
            method,
            url: self.cfg.http_url(&path),
            token: self.token.clone().unwrap_or_default(),
            body,
        });
    }

    /// The socket `conn` is gone: ops still waiting for its acks go over REST instead.
    pub(super) fn requeue_acks(&mut self, conn: u32) {
        // One at a time, in order (no partitioned copies); those sent again wait over REST.
        while let Some(i) = self
            .pending
            .iter()
            .position(|p| matches!(p.via, Via::Ack { conn: c, .. } if c == conn))
        {
            let p = self.pending.remove(i);
            self.send_rest(p.op, p.action);
        }
    }

    pub(super) fn finish_ack(
        &mut self,
        conn: u32,
        id: u64,
        result: Result<Option<J>, ClientError>,
    ) {
        if let Some(p) = self.take_pending(Via::Ack { conn, id }) {
            self.finish(p, result);
        }
    }

    pub fn on_http_done(&mut self, req: u32, status: u16, body: &str, retry_after: Option<u32>) {
        let Some(p) = self.take_pending(Via::Http { req }) else {
            return;
        };
        if status == 401 && !p.auth_retried {
            // The token expired since we last asked: get a fresh one and try once more.
            self.pending.push(Pending {
                auth_retried: true,
                ..p
            });
            self.ask_token(req, TokenFor::Http(req));
            return;
        }
        self.finish(p, decode_response(status, body, retry_after));
    }

    pub fn on_http_failed(&mut self, req: u32) {
        self.fail_pending_http(
            req,
            ClientError::new(codes::NETWORK, "the request did not reach the server"),
        );
    }

    pub(super) fn fail_pending_http(&mut self, req: u32, error: ClientError) {
        if let Some(p) = self.take_pending(Via::Http { req }) {
            self.finish(p, Err(error));
        }
    }

    fn take_pending(&mut self, via: Via) -> Option<Pending<J>> {
        let i = self.pending.iter().position(|p| p.via == via)?;
        Some(self.pending.remove(i))
    }

    /// Applies an op's answer, or undoes its optimistic change and reports the error; then
    /// settles the caller's promise.
    fn finish(&mut self, p: Pending<J>, result: Result<Option<J>, ClientError>) {
        match result {
            Ok(data) => {
                self.apply(p.op, data);
                self.settle(p.action, None);
            }
            Err(error) => {
                self.undo(p.op);
                self.report(error.clone());
                self.settle(p.action, Some(error));
            }
        }
    }

    /// `op` is matched by reference and dropped once, at the end (less code than moving its
    /// fields out arm by arm).
    fn apply(&mut self, op: Op<J>, data: Option<J>) {
        match &op {
            Op::Subscribe { .. } => {
                if let Some(data) = data {
                    self.caught_up(&data);
                }
                self.release_held();
            }
            Op::Page { replace, mark, .. } => {
                self.loading_more = false;
                let Some(data) = data else { return };
                let page = decode_page(&data);
                for item in &page.items {
                    // Entries newer than the mark are news, announced before the list changes
                    // below (which emit nothing). Older pages are not news; nor is a first load
                    // (nothing seen yet), unless a push for one of its entries follows.
                    if self.list.get(&item.id).is_none() {
                        match mark {
                            Some(m) if item.id > *m => {
                                self.emit(Effect::Notification(item.value.clone()))
                            }
                            Some(_) => {}
                            None => self.unannounced.push(item.id.clone()),
                        }
                    }
                    self.raise_high_water(&item.id);
                }
                self.has_more = page.next_cursor.is_some();
                self.first_page_loaded = true;
                if *replace {
                    self.list.replace_with_page(page.items, mark.as_deref());
                } else {
                    for item in page.items {
                        self.list.upsert(item, true);
                    }
                }
                self.dirty = true;
            }
            Op::Count => {
                if let Some(data) = data {
                    let (unread, unseen) = decode_counts(&data);
                    let counts = [
                        unread.unwrap_or(self.counts[0]),
                        unseen.unwrap_or(self.counts[1]),
                    ];
                    self.set_counts(counts);
                }
                self.counts_answered();
            }
            // One notification's answer is its new state; the others are `{"updated": n}`.
            Op::Edit { .. } => {
                if let Some(item) = data.and_then(Item::from_json) {
                    self.update(item);
                }
            }
        }
    }

    /// The `subscribe_notifications` ack: the changes missed (v2) or the notifications missed
    /// (v1), then the counts as of the ack's `seq`; `resync` reloads the first page.
    fn caught_up(&mut self, data: &J) {
        let s = decode_subscribed(data);
        if s.resync {
            self.change_seq = s.seq;
            self.applied_seq = None;
        }
        for change in &s.changes {
            if let Some(push) = decode_envelope(change) {
                self.apply_in_order(push, seq_of(change));
            }
        }
        for item in s.missed {
            self.add_new(item);
        }
        self.change_seq = self.change_seq.max(s.seq);
        if let (Some(unread), unseen) = s.counts {
            self.apply_in_order(Push::UnreadCount(unread, unseen), s.seq);
        }
        if s.resync {
            self.reload_first_page(0);
        }
    }

    /// Applies the live pushes held back during a catch-up.
    fn release_held(&mut self) {
        if let Some(held) = self.held.take() {
            for (push, seq) in held {
                self.apply_in_order(push, seq);
            }
        }
    }

    fn undo(&mut self, op: Op<J>) {
        match op {
            Op::Edit {
                edit,
                undo,
                shifted,
                ..
            } => {
                // Entries that left the list come back; others deleted meanwhile stay deleted.
                let reinsert = matches!(edit, Edit::Remove | Edit::Archive | Edit::Unarchive);
                self.list.restore(undo, reinsert);
                self.shift_counts([-shifted[0], -shifted[1]]);
            }
            Op::Page { .. } => self.loading_more = false,
            Op::Subscribe { .. } => return self.release_held(),
            Op::Count => return self.counts_answered(),
        }
        self.dirty = true;
    }
}
