//! The notifications the client holds: ordered newest first, one entry per id.
//!
//! Ids are time-ordered strings (a later notification compares greater), so ordering is a plain
//! string comparison and merging is a binary search. A page never turns a read notification back
//! into an unread one (it may be older news than an optimistic `markRead`); pushes and action
//! answers, which the server orders by `seq`, replace entries as they are ([`List::put`]).

use super::json::Json;

/// A notification's state flags (contract "Feed states"), an index into [`Item::flags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Read,
    Seen,
    Archived,
}

/// The JSON keys of each [`Flag`] and of its time.
const KEYS: [(&str, &str); 3] = [
    ("isRead", "readAt"),
    ("isSeen", "seenAt"),
    ("isArchived", "archivedAt"),
];

/// One notification: the fields the core needs, and the object as the server sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<J> {
    pub id: String,
    /// Read, seen, archived: indexed by [`Flag`] (a table, not one field each, keeps the flag
    /// code free of per-flag branches).
    pub flags: [bool; 3],
    pub value: J,
}

impl<J: Json> Item<J> {
    /// Reads `id` and the state flags from a notification object; `None` when it has no
    /// string id. A v1 server sends no `isSeen`: a read notification counts as seen.
    pub fn from_json(value: J) -> Option<Self> {
        let id = value.get("id")?.as_str()?;
        let flag = |key| value.get(key).and_then(|f| f.as_bool());
        let read = flag("isRead").unwrap_or(false);
        let flags = [
            read,
            flag("isSeen").unwrap_or(read),
            flag("isArchived").unwrap_or(false),
        ];
        Some(Item { id, flags, value })
    }

    pub fn flag(&self, flag: Flag) -> bool {
        self.flags[flag as usize]
    }

    /// A copy with `flag` set to `on` (its time to `at`, when known); reading also marks seen.
    pub fn with_flag(&self, flag: Flag, on: bool, at: Option<&str>) -> Self {
        let mut copy = self.clone();
        copy.set_flag(flag, on, at);
        if flag == Flag::Read && on && !copy.flag(Flag::Seen) {
            copy.set_flag(Flag::Seen, true, at);
        }
        copy
    }

    /// Sets `flag` in place (on a copy of the object: snapshots handed out never change).
    fn set_flag(&mut self, flag: Flag, on: bool, at: Option<&str>) {
        self.value = self.value.with_flag(KEYS[flag as usize], on, at);
        self.flags[flag as usize] = on;
    }

