// SSE at GET /notifications/events, read with a plain fetch stream (what a browser's
// fetch-based client does): first unread_count, then live notifications carrying `id:`,
// and Last-Event-ID replay on reconnect.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.js";
import { publish, openSse } from "../lib/client.js";

let server;
let service;
const streams = [];
let nextUser = 1;
const freshUser = () => `sse-user-${nextUser++}`;

async function open(opts) {
  const s = await openSse(server, opts);
  streams.push(s);
  return s;
}

before(async () => {
  server = await startServer();
  service = server.token("billing", { service: true });
});

after(async () => {
  for (const s of streams) s.close();
  if (server) assert.equal(await server.stop(), 0, "SIGTERM should end the server with exit code 0");
});

test("first unread_count, then a live notification with an id: line", async () => {
  const user = freshUser();
  await publish(server, service, user, { title: "earlier" });
  const sse = await open({ token: server.token(user) });
  assert.equal(sse.status, 200);
  assert.match(sse.contentType, /^text\/event-stream/);

  const first = await sse.next();
  assert.equal(first.event, "message", "events are unnamed so EventSource.onmessage sees them");
  // v2: `unseen` beside `count`, and the seq of the state it counts.
  assert.deepEqual(first.json(), { type: "unread_count", data: { count: 1, unseen: 1 }, seq: 1 });

  const created = await publish(server, service, user, { title: "Payment received" });
  let ev = await sse.next();
  while (ev.json().type !== "notification") ev = await sse.next();
  // v2: a change's `id:` line is its seq (v1 put the notification id there).
  assert.equal(ev.id, "2");
  assert.equal(ev.event, "message");
  assert.deepEqual(ev.json(), { type: "notification", data: created, seq: 2 });
  assert.equal(ev.json().data.title, "Payment received");
});

test("Last-Event-ID replays newer notifications (oldest first) after unread_count", async () => {
  const user = freshUser();
  const n1 = await publish(server, service, user, { title: "one" });
  const n2 = await publish(server, service, user, { title: "two" });
  const n3 = await publish(server, service, user, { title: "three" });

  const sse = await open({ token: server.token(user), headers: { "Last-Event-ID": n1.id } });
  assert.equal(sse.status, 200);
  assert.deepEqual((await sse.next()).json(), { type: "unread_count", data: { count: 3, unseen: 3 }, seq: 3 });
  const r2 = await sse.next();
  const r3 = await sse.next();
  assert.deepEqual([r2.id, r3.id], [n2.id, n3.id]);
  assert.deepEqual(r2.json(), { type: "notification", data: n2 });
  assert.deepEqual(r3.json(), { type: "notification", data: n3 });

  // Then the live stream continues.
  const n4 = await publish(server, service, user, { title: "four" });
  let ev = await sse.next();
  while (ev.json().type !== "notification") ev = await sse.next();
  assert.equal(ev.json().data.id, n4.id);
  assert.equal(ev.id, "4", "live changes carry their seq in `id:`");
});

test("?access_token= and ?lastEventId= work for clients that can't set headers", async () => {
  const user = freshUser();
  const n1 = await publish(server, service, user, { title: "one" });
  const n2 = await publish(server, service, user, { title: "two" });
  const q = `?access_token=${encodeURIComponent(server.token(user))}&lastEventId=${n1.id}`;
  const sse = await open({ query: q });
  assert.equal(sse.status, 200);
  assert.equal((await sse.next()).json().type, "unread_count");
  const replayed = await sse.next();
  assert.equal(replayed.id, n2.id);
});

test("no token or a bad token gets 401", async () => {
  const none = await open({});
  assert.equal(none.status, 401);
  const bad = await open({ token: "not.a.jwt" });
  assert.equal(bad.status, 401);
});

test("a change made elsewhere (read-all over REST) is pushed to the stream", async () => {
  const user = freshUser();
  const token = server.token(user);
  await publish(server, service, user, { title: "x" });
  const sse = await open({ token });
  assert.equal((await sse.next()).json().data.count, 1);
  const res = await fetch(`${server.url}/notifications/read-all`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  const types = [];
  let ev;
  do {
    ev = (await sse.next()).json();
    types.push(ev.type);
  } while (!(ev.type === "unread_count" && ev.data.count === 0));
  assert.ok(types.includes("all_read"), `got ${types.join(", ")}`);
});
