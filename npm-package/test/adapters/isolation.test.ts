/**
 * Each adapter's published module imports its own framework and the core only, so importing
 * one adapter never pulls in another framework (the frameworks are optional peers).
 */
import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const dist = resolve(import.meta.dirname, "../../dist");

function importsOf(file: string): string[] {
  const code = readFileSync(resolve(dist, file), "utf8");
  return [...code.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gm)].map((m) => m[1]!).sort();
}

describe("adapter imports", () => {
  it.each([
    ["react/index.js", ["../client.js", "react"]],
    ["vue/index.js", ["../client.js", "vue"]],
    ["angular/index.js", ["../client.js", "@angular/core", "rxjs"]],
  ])("%s imports only %j", (file, allowed) => {
    const bare = importsOf(file).filter((s) => !s.startsWith("."));
    const relative = importsOf(file).filter((s) => s.startsWith("."));
    expect(bare.every((s) => allowed.includes(s))).toBe(true);
    expect(bare.length).toBeGreaterThan(0);
    expect(relative).toEqual(["../client.js"]);
  });

  it("the core imports no framework", () => {
    const core = readdirSync(dist).filter((f) => f.endsWith(".js"));
    expect(core).toContain("client.js");
    for (const file of core) {
      expect(importsOf(file).filter((s) => !s.startsWith("."))).toEqual([]);
    }
  });
});
