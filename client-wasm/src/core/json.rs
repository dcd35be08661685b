//! The JSON the core reads and writes, without a JSON library.
//!
//! Reading goes through the [`Json`] trait: the browser glue implements it over `JsValue`
//! (parsed by the engine's own `JSON.parse`), the native tests over `serde_json::Value`. The core
//! only looks at a few fields (ids, read flags, counts) and passes every notification through
//! untouched, so apps see exactly what the server sent.
//!
//! Writing is limited to the small payloads the client sends (`{"token": ...}`, `{"id": ...}`,
//! `{"since": ...}`): [`push_str`] escapes a string per RFC 8259.

/// A parsed JSON value the core can inspect. Cloning must be cheap (a handle, not a deep copy).
pub trait Json: Clone {
    /// Parses JSON text; `None` when it isn't valid JSON.
    fn parse(text: &str) -> Option<Self>;
    /// The member `key` of an object; `None` for a missing key or a non-object.
    fn get(&self, key: &str) -> Option<Self>;
    /// The value when it is a string.
    fn as_str(&self) -> Option<String>;
    /// The value when it is a number.
    fn as_f64(&self) -> Option<f64>;
    /// The value when it is a boolean.
    fn as_bool(&self) -> Option<bool>;
    /// The element at `index` when the value is an array that long (read one at a time: no
    /// vector of handles is built in the wasm). See [`each_element`].
    fn element(&self, index: u32) -> Option<Self>;
    /// A new notification object equal to this one but with a state flag (`isRead`, `isSeen`,
    /// `isArchived`: `keys.0`) set to `on` and its time (`keys.1`) set to `at` when turned on,
    /// `null` when turned off (the original is left untouched, so snapshots handed out earlier
    /// never change).
    fn with_flag(&self, keys: (&str, &str), on: bool, at: Option<&str>) -> Self;
}

/// The string member `key`, if present.
pub fn str_field<J: Json>(value: &J, key: &str) -> Option<String> {
    value.get(key)?.as_str()
}

/// Calls `f` with each element of `array`, in order (none when it is not an array).
pub fn each_element<J: Json>(array: &J, mut f: impl FnMut(J)) {
    let mut i = 0;
    while let Some(element) = array.element(i) {
        f(element);
        i += 1;
    }
}

/// The non-negative integer member `key`, if present.
pub fn u64_field<J: Json>(value: &J, key: &str) -> Option<u64> {
    let n = value.get(key)?.as_f64()?;
    (n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0).then_some(n as u64)
}

/// Appends `s` as a JSON string literal, quotes included: `"` and `\\` escaped with a backslash,
/// control characters as `\u00XX`. Bytes, not `char`s: every byte escaped is ASCII, so the
/// runs copied between them start and end at character boundaries.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.push_str(&s[run..i]);
        run = i + 1;
        if b < 0x20 {
            out.push_str("\\u00");
            push_ascii(out, hex(b >> 4));
            push_ascii(out, hex(b & 0xf));
        } else {
            out.push('\\');
            push_ascii(out, b);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

fn hex(n: u8) -> u8 {
    if n < 10 { b'0' + n } else { b'a' + n - 10 }
}

/// Appends the ASCII byte `b`. The mask lets the compiler see it is ASCII: `String::push` then
/// needs no UTF-8 encoder in the wasm.
fn push_ascii(out: &mut String, b: u8) {
    out.push(char::from(b & 0x7f));
}

/// Appends the decimal digits of `n` (no `format!` machinery in the wasm build).
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        push_ascii(out, b);
    }
}

/// `{"key":"value"}` with `value` escaped.
pub fn object1(key: &str, value: &str) -> String {
    let mut out = String::new();
    out.push('{');
    push_str(&mut out, key);
    out.push(':');
    push_str(&mut out, value);
    out.push('}');
    out
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved characters pass).
pub fn push_url_component(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            push_ascii(out, b);
        } else {
            out.push('%');
            push_ascii(out, hex(b >> 4).to_ascii_uppercase());
            push_ascii(out, hex(b & 0xf).to_ascii_uppercase());
        }
    }
}

/// The native [`Json`] implementation the tests drive the core with.
#[cfg(test)]
mod value_impl {
    use super::Json;
    use serde_json::Value;

    impl Json for Value {
        fn parse(text: &str) -> Option<Self> {
            serde_json::from_str(text).ok()
        }
        fn get(&self, key: &str) -> Option<Self> {
            self.as_object()?.get(key).cloned()
        }
        fn as_str(&self) -> Option<String> {
            Value::as_str(self).map(str::to_owned)
        }
        fn as_f64(&self) -> Option<f64> {
            Value::as_f64(self)
        }
        fn as_bool(&self) -> Option<bool> {
            Value::as_bool(self)
        }
        fn element(&self, index: u32) -> Option<Self> {
            self.as_array()?.get(index as usize).cloned()
        }
        fn with_flag(&self, keys: (&str, &str), on: bool, at: Option<&str>) -> Self {
            let mut copy = self.clone();
            if let Some(object) = copy.as_object_mut() {
                object.insert(keys.0.into(), Value::Bool(on));
                if on {
                    if let Some(at) = at {
                        object.insert(keys.1.into(), Value::String(at.into()));
                    }
                } else {
                    object.insert(keys.1.into(), Value::Null);
                }
            }
            copy
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn strings_round_trip_through_a_real_parser() {
        for s in [
            "",
            "plain",
            "quote \" and backslash \\",
            "line\nbreak\r\ttab",
            "\u{0}\u{1f}\u{7f}",
            "unicode é 😀",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.sig-_",
        ] {
            let mut out = String::new();
            push_str(&mut out, s);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn numbers_print_like_display() {
        for n in [0, 1, 9, 10, 12345, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn object1_is_valid_json() {
        let v: Value = serde_json::from_str(&object1("token", "a\"b")).unwrap();
        assert_eq!(v, json!({"token": "a\"b"}));
    }

    #[test]
    fn url_components_are_percent_encoded() {
        let mut out = String::new();
        push_url_component(&mut out, "01J/ab c?é");
        assert_eq!(out, "01J%2Fab%20c%3F%C3%A9");
    }

    #[test]
    fn field_helpers_reject_wrong_types() {
        let v = json!({"count": 3, "neg": -1, "frac": 1.5, "s": "x"});
        assert_eq!(u64_field(&v, "count"), Some(3));
        assert_eq!(u64_field(&v, "neg"), None);
        assert_eq!(u64_field(&v, "frac"), None);
        assert_eq!(u64_field(&v, "s"), None);
        assert_eq!(str_field(&v, "s"), Some("x".into()));
        assert_eq!(str_field(&v, "count"), None);
        assert_eq!(str_field(&json!([1]), "s"), None);
    }

    #[test]
    fn with_flag_copies() {
        let keys = ("isRead", "readAt");
        let v = json!({"id": "1", "isRead": false, "readAt": null});
        let read = v.with_flag(keys, true, Some("2026-01-01T00:00:00.000Z"));
        assert_eq!(read["isRead"], true);
        assert_eq!(read["readAt"], "2026-01-01T00:00:00.000Z");
        assert_eq!(v["isRead"], false);
        assert_eq!(read.with_flag(keys, false, None)["readAt"], Value::Null);
    }
}
