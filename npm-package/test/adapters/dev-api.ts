/** What the adapter tests share: the server's dev-only routes (a user, a notification), the names
 * every adapter returns, and a WebSocket recorder. */
import { inject } from "vitest";

export const serverUrl = (): string => inject("serverUrl");

let users = 0;

/** A fresh user and its token (unique per call, so tests never see each other's notifications). */
export async function newUser(prefix: string): Promise<{ userId: string; token: string }> {
  const userId = `${prefix}-${process.pid}-${++users}-${Date.now()}`;
  const res = await fetch(`${serverUrl()}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`POST /dev/token: ${res.status}`);
  return { userId, token: ((await res.json()) as { token: string }).token };
}

/** A token for a fresh user. */
export async function newUserToken(prefix: string): Promise<string> {
  return (await newUser(prefix)).token;
}

/** Sends the token's user a notification; returns its id. */
export async function notify(token: string, title: string): Promise<string> {
  const res = await fetch(`${serverUrl()}/dev/notify`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ title }),
  });
  if (res.status !== 201) throw new Error(`POST /dev/notify: ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}

/** The server's own unread count for the token's user. */
export async function serverUnreadCount(token: string): Promise<number> {
  const res = await fetch(`${serverUrl()}/notifications/unread-count`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await res.json()) as { count: number }).count;
}

/** The names every adapter returns (React's hook, Vue's composable, Angular's service). */
export const ADAPTER_NAMES = [
  "notifications",
  "unreadCount",
  "unseenCount",
  "status",
  "transport",
  "lastError",
  "hasMore",
  "markRead",
  "markUnread",
  "markAllRead",
  "markSeen",
  "markAllSeen",
  "archive",
  "unarchive",
  "remove",
  "loadMore",
  "refresh",
  "client",
] as const;

/** Records every WebSocket opened until `restore()` (jsdom's WebSocket, wrapped). */
export function recordSockets(): { sockets: WebSocket[]; restore: () => void } {
  const sockets: WebSocket[] = [];
  const Native = globalThis.WebSocket;
  globalThis.WebSocket = class extends Native {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  };
  return { sockets, restore: () => (globalThis.WebSocket = Native) };
}

/** The promises of actions the test views started; a test's end awaits them (none may reject). */
export const startedActions: Promise<unknown>[] = [];
export const track = (action: Promise<unknown>): void => void startedActions.push(action);
export const settleActions = async (): Promise<void> => {
  await Promise.all(startedActions.splice(0));
};
