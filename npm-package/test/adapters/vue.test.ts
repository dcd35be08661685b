/** Vue adapter: NotificationPlugin + useNotifications() against the real store and server. */
import { defineComponent, h, inject, ref } from "vue";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/vue";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NotificationClient } from "@ghostpay/notifications";
import {
  NotificationPlugin,
  useNotifications,
  type NotificationState,
  type UseNotifications,
} from "@ghostpay/notifications/vue";
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
        h("button", { "data-testid": "mark-all-read", onClick: () => track(markAllRead()) }, "all"),
        h(
          "ul",
          notifications.value.map((n) =>
            h("li", { key: n.id, "data-testid": "notification-item", "data-id": n.id, "data-read": String(n.isRead) }, [
              n.title,
              h("button", { "data-testid": "mark-read", onClick: () => track(markRead(n.id)) }, "read"),
            ]),
          ),
        ),
      ]);
  },
});

afterEach(async () => {
  await settleActions();
  cleanup();
});

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
        const service = inject<{ markAllRead(): Promise<void> }>("notificationService");
        return () => h("button", { "data-testid": "mark-all-read", onClick: () => service && track(service.markAllRead()) }, "x");
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
    // The list and the unread count are two pushes: wait for both.
    await waitFor(() => {
      expect(screen.getAllByTestId("notification-item")).toHaveLength(1);
      expect(screen.getByTestId("unread-count").textContent).toBe("1");
    }, WAIT);
    // The first page may read it before its push arrives: the callback follows with the push.
    await waitFor(() => expect(onArrive).toHaveBeenCalledTimes(1), WAIT);
    await fireEvent.click(screen.getByTestId("mark-read"));
    await waitFor(() => expect(screen.getByTestId("notification-item").dataset.read).toBe("true"), WAIT);
    expect(screen.getByTestId("notification-item").dataset.id).toBe(id);
    await waitFor(async () => expect(await serverUnreadCount(token)).toBe(0), WAIT);
  });

  it("connects when the app mounts and disconnects when it unmounts", async () => {
    const token = await newUserToken("vue");
    const { sockets, restore } = recordSockets();
    try {
      const view = render(Bell, { global: { plugins: [[NotificationPlugin, { apiUrl: serverUrl(), getToken: () => token }]] } });
      await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
      expect(sockets).toHaveLength(1);
      view.unmount();
      await waitFor(() => expect(sockets[0]?.readyState).toBe(WebSocket.CLOSED), WAIT);
    } finally {
      restore();
    }
  });

  it("returns the same names as the other adapters, actions returning the client's promises", async () => {
    const token = await newUserToken("vue-names");
    let seen: UseNotifications | undefined;
    const Probe = defineComponent({
      setup() {
        seen = useNotifications();
        return () => h("span");
      },
    });
    render(Probe, { global: { plugins: [[NotificationPlugin, { url: serverUrl(), getToken: () => token }]] } });
    await waitFor(() => expect(seen?.status.value).toBe("connected"), WAIT);
    expect(Object.keys(seen!)).toEqual(expect.arrayContaining([...ADAPTER_NAMES]));
    expect(seen!.client).toBeInstanceOf(NotificationClient);
    await expect(seen!.markAllRead()).resolves.toBeUndefined();
  });

  it("uses an existing client without connecting or destroying it", async () => {
    const token = await newUserToken("vue-borrowed");
    const client = new NotificationClient({ url: serverUrl(), getToken: () => token });
    try {
      const view = render(Bell, { global: { plugins: [[NotificationPlugin, { client }]] } });
      expect(screen.getByTestId("connection-status").textContent).toBe("idle");
      client.connect();
      await waitFor(() => expect(screen.getByTestId("connection-status").textContent).toBe("connected"), WAIT);
      view.unmount();
      expect(client.getSnapshot().status).toBe("connected");
      await notify(token, "after unmount");
      await client.refresh(); // a destroyed client would reject
      await waitFor(() => expect(client.getSnapshot().unreadCount).toBe(1), WAIT);
    } finally {
      client.destroy();
    }
  });

  it("a new userKey shows none of the previous user's notifications, then the new user's", async () => {
    const a = await newUser("vue-a");
    const b = await newUser("vue-b");
    const aId = await notify(a.token, "for A");
    const bId = await notify(b.token, "for B");
    const user = ref(a);
    const renders: { user: string; ids: string[] }[] = [];
    const Spy = defineComponent({
      setup() {
        const { notifications } = useNotifications();
        return () => {
          const ids = notifications.value.map((n) => n.id);
          renders.push({ user: user.value.userId, ids });
          return h("ul", ids.map((id) => h("li", { key: id, "data-testid": "notification-item", "data-id": id })));
        };
      },
    });
    const userKey = () => user.value.userId;
    render(Spy, { global: { plugins: [[NotificationPlugin, { url: serverUrl(), getToken: () => user.value.token, userKey }]] } });
    await waitFor(() => expect(screen.getAllByTestId("notification-item").map((li) => li.dataset.id)).toEqual([aId]), WAIT);
    user.value = b;
    await waitFor(() => expect(screen.getAllByTestId("notification-item").map((li) => li.dataset.id)).toEqual([bId]), WAIT);
    const asB = renders.filter((r) => r.user === b.userId);
    expect(asB.length).toBeGreaterThan(0);
    for (const { ids } of asB) expect(ids).not.toContain(aId);
  });
});
