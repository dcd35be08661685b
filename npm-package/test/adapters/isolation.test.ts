/**
 * Each adapter's published module imports its own framework and the core only (through the
 * shared adapter module), so importing one adapter never pulls in another framework (the
 * frameworks are optional peers). The React entry keeps its "use client" directive on top.
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
    ["react/index.js", ["react"]],
    ["vue/index.js", ["vue"]],
    ["angular/index.js", ["@angular/core", "rxjs"]],
  ])("%s imports only %j", (file, allowed) => {
    const bare = importsOf(file).filter((s) => !s.startsWith("."));
    const relative = importsOf(file).filter((s) => s.startsWith("."));
    expect(bare.every((s) => allowed.includes(s))).toBe(true);
    expect(bare.length).toBeGreaterThan(0);
    expect(relative).toEqual(["../adapter.js"]);
  });

  it('the React entry starts with "use client"', () => {
    expect(readFileSync(resolve(dist, "react/index.js"), "utf8")).toMatch(/^"use client";\n/);
  });

  it("the core imports no framework", () => {
    const core = readdirSync(dist).filter((f) => f.endsWith(".js"));
    expect(core).toContain("client.js");
    for (const file of core) {
      expect(importsOf(file).filter((s) => !s.startsWith("."))).toEqual([]);
    }
  });
});
