//! Leads (issue 15) through GraphQL and WebSocket: a lead goes live
//! through a moderator, professionals of its profession (and only they)
//! see it without its contact, hear it on `leadPublished`, and pay
//! leadUnlockTracecoins (20 TRC) exactly once for the contact however
//! many concurrent unlocks they send; lead requests, their answers and
//! notifications; a closed lead sells nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use serde_json::{json, Value};

use crate::custody::notifications;
use crate::marketplace::{approved, create_lead, open_lead, pending_approval, selection, server};
use crate::storage::{count, db};
use crate::support::gql::Reply;
use crate::support::personas::Persona;
use crate::support::TestServer;
use crate::websocket::{connect, init, recv, send, Socket};

const LEAD: &str = "id title description location budgetInr requiredDate professionKey status \
    contact { name email phone } unlocked mine createdAt approvedAt";
const UNLOCK: &str = "mutation($i: UnlockLeadContactInput!) { unlockLeadContact(input: $i) \
    { replayed lead { id contact { name email phone } } } }";
const REQUEST: &str = "mutation($i: RequestLeadInput!) { requestLead(input: $i) { request { id status remarks } } }";
const RESPOND: &str =
    "mutation($i: RespondToLeadRequestInput!) { respondToLeadRequest(input: $i) { request { id status } } }";
const CREDIT: &str = "mutation($i: CreditWalletInput!) { creditWallet(input: $i) { replayed wallet { balance } } }";

/// Everyone of a lead test: a poster with an OPEN photographer lead, an
/// approved photographer, an approved tutor and a plain customer.
struct World {
    server: TestServer,
    db: DatabaseConnection,
    admin: Persona,
    moderator: Persona,
    finance: Persona,
    poster: Persona,
    pro: Persona,
    tutor: Persona,
    plain: Persona,
    lead: String,
}

async fn world() -> World {
    let server = server().await;
    let admin = server.admin().await;
    let moderator = server.with_role(&admin, "moderator", "m").await;
    let finance = server.with_role(&admin, "finance", "finance").await;
    let db = db(&server).await;
    let poster = server.customer("poster").await;
    let (pro, _) = approved(&server, &db, &moderator, "pro", "photographer", json!({})).await;
    let (tutor, _) = approved(&server, &db, &moderator, "tutor", "tutor", json!({})).await;
    let plain = server.customer("plain").await;
    let lead = open_lead(&db, &moderator, &poster, "photographer", "Wedding photos in Pune").await;
    World {
        server,
        db,
        admin,
        moderator,
        finance,
        poster,
        pro,
        tutor,
        plain,
        lead,
    }
}

async fn lead_of(p: &Persona, id: &str) -> Value {
    p.client
        .data(
            &format!("query($id: ID!) {{ lead(id: $id) {{ {LEAD} }} }}"),
            json!({"id": id}),
        )
        .await["lead"]
        .clone()
}

