// Reads and drives an example app through its stable test ids (the same in all three apps).
// Waits never assert on time: they only give up after a generous guard, naming what was awaited.

export const GUARD_MS = 30_000;

/**
 * Runs in the page before the app: counts synchronous compiles (`new WebAssembly.Module`, which
 * blocks the main thread) and the asynchronous ways of loading a module, so a test can tell
 * the app loaded its wasm and never compiled it synchronously.
 */
function countWasmCompiles() {
  const counts = { sync: 0, async: 0 };
  Object.defineProperty(window, "__wasmCompiles", { value: counts });
  WebAssembly.Module = new Proxy(WebAssembly.Module, {
    construct(target, args, newTarget) {
      counts.sync++;
      return Reflect.construct(target, args, newTarget);
    },
  });
  for (const name of ["compile", "compileStreaming", "instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    if (typeof original !== "function") continue;
    WebAssembly[name] = function (...args) {
      counts.async++;
      return original.apply(this, args);
    };
  }
}

/** Opens the app (with `query` in its address) in a new tab of `context`. */
/** Init script: records the text of every toast the page shows (`window.__toasts`), however briefly. */
function recordToasts() {
  window.__toasts = [];
  new MutationObserver(() => {
    for (const toast of document.querySelectorAll('[data-testid="toast"]')) {
      const shown = toast.textContent.trim();
      if (toast.__recorded !== shown) window.__toasts.push((toast.__recorded = shown));
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

export async function openApp(context, origin, query) {
  const page = await context.newPage();
  await page.addInitScript(countWasmCompiles);
  await page.addInitScript(recordToasts);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Socket.IO frames and REST calls, shown when a test fails.
  const wire = [];
  page.on("websocket", (ws) => {
    wire.push(`ws open ${ws.url().replace(/\?.*/, "")}`);
    ws.on("framesent", (f) => wire.push(`> ${String(f.payload).slice(0, 160)}`));
    ws.on("framereceived", (f) => wire.push(`< ${String(f.payload).slice(0, 160)}`));
    ws.on("close", () => wire.push("ws closed"));
  });
  page.on("requestfinished", (r) => wire.push(`http ${r.method()} ${r.url().replace(/\?.*/, "")}`));
  page.on("requestfailed", (r) => wire.push(`http FAILED ${r.method()} ${r.url().replace(/\?.*/, "")}`));
  await page.goto(`${origin}/?${new URLSearchParams(query)}`);
  return Object.assign(page, { errors, wire });
}

/** `{ sync, async }`: how the page has compiled WebAssembly so far. */
export const wasmCompiles = (page) => page.evaluate(() => ({ ...window.__wasmCompiles }));

/** The texts of the toasts the page has shown so far. */
export const toastsShown = (page) => page.evaluate(() => window.__toasts);

/** Text of the (first) element with this data-testid, or null. */
export function text(page, testid) {
  return page.evaluate((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? null, testid);
}

/** Opens the list with the bell, when it is closed (which marks every notification seen). */
export async function openList(page) {
  const closed = await page.$('[data-testid="bell"][aria-expanded="false"]');
  if (!closed) return;
  await closed.click();
  // The app renders the open list after the click's task (zoneless Angular schedules it).
  await page.waitForSelector('[data-testid="bell"][aria-expanded="true"]');
}

/** The rendered list (opened first): [{ id, read, text }], top to bottom. */
export async function items(page) {
  await openList(page);
  return page.$$eval('[data-testid="notification-item"]', (els) =>
    els.map((e) => ({ id: e.getAttribute("data-id"), read: e.getAttribute("data-read"), text: e.textContent })),
  );
}

/** Thrown by a check that knows waiting longer can't help. */
class Final extends Error {}

/** Resolves once `check()` returns something truthy (polled); fails after the guard with `what`. */
export async function until(what, check) {
  const deadline = Date.now() + GUARD_MS;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      if (e instanceof Final) throw new Error(`waiting for ${what}: ${e.message}`);
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const badgeIs = (page, n) => until(`unread badge = ${n}`, async () => (await text(page, "unread-count")) === String(n));

/** Waits for a status; "disconnected" is final (until the app connects again), so it fails at once. */
export const statusIs = (page, status) =>
  until(`connection status "${status}"`, async () => {
    const shown = await text(page, "connection-status");
    if (shown === "disconnected" && status !== shown) {
      throw new Final(`the app stopped ("disconnected"): ${await text(page, "last-error")}`);
    }
    return shown === status;
  });

export const transportOf = (page) =>
  page.getAttribute('[data-testid="connection-status"]', "data-transport");

export const itemCount = (page, n) => until(`${n} notification items`, async () => (await items(page)).length === n);
