// The real notify-server for the browser tests: `--dev` (the examples' login box uses its
// /dev routes) with a known JWT secret, a free loopback port, a SQLite file in a temp dir.
// `crash()` kills it (SIGKILL) and `restart()` starts it again on the same port and file.
// The binary: NOTIFY_SERVER_BIN, default <repo>/target/debug/notify-server.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";

const bin = process.env.NOTIFY_SERVER_BIN ?? resolve(import.meta.dirname, "../../../target/debug/notify-server");

export class NotifyServer {
  /** @param {string[]} extraArgs e.g. ["--transports", "polling"] */
  static async start(extraArgs = []) {
    if (!existsSync(bin)) throw new Error(`notify-server not found at ${bin}`);
    const server = new NotifyServer(extraArgs);
    await server.#launch(0);
    return server;
  }

  constructor(extraArgs) {
    this.extraArgs = extraArgs;
    this.secret = randomBytes(24).toString("hex");
    this.dir = mkdtempSync(join(tmpdir(), "notify-examples-e2e-"));
    this.logs = "";
    this.serviceToken = this.mint("e2e-backend", true);
  }

  async #launch(port) {
    const env = { ...process.env, RUST_LOG: "warn" };
    for (const k of ["PORT", "HOST", "DATABASE_URL", "JWT_SECRET", "CORS_ORIGINS"]) delete env[k];
    const args = ["--dev", "--host", "127.0.0.1", "--port", String(port), "--jwt-secret", this.secret,
      "--database-url", `sqlite://${join(this.dir, "notifications.db")}`, ...this.extraArgs];
    const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stderr.setEncoding("utf8").on("data", (c) => (this.logs = (this.logs + c).slice(-20_000)));
    this.exited = new Promise((ok) => child.once("exit", ok));
    this.url = await new Promise((ok, fail) => {
      let out = "";
      const onData = (chunk) => {
        out += chunk;
        const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
        if (m) {
          child.stdout.off("data", onData);
          child.stdout.resume();
          ok(m[1]);
        }
      };
      child.stdout.setEncoding("utf8").on("data", onData);
      child.once("exit", (code) => fail(new Error(`notify-server exited (${code}):\n${out}\n${this.logs}`)));
    });
    this.port = Number(new URL(this.url).port);
  }

  /** A JWT from the server binary's own `token` command. */
  mint(user, service = false) {
    const args = ["token", "--user", user, "--jwt-secret", this.secret, ...(service ? ["--service"] : [])];
    return execFileSync(bin, args, { encoding: "utf8" }).trim().split(/\s+/).pop();
  }

  async request(method, path, token, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Publishes as a backend would (service token); returns the stored notification. */
  publish(userId, title) {
    return this.request("POST", "/notifications", this.serviceToken, { userId, title, message: `about ${title}` });
  }

  async unreadCount(userToken) {
    return (await this.request("GET", "/notifications/unread-count", userToken)).count;
  }

  /** `GET /notifications/counts`: `{ unread, unseen, total }`. */
  async counts(userToken) {
    return this.request("GET", "/notifications/counts", userToken);
  }

  async list(userToken) {
    return (await this.request("GET", "/notifications?limit=100", userToken)).items;
  }

  /** SIGKILL (a crash), waiting for the process to be gone. */
  async crash() {
    process.kill(this.child.pid, "SIGKILL");
    await this.exited;
  }

  /** Starts again on the same port and database file. */
  async restart() {
    await this.#launch(this.port);
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid, "SIGTERM");
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
