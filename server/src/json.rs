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
    deserializer.end().map_err(|e| syntax_error(&e))?;
    Ok(value)
}

/// Decodes an already-parsed payload (a Socket.IO event's data).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(into_api_error)
}

fn into_api_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let field = if path == "." { "body" } else { path.as_str() };
            ApiError::Validation(invalid(field, strip_position(&inner.to_string())))
        }
        _ => syntax_error(&inner),
    }
}

fn syntax_error(e: &serde_json::Error) -> ApiError {
    ApiError::InvalidJson(format!(
        "body is not valid JSON: {}",
        strip_position(&e.to_string())
    ))
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
        let err = parse_json::<CreateNotification>(br#"{"userId": "5", "title": "t"} trailing"#)
            .unwrap_err();
        assert!(matches!(err, ApiError::InvalidJson(_)), "{err:?}");
    }
}
