// The packed tarball in a Next.js (App Router) app, built with `next build` (which prerenders
// /prerendered) and served by `next start` (see scripts/test-client-package.sh): the page is
// rendered on the server, which imports @ghostpay/notifications/react, then hydrates in
// Chromium, connects to the real server and shows a published notification, loading the
// WebAssembly module without a synchronous compile (`WebAssembly.Module` is never called on the
// main thread) from the .wasm Next.js emitted.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { NotifyServer } from "../e2e/server.mjs";
import { countSyncCompiles, launchBrowser } from "../e2e/browser.mjs";

const appDir = process.env.NEXT_APP_DIR;
let next;
let browser;

/** A free loopback port (`next start` has no `-p 0`): bound, read and released. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `next start` on a free port, in a process group of its own; resolves once it answers HTTP. */
async function startNext() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(join(appDir, "node_modules", ".bin", "next"), ["start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: appDir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
  });
  const log = [];
  child.stdout.setEncoding("utf8").on("data", (c) => log.push(c));
  child.stderr.setEncoding("utf8").on("data", (c) => log.push(c));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid, "SIGTERM");
    await exited;
  };
  for (;;) {
    const outcome = await Promise.race([
      exited.then((code) => ({ code })),
      fetch(`${origin}/favicon-probe`).then(() => ({ up: true }), () => new Promise((r) => setTimeout(() => r({}), 200))),
    ]);
    if (outcome.up) return { origin, log, stop };
    if ("code" in outcome) throw new Error(`next start exited (${outcome.code}):\n${log.join("")}`);
  }
}

before(async () => {
  assert.ok(appDir, "NEXT_APP_DIR must point at the built Next.js app");
  next = await startNext();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await next?.stop();
});

test("Next.js app: the page next build prerendered shows the provider's server-side state", async () => {
  const response = await fetch(`${next.origin}/prerendered`);
  assert.equal(response.status, 200);
  assert.match(await response.text(), /<b id="status">idle<\/b>/);
});

test("Next.js app (next build, next start): renders on the server, connects and shows a published notification", async (t) => {
  const server = await NotifyServer.start({ corsOrigin: next.origin });
  t.after(() => server.stop());
  const url = `${next.origin}/?server=${encodeURIComponent(server.url)}`;

  // Server rendering: the page's HTML comes with the provider's pre-client state.
  const html = await (await fetch(url)).text();
  assert.match(html, /<b id="status">idle<\/b>/);

  const page = await browser.newPage();
  t.after(() => page.close());
  await countSyncCompiles(page);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(`${m.text()} ${m.location().url}`));
  const wasmResponses = [];
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    if (new URL(r.url()).pathname.endsWith(".wasm")) wasmResponses.push(`${r.status()} ${r.headers()["content-type"]}`);
  });
  await page.exposeFunction("nextToken", () => server.token("next-user"));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "connected", null, { timeout: 30_000 });
  const service = await server.token("publisher", { service: true });
  await server.publish(service, "next-user", "hello from Next.js");
  await page.waitForFunction(() => document.getElementById("unread")?.textContent === "1", null, { timeout: 30_000 });
  assert.equal(await page.textContent("#list li"), "hello from Next.js");
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => window.syncCompiles), 0, "no synchronous WebAssembly compile");
  // The .wasm Next.js emitted was fetched (streaming compile), not the inlined fallback.
  assert.deepEqual(wasmResponses, ["200 application/wasm"]);
  assert.doesNotMatch(next.log.join(""), /error|warn/i, "next start logged no error or warning");
});
