//! The SQL terms that narrow a page or a count to a filter (unread, unseen, archived state,
//! type), shared by both engines. Flags compare with `= FALSE` / `= TRUE`, the same text as
//! the partial indexes' conditions, so both engines match a query to its index; a type
//! prefix becomes a bytewise range, so it is an index range too.

use notify_bindings::Archived;

use super::{ListQuery, TypeFilter};

/// Terms to append to a `WHERE` (each starts with ` AND `) and the text parameters they name,
/// numbered on from the first free one.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Terms {
    pub sql: String,
    pub params: Vec<String>,
}

/// How an engine writes parameter `n`: SQLite `?n`, PostgreSQL `$n`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Placeholder {
    Question,
    Dollar,
}

impl Placeholder {
    fn at(self, n: usize) -> String {
        match self {
            Placeholder::Question => format!("?{n}"),
            Placeholder::Dollar => format!("${n}"),
        }
    }
}

/// The terms of a page: its flags, archived state and type. Parameters start at `first`.
pub(crate) fn list_terms(query: &ListQuery, first: usize, placeholder: Placeholder) -> Terms {
    let mut sql = String::new();
    if query.unread_only {
        sql.push_str(" AND is_read = FALSE");
    }
    if query.unseen_only {
        sql.push_str(" AND is_seen = FALSE");
    }
    sql.push_str(match query.archived {
        Archived::Exclude => " AND is_archived = FALSE",
        Archived::Only => " AND is_archived = TRUE",
        Archived::Include => "",
    });
    let mut terms = type_terms(query.kind.as_ref(), first, placeholder);
    terms.sql.insert_str(0, &sql);
    terms
}

/// The terms matching `kind` (none without one). Parameters start at `first`.
pub(crate) fn type_terms(
    kind: Option<&TypeFilter>,
    first: usize,
    placeholder: Placeholder,
) -> Terms {
    match kind {
        None => Terms::default(),
        Some(TypeFilter::Exact(kind)) => Terms {
            sql: format!(" AND type = {}", placeholder.at(first)),
            params: vec![kind.clone()],
        },
        Some(TypeFilter::Prefix(prefix)) => {
            let (low, high) = TypeFilter::prefix_range(prefix);
            Terms {
                sql: format!(
                    " AND type >= {} AND type < {}",
                    placeholder.at(first),
                    placeholder.at(first + 1)
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
            Placeholder::Dollar,
        );
        assert_eq!(
            terms.sql,
            " AND is_read = FALSE AND is_archived = FALSE AND type >= $4 AND type < $5"
        );
        assert_eq!(terms.params, ["payment.", "payment/"]);
        let terms = list_terms(
            &query(Archived::Include, Some(TypeFilter::Exact("info".into()))),
            2,
            Placeholder::Question,
        );
        assert_eq!(terms.sql, " AND is_read = FALSE AND type = ?2");
        assert_eq!(terms.params, ["info"]);
        assert_eq!(
            list_terms(&query(Archived::Only, None), 1, Placeholder::Question).sql,
            " AND is_read = FALSE AND is_archived = TRUE"
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
