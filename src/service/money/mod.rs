//! Money that cannot be mixed up: a [`CurrencyCode`] parsed once at the
//! edge, a [`Currency`] (the code and its decimal places, from the
//! `currencies` table), and [`Money`], an integer count of the currency's
//! smallest unit that carries its currency. Amounts are read from and
//! written as exact decimal strings; floats are never involved, rounding
//! happens only where a caller names a [`Rounding`], and arithmetic is
//! checked (overflow and mixed currencies are errors, not wrap-arounds).
//!
//! The minor units are an `i128`, wide enough for `NUMERIC(38, 18)`
//! amounts (exchange, custody); wallets store minor units as
//! `NUMERIC(38, 0)` ([`Money::minor_decimal`] / [`Money::from_minor_decimal`])
//! and commerce's `BIGINT` columns convert with [`Money::minor_i64`] /
//! [`Money::from_minor`].

use std::fmt;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{AppError, AppResult};

/// Longest currency code the schema allows (`currencies_code_check`).
const MAX_CODE: usize = 12;
/// Most decimal places a currency may have (`currencies_decimals_check`).
pub const MAX_DECIMALS: u8 = 18;

/// A currency code: 2 to 12 upper-case ASCII letters or digits, the shape
/// the `currencies` table accepts. `Copy`, so it travels freely.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode {
    bytes: [u8; MAX_CODE],
    len: u8,
}

/// Why a string is not a currency code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a currency code is 2 to 12 letters or digits, such as TRC or INR")]
pub struct BadCurrencyCode;

impl CurrencyCode {
    /// Tracecoin, the platform's own token and the default wallet currency.
    pub const TRC: CurrencyCode = CurrencyCode::from_static("TRC");
    /// The Indian rupee, in which commerce prices (paise).
    pub const INR: CurrencyCode = CurrencyCode::from_static("INR");

    /// A code known at compile time; an invalid one fails the build.
    pub const fn from_static(code: &'static str) -> Self {
        match Self::from_bytes(code.as_bytes()) {
            Some(c) => c,
            None => panic!("not a currency code"),
        }
    }

    const fn from_bytes(raw: &[u8]) -> Option<Self> {
        if raw.len() < 2 || raw.len() > MAX_CODE {
            return None;
        }
        let mut bytes = [0u8; MAX_CODE];
        let mut i = 0;
        while i < raw.len() {
            let b = raw[i];
            if !(b.is_ascii_uppercase() || b.is_ascii_digit()) {
                return None;
            }
            bytes[i] = b;
            i += 1;
        }
        Some(CurrencyCode {
            bytes,
            len: raw.len() as u8,
        })
    }

    /// Parses client input: surrounding spaces are dropped and letters
    /// upper-cased (`" inr"` is INR); anything else must already fit.
    pub fn parse(input: &str) -> Result<Self, BadCurrencyCode> {
        let upper = input.trim().to_ascii_uppercase();
        Self::from_bytes(upper.as_bytes()).ok_or(BadCurrencyCode)
    }

    /// Parses client input, refusing a bad code as `BAD_USER_INPUT` on `field`.
    pub fn parse_field(input: &str, field: &str) -> AppResult<Self> {
        Self::parse(input).map_err(|e| AppError::invalid(field, e.to_string()))
    }

