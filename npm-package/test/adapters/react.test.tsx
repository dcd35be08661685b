/** React adapter: <NotificationProvider> + useNotifications() against the real store and server. */
import { StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NotificationClient } from "@ghostpay/notifications";
import { NotificationProvider, useNotifications, type UseNotifications } from "@ghostpay/notifications/react";
import {
  ADAPTER_NAMES,
  newUser,
  newUserToken,
  notify,
  recordSockets,
  serverUnreadCount,
  serverUrl,
  settleActions,
  track,
} from "./dev-api.js";

const WAIT = { timeout: 15_000 };

function Bell() {
  const { notifications, unreadCount, status, transport, markRead, markAllRead } = useNotifications();
  return (
    <div>
      <span data-testid="unread-count">{unreadCount}</span>
      <span data-testid="connection-status" data-transport={transport ?? ""}>
        {status}
      </span>
      <button data-testid="mark-all-read" onClick={() => track(markAllRead())}>
        all
      </button>
      <ul>
        {notifications.map((n) => (
          <li key={n.id} data-testid="notification-item" data-id={n.id} data-read={String(n.isRead)}>
            {n.title}
            <button data-testid="mark-read" onClick={() => track(markRead(n.id))}>
              read
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

afterEach(async () => {
  await settleActions();
  cleanup();
});

/** Renders a provider for `token` whose hook value the returned function reads, once connected. */
async function renderConnectedProbe(token: string): Promise<() => UseNotifications> {
  let seen: UseNotifications | undefined;
  function Probe() {
    seen = useNotifications();
    return null;
  }
  render(
    <NotificationProvider url={serverUrl()} getToken={() => token}>
      <Probe />
    </NotificationProvider>,
  );
  await waitFor(() => expect(seen?.status).toBe("connected"), WAIT);
  return () => seen!;
}

describe("React adapter", () => {
  it("shows the unread_count the server sends in data-testid=unread-count", async () => {
    const token = await newUserToken("react");
    await notify(token, "one");
    await notify(token, "two");
    render(
      <NotificationProvider url={serverUrl()} getToken={() => token}>
        <Bell />
      </NotificationProvider>,
    );
    expect(screen.getByTestId("connection-status").textContent).toMatch(/idle|connecting/);
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("2"), WAIT);
    expect(screen.getByTestId("connection-status").textContent).toBe("connected");
  });

  it("delivers live notifications, calls onNotification once each, and marks read on the server", async () => {
    const token = await newUserToken("react");
    const onNotification = vi.fn();
    render(
      <NotificationProvider url={serverUrl()} getToken={() => token} onNotification={onNotification}>
        <Bell />
      </NotificationProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
    const first = await notify(token, "first");
    await notify(token, "second");
    // The list and the unread count are two pushes: wait for both.
    await waitFor(() => {
      expect(screen.getAllByTestId("notification-item")).toHaveLength(2);
      expect(screen.getByTestId("unread-count").textContent).toBe("2");
    }, WAIT);
    // The first page may read them before their pushes arrive: the callbacks follow with the pushes.
    await waitFor(() => expect(onNotification.mock.calls.map(([n]) => n.title)).toEqual(["first", "second"]), WAIT);
    expect(screen.getAllByTestId("notification-item")[0]?.textContent).toContain("second");

    const item = screen.getAllByTestId("notification-item").find((li) => li.dataset.id === first)!;
    fireEvent.click(item.querySelector('[data-testid="mark-read"]')!);
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("1"), WAIT);
    await waitFor(async () => expect(await serverUnreadCount(token)).toBe(1), WAIT);

    fireEvent.click(screen.getByTestId("mark-all-read"));
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("0"), WAIT);
    await waitFor(async () => expect(await serverUnreadCount(token)).toBe(0), WAIT);
  });

  it("opens one connection per provider under <StrictMode> and closes it on unmount", async () => {
    const token = await newUserToken("react-strict");
    const getToken = vi.fn(() => token);
    const { sockets, restore } = recordSockets();
    try {
      const view = render(
        <StrictMode>
          <NotificationProvider url={serverUrl()} getToken={getToken}>
            <Bell />
          </NotificationProvider>
        </StrictMode>,
      );
      await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
      expect(getToken).toHaveBeenCalledTimes(1);
      expect(sockets).toHaveLength(1);
      view.unmount();
      await waitFor(() => expect(sockets[0]?.readyState).toBe(WebSocket.CLOSED), WAIT);
    } finally {
      restore();
    }
  });

  it("passes every client option through (SSE only)", async () => {
    const token = await newUserToken("react-sse");
    render(
      <NotificationProvider url={serverUrl()} getToken={() => token} transports={["sse"]}>
        <Bell />
      </NotificationProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
    expect(screen.getByTestId("connection-status").dataset.transport).toBe("sse");
    await notify(token, "over sse");
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("1"), WAIT);
  });

  it("returns the same names as the other adapters, actions returning the client's promises", async () => {
    const token = await newUserToken("react-names");
    const seen = await renderConnectedProbe(token);
    expect(Object.keys(seen())).toEqual(expect.arrayContaining([...ADAPTER_NAMES]));
    expect(seen().client).toBeInstanceOf(NotificationClient);
    await expect(seen().markAllRead()).resolves.toBeUndefined();
  });

  it("exposes unseenCount and the feed actions (v2 server)", async () => {
    const token = await newUserToken("react-feed");
    const seen = await renderConnectedProbe(token);
    const first = await notify(token, "first");
    await notify(token, "second");
    await waitFor(() => expect([seen().unreadCount, seen().unseenCount]).toEqual([2, 2]), WAIT);
    await expect(seen().markAllSeen()).resolves.toBeUndefined();
    await waitFor(() => expect([seen().unreadCount, seen().unseenCount]).toEqual([2, 0]), WAIT);
    await expect(seen().archive(first)).resolves.toBeUndefined();
    await waitFor(() => expect(seen().notifications.map((n) => n.title)).toEqual(["second"]), WAIT);
    expect(seen().unreadCount).toBe(1);
    expect(await serverUnreadCount(token)).toBe(1);
  });

  it("uses an existing client without connecting or destroying it", async () => {
    const token = await newUserToken("react-borrowed");
    const client = new NotificationClient({ url: serverUrl(), getToken: () => token });
    try {
      const view = render(
        <NotificationProvider client={client}>
          <Bell />
        </NotificationProvider>,
      );
      await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("idle"), WAIT);
      client.connect();
      await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
      view.unmount();
      await new Promise((resolve) => setTimeout(resolve, 0)); // the provider's deferred teardown
      expect(client.getSnapshot().status).toBe("connected");
      await notify(token, "after unmount");
      await client.refresh(); // a destroyed client would reject
      expect(client.getSnapshot().unreadCount).toBe(1);
    } finally {
      client.destroy();
    }
  });

  it("a new userKey shows none of the previous user's notifications, then the new user's", async () => {
    const a = await newUser("react-a");
    const b = await newUser("react-b");
    const aIds = [await notify(a.token, "for A 1"), await notify(a.token, "for A 2")];
    const bId = await notify(b.token, "for B");
    const renders: { user: string; ids: string[] }[] = [];
    function Spy({ user }: { user: string }) {
      const { notifications } = useNotifications();
      renders.push({ user, ids: notifications.map((n) => n.id) });
      return <Bell />;
    }
    const app = (user: { userId: string; token: string }) => (
      <NotificationProvider url={serverUrl()} getToken={() => user.token} userKey={user.userId}>
        <Spy user={user.userId} />
      </NotificationProvider>
    );
    const view = render(app(a));
    await waitFor(() => expect(screen.getAllByTestId("notification-item")).toHaveLength(2), WAIT);
    view.rerender(app(b));
    // The list and the unread count are two pushes: wait for both.
    await waitFor(() => {
      expect(screen.getAllByTestId("notification-item").map((li) => li.dataset.id)).toEqual([bId]);
      expect(screen.getByTestId("unread-count").textContent).toBe("1");
    }, WAIT);
    const asB = renders.filter((r) => r.user === b.userId);
    expect(asB.length).toBeGreaterThan(0);
    for (const { ids } of asB) expect(ids.filter((id) => aIds.includes(id))).toEqual([]);
  });

  it("renders on a server (idle state) without creating a connection", () => {
    const getToken = vi.fn(() => "unused");
    const html = renderToString(
      <NotificationProvider url={serverUrl()} getToken={getToken}>
        <Bell />
      </NotificationProvider>,
    );
    expect(html).toContain('data-testid="unread-count">0<');
    expect(html).toContain(">idle<");
    expect(getToken).not.toHaveBeenCalled();
  });

  it("throws a clear error outside a provider", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => render(<Bell />)).toThrow(/inside <NotificationProvider>/);
  });
});
