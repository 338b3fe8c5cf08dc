//! Wallets through GraphQL: credits, debits, idempotency and the ledger
//! invariants under concurrency, the ledger connection, the live
//! subscription, and a ledger the database itself keeps immutable.

use std::collections::HashSet;

use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::support::personas::Persona;
use crate::support::TestServer;
use crate::websocket::{connect, init, recv, send};

const CREDIT: &str = "mutation($i: CreditWalletInput!) { creditWallet(input: $i) { replayed wallet { balance } entry { id amount balanceAfter entryType } } }";
const DEBIT: &str = "mutation($i: DebitWalletInput!) { debitWallet(input: $i) { replayed wallet { balance } entry { id amount balanceAfter } } }";

async fn credit(finance: &Persona, user: &str, amount: &str, key: &str) -> Value {
    finance
        .client
        .data(
            CREDIT,
            json!({"i": {"userId": user, "amount": amount, "referenceType": "BONUS", "idempotencyKey": key}}),
        )
        .await["creditWallet"]
        .clone()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// Every wallet's balance equals credits minus debits and its last
/// `balance_after`, and every `balance_after` follows from the one before.
async fn assert_ledger_invariants(db: &DatabaseConnection) {
    let broken_sums = scalar(
        db,
        "SELECT count(*) FROM wallets w WHERE w.balance <> coalesce((SELECT sum(CASE entry_type WHEN 'CREDIT' THEN amount ELSE -amount END) \
         FROM wallet_ledger l WHERE l.wallet_id = w.id), 0)",
    )
    .await;
    assert_eq!(broken_sums, 0, "a wallet's balance differs from its ledger sum");
    let broken_chain = scalar(
        db,
        "SELECT count(*) FROM (SELECT balance_after, lag(balance_after, 1, 0::bigint) OVER w AS prev, entry_type, amount \
         FROM wallet_ledger WINDOW w AS (PARTITION BY wallet_id ORDER BY created_at, id)) x \
         WHERE balance_after <> prev + CASE entry_type WHEN 'CREDIT' THEN amount ELSE -amount END",
    )
    .await;
    assert_eq!(broken_chain, 0, "a balance_after does not follow from the previous one");
    let broken_last = scalar(
        db,
        "SELECT count(*) FROM wallets w WHERE EXISTS (SELECT 1 FROM wallet_ledger l WHERE l.wallet_id = w.id) \
         AND w.balance <> (SELECT balance_after FROM wallet_ledger l WHERE l.wallet_id = w.id ORDER BY created_at DESC, id DESC LIMIT 1)",
    )
    .await;
    assert_eq!(broken_last, 0, "a balance differs from its last balance_after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_debits_of_a_hundred_coins() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let alice = server.customer("alice").await;
    credit(&finance, &alice.id, "100", "seed").await;

    let mut tasks = Vec::new();
    for i in 0..200 {
        let c = alice.client.clone();
        tasks.push(tokio::spawn(async move {
            c.run(
                DEBIT,
                json!({"i": {"amount": "1", "referenceType": "LEAD", "idempotencyKey": format!("debit-{i}")}}),
            )
            .await
        }));
    }
    let (mut ok, mut broke) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match r.error_code() {
            None => ok += 1,
            Some("INSUFFICIENT_FUNDS") => broke += 1,
            other => panic!("unexpected answer {other:?}: {}", r.body),
        }
    }
    println!("200 concurrent debits of 1 TRC from 100 TRC: {ok} succeeded, {broke} refused");
    assert_eq!((ok, broke), (100, 100));
    let w = alice.client.data("{ wallet { balance } }", json!({})).await;
    assert_eq!(w["wallet"]["balance"], "0");
    let db = Database::connect(&server.database_url).await.unwrap();
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM wallet_ledger WHERE entry_type = 'DEBIT'").await,
        100
    );
    assert_ledger_invariants(&db).await;
    // Every movement left an audit row in its transaction.
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM audit_logs WHERE module_key = 'WALLET'").await,
        scalar(&db, "SELECT count(*) FROM wallet_ledger").await
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_concurrent_movements_across_twenty_wallets_keep_every_invariant() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let mut people = Vec::new();
    for i in 0..20 {
        let p = server.customer(&format!("w{i}")).await;
        credit(&finance, &p.id, "50", &format!("seed-{i}")).await;
        people.push(p);
    }
    let mut tasks = Vec::new();
    for n in 0..300 {
        let (who, amount, is_credit) = {
            let mut rng = rand::thread_rng();
            (rng.gen_range(0..20usize), rng.gen_range(1..=30), rng.gen_bool(0.3))
        };
        let p = people[who].clone();
        let f = finance.clone();
        tasks.push(tokio::spawn(async move {
            if is_credit {
                f.client
                    .run(
                        CREDIT,
                        json!({"i": {"userId": p.id, "amount": amount.to_string(), "referenceType": "BONUS", "idempotencyKey": format!("c-{n}")}}),
                    )
                    .await
            } else {
                p.client
                    .run(
                        DEBIT,
                        json!({"i": {"amount": amount.to_string(), "referenceType": "JOB", "idempotencyKey": format!("d-{n}")}}),
                    )
                    .await
            }
        }));
    }
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.error_code() {
            None => {}
            Some("INSUFFICIENT_FUNDS") => refused += 1,
            other => panic!("unexpected answer {other:?}: {}", r.body),
        }
    }
    println!("300 random movements across 20 wallets: {refused} debits refused for funds");
    let db = Database::connect(&server.database_url).await.unwrap();
    assert_ledger_invariants(&db).await;
    assert_eq!(scalar(&db, "SELECT count(*) FROM wallets WHERE balance < 0").await, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_conflict_and_race() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let bob = server.customer("bob").await;
    let first = credit(&finance, &bob.id, "40", "grant-1").await;
    assert_eq!(first["replayed"], false);
    // A replay returns the first result and writes nothing.
    let again = credit(&finance, &bob.id, "40", "grant-1").await;
    assert_eq!(again["replayed"], true);
    assert_eq!(again["entry"]["id"], first["entry"]["id"]);
    assert_eq!(again["wallet"]["balance"], "40");
    // The same key with a different input is a conflict.
    let r = finance
        .client
        .run(
            CREDIT,
            json!({"i": {"userId": bob.id, "amount": "41", "referenceType": "BONUS", "idempotencyKey": "grant-1"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["idempotencyKey"]));

    // Twenty concurrent uses of one key: one posting, one original answer.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = bob.client.clone();
        tasks.push(tokio::spawn(async move {
            c.data(
                DEBIT,
                json!({"i": {"amount": "3", "referenceType": "LEAD", "idempotencyKey": "unlock-7"}}),
            )
            .await["debitWallet"]
                .clone()
        }));
    }
    let mut ids = HashSet::new();
    let mut originals = 0;
    for t in tasks {
        let d = t.await.unwrap();
        ids.insert(d["entry"]["id"].as_str().unwrap().to_string());
        if d["replayed"] == false {
            originals += 1;
        }
    }
    assert_eq!(ids.len(), 1, "every retry saw the same entry");
    assert_eq!(originals, 1);
    let w = bob.client.data("{ wallet { balance } }", json!({})).await;
    assert_eq!(w["wallet"]["balance"], "37");

    // A debit beyond the balance writes nothing.
    let db = Database::connect(&server.database_url).await.unwrap();
    let rows = scalar(&db, "SELECT count(*) FROM wallet_ledger").await;
    let r = bob
        .client
        .run(
            DEBIT,
            json!({"i": {"amount": "38", "referenceType": "LEAD", "idempotencyKey": "too-much"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("INSUFFICIENT_FUNDS"));
    assert_eq!(scalar(&db, "SELECT count(*) FROM wallet_ledger").await, rows);
    // Bad amounts name the field.
    for amount in ["0", "-5", "1.5"] {
        let r = bob
            .client
            .run(
                DEBIT,
                json!({"i": {"amount": amount, "referenceType": "LEAD", "idempotencyKey": format!("bad-{amount}")}}),
            )
            .await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{amount}: {}", r.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn ledger_pages_filters_authorization_and_immutability() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let carol = server.customer("carol").await;
    credit(&finance, &carol.id, "100", "c1").await;
    for (i, (amount, kind)) in [("5", "LEAD"), ("7", "JOB"), ("9", "LEAD")].iter().enumerate() {
        carol
            .client
            .data(
                DEBIT,
                json!({"i": {"amount": amount, "referenceType": kind, "idempotencyKey": format!("k{i}")}}),
            )
            .await;
    }
    let page = "query($f: LedgerFilter, $after: String) { wallet { balance ledger(first: 2, filter: $f, after: $after) { edges { node { amount balanceAfter referenceType entryType } } pageInfo { hasNextPage endCursor } } } }";
    let p1 = carol.client.data(page, json!({})).await["wallet"].clone();
    assert_eq!(p1["balance"], "79");
    let nodes: Vec<&Value> = p1["ledger"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(nodes[0]["amount"], "9");
    assert_eq!(nodes[0]["balanceAfter"], "79");
    assert_eq!(nodes[1]["balanceAfter"], "88");
    assert_eq!(p1["ledger"]["pageInfo"]["hasNextPage"], true);
    let p2 = carol
        .client
        .data(page, json!({"after": p1["ledger"]["pageInfo"]["endCursor"]}))
        .await["wallet"]["ledger"]
        .clone();
    let rest: Vec<&str> = p2["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["balanceAfter"].as_str().unwrap())
        .collect();
    assert_eq!(rest, vec!["95", "100"]);
    let leads = carol.client.data(page, json!({"f": {"referenceType": "LEAD"}})).await;
    assert_eq!(leads["wallet"]["ledger"]["edges"].as_array().unwrap().len(), 2);
    let credits = carol.client.data(page, json!({"f": {"entryType": "CREDIT"}})).await;
    assert_eq!(credits["wallet"]["ledger"]["edges"].as_array().unwrap().len(), 1);

    // Only finance credits; nobody debits someone else; finance reads any wallet.
    let r = carol
        .client
        .run(
            CREDIT,
            json!({"i": {"userId": carol.id, "amount": "1000", "idempotencyKey": "self"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let w = finance
        .client
        .data(
            "query($u: ID!) { userWallet(userId: $u) { balance } }",
            json!({"u": carol.id}),
        )
        .await;
    assert_eq!(w["userWallet"]["balance"], "79");
    let r = carol
        .client
        .run(
            "query($u: ID!) { userWallet(userId: $u) { balance } }",
            json!({"u": finance.id}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));

    // The database refuses to rewrite history.
    let db = Database::connect(&server.database_url).await.unwrap();
    for sql in [
        "UPDATE wallet_ledger SET amount = 1",
        "DELETE FROM wallet_ledger",
        "TRUNCATE wallet_ledger CASCADE",
    ] {
        let err = db.execute_unprepared(sql).await.expect_err("the ledger is append-only");
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(scalar(&db, "SELECT count(*) FROM wallet_ledger").await, 4);
    server.stop().await;
}

#[tokio::test]
async fn wallet_updates_reach_the_owner_live() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let dan = server.customer("dan").await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", dan.access_token)})).await;
    send(&mut s, json!({"type": "subscribe", "id": "w", "payload": {"query": "subscription { walletUpdated { currency balance } }"}})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    credit(&finance, &dan.id, "25", "live").await;
    let mut m = recv(&mut s).await;
    while m["type"] == "ping" {
        m = recv(&mut s).await;
    }
    assert_eq!(
        m["payload"]["data"]["walletUpdated"],
        json!({"currency": "TRC", "balance": "25"}),
        "{m}"
    );
    server.stop().await;
}

const LEDGER_PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) { viewerWallet { ledger(first: $first, after: $after, last: $last, before: $before) { totalCount edges { cursor node { id balanceAfter } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";

/// Walks a ledger page by page from one end; returns the entry ids in list
/// order (newest first) and the totalCount each page reported.
async fn walk_ledger(p: &Persona, backward: bool) -> (Vec<String>, Vec<i64>) {
    let mut ids = Vec::new();
    let mut totals = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let vars = if backward {
            json!({"last": 7, "before": cursor})
        } else {
            json!({"first": 7, "after": cursor})
        };
        let l = p.client.data(LEDGER_PAGE, vars).await["viewerWallet"]["ledger"].clone();
        totals.push(l["totalCount"].as_i64().expect("totalCount"));
        let mut page: Vec<String> = l["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["id"].as_str().expect("id").to_string())
            .collect();
        assert!(page.len() <= 7);
        let info = &l["pageInfo"];
        if backward {
            page.extend(ids);
            ids = page;
            if info["hasPreviousPage"] != true {
                break;
            }
            cursor = info["startCursor"].as_str().map(str::to_string);
        } else {
            ids.extend(page);
            if info["hasNextPage"] != true {
                break;
            }
            cursor = info["endCursor"].as_str().map(str::to_string);
        }
    }
    (ids, totals)
}

#[tokio::test]
async fn a_ledger_walks_backward_and_forward_with_each_entry_once() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let erin = server.customer("erin").await;
    for i in 1..=25 {
        credit(&finance, &erin.id, &i.to_string(), &format!("walk-{i}")).await;
    }
    let (forward, totals) = walk_ledger(&erin, false).await;
    assert_eq!(forward.len(), 25, "every entry walking forward");
    assert!(totals.iter().all(|t| *t == 25), "{totals:?}");
    let (backward, _) = walk_ledger(&erin, true).await;
    assert_eq!(
        backward, forward,
        "the same entries in the same order from the other end"
    );
    assert_eq!(forward.iter().collect::<HashSet<_>>().len(), 25, "each entry once");

    // The oldest page ends at the first credit and has nothing before it.
    let oldest = erin.client.data(LEDGER_PAGE, json!({"last": 3})).await["viewerWallet"]["ledger"].clone();
    let after: Vec<&str> = oldest["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["balanceAfter"].as_str().unwrap())
        .collect();
    assert_eq!(after, vec!["6", "3", "1"], "newest first within the page");
    assert_eq!(oldest["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(oldest["pageInfo"]["hasNextPage"], false);

    // first and last at once are refused, and so is a page above 100.
    let r = erin.client.run(LEDGER_PAGE, json!({"first": 2, "last": 2})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    let r = erin.client.run(LEDGER_PAGE, json!({"last": 101})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    server.stop().await;
}

#[tokio::test]
async fn the_deprecated_wallet_field_still_answers_like_viewer_wallet() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let fay = server.customer("fay").await;
    credit(&finance, &fay.id, "12", "fay-1").await;
    let d = fay
        .client
        .data(
            "{ wallet { id currency decimals balance } viewerWallet { id currency decimals balance owner { id } ownerId } \
             inr: viewerWallet(currency: \"inr\") { currency decimals balance } }",
            json!({}),
        )
        .await;
    assert_eq!(d["wallet"]["balance"], "12");
    assert_eq!(d["wallet"]["id"], d["viewerWallet"]["id"]);
    assert_eq!(d["viewerWallet"]["currency"], "TRC");
    assert_eq!(d["viewerWallet"]["decimals"], 0);
    assert_eq!(d["viewerWallet"]["owner"]["id"], json!(fay.id));
    assert_eq!(d["viewerWallet"]["ownerId"], json!(fay.id));
    // Currency codes are parsed once at the edge: "inr" is INR, in paise.
    assert_eq!(d["inr"], json!({"currency": "INR", "decimals": 2, "balance": "0.00"}));
    // Query fields resolve concurrently: list the wallets once INR exists.
    let d = fay
        .client
        .data("{ viewerWallets { currency balance } }", json!({}))
        .await;
    assert_eq!(
        d["viewerWallets"],
        json!([{"currency": "INR", "balance": "0.00"}, {"currency": "TRC", "balance": "12"}])
    );
    let r = fay
        .client
        .run("{ viewerWallet(currency: \"rupees!\") { id } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    let r = fay
        .client
        .run("{ viewerWallet(currency: \"XYZ\") { id } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    // The schema says so.
    let s = fay
        .client
        .data(
            "{ __type(name: \"Query\") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }",
            json!({}),
        )
        .await;
    let wallet = s["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "wallet")
        .cloned()
        .expect("wallet field");
    assert_eq!(wallet["isDeprecated"], true);
    assert_eq!(wallet["deprecationReason"], "Use viewerWallet.");
    server.stop().await;
}

#[tokio::test]
async fn mark_notifications_read_returns_the_ones_it_marked() {
    use switchboard::service::notification::{notify_many, Notice, Subject};
    let server = TestServer::start().await;
    let gil = server.customer("gil").await;
    let hal = server.customer("hal").await;
    let gil_id: uuid::Uuid = gil.id.parse().unwrap();
    let hal_id: uuid::Uuid = hal.id.parse().unwrap();
    for i in 0..5 {
        notify_many(
            &server.ctx.db.primary,
            &[gil_id, hal_id],
            Notice {
                kind: entity::enums::NotificationKind::Ticket,
                title: format!("notice {i}"),
                body: "body".into(),
                entity_type: Subject::SupportTicket,
                entity_id: uuid::Uuid::now_v7(),
            },
        )
        .await
        .expect("notify");
    }
    let list = "query($unread: Boolean! = false) { viewerNotifications(first: 10, unreadOnly: $unread) { totalCount nodes { id status relatedEntityType } } }";
    let mine = gil.client.data(list, json!({})).await["viewerNotifications"].clone();
    assert_eq!(mine["totalCount"], 5);
    assert_eq!(mine["nodes"][0]["relatedEntityType"], "SUPPORT_TICKET");
    let ids: Vec<Value> = mine["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    let hals = hal.client.data(list, json!({})).await["viewerNotifications"]["nodes"][0]["id"].clone();

    let mark = "mutation($ids: [ID!]) { markNotificationsRead(input: { ids: $ids }) { count notifications { id status readAt } } }";
    // Two of mine and one of Hal's: only mine are marked and returned.
    let d = gil.client.data(mark, json!({"ids": [ids[0], ids[3], hals]})).await["markNotificationsRead"].clone();
    assert_eq!(d["count"], 2);
    let marked: Vec<&Value> = d["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    assert_eq!(marked, vec![&ids[0], &ids[3]], "the marked ones, newest first");
    assert!(d["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["status"] == "READ" && n["readAt"].is_string()));
    // Marking them again changes (and returns) nothing.
    let again = gil.client.data(mark, json!({"ids": [ids[0]]})).await["markNotificationsRead"].clone();
    assert_eq!(again, json!({"count": 0, "notifications": []}));
    // All the rest: the other three.
    let rest = gil.client.data(mark, json!({})).await["markNotificationsRead"].clone();
    assert_eq!(rest["count"], 3);
    let unread = gil.client.data(list, json!({"unread": true})).await["viewerNotifications"].clone();
    assert_eq!(unread["totalCount"], 0);
    let his = hal.client.data(list, json!({"unread": true})).await["viewerNotifications"].clone();
    assert_eq!(his["totalCount"], 5, "nobody else's were touched");
    server.stop().await;
}
