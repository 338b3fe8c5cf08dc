//! Custody (issue 14), deposits: each user's own deposit address (from the
//! pool, stable, never another's nor an order's), deposits reported by the
//! signed chain webhook and credited exactly once after the currency's
//! confirmations, unknown addresses recorded and flagged, exact 18-decimal
//! balances through GraphQL and SQL, and who sees which address, deposit
//! and withdrawal. Withdrawals are in `custody_withdrawals.rs`.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::exchange::{deliver, deposit, market, place, server, BTC_ADDR, ETH_ADDR};
use crate::storage::{count, db};
use crate::support::gql::{Client, Reply};
use crate::support::personas::Persona;
use crate::support::TestServer;

pub(crate) const ADDRESS_FIELDS: &str = "id currency address totalReceived lastActivityAt createdAt";
pub(crate) const DEPOSIT_FIELDS: &str = "id currency txHash address amount confirmations confirmationsRequired \
    credited creditedAt matched userId createdAt";
pub(crate) const WITHDRAWAL_FIELDS: &str = "id status currency amount fee total destinationAddress txHash \
    statusReason usdValue approvalRequestId userId createdAt updatedAt sentAt dispatchedAt";
/// ETH's confirmations as seeded: a deposit reported with these is credited.
pub(crate) const ETH_CONFIRMATIONS: u32 = 12;

/// A decimal string of the API as a number.
pub(crate) fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("{v} is not a decimal: {e}"))
}

pub(crate) fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The first row's first column as text.
pub(crate) async fn text(db: &DatabaseConnection, sql: &str) -> String {
    db.query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
        .await
        .expect("query")
        .expect("a row")
        .try_get_by_index::<Option<String>>(0)
        .expect("a text column")
        .unwrap_or_default()
}

/// `viewer { depositAddress(currency) }`, whatever it answers.
pub(crate) async fn ask_address(client: &Client, currency: &str) -> Reply {
    client
        .run(
            &format!("query($c: String!) {{ viewer {{ depositAddress(currency: $c) {{ {ADDRESS_FIELDS} }} }} }}"),
            json!({"c": currency}),
        )
        .await
}

/// The persona's deposit address object in `currency`.
pub(crate) async fn address_of(p: &Persona, currency: &str) -> Value {
    let r = ask_address(&p.client, currency).await;
    let a = r.data()["viewer"]["depositAddress"].clone();
    assert!(a["address"].is_string(), "{:?}", r.body);
    a
}

/// The persona's deposit address in `currency`, as a string.
pub(crate) async fn address(p: &Persona, currency: &str) -> String {
    address_of(p, currency).await["address"].as_str().unwrap().to_string()
}

/// Credits `amount` ETH to `p` through a confirmed deposit `tx` to their address.
pub(crate) async fn fund(server: &TestServer, p: &Persona, tx: &str, amount: &str) {
    let to = address(p, "ETH").await;
    let (s, b) = deliver(server, "ETH", deposit(&to, tx, amount, ETH_CONFIRMATIONS)).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("applied")), "{b}");
}

/// `viewerWallet(currency)` with its balance, held and available amounts.
pub(crate) async fn wallet(client: &Client, currency: &str) -> Value {
    client
        .data(
            "query($c: String!) { viewerWallet(currency: $c) { balance held available } }",
            json!({"c": currency}),
        )
        .await["viewerWallet"]
        .clone()
}

/// (balance, held, available) of the viewer's wallet in `currency`.
pub(crate) async fn amounts(client: &Client, currency: &str) -> (Decimal, Decimal, Decimal) {
    let w = wallet(client, currency).await;
    (dec(&w["balance"]), dec(&w["held"]), dec(&w["available"]))
}

