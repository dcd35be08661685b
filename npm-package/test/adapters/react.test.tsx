/** React adapter: <NotificationProvider> + useNotifications() against the real store and server. */
import { StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NotificationProvider, useNotifications } from "@ghostpay/notifications/react";
import { newUserToken, notify, serverUnreadCount, serverUrl } from "./dev-api.js";

const WAIT = { timeout: 15_000 };

function Bell() {
  const { notifications, unreadCount, status, transport, markRead, markAllRead } = useNotifications();
  return (
    <div>
      <span data-testid="unread-count">{unreadCount}</span>
      <span data-testid="connection-status" data-transport={transport ?? ""}>
        {status}
      </span>
      <button data-testid="mark-all-read" onClick={markAllRead}>
        all
      </button>
      <ul>
        {notifications.map((n) => (
          <li key={n.id} data-testid="notification-item" data-id={n.id} data-read={String(n.isRead)}>
            {n.title}
            <button data-testid="mark-read" onClick={() => markRead(n.id)}>
              read
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

afterEach(cleanup);

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
    await waitFor(() => expect(screen.getAllByTestId("notification-item")).toHaveLength(2), WAIT);
    expect(screen.getByTestId("unread-count").textContent).toBe("2");
    expect(onNotification.mock.calls.map(([n]) => n.title)).toEqual(["first", "second"]);
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
    const sockets: WebSocket[] = [];
    const Native = globalThis.WebSocket;
    globalThis.WebSocket = class extends Native {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    };
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
      await waitFor(() => expect(sockets[0]?.readyState).toBe(Native.CLOSED), WAIT);
    } finally {
      globalThis.WebSocket = Native;
    }
  });

  it("passes options to the client (SSE only)", async () => {
    const token = await newUserToken("react-sse");
    render(
      <NotificationProvider url={serverUrl()} getToken={() => token} options={{ transports: ["sse"] }}>
        <Bell />
      </NotificationProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
    expect(screen.getByTestId("connection-status").dataset.transport).toBe("sse");
    await notify(token, "over sse");
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("1"), WAIT);
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
