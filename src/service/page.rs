//! Keyset pages in both directions. A page is `first` rows after a cursor
//! or `last` rows before one; a backward page is read from its far end
//! (the SQL order flips) and turned round before it is returned, so every
//! list can be walked from either end with no OFFSET.
//!
//! [`PageRequest::sql`] writes that SQL for lists whose sort columns all
//! run the same way (a row-value comparison); [`count`] reads a list's
//! total.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::AppResult;

/// Largest page a client may ask for.
pub const MAX_PAGE: u64 = 100;
/// Page size when the client names none.
pub const DEFAULT_PAGE: u64 = 20;

/// A validated page request over sort keys `K`.
#[derive(Debug, Clone)]
pub struct PageRequest<K> {
    /// Rows wanted (at most [`MAX_PAGE`]).
    pub limit: u64,
    /// Only rows after this key (in list order).
    pub after: Option<K>,
    /// Only rows before this key (in list order).
    pub before: Option<K>,
    /// `last`: the page ends at `before` (or at the end of the list).
    pub backward: bool,
}

/// One page of rows in list order, and whether more lie on either side.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<K> PageRequest<K> {
    /// The first `limit` rows after `after`.
    pub fn first(limit: u64, after: Option<K>) -> Self {
        PageRequest {
            limit: limit.min(MAX_PAGE),
            after,
            before: None,
            backward: false,
        }
    }

    /// The last `limit` rows before `before`.
    pub fn last(limit: u64, before: Option<K>) -> Self {
        PageRequest {
            limit: limit.min(MAX_PAGE),
            after: None,
            before,
            backward: true,
        }
    }

    /// How many rows to fetch: one more than the page, to learn if more exist.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// Whether the SQL sorts descending, for a list shown `descending`: a
    /// backward page reads from the other end.
    pub fn sql_descending(&self, descending: bool) -> bool {
        descending != self.backward
    }

    /// The keyset bounds to AND into the query, as (operator, key) for a
    /// row-value comparison `(sort columns) <op> (key)`, for a list shown
    /// `descending`.
    pub fn bounds(&self, descending: bool) -> Vec<(&'static str, &K)> {
        let (past, short_of) = if descending { ("<", ">") } else { (">", "<") };
        let mut out = Vec::new();
        if let Some(k) = &self.after {
            out.push((past, k));
        }
        if let Some(k) = &self.before {
            out.push((short_of, k));
        }
        out
    }

    /// Turns rows fetched with [`fetch`](Self::fetch) in
    /// [`sql_descending`](Self::sql_descending) order into the page.
    pub fn finish<T>(&self, mut rows: Vec<T>) -> Paged<T> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        if self.backward {
            rows.reverse();
            Paged {
                rows,
                has_previous: more,
                has_next: self.before.is_some(),
            }
        } else {
            Paged {
                rows,
                has_previous: self.after.is_some(),
                has_next: more,
            }
        }
    }

    /// The same request over another key type (after decoding cursors).
    pub fn map<L>(self, mut f: impl FnMut(K) -> L) -> PageRequest<L> {
        PageRequest {
            limit: self.limit,
            after: self.after.map(&mut f),
            before: self.before.map(&mut f),
            backward: self.backward,
        }
    }
}

/// A sort key that binds itself as SQL values, one per sort column in
/// order, so [`PageRequest::sql`] can write its bounds for any list.
pub trait SqlKey {
    /// Appends the key's values, in sort-column order.
    fn push_values(&self, values: &mut Vec<Value>);
}

impl<A, B> SqlKey for (A, B)
where
    A: Clone + Into<Value>,
    B: Clone + Into<Value>,
{
    fn push_values(&self, values: &mut Vec<Value>) {
        values.push(self.0.clone().into());
        values.push(self.1.clone().into());
    }
}

impl<K: SqlKey> PageRequest<K> {
    /// The keyset SQL of a page over sort `columns` (in the key's order)
    /// of a list shown `descending`, so no list hand-writes it: pushes the
    /// bounds onto `wheres` and their values onto `values` (numbered `$n`
    /// on from those already there), then returns the
    /// `ORDER BY … LIMIT $n` tail, its limit bound last.
    ///
    /// Every column sorts the same way, which is what makes each bound one
    /// row-value comparison: a list with mixed directions (say rating
    /// DESC, id ASC) must not use this.
    pub fn sql(&self, columns: &[&str], descending: bool, wheres: &mut Vec<String>, values: &mut Vec<Value>) -> String {
        let row = columns.join(", ");
        for (op, key) in self.bounds(descending) {
            let first = values.len() + 1;
            key.push_values(values);
            debug_assert_eq!(values.len() + 1 - first, columns.len(), "one key value a sort column");
            let params: Vec<String> = (first..=values.len()).map(|n| format!("${n}")).collect();
            wheres.push(format!("({row}) {op} ({})", params.join(", ")));
        }
        let dir = if self.sql_descending(descending) { "DESC" } else { "ASC" };
        let order: Vec<String> = columns.iter().map(|c| format!("{c} {dir}")).collect();
        values.push((self.fetch() as i64).into());
        format!("ORDER BY {} LIMIT ${}", order.join(", "), values.len())
    }
}

