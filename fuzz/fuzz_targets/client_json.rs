//! The client core's JSON reading (every `wire::decode_*` over parsed JSON, as the browser
//! glue runs it over `JSON.parse`; the list's flags and the filter over what it read) and its
//! string writer: no panic on any input, and what
//! `push_str` writes parses back to the same string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notify_client_wasm::core::json::{self, Json};
use notify_client_wasm::core::filter::Filter;
use notify_client_wasm::core::list::{Flag, Item, List};
use notify_client_wasm::core::wire;
use serde_json::Value;

/// `serde_json::Value` behind the core's `Json` trait (the browser uses `JsValue`).
#[derive(Clone, Debug, PartialEq)]
struct Parsed(Value);

impl Json for Parsed {
    fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok().map(Parsed)
    }
    fn get(&self, key: &str) -> Option<Self> {
        self.0.as_object()?.get(key).cloned().map(Parsed)
    }
    fn as_str(&self) -> Option<String> {
        self.0.as_str().map(str::to_owned)
    }
    fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn as_bool(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn element(&self, index: u32) -> Option<Self> {
        self.0.as_array()?.get(index as usize).cloned().map(Parsed)
    }
    fn with_flag(&self, keys: (&str, &str), on: bool, at: Option<&str>) -> Self {
        let mut copy = self.0.clone();
        if let Some(object) = copy.as_object_mut() {
            object.insert(keys.0.into(), Value::Bool(on));
            object.insert(keys.1.into(), at.map_or(Value::Null, Value::from));
        }
        Parsed(copy)
    }
}

fuzz_target!(|input: (u16, Option<u32>, &str)| {
    let (status, retry_after, text) = input;
    let _ = wire::decode_response::<Parsed>(status, text, retry_after);
    if let Some(value) = Parsed::parse(text) {
        let _ = wire::decode_envelope(&value);
        let _ = wire::decode_ack(&value);
        let _ = wire::decode_subscribed(&value);
        let page = wire::decode_page(&value);
        let mut list = List::default();
        for item in page.items {
            list.upsert(item, false);
        }
        let _ = wire::decode_counts(&value);
        if let Some(item) = Item::from_json(value) {
            let filter = Filter {
                kind: Some("payment.*".into()),
                ..Filter::default()
            };
            let _ = filter.matches(&item);
            let _ = list.set_flag(&item.id, Flag::Archived, true, None);
            list.upsert(item, true);
        }
        list.set_flag_all(Flag::Read, Some("2026-01-01T00:00:00Z"));
    }
    let mut written = String::new();
    json::push_str(&mut written, text);
    assert_eq!(
        serde_json::from_str::<String>(&written).ok().as_deref(),
        Some(text)
    );
});
