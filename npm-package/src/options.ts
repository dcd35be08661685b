/** Validates the options and flattens them into what the core reads. */
import type { NotificationClientOptions, Transport } from "./types.js";

/**
 * What the WebAssembly core reads (client-wasm/src/glue/options.rs), by position: an array
 * rather than an object keeps the property names out of both the module and the bundle.
 * `undefined` keeps the core's default.
 */
export type CoreOptions = readonly [
  url: string,
  socketPath: string | undefined,
  initialDelay: number | undefined,
  maxDelay: number | undefined,
  factor: number | undefined,
  maxAttempts: number | undefined,
  websocket: boolean,
  sse: boolean,
  fallbackAfter: number | undefined,
  probeInterval: number | undefined,
  connectTimeout: number | undefined,
  stableAfter: number | undefined,
  sseIdleTimeout: number | undefined,
  pageSize: number | undefined,
  filterType: string | undefined,
  /** `"true"` or `"all"`; `undefined`: the non-archived notifications. */
  archived: string | undefined,
];

const TRANSPORTS: readonly Transport[] = ["websocket", "sse"];

/** A number option as is (`undefined`: the core's default), once checked to lie in [min, max]. */
function number(value: number | undefined, name: string, min: number, max = Infinity): number | undefined {
  if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)) {
    throw new TypeError(`NotificationClient: ${name} must be a number in [${min}, ${max}]`);
  }
  return value;
}

/**
 * An absolute http(s) URL as is; anything else is resolved against the page's `location` (only
 * then is `location` read, so server-side rendering with an absolute URL touches no global).
 */
function resolveUrl(url: unknown): string {
  if (typeof url === "string" && url !== "") {
    if (/^https?:\/\//.test(url)) return url;
    const base = globalThis.location?.href;
    if (base !== undefined && !/^[a-z][a-z\d+.-]*:/i.test(url)) {
      const resolved = new URL(url, base);
      if (/^https?:$/.test(resolved.protocol)) return resolved.href.replace(/\/$/, "");
    }
  }
  throw new TypeError("NotificationClient: url must be an http(s) URL, or a path on the page's origin");
}

/** `filter.type`: a non-empty string, or `undefined` (every type). */
function filterType(type: string | undefined): string | undefined {
  if (type !== undefined && (typeof type !== "string" || type === "")) {
    throw new TypeError("NotificationClient: filter.type must be a non-empty string");
  }
  return type;
}

/** `filter.archived` as the core reads it: `"true"`, `"all"`, or `undefined` (the others). */
function archivedOf(archived: boolean | "all" | undefined): string | undefined {
  if (![undefined, true, false, "all"].includes(archived)) {
    throw new TypeError('NotificationClient: filter.archived must be true, false or "all"');
  }
  return archived ? String(archived) : undefined;
}

export function toCoreOptions(options: NotificationClientOptions): CoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("NotificationClient: options are required");
  }
  const url = resolveUrl(options.url);
  if (typeof options.getToken !== "function") {
    throw new TypeError("NotificationClient: getToken must be a function");
  }
  const transports = options.transports ?? TRANSPORTS;
  if (transports.length === 0 || transports.some((t) => !TRANSPORTS.includes(t))) {
    throw new TypeError('NotificationClient: transports must list "websocket" and/or "sse"');
  }
  const r = options.reconnect ?? {};
  const filter = options.filter ?? {};
  return [
    url,
    options.socketPath,
    number(r.initialDelay, "reconnect.initialDelay", 0),
    number(r.maxDelay, "reconnect.maxDelay", 0),
    number(r.factor, "reconnect.factor", 1),
    number(r.maxAttempts, "reconnect.maxAttempts", 0),
    transports.includes("websocket"),
    transports.includes("sse"),
    number(options.fallbackAfter, "fallbackAfter", 1),
    number(options.probeInterval, "probeInterval", 0),
    number(options.connectTimeout, "connectTimeout", 1),
    number(options.stableAfter, "stableAfter", 0),
    number(options.sseIdleTimeout, "sseIdleTimeout", 1),
    number(options.pageSize, "pageSize", 1, 100),
    filterType(filter.type),
    archivedOf(filter.archived),
  ];
}