    /// The code as text (what the database stores).
    pub fn as_str(&self) -> &str {
        // Only ASCII letters and digits are ever stored.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

impl std::str::FromStr for CurrencyCode {
    type Err = BadCurrencyCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<CurrencyCode> for sea_orm::Value {
    fn from(c: CurrencyCode) -> Self {
        sea_orm::Value::from(c.as_str().to_string())
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CurrencyCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A currency as amounts need it: its code and decimal places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency {
    pub code: CurrencyCode,
    /// Digits after the point of its smallest unit (0 to 18).
    pub decimals: u8,
}

impl Currency {
    /// Tracecoins are whole coins (the reference row of `currencies`).
    pub const TRC: Currency = Currency {
        code: CurrencyCode::TRC,
        decimals: 0,
    };
    /// Rupees count in paise (the reference row of `currencies`).
    pub const INR: Currency = Currency {
        code: CurrencyCode::INR,
        decimals: 2,
    };

    /// A currency with `decimals` places; `None` beyond [`MAX_DECIMALS`].
    pub fn new(code: CurrencyCode, decimals: u8) -> Option<Self> {
        (decimals <= MAX_DECIMALS).then_some(Currency { code, decimals })
    }
}

/// An active currency by code, with its decimal places; `BAD_USER_INPUT`
/// on `field` for an unknown or inactive one.
pub async fn currency<C: ConnectionTrait>(conn: &C, code: CurrencyCode, field: &str) -> AppResult<Currency> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT decimals FROM currencies WHERE code = $1 AND is_active",
            [code.into()],
        ))
        .await?;
    row.and_then(|r| r.try_get::<i16>("", "decimals").ok())
        .and_then(|d| u8::try_from(d).ok())
        .and_then(|d| Currency::new(code, d))
        .ok_or_else(|| AppError::invalid(field, format!("{code} is not an active currency")))
}

/// How to bring an amount with more decimal places than its currency has
/// onto the currency's smallest unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Refuse: the amount must already be exact (client input).
    Exact,
    /// Toward zero (truncate): never pays out more than computed.
    Down,
    /// Away from zero: never collects less than computed.
    Up,
    /// To nearest, halves away from zero (commercial rounding).
    HalfUp,
    /// To nearest, halves to the even neighbour (banker's rounding).
    HalfEven,
}

/// Why an amount could not be made or computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("write an amount as digits with an optional leading '-' and '.', such as \"12.50\"")]
    Malformed,
    #[error("{0} has {1} decimal places")]
    TooPrecise(CurrencyCode, u8),
    #[error("the amount is out of range")]
    OutOfRange,
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(CurrencyCode, CurrencyCode),
}

impl MoneyError {
    /// As `BAD_USER_INPUT` on the field the amount came from.
    pub fn on(self, field: &str) -> AppError {
        AppError::invalid(field, self.to_string())
    }
}

/// An amount in one currency: whole minor units (paise, satoshi, coins).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i128,
    currency: Currency,
}

/// Divides `n` by `d > 0` with `rounding`; `None` for [`Rounding::Exact`]
/// when there is a remainder.
fn div_round(n: i128, d: i128, rounding: Rounding) -> Option<i128> {
    let q = n / d;
    let r = n % d;
    if r == 0 {
        return Some(q);
    }
    let away = if n < 0 { q - 1 } else { q + 1 };
    let twice = r.unsigned_abs() * 2;
    let half = twice.cmp(&d.unsigned_abs());
    Some(match rounding {
        Rounding::Exact => return None,
        Rounding::Down => q,
        Rounding::Up => away,
        Rounding::HalfUp => {
            if half.is_lt() {
                q
            } else {
                away
            }
        }
        Rounding::HalfEven => match half {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => away,
            std::cmp::Ordering::Equal => {
                if q % 2 == 0 {
                    q
                } else {
                    away
                }
            }
        },
    })
}

impl Money {
    /// `minor` smallest units of `currency`.
    pub const fn from_minor(minor: i64, currency: Currency) -> Self {
        Money {
            minor: minor as i128,
            currency,
        }
    }

