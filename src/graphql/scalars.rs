//! Custom scalars: `Money`, a decimal written as a string (never a float).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::Decimal;

/// An amount of money as a decimal string (`"12.500000"`, `"430"`), exact
/// to the currency's smallest unit. Floats are never used for money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money(pub Decimal);

#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .trim()
                .parse::<Decimal>()
                .map(Money)
                .map_err(|_| InputValueError::custom(format!("{s:?} is not a decimal amount"))),
            // A JSON integer is exact; a JSON float is refused.
            Value::Number(n) if n.is_i64() || n.is_u64() => n
                .as_i64()
                .map(|i| Money(Decimal::from(i)))
                .ok_or_else(|| InputValueError::custom("amount out of range")),
            _ => Err(InputValueError::custom("money is a decimal string such as \"12.50\"")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl Money {
    /// The amount in minor units of a currency with `decimals` places;
    /// `None` when it has more precision than the currency allows.
    pub fn to_minor(self, decimals: u32) -> Option<i64> {
        let scaled = self.0.checked_mul(Decimal::from(10i64.checked_pow(decimals)?))?;
        if scaled.fract() != Decimal::ZERO {
            return None;
        }
        i64::try_from(scaled).ok()
    }

    /// Minor units back to an amount with `decimals` places.
    pub fn from_minor(minor: i64, decimals: u32) -> Self {
        Money(Decimal::new(minor, decimals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units() {
        assert_eq!(Money("12.5".parse().unwrap()).to_minor(2), Some(1250));
        assert_eq!(Money("12.505".parse().unwrap()).to_minor(2), None);
        assert_eq!(Money("430".parse().unwrap()).to_minor(0), Some(430));
        assert_eq!(Money::from_minor(1250, 2).0.to_string(), "12.50");
        assert!(<Money as ScalarType>::parse(Value::from(1.5f64)).is_err());
    }
}
