/**
 * `@ghostpay/notifications/react`: `<NotificationProvider>` owns one `NotificationClient` and
 * `useNotifications()` reads its state with `useSyncExternalStore`. Connection and state logic
 * live in the core; this file only ties the client's lifetime to the provider's.
 *
 * ```tsx
 * <NotificationProvider url="https://notify.example.com" getToken={getToken}>
 *   <Bell />
 * </NotificationProvider>
 * ```
 */
import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import { NotificationClient } from "../client.js";
import type { Notification, NotificationClientOptions, NotificationState } from "../types.js";

export type { Notification, NotificationState } from "../types.js";

export interface NotificationProviderProps {
  /** The notification server's base URL. A new URL makes a new client. */
  url: string;
  /** Returns the user's JWT (or a Promise of it); the latest function is always used. */
  getToken: () => string | Promise<string>;
  /** Other client options (transports, reconnect, pageSize...), read when the client is created. */
  options?: Omit<NotificationClientOptions, "url" | "getToken">;
  /** Called once for each new notification (e.g. to show a toast). */
  onNotification?: (notification: Notification) => void;
  children?: ReactNode;
}

export interface UseNotifications extends NotificationState {
  markRead(id: string): void;
  markAllRead(): void;
  remove(id: string): void;
  loadMore(): void;
  /** The provider's client, or `null` before it is created (first render, server rendering). */
  client: NotificationClient | null;
}

/** What renders before the client exists: on the server and in the browser's first render. */
const IDLE: NotificationState = Object.freeze({
  notifications: Object.freeze([]) as readonly Notification[],
  unreadCount: 0,
  status: "idle",
  transport: null,
  lastError: null,
  hasMore: false,
});

const ClientContext = createContext<NotificationClient | null | undefined>(undefined);

interface Live {
  client: NotificationClient;
  url: string;
  destroyTimer?: ReturnType<typeof setTimeout>;
}

export function NotificationProvider(props: NotificationProviderProps): ReactNode {
  const { url, children } = props;
  // The latest props, for callbacks that must not recreate the client when they change.
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });
  const live = useRef<Live | null>(null);
  const [client, setClient] = useState<NotificationClient | null>(null);

  // The client is created in an effect, so it exists only in the browser (never during server
  // rendering). Teardown is deferred by one task: <StrictMode> unmounts and remounts effects
  // immediately, and the remount takes the same client back, so it never opens a second connection.
  useEffect(() => {
    let entry = live.current;
    if (entry !== null && entry.url === url && entry.destroyTimer !== undefined) {
      clearTimeout(entry.destroyTimer);
      entry.destroyTimer = undefined;
    } else {
      const created = new NotificationClient({
        ...latest.current.options,
        url,
        getToken: () => latest.current.getToken(),
      });
      entry = live.current = { client: created, url };
      created.connect();
    }
    const current = entry;
    setClient(current.client);
    const offNotification = current.client.on("notification", (n) => latest.current.onNotification?.(n));
    return () => {
      offNotification();
      current.destroyTimer = setTimeout(() => {
        if (live.current === current) live.current = null;
        current.client.destroy();
      }, 0);
    };
  }, [url]);

  return createElement(ClientContext.Provider, { value: client }, children);
}

const noSubscription = () => () => {};
const idleSnapshot = () => IDLE;

/** The notifications, unread count and connection of the nearest `<NotificationProvider>`. */
export function useNotifications(): UseNotifications {
  const client = useContext(ClientContext);
  if (client === undefined) {
    throw new Error("useNotifications() must be used inside <NotificationProvider>");
  }
  const subscribe = useMemo(() => (client ? client.subscribe : noSubscription), [client]);
  const getSnapshot = client ? client.getSnapshot : idleSnapshot;
  const state = useSyncExternalStore(subscribe, getSnapshot, idleSnapshot);
  const markRead = useCallback((id: string) => client?.markRead(id), [client]);
  const markAllRead = useCallback(() => client?.markAllRead(), [client]);
  const remove = useCallback((id: string) => client?.remove(id), [client]);
  const loadMore = useCallback(() => client?.loadMore(), [client]);
  return useMemo(
    () => ({ ...state, markRead, markAllRead, remove, loadMore, client }),
    [state, markRead, markAllRead, remove, loadMore, client],
  );
}
