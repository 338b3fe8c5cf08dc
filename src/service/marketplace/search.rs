//! `professionals`: public profiles found by profession, location, tags
//! (GIN), price (`price_from_inr`, kept by a trigger), verification and
//! full text (the generated `search_vector`: name and tags weigh most),
//! ordered by relevance, price, rating or newest. One statement a page,
//! keyset both ways; the rating and price are stored columns, never
//! aggregated per row.

use chrono::{DateTime, Utc};
use entity::enums::{ApprovalStatus, ProfileStatus, VerificationStatus};
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::professions;
use super::profiles::{select_sql, utc, ProfileRow, MAX_TAGS};
use crate::error::{AppError, AppResult};
use crate::service::page::{PageRequest, Paged};

/// Longest search text.
pub const MAX_SEARCH: usize = 200;

/// Which professionals to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub role_key: Option<String>,
    /// Case-insensitive part of the location.
    pub location: Option<String>,
    /// Every one of these tags.
    pub tags: Vec<String>,
    pub min_price_inr: Option<i64>,
    pub max_price_inr: Option<i64>,
    pub verified_only: bool,
    /// Full text over name, tags, location and bio.
    pub search: Option<String>,
}

/// The order of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// Best match first (without search text: as [`Order::Rating`]).
    #[default]
    Relevance,
    /// Cheapest "from" price first; no price last.
    Price,
    /// Highest rating first, then most reviews.
    Rating,
    /// Newest profile first.
    Newest,
}

/// A position in the list; each order has its own kind of key.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Cursor {
    Rank(f32, Uuid),
    Price(i64, Uuid),
    Rating(Decimal, i32, Uuid),
    Newest(DateTime<Utc>, Uuid),
}

/// "No price" sorts after every price.
const NO_PRICE: i64 = i64::MAX;

impl Filter {
    /// Checks the filter: known profession, bounded text and tags, a sane
    /// price range.
    pub fn checked(mut self) -> AppResult<Self> {
        if let Some(k) = &self.role_key {
            let k = k.trim();
            if professions::profession(k).is_none() {
                return Err(AppError::invalid(
                    "filter.roleKey",
                    format!("must be one of {}", professions::keys()),
                ));
            }
            self.role_key = Some(k.to_string());
        }
        self.search = self.search.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if self.search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH) {
            return Err(AppError::invalid(
                "filter.search",
                format!("must be at most {MAX_SEARCH} characters"),
            ));
        }
        self.location = self.location.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if self.location.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH) {
            return Err(AppError::invalid("filter.location", "is too long"));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(AppError::invalid("filter.tags", format!("at most {MAX_TAGS} tags")));
        }
        self.tags = self
            .tags
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        for (field, v) in [
            ("filter.minPriceInr", self.min_price_inr),
            ("filter.maxPriceInr", self.max_price_inr),
        ] {
            if v.is_some_and(|v| v < 0) {
                return Err(AppError::invalid(field, "must not be negative"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_price_inr, self.max_price_inr) {
            if lo > hi {
                return Err(AppError::invalid("filter.maxPriceInr", "must be at least minPriceInr"));
            }
        }
        Ok(self)
    }
}

/// SQL pieces built once per request: the WHERE clause with its values.
struct Query {
    wheres: Vec<String>,
    values: Vec<Value>,
    /// The placeholder of the search text, when there is one.
    search: Option<usize>,
}

impl Query {
    fn bind(&mut self, v: impl Into<Value>) -> usize {
        self.values.push(v.into());
        self.values.len()
    }

    fn new(f: &Filter) -> Self {
        let mut q = Query {
            wheres: Vec::new(),
            values: Vec::new(),
            search: None,
        };
        let (a, b) = (
            q.bind(ProfileStatus::Active.to_value()),
            q.bind(ApprovalStatus::Approved.to_value()),
        );
        q.wheres.push(format!(
            "p.status = ${a} AND p.approval_status = ${b} AND p.is_profile_public"
        ));
        if let Some(k) = &f.role_key {
            let i = q.bind(k.clone());
            q.wheres.push(format!("p.role_key = ${i}"));
        }
        if let Some(l) = &f.location {
            let i = q.bind(format!("%{}%", escape_like(l)));
            q.wheres.push(format!("p.location ILIKE ${i}"));
        }
        if !f.tags.is_empty() {
            let i = q.bind(f.tags.clone());
            q.wheres.push(format!("p.tags @> ${i}::text[]"));
        }
        if let Some(v) = f.min_price_inr {
            let i = q.bind(v);
            q.wheres.push(format!("p.price_from_inr >= ${i}"));
        }
        if let Some(v) = f.max_price_inr {
            let i = q.bind(v);
            q.wheres.push(format!("p.price_from_inr <= ${i}"));
        }
        if f.verified_only {
            let i = q.bind(VerificationStatus::Verified.to_value());
            q.wheres.push(format!("p.verification_status = ${i}"));
        }
        if let Some(s) = &f.search {
            let i = q.bind(s.clone());
            q.search = Some(i);
            q.wheres
                .push(format!("p.search_vector @@ websearch_to_tsquery('english', ${i})"));
        }
        q
    }

    fn rank(&self) -> String {
        match self.search {
            Some(i) => format!("ts_rank_cd(p.search_vector, websearch_to_tsquery('english', ${i}))"),
            None => "0".into(),
        }
    }
}

/// `%`, `_` and `\` match themselves.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The order actually used (relevance needs search text).
pub fn effective(order: Order, f: &Filter) -> Order {
    if order == Order::Relevance && f.search.is_none() {
        Order::Rating
    } else {
        order
    }
}

/// The cursor of `row` in `order`.
pub fn cursor(order: Order, row: &ProfileRow) -> Cursor {
    match order {
        Order::Relevance => Cursor::Rank(row.rank, row.id),
        Order::Price => Cursor::Price(row.price_from_inr.unwrap_or(NO_PRICE), row.id),
        Order::Rating => Cursor::Rating(row.rating, row.review_count, row.id),
        Order::Newest => Cursor::Newest(utc(row.created_at), row.id),
    }
}

/// A page of public professionals.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    filter: &Filter,
    order: Order,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<ProfileRow>> {
    let order = effective(order, filter);
    let mut q = Query::new(filter);
    let rank = q.rank();
    let (keys, descending): (Vec<String>, bool) = match order {
        Order::Relevance => (vec![format!("({rank})::real"), "p.id".into()], true),
        Order::Price => (
            vec![format!("coalesce(p.price_from_inr, {NO_PRICE})"), "p.id".into()],
            false,
        ),
        Order::Rating => (vec!["p.rating".into(), "p.review_count".into(), "p.id".into()], true),
        Order::Newest => (vec!["p.created_at".into(), "p.id".into()], true),
    };
    for (op, c) in page.bounds(descending) {
        let values: Vec<Value> = match (order, c) {
            (Order::Relevance, Cursor::Rank(r, id)) => vec![(*r).into(), (*id).into()],
            (Order::Price, Cursor::Price(p, id)) => vec![(*p).into(), (*id).into()],
            (Order::Rating, Cursor::Rating(r, n, id)) => vec![(*r).into(), (*n).into(), (*id).into()],
            (Order::Newest, Cursor::Newest(t, id)) => vec![(*t).into(), (*id).into()],
            _ => return Err(AppError::invalid("after", "the cursor belongs to another order")),
        };
        let marks: Vec<String> = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let n = q.bind(v);
                if i == 0 && order == Order::Relevance {
                    format!("${n}::real")
                } else {
                    format!("${n}")
                }
            })
            .collect();
        q.wheres
            .push(format!("({}) {op} ({})", keys.join(", "), marks.join(", ")));
    }
    let dir = if page.sql_descending(descending) { "DESC" } else { "ASC" };
    let order_by: Vec<String> = keys.iter().map(|k| format!("{k} {dir}")).collect();
    let limit = q.bind(page.fetch() as i64);
    let sql = format!(
        "{} WHERE {} ORDER BY {} LIMIT ${limit}",
        select_sql(&rank),
        q.wheres.join(" AND "),
        order_by.join(", ")
    );
    let rows = ProfileRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, q.values))
        .all(conn)
        .await?;
    Ok(page.finish(rows))
}

