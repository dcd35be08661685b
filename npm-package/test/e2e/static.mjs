// Serves the built package and the test page from its own origin (a different port than the
// notification server, so REST and SSE go through CORS). Two extras for the tests:
// - `proxyTo(url)`: requests under `/notify/` (HTTP, SSE and WebSocket upgrades) are forwarded
//   to `url` with the prefix removed, like an app's reverse proxy (a relative client `url`);
// - `?csp=strict` / `?csp=wasm` on a page: a Content-Security-Policy without / with
//   `'wasm-unsafe-eval'`.
import { createServer, request } from "node:http";
import { connect } from "node:net";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm" };
const PREFIX = "/notify/";
const CSP = {
  strict: "script-src 'self' 'unsafe-inline'",
  wasm: "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
};

/** @param {string} root directory served at `/` */
export async function serveStatic(root) {
  let target = null;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.startsWith(PREFIX) && target) {
      const upstream = request(
        `${target}/${req.url.slice(PREFIX.length)}`,
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
      return;
    }
    const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
    try {
      const body = await readFile(join(root, path));
      const headers = { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" };
      const csp = CSP[url.searchParams.get("csp")];
      if (csp) headers["content-security-policy"] = csp;
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  // WebSocket upgrades under the prefix: replay the request line and headers, then pipe bytes.
  server.on("upgrade", (req, socket, head) => {
    if (!req.url.startsWith(PREFIX) || !target) return socket.destroy();
    const { hostname, port } = new URL(target);
    const upstream = connect(Number(port), hostname, () => {
      const lines = [`${req.method} /${req.url.slice(PREFIX.length)} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on("error", close);
    socket.on("error", close);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    /** Forwards `/notify/…` to this server from now on. */
    proxyTo(url) {
      target = url;
    },
    close: () => {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}
