//! Wire types of the GhostPay notification contract, shared by the server and its clients.
//!
//! Everything that crosses the wire is here: the [`Notification`] itself, the envelopes the
//! server pushes ([`ServerEvent`]), the payloads and acknowledgements of client events, the
//! REST request and response bodies, and the error codes. The module is pure serde: no tokio,
//! no wasm-bindgen, so the server and the WebAssembly client can both depend on it.
//!
//! With the `ts` feature every type also derives TypeScript definitions; the checked-in
//! `typescript/index.d.ts` is generated from them (see `tests/typescript.rs`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// The Socket.IO namespace every client connects to.
pub const NAMESPACE: &str = "/notifications";

/// Event names, shared by Socket.IO events and the `type` of every envelope.
pub mod events {
    /// Server → client: a new notification.
    pub const NOTIFICATION: &str = "notification";
    /// Server → client: the user's fresh unread count.
    pub const UNREAD_COUNT: &str = "unread_count";
    /// Server → client: a notification changed (e.g. it is now read).
    pub const NOTIFICATION_UPDATED: &str = "notification_updated";
    /// Server → client: a notification was deleted.
    pub const NOTIFICATION_DELETED: &str = "notification_deleted";
    /// Server → client: every notification of the user is now read.
    pub const ALL_READ: &str = "all_read";
    /// Server → client: every notification of the user is now seen.
    pub const ALL_SEEN: &str = "all_seen";
    /// Server → client (SSE only): too much was missed; reload the first page.
    pub const RESYNC: &str = "resync";
    /// Client → server: catch up and get the unread count.
    pub const SUBSCRIBE_NOTIFICATIONS: &str = "subscribe_notifications";
    /// Client → server: mark one notification read.
    pub const MARK_READ: &str = "mark_read";
    /// Client → server: mark every notification read.
    pub const MARK_ALL_READ: &str = "mark_all_read";
    /// Client → server: list a page of notifications.
    pub const LIST_NOTIFICATIONS: &str = "list_notifications";
    /// Client → server: replace the socket's token before it expires.
    pub const REFRESH_TOKEN: &str = "refresh_token";
    /// Client → server: mark one notification unread (it stays seen).
    pub const MARK_UNREAD: &str = "mark_unread";
    /// Client → server: archive one notification.
    pub const ARCHIVE: &str = "archive";
    /// Client → server: bring one archived notification back.
    pub const UNARCHIVE: &str = "unarchive";
    /// Client → server: mark the notifications named by `ids` seen.
    pub const MARK_SEEN: &str = "mark_seen";
    /// Client → server: mark every notification seen.
    pub const MARK_ALL_SEEN: &str = "mark_all_seen";
}

/// Limits the contract puts on a notification's fields.
pub mod limits {
    /// Title length in characters (Unicode scalar values).
    pub const TITLE_MAX_CHARS: usize = 200;
    /// Message length in characters.
    pub const MESSAGE_MAX_CHARS: usize = 2000;
    /// `type` length in characters.
    pub const TYPE_MAX_CHARS: usize = 100;
    /// `userId` length in characters.
    pub const USER_ID_MAX_CHARS: usize = 255;
    /// `data` serialized as JSON, in bytes.
    pub const DATA_MAX_BYTES: usize = 8 * 1024;
    /// Page size bounds and default.
    pub const PAGE_LIMIT_MIN: u32 = 1;
    pub const PAGE_LIMIT_MAX: u32 = 100;
    pub const PAGE_LIMIT_DEFAULT: u32 = 20;
    /// Most notifications a catch-up (`since` / `Last-Event-ID`) returns before asking for a resync.
    pub const CATCH_UP_MAX: usize = 500;
    /// Ids one `mark_seen` / `POST /notifications/seen` may name.
    pub const SEEN_IDS_MIN: usize = 1;
    pub const SEEN_IDS_MAX: usize = 100;
}

/// The type a notification gets when the publisher names none.
pub const DEFAULT_TYPE: &str = "info";