/// The viewer's newest ledger entries in `currency`.
pub(crate) async fn ledger(client: &Client, currency: &str) -> Vec<Value> {
    let d = client
        .data(
            "query($c: String!) { viewerWallet(currency: $c) { ledger(first: 20) { edges { node \
             { entryType amount balanceAfter referenceType referenceId } } } } }",
            json!({"c": currency}),
        )
        .await;
    d["viewerWallet"]["ledger"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// `cryptoDeposits(filter)`, whatever it answers.
pub(crate) async fn deposits(client: &Client, filter: Value) -> Reply {
    client
        .run(
            &format!(
                "query($f: CryptoDepositFilter) {{ cryptoDeposits(filter: $f, first: 50) {{ totalCount \
                 edges {{ node {{ {DEPOSIT_FIELDS} }} }} }} }}"
            ),
            json!({"f": filter}),
        )
        .await
}

/// The nodes of a `cryptoDeposits` or `withdrawals` reply.
pub(crate) fn nodes(r: &Reply, field: &str) -> Vec<Value> {
    r.data()[field]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a connection: {:?}", r.body))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// `withdrawals(filter)`, whatever it answers.
pub(crate) async fn withdrawals(client: &Client, filter: Value) -> Reply {
    client
        .run(
            &format!(
                "query($f: WithdrawalFilter) {{ withdrawals(filter: $f, first: 50) {{ totalCount \
                 edges {{ node {{ {WITHDRAWAL_FIELDS} }} }} }} }}"
            ),
            json!({"f": filter}),
        )
        .await
}

/// `withdrawal(id)` as `client` sees it (null when out of reach).
pub(crate) async fn withdrawal(client: &Client, id: &str) -> Value {
    client
        .data(
            &format!("query($id: ID!) {{ withdrawal(id: $id) {{ {WITHDRAWAL_FIELDS} }} }}"),
            json!({"id": id}),
        )
        .await["withdrawal"]
        .clone()
}

/// `requestWithdrawal` of ETH, whatever it answers.
pub(crate) async fn request(client: &Client, amount: &str, destination: &str, key: &str) -> Reply {
    client
        .run(
            &format!(
                "mutation($i: RequestWithdrawalInput!) {{ requestWithdrawal(input: $i) {{ replayed \
                 withdrawal {{ {WITHDRAWAL_FIELDS} }} }} }}"
            ),
            json!({"i": {"currency": "ETH", "amount": amount, "destinationAddress": destination, "idempotencyKey": key}}),
        )
        .await
}

/// A withdrawal of `amount` ETH to [`ETH_ADDR`] that must be accepted.
pub(crate) async fn withdraw(client: &Client, amount: &str, key: &str) -> Value {
    let r = request(client, amount, ETH_ADDR, key).await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    assert_eq!(r.data()["requestWithdrawal"]["replayed"], false, "{:?}", r.body);
    r.data()["requestWithdrawal"]["withdrawal"].clone()
}

/// Sets `base`→`quote` at `rate` as `admin`.
pub(crate) async fn set_rate(admin: &Persona, base: &str, quote: &str, rate: &str) {
    let r = admin
        .client
        .run(
            "mutation($i: SetExchangeRateInput!) { setExchangeRate(input: $i) { rate { rate } } }",
            json!({"i": {"baseCurrency": base, "quoteCurrency": quote, "rate": rate}}),
        )
        .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
}

/// Changes a currency's settings as `admin` (`input` without the code).
pub(crate) async fn update_currency(admin: &Persona, code: &str, mut input: Value) {
    input["code"] = json!(code);
    let r = admin
        .client
        .run(
            "mutation($i: UpdateExchangeCurrencyInput!) { updateExchangeCurrency(input: $i) { currency { code } } }",
            json!({"i": input}),
        )
        .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
}

/// Sets the withdrawal thresholds (USD) as `admin`.
pub(crate) async fn set_thresholds(admin: &Persona, kyc: &str, approval: &str) {
    let r = admin
        .client
        .run(
            "mutation($i: SetWithdrawalThresholdsInput!) { setWithdrawalThresholds(input: $i) { thresholds { kycUsd approvalUsd } } }",
            json!({"i": {"kycUsd": kyc, "approvalUsd": approval}}),
        )
        .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let t = &r.data()["setWithdrawalThresholds"]["thresholds"];
    assert_eq!(
        (dec(&t["kycUsd"]), dec(&t["approvalUsd"])),
        (d(kyc), d(approval)),
        "{t}"
    );
}

/// The viewer's notifications, newest first.
pub(crate) async fn notifications(client: &Client) -> Vec<Value> {
    client
        .data(
            "{ viewerNotifications(first: 20) { edges { node { kind title body relatedEntityType relatedEntityId } } } }",
            json!({}),
        )
        .await["viewerNotifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// SQL: the user's ledger entries of `reference_type` in ETH.
pub(crate) async fn ledger_rows(db: &DatabaseConnection, user: &str, reference_type: &str) -> i64 {
    count(
        db,
        &format!(
            "SELECT count(*) FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id \
             WHERE w.user_id = '{user}' AND w.currency = 'ETH' AND l.reference_type = '{reference_type}'"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deposit_address_is_the_users_own_stable_from_the_pool_and_never_another_users_or_an_orders() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    market(&admin, "20", "0").await;
    set_rate(&admin, "ETH", "BTC", "0.05").await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    let ann = server.customer("ann").await;
    let ben = server.customer("ben").await;

    // Orders holding pool addresses before anyone asks for a deposit address.
    let eth_order = |c: Client| async move {
        let r = place(
            &c,
            json!({"fromCurrency": "ETH", "toCurrency": "BTC", "fromAmount": "0.5", "rateType": "FLOAT",
                   "receivingAddress": BTC_ADDR, "refundAddress": ETH_ADDR}),
        )
        .await;
        assert_eq!(r.error_code(), None, "{:?}", r.body);
        r.data()["createExchangeOrder"]["order"]["depositAddress"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut order_addresses = Vec::new();
    for _ in 0..3 {
        order_addresses.push(eth_order(ann.client.clone()).await);
    }

    let first = address_of(&ann, "ETH").await;
    assert_eq!(first["currency"], "ETH", "{first}");
    assert!(first["id"].is_string() && first["createdAt"].is_string(), "{first}");
    assert_eq!(dec(&first["totalReceived"]), Decimal::ZERO, "{first}");
    assert_eq!(first["lastActivityAt"], Value::Null, "no activity yet: {first}");
    let ann_eth = first["address"].as_str().unwrap().to_string();
    assert!(
        ann_eth.starts_with("0x") && ann_eth.len() == 42,
        "an ETH address: {ann_eth}"
    );
    // The same answer on every ask.
    for _ in 0..3 {
        assert_eq!(address_of(&ann, "ETH").await, first);
    }
    let ben_eth = address(&ben, "ETH").await;
    assert_ne!(
        ben_eth.to_lowercase(),
        ann_eth.to_lowercase(),
        "two users, two addresses"
    );
    let ann_btc = address_of(&ann, "BTC").await;
    assert_eq!(ann_btc["currency"], "BTC");
    assert_ne!(ann_btc["address"], first["address"]);
    assert!(
        !order_addresses
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&ann_eth) || o.eq_ignore_ascii_case(&ben_eth)),
        "an order's address was given as a deposit address: {order_addresses:?}"
    );

    // Ten concurrent first asks of a fresh user: one address.
    let cat = server.customer("cat").await;
    let asks = futures::future::join_all((0..10).map(|_| ask_address(&cat.client, "ETH"))).await;
    let mut seen: Vec<String> = asks
        .iter()
        .map(|r| {
            r.data()["viewer"]["depositAddress"]["address"]
                .as_str()
                .unwrap_or_else(|| panic!("{:?}", r.body))
                .to_string()
        })
        .collect();
    seen.dedup();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM deposit_addresses WHERE user_id = '{}'", cat.id)
        )
        .await,
        1
    );

    // From the pool: a never-used pool row given to the user for good.
    for (p, a) in [(&ann, &ann_eth), (&ben, &ben_eth), (&cat, &seen[0])] {
        assert_eq!(
            count(
                &db,
                &format!(
                    "SELECT count(*) FROM rotating_addresses WHERE currency = 'ETH' AND lower(address) = lower('{a}') \
                     AND dedicated_user_id = '{}' AND order_id IS NULL AND last_order_id IS NULL",
                    p.id
                )
            )
            .await,
            1,
            "{a} is {}'s pool address",
            p.email
        );
    }
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM rotating_addresses WHERE dedicated_user_id = '{}'",
                cat.id
            )
        )
        .await,
        1,
        "the concurrent asks dedicated one pool address"
    );
    // Orders placed now never get a deposit address.
    for _ in 0..3 {
        order_addresses.push(eth_order(ben.client.clone()).await);
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM exchange_orders o JOIN deposit_addresses d ON lower(o.deposit_address) = lower(d.address)"
        )
        .await,
        0,
        "an order shares a deposit address"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT lower(address) FROM deposit_addresses GROUP BY 1 HAVING count(*) > 1) x"
        )
        .await,
        0
    );

    // A currency not on a chain has none.
    for c in ["TRC", "INR"] {
        let r = ask_address(&ann.client, c).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{c}: {:?}", r.body);
    }
    // Another user's object never shows their address (an admin reads Ann).
    let other = admin
        .client
        .data(
            "query($id: ID!) { user(id: $id) { id depositAddress(currency: \"ETH\") { address } } }",
            json!({"id": ann.id}),
        )
        .await;
    assert_eq!(other["user"]["id"], ann.id.as_str(), "{other}");
    assert_eq!(other["user"]["depositAddress"], Value::Null, "{other}");
    assert!(!other.to_string().to_lowercase().contains(&ann_eth.to_lowercase()));
    let never_asked = server.customer("never").await;
    admin
        .client
        .data(
            "query($id: ID!) { user(id: $id) { depositAddress(currency: \"ETH\") { address } } }",
            json!({"id": never_asked.id}),
        )
        .await;
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM deposit_addresses WHERE user_id = '{}'",
                never_asked.id
            )
        )
        .await,
        0,
        "asking on another's object creates nothing"
    );

    // Our deposit address is refused as an order's receiving address ...
    let r = place(
        &ann.client,
        json!({"fromCurrency": "BTC", "toCurrency": "ETH", "fromAmount": "0.1", "rateType": "FLOAT",
               "receivingAddress": ann_eth, "refundAddress": BTC_ADDR}),
    )
    .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    assert_eq!(
        r.body["errors"][0]["extensions"]["fields"][0], "receivingAddress",
        "{:?}",
        r.body
    );
    // ... and as a withdrawal's destination, Ann's own or Ben's.
    fund(&server, &ann, "0xfund-ann", "1").await;
    for ours in [&ann_eth, &ben_eth, &order_addresses[0]] {
        let r = request(&ann.client, "0.1", ours, &format!("to-{ours}")).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{ours}: {:?}", r.body);
        assert_eq!(
            r.body["errors"][0]["extensions"]["fields"][0], "destinationAddress",
            "{:?}",
            r.body
        );
    }
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM withdrawals WHERE user_id = '{}'", ann.id)
        )
        .await,
        0
    );
    assert_eq!(
        amounts(&ann.client, "ETH").await,
        (d("1"), d("0"), d("1")),
        "nothing held"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deposit_is_credited_once_after_its_confirmations_however_often_it_is_reported() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    update_currency(&admin, "ETH", json!({"confirmationsRequired": 3})).await;
    let dan = server.customer("dan").await;
    let to = address(&dan, "ETH").await;

    // Below the confirmations: recorded, not credited.
    for confirmations in [1, 2] {
        let (s, b) = deliver(&server, "ETH", deposit(&to, "0xdep-1", "1.5", confirmations)).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("recorded")), "{b}");
    }
    assert_eq!(amounts(&dan.client, "ETH").await, (d("0"), d("0"), d("0")));
    let r = deposits(&dan.client, json!(null)).await;
    assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 1, "{:?}", r.body);
    let pending = nodes(&r, "cryptoDeposits")[0].clone();
    assert_eq!(pending["credited"], false, "{pending}");
    assert_eq!(pending["creditedAt"], Value::Null, "{pending}");
    assert_eq!(pending["confirmations"], 2, "{pending}");
    assert_eq!(pending["confirmationsRequired"], 3, "{pending}");
    assert_eq!(pending["matched"], "WALLET", "{pending}");
    assert_eq!(pending["userId"], dan.id.as_str(), "{pending}");
    assert_eq!(pending["txHash"], "0xdep-1", "{pending}");
    assert_eq!(pending["currency"], "ETH", "{pending}");
    assert!(
        pending["address"].as_str().unwrap().eq_ignore_ascii_case(&to),
        "{pending}"
    );
    assert_eq!(dec(&pending["amount"]), d("1.5"), "{pending}");
    assert_eq!(ledger_rows(&db, &dan.id, "DEPOSIT").await, 0);

    // Ten concurrent reports with enough confirmations: one credit.
    let hits =
        futures::future::join_all((0..10).map(|_| deliver(&server, "ETH", deposit(&to, "0xdep-1", "1.5", 3)))).await;
    assert!(hits.iter().all(|(s, _)| *s == 200), "{hits:?}");
    assert_eq!(
        hits.iter().filter(|(_, b)| b["status"] == "applied").count(),
        1,
        "{hits:?}"
    );
    assert_eq!(ledger_rows(&db, &dan.id, "DEPOSIT").await, 1);
    assert_eq!(amounts(&dan.client, "ETH").await, (d("1.5"), d("0"), d("1.5")));
    let mine = address_of(&dan, "ETH").await;
    assert_eq!(dec(&mine["totalReceived"]), d("1.5"), "{mine}");
    assert!(mine["lastActivityAt"].is_string(), "{mine}");
    let credited = nodes(&deposits(&dan.client, json!(null)).await, "cryptoDeposits")[0].clone();
    assert_eq!(credited["id"], pending["id"], "one deposit: {credited}");
    assert_eq!(credited["credited"], true, "{credited}");
    assert!(credited["creditedAt"].is_string(), "{credited}");
    let entries = ledger(&dan.client, "ETH").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["entryType"], "CREDIT");
    assert_eq!(entries[0]["referenceType"], "DEPOSIT");
    assert_eq!(entries[0]["referenceId"], pending["id"], "the entry names its deposit");
    assert_eq!(dec(&entries[0]["amount"]), d("1.5"));
    assert_eq!(dec(&entries[0]["balanceAfter"]), d("1.5"));

    // Later reports, with more confirmations, change nothing.
    for confirmations in [3, 4, 30] {
        let (s, b) = deliver(&server, "ETH", deposit(&to, "0xdep-1", "1.5", confirmations)).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("recorded")), "{b}");
    }
    assert_eq!(ledger_rows(&db, &dan.id, "DEPOSIT").await, 1);
    assert_eq!(amounts(&dan.client, "ETH").await, (d("1.5"), d("0"), d("1.5")));
    assert_eq!(dec(&address_of(&dan, "ETH").await["totalReceived"]), d("1.5"));
    assert_eq!(
        count(&db, "SELECT count(*) FROM chain_transactions WHERE tx_hash = '0xdep-1'").await,
        1
    );
    // The same hash with another amount is a conflict, and credits nothing.
    let (s, b) = deliver(&server, "ETH", deposit(&to, "0xdep-1", "2.5", 5)).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(amounts(&dan.client, "ETH").await.0, d("1.5"));

    // The owner is told once.
    let told: Vec<Value> = notifications(&dan.client)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "DEPOSIT")
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["relatedEntityType"], "CRYPTO_DEPOSIT", "{told:?}");
    assert_eq!(told[0]["relatedEntityId"], pending["id"], "{told:?}");

    // A second deposit, confirmed at once, adds up.
    let (s, b) = deliver(&server, "ETH", deposit(&to, "0xdep-2", "0.25", 3)).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("applied")), "{b}");
    assert_eq!(amounts(&dan.client, "ETH").await, (d("1.75"), d("0"), d("1.75")));
    assert_eq!(dec(&address_of(&dan, "ETH").await["totalReceived"]), d("1.75"));
    let r = deposits(&dan.client, json!({"credited": true})).await;
    assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 2, "{:?}", r.body);
    let r = deposits(&dan.client, json!({"credited": false})).await;
    assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 0, "{:?}", r.body);
    assert_eq!(ledger_rows(&db, &dan.id, "DEPOSIT").await, 2);
    server.stop().await;
}

