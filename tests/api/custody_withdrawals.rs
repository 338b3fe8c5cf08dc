//! Custody (issue 14), withdrawals: amount plus fee held at once and never
//! beyond the available balance (also under 50 concurrent requests), the
//! KYC and four-eyes thresholds, SENT and FAILED reports of the chain
//! webhook, staff failing a withdrawal, idempotent replays, per-currency
//! limits, audit rows, notifications and the live `withdrawalUpdated`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde_json::{json, Value};

use crate::custody::{
    amounts, d, dec, fund, ledger, ledger_rows, notifications, request, set_rate, set_thresholds, text,
    update_currency, withdraw, withdrawal, WITHDRAWAL_FIELDS,
};
use crate::exchange::{deliver, server, ETH_ADDR};
use crate::storage::{count, db, submit_kyc};
use crate::support::gql::Reply;
use crate::support::personas::Persona;
use crate::support::{scratch_dir, ServerOptions, TestServer};
use crate::websocket::{connect, init, recv, send, Socket};

/// `audit_logs.entity_type` of a withdrawal.
const AUDIT_ENTITY: &str = "WITHDRAWAL";

/// Audit rows about withdrawal `id`.
async fn audited(db: &sea_orm::DatabaseConnection, id: &str) -> i64 {
    count(
        db,
        &format!("SELECT count(*) FROM audit_logs WHERE entity_type = '{AUDIT_ENTITY}' AND entity_id = '{id}'"),
    )
    .await
}

/// `staff` fails withdrawal `id`, whatever it answers.
async fn fail(staff: &Persona, id: &str, reason: &str) -> Reply {
    staff
        .client
        .run(
            "mutation($i: FailWithdrawalInput!) { failWithdrawal(input: $i) { withdrawal { id status statusReason } } }",
            json!({"i": {"id": id, "reason": reason}}),
        )
        .await
}

/// The user's withdrawals in SQL.
async fn rows_of(db: &sea_orm::DatabaseConnection, user: &str) -> i64 {
    count(
        db,
        &format!("SELECT count(*) FROM withdrawals WHERE user_id = '{user}'"),
    )
    .await
}

/// Withdrawal notifications about `id`.
async fn told_about(p: &Persona, id: &str) -> usize {
    notifications(&p.client)
        .await
        .iter()
        .filter(|n| n["kind"] == "WITHDRAWAL" && n["relatedEntityId"] == id)
        .count()
}

fn sent_report(id: &str, hash: &str) -> Value {
    json!({"kind": "WITHDRAWAL", "withdrawalId": id, "txHash": hash, "confirmations": 1})
}

fn failed_report(id: &str, reason: &str) -> Value {
    json!({"kind": "WITHDRAWAL_FAILED", "withdrawalId": id, "reason": reason})
}

/// Subscribes `p` to `withdrawalUpdated`.
async fn subscribe(server: &TestServer, p: &Persona) -> Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", p.access_token)})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "w", "payload": {"query": "subscription { withdrawalUpdated { id status userId } }"}}),
    )
    .await;
    s
}

/// The next `withdrawalUpdated` event.
async fn next_update(s: &mut Socket) -> Value {
    loop {
        let m = recv(s).await;
        if m["type"] == "next" {
            assert!(m["payload"]["errors"].is_null(), "{m}");
            return m["payload"]["data"]["withdrawalUpdated"].clone();
        }
        assert!(m["type"] == "ping" || m["type"] == "pong", "unexpected {m}");
    }
}

