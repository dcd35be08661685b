// The official socket.io-client v4 against the real server, as the integration guide's
// backend test uses it: namespace `/notifications`, default transports (long-polling, then
// the upgrade to WebSocket), the token in `extraHeaders` or in `auth`.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.js";
import { api, publish, connectSocket, connected, connectError, ask } from "../lib/client.js";

let server;
let service;
const sockets = [];
let nextUser = 1;

/** A fresh user id per test, so tests never see each other's notifications. */
const freshUser = () => `sio-user-${nextUser++}`;

/** Connects `user` with the guide's header form and waits for the connection. */
async function open(user, opts) {
  const token = server.token(user);
  const conn = connectSocket(server, opts ?? { extraHeaders: { Authorization: `Bearer ${token}` } });
  sockets.push(conn.socket);
  await connected(conn.socket);
  return conn;
}

before(async () => {
  server = await startServer();
  service = server.token("billing", { service: true });
});

after(async () => {
  for (const s of sockets) s.disconnect();
  if (server) {
    const code = await server.stop();
    assert.equal(code, 0, "SIGTERM should end the server with exit code 0");
  }
});

test("Authorization header + default transports: unread_count on connect, then upgrade", async () => {
  const user = freshUser();
  const { socket, inbox } = await open(user);
  const first = await inbox.next("unread_count");
  // v2: `unseen` beside `count`, and the seq of the state it counts (0: no change yet).
  assert.deepEqual(first, { type: "unread_count", data: { count: 0, unseen: 0 }, seq: 0 });

  // The client starts on long-polling; the server must offer and accept the WebSocket upgrade.
  const engine = socket.io.engine;
  if (engine.transport.name !== "websocket") {
    await new Promise((ok, fail) => {
      engine.once("upgrade", ok);
      engine.once("upgradeError", fail);
    });
  }
  assert.equal(engine.transport.name, "websocket");
});

test("POST /notifications (service token) arrives live as `notification`, then unread_count", async () => {
  const user = freshUser();
  const { inbox } = await open(user);
  await inbox.next("unread_count");

  const created = await publish(server, service, user, {
    title: "Payment received",
    message: "You got $20",
    type: "payment.received",
    data: { amount: 20 },
  });
  assert.equal(created.userId, user);
  assert.equal(created.title, "Payment received");
  assert.equal(created.message, "You got $20");
  assert.equal(created.type, "payment.received");
  assert.deepEqual(created.data, { amount: 20 });
  assert.equal(created.isRead, false);
  assert.equal(created.readAt, null);
  assert.equal(typeof created.id, "string");
  assert.ok(!Number.isNaN(Date.parse(created.createdAt)), "createdAt is a timestamp");

  const event = await inbox.next("notification");
  assert.equal(event.type, "notification");
  assert.equal(event.data.title, "Payment received");
  assert.deepEqual(event.data, created);

  assert.equal(event.seq, 1, "the user's first change is seq 1");
  const count = await inbox.next("unread_count");
  assert.deepEqual(count, { type: "unread_count", data: { count: 1, unseen: 1 }, seq: 1 });
});

test("a plain user token may not publish (403), a missing token gets 401", async () => {
  const user = freshUser();
  const asUser = await api(server, "POST", "/notifications", {
    token: server.token(user),
    body: { userId: user, title: "nope" },
  });
  assert.equal(asUser.status, 403);
  assert.equal(asUser.body.error.code, "forbidden");

  const anon = await api(server, "POST", "/notifications", { body: { userId: user, title: "x" } });
  assert.equal(anon.status, 401);
  assert.equal(anon.body.error.code, "unauthorized");
});

test("the CONNECT auth payload {token} authenticates too", async () => {
  const user = freshUser();
  const { inbox } = await open(user, { auth: { token: server.token(user) } });
  assert.deepEqual(await inbox.next("unread_count"), {
    type: "unread_count",
    data: { count: 0, unseen: 0 },
    seq: 0,
  });
  await publish(server, service, user, { title: "via auth payload" });
  assert.equal((await inbox.next("notification")).data.title, "via auth payload");
});

