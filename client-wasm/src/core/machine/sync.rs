//! Keeping the notification state in step with the server.
//!
//! Pushes are merged by id into the newest-first list. Each user action is an [`Op`] with an
//! optimistic change already applied and the means to undo it; it travels as a Socket.IO event
//! with an ack while the WebSocket is connected, and as a REST request otherwise (SSE mode,
//! reconnecting, or when the socket drops before the ack came back). The unread count shown is
//! always the server's latest figure, adjusted only by optimistic actions still in flight.

use super::{Effect, Link, Machine, Method, Phase, Status, TokenFor};
use crate::core::json::{self, Json, u64_field};
use crate::core::list::{Item, Merge};
use crate::core::wire::{
    self, ClientError, Push, codes, decode_page, decode_response, decode_subscribed,
};
use notify_bindings::{NAMESPACE, events};

/// A request the client makes, with what it needs to apply the answer or undo its effect.
#[derive(Debug, Clone)]
pub(super) enum Op<J> {
    /// `subscribe_notifications`: catch up from `since` and get the unread count.
    Subscribe {
        since: Option<String>,
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
    /// The unread count alone.
    Count,
    MarkRead {
        id: String,
        undo: Option<Item<J>>,
        decrement: u64,
    },
    MarkAllRead {
        undo: Vec<Item<J>>,
        decrement: u64,
    },
    Remove {
        id: String,
        undo: Option<Item<J>>,
        decrement: u64,
    },
}

impl<J> Op<J> {
    /// The Socket.IO form: event name and payload, if the contract has one.
    fn socket_event(&self, page_size: u32) -> Option<(&'static str, String)> {
        Some(match self {
            Op::Subscribe { since } => (
                events::SUBSCRIBE_NOTIFICATIONS,
                match since {
                    Some(id) => json::object1("since", id),
                    None => "{}".to_owned(),
                },
            ),
            Op::Page { before, .. } => (
                events::LIST_NOTIFICATIONS,
                wire::list_payload(page_size, before.as_deref()),
            ),
            Op::Count => (events::SUBSCRIBE_NOTIFICATIONS, "{}".to_owned()),
            Op::MarkRead { id, .. } => (events::MARK_READ, json::object1("id", id)),
            Op::MarkAllRead { .. } => (events::MARK_ALL_READ, "{}".to_owned()),
            Op::Remove { .. } => return None,
        })
    }

