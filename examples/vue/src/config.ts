// Where the server is and who the user is: `?server=...` when given, otherwise this page's own
// origin ("/"), where the dev server proxies /socket.io, /notifications and /dev to the
// notify-server; `?token=...`, or a token from the dev-only login box (POST /dev/token).

const query = new URLSearchParams(location.search);

/** The notification server's URL; relative ("/") means this origin, behind the dev-server proxy. */
export const serverUrl = query.get("server") ?? "/";
export const token = query.get("token");
const base = serverUrl.replace(/\/+$/, "");

/** Asks a `--dev` server for a user token, then reloads the page with it in the query string. */
export async function devLogin(userId: string): Promise<void> {
  const res = await fetch(`${base}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`POST /dev/token answered ${res.status} (is the server in --dev mode?)`);
  const body = (await res.json()) as { token: string };
  const next = new URLSearchParams(location.search);
  next.set("token", body.token);
  location.search = next.toString();
}

/** Asks a `--dev` server to send the signed-in user a test notification. */
export async function devNotify(title: string): Promise<void> {
  await fetch(`${base}/dev/notify`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ title, message: `Sent at ${new Date().toLocaleTimeString()}` }),
  });
}
