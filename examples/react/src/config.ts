// Where the server is and who the user is. The server: `?server=...` when given, otherwise this
// page's own origin ("/"), where the dev server proxies /socket.io, /notifications and /dev to
// the notify-server (vite.config.ts). The user: `?token=...`, or the dev-only login box.

const query = new URLSearchParams(location.search);

/** The notification server's URL; relative ("/") means this origin, behind the dev-server proxy. */
export const serverUrl = query.get("server") ?? "/";
const base = serverUrl.replace(/\/+$/, "");

export interface Session {
  userId: string;
  token: string;
}

/** The user id (`sub`) a JWT names, read without verifying it (the server does that). */
function subjectOf(token: string): string {
  const payload = token.split(".")[1] ?? "";
  return (JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { sub: string }).sub;
}

const startToken = query.get("token");
/** The session the page was opened with (`?token=`), if any. */
export const initialSession: Session | null = startToken ? { userId: subjectOf(startToken), token: startToken } : null;

/** Asks a `--dev` server for a token for any user id (POST /dev/token). */
export async function devSignIn(userId: string): Promise<Session> {
  const res = await fetch(`${base}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`POST /dev/token answered ${res.status} (is the server in --dev mode?)`);
  const { token } = (await res.json()) as { token: string };
  return { userId, token };
}

/** Keeps the session in the address, so a reload stays signed in as the same user. */
export function rememberSession(session: Session): void {
  const params = new URLSearchParams(location.search);
  params.set("token", session.token);
  history.replaceState(null, "", `?${params}`);
}

/** Asks a `--dev` server to send the signed-in user a test notification. */
export async function devNotify(token: string, title: string): Promise<void> {
  await fetch(`${base}/dev/notify`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ title, message: `Sent at ${new Date().toLocaleTimeString()}` }),
  });
}
