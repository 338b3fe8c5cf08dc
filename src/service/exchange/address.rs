//! Address validation per chain, with the real rules: a payout sent to a
//! mistyped address is lost, so every receiving and refund address is
//! checked before an order exists, and stored in one canonical form so the
//! same address always compares equal.
//!
//! - Bitcoin: the `bitcoin` crate's parser (bech32 of BIP-173 for witness
//!   version 0, bech32m of BIP-350 for versions 1 and above, base58check
//!   P2PKH/P2SH), then the configured network. Canonical: bech32 in lower
//!   case, base58 as given.
//! - Ethereum: `0x` and 40 hex digits; all-lower or all-upper case carries
//!   no checksum and is accepted, mixed case must be the EIP-55 checksum.
//!   Canonical: the EIP-55 form.
//! - Tron: base58check of 25 bytes (version 0x41, 20-byte hash, 4-byte
//!   checksum). Canonical: as given.

use std::str::FromStr;

use bitcoin::address::{NetworkUnchecked, ParseError};
use bitcoin::bech32::primitives::decode::{CharError, SegwitHrpstringError, UncheckedHrpstringError};
use bitcoin::Network;
use entity::enums::ChainNetwork;

use crate::config::BitcoinNetwork;

/// Tron's address version byte (the `T` of every address).
pub const TRON_VERSION: u8 = 0x41;

/// Why an address was refused. Every message is safe to show the client
/// (it names the rule, never echoes anything secret).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing was given.
    #[error("the address is empty")]
    Empty,
    /// The checksum does not match: a typo, or a checksum of another kind.
    #[error("the address checksum does not match ({0})")]
    Checksum(&'static str),
    /// Too short or too long for the chain's format.
    #[error("the address has the wrong length ({0})")]
    Length(String),
    /// A character outside the format's alphabet.
    #[error("the address contains a character that is not allowed ({0})")]
    Character(&'static str),
    /// Bech32 must be all lower or all upper case.
    #[error("the address mixes upper and lower case")]
    MixedCase,
    /// A valid address of another network.
    #[error("the address is for {found}, but this exchange uses {expected}")]
    Network {
        /// The configured network.
        expected: &'static str,
        /// The network the address belongs to.
        found: &'static str,
    },
    /// A segwit address whose version or program breaks BIP-141/173/350.
    #[error("the address has an invalid witness program ({0})")]
    WitnessProgram(&'static str),
    /// Not this chain's format at all.
    #[error("the address is not a valid {0} address")]
    Format(&'static str),
}

impl AddressError {
    /// The refusal as `BAD_USER_INPUT` on `field` (the client's name for
    /// the address it sent, such as `receivingAddress`).
    pub fn on_field(&self, field: &str) -> crate::error::AppError {
        crate::error::AppError::invalid(field, self.to_string())
    }
}

/// Checks `raw` as an address of `network` (Bitcoin ones on `btc`) and
/// returns the form to store: bech32 lower-case, Ethereum EIP-55, Tron as
/// given. Surrounding white space is ignored.
pub fn validate(network: ChainNetwork, btc: BitcoinNetwork, raw: &str) -> Result<String, AddressError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AddressError::Empty);
    }
    match network {
        ChainNetwork::Bitcoin => bitcoin_address(btc, raw),
        ChainNetwork::Ethereum => ethereum_address(raw),
        ChainNetwork::Tron => tron_address(raw),
    }
}

/// The `bitcoin` crate's network for a configured one (testnet covers
/// signet: they share every prefix).
pub fn bitcoin_network(btc: BitcoinNetwork) -> Network {
    match btc {
        BitcoinNetwork::Mainnet => Network::Bitcoin,
        BitcoinNetwork::Testnet => Network::Testnet,
        BitcoinNetwork::Regtest => Network::Regtest,
    }
}

