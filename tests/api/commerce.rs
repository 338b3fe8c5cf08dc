//! Commerce through GraphQL and the webhook endpoint: purchases completed
//! by signed webhooks exactly once (replayed sequentially and
//! concurrently), bad signatures changing nothing, exact pricing (best
//! discount rule, coupon, GST and TCS in paise), coupon rules and a usage
//! limit under 50 concurrent purchases, gap-free invoice numbers, refunds
//! reversing the tracecoin credit, Razorpay and Stripe signature schemes
//! end to end, gateway secrets never leaving the server, and who may do what.

use std::collections::BTreeSet;

use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::support::personas::Persona;
use crate::support::{ServerOptions, TestServer};

const TEST_SECRET: &str = "test-gateway-webhook-secret-0123456789";

const PURCHASE: &str = "mutation($i: PurchasePackageInput!) { purchasePackage(input: $i) { replayed \
    order { id status subtotalInr discountInr taxInr totalInr couponCode items { itemId quantity unitPriceInr } } \
    invoice { id invoiceNumber status totalInr paidAt } payment { id status amountInr gateway } \
    checkout { paymentId gateway amountInr currencyCode params } \
    quote { subtotalInr discountInr taxInr totalInr discountRule { name amountInr } coupon { code amountInr } \
    taxes { taxType rate amountInr } } } }";
const ORDER: &str =
    "query($id: ID!) { order(id: $id) { id status totalInr couponCode invoice { invoiceNumber status paidAt } \
    payments { id status providerPaymentRef paymentMethod completedAt } } }";

async fn server() -> TestServer {
    TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_PAYMENTS_TEST_GATEWAY", "true".into()),
            ("SWITCHBOARD_PAYMENTS_TEST_SECRET", TEST_SECRET.into()),
            ("SWITCHBOARD_DB_MAX_CONNECTIONS", "20".into()),
        ],
        ..Default::default()
    })
    .await
}

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(message);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A test-gateway event body for a payment.
fn test_event(payment_id: &str, amount: i64, event: &str) -> String {
    json!({
        "event": event,
        "paymentId": payment_id,
        "providerRef": format!("test_pay_{payment_id}"),
        "amountInr": amount,
        "currency": "INR",
        "method": "UPI",
    })
    .to_string()
}

/// POSTs a webhook; returns the status and JSON body.
async fn deliver(server: &TestServer, gateway: &str, body: &str, headers: &[(&str, String)]) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(server.url(&format!("/webhooks/payments/{gateway}")))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.expect("webhook sent");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn deliver_test(server: &TestServer, body: &str) -> (u16, Value) {
    let sig = hmac_hex(TEST_SECRET, body.as_bytes());
    deliver(server, "test", body, &[("x-test-gateway-signature", sig)]).await
}

async fn db(server: &TestServer) -> DatabaseConnection {
    Database::connect(&server.database_url).await.expect("connect")
}

/// First column of the first row, as i64.
async fn scalar(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("an i64")
}

fn uuid(v: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(v.as_str().expect("an id")).expect("a uuid")
}

async fn wallet_balance(db: &DatabaseConnection, user: &str) -> i64 {
    scalar(
        db,
        "SELECT COALESCE((SELECT balance FROM wallets WHERE user_id = $1 AND currency = 'TRC'), 0)::bigint",
        vec![uuid(&json!(user)).into()],
    )
    .await
}

async fn ledger_rows(db: &DatabaseConnection, user: &str, reference_type: &str, entry_type: &str) -> i64 {
    scalar(
        db,
        "SELECT count(*) FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id \
         WHERE w.user_id = $1 AND l.reference_type = $2 AND l.entry_type = $3",
        vec![uuid(&json!(user)).into(), reference_type.into(), entry_type.into()],
    )
    .await
}

async fn transactions(db: &DatabaseConnection, payment: &str, kind: &str) -> i64 {
    scalar(
        db,
        "SELECT count(*) FROM payment_transactions WHERE payment_id = $1 AND transaction_type = $2",
        vec![uuid(&json!(payment)).into(), kind.into()],
    )
    .await
}

async fn package(admin: &Persona, name: &str, price: i64, coins: i64) -> String {
    let d = admin
        .client
        .data(
            "mutation($i: CreatePricingPackageInput!) { createPricingPackage(input: $i) { package { id priceInr tracecoinsIncluded isActive } } }",
            json!({"i": {"name": name, "packageType": "TRACECOIN_BUNDLE", "priceInr": price, "tracecoinsIncluded": coins}}),
        )
        .await;
    assert_eq!(d["createPricingPackage"]["package"]["priceInr"], price);
    d["createPricingPackage"]["package"]["id"].as_str().unwrap().to_string()
}

async fn coupon(admin: &Persona, fields: Value) -> String {
    let d = admin
        .client
        .data(
            "mutation($i: CreateCouponInput!) { createCoupon(input: $i) { coupon { id code } } }",
            json!({ "i": fields }),
        )
        .await;
    d["createCoupon"]["coupon"]["id"].as_str().unwrap().to_string()
}

async fn buy(p: &Persona, package: &str, coupon: Option<&str>, key: &str) -> crate::support::gql::Reply {
    p.client
        .run(
            PURCHASE,
            json!({"i": {"packageId": package, "couponCode": coupon, "gateway": "TEST", "idempotencyKey": key}}),
        )
        .await
}

