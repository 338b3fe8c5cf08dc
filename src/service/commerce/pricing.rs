//! What an order costs. All amounts are paise (`i64`); no floats anywhere.
//!
//! The order of operations:
//!
//! 1. **Subtotal**: unit price × quantity.
//! 2. **Discount rule**: of the active rules in their period that apply
//!    (GLOBAL ones, and CATEGORY or SERVICE ones whose `scope_id` is the
//!    package's id), the one giving the largest discount on the subtotal
//!    (ties: the older rule). Rules do not stack.
//! 3. **Coupon**, on what remains after the rule: PERCENT of the remainder
//!    (capped at `max_discount_inr` when set) or FLAT (`discount_value`
//!    paise), never more than the remainder. `min_order_value_inr` is
//!    compared with the subtotal.
//! 4. **Taxes** on the discounted amount (`subtotal - discount`): each
//!    active tax rule applying to ALL or to the order's product type (GST
//!    and TCS alike) is computed separately on that same base.
//!
//! **Rounding rule** (one rule for every percentage): `amount × rate / 100`
//! is computed exactly in decimal and rounded half-up to a whole paisa
//! (0.5 paisa rounds up). Each tax rule is rounded on its own and the
//! rounded amounts are summed; percentage discounts are rounded the same
//! way. So 18 % GST on ₹0.05 (5 paise) is 0.9 → 1 paisa, and on 2 paise
//! is 0.36 → 0 paise.

use entity::{coupons, discount_rules, tax_rules};
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

/// `amount × percent / 100`, rounded half-up to a whole paisa (see the
/// module docs). `None` on overflow.
pub fn percent_of(amount: i64, percent: Decimal) -> Option<i64> {
    let exact = Decimal::from(amount)
        .checked_mul(percent)?
        .checked_div(Decimal::ONE_HUNDRED)?;
    i64::try_from(exact.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)).ok()
}

/// The discount of a PERCENT or FLAT rule on `base`, at most `base`.
fn discount_on(base: i64, discount_type: &str, value: i64) -> i64 {
    let raw = if super::workflow::is(discount_type, entity::enums::DiscountType::Percent) {
        percent_of(base, Decimal::from(value)).unwrap_or(base)
    } else {
        value
    };
    raw.clamp(0, base.max(0))
}

/// The discount rule that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedRule {
    pub id: Uuid,
    pub name: String,
    pub amount_inr: i64,
}

/// The coupon that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedCoupon {
    pub id: Uuid,
    pub code: String,
    pub amount_inr: i64,
}

/// One tax line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedTax {
    pub id: Uuid,
    pub name: String,
    pub tax_type: String,
    pub rate: Decimal,
    pub amount_inr: i64,
}

/// The price of an order, line by line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub subtotal_inr: i64,
    pub rule: Option<AppliedRule>,
    pub coupon: Option<AppliedCoupon>,
    /// Rule plus coupon.
    pub discount_inr: i64,
    pub taxes: Vec<AppliedTax>,
    pub tax_inr: i64,
    /// `subtotal - discount + tax`.
    pub total_inr: i64,
}

/// Why a coupon does not apply to this order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CouponProblem {
    /// The subtotal is below the coupon's minimum (paise).
    BelowMinimum(i64),
}

/// The best of `rules` for `subtotal` (the caller passes only rules that
/// are active, in their period and in scope).
pub fn best_rule(subtotal: i64, rules: &[discount_rules::Model]) -> Option<AppliedRule> {
    let mut sorted: Vec<&discount_rules::Model> = rules.iter().collect();
    sorted.sort_by_key(|r| (r.created_at, r.id));
    let mut best: Option<AppliedRule> = None;
    for r in sorted {
        let amount = discount_on(subtotal, &r.discount_type, r.discount_value);
        if amount > 0 && best.as_ref().is_none_or(|b| amount > b.amount_inr) {
            best = Some(AppliedRule {
                id: r.id,
                name: r.name.clone(),
                amount_inr: amount,
            });
        }
    }
    best
}

/// The coupon's discount on `remainder` (after the rule), checking the
/// minimum order against `subtotal`. Validity and usage are the caller's.
pub fn coupon_discount(subtotal: i64, remainder: i64, c: &coupons::Model) -> Result<i64, CouponProblem> {
    if let Some(min) = c.min_order_value_inr {
        if subtotal < min {
            return Err(CouponProblem::BelowMinimum(min));
        }
    }
    let mut amount = discount_on(remainder, &c.discount_type, c.discount_value);
    if let Some(cap) = c.max_discount_inr {
        amount = amount.min(cap);
    }
    Ok(amount.max(0))
}

