// webpack 5 with nothing wasm-specific: no experiments, no loaders, no asset rules.
import { fileURLToPath } from "node:url";

export default {
  entry: "./src/webpack-entry.js",
  output: { path: fileURLToPath(new URL("./dist-webpack", import.meta.url)), filename: "main.js" },
};