/// `leads` as `p` sees them (the raw reply too).
async fn leads_of(p: &Persona) -> (Vec<Value>, String) {
    let r = p
        .client
        .run(
            &format!("{{ leads(first: 50) {{ totalCount edges {{ node {{ {LEAD} }} }} }} }}"),
            json!({}),
        )
        .await;
    let nodes = r.data()["leads"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    (nodes, r.body.to_string())
}

fn ids(nodes: &[Value]) -> Vec<&str> {
    nodes.iter().map(|n| n["id"].as_str().unwrap()).collect()
}

async fn unlock(p: &Persona, lead: &str, key: &str) -> Reply {
    p.client
        .run(UNLOCK, json!({"i": {"leadId": lead, "idempotencyKey": key}}))
        .await
}

async fn credit(w: &World, p: &Persona, amount: &str, key: &str) {
    let r = w
        .finance
        .client
        .run(
            CREDIT,
            json!({"i": {"userId": p.id, "amount": amount, "referenceType": "BONUS", "idempotencyKey": key}}),
        )
        .await;
    assert_eq!(r.error_code(), None, "{}", r.body);
}

async fn balance(p: &Persona) -> String {
    p.client.data("{ wallet { balance } }", json!({})).await["wallet"]["balance"]
        .as_str()
        .unwrap()
        .to_string()
}

/// SQL (read): `user`'s TRC ledger rows about lead `lead`.
async fn lead_debits(db: &DatabaseConnection, user: &str, lead: &str) -> (i64, i64) {
    let rows = count(
        db,
        &format!(
            "SELECT count(*) FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id WHERE w.user_id = '{user}' \
             AND w.currency = 'TRC' AND l.reference_type = 'LEAD' AND l.reference_id = '{lead}' AND l.entry_type = 'DEBIT'"
        ),
    )
    .await;
    let sum = count(
        db,
        &format!(
            "SELECT coalesce(sum(l.amount), 0)::bigint FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id \
             WHERE w.user_id = '{user}' AND l.reference_type = 'LEAD' AND l.reference_id = '{lead}'"
        ),
    )
    .await;
    (rows, sum)
}

async fn unlocks_of(db: &DatabaseConnection, user: &str) -> i64 {
    count(
        db,
        &format!("SELECT count(*) FROM lead_unlocks WHERE user_id = '{user}'"),
    )
    .await
}

/// `p`'s MARKETPLACE notifications (approval decisions are some too).
async fn marketplace_notices(p: &Persona) -> Vec<Value> {
    notifications(&p.client)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "MARKETPLACE")
        .collect()
}

/// Polls (bounded) until `p` has a MARKETPLACE notification beyond the
/// `before` they had, about one of `about`; returns it.
async fn new_notice(p: &Persona, before: usize, about: &[&str]) -> Value {
    for _ in 0..100 {
        let now = marketplace_notices(p).await;
        if now.len() > before {
            let n = now[0].clone();
            let related = n["relatedEntityId"].as_str().unwrap_or_default();
            assert!(about.contains(&related), "a notification about something else: {n}");
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} got no new MARKETPLACE notification within 10 s", p.email);
}

#[tokio::test]
async fn an_open_lead_is_seen_by_its_profession_without_contact_and_by_its_owner_with_it() {
    let w = world().await;
    // Pending: only the owner sees it.
    let r = create_lead(
        &w.poster,
        json!({"professionKey": "photographer", "title": "Baby shoot", "description": "At home",
               "location": "Goa", "budgetInr": 1_000_000, "requiredDate": "2027-02-01"}),
    )
    .await;
    let created = r.data()["createLead"]["lead"].clone();
    assert_eq!(created["status"], "PENDING", "{created}");
    assert_eq!(created["professionKey"], "photographer");
    assert_eq!(created["contact"]["name"], "poster");
    assert_eq!(created["contact"]["email"], w.poster.email.as_str());
    let pending = created["id"].as_str().unwrap().to_string();
    assert_eq!(lead_of(&w.pro, &pending).await, Value::Null);
    assert!(!ids(&leads_of(&w.pro).await.0).contains(&pending.as_str()));
    let mine = lead_of(&w.poster, &pending).await;
    assert_eq!(
        (mine["status"].as_str(), mine["mine"].as_bool()),
        (Some("PENDING"), Some(true))
    );
    assert_eq!(mine["approvedAt"], Value::Null);
    assert_eq!(mine["requiredDate"], "2027-02-01");
    assert_eq!(mine["budgetInr"], 1_000_000);

    // The approved one is OPEN for photographers, without its contact.
    let open = lead_of(&w.poster, &w.lead).await;
    assert_eq!(open["status"], "OPEN");
    assert!(open["approvedAt"].is_string(), "{open}");
    assert_eq!(open["contact"]["email"], w.poster.email.as_str());
    let seen = lead_of(&w.pro, &w.lead).await;
    assert_eq!(seen["id"], w.lead.as_str());
    assert_eq!(seen["contact"], Value::Null, "{seen}");
    assert_eq!(
        (seen["unlocked"].as_bool(), seen["mine"].as_bool()),
        (Some(false), Some(false))
    );
    let (list, raw) = leads_of(&w.pro).await;
    assert_eq!(ids(&list), vec![w.lead.as_str()], "OPEN photographer leads only");
    assert_eq!(list[0]["contact"], Value::Null);
    assert!(!raw.contains(&w.poster.email), "the contact leaked into leads: {raw}");
    let requests = w
        .pro
        .client
        .data(
            "query($id: ID!) { lead(id: $id) { requests { id } } }",
            json!({"id": w.lead}),
        )
        .await;
    assert_eq!(requests["lead"]["requests"], json!([]));

    // Another profession, a customer, a draft photographer: nothing.
    for p in [&w.tutor, &w.plain] {
        assert_eq!(lead_of(p, &w.lead).await, Value::Null, "{}", p.email);
        assert!(leads_of(p).await.0.is_empty(), "{}", p.email);
    }
    let drafty = w.server.customer("drafty").await;
    crate::marketplace::saved(&drafty, json!({"roleKey": "photographer", "displayName": "Draft"})).await;
    assert_eq!(lead_of(&drafty, &w.lead).await, Value::Null);
    let anon = w
        .server
        .anon()
        .run("{ leads(first: 5) { totalCount } }", json!({}))
        .await;
    assert_eq!(anon.error_code(), Some("UNAUTHENTICATED"));
    // Lead managers see any with contact.
    assert_eq!(
        lead_of(&w.admin, &w.lead).await["contact"]["email"],
        w.poster.email.as_str()
    );
    let owner_list = leads_of(&w.poster).await.0;
    assert_eq!(owner_list.len(), 2, "the owner's leads in any state");

    // A rejected lead is REJECTED for its owner and never opens.
    let request = pending_approval(&w.db, &pending).await;
    let r = crate::approvals::review(&w.moderator, &request, false, Some("too vague")).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    assert_eq!(lead_of(&w.poster, &pending).await["status"], "REJECTED");
    assert_eq!(lead_of(&w.pro, &pending).await, Value::Null);
    w.server.stop().await;
}

/// `p` subscribed to `leadPublished`.
async fn subscribe(server: &TestServer, p: &Persona) -> Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", p.access_token)})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "l", "payload": {"query": format!("subscription {{ leadPublished {{ {LEAD} }} }}")}}),
    )
    .await;
    s
}

