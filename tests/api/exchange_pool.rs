//! The rotating deposit-address pool (issue 13): a fresh server fills
//! every crypto pool through its refill job; with BIP84's test seed the BTC
//! pool holds BIP84's published addresses and their private keys as
//! ciphertext under the master key; watch-only from BIP84's zpub gives the
//! same addresses with no key at all; no key or seed reaches the SDL, the
//! logs or a response; only operators see the pools. Claims, quarantine
//! and late deposits are tested through orders in `exchange.rs`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};
use switchboard::infra::crypto::{decode_master_key, Cipher};
use switchboard::service::exchange::pool;

use crate::kyc::Captured;
use crate::storage::{count, db};
use crate::support::gql::Client;
use crate::support::{ServerOptions, TestServer, TEST_MASTER_KEY};

/// The BIP39 seed of "abandon ... about" (BIP84's test mnemonic).
const BIP84_SEED: &str = "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1\
                          9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4";
/// BIP84's account zpub of that mnemonic.
const BIP84_ZPUB: &str =
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
/// BIP84's first receive addresses of that mnemonic.
const BIP84_RECEIVE: [&str; 2] = [
    "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
    "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g",
];
/// BIP84's private key of m/84'/0'/0'/0/0 (WIF).
const BIP84_FIRST_WIF: &str = "KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d";

const POOLS: &str = "{ addressPools { currency network watchOnly free inUse quarantined total } }";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Polls `addressPools` until every pool has `min_free` free addresses
/// (bounded wait); returns the pools by currency and every body read.
async fn pools_filled(admin: &Client, min_free: i64, bodies: &mut Vec<String>) -> BTreeMap<String, Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let reply = admin.run(POOLS, json!({})).await;
        bodies.push(reply.body.to_string());
        assert_eq!(reply.error_code(), None, "{}", reply.body);
        let pools: BTreeMap<String, Value> = reply.data()["addressPools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["currency"].as_str().unwrap().to_string(), p.clone()))
            .collect();
        let full = ["BTC", "ETH", "USDT"].iter().all(|c| {
            pools
                .get(*c)
                .is_some_and(|p| p["free"].as_i64().unwrap_or(0) >= min_free)
        });
        if full {
            return pools;
        }
        assert!(
            Instant::now() < deadline,
            "the pools were not filled within 90 s: {pools:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
        .await
        .expect("query")
}

#[tokio::test]
async fn exchange_pool_fills_from_the_bip84_seed_with_sealed_keys_and_no_leak() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let server = TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_POOL_MIN_FREE", "5".into()),
            ("SWITCHBOARD_POOL_SEED", BIP84_SEED.into()),
        ],
        ..Default::default()
    })
    .await;
    let admin = server.admin().await;
    let mut bodies = Vec::new();
    let pools = pools_filled(&admin.client, 5, &mut bodies).await;
    for code in ["BTC", "ETH", "USDT"] {
        let p = &pools[code];
        assert_eq!(p["watchOnly"], false, "{p}");
        assert_eq!(p["inUse"], 0);
        assert_eq!(p["quarantined"], 0);
        assert_eq!(p["total"], p["free"]);
    }
    assert_eq!(pools["BTC"]["network"], "BITCOIN");
    assert_eq!(pools["ETH"]["network"], "ETHEREUM");
    assert_eq!(pools["USDT"]["network"], "TRON");

    let db = db(&server).await;
    let btc = rows(
        &db,
        "SELECT address, private_key_encrypted, derivation_index FROM rotating_addresses \
         WHERE currency = 'BTC' ORDER BY derivation_index",
    )
    .await;
    let addresses: Vec<String> = btc.iter().map(|r| r.try_get("", "address").unwrap()).collect();
    assert_eq!(&addresses[..2], &BIP84_RECEIVE[..], "BIP84's published addresses");
    let first_key = bitcoin::PrivateKey::from_wif(BIP84_FIRST_WIF)
        .unwrap()
        .inner
        .secret_bytes();
    let cipher = Cipher::new(&decode_master_key(TEST_MASTER_KEY).unwrap());
    let mut secrets = vec![BIP84_SEED.to_string()];
    let all = rows(&db, "SELECT private_key_encrypted FROM rotating_addresses").await;
    for r in &all {
        let sealed: Vec<u8> = r.try_get("", "private_key_encrypted").unwrap();
        assert!(sealed.len() > 32, "ciphertext, not a raw key");
        let opened = cipher.open(&sealed).expect("sealed with the master key");
        assert_eq!(opened.len(), 32);
        assert!(
            !sealed.windows(32).any(|w| w == opened.as_slice()),
            "the key is not in the clear"
        );
        secrets.push(hex(&opened));
    }
    let sealed_first: Vec<u8> = btc[0].try_get("", "private_key_encrypted").unwrap();
    assert_ne!(sealed_first.as_slice(), first_key.as_slice());
    assert_eq!(
        cipher.open(&sealed_first).unwrap(),
        first_key.to_vec(),
        "opens to BIP84's key"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM rotating_addresses WHERE private_key_encrypted IS NULL"
        )
        .await,
        0
    );
    // ETH addresses are stored in their EIP-55 form, Tron's start with T.
    let eth: Vec<String> = rows(&db, "SELECT address FROM rotating_addresses WHERE currency = 'ETH'")
        .await
        .iter()
        .map(|r| r.try_get("", "address").unwrap())
        .collect();
    assert!(eth
        .iter()
        .all(|a| a.starts_with("0x") && a.len() == 42 && a != &a.to_lowercase()));
    assert!(eth.contains(&"0x9858EfFD232B4033E47d90003D41EC34EcaEda94".to_string()));

    // Operators only.
    let customer = server.customer("pool-customer").await;
    let r = customer.client.run(POOLS, json!({})).await;
    bodies.push(r.body.to_string());
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = server.anon().run(POOLS, json!({})).await;
    bodies.push(r.body.to_string());
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));

    // The refill tops a pool back up and says so (run here, on this
    // test's thread, so its log line is captured for certain).
    db.execute_unprepared(
        "DELETE FROM rotating_addresses WHERE id IN (SELECT id FROM rotating_addresses \
         WHERE currency = 'BTC' AND used_at IS NULL ORDER BY derivation_index DESC LIMIT 2)",
    )
    .await
    .unwrap();
    tracing::callsite::rebuild_interest_cache();
    assert_eq!(pool::refill(&server.ctx).await.unwrap(), 2);

    // No seed or private key in the SDL, the logs or any response.
    let captured = logs.text();
    assert!(
        captured.contains("address pool refilled"),
        "the refill logged what it added"
    );
    let sdl = switchboard::graphql::sdl();
    for secret in &secrets {
        assert!(!captured.contains(secret.as_str()), "a secret is in the logs");
        assert!(!sdl.contains(secret.as_str()), "a secret is in the SDL");
        assert!(
            !bodies.iter().any(|b| b.contains(secret.as_str())),
            "a secret is in a response"
        );
    }
    assert!(!captured.contains(BIP84_FIRST_WIF));
    server.stop().await;
}

