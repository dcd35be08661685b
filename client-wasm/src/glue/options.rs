//! Reads the options array the npm package passes in (`CoreOptions` in
//! `npm-package/src/options.ts`: already validated there). Positions rather than property names
//! keep the names out of both the module and the bundle; a missing (`undefined`) or
//! non-numeric entry keeps the core's default.

use super::js::get_index;
use crate::core::config::Config;
use crate::core::filter::Archived;
use wasm_bindgen::JsValue;

/// The positions in the options array, in `CoreOptions` order.
struct At;

impl At {
    const URL: u32 = 0;
    const SOCKET_PATH: u32 = 1;
    const INITIAL_DELAY: u32 = 2;
    const MAX_DELAY: u32 = 3;
    const FACTOR: u32 = 4;
    const MAX_ATTEMPTS: u32 = 5;
    const WEBSOCKET: u32 = 6;
    const SSE: u32 = 7;
    const FALLBACK_AFTER: u32 = 8;
    const PROBE_INTERVAL: u32 = 9;
    const CONNECT_TIMEOUT: u32 = 10;
    const STABLE_AFTER: u32 = 11;
    const SSE_IDLE_TIMEOUT: u32 = 12;
    const PAGE_SIZE: u32 = 13;
    const FILTER_TYPE: u32 = 14;
    const ARCHIVED: u32 = 15;
}

fn number(options: &JsValue, at: u32) -> Option<f64> {
    get_index(options, at)
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

fn millis(options: &JsValue, at: u32, into: &mut u64) {
    if let Some(n) = number(options, at) {
        *into = n as u64;
    }
}

/// The url is an absolute http(s) URL: the npm package resolved and checked it.
pub fn config(options: &JsValue) -> Config {
    let mut cfg = Config::new(&get_index(options, At::URL).as_string().unwrap_or_default());
    if let Some(path) = get_index(options, At::SOCKET_PATH).as_string() {
        cfg.socket_path = path;
    }
    millis(options, At::INITIAL_DELAY, &mut cfg.backoff.initial_ms);
    millis(options, At::MAX_DELAY, &mut cfg.backoff.max_ms);
    if let Some(f) = number(options, At::FACTOR) {
        cfg.backoff.factor = f;
    }
    if let Some(n) = number(options, At::MAX_ATTEMPTS) {
        cfg.backoff.max_attempts = Some(n as u32);
    }
    if let (Some(ws), Some(sse)) = (
        get_index(options, At::WEBSOCKET).as_bool(),
        get_index(options, At::SSE).as_bool(),
    ) {
        cfg.websocket = ws;
        cfg.sse = sse;
    }
    if let Some(n) = number(options, At::FALLBACK_AFTER) {
        cfg.fallback_after = n as u32;
    }
    millis(options, At::PROBE_INTERVAL, &mut cfg.probe_interval_ms);
    millis(options, At::CONNECT_TIMEOUT, &mut cfg.connect_timeout_ms);
    millis(options, At::STABLE_AFTER, &mut cfg.stable_after_ms);
    millis(options, At::SSE_IDLE_TIMEOUT, &mut cfg.sse_idle_timeout_ms);
    if let Some(n) = number(options, At::PAGE_SIZE) {
        cfg.page_size = n as u32;
    }
    cfg.filter.kind = get_index(options, At::FILTER_TYPE).as_string();
    cfg.filter.archived = match get_index(options, At::ARCHIVED).as_string().as_deref() {
        Some("true") => Archived::Only,
        Some("all") => Archived::All,
        _ => Archived::No,
    };
    cfg
}
