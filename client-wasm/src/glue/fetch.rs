//! `fetch`-based I/O: the SSE stream (token in the `Authorization` header, `Last-Event-ID` on
//! resume, body read chunk by chunk) and the REST requests of actions.

use super::driver::Driver;
use super::js::{self, get};
use crate::core::machine::{Input, Method};
use std::rc::Weak;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, RequestInit, Response,
    TextDecodeOptions, TextDecoder,
};

fn request_init(method: &str, token: &str, accept: &str) -> RequestInit {
    let init = RequestInit::new();
    init.set_method(method);
    if let Ok(headers) = Headers::new() {
        let mut bearer = String::from("Bearer ");
        bearer.push_str(token);
        let _ = headers.append("Authorization", &bearer);
        let _ = headers.append("Accept", accept);
        init.set_headers(&headers);
    }
    init
}

fn feed(driver: &Weak<Driver>, input: Input) {
    if let Some(d) = driver.upgrade() {
        d.drive(input);
    }
}

/// Starts the SSE request; aborting the returned controller ends it.
pub fn open_stream(
    conn: u32,
    url: String,
    token: &str,
    last_event_id: Option<String>,
    driver: Weak<Driver>,
) -> Option<AbortController> {
    let abort = AbortController::new().ok()?;
    let init = request_init("GET", token, "text/event-stream");
    if let (Some(id), Ok(headers)) = (last_event_id, init.get_headers().dyn_into::<Headers>()) {
        let _ = headers.append("Last-Event-ID", &id);
    }
    init.set_signal(Some(&abort.signal()));
    spawn_local(async move {
        read_stream(conn, &url, &init, &driver).await;
        feed(&driver, Input::SseEnded { conn });
    });
    Some(abort)
}

async fn read_stream(conn: u32, url: &str, init: &RequestInit, driver: &Weak<Driver>) {
    let Ok(response) = JsFuture::from(js::fetch(url, init)).await else {
        return;
    };
    let response: Response = response.unchecked_into();
    feed(
        driver,
        Input::SseResponse {
            conn,
            status: response.status(),
        },
    );
    let (true, Some(body)) = (response.ok(), response.body()) else {
        return;
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let Ok(decoder) = TextDecoder::new() else {
        return;
    };
    let options = TextDecodeOptions::new();
    options.set_stream(true);
    while let Ok(chunk) = JsFuture::from(reader.read()).await {
        if get(&chunk, "done").as_bool() != Some(false) {
            return;
        }
        let bytes = get(&chunk, "value");
        let Ok(text) = decoder.decode_with_js_u8_array_and_options(bytes.unchecked_ref(), &options)
        else {
            return;
        };
        let Some(d) = driver.upgrade() else { return };
        if !d.has_stream(conn) {
            let _ = reader.cancel();
            return;
        }
        d.drive(Input::SseChunk { conn, text });
    }
}

/// Makes a REST request and reports its status and body (or its failure).
pub fn request(req: u32, method: Method, url: String, token: &str, driver: Weak<Driver>) {
    let init = request_init(method.as_str(), token, "application/json");
    spawn_local(async move {
        let input = match send(&url, &init).await {
            Ok((status, body, retry_after)) => Input::HttpDone {
                req,
                status,
                body,
                retry_after,
            },
            Err(_) => Input::HttpFailed { req },
        };
        feed(&driver, input);
    });
}

/// Status, body text and `Retry-After` seconds (readable when the server exposes the header).
async fn send(url: &str, init: &RequestInit) -> Result<(u16, String, Option<u32>), JsValue> {
    let response: Response = JsFuture::from(js::fetch(url, init)).await?.unchecked_into();
    let retry_after = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse().ok());
    let body = JsFuture::from(response.text()?).await?;
    Ok((
        response.status(),
        body.as_string().unwrap_or_default(),
        retry_after,
    ))
}