    /// The REST form: method and path, if there is one.
    fn rest(&self, page_size: u32) -> Option<(Method, String)> {
        Some(match self {
            Op::Subscribe { .. } => return None,
            Op::Page { before, .. } => (Method::Get, wire::list_path(page_size, before.as_deref())),
            Op::Count => (Method::Get, "/notifications/unread-count".to_owned()),
            Op::MarkRead { id, .. } => (Method::Post, wire::item_path(id, "/read")),
            Op::MarkAllRead { .. } => (Method::Post, "/notifications/read-all".to_owned()),
            Op::Remove { id, .. } => (Method::Delete, wire::item_path(id, "")),
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
    pub(super) fn apply_push(&mut self, push: Push<J>) {
        match push {
            Push::Notification(item) => self.add_new(item),
            Push::Updated(item) => {
                let value = item.value.clone();
                self.update(item);
                self.out.push(Effect::Updated(value));
            }
            Push::Deleted(id) => {
                if self.list.remove(&id).is_some() {
                    self.dirty = true;
                }
                self.out.push(Effect::Deleted(id));
            }
            Push::UnreadCount(n) => self.set_unread(n),
            Push::AllRead(at) => {
                if !self.list.mark_all_read(at.as_deref()).is_empty() {
                    self.dirty = true;
                }
                self.out.push(Effect::AllRead(at));
            }
            Push::Resync => self.reload_first_page(0),
        }
    }

    fn update(&mut self, item: Item<J>) {
        if self.list.upsert(item, true) != Merge::Kept {
            self.dirty = true;
        }
    }

    /// A notification delivered live or by a catch-up: listeners hear about it once.
    fn add_new(&mut self, item: Item<J>) {
        self.raise_high_water(&item.id);
        let value = item.value.clone();
        if self.list.upsert(item, false) == Merge::Added {
            self.out.push(Effect::Notification(value));
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

    pub(super) fn mark_read(&mut self, id: String, action: u32) {
        let undo = self.list.mark_read(&id, None);
        let decrement = self.optimistic_decrement(u64::from(undo.is_some()));
        self.dirty |= undo.is_some();
        self.send_action(
            Op::MarkRead {
                id,
                undo,
                decrement,
            },
            action,
        );
    }

    pub(super) fn mark_all_read(&mut self, action: u32) {
        let undo = self.list.mark_all_read(None);
        self.dirty |= !undo.is_empty();
        let decrement = self.optimistic_decrement(self.unread);
        self.send_action(Op::MarkAllRead { undo, decrement }, action);
    }

    pub(super) fn remove(&mut self, id: String, action: u32) {
        let undo = self.list.remove(&id);
        self.dirty |= undo.is_some();
        let was_unread = undo.as_ref().is_some_and(|i| !i.read);
        let decrement = self.optimistic_decrement(u64::from(was_unread));
        self.send_action(
            Op::Remove {
                id,
                undo,
                decrement,
            },
            action,
        );
    }

    fn optimistic_decrement(&mut self, by: u64) -> u64 {
        let by = by.min(self.unread);
        self.set_unread(self.unread - by);
        by
    }

    /// Loads the next older page; while one loads or at the end there is nothing to wait for.
    pub(super) fn load_more(&mut self, action: u32) {
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
    pub(super) fn refresh(&mut self, action: u32) {
        self.reload_first_page(action);
        self.send_op(Op::Count);
    }

    /// Forgets the previous user's state; actions still in flight settle with `user_changed`.
    pub(super) fn clear_user(&mut self, restart: bool) {
        for p in core::mem::take(&mut self.pending) {
            let error = ClientError::new(codes::USER_CHANGED, "another user signed in");
            self.settle(p.action, Some(error));
        }
        self.list = Default::default();
        self.set_unread(0);
        self.high_water = None;
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
    pub(super) fn resume(&mut self, unread: u64, page: &str) {
        if self.first_page_loaded {
            return;
        }
        if let Some(page) = J::parse(page) {
            let first_page = Op::Page {
                replace: false,
                before: None,
                mark: None,
            };
            self.apply(first_page, Some(page));
            self.set_unread(unread);
        }
    }

    fn settle(&mut self, action: u32, error: Option<ClientError>) {
        if action != 0 {
            self.out.push(Effect::Settled { action, error });
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
        if let (Some(conn), Some((name, payload))) = (conn, op.socket_event(self.cfg.page_size)) {
            let id = u64::from(self.next_seq());
            let text =
                crate::core::codec::event(NAMESPACE, Some(id), &wire::event_array(name, &payload));
            self.out.push(Effect::SendWs { conn, text });
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
        if op.rest(self.cfg.page_size).is_none() {
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
            self.tokens.push((req, TokenFor::Http(req)));
            self.out.push(Effect::GetToken(req));
        }
    }

    /// (Re)issues the REST request of the pending op `req` with the current token.
    pub(super) fn send_http(&mut self, req: u32) {
        let Some(p) = self.pending.iter().find(|p| p.via == Via::Http { req }) else {
            return;
        };
        let Some((method, path)) = p.op.rest(self.cfg.page_size) else {
            return;
        };
        self.out.push(Effect::Http {
            req,
            method,
            url: self.cfg.http_url(&path),
            token: self.token.clone().unwrap_or_default(),
        });
    }

    /// The socket `conn` is gone: ops still waiting for its acks go over REST instead.
    pub(super) fn requeue_acks(&mut self, conn: u32) {
        let (stranded, kept): (Vec<_>, Vec<_>) = core::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| matches!(p.via, Via::Ack { conn: c, .. } if c == conn));
        self.pending = kept;
        for p in stranded {
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

    pub(super) fn on_http_done(
        &mut self,
        req: u32,
        status: u16,
        body: &str,
        retry_after: Option<u32>,
    ) {
        let Some(p) = self.take_pending(Via::Http { req }) else {
            return;
        };
        if status == 401 && !p.auth_retried {
            // The token expired since we last asked: get a fresh one and try once more.
            self.pending.push(Pending {
                auth_retried: true,
                ..p
            });
            self.tokens.push((req, TokenFor::Http(req)));
            self.out.push(Effect::GetToken(req));
            return;
        }
        self.finish(p, decode_response(status, body, retry_after));
    }

    pub(super) fn on_http_failed(&mut self, req: u32) {
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

    fn apply(&mut self, op: Op<J>, data: Option<J>) {
        match op {
            Op::Subscribe { .. } => {
                let Some(data) = data else { return };
                let s = decode_subscribed(&data);
                if let Some(n) = s.unread_count {
                    self.set_unread(n);
                }
                for item in s.missed {
                    self.add_new(item);
                }
                if s.resync {
                    self.reload_first_page(0);
                }
            }
            Op::Page { replace, mark, .. } => {
                self.loading_more = false;
                let Some(data) = data else { return };
                let page = decode_page(&data);
                // A first load (nothing seen yet) and older pages are not news.
                let news: Vec<J> = page
                    .items
                    .iter()
                    .filter(|i| mark.as_deref().is_some_and(|m| i.id.as_str() > m))
                    .filter(|i| self.list.get(&i.id).is_none())
                    .map(|i| i.value.clone())
                    .collect();
                for item in &page.items {
                    self.raise_high_water(&item.id);
                }
                self.has_more = page.next_cursor.is_some();
                self.first_page_loaded = true;
                if replace {
                    self.list.replace_with_page(page.items, mark.as_deref());
                } else {
                    for item in page.items {
                        self.list.upsert(item, true);
                    }
                }
                self.out.extend(news.into_iter().map(Effect::Notification));
                self.dirty = true;
            }
            Op::Count => {
                let count = data
                    .and_then(|d| u64_field(&d, "unreadCount").or_else(|| u64_field(&d, "count")));
                if let Some(n) = count {
                    self.set_unread(n);
                }
            }
            Op::MarkRead { .. } => {
                if let Some(item) = data.and_then(Item::from_json) {
                    self.update(item);
                }
            }
            Op::MarkAllRead { .. } | Op::Remove { .. } => {}
        }
    }

    fn undo(&mut self, op: Op<J>) {
        match op {
            Op::MarkRead {
                undo, decrement, ..
            } => {
                self.list.restore(undo.into_iter().collect(), false);
                self.set_unread(self.unread + decrement);
            }
            Op::MarkAllRead { undo, decrement } => {
                self.list.restore(undo, false);
                self.set_unread(self.unread + decrement);
            }
            Op::Remove {
                undo, decrement, ..
            } => {
                self.list.restore(undo.into_iter().collect(), true);
                self.set_unread(self.unread + decrement);
            }
            Op::Page { .. } => self.loading_more = false,
            Op::Subscribe { .. } | Op::Count => return,
        }
        self.dirty = true;
    }
}