fn network_name(btc: BitcoinNetwork) -> &'static str {
    match btc {
        BitcoinNetwork::Mainnet => "Bitcoin mainnet",
        BitcoinNetwork::Testnet => "Bitcoin testnet or signet",
        BitcoinNetwork::Regtest => "Bitcoin regtest",
    }
}

/// Whether `raw` means to be bech32 (a known human-readable part and the
/// separator): then its bech32 error is the reason, not base58's.
fn looks_bech32(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    ["bc1", "tb1", "bcrt1"].iter().any(|hrp| lower.starts_with(hrp))
}

fn bitcoin_address(btc: BitcoinNetwork, raw: &str) -> Result<String, AddressError> {
    if looks_bech32(raw) {
        if let Err(e) = bitcoin::bech32::segwit::decode(raw) {
            return Err(bech32_reason(&e.0));
        }
    }
    let parsed = bitcoin::Address::<NetworkUnchecked>::from_str(raw).map_err(|e| parse_reason(&e))?;
    if !parsed.is_valid_for_network(bitcoin_network(btc)) {
        let found = [
            BitcoinNetwork::Mainnet,
            BitcoinNetwork::Testnet,
            BitcoinNetwork::Regtest,
        ]
        .into_iter()
        .find(|n| parsed.is_valid_for_network(bitcoin_network(*n)))
        .map(network_name)
        .unwrap_or("another network");
        return Err(AddressError::Network {
            expected: network_name(btc),
            found,
        });
    }
    // Display writes bech32 in lower case and base58 unchanged.
    Ok(parsed.assume_checked().to_string())
}

fn bech32_reason(e: &SegwitHrpstringError) -> AddressError {
    match e {
        SegwitHrpstringError::Unchecked(UncheckedHrpstringError::Char(CharError::MixedCase)) => AddressError::MixedCase,
        SegwitHrpstringError::Unchecked(UncheckedHrpstringError::Char(CharError::InvalidChar(_))) => {
            AddressError::Character("bech32 uses a-z and 0-9 without 1, b, i and o after the separator")
        }
        SegwitHrpstringError::Unchecked(_) => AddressError::Format("Bitcoin"),
        SegwitHrpstringError::NoData => AddressError::Length("no data after the prefix".into()),
        SegwitHrpstringError::TooLong(n) => AddressError::Length(format!("{n} characters, at most 90")),
        SegwitHrpstringError::InvalidWitnessVersion(_) => AddressError::WitnessProgram("witness version above 16"),
        SegwitHrpstringError::Padding(_) => AddressError::WitnessProgram("invalid padding of the program"),
        SegwitHrpstringError::WitnessLength(_) => {
            AddressError::WitnessProgram("program length: 2 to 40 bytes, and 20 or 32 for witness version 0")
        }
        SegwitHrpstringError::Checksum(_) => {
            AddressError::Checksum("bech32 for witness version 0, bech32m for version 1 and above")
        }
        #[allow(unreachable_patterns)]
        _ => AddressError::Format("Bitcoin"),
    }
}

fn parse_reason(e: &ParseError) -> AddressError {
    use bitcoin::base58::Error as B58;
    match e {
        ParseError::Base58(B58::IncorrectChecksum(_)) => AddressError::Checksum("base58check"),
        ParseError::Base58(B58::Decode(_)) => {
            AddressError::Character("base58 uses letters and digits without 0, O, I and l")
        }
        ParseError::Base58(_) => AddressError::Length("too short for base58check".into()),
        ParseError::LegacyAddressTooLong(_) => AddressError::Length("more than 50 characters".into()),
        ParseError::InvalidBase58PayloadLength(_) => AddressError::Length("a base58 address holds 21 bytes".into()),
        ParseError::InvalidLegacyPrefix(_) => AddressError::Format("Bitcoin"),
        ParseError::UnknownHrp(_) => AddressError::Format("Bitcoin (unknown human-readable part)"),
        ParseError::WitnessVersion(_) => AddressError::WitnessProgram("witness version"),
        ParseError::WitnessProgram(_) => AddressError::WitnessProgram("program length"),
        ParseError::Bech32(e) => bech32_reason(&e.0),
        _ => AddressError::Format("Bitcoin"),
    }
}

