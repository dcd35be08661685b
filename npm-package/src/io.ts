/**
 * The core's I/O in the browser: WebSockets, the SSE stream and REST requests over `fetch`,
 * one timer, `getToken`, and `online`/`offline`. The WebAssembly core decides what to do
 * (`client-wasm/src/glue/host.rs` calls the methods below); this module only does it and
 * reports back. After `close()` nothing reaches the core any more.
 */
import { expiryOf } from "./user.js";
import type { NotificationCore } from "./wasm.js";

type Emit = (kind: string, value: unknown) => void;

// What happened, as the core's `input(kind, a, b)` / `inputText(kind, a, text, b, c)` take it
// (the `Event` kinds of client-wasm/src/glue/client.rs).
export const CONNECT = 0;
export const DISCONNECT = 1;
const ONLINE = 2;
const OFFLINE = 3;
const TICK = 4;
const WS_CLOSED = 5;
const SSE_RESPONSE = 6;
const SSE_ENDED = 7;
const HTTP_FAILED = 8;
export const LOAD_MORE = 10;
export const REFRESH = 11;
export const CLEAR_USER = 12;
const TOKEN = 13;
const TOKEN_FAILED = 14;
const WS_TEXT = 15;
const SSE_DATA = 16;
const HTTP_DONE = 17;
/** A user action: `inputText(EDIT, action, JSON ids or "null" for all, code, 0)`. */
export const EDIT = 18;
/** The codes of `EDIT` (`edit_of` in client-wasm/src/glue/client.rs). */
export const READ = 0;
export const UNREAD = 1;
export const SEEN = 2;
export const ARCHIVE = 3;
export const UNARCHIVE = 4;
export const REMOVE = 5;
/** Another tab's state taken over: `inputText(RESUME, unread, JSON page {items, nextCursor, seq}, unseen, 0)`. */
export const RESUME = 20;

const messageOf = (error: unknown): string =>
  typeof error === "string" ? error : String((error as Error | null)?.message ?? "getToken failed");

/**
 * A `text/event-stream` reader (the WHATWG "event stream interpretation", data field only: the
 * server's events carry their type inside the data). Feed it decoded text as it arrives — a
 * chunk may end anywhere, even between `\r` and `\n` — and it returns the data of the events
 * the chunk completed.
 */
export function eventStream(): (chunk: string) => string[] {
  let pending = "";
  let data: string[] | null = null;
  let afterCr = false;
  return (chunk) => {
    if (chunk === "") return [];
    // A chunk that ended with `\r` ended its line; a `\n` starting the next one belongs to it.
    if (afterCr && chunk.startsWith("\n")) chunk = chunk.slice(1);
    afterCr = chunk.endsWith("\r");
    const lines = (pending + chunk).split(/\r\n|\r|\n/);
    pending = lines.pop()!;
    const out: string[] = [];
    for (const line of lines) {
      if (line === "") {
        if (data !== null) out.push(data.join("\n"));
        data = null;
      } else if (line === "data" || line.startsWith("data:")) {
        (data ??= []).push(line.slice(5).replace(/^ /, ""));
      }
    }
    return out;
  };
}

/** The object the core calls (`Host` in client-wasm/src/glue/host.rs); `core` is set once it exists. */
export interface Io {
  core: NotificationCore | null;
  readonly emit: Emit;
  getToken(seq: number): void;
  openWs(conn: number, url: string): void;
  sendWs(conn: number, text: string): void;
  closeWs(conn: number): void;
  /** `GET url` with the token in the `Authorization` header, read chunk by chunk. */
  openSse(conn: number, url: string, token: string, lastEventId?: string): void;
  closeSse(conn: number): void;
  /** A REST request (a JSON `body`, when given); the answer's status, body and `Retry-After` go back to the core. */
  request(req: number, method: string, url: string, token: string, body?: string): void;
  setTimer(at: number): void;
  /** Listens to `online`/`offline` on `globalThis`, where it is an event target. */
  listen(): void;
  unlisten(): void;
  /** Stops everything: sockets, streams, the timer, the listeners; the core hears nothing more. */
  close(): void;
}

/** The headers of a request with the token, accepting `accept`. */
const authorized = (token: string, accept: string): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
  Accept: accept,
});

