//! The class exported to JavaScript. The npm package wraps it in the typed, documented
//! `NotificationClient` and does its I/O (`io.ts`): its answers come back through the methods
//! below, and each one steps the state machine and hands the effects to the host.

use super::host::Host;
use super::js;
use super::options;
use crate::core::machine::{Input, Machine};
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct NotificationCore {
    machine: RefCell<Machine<JsValue>>,
    host: Host,
    /// The deadline the host's timer is set for.
    timer: Cell<Option<u64>>,
}

impl NotificationCore {
    /// Steps the machine (the only place it is borrowed), then runs the effects with no borrow
    /// held, so a listener that calls back into the client just drives another step.
    fn drive(&self, input: Input) {
        let effects = self.machine.borrow_mut().step(input, js::date_now() as u64);
        for effect in effects {
            self.host.run(effect);
        }
        let deadline = self.machine.borrow().deadline();
        if self.timer.replace(deadline) != deadline {
            self.host.set_timer(deadline.map_or(-1.0, |at| at as f64));
        }
    }
}

#[wasm_bindgen]
impl NotificationCore {
    /// `options`: see `options.rs`; `host`: see `host.rs`; `seed`: the jitter's random seed.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue, host: Host, seed: f64) -> Result<NotificationCore, JsValue> {
        Ok(NotificationCore {
            machine: RefCell::new(Machine::new(options::config(&options)?, seed as u64)),
            host,
            timer: Cell::new(None),
        })
    }

    pub fn connect(&self) {
        self.drive(Input::Connect);
    }

    pub fn disconnect(&self) {
        self.drive(Input::Disconnect);
    }

    pub fn online(&self) {
        self.drive(Input::Online);
    }

    pub fn offline(&self) {
        self.drive(Input::Offline);
    }

    pub fn tick(&self) {
        self.timer.set(None);
        self.drive(Input::Tick);
    }

    pub fn token(&self, seq: u32, token: String) {
        self.drive(Input::Token {
            seq,
            token: Ok(token),
        });
    }

    #[wasm_bindgen(js_name = tokenFailed)]
    pub fn token_failed(&self, seq: u32, message: String) {
        self.drive(Input::Token {
            seq,
            token: Err(message),
        });
    }

    #[wasm_bindgen(js_name = wsText)]
    pub fn ws_text(&self, conn: u32, text: String) {
        self.drive(Input::WsText { conn, text });
    }

    #[wasm_bindgen(js_name = wsClosed)]
    pub fn ws_closed(&self, conn: u32) {
        self.drive(Input::WsClosed { conn });
    }

    #[wasm_bindgen(js_name = sseResponse)]
    pub fn sse_response(&self, conn: u32, status: u16) {
        self.drive(Input::SseResponse { conn, status });
    }

    #[wasm_bindgen(js_name = sseChunk)]
    pub fn sse_chunk(&self, conn: u32, text: String) {
        self.drive(Input::SseChunk { conn, text });
    }

    #[wasm_bindgen(js_name = sseEnded)]
    pub fn sse_ended(&self, conn: u32) {
        self.drive(Input::SseEnded { conn });
    }

    /// `retry_after`: the `Retry-After` seconds, or 0 when absent.
    #[wasm_bindgen(js_name = httpDone)]
    pub fn http_done(&self, req: u32, status: u16, body: String, retry_after: u32) {
        self.drive(Input::HttpDone {
            req,
            status,
            body,
            retry_after: (retry_after > 0).then_some(retry_after),
        });
    }

    #[wasm_bindgen(js_name = httpFailed)]
    pub fn http_failed(&self, req: u32) {
        self.drive(Input::HttpFailed { req });
    }

    #[wasm_bindgen(js_name = markRead)]
    pub fn mark_read(&self, id: String, action: u32) {
        self.drive(Input::MarkRead { id, action });
    }

    #[wasm_bindgen(js_name = markAllRead)]
    pub fn mark_all_read(&self, action: u32) {
        self.drive(Input::MarkAllRead { action });
    }

    pub fn remove(&self, id: String, action: u32) {
        self.drive(Input::Remove { id, action });
    }

    #[wasm_bindgen(js_name = loadMore)]
    pub fn load_more(&self, action: u32) {
        self.drive(Input::LoadMore { action });
    }

    pub fn refresh(&self, action: u32) {
        self.drive(Input::Refresh { action });
    }

    /// Forgets the current user's notifications; `restart` reconnects a live connection.
    #[wasm_bindgen(js_name = clearUser)]
    pub fn clear_user(&self, restart: bool) {
        self.drive(Input::ClearUser { restart });
    }

    pub fn status(&self) -> String {
        self.machine.borrow().status().as_str().to_owned()
    }

    /// `"websocket"`, `"sse"`, or `undefined` while not connected.
    pub fn transport(&self) -> Option<String> {
        self.machine
            .borrow()
            .transport()
            .map(|t| t.as_str().to_owned())
    }

    #[wasm_bindgen(js_name = unreadCount)]
    pub fn unread_count(&self) -> f64 {
        self.machine.borrow().unread_count() as f64
    }

    #[wasm_bindgen(js_name = hasMore)]
    pub fn has_more(&self) -> bool {
        self.machine.borrow().has_more()
    }

    /// When the next reconnect attempt is due (ms since the epoch), or -1.
    #[wasm_bindgen(js_name = reconnectAt)]
    pub fn reconnect_at(&self) -> f64 {
        self.machine
            .borrow()
            .reconnect_at()
            .map_or(-1.0, |at| at as f64)
    }

    /// The notifications, newest first, as the server sent them (a fresh array each call;
    /// unchanged notifications keep their object identity).
    pub fn notifications(&self) -> Vec<JsValue> {
        let machine = self.machine.borrow();
        machine
            .notifications()
            .iter()
            .map(|item| item.value.clone())
            .collect()
    }

    /// `{code, message, status?, retryAfter?}` of the last error, or `null`.
    #[wasm_bindgen(js_name = lastError)]
    pub fn last_error(&self) -> JsValue {
        self.machine
            .borrow()
            .last_error()
            .map_or(JsValue::NULL, js::error_object)
    }
}
