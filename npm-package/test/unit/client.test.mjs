// The package's JS API in Node, as during server-side rendering: importing it and creating a
// client must not touch browser globals; the store contract (stable snapshot, subscribe,
// events), the module loading (asynchronous, once, never `new WebAssembly.Module`), the actions'
// promises and the option checks hold without any server.
import { test } from "node:test";
import assert from "node:assert/strict";

// Any synchronous compile would go through the WebAssembly.Module constructor.
const compiles = { sync: 0, async: 0 };
const RealModule = WebAssembly.Module;
WebAssembly.Module = new Proxy(RealModule, {
  construct(target, args) {
    compiles.sync++;
    return Reflect.construct(target, args);
  },
});
// Only this package's module counts, whose imports come from one module named "a" (the names
// are minified at build time); Node's own fetch may compile wasm of its own.
const ours = (module) => WebAssembly.Module.imports(module).every((i) => i.module === "a");
for (const name of ["compile", "compileStreaming"]) {
  const real = WebAssembly[name];
  WebAssembly[name] = async (source) => {
    const module = await real(source);
    if (ours(module)) compiles.async++;
    return module;
  };
}

const touched = [];
for (const name of ["window", "document", "navigator", "location", "WebSocket", "EventSource"]) {
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      touched.push(name);
      return undefined;
    },
  });
}

const { NotificationClient, NotificationError } = await import("../../dist/index.js");

test("importing and constructing touches no browser global", () => {
  const client = new NotificationClient({ url: "http://127.0.0.1:1", getToken: () => "t" });
  const state = client.getSnapshot();
  assert.equal(state.status, "idle");
  assert.deepEqual(touched, []);
  client.destroy();
});

test("the module is compiled asynchronously, once, and shared by every client", async () => {
  const a = new NotificationClient({ url: "http://127.0.0.1:1", getToken: () => "t" });
  const b = new NotificationClient({ url: "http://127.0.0.1:1", getToken: () => "t" });
  await Promise.all([a.ready, b.ready]);
  assert.deepEqual(compiles, { sync: 0, async: 1 });
  a.destroy();
  b.destroy();
});

test("actions return promises: refused ones reject with a NotificationError and roll back", async () => {
  const client = new NotificationClient({
    url: "http://127.0.0.1:1",
    getToken: () => "t",
    reconnect: { maxAttempts: 0 },
  });
  const errors = [];
  client.on("error", (e) => errors.push(e.code));
  // Before the module is ready: the action waits for it, then goes over REST and fails.
  const marking = client.markRead("0001");
  assert.ok(marking instanceof Promise);
  await assert.rejects(marking, (e) => {
    assert.ok(e instanceof NotificationError && e instanceof Error);
    assert.equal(e.name, "NotificationError");
    assert.equal(e.code, "network_error");
    return true;
  });
  await assert.rejects(client.remove("0001"), { code: "network_error" });
  await assert.rejects(client.markAllRead(), { code: "network_error" });
  assert.deepEqual(errors, ["network_error", "network_error", "network_error"]);
  const pending = client.refresh();
  client.destroy();
  await assert.rejects(pending, { code: "destroyed" });
  await assert.rejects(client.loadMore(), /after destroy/);
});

test("a logger hears about errors and reconnect delays; none by default", async () => {
  const lines = [];
  const client = new NotificationClient({
    url: "http://127.0.0.1:1",
    getToken: () => Promise.reject(new Error("no session")),
    reconnect: { initialDelay: 10_000, maxAttempts: 2 },
    logger: (level, message) => lines.push(`${level} ${message}`),
  });
  client.connect();
  await client.ready;
  await new Promise((resolve) => {
    const check = () => (lines.some((l) => l.includes("reconnecting in")) ? resolve() : setTimeout(check, 10));
    check();
  });
  assert.ok(lines.some((l) => l.startsWith("warn error: token_error")), lines.join("\n"));
  assert.ok(lines.some((l) => /^info reconnecting in \d+ ms$/.test(l)), lines.join("\n"));
  client.destroy();
});

