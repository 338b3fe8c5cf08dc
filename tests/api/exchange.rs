//! The instant exchange end to end (issue 13): quotes, orders with pool
//! addresses, the signed chain webhook, the lifecycle seen live over the
//! WebSocket, holds with their tickets, operators' decisions, expiry on
//! two instances, and who may read which order.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::storage::{count, db};
use crate::support::gql::{Client, Reply};
use crate::support::personas::Persona;
use crate::support::{ServerOptions, TestServer};
use crate::websocket::{connect, init, recv, send, Socket};

pub(crate) const SECRET: &str = "chain-webhook-secret-for-tests";
/// The EIP-55 example address.
pub(crate) const ETH_ADDR: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
/// BIP-173's mainnet P2WPKH example.
pub(crate) const BTC_ADDR: &str = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";

pub(crate) const ORDER_FIELDS: &str = "id status holdReason statusReason rateType fromCurrency toCurrency fromAmount \
    toAmount rate fee networkFee depositAddress depositAmount depositConfirmations receivingAddress refundAddress \
    depositTxHash payoutTxHash expiresAt createdAt supportTicketId";

pub(crate) fn env() -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_CHAIN_WEBHOOK_SECRET", SECRET.to_string()),
        ("SWITCHBOARD_EXPIRY_EVERY_MS", "200".to_string()),
        ("SWITCHBOARD_JOBS_POLL_MS", "100".to_string()),
    ]
}

pub(crate) async fn server() -> TestServer {
    TestServer::with(ServerOptions {
        env: env(),
        ..Default::default()
    })
    .await
}

pub(crate) async fn sql(db: &DatabaseConnection, q: &str) {
    db.execute_raw(Statement::from_string(sea_orm::DbBackend::Postgres, q))
        .await
        .expect("fixture SQL");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Delivers `body` to the chain webhook of `currency`, signed with `secret`.
pub(crate) async fn deliver_signed(server: &TestServer, currency: &str, body: &Value, secret: &str) -> (u16, Value) {
    let raw = body.to_string();
    let t = chrono::Utc::now().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{raw}").as_bytes());
    let sig = format!("t={t},v1={}", hex(&mac.finalize().into_bytes()));
    let r = reqwest::Client::new()
        .post(server.url(&format!("/webhooks/chain/{currency}")))
        .header("x-chain-signature", sig)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .expect("webhook sent");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn deliver(server: &TestServer, currency: &str, body: Value) -> (u16, Value) {
    deliver_signed(server, currency, &body, SECRET).await
}

pub(crate) fn deposit(address: &str, tx: &str, amount: &str, confirmations: u32) -> Value {
    json!({"kind": "DEPOSIT", "address": address, "txHash": tx, "amount": amount, "confirmations": confirmations})
}

/// Sets the BTC→ETH rate and an ETH reserve through the admin API.
pub(crate) async fn market(admin: &Persona, btc_eth: &str, eth_reserve: &str) {
    let r = admin
        .client
        .run(
            "mutation($i: SetExchangeRateInput!) { setExchangeRate(input: $i) { rate { rate } } }",
            json!({"i": {"baseCurrency": "BTC", "quoteCurrency": "ETH", "rate": btc_eth}}),
        )
        .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    if eth_reserve != "0" {
        adjust(admin, "ETH", eth_reserve).await;
    }
}

pub(crate) async fn adjust(admin: &Persona, currency: &str, delta: &str) {
    let r = admin
        .client
        .run(
            "mutation($i: AdjustReserveInput!) { adjustReserve(input: $i) { reserve { amount } } }",
            json!({"i": {"currency": currency, "delta": delta, "reason": "test funding"}}),
        )
        .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
}

pub(crate) async fn reserve(admin: &Persona, currency: &str) -> rust_decimal::Decimal {
    let d = admin.client.data("{ reserves { currency amount } }", json!({})).await;
    let r = d["reserves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["currency"] == currency)
        .unwrap_or_else(|| panic!("no {currency} reserve in {d}"));
    r["amount"].as_str().unwrap().parse().unwrap()
}

pub(crate) async fn quote(client: &Client, amount: &str, rate_type: &str) -> Value {
    client
        .data(
            "query($a: Money!, $t: RateType!) { exchangeQuote(fromCurrency: \"BTC\", toCurrency: \"ETH\", fromAmount: $a, rateType: $t) \
             { quoteId rate fromAmount toAmount fee networkFee minAmount maxAmount expiresAt } }",
            json!({"a": amount, "t": rate_type}),
        )
        .await["exchangeQuote"]
        .clone()
}

pub(crate) async fn place(client: &Client, input: Value) -> Reply {
    client
        .run(
            &format!(
                "mutation($i: CreateExchangeOrderInput!) {{ createExchangeOrder(input: $i) {{ accessToken order {{ {ORDER_FIELDS} }} }} }}"
            ),
            json!({"i": input}),
        )
        .await
}

/// A FLOAT BTC→ETH order of `amount`; (order, token).
pub(crate) async fn float_order(client: &Client, amount: &str) -> (Value, Option<String>) {
    let r = place(
        client,
        json!({"fromCurrency": "BTC", "toCurrency": "ETH", "fromAmount": amount, "rateType": "FLOAT",
               "receivingAddress": ETH_ADDR, "refundAddress": BTC_ADDR}),
    )
    .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let p = r.data()["createExchangeOrder"].clone();
    (p["order"].clone(), p["accessToken"].as_str().map(str::to_string))
}

/// A FIXED BTC→ETH order of `amount` on a fresh quote.
pub(crate) async fn fixed_order(client: &Client, amount: &str) -> (Value, Option<String>) {
    let q = quote(client, amount, "FIXED").await;
    let r = place(
        client,
        json!({"fromCurrency": "BTC", "toCurrency": "ETH", "fromAmount": amount, "rateType": "FIXED",
               "quoteId": q["quoteId"], "receivingAddress": ETH_ADDR, "refundAddress": BTC_ADDR}),
    )
    .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let p = r.data()["createExchangeOrder"].clone();
    (p["order"].clone(), p["accessToken"].as_str().map(str::to_string))
}

pub(crate) async fn read(client: &Client, id: &str, token: Option<&str>) -> Value {
    client
        .data(
            &format!("query($id: ID!, $t: String) {{ exchangeOrder(id: $id, accessToken: $t) {{ {ORDER_FIELDS} transitions {{ fromStatus toStatus actor reason }} }} }}"),
            json!({"id": id, "t": token}),
        )
        .await["exchangeOrder"]
        .clone()
}

async fn subscribe(server: &TestServer, id: &str, token: &str) -> Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "o", "payload": {
            "query": "subscription($id: ID!, $t: String) { exchangeOrderUpdated(orderId: $id, accessToken: $t) { id status depositConfirmations payoutTxHash } }",
            "variables": {"id": id, "t": token}}}),
    )
    .await;
    s
}

