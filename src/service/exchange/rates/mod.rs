//! Exchange rates and price history (source 004): where rates come from
//! ([`RateProvider`]: a manual rate set by an admin, or the public price
//! feed [`HttpPriceFeed`]), the latest rate of a pair, the price history
//! of a currency and its candles.
//!
//! Arithmetic is exact: rates and prices are `Decimal`s read from and
//! written to `NUMERIC(38, 18)`. The only division (an inverse or a rate
//! crossed through USD) is done in integers and rounded once to 18
//! decimal places, half to even ([`div_half_even`]).

mod feed;
mod market;

use entity::exchange_rates;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::tx::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::exchange::perms;
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;

pub use feed::{parse_simple_price, poll_feed, register_feed_job, HttpPriceFeed, FEED_TIMEOUT, PRICE_FEED_JOB};
pub use market::{candles, history, Candle, CandleInterval, MAX_BUCKETS, MAX_HISTORY_POINTS};

/// The currency every price is quoted in, and the one rates cross through.
pub const USD: CurrencyCode = CurrencyCode::from_static("USD");

/// Decimal places of a stored rate or price (`NUMERIC(38, 18)`).
pub const RATE_DECIMALS: u32 = 18;

/// Where a rate came from (`exchange_rates.source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateSource {
    /// Set by an admin through `setExchangeRate`.
    Manual,
    /// Polled from the CoinGecko-shaped public price feed.
    Coingecko,
}

impl RateSource {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            RateSource::Manual => "MANUAL",
            RateSource::Coingecko => "COINGECKO",
        }
    }
}

/// One price of a currency in US dollars, with the market figures a feed
/// may add (all exact decimals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricePoint {
    pub currency: CurrencyCode,
    pub price_usd: Decimal,
    pub market_cap_usd: Option<Decimal>,
    pub volume_24h_usd: Option<Decimal>,
    pub change_24h_pct: Option<Decimal>,
}

/// One rate: how many `quote` one `base` buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewRate {
    pub base: CurrencyCode,
    pub quote: CurrencyCode,
    pub rate: Decimal,
}

/// What a provider yields at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    pub rates: Vec<NewRate>,
    pub prices: Vec<PricePoint>,
}

/// A source of rates and price points. Implementations: [`ManualRate`]
/// (what an admin sets) and [`HttpPriceFeed`] (the public price API);
/// [`store`] writes what either yields, so both land the same way.
#[async_trait::async_trait]
pub trait RateProvider: Send + Sync {
    /// What `exchange_rates.source` records for its rates.
    fn source(&self) -> RateSource;
    /// The rates and price points as of now.
    async fn fetch(&self) -> AppResult<Fetched>;
}

/// A rate set by hand: yields that rate and, when quoted in USD, a price
/// point for its base currency (so manual prices show in the history).
#[derive(Clone, Copy, Debug)]
pub struct ManualRate(pub NewRate);

#[async_trait::async_trait]
impl RateProvider for ManualRate {
    fn source(&self) -> RateSource {
        RateSource::Manual
    }

    async fn fetch(&self) -> AppResult<Fetched> {
        let r = self.0;
        let prices = if r.quote == USD {
            vec![PricePoint {
                currency: r.base,
                price_usd: r.rate,
                market_cap_usd: None,
                volume_24h_usd: None,
                change_24h_pct: None,
            }]
        } else {
            Vec::new()
        };
        Ok(Fetched { rates: vec![r], prices })
    }
}

/// Writes what a provider fetched: one `exchange_rates` row per rate and
/// one `price_history` row per price point, all stamped with the
/// statement's clock. Returns the rate rows in the order given.
pub async fn store<C: ConnectionTrait>(
    conn: &C,
    source: RateSource,
    fetched: &Fetched,
) -> AppResult<Vec<exchange_rates::Model>> {
    let mut out = Vec::with_capacity(fetched.rates.len());
    for r in &fetched.rates {
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO exchange_rates (id, base_currency, quote_currency, rate, source, fetched_at) \
                 VALUES ($1, $2, $3, $4, $5, clock_timestamp()) RETURNING *",
                [
                    Uuid::now_v7().into(),
                    r.base.into(),
                    r.quote.into(),
                    r.rate.into(),
                    source.as_str().into(),
                ],
            ))
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("rate insert returned nothing")))?;
        out.push(exchange_rates::Model::from_query_result(&row, "")?);
    }
    for p in &fetched.prices {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO price_history (id, currency, price_usd, market_cap_usd, volume_24h_usd, change_24h_pct, \
             recorded_at) VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())",
            [
                Uuid::now_v7().into(),
                p.currency.into(),
                p.price_usd.into(),
                p.market_cap_usd.into(),
                p.volume_24h_usd.into(),
                p.change_24h_pct.into(),
            ],
        ))
        .await?;
    }
    Ok(out)
}