/// One notification of one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Time-ordered: a user's later notification compares greater.
    pub id: String,
    pub user_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub message: String,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>, required = true))]
    pub data: Option<Map<String, Value>>,
    pub is_read: bool,
    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-25T17:00:00.000Z`.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, required = true))]
    pub read_at: Option<String>,
    /// Seen in a list (the bell was opened); marking read also marks seen.
    pub is_seen: bool,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, required = true))]
    pub seen_at: Option<String>,
    /// Archived notifications leave the default list and every count.
    pub is_archived: bool,
    /// When it was first archived; null while not archived.
    #[cfg_attr(feature = "openapi", schema(format = DateTime, required = true))]
    pub archived_at: Option<String>,
}

/// `{"count": n, "unseen": n}`: how many of a user's non-archived notifications are unread,
/// and how many unseen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unseen: u64,
}

/// `{"unread": n, "unseen": n, "total": n}`: `GET /notifications/counts`, over the non-archived
/// notifications of the requested type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unseen: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

/// `{"ids": [...]}`: the notifications `mark_seen` / `POST /notifications/seen` marks seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeenRequest {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub ids: Vec<String>,
}

/// Which notifications a list holds by their archived state: `false` (the default) only the
/// ones not archived, `true` only the archived ones, `"all"` both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Archived {
    #[default]
    Exclude,
    Only,
    Include,
}

impl Archived {
    /// Reads the REST query value: `false`, `true` or `all`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "false" => Some(Archived::Exclude),
            "true" => Some(Archived::Only),
            "all" => Some(Archived::Include),
            _ => None,
        }
    }
}

impl Serialize for Archived {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Archived::Exclude => s.serialize_bool(false),
            Archived::Only => s.serialize_bool(true),
            Archived::Include => s.serialize_str("all"),
        }
    }
}

impl<'de> Deserialize<'de> for Archived {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(false) => Ok(Archived::Exclude),
            Value::Bool(true) => Ok(Archived::Only),
            Value::String(text) if text == "all" => Ok(Archived::Include),
            _ => Err(serde::de::Error::custom("expected false, true or \"all\"")),
        }
    }
}

/// `{"id": "..."}`: names one notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NotificationId {
    pub id: String,
}

/// `{"readAt": "..."}`: when every notification was marked read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct AllRead {
    pub read_at: String,
}

/// `{"seenAt": "..."}`: when every notification was marked seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct AllSeen {
    pub seen_at: String,
}

/// `{}`: an empty object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Empty {}

/// What the server pushes, on Socket.IO (event name = `type`) and SSE alike:
/// `{"type": <event name>, "data": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ServerEvent {
    Notification(Notification),
    UnreadCount(UnreadCount),
    NotificationUpdated(Notification),
    NotificationDeleted(NotificationId),
    AllRead(AllRead),
    AllSeen(AllSeen),
    /// SSE only: more was missed than a catch-up returns; reload the first page.
    Resync(Empty),
}

impl ServerEvent {
    /// The Socket.IO event name of this envelope (its `type`).
    pub fn name(&self) -> &'static str {
        match self {
            ServerEvent::Notification(_) => events::NOTIFICATION,
            ServerEvent::UnreadCount(_) => events::UNREAD_COUNT,
            ServerEvent::NotificationUpdated(_) => events::NOTIFICATION_UPDATED,
            ServerEvent::NotificationDeleted(_) => events::NOTIFICATION_DELETED,
            ServerEvent::AllRead(_) => events::ALL_READ,
            ServerEvent::AllSeen(_) => events::ALL_SEEN,
            ServerEvent::Resync(_) => events::RESYNC,
        }
    }
}

/// A pushed envelope with the `seq` of the change it reports: `{"type", "data", "seq"}`.
///
/// Every change to a user's feed gets that user's next `seq` (one more per change, first 1);
/// `unread_count` carries the seq of the state it counts. Envelopes that report no change of
/// the feed (`resync`) carry none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Envelope {
    #[serde(flatten)]
    pub event: ServerEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
    pub seq: Option<u64>,
}

impl Envelope {
    /// The envelope of the change numbered `seq`.
    pub fn change(seq: u64, event: ServerEvent) -> Self {
        Self {
            event,
            seq: Some(seq),
        }
    }
}

/// Body of `POST /notifications` (service tokens only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateNotification {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    pub user_id: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub message: Option<String>,
    #[serde(rename = "type", default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub kind: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, type = "Record<string, unknown> | null"))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<Map<String, Value>>,
}

