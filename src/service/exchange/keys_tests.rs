//! Key derivation against the published vectors: BIP32 test vectors 1
//! and 2, BIP84's "abandon ... about" account and addresses, an Ethereum
//! key/address pair, and watch-only equal to private derivation.

use std::str::FromStr;

use bitcoin::bip32::{DerivationPath, Xpriv, Xpub};
use bitcoin::secp256k1::Secp256k1;
use entity::enums::ChainNetwork;
use hmac::{Hmac, Mac};
use sha2::Sha512;

use super::*;
use crate::config::BitcoinNetwork::{Mainnet, Testnet};

/// BIP39's seed of a mnemonic with an empty passphrase:
/// PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic" (one 64-byte block).
fn bip39_seed(mnemonic: &str) -> [u8; 64] {
    let prf = <Hmac<Sha512> as Mac>::new_from_slice(mnemonic.as_bytes()).unwrap();
    let mut mac = prf.clone();
    mac.update(b"mnemonic");
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 64] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..2048 {
        let mut mac = prf.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        out.iter_mut().zip(u.iter()).for_each(|(o, x)| *o ^= x);
    }
    out
}

const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/// The published BIP39 seed of [`ABANDON`] (empty passphrase).
pub(crate) const ABANDON_SEED: &str = "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1\
                                       9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4";

fn hex(s: &str) -> Vec<u8> {
    alloy_primitives::hex::decode(s).unwrap()
}

/// An extended key re-encoded under other version bytes (zprv/zpub).
fn with_version(encoded: [u8; 78], version: u32) -> String {
    let mut data = encoded;
    data[..4].copy_from_slice(&version.to_be_bytes());
    bitcoin::base58::encode_check(&data)
}

fn check_chain(seed: &str, steps: &[(&str, &str, &str)]) {
    let secp = Secp256k1::new();
    let root = Xpriv::new_master(bitcoin::NetworkKind::Main, &hex(seed)).unwrap();
    for (path, xprv, xpub) in steps {
        let path = DerivationPath::from_str(path).unwrap();
        let k = root.derive_priv(&secp, &path).unwrap();
        assert_eq!(k.to_string(), *xprv, "xprv at {path}");
        assert_eq!(Xpub::from_priv(&secp, &k).to_string(), *xpub, "xpub at {path}");
    }
}

#[test]
fn bip32_test_vector_1() {
    check_chain(
        "000102030405060708090a0b0c0d0e0f",
        &[
            ("m", "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi", "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"),
            ("m/0'", "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7", "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"),
            ("m/0'/1", "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs", "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ"),
            ("m/0'/1/2'", "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM", "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5"),
            ("m/0'/1/2'/2", "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334", "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV"),
            ("m/0'/1/2'/2/1000000000", "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76", "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy"),
        ],
    );
}

#[test]
fn bip32_test_vector_2() {
    check_chain(
        "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542",
        &[
            ("m", "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U", "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB"),
            ("m/0", "xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt", "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH"),
            ("m/0/2147483647'", "xprv9wSp6B7kry3Vj9m1zSnLvN3xH8RdsPP1Mh7fAaR7aRLcQMKTR2vidYEeEg2mUCTAwCd6vnxVrcjfy2kRgVsFawNzmjuHc2YmYRmagcEPdU9", "xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZNnBC5y4a"),
            ("m/0/2147483647'/1", "xprv9zFnWC6h2cLgpmSA46vutJzBcfJ8yaJGg8cX1e5StJh45BBciYTRXSd25UEPVuesF9yog62tGAQtHjXajPPdbRCHuWS6T8XA2ECKADdw4Ef", "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47EL2dhHKon"),
            ("m/0/2147483647'/1/2147483646'", "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL"),
            ("m/0/2147483647'/1/2147483646'/2", "xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j", "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW6EEgAtqt"),
        ],
    );
}

/// BIP84's account zpub of [`ABANDON`].
pub(crate) const BIP84_ZPUB: &str =
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
/// BIP84's first two receive addresses of [`ABANDON`].
pub(crate) const BIP84_RECEIVE: [&str; 2] = [
    "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
    "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g",
];

