//! The JS object (`npm-package/src/io.ts`) that carries out the core's effects, and the
//! translation of each [`Effect`] into one call on it.

use super::js;
use crate::core::machine::Effect;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    pub type Host;
    /// Calls `getToken`; answers with `token(seq, …)` or `tokenFailed(seq, …)`.
    #[wasm_bindgen(method, js_name = getToken)]
    fn get_token(this: &Host, seq: u32);
    /// Opens a WebSocket; reports `wsText(conn, …)` and `wsClosed(conn)`.
    #[wasm_bindgen(method, js_name = openWs)]
    fn open_ws(this: &Host, conn: u32, url: &str);
    #[wasm_bindgen(method, js_name = sendWs)]
    fn send_ws(this: &Host, conn: u32, text: &str);
    #[wasm_bindgen(method, js_name = closeWs)]
    fn close_ws(this: &Host, conn: u32);
    /// Opens the SSE stream; reports `sseResponse`, `sseChunk` and `sseEnded`. `last_event_id`
    /// is a string or `undefined` (a `JsValue`: an `Option<String>` would be freed by the glue).
    #[wasm_bindgen(method, js_name = openSse)]
    fn open_sse(this: &Host, conn: u32, url: &str, token: &str, last_event_id: &JsValue);
    #[wasm_bindgen(method, js_name = closeSse)]
    fn close_sse(this: &Host, conn: u32);
    /// A REST request (with a JSON `body`, when given: a string or `undefined`, a `JsValue` like
    /// `openSse`'s `last_event_id`); reports `httpDone(req, status, body, retryAfter)` or
    /// `httpFailed(req)`.
    #[wasm_bindgen(method)]
    fn request(this: &Host, req: u32, method: &str, url: &str, token: &str, body: &JsValue);
    /// Calls `tick()` at `at` (ms since the epoch); -1 cancels.
    #[wasm_bindgen(method, js_name = setTimer)]
    pub fn set_timer(this: &Host, at: f64);
    /// Tells the app: `notification`, `notificationUpdated`, `notificationDeleted`, `allRead`,
    /// `unreadCount`, `status`, `error`, `change`, `resolved` and `rejected` (actions).
    #[wasm_bindgen(method)]
    fn emit(this: &Host, kind: &str, value: &JsValue);
}

impl Host {
    /// The effect is matched by reference and dropped once, at the end (not field by field in
    /// every arm: less code).
    pub fn run(&self, effect: Effect<JsValue>) {
        match &effect {
            Effect::GetToken(seq) => self.get_token(*seq),
            Effect::OpenWs { conn, url } => self.open_ws(*conn, url),
            Effect::SendWs { conn, text } => self.send_ws(*conn, text),
            Effect::CloseWs { conn } => self.close_ws(*conn),
            Effect::OpenSse {
                conn,
                url,
                token,
                last_event_id,
            } => self.open_sse(
                *conn,
                url,
                token,
                &optional(last_event_id, JsValue::UNDEFINED),
            ),
            Effect::CloseSse { conn } => self.close_sse(*conn),
            Effect::Http {
                req,
                method,
                url,
                token,
                body,
            } => self.request(
                *req,
                method.as_str(),
                url,
                token,
                &optional(body, JsValue::UNDEFINED),
            ),
            Effect::Notification(value) => self.emit("notification", value),
            Effect::Updated(value) => self.emit("notificationUpdated", value),
            Effect::Deleted(id) => {
                self.emit("notificationDeleted", &js::object1("id", &id.into()));
            }
            Effect::AllRead(at) => {
                let at = optional(at, JsValue::NULL);
                self.emit("allRead", &js::object1("readAt", &at));
            }
            Effect::UnreadCount(n) => self.emit("unreadCount", &(*n as f64).into()),
            Effect::Status(status) => self.emit("status", &status.as_str().into()),
            Effect::Settled {
                action,
                error: None,
            } => self.emit("resolved", &(*action).into()),
            Effect::Settled {
                action,
                error: Some(error),
            } => {
                let value = js::error_object(error);
                js::set(&value, "action", &(*action).into());
                self.emit("rejected", &value);
            }
            Effect::Error(error) => self.emit("error", &js::error_object(error)),
            Effect::Changed => self.emit("change", &JsValue::UNDEFINED),
        }
    }
}

/// The string, or `none` when there is none.
fn optional(text: &Option<String>, none: JsValue) -> JsValue {
    text.as_deref().map_or(none, JsValue::from_str)
}
