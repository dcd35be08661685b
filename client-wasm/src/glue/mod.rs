//! Browser glue (wasm32 only): runs the core's effects with real browser APIs.
//!
//! - `js.rs`: the handful of JS globals the glue calls, and [`Json`](crate::core::json::Json)
//!   over `JsValue` (parsed by the engine's own `JSON.parse`).
//! - `options.rs`: the JS options object → [`Config`](crate::core::config::Config).
//! - `driver.rs`: owns the state machine, feeds it inputs, carries out its effects, keeps one
//!   timer for its deadline and listens to `online`/`offline`.
//! - `ws.rs`: one browser `WebSocket` per connection id.
//! - `fetch.rs`: the SSE stream (`fetch` with an `Authorization` header, read incrementally)
//!   and REST requests.
//! - `client.rs`: the class exported to JavaScript (wrapped by the npm package's typed API).
//!
//! Nothing here touches `window` until `connect()`: importing the module during server-side
//! rendering is safe.

mod client;
mod driver;
mod fetch;
mod js;
mod options;
mod ws;