#[tokio::test]
async fn a_deposit_to_an_unknown_address_is_recorded_and_flagged_for_staff_and_credits_nothing() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    market(&admin, "20", "0").await;
    let finance = server.with_role(&admin, "finance", "fin").await;
    let eve = server.customer("eve").await;
    fund(&server, &eve, "0xknown-1", "2").await;
    // An exchange order's deposit is the order's, not a wallet deposit.
    let (order, _) = crate::exchange::float_order(&eve.client, "0.1").await;
    let (s, b) = deliver(
        &server,
        "BTC",
        deposit(order["depositAddress"].as_str().unwrap(), "btc-order-1", "0.1", 1),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    let (s, b) = deliver(&server, "ETH", deposit(ETH_ADDR, "0xunknown-1", "3", 50)).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("recorded")), "{b}");
    // Replayed: still one record.
    let (s, b) = deliver(&server, "ETH", deposit(ETH_ADDR, "0xunknown-1", "3", 60)).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("recorded")), "{b}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM chain_transactions WHERE tx_hash = '0xunknown-1' AND matched = 'UNKNOWN' AND credited_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM wallet_ledger WHERE reference_type = 'DEPOSIT'"
        )
        .await,
        1,
        "only Eve's own deposit was credited"
    );
    assert_eq!(amounts(&eve.client, "ETH").await, (d("2"), d("0"), d("2")));

    // Staff see it flagged; finance and admins alike.
    for staff in [&finance, &admin] {
        let r = deposits(&staff.client, json!({"flagged": true})).await;
        assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 1, "{:?}", r.body);
        let flagged = nodes(&r, "cryptoDeposits")[0].clone();
        assert_eq!(flagged["matched"], "UNKNOWN", "{flagged}");
        assert_eq!(flagged["txHash"], "0xunknown-1", "{flagged}");
        assert_eq!(flagged["userId"], Value::Null, "{flagged}");
        assert_eq!(flagged["credited"], false, "{flagged}");
        assert_eq!(dec(&flagged["amount"]), d("3"), "{flagged}");
        let all = deposits(&staff.client, json!(null)).await;
        assert_eq!(
            all.data()["cryptoDeposits"]["totalCount"],
            2,
            "the wallet and the unknown deposit: {:?}",
            all.body
        );
        assert!(
            !all.body.to_string().contains("btc-order-1"),
            "an order's deposit is no wallet deposit"
        );
        let eth = deposits(&staff.client, json!({"currency": "ETH", "userId": eve.id})).await;
        let only = nodes(&eth, "cryptoDeposits");
        assert_eq!(only.len(), 1, "{:?}", eth.body);
        assert_eq!(only[0]["txHash"], "0xknown-1");
    }
    // A customer sees only their own, never the unknown one.
    let r = deposits(&eve.client, json!(null)).await;
    assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 1, "{:?}", r.body);
    assert_eq!(nodes(&r, "cryptoDeposits")[0]["txHash"], "0xknown-1");
    let r = deposits(&eve.client, json!({"flagged": true})).await;
    assert!(!r.body.to_string().contains("0xunknown-1"), "{:?}", r.body);
    if r.error_code().is_none() {
        assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 0, "{:?}", r.body);
    } else {
        assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_thousand_eth_and_one_wei_are_exact_in_graphql_and_in_sql() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    let fay = server.customer("fay").await;
    fund(&server, &fay, "0xbig", "1000").await;
    fund(&server, &fay, "0xwei", "0.000000000000000001").await;

    let w = wallet(&fay.client, "ETH").await;
    assert_eq!(w["balance"], "1000.000000000000000001", "{w}");
    assert_eq!(w["available"], "1000.000000000000000001", "{w}");
    assert_eq!(dec(&w["held"]), Decimal::ZERO, "{w}");
    let of_fay = format!("w.user_id = '{}' AND w.currency = 'ETH'", fay.id);
    assert_eq!(
        text(&db, &format!("SELECT w.balance::text FROM wallets w WHERE {of_fay}")).await,
        "1000000000000000000001",
        "wei, stored exactly"
    );
    assert_eq!(
        text(
            &db,
            &format!(
                "SELECT sum(CASE l.entry_type WHEN 'CREDIT' THEN l.amount ELSE -l.amount END)::text \
                 FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id WHERE {of_fay}"
            )
        )
        .await,
        "1000000000000000000001"
    );
    assert_eq!(
        text(
            &db,
            &format!(
                "SELECT l.balance_after::text FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id \
                 WHERE {of_fay} ORDER BY l.created_at DESC, l.id DESC LIMIT 1"
            )
        )
        .await,
        "1000000000000000000001"
    );
    let entries = ledger(&fay.client, "ETH").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["amount"], "0.000000000000000001", "{entries:?}");
    assert_eq!(entries[0]["balanceAfter"], "1000.000000000000000001", "{entries:?}");
    assert_eq!(dec(&entries[1]["amount"]), d("1000"), "{entries:?}");
    assert_eq!(dec(&entries[1]["balanceAfter"]), d("1000"), "{entries:?}");
    assert_eq!(
        dec(&address_of(&fay, "ETH").await["totalReceived"]),
        d("1000.000000000000000001")
    );
    let r = deposits(&fay.client, json!(null)).await;
    let mut amounts_seen: Vec<Decimal> = nodes(&r, "cryptoDeposits").iter().map(|n| dec(&n["amount"])).collect();
    amounts_seen.sort();
    assert_eq!(amounts_seen, [d("0.000000000000000001"), d("1000")]);

    // A one-wei withdrawal: its fee rounds up to one wei; two wei are held.
    let w1 = withdraw(&fay.client, "0.000000000000000001", "one-wei").await;
    assert_eq!(dec(&w1["fee"]), d("0.000000000000000001"), "{w1}");
    assert_eq!(dec(&w1["total"]), d("0.000000000000000002"), "{w1}");
    let w = wallet(&fay.client, "ETH").await;
    assert_eq!(w["balance"], "1000.000000000000000001", "{w}");
    assert_eq!(w["available"], "999.999999999999999999", "{w}");
    assert_eq!(dec(&w["held"]), d("0.000000000000000002"), "{w}");
    assert_eq!(
        text(&db, &format!("SELECT w.held::text FROM wallets w WHERE {of_fay}")).await,
        "2"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_never_sees_another_customers_address_deposits_or_withdrawals() {
    let server = server().await;
    let admin = server.admin().await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    let finance = server.with_role(&admin, "finance", "fin").await;
    let gus = server.customer("gus").await;
    let hal = server.customer("hal").await;
    let gus_addr = address(&gus, "ETH").await;
    fund(&server, &gus, "0xgus-secret-deposit", "1").await;
    let w = withdraw(&gus.client, "0.1", "gus-1").await;
    let wid = w["id"].as_str().unwrap().to_string();
    assert_eq!(w["userId"], gus.id.as_str(), "{w}");
    assert_eq!(w["status"], "APPROVED", "below both thresholds: {w}");

    // Gus sees his own.
    assert_eq!(withdrawal(&gus.client, &wid).await["id"], wid.as_str());
    let r = withdrawals(&gus.client, json!(null)).await;
    assert_eq!(r.data()["withdrawals"]["totalCount"], 1, "{:?}", r.body);
    let r = deposits(&gus.client, json!(null)).await;
    assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 1, "{:?}", r.body);

    // Hal sees none of it, however he asks.
    let hal_addr = address(&hal, "ETH").await;
    assert_ne!(hal_addr.to_lowercase(), gus_addr.to_lowercase());
    assert_eq!(withdrawal(&hal.client, &wid).await, Value::Null);
    let secrets = [gus_addr.to_lowercase(), "0xgus-secret-deposit".to_string(), wid.clone()];
    let leaks = |r: &Reply| {
        let body = r.body.to_string().to_lowercase();
        secrets.iter().find(|s| body.contains(s.as_str())).cloned()
    };
    let r = withdrawals(&hal.client, json!(null)).await;
    assert_eq!(r.data()["withdrawals"]["totalCount"], 0, "{:?}", r.body);
    let r = deposits(&hal.client, json!(null)).await;
    assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 0, "{:?}", r.body);
    for r in [
        withdrawals(&hal.client, json!({"userId": gus.id})).await,
        deposits(&hal.client, json!({"userId": gus.id})).await,
    ] {
        assert_eq!(leaks(&r), None, "{:?}", r.body);
        if r.error_code().is_some() {
            assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
        } else {
            let field = if r.body["data"]["withdrawals"].is_object() {
                "withdrawals"
            } else {
                "cryptoDeposits"
            };
            assert_eq!(r.data()[field]["totalCount"], 0, "{:?}", r.body);
        }
    }
    assert_eq!(amounts(&hal.client, "ETH").await, (d("0"), d("0"), d("0")));
    // Hal cannot fail Gus's withdrawal either.
    let r = hal
        .client
        .run(
            "mutation($id: ID!) { failWithdrawal(input: { id: $id, reason: \"mine now\" }) { withdrawal { status } } }",
            json!({"id": wid}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    assert_eq!(withdrawal(&gus.client, &wid).await["status"], "APPROVED");

    // Finance sees everyone's, with filters.
    assert_eq!(withdrawal(&finance.client, &wid).await["id"], wid.as_str());
    let r = withdrawals(
        &finance.client,
        json!({"userId": gus.id, "currency": "ETH", "status": ["APPROVED"]}),
    )
    .await;
    assert_eq!(r.data()["withdrawals"]["totalCount"], 1, "{:?}", r.body);
    let r = withdrawals(&finance.client, json!({"status": ["SENT", "FAILED"]})).await;
    assert_eq!(r.data()["withdrawals"]["totalCount"], 0, "{:?}", r.body);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let r = withdrawals(&finance.client, json!({"createdFrom": tomorrow})).await;
    assert_eq!(r.data()["withdrawals"]["totalCount"], 0, "{:?}", r.body);
    let r = withdrawals(
        &finance.client,
        json!({"createdFrom": yesterday, "createdTo": tomorrow}),
    )
    .await;
    assert_eq!(r.data()["withdrawals"]["totalCount"], 1, "{:?}", r.body);
    let r = deposits(&finance.client, json!({"userId": gus.id})).await;
    assert_eq!(r.data()["cryptoDeposits"]["totalCount"], 1, "{:?}", r.body);
    server.stop().await;
}
