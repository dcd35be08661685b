// `vite preview` of a built example (React or Vue) on a free loopback port, with its config's
// proxy pointed at `notifyUrl` (NOTIFY_SERVER); stopped by pid.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

async function freePort() {
  const probe = createServer();
  await new Promise((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address();
  await new Promise((ok) => probe.close(ok));
  return port;
}

export async function vitePreview(appDir, notifyUrl) {
  const port = await freePort();
  const child = spawn(join(appDir, "node_modules", ".bin", "vite"), ["preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    cwd: appDir,
    // Without colours: under CI=true Vite colours its output, splitting the URL it prints.
    env: { ...process.env, NOTIFY_SERVER: notifyUrl, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise((ok) => child.once("exit", ok));
  let out = "";
  const origin = await new Promise((ok, fail) => {
    const onData = (chunk) => {
      out += chunk;
      if (out.replace(/\x1b\[[0-9;]*m/g, "").includes(`http://127.0.0.1:${port}`)) ok(`http://127.0.0.1:${port}`);
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.once("exit", (code) => fail(new Error(`vite preview exited (${code}):\n${out}`)));
  });
  return {
    origin,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGTERM");
      await exited;
    },
  };
}
