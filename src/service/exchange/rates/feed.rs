//! The public price feed: an adapter for a CoinGecko-shaped `simple/price`
//! API, polled by a recurring job when `SWITCHBOARD_PRICE_API_URL` is set.
//! Numbers are read from their JSON text (never through a float), so a
//! price is stored exactly as the feed wrote it. A failing or slow feed
//! logs a warning and changes nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::value::RawValue;

use super::{store, Fetched, NewRate, PricePoint, RateProvider, RateSource, RATE_DECIMALS, USD};
use crate::error::{AppError, AppResult};
use crate::service::money::CurrencyCode;

/// The job kind (and singleton key) of the feed's poll.
pub const PRICE_FEED_JOB: &str = "exchange.prices.poll";

/// How long one request to the feed may take, connection included.
pub const FEED_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest answer read from the feed.
const MAX_BODY: usize = 1 << 20;

/// The feed's coin ids and the currencies they are.
const COINS: &[(&str, CurrencyCode)] = &[
    ("bitcoin", CurrencyCode::from_static("BTC")),
    ("ethereum", CurrencyCode::from_static("ETH")),
    ("tether", CurrencyCode::from_static("USDT")),
];

/// Decimal places of `price_history.change_24h_pct` (`NUMERIC(12, 6)`).
const CHANGE_DECIMALS: u32 = 6;

/// An adapter for a public price API in CoinGecko's `simple/price` shape.
pub struct HttpPriceFeed {
    client: reqwest::Client,
    url: String,
}

impl HttpPriceFeed {
    /// A feed at `url` (the `simple/price` endpoint), each request bounded
    /// by `timeout`.
    pub fn new(url: impl Into<String>, timeout: Duration) -> AppResult<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(AppError::internal)?;
        Ok(HttpPriceFeed {
            client,
            url: url.into(),
        })
    }

    async fn body(&self) -> anyhow::Result<Vec<u8>> {
        let ids: Vec<&str> = COINS.iter().map(|(id, _)| *id).collect();
        let mut res = self
            .client
            .get(&self.url)
            .query(&[
                ("ids", ids.join(",").as_str()),
                ("vs_currencies", "usd"),
                ("include_market_cap", "true"),
                ("include_24hr_vol", "true"),
                ("include_24hr_change", "true"),
            ])
            .send()
            .await?;
        if !res.status().is_success() {
            anyhow::bail!("the price feed answered HTTP {}", res.status());
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                anyhow::bail!("the price feed answered more than {MAX_BODY} bytes");
            }
        }
        Ok(body)
    }
}

#[async_trait::async_trait]
impl RateProvider for HttpPriceFeed {
    fn source(&self) -> RateSource {
        RateSource::Coingecko
    }

    async fn fetch(&self) -> AppResult<Fetched> {
        let body = self.body().await.map_err(AppError::internal)?;
        parse_simple_price(&body).map_err(|e| AppError::internal(anyhow::anyhow!("price feed: {e}")))
    }
}

/// A JSON number (or a string holding one, or null) read from its text.
fn number(raw: &RawValue) -> Result<Option<Decimal>, String> {
    let text = raw.get().trim();
    if text == "null" {
        return Ok(None);
    }
    let unquoted = if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|e| e.to_string())?
    } else {
        text.to_string()
    };
    let parsed = if unquoted.contains(['e', 'E']) {
        Decimal::from_scientific(&unquoted)
    } else {
        Decimal::from_str_exact(&unquoted)
    };
    parsed.map(Some).map_err(|_| format!("{text} is not a number"))
}

/// `d` on `places` decimal places (half to even), the scale of its column.
fn fit(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
}

