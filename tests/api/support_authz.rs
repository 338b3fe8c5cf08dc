//! The support desk's rules on the paths beside the queries: live events
//! reach only subscribers who could read the change by query (raw
//! graphql-transport-ws frames), and client-generated ids make retries of
//! `createTicket` and `addTicketMessage` safe, sequential or concurrent.
//! (Every id-taking mutation against out-of-reach callers is in
//! `authz_matrix.rs`, "by id through a mutation".)

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::personas::Persona;
use crate::support::TestServer;
use crate::websocket::{connect, init, recv, send, Socket};

const CREATE: &str =
    "mutation($i: CreateTicketInput!) { createTicket(input: $i) { replayed ticket { id subject client { id } } } }";
const MESSAGE: &str =
    "mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { replayed message { id body isInternal } } }";
const TICKET: &str =
    "query($id: ID!) { ticket(id: $id) { id status updatedAt messages(last: 100) { nodes { id body isInternal isSystem } } } }";

struct Desk {
    server: TestServer,
    admin: Persona,
    /// Agent in General Support, where customer tickets land.
    general: Persona,
    /// Agent in Billing only.
    billing: Persona,
    alice: Persona,
    bob: Persona,
}

async fn desk() -> Desk {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let general = server.agent(&admin, "GENERAL").await;
    let billing = server.agent(&admin, "BILLING").await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    Desk {
        server,
        admin,
        general,
        billing,
        alice,
        bob,
    }
}

async fn open(p: &Persona, subject: &str) -> Value {
    p.client
        .data(CREATE, json!({"i": {"subject": subject, "description": "details"}}))
        .await["createTicket"]["ticket"]
        .clone()
}

async fn say(p: &Persona, ticket: &Value, body: &str, internal: bool) -> Value {
    p.client
        .data(
            MESSAGE,
            json!({"i": {"ticketId": ticket["id"], "body": body, "isInternal": internal}}),
        )
        .await["addTicketMessage"]["message"]
        .clone()
}

/// A socket signed in as `who` with one subscription per `(id, query)`.
async fn subscribed(server: &TestServer, who: &Persona, subs: &[(&str, &str, Value)]) -> Socket {
    // Events of earlier writes are relayed asynchronously: let them pass
    // first, so this socket hears only what the test does next.
    server.events_relayed().await;
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", who.access_token)})).await;
    for (id, query, vars) in subs {
        send(
            &mut s,
            json!({"type": "subscribe", "id": id, "payload": {"query": query, "variables": vars}}),
        )
        .await;
    }
    // Let the server register the subscriptions on the bus (not a timing
    // assertion: every check below counts events up to a sentinel).
    tokio::time::sleep(Duration::from_millis(300)).await;
    s
}

/// The next `next` frame as (subscription id, payload); panics on anything
/// else (errors end a stream and are a failure here).
async fn next(s: &mut Socket) -> (String, Value) {
    loop {
        let m = recv(s).await;
        match m["type"].as_str() {
            Some("next") => {
                assert!(m["payload"].get("errors").is_none(), "an error event: {m}");
                return (
                    m["id"].as_str().unwrap_or_default().to_string(),
                    m["payload"]["data"].clone(),
                );
            }
            Some("ping") | Some("pong") => continue,
            _ => panic!("expected a next frame, got {m}"),
        }
    }
}

/// Items of subscription `sub` (field `field`) up to and including the
/// first whose `key` equals `sentinel`; other subscriptions' frames are
/// kept aside in `others`.
async fn until(
    s: &mut Socket,
    sub: &str,
    field: &str,
    key: &str,
    sentinel: &Value,
    others: &mut Vec<(String, Value)>,
) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let (id, data) = next(s).await;
        if id != sub {
            others.push((id, data));
            continue;
        }
        let item = data[field].clone();
        let done = &item[key] == sentinel;
        got.push(item);
        if done {
            return got;
        }
    }
}

