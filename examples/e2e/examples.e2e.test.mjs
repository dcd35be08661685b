// End-to-end tests of the three example apps (built dist folders) in Debian's Chromium against
// the real notify-server. One browser for the run; each test gets its own server and context.
// Every page counts its WebAssembly compiles (lib/app.mjs): none may be synchronous.
// Which apps: EXAMPLES (comma-separated; default react,vue,angular).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { launchBrowser } from "./lib/browser.mjs";
import { NotifyServer } from "./lib/server.mjs";
import { serveStatic } from "./lib/static.mjs";
import { badgeIs, itemCount, items, openApp, openList, statusIs, text, toastsShown, transportOf, until, wasmCompiles } from "./lib/app.mjs";
import { vitePreview } from "./lib/preview.mjs";

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
    for (const page of context.pages()) {
      assert.equal((await wasmCompiles(page)).sync, 0, "no synchronous WebAssembly compile (new WebAssembly.Module)");
    }
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
        await openList(page);
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

    it("the bell's badge counts unseen notifications; opening the list marks them seen; archive removes one", () =>
      withServer([], async (server, context) => {
        const user = newUser(app);
        const token = server.mint(user);
        const page = await openApp(context, site.origin, { server: server.url, token });
        await statusIs(page, "connected");
        const first = await server.publish(user, "one");
        await server.publish(user, "two");
        const unseenIs = (n) => until(`unseen badge = ${n}`, async () => (await text(page, "unseen-count")) === String(n));
        await unseenIs(2);
        await badgeIs(page, 2);

        await openList(page);
        await unseenIs(0);
        assert.equal(await text(page, "unread-count"), "2", "seen is not read");
        assert.deepEqual((await items(page)).map((i) => i.read), ["false", "false"], "unread items keep their style");
        await until("the server's unseen count at 0", async () => (await server.counts(token)).unseen === 0);

        await page.click(`[data-testid="notification-item"][data-id="${first.id}"] [data-testid="archive"]`);
        await itemCount(page, 1);
        await badgeIs(page, 1);
        await until("the server's unread count at 1", async () => (await server.unreadCount(token)) === 1);
        assert.deepEqual((await server.list(token)).map((n) => n.title), ["two"]);
      }));

    it("keeps two tabs of the same user in agreement", () =>
      withServer([], async (server, context) => {
        const user = newUser(app);
        const token = server.mint(user);
        const a = await openApp(context, site.origin, { server: server.url, token });
        const b = await openApp(context, site.origin, { server: server.url, token });
        await statusIs(a, "connected");
        await statusIs(b, "connected");

        // The tabs share one connection; each notification is toasted in one tab only.
        const toasted = async (title) =>
          [...(await toastsShown(a)), ...(await toastsShown(b))].filter((shown) => shown.includes(title)).length;
        const n1 = await server.publish(user, "first for both");
        await badgeIs(a, 1);
        await badgeIs(b, 1);
        await until("a toast in one of the tabs", async () => (await toasted("first for both")) > 0);
        await server.publish(user, "second for both");
        await badgeIs(a, 2);
        await badgeIs(b, 2);
        await until("the second toast", async () => (await toasted("second for both")) > 0);
        assert.equal(await toasted("first for both"), 1, "the first notification was toasted once");
        assert.equal(await toasted("second for both"), 1, "the second notification was toasted once");

        await openList(a);
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
        await openList(page);
        await page.click(`[data-testid="notification-item"][data-id="${n.id}"] [data-testid="mark-read"]`);
        await badgeIs(page, 0);
        await until("the server's count at 0", async () => (await server.unreadCount(token)) === 0);
      }));

    it("loads its WebAssembly asynchronously, never with a synchronous compile on the main thread", () =>
      withServer([], async (server, context) => {
        const user = newUser(app);
        const page = await openApp(context, site.origin, { server: server.url, token: server.mint(user) });
        await statusIs(page, "connected");
        const compiles = await wasmCompiles(page);
        assert.ok(compiles.async >= 1, `the module was loaded through WebAssembly's async API (${JSON.stringify(compiles)})`);
        assert.equal(compiles.sync, 0);
        // Vite emits the .wasm, so the inlined fallback chunk is never fetched; the Angular CLI
        // doesn't, so its app loads that lazy chunk (asynchronously too, as counted above).
        const resources = await page.evaluate(() => performance.getEntriesByType("resource").map((r) => r.name));
        if (app !== "angular") {
          assert.ok(resources.some((name) => name.endsWith(".wasm")), resources.join("\n"));
          assert.ok(!resources.some((name) => name.includes("notify_client_inline")), resources.join("\n"));
        }
      }));

    it("works with a relative url behind a same-origin reverse proxy", () =>
      withServer([], async (server, context) => {
        const proxied = await serveStatic(resolve(import.meta.dirname, "..", DIST[app]), { proxyTo: server.url });
        try {
          await checkRelativeUrl(server, context, proxied.origin, app);
        } finally {
          await proxied.close();
        }
      }));

    if (app === "react" || app === "vue") {
      it("works with a relative url behind its own dev-server proxy (vite preview)", () =>
        withServer([], async (server, context) => {
          const preview = await vitePreview(resolve(import.meta.dirname, "..", app), server.url);
          try {
            await checkRelativeUrl(server, context, preview.origin, app);
          } finally {
            await preview.stop();
          }
        }));
    }

    if (app === "react") {
      it("switching user shows none of the previous user's notifications, from the first render on", () =>
        withServer([], async (server, context) => {
          const a = newUser(app);
          const b = newUser(app);
          const aIds = [(await server.publish(a, "for A 1")).id, (await server.publish(a, "for A 2")).id];
          const bId = (await server.publish(b, "for B")).id;
          const page = await openApp(context, site.origin, { server: server.url, token: server.mint(a) });
          await itemCount(page, 2);
          // From now on, every DOM state in which the header names user B records the ids shown.
          await page.evaluate((userB) => {
            window.__shownAsB = [];
            const record = () => {
              if (document.querySelector('[data-testid="signed-in-user"]')?.textContent !== userB) return;
              const ids = [...document.querySelectorAll('[data-testid="notification-item"]')].map((e) => e.dataset.id);
              window.__shownAsB.push(ids);
            };
            new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
          }, b);
          await page.fill('input[name="switchUserId"]', b);
          await page.click('[data-testid="switch-user"]');
          await until("B's notification alone", async () => JSON.stringify((await items(page)).map((i) => i.id)) === JSON.stringify([bId]));
          await badgeIs(page, 1);
          const shownAsB = await page.evaluate(() => window.__shownAsB);
          assert.ok(shownAsB.length > 0, "the page rendered as user B");
          assert.deepEqual(shownAsB.flat().filter((id) => aIds.includes(id)), [], "none of A's notifications shown as B");
          assert.deepEqual(page.errors, []);
        }));
    }
  });
}

/** The app at `origin` with no `server` parameter (so url "/"): sign in, receive, mark read. */
async function checkRelativeUrl(server, context, origin, app) {
  const user = newUser(app);
  const page = await openApp(context, origin, {});
  await page.fill('input[name="userId"]', user);
  await page.click('button[type="submit"]');
  await statusIs(page, "connected");
  assert.equal(await transportOf(page), "websocket");
  const n = await server.publish(user, "via the proxy");
  await badgeIs(page, 1);
  await openList(page);
        await page.click(`[data-testid="notification-item"][data-id="${n.id}"] [data-testid="mark-read"]`);
  await badgeIs(page, 0);
  await until("the server's count at 0", async () => (await server.unreadCount(server.mint(user))) === 0);
  const hosts = new Set(page.wire.filter((l) => /^(http|ws open) /.test(l)).map((l) => new URL(l.split(" ").pop()).host));
  assert.deepEqual([...hosts], [new URL(origin).host], "everything went to the app's own origin");
  assert.deepEqual(page.errors, []);
}