/// The next `leadPublished` event (the raw message too).
async fn next_lead(s: &mut Socket) -> (Value, String) {
    loop {
        let m = recv(s).await;
        if m["type"] == "next" {
            assert!(m["payload"]["errors"].is_null(), "{m}");
            return (m["payload"]["data"]["leadPublished"].clone(), m.to_string());
        }
        assert!(m["type"] == "ping" || m["type"] == "pong", "unexpected {m}");
    }
}

/// Probe leads of `profession` until `s` hears one (a barrier: the
/// subscription has joined the bus). Returns every probe's id.
async fn until_live(w: &World, s: &mut Socket, profession: &str) -> BTreeSet<String> {
    let mut probes = BTreeSet::new();
    for k in 0..15 {
        let id = open_lead(&w.db, &w.moderator, &w.poster, profession, &format!("Probe {k}")).await;
        probes.insert(id.clone());
        let heard = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                if next_lead(s).await.0["id"] == id.as_str() {
                    return;
                }
            }
        })
        .await;
        if heard.is_ok() {
            return probes;
        }
    }
    panic!("leadPublished never heard a {profession} probe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_published_reaches_professionals_of_its_profession_only_and_without_contact() {
    let w = world().await;
    let mut photographer = subscribe(&w.server, &w.pro).await;
    let mut tutor = subscribe(&w.server, &w.tutor).await;
    // Each socket skips only its own probes: a tutor probe heard by the
    // photographer fails the assertion below.
    let photographer_probes = until_live(&w, &mut photographer, "photographer").await;
    let tutor_probes = until_live(&w, &mut tutor, "tutor").await;

    let lead = open_lead(&w.db, &w.moderator, &w.poster, "photographer", "Pre-wedding shoot").await;
    let (heard, raw) = loop {
        let (l, raw) = next_lead(&mut photographer).await;
        if !photographer_probes.contains(l["id"].as_str().unwrap_or_default()) {
            break (l, raw);
        }
    };
    assert_eq!(
        heard["id"],
        lead.as_str(),
        "a photographer hears the next photographer lead: {heard}"
    );
    assert_eq!(heard["status"], "OPEN");
    assert_eq!(heard["contact"], Value::Null, "{heard}");
    assert_eq!(heard["unlocked"], false);
    assert!(
        !raw.contains(&w.poster.email),
        "the contact leaked into leadPublished: {raw}"
    );

    // The tutor's next event is a later tutor lead, not the photographer's.
    let marker = open_lead(&w.db, &w.moderator, &w.poster, "tutor", "Physics classes").await;
    let next = loop {
        let (l, _) = next_lead(&mut tutor).await;
        if !tutor_probes.contains(l["id"].as_str().unwrap_or_default()) {
            break l;
        }
    };
    assert_eq!(
        next["id"],
        marker.as_str(),
        "a tutor heard another profession's lead: {next}"
    );
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_unlocks_pay_twenty_coins_once_and_the_contact_shows_only_after() {
    let w = world().await;
    credit(&w, &w.pro, "100", "seed-pro").await;
    // Before the unlock no path shows the contact.
    let r = w.pro.client.run(REQUEST, json!({"i": {"leadId": w.lead}})).await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    let mine = w
        .pro
        .client
        .run(
            "{ myLeadRequests(first: 10) { edges { node { id status lead { id contact { name email phone } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine.data()["myLeadRequests"]["edges"][0]["node"]["lead"]["contact"],
        Value::Null,
        "{}",
        mine.body
    );
    let search = w
        .pro
        .client
        .run(
            &format!(
                "{{ professionals(first: 100) {{ edges {{ node {{ {} }} }} }} }}",
                selection(false)
            ),
            json!({}),
        )
        .await;
    assert_eq!(search.error_code(), None, "{}", search.body);
    for raw in [mine.body.to_string(), search.body.to_string(), leads_of(&w.pro).await.1] {
        assert!(!raw.contains(&w.poster.email), "contact leaked before unlock: {raw}");
    }
    assert_eq!(lead_of(&w.pro, &w.lead).await["contact"], Value::Null);

    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (p, lead) = (w.pro.clone(), w.lead.clone());
            tokio::spawn(async move { unlock(&p, &lead, &format!("unlock-{i}")).await })
        })
        .collect();
    let mut fresh = 0;
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.error_code(), None, "{}", r.body);
        let u = &r.data()["unlockLeadContact"];
        assert_eq!(u["lead"]["contact"]["email"], w.poster.email.as_str(), "{u}");
        assert_eq!(u["lead"]["contact"]["name"], "poster");
        if u["replayed"] == false {
            fresh += 1;
        } else {
            assert_eq!(u["replayed"], true);
        }
    }
    assert_eq!(fresh, 1, "exactly one unlock pays");
    assert_eq!(lead_debits(&w.db, &w.pro.id, &w.lead).await, (1, 20));
    assert_eq!(balance(&w.pro).await, "80");
    assert_eq!(unlocks_of(&w.db, &w.pro.id).await, 1);
    let later = unlock(&w.pro, &w.lead, "later").await;
    assert_eq!(later.data()["unlockLeadContact"]["replayed"], true);
    assert_eq!(balance(&w.pro).await, "80");
    assert_eq!(lead_debits(&w.db, &w.pro.id, &w.lead).await, (1, 20));
    let seen = lead_of(&w.pro, &w.lead).await;
    assert_eq!(
        (seen["unlocked"].as_bool(), seen["contact"]["email"].as_str()),
        (Some(true), Some(w.poster.email.as_str()))
    );

    // Too few coins: refused, nothing written.
    let (poor, _) = approved(&w.server, &w.db, &w.moderator, "poor", "photographer", json!({})).await;
    credit(&w, &poor, "5", "seed-poor").await;
    let r = unlock(&poor, &w.lead, "poor-1").await;
    assert_eq!(r.error_code(), Some("INSUFFICIENT_FUNDS"), "{}", r.body);
    assert_eq!(unlocks_of(&w.db, &poor.id).await, 0);
    assert_eq!(lead_debits(&w.db, &poor.id, &w.lead).await, (0, 0));
    assert_eq!(balance(&poor).await, "5");
    assert_eq!(lead_of(&poor, &w.lead).await["contact"], Value::Null);
    // Another profession: FORBIDDEN.
    credit(&w, &w.tutor, "100", "seed-tutor").await;
    let r = unlock(&w.tutor, &w.lead, "tutor-1").await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    assert_eq!(unlocks_of(&w.db, &w.tutor.id).await, 0);
    // A lead that is not OPEN: CONFLICT.
    let pending = create_lead(&w.poster, json!({"professionKey": "photographer", "title": "Later"})).await;
    let pending = pending.data()["createLead"]["lead"]["id"].as_str().unwrap().to_string();
    let r = unlock(&w.pro, &pending, "pending-1").await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);
    assert_eq!(unlocks_of(&w.db, &w.pro.id).await, 1);
    assert_eq!(balance(&w.pro).await, "80");
    w.server.stop().await;
}

