//! The pool's keys: BIP32 derivation from one seed, or watch-only from an
//! account-level extended public key, to each chain's deposit address.
//!
//! - Bitcoin: BIP84 `m/84'/0'/0'/0/i` (coin type 1' on testnet and
//!   regtest) to P2WPKH.
//! - Ethereum: `m/44'/60'/0'/0/i`, keccak256 of the uncompressed public
//!   key, last 20 bytes, EIP-55.
//! - Tron: `m/44'/195'/0'/0/i`, the same 20 bytes behind version 0x41,
//!   base58check.
//!
//! Watch-only accounts derive the same non-hardened `0/i` children from the
//! public key alone, so the server can hand out addresses while holding no
//! private key at all. Private parts live in [`Zeroizing`] buffers and never
//! print.

use std::collections::BTreeMap;
use std::sync::Arc;

use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
use bitcoin::secp256k1::{All, PublicKey, Secp256k1};
use bitcoin::{CompressedPublicKey, NetworkKind};
use entity::enums::ChainNetwork;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::address::{bitcoin_network, tron_from_hash};
use crate::config::{BitcoinNetwork, ExchangeConfig};

/// Label of the pool seed derived from the master key (HMAC-SHA256), so
/// the seed is stable across restarts and never the master key itself.
const SEED_LABEL: &[u8] = b"switchboard/exchange/pool-seed/v1";

const XPUB: [u8; 4] = [0x04, 0x88, 0xb2, 0x1e];
const TPUB: [u8; 4] = [0x04, 0x35, 0x87, 0xcf];
/// BIP84's mainnet and testnet account public keys.
const ZPUB: [u8; 4] = [0x04, 0xb2, 0x47, 0x46];
const VPUB: [u8; 4] = [0x04, 0x5f, 0x1c, 0xf6];
/// BIP49's (P2SH-wrapped segwit): refused, the pool derives P2WPKH.
const YPUB: [u8; 4] = [0x04, 0x9d, 0x7c, 0xb2];
const UPUB: [u8; 4] = [0x04, 0x4a, 0x52, 0x62];

/// Why keys could not be loaded or derived. Messages never contain key
/// material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The configured extended public key is unusable.
    #[error("extended public key: {0}")]
    Xpub(String),
    /// The configured seed is unusable.
    #[error("pool seed: {0}")]
    Seed(String),
    /// BIP32 refused a step (astronomically rare invalid child).
    #[error("key derivation failed at index {0}")]
    Derivation(u32),
}

/// A 32-byte private key, wiped from memory on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct PrivateKey(Zeroizing<[u8; 32]>);

impl PrivateKey {
    /// The raw secret, for sealing it with the column cipher.
    pub fn secret_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// One derived deposit address; the private key is absent when watch-only.
#[derive(Clone, Debug)]
pub struct DerivedKey {
    /// The BIP32 child index (`.../0/index`).
    pub index: u32,
    /// The address in the form [`super::address::validate`] returns.
    pub address: String,
    /// The child's private key, unless the account is watch-only.
    pub private_key: Option<PrivateKey>,
}

/// An account-level key (`m/purpose'/coin'/0'`), private or public, from
/// which receive addresses `0/i` are derived.
#[derive(Clone)]
pub enum Account {
    /// Derived from the pool seed: children carry their private key.
    Private(Xpriv),
    /// Watch-only: children are addresses only.
    Public(Xpub),
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Account::Private(_) => f.write_str("Account::Private(<redacted>)"),
            Account::Public(_) => f.write_str("Account::Public(..)"),
        }
    }
}

/// BIP44 coin type of `network` (Bitcoin's test networks use 1).
fn coin_type(network: ChainNetwork, btc: BitcoinNetwork) -> u32 {
    match network {
        ChainNetwork::Bitcoin if btc == BitcoinNetwork::Mainnet => 0,
        ChainNetwork::Bitcoin => 1,
        ChainNetwork::Ethereum => 60,
        ChainNetwork::Tron => 195,
    }
}

fn hardened(i: u32) -> ChildNumber {
    ChildNumber::Hardened { index: i & 0x7fff_ffff }
}

