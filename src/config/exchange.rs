//! The exchange's settings: how long quotes and orders live, the address
//! pool (its size, quarantine, seed or watch-only extended public keys),
//! the chain watcher's webhook secret and the optional public price feed.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{ConfigError, Source};

/// Which Bitcoin network addresses must belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitcoinNetwork {
    /// Real coins (`bc1`, `1`, `3`).
    Mainnet,
    /// Testnet and signet (`tb1`, `m`, `n`, `2`).
    Testnet,
    /// A local regtest chain (`bcrt1`).
    Regtest,
}

/// The exchange section of [`super::Config`].
#[derive(Clone)]
pub struct ExchangeConfig {
    /// How long a FIXED quote locks its rate.
    pub quote_ttl: Duration,
    /// How long an order waits for its deposit before it expires.
    pub order_ttl: Duration,
    /// How long a released pool address rests before it serves another order.
    pub quarantine: Duration,
    /// Free addresses the refill job keeps in each currency's pool.
    pub pool_min_free: u32,
    /// Hex BIP32 seed of the pool's keys; unset: derived from the master key.
    pub pool_seed: Option<String>,
    /// Watch-only pools: currency code → extended public key.
    pub pool_xpubs: BTreeMap<String, String>,
    /// The Bitcoin network of every BTC address.
    pub bitcoin_network: BitcoinNetwork,
    /// HMAC secret of `POST /webhooks/chain/{currency}`; unset: the webhook is off.
    pub chain_webhook_secret: Option<String>,
    /// How far a webhook's timestamp may be from now.
    pub chain_webhook_tolerance: Duration,
    /// URL of the public price API; unset: only manual rates.
    pub price_api_url: Option<String>,
    /// How often the price feed is polled.
    pub price_poll: Duration,
}

impl std::fmt::Debug for ExchangeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeConfig")
            .field("quote_ttl", &self.quote_ttl)
            .field("order_ttl", &self.order_ttl)
            .field("quarantine", &self.quarantine)
            .field("pool_min_free", &self.pool_min_free)
            .field("pool_seed", &self.pool_seed.as_ref().map(|_| "<redacted>"))
            .field("pool_xpubs", &self.pool_xpubs.keys().collect::<Vec<_>>())
            .field("bitcoin_network", &self.bitcoin_network)
            .field(
                "chain_webhook_secret",
                &self.chain_webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("price_api_url", &self.price_api_url)
            .field("price_poll", &self.price_poll)
            .finish()
    }
}

pub(super) fn exchange_config(src: &Source) -> Result<ExchangeConfig, ConfigError> {
    let secs = |key: &str, default: u64| src.positive(key, default).map(Duration::from_secs);
    let pool_seed = match src.get("SWITCHBOARD_POOL_SEED") {
        None => None,
        Some(hex) => {
            let hex = hex.trim();
            let ok =
                hex.len() % 2 == 0 && (32..=128).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_POOL_SEED",
                    "expected 16 to 64 bytes in hex",
                ));
            }
            Some(hex.to_ascii_lowercase())
        }
    };
    let mut pool_xpubs = BTreeMap::new();
    if let Some(raw) = src.get("SWITCHBOARD_POOL_XPUBS") {
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((code, key)) = item.split_once('=') else {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_POOL_XPUBS",
                    "expected CURRENCY=xpub pairs separated by commas",
                ));
            };
            let code = code.trim().to_ascii_uppercase();
            if pool_xpubs.insert(code.clone(), key.trim().to_string()).is_some() {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_POOL_XPUBS",
                    format!("{code} is listed twice"),
                ));
            }
        }
    }
    let bitcoin_network = match src
        .get("SWITCHBOARD_BITCOIN_NETWORK")
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("mainnet") | Some("bitcoin") => BitcoinNetwork::Mainnet,
        Some("testnet") | Some("signet") => BitcoinNetwork::Testnet,
        Some("regtest") => BitcoinNetwork::Regtest,
        Some(other) => {
            return Err(ConfigError::invalid(
                "SWITCHBOARD_BITCOIN_NETWORK",
                format!("expected mainnet, testnet or regtest, got {other:?}"),
            ))
        }
    };
    let chain_webhook_secret = match src.get("SWITCHBOARD_CHAIN_WEBHOOK_SECRET") {
        Some(s) if s.len() < 16 => {
            return Err(ConfigError::invalid(
                "SWITCHBOARD_CHAIN_WEBHOOK_SECRET",
                "must be at least 16 bytes long",
            ))
        }
        other => other.map(str::to_string),
    };
    let price_api_url = match src.get("SWITCHBOARD_PRICE_API_URL") {
        Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
            return Err(ConfigError::invalid(
                "SWITCHBOARD_PRICE_API_URL",
                "must be an http(s) URL",
            ))
        }
        other => other.map(str::to_string),
    };
    Ok(ExchangeConfig {
        quote_ttl: secs("SWITCHBOARD_QUOTE_TTL_SECS", 15 * 60)?,
        order_ttl: secs("SWITCHBOARD_ORDER_TTL_SECS", 60 * 60)?,
        quarantine: secs("SWITCHBOARD_ADDRESS_QUARANTINE_SECS", 7 * 86_400)?,
        pool_min_free: src.positive("SWITCHBOARD_POOL_MIN_FREE", 20)?.min(10_000) as u32,
        pool_seed,
        pool_xpubs,
        bitcoin_network,
        chain_webhook_secret,
        chain_webhook_tolerance: secs("SWITCHBOARD_CHAIN_WEBHOOK_TOLERANCE_SECS", 300)?,
        price_api_url,
        price_poll: secs("SWITCHBOARD_PRICE_POLL_SECS", 60)?,
    })
}
