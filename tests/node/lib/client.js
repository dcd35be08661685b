// Client-side helpers for the tests: REST calls, a Socket.IO event inbox, and an SSE reader.
//
// Waiters never assert on time; they only give up after a generous guard so that a missing
// event fails with a message naming what was awaited instead of hanging the run.

import { io } from "socket.io-client";

const GUARD_MS = 15_000;

/** JSON REST call; returns `{ status, body }` (body parsed when there is one). */
export async function api(server, method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h["content-type"] = "application/json";
  const res = await fetch(server.url + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, body: parsed };
}

/** Creates a notification with the service token; returns the stored Notification. */
export async function publish(server, serviceToken, userId, fields = {}) {
  const { status, body } = await api(server, "POST", "/notifications", {
    token: serviceToken,
    body: { userId: String(userId), title: "Hello", message: "", ...fields },
  });
  if (status !== 201) throw new Error(`POST /notifications: ${status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Opens a Socket.IO client on `/notifications` with the client's default transports
 * (long-polling first, then the upgrade to WebSocket), exactly like the guide's backend test.
 * Every event is recorded in an inbox before the connection starts.
 */
export function connectSocket(server, opts = {}) {
  const socket = io(`${server.url}/notifications`, { forceNew: true, reconnection: false, ...opts });
  return { socket, inbox: new Inbox(socket) };
}

/** Records every server-to-client event and lets a test await the next matching one. */
export class Inbox {
  constructor(socket) {
    this.events = []; // { name, payload }
    this.cursor = 0;
    this.waiters = [];
    socket.onAny((name, payload) => {
      this.events.push({ name, payload });
      this.#wake();
    });
  }

  #wake() {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Resolves with the payload of the next event named `name` (after the previous match)
   * for which `pred(payload)` holds. Events skipped over stay readable via `events`.
   */
  next(name, pred = () => true) {
    return new Promise((ok, fail) => {
      const check = () => {
        for (let i = this.cursor; i < this.events.length; i++) {
          const e = this.events[i];
          if (e.name === name && pred(e.payload)) {
            this.cursor = i + 1;
            done();
            ok(e.payload);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.events.map((e) => e.name).join(", ");
        fail(new Error(`no "${name}" event arrived (seen: ${seen || "none"})`));
      }, GUARD_MS);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      if (!check()) this.waiters.push(check);
    });
  }
}

/** Resolves once the socket is connected, rejects with the `connect_error`. */
export function connected(socket) {
  return new Promise((ok, fail) => {
    if (socket.connected) return ok();
    socket.once("connect", ok);
    socket.once("connect_error", fail);
  });
}

/** Resolves with the `connect_error` the server sends; rejects if the socket connects. */
export function connectError(socket) {
  return new Promise((ok, fail) => {
    socket.once("connect_error", ok);
    socket.once("connect", () => fail(new Error("socket connected but should have been refused")));
  });
}

/** Emits a client event and resolves with its acknowledgement. */
export function ask(socket, event, payload) {
  return socket.timeout(GUARD_MS).emitWithAck(event, payload);
}

/**
 * Minimal SSE client over fetch: `next()` resolves with the next event
 * `{ id, data, event }` (comment lines are skipped), `close()` aborts the stream.
 */
export async function openSse(server, { token, query = "", headers = {} } = {}) {
  const h = { accept: "text/event-stream", ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const ctrl = new AbortController();
  const res = await fetch(`${server.url}/notifications/events${query}`, {
    headers: h,
    signal: ctrl.signal,
  });
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buf = "";

  async function readEvent() {
    for (;;) {
      const sep = /\r\n\r\n|\n\n|\r\r/.exec(buf);
      if (sep) {
        const block = buf.slice(0, sep.index);
        buf = buf.slice(sep.index + sep[0].length);
        const ev = parseBlock(block);
        if (ev) return ev;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("SSE stream ended");
      buf += decoder.decode(value, { stream: true });
    }
  }

  return {
    status: res.status,
    contentType: res.headers.get("content-type") || "",
    response: res,
    next() {
      return Promise.race([
        readEvent(),
        new Promise((_, fail) =>
          setTimeout(() => fail(new Error("no SSE event arrived")), GUARD_MS).unref(),
        ),
      ]);
    },
    close() {
      ctrl.abort();
    },
  };
}

/** Parses one SSE event block; returns null for comment-only blocks. */
function parseBlock(block) {
  let id = null;
  let event = "message";
  const data = [];
  let any = false;
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line === "" || line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? "" : line.slice(i + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    any = true;
    if (field === "data") data.push(value);
    else if (field === "id") id = value;
    else if (field === "event") event = value;
  }
  if (!any || data.length === 0) return null;
  return { id, event, data: data.join("\n"), json: () => JSON.parse(data.join("\n")) };
}