/// The invoice numbers in the database, and the year they should carry.
async fn invoice_numbers(db: &DatabaseConnection) -> (Vec<String>, i64) {
    let year = scalar(db, "SELECT EXTRACT(YEAR FROM now() AT TIME ZONE 'UTC')::bigint", vec![]).await;
    let rows = db
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT invoice_number FROM invoices ORDER BY invoice_number",
        ))
        .await
        .unwrap();
    let numbers = rows
        .iter()
        .map(|r| r.try_get::<String>("", "invoice_number").unwrap())
        .collect();
    (numbers, year)
}

/// Invoice numbers are exactly INV-<year>-000001 .. N: unique, no gaps.
async fn assert_gap_free(db: &DatabaseConnection) {
    let (numbers, year) = invoice_numbers(db).await;
    let expected: Vec<String> = (1..=numbers.len()).map(|n| format!("INV-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected, "invoice numbers must run gap-free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signed_webhook_completes_the_purchase_exactly_once() {
    let server = server().await;
    let admin = server.admin().await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    let db = db(&server).await;
    let pack = package(&admin, "500 tracecoins", 49_900, 500).await;

    // Buy: a pending order, an issued invoice, a pending payment.
    let first = buy(&alice, &pack, None, "alice-1").await;
    let p = first.data()["purchasePackage"].clone();
    assert_eq!(p["replayed"], false);
    assert_eq!(p["order"]["status"], "PENDING");
    assert_eq!(p["order"]["totalInr"], 49_900);
    assert_eq!(p["order"]["items"][0]["itemId"], pack.as_str());
    assert_eq!(p["invoice"]["status"], "ISSUED");
    assert_eq!(p["payment"]["status"], "PENDING");
    assert_eq!(p["payment"]["gateway"], "TEST");
    assert_eq!(p["checkout"]["amountInr"], 49_900);
    assert_eq!(p["checkout"]["params"]["paymentId"], p["payment"]["id"]);
    let order_id = p["order"]["id"].as_str().unwrap().to_string();
    let payment_id = p["payment"]["id"].as_str().unwrap().to_string();

    // A retry with the same key is the same purchase; the key for another package is a conflict.
    let again = buy(&alice, &pack, None, "alice-1").await;
    assert_eq!(again.data()["purchasePackage"]["replayed"], true);
    assert_eq!(again.data()["purchasePackage"]["order"]["id"], order_id.as_str());
    assert_eq!(
        again.data()["purchasePackage"]["checkout"]["params"],
        p["checkout"]["params"]
    );
    let other = package(&admin, "other", 1_000, 10).await;
    let clash = buy(&alice, &other, None, "alice-1").await;
    assert_eq!(clash.error_code(), Some("CONFLICT"), "{:?}", clash.body);

    // Bad signatures: refused with 401 and nothing written.
    let body = test_event(&payment_id, 49_900, "payment.succeeded");
    let wrong_secret = hmac_hex("not-the-secret-at-all-000", body.as_bytes());
    let tampered = test_event(&payment_id, 1, "payment.succeeded");
    let good_sig = hmac_hex(TEST_SECRET, body.as_bytes());
    for (b, headers) in [
        (body.clone(), vec![]),
        (body.clone(), vec![("x-test-gateway-signature", wrong_secret)]),
        (body.clone(), vec![("x-test-gateway-signature", "zz".to_string())]),
        (tampered, vec![("x-test-gateway-signature", good_sig.clone())]),
    ] {
        let (status, reply) = deliver(&server, "test", &b, &headers).await;
        assert_eq!(status, 401, "{reply}");
    }
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM payment_transactions", vec![]).await,
        1,
        "only the INITIATED row"
    );
    assert_eq!(
        alice.client.data(ORDER, json!({"id": order_id})).await["order"]["status"],
        "PENDING"
    );
    assert_eq!(wallet_balance(&db, &alice.id).await, 0);
    // Unknown gateways, and Razorpay with no configuration to verify against.
    assert_eq!(deliver(&server, "paypal", &body, &[]).await.0, 404);
    let rzp = deliver(
        &server,
        "razorpay",
        &body,
        &[("x-razorpay-signature", good_sig.clone())],
    )
    .await;
    assert_eq!(rzp.0, 401);

    // The good webhook, 10 times in a row, then 10 at once.
    let (status, reply) = deliver_test(&server, &body).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("applied")));
    for _ in 0..9 {
        let (status, reply) = deliver_test(&server, &body).await;
        assert_eq!((status, reply["status"].as_str()), (200, Some("recorded")));
    }
    let burst = futures::future::join_all((0..10).map(|_| deliver_test(&server, &body))).await;
    assert!(
        burst.iter().all(|(s, r)| *s == 200 && r["status"] == "recorded"),
        "{burst:?}"
    );

    let o = alice.client.data(ORDER, json!({"id": order_id})).await["order"].clone();
    assert_eq!(o["status"], "COMPLETED");
    assert_eq!(o["invoice"]["status"], "PAID");
    assert!(o["invoice"]["paidAt"].is_string());
    assert_eq!(o["payments"][0]["status"], "SUCCESS");
    assert_eq!(o["payments"][0]["paymentMethod"], "UPI");
    assert_eq!(
        o["payments"][0]["providerPaymentRef"],
        format!("test_pay_{payment_id}").as_str()
    );
    // One credit, whatever the number of deliveries; every call recorded.
    assert_eq!(wallet_balance(&db, &alice.id).await, 500);
    assert_eq!(ledger_rows(&db, &alice.id, "PURCHASE", "CREDIT").await, 1);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM wallet_ledger WHERE reference_id = $1 AND idempotency_key = $2",
            vec![uuid(&json!(order_id)).into(), format!("purchase:{order_id}").into()],
        )
        .await,
        1
    );
    assert_eq!(transactions(&db, &payment_id, "WEBHOOK").await, 20);
    assert_eq!(transactions(&db, &payment_id, "COMPLETED").await, 1);
    assert_eq!(transactions(&db, &payment_id, "INITIATED").await, 1);
    // The money movements are audited: the order, the payment, the credit.
    assert!(
        scalar(
            &db,
            "SELECT count(*) FROM audit_logs WHERE module_key = 'COMMERCE' AND entity_type = 'PAYMENT' AND entity_id = $1",
            vec![uuid(&json!(payment_id)).into()],
        )
        .await
            == 1
    );
    assert!(
        scalar(
            &db,
            "SELECT count(*) FROM audit_logs WHERE module_key = 'WALLET' AND action = 'CREDIT'",
            vec![]
        )
        .await
            == 1
    );

    // Ten first deliveries at once for a fresh purchase: one applies.
    let second = buy(&alice, &pack, None, "alice-2").await;
    let p2 = second.data()["purchasePackage"].clone();
    let pay2 = p2["payment"]["id"].as_str().unwrap().to_string();
    let body2 = test_event(&pay2, 49_900, "payment.succeeded");
    let burst = futures::future::join_all((0..10).map(|_| deliver_test(&server, &body2))).await;
    let applied = burst
        .iter()
        .filter(|(s, r)| *s == 200 && r["status"] == "applied")
        .count();
    let recorded = burst
        .iter()
        .filter(|(s, r)| *s == 200 && r["status"] == "recorded")
        .count();
    assert_eq!((applied, recorded), (1, 9), "{burst:?}");
    assert_eq!(wallet_balance(&db, &alice.id).await, 1_000);
    assert_eq!(ledger_rows(&db, &alice.id, "PURCHASE", "CREDIT").await, 2);
    assert_eq!(transactions(&db, &pay2, "WEBHOOK").await, 10);

    // A wrong amount is recorded and changes nothing.
    let third = buy(&alice, &pack, None, "alice-3").await;
    let pay3 = third.data()["purchasePackage"]["payment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, reply) = deliver_test(&server, &test_event(&pay3, 100, "payment.succeeded")).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("recorded")));
    let o3 = alice
        .client
        .data(ORDER, json!({"id": third.data()["purchasePackage"]["order"]["id"]}))
        .await;
    assert_eq!(o3["order"]["status"], "PENDING");
    assert_eq!(wallet_balance(&db, &alice.id).await, 1_000);
    // An event for no payment of ours is acknowledged and ignored.
    let stray = test_event(&uuid::Uuid::new_v4().to_string(), 100, "payment.succeeded");
    assert_eq!(deliver_test(&server, &stray).await.1["status"], "ignored");

    // Others' orders are invisible; the viewer's lists hold their own only.
    assert_eq!(
        bob.client.data(ORDER, json!({"id": order_id})).await["order"],
        Value::Null
    );
    let bobs = bob
        .client
        .data("{ viewerOrders { totalCount edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(bobs["viewerOrders"]["totalCount"], 0);
    let mine = alice
        .client
        .data(
            "{ viewerOrders(filter: { status: [COMPLETED] }) { totalCount } viewerInvoices { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["viewerOrders"]["totalCount"], 2);
    assert_eq!(mine["viewerInvoices"]["totalCount"], 3);
    let forbidden = bob.client.run("{ orders(first: 5) { totalCount } }", json!({})).await;
    assert_eq!(forbidden.error_code(), Some("FORBIDDEN"));
    let pay_of_alice = bob
        .client
        .data("query($id: ID!) { payment(id: $id) { id } }", json!({"id": payment_id}))
        .await;
    assert_eq!(pay_of_alice["payment"], Value::Null);
    let log = alice
        .client
        .run(
            "query($id: ID!) { payment(id: $id) { transactions { id } } }",
            json!({"id": payment_id}),
        )
        .await;
    assert_eq!(log.error_code(), Some("FORBIDDEN"), "the raw log is staff-only");

    // Staff see everything, filtered and paged.
    let all = admin
        .client
        .data(
            "query($u: ID!) { orders(first: 2, filter: { userId: $u }) { totalCount pageInfo { hasNextPage } edges { node { id } } } \
             payments(filter: { status: [SUCCESS] }) { totalCount edges { node { id transactions { transactionType } } } } \
             invoices(filter: { status: [PAID] }) { totalCount } }",
            json!({"u": alice.id}),
        )
        .await;
    assert_eq!(all["orders"]["totalCount"], 3);
    assert_eq!(all["orders"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(all["payments"]["totalCount"], 2);
    assert_eq!(all["invoices"]["totalCount"], 2);
    assert_gap_free(&db).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prices_apply_the_best_rule_then_the_coupon_then_taxes_to_the_paisa() {
    let server = server().await;
    let admin = server.admin().await;
    let carol = server.customer("carol").await;
    let db = db(&server).await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let a = package(&finance, "Package A", 99_999, 1_000).await;
    let b = package(&finance, "Package B", 99_999, 1_000).await;
    let cheap = package(&finance, "Cheap", 10_000, 50).await;

    for (name, kind, rate) in [("GST", "GST", "18"), ("TCS", "TCS", "1")] {
        finance
            .client
            .data(
                "mutation($i: CreateTaxRuleInput!) { createTaxRule(input: $i) { taxRule { id taxRate } } }",
                json!({"i": {"name": name, "taxType": kind, "taxRate": rate}}),
            )
            .await;
    }
    let rule = "mutation($i: CreateDiscountRuleInput!) { createDiscountRule(input: $i) { discountRule { id } } }";
    for (name, kind, value) in [("Ten percent", "PERCENT", 10), ("Fifty off", "FLAT", 5_000)] {
        finance
            .client
            .data(
                rule,
                json!({"i": {"name": name, "discountType": kind, "discountValue": value}}),
            )
            .await;
    }
    // A rule scoped to package B only, better than the global ones there.
    finance
        .client
        .data(
            rule,
            json!({"i": {"name": "B special", "scopeType": "SERVICE", "scopeId": b, "discountType": "FLAT", "discountValue": 12_000}}),
        )
        .await;
    // A rule that has ended does not count.
    finance
        .client
        .data(
            rule,
            json!({"i": {"name": "Expired", "discountType": "PERCENT", "discountValue": 90,
                "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2020-02-01T00:00:00Z"}}),
        )
        .await;
    coupon(
        &finance,
        json!({"code": "Save15", "discountType": "PERCENT", "discountValue": 15, "maxDiscountInr": 12_000, "minOrderValueInr": 50_000}),
    )
    .await;

    // A: 10 % of 99,999 = 9,999.9 -> 10,000 beats ₹50; coupon 15 % of 89,999 =
    // 13,499.85 -> 13,500, capped at 12,000; base 77,999; GST 14,039.82 ->
    // 14,040; TCS 779.99 -> 780; total 92,819.
    let q = carol
        .client
        .data(
            "query($i: QuotePackageInput!) { quotePackage(input: $i) { subtotalInr discountInr taxInr totalInr \
             discountRule { name amountInr } coupon { code amountInr } taxes { taxType rate amountInr } } }",
            json!({"i": {"packageId": a, "couponCode": "save15"}}),
        )
        .await["quotePackage"]
        .clone();
    assert_eq!(q["discountRule"], json!({"name": "Ten percent", "amountInr": 10_000}));
    assert_eq!(q["coupon"], json!({"code": "SAVE15", "amountInr": 12_000}));
    assert_eq!(
        q["taxes"],
        json!([
            {"taxType": "GST", "rate": "18.0000", "amountInr": 14_040},
            {"taxType": "TCS", "rate": "1.0000", "amountInr": 780}
        ])
    );
    assert_eq!(
        (&q["subtotalInr"], &q["discountInr"], &q["taxInr"], &q["totalInr"]),
        (&json!(99_999), &json!(22_000), &json!(14_820), &json!(92_819))
    );
    let bought = buy(&carol, &a, Some("save15"), "carol-a").await;
    let p = bought.data()["purchasePackage"].clone();
    assert_eq!(
        (
            &p["order"]["subtotalInr"],
            &p["order"]["discountInr"],
            &p["order"]["taxInr"],
            &p["order"]["totalInr"]
        ),
        (&json!(99_999), &json!(22_000), &json!(14_820), &json!(92_819))
    );
    assert_eq!(p["order"]["couponCode"], "SAVE15");
    assert_eq!(p["invoice"]["totalInr"], 92_819);
    assert_eq!(p["payment"]["amountInr"], 92_819);
    assert_eq!(p["quote"], q);

    // B: its own rule (12,000) wins; 15 % of 87,999 = 13,199.85 -> capped 12,000;
    // base 75,999; GST 13,679.82 -> 13,680; TCS 759.99 -> 760.
    let p = buy(&carol, &b, Some("SAVE15"), "carol-b").await.data()["purchasePackage"].clone();
    assert_eq!(p["quote"]["discountRule"]["name"], "B special");
    assert_eq!(
        (
            &p["order"]["discountInr"],
            &p["order"]["taxInr"],
            &p["order"]["totalInr"]
        ),
        (&json!(24_000), &json!(14_440), &json!(90_439))
    );

    // Coupon rules.
    let bad = |r: &crate::support::gql::Reply| {
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["couponCode"]));
        r.error_message().to_string()
    };
    let below = buy(&carol, &cheap, Some("SAVE15"), "carol-min").await;
    assert!(bad(&below).contains("at least ₹500.00"), "{:?}", below.body);
    coupon(
        &finance,
        json!({"code": "OLD", "discountType": "FLAT", "discountValue": 100,
            "validFrom": "2020-01-01T00:00:00Z", "validTo": "2020-12-31T00:00:00Z"}),
    )
    .await;
    assert!(bad(&buy(&carol, &cheap, Some("old"), "carol-old").await).contains("expired"));
    coupon(
        &finance,
        json!({"code": "LATER", "discountType": "FLAT", "discountValue": 100, "validFrom": "2099-01-01T00:00:00Z"}),
    )
    .await;
    assert!(bad(&buy(&carol, &cheap, Some("later"), "carol-later").await).contains("not valid yet"));
    coupon(
        &finance,
        json!({"code": "OFF", "discountType": "FLAT", "discountValue": 100, "isActive": false}),
    )
    .await;
    assert!(bad(&buy(&carol, &cheap, Some("off"), "carol-off").await).contains("no longer active"));
    assert!(bad(&buy(&carol, &cheap, Some("NOPE"), "carol-nope").await).contains("no such coupon"));
    let once = coupon(
        &finance,
        json!({"code": "ONCE", "discountType": "FLAT", "discountValue": 300, "usageLimit": 1}),
    )
    .await;
    // Cheap (₹100): ₹50 flat (5,000) beats 10 % (1,000); the coupon takes 300 more.
    let p = buy(&carol, &cheap, Some("once"), "carol-once").await.data()["purchasePackage"].clone();
    assert_eq!(
        p["quote"]["discountRule"],
        json!({"name": "Fifty off", "amountInr": 5_000})
    );
    assert_eq!(p["quote"]["coupon"]["amountInr"], 300);
    // Base 4,700: GST 846; TCS 47.
    assert_eq!(p["order"]["totalInr"], 4_700 + 846 + 47);
    assert!(bad(&buy(&carol, &cheap, Some("once"), "carol-once-2").await).contains("used up"));
    assert_eq!(
        scalar(
            &db,
            "SELECT usage_count::bigint FROM coupons WHERE id = $1",
            vec![uuid(&json!(once)).into()]
        )
        .await,
        1
    );

    // A coupon that covers everything: the order completes at once.
    coupon(
        &finance,
        json!({"code": "FREE", "discountType": "PERCENT", "discountValue": 100}),
    )
    .await;
    let free = buy(&carol, &cheap, Some("FREE"), "carol-free").await.data()["purchasePackage"].clone();
    assert_eq!(free["order"]["status"], "COMPLETED");
    assert_eq!(free["order"]["totalInr"], 0);
    assert_eq!(free["order"]["taxInr"], 0);
    assert_eq!(free["invoice"]["status"], "PAID");
    assert_eq!(free["payment"], Value::Null);
    assert_eq!(free["checkout"], Value::Null);
    assert_eq!(wallet_balance(&db, &carol.id).await, 50);

    // A purchase that fails after taking an invoice number gives it back.
    let no_gateway = carol
        .client
        .run(
            PURCHASE,
            json!({"i": {"packageId": a, "gateway": "RAZORPAY", "idempotencyKey": "carol-rzp"}}),
        )
        .await;
    assert_eq!(no_gateway.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(no_gateway.body["errors"][0]["extensions"]["fields"], json!(["gateway"]));
    buy(&carol, &a, None, "carol-after").await.data();
    assert_gap_free(&db).await;
    let (numbers, _) = invoice_numbers(&db).await;
    assert_eq!(numbers.len(), 5, "A, B, ONCE, FREE and the last one");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coupon_limited_to_5_goes_to_exactly_5_of_50_concurrent_buyers() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    let pack = package(&admin, "Bundle", 20_000, 100).await;
    let limited = coupon(
        &admin,
        json!({"code": "FIRST5", "discountType": "PERCENT", "discountValue": 20, "usageLimit": 5}),
    )
    .await;
    let buyers = futures::future::join_all((0..50).map(|i| {
        let server = &server;
        async move { server.customer(&format!("rush{i}")).await }
    }))
    .await;
    let handles: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let pack = pack.clone();
            tokio::spawn(async move {
                p.client
                    .run(
                        PURCHASE,
                        json!({"i": {"packageId": pack, "couponCode": "first5", "gateway": "TEST", "idempotencyKey": format!("rush-{i}")}}),
                    )
                    .await
            })
        })
        .collect();
    let mut won = 0;
    let mut refused = 0;
    for h in handles {
        let r = h.await.expect("task");
        if r.body.get("errors").is_none() {
            assert_eq!(r.body["data"]["purchasePackage"]["order"]["couponCode"], "FIRST5");
            won += 1;
        } else {
            assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
            assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["couponCode"]));
            assert!(r.error_message().contains("used up"), "{:?}", r.body);
            refused += 1;
        }
    }
    assert_eq!((won, refused), (5, 45));
    let id = uuid(&json!(limited));
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM orders WHERE coupon_id = $1", vec![id.into()]).await,
        5
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM coupon_redemptions WHERE coupon_id = $1",
            vec![id.into()]
        )
        .await,
        5
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT usage_count::bigint FROM coupons WHERE id = $1",
            vec![id.into()]
        )
        .await,
        5
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM orders", vec![]).await, 5);
    assert_gap_free(&db).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_and_refunds_reverse_what_they_should() {
    let server = server().await;
    let admin = server.admin().await;
    let dave = server.customer("dave").await;
    let db = db(&server).await;
    let finance = server.with_role(&admin, "finance", "refunds").await;
    let pack = package(&admin, "300 coins", 30_000, 300).await;
    let c = coupon(
        &admin,
        json!({"code": "TWICE", "discountType": "FLAT", "discountValue": 1_000, "usageLimit": 2}),
    )
    .await;

    // A failed payment cancels the order, voids the invoice and frees the coupon.
    let p = buy(&dave, &pack, Some("TWICE"), "dave-fail").await.data()["purchasePackage"].clone();
    let sim = dave
        .client
        .data(
            "mutation($i: SimulateTestPaymentInput!) { simulateTestPayment(input: $i) { outcome payment { status } webhookBody webhookSignature } }",
            json!({"i": {"paymentId": p["payment"]["id"], "succeed": false}}),
        )
        .await["simulateTestPayment"]
        .clone();
    assert_eq!(sim["outcome"], "APPLIED");
    assert_eq!(sim["payment"]["status"], "FAILED");
    let o = dave.client.data(ORDER, json!({"id": p["order"]["id"]})).await;
    assert_eq!(o["order"]["status"], "CANCELLED");
    assert_eq!(o["order"]["invoice"]["status"], "VOID");
    let cid = uuid(&json!(c));
    assert_eq!(
        scalar(
            &db,
            "SELECT usage_count::bigint FROM coupons WHERE id = $1",
            vec![cid.into()]
        )
        .await,
        0
    );
    // Replaying the signed body the mutation returned changes nothing more.
    let (status, reply) = deliver(
        &server,
        "test",
        sim["webhookBody"].as_str().unwrap(),
        &[(
            "x-test-gateway-signature",
            sim["webhookSignature"].as_str().unwrap().to_string(),
        )],
    )
    .await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("recorded")));
    // A success after the failure is recorded, not applied.
    let late = test_event(p["payment"]["id"].as_str().unwrap(), 29_000, "payment.succeeded");
    assert_eq!(deliver_test(&server, &late).await.1["status"], "recorded");
    assert_eq!(wallet_balance(&db, &dave.id).await, 0);

    // Paid, then refunded: a new DEBIT reverses the credit.
    let p = buy(&dave, &pack, None, "dave-ok").await.data()["purchasePackage"].clone();
    let pay = p["payment"]["id"].as_str().unwrap().to_string();
    let sim = dave
        .client
        .data(
            "mutation($i: SimulateTestPaymentInput!) { simulateTestPayment(input: $i) { outcome payment { status } } }",
            json!({"i": {"paymentId": pay}}),
        )
        .await;
    assert_eq!(sim["simulateTestPayment"]["outcome"], "APPLIED");
    assert_eq!(wallet_balance(&db, &dave.id).await, 300);
    let refund = "mutation($i: RefundPaymentInput!) { refundPayment(input: $i) { payment { id status } } }";
    let denied = dave
        .client
        .run(refund, json!({"i": {"paymentId": pay, "reason": "please"}}))
        .await;
    assert_eq!(denied.error_code(), Some("FORBIDDEN"));
    let r = finance
        .client
        .data(refund, json!({"i": {"paymentId": pay, "reason": "customer request"}}))
        .await;
    assert_eq!(r["refundPayment"]["payment"]["status"], "REFUNDED");
    assert_eq!(wallet_balance(&db, &dave.id).await, 0);
    assert_eq!(ledger_rows(&db, &dave.id, "PURCHASE", "CREDIT").await, 1);
    assert_eq!(ledger_rows(&db, &dave.id, "REFUND", "DEBIT").await, 1);
    assert_eq!(transactions(&db, &pay, "REFUNDED").await, 1);
    let o = dave.client.data(ORDER, json!({"id": p["order"]["id"]})).await;
    assert_eq!(o["order"]["status"], "CANCELLED");
    assert_eq!(o["order"]["invoice"]["status"], "VOID");
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM audit_logs WHERE action = 'REFUND' AND entity_id = $1",
            vec![uuid(&json!(pay)).into()]
        )
        .await,
        1
    );
    let twice = finance
        .client
        .run(refund, json!({"i": {"paymentId": pay, "reason": "again"}}))
        .await;
    assert_eq!(twice.error_code(), Some("CONFLICT"));
    // A webhook replay after the refund changes nothing.
    let replay = test_event(&pay, 30_000, "payment.succeeded");
    assert_eq!(deliver_test(&server, &replay).await.1["status"], "recorded");
    assert_eq!(wallet_balance(&db, &dave.id).await, 0);

    // Coins already spent: the refund is refused and nothing changes.
    let p = buy(&dave, &pack, None, "dave-spent").await.data()["purchasePackage"].clone();
    let pay = p["payment"]["id"].as_str().unwrap().to_string();
    let body = test_event(&pay, 30_000, "payment.succeeded");
    assert_eq!(deliver_test(&server, &body).await.1["status"], "applied");
    switchboard::service::wallet::post_once(
        &server.ctx,
        None,
        switchboard::service::wallet::Posting {
            user_id: uuid(&json!(dave.id)),
            entry_type: switchboard::service::wallet::EntryType::Debit,
            amount: switchboard::service::money::Money::from_minor(100, switchboard::service::money::Currency::TRC),
            reference_type: switchboard::service::wallet::ReferenceType::Lead,
            reference_id: None,
            idempotency_key: Some("spent".into()),
            remarks: None,
        },
    )
    .await
    .expect("spend");
    let short = finance
        .client
        .run(refund, json!({"i": {"paymentId": pay, "reason": "too late"}}))
        .await;
    assert_eq!(short.error_code(), Some("INSUFFICIENT_FUNDS"), "{:?}", short.body);
    assert_eq!(wallet_balance(&db, &dave.id).await, 200);
    assert_eq!(transactions(&db, &pay, "REFUNDED").await, 0);
    let still = admin
        .client
        .data("query($id: ID!) { payment(id: $id) { status } }", json!({"id": pay}))
        .await;
    assert_eq!(still["payment"]["status"], "SUCCESS");
    assert_gap_free(&db).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn razorpay_and_stripe_webhooks_verify_and_secrets_never_leave() {
    let server = server().await;
    let admin = server.admin().await;
    let erin = server.customer("erin").await;
    let db = db(&server).await;
    let pack = package(&admin, "Razor pack", 11_800, 118).await;
    let rzp_webhook = "rzp-webhook-secret-Q7x2v9";
    let rzp_api = "rzp-api-secret-M4k8p1";
    let create = "mutation($i: CreatePaymentGatewayConfigInput!) { createPaymentGatewayConfig(input: $i) { \
        config { id gatewayKey displayName publicConfig isActive hasSecret isTest createdAt updatedAt } } }";
    let made = admin
        .client
        .run(
            create,
            json!({"i": {"gatewayKey": "RAZORPAY", "displayName": "Razorpay live", "publicConfig": {"keyId": "rzp_test_K1"},
                "webhookSecret": rzp_webhook, "apiSecret": rzp_api}}),
        )
        .await;
    let made_text = made.body.to_string();
    assert!(made.body.get("errors").is_none(), "{made_text}");
    let cfg = made.body["data"]["createPaymentGatewayConfig"]["config"].clone();
    assert_eq!(cfg["hasSecret"], true);
    assert_eq!(cfg["publicConfig"], json!({"keyId": "rzp_test_K1"}));
    // A secret in the public part is refused.
    let leaky = admin
        .client
        .run(
            create,
            json!({"i": {"gatewayKey": "STRIPE", "displayName": "Leaky", "publicConfig": {"secretKey": "sk_live_1"}}}),
        )
        .await;
    assert_eq!(leaky.error_code(), Some("BAD_USER_INPUT"));
    // Customers cannot see or change configurations.
    let denied = erin.client.run("{ paymentGatewayConfigs { id } }", json!({})).await;
    assert_eq!(denied.error_code(), Some("FORBIDDEN"));

    // Buy through Razorpay; the checkout carries the public key id only.
    let p = erin
        .client
        .data(
            PURCHASE,
            json!({"i": {"packageId": pack, "gateway": "RAZORPAY", "idempotencyKey": "erin-rzp"}}),
        )
        .await["purchasePackage"]
        .clone();
    assert_eq!(p["checkout"]["gateway"], "RAZORPAY");
    assert_eq!(p["checkout"]["params"]["key"], "rzp_test_K1");
    let pay = p["payment"]["id"].as_str().unwrap().to_string();
    assert_eq!(p["checkout"]["params"]["notes"]["switchboard_payment_id"], pay.as_str());
    let event = json!({
        "entity": "event", "event": "payment.captured",
        "payload": {"payment": {"entity": {"id": "pay_RZP1", "amount": 11_800, "currency": "INR", "method": "card",
            "status": "captured", "notes": {"switchboard_payment_id": pay}}}}
    })
    .to_string();
    let wrong = hmac_hex("some-other-secret", event.as_bytes());
    assert_eq!(
        deliver(&server, "razorpay", &event, &[("x-razorpay-signature", wrong)])
            .await
            .0,
        401
    );
    // The test gateway's secret does not open Razorpay's door.
    let test_signed = hmac_hex(TEST_SECRET, event.as_bytes());
    assert_eq!(
        deliver(&server, "razorpay", &event, &[("x-razorpay-signature", test_signed)])
            .await
            .0,
        401
    );
    let sig = hmac_hex(rzp_webhook, event.as_bytes());
    let (status, reply) = deliver(&server, "razorpay", &event, &[("x-razorpay-signature", sig.clone())]).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("applied")), "{reply}");
    let (status, reply) = deliver(&server, "razorpay", &event, &[("x-razorpay-signature", sig)]).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("recorded")));
    let o = erin.client.data(ORDER, json!({"id": p["order"]["id"]})).await;
    assert_eq!(o["order"]["status"], "COMPLETED");
    assert_eq!(o["order"]["payments"][0]["providerPaymentRef"], "pay_RZP1");
    assert_eq!(o["order"]["payments"][0]["paymentMethod"], "CARD");
    assert_eq!(wallet_balance(&db, &erin.id).await, 118);

    // Rotating the webhook secret: the old one stops working.
    let new_secret = "rzp-webhook-secret-rotated-55";
    let updated = admin
        .client
        .run(
            "mutation($i: UpdatePaymentGatewayConfigInput!) { updatePaymentGatewayConfig(input: $i) { config { id hasSecret displayName } } }",
            json!({"i": {"id": cfg["id"], "webhookSecret": new_secret, "displayName": "Razorpay (rotated)"}}),
        )
        .await;
    assert!(updated.body.get("errors").is_none(), "{}", updated.body);
    let p2 = erin
        .client
        .data(
            PURCHASE,
            json!({"i": {"packageId": pack, "gateway": "RAZORPAY", "idempotencyKey": "erin-rzp-2"}}),
        )
        .await["purchasePackage"]
        .clone();
    let event2 = event
        .replace(&pay, p2["payment"]["id"].as_str().unwrap())
        .replace("pay_RZP1", "pay_RZP2");
    let old_sig = hmac_hex(rzp_webhook, event2.as_bytes());
    assert_eq!(
        deliver(&server, "razorpay", &event2, &[("x-razorpay-signature", old_sig)])
            .await
            .0,
        401
    );
    let new_sig = hmac_hex(new_secret, event2.as_bytes());
    assert_eq!(
        deliver(&server, "razorpay", &event2, &[("x-razorpay-signature", new_sig)])
            .await
            .1["status"],
        "applied"
    );

    // Stripe: t=<ts>,v1=HMAC("<ts>.<body>"), within the tolerance.
    let whsec = "whsec_stripe_secret_A1b2C3";
    let stripe = admin
        .client
        .data(
            create,
            json!({"i": {"gatewayKey": "STRIPE", "displayName": "Stripe", "publicConfig": {"publishableKey": "pk_test_9"},
                "webhookSecret": whsec, "apiSecret": "sk_test_secret_Zz9"}}),
        )
        .await;
    assert_eq!(stripe["createPaymentGatewayConfig"]["config"]["gatewayKey"], "STRIPE");
    let p3 = erin
        .client
        .data(
            PURCHASE,
            json!({"i": {"packageId": pack, "gateway": "STRIPE", "idempotencyKey": "erin-stripe"}}),
        )
        .await["purchasePackage"]
        .clone();
    assert_eq!(p3["checkout"]["params"]["publishableKey"], "pk_test_9");
    let pay3 = p3["payment"]["id"].as_str().unwrap().to_string();
    let event3 = json!({
        "id": "evt_1", "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_ST1", "amount": 11_800, "amount_received": 11_800, "currency": "inr",
            "payment_method_types": ["upi"], "metadata": {"switchboard_payment_id": pay3}}}
    })
    .to_string();
    let stripe_sig = |t: i64| format!("t={t},v1={}", hmac_hex(whsec, format!("{t}.{event3}").as_bytes()));
    let now = chrono::Utc::now().timestamp();
    assert_eq!(
        deliver(
            &server,
            "stripe",
            &event3,
            &[("stripe-signature", stripe_sig(now - 3_600))]
        )
        .await
        .0,
        401,
        "an hour-old signature is a replay"
    );
    let (status, reply) = deliver(&server, "stripe", &event3, &[("stripe-signature", stripe_sig(now))]).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("applied")), "{reply}");
    assert_eq!(wallet_balance(&db, &erin.id).await, 3 * 118);
    assert_eq!(ledger_rows(&db, &erin.id, "PURCHASE", "CREDIT").await, 3);

    // No secret anywhere in what the API returns, nor in clear in the database.
    let listed = admin
        .client
        .run(
            "{ paymentGatewayConfigs { id gatewayKey displayName publicConfig isActive hasSecret isTest createdAt updatedAt } }",
            json!({}),
        )
        .await;
    let logs = admin
        .client
        .run(
            "{ payments(first: 20) { edges { node { id gateway transactions { requestPayload responsePayload } } } } }",
            json!({}),
        )
        .await;
    for text in [
        made_text,
        updated.body.to_string(),
        listed.body.to_string(),
        logs.body.to_string(),
        stripe.to_string(),
    ] {
        for secret in [
            rzp_webhook,
            rzp_api,
            new_secret,
            whsec,
            "sk_test_secret_Zz9",
            TEST_SECRET,
        ] {
            assert!(!text.contains(secret), "a secret leaked: {text}");
        }
    }
    let configs = listed.body["data"]["paymentGatewayConfigs"].as_array().unwrap().clone();
    assert!(configs.iter().any(|c| c["isTest"] == false && c["hasSecret"] == true));
    let sdl = admin
        .client
        .data(
            r#"{ __type(name: "PaymentGatewayConfig") { fields { name } } }"#,
            json!({}),
        )
        .await;
    let names: BTreeSet<String> = sdl["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.to_lowercase().contains("secret") || n == "hasSecret"),
        "{names:?}"
    );
    let plain = scalar(
        &db,
        "SELECT count(*) FROM payment_gateway_configs WHERE position(convert_to($1, 'UTF8') in secret_config_encrypted) > 0 \
         OR position(convert_to($2, 'UTF8') in secret_config_encrypted) > 0",
        vec![rzp_webhook.into(), whsec.into()],
    )
    .await;
    assert_eq!(plain, 0, "secrets are sealed at rest");
    let audited = scalar(
        &db,
        "SELECT count(*) FROM audit_logs WHERE concat(before_json::text, after_json::text, metadata_json::text) LIKE $1",
        vec![format!("%{rzp_webhook}%").into()],
    )
    .await;
    assert_eq!(audited, 0, "audit rows never hold secrets");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_managers_manage_the_catalogue_and_the_test_gateway_needs_configuration() {
    // No test gateway here.
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let frank = server.customer("frank").await;
    let create = r#"mutation { createPricingPackage(input: { name: "Mine", packageType: JOB_POSTING, priceInr: 100 }) { package { id } } }"#;
    assert_eq!(
        frank.client.run(create, json!({})).await.error_code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        server.anon().run(create, json!({})).await.error_code(),
        Some("UNAUTHENTICATED")
    );
    let pack = package(&admin, "Jobs", 100, 0).await;
    // Anyone sees what is on sale; inactive packages disappear.
    let listed = server.anon().data("{ pricingPackages { id name } }", json!({})).await;
    assert_eq!(listed["pricingPackages"].as_array().unwrap().len(), 1);
    admin
        .client
        .data(
            "mutation($i: UpdatePricingPackageInput!) { updatePricingPackage(input: $i) { package { isActive } } }",
            json!({"i": {"id": pack, "isActive": false}}),
        )
        .await;
    let listed = server.anon().data("{ pricingPackages { id } }", json!({})).await;
    assert_eq!(listed["pricingPackages"], json!([]));
    let all = admin
        .client
        .data("{ pricingPackages(includeInactive: true) { id isActive } }", json!({}))
        .await;
    assert_eq!(all["pricingPackages"][0]["isActive"], false);
    let hidden = frank
        .client
        .run("{ pricingPackages(includeInactive: true) { id } }", json!({}))
        .await;
    assert_eq!(hidden.error_code(), Some("FORBIDDEN"));
    let gone = buy(&frank, &pack, None, "frank-1").await;
    assert_eq!(gone.error_code(), Some("BAD_USER_INPUT"));

    // The test gateway is off unless configured.
    let live = package(&admin, "Live", 100, 1).await;
    let off = buy(&frank, &live, None, "frank-2").await;
    assert_eq!(off.error_code(), Some("BAD_USER_INPUT"));
    assert!(off.error_message().contains("test gateway"), "{:?}", off.body);
    let body = test_event(&uuid::Uuid::new_v4().to_string(), 100, "payment.succeeded");
    assert_eq!(deliver_test(&server, &body).await.0, 404);
    server.stop().await;
}