/// How many public professionals match `filter`.
pub async fn count<C: ConnectionTrait>(conn: &C, filter: &Filter) -> AppResult<u64> {
    let q = Query::new(filter);
    let sql = format!(
        "SELECT count(*) AS n FROM user_role_profiles p WHERE {}",
        q.wheres.join(" AND ")
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, q.values))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_without_search_text_is_rating() {
        let f = Filter::default();
        assert_eq!(effective(Order::Relevance, &f), Order::Rating);
        let f = Filter {
            search: Some("wedding".into()),
            ..Filter::default()
        };
        assert_eq!(effective(Order::Relevance, &f), Order::Relevance);
        assert_eq!(effective(Order::Price, &f), Order::Price);
    }

    #[test]
    fn filters_are_checked_and_normalised() {
        let f = Filter {
            role_key: Some(" photographer ".into()),
            tags: vec![" Weddings ".into(), "".into()],
            search: Some("  ".into()),
            ..Filter::default()
        }
        .checked()
        .unwrap();
        assert_eq!(f.role_key.as_deref(), Some("photographer"));
        assert_eq!(f.tags, vec!["weddings".to_string()]);
        assert_eq!(f.search, None);
        assert!(Filter {
            role_key: Some("astronaut".into()),
            ..Filter::default()
        }
        .checked()
        .is_err());
        assert!(Filter {
            min_price_inr: Some(10),
            max_price_inr: Some(5),
            ..Filter::default()
        }
        .checked()
        .is_err());
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn the_where_clause_binds_every_value() {
        let f = Filter {
            role_key: Some("tutor".into()),
            location: Some("Pune".into()),
            tags: vec!["maths".into()],
            min_price_inr: Some(1),
            max_price_inr: Some(2),
            verified_only: true,
            search: Some("algebra".into()),
        };
        let q = Query::new(&f);
        assert_eq!(q.values.len(), 9);
        assert!(q.rank().contains("$9"));
    }
}
