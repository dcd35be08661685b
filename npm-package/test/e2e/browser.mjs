// Debian's Chromium driven by playwright-core (no browser download), with the flags that work
// as root on CI machines, and a page wired to the harness in page.html.
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { serveStatic } from "./static.mjs";

const EXECUTABLE = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

export async function launchBrowser() {
  // chromium.launch gives the browser a fresh temporary profile of its own.
  const browser = await chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  return {
    /** A page in a context of its own (own clock, network conditions and storage). */
    async newPage() {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.once("close", () => context.close().catch(() => {}));
      return page;
    },
    /** Pages of one context: tabs of one browser profile (shared storage, Web Locks, BroadcastChannel). */
    async newContext() {
      const context = await browser.newContext();
      return {
        newPage: () => context.newPage(),
        /** Playwright's `routeWebSocket` for every tab of the context. */
        routeWebSocket: (url, handler) => context.routeWebSocket(url, handler),
        close: () => context.close().catch(() => {}),
      };
    },
    close: () => browser.close(),
  };
}

/**
 * Before any script of the page runs, wraps `WebAssembly.Module` (the synchronous compile) so
 * `window.syncCompiles` counts its calls on the main thread.
 */
export async function countSyncCompiles(page) {
  await page.addInitScript(() => {
    window.syncCompiles = 0;
    if (typeof WebAssembly !== "object") return;
    const Real = WebAssembly.Module;
    WebAssembly.Module = new Proxy(Real, {
      construct(target, args) {
        window.syncCompiles++;
        return Reflect.construct(target, args);
      },
    });
  });
}

/**
 * Opens the harness page. `tokens` is called for every `getToken()` of the client; the page
 * records every call in `calls`. `beforeLoad(page)` runs before the page loads (say, to route
 * requests).
 */
export async function openHarness(
  browser,
  origin,
  tokens,
  { fakeClock = false, path = "/test/e2e/page.html", beforeLoad = async () => {} } = {},
) {
  const page = await browser.newPage();
  await countSyncCompiles(page);
  await beforeLoad(page);
  // Playwright's fake clock must be installed before the page loads; the test pauses it later.
  if (fakeClock) await page.clock.install();
  const calls = [];
  const consoleLines = [];
  const urls = [];
  page.on("request", (r) => urls.push(r.url()));
  page.on("websocket", (ws) => urls.push(ws.url()));
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.exposeFunction("nextToken", async () => {
    calls.push(Date.now());
    return tokens(calls.length);
  });
  await page.goto(`${origin}${path}`);
  await page.waitForFunction(() => window.harnessReady === true);
  return { page, calls, consoleLines, urls };
}

/** Waits (generously) until `predicate(state)` holds in the page; returns the state. */
export async function waitForState(page, predicate, arg, timeout = 30_000) {
  try {
    const handle = await page.waitForFunction(
      ([source, a]) => {
        const state = window.harness.state();
        // eslint-disable-next-line no-new-func
        return new Function("state", "arg", `return (${source})(state, arg)`)(state, a) ? state : null;
      },
      [predicate.toString(), arg],
      { timeout, polling: 50 },
    );
    return await handle.jsonValue();
  } catch (error) {
    const state = await page.evaluate(() => window.harness.state()).catch(() => "unavailable");
    throw new Error(`waited for ${predicate} (arg ${JSON.stringify(arg)}); state: ${JSON.stringify(state)}`, {
      cause: error,
    });
  }
}

/**
 * For the tests of one file: the package served from its own origin (`site`) and one browser,
 * started before the tests and closed after them.
 */
export function siteAndBrowser(root) {
  const env = { site: null, browser: null };
  before(async () => {
    env.site = await serveStatic(root);
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.site?.close();
  });
  return env;
}
