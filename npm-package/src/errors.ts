/** `NotificationError`: what the actions' promises reject with. */
import type { ClientError, ClientErrorCode } from "./types.js";

/** A refused or failed action (or an unusable client): a real `Error` with the contract's code. */
export class NotificationError extends Error implements ClientError {
  readonly code: ClientErrorCode;
  readonly status?: number;
  readonly retryAfter?: number;

  constructor(error: ClientError) {
    super(error.message);
    this.name = "NotificationError";
    this.code = error.code;
    if (error.status !== undefined) this.status = error.status;
    if (error.retryAfter !== undefined) this.retryAfter = error.retryAfter;
  }
}
