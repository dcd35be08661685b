"use client";
/**
 * `@ghostpay/notifications/react`: `<NotificationProvider>` connects one `NotificationClient` for
 * its subtree (or borrows the one passed as `client`) and `useNotifications()` reads its state
 * with `useSyncExternalStore`. Connection and state logic live in the core; this file only ties
 * the client's lifetime to the provider's and switches it when `userKey` changes.
 *
 * ```tsx
 * <NotificationProvider url="https://notify.example.com" getToken={getToken} userKey={user.id}>
 *   <Bell />
 * </NotificationProvider>
 * ```
 */
import {
  createContext,
  createElement,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import { actionsFrom, actionsOf, adapterClient, startAdapterClient, type DefaultData, type NotificationActions, type NotificationsOptions } from "../adapter.js";
import type { NotificationClient } from "../client.js";
import type { Notification, NotificationState } from "../types.js";

export type { NotificationActions, NotificationsOptions } from "../adapter.js";
export type { Notification, NotificationState } from "../types.js";

/**
 * The client options as props (`url`, `getToken`, `userKey`, `transports`...; or `client`). A
 * new `url` or `client` makes a new client; the latest `getToken` is always used; a new
 * `userKey` clears the list and reconnects as that user; other options are read once.
 */
export type NotificationProviderProps<TData = DefaultData> = NotificationsOptions<TData> & {
  /** Called once for each new notification (e.g. to show a toast). */
  onNotification?: (notification: Notification<TData>) => void;
  children?: ReactNode;
};

export interface UseNotifications<TData = DefaultData> extends NotificationState<TData>, NotificationActions<TData> {
  /** The provider's client; `null` during server rendering, the first render and a user switch. */
  client: NotificationClient<TData> | null;
}

/** The client and the user it serves, once created (only ever in the browser). */
interface Served {
  client: NotificationClient<unknown>;
  userKey: string | undefined;
}

interface Live {
  served: Served;
  source: unknown;
  stop: () => void;
  stopTimer?: ReturnType<typeof setTimeout>;
}

const ClientContext = createContext<NotificationClient<unknown> | null | undefined>(undefined);

export function NotificationProvider<TData = DefaultData>(props: NotificationProviderProps<TData>): ReactNode {
  const { children, userKey } = props;
  // What makes a new client: a borrowed client, or the URL of an owned one.
  const source = props.client ?? props.url;
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });
  const live = useRef<Live | null>(null);
  const [served, setServed] = useState<Served | null>(null);

  // The client is created in an effect, so only in the browser (never during server rendering).
  // Its end is deferred by one task: <StrictMode> unmounts and remounts effects at once, and the
  // remount takes the same client back, so it never opens a second connection.
  useEffect(() => {
    let entry = live.current;
    if (entry !== null && entry.source === source && entry.stopTimer !== undefined) {
      clearTimeout(entry.stopTimer);
      entry.stopTimer = undefined;
    } else {
      const { children: _, onNotification: __, ...options } = latest.current;
      const getToken = () => (latest.current as { getToken: () => string | Promise<string> }).getToken();
      const adapter = adapterClient(options.client ? options : { ...options, getToken });
      const client = adapter.client as NotificationClient<unknown>;
      entry = live.current = { served: { client, userKey: options.userKey }, source, stop: startAdapterClient(adapter) };
    }
    const current = entry;
    setServed(current.served);
    const offNotification = current.served.client.on("notification", (n) =>
      latest.current.onNotification?.(n as Notification<TData>),
    );
    return () => {
      offNotification();
      current.stopTimer = setTimeout(() => {
        if (live.current === current) live.current = null;
        current.stop();
      }, 0);
    };
  }, [source]);

  // A new user: the client drops the old list and reconnects.
  useEffect(() => {
    const entry = live.current;
    if (entry === null || entry.served.userKey === userKey) return;
    entry.served.client.switchUser(userKey);
    entry.served = { client: entry.served.client, userKey };
    setServed(entry.served);
  }, [served, userKey]);

  // Until the client serves this `userKey`, nothing is shown: never the previous user's list.
  const client = served !== null && served.userKey === userKey ? served.client : null;
  return createElement(ClientContext.Provider, { value: client }, children);
}

const noSubscription = () => () => {};
const emptySnapshot = (): NotificationState<never> => EMPTY_STATE;
const noClient = (): Promise<never> =>
  Promise.reject(new Error("useNotifications(): no client yet (server rendering, first render or user switch)"));

/** What renders before the client serves the provider's user (server, first render, user switch). */
const EMPTY_STATE: NotificationState<never> = Object.freeze({
  notifications: Object.freeze([]),
  unreadCount: 0,
  unseenCount: 0,
  status: "idle",
  transport: null,
  lastError: null,
  hasMore: false,
});

const NO_ACTIONS: NotificationActions<never> = actionsFrom(() => noClient);

/** The state, actions and client of the nearest `<NotificationProvider>`. */
export function useNotifications<TData = DefaultData>(): UseNotifications<TData> {
  const context = useContext(ClientContext);
  if (context === undefined) {
    throw new Error("useNotifications() must be used inside <NotificationProvider>");
  }
  const client = context as NotificationClient<TData> | null;
  const subscribe = useMemo(() => (client ? (l: () => void) => client.subscribe(l) : noSubscription), [client]);
  const getSnapshot = client ? () => client.getSnapshot() : emptySnapshot;
  const state: NotificationState<TData> = useSyncExternalStore(subscribe, getSnapshot, emptySnapshot);
  const actions = useMemo(() => (client ? actionsOf(client) : (NO_ACTIONS as NotificationActions<TData>)), [client]);
  return useMemo(() => ({ ...state, ...actions, client }), [state, actions, client]);
}
