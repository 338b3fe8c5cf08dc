//! The chain, behind a trait: the server never talks to a network itself.
//! A chain watcher reports deposits and payouts through the signed webhook
//! `POST /webhooks/chain/{currency}` ([`verify`] then `settle`), and
//! payouts and refunds leave through [`Chain::send`], which a real signer
//! implements. [`FakeChain`], named as such, is the only implementation
//! here: it records what it was asked to send and broadcasts nothing.
//!
//! The webhook is signed like the payment webhooks: header
//! `X-Chain-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
//! with `SWITCHBOARD_CHAIN_WEBHOOK_SECRET`; a timestamp further than the
//! tolerance from now is refused (a replayed capture cannot be re-sent
//! forever). Bodies:
//! `{"kind": "DEPOSIT", "address", "txHash", "amount": "0.1", "confirmations": 3}` and
//! `{"kind": "PAYOUT", "orderId", "txHash", "confirmations": 1}`,
//! `{"kind": "WITHDRAWAL", "withdrawalId", "txHash", "confirmations": 1}` and
//! `{"kind": "WITHDRAWAL_FAILED", "withdrawalId", "reason"}`.

use std::sync::Mutex;

use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use crate::infra::crypto::constant_time_eq;
use crate::service::commerce::gateway::hmac_sha256_hex;

/// The signature header of the chain webhook.
pub const SIGNATURE_HEADER: &str = "x-chain-signature";

/// Coins to send: a payout to the receiving address, a refund, or a
/// user's withdrawal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Send {
    /// The order (payout, refund) or the withdrawal; a signer sends at most
    /// once per reference and purpose.
    pub reference_id: Uuid,
    pub purpose: Purpose,
    pub currency: String,
    pub address: String,
    pub amount: Decimal,
}

/// Why coins are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Payout,
    Refund,
    Withdrawal,
}

/// Why the chain refused a send.
#[derive(Debug, thiserror::Error)]
#[error("the chain refused the transfer: {0}")]
pub struct ChainError(pub String);

/// What sends coins. Implementations must be idempotent per
/// (reference, purpose): a retried transaction asks again.
#[async_trait::async_trait]
pub trait Chain: std::fmt::Debug + std::marker::Send + Sync {
    /// Hands `send` to the signer; the watcher reports its hash later.
    async fn send(&self, send: &Send) -> Result<(), ChainError>;
}

/// A chain that reaches no network: it records every send (at most once
/// per reference and purpose) so that tests and development can see them.
#[derive(Debug, Default)]
pub struct FakeChain {
    sent: Mutex<Vec<Send>>,
}

impl FakeChain {
    /// What was sent so far.
    pub fn sent(&self) -> Vec<Send> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Chain for FakeChain {
    async fn send(&self, send: &Send) -> Result<(), ChainError> {
        let mut sent = self.sent.lock().map_err(|_| ChainError("fake chain poisoned".into()))?;
        if !sent
            .iter()
            .any(|s| s.reference_id == send.reference_id && s.purpose == send.purpose)
        {
            tracing::info!(reference = %send.reference_id, currency = %send.currency, amount = %send.amount, purpose = ?send.purpose, "fake chain: transfer recorded, nothing broadcast");
            sent.push(send.clone());
        }
        Ok(())
    }
}

/// A verified report of the watcher.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "UPPERCASE")]
pub enum Report {
    /// Coins arrived at one of our addresses.
    #[serde(rename_all = "camelCase")]
    Deposit {
        address: String,
        tx_hash: String,
        #[serde(with = "decimal_text")]
        amount: Decimal,
        confirmations: u32,
    },
    /// A payout of ours is on chain.
    #[serde(rename_all = "camelCase")]
    Payout {
        order_id: Uuid,
        tx_hash: String,
        confirmations: u32,
    },
    /// A user's withdrawal is on chain.
    #[serde(rename_all = "camelCase")]
    Withdrawal {
        withdrawal_id: Uuid,
        tx_hash: String,
        confirmations: u32,
    },
    /// The signer gave up on a withdrawal.
    #[serde(rename = "WITHDRAWAL_FAILED", rename_all = "camelCase")]
    WithdrawalFailed { withdrawal_id: Uuid, reason: String },
}

impl Report {
    /// The transaction hash the report names, if any.
    pub fn tx_hash(&self) -> Option<&str> {
        match self {
            Report::Deposit { tx_hash, .. } | Report::Payout { tx_hash, .. } | Report::Withdrawal { tx_hash, .. } => {
                Some(tx_hash)
            }
            Report::WithdrawalFailed { .. } => None,
        }
    }
}

/// Amounts arrive as decimal strings (a JSON number would pass through a float).
mod decimal_text {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        let v: Decimal = s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("amount must be a decimal string"))?;
        if v <= Decimal::ZERO {
            return Err(serde::de::Error::custom("amount must be positive"));
        }
        Ok(v)
    }
}

