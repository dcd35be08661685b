//! The notifications the client holds: ordered newest first, one entry per id.
//!
//! Ids are time-ordered strings (a later notification compares greater), so ordering is a plain
//! string comparison and merging is a binary search. Read flags only move forward: a stale copy
//! that says "unread" never undoes a read the client already knows about (an optimistic
//! `markRead`, or a `notification_updated` that arrived before an older page).

use super::json::Json;

/// One notification: the fields the core needs, and the object as the server sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<J> {
    pub id: String,
    pub read: bool,
    pub value: J,
}

impl<J: Json> Item<J> {
    /// Reads `id` and `isRead` from a notification object; `None` when it has no string id.
    pub fn from_json(value: J) -> Option<Self> {
        let id = value.get("id")?.as_str()?;
        let read = value
            .get("isRead")
            .and_then(|r| r.as_bool())
            .unwrap_or(false);
        Some(Item { id, read, value })
    }
}

/// What [`List::upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// The id was new.
    Added,
    /// The id was held and its entry was replaced.
    Updated,
    /// The id was held and the incoming copy was older news; nothing changed.
    Kept,
}

/// Notifications, newest first, de-duplicated by id.
#[derive(Debug, Clone)]
pub struct List<J> {
    items: Vec<Item<J>>,
}

impl<J> Default for List<J> {
    fn default() -> Self {
        List { items: Vec::new() }
    }
}

