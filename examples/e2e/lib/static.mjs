// Serves a built example (its dist folder) on a free loopback port; unknown paths get
// index.html, as a single-page app host would. With `proxyTo`, it is also the app's reverse
// proxy: /socket.io (WebSocket upgrades included), /notifications (SSE, REST) and /dev/ go to
// that server, so the app can use a relative URL on its own origin.
import { createServer, request } from "node:http";
import { connect } from "node:net";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
  ".ico": "image/x-icon", ".json": "application/json", ".wasm": "application/wasm",
};
const PROXIED = /^\/(socket\.io|notifications)(\/|\?|$)|^\/dev\//;

/** Forwards one HTTP request, streaming both ways (SSE stays a stream). */
function forward(req, res, target) {
  const upstream = request(new URL(req.url, target), { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
}

/** Forwards a WebSocket upgrade: the raw request, then bytes both ways. */
function tunnel(req, socket, head, target, open) {
  const { hostname, port } = new URL(target);
  const upstream = connect(Number(port), hostname, () => {
    const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers}\r\n`);
    upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
  });
  upstream.on("error", () => socket.destroy());
  socket.on("error", () => upstream.destroy());
  open.add(socket).add(upstream);
  socket.on("close", () => open.delete(socket));
  upstream.on("close", () => open.delete(upstream));
}

export async function serveStatic(root, { proxyTo } = {}) {
  const server = createServer(async (req, res) => {
    if (proxyTo && PROXIED.test(req.url)) return forward(req, res, proxyTo);
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(root, path);
    let body = await readFile(file).catch(() => null);
    if (body === null || path.endsWith("/")) {
      file = join(root, "index.html");
      body = await readFile(file);
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  });
  const tunnels = new Set();
  server.on("upgrade", (req, socket, head) => {
    if (proxyTo && PROXIED.test(req.url)) tunnel(req, socket, head, proxyTo, tunnels);
    else socket.destroy();
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections();
      for (const socket of tunnels) socket.destroy();
      return new Promise((ok) => server.close(ok));
    },
  };
}
