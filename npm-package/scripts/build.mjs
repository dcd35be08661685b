// Package build, run by scripts/build-wasm.sh after wasm-bindgen and wasm-opt:
//   1. copies the wasm-bindgen JS glue (and its types) into src/generated, with its default
//      `new URL("…_bg.wasm", import.meta.url)` removed: src/wasm.ts holds the one such URL the
//      bundlers see, so the asset is emitted once;
//   2. copies the .wasm next to it (a separate asset, compiled by streaming in the browser), and
//      writes notify_client_inline.js: the same module as base64, the fallback src/wasm.ts imports
//      lazily when the .wasm can't be loaded (the Angular CLI doesn't emit it);
//   3. copies the wire types generated from the Rust contract (bindings/typescript/index.d.ts);
//   4. compiles the TypeScript (tsc) into dist/ and copies src/generated next to it;
//   5. bundles the "." entry into one module plus the lazy inlined-wasm chunk (rolldown) and
//      minifies them (rolldown's minifier, then terser): what an app downloads is counted from
//      the packed tarball (scripts/size.mjs; the lazy chunk apart, off the normal path); the
//      comments live on in the .d.ts files. dist/client.js, which the framework adapters import,
//      re-exports from dist/index.js, so every entry shares one module instance (one loaded wasm
//      per page).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";
import { minify } from "terser";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const wasmOut = join(pkg, "build", "wasm");
const generated = join(pkg, "src", "generated");
const dist = join(pkg, "dist");

/**
 * Applies wasm-opt's `--minify-imports-and-exports-and-modules` map (build/wasm/abi-map.json,
 * written by scripts/build-wasm.sh) to the glue: the import object's keys and module name, and
 * every `wasm.<export>` (the module is then named "a"). Fails when an import is not found or an
 * export is left unrenamed, so a glue change can't slip through.
 */
function renameAbi(code) {
  const map = JSON.parse(readFileSync(join(wasmOut, "abi-map.json"), "utf8"));
  const replaceOnce = (pattern, by, what) => {
    if (!pattern.test(code)) throw new Error(`wasm-bindgen glue changed: ${what} not found`);
    code = code.replace(pattern, by);
  };
  const modules = new Set(map.imports.map(([module]) => module));
  if (modules.size !== 1) throw new Error(`expected one import module, got ${[...modules]}`);
  for (const [, name, short] of map.imports) replaceOnce(new RegExp(`\\b${name}(?=\\s*:)`, "g"), short, `import ${name}`);
  replaceOnce(new RegExp(`"${[...modules][0].replace(/[./]/g, "\\$&")}"(?=\\s*:)`, "g"), '"a"', "the import module");
  // Exports the glue doesn't use (say `__abort_handler`) have nothing to rename.
  for (const [name, short] of map.exports) code = code.replace(new RegExp(`\\bwasm\\.${name}\\b`, "g"), `wasm.${short}`);
  if (/\bwasm\.(notificationcore_|__wbindgen_)/.test(code)) throw new Error("wasm-bindgen glue: an export was not renamed");
  return code;
}

/** Applies each `[pattern, replacement]` to the glue; fails when a pattern is not found. */
function replaceEach(code, parts) {
  for (const [pattern, by] of parts) {
    if (!pattern.test(code)) throw new Error(`wasm-bindgen glue changed: ${pattern} not found`);
    code = code.replace(pattern, by);
  }
  return code;
}

/**
 * `initSync` as src/wasm.ts calls it, once, with `{ module }` and a compiled
 * `WebAssembly.Module`: the check for the deprecated positional argument (and its console
 * warning) and the compiling of bytes go, and so does the import object's `__proto__: null`
 * (the module's import names are one or two letters: none is inherited). The bytes count (see
 * scripts/size.mjs).
 */
