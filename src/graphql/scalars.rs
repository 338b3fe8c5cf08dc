//! Custom scalars: `Money`, a decimal written as a string (never a float),
//! and what clients read about every custom scalar of the schema (its
//! description and `@specifiedBy` URL).
//!
//! Only plain decimals are accepted as `Money`: an exponent, a `+`,
//! spaces, hex or `NaN` in an amount are far more often a client bug than
//! intent.

use async_graphql::registry::{MetaType, Registry};
use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::Decimal;

/// Where `Money` and `Decimal` are specified: the plain decimal string of
/// the General Decimal Arithmetic specification (no exponent here).
const DECIMAL_SPEC: &str = "https://speleotrove.com/decimal/daconvs.html#reftostr";

/// The description and `@specifiedBy` URL of every custom scalar, by
/// GraphQL name. `Money` is ours and carries them in its attributes too.
pub const SCALARS: &[(&str, &str, &str)] = &[
    ("Money", MONEY_DESCRIPTION, DECIMAL_SPEC),
    (
        "Decimal",
        "An exact decimal number written as a string, such as \"18\" or \"12.5\" (a tax rate in \
         percent). Never a float: send it as a string (a JSON number is read through a \
         floating-point value and may lose digits). Nothing is rounded on input: a value with more \
         decimal places than its field allows (4 for tax rates) is refused with BAD_USER_INPUT. \
         Amounts computed from a rate are rounded half-up to a whole paisa.",
        DECIMAL_SPEC,
    ),
    (
        "DateTime",
        "A point in time as an RFC 3339 string with its offset, such as \
         \"2026-11-22T09:30:00.123456Z\" on input. The server always answers in UTC (offset `+00:00`), with up to \
         microsecond precision.",
        "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    ),
    (
        "NaiveDate",
        "A calendar date without a time zone as `YYYY-MM-DD` (RFC 3339 full-date), such as \
         \"2026-11-22\".",
        "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    ),
    (
        "JSON",
        "Any JSON value (object, array, string, number, boolean or null), sent and received as \
         JSON, not as a string holding JSON.",
        "https://www.rfc-editor.org/rfc/rfc8259",
    ),
    (
        "Upload",
        "A file sent as a part of a multipart request (the GraphQL multipart request specification); \
         its variable is null in `operations` and named in `map`. Only PDF, PNG, JPEG and WebP files \
         are accepted, judged by their bytes. Not available over WebSocket.",
        "https://github.com/jaydenseric/graphql-multipart-request-spec",
    ),
];

const MONEY_DESCRIPTION: &str = "An amount of money as a decimal string, such as \"12.50\" or \
    \"0.00012345\": an optional '-', digits, and optionally a '.' followed by digits. Never a \
    float, no exponent. Answers carry exactly the currency's decimal places (\"12.500000\" for a \
    currency with six). Nothing is rounded: an amount with more decimal places than its currency \
    has is refused with BAD_USER_INPUT. A JSON integer is accepted as input; a JSON float is \
    refused. Amounts in Indian rupees are not Money but Int fields named `*Inr`, in paise.";

/// An amount of money as a decimal string (`"12.500000"`, `"430"`), exact
/// to the currency's smallest unit. Floats are never used for money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money(pub Decimal);

/// An amount of money as a decimal string, exact to its currency's
/// decimal places; see [`SCALARS`] for what clients read.
#[Scalar(
    name = "Money",
    specified_by_url = "https://speleotrove.com/decimal/daconvs.html#reftostr"
)]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_plain(s).map(Money).map_err(InputValueError::custom),
            // A JSON integer is exact; a JSON float is refused.
            Value::Number(n) if n.is_i64() || n.is_u64() => n
                .as_i64()
                .map(|i| Money(Decimal::from(i)))
                .ok_or_else(|| InputValueError::custom(format!("the amount {n} is out of range"))),
            _ => Err(InputValueError::custom("money is a decimal string such as \"12.50\"")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Most decimal places an amount may have (the precision of `Decimal`).
const MAX_SCALE: usize = 28;

/// Parses a plain decimal: an optional `-`, digits, and optionally a `.`
/// followed by digits. Anything else is refused with a message saying why.
fn parse_plain(s: &str) -> Result<Decimal, String> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !frac.is_none_or(digits) {
        let shown: String = s.chars().take(40).collect();
        return Err(format!(
            "{shown:?} is not a plain decimal amount: write digits with an optional leading '-' \
             and '.', such as \"12.50\" (no exponent, '+', spaces or other characters)"
        ));
    }
    if frac.is_some_and(|f| f.len() > MAX_SCALE) {
        return Err(format!("the amount has more than {MAX_SCALE} decimal places"));
    }
    Decimal::from_str_exact(s).map_err(|_| {
        let shown: String = s.chars().take(40).collect();
        format!("the amount {shown} is out of range")
    })
}

