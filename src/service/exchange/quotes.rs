//! Quotes: the rate, the fee from `fee_config`, the network fee and the
//! amount to receive, in exact decimals. A FIXED quote is stored and locks
//! its rate until it expires; an order takes it at most once.
//!
//! Rounding, per currency (`currencies.decimals`):
//! - the amount sent must already fit the from-currency's decimals (no
//!   silent rounding of what the customer pays);
//! - the fee is `fromAmount × percentage / 100 + flat`, clamped to the
//!   rule's minimum and maximum, then rounded UP to the from-currency's
//!   decimals (never less than the rule says);
//! - the amount received is `(fromAmount − fee) × rate − networkFee`,
//!   rounded DOWN (toward zero) to the to-currency's decimals: the
//!   exchange never promises a fraction it cannot send;
//! - rates keep 18 decimal places.

use chrono::{DateTime, Utc};
use entity::enums::{FeeType, RateType};
use entity::exchange_quotes;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};
use uuid::Uuid;

use super::pairs::{self, Pair};
use super::rates;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;

/// A fee rule of `fee_config`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeRule {
    pub percentage: Decimal,
    pub flat: Decimal,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
}

/// What a quote works out to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures {
    pub from_amount: Decimal,
    pub rate: Decimal,
    pub fee: Decimal,
    pub network_fee: Decimal,
    pub to_amount: Decimal,
}

/// Why an amount cannot be exchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FigureError {
    #[error("the amount has more decimal places than the currency ({0})")]
    TooPrecise(u32),
    #[error("the fees take the whole amount")]
    EatenByFees,
    #[error("the amount is too large to compute")]
    Overflow,
}

/// The figures of exchanging `from_amount` at `rate` (the rounding rules
/// are this module's documentation).
pub fn figures(
    from_amount: Decimal,
    rate: Decimal,
    fee: FeeRule,
    network_fee: Decimal,
    from_decimals: u32,
    to_decimals: u32,
) -> Result<Figures, FigureError> {
    if from_amount.normalize().scale() > from_decimals {
        return Err(FigureError::TooPrecise(from_decimals));
    }
    let pct = from_amount
        .checked_mul(fee.percentage)
        .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
        .ok_or(FigureError::Overflow)?;
    let mut fee_amount = pct.checked_add(fee.flat).ok_or(FigureError::Overflow)?;
    if let Some(min) = fee.min {
        fee_amount = fee_amount.max(min);
    }
    if let Some(max) = fee.max {
        fee_amount = fee_amount.min(max);
    }
    let fee_amount = fee_amount.round_dp_with_strategy(from_decimals, RoundingStrategy::AwayFromZero);
    if fee_amount >= from_amount {
        return Err(FigureError::EatenByFees);
    }
    let rate = rate.round_dp_with_strategy(18, RoundingStrategy::MidpointNearestEven);
    let gross = (from_amount - fee_amount)
        .checked_mul(rate)
        .ok_or(FigureError::Overflow)?;
    let to_amount = (gross - network_fee).round_dp_with_strategy(to_decimals, RoundingStrategy::ToZero);
    if to_amount <= Decimal::ZERO {
        return Err(FigureError::EatenByFees);
    }
    Ok(Figures {
        from_amount,
        rate,
        fee: fee_amount,
        network_fee,
        to_amount,
    })
}

/// The active EXCHANGE fee rule for deposits in `currency`.
pub async fn fee_rule<C: ConnectionTrait>(conn: &C, currency: &str) -> AppResult<FeeRule> {
    fee_rule_of(conn, FeeType::Exchange, currency).await
}

/// The active `kind` fee rule for `currency` (its own rule first, else the
/// rule for every currency; none: free).
pub async fn fee_rule_of<C: ConnectionTrait>(conn: &C, kind: FeeType, currency: &str) -> AppResult<FeeRule> {
    #[derive(FromQueryResult)]
    struct Row {
        percentage_fee: Decimal,
        flat_fee: Decimal,
        min_amount: Option<Decimal>,
        max_amount: Option<Decimal>,
    }
    let row = Row::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT percentage_fee, flat_fee, min_amount, max_amount FROM fee_config \
         WHERE is_active AND fee_type = $2 AND (currency = $1 OR currency IS NULL) \
         ORDER BY currency NULLS LAST, created_at DESC LIMIT 1",
        [currency.into(), kind.to_value().into()],
    ))
    .one(conn)
    .await?;
    Ok(row
        .map(|r| FeeRule {
            percentage: r.percentage_fee,
            flat: r.flat_fee,
            min: r.min_amount,
            max: r.max_amount,
        })
        .unwrap_or_default())
}

