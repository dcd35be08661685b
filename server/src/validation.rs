//! Checks request bodies and parameters against the contract's limits, naming the field
//! that is wrong. Lengths count characters (Unicode scalar values), not bytes.

use notify_bindings::{CreateNotification, DEFAULT_TYPE, ListRequest, limits};

use crate::store::{ListQuery, NewNotification, TypeFilter};

/// A field that broke a rule; becomes a 422 `validation_failed` or a failed ack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

pub fn invalid(field: &str, problem: impl Into<String>) -> Invalid {
    Invalid {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

fn check_chars(field: &str, value: &str, min: usize, max: usize) -> Result<(), Invalid> {
    let chars = value.chars().count();
    if chars < min || chars > max {
        let rule = if min == 0 {
            format!("at most {max} characters")
        } else {
            format!("{min} to {max} characters")
        };
        return Err(invalid(field, format!("must be {rule} (got {chars})")));
    }
    Ok(())
}

/// How many bytes `value` takes as JSON, counted without building the text.
pub fn encoded_len(value: &impl serde::Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value).map_or(usize::MAX, |()| counter.0)
}

/// Validates the body of `POST /notifications`.
pub fn new_notification(body: CreateNotification) -> Result<NewNotification, Invalid> {
    check_chars("userId", &body.user_id, 1, limits::USER_ID_MAX_CHARS)?;
    if body.user_id.trim().is_empty() {
        return Err(invalid("userId", "must not be blank"));
    }
    check_chars("title", &body.title, 1, limits::TITLE_MAX_CHARS)?;
    let message = body.message.unwrap_or_default();
    check_chars("message", &message, 0, limits::MESSAGE_MAX_CHARS)?;
    let kind = body.kind.unwrap_or_else(|| DEFAULT_TYPE.to_owned());
    check_chars("type", &kind, 1, limits::TYPE_MAX_CHARS)?;
    if let Some(data) = &body.data {
        let size = encoded_len(data);
        if size > limits::DATA_MAX_BYTES {
            return Err(invalid(
                "data",
                format!(
                    "must be at most {} bytes as JSON (got {size})",
                    limits::DATA_MAX_BYTES
                ),
            ));
        }
    }
    Ok(NewNotification {
        user_id: body.user_id,
        kind,
        title: body.title,
        message,
        data: body.data,
    })
}

/// Validates a page request, shared by REST and `list_notifications`.
pub fn list_query(request: ListRequest) -> Result<ListQuery, Invalid> {
    let limit = request.limit.unwrap_or(limits::PAGE_LIMIT_DEFAULT);
    if !(limits::PAGE_LIMIT_MIN..=limits::PAGE_LIMIT_MAX).contains(&limit) {
        return Err(invalid(
            "limit",
            format!(
                "must be between {} and {}",
                limits::PAGE_LIMIT_MIN,
                limits::PAGE_LIMIT_MAX
            ),
        ));
    }
    let before = request.before.filter(|b| !b.is_empty());
    if let Some(before) = &before {
        notification_id("before", before)?;
    }
    Ok(ListQuery {
        limit,
        before,
        unread_only: request.unread_only.unwrap_or(false),
        unseen_only: request.unseen.unwrap_or(false),
        archived: request.archived.unwrap_or_default(),
        kind: type_filter(request.kind)?,
    })
}

/// A `type` filter: an exact type, or a prefix ending in `.*` (`payment.*` matches
/// `payment.received`, not `payment` nor `payments`). Empty means no filter.
pub fn type_filter(kind: Option<String>) -> Result<Option<TypeFilter>, Invalid> {
    let Some(kind) = kind.filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    check_chars("type", &kind, 1, limits::TYPE_MAX_CHARS)?;
    Ok(Some(match kind.strip_suffix(".*") {
        Some("") => return Err(invalid("type", "a prefix needs a name before .*")),
        Some(stem) => TypeFilter::Prefix(format!("{stem}.")),
        None => TypeFilter::Exact(kind),
    }))
}

/// The ids of a `seen` request: 1 to 100, each a plausible id.
pub fn seen_ids(ids: Vec<String>) -> Result<Vec<String>, Invalid> {
    if !(limits::SEEN_IDS_MIN..=limits::SEEN_IDS_MAX).contains(&ids.len()) {
        return Err(invalid(
            "ids",
            format!(
                "must hold {} to {} ids (got {})",
                limits::SEEN_IDS_MIN,
                limits::SEEN_IDS_MAX,
                ids.len()
            ),
        ));
    }
    for id in &ids {
        notification_id("ids", id)?;
    }
    Ok(ids)
}

/// A notification id as a client sends it: non-empty and of sane length. Any string is safe
/// (queries are parameterised); an id that doesn't exist is simply not found.
pub fn notification_id(field: &str, id: &str) -> Result<(), Invalid> {
    check_chars(field, id, 1, 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: serde_json::Value) -> CreateNotification {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn encoded_len_matches_the_text() {
        let value = serde_json::json!({"a": [1, "é", null], "b": {"c": true}});
        assert_eq!(
            encoded_len(&value),
            serde_json::to_vec(&value).unwrap().len()
        );
    }

    #[test]
    fn fills_defaults() {
        let n = new_notification(body(json!({"userId": "1", "title": "Hi"}))).unwrap();
        assert_eq!(
            (n.kind.as_str(), n.message.as_str(), n.data),
            ("info", "", None)
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        let emoji_title = "🔔".repeat(200);
        assert!(new_notification(body(json!({"userId": "1", "title": emoji_title}))).is_ok());
        let too_long = "🔔".repeat(201);
        let err = new_notification(body(json!({"userId": "1", "title": too_long}))).unwrap_err();
        assert_eq!(err.field, "title");
        assert!(
            err.to_string()
                .starts_with("title: must be 1 to 200 characters")
        );
    }

    #[test]
    fn names_the_bad_field() {
        let cases = [
            (json!({"userId": "", "title": "x"}), "userId"),
            (json!({"userId": "  ", "title": "x"}), "userId"),
            (json!({"userId": "1", "title": ""}), "title"),
            (
                json!({"userId": "1", "title": "x", "message": "m".repeat(2001)}),
                "message",
            ),
            (json!({"userId": "1", "title": "x", "type": ""}), "type"),
            (
                json!({"userId": "1", "title": "x", "data": {"blob": "b".repeat(9000)}}),
                "data",
            ),
        ];
        for (value, field) in cases {
            assert_eq!(new_notification(body(value)).unwrap_err().field, field);
        }
        assert!(
            new_notification(body(
                json!({"userId": "1", "title": "x", "message": "m".repeat(2000)})
            ))
            .is_ok()
        );
    }

    fn page(limit: Option<u32>, before: Option<String>) -> ListRequest {
        ListRequest {
            limit,
            before,
            ..ListRequest::default()
        }
    }

    #[test]
    fn list_limits() {
        assert_eq!(list_query(page(None, None)).unwrap().limit, 20);
        assert_eq!(list_query(page(Some(100), None)).unwrap().limit, 100);
        assert_eq!(list_query(page(Some(0), None)).unwrap_err().field, "limit");
        assert_eq!(
            list_query(page(Some(101), None)).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            list_query(page(None, Some("x".repeat(65))))
                .unwrap_err()
                .field,
            "before"
        );
        assert_eq!(
            list_query(page(None, Some(String::new()))).unwrap().before,
            None
        );
    }

    #[test]
    fn type_filters_are_exact_or_a_dotted_prefix() {
        let filter = |t: &str| type_filter(Some(t.to_owned()));
        assert_eq!(
            filter("payment.*").unwrap(),
            Some(TypeFilter::Prefix("payment.".into()))
        );
        assert_eq!(
            filter("payment").unwrap(),
            Some(TypeFilter::Exact("payment".into()))
        );
        assert_eq!(
            filter("payment*").unwrap(),
            Some(TypeFilter::Exact("payment*".into()))
        );
        assert_eq!(filter("").unwrap(), None);
        assert_eq!(filter(".*").unwrap_err().field, "type");
        assert_eq!(filter(&"t".repeat(101)).unwrap_err().field, "type");
    }

    #[test]
    fn seen_takes_one_to_a_hundred_ids() {
        assert_eq!(seen_ids(vec![]).unwrap_err().field, "ids");
        assert!(seen_ids(vec!["a".into(); 100]).is_ok());
        assert_eq!(seen_ids(vec!["a".into(); 101]).unwrap_err().field, "ids");
        assert_eq!(seen_ids(vec![String::new()]).unwrap_err().field, "ids");
    }
}
