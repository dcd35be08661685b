"use client";
// The package's React adapter: a provider connecting as the test's user (tokens from the
// Playwright harness, window.nextToken) and a list reading useNotifications().
import { NotificationProvider, useNotifications } from "@ghostpay/notifications/react";

function Feed() {
  const { notifications, unreadCount, status } = useNotifications();
  return (
    <>
      <p>
        unread: <b id="unread">{unreadCount}</b> · status: <b id="status">{status}</b>
      </p>
      <ul id="list">
        {notifications.map((n) => (
          <li key={n.id}>{n.title}</li>
        ))}
      </ul>
    </>
  );
}

export function Notifications({ url }) {
  return (
    <NotificationProvider url={url} getToken={() => window.nextToken()} reconnect={{ initialDelay: 250, maxDelay: 5_000 }}>
      <Feed />
    </NotificationProvider>
  );
}
