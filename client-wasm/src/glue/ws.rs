//! One browser WebSocket, its callbacks feeding the driver. Dropping the handle detaches the
//! callbacks first (so the browser never calls a freed closure) and closes with code 1000.

use super::driver::Driver;
use crate::core::machine::Input;
use std::rc::Weak;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, WebSocket};

pub struct WsHandle {
    pub conn: u32,
    socket: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(JsValue)>,
}

impl WsHandle {
    /// Opens `url`; `Err` when the browser refuses to even create the socket.
    pub fn open(conn: u32, url: &str, driver: Weak<Driver>) -> Result<WsHandle, JsValue> {
        let socket = WebSocket::new(url)?;
        let weak = driver.clone();
        let on_message = Closure::own_aborting(move |event: MessageEvent| {
            if let (Some(text), Some(d)) = (event.data().as_string(), weak.upgrade()) {
                d.drive(Input::WsText { conn, text });
            }
        });
        let on_close = Closure::own_aborting(move |_event: JsValue| {
            if let Some(d) = driver.upgrade() {
                d.drive(Input::WsClosed { conn });
            }
        });
        socket.set_onmessage(Some(on_message.as_js_value().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_js_value().unchecked_ref()));
        Ok(WsHandle {
            conn,
            socket,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    pub fn send(&self, text: &str) {
        // A send on a closing socket is dropped; its close event reports the loss.
        let _ = self.socket.send_with_str(text);
    }
}

impl Drop for WsHandle {
    fn drop(&mut self) {
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close_with_code(1000);
    }
}
