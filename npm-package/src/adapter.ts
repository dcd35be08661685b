/**
 * What the React, Vue and Angular adapters share, so all three take the same options and return
 * the same names: the options (the client's own, or an existing `client`), the client an adapter
 * owns or borrows, and the actions it returns (the client's own promises).
 */
import { NotificationClient } from "./client.js";
import type { Notification, NotificationClientOptions } from "./types.js";

/** The client's default type of a notification's `data`; the adapters default to it too. */
export type DefaultData = Notification["data"];

/**
 * An adapter's options: every client option (`url`, `getToken`, `userKey`, `transports`...), or
 * an existing `client`. An existing client is borrowed: the adapter neither connects, disconnects
 * nor destroys it (its owner does), but still switches it to a new `userKey`.
 */
export type NotificationsOptions<TData = DefaultData> =
  | (NotificationClientOptions & { readonly client?: undefined })
  | { readonly client: NotificationClient<TData>; readonly userKey?: string };

/** The client an adapter works with, and whether the adapter owns its lifetime. */
export interface AdapterClient<TData> {
  readonly client: NotificationClient<TData>;
  readonly owned: boolean;
}

/** Borrows `options.client`, or creates a client the adapter owns. */
export function adapterClient<TData>(options: NotificationsOptions<TData>): AdapterClient<TData> {
  if (options.client) return { client: options.client, owned: false };
  return { client: new NotificationClient<TData>(options), owned: true };
}

/** Connects an owned client; returns what ends it (destroy). A borrowed client is left alone. */
export function startAdapterClient<TData>({ client, owned }: AdapterClient<TData>): () => void {
  if (!owned) return () => {};
  client.connect();
  return () => client.destroy();
}

/** The names of the actions every adapter returns. */
export const ACTION_NAMES = [
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
] as const;

type ActionName = (typeof ACTION_NAMES)[number];

/** The actions every adapter returns: the client's, each resolving once the server confirmed. */
export type NotificationActions<TData = DefaultData> = Pick<NotificationClient<TData>, ActionName>;

/** Each action as `run(name)` makes it. */
export function actionsFrom<TData>(run: (name: ActionName) => unknown): NotificationActions<TData> {
  return Object.fromEntries(ACTION_NAMES.map((name) => [name, run(name)])) as NotificationActions<TData>;
}

/** The client's actions as plain functions (safe to pass as event handlers). */
export function actionsOf<TData>(client: NotificationClient<TData>): NotificationActions<TData> {
  return actionsFrom((name) => client[name].bind(client));
}