impl<J: Json> List<J> {
    pub fn items(&self) -> &[Item<J>] {
        &self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The newest id held.
    pub fn newest_id(&self) -> Option<&str> {
        self.items.first().map(|i| i.id.as_str())
    }

    /// The oldest id held (the `before` cursor of the next older page).
    pub fn oldest_id(&self) -> Option<&str> {
        self.items.last().map(|i| i.id.as_str())
    }

    fn position(&self, id: &str) -> Result<usize, usize> {
        // Descending order: compare the other way round.
        self.items
            .binary_search_by(|probe| id.cmp(probe.id.as_str()))
    }

    pub fn get(&self, id: &str) -> Option<&Item<J>> {
        self.position(id).ok().map(|i| &self.items[i])
    }

    /// Adds `item`, or merges it into the entry with the same id. With `replace` false an
    /// existing entry is kept as is (a duplicate delivery); with `replace` true the incoming
    /// copy wins unless it would turn a read notification back into an unread one.
    pub fn upsert(&mut self, item: Item<J>, replace: bool) -> Merge {
        match self.position(&item.id) {
            Ok(i) => {
                let held = &mut self.items[i];
                if !replace || (held.read && !item.read) {
                    Merge::Kept
                } else {
                    *held = item;
                    Merge::Updated
                }
            }
            Err(i) => {
                self.items.insert(i, item);
                Merge::Added
            }
        }
    }

    /// Removes and returns the entry `id`.
    pub fn remove(&mut self, id: &str) -> Option<Item<J>> {
        self.position(id).ok().map(|i| self.items.remove(i))
    }

    /// Marks `id` read (copying its object); returns the previous entry when it was unread.
    pub fn mark_read(&mut self, id: &str, read_at: Option<&str>) -> Option<Item<J>> {
        let i = self.position(id).ok()?;
        let held = &mut self.items[i];
        if held.read {
            return None;
        }
        let previous = held.clone();
        held.value = held.value.with_read(true, read_at);
        held.read = true;
        Some(previous)
    }

    /// Marks every entry read; returns the previous versions of those that were unread.
    pub fn mark_all_read(&mut self, read_at: Option<&str>) -> Vec<Item<J>> {
        let mut previous = Vec::new();
        for held in self.items.iter_mut().filter(|i| !i.read) {
            previous.push(held.clone());
            held.value = held.value.with_read(true, read_at);
            held.read = true;
        }
        previous
    }

    /// Puts back earlier versions of entries (a failed action's rollback). Entries removed in
    /// the meantime stay removed, unless `reinsert` is set.
    pub fn restore(&mut self, previous: Vec<Item<J>>, reinsert: bool) {
        for item in previous {
            match self.position(&item.id) {
                Ok(i) => self.items[i] = item,
                Err(i) if reinsert => self.items.insert(i, item),
                Err(_) => {}
            }
        }
    }

    /// Replaces the held list with a freshly loaded first page, keeping entries newer than both
    /// the page and `keep_newer_than` (they arrived live while the page was being loaded).
    pub fn replace_with_page(&mut self, page: Vec<Item<J>>, keep_newer_than: Option<&str>) {
        let page_newest = page.iter().map(|i| i.id.as_str()).max();
        let floor = match (page_newest, keep_newer_than) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
        .map(str::to_owned);
        let kept: Vec<Item<J>> = core::mem::take(&mut self.items)
            .into_iter()
            .filter(|i| floor.as_deref().is_some_and(|f| i.id.as_str() > f))
            .collect();
        self.items = kept;
        for item in page {
            self.upsert(item, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn item(id: &str, read: bool) -> Item<Value> {
        Item::from_json(json!({"id": id, "isRead": read, "title": id})).unwrap()
    }

    fn ids(list: &List<Value>) -> Vec<&str> {
        list.items().iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn keeps_newest_first_whatever_the_arrival_order() {
        let mut list = List::default();
        for id in ["03", "01", "05", "02", "04"] {
            assert_eq!(list.upsert(item(id, false), false), Merge::Added);
        }
        assert_eq!(ids(&list), ["05", "04", "03", "02", "01"]);
        assert_eq!(list.newest_id(), Some("05"));
        assert_eq!(list.oldest_id(), Some("01"));
    }

    #[test]
    fn duplicates_are_merged_by_id() {
        let mut list = List::default();
        list.upsert(item("01", false), false);
        assert_eq!(list.upsert(item("01", false), false), Merge::Kept);
        assert_eq!(list.upsert(item("01", true), true), Merge::Updated);
        assert_eq!(list.len(), 1);
        assert!(list.get("01").unwrap().read);
        // A stale unread copy never undoes a read.
        assert_eq!(list.upsert(item("01", false), true), Merge::Kept);
        assert!(list.get("01").unwrap().read);
    }

    #[test]
    fn mark_read_copies_and_reports_the_previous_entry() {
        let mut list = List::default();
        list.upsert(item("01", false), false);
        let before = list.mark_read("01", Some("t")).unwrap();
        assert!(!before.read);
        assert_eq!(before.value["isRead"], false);
        assert_eq!(list.get("01").unwrap().value["isRead"], true);
        assert!(list.mark_read("01", None).is_none(), "already read");
        assert!(list.mark_read("zz", None).is_none(), "unknown id");
        list.restore(vec![before], false);
        assert!(!list.get("01").unwrap().read);
    }

    #[test]
    fn mark_all_read_and_restore() {
        let mut list = List::default();
        for (id, read) in [("01", false), ("02", true), ("03", false)] {
            list.upsert(item(id, read), false);
        }
        let previous = list.mark_all_read(None);
        assert_eq!(previous.len(), 2);
        assert!(list.items().iter().all(|i| i.read));
        list.restore(previous, false);
        let reads: Vec<bool> = list.items().iter().map(|i| i.read).collect();
        assert_eq!(reads, [false, true, false]);
    }

    #[test]
    fn remove_and_reinsert() {
        let mut list = List::default();
        for id in ["01", "02", "03"] {
            list.upsert(item(id, false), false);
        }
        let gone = list.remove("02").unwrap();
        assert!(list.remove("02").is_none());
        assert_eq!(ids(&list), ["03", "01"]);
        list.restore(vec![gone.clone()], false);
        assert_eq!(ids(&list), ["03", "01"], "restore without reinsert");
        list.restore(vec![gone], true);
        assert_eq!(ids(&list), ["03", "02", "01"]);
    }

    #[test]
    fn replacing_with_a_page_keeps_live_arrivals() {
        let mut list = List::default();
        for id in ["01", "02", "05", "09"] {
            list.upsert(item(id, false), false);
        }
        // Page [06, 04, 03]: 05 was deleted on the server, 01/02 are older than the page and
        // dropped (loadMore reloads them), 09 arrived live after the page was read.
        list.replace_with_page(
            vec![item("06", false), item("04", false), item("03", false)],
            None,
        );
        assert_eq!(ids(&list), ["09", "06", "04", "03"]);
        // An empty page keeps only what is newer than the mark taken when it was requested.
        list.replace_with_page(vec![], Some("06"));
        assert_eq!(ids(&list), ["09"]);
        list.replace_with_page(vec![], None);
        assert!(list.is_empty());
    }

    #[test]
    fn objects_without_ids_are_rejected() {
        assert!(Item::from_json(json!({"title": "x"})).is_none());
        assert!(Item::from_json(json!({"id": 5})).is_none());
        assert!(!Item::from_json(json!({"id": "1"})).unwrap().read);
    }
}
