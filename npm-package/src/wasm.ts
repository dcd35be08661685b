/**
 * Loads the WebAssembly core: compiled asynchronously (streaming when the server sends
 * `application/wasm`), once per page, shared by every client. The `.wasm` is a separate file
 * found with `new URL(…, import.meta.url)`, the pattern Vite, webpack 5 and browsers resolve
 * by themselves. When that file can't be loaded (a bundler that doesn't emit it, such as the
 * Angular CLI's esbuild builder; a 404; an HTML answer; Node, whose `fetch` can't read
 * `file:` URLs), a lazily imported chunk holding the module inlined is compiled instead,
 * still asynchronously: the normal path never downloads that chunk. A relative `wasmUrl` is
 * fetched from the page's origin. Nothing happens at import time (server-side rendering can import the
 * package), and no failure throws: it rejects the promise, which the client turns into its
 * `wasm_unavailable` state.
 *
 * The module is compiled here and handed to wasm-bindgen's `initSync`, which only instantiates
 * it (quick once compiled): the glue's own fetching loader stays out of the bundle.
 */
import { initSync, NotificationCore } from "./generated/notify_client.js";

/** The loaded core class, and why the separate `.wasm` was not used (when the inlined copy was). */
export interface LoadedCore {
  readonly Core: typeof NotificationCore;
  readonly fallbackCause?: unknown;
}

let loading: Promise<LoadedCore> | undefined;

/** Fetches and compiles the `.wasm`; streaming needs the `application/wasm` type, else it is read whole. */
async function compile(url: string | URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${response.status} fetching ${response.url}`);
  return response.headers.get("Content-Type") === "application/wasm"
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

async function instantiate(wasmUrl: string | URL | undefined): Promise<LoadedCore> {
  if (typeof WebAssembly !== "object" || WebAssembly === null) {
    throw new Error("WebAssembly is not available in this environment");
  }
  try {
    initSync({ module: await compile(wasmUrl ?? new URL("./generated/notify_client_bg.wasm", import.meta.url)) });
    return { Core: NotificationCore };
  } catch (fallbackCause) {
    const { wasmBytes } = await import("./generated/notify_client_inline.js");
    initSync({ module: await WebAssembly.compile(wasmBytes()) });
    return { Core: NotificationCore, fallbackCause };
  }
}

/**
 * The core class, once the module is instantiated (and whether the inlined copy was used). The first call starts loading it, from
 * `wasmUrl` when given (for bundlers that don't emit `new URL(…, import.meta.url)` assets);
 * later calls share that one load.
 */
export function loadCore(wasmUrl?: string | URL): Promise<LoadedCore> {
  loading ??= instantiate(wasmUrl);
  return loading;
}

export type { NotificationCore };
