// End-to-end: the built package in Debian's Chromium against the real notify-server.
//
// Needs NOTIFY_SERVER_BIN (the server binary) and a built npm-package/dist. The page is served
// from its own origin, so REST and SSE are cross-origin (CORS). Waits are for conditions with
// generous limits, never for fixed times.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotifyServer } from "./server.mjs";
import { openHarness, siteAndBrowser, waitForState } from "./browser.mjs";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const env = siteAndBrowser(packageRoot);

/** Tokens travel in the CONNECT payload or the Authorization header, never in a URL. */
function assertNoTokenInUrls(urls) {
  for (const url of urls) {
    assert.ok(!/token|eyJ/i.test(url), `a token leaked into ${url}`);
  }
}

/** Starts a server and a page whose client connects as `user`. */
async function setup(t, { transports, clientOptions = {}, tokens, fakeClock = false, path, beforeLoad } = {}) {
  const server = await NotifyServer.start({ corsOrigin: env.site.origin, transports });
  t.after(() => server.stop());
  const user = "user-" + Math.random().toString(36).slice(2, 8);
  const service = await server.token("publisher", { service: true });
  const userToken = await server.token(user);
  const harness = await openHarness(env.browser, env.site.origin, tokens ?? (() => server.token(user)), {
    fakeClock,
    path,
    beforeLoad,
  });
  t.after(() => harness.page.close());
  t.after(() => {
    if (t.passed === false || process.env.E2E_VERBOSE) {
      console.log(harness.consoleLines.join("\n"));
      console.log(server.log.join(""));
    }
  });
  const start = (options) =>
    harness.page.evaluate((o) => window.harness.start(o), { url: server.url, ...clientOptions, ...options });
  return { server, user, service, userToken, ...harness, start };
}