/// Reads a `simple/price` answer (`{"bitcoin": {"usd": 64123.12,
/// "usd_market_cap": ..., "usd_24h_vol": ..., "usd_24h_change": ...}}`)
/// into one price point and one `CUR/USD` rate per known coin. A coin
/// missing from the answer, or without a usable price, is left out;
/// digits beyond a column's places are rounded half to even (18 for
/// amounts, 6 for the change in percent).
pub fn parse_simple_price(body: &[u8]) -> Result<Fetched, String> {
    let coins: BTreeMap<String, BTreeMap<String, &RawValue>> =
        serde_json::from_slice(body).map_err(|e| format!("not a simple/price answer: {e}"))?;
    let mut out = Fetched::default();
    for (id, code) in COINS {
        let Some(fields) = coins.get(*id) else {
            continue;
        };
        let field =
            |name: &str| -> Result<Option<Decimal>, String> { fields.get(name).map_or(Ok(None), |raw| number(raw)) };
        let price = match field("usd")? {
            Some(p) if p > Decimal::ZERO => fit(p, RATE_DECIMALS),
            _ => continue,
        };
        let non_negative = |d: Option<Decimal>| d.filter(|v| *v >= Decimal::ZERO).map(|v| fit(v, RATE_DECIMALS));
        let change = field("usd_24h_change")?
            .map(|c| fit(c, CHANGE_DECIMALS))
            .filter(|c| c.abs() < Decimal::from(1_000_000));
        out.prices.push(PricePoint {
            currency: *code,
            price_usd: price,
            market_cap_usd: non_negative(field("usd_market_cap")?),
            volume_24h_usd: non_negative(field("usd_24h_vol")?),
            change_24h_pct: change,
        });
        out.rates.push(NewRate {
            base: *code,
            quote: USD,
            rate: price,
        });
    }
    Ok(out)
}

/// Fetches from `provider` and stores what it yields in one transaction;
/// returns how many price points were stored.
pub async fn poll_feed(db: &DatabaseConnection, provider: &dyn RateProvider) -> AppResult<usize> {
    let fetched = provider.fetch().await?;
    let txn = db.begin().await?;
    store(&txn, provider.source(), &fetched).await?;
    txn.commit().await?;
    Ok(fetched.prices.len())
}

/// Schedules the feed's poll every `every` and registers its handler, when
/// a feed URL is configured (otherwise nothing: only manual rates). A
/// failed poll logs a warning and waits for the next one.
pub async fn register_feed_job(
    db: &DatabaseConnection,
    worker: &mut crate::infra::jobs::Worker,
    url: Option<&str>,
    every: Duration,
) {
    let Some(url) = url else {
        return;
    };
    let feed = match HttpPriceFeed::new(url, FEED_TIMEOUT.min(every.max(Duration::from_secs(1)))) {
        Ok(feed) => std::sync::Arc::new(feed),
        Err(e) => {
            tracing::warn!(error = %e, "cannot build the price feed client; the feed is off");
            return;
        }
    };
    if let Err(e) = crate::infra::jobs::ensure_recurring(db, PRICE_FEED_JOB, every).await {
        tracing::warn!(error = %e, "cannot schedule the price feed poll");
    }
    let db = db.clone();
    worker.register(PRICE_FEED_JOB, move |_job| {
        let (db, feed) = (db.clone(), feed.clone());
        async move {
            match poll_feed(&db, feed.as_ref()).await {
                Ok(n) => tracing::debug!(prices = n, "price feed polled"),
                Err(e) => tracing::warn!(error = %format!("{:#}", anyhow::Error::new(e)), "price feed poll failed"),
            }
            Ok(())
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_from_their_text() {
        let body = br#"{
            "bitcoin": {"usd": 64123.123456789012345678, "usd_market_cap": 1.2678901234e12,
                        "usd_24h_vol": 38123456789.123456789, "usd_24h_change": -1.23456789012345},
            "ethereum": {"usd": "3456.789012345678901234", "usd_market_cap": null},
            "tether": {"usd": 0},
            "dogecoin": {"usd": 0.1}
        }"#;
        let f = parse_simple_price(body).unwrap();
        assert_eq!(f.prices.len(), 2);
        let btc = &f.prices[0];
        assert_eq!(btc.currency.as_str(), "BTC");
        assert_eq!(btc.price_usd.to_string(), "64123.123456789012345678");
        assert_eq!(btc.market_cap_usd.unwrap().normalize().to_string(), "1267890123400");
        assert_eq!(btc.volume_24h_usd.unwrap().to_string(), "38123456789.123456789");
        assert_eq!(btc.change_24h_pct.unwrap().to_string(), "-1.234568");
        let eth = &f.prices[1];
        assert_eq!(eth.price_usd.to_string(), "3456.789012345678901234");
        assert_eq!(eth.market_cap_usd, None);
        assert_eq!(f.rates.len(), 2);
        assert_eq!(f.rates[0].quote, USD);
        assert_eq!(f.rates[1].rate.to_string(), "3456.789012345678901234");
    }

    #[test]
    fn a_broken_answer_is_an_error() {
        assert!(parse_simple_price(b"[1, 2]").is_err());
        assert!(parse_simple_price(br#"{"bitcoin": {"usd": true}}"#).is_err());
        assert!(parse_simple_price(b"{}").unwrap().prices.is_empty());
    }
}