fn normal(i: u32) -> ChildNumber {
    ChildNumber::Normal { index: i & 0x7fff_ffff }
}

/// The account path `m/purpose'/coin'/0'` of `network`: BIP84 for
/// Bitcoin, BIP44 for the account chains.
pub fn account_path(network: ChainNetwork, btc: BitcoinNetwork) -> [ChildNumber; 3] {
    let purpose = if network == ChainNetwork::Bitcoin { 84 } else { 44 };
    [hardened(purpose), hardened(coin_type(network, btc)), hardened(0)]
}

/// The BIP32 master key of `seed` (16 to 64 bytes).
pub fn master(seed: &[u8], btc: BitcoinNetwork) -> Result<Xpriv, KeyError> {
    if !(16..=64).contains(&seed.len()) {
        return Err(KeyError::Seed("expected 16 to 64 bytes".into()));
    }
    Xpriv::new_master(bitcoin_network(btc), seed).map_err(|_| KeyError::Seed("not a usable BIP32 seed".into()))
}

/// The account key of `network` under `seed`.
pub fn account_from_seed(
    secp: &Secp256k1<All>,
    seed: &[u8],
    network: ChainNetwork,
    btc: BitcoinNetwork,
) -> Result<Account, KeyError> {
    let root = master(seed, btc)?;
    root.derive_priv(secp, &account_path(network, btc))
        .map(Account::Private)
        .map_err(|_| KeyError::Derivation(0))
}

/// Parses an account-level extended public key: xpub/tpub, or BIP84's
/// zpub/vpub (their version bytes are converted). The key must sit at
/// depth 3 (`m/purpose'/coin'/account'`).
pub fn parse_account_xpub(text: &str) -> Result<Xpub, KeyError> {
    let mut data = bitcoin::base58::decode_check(text.trim())
        .map_err(|_| KeyError::Xpub("not a base58check extended key (bad checksum or character)".into()))?;
    if data.len() != 78 {
        return Err(KeyError::Xpub(format!(
            "an extended key holds 78 bytes, this one {}",
            data.len()
        )));
    }
    let version: [u8; 4] = [data[0], data[1], data[2], data[3]];
    let replacement = match version {
        XPUB | ZPUB => XPUB,
        TPUB | VPUB => TPUB,
        YPUB | UPUB => {
            return Err(KeyError::Xpub(
                "a BIP49 (ypub/upub) key; the pool derives native segwit: give the BIP84 zpub/vpub or xpub".into(),
            ))
        }
        _ => {
            return Err(KeyError::Xpub(
                "not an extended public key (xpub, tpub, zpub or vpub); never configure a private key here".into(),
            ))
        }
    };
    data[..4].copy_from_slice(&replacement);
    let xpub = Xpub::decode(&data).map_err(|_| KeyError::Xpub("the key does not decode".into()))?;
    if xpub.depth != 3 {
        return Err(KeyError::Xpub(format!(
            "expected an account-level key (depth 3, m/purpose'/coin'/account'), got depth {}",
            xpub.depth
        )));
    }
    Ok(xpub)
}

/// The address `network` gives the public key `pk`.
pub fn address_of(pk: &PublicKey, network: ChainNetwork, btc: BitcoinNetwork) -> String {
    match network {
        ChainNetwork::Bitcoin => bitcoin::Address::p2wpkh(&CompressedPublicKey(*pk), bitcoin_network(btc)).to_string(),
        ChainNetwork::Ethereum => alloy_primitives::Address::from(account_hash(pk)).to_checksum(None),
        ChainNetwork::Tron => tron_from_hash(&account_hash(pk)),
    }
}

