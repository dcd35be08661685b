// Starts and stops the real notify-server for the browser tests: free loopback port, temp
// database, stopped by pid. Tokens are minted by the server binary's own `token` command
// (and, for the expired-token case, signed here with the same secret).
import { execFile, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export function serverBinary() {
  const bin = process.env.NOTIFY_SERVER_BIN;
  if (!bin) throw new Error("NOTIFY_SERVER_BIN must point at the notify-server binary");
  return bin;
}

export class NotifyServer {
  /** @param {{ corsOrigin: string, transports?: string, port?: number, dir?: string }} opts */
  static async start(opts) {
    const server = new NotifyServer(opts);
    await server.#launch(opts.port ?? 0);
    return server;
  }

  constructor({ corsOrigin, transports, dir }) {
    this.secret = randomBytes(24).toString("hex"); // 48 characters: the server refuses secrets under 32 bytes
    this.corsOrigin = corsOrigin;
    this.transports = transports;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "notify-e2e-"));
    this.ownsDir = !dir;
    this.log = [];
  }

  async #launch(port) {
    const args = [
      "--host", "127.0.0.1",
      "--port", String(port),
      "--database-url", `sqlite://${join(this.dir, "notifications.db")}`,
      "--jwt-secret", this.secret,
      "--cors-origins", this.corsOrigin,
    ];
    if (this.transports) args.push("--transports", this.transports);
    const child = spawn(serverBinary(), args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "warn" } });
    this.child = child;
    this.url = await new Promise((resolve, reject) => {
      let buffered = "";
      const onData = (chunk) => {
        buffered += chunk;
        this.log.push(String(chunk));
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(buffered);
        if (m) {
          child.stdout.off("data", onData);
          child.stdout.on("data", (c) => this.log.push(String(c)));
          resolve(m[1]);
        }
      };
      child.stdout.setEncoding("utf8").on("data", onData);
      child.stderr.setEncoding("utf8").on("data", (c) => this.log.push(String(c)));
      child.once("exit", (code, signal) => reject(new Error(`notify-server exited (${code ?? signal}) before listening:\n${this.log.join("")}`)));
    });
    this.port = Number(new URL(this.url).port);
  }

  /** Kills the process (SIGKILL: a crash) and waits for it to be gone. */
  async kill(signal = "SIGKILL") {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(child.pid, signal);
    await exited;
  }

  /** Starts the server again on the same port and database. */
  async restart() {
    await this.kill();
    await this.#launch(this.port);
  }

  async stop() {
    await this.kill("SIGTERM");
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A token minted by `notify-server token`. */
  async token(user, { service = false, ttl = "1h" } = {}) {
    const args = ["token", "--user", user, "--ttl", ttl, "--jwt-secret", this.secret];
    if (service) args.push("--service");
    const { stdout } = await run(serverBinary(), args);
    return stdout.trim();
  }

  /** A correctly signed token that expired ten minutes ago. */
  expiredToken(user) {
    const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: user, iat: now - 3600, exp: now - 600 })}`;
    const sig = createHmac("sha256", this.secret).update(body).digest("base64url");
    return `${body}.${sig}`;
  }

  async request(method, path, token, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async publish(serviceToken, userId, title) {
    return this.request("POST", "/notifications", serviceToken, { userId, title, message: `message for ${title}` });
  }

  async unreadCount(userToken) {
    return (await this.request("GET", "/notifications/unread-count", userToken)).count;
  }
}