#[test]
fn bip84_vectors_from_the_abandon_mnemonic() {
    let seed = bip39_seed(ABANDON);
    assert_eq!(seed.to_vec(), hex(ABANDON_SEED), "the BIP39 seed of the test mnemonic");
    let secp = Secp256k1::new();
    let root = master(&seed, Mainnet).unwrap();
    assert_eq!(
        with_version(root.encode(), 0x04b2_430c),
        "zprvAWgYBBk7JR8Gjrh4UJQ2uJdG1r3WNRRfURiABBE3RvMXYSrRJL62XuezvGdPvG6GFBZduosCc1YP5wixPox7zhZLfiUm8aunE96BBa4Kei5"
    );
    let Account::Private(account) = account_from_seed(&secp, &seed, ChainNetwork::Bitcoin, Mainnet).unwrap() else {
        panic!("a seed gives a private account");
    };
    assert_eq!(
        with_version(account.encode(), 0x04b2_430c),
        "zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE"
    );
    assert_eq!(
        with_version(Xpub::from_priv(&secp, &account).encode(), 0x04b2_4746),
        BIP84_ZPUB
    );
    let private = Account::Private(account);
    let wifs = [
        "KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d",
        "Kxpf5b8p3qX56DKEe5NqWbNUP9MnqoRFzZwHRtsFqhzuvUJsYZCy",
    ];
    for (i, (address, wif)) in BIP84_RECEIVE.iter().zip(wifs).enumerate() {
        let k = private.derive(&secp, ChainNetwork::Bitcoin, Mainnet, i as u32).unwrap();
        assert_eq!(k.address, *address);
        let expected = bitcoin::PrivateKey::from_wif(wif).unwrap().inner.secret_bytes();
        assert_eq!(k.private_key.unwrap().secret_bytes(), &expected);
    }
    // The first change address, m/84'/0'/0'/1/0.
    let change = account
        .derive_priv(
            &secp,
            &[ChildNumber::Normal { index: 1 }, ChildNumber::Normal { index: 0 }],
        )
        .unwrap();
    assert_eq!(
        address_of(&change.private_key.public_key(&secp), ChainNetwork::Bitcoin, Mainnet),
        "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
    );
}

#[test]
fn watch_only_derivation_equals_private_derivation() {
    let seed = hex(ABANDON_SEED);
    let secp = Secp256k1::new();
    let xpub = parse_account_xpub(BIP84_ZPUB).unwrap();
    let watch = Account::Public(xpub);
    let private = account_from_seed(&secp, &seed, ChainNetwork::Bitcoin, Mainnet).unwrap();
    for i in [0, 1, 2, 19, 1000] {
        let w = watch.derive(&secp, ChainNetwork::Bitcoin, Mainnet, i).unwrap();
        let p = private.derive(&secp, ChainNetwork::Bitcoin, Mainnet, i).unwrap();
        assert_eq!(w.address, p.address, "index {i}");
        assert!(w.private_key.is_none());
        assert!(p.private_key.is_some());
    }
    assert_eq!(
        watch.derive(&secp, ChainNetwork::Bitcoin, Mainnet, 0).unwrap().address,
        BIP84_RECEIVE[0]
    );
    // The same for the account chains, from their xpub.
    for network in [ChainNetwork::Ethereum, ChainNetwork::Tron] {
        let Account::Private(xprv) = account_from_seed(&secp, &seed, network, Mainnet).unwrap() else {
            panic!("private");
        };
        let xpub = parse_account_xpub(&Xpub::from_priv(&secp, &xprv).to_string()).unwrap();
        for i in [0, 7] {
            let w = Account::Public(xpub).derive(&secp, network, Mainnet, i).unwrap();
            let p = Account::Private(xprv).derive(&secp, network, Mainnet, i).unwrap();
            assert_eq!(w.address, p.address);
            assert_eq!(
                crate::service::exchange::address::validate(network, Mainnet, &w.address),
                Ok(w.address.clone())
            );
        }
    }
}