/// Subscriptions join the bus asynchronously: `p` makes small probe
/// withdrawals until `s` hears one (a barrier, not a timing assumption).
/// Returns the probes' ids; the subscription is live afterwards.
async fn until_live(s: &mut Socket, p: &Persona) -> BTreeSet<String> {
    let mut probes = BTreeSet::new();
    for k in 0..20 {
        let probe = withdraw(&p.client, "0.001", &format!("probe-{k}")).await;
        let id = probe["id"].as_str().unwrap().to_string();
        probes.insert(id.clone());
        let heard = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                if next_update(s).await["id"] == id.as_str() {
                    return;
                }
            }
        })
        .await;
        if heard.is_ok() {
            return probes;
        }
    }
    panic!("the withdrawalUpdated subscription of {} never heard a probe", p.email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_withdrawals_against_a_balance_for_ten_accept_exactly_ten() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    set_thresholds(&admin, "100000", "1000000").await;
    let kat = server.customer("kat").await;
    let t = kat
        .client
        .data("{ withdrawalThresholds { kycUsd approvalUsd } }", json!({}))
        .await;
    assert_eq!(
        (
            dec(&t["withdrawalThresholds"]["kycUsd"]),
            dec(&t["withdrawalThresholds"]["approvalUsd"])
        ),
        (d("100000"), d("1000000")),
        "{t}"
    );
    // 10 × (1 + 0.5 % fee) = 10.05.
    fund(&server, &kat, "0xkat-funds", "10.05").await;

    let replies = futures::future::join_all((0..50).map(|i| {
        let c = kat.client.clone();
        async move { request(&c, "1", ETH_ADDR, &format!("race-{i}")).await }
    }))
    .await;
    let accepted: Vec<Value> = replies
        .iter()
        .filter(|r| r.error_code().is_none())
        .map(|r| r.data()["requestWithdrawal"].clone())
        .collect();
    let refused = replies
        .iter()
        .filter(|r| r.error_code() == Some("INSUFFICIENT_FUNDS"))
        .count();
    assert_eq!(
        accepted.len(),
        10,
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(refused, 40, "every other reply is INSUFFICIENT_FUNDS");
    for r in replies.iter().filter(|r| r.error_code().is_some()) {
        assert_eq!(r.body["data"]["requestWithdrawal"], Value::Null, "{:?}", r.body);
    }
    let mut ids = BTreeSet::new();
    for p in &accepted {
        let w = &p["withdrawal"];
        assert_eq!(p["replayed"], false, "{p}");
        assert_eq!(w["status"], "APPROVED", "below the approval threshold: {w}");
        assert_eq!(
            (dec(&w["amount"]), dec(&w["fee"]), dec(&w["total"])),
            (d("1"), d("0.005"), d("1.005")),
            "{w}"
        );
        assert_eq!(w["destinationAddress"], ETH_ADDR, "{w}");
        assert_eq!(dec(&w["usdValue"]), d("2000"), "{w}");
        ids.insert(w["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 10);

    // Everything is held; nothing is debited yet.
    assert_eq!(amounts(&kat.client, "ETH").await, (d("10.05"), d("10.05"), d("0")));
    assert_eq!(
        ledger(&kat.client, "ETH").await.len(),
        1,
        "a hold writes no ledger entry"
    );
    assert_eq!(rows_of(&db, &kat.id).await, 10);
    let of_kat = format!("w.user_id = '{}' AND w.currency = 'ETH'", kat.id);
    assert_eq!(
        text(&db, &format!("SELECT w.held::text FROM wallets w WHERE {of_kat}")).await,
        "10050000000000000000"
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM wallets w WHERE {of_kat} AND w.held = (SELECT sum((x.amount + x.fee_amount) * 1e18) \
                 FROM withdrawals x WHERE x.user_id = w.user_id AND x.currency = 'ETH' \
                 AND x.status NOT IN ('SENT', 'REJECTED', 'FAILED'))"
            )
        )
        .await,
        1,
        "held is what the open withdrawals hold"
    );
    // Not even one wei more.
    let r = request(&kat.client, "0.000000000000000001", ETH_ADDR, "one-more").await;
    assert_eq!(r.error_code(), Some("INSUFFICIENT_FUNDS"), "{:?}", r.body);
    assert_eq!(rows_of(&db, &kat.id).await, 10);

    // The ten, page by page.
    let mut listed = BTreeSet::new();
    let mut after: Option<String> = None;
    for _ in 0..5 {
        let page = kat
            .client
            .data(
                "query($a: String) { withdrawals(first: 4, after: $a) { totalCount edges { node { id } } \
                 pageInfo { hasNextPage endCursor } } }",
                json!({"a": after}),
            )
            .await["withdrawals"]
            .clone();
        assert_eq!(page["totalCount"], 10, "{page}");
        for e in page["edges"].as_array().unwrap() {
            assert!(
                listed.insert(e["node"]["id"].as_str().unwrap().to_string()),
                "listed twice: {page}"
            );
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(listed, ids);
    server.stop().await;
}

#[tokio::test]
async fn a_withdrawal_above_the_kyc_threshold_waits_for_a_verified_kyc_and_below_it_passes() {
    let mut env = crate::exchange::env();
    env.push(("SWITCHBOARD_DATA_DIR", scratch_dir("custody-kyc").display().to_string()));
    let server = TestServer::with(ServerOptions {
        env,
        ..Default::default()
    })
    .await;
    let admin = server.admin().await;
    let compliance = server.with_role(&admin, "compliance", "compliance").await;
    let db = db(&server).await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    let leo = server.customer("leo").await;
    fund(&server, &leo, "0xleo-funds", "2").await;
    let t = leo
        .client
        .data("{ withdrawalThresholds { kycUsd approvalUsd } }", json!({}))
        .await;
    assert_eq!(dec(&t["withdrawalThresholds"]["kycUsd"]), d("1000"), "the default: {t}");
    assert_eq!(dec(&t["withdrawalThresholds"]["approvalUsd"]), d("10000"), "{t}");

    // USD 800 and exactly USD 1,000: no KYC needed.
    let small = withdraw(&leo.client, "0.4", "small").await;
    assert_eq!(small["status"], "APPROVED", "{small}");
    assert_eq!(dec(&small["usdValue"]), d("800"), "{small}");
    let edge = withdraw(&leo.client, "0.5", "at-the-threshold").await;
    assert_eq!(edge["status"], "APPROVED", "{edge}");
    let held = d("0.402") + d("0.5025");
    assert_eq!(amounts(&leo.client, "ETH").await, (d("2"), held, d("2") - held));

    // USD 1,200: refused without a VERIFIED KYC, and nothing is written.
    let refused = |r: &Reply| {
        assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
        assert!(r.error_message().contains("KYC"), "{:?}", r.body);
        assert_eq!(r.body["data"]["requestWithdrawal"], Value::Null, "{:?}", r.body);
    };
    refused(&request(&leo.client, "0.6", ETH_ADDR, "large").await);
    assert_eq!(rows_of(&db, &leo.id).await, 2);
    assert_eq!(amounts(&leo.client, "ETH").await, (d("2"), held, d("2") - held));
    // A pending KYC is not a verified one.
    let submitted = submit_kyc(&leo.client, "K-1234-5678").await;
    assert_eq!(submitted.data()["submitKyc"]["kyc"]["status"], "PENDING");
    refused(&request(&leo.client, "0.6", ETH_ADDR, "large").await);
    assert_eq!(rows_of(&db, &leo.id).await, 2);

    let kyc = leo
        .client
        .data("{ viewer { kyc { status approvalRequestId } } }", json!({}))
        .await;
    let review = kyc["viewer"]["kyc"]["approvalRequestId"].as_str().unwrap().to_string();
    let r = crate::approvals::review(&compliance, &review, true, None).await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let kyc = leo.client.data("{ viewer { kyc { status } } }", json!({})).await;
    assert_eq!(kyc["viewer"]["kyc"]["status"], "VERIFIED");

    // Verified: the same request (its key was never used) now passes.
    let large = withdraw(&leo.client, "0.6", "large").await;
    assert_eq!(large["status"], "APPROVED", "below the approval threshold: {large}");
    assert_eq!(dec(&large["usdValue"]), d("1200"), "{large}");
    let held = held + d("0.603");
    assert_eq!(amounts(&leo.client, "ETH").await, (d("2"), held, d("2") - held));
    assert_eq!(rows_of(&db, &leo.id).await, 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_withdrawal_above_the_approval_threshold_waits_for_another_reviewer_and_rejection_returns_the_hold() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    let finance = server.with_role(&admin, "finance", "fin").await;
    let finance2 = server.with_role(&admin, "finance", "fin2").await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    set_thresholds(&admin, "100000", "1000").await;
    let mia = server.customer("mia").await;
    let nat = server.customer("nat").await;
    fund(&server, &mia, "0xmia-funds", "3").await;
    fund(&server, &nat, "0xnat-funds", "1").await;
    let mut mia_live = subscribe(&server, &mia).await;
    let mia_probes = until_live(&mut mia_live, &mia).await;
    let mut nat_live = subscribe(&server, &nat).await;
    let nat_probes = until_live(&mut nat_live, &nat).await;
    let (balance, held, available) = amounts(&mia.client, "ETH").await;

    // USD 2,000 > 1,000: pending, its amount and fee held meanwhile.
    let w1 = withdraw(&mia.client, "1", "big-1").await;
    let w1_id = w1["id"].as_str().unwrap().to_string();
    assert_eq!(w1["status"], "PENDING_APPROVAL", "{w1}");
    assert_eq!(dec(&w1["usdValue"]), d("2000"), "{w1}");
    let approval = w1["approvalRequestId"]
        .as_str()
        .unwrap_or_else(|| panic!("an approval request: {w1}"))
        .to_string();
    assert_eq!(
        amounts(&mia.client, "ETH").await,
        (balance, held + d("1.005"), available - d("1.005"))
    );
    let seen = finance
        .client
        .data(
            "query($id: ID!) { approvalRequest(id: $id) { status approvalType } }",
            json!({"id": approval}),
        )
        .await;
    assert_eq!(seen["approvalRequest"]["approvalType"], "FINANCIAL", "{seen}");
    assert_eq!(seen["approvalRequest"]["status"], "PENDING", "{seen}");

    // The requester cannot approve it; finance can.
    let r = crate::approvals::review(&mia, &approval, true, None).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    assert_eq!(withdrawal(&mia.client, &w1_id).await["status"], "PENDING_APPROVAL");
    let before = audited(&db, &w1_id).await;
    assert!(before >= 1, "the request is audited");
    let r = crate::approvals::review(&finance, &approval, true, None).await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    assert_eq!(withdrawal(&mia.client, &w1_id).await["status"], "APPROVED");
    assert_eq!(audited(&db, &w1_id).await, before + 1, "the approval is audited");
    assert_eq!(
        amounts(&mia.client, "ETH").await,
        (balance, held + d("1.005"), available - d("1.005")),
        "still held until sent"
    );

    // Rejected with remarks: the hold comes back and Mia is told.
    let w2 = withdraw(&mia.client, "1", "big-2").await;
    let w2_id = w2["id"].as_str().unwrap().to_string();
    assert_eq!(w2["status"], "PENDING_APPROVAL", "{w2}");
    assert_eq!(
        amounts(&mia.client, "ETH").await,
        (balance, held + d("2.01"), available - d("2.01"))
    );
    let before = audited(&db, &w2_id).await;
    let r = crate::approvals::review(
        &finance,
        w2["approvalRequestId"].as_str().unwrap(),
        false,
        Some("the destination failed screening"),
    )
    .await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let rejected = withdrawal(&mia.client, &w2_id).await;
    assert_eq!(rejected["status"], "REJECTED", "{rejected}");
    assert!(
        rejected["statusReason"]
            .as_str()
            .is_some_and(|s| s.contains("screening")),
        "the reviewer's remarks are the reason: {rejected}"
    );
    assert_eq!(audited(&db, &w2_id).await, before + 1, "the rejection is audited");
    assert_eq!(
        amounts(&mia.client, "ETH").await,
        (balance, held + d("1.005"), available - d("1.005")),
        "the rejected one's hold is released"
    );
    assert_eq!(
        told_about(&mia, &w2_id).await,
        1,
        "{:?}",
        notifications(&mia.client).await
    );

    // Mia's stream saw each change of both, in order, and nothing else.
    let mut changes: HashMap<String, Vec<String>> = HashMap::new();
    let done = |c: &HashMap<String, Vec<String>>| {
        c.get(&w1_id).and_then(|v| v.last()).map(String::as_str) == Some("APPROVED")
            && c.get(&w2_id).and_then(|v| v.last()).map(String::as_str) == Some("REJECTED")
    };
    while !done(&changes) {
        let u = next_update(&mut mia_live).await;
        let id = u["id"].as_str().unwrap().to_string();
        assert_eq!(u["userId"], mia.id.as_str(), "{u}");
        if mia_probes.contains(&id) {
            continue;
        }
        assert!(id == w1_id || id == w2_id, "an event of another withdrawal: {u}");
        let statuses = changes.entry(id).or_default();
        let status = u["status"].as_str().unwrap().to_string();
        if statuses.last() != Some(&status) {
            statuses.push(status);
        }
    }
    for (id, last) in [(&w1_id, "APPROVED"), (&w2_id, "REJECTED")] {
        let mut seen = changes[id].clone();
        if seen.first().map(String::as_str) == Some("REQUESTED") {
            seen.remove(0);
        }
        assert_eq!(seen, ["PENDING_APPROVAL", last], "{id}: {changes:?}");
    }
    // Nat heard none of Mia's: his first event is his own.
    let own = withdraw(&nat.client, "0.01", "nat-own").await;
    let first = loop {
        let u = next_update(&mut nat_live).await;
        if !nat_probes.contains(u["id"].as_str().unwrap()) {
            break u;
        }
    };
    assert_eq!(first["id"], own["id"], "{first}");

    // Four eyes among staff too: finance's own withdrawal needs another reviewer.
    fund(&server, &finance, "0xfin-funds", "2").await;
    let mine = withdraw(&finance.client, "1", "fin-own").await;
    assert_eq!(mine["status"], "PENDING_APPROVAL", "{mine}");
    let own_request = mine["approvalRequestId"].as_str().unwrap();
    let r = crate::approvals::review(&finance, own_request, true, None).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    assert_eq!(
        withdrawal(&finance.client, mine["id"].as_str().unwrap()).await["status"],
        "PENDING_APPROVAL"
    );
    let r = crate::approvals::review(&finance2, own_request, true, None).await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    assert_eq!(
        withdrawal(&finance.client, mine["id"].as_str().unwrap()).await["status"],
        "APPROVED"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sent_withdrawal_is_debited_once_with_its_fee_and_a_failed_one_releases_its_hold() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    let finance = server.with_role(&admin, "finance", "fin").await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    let ivy = server.customer("ivy").await;
    fund(&server, &ivy, "0xivy-funds", "1").await;

    let w = withdraw(&ivy.client, "0.4", "send-1").await;
    let id = w["id"].as_str().unwrap().to_string();
    assert_eq!(w["status"], "APPROVED", "{w}");
    assert_eq!((dec(&w["fee"]), dec(&w["total"])), (d("0.002"), d("0.402")), "{w}");
    assert_eq!(w["txHash"], Value::Null, "{w}");
    assert_eq!(amounts(&ivy.client, "ETH").await, (d("1"), d("0.402"), d("0.598")));
    let audits = audited(&db, &id).await;
    assert!(audits >= 1, "the request is audited");
    let told = told_about(&ivy, &id).await;

    // Reported sent, five times at once: one debit of the amount and one of the fee.
    let hits = futures::future::join_all((0..5).map(|_| deliver(&server, "ETH", sent_report(&id, "0xsent-1")))).await;
    assert!(hits.iter().all(|(s, _)| *s == 200), "{hits:?}");
    assert_eq!(
        hits.iter().filter(|(_, b)| b["status"] == "applied").count(),
        1,
        "{hits:?}"
    );
    let sent = withdrawal(&ivy.client, &id).await;
    assert_eq!(sent["status"], "SENT", "{sent}");
    assert_eq!(sent["txHash"], "0xsent-1", "{sent}");
    assert!(sent["sentAt"].is_string(), "{sent}");
    assert_eq!(amounts(&ivy.client, "ETH").await, (d("0.598"), d("0"), d("0.598")));
    let entries = ledger(&ivy.client, "ETH").await;
    assert_eq!(entries.len(), 3, "the deposit and two debits: {entries:?}");
    let of = |t: &str| {
        entries
            .iter()
            .find(|e| e["referenceType"] == t)
            .unwrap_or_else(|| panic!("a {t} entry in {entries:?}"))
            .clone()
    };
    let (debit, fee) = (of("WITHDRAWAL"), of("FEE"));
    for (e, amount) in [(&debit, "0.4"), (&fee, "0.002")] {
        assert_eq!(e["entryType"], "DEBIT", "{e}");
        assert_eq!(dec(&e["amount"]), d(amount), "{e}");
        assert_eq!(e["referenceId"], id.as_str(), "the entry names its withdrawal: {e}");
    }
    assert_eq!(dec(&entries[0]["balanceAfter"]), d("0.598"), "{entries:?}");
    assert_eq!(audited(&db, &id).await, audits + 1, "SENT is audited once");
    assert_eq!(told_about(&ivy, &id).await, told + 1, "Ivy is told once");

    // Replays, and a late failure report, change nothing.
    for _ in 0..3 {
        let (s, b) = deliver(&server, "ETH", sent_report(&id, "0xsent-1")).await;
        assert_eq!((s, b["status"].as_str()), (200, Some("recorded")), "{b}");
    }
    deliver(&server, "ETH", failed_report(&id, "too late")).await;
    let r = fail(&finance, &id, "too late").await;
    assert!(r.error_code().is_some(), "a SENT withdrawal cannot fail: {:?}", r.body);
    assert_eq!(withdrawal(&ivy.client, &id).await["status"], "SENT");
    assert_eq!(amounts(&ivy.client, "ETH").await, (d("0.598"), d("0"), d("0.598")));
    assert_eq!(ledger_rows(&db, &ivy.id, "WITHDRAWAL").await, 1);
    assert_eq!(ledger_rows(&db, &ivy.id, "FEE").await, 1);
    assert_eq!(audited(&db, &id).await, audits + 1);
    assert_eq!(told_about(&ivy, &id).await, told + 1);

    // Reported failed: the hold is released, nothing is debited.
    let w2 = withdraw(&ivy.client, "0.3", "fail-1").await;
    let id2 = w2["id"].as_str().unwrap().to_string();
    assert_eq!(
        amounts(&ivy.client, "ETH").await,
        (d("0.598"), d("0.3015"), d("0.2965"))
    );
    let audits2 = audited(&db, &id2).await;
    let hits =
        futures::future::join_all((0..3).map(|_| deliver(&server, "ETH", failed_report(&id2, "nonce too low")))).await;
    assert!(hits.iter().all(|(s, _)| *s == 200), "{hits:?}");
    assert_eq!(
        hits.iter().filter(|(_, b)| b["status"] == "applied").count(),
        1,
        "{hits:?}"
    );
    let failed = withdrawal(&ivy.client, &id2).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(
        failed["statusReason"]
            .as_str()
            .is_some_and(|s| s.contains("nonce too low")),
        "{failed}"
    );
    assert_eq!(amounts(&ivy.client, "ETH").await, (d("0.598"), d("0"), d("0.598")));
    assert_eq!(audited(&db, &id2).await, audits2 + 1, "FAILED is audited once");
    // A failed withdrawal is never debited by a later SENT report.
    deliver(&server, "ETH", sent_report(&id2, "0xsent-late")).await;
    assert_eq!(withdrawal(&ivy.client, &id2).await["status"], "FAILED");
    assert_eq!(amounts(&ivy.client, "ETH").await, (d("0.598"), d("0"), d("0.598")));
    assert_eq!(ledger_rows(&db, &ivy.id, "WITHDRAWAL").await, 1);

    // Staff fail one the signer cannot send; the customer may not.
    let w3 = withdraw(&ivy.client, "0.1", "fail-2").await;
    let id3 = w3["id"].as_str().unwrap().to_string();
    let r = fail(&ivy, &id3, "changed my mind").await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{:?}", r.body);
    assert_eq!(withdrawal(&ivy.client, &id3).await["status"], "APPROVED");
    assert_eq!(
        amounts(&ivy.client, "ETH").await,
        (d("0.598"), d("0.1005"), d("0.4975"))
    );
    let audits3 = audited(&db, &id3).await;
    let r = fail(&finance, &id3, "the signer rejected the destination").await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    assert_eq!(
        r.data()["failWithdrawal"]["withdrawal"]["status"],
        "FAILED",
        "{:?}",
        r.body
    );
    assert_eq!(amounts(&ivy.client, "ETH").await, (d("0.598"), d("0"), d("0.598")));
    assert_eq!(audited(&db, &id3).await, audits3 + 1);
    let r = fail(&finance, &id3, "again").await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(amounts(&ivy.client, "ETH").await, (d("0.598"), d("0"), d("0.598")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replayed_request_is_the_same_withdrawal_and_limits_refuse_with_the_amount_named() {
    let server = server().await;
    let admin = server.admin().await;
    let db = db(&server).await;
    let finance = server.with_role(&admin, "finance", "fin").await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    let jon = server.customer("jon").await;
    let kim = server.customer("kim").await;
    fund(&server, &jon, "0xjon-funds", "5").await;
    fund(&server, &kim, "0xkim-funds", "1").await;

    let first = withdraw(&jon.client, "0.2", "same").await;
    let again = request(&jon.client, "0.2", ETH_ADDR, "same").await;
    assert_eq!(again.error_code(), None, "{:?}", again.body);
    let replay = &again.data()["requestWithdrawal"];
    assert_eq!(replay["replayed"], true, "{replay}");
    assert_eq!(replay["withdrawal"]["id"], first["id"], "{replay}");
    assert_eq!(dec(&replay["withdrawal"]["amount"]), d("0.2"), "{replay}");
    assert_eq!(
        amounts(&jon.client, "ETH").await,
        (d("5"), d("0.201"), d("4.799")),
        "held once"
    );
    let other = request(&jon.client, "0.3", ETH_ADDR, "same").await;
    assert_eq!(other.error_code(), Some("CONFLICT"), "{:?}", other.body);
    assert_eq!(amounts(&jon.client, "ETH").await, (d("5"), d("0.201"), d("4.799")));
    assert_eq!(rows_of(&db, &jon.id).await, 1);

    // Eight at once with one key: one withdrawal, held once.
    let burst = futures::future::join_all((0..8).map(|_| request(&jon.client, "0.1", ETH_ADDR, "burst"))).await;
    for r in &burst {
        assert_eq!(r.error_code(), None, "{:?}", r.body);
    }
    let burst_ids: BTreeSet<&str> = burst
        .iter()
        .map(|r| r.data()["requestWithdrawal"]["withdrawal"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(burst_ids.len(), 1, "{burst_ids:?}");
    assert_eq!(
        burst
            .iter()
            .filter(|r| r.data()["requestWithdrawal"]["replayed"] == false)
            .count(),
        1
    );
    assert_eq!(rows_of(&db, &jon.id).await, 2);
    assert_eq!(amounts(&jon.client, "ETH").await, (d("5"), d("0.3015"), d("4.6985")));
    // Another user's key is their own.
    let kims = withdraw(&kim.client, "0.1", "same").await;
    assert_ne!(kims["id"], first["id"]);

    let r = request(&jon.client, "0", ETH_ADDR, "zero").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);

    // Limits: at most 0.4 at once, at least 0.01, 0.7 a day.
    update_currency(
        &admin,
        "ETH",
        json!({"withdrawalMin": "0.01", "withdrawalMax": "0.4", "withdrawalDailyLimit": "0.7"}),
    )
    .await;
    for (amount, named) in [("0.5", "0.4"), ("0.005", "0.01")] {
        let r = request(&jon.client, amount, ETH_ADDR, &format!("limit-{amount}")).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{amount}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["extensions"]["fields"][0], "amount", "{:?}", r.body);
        assert!(r.error_message().contains(named), "{amount}: {:?}", r.body);
    }
    // 0.2 + 0.1 today: 0.4 more reaches the daily limit exactly; 0.01 more is over it.
    let to_limit = withdraw(&jon.client, "0.4", "day-1").await;
    let r = request(&jon.client, "0.01", ETH_ADDR, "day-2").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["extensions"]["fields"][0], "amount", "{:?}", r.body);
    assert!(r.error_message().contains("daily"), "{:?}", r.body);
    assert_eq!(rows_of(&db, &jon.id).await, 3);
    let held = d("0.3015") + d("0.402");
    assert_eq!(amounts(&jon.client, "ETH").await, (d("5"), held, d("5") - held));
    // The limit is each user's: Kim still has 0.6 left.
    withdraw(&kim.client, "0.4", "kim-day").await;
    // A failed withdrawal no longer counts against the day.
    let r = fail(&finance, to_limit["id"].as_str().unwrap(), "the signer is down").await;
    assert_eq!(r.error_code(), None, "{:?}", r.body);
    let after = withdraw(&jon.client, "0.01", "day-2").await;
    assert_eq!(after["status"], "APPROVED", "{after}");
    server.stop().await;
}

#[tokio::test]
async fn withdrawal_and_deposit_pages_cost_the_same_statements_at_any_size() {
    let server = server().await;
    let admin = server.admin().await;
    set_rate(&admin, "ETH", "USD", "2000").await;
    set_thresholds(&admin, "100000", "1000000").await;
    let c = server.customer("pages").await;
    for i in 0..30 {
        fund(&server, &c, &format!("0xpage{i}"), "1").await;
    }
    for i in 0..30 {
        withdraw(&c.client, "0.5", &format!("page-{i}")).await;
    }
    let measure = |query: String, marker: &'static str| {
        let (admin, server) = (&admin, &server);
        async move {
            let mut fewest = u64::MAX;
            for _ in 0..4 {
                let before = server.ctx.db.statement_count();
                let d = admin.client.data(&query, json!({})).await;
                fewest = fewest.min(server.ctx.db.statement_count() - before);
                assert!(d.to_string().contains(marker), "{d}");
            }
            fewest
        }
    };
    let withdrawals = |n: usize| {
        format!("{{ withdrawals(first: {n}) {{ totalCount edges {{ cursor node {{ {WITHDRAWAL_FIELDS} }} }} }} }}")
    };
    let deposits = |n: usize| {
        format!(
            "{{ cryptoDeposits(first: {n}, filter: {{flagged: false}}) {{ totalCount edges {{ node {{ id txHash amount credited confirmationsRequired userId }} }} }} }}"
        )
    };
    let (w5, w30) = (
        measure(withdrawals(5), "APPROVED").await,
        measure(withdrawals(30), "APPROVED").await,
    );
    assert_eq!(w5, w30, "a withdrawal page of 5 and of 30");
    let (d5, d30) = (
        measure(deposits(5), "0xpage").await,
        measure(deposits(30), "0xpage").await,
    );
    assert_eq!(d5, d30, "a deposit page of 5 and of 30");
    let all = admin.client.data(&withdrawals(30), json!({})).await;
    assert_eq!(all["withdrawals"]["edges"].as_array().unwrap().len(), 30);
    server.stop().await;
}