/// A page of notifications, newest first. `nextCursor` is null once the end is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub items: Vec<Notification>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// Payload of `list_notifications`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ListRequest {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub limit: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub before: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub unread_only: Option<bool>,
    /// `true` lists only unseen notifications.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub unseen: Option<bool>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, type = "boolean | \"all\""))]
    pub archived: Option<Archived>,
    /// An exact type, or a prefix ending in `.*` (`payment.*`).
    #[serde(rename = "type", default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub kind: Option<String>,
}

/// Payload of `subscribe_notifications`: `{}`, `{"sinceSeq": n}` (replay the change log after
/// seq `n`) or v1's `{"since": "<id>"}` (the notifications newer than that id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SubscribeRequest {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub since: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
    pub since_seq: Option<u64>,
}

/// Ack data of `subscribe_notifications`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SubscribeResult {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread_count: u64,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unseen_count: u64,
    /// The seq of the state the counts describe (0 before the user's first change).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    /// With v1's `since`: every notification newer than it, oldest first, at most 500.
    #[serde(default)]
    pub missed: Vec<Notification>,
    /// With `sinceSeq`: every change after it, oldest first, at most 500, as each was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub changes: Option<Vec<Envelope>>,
    /// True when the catch-up can't be complete: reload the first page.
    pub resync: bool,
}

/// Payload of `refresh_token`: `{"token": "<jwt>"}`, a fresh token for the socket's user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RefreshToken {
    pub token: String,
}

/// Ack data of `refresh_token`: `{"expiresAt": "..."}`, when the new token expires (and the
/// server will disconnect the socket unless it is refreshed again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct TokenRefreshed {
    /// RFC 3339 UTC with milliseconds, like every timestamp of the contract.
    pub expires_at: String,
}

/// `{"updated": n}`: how many notifications `read-all`, `seen` or `seen-all` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Updated {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: u64,
}

/// Machine-readable error codes, on REST error bodies and failed acks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    InvalidJson,
    ValidationFailed,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// `{"code": ..., "message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// A REST error response: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

/// The acknowledgement of every client event:
/// `{"success": true, "data": ...}` or `{"success": false, "error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(untagged)]
pub enum Ack<T> {
    Ok { success: True, data: T },
    Err { success: False, error: ErrorBody },
}

impl<T> Ack<T> {
    pub fn ok(data: T) -> Self {
        Ack::Ok {
            success: True,
            data,
        }
    }

    pub fn err(code: ErrorCode, message: impl Into<String>) -> Self {
        Ack::Err {
            success: False,
            error: ErrorBody {
                code,
                message: message.into(),
            },
        }
    }

    /// The data of a successful ack, or the error of a failed one.
    pub fn into_result(self) -> Result<T, ErrorBody> {
        match self {
            Ack::Ok { data, .. } => Ok(data),
            Ack::Err { error, .. } => Err(error),
        }
    }
}

macro_rules! bool_literal {
    ($name:ident, $value:literal) => {
        #[doc = concat!("The JSON literal `", stringify!($value), "`, so acks deserialize by their `success` flag.")]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bool($value)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                match bool::deserialize(d)? {
                    $value => Ok($name),
                    _ => Err(serde::de::Error::custom(concat!("expected ", stringify!($value)))),
                }
            }
        }

        #[cfg(feature = "ts")]
        impl TS for $name {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                stringify!($value).to_owned()
            }
            fn inline(_: &ts_rs::Config) -> String {
                stringify!($value).to_owned()
            }
        }
    };
}

