// @vitest-environment node
/**
 * React adapter during server rendering, in plain Node (no `window`, `document`, `WebSocket`):
 * importing it and rendering a provider touches no browser global and opens no connection.
 */
import { renderToString } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import { NotificationProvider, useNotifications } from "@ghostpay/notifications/react";

function Badge() {
  const { unreadCount, status, notifications } = useNotifications();
  return (
    <span data-testid="unread-count" data-status={status}>
      {unreadCount}/{notifications.length}
    </span>
  );
}

describe("React adapter on a server", () => {
  it("renders the idle state without calling getToken", () => {
    expect(typeof window).toBe("undefined");
    expect(typeof document).toBe("undefined");
    const getToken = vi.fn(() => "unused");
    const html = renderToString(
      <NotificationProvider url="https://notify.example.com" getToken={getToken}>
        <Badge />
      </NotificationProvider>,
    );
    expect(html).toBe('<span data-testid="unread-count" data-status="idle">0<!-- -->/<!-- -->0</span>');
    expect(getToken).not.toHaveBeenCalled();
  });
});
