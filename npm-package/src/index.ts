/**
 * `@ghostpay/notifications`: real-time in-app notifications for web apps.
 *
 * ```ts
 * import { NotificationClient } from "@ghostpay/notifications";
 * const client = new NotificationClient({ url: "https://notify.example.com", getToken });
 * client.subscribe(() => render(client.getSnapshot()));
 * client.connect();
 * ```
 */
export { NotificationClient } from "./client.js";
export type {
  ClientError,
  ClientErrorCode,
  ErrorCode,
  Notification,
  NotificationClientEvent,
  NotificationClientEvents,
  NotificationClientOptions,
  NotificationState,
  ReconnectOptions,
  Status,
  Transport,
} from "./types.js";
