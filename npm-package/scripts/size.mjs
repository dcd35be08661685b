// The size budget, measured as an app downloads it: `npm pack` the package, then follow the
// "." entry through every module it imports (and the `.wasm` it fetches via
// `new URL(…, import.meta.url)`), gzip -9 each file and add them up. Fails above the budget.
// Lazy chunks (`import("./…")`: the inlined-wasm fallback, downloaded only when the .wasm can't
// be loaded, as in Angular CLI apps without the asset config) are printed apart, not counted.
//
//   node scripts/size.mjs            (needs a built dist/: scripts/build-wasm.sh)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { minify } from "terser";

const BUDGET = 24 * 1024;
const AIM = 20 * 1024;
const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "notify-size-"));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

try {
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: pkg, encoding: "utf8" })
    .trim()
    .split("\n")
    .pop();
  execFileSync("tar", ["-xzf", join(work, tarball), "-C", work]);
  const root = join(work, "package");
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const entry = join(root, manifest.exports["."].default);

  // Every module reachable from the entry by static imports/re-exports, and the assets it fetches.
  const files = new Map();
  const lazy = new Set();
  const visit = (path) => {
    if (files.has(path)) return;
    const bytes = readFileSync(path);
    files.set(path, bytes);
    if (!path.endsWith(".js")) return;
    const code = bytes.toString("utf8");
    for (const m of code.matchAll(/(?:import|export)\s*(?:[\w*${}\s,]*?\s*from\s*)?["'](\.[^"']+)["']/g)) {
      visit(join(dirname(path), m[1]));
    }
    for (const m of code.matchAll(/new URL\(\s*["'](\.[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g)) {
      visit(join(dirname(path), m[1]));
    }
    for (const m of code.matchAll(/\bimport\(\s*["'](\.[^"']+)["']\s*\)/g)) lazy.add(join(dirname(path), m[1]));
  };
  visit(entry);

  const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;
  const rows = [...files].map(([path, bytes]) => [relative(root, path), bytes.length, gzip(bytes)]);
  const total = rows.reduce((n, [, , gz]) => n + gz, 0);
  const wasm = rows.filter(([name]) => name.endsWith(".wasm")).reduce((n, [, , gz]) => n + gz, 0);
  // The JS is one bundled module; the wasm-bindgen glue's share is the glue minified alone,
  // keeping what src/wasm.ts imports (its `initSync` and the core class; the fetching loader
  // behind the default export is left out of the bundle too).
  const glueSource = readFileSync(join(pkg, "src", "generated", "notify_client.js"), "utf8");
  const { code: glue } = await minify(glueSource.replace(/\bexport \{[^}]*\};?\s*$/, "export { initSync };"), {
    module: true,
    compress: { passes: 2 },
    format: { comments: false },
  });
  const groups = { wasm, glue: gzip(glue), api: total - wasm - gzip(glue) };

  console.log(`what an app downloads for "${manifest.name}" (from ${tarball}, gzip -9 per file)`);
  for (const [name, raw, gz] of rows.sort((a, b) => b[2] - a[2])) {
    console.log(`  ${name.padEnd(40)} ${kb(raw).padStart(9)} raw ${kb(gz).padStart(9)} gz`);
  }
  console.log(`  ${"wasm (the Rust core)".padEnd(40)} ${kb(groups.wasm).padStart(23)} gz`);
  console.log(`  ${"wasm-bindgen glue (≈, minified alone)".padEnd(40)} ${kb(groups.glue).padStart(23)} gz`);
  console.log(`  ${"typed API: client, I/O, options (≈)".padEnd(40)} ${kb(groups.api).padStart(23)} gz`);
  console.log(`  ${"TOTAL".padEnd(40)} ${kb(total).padStart(23)} gz (${total} bytes)`);
  console.log(
    `  budget ${kb(BUDGET)}: ${kb(BUDGET - total)} left (aim ${kb(AIM)}: ${kb(AIM - total)} left); ` +
      "for reference socket.io-client 4.8 is 14.4 KB gz",
  );
  for (const path of lazy) {
    const bytes = readFileSync(path);
    console.log(
      `  lazy, off the normal path: ${relative(root, path)} ${kb(bytes.length)} raw, ${kb(gzip(bytes))} gz ` +
        "(the inlined wasm, fetched only when the .wasm fails to load)",
    );
  }
  if (total > BUDGET) {
    console.error(`size: ${kb(total)} gz is over the ${kb(BUDGET)} budget`);
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
