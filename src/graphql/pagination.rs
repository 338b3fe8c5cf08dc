//! Relay connections over keyset cursors. A cursor is opaque to clients:
//! base64 of the sort key of the row it points at, never an offset.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::OutputType;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{AppError, AppResult};

/// Largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;
/// Page size when the client names none.
pub const DEFAULT_PAGE: i32 = 20;

/// Encodes a sort key as an opaque cursor.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Decodes a cursor made by [`encode_cursor`]; `field` names the argument.
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str, field: &str) -> AppResult<K> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::invalid(field, "is not a cursor this API issued"))
}

/// A validated forward page request: at most `limit` rows after `after`.
#[derive(Debug, Clone)]
pub struct Page<K> {
    pub limit: u64,
    pub after: Option<K>,
}

impl<K: DeserializeOwned> Page<K> {
    /// From `first`/`after`; `first` defaults to 20 and is capped at 100.
    pub fn forward(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let first = first.unwrap_or(DEFAULT_PAGE);
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(AppError::invalid("first", format!("must be between 0 and {MAX_PAGE}")));
        }
        let after = after.as_deref().map(|c| decode_cursor(c, "after")).transpose()?;
        Ok(Page {
            limit: first as u64,
            after,
        })
    }

    /// How many rows to fetch: one more than the page, to learn if more exist.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }
}

/// Builds a connection from rows fetched with `page.fetch()`; `key` gives
/// each row's sort key. `total` is computed only if the client asked.
pub fn connection<T, K, N>(
    page: &Page<K>,
    mut rows: Vec<T>,
    key: impl Fn(&T) -> K,
    node: impl Fn(T) -> N,
) -> Connection<String, N, EmptyFields, EmptyFields>
where
    K: Serialize,
    N: OutputType,
{
    let has_next = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let mut conn = Connection::new(page.after.is_some(), has_next);
    conn.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(encode_cursor(&key(&row)), node(row))),
    );
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(&("2026-01-01T00:00:00Z", 42));
        let back: (String, i32) = decode_cursor(&c, "after").unwrap();
        assert_eq!(back.1, 42);
        assert!(decode_cursor::<(String, i32)>("not-a-cursor", "after").is_err());
        assert!(Page::<String>::forward(Some(101), None).is_err());
        assert!(Page::<String>::forward(Some(-1), None).is_err());
    }
}