#[tokio::test]
async fn lead_requests_are_answered_by_the_owner_with_notifications_and_a_closed_lead_sells_nothing() {
    let w = world().await;
    // Approval decisions notify too; count after every event is relayed.
    w.server.events_relayed().await;
    let (owner_before, pro_before) = (
        marketplace_notices(&w.poster).await.len(),
        marketplace_notices(&w.pro).await.len(),
    );
    let r = w
        .pro
        .client
        .run(
            REQUEST,
            json!({"i": {"leadId": w.lead, "remarks": "Available that week"}}),
        )
        .await;
    let req = r.data()["requestLead"]["request"].clone();
    assert_eq!(req["status"], "PENDING", "{req}");
    assert_eq!(req["remarks"], "Available that week");
    let again = w.pro.client.run(REQUEST, json!({"i": {"leadId": w.lead}})).await;
    assert_eq!(again.error_code(), Some("CONFLICT"), "{}", again.body);
    assert_eq!(
        count(
            &w.db,
            &format!("SELECT count(*) FROM lead_requests WHERE lead_id = '{}'", w.lead)
        )
        .await,
        1
    );

    // The owner sees it and is told.
    let owned = w
        .poster
        .client
        .data(
            "query($id: ID!) { lead(id: $id) { requests { id status remarks professional { id roleKey } } } }",
            json!({"id": w.lead}),
        )
        .await;
    let requests = owned["lead"]["requests"].as_array().unwrap().clone();
    assert_eq!(requests.len(), 1, "{owned}");
    assert_eq!(requests[0]["id"], req["id"]);
    assert_eq!(requests[0]["professional"]["roleKey"], "photographer");
    let req_id = req["id"].as_str().unwrap().to_string();
    new_notice(&w.poster, owner_before, &[&req_id, &w.lead]).await;

    // Only the owner answers.
    for p in [&w.pro, &w.plain] {
        let r = p
            .client
            .run(RESPOND, json!({"i": {"id": req["id"], "accept": true}}))
            .await;
        assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}: {}", p.email, r.body);
    }
    assert_eq!(
        count(
            &w.db,
            &format!(
                "SELECT count(*) FROM lead_requests WHERE id = '{}' AND status = 'PENDING'",
                req["id"].as_str().unwrap()
            )
        )
        .await,
        1
    );
    let r = w
        .poster
        .client
        .run(
            RESPOND,
            json!({"i": {"id": req["id"], "accept": true, "remarks": "See you"}}),
        )
        .await;
    assert_eq!(r.data()["respondToLeadRequest"]["request"]["status"], "ACCEPTED");
    new_notice(&w.pro, pro_before, &[&req_id, &w.lead]).await;
    let mine = w
        .pro
        .client
        .data(
            "{ myLeadRequests(first: 10) { edges { node { id status lead { id contact { email } } } } } }",
            json!({}),
        )
        .await;
    let node = &mine["myLeadRequests"]["edges"][0]["node"];
    assert_eq!(
        (node["status"].as_str(), node["lead"]["id"].as_str()),
        (Some("ACCEPTED"), Some(w.lead.as_str()))
    );
    assert_eq!(
        node["lead"]["contact"],
        Value::Null,
        "accepting does not sell the contact"
    );

    // Closing: the owner only; then nothing more is sold.
    let close = "mutation($id: ID!) { closeLead(id: $id) { lead { id status } } }";
    // Every list is a connection with totalCount (mk_api.md).
    let total = w
        .pro
        .client
        .run("{ myLeadRequests(first: 10) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        total.error_code(),
        None,
        "myLeadRequests has no totalCount: {}",
        total.body
    );
    assert_eq!(total.data()["myLeadRequests"]["totalCount"], 1);
    let r = w.pro.client.run(close, json!({"id": w.lead})).await;
    assert!(
        r.error_code().is_some(),
        "a professional closed another's lead: {}",
        r.body
    );
    let r = w.poster.client.run(close, json!({"id": w.lead})).await;
    assert_eq!(r.data()["closeLead"]["lead"]["status"], "CLOSED");
    credit(&w, &w.pro, "100", "seed-pro").await;
    let r = unlock(&w.pro, &w.lead, "after-close").await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);
    assert_eq!(unlocks_of(&w.db, &w.pro.id).await, 0);
    assert_eq!(balance(&w.pro).await, "100");
    assert!(
        !ids(&leads_of(&w.pro).await.0).contains(&w.lead.as_str()),
        "a closed lead is no longer listed"
    );
    w.server.stop().await;
}

