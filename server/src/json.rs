//! Typed JSON decoding whose errors have the contract's shape: syntax errors are
//! `invalid_json`, wrong shapes are `validation_failed` naming the field.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;
use crate::validation::invalid;

/// Parses a request body.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(into_api_error)?;
    deserializer.end().map_err(|e| unreadable(&e))?;
    Ok(value)
}

/// Decodes an already-parsed payload (a Socket.IO event's data).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(into_api_error)
}

/// What serde_json reports past its nesting limit (128 levels).
const TOO_DEEP: &str = "recursion limit exceeded";

/// A payload that could not be read: nested beyond the limit is `validation_failed` (the JSON
/// may be well-formed; it is refused as a shape), anything else `invalid_json`.
pub fn unreadable(error: &impl std::fmt::Display) -> ApiError {
    let message = error.to_string();
    if message.contains(TOO_DEEP) {
        ApiError::Validation(invalid("body", "nested too deeply (at most 128 levels)"))
    } else {
        ApiError::InvalidJson(format!(
            "body is not valid JSON: {}",
            strip_position(&message)
        ))
    }
}

fn into_api_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let field = if path == "." { "body" } else { path.as_str() };
            ApiError::Validation(invalid(field, strip_position(&inner.to_string())))
        }
        _ => unreadable(&inner),
    }
}

/// serde_json appends " at line L column C"; the field name is more useful to callers.
fn strip_position(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use crate::error::ApiError;
    use crate::json::parse_json;
    use notify_bindings::CreateNotification;

    #[test]
    fn json_errors_have_the_right_class_and_field() {
        let err = parse_json::<CreateNotification>(b"{not json").unwrap_err();
        assert!(matches!(err, ApiError::InvalidJson(_)), "{err:?}");
        let err = parse_json::<CreateNotification>(b"").unwrap_err();
        assert!(matches!(err, ApiError::InvalidJson(_)), "{err:?}");
        let err = parse_json::<CreateNotification>(br#"{"userId": 5, "title": "x"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "userId: invalid type: integer `5`, expected a string"
        );
        let err = parse_json::<CreateNotification>(br#"{"userId": "5"}"#).unwrap_err();
        assert_eq!(err.to_string(), "body: missing field `title`");
        let err =
            parse_json::<CreateNotification>(br#"{"userId": "5", "title": "t", "data": [1]}"#)
                .unwrap_err();
        assert!(
            err.to_string().starts_with("data: invalid type: sequence"),
            "{err}"
        );
        let deep = format!(
            r#"{{"userId": "5", "title": "t", "data": {{"x": {}{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let err = parse_json::<CreateNotification>(deep.as_bytes()).unwrap_err();
        assert!(matches!(err, ApiError::Validation(_)), "{err:?}");
        let err = parse_json::<CreateNotification>(br#"{"userId": "5", "title": "t"} trailing"#)
            .unwrap_err();
        assert!(matches!(err, ApiError::InvalidJson(_)), "{err:?}");
    }
}
