//! What the exchange offers, as operators edit it: a currency's
//! confirmations, network fee and rotation policy, and a pair's limits and
//! rate types (`exchange.rates.manage`: admins). Every edit is audited with
//! the values before and after.

use entity::enums::{RateType, RotationPolicy};
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use super::pairs::{self, CurrencyInfo, Pair};
use super::perms;
use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;

/// Changes to a currency; `None` keeps a value.
#[derive(Clone, Debug, Default)]
pub struct CurrencyEdit {
    pub confirmations_required: Option<i32>,
    pub network_fee: Option<Decimal>,
    pub rotation_policy: Option<RotationPolicy>,
    /// `Some(None)` clears the threshold.
    pub rotation_threshold: Option<Option<Decimal>>,
    /// Withdrawal limits: the smallest withdrawal, the largest, and the
    /// most per user in 24 hours; `Some(None)` clears one.
    pub withdrawal_min: Option<Option<Decimal>>,
    pub withdrawal_max: Option<Option<Decimal>>,
    pub withdrawal_daily_limit: Option<Option<Decimal>>,
}

fn bad(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Applies `edit` to currency `code`.
pub async fn edit_currency(
    ctx: &AppContext,
    viewer: &Viewer,
    code: CurrencyCode,
    edit: CurrencyEdit,
) -> AppResult<CurrencyInfo> {
    viewer.require(perms::EXCHANGE_RATES_MANAGE)?;
    let mut problems = Vec::new();
    if edit.confirmations_required.is_some_and(|c| !(0..=1000).contains(&c)) {
        problems.push(bad("confirmationsRequired", "must be between 0 and 1000"));
    }
    if edit.network_fee.is_some_and(|f| f < Decimal::ZERO) {
        problems.push(bad("networkFee", "must not be negative"));
    }
    if edit.rotation_threshold.flatten().is_some_and(|t| t < Decimal::ZERO) {
        problems.push(bad("rotationThreshold", "must not be negative"));
    }
    if edit.withdrawal_min.flatten().is_some_and(|t| t < Decimal::ZERO) {
        problems.push(bad("withdrawalMin", "must not be negative"));
    }
    for (field, v) in [
        ("withdrawalMax", edit.withdrawal_max),
        ("withdrawalDailyLimit", edit.withdrawal_daily_limit),
    ] {
        if v.flatten().is_some_and(|t| t <= Decimal::ZERO) {
            problems.push(bad(field, "must be greater than zero"));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let before = pairs::currency(&*tx, code, "code").await?;
    for (field, d) in [
        ("networkFee", edit.network_fee),
        ("rotationThreshold", edit.rotation_threshold.flatten()),
        ("withdrawalMin", edit.withdrawal_min.flatten()),
        ("withdrawalMax", edit.withdrawal_max.flatten()),
        ("withdrawalDailyLimit", edit.withdrawal_daily_limit.flatten()),
    ] {
        if d.is_some_and(|d| d.normalize().scale() > before.decimals) {
            return Err(AppError::invalid(
                field,
                format!("{code} has {} decimal places", before.decimals),
            ));
        }
    }
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE currencies SET confirmations_required = coalesce($2, confirmations_required), \
         network_fee = coalesce($3, network_fee), rotation_policy = coalesce($4, rotation_policy), \
         rotation_threshold = CASE WHEN $5 THEN $6 ELSE rotation_threshold END, \
         withdrawal_min = CASE WHEN $7 THEN $8 ELSE withdrawal_min END, \
         withdrawal_max = CASE WHEN $9 THEN $10 ELSE withdrawal_max END, \
         withdrawal_daily_limit = CASE WHEN $11 THEN $12 ELSE withdrawal_daily_limit END WHERE code = $1",
        [
            code.as_str().to_string().into(),
            edit.confirmations_required.into(),
            edit.network_fee.into(),
            edit.rotation_policy.map(|p| p.to_value()).into(),
            edit.rotation_threshold.is_some().into(),
            edit.rotation_threshold.flatten().into(),
            edit.withdrawal_min.is_some().into(),
            edit.withdrawal_min.flatten().into(),
            edit.withdrawal_max.is_some().into(),
            edit.withdrawal_max.flatten().into(),
            edit.withdrawal_daily_limit.is_some().into(),
            edit.withdrawal_daily_limit.flatten().into(),
        ],
    ))
    .await
    .map_err(|e| match AppError::from(e) {
        // currencies_withdrawal_limits_check: the smallest above the largest.
        AppError::Internal(_) => AppError::invalid("withdrawalMin", "must not exceed withdrawalMax"),
        other => other,
    })?;
    let after = pairs::currency(&*tx, code, "code").await?;
    let shape = |c: &CurrencyInfo| {
        json!({
            "confirmationsRequired": c.confirmations,
            "networkFee": c.network_fee.normalize().to_string(),
            "rotationPolicy": c.row.rotation_policy,
            "rotationThreshold": c.row.rotation_threshold.map(|t| t.normalize().to_string()),
            "withdrawalMin": c.row.withdrawal_min.map(|t| t.normalize().to_string()),
            "withdrawalMax": c.row.withdrawal_max.map(|t| t.normalize().to_string()),
            "withdrawalDailyLimit": c.row.withdrawal_daily_limit.map(|t| t.normalize().to_string()),
        })
    };
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Exchange,
            AuditEntity::Currency,
            None,
            format!("currency {code} edited"),
        )
        .label(code.as_str())
        .before(shape(&before))
        .after(shape(&after)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(after)
}

/// A pair as an operator saves it.
#[derive(Clone, Debug)]
pub struct PairEdit {
    pub from: CurrencyCode,
    pub to: CurrencyCode,
    pub min_amount: Decimal,
    pub max_amount: Decimal,
    pub rate_types: Vec<RateType>,
    pub is_active: bool,
}

/// Creates or changes the pair `from → to`; returns the active pair (or
/// `None` once deactivated).
pub async fn save_pair(ctx: &AppContext, viewer: &Viewer, edit: PairEdit) -> AppResult<Option<Pair>> {
    viewer.require(perms::EXCHANGE_RATES_MANAGE)?;
    let mut problems = Vec::new();
    if edit.from == edit.to {
        problems.push(bad("toCurrency", "must differ from fromCurrency"));
    }
    if edit.min_amount <= Decimal::ZERO {
        problems.push(bad("minAmount", "must be greater than zero"));
    }
    if edit.max_amount < edit.min_amount {
        problems.push(bad("maxAmount", "must be at least minAmount"));
    }
    if edit.rate_types.is_empty() {
        problems.push(bad("rateTypes", "name at least one rate type"));
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let from = pairs::currency(&*tx, edit.from, "fromCurrency").await?;
    let to = pairs::currency(&*tx, edit.to, "toCurrency").await?;
    if from.network.is_none() || to.network.is_none() {
        return Err(AppError::invalid("fromCurrency", "both currencies must be on a chain"));
    }
    let mut kinds: Vec<String> = edit.rate_types.iter().map(|r| r.to_value()).collect();
    kinds.sort();
    kinds.dedup();
    let before = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT min_amount::text AS min, max_amount::text AS max, rate_types, is_active FROM exchange_pairs \
             WHERE from_currency = $1 AND to_currency = $2 FOR UPDATE",
            [from.code.clone().into(), to.code.clone().into()],
        ))
        .await?
        .map(|r| -> AppResult<serde_json::Value> {
            Ok(json!({
                "minAmount": r.try_get::<String>("", "min")?,
                "maxAmount": r.try_get::<String>("", "max")?,
                "rateTypes": r.try_get::<Vec<String>>("", "rate_types")?,
                "isActive": r.try_get::<bool>("", "is_active")?,
            }))
        })
        .transpose()?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO exchange_pairs (from_currency, to_currency, min_amount, max_amount, rate_types, is_active) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (from_currency, to_currency) DO UPDATE SET \
         min_amount = EXCLUDED.min_amount, max_amount = EXCLUDED.max_amount, rate_types = EXCLUDED.rate_types, \
         is_active = EXCLUDED.is_active",
        [
            from.code.clone().into(),
            to.code.clone().into(),
            edit.min_amount.into(),
            edit.max_amount.into(),
            kinds.clone().into(),
            edit.is_active.into(),
        ],
    ))
    .await?;
    let after = json!({
        "minAmount": edit.min_amount.normalize().to_string(),
        "maxAmount": edit.max_amount.normalize().to_string(),
        "rateTypes": kinds,
        "isActive": edit.is_active,
    });
    let mut entry = Entry::new(
        if before.is_some() {
            Action::Update
        } else {
            Action::Create
        },
        Module::Exchange,
        AuditEntity::ExchangePair,
        None,
        format!("pair {} → {} saved", from.code, to.code),
    )
    .label(format!("{}/{}", from.code, to.code))
    .after(after);
    if let Some(b) = before {
        entry = entry.before(b);
    }
    audit::record(&*tx, Some(viewer), entry).await?;
    let saved = pairs::list(&*tx)
        .await?
        .into_iter()
        .find(|p| p.from.code == from.code && p.to.code == to.code);
    tx.commit(&ctx.bus).await?;
    Ok(saved)
}
