// The example app: a header with the user, a bell whose badge counts the unseen notifications,
// the unread count and connection indicator; the bell opens the list (which marks everything
// seen), where unread items stand out and each can be marked read or archived; a toast for each
// new one. All state comes from useNotifications(); the provider owns the one connection and
// switches it with the user.
import { useEffect, useState, type FormEvent } from "react";
import { NotificationProvider, useNotifications, type Notification } from "@ghostpay/notifications/react";
import { devNotify, devSignIn, serverUrl, type Session } from "./config";

type SignIn = (session: Session) => void;

export function App({ session, onSignIn }: { session: Session; onSignIn: SignIn }) {
  const [toast, setToast] = useState<Notification | null>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 5000);
    return () => clearTimeout(timer);
  }, [toast]);

  return (
    <NotificationProvider url={serverUrl} getToken={() => session.token} userKey={session.userId} onNotification={setToast}>
      <Header session={session} onSignIn={onSignIn} open={open} onToggle={() => setOpen(!open)} />
      {open && <NotificationList />}
      {toast && (
        <div className="toast" data-testid="toast" role="status" onClick={() => setToast(null)}>
          <strong>{toast.title}</strong>
          {toast.message && <span>{toast.message}</span>}
        </div>
      )}
    </NotificationProvider>
  );
}

/** An action's failure (it rolled back), shown until the next one. */
function useActionError(): [string | null, (action: Promise<unknown>) => void] {
  const [error, setError] = useState<string | null>(null);
  const run = (action: Promise<unknown>) => {
    setError(null);
    action.catch((e: Error) => setError(e.message));
  };
  return [error, run];
}

interface HeaderProps {
  session: Session;
  onSignIn: SignIn;
  open: boolean;
  onToggle: () => void;
}

function Header({ session, onSignIn, open, onToggle }: HeaderProps) {
  const { unreadCount, unseenCount, status, transport, lastError, markAllRead, markAllSeen } = useNotifications();
  const [error, run] = useActionError();
  // Opening the list shows everything in it: all seen, as in the feeds users know.
  const toggle = () => {
    if (!open) run(markAllSeen());
    onToggle();
  };
  return (
    <header>
      <h1>GhostPay</h1>
      <span data-testid="signed-in-user">{session.userId}</span>
      <SwitchUser onSignIn={onSignIn} />
      <span className={`status status-${status}`} data-testid="connection-status" data-transport={transport ?? ""}>
        {status}
      </span>
      {transport && <span className="transport">via {transport}</span>}
      {lastError && <span className="error" data-testid="last-error">{lastError.message}</span>}
      <button onClick={() => devNotify(session.token, "Payment received")}>Send me a test notification</button>
      <button data-testid="mark-all-read" onClick={() => run(markAllRead())} disabled={unreadCount === 0}>
        Mark all as read (<span data-testid="unread-count">{unreadCount}</span> unread)
      </button>
      {error && <span className="error" role="alert">{error}</span>}
      <button className="bell" data-testid="bell" aria-expanded={open} aria-label={`${unseenCount} new notifications`} onClick={toggle}>
        🔔<span className="badge" data-testid="unseen-count">{unseenCount}</span>
      </button>
    </header>
  );
}

function NotificationList() {
  const { notifications, hasMore, markRead, archive, loadMore } = useNotifications();
  const [error, run] = useActionError();
  if (notifications.length === 0) return <p className="empty">No notifications yet.</p>;
  return (
    <main>
      {error && <p className="error" role="alert">{error}</p>}
      <ul className="list">
        {notifications.map((n) => (
          <li key={n.id} className={n.isRead ? "read" : "unread"} data-testid="notification-item" data-id={n.id} data-read={String(n.isRead)}>
            <div>
              <strong>{n.title}</strong>
              {n.message && <p>{n.message}</p>}
              <time dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
            </div>
            <div className="actions">
              {!n.isRead && (
                <button data-testid="mark-read" onClick={() => run(markRead(n.id))}>
                  Mark as read
                </button>
              )}
              <button data-testid="archive" onClick={() => run(archive(n.id))}>
                Archive
              </button>
            </div>
          </li>
        ))}
      </ul>
      {hasMore && <button onClick={() => run(loadMore())}>Load more</button>}
    </main>
  );
}

/** Dev-mode sign-in as another user, without reloading: the provider switches its user. */
function SwitchUser({ onSignIn }: { onSignIn: SignIn }) {
  const [userId, setUserId] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (userId) void devSignIn(userId).then(onSignIn);
  };
  return (
    <form className="switch-user" onSubmit={submit}>
      <input name="switchUserId" placeholder="another user id" value={userId} onChange={(e) => setUserId(e.target.value)} />
      <button data-testid="switch-user" type="submit">Switch user</button>
    </form>
  );
}

/** Dev-mode sign-in: any user id gets a token from the server's POST /dev/token. */
export function Login({ onSignIn }: { onSignIn: SignIn }) {
  const [userId, setUserId] = useState("demo-user");
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    devSignIn(userId).then(onSignIn, (e: Error) => setError(e.message));
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
