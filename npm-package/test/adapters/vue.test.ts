/** Vue adapter: NotificationPlugin + useNotifications() against the real store and server. */
import { defineComponent, h, inject } from "vue";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/vue";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NotificationPlugin, useNotifications, type NotificationState } from "@ghostpay/notifications/vue";
import { newUserToken, notify, serverUnreadCount, serverUrl } from "./dev-api.js";

const WAIT = { timeout: 15_000 };

const Bell = defineComponent({
  props: { onArrive: { type: Function, default: undefined } },
  setup(props) {
    const { notifications, unreadCount, status, transport, markRead, markAllRead } = useNotifications(
      (n) => props.onArrive?.(n),
    );
    return () =>
      h("div", [
        h("span", { "data-testid": "unread-count" }, String(unreadCount.value)),
        h("span", { "data-testid": "connection-status", "data-transport": transport.value ?? "" }, status.value),
        h("button", { "data-testid": "mark-all-read", onClick: markAllRead }, "all"),
        h(
          "ul",
          notifications.value.map((n) =>
            h("li", { key: n.id, "data-testid": "notification-item", "data-id": n.id, "data-read": String(n.isRead) }, [
              n.title,
              h("button", { "data-testid": "mark-read", onClick: () => markRead(n.id) }, "read"),
            ]),
          ),
        ),
      ]);
  },
});

afterEach(cleanup);

describe("Vue adapter", () => {
  it("shows the unread_count the server sends, with the guide's authService option", async () => {
    const token = await newUserToken("vue");
    await notify(token, "one");
    const authService = { getToken: vi.fn(async () => token) };
    render(Bell, { global: { plugins: [[NotificationPlugin, { apiUrl: serverUrl(), authService }]] } });
    await waitFor(() => expect(screen.getByTestId("unread-count").textContent).toBe("1"), WAIT);
    expect(screen.getByTestId("connection-status").textContent).toBe("connected");
    expect(authService.getToken).toHaveBeenCalled();
  });

  it("provides notificationService and a reactive notificationState by name", async () => {
    const token = await newUserToken("vue");
    let state: NotificationState | undefined;
    const Probe = defineComponent({
      setup() {
        state = inject<NotificationState>("notificationState");
        const service = inject<{ markAllRead(): void }>("notificationService");
        return () => h("button", { "data-testid": "mark-all-read", onClick: () => service?.markAllRead() }, "x");
      },
    });
    render(Probe, { global: { plugins: [[NotificationPlugin, { url: serverUrl(), getToken: () => token }]] } });
    await waitFor(() => expect(state?.status).toBe("connected"), WAIT);
    await notify(token, "hello");
    await waitFor(() => expect(state?.unreadCount).toBe(1), WAIT);
    expect(state?.notifications.map((n) => n.title)).toEqual(["hello"]);
    await fireEvent.click(screen.getByTestId("mark-all-read"));
    await waitFor(async () => expect(await serverUnreadCount(token)).toBe(0), WAIT);
    await waitFor(() => expect(state?.unreadCount).toBe(0), WAIT);
  });

  it("delivers live notifications to the composable and its callback, and marks read", async () => {
    const token = await newUserToken("vue");
    const onArrive = vi.fn();
    render(Bell, {
      props: { onArrive },
      global: { plugins: [[NotificationPlugin, { apiUrl: serverUrl(), getToken: () => token }]] },
    });
    await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
    const id = await notify(token, "live");
    await waitFor(() => expect(screen.getAllByTestId("notification-item")).toHaveLength(1), WAIT);
    expect(screen.getByTestId("unread-count").textContent).toBe("1");
    expect(onArrive).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByTestId("mark-read"));
    await waitFor(() => expect(screen.getByTestId("notification-item").dataset.read).toBe("true"), WAIT);
    expect(screen.getByTestId("notification-item").dataset.id).toBe(id);
    await waitFor(async () => expect(await serverUnreadCount(token)).toBe(0), WAIT);
  });

  it("connects when the app mounts and disconnects when it unmounts", async () => {
    const token = await newUserToken("vue");
    const sockets: WebSocket[] = [];
    const Native = globalThis.WebSocket;
    globalThis.WebSocket = class extends Native {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    };
    try {
      const view = render(Bell, { global: { plugins: [[NotificationPlugin, { apiUrl: serverUrl(), getToken: () => token }]] } });
      await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
      expect(sockets).toHaveLength(1);
      view.unmount();
      await waitFor(() => expect(sockets[0]?.readyState).toBe(Native.CLOSED), WAIT);
    } finally {
      globalThis.WebSocket = Native;
    }
  });
});
