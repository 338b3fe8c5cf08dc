//! Exchange market data and reserves through GraphQL (issue 13): atomic,
//! audited reserve adjustments under concurrency, who may touch reserves
//! and rates, the latest rate (direct, inverse, crossed through USD),
//! price history and candles from known points, and the price feed
//! against a local HTTP server in CoinGecko's `simple/price` shape.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::support::gql::Client;
use crate::support::personas::Persona;
use crate::support::{ServerOptions, TestServer};

const ADJUST: &str =
    "mutation($i: AdjustReserveInput!) { adjustReserve(input: $i) { reserve { currency amount updatedAt } } }";
const RESERVES: &str = "{ reserves { currency amount updatedAt } }";
const SET_RATE: &str = "mutation($i: SetExchangeRateInput!) { setExchangeRate(input: $i) { rate { baseCurrency quoteCurrency rate source fetchedAt } } }";
const RATE: &str = "query($b: String!, $q: String!) { exchangeRate(baseCurrency: $b, quoteCurrency: $q) }";
const HISTORY: &str = "query($c: String!, $f: DateTime!, $t: DateTime!) { priceHistory(currency: $c, from: $f, to: $t) { currency priceUsd marketCapUsd volume24hUsd change24hPct recordedAt } }";
const CANDLES: &str = "query($c: String!, $i: CandleInterval!, $f: DateTime!, $t: DateTime!) { priceCandles(currency: $c, interval: $i, from: $f, to: $t) { bucket open high low close volume } }";

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) {
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn text(db: &DatabaseConnection, sql: &str) -> String {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap()
}

fn adjust_vars(currency: &str, delta: &str, reason: &str) -> Value {
    json!({"i": {"currency": currency, "delta": delta, "reason": reason}})
}

async fn set_rate(admin: &Persona, base: &str, quote: &str, rate: &str) -> Value {
    admin
        .client
        .data(
            SET_RATE,
            json!({"i": {"baseCurrency": base, "quoteCurrency": quote, "rate": rate}}),
        )
        .await["setExchangeRate"]["rate"]
        .clone()
}

async fn rate(client: &Client, base: &str, quote: &str) -> Value {
    client.data(RATE, json!({"b": base, "q": quote})).await["exchangeRate"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exchange_market_fifty_concurrent_adjustments_of_minus_one_against_twenty_leave_zero() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let db = server.ctx.db.primary.clone();

    let d = finance
        .client
        .data(ADJUST, adjust_vars("BTC", "20", "opening balance"))
        .await;
    assert_eq!(d["adjustReserve"]["reserve"]["currency"], "BTC");
    assert_eq!(d["adjustReserve"]["reserve"]["amount"], "20.00000000");

    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = finance.client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .run(ADJUST, adjust_vars("BTC", "-1", &format!("payout {i}")))
                .await
        }));
    }
    let (mut ok, mut short) = (0, 0);
    let mut amounts = Vec::new();
    for t in tasks {
        let reply = t.await.unwrap();
        match reply.error_code() {
            None => {
                ok += 1;
                amounts.push(
                    reply.data()["adjustReserve"]["reserve"]["amount"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
            }
            Some("INSUFFICIENT_FUNDS") => {
                short += 1;
                assert!(
                    reply.error_message().contains("reserve holds"),
                    "{}",
                    reply.error_message()
                );
            }
            Some(other) => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!((ok, short), (20, 30));
    // Each success saw a different amount: 19 down to 0, none below.
    amounts.sort();
    let expected: Vec<String> = {
        let mut v: Vec<String> = (0..20).map(|n| format!("{n}.00000000")).collect();
        v.sort();
        v
    };
    assert_eq!(amounts, expected);

    let list = finance.client.data(RESERVES, json!({})).await;
    let btc = list["reserves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["currency"] == "BTC")
        .cloned()
        .unwrap();
    assert_eq!(btc["amount"], "0.00000000");
    assert_eq!(
        text(&db, "SELECT amount::text FROM reserves WHERE id = 'BTC'").await,
        "0.000000000000000000"
    );

    // One audit row per successful adjustment, with both amounts and the reason.
    let audits = text(
        &db,
        "SELECT count(*)::text FROM audit_logs WHERE entity_type = 'RESERVE' AND entity_label = 'BTC' \
         AND module_key = 'EXCHANGE' AND action = 'ADJUST'",
    )
    .await;
    assert_eq!(audits, "21");
    let first = text(
        &db,
        "SELECT jsonb_build_object('before', before_json, 'after', after_json, 'reason', metadata_json->>'reason', \
         'delta', metadata_json->>'delta', 'actor', actor_user_id)::text \
         FROM audit_logs WHERE entity_type = 'RESERVE' ORDER BY created_at, id LIMIT 1",
    )
    .await;
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["before"]["amount"], "0.00000000");
    assert_eq!(first["after"]["amount"], "20.00000000");
    assert_eq!(first["reason"], "opening balance");
    assert_eq!(first["delta"], "20.00000000");
    assert_eq!(first["actor"], finance.id.as_str());
    let changes = text(
        &db,
        "SELECT count(*)::text FROM audit_log_changes c JOIN audit_logs l ON l.id = c.audit_log_id \
         WHERE l.entity_type = 'RESERVE' AND c.field_name = 'amount'",
    )
    .await;
    assert_eq!(changes, "21");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_market_only_staff_touch_reserves_and_only_admins_set_rates() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let customer = server.customer("market-customer").await;
    let rate_vars = json!({"i": {"baseCurrency": "BTC", "quoteCurrency": "USD", "rate": "64000"}});

    for (client, code) in [(&customer.client, "FORBIDDEN"), (&server.anon(), "UNAUTHENTICATED")] {
        assert_eq!(client.run(RESERVES, json!({})).await.error_code(), Some(code));
        let r = client.run(ADJUST, adjust_vars("BTC", "5", "mine now")).await;
        assert_eq!(r.error_code(), Some(code));
        assert_eq!(client.run(SET_RATE, rate_vars.clone()).await.error_code(), Some(code));
    }
    // Finance manages reserves but sets no rates.
    assert_eq!(
        finance.client.run(SET_RATE, rate_vars.clone()).await.error_code(),
        Some("FORBIDDEN")
    );
    let list = finance.client.data(RESERVES, json!({})).await;
    let codes: Vec<&str> = list["reserves"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["currency"].as_str())
        .collect();
    assert_eq!(codes, ["BTC", "ETH", "USDT"]);
    let d = admin
        .client
        .data(ADJUST, adjust_vars("ETH", "1.5", "admin top-up"))
        .await;
    assert_eq!(d["adjustReserve"]["reserve"]["amount"], "1.500000000000000000");
    // Nothing the refused calls asked for happened.
    let db = server.ctx.db.primary.clone();
    assert_eq!(
        text(&db, "SELECT amount::text FROM reserves WHERE id = 'BTC'").await,
        "0.000000000000000000"
    );
    assert_eq!(text(&db, "SELECT count(*)::text FROM exchange_rates").await, "0");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_market_adjustments_are_validated() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let bad = |r: &crate::support::gql::Reply, field: &str| {
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
        let fields = r.body["errors"][0]["extensions"]["fields"].clone();
        assert!(
            fields.as_array().unwrap().iter().any(|f| f == field),
            "{field}: {}",
            r.body
        );
    };
    let c = &admin.client;
    bad(&c.run(ADJUST, adjust_vars("BTC", "0", "nothing")).await, "delta");
    bad(
        &c.run(ADJUST, adjust_vars("BTC", "0.000000001", "too fine")).await,
        "delta",
    );
    bad(&c.run(ADJUST, adjust_vars("BTC", "1", "   ")).await, "reason");
    bad(
        &c.run(ADJUST, adjust_vars("BTC", "1", &"x".repeat(501))).await,
        "reason",
    );
    bad(&c.run(ADJUST, adjust_vars("XYZ", "1", "unknown")).await, "currency");
    bad(&c.run(ADJUST, adjust_vars("USD", "1", "no reserve")).await, "currency");
    bad(&c.run(ADJUST, adjust_vars("b-t-c", "1", "bad code")).await, "currency");
    c.data(ADJUST, adjust_vars("USDT", "3.25", "seed")).await;
    let r = c.run(ADJUST, adjust_vars("USDT", "-3.250001", "too much")).await;
    assert_eq!(r.error_code(), Some("INSUFFICIENT_FUNDS"));
    assert!(r.error_message().contains("3.250000"), "{}", r.error_message());
    let d = c.data(ADJUST, adjust_vars(" usdt ", "-3.25", "all of it")).await;
    assert_eq!(d["adjustReserve"]["reserve"]["amount"], "0.000000");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_market_latest_rate_is_direct_else_inverse_else_crossed_through_usd() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let anon = server.anon();

    let r = set_rate(&admin, "btc", "USD", "64123.123456789012345678").await;
    assert_eq!(r["baseCurrency"], "BTC");
    assert_eq!(r["quoteCurrency"], "USD");
    assert_eq!(r["rate"], "64123.123456789012345678");
    assert_eq!(r["source"], "MANUAL");
    set_rate(&admin, "ETH", "USD", "3456.789012345678901234").await;

    assert_eq!(rate(&anon, "BTC", "USD").await, "64123.123456789012345678");
    // 1 ÷ 64123.123456789012345678, to 18 places half to even.
    assert_eq!(rate(&anon, "USD", "BTC").await, "0.000015594998279737");
    // 64123.123456789012345678 ÷ 3456.789012345678901234
    assert_eq!(rate(&anon, "BTC", "ETH").await, "18.549909533899172207");
    assert_eq!(rate(&anon, "BTC", "BTC").await, "1");
    // The four look-ups (direct, inverse, both USD legs) are one statement.
    let mut counts = Vec::new();
    for _ in 0..3 {
        let before = server.ctx.db.statement_count();
        assert_eq!(rate(&anon, "BTC", "ETH").await, "18.549909533899172207");
        counts.push(server.ctx.db.statement_count() - before);
    }
    assert_eq!(counts.iter().min(), Some(&1), "statements per exchangeRate: {counts:?}");
    assert_eq!(rate(&anon, "BTC", "INR").await, Value::Null);

    // A direct rate wins over the cross; the newest of a pair wins.
    set_rate(&admin, "BTC", "ETH", "18.5").await;
    assert_eq!(rate(&anon, "BTC", "ETH").await, "18.5");
    assert_eq!(rate(&anon, "ETH", "BTC").await, "0.054054054054054054");
    set_rate(&admin, "BTC", "USD", "65000").await;
    assert_eq!(rate(&anon, "BTC", "USD").await, "65000");

    // Manual USD rates are price points too; each rate is audited.
    let h = anon
        .data(
            HISTORY,
            json!({"c": "BTC", "f": "2000-01-01T00:00:00Z", "t": "2100-01-01T00:00:00Z"}),
        )
        .await;
    let prices: Vec<&str> = h["priceHistory"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["priceUsd"].as_str())
        .collect();
    assert_eq!(prices, ["64123.123456789012345678", "65000"]);
    let db = server.ctx.db.primary.clone();
    assert_eq!(
        text(
            &db,
            "SELECT count(*)::text FROM audit_logs WHERE entity_type = 'EXCHANGE_RATE' AND action = 'CREATE'"
        )
        .await,
        "4"
    );

    let bad = |r: crate::support::gql::Reply, field: &str| {
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
        assert_eq!(r.body["errors"][0]["extensions"]["fields"][0], field, "{}", r.body);
    };
    let vars = |b: &str, q: &str, r: &str| json!({"i": {"baseCurrency": b, "quoteCurrency": q, "rate": r}});
    bad(admin.client.run(SET_RATE, vars("BTC", "USD", "0")).await, "rate");
    bad(admin.client.run(SET_RATE, vars("BTC", "USD", "-2")).await, "rate");
    bad(
        admin.client.run(SET_RATE, vars("BTC", "btc", "2")).await,
        "quoteCurrency",
    );
    bad(
        anon.run(RATE, json!({"b": "not a code", "q": "USD"})).await,
        "baseCurrency",
    );
    server.stop().await;
}

/// Inserts a price point of `currency` at `at`.
async fn point(db: &DatabaseConnection, currency: &str, at: &str, price: &str) {
    exec(
        db,
        "INSERT INTO price_history (currency, price_usd, recorded_at) VALUES ($1, $2::numeric, $3::timestamptz)",
        vec![currency.into(), price.into(), at.into()],
    )
    .await;
}

/// Inserts an anonymous exchange order in `status`, completed at `at`.
async fn order(
    db: &DatabaseConnection,
    from: &str,
    to: &str,
    from_amount: &str,
    to_amount: &str,
    status: &str,
    at: &str,
) {
    exec(
        db,
        "INSERT INTO exchange_orders (from_currency, to_currency, from_amount, to_amount, rate, status, \
         access_token_hash, completed_at) VALUES ($1, $2, $3::numeric, $4::numeric, 1, $5, '\\x00'::bytea, $6::timestamptz)",
        vec![from.into(), to.into(), from_amount.into(), to_amount.into(), status.into(), at.into()],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_market_candles_from_known_points_are_exact() {
    let server = TestServer::start().await;
    let db = server.ctx.db.primary.clone();
    let anon = server.anon();
    // Bucket 10:00-10:05
    point(&db, "BTC", "2026-11-20T10:00:00Z", "64123.123456789012345678").await;
    point(&db, "BTC", "2026-11-20T10:01:30Z", "64500.000000000000000001").await;
    point(&db, "BTC", "2026-11-20T10:02:00Z", "63999.999999999999999999").await;
    point(&db, "BTC", "2026-11-20T10:04:59.999999Z", "64200.5").await;
    // Bucket 10:05-10:10: one point
    point(&db, "BTC", "2026-11-20T10:07:00Z", "64300").await;
    // Bucket 10:15-10:20 (10:10 has none)
    point(&db, "BTC", "2026-11-20T10:15:00Z", "64100.25").await;
    point(&db, "BTC", "2026-11-20T10:19:00Z", "64150.75").await;
    // Next hour
    point(&db, "BTC", "2026-11-20T11:30:00Z", "65000").await;
    // Other currencies and out-of-range points are ignored.
    point(&db, "ETH", "2026-11-20T10:03:00Z", "1").await;
    point(&db, "BTC", "2026-11-20T09:59:59Z", "1").await;
    point(&db, "BTC", "2026-11-20T12:00:00Z", "1").await;
    // Volume: completed orders in or out of BTC, by completion time.
    order(&db, "BTC", "ETH", "0.5", "9.2", "COMPLETED", "2026-11-20T10:01:00Z").await;
    order(&db, "ETH", "BTC", "10", "0.25", "COMPLETED", "2026-11-20T10:03:00Z").await;
    order(&db, "USDT", "ETH", "100", "0.03", "COMPLETED", "2026-11-20T10:03:00Z").await;
    order(&db, "BTC", "USDT", "7", "1", "PENDING", "2026-11-20T10:02:00Z").await;
    order(&db, "BTC", "USDT", "0.125", "8000", "COMPLETED", "2026-11-20T11:59:00Z").await;

    let range = |i: &str| json!({"c": "BTC", "i": i, "f": "2026-11-20T10:00:00Z", "t": "2026-11-20T12:00:00Z"});
    let m5 = anon.data(CANDLES, range("M5")).await["priceCandles"].clone();
    assert_eq!(
        m5,
        json!([
            {"bucket": "2026-11-20T10:00:00+00:00", "open": "64123.123456789012345678", "high": "64500.000000000000000001",
             "low": "63999.999999999999999999", "close": "64200.5", "volume": "0.75"},
            {"bucket": "2026-11-20T10:05:00+00:00", "open": "64300", "high": "64300", "low": "64300", "close": "64300", "volume": "0"},
            {"bucket": "2026-11-20T10:15:00+00:00", "open": "64100.25", "high": "64150.75", "low": "64100.25", "close": "64150.75", "volume": "0"},
            {"bucket": "2026-11-20T11:30:00+00:00", "open": "65000", "high": "65000", "low": "65000", "close": "65000", "volume": "0"},
        ])
    );
    let h1 = anon.data(CANDLES, range("H1")).await["priceCandles"].clone();
    assert_eq!(
        h1,
        json!([
            {"bucket": "2026-11-20T10:00:00+00:00", "open": "64123.123456789012345678", "high": "64500.000000000000000001",
             "low": "63999.999999999999999999", "close": "64150.75", "volume": "0.75"},
            {"bucket": "2026-11-20T11:00:00+00:00", "open": "65000", "high": "65000", "low": "65000", "close": "65000", "volume": "0.125"},
        ])
    );
    let d1 = anon.data(CANDLES, range("D1")).await["priceCandles"].clone();
    assert_eq!(d1[0]["bucket"], "2026-11-20T00:00:00+00:00");
    assert_eq!(d1[0]["close"], "65000");
    assert_eq!(d1[0]["volume"], "0.875");

    // Too many buckets, and an empty range, are refused.
    let wide = json!({"c": "BTC", "i": "M1", "f": "2026-11-20T00:00:00Z", "t": "2026-11-22T00:00:00Z"});
    let r = anon.run(CANDLES, wide).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    assert!(r.error_message().contains("1000"), "{}", r.error_message());
    let empty = json!({"c": "BTC", "i": "H1", "f": "2026-11-20T10:00:00Z", "t": "2026-11-20T10:00:00Z"});
    assert_eq!(anon.run(CANDLES, empty).await.error_code(), Some("BAD_USER_INPUT"));

    // The history of the same range, oldest first, exact.
    let h = anon
        .data(
            HISTORY,
            json!({"c": "BTC", "f": "2026-11-20T10:00:00Z", "t": "2026-11-20T10:05:00Z"}),
        )
        .await;
    let prices: Vec<&str> = h["priceHistory"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["priceUsd"].as_str())
        .collect();
    assert_eq!(
        prices,
        [
            "64123.123456789012345678",
            "64500.000000000000000001",
            "63999.999999999999999999",
            "64200.5"
        ]
    );
    let r = anon
        .run(
            HISTORY,
            json!({"c": "BTC", "f": "2026-11-20T10:00:00Z", "t": "2026-11-20T09:00:00Z"}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    server.stop().await;
}

/// A CoinGecko-shaped `simple/price` server on a loopback port; it answers
/// `body` after `delay` and remembers the query strings it was asked.
async fn feed_server(body: &'static str, delay: Duration) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/api/v3/simple/price",
        axum::routing::get(move |uri: axum::http::Uri| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(uri.query().unwrap_or("").to_string());
                tokio::time::sleep(delay).await;
                ([("content-type", "application/json")], body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/api/v3/simple/price"), seen)
}

const FEED: &str = r#"{"bitcoin":{"usd":64123.123456789012345678,"usd_market_cap":1267890123456.789,"usd_24h_vol":38123456789.123456789,"usd_24h_change":-1.2345678901234},"ethereum":{"usd":3456.789012345678901234,"usd_market_cap":415000000000,"usd_24h_vol":19000000000.5,"usd_24h_change":2.5},"tether":{"usd":1.000123,"usd_market_cap":null,"usd_24h_vol":50000000000,"usd_24h_change":0.01}}"#;

async fn feed_test_server(url: String) -> TestServer {
    TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_PRICE_API_URL", url),
            ("SWITCHBOARD_PRICE_POLL_SECS", "1".to_string()),
        ],
        ..Default::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_market_price_feed_fills_history_and_rates_with_the_served_numbers() {
    let (url, seen) = feed_server(FEED, Duration::ZERO).await;
    let server = feed_test_server(url).await;
    let anon = server.anon();
    let range = |c: &str| json!({"c": c, "f": "2000-01-01T00:00:00Z", "t": "2100-01-01T00:00:00Z"});
    let deadline = Instant::now() + Duration::from_secs(60);
    let btc = loop {
        let h = anon.data(HISTORY, range("BTC")).await;
        if let Some(p) = h["priceHistory"].as_array().and_then(|a| a.first()).cloned() {
            break p;
        }
        assert!(Instant::now() < deadline, "the price feed was not polled within 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(btc["currency"], "BTC");
    assert_eq!(btc["priceUsd"], "64123.123456789012345678");
    assert_eq!(btc["marketCapUsd"], "1267890123456.789");
    assert_eq!(btc["volume24hUsd"], "38123456789.123456789");
    assert_eq!(btc["change24hPct"], "-1.234568");
    let usdt = anon.data(HISTORY, range("USDT")).await["priceHistory"][0].clone();
    assert_eq!(usdt["priceUsd"], "1.000123");
    assert_eq!(usdt["marketCapUsd"], Value::Null);
    assert_eq!(rate(&anon, "BTC", "USD").await, "64123.123456789012345678");
    assert_eq!(rate(&anon, "ETH", "USD").await, "3456.789012345678901234");
    assert_eq!(rate(&anon, "BTC", "ETH").await, "18.549909533899172207");
    let db = server.ctx.db.primary.clone();
    assert_eq!(
        text(&db, "SELECT string_agg(DISTINCT source || ':' || base_currency || '/' || quote_currency, ',' ORDER BY source || ':' || base_currency || '/' || quote_currency) FROM exchange_rates").await,
        "COINGECKO:BTC/USD,COINGECKO:ETH/USD,COINGECKO:USDT/USD"
    );
    let query = seen.lock().unwrap().first().cloned().unwrap();
    for part in [
        "ids=bitcoin%2Cethereum%2Ctether",
        "vs_currencies=usd",
        "include_market_cap=true",
        "include_24hr_vol=true",
        "include_24hr_change=true",
    ] {
        assert!(query.contains(part), "{part} missing from {query}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_market_a_slow_or_broken_feed_breaks_nothing() {
    let (slow, seen) = feed_server(FEED, Duration::from_secs(30)).await;
    let server = feed_test_server(slow).await;
    let admin = server.admin().await;
    // Wait until the feed has been asked at least twice (timed out once).
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the price feed was not polled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let db = server.ctx.db.primary.clone();
    assert_eq!(text(&db, "SELECT count(*)::text FROM price_history").await, "0");
    // The poll neither failed for good nor recorded an error: it waits for the next turn.
    assert_eq!(
        text(
            &db,
            "SELECT (status <> 'FAILED' AND last_error IS NULL)::text FROM background_jobs \
             WHERE kind = 'exchange.prices.poll'"
        )
        .await,
        "true"
    );
    // Everything else still works.
    set_rate(&admin, "BTC", "USD", "64000").await;
    assert_eq!(rate(&server.anon(), "BTC", "USD").await, "64000");
    server.stop().await;

    let (broken, seen) = feed_server(r#"{"bitcoin": {"usd": "not a number"}}"#, Duration::ZERO).await;
    let server = feed_test_server(broken).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the price feed was not polled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let db = server.ctx.db.primary.clone();
    assert_eq!(text(&db, "SELECT count(*)::text FROM price_history").await, "0");
    assert_eq!(rate(&server.anon(), "BTC", "USD").await, Value::Null);
    server.stop().await;
}