/// Why a webhook call was refused before anything was written.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the chain webhook is not configured")]
    Off,
    #[error("bad signature")]
    BadSignature,
    #[error("{0}")]
    Malformed(String),
}

/// Checks the signature over the raw body (and its age), then reads it.
pub fn verify(
    secret: Option<&str>,
    tolerance_secs: i64,
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Report, Refused> {
    let secret = secret.ok_or(Refused::Off)?;
    let header = header.ok_or(Refused::BadSignature)?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v.to_string()),
            _ => {}
        }
    }
    let t = t.ok_or(Refused::BadSignature)?;
    if (now - t).abs() > tolerance_secs {
        return Err(Refused::BadSignature);
    }
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let expected = hmac_sha256_hex(secret.as_bytes(), &signed);
    if !v1.iter().any(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) {
        return Err(Refused::BadSignature);
    }
    let report: Report =
        serde_json::from_slice(body).map_err(|e| Refused::Malformed(format!("unreadable report: {e}")))?;
    if let Some(hash) = report.tx_hash() {
        if hash.is_empty()
            || hash.len() > 128
            || !hash.chars().all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-')
        {
            return Err(Refused::Malformed(
                "txHash must be 1 to 128 letters, digits, ':' or '-'".into(),
            ));
        }
    }
    if let Report::WithdrawalFailed { reason, .. } = &report {
        if reason.trim().is_empty() || reason.chars().count() > 500 {
            return Err(Refused::Malformed("reason must be 1 to 500 characters".into()));
        }
    }
    Ok(report)
}

/// The header value for `body` at `t` (for watchers written in Rust, and tests).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    format!("t={t},v1={}", hmac_sha256_hex(secret.as_bytes(), &signed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123";

    #[test]
    fn a_signed_fresh_report_verifies_and_anything_else_is_refused() {
        let body = br#"{"kind":"DEPOSIT","address":"a","txHash":"ab12","amount":"0.5","confirmations":2}"#;
        let h = sign(SECRET, 1000, body);
        let r = verify(Some(SECRET), 300, Some(&h), body, 1100).unwrap();
        assert!(matches!(r, Report::Deposit { confirmations: 2, .. }));
        assert_eq!(
            verify(Some(SECRET), 300, Some(&h), body, 1400),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            verify(Some("another-secret-000"), 300, Some(&h), body, 1100),
            Err(Refused::BadSignature)
        );
        assert_eq!(verify(None, 300, Some(&h), body, 1100), Err(Refused::Off));
        let mut tampered = body.to_vec();
        tampered[60] = b'9';
        assert_eq!(
            verify(Some(SECRET), 300, Some(&h), &tampered, 1100),
            Err(Refused::BadSignature)
        );
        let float = br#"{"kind":"DEPOSIT","address":"a","txHash":"ab12","amount":0.5,"confirmations":2}"#;
        let h = sign(SECRET, 1000, float);
        assert!(matches!(
            verify(Some(SECRET), 300, Some(&h), float, 1000),
            Err(Refused::Malformed(_))
        ));
    }
}
