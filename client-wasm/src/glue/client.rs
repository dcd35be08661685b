//! The class exported to JavaScript. The npm package wraps it in the typed, documented
//! `NotificationClient` and does its I/O (`io.ts`): what happens comes back through `input` /
//! `inputText`: each call runs the machine's handler for it (the core's `Input`s, without building
//! one) and hands the effects to the host.

use super::host::Host;
use super::js;
use super::options;
use crate::core::json::{Json, each_element};
use crate::core::machine::{Edit, Machine};
use std::cell::{Cell, RefCell, RefMut};
use wasm_bindgen::prelude::*;

/// The `kind` numbers of [`NotificationCore::input`] and [`NotificationCore::input_text`]
/// (mirrored by `npm-package/src/io.ts`).
struct Event;

impl Event {
    const CONNECT: u32 = 0;
    const DISCONNECT: u32 = 1;
    const ONLINE: u32 = 2;
    const OFFLINE: u32 = 3;
    const TICK: u32 = 4;
    const WS_CLOSED: u32 = 5;
    const SSE_RESPONSE: u32 = 6;
    const SSE_ENDED: u32 = 7;
    const HTTP_FAILED: u32 = 8;
    const LOAD_MORE: u32 = 10;
    const REFRESH: u32 = 11;
    const CLEAR_USER: u32 = 12;
    const TOKEN: u32 = 13;
    const TOKEN_FAILED: u32 = 14;
    const WS_TEXT: u32 = 15;
    const SSE_DATA: u32 = 16;
    const HTTP_DONE: u32 = 17;
    /// A user action; `b` is its [`Edit`] code, the text the ids (a JSON array) or `null`.
    const EDIT: u32 = 18;
    const RESUME: u32 = 20;
}

/// The [`Edit`] of a code (`EDITS` in `npm-package/src/io.ts`).
fn edit_of(code: u32) -> Option<Edit> {
    const EDITS: [Edit; 6] = [
        Edit::Read,
        Edit::Unread,
        Edit::Seen,
        Edit::Archive,
        Edit::Unarchive,
        Edit::Remove,
    ];
    EDITS.get(code as usize).copied()
}

#[wasm_bindgen]
pub struct NotificationCore {
    machine: RefCell<Machine<JsValue>>,
    host: Host,
    /// The deadline the host's timer is set for.
    timer: Cell<Option<u64>>,
}

impl NotificationCore {
    /// Runs the effects of the step just taken on `machine` (released first), so a listener
    /// that calls back into the client just drives another step; then sets the host's timer.
    fn run(&self, mut machine: RefMut<'_, Machine<JsValue>>) {
        let effects = machine.take_effects();
        drop(machine);
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
    pub fn new(options: JsValue, host: Host, seed: f64) -> NotificationCore {
        NotificationCore {
            machine: RefCell::new(Machine::new(options::config(&options), seed as u64)),
            host,
            timer: Cell::new(None),
        }
    }

    /// Everything that happened, as one call per shape (fewer exports, less glue):
    /// `kind` picks the input (see [`Event`]), `a` and `b` are its numbers.
    pub fn input(&self, kind: u32, a: u32, b: u32) {
        let mut m = self.machine.borrow_mut();
        let now = js::date_now() as u64;
        match kind {
            Event::CONNECT => m.connect(),
            Event::DISCONNECT => m.disconnect(),
            Event::ONLINE => m.online(now),
            Event::OFFLINE => m.go_offline(),
            Event::TICK => {
                self.timer.set(None);
                m.tick(now)
            }
            Event::WS_CLOSED => m.on_ws_closed(a, now),
            Event::SSE_RESPONSE => m.on_sse_response(a, b as u16, now),
            Event::SSE_ENDED => m.on_sse_ended(a, now),
            Event::HTTP_FAILED => m.on_http_failed(a),
            Event::LOAD_MORE => m.load_more(a),
            Event::REFRESH => m.refresh(a),
            Event::CLEAR_USER => m.clear_user(a != 0),
            _ => return,
        }
        self.run(m);
    }

    /// The inputs that carry a text: `a` is the connection, request, seq or action id (for
    /// `RESUME`, the unread count, and `b` the unseen count); for `TOKEN`, `b` is the token's `exp` in seconds (0: none);
    /// for `HTTP_DONE`, `b` is the status and `c` the `Retry-After` seconds (0: none).
    /// `text` arrives as a `JsValue` (read with `as_string`, which the `Json` reads use too):
    /// a `String` parameter would add its own conversion code.
    #[wasm_bindgen(js_name = inputText)]
    pub fn input_text(
        &self,
        kind: u32,
        a: u32,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        b: u32,
        c: u32,
    ) {
        let text = text.as_string().unwrap_or_default();
        let mut m = self.machine.borrow_mut();
        let now = js::date_now() as u64;
        match kind {
            Event::TOKEN => m.on_token(a, Ok(&text), (b > 0).then(|| u64::from(b) * 1000), now),
            Event::TOKEN_FAILED => m.on_token(a, Err(&text), None, now),
            Event::WS_TEXT => m.on_ws_text(a, &text, now),
            Event::SSE_DATA => m.on_sse_data(a, &text, now),
            Event::HTTP_DONE => m.on_http_done(a, b as u16, &text, (c > 0).then_some(c)),
            Event::EDIT => {
                let Some(edit) = edit_of(b) else { return };
                let ids = JsValue::parse(&text).filter(js::is_array).map(|ids| {
                    let mut strings = Vec::new();
                    each_element(&ids, |id| {
                        if let Some(id) = id.as_string() {
                            strings.push(id);
                        }
                    });
                    strings
                });
                m.edit(edit, ids, a)
            }
            Event::RESUME => m.resume([a.into(), b.into()], &text),
            _ => return,
        }
        self.run(m);
    }

    /// The state as one array, `CoreState` in `npm-package/src/client.ts`: `[notifications,
    /// unreadCount, unseenCount, status, transport, lastError, hasMore, reconnectAt, seq]`.
    /// One export instead of one per field (each export has its own glue), filled through
    /// `Reflect.set` (no return area).
    /// - `notifications`: newest first, as the server sent them (a fresh array each call;
    ///   unchanged notifications keep their object identity);
    /// - `status`: a JS string; `transport`: `"websocket"`, `"sse"` or `undefined`;
    /// - `lastError`: `{code, message, status?, retryAfter?}` or `null`;
    /// - `reconnectAt`: when the next reconnect attempt is due (ms since the epoch), or -1;
    /// - `seq`: the change-log position reached (what another tab resumes from), or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "any[]")]
    pub fn state(&self) -> JsValue {
        let machine = self.machine.borrow();
        let notifications = js::array();
        for (i, item) in machine.notifications().iter().enumerate() {
            js::set_index(&notifications, i as u32, &item.value);
        }
        let number = |n: u64| JsValue::from(n as f64);
        // Each field stored as it is made (no array of them to iterate and drop).
        let out = js::array();
        let mut at = 0;
        let mut field = |value: JsValue| {
            js::set_index(&out, at, &value);
            at += 1;
        };
        field(notifications);
        field(number(machine.unread_count()));
        field(number(machine.unseen_count()));
        field(machine.status().as_str().into());
        field(
            machine
                .transport()
                .map_or(JsValue::UNDEFINED, |t| t.as_str().into()),
        );
        field(machine.last_error().map_or(JsValue::NULL, js::error_object));
        field(machine.has_more().into());
        field(machine.reconnect_at().map_or(JsValue::from(-1.0), number));
        field(machine.change_seq().map_or(JsValue::UNDEFINED, number));
        out
    }
}
