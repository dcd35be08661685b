// End-to-end tests of the three example apps (built dist folders) in Debian's Chromium against
// the real notify-server. One browser for the run; each test gets its own server and context.
// Which apps: EXAMPLES (comma-separated; default react,vue,angular).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { launchBrowser } from "./lib/browser.mjs";
import { NotifyServer } from "./lib/server.mjs";
import { serveStatic } from "./lib/static.mjs";
import { badgeIs, itemCount, items, openApp, statusIs, text, transportOf, until } from "./lib/app.mjs";

const DIST = { react: "react/dist", vue: "vue/dist", angular: "angular/dist/browser" };
const apps = (process.env.EXAMPLES ?? "react,vue,angular").split(",").filter(Boolean);

let browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

let users = 0;
const newUser = (app) => `${app}-user-${++users}-${Date.now()}`;

/** A fresh server (stopped afterwards) and browser context for one test. */
async function withServer(extraArgs, body) {
  const server = await NotifyServer.start(extraArgs);
  const context = await browser.newContext();
  try {
    await body(server, context);
  } catch (e) {
    for (const [i, page] of context.pages().entries()) {
      const shown = await items(page).catch(() => []);
      e.message += `\n--- tab ${i + 1}: items ${JSON.stringify(shown.map((n) => [n.id, n.read]))}`;
      e.message += `\n${(page.wire ?? []).join("\n")}`;
    }
    e.message += `\n--- server log ---\n${server.logs.slice(-4000)}`;
    throw e;
  } finally {
    await context.close();
    await server.stop();
  }
}

