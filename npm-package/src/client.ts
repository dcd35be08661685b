/**
 * `NotificationClient`: the typed API around the WebAssembly core, shaped as an external store
 * (`subscribe` / `getSnapshot`, usable as is by React's `useSyncExternalStore`, Vue refs or
 * Angular signals) plus typed events and actions that return promises.
 *
 * The constructor never blocks: the module loads asynchronously (`ready`); calls made before
 * it is ready (`connect`, actions) run as soon as it is.
 */
import { NotificationError } from "./errors.js";
import {
  CLEAR_USER,
  CONNECT,
  ARCHIVE,
  DISCONNECT,
  EDIT,
  Io,
  LOAD_MORE,
  READ,
  REFRESH,
  REMOVE,
  SEEN,
  UNARCHIVE,
  UNREAD,
} from "./io.js";
import { toCoreOptions, type CoreOptions } from "./options.js";
import type {
  ClientError,
  Logger,
  LogLevel,
  Notification,
  NotificationClientEvent,
  NotificationClientEvents,
  NotificationClientOptions,
  NotificationState,
  Status,
  Transport,
} from "./types.js";
import { subjectOf } from "./user.js";
import { loadCore, type NotificationCore } from "./wasm.js";

type Events<TData> = NotificationClientEvents<TData>;
type Listener<TData, K extends NotificationClientEvent> = (value: Events<TData>[K]) => void;
type ListenerSets<TData> = { [K in NotificationClientEvent]: Set<Listener<TData, K>> };
type Settle = { resolve: () => void; reject: (error: NotificationError) => void };

const INITIAL_STATE: NotificationState<never> = Object.freeze({
  notifications: Object.freeze([]),
  unreadCount: 0,
  unseenCount: 0,
  status: "idle",
  transport: null,
  lastError: null,
  hasMore: true,
});

const WASM_INLINED = "the .wasm failed to load: using the inlined copy";
const WASM_UNAVAILABLE = "WebAssembly unavailable (a Content-Security-Policy needs script-src 'wasm-unsafe-eval')";

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

function toLog(logger: Logger | undefined): (level: LogLevel, message: string, detail?: unknown) => void {
  if (logger === undefined) return () => {};
  if (typeof logger === "function") return logger;
  return (level, message, detail) => logger[level](`[notifications] ${message}`, detail);
}

