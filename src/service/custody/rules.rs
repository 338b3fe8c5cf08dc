//! What a withdrawal must satisfy before it is accepted: its fee
//! (`fee_config` WITHDRAWAL, rounded up to the currency's places and
//! charged on top of the amount), the currency's per-transaction and daily
//! limits, and the USD thresholds above which a VERIFIED KYC and then a
//! four-eyes approval are required (runtime config `withdrawal/thresholds`;
//! by default USD 1,000, the FATF travel-rule reference, and USD 10,000).
//! A withdrawal whose USD value cannot be known (no rate) is treated as
//! above both thresholds: unknown is never cheap.

use entity::enums::WithdrawalStatus;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use super::perms::FEES_MANAGE;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::exchange::quotes::FeeRule;
use crate::service::identity::Viewer;

/// The USD thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Above this a VERIFIED KYC is required.
    pub kyc_usd: Decimal,
    /// Above this a second person must approve.
    pub approval_usd: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            kyc_usd: Decimal::from(1_000),
            approval_usd: Decimal::from(10_000),
        }
    }
}

const GROUP: &str = "withdrawal";
const KEY: &str = "thresholds";

/// The thresholds in force (the defaults when unset or unreadable).
pub async fn thresholds<C: ConnectionTrait>(conn: &C) -> AppResult<Thresholds> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT config_value_json FROM runtime_configs WHERE config_group = $1 AND config_key = $2 AND is_active",
            [GROUP.into(), KEY.into()],
        ))
        .await?;
    let value = row.and_then(|r| r.try_get::<serde_json::Value>("", "config_value_json").ok());
    let read = |v: &serde_json::Value, k: &str| v[k].as_str().and_then(|s| s.parse::<Decimal>().ok());
    let d = Thresholds::default();
    Ok(match value {
        Some(v) => Thresholds {
            kyc_usd: read(&v, "kycUsd").unwrap_or(d.kyc_usd),
            approval_usd: read(&v, "approvalUsd").unwrap_or(d.approval_usd),
        },
        None => d,
    })
}

/// `setWithdrawalThresholds` (admins: `exchange.fees.manage`), audited;
/// returns the thresholds now in force.
pub async fn set(ctx: &AppContext, viewer: &Viewer, t: Thresholds) -> AppResult<Thresholds> {
    viewer.require(FEES_MANAGE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let before = thresholds(&*tx).await?;
    store(&*tx, t).await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Config,
            AuditEntity::RuntimeConfig,
            None,
            "withdrawal thresholds changed",
        )
        .label("withdrawal/thresholds")
        .before(json!({"kycUsd": before.kyc_usd, "approvalUsd": before.approval_usd}))
        .after(json!({"kycUsd": t.kyc_usd, "approvalUsd": t.approval_usd})),
    )
    .await?;
    let now = thresholds(&*tx).await?;
    tx.commit(&ctx.bus).await?;
    Ok(now)
}

/// Stores new thresholds (checked: USD amounts, at most cents).
async fn store<C: ConnectionTrait>(conn: &C, t: Thresholds) -> AppResult<()> {
    for (field, v) in [("kycUsd", t.kyc_usd), ("approvalUsd", t.approval_usd)] {
        if v < Decimal::ZERO || v.normalize().scale() > 2 || v > Decimal::from(1_000_000_000_000u64) {
            return Err(AppError::invalid(
                field,
                "a USD amount from 0 to 10^12 with at most 2 decimals",
            ));
        }
    }
    let value =
        json!({"kycUsd": t.kyc_usd.normalize().to_string(), "approvalUsd": t.approval_usd.normalize().to_string()});
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO runtime_configs (config_group, config_key, config_value_json, description) \
         VALUES ($1, $2, $3, 'Withdrawal KYC and approval thresholds (USD)') \
         ON CONFLICT (config_group, config_key) DO UPDATE SET config_value_json = EXCLUDED.config_value_json, is_active = true",
        [GROUP.into(), KEY.into(), value.into()],
    ))
    .await?;
    Ok(())
}

/// The fee of withdrawing `amount`: percentage plus flat, clamped to the
/// rule's minimum and maximum, rounded up to `decimals` places.
pub fn fee(amount: Decimal, rule: FeeRule, decimals: u32) -> AppResult<Decimal> {
    let too_large = || AppError::invalid("amount", "is too large");
    let pct = amount
        .checked_mul(rule.percentage)
        .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
        .ok_or_else(too_large)?;
    let mut fee = pct.checked_add(rule.flat).ok_or_else(too_large)?;
    if let Some(min) = rule.min {
        fee = fee.max(min);
    }
    if let Some(max) = rule.max {
        fee = fee.min(max);
    }
    Ok(fee.round_dp_with_strategy(decimals, RoundingStrategy::AwayFromZero))
}