/// Largest rate `NUMERIC(38, 18)` holds: 20 digits before the point.
fn max_rate() -> Decimal {
    Decimal::from_i128_with_scale(10i128.pow(20), 0)
}

/// Checks a manual rate: positive, at most 18 decimal places, within the
/// column, between two different currencies.
fn check_manual(base: CurrencyCode, quote: CurrencyCode, rate: Decimal) -> AppResult<()> {
    if base == quote {
        return Err(AppError::invalid("quoteCurrency", "must differ from baseCurrency"));
    }
    if rate <= Decimal::ZERO {
        return Err(AppError::invalid("rate", "must be greater than zero"));
    }
    if rate.normalize().scale() > RATE_DECIMALS {
        return Err(AppError::invalid("rate", "has more than 18 decimal places"));
    }
    if rate >= max_rate() {
        return Err(AppError::invalid("rate", "must be below 10^20"));
    }
    Ok(())
}

/// Records a manual rate of `base` in `quote` (admins: `exchange.rates.manage`),
/// with source `MANUAL`, audited; a rate quoted in USD also records a price
/// point of `base`. Pass a transaction so the rows and the audit commit
/// together (see [`set_manual_once`]).
pub async fn set_manual<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    base: CurrencyCode,
    quote: CurrencyCode,
    rate: Decimal,
) -> AppResult<exchange_rates::Model> {
    viewer.require(perms::EXCHANGE_RATES_MANAGE)?;
    check_manual(base, quote, rate)?;
    let provider = ManualRate(NewRate { base, quote, rate });
    let fetched = provider.fetch().await?;
    let model = store(conn, provider.source(), &fetched)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a manual rate stored no row")))?;
    audit::record(
        conn,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Exchange,
            AuditEntity::ExchangeRate,
            Some(model.id),
            format!("manual rate {base}/{quote} = {}", rate.normalize()),
        )
        .label(format!("{base}/{quote}"))
        .after(json!({
            "baseCurrency": base,
            "quoteCurrency": quote,
            "rate": rate.normalize().to_string(),
            "source": RateSource::Manual.as_str(),
        })),
    )
    .await?;
    Ok(model)
}

/// [`set_manual`] in its own transaction.
pub async fn set_manual_once(
    ctx: &AppContext,
    viewer: &Viewer,
    base: CurrencyCode,
    quote: CurrencyCode,
    rate: Decimal,
) -> AppResult<exchange_rates::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let model = set_manual(&*tx, viewer, base, quote, rate).await?;
    tx.commit(&ctx.bus).await?;
    Ok(model)
}

/// The newest rate of one pair, as a LATERAL look-up on the index
/// `(base_currency, quote_currency, fetched_at DESC)`.
fn newest(alias: &str, base: &str, quote: &str) -> String {
    format!(
        "LEFT JOIN LATERAL (SELECT rate FROM exchange_rates WHERE base_currency = {base} AND quote_currency = {quote} \
         ORDER BY fetched_at DESC, id DESC LIMIT 1) {alias} ON true"
    )
}

