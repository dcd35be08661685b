// A minimal app using the public API with strict types (checked by `tsc --noEmit`).
import {
  NotificationClient,
  type ClientError,
  type Notification,
  type NotificationState,
} from "@ghostpay/notifications";

declare global {
  interface Window {
    nextToken: () => Promise<string>;
  }
}

const server = new URLSearchParams(location.search).get("server") ?? "http://127.0.0.1:3001";
const client = new NotificationClient({
  url: server,
  getToken: () => window.nextToken(),
  reconnect: { initialDelay: 250, maxDelay: 5_000 },
});

function render(state: NotificationState): void {
  document.getElementById("unread")!.textContent = String(state.unreadCount);
  document.getElementById("status")!.textContent = state.status;
  document.getElementById("list")!.replaceChildren(
    ...state.notifications.map((n: Notification) =>
      Object.assign(document.createElement("li"), { textContent: n.title }),
    ),
  );
}

client.subscribe(() => render(client.getSnapshot()));
client.on("error", (e: ClientError) => console.warn(e.code, e.message));
client.on("notification", (n) => console.log("notification", n.id, n.title));
client.connect();
