// Nothing wasm-specific on purpose: the package must work with Vite's defaults.
export default { base: "./", build: { outDir: "dist" } };
