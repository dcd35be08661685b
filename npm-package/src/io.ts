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

export class Io {
  core: NotificationCore | null = null;
  readonly #getToken: () => unknown;
  readonly emit: Emit;
  readonly #sockets = new Map<number, WebSocket>();
  readonly #streams = new Map<number, AbortController>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #network: EventTarget | null = null;
  readonly #online = (): void => this.core?.input(ONLINE, 0, 0);
  readonly #offline = (): void => this.core?.input(OFFLINE, 0, 0);

  constructor(getToken: () => unknown, emit: Emit) {
    this.#getToken = getToken;
    this.emit = emit;
  }

  getToken(seq: number): void {
    new Promise((resolve) => resolve(this.#getToken())).then(
      (token) =>
        typeof token === "string"
          ? this.core?.inputText(TOKEN, seq, token, expiryOf(token), 0)
          : this.core?.inputText(TOKEN_FAILED, seq, "getToken must return a string", 0, 0),
      (error: unknown) => this.core?.inputText(TOKEN_FAILED, seq, messageOf(error), 0, 0),
    );
  }

  openWs(conn: number, url: string): void {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      queueMicrotask(() => this.core?.input(WS_CLOSED, conn, 0));
      return;
    }
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.core?.inputText(WS_TEXT, conn, event.data, 0, 0);
    };
    socket.onclose = () => this.core?.input(WS_CLOSED, conn, 0);
    this.#sockets.set(conn, socket);
  }

  sendWs(conn: number, text: string): void {
    // A send on a closing socket is dropped; its close event reports the loss.
    try {
      this.#sockets.get(conn)?.send(text);
    } catch {}
  }

  closeWs(conn: number): void {
    const socket = this.#sockets.get(conn);
    if (socket === undefined) return;
    this.#sockets.delete(conn);
    socket.onmessage = socket.onclose = null;
    socket.close(1000);
  }

  /** `GET url` with the token in the `Authorization` header, read chunk by chunk. */
  openSse(conn: number, url: string, token: string, lastEventId?: string): void {
    const abort = new AbortController();
    this.#streams.set(conn, abort);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
    const read = async (): Promise<void> => {
      const response = await fetch(url, { headers, signal: abort.signal });
      this.core?.input(SSE_RESPONSE, conn, response.status);
      if (!response.ok || response.body === null) return;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const events = eventStream();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (!this.#streams.has(conn)) return void reader.cancel().catch(() => {});
        // Each event's data; a chunk that completes none (a ping) still shows the stream is alive.
        const data = events(decoder.decode(value, { stream: true }));
        for (const one of data.length > 0 ? data : [""]) this.core?.inputText(SSE_DATA, conn, one, 0, 0);
      }
    };
    read()
      .catch(() => {})
      .then(() => this.core?.input(SSE_ENDED, conn, 0));
  }

  closeSse(conn: number): void {
    this.#streams.get(conn)?.abort();
    this.#streams.delete(conn);
  }

  /** A REST request (a JSON `body`, when given); the answer's status, body and `Retry-After` go back to the core. */
  request(req: number, method: string, url: string, token: string, body?: string): void {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    fetch(url, { method, headers, body })
      .then(async (response) => [response.status, await response.text(), Number(response.headers.get("retry-after")) || 0] as const)
      .then(
        ([status, body, retryAfter]) => this.core?.inputText(HTTP_DONE, req, body, status, retryAfter),
        () => this.core?.input(HTTP_FAILED, req, 0),
      );
  }

  setTimer(at: number): void {
    clearTimeout(this.#timer);
    if (at >= 0) this.#timer = setTimeout(() => this.core?.input(TICK, 0, 0), Math.max(0, at - Date.now()));
  }

  /** Listens to `online`/`offline` on `globalThis`, where it is an event target. */
  listen(): void {
    const target = globalThis as Partial<EventTarget>;
    if (this.#network !== null || typeof target.addEventListener !== "function") return;
    this.#network = target as EventTarget;
    this.#network.addEventListener("online", this.#online);
    this.#network.addEventListener("offline", this.#offline);
  }

  unlisten(): void {
    this.#network?.removeEventListener("online", this.#online);
    this.#network?.removeEventListener("offline", this.#offline);
    this.#network = null;
  }

  /** Stops everything: sockets, streams, the timer, the listeners; the core hears nothing more. */
  close(): void {
    this.core = null;
    for (const conn of [...this.#sockets.keys()]) this.closeWs(conn);
    for (const conn of [...this.#streams.keys()]) this.closeSse(conn);
    clearTimeout(this.#timer);
    this.unlisten();
  }
}