const UPDATED_ALL: &str = "subscription { ticketUpdated { id status } }";
const UPDATED_ONE: &str = "subscription($t: ID!) { ticketUpdated(ticketId: $t) { id status } }";
const MESSAGES: &str = "subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { id body isInternal } }";

/// An internal note fires nothing on a customer's socket and does not move
/// the ticket's `updatedAt` for them; the next public reply does arrive.
/// An agent outside the department hears of neither; staff in it hear both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_events_reach_only_those_who_could_read_them() {
    let d = desk().await;
    let t = open(&d.alice, "Live").await;
    let mut alice = subscribed(
        &d.server,
        &d.alice,
        &[
            ("all", UPDATED_ALL, json!({})),
            ("one", UPDATED_ONE, json!({"t": t["id"]})),
        ],
    )
    .await;
    let mut general = subscribed(&d.server, &d.general, &[("all", UPDATED_ALL, json!({}))]).await;
    let mut billing = subscribed(&d.server, &d.billing, &[("all", UPDATED_ALL, json!({}))]).await;
    // An agent outside the department cannot subscribe to the ticket's messages.
    let mut refused = subscribed(&d.server, &d.billing, &[("m", MESSAGES, json!({"t": t["id"]}))]).await;
    let m = recv(&mut refused).await;
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND", "{m}");

    let seen_before = d.alice.client.data(TICKET, json!({"id": t["id"]})).await["ticket"].clone();
    say(&d.general, &t, "internal: check the ledger", true).await;
    let seen_after = d.alice.client.data(TICKET, json!({"id": t["id"]})).await["ticket"].clone();
    assert_eq!(
        seen_after, seen_before,
        "an internal note changes nothing the customer can read (updatedAt included)"
    );
    say(&d.general, &t, "public: we are checking", false).await;
    // Sentinels: a new ticket of Alice's (General) and one in Billing.
    let t2 = open(&d.alice, "Sentinel").await;
    let spare = d
        .admin
        .client
        .data(
            "mutation { createClient(input: { displayName: \"Spare\" }) { client { id } } }",
            json!({}),
        )
        .await["createClient"]["client"]["id"]
        .clone();
    let departments = d.admin.client.data("{ departments { id code } }", json!({})).await;
    let billing_dep = departments["departments"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["code"] == "BILLING"))
        .map(|x| x["id"].clone())
        .expect("billing");
    let in_billing = d
        .admin
        .client
        .data(
            CREATE,
            json!({"i": {"subject": "Billing sentinel", "description": "x", "clientId": spare, "departmentId": billing_dep}}),
        )
        .await["createTicket"]["ticket"]
        .clone();

    // Alice: before her sentinel, exactly one event of the ticket, the
    // reply's; the note's was never sent.
    let mut others = Vec::new();
    let all = until(&mut alice, "all", "ticketUpdated", "id", &t2["id"], &mut others).await;
    let of_t: Vec<&Value> = all.iter().filter(|u| u["id"] == t["id"]).collect();
    assert_eq!(of_t.len(), 1, "customer events of the ticket: {all:?}");
    assert_eq!(of_t[0]["status"], "WAITING_FOR_CUSTOMER");
    assert!(
        all.iter().all(|u| u["id"] == t["id"] || u["id"] == t2["id"]),
        "only her own tickets: {all:?}"
    );
    // The one-ticket subscription: its first event is the reply's too.
    let first_one = match others.iter().find(|(id, _)| id == "one") {
        Some((_, data)) => data.clone(),
        None => next(&mut alice).await.1,
    };
    assert_eq!(
        first_one["ticketUpdated"]["status"], "WAITING_FOR_CUSTOMER",
        "{first_one}"
    );

    // Staff of the department hear of the note and of the reply.
    let mut ignored = Vec::new();
    let staff = until(&mut general, "all", "ticketUpdated", "id", &t2["id"], &mut ignored).await;
    assert_eq!(
        staff.iter().filter(|u| u["id"] == t["id"]).count(),
        2,
        "staff events of the ticket: {staff:?}"
    );
    // Billing: nothing of the General ticket before its own sentinel.
    let outside = until(
        &mut billing,
        "all",
        "ticketUpdated",
        "id",
        &in_billing["id"],
        &mut ignored,
    )
    .await;
    assert_eq!(outside.len(), 1, "an agent outside the department heard: {outside:?}");
    d.server.stop().await;
}