bool_literal!(True, true);
bool_literal!(False, false);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Notification {
        Notification {
            id: "0193".into(),
            user_id: "42".into(),
            kind: "payment.received".into(),
            title: "Payment received".into(),
            message: "You got $20".into(),
            data: json!({"amount": 20}).as_object().cloned(),
            is_read: false,
            created_at: "2026-11-25T17:00:00.000Z".into(),
            read_at: None,
            is_seen: false,
            seen_at: None,
            is_archived: false,
            archived_at: None,
        }
    }

    #[test]
    fn notification_is_camel_case_with_type_field() {
        let value = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            value,
            json!({"id": "0193", "userId": "42", "type": "payment.received", "title": "Payment received",
                   "message": "You got $20", "data": {"amount": 20}, "isRead": false,
                   "createdAt": "2026-11-25T17:00:00.000Z", "readAt": null, "isSeen": false,
                   "seenAt": null, "isArchived": false, "archivedAt": null})
        );
    }

    #[test]
    fn envelopes_are_type_and_data() {
        let event = ServerEvent::UnreadCount(UnreadCount {
            count: 3,
            unseen: 5,
        });
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"type": "unread_count", "data": {"count": 3, "unseen": 5}})
        );
        let seen = ServerEvent::AllSeen(AllSeen {
            seen_at: "t".into(),
        });
        assert_eq!(
            serde_json::to_value(&seen).unwrap(),
            json!({"type": "all_seen", "data": {"seenAt": "t"}})
        );
        assert_eq!(event.name(), "unread_count");
        let deleted = ServerEvent::NotificationDeleted(NotificationId { id: "x".into() });
        assert_eq!(
            serde_json::to_string(&deleted).unwrap(),
            r#"{"type":"notification_deleted","data":{"id":"x"}}"#
        );
        let resync = ServerEvent::Resync(Empty {});
        assert_eq!(
            serde_json::to_string(&resync).unwrap(),
            r#"{"type":"resync","data":{}}"#
        );
        let back: ServerEvent =
            serde_json::from_value(json!({"type": "notification", "data": sample()})).unwrap();
        assert_eq!(back, ServerEvent::Notification(sample()));
    }

    #[test]
    fn change_envelopes_carry_their_seq_beside_type_and_data() {
        let counts = UnreadCount {
            count: 3,
            unseen: 1,
        };
        let change = Envelope::change(7, ServerEvent::UnreadCount(counts));
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"type": "unread_count", "data": {"count": 3, "unseen": 1}, "seq": 7})
        );
        assert_eq!(serde_json::from_str::<Envelope>(&text).unwrap(), change);
        let resync = Envelope {
            event: ServerEvent::Resync(Empty {}),
            seq: None,
        };
        assert_eq!(
            serde_json::to_string(&resync).unwrap(),
            r#"{"type":"resync","data":{}}"#
        );
        let plain: ServerEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(plain, change.event);
    }

    #[test]
    fn acks_round_trip_by_success_flag() {
        let ok: Ack<Updated> = Ack::ok(Updated { updated: 2 });
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"success": true, "data": {"updated": 2}})
        );
        let err: Ack<Updated> = Ack::err(ErrorCode::NotFound, "no such notification");
        let text = serde_json::to_string(&err).unwrap();
        assert_eq!(
            text,
            r#"{"success":false,"error":{"code":"not_found","message":"no such notification"}}"#
        );
        let back: Ack<Updated> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.into_result().unwrap_err().code, ErrorCode::NotFound);
        let back: Ack<Updated> =
            serde_json::from_str(r#"{"success":true,"data":{"updated":2}}"#).unwrap();
        assert_eq!(back.into_result().unwrap().updated, 2);
    }

    #[test]
    fn error_codes_match_their_strings() {
        for code in [
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::InvalidJson,
            ErrorCode::ValidationFailed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
    }

    #[test]
    fn archived_filter_is_false_true_or_all() {
        for (text, archived) in [
            ("false", Archived::Exclude),
            ("true", Archived::Only),
            ("\"all\"", Archived::Include),
        ] {
            let parsed: Archived = serde_json::from_str(text).unwrap();
            assert_eq!(parsed, archived);
            assert_eq!(serde_json::to_string(&archived).unwrap(), text);
        }
        for bad in ["\"yes\"", "1", "null", "\"ALL\""] {
            assert!(serde_json::from_str::<Archived>(bad).is_err(), "{bad}");
        }
        assert_eq!(Archived::parse("all"), Some(Archived::Include));
        assert_eq!(Archived::parse("maybe"), None);
        let request: ListRequest =
            serde_json::from_str(r#"{"unseen":true,"archived":"all","type":"payment.*"}"#).unwrap();
        assert_eq!(request.archived, Some(Archived::Include));
        assert_eq!(request.kind.as_deref(), Some("payment.*"));
    }

    #[test]
    fn create_body_defaults_and_rejects_unknown_fields() {
        let body: CreateNotification =
            serde_json::from_str(r#"{"userId":"1","title":"Hi"}"#).unwrap();
        assert_eq!(body.message, None);
        assert_eq!(body.kind, None);
        assert!(
            serde_json::from_str::<CreateNotification>(r#"{"userId":"1","title":"Hi","extra":1}"#)
                .is_err()
        );
    }
}
