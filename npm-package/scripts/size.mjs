// Prints the size budget: the core (wasm + JS glue) gzipped, as built by scripts/build-wasm.sh,
// and what an app actually downloads (the whole package's JS, with the wasm inlined).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const wasm = readFileSync(join(pkg, "build", "wasm", "notify_client_bg.wasm"));
const glue = readFileSync(join(pkg, "dist", "generated", "notify_client.js"));
const rows = [
  ["core wasm (notify_client_bg.wasm)", wasm],
  ["core JS glue (wasm-bindgen)", glue],
];
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
// The "." entry only (dist/*.js and dist/generated/*.js), not the framework adapters.
const shipped = walk(join(pkg, "dist")).filter(
  (p) => p.endsWith(".js") && /[/\\]dist[/\\](generated[/\\])?[^/\\]+$/.test(p),
);
const shippedBytes = shipped.reduce((n, p) => n + statSync(p).size, 0);
const shippedGz = shipped.reduce((n, p) => n + gz(readFileSync(p)), 0);

console.log("size budget (gzip -9)");
for (const [name, buf] of rows) {
  console.log(`  ${name.padEnd(44)} ${kb(buf.length).padStart(9)} raw  ${kb(gz(buf)).padStart(8)} gz`);
}
const coreGz = gz(wasm) + gz(glue);
console.log(`  ${"CORE TOTAL (wasm + JS glue)".padEnd(44)} ${kb(wasm.length + glue.length).padStart(9)} raw  ${kb(coreGz).padStart(8)} gz`);
console.log(`  ${"entry '.' as shipped (wasm inlined, base64)".padEnd(44)} ${kb(shippedBytes).padStart(9)} raw  ${kb(shippedGz).padStart(8)} gz`);
console.log("  for reference: socket.io-client 14.4 KB gz, centrifuge-js ~22.6 KB gz; budget 25 KB gz");
