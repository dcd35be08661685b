/** The server's dev-only routes, used by the adapter tests to get a user and notify it. */
import { inject } from "vitest";

export const serverUrl = (): string => inject("serverUrl");

let users = 0;

/** A token for a fresh user (unique per call, so tests never see each other's notifications). */
export async function newUserToken(prefix: string): Promise<string> {
  const userId = `${prefix}-${process.pid}-${++users}-${Date.now()}`;
  const res = await fetch(`${serverUrl()}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`POST /dev/token: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
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
