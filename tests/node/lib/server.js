// Starts the real notify-server binary for a test file and stops it by pid.
//
// The binary comes from NOTIFY_SERVER_BIN (default <repo>/target/debug/notify-server).
// It listens on a free loopback port (`--port 0`) with a SQLite file in a fresh temp dir;
// the port is read from the `listening on http://127.0.0.1:<port>` line on stdout.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..", "..");

/** Path of the server binary under test. */
export const serverBin =
  process.env.NOTIFY_SERVER_BIN || join(repoRoot, "target", "debug", "notify-server");

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

/**
 * A running server: `url`, `port`, `secret`, `token(user, {service})`, `stop()`.
 * @param {string[]} extraArgs additional CLI flags
 */
export async function startServer(extraArgs = []) {
  if (!existsSync(serverBin)) {
    throw new Error(`server binary not found at ${serverBin}: build it or set NOTIFY_SERVER_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), "notify-node-test-"));
  const secret = randomBytes(24).toString("hex");
  const args = [
    "--host", "127.0.0.1",
    "--port", "0",
    "--database-url", `sqlite://${join(dir, "notifications.db")}`,
    "--jwt-secret", secret,
    ...extraArgs,
  ];
  // Drop env vars that would otherwise override flags we leave at their defaults.
  const env = { ...process.env };
  for (const k of ["PORT", "HOST", "DATABASE_URL", "JWT_SECRET"]) delete env[k];
  const child = spawn(serverBin, args, { env, stdio: ["ignore", "pipe", "pipe"] });

  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024);
  });

  const url = await new Promise((ok, fail) => {
    let out = "";
    const onData = (d) => {
      out += d;
      const m = LISTENING.exec(out);
      if (m) {
        child.stdout.off("data", onData);
        child.stdout.resume(); // keep draining so the server never blocks on a full pipe
        ok(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code, sig) =>
      fail(new Error(`server exited early (code ${code}, signal ${sig}):\n${out}\n${stderr}`)),
    );
    child.once("error", fail);
  });

  let exitCode;
  const exited = new Promise((ok) => child.once("exit", (code, sig) => ok((exitCode = code ?? sig))));

  return {
    url,
    port: Number(new URL(url).port),
    secret,
    pid: child.pid,
    /** Mints a JWT with the server's own `token` subcommand. */
    token(user, { service = false, ttl } = {}) {
      const a = ["token", "--user", String(user), "--jwt-secret", secret];
      if (service) a.push("--service");
      if (ttl) a.push("--ttl", ttl);
      return execFileSync(serverBin, a, { env, encoding: "utf8" }).trim().split(/\s+/).pop();
    },
    /** Last lines the server wrote to stderr (for failure messages). */
    logs: () => stderr,
    /** SIGTERM by pid, wait for exit, remove the temp dir; resolves to the exit code. */
    async stop() {
      if (exitCode === undefined) process.kill(child.pid, "SIGTERM");
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