async fn post(p: &Persona, ticket: &Value, id: Uuid, body: &str) -> crate::support::gql::Reply {
    p.client
        .run(
            MESSAGE,
            json!({"i": {"ticketId": ticket["id"], "id": id.to_string(), "body": body}}),
        )
        .await
}

/// Five copies of one call at once, then five one after the other; returns
/// how many said `replayed: false`, checking each returned `path.id`.
async fn five_and_five<F, Fut>(call: F, field: &str, inner: &str, id: Uuid) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = crate::support::gql::Reply>,
{
    let mut replies = futures::future::join_all((0..5).map(|_| call())).await;
    for _ in 0..5 {
        replies.push(call().await);
    }
    let mut fresh = 0;
    for r in &replies {
        let p = &r.data()[field];
        assert_eq!(p[inner]["id"], id.to_string(), "{}", r.body);
        if p["replayed"] == false {
            fresh += 1;
        }
    }
    fresh
}

async fn notifications_about(p: &Persona, ticket: &Value) -> usize {
    let d = p
        .client
        .data(
            "{ viewerNotifications(first: 100) { nodes { relatedEntityId } } }",
            json!({}),
        )
        .await;
    d["viewerNotifications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["relatedEntityId"] == ticket["id"])
        .count()
}

/// One client-generated message id posted five times at once and five
/// times in a row gives one message, one notification and one event; the
/// same id with another body, on another ticket or from another sender is
/// CONFLICT and shows nothing of the message holding it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_message_posts_once() {
    let d = desk().await;
    let t = open(&d.alice, "Retries").await;
    d.admin
        .client
        .data(
            "mutation($i: AssignTicketInput!) { assignTicket(input: $i) { ticket { id } } }",
            json!({"i": {"ticketId": t["id"], "userIds": [d.general.id]}}),
        )
        .await;
    let mut watch = subscribed(&d.server, &d.general, &[("m", MESSAGES, json!({"t": t["id"]}))]).await;
    let assigned = notifications_about(&d.general, &t).await;

    // The customer's retries.
    let a = Uuid::new_v4();
    let fresh = five_and_five(
        || post(&d.alice, &t, a, "  my deposit is missing  "),
        "addTicketMessage",
        "message",
        a,
    )
    .await;
    assert_eq!(fresh, 1, "exactly one call posted");
    // The agent's retries of a reply.
    let b = Uuid::new_v4();
    let fresh = five_and_five(
        || post(&d.general, &t, b, "we are on it"),
        "addTicketMessage",
        "message",
        b,
    )
    .await;
    assert_eq!(fresh, 1);

    let msgs = d.general.client.data(TICKET, json!({"id": t["id"]})).await["ticket"]["messages"]["nodes"].clone();
    let count = |id: Uuid| {
        msgs.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["id"] == id.to_string())
            .count()
    };
    assert_eq!((count(a), count(b)), (1, 1), "{msgs}");
    assert_eq!(
        msgs.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["isSystem"] == false)
            .count(),
        2,
        "no other message: {msgs}"
    );
    assert_eq!(
        notifications_about(&d.general, &t).await,
        assigned + 1,
        "one notice to the assignee"
    );
    assert_eq!(notifications_about(&d.alice, &t).await, 1, "one notice to the customer");

    // Conflicts: another body, another ticket, another sender.
    let r = post(&d.alice, &t, a, "a different body").await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);
    let theirs = open(&d.bob, "Bob's").await;
    let r = post(&d.bob, &theirs, a, "my deposit is missing").await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);
    assert!(!r.body.to_string().contains(&t["id"].as_str().unwrap().to_string()));
    let r = post(&d.general, &t, a, "my deposit is missing").await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);
    assert!(r.body["data"].is_null());

    // One event per message: count up to a sentinel.
    let sentinel = say(&d.general, &t, "sentinel", false).await;
    let mut others = Vec::new();
    let events = until(
        &mut watch,
        "m",
        "ticketMessageAdded",
        "id",
        &sentinel["id"],
        &mut others,
    )
    .await;
    let ids: Vec<&Value> = events.iter().map(|m| &m["id"]).collect();
    assert_eq!(
        ids,
        vec![&json!(a.to_string()), &json!(b.to_string()), &sentinel["id"]],
        "{events:?}"
    );
    d.server.stop().await;
}