test("getSnapshot returns the same frozen object until something changes", () => {
  const client = new NotificationClient({ url: "http://127.0.0.1:1", getToken: () => "t" });
  const a = client.getSnapshot();
  assert.equal(client.getSnapshot(), a);
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.notifications));
  assert.deepEqual(
    { ...a, notifications: [...a.notifications] },
    { notifications: [], unreadCount: 0, unseenCount: 0, status: "idle", transport: null, lastError: null, hasMore: true },
  );
  // A change (disconnect from idle keeps idle; markRead of an unknown id starts a request that
  // changes nothing visible yet) — the snapshot only changes when the state does.
  client.disconnect();
  assert.equal(client.getSnapshot(), a);
  client.destroy();
  assert.equal(client.getSnapshot().status, "disconnected");
  assert.throws(() => client.connect(), /after destroy/);
});

test("subscribe and on return working unsubscribe functions", async () => {
  const client = new NotificationClient({
    url: "http://127.0.0.1:1",
    getToken: () => Promise.reject(new Error("no session")),
    reconnect: { maxAttempts: 0 },
    transports: ["sse"],
  });
  const changes = [];
  const statuses = [];
  const errors = [];
  const unsubscribe = client.subscribe(() => changes.push(client.getSnapshot().status));
  const off = client.on("status", (s) => statuses.push(s));
  client.on("error", (e) => errors.push(e));
  client.connect();
  await new Promise((resolve) => {
    const check = () => (client.getSnapshot().status === "disconnected" ? resolve() : setTimeout(check, 10));
    check();
  });
  assert.deepEqual(statuses, ["connecting", "disconnected"]);
  assert.ok(changes.length >= 2);
  assert.deepEqual(errors.map((e) => e.code), ["token_error", "reconnect_failed"]);
  assert.equal(errors[0].message, "no session");
  assert.equal(client.getSnapshot().lastError?.code, "reconnect_failed");
  unsubscribe();
  off();
  const before = changes.length;
  client.connect();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(changes.length, before, "unsubscribed listener is not called");
  assert.equal(statuses.length, 2, "removed event listener is not called");
  client.destroy();
});

test("a throwing listener does not break the client or the other listeners", async () => {
  const client = new NotificationClient({
    url: "http://127.0.0.1:1",
    getToken: () => Promise.reject(new Error("x")),
    reconnect: { maxAttempts: 0 },
  });
  const seen = [];
  const reported = [];
  globalThis.reportError = (e) => reported.push(e.message);
  client.on("status", () => {
    throw new Error("listener bug");
  });
  client.on("status", (s) => seen.push(s));
  client.connect();
  await new Promise((r) => setTimeout(r, 100));
  delete globalThis.reportError;
  assert.deepEqual(seen, ["connecting", "disconnected"]);
  assert.deepEqual(reported, ["listener bug", "listener bug"], "reported, not swallowed");
  client.destroy();
});

test("options are checked", () => {
  const getToken = () => "t";
  assert.throws(() => new NotificationClient({ url: "ws://x", getToken }), /url/);
  // A relative URL needs the page's location (absent here, as during server rendering).
  assert.throws(() => new NotificationClient({ url: "/notify", getToken }), /url/);
  assert.throws(() => new NotificationClient({ url: "http://x" }), /getToken/);
  assert.throws(() => new NotificationClient({ url: "http://x", getToken, transports: [] }), /transports/);
  assert.throws(() => new NotificationClient({ url: "http://x", getToken, transports: ["polling"] }), /transports/);
  assert.throws(() => new NotificationClient({ url: "http://x", getToken, pageSize: 500 }), /pageSize/);
  assert.throws(() => new NotificationClient({ url: "http://x", getToken, reconnect: { factor: 0.5 } }), /factor/);
  assert.throws(() => new NotificationClient({ url: "http://x", getToken, filter: { type: "" } }), /filter.type/);
  assert.throws(() => new NotificationClient({ url: "http://x", getToken, filter: { archived: "yes" } }), /filter.archived/);
  assert.throws(() => new NotificationClient({ url: "http://x", getToken }).on("nope", () => {}), /unknown event/);
});
