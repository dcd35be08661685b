// The SSE framing of src/io.ts (the WebAssembly core gets each event's data): compiled from the
// TypeScript source here, since the package ships it bundled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");
const dir = mkdtempSync(join(tmpdir(), "notify-io-"));
// io.ts and the module it imports (user.ts, as `./user.js`).
for (const [from, to] of [
  ["io.ts", "io.mjs"],
  ["user.ts", "user.js"],
]) {
  const { outputText } = ts.transpileModule(readFileSync(join(src, from), "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(join(dir, to), outputText);
}
const { eventStream } = await import(pathToFileURL(join(dir, "io.mjs")).href);
rmSync(dir, { recursive: true, force: true });

test("events split anywhere, CRLF across chunks, comments and multi-line data", () => {
  const stream = ': ping\r\n\r\nid: 01\r\nevent: x\r\ndata: {"a":1}\r\n\r\ndata:first\ndata: second\n\ndata\n\n';
  for (let cut = 0; cut <= stream.length; cut++) {
    const events = eventStream();
    const got = [...events(stream.slice(0, cut)), ...events(stream.slice(cut))];
    assert.deepEqual(got, ['{"a":1}', "first\nsecond", ""], `cut at ${cut}`);
  }
});

test("a comment alone completes no event; an unterminated event waits", () => {
  const events = eventStream();
  assert.deepEqual(events(": ping\n\n"), []);
  assert.deepEqual(events("data: x\n"), []);
  assert.deepEqual(events("\n"), ["x"]);
  assert.deepEqual(events("data: y\r"), []);
  assert.deepEqual(events("\r"), ["y"]);
});
