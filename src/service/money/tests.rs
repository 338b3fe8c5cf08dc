//! Parsing, formatting, rounding and arithmetic edge cases of money.

use super::*;

const BTC: Currency = Currency {
    code: CurrencyCode::from_static("BTC"),
    decimals: 8,
};
const ETH: Currency = Currency {
    code: CurrencyCode::from_static("ETH"),
    decimals: 18,
};

fn inr(s: &str) -> Money {
    Money::parse(s, Currency::INR).unwrap()
}

#[test]
fn codes_are_parsed_once_and_upper_cased() {
    assert_eq!(CurrencyCode::parse(" inr ").unwrap(), CurrencyCode::INR);
    assert_eq!(CurrencyCode::parse("usdt").unwrap().as_str(), "USDT");
    for bad in ["", "I", "RUPEES-INR", "IN R", "€UR", "ABCDEFGHIJKLM", "in-r"] {
        assert_eq!(CurrencyCode::parse(bad), Err(BadCurrencyCode), "{bad:?}");
    }
    assert_eq!(CurrencyCode::TRC.to_string(), "TRC");
    assert_eq!(serde_json::to_value(CurrencyCode::INR).unwrap(), "INR");
    assert_eq!(
        serde_json::from_str::<CurrencyCode>("\"trc\"").unwrap(),
        CurrencyCode::TRC
    );
    assert!(serde_json::from_str::<CurrencyCode>("\"x\"").is_err());
    assert!(CurrencyCode::parse_field("x", "currency").is_err());
}

#[test]
fn amounts_format_with_exactly_their_places() {
    assert_eq!(Money::from_minor(1250, Currency::INR).to_string(), "12.50");
    assert_eq!(Money::from_minor(5, Currency::INR).to_string(), "0.05");
    assert_eq!(Money::from_minor(-5, Currency::INR).to_string(), "-0.05");
    assert_eq!(Money::from_minor(0, Currency::INR).to_string(), "0.00");
    assert_eq!(Money::from_minor(430, Currency::TRC).to_string(), "430");
    assert_eq!(Money::from_minor(-430, Currency::TRC).to_string(), "-430");
    assert_eq!(Money::from_minor(1, BTC).to_string(), "0.00000001");
    assert_eq!(
        Money::from_minor_i128(1_500_000_000_000_000_000, ETH).to_string(),
        "1.500000000000000000"
    );
    assert_eq!(
        Money::from_minor(i64::MIN, Currency::INR).to_string(),
        "-92233720368547758.08"
    );
}

#[test]
fn parsing_is_exact_and_round_trips() {
    for s in ["12.50", "0.05", "-0.05", "0.00", "92233720368547758.07"] {
        assert_eq!(inr(s).to_string(), s);
    }
    assert_eq!(inr("12.5").minor(), 1250);
    assert_eq!(inr("12").minor(), 1200);
    assert_eq!(inr("007.10").minor(), 710);
    assert_eq!(inr("1.500000").minor(), 150, "trailing zeros are exact");
    assert_eq!(Money::parse("430", Currency::TRC).unwrap().minor(), 430);
    assert_eq!(Money::parse("430.0", Currency::TRC).unwrap().minor(), 430);
    assert_eq!(
        Money::parse("1.005", Currency::INR),
        Err(MoneyError::TooPrecise(CurrencyCode::INR, 2))
    );
    assert_eq!(
        Money::parse("0.5", Currency::TRC),
        Err(MoneyError::TooPrecise(CurrencyCode::TRC, 0))
    );
    for bad in [
        "", "-", ".5", "5.", "1e2", "+1", " 1", "1 ", "1,5", "1_000", "NaN", "0x1F", "--1", "1.2.3",
    ] {
        assert_eq!(Money::parse(bad, Currency::INR), Err(MoneyError::Malformed), "{bad:?}");
    }
    assert_eq!(
        Money::parse(&"9".repeat(40), Currency::INR),
        Err(MoneyError::OutOfRange)
    );
    // Wider than BIGINT is still exact; the BIGINT conversion says no.
    let wide = inr("92233720368547758.08");
    assert_eq!(wide.minor_i64(), Err(MoneyError::OutOfRange));
    assert_eq!(inr("92233720368547758.07").minor_i64(), Ok(i64::MAX));
}