/// A currency's withdrawal limits (`None`: no limit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub min: Option<Decimal>,
    pub per_transaction: Option<Decimal>,
    pub daily: Option<Decimal>,
}

/// What `user` withdrew in `currency` over the last 24 hours (every
/// withdrawal not REJECTED or FAILED). Read under the wallet's lock, so
/// concurrent requests see each other.
pub async fn used_today<C: ConnectionTrait>(conn: &C, user: Uuid, currency: &str) -> AppResult<Decimal> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT coalesce(sum(amount), 0) AS used FROM withdrawals \
             WHERE user_id = $1 AND currency = $2 AND created_at > now() - interval '24 hours' \
               AND status NOT IN ($3, $4)",
            [
                user.into(),
                currency.into(),
                WithdrawalStatus::Rejected.to_value().into(),
                WithdrawalStatus::Failed.to_value().into(),
            ],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<Decimal>("", "used"))
        .transpose()?
        .unwrap_or_default())
}

/// `BAD_USER_INPUT` on `amount` unless it is within `limits`, with `used`
/// already withdrawn today.
pub fn check_limits(amount: Decimal, limits: Limits, used: Decimal, code: &str) -> AppResult<()> {
    if let Some(min) = limits.min.filter(|m| amount < *m) {
        return Err(AppError::invalid(
            "amount",
            format!("the smallest {code} withdrawal is {}", min.normalize()),
        ));
    }
    if let Some(max) = limits.per_transaction.filter(|m| amount > *m) {
        return Err(AppError::invalid(
            "amount",
            format!("a {code} withdrawal is at most {}", max.normalize()),
        ));
    }
    if let Some(daily) = limits.daily {
        if used + amount > daily {
            let left = (daily - used).max(Decimal::ZERO);
            return Err(AppError::invalid(
                "amount",
                format!(
                    "the daily {code} withdrawal limit is {}; {} left in the last 24 hours",
                    daily.normalize(),
                    left.normalize()
                ),
            ));
        }
    }
    Ok(())
}

/// What a withdrawal of a given USD value needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    pub kyc: bool,
    pub approval: bool,
}

/// The checks `usd` (None: no rate) calls for under `t`.
pub fn needs(usd: Option<Decimal>, t: Thresholds) -> Needs {
    match usd {
        Some(v) => Needs {
            kyc: v > t.kyc_usd,
            approval: v > t.approval_usd,
        },
        None => Needs {
            kyc: true,
            approval: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_fee_rounds_up_to_the_currency_and_respects_the_rule() {
        let half = FeeRule {
            percentage: d("0.5"),
            ..FeeRule::default()
        };
        assert_eq!(fee(d("1"), half, 18).unwrap(), d("0.005"));
        // 0.5 % of 1 satoshi is 0.005 satoshi: a whole satoshi, rounded up.
        assert_eq!(fee(d("0.00000001"), half, 8).unwrap(), d("0.00000001"));
        let capped = FeeRule {
            percentage: d("1"),
            flat: d("0.1"),
            min: Some(d("0.2")),
            max: Some(d("5")),
        };
        assert_eq!(fee(d("1"), capped, 8).unwrap(), d("0.2"));
        assert_eq!(fee(d("10000"), capped, 8).unwrap(), d("5"));
        assert_eq!(fee(d("50"), capped, 8).unwrap(), d("0.6"));
    }

    #[test]
    fn limits_name_what_is_allowed() {
        let l = Limits {
            min: Some(d("0.01")),
            per_transaction: Some(d("5")),
            daily: Some(d("8")),
        };
        assert!(check_limits(d("5"), l, d("3"), "ETH").is_ok());
        let e = check_limits(d("5.1"), l, d("0"), "ETH").unwrap_err().to_string();
        assert!(e.contains("at most 5"), "{e}");
        let e = check_limits(d("1"), l, d("7.5"), "ETH").unwrap_err().to_string();
        assert!(e.contains("daily") && e.contains("0.5 left"), "{e}");
        assert!(check_limits(d("0.001"), l, d("0"), "ETH").is_err());
    }

    #[test]
    fn thresholds_are_strictly_above_and_an_unknown_value_needs_everything() {
        let t = Thresholds::default();
        assert_eq!(
            needs(Some(d("1000")), t),
            Needs {
                kyc: false,
                approval: false
            }
        );
        assert_eq!(
            needs(Some(d("1000.01")), t),
            Needs {
                kyc: true,
                approval: false
            }
        );
        assert_eq!(
            needs(Some(d("10000.01")), t),
            Needs {
                kyc: true,
                approval: true
            }
        );
        assert_eq!(
            needs(None, t),
            Needs {
                kyc: true,
                approval: true
            }
        );
    }
}
