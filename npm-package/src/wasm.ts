/**
 * Loads the WebAssembly core: compiled asynchronously (streaming when the server sends
 * `application/wasm`), once per page, shared by every client. The `.wasm` is a separate file
 * found with `new URL(…, import.meta.url)`, the pattern Vite, webpack 5 and browsers resolve
 * by themselves. Nothing happens at import time (server-side rendering can import the
 * package), and no failure throws: it rejects the promise, which the client turns into its
 * `wasm_unavailable` state.
 */
import init, { NotificationCore } from "./generated/notify_client.js";

let loading: Promise<typeof NotificationCore> | undefined;

/** Node's file reader, imported only when the module sits on disk (tests, SSR). */
const NODE_FS = "node:fs/promises";

async function source(url: URL): Promise<URL | BufferSource> {
  if (url.protocol !== "file:") return url;
  const fs = (await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_FS)) as {
    readFile(path: URL): Promise<Uint8Array<ArrayBuffer>>;
  };
  return fs.readFile(url);
}

async function instantiate(): Promise<typeof NotificationCore> {
  if (typeof WebAssembly !== "object" || WebAssembly === null) {
    throw new Error("WebAssembly is not available in this environment");
  }
  await init({
    module_or_path: await source(new URL("./generated/notify_client_bg.wasm", import.meta.url)),
  });
  return NotificationCore;
}

/** The core class, once the module is instantiated (the first call starts loading it). */
export function loadCore(): Promise<typeof NotificationCore> {
  loading ??= instantiate();
  return loading;
}

export type { NotificationCore };
