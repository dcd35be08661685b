/**
 * `@ghostpay/notifications/vue`: a Vue 3 plugin that creates one `NotificationClient` per app (or
 * borrows the one passed as `client`), provides it as `notificationService` with a reactive
 * `notificationState`, connects when the app mounts and destroys it when the app unmounts.
 * `useNotifications()` is the composable over both.
 *
 * ```ts
 * app.use(NotificationPlugin, { url: "https://notify.example.com", getToken, userKey: () => user.value?.id });
 * ```
 */
import {
  effectScope,
  inject,
  onScopeDispose,
  shallowReactive,
  toRefs,
  toValue,
  watch,
  type App,
  type InjectionKey,
  type MaybeRefOrGetter,
  type Plugin,
  type ToRefs,
} from "vue";
import { actionsOf, adapterClient, startAdapterClient, type DefaultData, type NotificationActions } from "../adapter.js";
import type { NotificationClient } from "../client.js";
import type { Notification, NotificationClientOptions, NotificationState } from "../types.js";

export type { NotificationActions } from "../adapter.js";
export type { Notification, NotificationState } from "../types.js";

/**
 * The client's options (or an existing `client`), with the integration guide's names `apiUrl`
 * (for `url`) and `authService` (for `getToken`). `userKey` may be a ref or getter: when it
 * changes, the list is cleared and the client reconnects as that user.
 */
export interface NotificationPluginOptions<TData = DefaultData>
  extends Partial<Omit<NotificationClientOptions, "userKey">> {
  apiUrl?: string;
  /** Anything with `getToken()`, e.g. the app's auth service. */
  authService?: { getToken(): string | Promise<string> };
  userKey?: MaybeRefOrGetter<string | undefined>;
  client?: NotificationClient<TData>;
}

/** Injection keys; the string names `"notificationService"` / `"notificationState"` work too. */
export const NotificationServiceKey: InjectionKey<NotificationClient<unknown>> = Symbol("notificationService");
export const NotificationStateKey: InjectionKey<NotificationState<unknown>> = Symbol("notificationState");

function clientFor<TData>(options: NotificationPluginOptions<TData>) {
  const { apiUrl, authService, userKey, client, ...rest } = options;
  if (client) return adapterClient({ client });
  const url = apiUrl ?? rest.url;
  const getToken = authService ? () => authService.getToken() : rest.getToken;
  if (!url || !getToken) {
    throw new TypeError("NotificationPlugin needs url (or apiUrl) and getToken (or authService), or a client");
  }
  return adapterClient<TData>({ ...rest, url, getToken, userKey: toValue(userKey) });
}

export const NotificationPlugin: Plugin<[NotificationPluginOptions]> = {
  install(app: App, options: NotificationPluginOptions) {
    const adapter = clientFor(options);
    const { client } = adapter;
    // Shallow: each field is replaced as a whole when the core's snapshot changes.
    const state = shallowReactive<NotificationState<unknown>>({ ...client.getSnapshot() });
    const unsubscribe = client.subscribe(() => Object.assign(state, client.getSnapshot()));
    // `sync`: the old user's list is gone before anything renders with the new key.
    const scope = effectScope(true);
    scope.run(() => watch(() => toValue(options.userKey), (key) => client.switchUser(key), { flush: "sync" }));

    for (const key of [NotificationServiceKey, "notificationService"]) app.provide(key, client);
    for (const key of [NotificationStateKey, "notificationState"]) app.provide(key, state);

    // Connect once the app is in the page (never during server rendering, which doesn't mount).
    let stop = () => {};
    const mount = app.mount;
    app.mount = (...args: Parameters<App["mount"]>) => {
      const root = mount.apply(app, args);
      stop = startAdapterClient(adapter);
      return root;
    };
    app.onUnmount(() => {
      scope.stop();
      unsubscribe();
      stop();
    });
  },
};

export interface UseNotifications<TData = DefaultData> extends ToRefs<NotificationState<TData>>, NotificationActions<TData> {
  client: NotificationClient<TData>;
}

/**
 * The plugin's state as refs, its actions and its client. `onNotification` is called for each
 * new notification until the calling component (or effect scope) is disposed.
 */
export function useNotifications<TData = DefaultData>(
  onNotification?: (n: Notification<TData>) => void,
): UseNotifications<TData> {
  const client = inject(NotificationServiceKey) as NotificationClient<TData> | undefined;
  const state = inject(NotificationStateKey) as NotificationState<TData> | undefined;
  if (!client || !state) {
    throw new Error("useNotifications() needs app.use(NotificationPlugin, ...)");
  }
  if (onNotification) onScopeDispose(client.on("notification", onNotification));
  return { ...toRefs(state), ...actionsOf(client), client };
}