describe("@ghostpay/notifications in Chromium against notify-server", { concurrency: false }, () => {
  test("a published notification arrives, the unread count moves, markRead reaches the server", async (t) => {
    const s = await setup(t);
    await s.server.publish(s.service, s.user, "before connect");
    await s.start({});
    // The count comes with the subscribe's answer, the list with the first page's: either may be first.
    let state = await waitForState(s.page, (st) => st.status === "connected" && st.ids.length === 1 && st.unreadCount === 1);
    assert.equal(state.transport, "websocket");
    assert.ok(state.stableSnapshot, "getSnapshot returns the same object until a change");

    const published = await s.server.publish(s.service, s.user, "live one");
    state = await waitForState(s.page, (st, id) => st.ids[0] === id && st.unreadCount === 2, published.id);
    assert.deepEqual(state.titles, ["live one", "before connect"]);
    assert.deepEqual(state.notificationEvents, ["live one"]);
    assert.equal(await s.page.textContent("#unread"), "2");

    await s.page.evaluate((id) => window.harness.client.markRead(id), published.id);
    state = await waitForState(s.page, (st) => st.unreadCount === 1 && st.reads[0] === true);
    assert.equal(await s.server.unreadCount(s.userToken), 1);

    await s.page.evaluate(() => window.harness.client.markAllRead());
    await waitForState(s.page, (st) => st.unreadCount === 0 && st.reads.every(Boolean));
    assert.equal(await s.server.unreadCount(s.userToken), 0);

    // A refused action rejects its promise, and is reported as an error.
    const refused = await s.page.evaluate(() => window.harness.act("markRead", "no-such-id"));
    assert.deepEqual(refused, { ok: false, isError: true, name: "NotificationError", code: "not_found", status: undefined });
    state = await waitForState(s.page, (st) => st.errors.length > 0);
    assert.equal(state.errors[0].code, "not_found");
    assert.equal(state.syncCompiles, 0, "no synchronous WebAssembly compile");
    assert.ok(s.urls.some((u) => u.endsWith("/notify_client_bg.wasm")), "the .wasm was fetched");
    assert.ok(!s.urls.some((u) => u.includes("notify_client_inline")), "the inlined fallback was not");
    assert.equal(s.calls.length, 1, "one connect, one getToken call");
    assertNoTokenInUrls(s.urls);
    assert.ok(s.urls.some((u) => u.startsWith("ws://") && u.includes("/socket.io/")));
  });

  for (const [transport, serverTransports] of [
    ["websocket", undefined],
    ["sse", "polling"],
  ]) {
    test(`server killed and restarted (${transport}): every notification shows up exactly once`, async (t) => {
      // Tokens can be held back, so notifications are certainly published while the client is
      // away and must come back through the catch-up (subscribe_notifications {since} on
      // Socket.IO, Last-Event-ID on SSE).
      let gate = null;
      const s = await setup(t, {
        transports: serverTransports,
        tokens: async () => {
          if (gate) await gate.promise;
          return s.server.token(s.user);
        },
        clientOptions: { reconnect: { initialDelay: 200, maxDelay: 1000 } },
      });
      await s.start({});
      await waitForState(s.page, (st, tr) => st.status === "connected" && st.transport === tr, transport);
      const titles = [];
      for (let i = 0; i < 3; i++) {
        titles.push(`first ${i}`);
        await s.server.publish(s.service, s.user, `first ${i}`);
      }
      await waitForState(s.page, (st) => st.ids.length === 3);

      let release;
      gate = { promise: new Promise((r) => (release = r)) };
      await s.server.kill();
      await waitForState(s.page, (st) => st.status === "reconnecting");
      await s.server.restart();
      for (let i = 0; i < 4; i++) {
        titles.push(`while away ${i}`);
        await s.server.publish(s.service, s.user, `while away ${i}`);
      }
      gate = null;
      release();
      await waitForState(
        s.page,
        (st, tr) => st.status === "connected" && st.transport === tr && st.ids.length === 7,
        transport,
      );
      for (let i = 0; i < 3; i++) {
        titles.push(`after ${i}`);
        await s.server.publish(s.service, s.user, `after ${i}`);
      }
      const state = await waitForState(s.page, (st) => st.ids.length === 10 && st.unreadCount === 10);
      assert.equal(new Set(state.ids).size, 10, "no duplicates");
      assert.deepEqual([...state.titles].reverse(), titles, "newest first, nothing lost");
      assert.deepEqual([...state.notificationEvents].sort(), [...titles].sort(), "one event per notification");
      assert.ok(s.calls.length >= 2, "getToken was called again to reconnect");
    });
  }

  for (const [transport, serverTransports] of [
    ["websocket", undefined],
    ["sse", "polling"],
  ]) {
    test(`actions' promises settle on the server's answer (${transport})`, async (t) => {
      const s = await setup(t, { transports: serverTransports });
      const one = await s.server.publish(s.service, s.user, "one");
      const two = await s.server.publish(s.service, s.user, "two");
      await s.start({});
      await waitForState(s.page, (st, tr) => st.status === "connected" && st.transport === tr && st.ids.length === 2, transport);
      assert.deepEqual(await s.page.evaluate((id) => window.harness.act("markRead", id), two.id), { ok: true });
      // Resolved means confirmed: the server already counts it.
      assert.equal(await s.server.unreadCount(s.userToken), 1);
      const refused = await s.page.evaluate(() => window.harness.act("markRead", "no-such-id"));
      assert.equal(refused.isError, true);
      assert.equal(refused.code, "not_found");
      if (transport === "sse") assert.equal(refused.status, 404, "REST answers carry their status");
      assert.deepEqual(await s.page.evaluate(() => window.harness.act("markAllRead")), { ok: true });
      assert.equal(await s.server.unreadCount(s.userToken), 0);
      assert.deepEqual(await s.page.evaluate(() => window.harness.act("refresh")), { ok: true });
      assert.deepEqual(await s.page.evaluate(() => window.harness.act("loadMore")), { ok: true });
      const state = await waitForState(s.page, (st) => st.unreadCount === 0 && st.reads.every(Boolean));
      assert.deepEqual(state.ids, [two.id, one.id]);
      assert.equal(state.syncCompiles, 0);
    });
  }

  test("remove of an id the server doesn't know: rejects with not_found, the item comes back", async (t) => {
    const s = await setup(t);
    const gone = await s.server.publish(s.service, s.user, "deleted behind the client's back");
    await s.start({});
    await waitForState(s.page, (st) => st.status === "connected" && st.ids.length === 1);
    // Deleted while the client is away, so no push tells it.
    await s.page.evaluate(() => window.harness.client.disconnect());
    await s.server.request("DELETE", `/notifications/${gone.id}`, s.userToken);
    const result = await s.page.evaluate((id) => window.harness.act("remove", id), gone.id);
    assert.equal(result.ok, false);
    assert.equal(result.code, "not_found");
    assert.equal(result.status, 404);
    const state = await waitForState(s.page, (st) => st.ids.length === 1);
    assert.deepEqual(state.ids, [gone.id], "the optimistic removal was rolled back");
  });

  test("changes made elsewhere arrive as events: updated, deleted, all read", async (t) => {
    const s = await setup(t);
    const a = await s.server.publish(s.service, s.user, "a");
    const b = await s.server.publish(s.service, s.user, "b");
    await s.start({});
    await waitForState(s.page, (st) => st.status === "connected" && st.ids.length === 2);
    await s.server.request("POST", `/notifications/${a.id}/read`, s.userToken);
    await waitForState(s.page, (st, id) => st.updated.includes(id), a.id);
    await s.server.request("DELETE", `/notifications/${a.id}`, s.userToken);
    await waitForState(s.page, (st, id) => st.deleted.includes(id) && st.ids.length === 1, a.id);
    await s.server.request("POST", "/notifications/read-all", s.userToken);
    const state = await waitForState(s.page, (st) => st.allRead === 1 && st.unreadCount === 0);
    assert.deepEqual(state.ids, [b.id]);
  });

  for (const transport of ["websocket", "sse"]) {
    test(`a relative url behind the page's own reverse proxy (${transport})`, async (t) => {
      const s = await setup(t);
      env.site.proxyTo(s.server.url);
      await s.start({ url: "/notify", transports: [transport] });
      await waitForState(s.page, (st, tr) => st.status === "connected" && st.transport === tr, transport);
      const n = await s.server.publish(s.service, s.user, "through the proxy");
      await waitForState(s.page, (st, id) => st.ids[0] === id, n.id);
      assert.deepEqual(await s.page.evaluate((id) => window.harness.act("markRead", id), n.id), { ok: true });
      assert.equal(await s.server.unreadCount(s.userToken), 0);
      assert.ok(s.urls.every((u) => !u.startsWith(s.server.url)), "everything went to the page's origin");
    });
  }

  test("a .wasm served without the application/wasm type: compiled from the whole body, no fallback", async (t) => {
    const s = await setup(t, {
      beforeLoad: (page) =>
        page.route("**/notify_client_bg.wasm", async (route) => {
          const response = await route.fetch();
          await route.fulfill({ response, headers: { ...response.headers(), "content-type": "application/octet-stream" } });
        }),
    });
    await s.start({ log: true });
    const state = await waitForState(s.page, (st) => st.status === "connected");
    assert.equal(state.syncCompiles, 0, "no synchronous WebAssembly compile");
    assert.ok(!s.urls.some((u) => u.includes("notify_client_inline")), "the inlined fallback was not imported");
    assert.ok(!s.consoleLines.some((l) => l.includes("failed to load")), s.consoleLines.join("\n"));
  });

  // The Angular CLI doesn't emit the .wasm: its static host answers index.html, `ng serve` a 404.
  for (const [what, options] of [
    [
      "the .wasm answered by the app's index.html",
      {
        beforeLoad: (page) =>
          page.route("**/notify_client_bg.wasm", (route) =>
            route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><app-root></app-root>" }),
          ),
      },
    ],
    ["an explicit wasmUrl answering 404", { clientOptions: { wasmUrl: "/no-such-file.wasm" } }],
  ]) {
    test(`${what}: the lazily imported inlined module connects, compiled asynchronously`, async (t) => {
      const s = await setup(t, options);
      await s.start({ log: true });
      await waitForState(s.page, (st) => st.status === "connected");
      const n = await s.server.publish(s.service, s.user, "after the fallback");
      const state = await waitForState(s.page, (st, id) => st.ids[0] === id, n.id);
      assert.equal(state.syncCompiles, 0, "no synchronous WebAssembly compile");
      assert.ok(s.urls.some((u) => u.endsWith("/notify_client_inline.js")), "the fallback chunk was imported");
      assert.ok(
        s.consoleLines.some((l) => l.startsWith("warning: [notifications] the .wasm failed to load")),
        s.consoleLines.join("\n"),
      );
    });
  }

  test("a CSP without 'wasm-unsafe-eval': wasm_unavailable, nothing thrown; with it, connected", async (t) => {
    const s = await setup(t, { path: "/test/e2e/page.html?csp=strict" });
    await s.start({});
    // Polled from here: these CSPs also forbid the string evaluation waitForState relies on.
    const poll = async (page, predicate) => {
      let state;
      for (let i = 0; i < 600 && !predicate(state); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        state = await page.evaluate(() => window.harness.state());
      }
      assert.ok(predicate(state), JSON.stringify(state));
      return state;
    };
    const state = await poll(s.page, (st) => st?.lastError?.code === "wasm_unavailable");
    assert.equal(state.status, "disconnected");
    assert.match(state.lastError.message, /'wasm-unsafe-eval'/);
    assert.ok(!s.consoleLines.some((l) => l.startsWith("pageerror")), s.consoleLines.join("\n"));
    const allowed = await setup(t, { path: "/test/e2e/page.html?csp=wasm" });
    await allowed.start({});
    await poll(allowed.page, (st) => st?.status === "connected");
  });

  test("another user: switchUser, or a token for another sub, clears the previous user's list", async (t) => {
    let as = "a";
    let server;
    const users = {};
    const s = await setup(t, { tokens: () => server.token(users[as]) });
    server = s.server;
    users.a = s.user;
    users.b = s.user + "-b";
    users.c = s.user + "-c";
    await s.server.publish(s.service, users.a, "for a");
    await s.server.publish(s.service, users.b, "for b");
    await s.server.publish(s.service, users.c, "for c");
    await s.start({ userKey: "a" });
    await waitForState(s.page, (st) => st.status === "connected" && st.titles.join() === "for a");
    as = "b";
    await s.page.evaluate(() => window.harness.client.switchUser("b"));
    let state = await s.page.evaluate(() => window.harness.state());
    assert.deepEqual(state.ids, [], "cleared at once");
    state = await waitForState(s.page, (st) => st.status === "connected" && st.unreadCount === 1 && st.titles.length > 0);
    assert.deepEqual(state.titles, ["for b"]);
    // No switchUser: the next token names user c.
    as = "c";
    await s.page.evaluate(() => {
      window.harness.client.disconnect();
      window.harness.client.connect();
    });
    state = await waitForState(s.page, (st) => st.status === "connected" && st.unreadCount === 1 && st.titles.includes("for c"));
    assert.deepEqual(state.titles, ["for c"], "none of user b's notifications");
  });

  test("WebSocket refused by the server: runs on SSE, still live, actions over REST", async (t) => {
    const s = await setup(t, { transports: "polling" });
    await s.server.publish(s.service, s.user, "old");
    await s.start({});
    let state = await waitForState(
      s.page,
      (st) => st.status === "connected" && st.transport === "sse" && st.ids.length === 1 && st.unreadCount === 1,
    );
    const live = await s.server.publish(s.service, s.user, "over sse");
    state = await waitForState(s.page, (st, id) => st.ids[0] === id && st.unreadCount === 2, live.id);
    assert.deepEqual(state.notificationEvents, ["over sse"]);
    await s.page.evaluate((id) => window.harness.client.markRead(id), live.id);
    await waitForState(s.page, (st) => st.unreadCount === 1 && st.reads[0] === true);
    assert.equal(await s.server.unreadCount(s.userToken), 1);
    await s.page.evaluate((id) => window.harness.client.remove(id), live.id);
    await waitForState(s.page, (st) => st.ids.length === 1);
    const page = await s.server.request("GET", "/notifications", s.userToken);
    assert.deepEqual(page.items.map((n) => n.title), ["old"]);
    assertNoTokenInUrls(s.urls);
    assert.ok(s.urls.some((u) => u.endsWith("/notifications/events")), "the SSE stream was used");
  });

  test("WebSocket blocked in the browser: SSE, then back to WebSocket once it works", async (t) => {
    const s = await setup(t, { clientOptions: { probeInterval: 500, reconnect: { initialDelay: 100, maxDelay: 500 } } });
    let blocked = true;
    await s.page.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (blocked) ws.close({ code: 1011, reason: "blocked by test" });
      else ws.connectToServer();
    });
    await s.start({});
    await waitForState(s.page, (st) => st.status === "connected" && st.transport === "sse");
    const one = await s.server.publish(s.service, s.user, "via sse");
    await waitForState(s.page, (st, id) => st.ids[0] === id, one.id);

    blocked = false;
    await waitForState(s.page, (st) => st.transport === "websocket");
    const two = await s.server.publish(s.service, s.user, "via websocket");
    const state = await waitForState(s.page, (st, id) => st.ids[0] === id && st.unreadCount === 2, two.id);
    assert.deepEqual(state.titles, ["via websocket", "via sse"]);
    assert.deepEqual(state.notificationEvents, ["via sse", "via websocket"]);
  });

  test("back online: reconnects at once instead of waiting for its backoff", async (t) => {
    const s = await setup(t, { fakeClock: true, clientOptions: { fallbackAfter: 100 } });
    await s.start({});
    await waitForState(s.page, (st) => st.status === "connected");
    // Stop the page's clock: from now on no timer fires, so only the `online` event can
    // start the next attempt.
    await s.page.clock.pauseAt((await s.page.evaluate(() => Date.now())) + 1000);
    await s.server.kill();
    await waitForState(s.page, (st) => st.status === "reconnecting");
    const callsWhileDown = s.calls.length;
    await s.server.restart();
    await s.page.context().setOffline(true);
    await s.page.context().setOffline(false);
    await waitForState(s.page, (st) => st.status === "connected");
    assert.equal(s.calls.length, callsWhileDown + 1, "one attempt, started by `online`");
    const n = await s.server.publish(s.service, s.user, "back online");
    await waitForState(s.page, (st, id) => st.ids[0] === id, n.id);
  });

  test("an expired token: getToken is asked again and the client carries on", async (t) => {
    let server;
    const s = await setup(t, {
      tokens: (call) => (call === 1 ? server.expiredToken(s.user) : server.token(s.user)),
    });
    server = s.server;
    await s.start({});
    await waitForState(s.page, (st) => st.status === "connected");
    assert.equal(s.calls.length, 2, "the expired token was replaced by a fresh one");
    const n = await s.server.publish(s.service, s.user, "after refresh");
    // The notification and the unread count are two pushes: wait for both.
    const state = await waitForState(s.page, (st, id) => st.ids[0] === id && st.unreadCount === 1, n.id);
    assert.ok(!state.statuses.includes("unauthorized"));
  });

  for (const [transport, serverTransports] of [
    ["websocket", undefined],
    ["sse", "polling"],
  ]) {
    test(`a 20-second token is refreshed before it expires (${transport}): no reconnect, nothing lost`, async (t) => {
      let server;
      let firstExpiry;
      const s = await setup(t, {
        transports: serverTransports,
        tokens: async (call) => {
          if (call === 1) firstExpiry = Date.now() + 20_000;
          return server.token(s.user, { ttl: call === 1 ? "20s" : "1h" });
        },
      });
      server = s.server;
      // Only the transport under test: no WebSocket attempts or probes asking for tokens.
      await s.start({ transports: [transport] });
      await waitForState(s.page, (st, tr) => st.status === "connected" && st.transport === tr, transport);
      await s.server.publish(s.service, s.user, "with the first token");
      // getToken is asked again shortly before the first token's expiry (a tenth of its life)...
      while (s.calls.length < 2) await new Promise((r) => setTimeout(r, 200));
      // ...and the connection outlives that expiry (the server's disconnect moved to the new exp).
      while (Date.now() < firstExpiry + 3_000) await new Promise((r) => setTimeout(r, 200));
      const n = await s.server.publish(s.service, s.user, "after the first token expired");
      const state = await waitForState(s.page, (st, id) => st.ids[0] === id && st.unreadCount === 2, n.id);
      assert.deepEqual(state.titles, ["after the first token expired", "with the first token"]);
      assert.deepEqual(state.statuses, ["connecting", "connected"], "never reconnecting");
      assert.equal(s.calls.length, 2, "one getToken for the connection, one for the refresh");
      if (transport === "websocket") {
        const sockets = s.urls.filter((u) => u.startsWith("ws://"));
        assert.equal(sockets.length, 1, "the same socket throughout (refresh_token in-band)");
      } else {
        const streams = s.urls.filter((u) => u.includes("/notifications/events"));
        assert.equal(streams.length, 2, "the stream was replaced once, before the expiry");
      }
    });
  }

  test("getToken fails at the refresh: the server ends the expired socket, the client reconnects, nothing lost", async (t) => {
    let server;
    const s = await setup(t, {
      tokens: (call) => {
        if (call === 2) throw new Error("the identity provider is down");
        return server.token(s.user, { ttl: call === 1 ? "2s" : "1h" });
      },
      clientOptions: { reconnect: { initialDelay: 200, maxDelay: 1000 } },
    });
    server = s.server;
    await s.start({});
    await waitForState(s.page, (st) => st.status === "connected");
    await s.server.publish(s.service, s.user, "with the short token");
    // The server drops the socket when the token expires; the client asks for a new one.
    await waitForState(s.page, (st) => st.statuses.includes("reconnecting") && st.status === "connected");
    assert.ok(s.calls.length >= 3);
    const n = await s.server.publish(s.service, s.user, "with the fresh token");
    // The notification and the unread count are two pushes: wait for both.
    const state = await waitForState(s.page, (st, id) => st.ids[0] === id && st.unreadCount === 2, n.id);
    assert.deepEqual(state.titles, ["with the fresh token", "with the short token"]);
  });

  test("a token that stays invalid: status unauthorized, no more retries", async (t) => {
    let server;
    const s = await setup(t, { tokens: () => server.expiredToken(s.user) });
    server = s.server;
    await s.start({});
    const state = await waitForState(s.page, (st) => st.status === "unauthorized");
    assert.equal(state.lastError?.code, "unauthorized");
    assert.equal(s.calls.length, 2, "one retry with a fresh getToken, then it stops");
  });
});
