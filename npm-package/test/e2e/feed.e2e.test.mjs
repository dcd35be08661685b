// End-to-end: feed states and the change log (issue 10) in Debian's Chromium against the real
// notify-server. Client A goes away; meanwhile another device reads one notification, deletes
// one, archives one and creates two; A comes back and its store shows exactly what a fresh first
// page shows, without reloading its list. Needs NOTIFY_SERVER_BIN (a server with the v2 feed
// states and change log) and a built npm-package/dist.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotifyServer } from "./server.mjs";
import { serveStatic } from "./static.mjs";
import { launchBrowser, openHarness, waitForState } from "./browser.mjs";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
let site;
let browser;

before(async () => {
  site = await serveStatic(packageRoot);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

/** A server and a page whose client will connect as a fresh user. */
async function setup(t, transports) {
  const server = await NotifyServer.start({ corsOrigin: site.origin, transports });
  t.after(() => server.stop());
  const user = "user-" + Math.random().toString(36).slice(2, 8);
  const service = await server.token("publisher", { service: true });
  const userToken = await server.token(user);
  const harness = await openHarness(browser, site.origin, () => server.token(user));
  t.after(() => harness.page.close());
  t.after(() => {
    if (t.passed === false || process.env.E2E_VERBOSE) {
      console.log(harness.consoleLines.join("\n"));
      console.log(server.log.join(""));
    }
  });
  // List loads: `GET /notifications?...` (REST) and `list_notifications` frames (Socket.IO).
  const listFrames = [];
  harness.page.on("websocket", (ws) =>
    ws.on("framesent", (f) => {
      if (String(f.payload).includes('"list_notifications"')) listFrames.push(f.payload);
    }),
  );
  const listLoads = () => harness.urls.filter((u) => /\/notifications\?/.test(u)).length + listFrames.length;
  const start = () => harness.page.evaluate((url) => window.harness.start({ url }), server.url);
  return { server, user, service, userToken, listLoads, start, ...harness };
}

describe("feed states and catch-up in Chromium against notify-server", { concurrency: false }, () => {
  for (const [transport, serverTransports] of [
    ["websocket", undefined],
    ["sse", "polling"],
  ]) {
    test(`away while another device reads, deletes, archives and creates (${transport}): caught up, no reload`, async (t) => {
      const s = await setup(t, serverTransports);
      const held = [];
      for (let i = 0; i < 4; i++) held.push(await s.server.publish(s.service, s.user, `before ${i}`));
      await s.start();
      await waitForState(s.page, (st, tr) => st.status === "connected" && st.transport === tr && st.ids.length === 4, transport);
      const loadsBefore = s.listLoads();

      // A goes away (its transport closes; the store stays).
      await s.page.evaluate(() => window.harness.client.disconnect());
      await waitForState(s.page, (st) => st.status === "disconnected");
      // Another device.
      await s.server.request("POST", `/notifications/${held[0].id}/read`, s.userToken);
      await s.server.request("DELETE", `/notifications/${held[1].id}`, s.userToken);
      await s.server.request("POST", `/notifications/${held[2].id}/archive`, s.userToken);
      const created = [
        await s.server.publish(s.service, s.user, "while away 0"),
        await s.server.publish(s.service, s.user, "while away 1"),
      ];
      const fresh = (await s.server.request("GET", "/notifications", s.userToken)).items;
      const counts = await s.server.request("GET", "/notifications/counts", s.userToken);
      assert.deepEqual(
        fresh.map((n) => n.id),
        [created[1].id, created[0].id, held[3].id, held[0].id],
        "the server's first page",
      );

      // A comes back.
      await s.page.evaluate(() => window.harness.client.connect());
      const state = await waitForState(
        s.page,
        (st, want) => st.status === "connected" && JSON.stringify(st.ids) === JSON.stringify(want),
        fresh.map((n) => n.id),
      );
      assert.deepEqual(state.reads, fresh.map((n) => n.isRead));
      assert.deepEqual(state.seens, fresh.map((n) => n.isSeen));
      assert.deepEqual(state.archived, [false, false, false, false]);
      const settled = await waitForState(
        s.page,
        (st, c) => st.unreadCount === c.unread && st.unseenCount === c.unseen,
        counts,
      );
      assert.deepEqual(settled.notificationEvents.slice(-2), ["while away 0", "while away 1"]);
      assert.equal(s.listLoads(), loadsBefore, "the list was not reloaded");
    });
  }

  test("a type filter: the list holds that type only, with the server's counts for it", async (t) => {
    const s = await setup(t);
    const publish = (title, type) => s.server.request("POST", "/notifications", s.service, { userId: s.user, title, type });
    await publish("paid", "payment.received");
    await publish("hello", "info");
    await s.page.evaluate((url) => window.harness.start({ url, filter: { type: "payment.*" } }), s.server.url);
    await waitForState(s.page, (st) => st.status === "connected" && st.titles.join() === "paid" && st.unreadCount === 1);
    // Delivered in order: once "declined" is in, "news" (another type) was seen and left out.
    await publish("news", "info");
    await publish("declined", "payment.card.declined");
    const state = await waitForState(s.page, (st) => st.titles[0] === "declined" && st.unreadCount === 2);
    assert.deepEqual(state.titles, ["declined", "paid"]);
    const counts = await s.server.request("GET", "/notifications/counts?type=payment.*", s.userToken);
    assert.deepEqual([state.unreadCount, state.unseenCount], [counts.unread, counts.unseen]);
  });

  test("feed actions: optimistic, confirmed by the server, unseen vs unread", async (t) => {
    const s = await setup(t);
    const one = await s.server.publish(s.service, s.user, "one");
    const two = await s.server.publish(s.service, s.user, "two");
    await s.start();
    // The counts come with the subscribe's answer, the list with the first page's: either may be first.
    let state = await waitForState(
      s.page,
      (st) => st.status === "connected" && st.ids.length === 2 && st.unreadCount === 2 && st.unseenCount === 2,
    );

    await s.page.evaluate(() => window.harness.client.markAllSeen());
    state = await waitForState(s.page, (st) => st.unseenCount === 0 && st.seens.every(Boolean));
    assert.equal(state.unreadCount, 2, "seen is not read");
    await s.page.evaluate((id) => window.harness.client.markRead(id), one.id);
    await s.page.evaluate((id) => window.harness.client.markUnread(id), one.id);
    await s.page.evaluate((id) => window.harness.client.archive(id), two.id);
    state = await waitForState(s.page, (st, id) => st.ids.length === 1 && st.ids[0] === id, one.id);
    assert.deepEqual([state.unreadCount, state.reads[0], state.seens[0]], [1, false, true]);
    const counts = await s.server.request("GET", "/notifications/counts", s.userToken);
    assert.deepEqual([counts.unread, counts.unseen], [1, 0]);
    const archived = await s.server.request("GET", "/notifications?archived=true", s.userToken);
    assert.deepEqual(archived.items.map((n) => n.id), [two.id]);
    await s.page.evaluate((id) => window.harness.client.unarchive(id), two.id);
    const refused = await s.page.evaluate(() => window.harness.act("archive", "no-such-id"));
    assert.equal(refused.code, "not_found");
    await waitForState(s.page, (st) => st.ids.length === 2 && st.unreadCount === 2);
  });
});
