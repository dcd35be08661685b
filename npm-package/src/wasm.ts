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

type NodeProcess = { getBuiltinModule?(id: "fs/promises"): { readFile(path: URL): Promise<Uint8Array<ArrayBuffer>> } };

/**
 * The module's bytes or URL. On disk (Node: tests, server rendering) it is read with Node's own
 * `fs`, reached through `process.getBuiltinModule` (Node >= 20.16) rather than an import, so no
 * bundler sees a Node module.
 */
async function source(url: URL): Promise<URL | BufferSource> {
  if (url.protocol !== "file:") return url;
  const fs = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule?.("fs/promises");
  if (fs === undefined) throw new Error("reading the module from disk needs Node >= 20.16");
  return fs.readFile(url);
}

async function instantiate(wasmUrl: string | URL | undefined): Promise<typeof NotificationCore> {
  if (typeof WebAssembly !== "object" || WebAssembly === null) {
    throw new Error("WebAssembly is not available in this environment");
  }
  const url =
    wasmUrl === undefined
      ? new URL("./generated/notify_client_bg.wasm", import.meta.url)
      : new URL(wasmUrl, typeof location === "object" ? location.href : undefined);
  await init({ module_or_path: await source(url) });
  return NotificationCore;
}

/**
 * The core class, once the module is instantiated. The first call starts loading it, from
 * `wasmUrl` when given (for bundlers that don't emit `new URL(…, import.meta.url)` assets);
 * later calls share that one load.
 */
export function loadCore(wasmUrl?: string | URL): Promise<typeof NotificationCore> {
  loading ??= instantiate(wasmUrl);
  return loading;
}

export type { NotificationCore };
