//! Reading the contract's messages into core values, and writing the client's requests.
//!
//! Event names, the namespace and error codes come from `notify-bindings`, the crate the server
//! serializes with; the native tests build their fixtures from its types, so a change in the
//! contract breaks these tests rather than the browser.

use super::filter::Filter;
use super::json::{self, Json, str_field, u64_field};
use super::list::Item;
use notify_bindings::events;

/// A server push (the same envelopes on Socket.IO and SSE).
#[derive(Debug, Clone, PartialEq)]
pub enum Push<J> {
    Notification(Item<J>),
    Updated(Item<J>),
    Deleted(String),
    /// `count` and, from a v2 server, `unseen`.
    UnreadCount(u64, Option<u64>),
    AllRead(Option<String>),
    AllSeen(Option<String>),
    Resync,
}

/// Reads a push from its event name and payload. The payload is normally the envelope
/// `{"type", "data"}`; a bare data object is accepted too.
pub fn decode_push<J: Json>(name: &str, payload: &J) -> Option<Push<J>> {
    let data = match (payload.get("type"), payload.get("data")) {
        (Some(_), Some(data)) => data,
        _ => payload.clone(),
    };
    Some(match name {
        events::NOTIFICATION => Push::Notification(Item::from_json(data)?),
        events::NOTIFICATION_UPDATED => Push::Updated(Item::from_json(data)?),
        events::NOTIFICATION_DELETED => Push::Deleted(str_field(&data, "id")?),
        events::UNREAD_COUNT => {
            Push::UnreadCount(u64_field(&data, "count")?, u64_field(&data, "unseen"))
        }
        events::ALL_READ => Push::AllRead(str_field(&data, "readAt")),
        events::ALL_SEEN => Push::AllSeen(str_field(&data, "seenAt")),
        events::RESYNC => Push::Resync,
        _ => return None,
    })
}

/// Reads an SSE message or a replayed change: an envelope whose `type` names the event.
pub fn decode_envelope<J: Json>(envelope: &J) -> Option<Push<J>> {
    let name = str_field(envelope, "type")?;
    decode_push(&name, envelope)
}

/// The change-log position an envelope carries (v2), if any.
pub fn seq_of<J: Json>(envelope: &J) -> Option<u64> {
    u64_field(envelope, "seq")
}

/// An error the client reports: a contract error code (or a client-side one) and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub code: String,
    pub message: String,
    /// The HTTP status, for errors that are REST answers.
    pub status: Option<u16>,
    /// Seconds to wait before trying again, when a 429 answer said so.
    pub retry_after: Option<u32>,
}

impl ClientError {
    pub fn new(code: &str, message: &str) -> Self {
        ClientError {
            code: code.to_owned(),
            message: message.to_owned(),
            status: None,
            retry_after: None,
        }
    }
}

/// Client-side error codes, next to the contract's `ErrorCode`s.
pub mod codes {
    /// A request or stream could not reach the server.
    pub const NETWORK: &str = "network_error";
    /// `getToken` threw or returned something that isn't a non-empty string.
    pub const TOKEN: &str = "token_error";
    /// The server answered something this client can't read.
    pub const PROTOCOL: &str = "protocol_error";
    /// The connection was lost while an action was waiting for its answer.
    pub const CONNECTION_LOST: &str = "connection_lost";
    /// The server refused the connection for a reason other than authentication.
    pub const CONNECT_ERROR: &str = "connect_error";
    /// `maxAttempts` reconnects failed; the client stopped.
    pub const RECONNECT_FAILED: &str = "reconnect_failed";
    /// The action was dropped because another user signed in (`switchUser`, a new token `sub`).
    pub const USER_CHANGED: &str = "user_changed";
    /// The contract's `unauthorized`.
    pub const UNAUTHORIZED: &str = "unauthorized";
}

/// Reads `{"code", "message"}`.
pub fn decode_error_body<J: Json>(error: &J) -> Option<ClientError> {
    Some(ClientError {
        code: str_field(error, "code")?,
        message: str_field(error, "message").unwrap_or_default(),
        status: None,
        retry_after: None,
    })
}

/// Reads an acknowledgement's arguments (`[{"success": true, "data": ...}]`).
pub fn decode_ack<J: Json>(args: &J) -> Result<Option<J>, ClientError> {
    // What is wrong, when it is the ack's shape: one `ClientError` made for all three.
    let problem = match args.element(0) {
        None => "empty acknowledgement",
        Some(first) => match first.get("success").and_then(|s| s.as_bool()) {
            Some(true) => return Ok(first.get("data")),
            Some(false) => match first.get("error").and_then(|e| decode_error_body(&e)) {
                Some(error) => return Err(error),
                None => "failed acknowledgement",
            },
            None => "malformed acknowledgement",
        },
    };
    Err(ClientError::new(codes::PROTOCOL, problem))
}

