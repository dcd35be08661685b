/**
 * `NotificationClient`: the typed API around the WebAssembly core, shaped as an external store
 * (`subscribe` / `getSnapshot`, usable as is by React's `useSyncExternalStore`, Vue refs or
 * Angular signals) plus typed events.
 */
import { toCoreOptions } from "./options.js";
import type {
  ClientError,
  Notification,
  NotificationClientEvent,
  NotificationClientEvents,
  NotificationClientOptions,
  NotificationState,
  Status,
  Transport,
} from "./types.js";
import { loadCore, type NotificationCore } from "./wasm.js";

type Listener<K extends NotificationClientEvent> = (value: NotificationClientEvents[K]) => void;

type ListenerSets = { [K in NotificationClientEvent]: Set<Listener<K>> };

/**
 * Calls a listener without letting its exception break the client or the other listeners; the
 * exception is still reported (like an `EventTarget` listener's: `reportError`, else rethrown
 * from a microtask).
 */
function safely<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    if (typeof globalThis.reportError === "function") {
      globalThis.reportError(error);
    } else {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

export class NotificationClient {
  readonly #core: NotificationCore;
  readonly #subscribers = new Set<() => void>();
  readonly #listeners: ListenerSets = {
    notification: new Set(),
    unreadCount: new Set(),
    status: new Set(),
    error: new Set(),
  };
  #snapshot: NotificationState | null = null;
  #destroyed = false;

  constructor(options: NotificationClientOptions) {
    const coreOptions = toCoreOptions(options);
    const getToken = options.getToken;
    const Core = loadCore();
    this.#core = new Core(
      coreOptions,
      () => getToken(),
      (kind: string, value: unknown) => this.#onCoreEvent(kind, value),
    );
  }

  /** Starts connecting (WebSocket first, SSE when WebSocket can't get through). */
  connect(): void {
    this.#assertAlive();
    this.#core.connect();
  }

  /** Closes the connection and stops reconnecting; `connect()` starts again. */
  disconnect(): void {
    if (!this.#destroyed) this.#core.disconnect();
  }

  /** Disconnects and releases the WebAssembly memory; the client can't be used afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#core.disconnect();
    this.#destroyed = true;
    this.#snapshot = null;
    this.#core.free();
    this.#subscribers.clear();
    for (const set of Object.values(this.#listeners)) set.clear();
  }

  /** Marks one notification read (optimistically; rolled back with an `error` if refused). */
  markRead(id: string): void {
    this.#assertAlive();
    this.#core.markRead(String(id));
  }

  /** Marks every notification read (optimistically). */
  markAllRead(): void {
    this.#assertAlive();
    this.#core.markAllRead();
  }

  /** Deletes one notification (optimistically; restored with an `error` if refused). */
  remove(id: string): void {
    this.#assertAlive();
    this.#core.remove(String(id));
  }

  /** Loads the next page of older notifications (no-op while one loads or at the end). */
  loadMore(): void {
    this.#assertAlive();
    this.#core.loadMore();
  }

  /** Reloads the first page and the unread count from the server. */
  refresh(): void {
    this.#assertAlive();
    this.#core.refresh();
  }

  /** Calls `listener` after every state change; returns the function that unsubscribes it. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#subscribers.add(listener);
    return () => {
      this.#subscribers.delete(listener);
    };
  };

  /** The current state; the same object until something changes. */
  readonly getSnapshot = (): NotificationState => {
    if (this.#snapshot === null) this.#snapshot = this.#readState();
    return this.#snapshot;
  };

  /** Listens to one event; returns the function that removes the listener. */
  on<K extends NotificationClientEvent>(event: K, listener: Listener<K>): () => void {
    const set = this.#listeners[event] as Set<Listener<K>> | undefined;
    if (set === undefined) throw new TypeError(`NotificationClient: unknown event "${event}"`);
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends NotificationClientEvent>(event: K, listener: Listener<K>): void {
    (this.#listeners[event] as Set<Listener<K>> | undefined)?.delete(listener);
  }

  get status(): Status {
    return this.getSnapshot().status;
  }

  get unreadCount(): number {
    return this.getSnapshot().unreadCount;
  }

  get notifications(): readonly Notification[] {
    return this.getSnapshot().notifications;
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error("NotificationClient: used after destroy()");
  }

  #readState(): NotificationState {
    if (this.#destroyed) {
      return {
        notifications: [],
        unreadCount: 0,
        status: "disconnected",
        transport: null,
        lastError: null,
        hasMore: false,
      };
    }
    const core = this.#core;
    return Object.freeze({
      notifications: Object.freeze(core.notifications() as Notification[]),
      unreadCount: core.unreadCount(),
      status: core.status() as Status,
      transport: (core.transport() ?? null) as Transport | null,
      lastError: core.lastError() as ClientError | null,
      hasMore: core.hasMore(),
    });
  }

  #emit<K extends NotificationClientEvent>(event: K, value: NotificationClientEvents[K]): void {
    for (const listener of [...(this.#listeners[event] as Set<Listener<K>>)]) {
      safely(listener, value);
    }
  }

  #onCoreEvent(kind: string, value: unknown): void {
    this.#snapshot = null;
    switch (kind) {
      case "change":
        for (const subscriber of [...this.#subscribers]) safely(subscriber, undefined);
        return;
      case "notification":
        this.#emit("notification", value as Notification);
        return;
      case "unreadCount":
        this.#emit("unreadCount", value as number);
        return;
      case "status":
        this.#emit("status", value as Status);
        return;
      case "error":
        this.#emit("error", value as ClientError);
        return;
    }
  }
}