/// A quote as returned to the client.
#[derive(Clone, Debug)]
pub struct Quote {
    pub pair: Pair,
    pub rate_type: RateType,
    pub figures: Figures,
    /// FIXED only: the stored quote and until when it holds.
    pub locked: Option<(Uuid, DateTime<Utc>)>,
}

/// What a client asks a quote for.
#[derive(Clone, Copy, Debug)]
pub struct QuoteAsk {
    pub from: CurrencyCode,
    pub to: CurrencyCode,
    pub from_amount: Decimal,
    pub rate_type: RateType,
}

/// The figures of `ask` at the current rate (nothing stored).
pub async fn price<C: ConnectionTrait>(conn: &C, ask: &QuoteAsk) -> AppResult<(Pair, Figures)> {
    let pair = pairs::get(conn, ask.from, ask.to).await?;
    pair.check_rate_type(ask.rate_type, "rateType")?;
    if ask.from_amount <= Decimal::ZERO {
        return Err(AppError::invalid("fromAmount", "must be greater than zero"));
    }
    pair.check_amount(ask.from_amount, "fromAmount")?;
    let figures = price_pair(conn, &pair, ask.from_amount).await?;
    Ok((pair, figures))
}

/// The figures of exchanging `amount` over `pair` at the current rate.
pub async fn price_pair<C: ConnectionTrait>(conn: &C, pair: &Pair, amount: Decimal) -> AppResult<Figures> {
    let rate = rates::latest(conn, &pair.from.code, &pair.to.code)
        .await?
        .ok_or_else(|| {
            AppError::conflict(
                None,
                format!(
                    "there is no current rate for {} → {}; try again later",
                    pair.from.code, pair.to.code
                ),
            )
        })?;
    let fee = fee_rule(conn, &pair.from.code).await?;
    figures(
        amount,
        rate,
        fee,
        pair.to.network_fee,
        pair.from.decimals,
        pair.to.decimals,
    )
    .map_err(|e| AppError::invalid("fromAmount", e.to_string()))
}

/// A quote; a FIXED one is stored and locks its rate for the configured
/// time. Anonymous callers are limited per address (a FIXED quote is a row).
pub async fn quote(ctx: &AppContext, viewer: &Viewer, ask: QuoteAsk) -> AppResult<Quote> {
    let (pair, figures) = price(&ctx.db.primary, &ask).await?;
    if ask.rate_type == RateType::Float {
        return Ok(Quote {
            pair,
            rate_type: ask.rate_type,
            figures,
            locked: None,
        });
    }
    super::orders::limit(
        ctx,
        viewer,
        "quote",
        120,
        std::time::Duration::from_secs(60),
        "too many fixed quotes",
    )
    .await?;
    let ttl = chrono::Duration::from_std(ctx.config.exchange.quote_ttl)
        .map_err(|e| AppError::internal(anyhow::anyhow!("quote ttl: {e}")))?;
    let row = ctx
        .db
        .primary
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO exchange_quotes (id, from_currency, to_currency, from_amount, to_amount, rate, fee_amount, \
             network_fee, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9::bigint * interval '1 second') RETURNING *",
            [
                Uuid::now_v7().into(),
                pair.from.code.clone().into(),
                pair.to.code.clone().into(),
                figures.from_amount.into(),
                figures.to_amount.into(),
                figures.rate.into(),
                figures.fee.into(),
                figures.network_fee.into(),
                ttl.num_seconds().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the quote insert returned nothing")))?;
    let stored = exchange_quotes::Model::from_query_result(&row, "")?;
    Ok(Quote {
        pair,
        rate_type: ask.rate_type,
        figures,
        locked: Some((stored.id, stored.expires_at.with_timezone(&Utc))),
    })
}

/// Locks FIXED quote `id` for an order in the caller's transaction (see
/// [`mark_used`]): it must exist, match the order's pair and amount, be
/// unexpired (`CONFLICT` "quote expired") and unused (`CONFLICT`).
pub async fn take<C: ConnectionTrait>(conn: &C, id: Uuid, ask: &QuoteAsk) -> AppResult<Figures> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT *, expires_at <= now() AS expired FROM exchange_quotes WHERE id = $1 FOR UPDATE",
            [id.into()],
        ))
        .await?
        .ok_or_else(|| AppError::invalid("quoteId", "no such quote"))?;
    let q = exchange_quotes::Model::from_query_result(&row, "")?;
    let expired: bool = row.try_get("", "expired")?;
    if q.from_currency != ask.from.as_str() || q.to_currency != ask.to.as_str() || q.from_amount != ask.from_amount {
        return Err(AppError::invalid("quoteId", "the quote is for another pair or amount"));
    }
    if q.order_id.is_some() {
        return Err(AppError::conflict(Some("quoteId"), "the quote has already been used"));
    }
    if expired {
        return Err(AppError::conflict(Some("quoteId"), "quote expired; ask a new one"));
    }
    Ok(Figures {
        from_amount: q.from_amount,
        rate: q.rate,
        fee: q.fee_amount,
        network_fee: q.network_fee,
        to_amount: q.to_amount,
    })
}

