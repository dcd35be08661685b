// Generated from bindings/src/lib.rs by bindings/tests/typescript.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p notify-bindings` after changing the Rust types.

export type Notification = { 
/**
 * Time-ordered: a user's later notification compares greater.
 */
id: string, userId: string, type: string, title: string, message: string, data: Record<string, unknown> | null, isRead: boolean, 
/**
 * RFC 3339 UTC with milliseconds, e.g. `2026-11-25T17:00:00.000Z`.
 */
createdAt: string, readAt: string | null, 
/**
 * Seen in a list (the bell was opened); marking read also marks seen.
 */
isSeen: boolean, seenAt: string | null, 
/**
 * Archived notifications leave the default list and every count.
 */
isArchived: boolean, 
/**
 * When it was first archived; null while not archived.
 */
archivedAt: string | null, };

export type UnreadCount = { count: number, unseen: number, };

export type Counts = { unread: number, unseen: number, total: number, };

export type SeenRequest = { ids: Array<string>, };

export type NotificationId = { id: string, };

export type AllRead = { readAt: string, };

export type AllSeen = { seenAt: string, };

export type Empty = Record<symbol, never>;

export type ServerEvent = { "type": "notification", "data": Notification } | { "type": "unread_count", "data": UnreadCount } | { "type": "notification_updated", "data": Notification } | { "type": "notification_deleted", "data": NotificationId } | { "type": "all_read", "data": AllRead } | { "type": "all_seen", "data": AllSeen } | { "type": "resync", "data": Empty };

export type Envelope = { seq?: number, } & ({ "type": "notification", "data": Notification } | { "type": "unread_count", "data": UnreadCount } | { "type": "notification_updated", "data": Notification } | { "type": "notification_deleted", "data": NotificationId } | { "type": "all_read", "data": AllRead } | { "type": "all_seen", "data": AllSeen } | { "type": "resync", "data": Empty });

export type CreateNotification = { userId: string, title: string, message?: string, type?: string, data?: Record<string, unknown> | null, };

export type Page = { items: Array<Notification>, nextCursor: string | null, };

export type ListRequest = { limit?: number, before?: string, unreadOnly?: boolean, 
/**
 * `true` lists only unseen notifications.
 */
unseen?: boolean, archived?: boolean | "all", 
/**
 * An exact type, or a prefix ending in `.*` (`payment.*`).
 */
type?: string, };

export type SubscribeRequest = { since?: string, sinceSeq?: number, };

export type SubscribeResult = { unreadCount: number, unseenCount: number, 
/**
 * The seq of the state the counts describe (0 before the user's first change).
 */
seq: number, 
/**
 * With v1's `since`: every notification newer than it, oldest first, at most 500.
 */
missed: Array<Notification>, 
/**
 * With `sinceSeq`: every change after it, oldest first, at most 500, as each was pushed.
 */
changes?: Array<Envelope>, 
/**
 * True when the catch-up can't be complete: reload the first page.
 */
resync: boolean, };

export type RefreshToken = { token: string, };

export type TokenRefreshed = { 
/**
 * RFC 3339 UTC with milliseconds, like every timestamp of the contract.
 */
expiresAt: string, };

export type Updated = { updated: number, };

export type ErrorCode = "unauthorized" | "forbidden" | "not_found" | "invalid_json" | "validation_failed" | "payload_too_large" | "rate_limited" | "unavailable" | "internal";

export type ErrorBody = { code: ErrorCode, message: string, };

export type ErrorResponse = { error: ErrorBody, };

export type Ack<T> = { success: true, data: T, } | { success: false, error: ErrorBody, };
