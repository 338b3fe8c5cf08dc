//! Relay connections over keyset cursors. A cursor is opaque to clients:
//! base64 of the sort key of the row it points at, never an offset.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::registry::{MetaType, Registry};
use async_graphql::OutputType;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{AppError, AppResult};

pub use crate::service::page::{PageRequest, Paged, DEFAULT_PAGE, MAX_PAGE};

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

/// A validated page request, as services take it.
pub type Page<K> = PageRequest<K>;

fn size(n: Option<i32>, field: &str) -> AppResult<Option<u64>> {
    match n {
        None => Ok(None),
        Some(n) if (0..=MAX_PAGE as i32).contains(&n) => Ok(Some(n as u64)),
        Some(_) => Err(AppError::invalid(field, format!("must be between 0 and {MAX_PAGE}"))),
    }
}

impl<K: DeserializeOwned> PageRequest<K> {
    /// From `first`/`after` only; `first` defaults to 20 and is capped at 100.
    pub fn forward(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        Self::from_args(first, after, None, None)
    }

    /// From the four Relay arguments: `first`/`after` walks forward,
    /// `last`/`before` backward (both cursors may bound either). Asking for
    /// `first` and `last` at once is refused rather than guessed at.
    pub fn from_args(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Self> {
        let first = size(first, "first")?;
        let last = size(last, "last")?;
        let after = after.as_deref().map(|c| decode_cursor(c, "after")).transpose()?;
        let before = before.as_deref().map(|c| decode_cursor(c, "before")).transpose()?;
        let (limit, backward) = match (first, last) {
            (Some(_), Some(_)) => return Err(AppError::invalid("last", "cannot be combined with first")),
            (None, Some(n)) => (n, true),
            (Some(n), None) => (n, false),
            // Only `before`: the page just before it.
            (None, None) => (DEFAULT_PAGE, before.is_some() && after.is_none()),
        };
        // A cursor on the other side still bounds the page.
        let page = PageRequest {
            limit,
            after,
            before,
            backward,
        };
        Ok(page)
    }
}

/// Builds a connection from rows fetched with `page.fetch()` in
/// `page.sql_descending(..)` order; `key` gives each row's sort key.
pub fn connection<T, K, N>(
    page: &Page<K>,
    rows: Vec<T>,
    key: impl Fn(&T) -> K,
    node: impl Fn(T) -> N,
) -> Connection<String, N, EmptyFields, EmptyFields>
where
    K: Serialize,
    N: OutputType,
{
    let paged = page.finish(rows);
    let mut conn = Connection::new(paged.has_previous, paged.has_next);
    conn.edges.extend(
        paged
            .rows
            .into_iter()
            .map(|row| Edge::new(encode_cursor(&key(&row)), node(row))),
    );
    conn
}

/// async-graphql's own text on every edge type and its fields.
const GENERIC_EDGE: &str = "An edge in a connection.";
const GENERIC_CURSOR: &str = "A cursor for use in pagination";
const GENERIC_NODE: &str = "The item at the end of the edge";

/// Describes every generated connection and edge type for API users
/// (async-graphql leaves connections without a description and edges with
/// a generic one). A description a domain wrote itself is kept.
pub(crate) fn document(registry: &mut Registry) {
    for (name, ty) in registry.types.iter_mut() {
        let MetaType::Object {
            description, fields, ..
        } = ty
        else {
            continue;
        };
        if let Some(node) = name.strip_suffix("Connection") {
            if fields.contains_key("edges") && fields.contains_key("pageInfo") && description.is_none() {
                *description = Some(format!(
                    "A page of {node} items (a Relay connection): `edges` with their cursors, `nodes`, \
                     `pageInfo` to ask for the next or previous page, and `totalCount` when selected."
                ));
            }
        } else if let Some(node) = name.strip_suffix("Edge") {
            if !(fields.contains_key("cursor") && fields.contains_key("node")) {
                continue;
            }
            if description.as_deref().is_none_or(|d| d == GENERIC_EDGE) {
                *description = Some(format!("One {node} of a page, with the cursor pointing at it."));
            }
            for (field, text) in [
                (
                    "cursor",
                    (
                        GENERIC_CURSOR,
                        "An opaque cursor pointing at this item: pass it as `after` or `before` to page from here.",
                    ),
                ),
                ("node", (GENERIC_NODE, "The item.")),
            ] {
                if let Some(f) = fields.get_mut(field) {
                    if f.description.as_deref().is_none_or(|d| d == text.0) {
                        f.description = Some(text.1.to_string());
                    }
                }
            }
        }
    }
}

/// What a connection's selection asks of its nodes, through `edges { node }`
/// and `nodes` alike, so a resolver that loads a page's relations up front
/// sees both spellings.
pub struct NodeSelection<'a>([async_graphql::Lookahead<'a>; 2]);

impl<'a> NodeSelection<'a> {
    /// The node selection of the connection being resolved.
    pub fn of(ctx: &'a async_graphql::Context<'_>) -> Self {
        let look = ctx.look_ahead();
        NodeSelection([look.field("edges").field("node"), look.field("nodes")])
    }

    /// The selection of `name` under the nodes.
    pub fn field(&self, name: &str) -> Self {
        NodeSelection([self.0[0].field(name), self.0[1].field(name)])
    }

    /// Whether either spelling selects it.
    pub fn exists(&self) -> bool {
        self.0.iter().any(|l| l.exists())
    }
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
