//! Owns the state machine and carries out its effects.
//!
//! Every input goes through [`Driver::drive`]: step the machine (the only place it is
//! borrowed), then run the effects with no borrow held, so a JS listener that calls back into
//! the client (say `markRead` inside a `notification` listener) just drives another step.

use super::fetch;
use super::js::{self, Callable, Target};
use super::ws::WsHandle;
use crate::core::config::Config;
use crate::core::machine::{Effect, Input, Machine};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::AbortController;

pub struct Driver {
    me: Weak<Driver>,
    machine: RefCell<Machine<JsValue>>,
    get_token: Callable,
    on_event: Callable,
    sockets: RefCell<Vec<WsHandle>>,
    streams: RefCell<Vec<(u32, AbortController)>>,
    /// The deadline the pending `setTimeout` is for, and its id.
    timer: RefCell<Option<(u64, JsValue)>>,
    on_timer: Closure<dyn FnMut()>,
    on_online: Closure<dyn FnMut()>,
    on_offline: Closure<dyn FnMut()>,
    listening: RefCell<Option<Target>>,
}

impl Driver {
    pub fn new(cfg: Config, get_token: JsValue, on_event: JsValue) -> Rc<Driver> {
        let seed = (js::random() * 9_007_199_254_740_991.0) as u64;
        Rc::new_cyclic(|me: &Weak<Driver>| {
            let input_closure = |input: fn() -> Input| {
                let me = me.clone();
                Closure::own_aborting(move || {
                    if let Some(d) = me.upgrade() {
                        d.drive(input());
                    }
                })
            };
            let timer_me = me.clone();
            Driver {
                me: me.clone(),
                machine: RefCell::new(Machine::new(cfg, seed)),
                get_token: get_token.unchecked_into(),
                on_event: on_event.unchecked_into(),
                sockets: RefCell::new(Vec::new()),
                streams: RefCell::new(Vec::new()),
                timer: RefCell::new(None),
                on_timer: Closure::own_aborting(move || {
                    if let Some(d) = timer_me.upgrade() {
                        d.timer.borrow_mut().take();
                        d.drive(Input::Tick);
                    }
                }),
                on_online: input_closure(|| Input::Online),
                on_offline: input_closure(|| Input::Offline),
                listening: RefCell::new(None),
            }
        })
    }

    /// Feeds one input, runs the effects, re-arms the timer.
    pub fn drive(&self, input: Input) {
        let effects = self.machine.borrow_mut().step(input, now());
        for effect in effects {
            self.run(effect);
        }
        self.rearm_timer();
    }

