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
  io,
  type Io,
  LOAD_MORE,
  READ,
  REFRESH,
  REMOVE,
  RESUME,
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
import { share, type Share } from "./share.js";
import { subjectOf } from "./user.js";
import { loadCore, type NotificationCore } from "./wasm.js";

type Events<TData> = NotificationClientEvents<TData>;
type Listener<TData, K extends NotificationClientEvent> = (value: Events<TData>[K]) => void;
type ListenerSets<TData> = { [K in NotificationClientEvent]: Set<Listener<TData, K>> };
type Settle = { resolve: () => void; reject: (error: NotificationError) => void };
type CoreInput = "input" | "inputText";
/** What the core's `state()` returns (client-wasm/src/glue/client.rs): one export for every field. */
type CoreState = [
  notifications: unknown[],
  unreadCount: number,
  unseenCount: number,
  status: Status,
  transport: Transport | undefined,
  lastError: ClientError | null,
  hasMore: boolean,
  reconnectAt: number,
  seq: number | undefined,
];

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
  /** The core's `reconnectAt` as of the last state read (what `#logTransport` reports). */
  #coreReconnectAt = -1;
  /** `notification` listeners called in every tab (`everyTab`), not only in the one showing it. */
  readonly #everyTab = new Set<unknown>();
  /** The tabs sharing this client's connection, once joined. */
  #share: Share | undefined;
  #joining = false;
  /** Whether this client's core connects (alone, or as the leader of the tabs sharing it). */
  #live = false;
  /** While following another tab: its state, and the change-log position it reached. */
  #mirror: NotificationState<TData> | null = null;
  #mirrorSeq: number | undefined;
  /** The token fetched to learn the user, used by the first connect if this tab leads at once. */
  #early: Promise<unknown> | undefined;

  constructor(options: NotificationClientOptions) {
    this.#coreOptions = toCoreOptions(options);
    this.#options = options;
    this.#userKey = options.userKey;
    this.#log = toLog(options.logger);
    this.#io = io(
      () => {
        const early = this.#early;
        this.#early = undefined;
        return early ?? this.#token();
      },
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

  /**
   * Starts connecting (WebSocket first, SSE when WebSocket can't get through); with
   * `shareConnection` (the default), through the tab that holds the connection for this user.
   */
  connect(): void {
    this.#assertAlive();
    this.#wantConnected = true;
    if (this.#live) this.#goLive();
    else if (this.#share === undefined && !this.#joining) this.#join();
  }

  /** Closes the connection and stops reconnecting; `connect()` starts again. */
  disconnect(): void {
    this.#wantConnected = false;
    this.#leave();
    this.#core?.input(DISCONNECT, 0, 0);
    this.#io.unlisten();
  }

  /** Disconnects and releases the WebAssembly memory; the client can't be used afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.disconnect();
    this.#io.close();
    this.#destroyed = true;
    this.#snapshot = null;
    this.#core?.free();
    this.#core = null;
    this.#subscribers.clear();
    for (const set of Object.values(this.#listeners)) set.clear();
    this.#settleAll({ code: "destroyed", message: "the client was destroyed" });
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
    const shared = this.#share !== undefined;
    // The tabs sharing the connection are the previous user's: connect apart, or with the new user's tabs.
    if (shared) this.disconnect();
    this.#core?.input(CLEAR_USER, 1, 0);
    if (shared) this.connect();
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

  /**
   * Listens to one event; returns the function that removes the listener. Tabs sharing a
   * connection show each `notification` once: in the visible, focused tab, else in the one holding
   * the connection; `{ everyTab: true }` hears it in every tab.
   */
  on<K extends NotificationClientEvent>(
    event: K,
    listener: Listener<TData, K>,
    options?: { readonly everyTab?: boolean },
  ): () => void {
    const set = this.#listeners[event] as Set<Listener<TData, K>> | undefined;
    if (set === undefined) throw new TypeError(`NotificationClient: unknown event "${event}"`);
    set.add(listener);
    if (options?.everyTab) this.#everyTab.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends NotificationClientEvent>(event: K, listener: Listener<TData, K>): void {
    (this.#listeners[event] as Set<Listener<TData, K>> | undefined)?.delete(listener);
    this.#everyTab.delete(listener);
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
    if (this.#live) this.#goLive();
  }

  /** Learns the user (`userKey`, else the token's `sub`), then joins the tabs sharing the connection. */
  #join(): void {
    if (this.#options.shareConnection === false) return this.#goLive();
    this.#joining = true;
    const user =
      this.#userKey !== undefined
        ? Promise.resolve(this.#userKey)
        : (this.#early = this.#token()).then(subjectOf, () => undefined);
    void user.then((user) => {
      this.#joining = false;
      if (!this.#wantConnected || this.#destroyed) return;
      this.#share =
        user === undefined
          ? undefined
          : // Tabs with another filter hold another list: they share another connection.
            share(`@ghostpay/notifications ${this.#coreOptions[0]} ${user} ${this.#coreOptions.slice(14)}`, {
              lead: () => this.#goLive(),
              snapshot: () => [this.getSnapshot(), (this.#core?.state() as CoreState | undefined)?.[8]],
              mirror: (state, events) => {
                this.#early = undefined;
                const [mirror, seq] = state as [NotificationState<TData>, number | undefined];
                this.#mirrorSeq = seq;
                this.#mirror = Object.freeze({ ...mirror, notifications: Object.freeze(mirror.notifications) });
                this.#snapshot = null;
                for (const [kind, value, shown] of events) this.#emit(kind as NotificationClientEvent, value as never, shown);
                this.#notify();
              },
              // Another tab's action: the core input it made, fed to this core with an action of this tab.
              run: (method, [kind, , ...rest]) =>
                this.#act((core, action) =>
                  (core[method === "inputText" ? method : "input"] as (...a: unknown[]) => void)(kind, action, ...rest),
                ),
              settle: (action, error) => this.#settle(action, error),
            });
      if (this.#share === undefined) this.#goLive();
    });
  }

  /** This client connects: alone, or for every tab (taking over the state it mirrored). */
  #goLive(): void {
    this.#live = true;
    const core = this.#core;
    if (core === null) return;
    const mirror = this.#mirror;
    this.#mirror = null;
    if (mirror !== null && mirror.notifications.length > 0) {
      const page = { items: mirror.notifications, nextCursor: mirror.hasMore ? "" : null, seq: this.#mirrorSeq };
      core.inputText(RESUME, mirror.unreadCount, JSON.stringify(page), mirror.unseenCount, 0);
    }
    this.#connectCore(core);
  }

  /** Stops sharing: releases the connection to another tab, or stops following. */
  #leave(): void {
    this.#live = false;
    this.#share?.leave();
    this.#share = undefined;
    if (this.#mirror !== null) {
      this.#mirror = null;
      this.#snapshot = null;
      this.#notify();
    }
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
    this.#settleAll(error);
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
    const share = this.#share;
    if (share?.leads() === false) {
      // Another tab holds the connection: the core input this action makes is sent to it.
      const send = (method: CoreInput) => (...args: unknown[]) => share.act(action, method, args);
      run({ input: send("input"), inputText: send("inputText") } as unknown as NotificationCore, action);
    } else if (this.#core !== null) {
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

  /** Rejects every action still waiting with `error`. */
  #settleAll(error: ClientError): void {
    for (const action of this.#actions.keys()) this.#settle(action, error);
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error("NotificationClient: used after destroy()");
  }

  #readState(): NotificationState<TData> {
    const core = this.#core;
    if (this.#destroyed) return { ...INITIAL_STATE, status: "disconnected", hasMore: false };
    if (this.#mirror !== null) return this.#mirror;
    if (core === null) return this.#fallback;
    const [notifications, unreadCount, unseenCount, status, transport, lastError, hasMore, reconnectAt] =
      core.state() as CoreState;
    this.#coreReconnectAt = reconnectAt;
    return Object.freeze({
      notifications: Object.freeze(notifications as Notification<TData>[]),
      unreadCount,
      unseenCount,
      status,
      transport: transport ?? null,
      lastError,
      hasMore,
    });
  }

  #notify(): void {
    for (const subscriber of [...this.#subscribers]) safely(subscriber, undefined);
  }

  /** Calls the event's listeners; a `notification` another tab shows (`shown` false) only `everyTab` ones. */
  #emit<K extends NotificationClientEvent>(event: K, value: Events<TData>[K], shown = true): void {
    for (const listener of [...(this.#listeners[event] as Set<Listener<TData, K>>)]) {
      if (shown || event !== "notification" || this.#everyTab.has(listener)) safely(listener, value);
    }
  }

  #onCoreEvent(kind: string, value: unknown): void {
    this.#snapshot = null;
    if (kind === "resolved" || kind === "rejected") {
      const error = kind === "rejected" ? (value as ClientError & { action: number }) : null;
      this.#settle(error?.action ?? (value as number), error);
      return;
    }
    // A follower shows the leader's state and events, not its idle core's.
    if (this.#share?.leads() === false) return;
    const shown = this.#share?.relay(kind, value) ?? true;
    switch (kind) {
      case "change":
        this.#logTransport();
        this.#notify();
        return;
      case "status":
        this.#log("debug", `status: ${value as string}`);
        break;
      case "error":
        this.#log("warn", `error: ${(value as ClientError).code}`, value);
        break;
    }
    this.#emit(kind as NotificationClientEvent, value as never, shown);
  }

  #logTransport(): void {
    // The snapshot subscribers read next: the core's state is read once per change.
    const { transport } = this.getSnapshot();
    if (transport !== this.#transport) {
      this.#transport = transport;
      if (transport !== null) this.#log("info", `connected over ${transport}`);
    }
    const at = this.#coreReconnectAt;
    if (at !== this.#reconnectAt) {
      this.#reconnectAt = at;
      if (at >= 0) this.#log("info", `reconnecting in ${Math.max(0, at - Date.now())} ms`);
    }
  }
}
