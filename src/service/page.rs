//! Keyset pages in both directions. A page is `first` rows after a cursor
//! or `last` rows before one; a backward page is read from its far end
//! (the SQL order flips) and turned round before it is returned, so every
//! list can be walked from either end with no OFFSET.

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

#[cfg(test)]
mod tests {
    use super::*;

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