/// Runs `sql`, a `SELECT count(*) AS n …`, and reads `n`: the one way
/// lists read their totals.
pub async fn count<C, I>(conn: &C, sql: impl Into<String>, values: I) -> AppResult<u64>
where
    C: ConnectionTrait,
    I: IntoIterator<Item = Value>,
{
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn key(secs: i64, id: u128) -> (DateTime<Utc>, Uuid) {
        (Utc.timestamp_opt(secs, 0).unwrap(), Uuid::from_u128(id))
    }

    #[test]
    fn sql_numbers_its_placeholders_after_the_values_already_bound() {
        let p = PageRequest::first(10, Some(key(100, 7)));
        let mut wheres = vec!["x.owner = $1".to_string(), "x.kind = $2".to_string()];
        let mut values: Vec<Value> = vec![Uuid::nil().into(), "a".into()];
        let tail = p.sql(&["x.created_at", "x.id"], true, &mut wheres, &mut values);
        assert_eq!(wheres[2], "(x.created_at, x.id) < ($3, $4)");
        assert_eq!(wheres.len(), 3);
        assert_eq!(tail, "ORDER BY x.created_at DESC, x.id DESC LIMIT $5");
        let (at, id) = key(100, 7);
        assert_eq!(values[2], Value::from(at));
        assert_eq!(values[3], Value::from(id));
        assert_eq!(values[4], Value::from(11i64));
        assert_eq!(values.len(), 5);
    }

    #[test]
    fn sql_with_no_cursor_only_orders_and_limits() {
        let p: PageRequest<(DateTime<Utc>, Uuid)> = PageRequest::first(3, None);
        let (mut wheres, mut values) = (Vec::new(), Vec::new());
        let tail = p.sql(&["a", "b"], false, &mut wheres, &mut values);
        assert!(wheres.is_empty());
        assert_eq!(tail, "ORDER BY a ASC, b ASC LIMIT $1");
        assert_eq!(values, vec![Value::from(4i64)]);
    }

    #[test]
    fn sql_bounds_follow_the_list_direction_and_flip_the_order_backward() {
        // Ascending list, backward page: rows before the cursor, read
        // from the far end.
        let p = PageRequest::last(5, Some(key(50, 1)));
        let (mut wheres, mut values) = (Vec::new(), Vec::new());
        let tail = p.sql(&["a", "b"], false, &mut wheres, &mut values);
        assert_eq!(wheres, vec!["(a, b) < ($1, $2)"]);
        assert_eq!(tail, "ORDER BY a DESC, b DESC LIMIT $3");

        // Descending list, backward page: rows above the cursor, read
        // ascending.
        let p = PageRequest::last(5, Some(key(50, 1)));
        let (mut wheres, mut values) = (Vec::new(), Vec::new());
        let tail = p.sql(&["a", "b"], true, &mut wheres, &mut values);
        assert_eq!(wheres, vec!["(a, b) > ($1, $2)"]);
        assert_eq!(tail, "ORDER BY a ASC, b ASC LIMIT $3");
    }

    #[test]
    fn sql_binds_after_and_before_together_in_that_order() {
        let p = PageRequest {
            limit: 2,
            after: Some(key(300, 3)),
            before: Some(key(100, 1)),
            backward: false,
        };
        let mut wheres = vec!["true".to_string()];
        let mut values: Vec<Value> = vec![Uuid::nil().into()];
        let tail = p.sql(&["c.at", "c.id"], true, &mut wheres, &mut values);
        assert_eq!(
            wheres,
            vec!["true", "(c.at, c.id) < ($2, $3)", "(c.at, c.id) > ($4, $5)"]
        );
        assert_eq!(tail, "ORDER BY c.at DESC, c.id DESC LIMIT $6");
        let (after_at, after_id) = key(300, 3);
        let (before_at, before_id) = key(100, 1);
        assert_eq!(
            values[1..],
            [
                Value::from(after_at),
                Value::from(after_id),
                Value::from(before_at),
                Value::from(before_id),
                Value::from(3i64),
            ]
        );
    }

    #[test]
    fn a_backward_page_is_read_reversed_and_turned_round() {
        let p = PageRequest::last(2, Some(10));
        assert!(p.sql_descending(false));
        assert_eq!(p.bounds(false), vec![("<", &10)]);
        // SQL returned 9, 8, 7 (descending, one extra).
        let page = p.finish(vec![9, 8, 7]);
        assert_eq!(page.rows, vec![8, 9]);
        assert!(page.has_previous);
        assert!(page.has_next);
    }

    #[test]
    fn a_forward_page_keeps_its_order() {
        let p = PageRequest::first(2, Some(3));
        assert!(p.sql_descending(true));
        assert_eq!(p.bounds(true), vec![("<", &3)]);
        let page = p.finish(vec![2, 1]);
        assert_eq!(page.rows, vec![2, 1]);
        assert!(page.has_previous);
        assert!(!page.has_next);
    }
}
