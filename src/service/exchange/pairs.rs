//! What the exchange offers: the active pairs with their limits and rate
//! types, and each currency's decimals, network, confirmations and
//! network fee. An unsupported pair or an amount outside the limits is
//! `BAD_USER_INPUT` that says what is offered.

use entity::enums::{ChainNetwork, RateType};
use entity::{currencies, exchange_pairs};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::view::parse;
use crate::error::{AppError, AppResult};
use crate::service::money::CurrencyCode;

/// A currency as the exchange uses it.
#[derive(Clone, Debug)]
pub struct CurrencyInfo {
    pub code: String,
    /// Decimal places amounts are rounded to (see `quotes` for the rule).
    pub decimals: u32,
    /// The chain whose address rules apply; `None`: not on a chain.
    pub network: Option<ChainNetwork>,
    /// Confirmations a deposit needs before it is exchanged.
    pub confirmations: i32,
    /// What sending a payout costs on chain, taken from the payout.
    pub network_fee: Decimal,
    pub row: currencies::Model,
}

impl CurrencyInfo {
    fn from_row(row: currencies::Model) -> AppResult<Self> {
        Ok(CurrencyInfo {
            code: row.code.clone(),
            decimals: row.decimals.max(0) as u32,
            network: row.network.as_deref().map(parse).transpose()?,
            confirmations: row.confirmations_required,
            network_fee: row.network_fee,
            row,
        })
    }
}

/// One pair the exchange trades.
#[derive(Clone, Debug)]
pub struct Pair {
    pub from: CurrencyInfo,
    pub to: CurrencyInfo,
    /// Smallest and largest deposit, in the from-currency.
    pub min_amount: Decimal,
    pub max_amount: Decimal,
    pub rate_types: Vec<RateType>,
}

impl Pair {
    /// `BAD_USER_INPUT` on `field` unless `amount` is within the limits.
    pub fn check_amount(&self, amount: Decimal, field: &str) -> AppResult<()> {
        if amount < self.min_amount || amount > self.max_amount {
            return Err(AppError::invalid(
                field,
                format!(
                    "{} → {} takes from {} to {} {}",
                    self.from.code,
                    self.to.code,
                    self.min_amount.normalize(),
                    self.max_amount.normalize(),
                    self.from.code
                ),
            ));
        }
        Ok(())
    }

    /// `BAD_USER_INPUT` on `field` unless the pair offers `kind`.
    pub fn check_rate_type(&self, kind: RateType, field: &str) -> AppResult<()> {
        if self.rate_types.contains(&kind) {
            return Ok(());
        }
        let offered: Vec<String> = self.rate_types.iter().map(sea_orm::ActiveEnum::to_value).collect();
        Err(AppError::invalid(
            field,
            format!(
                "{} → {} offers only {} rates",
                self.from.code,
                self.to.code,
                offered.join(" and ")
            ),
        ))
    }
}

/// Every active pair, by from- then to-currency.
pub async fn list<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<Pair>> {
    let pairs = exchange_pairs::Entity::find()
        .filter(exchange_pairs::Column::IsActive.eq(true))
        .order_by_asc(exchange_pairs::Column::FromCurrency)
        .order_by_asc(exchange_pairs::Column::ToCurrency)
        .all(conn)
        .await?;
    let currencies: std::collections::HashMap<String, currencies::Model> = currencies::Entity::find()
        .filter(currencies::Column::IsActive.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let mut out = Vec::with_capacity(pairs.len());
    for p in pairs {
        let (Some(from), Some(to)) = (currencies.get(&p.from_currency), currencies.get(&p.to_currency)) else {
            continue;
        };
        out.push(build(p, from.clone(), to.clone())?);
    }
    Ok(out)
}

fn build(p: exchange_pairs::Model, from: currencies::Model, to: currencies::Model) -> AppResult<Pair> {
    let rate_types = p
        .rate_types
        .iter()
        .map(|r| parse(r))
        .collect::<AppResult<Vec<RateType>>>()?;
    Ok(Pair {
        from: CurrencyInfo::from_row(from)?,
        to: CurrencyInfo::from_row(to)?,
        min_amount: p.min_amount,
        max_amount: p.max_amount,
        rate_types,
    })
}

/// One active currency.
pub async fn currency<C: ConnectionTrait>(conn: &C, code: CurrencyCode, field: &str) -> AppResult<CurrencyInfo> {
    let row = currencies::Entity::find_by_id(code.as_str().to_string())
        .one(conn)
        .await?
        .filter(|c| c.is_active)
        .ok_or_else(|| AppError::invalid(field, format!("{code} is not a currency we trade")))?;
    CurrencyInfo::from_row(row)
}

/// The active pair `from → to`, or `BAD_USER_INPUT` naming what is offered.
pub async fn get<C: ConnectionTrait>(conn: &C, from: CurrencyCode, to: CurrencyCode) -> AppResult<Pair> {
    let all = list(conn).await?;
    if let Some(p) = all
        .iter()
        .find(|p| p.from.code == from.as_str() && p.to.code == to.as_str())
    {
        return Ok(p.clone());
    }
    let offered: Vec<String> = all.iter().map(|p| format!("{}→{}", p.from.code, p.to.code)).collect();
    Err(AppError::invalid(
        "toCurrency",
        format!("{from} → {to} is not offered; pairs: {}", offered.join(", ")),
    ))
}