#[test]
fn ethereum_address_of_a_published_key() {
    // web3.js's `privateKeyToAccount` example.
    let secp = Secp256k1::new();
    let sk = bitcoin::secp256k1::SecretKey::from_slice(&hex(
        "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    ))
    .unwrap();
    let pk = sk.public_key(&secp);
    assert_eq!(
        address_of(&pk, ChainNetwork::Ethereum, Mainnet),
        "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    );
    // Tron's address of the same key is base58check(0x41 ‖ those 20 bytes).
    let tron = address_of(&pk, ChainNetwork::Tron, Mainnet);
    let decoded = bitcoin::base58::decode_check(&tron).unwrap();
    assert_eq!(decoded[0], 0x41);
    assert_eq!(&decoded[1..], &hex("2c7536e3605d9c16a7a3d7b1898e529396a65c23")[..]);
    let valid = crate::service::exchange::address::validate(ChainNetwork::Tron, Mainnet, &tron);
    assert_eq!(valid, Ok(tron.clone()));
    // The same address with its last character changed breaks the checksum.
    let mut broken = tron.clone();
    let last = broken.pop().unwrap();
    broken.push(if last == '1' { '2' } else { '1' });
    assert!(matches!(
        crate::service::exchange::address::validate(ChainNetwork::Tron, Mainnet, &broken),
        Err(crate::service::exchange::address::AddressError::Checksum(_))
    ));
}

#[test]
fn ethereum_bip44_first_address_of_the_abandon_mnemonic() {
    // m/44'/60'/0'/0/0 of the test mnemonic, as every BIP44 wallet shows it.
    let secp = Secp256k1::new();
    let account = account_from_seed(&secp, &hex(ABANDON_SEED), ChainNetwork::Ethereum, Mainnet).unwrap();
    let k = account.derive(&secp, ChainNetwork::Ethereum, Mainnet, 0).unwrap();
    assert_eq!(k.address, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
}

#[test]
fn testnet_uses_coin_type_1_and_tb1_addresses() {
    let secp = Secp256k1::new();
    let seed = hex(ABANDON_SEED);
    let k = account_from_seed(&secp, &seed, ChainNetwork::Bitcoin, Testnet)
        .unwrap()
        .derive(&secp, ChainNetwork::Bitcoin, Testnet, 0)
        .unwrap();
    // BIP84's testnet account m/84'/1'/0' of the same mnemonic.
    assert_eq!(k.address, "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl");
}

#[test]
fn extended_public_keys_are_checked() {
    assert!(matches!(parse_account_xpub("xpub-not-base58"), Err(KeyError::Xpub(_))));
    // A root key (depth 0) is not an account key.
    let root = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
    assert!(matches!(parse_account_xpub(root), Err(KeyError::Xpub(m)) if m.contains("depth 0")));
    // A private key is refused without being echoed.
    let xprv = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
    let err = parse_account_xpub(xprv).unwrap_err().to_string();
    assert!(!err.contains("xprv9s21"), "{err}");
    // zpub and its xpub form are the same key.
    let z = parse_account_xpub(BIP84_ZPUB).unwrap();
    assert_eq!(parse_account_xpub(&z.to_string()).unwrap(), z);
}

#[test]
fn pool_keys_seed_comes_from_config_or_the_master_key_and_never_prints() {
    let mut config = crate::config::Config::from_map(Default::default()).unwrap().exchange;
    let master_key = [7u8; 32];
    let derived = PoolKeys::load(&config, &master_key).unwrap();
    assert_ne!(derived.seed.as_slice(), &master_key[..]);
    assert_eq!(
        derived.seed.as_slice(),
        PoolKeys::load(&config, &master_key).unwrap().seed.as_slice()
    );
    config.pool_seed = Some(ABANDON_SEED.to_string());
    config.pool_xpubs.insert("ETH".into(), BIP84_ZPUB.into());
    let keys = PoolKeys::load(&config, &master_key).unwrap();
    assert!(keys.is_watch_only("eth") && !keys.is_watch_only("BTC"));
    let got = keys.derive_range("BTC", ChainNetwork::Bitcoin, Mainnet, 0, 2).unwrap();
    assert_eq!(
        got.iter().map(|k| k.address.as_str()).collect::<Vec<_>>(),
        BIP84_RECEIVE
    );
    let printed = format!("{keys:?} {got:?}");
    assert!(
        !printed.contains("5eb00bbd") && printed.contains("redacted"),
        "{printed}"
    );
    let secret = got[0].private_key.as_ref().unwrap().secret_bytes();
    let secret_hex = alloy_primitives::hex::encode(secret);
    assert!(!printed.contains(&secret_hex));
}