/// Reads a REST answer: the body on 2xx, the contract's error body otherwise (with the status
/// and, for 429, the `Retry-After` seconds).
pub fn decode_response<J: Json>(
    status: u16,
    body: &str,
    retry_after: Option<u32>,
) -> Result<Option<J>, ClientError> {
    let parsed = J::parse(body);
    if (200..300).contains(&status) {
        return Ok(parsed);
    }
    let mut error = refusal(status, parsed);
    error.status = Some(status);
    error.retry_after = retry_after;
    Err(error)
}

fn refusal<J: Json>(status: u16, parsed: Option<J>) -> ClientError {
    if let Some(error) = parsed
        .as_ref()
        .and_then(|p| p.get("error"))
        .and_then(|e| decode_error_body(&e))
    {
        return error;
    }
    let code = match status {
        401 => codes::UNAUTHORIZED,
        403 => "forbidden",
        404 => "not_found",
        429 => "rate_limited",
        503 => "unavailable",
        _ => "internal",
    };
    ClientError::new(code, "request failed")
}

/// The ack data of `subscribe_notifications`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscribed<J> {
    /// `[unread, unseen]` (the unseen count from v2 servers only).
    pub counts: (Option<u64>, Option<u64>),
    /// The current change-log position (v2); `None` from a v1 server.
    pub seq: Option<u64>,
    /// v1 catch-up: notifications newer than `since`, oldest first.
    pub missed: Vec<Item<J>>,
    /// v2 catch-up: the change envelopes after `sinceSeq`, oldest first.
    pub changes: Vec<J>,
    pub resync: bool,
}

pub fn decode_subscribed<J: Json>(data: &J) -> Subscribed<J> {
    let mut changes = Vec::new();
    if let Some(array) = data.get("changes") {
        json::each_element(&array, |change| changes.push(change));
    }
    Subscribed {
        counts: decode_counts(data),
        seq: seq_of(data),
        missed: items(data, "missed"),
        changes,
        resync: data.get("resync").and_then(|r| r.as_bool()) == Some(true),
    }
}

/// `(unread, unseen)` from any of the answers that carry counts: the subscribe ack
/// (`unreadCount`, `unseenCount`), `GET /notifications/unread-count` (`count`) and
/// `GET /notifications/counts` (`unread`, `unseen`).
pub fn decode_counts<J: Json>(data: &J) -> (Option<u64>, Option<u64>) {
    let unread = u64_field(data, "unreadCount")
        .or_else(|| u64_field(data, "unread"))
        .or_else(|| u64_field(data, "count"));
    let unseen = u64_field(data, "unseenCount").or_else(|| u64_field(data, "unseen"));
    (unread, unseen)
}

/// A page: `{"items": [...], "nextCursor": id | null}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<J> {
    pub items: Vec<Item<J>>,
    pub next_cursor: Option<String>,
}

pub fn decode_page<J: Json>(data: &J) -> Page<J> {
    Page {
        items: items(data, "items"),
        next_cursor: str_field(data, "nextCursor"),
    }
}

/// The notifications of the array `key` (entries without an id left out).
fn items<J: Json>(data: &J, key: &str) -> Vec<Item<J>> {
    let mut items = Vec::new();
    if let Some(array) = data.get(key) {
        json::each_element(&array, |value| {
            if let Some(item) = Item::from_json(value) {
                items.push(item);
            }
        });
    }
    items
}

/// `["<name>", <payload>]`: the argument array of a Socket.IO event.
pub fn event_array(name: &str, payload_json: &str) -> String {
    let mut out = String::new();
    out.push('[');
    json::push_str(&mut out, name);
    out.push(',');
    out.push_str(payload_json);
    out.push(']');
    out
}

/// `{"limit": n, "before": "...", <filter>}` for `list_notifications`.
pub fn list_payload(limit: u32, before: Option<&str>, filter: &Filter) -> String {
    let mut out = String::from("{\"limit\":");
    json::push_u64(&mut out, u64::from(limit));
    if let Some(before) = before {
        out.push_str(",\"before\":");
        json::push_str(&mut out, before);
    }
    filter.push_payload(&mut out);
    out.push('}');
    out
}

