//! Browser glue (wasm32 only): the core exported to JavaScript.
//!
//! The WebAssembly side keeps the protocol and the state; every piece of I/O (WebSocket, the
//! SSE stream and REST requests over `fetch`, the timer, `getToken`) is done by the npm
//! package's `io.ts`, which reports back through the exported methods. No futures executor,
//! no closures and no `web-sys` bindings end up in the module.
//!
//! - `js.rs`: the handful of JS globals the glue calls, and [`Json`](crate::core::json::Json)
//!   over `JsValue` (parsed by the engine's own `JSON.parse`).
//! - `options.rs`: the JS options object → [`Config`](crate::core::config::Config).
//! - `host.rs`: the JS object that carries out the core's effects.
//! - `client.rs`: the class exported to JavaScript (wrapped by the npm package's typed API).
//!
//! Nothing here touches a browser global: importing and instantiating the module during
//! server-side rendering is safe.

mod client;
mod host;
mod js;
mod options;
