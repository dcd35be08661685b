/**
 * Vitest global setup for the adapter tests: starts the real notify-server (`--dev`, so tests
 * mint tokens with POST /dev/token and send themselves notifications with POST /dev/notify) on a
 * free loopback port with a SQLite file in a temp dir, and stops it by pid afterwards.
 * The binary: NOTIFY_SERVER_BIN, default <repo>/target/debug/notify-server.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = process.env.NOTIFY_SERVER_BIN ?? resolve(import.meta.dirname, "../../../target/debug/notify-server");
  if (!existsSync(bin)) throw new Error(`notify-server not found at ${bin} (cargo build -p notify-server)`);
  const dir = mkdtempSync(join(tmpdir(), "notify-adapters-"));
  const env = { ...process.env };
  for (const k of ["PORT", "HOST", "DATABASE_URL", "JWT_SECRET", "NOTIFY_DEV"]) delete env[k];
  const child = spawn(
    bin,
    ["--dev", "--host", "127.0.0.1", "--port", "0", "--database-url", `sqlite://${join(dir, "n.db")}`],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((ok, fail) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        ok(m[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => fail(new Error(`notify-server exited early (${code}):\n${out}`)));
  });
  project.provide("serverUrl", url);
  return async () => {
    const exited = new Promise((ok) => child.once("exit", ok));
    if (child.exitCode === null && child.pid) process.kill(child.pid, "SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
}