function trimInitSync(code) {
  return replaceEach(code, [
    [
      /if \(module !== undefined\) \{\s*if \(Object\.getPrototypeOf\(module\) === Object\.prototype\) \{\s*\(\{module\} = module\)\s*\} else \{\s*console\.warn\('[^']*'\)\s*\}\s*\}/,
      "({ module } = module);",
    ],
    [/if \(!\(module instanceof WebAssembly\.Module\)\) \{\s*module = new WebAssembly\.Module\(module\);\s*\}/, ""],
    [/__proto__: null,/g, ""],
  ]);
}

/**
 * Strings the glue copies into the module (`passStringToWasm0`) are encoded whole with
 * `TextEncoder.encode` (its first branch, taken when no `realloc` is passed) instead of an ASCII
 * loop, then `encodeInto` a buffer grown and shrunk with `realloc`: the same bytes, and the
 * minifier drops the unused branch. The cost is one copy of each string (a token, a message, a
 * page of JSON).
 */
function encodeStringsWhole(code) {
  if (!code.includes("passStringToWasm0(")) return code;
  return replaceEach(code, [[/passStringToWasm0\((\w+), (wasm\.\w+), wasm\.\w+\)/g, "passStringToWasm0($1, $2)"]]);
}

/**
 * The glue's cached `DataView` of the module's memory is made again when its buffer is no
 * longer the memory's (the memory grew): one comparison instead of also asking whether the old
 * buffer is `detached` (which only saves reading `memory.buffer`).
 */
function simplifyDataView(code) {
  return replaceEach(code, [
    [
      /if \(cachedDataViewMemory0 === null \|\| [^{]*cachedDataViewMemory0\.buffer !== (wasm\.\w+)\.buffer\)\) \{/,
      "if (cachedDataViewMemory0?.buffer !== $1.buffer) {",
    ],
  ]);
}

/**
 * The core class is internal (client.ts frees it in `destroy()`), and while it lives its host
 * (io.ts, which holds the core) sits in the glue's module-level heap: it is never unreachable,
 * so a FinalizationRegistry callback could never run, and nothing disposes it with `using`.
 * Both are dropped, with the registry's calls.
 */
function dropFinalization(code) {
  return replaceEach(code, [
    [/const NotificationCoreFinalization = [^;]*;/, ""],
    [/NotificationCoreFinalization\.(un)?register\([^)]*\);/g, ""],
    [/if \(Symbol\.dispose\) NotificationCore\.prototype\[Symbol\.dispose\] = NotificationCore\.prototype\.free;/, ""],
  ]);
}

rmSync(generated, { recursive: true, force: true });
mkdirSync(generated, { recursive: true });

const glue = readFileSync(join(wasmOut, "notify_client.js"), "utf8");
const defaultFetch = "new URL('notify_client_bg.wasm', import.meta.url)";
if (!glue.includes(defaultFetch)) {
  throw new Error(`wasm-bindgen glue changed: "${defaultFetch}" not found`);
}
const glueEdits = [renameAbi, trimInitSync, dropFinalization, encodeStringsWhole, simplifyDataView];
writeFileSync(
  join(generated, "notify_client.js"),
  glueEdits.reduce((code, edit) => edit(code), glue.replace(defaultFetch, "undefined /* src/wasm.ts passes the module */")),
);
cpSync(join(wasmOut, "notify_client.d.ts"), join(generated, "notify_client.d.ts"));

cpSync(join(wasmOut, "notify_client_bg.wasm"), join(generated, "notify_client_bg.wasm"));
writeFileSync(
  join(generated, "notify_client_inline.js"),
  "// The WebAssembly module inlined (base64): the fallback src/wasm.ts imports when the .wasm can't be loaded.\n" +
    `const base64 = "${readFileSync(join(wasmOut, "notify_client_bg.wasm")).toString("base64")}";\n` +
    "export const wasmBytes = () => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));\n",
);
writeFileSync(
  join(generated, "notify_client_inline.d.ts"),
  "/** The WebAssembly module's bytes, decoded from the inlined base64. */\nexport declare const wasmBytes: () => Uint8Array<ArrayBuffer>;\n",
);

cpSync(join(pkg, "..", "bindings", "typescript", "index.d.ts"), join(generated, "wire.d.ts"));

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(pkg, "node_modules", "typescript", "bin", "tsc"), "-p", join(pkg, "tsconfig.json")], {
  stdio: "inherit",
});
cpSync(generated, join(dist, "generated"), { recursive: true });

const bundle = await rolldown({ input: join(dist, "index.js"), logLevel: "warn" });
// Rolldown's own minifier first, then terser (below) on its output: each finds what the other
// leaves (47 B gz less than terser alone).
const { output } = await bundle.generate({ format: "es", chunkFileNames: "[name].js", minify: true });
const [entry, lazy, ...rest] = output;
if (!entry?.isEntry || !lazy?.isDynamicEntry || rest.length > 0) {
  throw new Error(`expected the entry and one lazy chunk, got ${output.map((chunk) => chunk.fileName)}`);
}
const modules = [entry, lazy].flatMap((chunk) => Object.keys(chunk.modules).map((id) => relative(dist, id)));
for (const module of modules) rmSync(join(dist, module));
rmSync(join(dist, "types.js"));
writeFileSync(join(dist, "index.js"), entry.code);
writeFileSync(join(dist, lazy.fileName), lazy.code);
writeFileSync(join(dist, "client.js"), 'export { NotificationClient } from "./index.js";\n');
// Arrow functions and method shorthands for functions that use neither `this` nor `arguments`
// and are never constructed (the glue's import functions), function declarations hoisted to
// the top of their scope (-12 B gz), and the glue's internal
// `__wbg_ptr` / `__destroy_into_raw` properties shortened.
for (const name of ["index.js", "client.js", lazy.fileName]) {
  const path = join(dist, name);
  const { code } = await minify(readFileSync(path, "utf8"), {
    module: true,
    ecma: 2022,
    compress: { passes: 3, unsafe_arrows: true, unsafe_methods: true, hoist_funs: true },
    mangle: { properties: { regex: /^(__wbg_ptr|__destroy_into_raw)$/ } },
    keep_classnames: true,
    format: { comments: false },
  });
  writeFileSync(path, code);
}
console.log(`built ${dist} (bundled into index.js and the lazy ${lazy.fileName}: ${modules.join(", ")})`);