test("a bad or missing token gets connect_error `unauthorized`", async () => {
  const bad = connectSocket(server, { extraHeaders: { Authorization: "Bearer not.a.jwt" } });
  sockets.push(bad.socket);
  const err = await connectError(bad.socket);
  assert.equal(err.message, "unauthorized");

  const wrongKey = connectSocket(server, { auth: { token: forgeToken("someone") } });
  sockets.push(wrongKey.socket);
  assert.equal((await connectError(wrongKey.socket)).message, "unauthorized");

  const none = connectSocket(server);
  sockets.push(none.socket);
  assert.equal((await connectError(none.socket)).message, "unauthorized");
});

test("a socket only gets its own user's notifications", async () => {
  const alice = freshUser();
  const bob = freshUser();
  const a = await open(alice);
  const b = await open(bob);
  await Promise.all([a.inbox.next("unread_count"), b.inbox.next("unread_count")]);

  await publish(server, service, alice, { title: "for alice" });
  await publish(server, service, bob, { title: "for bob" });
  // Per-room order is kept, so had alice's leaked to bob it would come first.
  assert.equal((await b.inbox.next("notification")).data.title, "for bob");
  assert.equal((await a.inbox.next("notification")).data.title, "for alice");
  assert.ok(!b.inbox.events.some((e) => e.payload?.data?.title === "for alice"));
});

test("subscribe_notifications ack: {} and {since} (missed, oldest first)", async () => {
  const user = freshUser();
  const n1 = await publish(server, service, user, { title: "one" });
  const n2 = await publish(server, service, user, { title: "two" });
  const n3 = await publish(server, service, user, { title: "three" });
  const { socket } = await open(user);

  const plain = await ask(socket, "subscribe_notifications", {});
  assert.equal(plain.success, true, JSON.stringify(plain));
  assert.equal(plain.data.unreadCount, 3);
  assert.ok(Array.isArray(plain.data.missed));
  assert.equal(plain.data.resync, false);

  const since = await ask(socket, "subscribe_notifications", { since: n1.id });
  assert.equal(since.success, true, JSON.stringify(since));
  assert.deepEqual(since.data, { unreadCount: 3, unseenCount: 3, seq: 3, missed: [n2, n3], resync: false });

  const upToDate = await ask(socket, "subscribe_notifications", { since: n3.id });
  assert.deepEqual(upToDate.data.missed, []);
});

test("mark_read ack is the read Notification; notification_updated and unread_count follow", async () => {
  const user = freshUser();
  const { socket, inbox } = await open(user);
  await inbox.next("unread_count");
  const n = await publish(server, service, user, { title: "read me" });
  await inbox.next("notification");
  await inbox.next("unread_count", (p) => p.data.count === 1);

  const ack = await ask(socket, "mark_read", { id: n.id });
  assert.equal(ack.success, true, JSON.stringify(ack));
  assert.equal(ack.data.id, n.id);
  assert.equal(ack.data.isRead, true);
  assert.ok(!Number.isNaN(Date.parse(ack.data.readAt)), "readAt is a timestamp");

  const updated = await inbox.next("notification_updated");
  assert.equal(updated.type, "notification_updated");
  assert.equal(updated.data.id, n.id);
  assert.equal(updated.data.isRead, true);
  assert.equal(updated.data.isSeen, true, "read implies seen");
  assert.equal(updated.seq, 2);
  assert.deepEqual(await inbox.next("unread_count"), {
    type: "unread_count",
    data: { count: 0, unseen: 0 },
    seq: 2,
  });

  const again = await ask(socket, "mark_read", { id: n.id });
  assert.equal(again.success, true, "mark_read is idempotent");

  const missing = await ask(socket, "mark_read", { id: "01NOTANIDOFTHISUSER000000" });
  assert.equal(missing.success, false);
  assert.equal(missing.error.code, "not_found");
});

