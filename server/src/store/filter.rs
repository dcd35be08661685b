//! The SQL terms that narrow a page or a count to a filter (unread, unseen, archived state,
//! type), shared by both engines. Flags compare with each engine's literals (SQLite `0`/`1`,
//! PostgreSQL `FALSE`/`TRUE`), the same text as its partial indexes' conditions, so the
//! planner matches a query to its index; a type prefix becomes a bytewise range, so it is an
//! index range too.

use notify_bindings::Archived;

use super::{ListQuery, TypeFilter};

/// Terms to append to a `WHERE` (each starts with ` AND `) and the text parameters they name,
/// numbered on from the first free one.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Terms {
    pub sql: String,
    pub params: Vec<String>,
}

/// The engine a query is written for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Parameter `n`: SQLite `?n`, PostgreSQL `$n`.
    fn at(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// ` AND <column> = <value>`, with the engine's literal for `value`.
    fn flag(self, column: &str, value: bool) -> String {
        let literal = match (self, value) {
            (Dialect::Sqlite, false) => "0",
            (Dialect::Sqlite, true) => "1",
            (Dialect::Postgres, false) => "FALSE",
            (Dialect::Postgres, true) => "TRUE",
        };
        format!(" AND {column} = {literal}")
    }
}

/// The terms of a page: its flags, archived state and type. Parameters start at `first`.
pub(crate) fn list_terms(query: &ListQuery, first: usize, dialect: Dialect) -> Terms {
    let mut sql = String::new();
    if query.unread_only {
        sql.push_str(&dialect.flag("is_read", false));
    }
    if query.unseen_only {
        sql.push_str(&dialect.flag("is_seen", false));
    }
    match query.archived {
        Archived::Exclude => sql.push_str(&dialect.flag("is_archived", false)),
        Archived::Only => sql.push_str(&dialect.flag("is_archived", true)),
        Archived::Include => {}
    }
    let mut terms = type_terms(query.kind.as_ref(), first, dialect);
    terms.sql.insert_str(0, &sql);
    terms
}

/// The terms matching `kind` (none without one). Parameters start at `first`.
pub(crate) fn type_terms(kind: Option<&TypeFilter>, first: usize, dialect: Dialect) -> Terms {
    match kind {
        None => Terms::default(),
        Some(TypeFilter::Exact(kind)) => Terms {
            sql: format!(" AND type = {}", dialect.at(first)),
            params: vec![kind.clone()],
        },
        Some(TypeFilter::Prefix(prefix)) => {
            let (low, high) = TypeFilter::prefix_range(prefix);
            Terms {
                sql: format!(
                    " AND type >= {} AND type < {}",
                    dialect.at(first),
                    dialect.at(first + 1)
                ),
                params: vec![low, high],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(archived: Archived, kind: Option<TypeFilter>) -> ListQuery {
        ListQuery {
            limit: 20,
            unread_only: true,
            archived,
            kind,
            ..ListQuery::default()
        }
    }

    #[test]
    fn flags_archived_state_and_prefix_range() {
        let terms = list_terms(
            &query(
                Archived::Exclude,
                Some(TypeFilter::Prefix("payment.".into())),
            ),
            4,
            Dialect::Postgres,
        );
        assert_eq!(
            terms.sql,
            " AND is_read = FALSE AND is_archived = FALSE AND type >= $4 AND type < $5"
        );
        assert_eq!(terms.params, ["payment.", "payment/"]);
        let terms = list_terms(
            &query(Archived::Include, Some(TypeFilter::Exact("info".into()))),
            2,
            Dialect::Sqlite,
        );
        assert_eq!(terms.sql, " AND is_read = 0 AND type = ?2");
        assert_eq!(terms.params, ["info"]);
        assert_eq!(
            list_terms(&query(Archived::Only, None), 1, Dialect::Sqlite).sql,
            " AND is_read = 0 AND is_archived = 1"
        );
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_types_under_it() {
        let (low, high) = TypeFilter::prefix_range("payment.");
        let inside = |t: &str| low.as_str() <= t && t < high.as_str();
        assert!(inside("payment.received") && inside("payment.card.declined"));
        assert!(inside("payment.\u{10FFFF}"));
        assert!(!inside("payment") && !inside("payments") && !inside("payment-x"));
        assert!(!inside("payment/") && !inside("paymenu"));
    }
}
