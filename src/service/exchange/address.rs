//! STUB until the `pool` branch lands: address validation.

use entity::enums::ChainNetwork;

use crate::config::BitcoinNetwork;

/// Why an address is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AddressError(pub String);

/// The canonical form of `raw`, or why it is refused.
pub fn validate(_network: ChainNetwork, _btc: BitcoinNetwork, raw: &str) -> Result<String, AddressError> {
    let t = raw.trim();
    if t.is_empty() || t.contains(' ') {
        return Err(AddressError("not an address".into()));
    }
    Ok(t.to_string())
}