for (const app of apps) {
  describe(`examples/${app}`, () => {
    let site;
    before(async () => {
      const dir = resolve(import.meta.dirname, "..", DIST[app]);
      assert.ok(existsSync(dir), `${dir} is missing: build the example first`);
      site = await serveStatic(dir);
    });
    after(() => site?.close());

    it("signs in with the dev login box, then shows a published notification with a toast and a higher badge", () =>
      withServer([], async (server, context) => {
        const page = await openApp(context, site.origin, { server: server.url });
        const user = newUser(app);
        await page.fill('input[name="userId"]', user);
        await page.click('button[type="submit"]');
        await statusIs(page, "connected");
        assert.equal(await text(page, "unread-count"), "0");

        const first = await server.publish(user, "Payment received");
        await badgeIs(page, 1);
        await until("a toast with the title", async () => (await text(page, "toast"))?.includes("Payment received"));
        assert.deepEqual((await items(page)).map((i) => [i.id, i.read]), [[first.id, "false"]]);

        const second = await server.publish(user, "Refund issued");
        await badgeIs(page, 2);
        await until("the second toast", async () => (await text(page, "toast"))?.includes("Refund issued"));
        assert.deepEqual((await items(page)).map((i) => i.id), [second.id, first.id], "newest first");
        assert.deepEqual(page.errors, []);
      }));

    it("mark-read and mark-all-read update the badge and the server", () =>
      withServer([], async (server, context) => {
        const user = newUser(app);
        const token = server.mint(user);
        const published = [];
        for (const t of ["one", "two", "three"]) published.push(await server.publish(user, t));
        const page = await openApp(context, site.origin, { server: server.url, token });
        await itemCount(page, 3);
        await badgeIs(page, 3);

        const target = published[1].id;
        await page.click(`[data-testid="notification-item"][data-id="${target}"] [data-testid="mark-read"]`);
        await badgeIs(page, 2);
        await until("the item marked read", async () => (await items(page)).find((i) => i.id === target)?.read === "true");
        await until("the server's count at 2", async () => (await server.unreadCount(token)) === 2);
        assert.ok((await server.list(token)).find((n) => n.id === target).isRead);

        await page.click('[data-testid="mark-all-read"]');
        await badgeIs(page, 0);
        await until("every item read", async () => (await items(page)).every((i) => i.read === "true"));
        await until("the server's count at 0", async () => (await server.unreadCount(token)) === 0);
      }));

    it("keeps two tabs of the same user in agreement", () =>
      withServer([], async (server, context) => {
        const user = newUser(app);
        const token = server.mint(user);
        const a = await openApp(context, site.origin, { server: server.url, token });
        const b = await openApp(context, site.origin, { server: server.url, token });
        await statusIs(a, "connected");
        await statusIs(b, "connected");

        const n1 = await server.publish(user, "to both");
        await server.publish(user, "also to both");
        await badgeIs(a, 2);
        await badgeIs(b, 2);

        await a.click(`[data-testid="notification-item"][data-id="${n1.id}"] [data-testid="mark-read"]`);
        await badgeIs(b, 1);
        await until("tab B shows it read", async () => (await items(b)).find((i) => i.id === n1.id)?.read === "true");

        await b.click('[data-testid="mark-all-read"]');
        await badgeIs(a, 0);
        await until("tab A shows all read", async () => (await items(a)).every((i) => i.read === "true"));
        assert.deepEqual((await items(a)).map((i) => i.id), (await items(b)).map((i) => i.id));
      }));

    it("reconnects after a server crash without losing or duplicating what was published meanwhile", () =>
      withServer([], async (server, context) => {
        const user = newUser(app);
        const token = server.mint(user);
        const page = await openApp(context, site.origin, { server: server.url, token });
        await statusIs(page, "connected");
        await server.publish(user, "before the crash");
        await badgeIs(page, 1);

        await server.crash();
        await statusIs(page, "reconnecting");
        // Offline while the server comes back, so these are surely published before the app
        // reconnects; going online again reconnects at once.
        await context.setOffline(true);
        await server.restart();
        for (const t of ["while away 1", "while away 2", "while away 3"]) await server.publish(user, t);
        assert.equal(await text(page, "connection-status"), "reconnecting");
        assert.equal(await text(page, "unread-count"), "1");
        await context.setOffline(false);

        await statusIs(page, "connected");
        await badgeIs(page, 4);
        await itemCount(page, 4);
        const shown = (await items(page)).map((i) => i.id);
        assert.equal(new Set(shown).size, 4, "no duplicates");
        assert.deepEqual(shown, (await server.list(token)).map((n) => n.id), "same as the server, newest first");
      }));

    it("falls back to SSE when WebSocket is blocked on the way to the server", () =>
      withServer([], async (server, context) => {
        // Every WebSocket the page opens is answered by this handler and closed at once, as a
        // proxy that drops upgrades would; HTTP (SSE, REST) goes through.
        let blocked = 0;
        await context.routeWebSocket(/./, (ws) => {
          blocked++;
          ws.close();
        });
        const user = newUser(app);
        const token = server.mint(user);
        const page = await openApp(context, site.origin, { server: server.url, token });
        await statusIs(page, "connected");
        assert.equal(await transportOf(page), "sse");
        assert.ok(blocked > 0, "the app tried WebSocket first");

        await server.publish(user, "through the proxy");
        await badgeIs(page, 1);
        await until("a toast", async () => (await text(page, "toast"))?.includes("through the proxy"));
      }));

    it("runs on SSE when the server refuses WebSocket", () =>
      withServer(["--transports", "polling"], async (server, context) => {
        const user = newUser(app);
        const token = server.mint(user);
        const page = await openApp(context, site.origin, { server: server.url, token });
        await statusIs(page, "connected");
        assert.equal(await transportOf(page), "sse");

        const n = await server.publish(user, "over SSE");
        await badgeIs(page, 1);
        await page.click(`[data-testid="notification-item"][data-id="${n.id}"] [data-testid="mark-read"]`);
        await badgeIs(page, 0);
        await until("the server's count at 0", async () => (await server.unreadCount(token)) === 0);
      }));
  });
}
