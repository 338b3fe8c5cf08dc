//! The price history of a currency and its candles, computed in
//! PostgreSQL (`date_bin`), bounded so that no request reads without end.

use chrono::{DateTime, TimeZone, Utc};
use entity::enums::ExchangeOrderStatus;
use entity::price_history;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::error::{AppError, AppResult};
use crate::service::money::CurrencyCode;

/// Most price points one `history` call returns.
pub const MAX_HISTORY_POINTS: u64 = 10_000;
/// Most buckets one `candles` call may span.
pub const MAX_BUCKETS: i64 = 1_000;

/// The width of a candle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CandleInterval {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// Fifteen minutes.
    M15,
    /// One hour.
    H1,
    /// Four hours.
    H4,
    /// One day (UTC).
    D1,
}

impl CandleInterval {
    /// The width in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            CandleInterval::M1 => 60,
            CandleInterval::M5 => 300,
            CandleInterval::M15 => 900,
            CandleInterval::H1 => 3_600,
            CandleInterval::H4 => 14_400,
            CandleInterval::D1 => 86_400,
        }
    }
}

/// Where every bucket grid starts: buckets begin at UTC midnight and at
/// whole multiples of their width after it.
pub fn origin() -> DateTime<Utc> {
    Utc.timestamp_opt(946_684_800, 0).single().unwrap_or_default()
}

/// One bucket of prices: the first, highest, lowest and last price in
/// it and the amount of the currency completed exchange orders moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candle {
    /// Start of the bucket.
    pub bucket: DateTime<Utc>,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
}

/// `from < to`, or `BAD_USER_INPUT` on `to`.
fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<()> {
    if from >= to {
        return Err(AppError::invalid("to", "must be later than from"));
    }
    Ok(())
}

/// How many buckets of `interval` the range `[from, to)` touches.
pub fn bucket_count(interval: CandleInterval, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let width = interval.seconds();
    let start = origin().timestamp();
    let first = (from.timestamp() - start).div_euclid(width);
    // The bucket of the last instant before `to`.
    let last_instant = to.timestamp_micros() - 1;
    let last = (last_instant.div_euclid(1_000_000) - start).div_euclid(width);
    (last - first + 1).max(0)
}

/// The price points of `currency` recorded in `[from, to)`, oldest first;
/// `BAD_USER_INPUT` when `from >= to` or more than
/// [`MAX_HISTORY_POINTS`] fall in the range (narrow it, or ask for candles).
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    currency: CurrencyCode,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<price_history::Model>> {
    check_range(from, to)?;
    let rows = price_history::Entity::find()
        .filter(price_history::Column::Currency.eq(currency.as_str()))
        .filter(price_history::Column::RecordedAt.gte(from))
        .filter(price_history::Column::RecordedAt.lt(to))
        .order_by_asc(price_history::Column::RecordedAt)
        .order_by_asc(price_history::Column::Id)
        .limit(MAX_HISTORY_POINTS + 1)
        .all(conn)
        .await?;
    if rows.len() as u64 > MAX_HISTORY_POINTS {
        return Err(AppError::invalid(
            "from",
            format!("more than {MAX_HISTORY_POINTS} price points fall in this range; narrow it or use priceCandles"),
        ));
    }
    Ok(rows)
}

/// Candles of `currency` over `[from, to)`, oldest first, one per bucket
/// that holds price points: open is the first price by `recorded_at`,
/// close the last, high and low the extremes; volume is what COMPLETED
/// exchange orders whose `completed_at` falls in the bucket moved of the
/// currency (the `from_amount` where it was paid in, plus the `to_amount`
/// where it was paid out), 0 when none. Computed in one statement with
/// `date_bin`; at most [`MAX_BUCKETS`] buckets, else `BAD_USER_INPUT`.
pub async fn candles<C: ConnectionTrait>(
    conn: &C,
    currency: CurrencyCode,
    interval: CandleInterval,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<Candle>> {
    check_range(from, to)?;
    let n = bucket_count(interval, from, to);
    if n > MAX_BUCKETS {
        return Err(AppError::invalid(
            "interval",
            format!(
                "the range spans {n} buckets; at most {MAX_BUCKETS} are allowed: narrow it or use a wider interval"
            ),
        ));
    }
    const SQL: &str = "
        WITH p AS (
            SELECT date_bin(make_interval(secs => $4), recorded_at, $5) AS bucket, price_usd, recorded_at, id
            FROM price_history
            WHERE currency = $1 AND recorded_at >= $2 AND recorded_at < $3
        ), c AS (
            SELECT bucket,
                   (array_agg(price_usd ORDER BY recorded_at, id))[1] AS open,
                   max(price_usd) AS high,
                   min(price_usd) AS low,
                   (array_agg(price_usd ORDER BY recorded_at DESC, id DESC))[1] AS close
            FROM p GROUP BY bucket
        ), v AS (
            SELECT date_bin(make_interval(secs => $4), completed_at, $5) AS bucket,
                   sum(CASE WHEN from_currency = $1 THEN from_amount ELSE 0 END
                       + CASE WHEN to_currency = $1 THEN to_amount ELSE 0 END) AS volume
            FROM exchange_orders
            WHERE status = $6 AND completed_at >= $2 AND completed_at < $3
              AND (from_currency = $1 OR to_currency = $1)
            GROUP BY 1
        )
        SELECT c.bucket, c.open, c.high, c.low, c.close, coalesce(v.volume, 0) AS volume
        FROM c LEFT JOIN v ON v.bucket = c.bucket
        ORDER BY c.bucket";
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL,
            [
                currency.into(),
                from.into(),
                to.into(),
                (interval.seconds() as f64).into(),
                origin().into(),
                ExchangeOrderStatus::Completed.to_value().into(),
            ],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Candle {
            bucket: r.try_get::<DateTime<Utc>>("", "bucket")?,
            open: r.try_get("", "open")?,
            high: r.try_get("", "high")?,
            low: r.try_get("", "low")?,
            close: r.try_get("", "close")?,
            volume: r.try_get("", "volume")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_are_counted_on_the_grid() {
        let h1 = CandleInterval::H1;
        assert_eq!(
            bucket_count(h1, at("2026-01-01T00:00:00Z"), at("2026-01-01T01:00:00Z")),
            1
        );
        assert_eq!(
            bucket_count(h1, at("2026-01-01T00:30:00Z"), at("2026-01-01T01:00:01Z")),
            2
        );
        assert_eq!(
            bucket_count(h1, at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z")),
            24
        );
        let m1 = CandleInterval::M1;
        assert_eq!(
            bucket_count(m1, at("2026-01-01T00:00:00Z"), at("2026-01-01T16:40:00Z")),
            1000
        );
        assert_eq!(
            bucket_count(m1, at("2026-01-01T00:00:00Z"), at("2026-01-01T16:40:00.000001Z")),
            1001
        );
        assert_eq!(
            bucket_count(
                CandleInterval::D1,
                at("2026-01-01T23:00:00Z"),
                at("2026-01-02T01:00:00Z")
            ),
            2
        );
        assert_eq!(CandleInterval::H4.seconds(), 4 * 3600);
        assert_eq!(origin(), at("2000-01-01T00:00:00Z"));
    }

    #[test]
    fn an_empty_or_reversed_range_is_refused() {
        let t = at("2026-01-01T00:00:00Z");
        assert!(check_range(t, t).is_err());
        assert!(check_range(t, at("2025-01-01T00:00:00Z")).is_err());
        assert!(check_range(t, at("2026-01-01T00:00:01Z")).is_ok());
    }
}