/// Marks quote `id` (locked by [`take`]) as used by `order`.
pub async fn mark_used<C: ConnectionTrait>(conn: &C, id: Uuid, order: Uuid) -> AppResult<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE exchange_quotes SET order_id = $2 WHERE id = $1",
        [id.into(), order.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_fee_rounds_up_and_the_payout_rounds_down_per_currency() {
        // 0.5 % of 0.12345678 BTC = 0.0006172839 → 0.00061729 (8 decimals, up).
        let f = figures(
            d("0.12345678"),
            d("19.123456789"),
            FeeRule {
                percentage: d("0.5"),
                ..Default::default()
            },
            d("0.0005"),
            8,
            18,
        )
        .unwrap();
        assert_eq!(f.fee, d("0.00061729"));
        // (0.12345678 − 0.00061729) × 19.123456789 − 0.0005
        assert_eq!(f.to_amount, d("0.12283949") * d("19.123456789") - d("0.0005"));
        // USDT (6 decimals): the payout is truncated, never rounded up.
        let g = figures(d("1"), d("0.3333333333"), FeeRule::default(), Decimal::ZERO, 8, 6).unwrap();
        assert_eq!(g.to_amount, d("0.333333"));
        let h = figures(d("1"), d("0.9999999999"), FeeRule::default(), Decimal::ZERO, 8, 6).unwrap();
        assert_eq!(h.to_amount, d("0.999999"));
    }

    #[test]
    fn the_fee_is_clamped_to_its_minimum_and_maximum() {
        let rule = FeeRule {
            percentage: d("1"),
            flat: d("0.0001"),
            min: Some(d("0.001")),
            max: Some(d("0.05")),
        };
        // 1 % of 0.01 + 0.0001 = 0.0002 → the minimum 0.001.
        assert_eq!(
            figures(d("0.01"), d("1"), rule, Decimal::ZERO, 8, 8).unwrap().fee,
            d("0.001")
        );
        // 1 % of 10 + 0.0001 = 0.1001 → the maximum 0.05.
        assert_eq!(
            figures(d("10"), d("1"), rule, Decimal::ZERO, 8, 8).unwrap().fee,
            d("0.05")
        );
        // In between: 1 % of 1 + 0.0001.
        assert_eq!(
            figures(d("1"), d("1"), rule, Decimal::ZERO, 8, 8).unwrap().fee,
            d("0.0101")
        );
    }

    #[test]
    fn amounts_finer_than_the_currency_or_eaten_by_fees_are_refused() {
        assert_eq!(
            figures(d("0.123456789"), d("1"), FeeRule::default(), Decimal::ZERO, 8, 8),
            Err(FigureError::TooPrecise(8))
        );
        // Trailing zeros are not extra precision.
        assert!(figures(d("0.1234567800"), d("1"), FeeRule::default(), Decimal::ZERO, 8, 8).is_ok());
        assert_eq!(
            figures(d("0.0001"), d("1"), FeeRule::default(), d("0.0001"), 8, 8),
            Err(FigureError::EatenByFees)
        );
    }
}
