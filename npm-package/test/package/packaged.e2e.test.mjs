// The packed tarball, installed into a fresh app (see scripts/test-client-package.sh): the Vite
// build, the webpack 5 build and a plain <script type="module"> page each connect to the real
// server in Chromium and show a published notification, loading the WebAssembly module without
// a synchronous compile (`WebAssembly.Module` is never called on the main thread).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { NotifyServer } from "../e2e/server.mjs";
import { serveStatic } from "../e2e/static.mjs";
import { countSyncCompiles, launchBrowser } from "../e2e/browser.mjs";

const appDir = process.env.FRESH_APP_DIR;
let site;
let browser;

before(async () => {
  assert.ok(appDir, "FRESH_APP_DIR must point at the installed fresh app");
  site = await serveStatic(appDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

for (const [name, path] of [
  ["fresh Vite app (vite build)", "/dist/index.html"],
  ["fresh webpack 5 app (webpack --mode production)", "/webpack.html"],
  ["plain HTML page importing the installed package", "/plain.html"],
]) {
  test(`${name}: connects and shows a published notification`, async (t) => {
    const server = await NotifyServer.start({ corsOrigin: site.origin });
    t.after(() => server.stop());
    const page = await browser.newPage();
    t.after(() => page.close());
    await countSyncCompiles(page);
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.exposeFunction("nextToken", () => server.token("fresh-user"));
    await page.goto(`${site.origin}${path}?server=${encodeURIComponent(server.url)}`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "connected", null, { timeout: 30_000 });
    const service = await server.token("publisher", { service: true });
    await server.publish(service, "fresh-user", `hello from ${name}`);
    await page.waitForFunction(() => document.getElementById("unread")?.textContent === "1", null, { timeout: 30_000 });
    assert.equal(await page.textContent("#list li"), `hello from ${name}`);
    assert.deepEqual(errors, []);
    assert.equal(await page.evaluate(() => window.syncCompiles), 0, "no synchronous WebAssembly compile");
  });
}