    /// `minor` smallest units of `currency`, for wide (NUMERIC) amounts.
    pub const fn from_minor_i128(minor: i128, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// From a whole count of minor units stored as `NUMERIC(38, 0)` (the
    /// wallets' columns); a fraction, which that column cannot hold, is
    /// rounded away.
    pub fn from_minor_decimal(mut minor: Decimal, currency: Currency) -> Self {
        minor.rescale(0);
        Money {
            minor: minor.mantissa(),
            currency,
        }
    }

    /// The amount in smallest units for a `NUMERIC(38, 0)` column.
    pub fn minor_decimal(self) -> Result<Decimal, MoneyError> {
        Decimal::try_from_i128_with_scale(self.minor, 0).map_err(|_| MoneyError::OutOfRange)
    }

    /// Nothing, in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    /// Parses a plain decimal string (`"12.50"`, `"-3"`, `"430"`) exactly;
    /// trailing zeros beyond the currency's places are fine, other digits
    /// there are [`MoneyError::TooPrecise`].
    pub fn parse(s: &str, currency: Currency) -> Result<Self, MoneyError> {
        Self::parse_rounded(s, currency, Rounding::Exact)
    }

    /// Parses a plain decimal string, rounding extra places by `rounding`.
    pub fn parse_rounded(s: &str, currency: Currency, rounding: Rounding) -> Result<Self, MoneyError> {
        let (negative, unsigned) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (unsigned.contains('.') && frac.is_empty()) {
            return Err(MoneyError::Malformed);
        }
        let places = usize::from(currency.decimals);
        let (kept, extra) = frac.split_at(frac.len().min(places));
        let mut text = String::with_capacity(int.len() + places + 1);
        text.push_str(int.trim_start_matches('0'));
        text.push_str(kept);
        text.extend(std::iter::repeat_n('0', places - kept.len()));
        let mut minor: i128 = if text.is_empty() {
            0
        } else {
            text.parse().map_err(|_| MoneyError::OutOfRange)?
        };
        let extra = extra.trim_end_matches('0');
        if !extra.is_empty() {
            // Round on the first dropped digits: at most 38 are significant.
            let tail: String = extra.chars().take(37).collect();
            let d = 10i128.pow(tail.len() as u32);
            let t: i128 = tail.parse().map_err(|_| MoneyError::Malformed)?;
            // A digit beyond the 37 kept still breaks a tie upwards.
            let sticky = i128::from(extra.len() > 37 && extra[37..].bytes().any(|b| b != b'0'));
            let (frac_part, denom) = (t * 10 + sticky, d * 10);
            let step = if rounding == Rounding::HalfEven && frac_part * 2 == denom {
                // A tie goes to the even neighbour of the kept amount.
                minor % 2
            } else {
                div_round(frac_part, denom, rounding).ok_or(MoneyError::TooPrecise(currency.code, currency.decimals))?
            };
            minor = minor.checked_add(step).ok_or(MoneyError::OutOfRange)?;
        }
        // Rounded on the magnitude, so Down is toward zero for negatives too.
        if negative {
            minor = -minor;
        }
        Ok(Money { minor, currency })
    }

    /// From a `Decimal` (a NUMERIC column, a computed rate), rounding extra
    /// places by `rounding`.
    pub fn from_decimal(d: Decimal, currency: Currency, rounding: Rounding) -> Result<Self, MoneyError> {
        let mantissa = d.mantissa();
        let scale = d.scale();
        let places = u32::from(currency.decimals);
        let minor = if scale <= places {
            mantissa
                .checked_mul(10i128.pow(places - scale))
                .ok_or(MoneyError::OutOfRange)?
        } else {
            div_round(mantissa, 10i128.pow(scale - places), rounding)
                .ok_or(MoneyError::TooPrecise(currency.code, currency.decimals))?
        };
        Ok(Money { minor, currency })
    }

    /// As a `Decimal` with exactly the currency's places (for NUMERIC
    /// columns and rate arithmetic); `None` beyond `Decimal`'s 96 bits.
    pub fn to_decimal(self) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(self.minor, u32::from(self.currency.decimals)).ok()
    }

    /// The amount in smallest units.
    pub fn minor(self) -> i128 {
        self.minor
    }

    /// The amount in smallest units for a `BIGINT` column.
    pub fn minor_i64(self) -> Result<i64, MoneyError> {
        i64::try_from(self.minor).map_err(|_| MoneyError::OutOfRange)
    }

    /// The currency this amount is in.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Its currency's code.
    pub fn code(self) -> CurrencyCode {
        self.currency.code
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn is_positive(self) -> bool {
        self.minor > 0
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    fn same(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency.code, other.currency.code))
        }
    }

    /// `self + other`, both in one currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::OutOfRange)?;
        Ok(Money { minor, ..self })
    }

    /// `self - other`, both in one currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::OutOfRange)?;
        Ok(Money { minor, ..self })
    }

    /// `self × n` (a quantity).
    pub fn checked_mul(self, n: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(i128::from(n)).ok_or(MoneyError::OutOfRange)?;
        Ok(Money { minor, ..self })
    }

    /// `-self`.
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::OutOfRange)?;
        Ok(Money { minor, ..self })
    }
}

impl fmt::Display for Money {
    /// Exactly the currency's places: `12.50` (INR), `430` (TRC), `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = usize::from(self.currency.decimals);
        let digits = self.minor.unsigned_abs().to_string();
        let sign = if self.minor < 0 { "-" } else { "" };
        if places == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = places + 1);
        let (int, frac) = padded.split_at(padded.len() - places);
        write!(f, "{sign}{int}.{frac}")
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self} {})", self.currency.code)
    }
}

/// The wire form of [`Money`] (events, JSON columns): the decimal string
/// with its currency and places, so a reader needs no look-up.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoneyWire {
    amount: String,
    currency: CurrencyCode,
    decimals: u8,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.to_string(),
            currency: self.currency.code,
            decimals: self.currency.decimals,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = MoneyWire::deserialize(d)?;
        let currency =
            Currency::new(w.currency, w.decimals).ok_or_else(|| serde::de::Error::custom("too many decimals"))?;
        Money::parse(&w.amount, currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
