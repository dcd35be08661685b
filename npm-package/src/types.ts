/**
 * Public types of `@ghostpay/notifications`.
 *
 * `Notification` and `ErrorCode` are the wire contract's own types, generated from the Rust
 * crate the server serializes with (`bindings/`), so client and server can't drift apart.
 */
import type { ErrorCode, Notification as WireNotification } from "./generated/wire.js";

export type { ErrorCode };

/** A notification as the server sends it; `TData` types its free-form `data`. */
export type Notification<TData = Record<string, unknown> | null> = Omit<WireNotification, "data"> & {
  readonly data: TData;
};

/**
 * Which notifications a client's list holds: a `type` (exact, or a prefix ending in `.*`:
 * `payment.*`) and the archived ones (`true`), the others (`false`, the default) or `"all"`.
 * The counts are then the server's for that type.
 */
export interface NotificationFilter {
  readonly type?: string;
  readonly archived?: boolean | "all";
}

/** Connection status. `idle` until `connect()`; `unauthorized` and `disconnected` are final until the next `connect()`. */
export type Status =
  | "idle"
  | "connecting"
  | "connected"
  | "reconnecting"
  | "unauthorized"
  | "disconnected";

/** How the client is connected: Socket.IO over WebSocket, or the SSE stream (actions then go over REST). */
export type Transport = "websocket" | "sse";

/** The contract's error codes, plus the ones the client raises itself. */
export type ClientErrorCode =
  | ErrorCode
  /** A request or stream could not reach the server. */
  | "network_error"
  /** `getToken` threw, rejected, or returned something that isn't a non-empty string. */
  | "token_error"
  /** The server answered something the client can't read. */
  | "protocol_error"
  /** The connection was lost while an action waited for its answer. */
  | "connection_lost"
  /** The server refused the Socket.IO connection for a reason other than authentication. */
  | "connect_error"
  /** `reconnect.maxAttempts` attempts failed; the client stopped. */
  | "reconnect_failed"
  /**
   * WebAssembly is missing, or a Content-Security-Policy blocks it (`script-src` needs
   * `'wasm-unsafe-eval'`), or the `.wasm` file could not be fetched.
   */
  | "wasm_unavailable"
  /** The action was dropped because another user signed in (`switchUser`, a token with a new `sub`). */
  | "user_changed"
  /** The client was destroyed while the action waited for its answer. */
  | "destroyed";

export interface ClientError {
  readonly code: ClientErrorCode;
  readonly message: string;
  /** The HTTP status, when the error is a REST answer. */
  readonly status?: number;
  /** Seconds to wait before retrying, when a 429 answer said so (and CORS exposes the header). */
  readonly retryAfter?: number;
}

/** The store's state. The same object is returned until something changes. */
export interface NotificationState<TData = Record<string, unknown> | null> {
  /** Newest first, one entry per id, exactly as the server sent them. */
  readonly notifications: readonly Notification<TData>[];
  /** The server's unread count (adjusted by optimistic actions still in flight). */
  readonly unreadCount: number;
  /** The server's count of notifications not yet seen: what a bell badge shows. */
  readonly unseenCount: number;
  readonly status: Status;
  /** The live transport, or `null` while not connected. */
  readonly transport: Transport | null;
  readonly lastError: ClientError | null;
  /** Whether `loadMore()` may find older notifications. */
  readonly hasMore: boolean;
}

/** Reconnect backoff: exponential with full jitter. */
export interface ReconnectOptions {
  /** Ceiling of the first delay, ms. Default 500. */
  readonly initialDelay?: number;
  /** No delay exceeds this, ms. Default 30000. */
  readonly maxDelay?: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
  /** Give up (status `disconnected`) after this many failed attempts. Default: never. */
  readonly maxAttempts?: number;
}

/** Log levels the `logger` option receives. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Where the client logs transport choices, reconnect delays and errors: a function, or an
 * object with one method per level (`console` works).
 */
export type Logger =
  | ((level: LogLevel, message: string, detail?: unknown) => void)
  | { readonly [L in LogLevel]: (message: string, detail?: unknown) => void };

export interface NotificationClientOptions {
  /**
   * The server's base URL, e.g. `https://notify.example.com`, or a path resolved against the
   * page's `location` (`/notify`: the same origin, say behind the app's reverse proxy).
   */
  readonly url: string;
  /**
   * Who is signed in. Changing it (`switchUser`) clears the list and reconnects. A token
   * whose `sub` differs from the previous token's does the same by itself.
   */
  readonly userKey?: string;
  /**
   * Share one connection among the tabs of this origin with the same `url` and user (`userKey`,
   * else the token's `sub`): one tab holds it, the others mirror its state and send their
   * actions through it; when that tab closes another takes over. Default `true`; without Web
   * Locks or BroadcastChannel each tab connects by itself.
   */
  readonly shareConnection?: boolean;
  /** Logs transport choices, reconnect delays and errors. Off by default. */
  readonly logger?: Logger;
  /**
   * Where to fetch the WebAssembly module from, for bundlers that don't emit
   * `new URL("./generated/notify_client_bg.wasm", import.meta.url)` as an asset (the Angular
   * CLI's esbuild builder: copy the file with an `assets` entry and point here). Default: next
   * to the package's module. When the fetch or compile fails, a lazily imported copy of the
   * module inlined in a chunk is used instead (a larger download). The first client of the page
   * decides; the module loads once.
   */
  readonly wasmUrl?: string | URL;
  /**
   * Returns the user's JWT, or a Promise of it. Called before every connect and reconnect
   * (and when a request answers 401), so an expired token is replaced, never reused.
   */
  readonly getToken: () => string | Promise<string>;
  /** Allowed transports; WebSocket is preferred when allowed. Default `["websocket", "sse"]`. */
  readonly transports?: readonly Transport[];
  readonly reconnect?: ReconnectOptions;
  /** Socket.IO path. Default `/socket.io/`. */
  readonly socketPath?: string;
  /** WebSocket failures before the handshake that switch to SSE. Default 2. */
  readonly fallbackAfter?: number;
  /** While on SSE, how often to try WebSocket again, ms. Default 15000. */
  readonly probeInterval?: number;
  /** Time a connection may take to complete its handshake, ms. Default 10000. */
  readonly connectTimeout?: number;
  /** A connection up this long resets the backoff, ms. Default 5000. */
  readonly stableAfter?: number;
  /** SSE silence after which the stream counts as dead, ms. Default 45000. */
  readonly sseIdleTimeout?: number;
  /** Page size of the first page and of `loadMore()`. Default 20 (1..100). */
  readonly pageSize?: number;
  /** What the list holds (and which counts it shows). Default: every non-archived notification. */
  readonly filter?: NotificationFilter;
}

/** Events and the value each listener receives. */
export interface NotificationClientEvents<TData = Record<string, unknown> | null> {
  /** A new notification arrived (live, or caught up after a reconnect); never twice for one id. */
  notification: Notification<TData>;
  /** The server changed a notification (read on another device or tab, say). */
  notificationUpdated: Notification<TData>;
  /** The server deleted a notification. */
  notificationDeleted: { readonly id: string };
  /** The server marked all notifications read (`readAt`: when, if it said). */
  allRead: { readonly readAt: string | null };
  unreadCount: number;
  status: Status;
  /** Connection-level errors, and the errors of refused actions (which also reject their promise). */
  error: ClientError;
}

export type NotificationClientEvent = keyof NotificationClientEvents;