test("mark_all_read ack {updated}; all_read and unread_count 0 follow", async () => {
  const user = freshUser();
  await publish(server, service, user, { title: "a" });
  await publish(server, service, user, { title: "b" });
  const { socket, inbox } = await open(user);
  assert.equal((await inbox.next("unread_count")).data.count, 2);

  const ack = await ask(socket, "mark_all_read", {});
  assert.deepEqual(ack, { success: true, data: { updated: 2 } });
  const allRead = await inbox.next("all_read");
  assert.ok(!Number.isNaN(Date.parse(allRead.data.readAt)), "all_read carries readAt");
  assert.equal(allRead.seq, 3);
  assert.deepEqual(await inbox.next("unread_count"), {
    type: "unread_count",
    data: { count: 0, unseen: 0 },
    seq: 3,
  });

  const rest = await api(server, "GET", "/notifications/unread-count", { token: server.token(user) });
  assert.deepEqual(rest, { status: 200, body: { count: 0, unseen: 0 } });
});

test("list_notifications ack {items, nextCursor}: newest first, paged, unreadOnly", async () => {
  const user = freshUser();
  const made = [];
  for (const t of ["1", "2", "3"]) made.push(await publish(server, service, user, { title: t }));
  const { socket } = await open(user);

  const page1 = await ask(socket, "list_notifications", { limit: 2 });
  assert.equal(page1.success, true, JSON.stringify(page1));
  assert.deepEqual(page1.data.items, [made[2], made[1]]);
  assert.equal(typeof page1.data.nextCursor, "string");

  const page2 = await ask(socket, "list_notifications", { limit: 2, before: page1.data.nextCursor });
  assert.deepEqual(page2.data, { items: [made[0]], nextCursor: null });

  await ask(socket, "mark_read", { id: made[1].id });
  const unread = await ask(socket, "list_notifications", { unreadOnly: true });
  assert.deepEqual(
    unread.data.items.map((n) => n.id),
    [made[2].id, made[0].id],
  );

  const bad = await ask(socket, "list_notifications", { limit: 1000 });
  assert.equal(bad.success, false);
  assert.equal(typeof bad.error.code, "string");
});

test("an unknown event or malformed payload gets success:false and keeps the socket", async () => {
  const user = freshUser();
  const { socket, inbox } = await open(user);
  await inbox.next("unread_count");
  const unknown = await ask(socket, "no_such_event", {});
  assert.equal(unknown.success, false);
  const malformed = await ask(socket, "mark_read", { id: 42 });
  assert.equal(malformed.success, false);
  assert.ok(socket.connected);
  await publish(server, service, user, { title: "still here" });
  assert.equal((await inbox.next("notification")).data.title, "still here");
});

test("refresh_token ack: {expiresAt} for the same user, forbidden for another, unauthorized when bad", async () => {
  const user = freshUser();
  const { socket, inbox } = await open(user, { auth: { token: server.token(user, { ttl: "1m" }) } });
  await inbox.next("unread_count");

  const before = Date.now();
  const ack = await ask(socket, "refresh_token", { token: server.token(user, { ttl: "2h" }) });
  assert.equal(ack.success, true, JSON.stringify(ack));
  const expiresAt = Date.parse(ack.data.expiresAt);
  assert.ok(expiresAt > before + 3600_000, `expiresAt ${ack.data.expiresAt} is the new token's exp`);

  const other = await ask(socket, "refresh_token", { token: server.token(freshUser()) });
  assert.equal(other.success, false);
  assert.equal(other.error.code, "forbidden");
  const bad = await ask(socket, "refresh_token", { token: forgeToken(user) });
  assert.equal(bad.error.code, "unauthorized");
  const missing = await ask(socket, "refresh_token", {});
  assert.equal(missing.error.code, "validation_failed");
  assert.ok(socket.connected);
});

/** An HS256 token signed with a key the server doesn't know. */
function forgeToken(sub) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = b64({ alg: "HS256", typ: "JWT" });
  const body = b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600 });
  return `${head}.${body}.${Buffer.from("bad signature").toString("base64url")}`;
}
