// Package build, run by scripts/build-wasm.sh after wasm-bindgen and wasm-opt:
//   1. copies the wasm-bindgen JS glue (and its types) into src/generated, with its default
//      `new URL("…_bg.wasm", import.meta.url)` removed: src/wasm.ts holds the one such URL the
//      bundlers see, so the asset is emitted once;
//   2. copies the .wasm next to it (a separate asset, compiled by streaming in the browser);
//   3. copies the wire types generated from the Rust contract (bindings/typescript/index.d.ts);
//   4. compiles the TypeScript (tsc) into dist/ and copies src/generated next to it;
//   5. minifies the JavaScript of the "." entry (dist/*.js, dist/generated/*.js) with terser:
//      what an app downloads is counted from the packed tarball (scripts/size.mjs), and the
//      comments live on in the .d.ts files. Module boundaries stay as they are.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { minify } from "terser";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const wasmOut = join(pkg, "build", "wasm");
const generated = join(pkg, "src", "generated");
const dist = join(pkg, "dist");

rmSync(generated, { recursive: true, force: true });
mkdirSync(generated, { recursive: true });

const glue = readFileSync(join(wasmOut, "notify_client.js"), "utf8");
const defaultFetch = "new URL('notify_client_bg.wasm', import.meta.url)";
if (!glue.includes(defaultFetch)) {
  throw new Error(`wasm-bindgen glue changed: "${defaultFetch}" not found`);
}
writeFileSync(
  join(generated, "notify_client.js"),
  glue.replace(defaultFetch, "undefined /* src/wasm.ts passes the module */"),
);
cpSync(join(wasmOut, "notify_client.d.ts"), join(generated, "notify_client.d.ts"));

cpSync(join(wasmOut, "notify_client_bg.wasm"), join(generated, "notify_client_bg.wasm"));

cpSync(join(pkg, "..", "bindings", "typescript", "index.d.ts"), join(generated, "wire.d.ts"));

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(pkg, "node_modules", "typescript", "bin", "tsc"), "-p", join(pkg, "tsconfig.json")], {
  stdio: "inherit",
});
cpSync(generated, join(dist, "generated"), { recursive: true });

for (const dir of [dist, join(dist, "generated")]) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".js"))) {
    const path = join(dir, name);
    const { code } = await minify(readFileSync(path, "utf8"), {
      module: true,
      ecma: 2022,
      compress: { passes: 2 },
      keep_classnames: true,
      format: { comments: false },
    });
    writeFileSync(path, code);
  }
}
console.log(`built ${dist}`);
