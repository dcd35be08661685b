// Node's own fetch against the server's limits: a body over the limit is answered 413 and the
// answer is readable (the server reads and discards the rest of the body before closing,
// instead of resetting a client that is still sending), several times on one server.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.js";

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0);
});

/** 640 KiB in 16 KiB chunks, pausing once past the 64 KiB limit as a slow upload would. */
function slowBody() {
  const chunk = new Uint8Array(16 * 1024).fill(32);
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent === 8) await new Promise((resolve) => setTimeout(resolve, 200));
      if (sent++ === 40) return controller.close();
      controller.enqueue(chunk);
    },
  });
}

test("fetch with a body over the limit reads the 413 in the JSON error shape", async () => {
  const service = server.token("billing", { service: true });
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${server.url}/notifications`, {
      method: "POST",
      headers: { Authorization: `Bearer ${service}`, "Content-Type": "application/json" },
      body: slowBody(),
      duplex: "half",
    });
    assert.equal(response.status, 413);
    const error = await response.json();
    assert.equal(error.error.code, "payload_too_large");
  }
});