/// Prices an order of `subtotal` paise (see the module docs). `rules` and
/// `taxes` are the applicable ones; `coupon` has been checked valid.
pub fn price(
    subtotal: i64,
    rules: &[discount_rules::Model],
    coupon: Option<&coupons::Model>,
    taxes: &[tax_rules::Model],
) -> Result<Quote, CouponProblem> {
    let rule = best_rule(subtotal, rules);
    let after_rule = subtotal - rule.as_ref().map_or(0, |r| r.amount_inr);
    let coupon = match coupon {
        Some(c) => Some(AppliedCoupon {
            id: c.id,
            code: c.code.clone(),
            amount_inr: coupon_discount(subtotal, after_rule, c)?,
        }),
        None => None,
    };
    let discount = subtotal - after_rule + coupon.as_ref().map_or(0, |c| c.amount_inr);
    let base = subtotal - discount;
    let mut sorted: Vec<&tax_rules::Model> = taxes.iter().collect();
    sorted.sort_by(|a, b| (a.tax_type.as_str(), a.created_at, a.id).cmp(&(b.tax_type.as_str(), b.created_at, b.id)));
    let lines: Vec<AppliedTax> = sorted
        .into_iter()
        .map(|t| AppliedTax {
            id: t.id,
            name: t.name.clone(),
            tax_type: t.tax_type.clone(),
            rate: t.tax_rate,
            amount_inr: percent_of(base, t.tax_rate).unwrap_or(0),
        })
        .collect();
    let tax: i64 = lines.iter().map(|l| l.amount_inr).sum();
    Ok(Quote {
        subtotal_inr: subtotal,
        rule,
        coupon,
        discount_inr: discount,
        taxes: lines,
        tax_inr: tax,
        total_inr: base + tax,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::enums::{DiscountScope, DiscountType, TaxAppliesTo, TaxType};
    use sea_orm::ActiveEnum;
    use std::str::FromStr;

    fn now() -> sea_orm::prelude::DateTimeWithTimeZone {
        chrono::Utc::now().into()
    }

    fn rule(kind: DiscountType, value: i64) -> discount_rules::Model {
        discount_rules::Model {
            id: Uuid::new_v4(),
            name: format!("{kind:?} {value}"),
            scope_type: DiscountScope::Global.to_value(),
            scope_id: None,
            discount_type: kind.to_value(),
            discount_value: value,
            starts_at: None,
            ends_at: None,
            is_active: true,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn coupon(kind: DiscountType, value: i64, cap: Option<i64>, min: Option<i64>) -> coupons::Model {
        coupons::Model {
            id: Uuid::new_v4(),
            code: "Save10".into(),
            description: None,
            discount_type: kind.to_value(),
            discount_value: value,
            max_discount_inr: cap,
            min_order_value_inr: min,
            valid_from: None,
            valid_to: None,
            usage_limit: None,
            usage_count: 0,
            is_active: true,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn tax(kind: TaxType, rate: &str) -> tax_rules::Model {
        tax_rules::Model {
            id: Uuid::new_v4(),
            name: format!("{kind:?}"),
            tax_type: kind.to_value(),
            tax_rate: Decimal::from_str(rate).unwrap(),
            applies_to: TaxAppliesTo::All.to_value(),
            is_active: true,
            created_at: now(),
            updated_at: now(),
        }
    }

    #[test]
    fn percentages_round_half_up_to_the_paisa() {
        let r = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(percent_of(5, r("18")), Some(1)); // 0.9
        assert_eq!(percent_of(2, r("18")), Some(0)); // 0.36
        assert_eq!(percent_of(25, r("2")), Some(1)); // 0.5 rounds up
        assert_eq!(percent_of(75, r("2")), Some(2)); // 1.5 rounds up
        assert_eq!(percent_of(123_457, r("0.1")), Some(123)); // 123.457
        assert_eq!(percent_of(100_000, r("12.3456")), Some(12_346)); // 12345.6
        assert_eq!(percent_of(i64::MAX, r("100")), Some(i64::MAX));
    }

    #[test]
    fn best_rule_then_coupon_then_taxes() {
        // ₹999.99 with a 10 % rule and a ₹50 flat rule: 10 % (9999.9 → 10000 paise) wins.
        let rules = [rule(DiscountType::Flat, 5_000), rule(DiscountType::Percent, 10)];
        // 15 % coupon on the remainder 89_999: 13_499.85 → 13_500, capped at 12_000.
        let c = coupon(DiscountType::Percent, 15, Some(12_000), Some(50_000));
        let taxes = [tax(TaxType::Gst, "18"), tax(TaxType::Tcs, "1")];
        let q = price(99_999, &rules, Some(&c), &taxes).unwrap();
        assert_eq!(q.rule.as_ref().unwrap().amount_inr, 10_000);
        assert_eq!(q.coupon.as_ref().unwrap().amount_inr, 12_000);
        assert_eq!(q.discount_inr, 22_000);
        // Base 77_999: GST 14_039.82 → 14_040; TCS 779.99 → 780.
        assert_eq!(
            q.taxes.iter().map(|t| t.amount_inr).collect::<Vec<_>>(),
            vec![14_040, 780]
        );
        assert_eq!(q.tax_inr, 14_820);
        assert_eq!(q.total_inr, 77_999 + 14_820);
    }

    #[test]
    fn coupons_respect_minimum_and_never_exceed_the_remainder() {
        let c = coupon(DiscountType::Flat, 50_000, None, Some(10_000));
        assert_eq!(
            price(9_999, &[], Some(&c), &[]),
            Err(CouponProblem::BelowMinimum(10_000))
        );
        let q = price(20_000, &[], Some(&c), &[]).unwrap();
        assert_eq!(q.discount_inr, 20_000);
        assert_eq!(q.total_inr, 0);
        let full = coupon(DiscountType::Percent, 100, None, None);
        let q = price(
            20_000,
            &[rule(DiscountType::Flat, 1_000)],
            Some(&full),
            &[tax(TaxType::Gst, "18")],
        )
        .unwrap();
        assert_eq!((q.discount_inr, q.tax_inr, q.total_inr), (20_000, 0, 0));
    }

    #[test]
    fn no_rule_that_gives_nothing() {
        assert_eq!(best_rule(0, &[rule(DiscountType::Percent, 50)]), None);
        let q = price(1_000, &[], None, &[]).unwrap();
        assert_eq!((q.discount_inr, q.tax_inr, q.total_inr), (0, 0, 1_000));
    }
}
