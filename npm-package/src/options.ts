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

function checkNumber(name: string, value: number | undefined, min: number, max = Infinity): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`NotificationClient: ${name} must be a number in [${min}, ${max}]`);
  }
}

/**
 * An absolute http(s) URL as is; anything else is resolved against the page's `location` (only
 * then is `location` read, so server-side rendering with an absolute URL touches no global).
 */
function resolveUrl(url: unknown): string {
  if (typeof url === "string" && url !== "") {
    if (/^https?:\/\//.test(url)) return url;
    const base = typeof location === "object" && location !== null ? location.href : undefined;
    if (base !== undefined && !/^[a-z][a-z\d+.-]*:/i.test(url)) {
      const resolved = new URL(url, base);
      if (/^https?:$/.test(resolved.protocol)) return resolved.href.replace(/\/$/, "");
    }
  }
  throw new TypeError("NotificationClient: url must be an http(s) URL, or a path on the page's origin");
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
  checkNumber("reconnect.initialDelay", r.initialDelay, 0);
  checkNumber("reconnect.maxDelay", r.maxDelay, 0);
  checkNumber("reconnect.factor", r.factor, 1);
  checkNumber("reconnect.maxAttempts", r.maxAttempts, 0);
  checkNumber("fallbackAfter", options.fallbackAfter, 1);
  checkNumber("probeInterval", options.probeInterval, 0);
  checkNumber("connectTimeout", options.connectTimeout, 1);
  checkNumber("stableAfter", options.stableAfter, 0);
  checkNumber("sseIdleTimeout", options.sseIdleTimeout, 1);
  checkNumber("pageSize", options.pageSize, 1, 100);
  const filter = options.filter ?? {};
  if (filter.type !== undefined && (typeof filter.type !== "string" || filter.type === "")) {
    throw new TypeError("NotificationClient: filter.type must be a non-empty string");
  }
  if (![undefined, true, false, "all"].includes(filter.archived)) {
    throw new TypeError('NotificationClient: filter.archived must be true, false or "all"');
  }
  return [
    url,
    options.socketPath,
    r.initialDelay,
    r.maxDelay,
    r.factor,
    r.maxAttempts,
    transports.includes("websocket"),
    transports.includes("sse"),
    options.fallbackAfter,
    options.probeInterval,
    options.connectTimeout,
    options.stableAfter,
    options.sseIdleTimeout,
    options.pageSize,
    filter.type,
    filter.archived === true || filter.archived === "all" ? String(filter.archived) : undefined,
  ];
}
