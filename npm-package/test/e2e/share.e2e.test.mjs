// End-to-end: tabs of one browser sharing one connection (pages of one Chromium context, the
// real notify-server). The server's `notify_sockets` gauge counts the sockets the tabs hold.
//
// Needs NOTIFY_SERVER_BIN and a built npm-package/dist, like client.e2e.test.mjs. Waits are for
// conditions with generous limits, never for fixed times.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotifyServer } from "./server.mjs";
import { openHarness, siteAndBrowser, waitForState } from "./browser.mjs";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const env = siteAndBrowser(packageRoot);

/** The server's live Socket.IO connections. */
async function sockets(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => /^notify_sockets(\{[^}]*\})? /.test(l));
  assert.ok(line, `notify_sockets in /metrics:\n${text}`);
  return Number(line.split(" ").pop());
}

/** Polls the gauge until it reads `n` (a closed tab's socket is counted out a moment later). */
async function waitForSockets(server, n) {
  for (let i = 0; i < 300; i++) {
    if ((await sockets(server)) === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await sockets(server), n, "notify_sockets");
}

const connected = (st) => st.status === "connected";

/** A server and a browser context (one profile); `tab(user, options)` opens a started harness page. */
async function setup(t) {
  const server = await NotifyServer.start({ corsOrigin: env.site.origin });
  t.after(() => server.stop());
  const context = await env.browser.newContext();
  t.after(() => context.close());
  const service = await server.token("publisher", { service: true });
  const user = "user-" + Math.random().toString(36).slice(2, 8);
  const logs = [];
  t.after(() => {
    if (t.passed === false || process.env.E2E_VERBOSE) console.log(logs.flat().join("\n"), server.log.join(""));
  });
  const tab = async (who = user, options = {}) => {
    const harness = await openHarness(context, env.site.origin, () => server.token(who));
    logs.push(harness.consoleLines);
    await harness.page.evaluate((o) => window.harness.start(o), { url: server.url, ...options });
    return harness;
  };
  /** `n` tabs of the user, opened one after the other (the first leads), each connected. */
  const connectedTabs = async (n, options) => {
    const tabs = [];
    for (let i = 0; i < n; i++) {
      tabs.push(await tab(user, options));
      await waitForState(tabs[i].page, connected);
    }
    return tabs;
  };
  return { server, service, user, context, tab, connectedTabs };
}

describe("tabs of one browser share one connection", { concurrency: false }, () => {
  test("three tabs, one socket: every store gets a notification, one tab fires it, a follower's markRead resolves", async (t) => {
    const s = await setup(t);
    const tabs = await s.connectedTabs(3);
    assert.equal(await sockets(s.server), 1);

    const published = await s.server.publish(s.service, s.user, "shared");
    // The count is the server's next push (`unread_count`), a moment after the notification.
    const arrived = (st, id) => st.ids[0] === id && st.everyTab.length === 1 && st.unreadCount === 1;
    const states = [];
    for (const { page } of tabs) states.push(await waitForState(page, arrived, published.id));
    for (const state of states) {
      assert.deepEqual(state.everyTab, ["shared"], "everyTab listeners hear it in every tab");
      assert.ok(state.stableSnapshot);
    }
    assert.equal(states.flatMap((st) => st.notificationEvents).length, 1, "one tab fires `notification`");

    const follower = tabs[2].page;
    assert.deepEqual(await follower.evaluate((id) => window.harness.act("markRead", id), published.id), { ok: true });
    assert.equal(await s.server.unreadCount(await s.server.token(s.user)), 0, "resolved once the server has it");
    for (const { page } of tabs) await waitForState(page, (st) => st.unreadCount === 0 && st.reads[0] === true);
    const refused = await follower.evaluate(() => window.harness.act("markRead", "no-such-id"));
    assert.deepEqual(refused, { ok: false, isError: true, name: "NotificationError", code: "not_found", status: undefined });
    assert.equal(await sockets(s.server), 1);
  });

  for (const [how, leave] of [
    ["closes", (page) => page.close()],
    ["navigates away", (page) => page.goto("about:blank")],
    // A renderer crash, as Chromium's DevTools protocol makes one.
    [
      "crashes",
      async (page) => {
        const crashed = new Promise((resolve) => page.once("crash", resolve));
        (await page.context().newCDPSession(page)).send("Page.crash").catch(() => {}); // never answered
        await crashed;
      },
    ],
  ]) {
    test(`the leader ${how}: another tab connects and nothing published meanwhile is lost or shown twice`, async (t) => {
      const s = await setup(t);
      const tabs = await s.connectedTabs(3);
      const first = await s.server.publish(s.service, s.user, "before");
      for (const { page } of tabs) await waitForState(page, (st, id) => st.ids[0] === id, first.id);
      await waitForSockets(s.server, 1);

      // The first tab took the lock first: it leads. Its going away hands the connection over.
      const closedAt = Date.now();
      await leave(tabs[0].page);
      const titles = [];
      for (let i = 0; i < 5; i++) {
        titles.push(`during ${i}`);
        await s.server.publish(s.service, s.user, `during ${i}`);
      }
      const remaining = tabs.slice(1);
      await Promise.all(remaining.map(({ page }) => waitForState(page, (st) => st.status === "connected" && st.ids.length === 6)));
      await waitForSockets(s.server, 1);
      console.log(`handover: the other tabs were connected again ${Date.now() - closedAt} ms after the leader ${how}`);

      const after = await s.server.publish(s.service, s.user, "after");
      titles.push("after");
      const states = [];
      for (const { page } of remaining) {
        states.push(await waitForState(page, (st, id) => st.ids[0] === id && st.everyTab.length === 7, after.id));
      }
      for (const state of states) {
        assert.equal(new Set(state.ids).size, 7, "no duplicates");
        assert.deepEqual(state.titles.slice(0, 6).reverse(), titles, "newest first, nothing lost");
        // Live pushes may overtake the catch-up: the order of arrival is not fixed, the count is.
        assert.deepEqual([...state.everyTab].sort(), ["before", ...titles].sort(), "each notification heard once per tab");
      }
      assert.deepEqual(
        states.flatMap((st) => st.notificationEvents.filter((title) => title !== "before")).sort(),
        [...titles].sort(),
        "each notification fired once among the tabs",
      );
    });
  }

  test("a handover resumes from the leader's change-log position: what another device changed meanwhile shows, no list reload", async (t) => {
    const s = await setup(t);
    // The tabs' WebSockets pass through the browser context; while `hold` is set a new one waits for it.
    let hold = null;
    await s.context.routeWebSocket(/\/socket\.io\//, async (ws) => {
      await hold;
      ws.connectToServer();
    });
    const tabs = await s.connectedTabs(2);
    const first = await s.server.publish(s.service, s.user, "first");
    const second = await s.server.publish(s.service, s.user, "second");
    const next = tabs[1];
    await waitForState(next.page, (st) => st.ids.length === 2);
    const listFrames = [];
    next.page.on("websocket", (ws) =>
      ws.on("framesent", (f) => String(f.payload).includes('"list_notifications"') && listFrames.push(f.payload)),
    );
    const listUrls = () => next.urls.filter((u) => /\/notifications\?/.test(u)).length;
    const urlsBefore = listUrls();

    let release;
    hold = new Promise((resolve) => (release = resolve));
    await tabs[0].page.close();
    // Another device, while no tab is connected: one read, one archived.
    const userToken = await s.server.token(s.user);
    await s.server.request("POST", `/notifications/${first.id}/read`, userToken);
    await s.server.request("POST", `/notifications/${second.id}/archive`, userToken);
    release();

    const state = await waitForState(
      next.page,
      (st, id) => st.status === "connected" && st.ids.length === 1 && st.ids[0] === id && st.reads[0] === true,
      first.id,
    );
    assert.equal(state.unreadCount, 0);
    assert.deepEqual([listFrames.length, listUrls()], [0, urlsBefore], "the list was not reloaded");
  });

  test("tabs of two users hold two sockets, each tab showing only its own user's notifications", async (t) => {
    const s = await setup(t);
    const mine = await s.tab(s.user);
    const theirs = await s.tab("someone-else");
    await waitForState(mine.page, connected);
    await waitForState(theirs.page, connected);
    assert.equal(await sockets(s.server), 2);
    await s.server.publish(s.service, "someone-else", "not yours");
    await waitForState(theirs.page, (st) => st.ids.length === 1);
    const published = await s.server.publish(s.service, s.user, "yours");
    const state = await waitForState(mine.page, (st) => st.ids.length === 1);
    assert.deepEqual(state.ids, [published.id], "another user's notification never shows");
  });

  test("shareConnection: false: each tab connects by itself", async (t) => {
    const s = await setup(t);
    await s.connectedTabs(3, { shareConnection: false });
    assert.equal(await sockets(s.server), 3);
  });
});