/// One client-generated ticket id sent five times at once and five times
/// in a row opens one ticket (and one event); another subject is CONFLICT,
/// and another user's use of the id is CONFLICT without a trace of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_ticket_opens_once() {
    let d = desk().await;
    let mut watch = subscribed(&d.server, &d.alice, &[("all", UPDATED_ALL, json!({}))]).await;
    let id = Uuid::new_v4();
    let input =
        json!({"i": {"id": id.to_string(), "subject": "Card declined", "description": "twice", "priority": "HIGH"}});
    let fresh = five_and_five(
        || d.alice.client.run(CREATE, input.clone()),
        "createTicket",
        "ticket",
        id,
    )
    .await;
    assert_eq!(fresh, 1, "exactly one call opened the ticket");
    let mine = d
        .alice
        .client
        .data("{ tickets(first: 10) { totalCount edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(mine["tickets"]["totalCount"], 1, "{mine}");

    let r = d
        .alice
        .client
        .run(
            CREATE,
            json!({"i": {"id": id.to_string(), "subject": "Card declined again", "description": "twice", "priority": "HIGH"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);
    let r = d.bob.client.run(CREATE, input.clone()).await;
    assert_eq!(r.error_code(), Some("CONFLICT"), "{}", r.body);
    assert!(r.body["data"].is_null() && !r.body.to_string().contains("Card declined"));
    let theirs = d
        .bob
        .client
        .data("{ tickets(first: 10) { totalCount } }", json!({}))
        .await;
    assert_eq!(theirs["tickets"]["totalCount"], 0);
    let r = d
        .alice
        .client
        .run(
            CREATE,
            json!({"i": {"id": Uuid::nil().to_string(), "subject": "s", "description": "d"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));

    let sentinel = open(&d.alice, "Sentinel").await;
    let mut others = Vec::new();
    let events = until(&mut watch, "all", "ticketUpdated", "id", &sentinel["id"], &mut others).await;
    assert_eq!(
        events.len(),
        2,
        "one event for the ticket, then the sentinel: {events:?}"
    );
    assert_eq!(events[0]["id"], id.to_string());
    d.server.stop().await;
}

/// An agent whose role is revoked while subscribed (still listed in the
/// department) is told and dropped at the next event: a query would no
/// longer show them the ticket's internal notes, so the socket must not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_role_ends_an_agents_ticket_subscription() {
    let d = desk().await;
    let t = open(&d.alice, "Role").await;
    let mut watch = subscribed(&d.server, &d.general, &[("m", MESSAGES, json!({"t": t["id"]}))]).await;
    say(&d.general, &t, "internal: first", true).await;
    assert_eq!(
        next(&mut watch).await.1["ticketMessageAdded"]["body"],
        "internal: first"
    );
    d.admin
        .client
        .data(
            "mutation($i: AssignRoleInput!) { revokeRole(input: $i) { user { id } } }",
            json!({"i": {"userId": d.general.id, "roleKey": "support_agent"}}),
        )
        .await;
    let r = d.general.client.run(TICKET, json!({"id": t["id"]})).await;
    assert!(r.body["data"]["ticket"].is_null(), "by query: {}", r.body);
    say(&d.admin, &t, "internal: after the revocation", true).await;
    let m = recv(&mut watch).await;
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
    assert!(!m.to_string().contains("after the revocation"));
    assert_eq!(recv(&mut watch).await["type"], "complete");
    d.server.stop().await;
}
