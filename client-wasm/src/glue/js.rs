//! JS globals the glue needs, declared directly (smaller than pulling in generic wrappers),
//! and the core's `Json` trait implemented over `JsValue`.

use crate::core::json::Json;
use crate::core::wire::ClientError;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    pub fn date_now() -> f64;
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &str) -> Result<JsValue, JsValue>;
    /// Throws only for a non-object target, a getter or a proxy: called on objects and arrays
    /// from `JSON.parse` and the npm package's options array only, so no `catch` glue.
    #[wasm_bindgen(js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> JsValue;
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &JsValue, value: &JsValue) -> bool;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray)]
    pub fn is_array(value: &JsValue) -> bool;
    /// `Object.assign(target, source)`; `Object()` makes a fresh empty object.
    #[wasm_bindgen(js_namespace = Object, js_name = assign)]
    fn object_assign(target: &JsValue, source: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = Object)]
    pub fn object() -> JsValue;
    /// `Array()`: a fresh empty array.
    #[wasm_bindgen(js_name = Array)]
    pub fn array() -> JsValue;
}

/// `target[key]`, `undefined` when missing or not an object.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() {
        return JsValue::UNDEFINED;
    }
    reflect_get(target, &JsValue::from_str(key))
}

/// `target[index]` of an array.
pub fn get_index(target: &JsValue, index: u32) -> JsValue {
    reflect_get(target, &index.into())
}

pub fn set(target: &JsValue, key: &str, value: &JsValue) {
    reflect_set(target, &JsValue::from_str(key), value);
}

/// `target[index] = value`.
pub fn set_index(target: &JsValue, index: u32, value: &JsValue) {
    reflect_set(target, &index.into(), value);
}

/// `{key: value}`.
pub fn object1(key: &str, value: &JsValue) -> JsValue {
    let out = object();
    set(&out, key, value);
    out
}

/// `{code, message, status?, retryAfter?}` for JS listeners.
pub fn error_object(error: &ClientError) -> JsValue {
    let out = object();
    set(&out, "code", &JsValue::from_str(&error.code));
    set(&out, "message", &JsValue::from_str(&error.message));
    if let Some(status) = error.status {
        set(&out, "status", &JsValue::from_f64(status.into()));
    }
    if let Some(seconds) = error.retry_after {
        set(&out, "retryAfter", &JsValue::from_f64(seconds.into()));
    }
    out
}

impl Json for JsValue {
    fn parse(text: &str) -> Option<Self> {
        json_parse(text).ok()
    }

    fn get(&self, key: &str) -> Option<Self> {
        let value = get(self, key);
        (!value.is_undefined()).then_some(value)
    }

    fn as_str(&self) -> Option<String> {
        self.as_string()
    }

    fn as_f64(&self) -> Option<f64> {
        JsValue::as_f64(self)
    }

    fn as_bool(&self) -> Option<bool> {
        JsValue::as_bool(self)
    }

    fn element(&self, index: u32) -> Option<Self> {
        let value = if is_array(self) {
            get_index(self, index)
        } else {
            JsValue::UNDEFINED
        };
        (!value.is_undefined()).then_some(value)
    }

    fn with_flag(&self, keys: (&str, &str), on: bool, at: Option<&str>) -> Self {
        let copy = object_assign(&object(), self);
        set(&copy, keys.0, &JsValue::from_bool(on));
        match (on, at) {
            (true, Some(at)) => set(&copy, keys.1, &JsValue::from_str(at)),
            (true, None) => {}
            (false, _) => set(&copy, keys.1, &JsValue::NULL),
        }
        copy
    }
}
