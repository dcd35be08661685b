//! Reads the options object the npm package passes in (already validated and defaulted there;
//! missing or non-numeric fields keep the core's defaults).

use super::js::get;
use crate::core::config::Config;
use wasm_bindgen::JsValue;

fn number(options: &JsValue, key: &str) -> Option<f64> {
    get(options, key)
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

fn millis(options: &JsValue, key: &str, into: &mut u64) {
    if let Some(n) = number(options, key) {
        *into = n as u64;
    }
}

/// `options.url` is an absolute http(s) URL: the npm package resolved and checked it.
pub fn config(options: &JsValue) -> Config {
    let mut cfg = Config::new(&get(options, "url").as_string().unwrap_or_default());
    if let Some(path) = get(options, "socketPath").as_string() {
        cfg.socket_path = path;
    }
    millis(options, "initialDelay", &mut cfg.backoff.initial_ms);
    millis(options, "maxDelay", &mut cfg.backoff.max_ms);
    if let Some(f) = number(options, "factor") {
        cfg.backoff.factor = f;
    }
    if let Some(n) = number(options, "maxAttempts") {
        cfg.backoff.max_attempts = Some(n as u32);
    }
    if let (Some(ws), Some(sse)) = (
        get(options, "websocket").as_bool(),
        get(options, "sse").as_bool(),
    ) {
        cfg.websocket = ws;
        cfg.sse = sse;
    }
    if let Some(n) = number(options, "fallbackAfter") {
        cfg.fallback_after = n as u32;
    }
    millis(options, "probeInterval", &mut cfg.probe_interval_ms);
    millis(options, "connectTimeout", &mut cfg.connect_timeout_ms);
    millis(options, "stableAfter", &mut cfg.stable_after_ms);
    millis(options, "sseIdleTimeout", &mut cfg.sse_idle_timeout_ms);
    if let Some(n) = number(options, "pageSize") {
        cfg.page_size = n as u32;
    }
    cfg
}
