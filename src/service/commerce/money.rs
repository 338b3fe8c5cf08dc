//! Paise: the integer amount of rupees every commerce price, total and
//! payment is kept in. A newtype where a mix-up is costly: a payment's
//! amount compared with what a provider reports, or paise passed where
//! tracecoins (also `i64`) are meant.

use serde::{Deserialize, Serialize};

/// An amount of Indian rupees in paise (1/100 rupee), never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Paise(pub i64);

impl Paise {
    /// Zero rupees.
    pub const ZERO: Paise = Paise(0);

    /// The amount as stored (a `*_inr` column).
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Paise {
    /// `₹1,234.50`-style without grouping: `₹1234.50`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}₹{}.{:02}", a / 100, a % 100)
    }
}

impl From<i64> for Paise {
    fn from(v: i64) -> Self {
        Paise(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paise_print_as_rupees() {
        assert_eq!(Paise(11_800).to_string(), "₹118.00");
        assert_eq!(Paise(5).to_string(), "₹0.05");
        assert_eq!(Paise(-250).to_string(), "-₹2.50");
    }
}
