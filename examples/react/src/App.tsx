// The example app: a header with a bell, unread badge and connection indicator, the list of
// notifications with "mark as read", and a toast for each new one. All state comes from
// useNotifications(); the provider owns the one connection.
import { useEffect, useState, type FormEvent } from "react";
import { NotificationProvider, useNotifications, type Notification } from "@ghostpay/notifications/react";
import { devLogin, devNotify, serverUrl } from "./config";

export function App({ token }: { token: string }) {
  const [toast, setToast] = useState<Notification | null>(null);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 5000);
    return () => clearTimeout(timer);
  }, [toast]);

  return (
    <NotificationProvider url={serverUrl} getToken={() => token} onNotification={setToast}>
      <Header />
      <NotificationList />
      {toast && (
        <div className="toast" data-testid="toast" role="status" onClick={() => setToast(null)}>
          <strong>{toast.title}</strong>
          {toast.message && <span>{toast.message}</span>}
        </div>
      )}
    </NotificationProvider>
  );
}

function Header() {
  const { unreadCount, status, transport, markAllRead } = useNotifications();
  return (
    <header>
      <h1>GhostPay</h1>
      <span className={`status status-${status}`} data-testid="connection-status" data-transport={transport ?? ""}>
        {status}
      </span>
      {transport && <span className="transport">via {transport}</span>}
      <button onClick={() => devNotify("Payment received")}>Send me a test notification</button>
      <button data-testid="mark-all-read" onClick={markAllRead} disabled={unreadCount === 0}>
        Mark all as read
      </button>
      <span className="bell" aria-label={`${unreadCount} unread notifications`}>
        🔔<span className="badge" data-testid="unread-count">{unreadCount}</span>
      </span>
    </header>
  );
}

function NotificationList() {
  const { notifications, hasMore, markRead, loadMore } = useNotifications();
  if (notifications.length === 0) return <p className="empty">No notifications yet.</p>;
  return (
    <main>
      <ul className="list">
        {notifications.map((n) => (
          <li key={n.id} className={n.isRead ? "read" : "unread"} data-testid="notification-item" data-id={n.id} data-read={String(n.isRead)}>
            <div>
              <strong>{n.title}</strong>
              {n.message && <p>{n.message}</p>}
              <time dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
            </div>
            {!n.isRead && (
              <button data-testid="mark-read" onClick={() => markRead(n.id)}>
                Mark as read
              </button>
            )}
          </li>
        ))}
      </ul>
      {hasMore && <button onClick={loadMore}>Load more</button>}
    </main>
  );
}

/** Dev-mode sign-in: any user id gets a token from the server's POST /dev/token. */
export function Login() {
  const [userId, setUserId] = useState("demo-user");
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    devLogin(userId).catch((e: Error) => setError(e.message));
  };
  return (
    <form className="login" onSubmit={submit}>
      <h1>GhostPay Notifications · React</h1>
      <p>Server: {serverUrl} (dev mode)</p>
      <label>
        User id <input name="userId" value={userId} onChange={(e) => setUserId(e.target.value)} />
      </label>
      <button type="submit">Sign in</button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}
