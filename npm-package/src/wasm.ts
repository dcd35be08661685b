/**
 * Loads the WebAssembly core on first use. The module is inlined in the package (base64), so
 * no bundler plugin, asset rule or server route is needed, and nothing happens at import time
 * (server-side rendering can import the package safely).
 */
import { initSync, NotificationCore } from "./generated/notify_client.js";
import wasmBase64 from "./generated/notify_client_wasm.js";

let loaded = false;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The core class, instantiating the module the first time. */
export function loadCore(): typeof NotificationCore {
  if (!loaded) {
    initSync({ module: decodeBase64(wasmBase64) });
    loaded = true;
  }
  return NotificationCore;
}

export type { NotificationCore };