async fn next_update(s: &mut Socket) -> Value {
    loop {
        let m = recv(s).await;
        if m["type"] == "next" {
            return m["payload"].clone();
        }
        assert!(m["type"] == "ping" || m["type"] == "pong", "unexpected {m}");
    }
}

fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {v}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_anonymous_order_runs_its_whole_life_through_graphql_and_the_webhook() {
    let server = server().await;
    let admin = server.admin().await;
    market(&admin, "20", "100").await;
    let btc_before = reserve(&admin, "BTC").await;
    let anon = server.anon();
    let (order, token) = fixed_order(&anon, "0.1").await;
    let token = token.expect("an anonymous order gets its token");
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(order["status"], "PENDING");
    let deposit_address = order["depositAddress"].as_str().unwrap().to_string();
    // 0.5 % of 0.1 BTC = 0.0005; (0.1 − 0.0005) × 20 − 0.0005 ETH.
    assert_eq!(dec(&order["fee"]), "0.0005".parse().unwrap());
    assert_eq!(dec(&order["toAmount"]), "1.9895".parse().unwrap());
    server.events_relayed().await;
    let mut live = subscribe(&server, &id, &token).await;
    // The order as it is first: the subscription is live from here on.
    let first = next_update(&mut live).await;
    assert_eq!(first["data"]["exchangeOrderUpdated"]["status"], "PENDING", "{first}");

    // The deposit, five times at once: one transition.
    let hits = futures::future::join_all(
        (0..5).map(|_| deliver(&server, "BTC", deposit(&deposit_address, "btctx-1", "0.1", 1))),
    )
    .await;
    for (status, body) in &hits {
        assert_eq!(*status, 200, "{body}");
    }
    assert_eq!(
        hits.iter().filter(|(_, b)| b["status"] == "applied").count(),
        1,
        "{hits:?}"
    );
    assert_eq!(read(&anon, &id, Some(&token)).await["status"], "CONFIRMING");
    // BTC needs 2 confirmations: the second report exchanges and sends.
    for _ in 0..2 {
        let (s, b) = deliver(&server, "BTC", deposit(&deposit_address, "btctx-1", "0.1", 2)).await;
        assert_eq!(s, 200, "{b}");
    }
    let sending = read(&anon, &id, Some(&token)).await;
    assert_eq!(sending["status"], "SENDING", "{sending}");
    let payout = json!({"kind": "PAYOUT", "orderId": id, "txHash": "0xpayout1", "confirmations": 1});
    let hits = futures::future::join_all((0..3).map(|_| deliver(&server, "ETH", payout.clone()))).await;
    assert!(hits.iter().all(|(s, _)| *s == 200), "{hits:?}");
    let done = read(&anon, &id, Some(&token)).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["depositTxHash"], "btctx-1");
    assert_eq!(done["payoutTxHash"], "0xpayout1");
    let steps: Vec<&str> = done["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["toStatus"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["PENDING", "CONFIRMING", "EXCHANGING", "SENDING", "COMPLETED"]);

    // Reserves moved exactly once: ETH out by the payout and its network fee, BTC in by the deposit.
    assert_eq!(
        reserve(&admin, "ETH").await,
        "100".parse::<rust_decimal::Decimal>().unwrap()
            - "1.9895".parse::<rust_decimal::Decimal>().unwrap()
            - "0.0005".parse::<rust_decimal::Decimal>().unwrap()
    );
    assert_eq!(
        reserve(&admin, "BTC").await,
        btc_before + "0.1".parse::<rust_decimal::Decimal>().unwrap()
    );
    let (s, _) = deliver(&server, "BTC", deposit(&deposit_address, "btctx-1", "0.1", 9)).await;
    assert_eq!(s, 200);
    assert_eq!(
        reserve(&admin, "ETH").await,
        "98.01".parse::<rust_decimal::Decimal>().unwrap()
    );

    // The subscription saw every transition, in order.
    let mut seen = Vec::new();
    for _ in 0..4 {
        let p = next_update(&mut live).await;
        assert!(p["errors"].is_null(), "{p}");
        seen.push(
            p["data"]["exchangeOrderUpdated"]["status"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(seen, ["CONFIRMING", "EXCHANGING", "SENDING", "COMPLETED"]);

    // The id alone, or a wrong token, reveals nothing.
    assert_eq!(read(&anon, &id, None).await, Value::Null);
    assert_eq!(read(&anon, &id, Some("xo_wrong")).await, Value::Null);
    assert_eq!(
        read(&server.customer("other").await.client, &id, None).await,
        Value::Null
    );
    let db = db(&server).await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM chain_transactions WHERE tx_hash = 'btctx-1'").await,
        1
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_amounts_late_deposits_and_short_reserves_hold_with_a_ticket_that_shows_the_order() {
    let server = server().await;
    let admin = server.admin().await;
    let agent = server.agent(&admin, "EXCHANGE").await;
    market(&admin, "20", "0").await;
    let alice = server.customer("alice").await;
    let db = db(&server).await;

    let (under, _) = fixed_order(&alice.client, "0.1").await;
    let (over, _) = fixed_order(&alice.client, "0.1").await;
    let (short, _) = float_order(&alice.client, "0.2").await;
    let (late, _) = float_order(&alice.client, "0.1").await;
    let addr = |o: &Value| o["depositAddress"].as_str().unwrap().to_string();
    for (o, tx, amount) in [(&under, "u1", "0.09"), (&over, "o1", "0.11"), (&short, "s1", "0.2")] {
        let (s, b) = deliver(&server, "BTC", deposit(&addr(o), tx, amount, 2)).await;
        assert_eq!(s, 200, "{b}");
    }
    // The late order expires first (its time is moved back), then pays.
    sql(
        &db,
        &format!(
            "UPDATE exchange_orders SET expires_at = now() - interval '1 second' WHERE id = '{}'",
            late["id"].as_str().unwrap()
        ),
    )
    .await;
    let late_id = late["id"].as_str().unwrap();
    let mut expired = false;
    for _ in 0..100 {
        if read(&alice.client, late_id, None).await["status"] == "EXPIRED" {
            expired = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(expired, "the expiry job expires the order");
    let (s, b) = deliver(&server, "BTC", deposit(&addr(&late), "l1", "0.1", 2)).await;
    assert_eq!(s, 200, "{b}");

    for (o, reason) in [
        (&under, "UNDERPAID"),
        (&over, "OVERPAID"),
        (&short, "RESERVE_SHORT"),
        (&late, "LATE_DEPOSIT"),
    ] {
        let id = o["id"].as_str().unwrap();
        let now = read(&alice.client, id, None).await;
        assert_eq!(now["status"], "HOLD", "{now}");
        assert_eq!(now["holdReason"], reason, "{now}");
        let ticket = now["supportTicketId"]
            .as_str()
            .unwrap_or_else(|| panic!("a ticket for {now}"));
        // The agent of the EXCHANGE department sees the live order through the ticket.
        let t = agent
            .client
            .data(
                "query($id: ID!) { ticket(id: $id) { department { code } relatedEntity { entityType entityId exchangeOrder { id status holdReason depositTxHash depositAmount toAmount } } } }",
                json!({"id": ticket}),
            )
            .await["ticket"]
            .clone();
        assert_eq!(t["department"]["code"], "EXCHANGE", "{t}");
        assert_eq!(t["relatedEntity"]["entityType"], "EXCHANGE_ORDER");
        let shown = &t["relatedEntity"]["exchangeOrder"];
        assert_eq!(shown["id"], id);
        assert_eq!(shown["status"], "HOLD");
        assert_eq!(shown["holdReason"], reason);
        assert!(shown["depositTxHash"].is_string(), "{t}");
        // The customer follows the same ticket among their own.
        let mine = alice
            .client
            .data(
                "query($id: ID!) { ticket(id: $id) { id relatedEntity { exchangeOrder { status } } } }",
                json!({"id": ticket}),
            )
            .await;
        assert_eq!(
            mine["ticket"]["relatedEntity"]["exchangeOrder"]["status"], "HOLD",
            "{mine}"
        );
    }

    // Operators decide: refund the underpaid one, exchange the short one once funded.
    let decide = |id: &str, decision: &str| json!({"i": {"orderId": id, "decision": decision, "reason": "checked with the customer"}});
    const DECIDE: &str =
        "mutation($i: DecideExchangeOrderInput!) { decideExchangeOrder(input: $i) { order { status } } }";
    let r = alice
        .client
        .run(DECIDE, decide(under["id"].as_str().unwrap(), "REFUND"))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = admin
        .client
        .run(DECIDE, decide(under["id"].as_str().unwrap(), "REFUND"))
        .await;
    assert_eq!(
        r.data()["decideExchangeOrder"]["order"]["status"],
        "REFUNDED",
        "{:?}",
        r.body
    );
    adjust(&admin, "ETH", "10").await;
    let r = admin
        .client
        .run(DECIDE, decide(short["id"].as_str().unwrap(), "EXCHANGE"))
        .await;
    assert_eq!(
        r.data()["decideExchangeOrder"]["order"]["status"],
        "SENDING",
        "{:?}",
        r.body
    );
    let r = admin
        .client
        .run(DECIDE, decide(short["id"].as_str().unwrap(), "EXCHANGE"))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit_logs WHERE entity_type = 'EXCHANGE_ORDER'"
        )
        .await,
        2
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_orders_never_share_an_address() {
    let server = server().await;
    let admin = server.admin().await;
    market(&admin, "20", "0").await;
    let a = server.customer("many-a").await;
    let b = server.customer("many-b").await;
    let replies = futures::future::join_all((0..100).map(|i| {
        let c = if i % 2 == 0 { a.client.clone() } else { b.client.clone() };
        async move { float_order(&c, "0.01").await.0 }
    }))
    .await;
    let mut addresses: Vec<String> = replies
        .iter()
        .map(|o| o["depositAddress"].as_str().unwrap().to_string())
        .collect();
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 100);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_expire_each_order_exactly_once() {
    let opts = |db: Option<String>| ServerOptions {
        env: env(),
        redis: true,
        database_url: db,
    };
    let one = TestServer::with(opts(None)).await;
    let two = TestServer::with(opts(Some(one.database_url.clone()))).await;
    let admin = one.admin().await;
    market(&admin, "20", "0").await;
    let c = one.customer("expire").await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(
            float_order(&c.client, "0.01").await.0["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let db = db(&one).await;
    sql(
        &db,
        "UPDATE exchange_orders SET expires_at = now() - interval '1 second'",
    )
    .await;
    for _ in 0..100 {
        if count(&db, "SELECT count(*) FROM exchange_orders WHERE status = 'PENDING'").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for id in &ids {
        let o = read(&c.client, id, None).await;
        assert_eq!(o["status"], "EXPIRED", "{o}");
        let n = o["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["toStatus"] == "EXPIRED")
            .count();
        assert_eq!(n, 1, "{o}");
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM exchange_order_transitions WHERE to_status = 'EXPIRED'"
        )
        .await,
        20
    );
    two.stop().await;
    one.stop().await;
}

#[tokio::test]
async fn pairs_limits_quotes_and_addresses_are_checked_with_clear_errors() {
    let server = server().await;
    let admin = server.admin().await;
    market(&admin, "20", "0").await;
    let anon = server.anon();
    let pairs = anon
        .data(
            "{ exchangePairs { fromCurrency toCurrency minAmount maxAmount rateTypes } }",
            json!({}),
        )
        .await;
    let btc_eth = pairs["exchangePairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["fromCurrency"] == "BTC" && p["toCurrency"] == "ETH")
        .cloned()
        .expect("BTC→ETH is offered");
    assert_eq!(btc_eth["minAmount"], "0.0005");
    let q = |from: &'static str, to: &'static str, amount: &'static str| {
        let anon = anon.clone();
        async move {
            anon.run(
                "query($f: String!, $t: String!, $a: Money!) { exchangeQuote(fromCurrency: $f, toCurrency: $t, fromAmount: $a) { toAmount } }",
                json!({"f": from, "t": to, "a": amount}),
            )
            .await
        }
    };
    let r = q("BTC", "INR", "0.1").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert!(r.error_message().contains("not offered"), "{}", r.error_message());
    let r = q("BTC", "ETH", "11").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert!(
        r.error_message().contains("0.0005") && r.error_message().contains("10"),
        "{}",
        r.error_message()
    );
    let r = q("BTC", "ETH", "0.123456789").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    let ok = q("BTC", "ETH", "0.5").await;
    assert_eq!(ok.data()["exchangeQuote"]["toAmount"], "9.9495");

    // A FIXED order needs a live quote and a refund address.
    let fixed = quote(&anon, "0.1", "FIXED").await;
    assert!(
        fixed["expiresAt"].is_string() && fixed["quoteId"].is_string(),
        "{fixed}"
    );
    let input = |quote: &Value, refund: Option<&str>, receiving: &str| {
        json!({"fromCurrency": "BTC", "toCurrency": "ETH", "fromAmount": "0.1", "rateType": "FIXED",
               "quoteId": quote, "receivingAddress": receiving, "refundAddress": refund})
    };
    let r = place(&anon, input(&fixed["quoteId"], None, ETH_ADDR)).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let db = db(&server).await;
    sql(
        &db,
        &format!(
            "UPDATE exchange_quotes SET expires_at = now() - interval '1 second' WHERE id = '{}'",
            fixed["quoteId"].as_str().unwrap()
        ),
    )
    .await;
    let r = place(&anon, input(&fixed["quoteId"], Some(BTC_ADDR), ETH_ADDR)).await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    assert!(r.error_message().contains("quote expired"), "{}", r.error_message());

    // Addresses: a bad checksum, the wrong chain, and one of our own.
    let fresh = quote(&anon, "0.1", "FIXED").await;
    for bad in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", BTC_ADDR, "not an address"] {
        let r = place(&anon, input(&fresh["quoteId"], Some(BTC_ADDR), bad)).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{bad}: {:?}", r.body);
        assert_eq!(
            r.body["errors"][0]["extensions"]["fields"][0], "receivingAddress",
            "{:?}",
            r.body
        );
    }
    let (placed, _) = float_order(&anon, "0.01").await;
    let ours = placed["depositAddress"].as_str().unwrap();
    let r = place(&anon, input(&fresh["quoteId"], Some(ours), ETH_ADDR)).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert!(r.error_message().contains("belongs to this exchange"), "{:?}", r.body);
    // The quote still works once, and only once.
    let r = place(&anon, input(&fresh["quoteId"], Some(BTC_ADDR), ETH_ADDR)).await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let r = place(&anon, input(&fresh["quoteId"], Some(BTC_ADDR), ETH_ADDR)).await;
    assert_eq!(r.error_code(), Some("CONFLICT"));

    let rot = |c: &'static str, a: &'static str| {
        let anon = anon.clone();
        async move {
            anon.data(
                "query($c: String!, $a: Money!) { needsRotatingAddress(currency: $c, amount: $a) }",
                json!({"c": c, "a": a}),
            )
            .await["needsRotatingAddress"]
                .clone()
        }
    };
    assert_eq!(rot("BTC", "0.001").await, true, "BTC is per-order");
    assert_eq!(rot("ETH", "4.99").await, false);
    assert_eq!(rot("ETH", "5").await, true, "at the threshold");

    // Quotes nobody took are deleted a day after they expired; used ones stay.
    let stale = quote(&anon, "0.1", "FIXED").await;
    let stale = stale["quoteId"].as_str().unwrap();
    sql(
        &db,
        &format!("UPDATE exchange_quotes SET expires_at = now() - interval '2 days' WHERE id = '{stale}'"),
    )
    .await;
    let gone = |db: &DatabaseConnection| {
        let sql = format!("SELECT count(*) FROM exchange_quotes WHERE id = '{stale}'");
        let db = db.clone();
        async move { count(&db, &sql).await }
    };
    for _ in 0..100 {
        if gone(&db).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gone(&db).await, 0, "the expiry pass deletes the stale quote");
    assert_eq!(
        count(&db, "SELECT count(*) FROM exchange_quotes WHERE order_id IS NOT NULL").await,
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn the_webhook_refuses_bad_signatures_and_conflicting_replays_and_flags_unknown_addresses() {
    let server = server().await;
    let admin = server.admin().await;
    market(&admin, "20", "0").await;
    let db = db(&server).await;
    let body = deposit("bc1qunknownaddress", "tx-unknown", "0.5", 3);
    let (s, _) = deliver_signed(&server, "BTC", &body, "another-secret-entirely").await;
    assert_eq!(s, 401);
    assert_eq!(count(&db, "SELECT count(*) FROM chain_transactions").await, 0);
    let (s, b) = deliver(&server, "BTC", body.clone()).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("recorded")), "{b}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM chain_transactions WHERE matched = 'UNKNOWN' AND order_id IS NULL"
        )
        .await,
        1
    );
    let (s, _) = deliver(&server, "BTC", deposit("bc1qunknownaddress", "tx-unknown", "0.7", 3)).await;
    assert_eq!(s, 409, "the same hash with another amount");
    let (s, _) = deliver(
        &server,
        "BTC",
        json!({"kind": "DEPOSIT", "address": "a", "txHash": "t", "amount": 0.5, "confirmations": 1}),
    )
    .await;
    assert_eq!(s, 400, "a float amount is refused");
    let (s, _) = deliver(&server, "BTC", deposit("bc1qunknownaddress", "t3", "0.123456789", 1)).await;
    assert_eq!(s, 400, "finer than a satoshi");
    let (s, _) = deliver(&server, "XYZ", deposit("a", "t2", "1", 1)).await;
    assert_eq!(s, 400);
    assert_eq!(count(&db, "SELECT count(*) FROM chain_transactions").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn customers_see_only_their_own_orders_and_staff_see_all_with_filters() {
    let server = server().await;
    let admin = server.admin().await;
    market(&admin, "20", "0").await;
    let finance = server.with_role(&admin, "finance", "fin").await;
    let ann = server.customer("ann").await;
    let ben = server.customer("ben").await;
    let (ann_order, token) = float_order(&ann.client, "0.01").await;
    assert!(token.is_none(), "a signed-in order needs no token");
    float_order(&ben.client, "0.02").await;
    float_order(&server.anon(), "0.03").await;
    let id = ann_order["id"].as_str().unwrap();
    assert_eq!(read(&ben.client, id, None).await, Value::Null);
    assert_eq!(read(&ann.client, id, None).await["id"], id);
    assert_eq!(read(&finance.client, id, None).await["id"], id);
    const LIST: &str = "query($f: ExchangeOrderFilter, $n: Int) { exchangeOrders(filter: $f, first: $n) { totalCount nodes { id fromAmount } pageInfo { hasNextPage endCursor } } }";
    let mine = ben.client.data(LIST, json!({})).await;
    assert_eq!(mine["exchangeOrders"]["totalCount"], 1, "{mine}");
    let all = finance.client.data(LIST, json!({})).await;
    assert_eq!(all["exchangeOrders"]["totalCount"], 3);
    let anon_only = finance.client.data(LIST, json!({"f": {"anonymous": true}})).await;
    assert_eq!(
        anon_only["exchangeOrders"]["nodes"][0]["fromAmount"]
            .as_str()
            .map(|s| s.starts_with("0.03")),
        Some(true),
        "{anon_only}"
    );
    let by_user = finance
        .client
        .data(
            LIST,
            json!({"f": {"userId": ann.id, "status": ["PENDING"], "currency": "ETH"}}),
        )
        .await;
    assert_eq!(by_user["exchangeOrders"]["totalCount"], 1);
    let page = finance.client.data(LIST, json!({"n": 2})).await;
    assert_eq!(page["exchangeOrders"]["pageInfo"]["hasNextPage"], true);
    let r = server.anon().run(LIST, json!({})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    // A subscription to another's order is refused at once.
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", ben.access_token)})).await;
    send(&mut s, json!({"type": "subscribe", "id": "x", "payload": {"query": "subscription($id: ID!) { exchangeOrderUpdated(orderId: $id) { id } }", "variables": {"id": id}}})).await;
    let m = next_update(&mut s).await;
    assert_eq!(m["errors"][0]["extensions"]["code"], "NOT_FOUND", "{m}");
    server.stop().await;
}

#[tokio::test]
async fn an_order_page_and_tickets_showing_their_orders_cost_the_same_statements_at_any_size() {
    let server = server().await;
    let admin = server.admin().await;
    market(&admin, "20", "0").await;
    let c = server.customer("pages").await;
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(
            float_order(&c.client, "0.01").await.0["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Every order goes on hold (below the minimum), which opens its ticket.
    for (i, id) in ids.iter().enumerate() {
        let o = read(&c.client, id, None).await;
        let (s, b) = deliver(
            &server,
            "BTC",
            deposit(o["depositAddress"].as_str().unwrap(), &format!("page-{i}"), "0.0001", 2),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }
    let measure = |query: String| {
        let admin = &admin;
        let server = &server;
        async move {
            let mut fewest = u64::MAX;
            for _ in 0..4 {
                let before = server.ctx.db.statement_count();
                let d = admin.client.data(&query, json!({})).await;
                fewest = fewest.min(server.ctx.db.statement_count() - before);
                assert!(d.to_string().contains("BELOW_MINIMUM"), "{d}");
            }
            fewest
        }
    };
    let orders = |n: usize| {
        format!("{{ exchangeOrders(first: {n}) {{ totalCount nodes {{ id status holdReason transitions {{ toStatus reason }} }} }} }}")
    };
    let tickets = |n: usize| {
        format!("{{ tickets(first: {n}) {{ nodes {{ id relatedEntity {{ exchangeOrder {{ id holdReason transitions {{ toStatus }} }} }} }} }} }}")
    };
    assert_eq!(measure(orders(5)).await, measure(orders(30)).await);
    assert_eq!(measure(tickets(5)).await, measure(tickets(30)).await);
    server.stop().await;
}

#[tokio::test]
async fn operators_set_confirmations_limits_and_rate_types_and_customers_cannot() {
    let server = server().await;
    let admin = server.admin().await;
    market(&admin, "20", "100").await;
    let carol = server.customer("carol").await;
    const CURRENCY: &str = "mutation($i: UpdateExchangeCurrencyInput!) { updateExchangeCurrency(input: $i) { currency { code confirmationsRequired networkFee rotationPolicy rotationThreshold } } }";
    const PAIR: &str = "mutation($i: SaveExchangePairInput!) { saveExchangePair(input: $i) { pair { fromCurrency minAmount maxAmount rateTypes } } }";
    let one_conf = json!({"i": {"code": "BTC", "confirmationsRequired": 1}});
    assert_eq!(
        carol.client.run(CURRENCY, one_conf.clone()).await.error_code(),
        Some("FORBIDDEN")
    );
    let r = admin.client.run(CURRENCY, one_conf).await;
    assert_eq!(
        r.data()["updateExchangeCurrency"]["currency"]["confirmationsRequired"],
        1,
        "{:?}",
        r.body
    );
    let r = admin
        .client
        .run(CURRENCY, json!({"i": {"code": "BTC", "networkFee": "0.000000001"}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "finer than a satoshi");
    let r = admin
        .client
        .run(PAIR, json!({"i": {"fromCurrency": "BTC", "toCurrency": "ETH", "minAmount": "0.01", "maxAmount": "2", "rateTypes": ["FLOAT"]}}))
        .await;
    assert_eq!(
        r.data()["saveExchangePair"]["pair"]["rateTypes"],
        json!(["FLOAT"]),
        "{:?}",
        r.body
    );
    let r = admin
        .client
        .run(PAIR, json!({"i": {"fromCurrency": "BTC", "toCurrency": "ETH", "minAmount": "3", "maxAmount": "2", "rateTypes": ["FLOAT"]}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    // The new limits and rate types apply at once.
    let r = carol
        .client
        .run(
            "{ exchangeQuote(fromCurrency: \"BTC\", toCurrency: \"ETH\", fromAmount: \"0.005\") { toAmount } }",
            json!({}),
        )
        .await;
    assert!(r.error_message().contains("0.01"), "{:?}", r.body);
    let r = carol
        .client
        .run(
            "{ exchangeQuote(fromCurrency: \"BTC\", toCurrency: \"ETH\", fromAmount: \"0.1\", rateType: FIXED) { quoteId } }",
            json!({}),
        )
        .await;
    assert!(r.error_message().contains("only FLOAT"), "{:?}", r.body);
    // One confirmation now exchanges the deposit.
    let (order, _) = float_order(&carol.client, "0.1").await;
    let (s, b) = deliver(
        &server,
        "BTC",
        deposit(order["depositAddress"].as_str().unwrap(), "one-conf", "0.1", 1),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        read(&carol.client, order["id"].as_str().unwrap(), None).await["status"],
        "SENDING"
    );
    let db = db(&server).await;
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit_logs WHERE entity_type IN ('CURRENCY', 'EXCHANGE_PAIR')"
        )
        .await,
        2
    );
    server.stop().await;
}

/// An ETH→BTC FLOAT order of `amount` (ETH's pool recycles addresses
/// below its rotation threshold of 5).
async fn eth_order(client: &Client, amount: &str) -> Value {
    let r = place(
        client,
        json!({"fromCurrency": "ETH", "toCurrency": "BTC", "fromAmount": amount, "rateType": "FLOAT",
               "receivingAddress": BTC_ADDR, "refundAddress": ETH_ADDR}),
    )
    .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    r.data()["createExchangeOrder"]["order"].clone()
}

/// Moves `order`'s expiry back and waits for the expiry job.
async fn expire(server: &TestServer, client: &Client, order: &Value) {
    let id = order["id"].as_str().unwrap();
    sql(
        &db(server).await,
        &format!("UPDATE exchange_orders SET expires_at = now() - interval '1 second' WHERE id = '{id}'"),
    )
    .await;
    for _ in 0..100 {
        if read(client, id, None).await["status"] == "EXPIRED" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} did not expire");
}

#[tokio::test]
async fn a_released_address_rests_in_quarantine_and_large_orders_always_get_a_fresh_one() {
    let mut env = env();
    env.push(("SWITCHBOARD_ADDRESS_QUARANTINE_SECS", "2".to_string()));
    let server = TestServer::with(ServerOptions {
        env,
        ..Default::default()
    })
    .await;
    let admin = server.admin().await;
    let r = admin
        .client
        .run(
            "mutation($i: SetExchangeRateInput!) { setExchangeRate(input: $i) { rate { rate } } }",
            json!({"i": {"baseCurrency": "ETH", "quoteCurrency": "BTC", "rate": "0.05"}}),
        )
        .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let dan = server.customer("dan").await;
    let first = eth_order(&dan.client, "0.5").await;
    let a1 = first["depositAddress"].as_str().unwrap().to_string();
    expire(&server, &dan.client, &first).await;
    // Resting: the next order gets another address.
    let second = eth_order(&dan.client, "0.5").await;
    assert_ne!(second["depositAddress"], a1.as_str());
    // Rested: a small order gets the recycled one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let third = eth_order(&dan.client, "0.5").await;
    assert_eq!(third["depositAddress"], a1.as_str(), "{third}");
    // At the rotation threshold an order never gets a used address.
    expire(&server, &dan.client, &third).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let large = eth_order(&dan.client, "6").await;
    let fresh = large["depositAddress"].as_str().unwrap();
    assert!(
        fresh != a1 && fresh != second["depositAddress"].as_str().unwrap(),
        "{large}"
    );
    let db = db(&server).await;
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM exchange_orders WHERE deposit_address = '{fresh}'")
        )
        .await,
        1,
        "never used before"
    );
    server.stop().await;
}