/// The last 20 bytes of keccak256 of the uncompressed public key (without
/// its 0x04 prefix): the account of Ethereum and Tron.
pub fn account_hash(pk: &PublicKey) -> [u8; 20] {
    let uncompressed = pk.serialize_uncompressed();
    let digest = alloy_primitives::keccak256(&uncompressed[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest[12..]);
    out
}

impl Account {
    /// The receive address `0/index` of this account (and its private key
    /// when the account is private).
    pub fn derive(
        &self,
        secp: &Secp256k1<All>,
        network: ChainNetwork,
        btc: BitcoinNetwork,
        index: u32,
    ) -> Result<DerivedKey, KeyError> {
        let path = [normal(0), normal(index)];
        let (public, private_key) = match self {
            Account::Private(xprv) => {
                let child = xprv.derive_priv(secp, &path).map_err(|_| KeyError::Derivation(index))?;
                let secret = PrivateKey(Zeroizing::new(child.private_key.secret_bytes()));
                (child.private_key.public_key(secp), Some(secret))
            }
            Account::Public(xpub) => {
                let child = xpub.derive_pub(secp, &path).map_err(|_| KeyError::Derivation(index))?;
                (child.public_key, None)
            }
        };
        Ok(DerivedKey {
            index,
            address: address_of(&public, network, btc),
            private_key,
        })
    }
}

/// The pool's key source, from configuration: one seed for every currency,
/// except the currencies given an extended public key (watch-only).
#[derive(Clone)]
pub struct PoolKeys {
    seed: Arc<Zeroizing<Vec<u8>>>,
    watch: Arc<BTreeMap<String, Xpub>>,
}

impl std::fmt::Debug for PoolKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolKeys")
            .field("seed", &"<redacted>")
            .field("watch_only", &self.watch.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The seed derived from the master key when none is configured.
fn seed_from_master(master: &[u8; 32]) -> Zeroizing<Vec<u8>> {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(SEED_LABEL);
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

impl PoolKeys {
    /// `pool_seed` (hex) when set, else a seed derived from the master key;
    /// every `pool_xpubs` entry parsed (a bad one fails start-up).
    pub fn load(config: &ExchangeConfig, master_key: &[u8; 32]) -> Result<Self, KeyError> {
        let seed = match &config.pool_seed {
            Some(hex) => {
                Zeroizing::new(alloy_primitives::hex::decode(hex).map_err(|_| KeyError::Seed("expected hex".into()))?)
            }
            None => seed_from_master(master_key),
        };
        master(&seed, BitcoinNetwork::Mainnet)?;
        let mut watch = BTreeMap::new();
        for (code, text) in &config.pool_xpubs {
            let xpub = parse_account_xpub(text).map_err(|e| KeyError::Xpub(format!("{code}: {e}")))?;
            watch.insert(code.to_ascii_uppercase(), xpub);
        }
        Ok(PoolKeys {
            seed: Arc::new(seed),
            watch: Arc::new(watch),
        })
    }

    /// True when `currency`'s pool is derived from an extended public key.
    pub fn is_watch_only(&self, currency: &str) -> bool {
        self.watch.contains_key(&currency.to_ascii_uppercase())
    }

    /// The account `currency`'s addresses come from.
    pub fn account(
        &self,
        secp: &Secp256k1<All>,
        currency: &str,
        network: ChainNetwork,
        btc: BitcoinNetwork,
    ) -> Result<Account, KeyError> {
        match self.watch.get(&currency.to_ascii_uppercase()) {
            Some(xpub) => {
                let expected = if btc == BitcoinNetwork::Mainnet {
                    NetworkKind::Main
                } else {
                    NetworkKind::Test
                };
                if network == ChainNetwork::Bitcoin && xpub.network != expected {
                    return Err(KeyError::Xpub(format!(
                        "{currency}: the key is for another Bitcoin network than the configured one"
                    )));
                }
                Ok(Account::Public(*xpub))
            }
            None => account_from_seed(secp, &self.seed, network, btc),
        }
    }

    /// Derives `currency`'s addresses `first .. first + count`.
    pub fn derive_range(
        &self,
        currency: &str,
        network: ChainNetwork,
        btc: BitcoinNetwork,
        first: u32,
        count: u32,
    ) -> Result<Vec<DerivedKey>, KeyError> {
        let secp = Secp256k1::new();
        let account = self.account(&secp, currency, network, btc)?;
        (first..first.saturating_add(count))
            .map(|i| account.derive(&secp, network, btc, i))
            .collect()
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