    /// Read access for the exported getters.
    pub fn machine(&self) -> std::cell::Ref<'_, Machine<JsValue>> {
        self.machine.borrow()
    }

    pub fn has_stream(&self, conn: u32) -> bool {
        self.streams.borrow().iter().any(|(c, _)| *c == conn)
    }

    fn run(&self, effect: Effect<JsValue>) {
        match effect {
            Effect::GetToken(seq) => self.get_token(seq),
            Effect::OpenWs { conn, url } => match WsHandle::open(conn, &url, self.me.clone()) {
                Ok(handle) => self.sockets.borrow_mut().push(handle),
                Err(_) => self.later(Input::WsClosed { conn }),
            },
            Effect::SendWs { conn, text } => {
                if let Some(ws) = self.sockets.borrow().iter().find(|s| s.conn == conn) {
                    ws.send(&text);
                }
            }
            Effect::CloseWs { conn } => {
                let removed: Vec<WsHandle> = {
                    let mut sockets = self.sockets.borrow_mut();
                    let (gone, kept) = std::mem::take(&mut *sockets)
                        .into_iter()
                        .partition(|s| s.conn == conn);
                    *sockets = kept;
                    gone
                };
                drop(removed);
            }
            Effect::OpenSse {
                conn,
                url,
                token,
                last_event_id,
            } => match fetch::open_stream(conn, url, &token, last_event_id, self.me.clone()) {
                Some(abort) => self.streams.borrow_mut().push((conn, abort)),
                None => self.later(Input::SseEnded { conn }),
            },
            Effect::CloseSse { conn } => {
                let removed = {
                    let mut streams = self.streams.borrow_mut();
                    let i = streams.iter().position(|(c, _)| *c == conn);
                    i.map(|i| streams.remove(i))
                };
                if let Some((_, abort)) = removed {
                    abort.abort();
                }
            }
            Effect::Http {
                req,
                method,
                url,
                token,
            } => fetch::request(req, method, url, &token, self.me.clone()),
            Effect::Notification(value) => self.emit("notification", &value),
            Effect::UnreadCount(n) => self.emit("unreadCount", &JsValue::from_f64(n as f64)),
            Effect::Status(status) => self.emit("status", &JsValue::from_str(status.as_str())),
            Effect::Updated(value) => self.emit("notificationUpdated", &value),
            Effect::Deleted(id) => {
                let value = js::object();
                js::set(&value, "id", &JsValue::from_str(&id));
                self.emit("notificationDeleted", &value);
            }
            Effect::AllRead(at) => {
                let value = js::object();
                let at = at.map_or(JsValue::NULL, |at| JsValue::from_str(&at));
                js::set(&value, "readAt", &at);
                self.emit("allRead", &value);
            }
            Effect::Settled { action, error } => match error {
                None => self.emit("resolved", &JsValue::from_f64(action.into())),
                Some(error) => {
                    let value = js::error_object(&error);
                    js::set(&value, "action", &JsValue::from_f64(action.into()));
                    self.emit("rejected", &value);
                }
            },
            Effect::Error(error) => self.emit("error", &js::error_object(&error)),
            Effect::Changed => self.emit("change", &JsValue::UNDEFINED),
        }
    }

    fn emit(&self, kind: &str, value: &JsValue) {
        // Listener errors are the app's; the npm wrapper already isolates each listener.
        let _ = self
            .on_event
            .call2(&JsValue::UNDEFINED, &JsValue::from_str(kind), value);
    }

    /// Calls `getToken` (a string or a Promise of one) and answers the machine when it settles.
    fn get_token(&self, seq: u32) {
        let called = self.get_token.call0(&JsValue::UNDEFINED);
        let me = self.me.clone();
        spawn_local(async move {
            let token = match called {
                Ok(value) => match JsFuture::from(js::promise_resolve(&value)).await {
                    Ok(token) => token
                        .as_string()
                        .ok_or_else(|| String::from("getToken must return a string")),
                    Err(thrown) => Err(js::message_of(&thrown)),
                },
                Err(thrown) => Err(js::message_of(&thrown)),
            };
            if let Some(d) = me.upgrade() {
                d.drive(Input::Token { seq, token });
            }
        });
    }

    /// Feeds `input` from a fresh task (for failures detected while running effects).
    fn later(&self, input: Input) {
        let me = self.me.clone();
        spawn_local(async move {
            if let Some(d) = me.upgrade() {
                d.drive(input);
            }
        });
    }

    fn rearm_timer(&self) {
        let deadline = self.machine.borrow().deadline();
        let mut timer = self.timer.borrow_mut();
        if timer.as_ref().map(|(at, _)| *at) == deadline {
            return;
        }
        if let Some((_, id)) = timer.take() {
            js::clear_timeout(&id);
        }
        if let Some(at) = deadline {
            let delay = (at as f64 - js::date_now()).max(0.0);
            let id = js::set_timeout(self.on_timer.as_js_value(), delay);
            *timer = Some((at, id));
        }
    }

    /// Starts listening to `online`/`offline` on `globalThis`, where it is an event target.
    pub fn listen_network(&self) {
        if self.listening.borrow().is_some() {
            return;
        }
        let global = js_sys::global();
        if !js::get(&global, "addEventListener").is_function() {
            return;
        }
        let target: Target = global.unchecked_into();
        target.add_event_listener("online", self.on_online.as_js_value());
        target.add_event_listener("offline", self.on_offline.as_js_value());
        *self.listening.borrow_mut() = Some(target);
    }

    pub fn unlisten_network(&self) {
        if let Some(target) = self.listening.borrow_mut().take() {
            target.remove_event_listener("online", self.on_online.as_js_value());
            target.remove_event_listener("offline", self.on_offline.as_js_value());
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.unlisten_network();
        if let Some((_, id)) = self.timer.borrow_mut().take() {
            js::clear_timeout(&id);
        }
        for (_, abort) in self.streams.borrow_mut().drain(..) {
            abort.abort();
        }
    }
}

fn now() -> u64 {
    js::date_now() as u64
}