/// How many `quote` one `base` buys: the newest rate of the pair, else 1 ÷
/// the newest rate of the inverse pair, else the two currencies' newest
/// USD rates crossed (base/USD ÷ quote/USD); `None` when none applies.
///
/// The four candidates are read in one statement (four index look-ups);
/// a division is exact and rounded once to 18 places, half to even. The
/// same currency on both sides is 1.
pub async fn latest<C: ConnectionTrait>(conn: &C, base: &str, quote: &str) -> AppResult<Option<Decimal>> {
    if base == quote {
        return Ok(Some(Decimal::ONE));
    }
    let sql = format!(
        "SELECT d.rate AS direct, i.rate AS inverse, b.rate AS base_usd, q.rate AS quote_usd \
         FROM (VALUES (1)) AS one (x) {} {} {} {}",
        newest("d", "$1", "$2"),
        newest("i", "$2", "$1"),
        newest("b", "$1", "$3"),
        newest("q", "$2", "$3"),
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [base.into(), quote.into(), USD.into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the rate look-up returned no row")))?;
    let get = |c: &str| row.try_get::<Option<Decimal>>("", c);
    let (direct, inverse, base_usd, quote_usd) = (get("direct")?, get("inverse")?, get("base_usd")?, get("quote_usd")?);
    Ok(pick(direct, inverse, base_usd, quote_usd))
}

/// The rule of [`latest`] over the candidates it read.
fn pick(
    direct: Option<Decimal>,
    inverse: Option<Decimal>,
    base_usd: Option<Decimal>,
    quote_usd: Option<Decimal>,
) -> Option<Decimal> {
    if let Some(d) = direct {
        return Some(d);
    }
    if let Some(i) = inverse.and_then(|i| div_half_even(Decimal::ONE, i)) {
        return Some(i);
    }
    match (base_usd, quote_usd) {
        (Some(b), Some(q)) => div_half_even(b, q),
        _ => None,
    }
}

/// `a ÷ b` for non-negative `a` and positive `b`, exact to 18 decimal
/// places and rounded once, half to even (banker's rounding: no bias over
/// many conversions). Done by long division on the integer mantissas, so
/// no intermediate result is rounded. `None` when `b` is not positive or
/// the quotient does not fit a `Decimal`.
pub fn div_half_even(a: Decimal, b: Decimal) -> Option<Decimal> {
    if b <= Decimal::ZERO || a < Decimal::ZERO {
        return None;
    }
    let (ma, sa) = (a.mantissa().unsigned_abs(), i64::from(a.scale()));
    let (mb, sb) = (b.mantissa().unsigned_abs(), i64::from(b.scale()));
    // a / b × 10^18 = ma × 10^(18 + sb − sa) ÷ mb
    let exp = i64::from(RATE_DECIMALS) + sb - sa;
    let (num, den) = if exp >= 0 {
        (ma, mb)
    } else {
        (ma, mb.checked_mul(10u128.checked_pow(u32::try_from(-exp).ok()?)?)?)
    };
    let mut q = num / den;
    let mut rem = num % den;
    for _ in 0..exp.max(0) {
        let r10 = rem.checked_mul(10)?;
        q = q.checked_mul(10)?.checked_add(r10 / den)?;
        rem = r10 % den;
    }
    let twice = rem.checked_mul(2)?;
    if twice > den || (twice == den && q % 2 == 1) {
        q = q.checked_add(1)?;
    }
    Decimal::try_from_i128_with_scale(i128::try_from(q).ok()?, RATE_DECIMALS).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn division_is_exact_and_rounds_half_to_even() {
        assert_eq!(
            div_half_even(d("1"), d("3")).unwrap().to_string(),
            "0.333333333333333333"
        );
        assert_eq!(
            div_half_even(d("2"), d("3")).unwrap().to_string(),
            "0.666666666666666667"
        );
        assert_eq!(div_half_even(d("1"), d("4")).unwrap().normalize().to_string(), "0.25");
        // Exactly half at the 19th place: to the even neighbour.
        assert_eq!(
            div_half_even(d("0.0000000000000000005"), d("1")).unwrap().to_string(),
            "0.000000000000000000"
        );
        assert_eq!(
            div_half_even(d("0.0000000000000000015"), d("1")).unwrap().to_string(),
            "0.000000000000000002"
        );
        assert_eq!(
            div_half_even(d("64123.123456789012345678"), d("1"))
                .unwrap()
                .to_string(),
            "64123.123456789012345678"
        );
        // BTC/USD ÷ ETH/USD
        assert_eq!(
            div_half_even(d("64000"), d("3200.5")).unwrap().to_string(),
            "19.996875488204967974"
        );
        assert_eq!(
            div_half_even(d("64123.123456789012345678"), d("3456.789012345678901234"))
                .unwrap()
                .to_string(),
            "18.549909533899172207"
        );
        assert_eq!(div_half_even(d("1"), d("0")), None);
        assert_eq!(div_half_even(d("-1"), d("2")), None);
        // 10^28 ÷ 10^-18 does not fit.
        assert_eq!(
            div_half_even(d("10000000000000000000000000000"), d("0.000000000000000001")),
            None
        );
    }

    #[test]
    fn the_direct_rate_wins_then_the_inverse_then_the_cross() {
        let (a, b, c, e) = (Some(d("2")), Some(d("4")), Some(d("10")), Some(d("3")));
        assert_eq!(pick(a, b, c, e), Some(d("2")));
        assert_eq!(
            pick(None, b, c, e).map(|x| x.normalize().to_string()),
            Some("0.25".into())
        );
        assert_eq!(
            pick(None, None, c, e).map(|x| x.to_string()),
            Some("3.333333333333333333".into())
        );
        assert_eq!(pick(None, None, c, None), None);
    }

    #[test]
    fn manual_rates_are_checked() {
        let (btc, usd) = (CurrencyCode::from_static("BTC"), USD);
        assert!(check_manual(btc, usd, d("64000.5")).is_ok());
        for (base, quote, rate, field) in [
            (btc, btc, "1", "quoteCurrency"),
            (btc, usd, "0", "rate"),
            (btc, usd, "-1", "rate"),
            (btc, usd, "0.0000000000000000001", "rate"),
            (btc, usd, "100000000000000000000", "rate"),
        ] {
            match check_manual(base, quote, d(rate)) {
                Err(AppError::BadUserInput { fields, .. }) => assert_eq!(fields[0].field, field, "{rate}"),
                other => panic!("{rate}: {other:?}"),
            }
        }
    }
}