fn ethereum_address(raw: &str) -> Result<String, AddressError> {
    let Some(hex) = raw.strip_prefix("0x") else {
        return Err(AddressError::Format("Ethereum (0x and 40 hex digits)"));
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AddressError::Character("hex digits only after 0x"));
    }
    if hex.len() != 40 {
        return Err(AddressError::Length(format!("{} hex digits, 40 expected", hex.len())));
    }
    let address = alloy_primitives::Address::from_str(hex)
        .map_err(|_| AddressError::Format("Ethereum (0x and 40 hex digits)"))?;
    let checksummed = address.to_checksum(None);
    let one_case = !hex.bytes().any(|b| b.is_ascii_uppercase()) || !hex.bytes().any(|b| b.is_ascii_lowercase());
    if !one_case && checksummed != raw {
        return Err(AddressError::Checksum("EIP-55 mixed-case checksum"));
    }
    Ok(checksummed)
}

fn tron_address(raw: &str) -> Result<String, AddressError> {
    use bitcoin::base58::Error as B58;
    let data = bitcoin::base58::decode_check(raw).map_err(|e| match e {
        B58::IncorrectChecksum(_) => AddressError::Checksum("base58check"),
        B58::Decode(_) => AddressError::Character("base58 uses letters and digits without 0, O, I and l"),
        _ => AddressError::Length("too short for base58check".into()),
    })?;
    if data.len() != 21 {
        return Err(AddressError::Length(format!(
            "decodes to {} bytes, a Tron address has 25",
            data.len() + 4
        )));
    }
    if data[0] != TRON_VERSION {
        return Err(AddressError::Format("Tron (version byte 0x41, starting with T)"));
    }
    Ok(raw.to_string())
}

