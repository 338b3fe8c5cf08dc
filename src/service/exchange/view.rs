//! An exchange order as clients see it, detached from the database row so
//! that an event can carry the order exactly as one transition left it
//! (a subscriber sees every step, not only the latest state).

use chrono::{DateTime, Utc};
use entity::enums::{ExchangeOrderStatus, HoldReason, RateType};
use entity::exchange_orders;
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Decimals travel as their exact text, never through a float.
mod dec {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
    pub mod opt {
        use rust_decimal::Decimal;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_some(&d.to_string()),
                None => s.serialize_none(),
            }
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| s.parse().map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// One exchange order, as of one moment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub status: String,
    pub rate_type: String,
    pub from_currency: String,
    pub to_currency: String,
    #[serde(with = "dec")]
    pub from_amount: Decimal,
    #[serde(with = "dec")]
    pub to_amount: Decimal,
    #[serde(with = "dec")]
    pub rate: Decimal,
    #[serde(with = "dec")]
    pub fee_amount: Decimal,
    #[serde(with = "dec")]
    pub network_fee: Decimal,
    #[serde(with = "dec::opt")]
    pub deposit_amount: Option<Decimal>,
    pub deposit_confirmations: Option<i32>,
    pub deposit_address: Option<String>,
    pub receiving_address: Option<String>,
    pub refund_address: Option<String>,
    pub deposit_tx_hash: Option<String>,
    pub payout_tx_hash: Option<String>,
    pub hold_reason: Option<String>,
    pub status_reason: Option<String>,
    pub support_ticket_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<exchange_orders::Model> for OrderView {
    fn from(m: exchange_orders::Model) -> Self {
        OrderView {
            id: m.id,
            user_id: m.user_id,
            status: m.status,
            rate_type: m.rate_type,
            from_currency: m.from_currency,
            to_currency: m.to_currency,
            from_amount: m.from_amount,
            to_amount: m.to_amount,
            rate: m.rate,
            fee_amount: m.fee_amount,
            network_fee: m.network_fee,
            deposit_amount: m.deposit_amount,
            deposit_confirmations: m.deposit_confirmations,
            deposit_address: m.deposit_address,
            receiving_address: m.receiving_address,
            refund_address: m.refund_address,
            deposit_tx_hash: m.deposit_tx_hash,
            payout_tx_hash: m.transaction_hash,
            hold_reason: m.hold_reason,
            status_reason: m.status_reason,
            support_ticket_id: m.support_ticket_id,
            expires_at: m.expires_at.map(|t| t.with_timezone(&Utc)),
            completed_at: m.completed_at.map(|t| t.with_timezone(&Utc)),
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

impl OrderView {
    /// The status as its enum (a value outside it is a bug, reported as such).
    pub fn status(&self) -> AppResult<ExchangeOrderStatus> {
        parse(&self.status)
    }
    /// FIXED or FLOAT.
    pub fn rate_type(&self) -> AppResult<RateType> {
        parse(&self.rate_type)
    }
    /// Why the order waits for an operator, when it does.
    pub fn hold_reason(&self) -> AppResult<Option<HoldReason>> {
        self.hold_reason.as_deref().map(parse).transpose()
    }
}

/// A stored enum value back to its enum.
pub fn parse<E: ActiveEnum<Value = String>>(v: &str) -> AppResult<E> {
    E::try_from_value(&v.to_string()).map_err(|e| AppError::internal(anyhow::anyhow!("bad stored value {v:?}: {e}")))
}