#[tokio::test]
async fn a_page_of_leads_with_their_requests_costs_the_same_statements_at_any_size() {
    let w = world().await;
    // The poster heard that the world's lead went live.
    let told = marketplace_notices(&w.poster).await;
    assert!(
        told.iter()
            .any(|n| n["title"] == "Your lead is live" && n["relatedEntityId"] == w.lead.as_str()),
        "{told:?}"
    );
    let (second, _) = approved(&w.server, &w.db, &w.moderator, "second", "photographer", json!({})).await;
    let mut leads = vec![w.lead.clone()];
    for i in 0..11 {
        leads.push(
            open_lead(
                &w.db,
                &w.moderator,
                &w.poster,
                "photographer",
                &format!("Event {i} in Pune"),
            )
            .await,
        );
    }
    for lead in &leads {
        for p in [&w.pro, &second] {
            let r = p.client.run(REQUEST, json!({"i": {"leadId": lead}})).await;
            assert_eq!(r.error_code(), None, "{}", r.body);
        }
    }
    let query = |n: usize| {
        format!(
            "{{ leads(filter: {{mine: true}}, first: {n}) {{ edges {{ node {{ id requests {{ id status \
             professional {{ id displayName ... on PhotographerProfile {{ services {{ id }} coverImage {{ id }} }} }} \
             }} }} }} }} }}"
        )
    };
    let measure = |n: usize| {
        let (w, q) = (&w, query(n));
        async move {
            let mut fewest = u64::MAX;
            for _ in 0..3 {
                let before = w.server.ctx.db.statement_count();
                let d = w.poster.client.data(&q, json!({})).await;
                fewest = fewest.min(w.server.ctx.db.statement_count() - before);
                let edges = d["leads"]["edges"].as_array().unwrap();
                assert_eq!(edges.len(), n, "{d}");
                for e in edges {
                    let requests = e["node"]["requests"].as_array().unwrap();
                    assert_eq!(requests.len(), 2, "{e}");
                    assert!(
                        requests.iter().all(|r| r["professional"]["displayName"].is_string()),
                        "{e}"
                    );
                }
            }
            fewest
        }
    };
    let (three, twelve) = (measure(3).await, measure(12).await);
    println!("lead page statements with requests: 3 -> {three}, 12 -> {twelve}");
    assert_eq!(three, twelve, "a page of 3 leads and of 12");

    // A professional lists the same leads and sees none of their requests.
    let d = w
        .pro
        .client
        .data(
            "{ leads(first: 50) { edges { node { id requests { id } } } } }",
            json!({}),
        )
        .await;
    let edges = d["leads"]["edges"].as_array().unwrap();
    let seen: Vec<&str> = edges.iter().map(|e| e["node"]["id"].as_str().unwrap()).collect();
    assert!(leads.iter().all(|l| seen.contains(&l.as_str())), "{d}");
    assert!(
        edges.iter().all(|e| e["node"]["requests"] == json!([])),
        "only the poster and moderators see requests: {d}"
    );
}
