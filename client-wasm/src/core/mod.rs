//! The pure core: no browser types, no I/O, tested natively with `cargo test`.
//!
//! - [`codec`]: Engine.IO v4 / Socket.IO v5 packets.
//! - [`json`]: the [`json::Json`] trait the core reads JSON through, and tiny writers.
//! - [`backoff`]: exponential backoff with full jitter, and the jitter's random source.
//! - [`transport`]: WebSocket first, SSE fallback, back to WebSocket.
//! - [`list`]: the newest-first, de-duplicated notification list.
//! - [`filter`]: which notifications the list holds (the `filter` option).
//! - [`wire`]: the contract's messages in and out.
//! - [`config`]: options and URLs.
//! - [`token`]: when to refresh a token before it expires.
//! - [`machine`]: the sans-I/O state machine that ties them together.

pub mod backoff;
pub mod codec;
pub mod config;
pub mod filter;
pub mod json;
pub mod list;
pub mod machine;
pub mod token;
pub mod transport;
pub mod wire;
