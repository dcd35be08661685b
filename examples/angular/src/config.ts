// Where the server is and who the user is: `?server=...&token=...` when given, otherwise the
// local dev server and a token from the dev-only login box (POST /dev/token, `--dev` mode only).

const query = new URLSearchParams(location.search);

export const serverUrl = query.get("server") ?? "http://127.0.0.1:3001";
export const token = query.get("token");

/** Asks a `--dev` server for a user token, then reloads the page with it in the query string. */
export async function devLogin(userId: string): Promise<void> {
  const res = await fetch(`${serverUrl}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`POST /dev/token answered ${res.status} (is the server in --dev mode?)`);
  const body = (await res.json()) as { token: string };
  location.search = new URLSearchParams({ server: serverUrl, token: body.token }).toString();
}

/** Asks a `--dev` server to send the signed-in user a test notification. */
export async function devNotify(title: string): Promise<void> {
  await fetch(`${serverUrl}/dev/notify`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ title, message: `Sent at ${new Date().toLocaleTimeString()}` }),
  });
}
