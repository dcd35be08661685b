/**
 * `@ghostpay/notifications/vue`: a Vue 3 plugin that creates one `NotificationClient` per app,
 * provides it as `notificationService` with a reactive `notificationState`, and connects when the
 * app mounts (disconnects when it unmounts). `useNotifications()` is the composable over both.
 *
 * ```ts
 * app.use(NotificationPlugin, { apiUrl: "https://notify.example.com", authService });
 * ```
 */
import {
  inject,
  onScopeDispose,
  shallowReactive,
  toRefs,
  type App,
  type InjectionKey,
  type Plugin,
  type ToRefs,
} from "vue";
import { NotificationClient } from "../client.js";
import type { Notification, NotificationClientOptions, NotificationState } from "../types.js";

export type { Notification, NotificationState } from "../types.js";

export interface NotificationPluginOptions extends Partial<NotificationClientOptions> {
  /** The server's base URL (the integration guide's name; `url` works too). */
  apiUrl?: string;
  /** Anything with `getToken()`, e.g. the app's auth service (or pass `getToken`). */
  authService?: { getToken(): string | Promise<string> };
}

/** Injection keys; the string names `"notificationService"` / `"notificationState"` work too. */
export const NotificationServiceKey: InjectionKey<NotificationClient> = Symbol("notificationService");
export const NotificationStateKey: InjectionKey<NotificationState> = Symbol("notificationState");

export const NotificationPlugin: Plugin<[NotificationPluginOptions]> = {
  install(app: App, options: NotificationPluginOptions) {
    const { apiUrl, authService, ...rest } = options;
    const url = apiUrl ?? rest.url;
    const getToken = authService ? () => authService.getToken() : rest.getToken;
    if (!url || !getToken) {
      throw new TypeError("NotificationPlugin needs apiUrl (or url) and authService (or getToken)");
    }
    const client = new NotificationClient({ ...rest, url, getToken });
    // Shallow: each field is replaced as a whole when the core's snapshot changes.
    const state = shallowReactive<NotificationState>({ ...client.getSnapshot() });
    const unsubscribe = client.subscribe(() => Object.assign(state, client.getSnapshot()));

    for (const key of [NotificationServiceKey, "notificationService"]) app.provide(key, client);
    for (const key of [NotificationStateKey, "notificationState"]) app.provide(key, state);

    // Connect once the app is in the page (never during server rendering, which doesn't mount).
    const mount = app.mount;
    app.mount = (...args: Parameters<App["mount"]>) => {
      const root = mount.apply(app, args);
      client.connect();
      return root;
    };
    app.onUnmount(() => {
      unsubscribe();
      client.destroy();
    });
  },
};

export interface UseNotifications extends ToRefs<NotificationState> {
  markRead(id: string): void;
  markAllRead(): void;
  remove(id: string): void;
  loadMore(): void;
  service: NotificationClient;
}

/**
 * The plugin's state as refs, and its actions. `onNotification` is called for each new
 * notification until the calling component (or effect scope) is disposed.
 */
export function useNotifications(onNotification?: (n: Notification) => void): UseNotifications {
  const service = inject(NotificationServiceKey);
  const state = inject(NotificationStateKey);
  if (!service || !state) {
    throw new Error("useNotifications() needs app.use(NotificationPlugin, ...)");
  }
  if (onNotification) onScopeDispose(service.on("notification", onNotification));
  return {
    ...toRefs(state),
    markRead: (id) => service.markRead(id),
    markAllRead: () => service.markAllRead(),
    remove: (id) => service.remove(id),
    loadMore: () => service.loadMore(),
    service,
  };
}