/// `/notifications?limit=n[&before=...][<filter>]` for `GET`.
pub fn list_path(limit: u32, before: Option<&str>, filter: &Filter) -> String {
    let mut out = String::from("/notifications?limit=");
    json::push_u64(&mut out, u64::from(limit));
    if let Some(before) = before {
        out.push_str("&before=");
        json::push_url_component(&mut out, before);
    }
    filter.push_query(&mut out);
    out
}

/// `{"sinceSeq": n}`.
pub fn since_seq_payload(seq: u64) -> String {
    let mut out = String::from("{\"sinceSeq\":");
    json::push_u64(&mut out, seq);
    out.push('}');
    out
}

/// `{"ids": [...]}` for `mark_seen` and `POST /notifications/seen`.
pub fn ids_payload(ids: &[String]) -> String {
    let mut out = String::from("{\"ids\":[");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::push_str(&mut out, id);
    }
    out.push_str("]}");
    out
}

/// `/notifications/<id><suffix>`, the id percent-encoded.
pub fn item_path(id: &str, suffix: &str) -> String {
    let mut out = String::from("/notifications/");
    json::push_url_component(&mut out, id);
    out.push_str(suffix);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::list::Flag;
    use notify_bindings as b;
    use serde_json::{Value, json, to_value};

    fn notification(id: &str, read: bool) -> b::Notification {
        b::Notification {
            id: id.into(),
            user_id: "42".into(),
            kind: "info".into(),
            title: "Hello".into(),
            message: String::new(),
            data: None,
            is_read: read,
            created_at: "2026-11-25T17:00:00.000Z".into(),
            read_at: None,
            is_seen: read,
            seen_at: None,
            is_archived: false,
            archived_at: None,
        }
    }

    fn push_of(event: b::ServerEvent) -> Option<Push<Value>> {
        decode_push(event.name(), &to_value(&event).unwrap())
    }

    #[test]
    fn every_server_event_of_the_contract_decodes() {
        let Some(Push::Notification(item)) =
            push_of(b::ServerEvent::Notification(notification("01", false)))
        else {
            panic!("notification")
        };
        assert_eq!((item.id.as_str(), item.flag(Flag::Read)), ("01", false));
        assert_eq!(item.value, to_value(notification("01", false)).unwrap());
        assert!(matches!(
            push_of(b::ServerEvent::NotificationUpdated(notification(
                "01", true
            ))),
            Some(Push::Updated(Item {
                flags: [true, ..],
                ..
            }))
        ));
        assert_eq!(
            push_of(b::ServerEvent::NotificationDeleted(b::NotificationId {
                id: "01".into()
            })),
            Some(Push::Deleted("01".into()))
        );
        assert_eq!(
            push_of(b::ServerEvent::UnreadCount(b::UnreadCount {
                count: 7,
                unseen: 5
            })),
            Some(Push::UnreadCount(7, Some(5)))
        );
        assert_eq!(
            push_of(b::ServerEvent::AllRead(b::AllRead {
                read_at: "t".into()
            })),
            Some(Push::AllRead(Some("t".into())))
        );
        assert_eq!(
            push_of(b::ServerEvent::Resync(b::Empty {})),
            Some(Push::Resync)
        );
        let sse = to_value(b::ServerEvent::UnreadCount(b::UnreadCount {
            count: 2,
            unseen: 2,
        }))
        .unwrap();
        assert_eq!(decode_envelope(&sse), Some(Push::UnreadCount(2, Some(2))));
    }

    #[test]
    fn bare_payloads_and_junk() {
        assert_eq!(
            decode_push("unread_count", &json!({"count": 1})),
            Some(Push::UnreadCount(1, None))
        );
        assert_eq!(decode_push("unread_count", &json!({"count": "x"})), None);
        assert_eq!(
            decode_push("notification", &json!({"type": "notification", "data": {}})),
            None
        );
        assert_eq!(decode_push("something_else", &json!({})), None);
        assert_eq!(decode_envelope(&json!({"data": {}})), None);
        assert_eq!(decode_envelope(&json!([1, 2])), None);
    }

    #[test]
    fn acks_decode_by_success_flag() {
        let ok = to_value([b::Ack::ok(b::Updated { updated: 2 })]).unwrap();
        assert_eq!(decode_ack(&ok), Ok(Some(json!({"updated": 2}))));
        let err = to_value([b::Ack::<b::Updated>::err(b::ErrorCode::NotFound, "gone")]).unwrap();
        assert_eq!(decode_ack(&err), Err(ClientError::new("not_found", "gone")));
        for junk in [
            json!([]),
            json!({}),
            json!([{"success": "yes"}]),
            json!([{"success": false}]),
        ] {
            assert_eq!(
                decode_ack(&junk).unwrap_err().code,
                codes::PROTOCOL,
                "{junk}"
            );
        }
    }

    #[test]
    fn rest_answers_decode() {
        let body = serde_json::to_string(&b::ErrorResponse {
            error: b::ErrorBody {
                code: b::ErrorCode::Forbidden,
                message: "no".into(),
            },
        })
        .unwrap();
        let refused = decode_response::<Value>(403, &body, None).unwrap_err();
        assert_eq!(
            (refused.code.as_str(), refused.message.as_str()),
            ("forbidden", "no")
        );
        assert_eq!(refused.status, Some(403));
        let limited = decode_response::<Value>(429, "", Some(3)).unwrap_err();
        assert_eq!(
            (limited.code.as_str(), limited.status, limited.retry_after),
            ("rate_limited", Some(429), Some(3))
        );
        assert_eq!(
            decode_response::<Value>(401, "", None).unwrap_err().code,
            "unauthorized"
        );
        assert_eq!(
            decode_response::<Value>(502, "<html>", None)
                .unwrap_err()
                .code,
            "internal"
        );
        assert_eq!(decode_response::<Value>(204, "", None), Ok(None));
        assert_eq!(
            decode_response::<Value>(200, r#"{"count":3}"#, None),
            Ok(Some(json!({"count": 3})))
        );
    }

    #[test]
    fn subscribe_results_and_pages_decode() {
        let result = to_value(b::SubscribeResult {
            unread_count: 3,
            unseen_count: 3,
            seq: 0,
            missed: vec![notification("01", false), notification("02", true)],
            changes: None,
            resync: false,
        })
        .unwrap();
        let s = decode_subscribed(&result);
        assert_eq!((s.counts, s.seq), ((Some(3), Some(3)), Some(0)));
        assert_eq!(
            s.missed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["01", "02"]
        );
        assert!(!s.resync);
        let page = to_value(b::Page {
            items: vec![notification("02", false)],
            next_cursor: Some("02".into()),
        })
        .unwrap();
        let p = decode_page(&page);
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.next_cursor.as_deref(), Some("02"));
        assert_eq!(
            decode_page(&json!({"items": null, "nextCursor": null}))
                .items
                .len(),
            0
        );
    }

    #[test]
    fn requests_match_the_contract_types() {
        let array: Value = serde_json::from_str(&event_array(
            events::LIST_NOTIFICATIONS,
            &list_payload(20, Some("0\"1"), &Filter::default()),
        ))
        .unwrap();
        assert_eq!(array[0], "list_notifications");
        let request: b::ListRequest = serde_json::from_value(array[1].clone()).unwrap();
        assert_eq!(request.limit, Some(20));
        assert_eq!(request.before.as_deref(), Some("0\"1"));
        let since: b::SubscribeRequest =
            serde_json::from_str(&json::object1("since", "01J")).unwrap();
        assert_eq!(since.since.as_deref(), Some("01J"));
        let all = Filter::default();
        assert_eq!(list_path(5, None, &all), "/notifications?limit=5");
        assert_eq!(
            list_path(5, Some("a b"), &all),
            "/notifications?limit=5&before=a%20b"
        );
        assert_eq!(item_path("x/y", "/read"), "/notifications/x%2Fy/read");
    }

    #[test]
    fn v2_pushes_and_acks_decode() {
        let count = json!({"type": "unread_count", "data": {"count": 2, "unseen": 5}, "seq": 9});
        assert_eq!(decode_envelope(&count), Some(Push::UnreadCount(2, Some(5))));
        assert_eq!(seq_of(&count), Some(9));
        let seen = json!({"type": "all_seen", "data": {"seenAt": "t"}, "seq": 10});
        assert_eq!(
            decode_envelope(&seen),
            Some(Push::AllSeen(Some("t".into())))
        );
        let ack = json!({"unreadCount": 1, "unseenCount": 2, "seq": 10,
            "changes": [count, seen], "resync": false});
        let s = decode_subscribed(&ack);
        assert_eq!(
            (s.counts, s.seq, s.changes.len()),
            ((Some(1), Some(2)), Some(10), 2)
        );
        assert_eq!(
            decode_counts(&json!({"unread": 3, "unseen": 4, "total": 9})),
            (Some(3), Some(4))
        );
        let sent: Value = serde_json::from_str(&since_seq_payload(42)).unwrap();
        assert_eq!(sent, json!({"sinceSeq": 42}));
        let ids: Value = serde_json::from_str(&ids_payload(&["a".into(), "b\"".into()])).unwrap();
        assert_eq!(ids, json!({"ids": ["a", "b\""]}));
    }
}
