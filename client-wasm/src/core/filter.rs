//! The `filter` option: which notifications the client's list holds (a type, exact or
//! `prefix.*`, and archived or not), as list-request parameters and as a test for live changes.

use super::json::{self, Json, str_field};
use super::list::{Flag, Item};

/// Which archived state the list holds (`archived=false|true|all`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Archived {
    /// The default list: archived notifications leave it.
    #[default]
    No,
    Only,
    All,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `payment.received`, or a prefix ending in `.*` (`payment.*`).
    pub kind: Option<String>,
    pub archived: Archived,
}

impl Filter {
    /// Whether `item` belongs in the list.
    pub fn matches<J: Json>(&self, item: &Item<J>) -> bool {
        let archived = match self.archived {
            Archived::No => !item.flag(Flag::Archived),
            Archived::Only => item.flag(Flag::Archived),
            Archived::All => true,
        };
        archived
            && self
                .kind
                .as_deref()
                .is_none_or(|want| type_matches(want, item))
    }

    /// `&type=...&archived=...` for `GET /notifications` (nothing for the defaults).
    pub fn push_query(&self, out: &mut String) {
        if let Some(kind) = &self.kind {
            out.push_str("&type=");
            json::push_url_component(out, kind);
        }
        if let Some(archived) = self.archived_value() {
            out.push_str("&archived=");
            out.push_str(archived);
        }
    }

    /// `,"type":"...","archived":...` for `list_notifications`.
    pub fn push_payload(&self, out: &mut String) {
        if let Some(kind) = &self.kind {
            out.push_str(",\"type\":");
            json::push_str(out, kind);
        }
        out.push_str(match self.archived {
            Archived::No => "",
            Archived::Only => ",\"archived\":true",
            Archived::All => ",\"archived\":\"all\"",
        });
    }

    /// `GET /notifications/counts?type=...`: the counts of a type filter, or `None` when the
    /// user's counts (`unread_count`) are the filter's.
    pub fn counts_path(&self) -> Option<String> {
        let kind = self.kind.as_deref()?;
        let mut out = String::from("/notifications/counts?type=");
        json::push_url_component(&mut out, kind);
        Some(out)
    }

    fn archived_value(&self) -> Option<&'static str> {
        match self.archived {
            Archived::No => None,
            Archived::Only => Some("true"),
            Archived::All => Some("all"),
        }
    }
}

fn type_matches<J: Json>(want: &str, item: &Item<J>) -> bool {
    let kind = str_field(&item.value, "type");
    let kind = kind.as_deref().unwrap_or("info");
    // String patterns: a `char` one is UTF-8 encoded at run time (an encoder in the wasm).
    match want.strip_suffix("*") {
        Some(prefix) if prefix.ends_with(".") => kind.starts_with(prefix),
        _ => kind == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn item(kind: &str, archived: bool) -> Item<Value> {
        Item::from_json(json!({"id": "1", "type": kind, "isArchived": archived})).unwrap()
    }

    #[test]
    fn types_match_exactly_or_by_prefix() {
        let payments = Filter {
            kind: Some("payment.*".into()),
            ..Filter::default()
        };
        assert!(payments.matches(&item("payment.received", false)));
        assert!(payments.matches(&item("payment.card.declined", false)));
        assert!(!payments.matches(&item("payment", false)));
        assert!(!payments.matches(&item("payments.x", false)));
        assert!(
            !payments.matches(&item("payment.received", true)),
            "archived"
        );
        let exact = Filter {
            kind: Some("payment".into()),
            archived: Archived::All,
        };
        assert!(exact.matches(&item("payment", true)));
        assert!(!exact.matches(&item("payment.received", false)));
        let archive = Filter {
            kind: None,
            archived: Archived::Only,
        };
        assert!(archive.matches(&item("x", true)) && !archive.matches(&item("x", false)));
    }

    #[test]
    fn filters_become_request_parameters() {
        let f = Filter {
            kind: Some("a b.*".into()),
            archived: Archived::All,
        };
        let mut query = String::new();
        f.push_query(&mut query);
        assert_eq!(query, "&type=a%20b.%2A&archived=all");
        let mut payload = String::from("{\"limit\":1");
        f.push_payload(&mut payload);
        payload.push('}');
        let v: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(v, json!({"limit": 1, "type": "a b.*", "archived": "all"}));
        assert_eq!(
            f.counts_path().as_deref(),
            Some("/notifications/counts?type=a%20b.%2A")
        );
        let mut only = String::new();
        Filter {
            kind: None,
            archived: Archived::Only,
        }
        .push_payload(&mut only);
        assert_eq!(only, ",\"archived\":true");
        let mut none = String::new();
        Filter::default().push_query(&mut none);
        assert!(none.is_empty() && Filter::default().counts_path().is_none());
    }
}