/// Why an amount has no exact form in a currency's minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinorError {
    /// More decimal places than the currency has.
    TooPrecise,
    /// Too large for the ledger's 64-bit minor units.
    OutOfRange,
}

impl Money {
    /// The amount in minor units of a currency with `decimals` places;
    /// `None` when it has more precision than the currency allows or does
    /// not fit (see [`Money::try_to_minor`] to tell which).
    pub fn to_minor(self, decimals: u32) -> Option<i64> {
        self.try_to_minor(decimals).ok()
    }

    /// The amount in minor units, or why it has none, so that callers can
    /// say "out of range" rather than blame the decimal places.
    pub fn try_to_minor(self, decimals: u32) -> Result<i64, MinorError> {
        let factor = 10i64.checked_pow(decimals).ok_or(MinorError::OutOfRange)?;
        let scaled = self
            .0
            .checked_mul(Decimal::from(factor))
            .ok_or(MinorError::OutOfRange)?;
        if scaled.fract() != Decimal::ZERO {
            return Err(MinorError::TooPrecise);
        }
        i64::try_from(scaled).map_err(|_| MinorError::OutOfRange)
    }

    /// Minor units back to an amount with `decimals` places.
    pub fn from_minor(minor: i64, decimals: u32) -> Self {
        Money(Decimal::new(minor, decimals))
    }
}

/// Writes [`SCALARS`] into the registry: the description and
/// `@specifiedBy` URL of the scalars that async-graphql defines for chrono,
/// rust_decimal and JSON, which take no attributes of ours (see
/// [`crate::graphql::docs`]).
pub(crate) fn document(registry: &mut Registry) {
    for (name, text, url) in SCALARS {
        if let Some(MetaType::Scalar {
            description,
            specified_by_url,
            ..
        }) = registry.types.get_mut(*name)
        {
            *description = Some((*text).to_string());
            *specified_by_url = Some((*url).to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_custom_scalar_says_what_it_holds() {
        let sdl = crate::graphql::sdl();
        for line in sdl.lines().filter(|l| l.starts_with("scalar ")) {
            let name = line["scalar ".len()..].split_whitespace().next().unwrap_or("");
            assert!(
                SCALARS.iter().any(|(n, _, _)| *n == name),
                "scalar {name} has no entry in SCALARS"
            );
            assert!(line.contains("@specifiedBy(url: \"https://"), "{line}");
        }
        for (name, text, _) in SCALARS {
            assert!(
                sdl.contains(&format!("\"\"\"\n{text}\n\"\"\"\nscalar {name} ")),
                "{name}"
            );
        }
    }

    #[test]
    fn minor_units() {
        assert_eq!(Money("12.5".parse().unwrap()).to_minor(2), Some(1250));
        assert_eq!(Money("12.505".parse().unwrap()).to_minor(2), None);
        assert_eq!(Money("430".parse().unwrap()).to_minor(0), Some(430));
        assert_eq!(Money::from_minor(1250, 2).0.to_string(), "12.50");
        assert!(<Money as ScalarType>::parse(Value::from(1.5f64)).is_err());
        assert_eq!(
            Money("92233720368547758.08".parse().unwrap()).try_to_minor(2),
            Err(MinorError::OutOfRange)
        );
        assert_eq!(
            Money("1.005".parse().unwrap()).try_to_minor(2),
            Err(MinorError::TooPrecise)
        );
    }

    fn parse(s: &str) -> Result<Money, String> {
        <Money as ScalarType>::parse(Value::String(s.into()))
            .map_err(|e| e.into_server_error(Default::default()).message)
    }

    #[test]
    fn only_plain_decimals_are_money() {
        for ok in ["0", "12.50", "-3", "430", "0.000001", "007.5"] {
            assert_eq!(parse(ok).unwrap().0, ok.parse::<Decimal>().unwrap(), "{ok}");
        }
        for bad in [
            "1E2", "1e-5", "1e2", " 1", "1 ", "+1", "0x1F", "NaN", "inf", "", "-", ".5", "5.", "1_000", "1,5", "١٢",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("plain decimal"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn out_of_range_amounts_say_so() {
        let e = parse(&"9".repeat(40)).unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let e = parse(&format!("0.{}", "1".repeat(29))).unwrap_err();
        assert!(e.contains("decimal places"), "{e}");
        let e = <Money as ScalarType>::parse(Value::from(u64::MAX))
            .map_err(|e| e.into_server_error(Default::default()).message)
            .unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }
}
