//! GhostPay Notifications browser client.
//!
//! The crate has two halves:
//! - [`core`]: a pure, deterministic client (packet codec, backoff, transport choice, SSE
//!   parser, notification list and the sans-I/O state machine), built and tested natively.
//! - `glue` (wasm32 only): drives the core with a browser WebSocket, a `fetch` SSE stream,
//!   timers and `online`/`offline` events, and exposes it to JavaScript with wasm-bindgen.
//!   The typed JS/TS API lives in the npm package (`npm-package/`).

pub mod core;

#[cfg(target_arch = "wasm32")]
mod glue;
