// Vite config of the React example (build output: dist/). The dev and preview servers proxy the
// notify-server's routes, so the app can use a relative URL ("/"): WebSocket (/socket.io), SSE and
// REST (/notifications) and the dev login (/dev). Target: NOTIFY_SERVER, default port 3001.
import { defineConfig, loadEnv } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig(({ mode }) => {
  const target = loadEnv(mode, ".", "NOTIFY_").NOTIFY_SERVER ?? "http://127.0.0.1:3001";
  const proxy = {
    "/socket.io": { target, ws: true },
    "/notifications": { target },
    "^/dev/": { target },
  };
  return { plugins: [react()], server: { proxy }, preview: { proxy } };
});
