/**
 * One connection per browser: the clients of one server URL and user, in tabs of one origin,
 * elect a leader with a Web Lock; the leader connects and sends its state and events to the
 * others over a BroadcastChannel of the lock's name, runs their actions and answers them. When
 * the leader's tab goes away the lock passes to another tab, which takes over.
 *
 * A `notification` event goes with the tab that shows it (`to`): the visible, focused tab if
 * there is one (every tab tells the leader), else the leader.
 */
import type { ClientError } from "./types.js";

/** Messages between the tabs (short keys: they are sent for every change). */
type Message =
  /** Leader: the state and the events that led to it, each with the tab that shows it. */
  | { t: "s"; s: unknown; e: [string, unknown, string][] }
  /** Leader: a new leader, to whom the followers report again. */
  | { t: "l" }
  /** Follower: whether tab `i` is visible and focused (also: "I'm here, send the state"). */
  | { t: "f"; i: string; f: boolean }
  /** Follower: tab `i`'s action `n`, the core input `m` (`input`, `inputText`) with the arguments `x`. */
  | { t: "a"; i: string; n: number; m: string; x: unknown[] }
  /** Leader: action `n` of tab `i` settled (`e`: its error). */
  | { t: "r"; i: string; n: number; e: ClientError | null };

/** What the sharing needs from its client. */
export interface ShareHost {
  /** This tab leads now: take over the mirrored state and connect. */
  lead(): void;
  /** Leader: the state to send. */
  snapshot(): unknown;
  /** Follower: the leader's state, and its events (`show`: this tab shows it). */
  mirror(state: unknown, events: [string, unknown, boolean][]): void;
  /** Leader: runs an action (the core input another tab's action made), for that tab or this one. */
  run(method: string, args: unknown[]): Promise<void>;
  /** Settles this tab's action `n`. */
  settle(n: number, error: ClientError | null): void;
}

export interface Share {
  /** Whether this tab holds the connection. */
  leads(): boolean;
  /**
   * Leader: its client's state changed (`change`) or it emitted an event, sent with the next
   * state; returns whether this tab shows the event.
   */
  relay(kind: string, value: unknown): boolean;
  /** Follower: runs action `n` (the core input `method` with `args`) on the leader. */
  act(n: number, method: string, args: unknown[]): void;
  /** Leaves: releases the lock (or stops waiting for it) and the channel; actions still waiting on the leader fail. */
  leave(): void;
}

/** An action's rejection as a `ClientError` (an `Error`'s own fields don't survive `postMessage`). */
const toError = (e: unknown): ClientError => ({
  code: "internal",
  ...(e as object),
  message: String((e as Error | undefined)?.message ?? e),
});

/** Joins the tabs sharing `name`; `undefined` where Web Locks or BroadcastChannel are missing. */
export function share(name: string, host: ShareHost): Share | undefined {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks === undefined || typeof BroadcastChannel !== "function") return undefined;
  const tab = Math.random().toString(36).slice(2);
  const channel = new BroadcastChannel(name);
  const stop = new AbortController();
  /** Follower: actions sent and not yet answered, sent again to a new leader. */
  const acts = new Map<number, [string, unknown[]]>();
  let leading = false;
  let focused: string | null = null;
  let batch: [string, unknown, string][] | null = null;
  const post = (message: Message): void => {
    if (!stop.signal.aborted) channel.postMessage(message);
  };
  const flush = (): void => {
    post({ t: "s", s: host.snapshot(), e: batch ?? [] });
    batch = null;
  };
  const focus = (i: string, f: boolean): void => {
    if (f) focused = i;
    else if (focused === i) focused = null;
  };
  /** Tells the leader whether this tab has the focus (a hidden tab has lost it). */
  const report = (): void => {
    const f = globalThis.document?.hasFocus() ?? false;
    if (leading) focus(tab, f);
    else post({ t: "f", i: tab, f });
  };
  const send = (n: number, m: string, x: unknown[]): void => post({ t: "a", i: tab, n, m, x });
  const run = (m: string, x: unknown[], done: (e: ClientError | null) => void): void =>
    void host.run(m, x).then(() => done(null), (e: unknown) => done(toError(e)));

  channel.onmessage = ({ data: m }: MessageEvent<Message>) => {
    if (m.t === "s" && !leading) host.mirror(m.s, m.e.map(([k, v, to]) => [k, v, to === tab]));
    if (m.t === "l") {
      report();
      acts.forEach(([method, args], n) => send(n, method, args));
    }
    if (m.t === "f" && leading) {
      focus(m.i, m.f);
      flush();
    }
    if (m.t === "a" && leading) run(m.m, m.x, (e) => post({ t: "r", i: m.i, n: m.n, e }));
    if (m.t === "r" && m.i === tab && acts.delete(m.n)) host.settle(m.n, m.e);
  };
  /** A closing tab gets no `blur`: it says it lost the focus, so the leader doesn't show toasts there. */
  const unfocus = (): void => post({ t: "f", i: tab, f: false });
  // Pages have focus events; workers and Node (where Web Locks may exist too) have none.
  for (const type of ["focus", "blur"]) globalThis.addEventListener?.(type, report, { signal: stop.signal });
  globalThis.addEventListener?.("pagehide", unfocus, { signal: stop.signal });
  locks
    .request(name, { signal: stop.signal }, () => {
      leading = true;
      host.lead();
      report();
      // Actions this tab sent to the leader that went away run here now.
      acts.forEach(([method, args], n) => run(method, args, (e) => host.settle(n, e)));
      acts.clear();
      post({ t: "l" });
      return new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
    })
    .catch(() => {});
  report();

  return {
    leads: () => leading,
    relay(kind, value) {
      const to = focused ?? tab;
      if (batch === null) {
        batch = [];
        queueMicrotask(flush);
      }
      if (kind !== "change") batch.push([kind, value, to]);
      return to === tab;
    },
    act(n, method, args) {
      acts.set(n, [method, args]);
      send(n, method, args);
    },
    leave() {
      unfocus();
      stop.abort();
      channel.close();
      acts.forEach((_, n) => host.settle(n, { code: "connection_lost", message: "left the shared connection" }));
    },
  };
}
