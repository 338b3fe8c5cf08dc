//! Market data: the latest rate of a pair, manual rates (admins), the
//! price history of a currency and its candles. Rates and prices are
//! `Money` decimal strings with trailing zeros dropped, exact as stored.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{exchange_rates, price_history};
use rust_decimal::Decimal;

use crate::graphql::context::{app, viewer};
use crate::graphql::convert::ts;
use crate::graphql::scalars::Money;
use crate::service::exchange::rates;
use crate::service::money::CurrencyCode;

/// A rate or price as `Money`, exact, trailing zeros dropped.
fn exact(d: Decimal) -> Money {
    Money(d.normalize())
}

/// The width of a candle.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::exchange::rates::CandleInterval")]
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
    /// One day (from midnight UTC).
    D1,
}

/// A rate of one currency in another, as recorded.
pub struct ExchangeRate(pub exchange_rates::Model);

/// A rate of one currency in another, as recorded.
#[Object]
impl ExchangeRate {
    /// The currency priced, such as `BTC`.
    async fn base_currency(&self) -> &str {
        &self.0.base_currency
    }
    /// The currency the price is in, such as `USD`.
    async fn quote_currency(&self) -> &str {
        &self.0.quote_currency
    }
    /// How many `quoteCurrency` one `baseCurrency` buys, exact.
    async fn rate(&self) -> Money {
        exact(self.0.rate)
    }
    /// Where the rate came from: `MANUAL` (an admin) or `COINGECKO` (the price feed).
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// When the rate was recorded.
    async fn fetched_at(&self) -> DateTime<Utc> {
        ts(self.0.fetched_at)
    }
}

/// One recorded price of a currency in US dollars.
pub struct PricePoint(pub price_history::Model);

/// One recorded price of a currency in US dollars.
#[Object]
impl PricePoint {
    /// The currency priced.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Its price in US dollars, exact.
    async fn price_usd(&self) -> Money {
        exact(self.0.price_usd)
    }
    /// Its market capitalisation in US dollars, when the source gave one.
    async fn market_cap_usd(&self) -> Option<Money> {
        self.0.market_cap_usd.map(exact)
    }
    /// Its traded volume over 24 hours in US dollars, when the source gave one.
    #[graphql(name = "volume24hUsd")]
    async fn volume_24h_usd(&self) -> Option<Money> {
        self.0.volume_24h_usd.map(exact)
    }
    /// Its price change over 24 hours in percent, when the source gave one.
    #[graphql(name = "change24hPct")]
    async fn change_24h_pct(&self) -> Option<Money> {
        self.0.change_24h_pct.map(exact)
    }
    /// When the price was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        ts(self.0.recorded_at)
    }
}

/// Prices of one bucket of time (open, high, low, close) and the volume
/// completed exchange orders moved in it.
#[derive(SimpleObject)]
pub struct Candle {
    /// Start of the bucket (buckets start at midnight UTC and every
    /// interval after it).
    pub bucket: DateTime<Utc>,
    /// The first price in the bucket.
    pub open: Money,
    /// The highest price in the bucket.
    pub high: Money,
    /// The lowest price in the bucket.
    pub low: Money,
    /// The last price in the bucket.
    pub close: Money,
    /// How much of the currency completed exchange orders moved in the
    /// bucket (paid in plus paid out); 0 when none.
    pub volume: Money,
}

impl From<rates::Candle> for Candle {
    fn from(c: rates::Candle) -> Self {
        Candle {
            bucket: c.bucket,
            open: exact(c.open),
            high: exact(c.high),
            low: exact(c.low),
            close: exact(c.close),
            volume: exact(c.volume),
        }
    }
}

/// A manual rate.
#[derive(InputObject)]
pub struct SetExchangeRateInput {
    /// The currency priced, such as `BTC`.
    pub base_currency: String,
    /// The currency the price is in, such as `USD` (a USD rate also
    /// records a price point of the base currency).
    pub quote_currency: String,
    /// How many `quoteCurrency` one `baseCurrency` buys: positive, at most
    /// 18 decimal places.
    pub rate: Money,
}

/// The rate recorded.
#[derive(SimpleObject)]
pub struct ExchangeRatePayload {
    /// The rate as stored, with its source `MANUAL`.
    pub rate: ExchangeRate,
}

/// Market data queries (public).
#[derive(Default)]
pub struct MarketQuery;

#[Object]
impl MarketQuery {
    /// How many `quoteCurrency` one `baseCurrency` buys now: the newest
    /// rate of the pair, else the inverse of the newest rate of the
    /// reverse pair, else both currencies' newest USD rates crossed. A
    /// division is rounded once to 18 decimal places, half to even. Null
    /// when no rate applies.
    async fn exchange_rate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The currency priced, such as `BTC`.")] base_currency: String,
        #[graphql(desc = "The currency the price is in, such as `USD`.")] quote_currency: String,
    ) -> Result<Option<Money>> {
        let base = CurrencyCode::parse_field(&base_currency, "baseCurrency")?;
        let quote = CurrencyCode::parse_field(&quote_currency, "quoteCurrency")?;
        let rate = rates::latest(&app(ctx)?.db.read, base.as_str(), quote.as_str()).await?;
        Ok(rate.map(exact))
    }

    /// The recorded prices of a currency in US dollars from `from` up to
    /// (not including) `to`, oldest first; at most 10000 points (a wider
    /// range is `BAD_USER_INPUT`: use `priceCandles`).
    async fn price_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The currency, such as `BTC`.")] currency: String,
        #[graphql(desc = "The first instant included.")] from: DateTime<Utc>,
        #[graphql(desc = "The first instant no longer included; later than `from`.")] to: DateTime<Utc>,
    ) -> Result<Vec<PricePoint>> {
        let code = CurrencyCode::parse_field(&currency, "currency")?;
        let rows = rates::history(&app(ctx)?.db.read, code, from, to).await?;
        Ok(rows.into_iter().map(PricePoint).collect())
    }

    /// Candles of a currency's US-dollar price from `from` up to (not
    /// including) `to`, oldest first: one per bucket that holds prices. At
    /// most 1000 buckets (more is `BAD_USER_INPUT`).
    async fn price_candles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The currency, such as `BTC`.")] currency: String,
        #[graphql(desc = "The width of each candle.")] interval: CandleInterval,
        #[graphql(desc = "The first instant included.")] from: DateTime<Utc>,
        #[graphql(desc = "The first instant no longer included; later than `from`.")] to: DateTime<Utc>,
    ) -> Result<Vec<Candle>> {
        let code = CurrencyCode::parse_field(&currency, "currency")?;
        let rows = rates::candles(&app(ctx)?.db.read, code, interval.into(), from, to).await?;
        Ok(rows.into_iter().map(Candle::from).collect())
    }
}

/// Market data mutations.
#[derive(Default)]
pub struct MarketMutation;

#[Object]
impl MarketMutation {
    /// Records a manual exchange rate (admins: `exchange.rates.manage`);
    /// audited. A rate against USD also adds a price point.
    async fn set_exchange_rate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rate to record.")] input: SetExchangeRateInput,
    ) -> Result<ExchangeRatePayload> {
        let base = CurrencyCode::parse_field(&input.base_currency, "baseCurrency")?;
        let quote = CurrencyCode::parse_field(&input.quote_currency, "quoteCurrency")?;
        let model = rates::set_manual_once(app(ctx)?, viewer(ctx), base, quote, input.rate.0).await?;
        Ok(ExchangeRatePayload {
            rate: ExchangeRate(model),
        })
    }
}
