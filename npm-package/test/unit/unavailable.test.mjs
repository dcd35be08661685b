// Where WebAssembly is missing (or blocked by a Content-Security-Policy), importing the package
// still works and the client ends in a clear `wasm_unavailable` state instead of throwing.
import { test } from "node:test";
import assert from "node:assert/strict";

delete globalThis.WebAssembly;
const { NotificationClient, NotificationError } = await import("../../dist/index.js");

test("without WebAssembly: wasm_unavailable naming 'wasm-unsafe-eval', no throw", async () => {
  const client = new NotificationClient({ url: "http://127.0.0.1:1", getToken: () => "t" });
  const statuses = [];
  const errors = [];
  client.on("status", (s) => statuses.push(s));
  client.on("error", (e) => errors.push(e));
  client.connect();
  const marking = client.markRead("0001");
  await assert.rejects(client.ready, (e) => e instanceof NotificationError && e.code === "wasm_unavailable");
  await assert.rejects(marking, { code: "wasm_unavailable" });
  const state = client.getSnapshot();
  assert.equal(state.status, "disconnected");
  assert.equal(state.lastError?.code, "wasm_unavailable");
  assert.match(state.lastError.message, /'wasm-unsafe-eval'/);
  assert.deepEqual(statuses, ["disconnected"]);
  assert.deepEqual(errors.map((e) => e.code), ["wasm_unavailable"]);
  client.destroy();
});
