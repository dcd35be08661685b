// `ng serve` proxy: the notify-server's routes on the app's own origin, so the app can use a
// relative URL ("/"): WebSocket (/socket.io), SSE and REST (/notifications) and the dev login
// (/dev). Target: NOTIFY_SERVER, default port 3001.
const target = process.env.NOTIFY_SERVER ?? "http://127.0.0.1:3001";

export default {
  "/socket.io": { target, ws: true },
  "/notifications": { target },
  "/dev/": { target },
};