export class NotificationClient<TData = Record<string, unknown> | null> {
  /** Resolves once the WebAssembly module is instantiated; rejects with `wasm_unavailable`. */
  readonly ready: Promise<void>;
  #core: NotificationCore | null = null;
  readonly #io: Io;
  readonly #options: NotificationClientOptions;
  readonly #coreOptions: CoreOptions;
  readonly #log: (level: LogLevel, message: string, detail?: unknown) => void;
  readonly #subscribers = new Set<() => void>();
  readonly #listeners: ListenerSets<TData> = {
    notification: new Set(),
    notificationUpdated: new Set(),
    notificationDeleted: new Set(),
    allRead: new Set(),
    unreadCount: new Set(),
    status: new Set(),
    error: new Set(),
  };
  readonly #actions = new Map<number, Settle>();
  #nextAction = 1;
  #snapshot: NotificationState<TData> | null = null;
  /** Before the core exists: the state shown (idle, or the `wasm_unavailable` failure). */
  #fallback: NotificationState<TData> = INITIAL_STATE;
  #wantConnected = false;
  #destroyed = false;
  #userKey: string | undefined;
  /** The `sub` of the last token, to notice another user signing in. */
  #subject: string | undefined;
  #transport: Transport | null = null;
  #reconnectAt = -1;

  constructor(options: NotificationClientOptions) {
    this.#coreOptions = toCoreOptions(options);
    this.#options = options;
    this.#userKey = options.userKey;
    this.#log = toLog(options.logger);
    this.#io = new Io(
      () => this.#token(),
      (kind, value) => this.#onCoreEvent(kind, value),
    );
    this.ready = loadCore(options.wasmUrl).then(
      ({ Core, fallbackCause }) => {
        if (fallbackCause !== undefined) this.#log("warn", WASM_INLINED, fallbackCause);
        this.#start(Core);
      },
      (cause: unknown) => {
        this.#unavailable(cause);
        throw new NotificationError({ code: "wasm_unavailable", message: WASM_UNAVAILABLE });
      },
    );
    // `ready` is for whoever awaits it; the failure itself shows in the state and events.
    this.ready.catch(() => {});
  }

  /** Starts connecting (WebSocket first, SSE when WebSocket can't get through). */
  connect(): void {
    this.#assertAlive();
    this.#wantConnected = true;
    if (this.#core !== null) this.#connectCore(this.#core);
  }

  /** Closes the connection and stops reconnecting; `connect()` starts again. */
  disconnect(): void {
    this.#wantConnected = false;
    this.#core?.input(DISCONNECT, 0, 0);
    this.#io.unlisten();
  }

  /** Disconnects and releases the WebAssembly memory; the client can't be used afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#core?.input(DISCONNECT, 0, 0);
    this.#io.close();
    this.#destroyed = true;
    this.#snapshot = null;
    this.#core?.free();
    this.#core = null;
    this.#subscribers.clear();
    for (const set of Object.values(this.#listeners)) set.clear();
    for (const { reject } of this.#actions.values()) {
      reject(new NotificationError({ code: "destroyed", message: "the client was destroyed" }));
    }
    this.#actions.clear();
  }

  /**
   * Another user signs in (or out): the list and counts are cleared at once and a live
   * connection restarts with a fresh token. Nothing of the previous user stays visible.
   * With the same `userKey` as before, nothing happens.
   */
  switchUser(userKey?: string): void {
    this.#assertAlive();
    if (userKey !== undefined && userKey === this.#userKey) return;
    this.#userKey = userKey;
    this.#subject = undefined;
    this.#log("info", "user switched: clearing notifications");
    this.#core?.input(CLEAR_USER, 1, 0);
  }

  /** Marks one notification read, and seen (at once; rolled back if the server refuses). */
  markRead(id: string): Promise<void> {
    return this.#edit(READ, [id]);
  }

  /** Marks one notification unread again; it stays seen (at once; rolled back if refused). */
  markUnread(id: string): Promise<void> {
    return this.#edit(UNREAD, [id]);
  }

  /** Marks every notification read (at once; rolled back if the server refuses). */
  markAllRead(): Promise<void> {
    return this.#edit(READ, null);
  }

  /** Marks notifications seen, e.g. those shown in an open list (1..100 ids; at once, rolled back if refused). */
  markSeen(ids: readonly string[]): Promise<void> {
    return this.#edit(SEEN, ids);
  }

  /** Marks every notification seen, as when the bell is opened (at once; rolled back if refused). */
  markAllSeen(): Promise<void> {
    return this.#edit(SEEN, null);
  }

  /** Archives one notification: it leaves the default list and the counts (at once; rolled back if refused). */
  archive(id: string): Promise<void> {
    return this.#edit(ARCHIVE, [id]);
  }

  /** Brings an archived notification back (at once; rolled back if refused). */
  unarchive(id: string): Promise<void> {
    return this.#edit(UNARCHIVE, [id]);
  }

  /** Deletes one notification (at once; restored if the server refuses, e.g. `not_found`). */
  remove(id: string): Promise<void> {
    return this.#edit(REMOVE, [id]);
  }

  /** Loads the next page of older notifications (resolves at once while one loads or at the end). */
  loadMore(): Promise<void> {
    return this.#act((core, action) => core.input(LOAD_MORE, action, 0));
  }

  /** Reloads the first page and the unread count; resolves when the page is in. */
  refresh(): Promise<void> {
    return this.#act((core, action) => core.input(REFRESH, action, 0));
  }

  /** Calls `listener` after every state change; returns the function that unsubscribes it. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#subscribers.add(listener);
    return () => {
      this.#subscribers.delete(listener);
    };
  };

  /** The current state; the same object until something changes. */
  readonly getSnapshot = (): NotificationState<TData> => {
    if (this.#snapshot === null) this.#snapshot = this.#readState();
    return this.#snapshot;
  };

  /** Listens to one event; returns the function that removes the listener. */
  on<K extends NotificationClientEvent>(event: K, listener: Listener<TData, K>): () => void {
    const set = this.#listeners[event] as Set<Listener<TData, K>> | undefined;
    if (set === undefined) throw new TypeError(`NotificationClient: unknown event "${event}"`);
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends NotificationClientEvent>(event: K, listener: Listener<TData, K>): void {
    (this.#listeners[event] as Set<Listener<TData, K>> | undefined)?.delete(listener);
  }

  get status(): Status {
    return this.getSnapshot().status;
  }

  get unreadCount(): number {
    return this.getSnapshot().unreadCount;
  }

  get unseenCount(): number {
    return this.getSnapshot().unseenCount;
  }

  get notifications(): readonly Notification<TData>[] {
    return this.getSnapshot().notifications;
  }

  #start(Core: typeof NotificationCore): void {
    if (this.#destroyed) return;
    const core = new Core(this.#coreOptions, this.#io, Math.random() * 2 ** 53);
    this.#core = this.#io.core = core;
    if (this.#wantConnected) this.#connectCore(core);
  }

  #connectCore(core: NotificationCore): void {
    this.#io.listen();
    core.input(CONNECT, 0, 0);
  }

  #unavailable(cause: unknown): void {
    this.#log("error", WASM_UNAVAILABLE, cause);
    if (this.#destroyed) return;
    const error: ClientError = { code: "wasm_unavailable", message: WASM_UNAVAILABLE };
    this.#fallback = Object.freeze({ ...INITIAL_STATE, status: "disconnected", lastError: error });
    this.#snapshot = null;
    for (const { reject } of this.#actions.values()) reject(new NotificationError(error));
    this.#actions.clear();
    this.#emit("status", "disconnected");
    this.#emit("error", error);
    this.#notify();
  }

  /** The app's token; a token naming another `sub` than the last one clears the old user's state. */
  async #token(): Promise<unknown> {
    const token: unknown = await this.#options.getToken();
    const subject = subjectOf(token);
    if (subject !== undefined) {
      const previous = this.#subject;
      this.#subject = subject;
      if (previous !== undefined && previous !== subject) {
        this.#log("info", "the token names another user: clearing notifications");
        this.#core?.input(CLEAR_USER, 1, 0);
      }
    }
    return token;
  }

  /** The action `edit` on `ids` (`null`: all of them). */
  #edit(edit: number, ids: readonly string[] | null): Promise<void> {
    const text = JSON.stringify(ids === null ? null : ids.map(String));
    return this.#act((core, action) => core.inputText(EDIT, action, text, edit, 0));
  }

  /** Runs an action now (or once the module is ready); settles when the server has answered. */
  #act(run: (core: NotificationCore, action: number) => void): Promise<void> {
    if (this.#destroyed) return Promise.reject(new Error("NotificationClient: used after destroy()"));
    const action = this.#nextAction++;
    const settled = new Promise<void>((resolve, reject) => this.#actions.set(action, { resolve, reject }));
    if (this.#core !== null) {
      run(this.#core, action);
    } else {
      this.ready.then(
        () => {
          if (this.#core !== null) run(this.#core, action);
        },
        () => this.#settle(action, this.#fallback.lastError),
      );
    }
    return settled;
  }

  #settle(action: number, error: ClientError | null): void {
    const pending = this.#actions.get(action);
    if (pending === undefined) return;
    this.#actions.delete(action);
    if (error === null) pending.resolve();
    else pending.reject(new NotificationError(error));
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error("NotificationClient: used after destroy()");
  }

  #readState(): NotificationState<TData> {
    const core = this.#core;
    if (this.#destroyed) return { ...INITIAL_STATE, status: "disconnected", hasMore: false };
    if (core === null) return this.#fallback;
    return Object.freeze({
      notifications: Object.freeze(core.notifications() as Notification<TData>[]),
      unreadCount: core.unreadCount(),
      unseenCount: core.unseenCount(),
      status: core.status() as Status,
      transport: (core.transport() ?? null) as Transport | null,
      lastError: core.lastError() as ClientError | null,
      hasMore: core.hasMore(),
    });
  }

  #notify(): void {
    for (const subscriber of [...this.#subscribers]) safely(subscriber, undefined);
  }

  #emit<K extends NotificationClientEvent>(event: K, value: Events<TData>[K]): void {
    for (const listener of [...(this.#listeners[event] as Set<Listener<TData, K>>)]) {
      safely(listener, value);
    }
  }

  #onCoreEvent(kind: string, value: unknown): void {
    this.#snapshot = null;
    switch (kind) {
      case "change":
        this.#logTransport();
        this.#notify();
        return;
      case "resolved":
        this.#settle(value as number, null);
        return;
      case "rejected":
        this.#settle((value as { action: number }).action, value as ClientError);
        return;
      case "status":
        this.#log("debug", `status: ${value as string}`);
        break;
      case "error":
        this.#log("warn", `error: ${(value as ClientError).code}`, value);
        break;
    }
    this.#emit(kind as NotificationClientEvent, value as never);
  }

  #logTransport(): void {
    const core = this.#core;
    if (core === null) return;
    const transport = (core.transport() ?? null) as Transport | null;
    if (transport !== this.#transport) {
      this.#transport = transport;
      if (transport !== null) this.#log("info", `connected over ${transport}`);
    }
    const at = core.reconnectAt();
    if (at !== this.#reconnectAt) {
      this.#reconnectAt = at;
      if (at >= 0) this.#log("info", `reconnecting in ${Math.max(0, at - Date.now())} ms`);
    }
  }
}
