/**
 * Adapter unit tests: each adapter against the real core store (the built package, imported by
 * its published subpaths) and the real server, in jsdom.
 *   npx vitest run --config test/adapters/vitest.config.ts   (from npm-package/, after the build)
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["*.test.ts", "*.test.tsx"],
    environment: "jsdom",
    globalSetup: ["./global-setup.ts"],
    testTimeout: 30_000,
    // The package runs as Node loads it, untransformed: Vite would rewrite its
    // `new URL("…wasm", import.meta.url)` against jsdom's http://localhost:3000 page.
    server: { deps: { external: [/\/npm-package\/dist\//] } },
  },
});
