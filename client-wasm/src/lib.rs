//! GhostPay Notifications browser client.
//!
//! The crate has two halves:
//! - [`core`]: a pure, deterministic client (packet codec, backoff, transport choice, SSE
//!   parser, notification list and the sans-I/O state machine), built and tested natively.
//! - `glue` (wasm32 only): exposes the core to JavaScript with wasm-bindgen; the npm package
//!   does the I/O and wraps it in the typed JS/TS API (`npm-package/`).

pub mod core;

#[cfg(target_arch = "wasm32")]
mod glue;

/// The module is single-threaded (no wasm threads), so the allocator needs no lock.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread only.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