/// Tron's address of a 20-byte account hash (the same hash Ethereum uses).
pub fn tron_from_hash(hash: &[u8; 20]) -> String {
    let mut payload = [0u8; 21];
    payload[0] = TRON_VERSION;
    payload[1..].copy_from_slice(hash);
    bitcoin::base58::encode_check(&payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use BitcoinNetwork::{Mainnet, Regtest, Testnet};

    /// What a vector's refusal must say.
    type Expect = fn(&AddressError) -> bool;

    fn btc(net: BitcoinNetwork, raw: &str) -> Result<String, AddressError> {
        validate(ChainNetwork::Bitcoin, net, raw)
    }

    /// The network a BIP vector's human-readable part names.
    fn net_of(raw: &str) -> BitcoinNetwork {
        if raw.to_ascii_lowercase().starts_with("tb1") {
            Testnet
        } else {
            Mainnet
        }
    }

    #[test]
    fn bip173_valid_segwit_v0_addresses_pass_in_lower_case() {
        for raw in [
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
            "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        ] {
            assert_eq!(btc(net_of(raw), raw), Ok(raw.to_ascii_lowercase()), "{raw}");
        }
    }

    /// BIP-173's valid vectors of witness versions 1 and above carry a
    /// bech32 checksum, which BIP-350 replaced with bech32m for them.
    #[test]
    fn bip173_v1_plus_vectors_are_refused_since_bip350() {
        for raw in [
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
            "BC1SW50QA3JX3S",
            "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
        ] {
            assert!(matches!(btc(Mainnet, raw), Err(AddressError::Checksum(_))), "{raw}");
        }
    }

    /// BIP-173's invalid vectors of witness version 1 and above carry a
    /// bech32 checksum: since BIP-350 that checksum is the first rule they
    /// break, so a checksum reason is right for them too.
    #[test]
    fn bip173_invalid_addresses_are_refused_with_a_reason() {
        use AddressError as E;
        let cases: &[(&str, Expect)] = &[
            ("tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", |e| {
                matches!(e, E::Format(_))
            }),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", |e| {
                matches!(e, E::Checksum(_))
            }),
            ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", |e| {
                matches!(e, E::WitnessProgram(_))
            }),
            // Witness version 1 with a bech32 checksum: since BIP-350 the
            // checksum is the first rule it breaks.
            ("bc1rw5uspcuh", |e| matches!(e, E::WitnessProgram(_) | E::Checksum(_))),
            (
                "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
                |e| matches!(e, E::WitnessProgram(_) | E::Length(_) | E::Checksum(_)),
            ),
            ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", |e| {
                matches!(e, E::WitnessProgram(_))
            }),
            ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", |e| {
                matches!(e, E::MixedCase)
            }),
            ("bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", |e| {
                matches!(e, E::WitnessProgram(_) | E::Checksum(_))
            }),
            ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", |e| {
                matches!(e, E::WitnessProgram(_))
            }),
            ("bc1gmk9yu", |e| matches!(e, E::Length(_) | E::Checksum(_))),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|(raw, expected)| match btc(net_of(raw), raw) {
                Err(e) if expected(&e) => None,
                other => Some(format!("{raw}: {other:?}")),
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn bip350_valid_addresses_pass() {
        for raw in [
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
            "BC1SW50QGDZ25J",
            "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
            "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
            "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        ] {
            assert_eq!(btc(net_of(raw), raw), Ok(raw.to_ascii_lowercase()), "{raw}");
        }
    }

    #[test]
    fn bip350_invalid_addresses_are_refused_with_a_reason() {
        use AddressError as E;
        let checksum: Expect = |e| matches!(e, E::Checksum(_));
        let program: Expect = |e| matches!(e, E::WitnessProgram(_));
        let cases: &[(&str, Expect)] = &[
            ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", |e| {
                matches!(e, E::Format(_))
            }),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
                checksum,
            ),
            (
                "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
                checksum,
            ),
            (
                "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
                checksum,
            ),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", checksum),
            (
                "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
                checksum,
            ),
            ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", |e| {
                matches!(e, E::Character(_))
            }),
            (
                "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
                program,
            ),
            ("bc1pw5dgrnzv", program),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
                program,
            ),
            ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", program),
            ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", |e| {
                matches!(e, E::MixedCase)
            }),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
                program,
            ),
            (
                "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
                program,
            ),
            ("bc1gmk9yu", |e| matches!(e, E::Length(_) | E::Checksum(_))),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|(raw, expected)| match btc(net_of(raw), raw) {
                Err(e) if expected(&e) => None,
                other => Some(format!("{raw}: {other:?}")),
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn base58check_addresses_pass_and_a_broken_checksum_is_refused() {
        // The genesis coinbase's P2PKH and BIP-13's P2SH example.
        for raw in [
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        ] {
            assert_eq!(btc(Mainnet, raw), Ok(raw.to_string()));
        }
        assert_eq!(
            btc(Mainnet, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),
            Err(AddressError::Checksum("base58check"))
        );
        assert!(matches!(
            btc(Mainnet, "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a"),
            Err(AddressError::Character(_))
        ));
    }

    #[test]
    fn the_wrong_network_is_refused_and_named() {
        let testnet = "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7";
        let err = btc(Mainnet, testnet).unwrap_err();
        assert_eq!(
            err,
            AddressError::Network {
                expected: "Bitcoin mainnet",
                found: "Bitcoin testnet or signet"
            }
        );
        assert!(err.to_string().contains("testnet"), "{err}");
        let mainnet = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
        assert!(matches!(btc(Testnet, mainnet), Err(AddressError::Network { .. })));
        assert!(matches!(btc(Regtest, mainnet), Err(AddressError::Network { .. })));
        // A testnet base58 address (prefix m/n) is refused on mainnet and
        // accepted on regtest, which shares testnet's base58 prefixes.
        let script = bitcoin::Address::<NetworkUnchecked>::from_str(mainnet)
            .unwrap()
            .assume_checked()
            .script_pubkey();
        let genesis = bitcoin::Address::<NetworkUnchecked>::from_str("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
            .unwrap()
            .assume_checked();
        let legacy_test = bitcoin::Address::from_script(&genesis.script_pubkey(), Network::Testnet)
            .unwrap()
            .to_string();
        let legacy_test = legacy_test.as_str();
        assert!(legacy_test.starts_with('m') || legacy_test.starts_with('n'));
        assert!(matches!(btc(Mainnet, legacy_test), Err(AddressError::Network { .. })));
        assert_eq!(btc(Regtest, legacy_test), Ok(legacy_test.to_string()));
        assert_eq!(btc(Testnet, legacy_test), Ok(legacy_test.to_string()));
        let regtest = bitcoin::Address::from_script(&script, Network::Regtest)
            .unwrap()
            .to_string();
        let regtest = regtest.as_str();
        assert!(regtest.starts_with("bcrt1q"));
        assert_eq!(btc(Regtest, regtest), Ok(regtest.to_string()));
        assert!(matches!(btc(Testnet, regtest), Err(AddressError::Network { .. })));
    }

    #[test]
    fn eip55_examples_pass_and_come_back_checksummed() {
        let eth = |raw: &str| validate(ChainNetwork::Ethereum, Mainnet, raw);
        // The examples of EIP-55: all caps, all lower, normal.
        for raw in [
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
            "0xde709f2102306220921060314715629080e2fb77",
            "0x27b1fdb04752bbc536007a920d24acb045561c26",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let canonical = eth(raw).expect(raw);
            assert!(canonical.eq_ignore_ascii_case(raw), "{raw}");
            // The canonical form is itself a valid mixed-case checksum.
            assert_eq!(eth(&canonical), Ok(canonical.clone()));
        }
        assert_eq!(
            eth("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            Ok("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into())
        );
    }

    #[test]
    fn ethereum_mixed_case_with_a_wrong_checksum_and_bad_shapes_are_refused() {
        let eth = |raw: &str| validate(ChainNetwork::Ethereum, Mainnet, raw);
        assert_eq!(
            eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            Err(AddressError::Checksum("EIP-55 mixed-case checksum"))
        );
        assert!(matches!(
            eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA"),
            Err(AddressError::Length(_))
        ));
        assert!(matches!(
            eth("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(AddressError::Format(_))
        ));
        assert!(matches!(
            eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg"),
            Err(AddressError::Character(_))
        ));
        assert_eq!(eth("  "), Err(AddressError::Empty));
        let app = AddressError::Empty.on_field("receivingAddress");
        assert_eq!(app.code(), crate::error::ErrorCode::BadUserInput);
        assert_eq!(app.to_string(), "receivingAddress: the address is empty");
    }

    #[test]
    fn tron_addresses_pass_and_a_broken_checksum_is_refused() {
        let tron = |raw: &str| validate(ChainNetwork::Tron, Mainnet, raw);
        // USDT's TRC-20 contract.
        assert_eq!(
            tron("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            Ok("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t".into())
        );
        assert_eq!(
            tron("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"),
            Err(AddressError::Checksum("base58check"))
        );
        // A Bitcoin base58check address is 25 bytes too, of another version.
        assert!(matches!(
            tron("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
            Err(AddressError::Format(_))
        ));
        // The right version with a short payload.
        let short = bitcoin::base58::encode_check(&[TRON_VERSION, 1, 2, 3]);
        assert!(matches!(tron(&short), Err(AddressError::Length(_))));
        // An address computed from a 20-byte hash round-trips.
        let made = tron_from_hash(&[0x2c; 20]);
        assert!(made.starts_with('T'));
        assert_eq!(tron(&made), Ok(made.clone()));
    }
}
