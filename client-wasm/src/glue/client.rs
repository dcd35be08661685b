//! The class exported to JavaScript. The npm package wraps it in the typed, documented
//! `NotificationClient` (listener sets, the cached snapshot, option defaults).

use super::driver::Driver;
use super::js;
use super::options;
use crate::core::machine::Input;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct NotificationCore {
    driver: Rc<Driver>,
}

#[wasm_bindgen]
impl NotificationCore {
    /// `options`: see `options.rs`; `get_token`: `() => string | Promise<string>`;
    /// `on_event`: `(kind, value) => void` with kinds `notification`, `notificationUpdated`,
    /// `notificationDeleted`, `allRead`, `unreadCount`, `status`, `error`, `change`, and
    /// `resolved` (value: the action id) / `rejected` (value: the error with its `action`) for
    /// the actions, whose last argument is the caller's action id.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options: JsValue,
        get_token: JsValue,
        on_event: JsValue,
    ) -> Result<NotificationCore, JsValue> {
        if !get_token.is_function() || !on_event.is_function() {
            return Err(JsValue::from_str("getToken must be a function"));
        }
        let cfg = options::config(&options)?;
        Ok(NotificationCore {
            driver: Driver::new(cfg, get_token, on_event),
        })
    }

    pub fn connect(&self) {
        self.driver.listen_network();
        self.driver.drive(Input::Connect);
    }

    pub fn disconnect(&self) {
        self.driver.drive(Input::Disconnect);
        self.driver.unlisten_network();
    }

    #[wasm_bindgen(js_name = markRead)]
    pub fn mark_read(&self, id: String, action: u32) {
        self.driver.drive(Input::MarkRead { id, action });
    }

    #[wasm_bindgen(js_name = markAllRead)]
    pub fn mark_all_read(&self, action: u32) {
        self.driver.drive(Input::MarkAllRead { action });
    }

    pub fn remove(&self, id: String, action: u32) {
        self.driver.drive(Input::Remove { id, action });
    }

    #[wasm_bindgen(js_name = loadMore)]
    pub fn load_more(&self, action: u32) {
        self.driver.drive(Input::LoadMore { action });
    }

    pub fn refresh(&self, action: u32) {
        self.driver.drive(Input::Refresh { action });
    }

    /// Forgets the current user's notifications; `restart` reconnects a live connection.
    #[wasm_bindgen(js_name = clearUser)]
    pub fn clear_user(&self, restart: bool) {
        self.driver.drive(Input::ClearUser { restart });
    }

    pub fn status(&self) -> String {
        self.driver.machine().status().as_str().to_owned()
    }

    /// `"websocket"`, `"sse"`, or `undefined` while not connected.
    pub fn transport(&self) -> Option<String> {
        self.driver
            .machine()
            .transport()
            .map(|t| t.as_str().to_owned())
    }

    #[wasm_bindgen(js_name = unreadCount)]
    pub fn unread_count(&self) -> f64 {
        self.driver.machine().unread_count() as f64
    }

    /// When the next reconnect attempt is due (ms since the epoch), or -1.
    #[wasm_bindgen(js_name = reconnectAt)]
    pub fn reconnect_at(&self) -> f64 {
        self.driver
            .machine()
            .reconnect_at()
            .map_or(-1.0, |at| at as f64)
    }

    #[wasm_bindgen(js_name = hasMore)]
    pub fn has_more(&self) -> bool {
        self.driver.machine().has_more()
    }

    /// The notifications, newest first, as the server sent them (a fresh array each call;
    /// unchanged notifications keep their object identity).
    pub fn notifications(&self) -> js_sys::Array {
        let list = js_sys::Array::new();
        for item in self.driver.machine().notifications() {
            list.push(&item.value);
        }
        list
    }

    /// `{code, message}` of the last error, or `null`.
    #[wasm_bindgen(js_name = lastError)]
    pub fn last_error(&self) -> JsValue {
        self.driver
            .machine()
            .last_error()
            .map_or(JsValue::NULL, js::error_object)
    }
}

impl Drop for NotificationCore {
    fn drop(&mut self) {
        self.driver.drive(Input::Disconnect);
    }
}