/** The host of a client's core: `getToken` is the app's, `emit` reports the core's events to the client. */
export function io(getToken: () => unknown, emit: Emit): Io {
  const sockets = new Map<number, WebSocket>();
  const streams = new Map<number, AbortController>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Aborted by `unlisten()`: removes the `online`/`offline` listeners. */
  let network: AbortController | undefined;
  // What happened, to the core (until `close()`).
  const input = (kind: number, a: number, b = 0): void => host.core?.input(kind, a, b);
  const inputText = (kind: number, a: number, text: string, b = 0, c = 0): void =>
    host.core?.inputText(kind, a, text, b, c);
  const onNetwork = ({ type }: Event): void => input(type === "online" ? ONLINE : OFFLINE, 0);

  const host: Io = {
    core: null,
    emit,

    getToken(seq) {
      new Promise((resolve) => resolve(getToken())).then(
        (token) =>
          typeof token === "string"
            ? inputText(TOKEN, seq, token, expiryOf(token))
            : inputText(TOKEN_FAILED, seq, "getToken must return a string"),
        (error: unknown) => inputText(TOKEN_FAILED, seq, messageOf(error)),
      );
    },

    openWs(conn, url) {
      let socket: WebSocket;
      try {
        socket = new WebSocket(url);
      } catch {
        queueMicrotask(() => input(WS_CLOSED, conn));
        return;
      }
      socket.onmessage = (event) => {
        if (typeof event.data === "string") inputText(WS_TEXT, conn, event.data);
      };
      socket.onclose = () => input(WS_CLOSED, conn);
      sockets.set(conn, socket);
    },

    sendWs(conn, text) {
      // A send on a closing socket is dropped; its close event reports the loss.
      try {
        sockets.get(conn)?.send(text);
      } catch {}
    },

    closeWs(conn) {
      const socket = sockets.get(conn);
      if (socket === undefined) return;
      sockets.delete(conn);
      socket.onmessage = socket.onclose = null;
      socket.close(1000);
    },

    openSse(conn, url, token, lastEventId) {
      const abort = new AbortController();
      streams.set(conn, abort);
      const headers = authorized(token, "text/event-stream");
      if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
      const read = async (): Promise<void> => {
        const response = await fetch(url, { headers, signal: abort.signal });
        input(SSE_RESPONSE, conn, response.status);
        if (!response.ok || response.body === null) return;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        const events = eventStream();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          if (!streams.has(conn)) return void reader.cancel().catch(() => {});
          // Each event's data; a chunk that completes none (a ping) still shows the stream is alive.
          const data = events(decoder.decode(value, { stream: true }));
          for (const one of data.length > 0 ? data : [""]) inputText(SSE_DATA, conn, one);
        }
      };
      read()
        .catch(() => {})
        .then(() => input(SSE_ENDED, conn));
    },

    closeSse(conn) {
      streams.get(conn)?.abort();
      streams.delete(conn);
    },

    request(req, method, url, token, body) {
      const headers = authorized(token, "application/json");
      if (body !== undefined) headers["Content-Type"] = "application/json";
      fetch(url, { method, headers, body })
        .then(async (response) => [response.status, await response.text(), Number(response.headers.get("retry-after")) || 0] as const)
        .then(
          ([status, body, retryAfter]) => inputText(HTTP_DONE, req, body, status, retryAfter),
          () => input(HTTP_FAILED, req),
        );
    },

    setTimer(at) {
      clearTimeout(timer);
      if (at >= 0) timer = setTimeout(() => input(TICK, 0), Math.max(0, at - Date.now()));
    },

    listen() {
      if (network !== undefined) return;
      network = new AbortController();
      // Pages and workers have these events; Node (server-side rendering) has no `addEventListener`.
      for (const type of ["online", "offline"]) globalThis.addEventListener?.(type, onNetwork, { signal: network.signal });
    },

    unlisten() {
      network?.abort();
      network = undefined;
    },

    close() {
      host.core = null;
      sockets.forEach((_, conn) => host.closeWs(conn));
      streams.forEach((_, conn) => host.closeSse(conn));
      clearTimeout(timer);
      host.unlisten();
    },
  };
  return host;
}
