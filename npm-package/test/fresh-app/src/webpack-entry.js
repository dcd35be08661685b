// The webpack build's entry: plain JavaScript using the package.
import { NotificationClient } from "@ghostpay/notifications";

const server = new URLSearchParams(location.search).get("server");
const client = new NotificationClient({ url: server, getToken: () => window.nextToken() });
client.subscribe(() => {
  const s = client.getSnapshot();
  document.getElementById("unread").textContent = String(s.unreadCount);
  document.getElementById("status").textContent = s.status;
  document.getElementById("list").replaceChildren(
    ...s.notifications.map((n) => Object.assign(document.createElement("li"), { textContent: n.title })),
  );
});
client.connect();