#[tokio::test]
async fn exchange_pool_watch_only_from_the_bip84_zpub_holds_no_key() {
    let server = TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_POOL_MIN_FREE", "3".into()),
            ("SWITCHBOARD_POOL_XPUBS", format!("BTC={BIP84_ZPUB}")),
        ],
        ..Default::default()
    })
    .await;
    let admin = server.admin().await;
    let pools = pools_filled(&admin.client, 3, &mut Vec::new()).await;
    assert_eq!(pools["BTC"]["watchOnly"], true);
    assert_eq!(pools["ETH"]["watchOnly"], false);
    let db = db(&server).await;
    let btc: Vec<String> = rows(
        &db,
        "SELECT address FROM rotating_addresses WHERE currency = 'BTC' ORDER BY derivation_index",
    )
    .await
    .iter()
    .map(|r| r.try_get("", "address").unwrap())
    .collect();
    assert_eq!(&btc[..2], &BIP84_RECEIVE[..], "the same addresses as the seed's");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM rotating_addresses WHERE currency = 'BTC' AND private_key_encrypted IS NOT NULL"
        )
        .await,
        0,
        "watch-only: no private key"
    );
    assert!(
        count(
            &db,
            "SELECT count(*) FROM rotating_addresses WHERE currency = 'ETH' AND private_key_encrypted IS NOT NULL"
        )
        .await
            >= 3,
        "other currencies still derive from the seed"
    );
    server.stop().await;
}
