/**
 * `@ghostpay/notifications`: real-time in-app notifications for web apps.
 *
 * ```ts
 * import { NotificationClient } from "@ghostpay/notifications";
 * const client = new NotificationClient({ url: "https://notify.example.com", getToken });
 * client.subscribe(() => render(client.getSnapshot()));
 * client.connect();
 * await client.markRead(id); // resolves once the server confirmed
 * ```
 */
export { NotificationClient } from "./client.js";
export { NotificationError } from "./errors.js";
export type {
  ClientError,
  ClientErrorCode,
  ErrorCode,
  Logger,
  LogLevel,
  Notification,
  NotificationClientEvent,
  NotificationClientEvents,
  NotificationClientOptions,
  NotificationFilter,
  NotificationState,
  ReconnectOptions,
  Status,
  Transport,
} from "./types.js";