    /// What this notification adds to the `[unread, unseen]` counts (archived: nothing).
    pub fn counts(&self) -> [u64; 2] {
        let [read, seen, archived] = self.flags;
        [u64::from(!archived && !read), u64::from(!archived && !seen)]
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

    pub fn clear(&mut self) {
        self.items.clear();
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
        let merge = match self.get(&item.id) {
            None => Merge::Added,
            Some(held) if !replace || (held.flag(Flag::Read) && !item.flag(Flag::Read)) => {
                return Merge::Kept;
            }
            Some(_) => Merge::Updated,
        };
        self.put(item);
        merge
    }

    /// Removes and returns the entry `id`.
    pub fn remove(&mut self, id: &str) -> Option<Item<J>> {
        self.position(id).ok().map(|i| self.items.remove(i))
    }

    /// Adds `item`, or replaces the entry with its id, whatever the flags say.
    pub fn put(&mut self, item: Item<J>) {
        match self.position(&item.id) {
            Ok(i) => self.items[i] = item,
            Err(i) => self.items.insert(i, item),
        }
    }

    /// Sets `flag` of `id` to `on` (copying its object); returns the previous entry when it
    /// changed.
    pub fn set_flag(
        &mut self,
        id: &str,
        flag: Flag,
        on: bool,
        at: Option<&str>,
    ) -> Option<Item<J>> {
        let i = self.position(id).ok()?;
        if self.items[i].flag(flag) == on {
            return None;
        }
        let changed = self.items[i].with_flag(flag, on, at);
        Some(core::mem::replace(&mut self.items[i], changed))
    }

    /// Sets `flag` on every entry; returns the previous versions of those that changed.
    pub fn set_flag_all(&mut self, flag: Flag, at: Option<&str>) -> Vec<Item<J>> {
        let mut previous = Vec::new();
        for held in self.items.iter_mut().filter(|i| !i.flag(flag)) {
            let changed = held.with_flag(flag, true, at);
            previous.push(core::mem::replace(held, changed));
        }
        previous
    }

    /// Puts back earlier versions of entries (a failed action's rollback). Entries removed in
    /// the meantime stay removed, unless `reinsert` is set.
    pub fn restore(&mut self, previous: Vec<Item<J>>, reinsert: bool) {
        for item in previous {
            if reinsert || self.get(&item.id).is_some() {
                self.put(item);
            }
        }
    }

    /// Replaces the held list with a freshly loaded first page, keeping entries newer than both
    /// the page and `keep_newer_than` (they arrived live while the page was being loaded).
    pub fn replace_with_page(&mut self, page: Vec<Item<J>>, keep_newer_than: Option<&str>) {
        // The newest id of the page and the mark; the entries held above it are a prefix of the
        // list (newest first), counted by a plain loop.
        let mut floor = keep_newer_than;
        for item in &page {
            if floor.is_none_or(|f| item.id.as_str() > f) {
                floor = Some(&item.id);
            }
        }
        let mut kept = 0;
        while let (Some(item), Some(floor)) = (self.items.get(kept), floor) {
            if item.id.as_str() <= floor {
                break;
            }
            kept += 1;
        }
        self.items.truncate(kept);
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
        assert!(list.get("01").unwrap().flag(Flag::Read));
        // A stale unread copy never undoes a read.
        assert_eq!(list.upsert(item("01", false), true), Merge::Kept);
        assert!(list.get("01").unwrap().flag(Flag::Read));
    }

    #[test]
    fn set_flag_copies_and_reports_the_previous_entry() {
        let mut list = List::default();
        list.upsert(item("01", false), false);
        let before = list.set_flag("01", Flag::Read, true, Some("t")).unwrap();
        assert!(!before.flag(Flag::Read));
        assert_eq!(before.value["isRead"], false);
        let now = list.get("01").unwrap();
        assert_eq!(now.value["isRead"], true);
        assert_eq!(
            (now.value["isSeen"].clone(), now.flag(Flag::Seen)),
            (json!(true), true)
        );
        assert_eq!(now.value["seenAt"], "t", "reading marks seen");
        assert!(
            list.set_flag("01", Flag::Read, true, None).is_none(),
            "already read"
        );
        assert!(
            list.set_flag("zz", Flag::Read, true, None).is_none(),
            "unknown id"
        );
        let read = list.set_flag("01", Flag::Read, false, None).unwrap();
        let unread = list.get("01").unwrap();
        assert!(
            !unread.flag(Flag::Read) && unread.flag(Flag::Seen),
            "unread stays seen"
        );
        assert_eq!(unread.value["readAt"], Value::Null);
        list.restore(vec![read], false);
        assert!(list.get("01").unwrap().flag(Flag::Read));
        list.restore(vec![before], false);
        assert!(!list.get("01").unwrap().flag(Flag::Read));
    }

    #[test]
    fn counts_leave_out_archived_notifications() {
        let v = json!({"id": "1", "isRead": false, "isSeen": false, "isArchived": false});
        let fresh = Item::from_json(v).unwrap();
        assert_eq!(fresh.counts(), [1, 1]);
        assert_eq!(fresh.with_flag(Flag::Seen, true, None).counts(), [1, 0]);
        assert_eq!(fresh.with_flag(Flag::Read, true, None).counts(), [0, 0]);
        let archived = fresh.with_flag(Flag::Archived, true, Some("t"));
        assert_eq!(archived.counts(), [0, 0]);
        assert_eq!(archived.value["archivedAt"], "t");
        // A v1 notification (no isSeen) counts as seen once read.
        assert_eq!(item("2", true).counts(), [0, 0]);
        assert_eq!(item("3", false).counts(), [1, 1]);
    }

    #[test]
    fn put_replaces_whatever_the_flags_say() {
        let mut list = List::default();
        list.upsert(item("01", true), false);
        list.put(item("01", false));
        list.put(item("02", false));
        assert_eq!(ids(&list), ["02", "01"]);
        assert!(!list.get("01").unwrap().flag(Flag::Read));
    }

    #[test]
    fn mark_all_read_and_restore() {
        let mut list = List::default();
        for (id, read) in [("01", false), ("02", true), ("03", false)] {
            list.upsert(item(id, read), false);
        }
        let previous = list.set_flag_all(Flag::Read, None);
        assert_eq!(previous.len(), 2);
        assert!(list.items().iter().all(|i| i.flag(Flag::Read)));
        list.restore(previous, false);
        let reads: Vec<bool> = list.items().iter().map(|i| i.flag(Flag::Read)).collect();
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
        assert!(
            !Item::from_json(json!({"id": "1"}))
                .unwrap()
                .flag(Flag::Read)
        );
    }
}
