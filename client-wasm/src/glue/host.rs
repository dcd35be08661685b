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
    /// every arm: less code). What listeners hear is told by one `emit` call.
    pub fn run(&self, effect: Effect<JsValue>) {
        let made;
        let (kind, value) = match &effect {
            Effect::GetToken(seq) => return self.get_token(*seq),
            Effect::OpenWs { conn, url } => return self.open_ws(*conn, url),
            Effect::SendWs { conn, text } => return self.send_ws(*conn, text),
            Effect::CloseWs { conn } => return self.close_ws(*conn),
            Effect::OpenSse {
                conn,
                url,
                token,
                last_event_id,
            } => {
                let last_event_id = optional(last_event_id, JsValue::UNDEFINED);
                return self.open_sse(*conn, url, token, &last_event_id);
            }
            Effect::CloseSse { conn } => return self.close_sse(*conn),
            Effect::Http {
                req,
                method,
                url,
                token,
                body,
            } => {
                let body = optional(body, JsValue::UNDEFINED);
                return self.request(*req, method.as_str(), url, token, &body);
            }
            Effect::Notification(value) => ("notification", value),
            Effect::Updated(value) => ("notificationUpdated", value),
            Effect::Deleted(id) => {
                made = js::object1("id", &id.into());
                ("notificationDeleted", &made)
            }
            Effect::AllRead(at) => {
                made = js::object1("readAt", &optional(at, JsValue::NULL));
                ("allRead", &made)
            }
            Effect::UnreadCount(n) => {
                made = (*n as f64).into();
                ("unreadCount", &made)
            }
            Effect::Status(status) => {
                made = status.as_str().into();
                ("status", &made)
            }
            Effect::Settled {
                action,
                error: None,
            } => {
                made = (*action).into();
                ("resolved", &made)
            }
            Effect::Settled {
                action,
                error: Some(error),
            } => {
                made = js::error_object(error);
                js::set(&made, "action", &(*action).into());
                ("rejected", &made)
            }
            Effect::Error(error) => {
                made = js::error_object(error);
                ("error", &made)
            }
            Effect::Changed => ("change", &JsValue::UNDEFINED),
        };
        self.emit(kind, value);
    }
}

/// The string, or `none` when there is none.
fn optional(text: &Option<String>, none: JsValue) -> JsValue {
    text.as_deref().map_or(none, JsValue::from_str)
}
