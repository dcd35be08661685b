//! Checks request bodies and parameters against the contract's limits, naming the field
//! that is wrong. Lengths count characters (Unicode scalar values), not bytes.

use notify_bindings::{CreateNotification, DEFAULT_TYPE, limits};

use crate::store::{ListQuery, NewNotification};

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

/// Validates paging parameters shared by REST and `list_notifications`.
pub fn list_query(
    limit: Option<u32>,
    before: Option<String>,
    unread_only: bool,
) -> Result<ListQuery, Invalid> {
    let limit = limit.unwrap_or(limits::PAGE_LIMIT_DEFAULT);
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
    let before = before.filter(|b| !b.is_empty());
    if let Some(before) = &before {
        notification_id("before", before)?;
    }
    Ok(ListQuery {
        limit,
        before,
        unread_only,
    })
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

    #[test]
    fn list_limits() {
        assert_eq!(list_query(None, None, false).unwrap().limit, 20);
        assert_eq!(list_query(Some(100), None, true).unwrap().limit, 100);
        assert_eq!(list_query(Some(0), None, false).unwrap_err().field, "limit");
        assert_eq!(
            list_query(Some(101), None, false).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            list_query(None, Some("x".repeat(65)), false)
                .unwrap_err()
                .field,
            "before"
        );
        assert_eq!(
            list_query(None, Some(String::new()), false).unwrap().before,
            None
        );
    }
}