#[test]
fn rounding_is_only_what_the_caller_names() {
    let r = |s: &str, mode| Money::parse_rounded(s, Currency::INR, mode).unwrap().to_string();
    assert_eq!(r("1.005", Rounding::Down), "1.00");
    assert_eq!(r("1.005", Rounding::Up), "1.01");
    assert_eq!(r("1.005", Rounding::HalfUp), "1.01");
    assert_eq!(r("1.005", Rounding::HalfEven), "1.00");
    assert_eq!(r("1.015", Rounding::HalfEven), "1.02");
    assert_eq!(r("1.0050000001", Rounding::HalfEven), "1.01", "above the half");
    assert_eq!(r("1.0049999999", Rounding::HalfUp), "1.00");
    assert_eq!(r("1.001", Rounding::Up), "1.01");
    assert_eq!(r("1.00000000000000000000000000000000000000001", Rounding::Up), "1.01");
    assert_eq!(r("1.00000000000000000000000000000000000000001", Rounding::Down), "1.00");
    // Negative amounts round by magnitude: Down is toward zero.
    assert_eq!(r("-1.005", Rounding::Down), "-1.00");
    assert_eq!(r("-1.005", Rounding::Up), "-1.01");
    assert_eq!(r("-1.005", Rounding::HalfUp), "-1.01");
    assert_eq!(r("-1.015", Rounding::HalfEven), "-1.02");
    assert_eq!(r("0.999", Rounding::HalfUp), "1.00", "carries into the units");
}

#[test]
fn decimals_convert_exactly_or_by_the_named_rounding() {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    let m = Money::from_decimal(d("12.5"), Currency::INR, Rounding::Exact).unwrap();
    assert_eq!(m.minor(), 1250);
    assert_eq!(m.to_decimal().unwrap().to_string(), "12.50");
    assert_eq!(
        Money::from_decimal(d("12.505"), Currency::INR, Rounding::Exact),
        Err(MoneyError::TooPrecise(CurrencyCode::INR, 2))
    );
    assert_eq!(
        Money::from_decimal(d("12.505"), Currency::INR, Rounding::HalfEven)
            .unwrap()
            .minor(),
        1250
    );
    assert_eq!(
        Money::from_decimal(d("-12.505"), Currency::INR, Rounding::HalfUp)
            .unwrap()
            .minor(),
        -1251
    );
    assert_eq!(
        Money::from_decimal(d("0.123456789"), BTC, Rounding::Down)
            .unwrap()
            .to_string(),
        "0.12345678"
    );
    assert_eq!(
        Money::from_decimal(d("79228162514264337593543950335"), ETH, Rounding::Exact),
        Err(MoneyError::OutOfRange)
    );
}

#[test]
fn arithmetic_is_checked_and_single_currency() {
    assert_eq!(inr("1.10").checked_add(inr("2.95")).unwrap().to_string(), "4.05");
    assert_eq!(inr("1.10").checked_sub(inr("2.95")).unwrap().to_string(), "-1.85");
    assert_eq!(inr("1.25").checked_mul(3).unwrap().to_string(), "3.75");
    assert_eq!(inr("1.25").checked_neg().unwrap().to_string(), "-1.25");
    assert_eq!(
        inr("1").checked_add(Money::from_minor(1, Currency::TRC)),
        Err(MoneyError::CurrencyMismatch(CurrencyCode::INR, CurrencyCode::TRC))
    );
    let max = Money::from_minor_i128(i128::MAX, Currency::INR);
    assert_eq!(max.checked_add(inr("0.01")), Err(MoneyError::OutOfRange));
    assert_eq!(
        Money::from_minor_i128(i128::MIN, Currency::INR).checked_neg(),
        Err(MoneyError::OutOfRange)
    );
    assert!(Money::zero(Currency::TRC).is_zero());
    assert!(inr("0.01").is_positive() && inr("-0.01").is_negative());
}

#[test]
fn money_serialises_with_its_currency() {
    let m = inr("12.50");
    let v = serde_json::to_value(m).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"amount": "12.50", "currency": "INR", "decimals": 2})
    );
    assert_eq!(serde_json::from_value::<Money>(v).unwrap(), m);
    let bad = serde_json::json!({"amount": "1.005", "currency": "INR", "decimals": 2});
    assert!(serde_json::from_value::<Money>(bad).is_err());
}

#[test]
fn wide_minor_units_round_trip_through_numeric_exactly() {
    let eth = Currency::new(CurrencyCode::parse("ETH").unwrap(), 18).unwrap();
    let big = Money::parse("1000.000000000000000001", eth).unwrap();
    assert_eq!(big.minor(), 1_000_000_000_000_000_000_001);
    let stored = big.minor_decimal().unwrap();
    assert_eq!(stored.to_string(), "1000000000000000000001");
    assert_eq!(Money::from_minor_decimal(stored, eth), big);
    let wei = Money::from_minor_decimal(rust_decimal::Decimal::ONE, eth);
    assert_eq!(wei.to_string(), "0.000000000000000001");
    // Beyond a 96-bit decimal cannot be stored, and says so.
    assert!(Money::from_minor_i128(i128::MAX, eth).minor_decimal().is_err());
}
