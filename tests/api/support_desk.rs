//! The support desk through GraphQL and WebSocket: who sees what, the
//! status workflow, conversations with internal notes, assignment, tags,
//! transfers, filters and search, clients and inbound channels,
//! notifications, live subscriptions across instances, and the statement
//! count of a ticket page.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};

use crate::support::personas::Persona;
use crate::support::{ServerOptions, TestServer};
use crate::websocket::{connect, init, recv, send, Socket};

const CREATE: &str = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id number status department { code } client { id displayName } } } }";
const MESSAGE: &str =
    "mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id isInternal senderKind } } }";
const STATUS: &str =
    "mutation($i: SetTicketStatusInput!) { setTicketStatus(input: $i) { ticket { status resolvedAt closedAt } } }";
const ASSIGN: &str = "mutation($i: AssignTicketInput!) { assignTicket(input: $i) { ticket { assignees { id } } } }";
const TICKET: &str = "query($id: ID!) { ticket(id: $id) { id status firstResponseAt messages(last: 50) { nodes { body isInternal isSystem senderKind sender { __typename ... on User { id } ... on Client { id } } } } } }";

struct Desk {
    server: TestServer,
    admin: Persona,
    /// Agent in General Support (where customer tickets land).
    agent: Persona,
    /// Agent in Billing only.
    billing: Persona,
    alice: Persona,
    bob: Persona,
}

async fn desk(opts: ServerOptions) -> Desk {
    let server = TestServer::with(opts).await;
    let admin = server.admin().await;
    let agent = server.agent(&admin, "GENERAL").await;
    let billing = server.agent(&admin, "BILLING").await;
    let alice = server.customer("alice").await;
    let bob = server.customer("bob").await;
    Desk {
        server,
        admin,
        agent,
        billing,
        alice,
        bob,
    }
}

async fn open_ticket(p: &Persona, subject: &str) -> Value {
    p.client
        .data(
            CREATE,
            json!({"i": {"subject": subject, "description": format!("{subject}: details")}}),
        )
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

async fn ticket_ids(p: &Persona, vars: Value) -> Vec<String> {
    let d = p
        .client
        .data(
            "query($f: TicketFilter, $o: TicketOrder, $first: Int, $after: String) { tickets(filter: $f, orderBy: $o, first: $first, after: $after) { edges { node { id } } } }",
            vars,
        )
        .await;
    d["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn who_sees_which_ticket() {
    let d = desk(ServerOptions::default()).await;
    let t = open_ticket(&d.alice, "Cannot withdraw").await;
    assert_eq!(t["status"], "OPEN");
    assert_eq!(t["department"]["code"], "GENERAL");
    assert!(t["number"].as_i64().unwrap() >= 1000);
    let id = t["id"].as_str().unwrap();

    let seen = |p: &Persona| {
        let c = p.client.clone();
        async move { c.data(TICKET, json!({"id": id})).await["ticket"].clone() }
    };
    assert_eq!(seen(&d.alice).await["id"], id);
    assert_eq!(seen(&d.agent).await["id"], id, "agent of the ticket's department");
    assert_eq!(seen(&d.admin).await["id"], id, "admin sees everything");
    assert_eq!(seen(&d.billing).await, Value::Null, "agent of another department");
    // Another customer: not by id, not by search, not by subscription.
    assert_eq!(seen(&d.bob).await, Value::Null);
    assert!(ticket_ids(&d.bob, json!({"f": {"search": "withdraw"}}))
        .await
        .is_empty());
    assert_eq!(
        ticket_ids(&d.alice, json!({"f": {"search": "withdraw"}})).await,
        vec![id.to_string()]
    );
    let mut s = connect(&d.server, Some("graphql-transport-ws")).await;
    init(
        &mut s,
        json!({"authorization": format!("Bearer {}", d.bob.access_token)}),
    )
    .await;
    send(&mut s, json!({"type": "subscribe", "id": "1", "payload": {"query": "subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { id } }", "variables": {"t": id}}})).await;
    // Refused when the source stream is made: an execution result with the
    // error, then completion (as graphql-ws's reference server does).
    let m = recv(&mut s).await;
    assert_eq!(m["type"], "next", "{m}");
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(m["payload"]["data"], Value::Null);
    assert_eq!(recv(&mut s).await["type"], "complete");
    // Anonymous callers are asked to sign in.
    let r = d.server.anon().run(TICKET, json!({"id": id})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));

    // Assignment lets an agent of another department in.
    d.admin
        .client
        .data(ASSIGN, json!({"i": {"ticketId": id, "userIds": [d.billing.id]}}))
        .await;
    assert_eq!(seen(&d.billing).await["id"], id);
    d.server.stop().await;
}

#[tokio::test]
async fn conversation_workflow_internal_notes_and_notifications() {
    let d = desk(ServerOptions::default()).await;
    let t = open_ticket(&d.alice, "Double charge").await;
    let id = t["id"].as_str().unwrap();
    d.admin
        .client
        .data(ASSIGN, json!({"i": {"ticketId": id, "userIds": [d.agent.id]}}))
        .await;

    let note = say(&d.agent, &t, "Looks like a gateway retry", true).await;
    assert_eq!(note["isInternal"], true);
    let reply = say(&d.agent, &t, "We are on it", false).await;
    assert_eq!(reply["senderKind"], "AGENT");
    let r = d
        .alice
        .client
        .run(
            MESSAGE,
            json!({"i": {"ticketId": id, "body": "psst", "isInternal": true}}),
        )
        .await;
    assert_eq!(
        r.error_code(),
        Some("FORBIDDEN"),
        "customers cannot write internal notes"
    );

    // The customer never sees the internal note; the agent does.
    let mine = d.alice.client.data(TICKET, json!({"id": id})).await["ticket"].clone();
    let bodies: Vec<&str> = mine["messages"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(!bodies.contains(&"Looks like a gateway retry"), "{bodies:?}");
    assert!(bodies.contains(&"We are on it"));
    assert_eq!(
        mine["status"], "WAITING_FOR_CUSTOMER",
        "an agent reply hands the turn to the customer"
    );
    assert!(mine["firstResponseAt"].is_string());
    let theirs = d.agent.client.data(TICKET, json!({"id": id})).await["ticket"].clone();
    assert!(theirs["messages"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["isInternal"] == true));
    // The internal note is not findable by the customer's search either.
    assert!(ticket_ids(&d.alice, json!({"f": {"search": "gateway"}}))
        .await
        .is_empty());
    assert_eq!(ticket_ids(&d.agent, json!({"f": {"search": "gateway"}})).await.len(), 1);

    // The customer's reply on a waiting ticket reopens it for the agent.
    let m = say(&d.alice, &t, "Thanks, still charged twice", false).await;
    assert_eq!(m["senderKind"], "CUSTOMER");
    let now = d.agent.client.data(TICKET, json!({"id": id})).await;
    assert_eq!(now["ticket"]["status"], "WAITING_FOR_AGENT");

    // Workflow: resolve, a customer reply reopens, close, closed refuses replies.
    let s = d
        .agent
        .client
        .data(STATUS, json!({"i": {"ticketId": id, "status": "RESOLVED"}}))
        .await;
    assert!(s["setTicketStatus"]["ticket"]["resolvedAt"].is_string());
    say(&d.alice, &t, "It happened again", false).await;
    let now = d.agent.client.data(TICKET, json!({"id": id})).await;
    assert_eq!(now["ticket"]["status"], "WAITING_FOR_AGENT");
    let r = d
        .alice
        .client
        .run(STATUS, json!({"i": {"ticketId": id, "status": "RESOLVED"}}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "customers may only close");
    let s = d
        .alice
        .client
        .data(STATUS, json!({"i": {"ticketId": id, "status": "CLOSED"}}))
        .await;
    assert!(s["setTicketStatus"]["ticket"]["closedAt"].is_string());
    let r = d
        .agent
        .client
        .run(STATUS, json!({"i": {"ticketId": id, "status": "RESOLVED"}}))
        .await;
    assert_eq!(
        r.error_code(),
        Some("BAD_USER_INPUT"),
        "CLOSED -> RESOLVED is not a transition"
    );
    assert_eq!(r.body["errors"][0]["extensions"]["fields"], json!(["status"]));
    let r = d
        .alice
        .client
        .run(MESSAGE, json!({"i": {"ticketId": id, "body": "hello?"}}))
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    // Status changes left system messages.
    let all = d.agent.client.data(TICKET, json!({"id": id})).await["ticket"]["messages"]["nodes"].clone();
    let system: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["isSystem"] == true)
        .collect();
    assert!(system
        .iter()
        .any(|m| m["body"].as_str().unwrap().contains("to RESOLVED")));
    assert!(system
        .iter()
        .all(|m| m["senderKind"] == "SYSTEM" && m["sender"].is_null()));

    // Notifications: the assignee heard about customer messages, the customer about the public reply.
    let db = Database::connect(&d.server.database_url).await.unwrap();
    let count = |user: &str| {
        let sql = format!("SELECT count(*) FROM notifications WHERE user_id = '{user}' AND kind = 'TICKET'");
        let db = db.clone();
        async move {
            db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<i64>(0)
                .unwrap()
        }
    };
    assert_eq!(count(&d.alice.id).await, 1, "one public agent reply");
    assert!(count(&d.agent.id).await >= 3, "assigned, plus customer messages");
    // ...and reads them through the API.
    let mine = d
        .alice
        .client
        .data(
            "{ viewerNotifications(unreadOnly: true) { nodes { kind title relatedEntityId status } } }",
            json!({}),
        )
        .await;
    let list = mine["viewerNotifications"]["nodes"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["kind"], "TICKET");
    assert_eq!(list[0]["relatedEntityId"], id);
    let n = d
        .alice
        .client
        .data("mutation { markNotificationsRead(input: {}) { count } }", json!({}))
        .await;
    assert_eq!(n["markNotificationsRead"]["count"], 1);
    let mine = d
        .alice
        .client
        .data("{ viewerNotifications(unreadOnly: true) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(mine["viewerNotifications"]["nodes"], json!([]));
    d.server.stop().await;
}

#[tokio::test]
async fn assignment_tags_transfer_filters_order_and_pages() {
    let d = desk(ServerOptions::default()).await;
    let a = open_ticket(&d.alice, "Alpha refund").await;
    let b = open_ticket(&d.alice, "Beta login").await;
    let c = open_ticket(&d.bob, "Gamma invoice").await;
    // Many-to-many assignment; only agents can be assigned.
    let both = d
        .admin
        .client
        .data(
            ASSIGN,
            json!({"i": {"ticketId": a["id"], "userIds": [d.agent.id, d.billing.id]}}),
        )
        .await;
    assert_eq!(both["assignTicket"]["ticket"]["assignees"].as_array().unwrap().len(), 2);
    let r = d
        .admin
        .client
        .run(ASSIGN, json!({"i": {"ticketId": b["id"], "userIds": [d.bob.id]}}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let r = d
        .alice
        .client
        .run(ASSIGN, json!({"i": {"ticketId": a["id"], "userIds": []}}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));

    let tag = "mutation($i: TagTicketInput!) { tagTicket(input: $i) { ticket { tags } } }";
    let t = d
        .agent
        .client
        .data(tag, json!({"i": {"ticketId": b["id"], "add": ["Bug", "login"]}}))
        .await;
    assert_eq!(t["tagTicket"]["ticket"]["tags"], json!(["bug", "login"]));
    d.agent
        .client
        .data(
            "mutation($i: UpdateTicketInput!) { updateTicket(input: $i) { ticket { priority } } }",
            json!({"i": {"ticketId": c["id"], "priority": "URGENT"}}),
        )
        .await;

    let all = |f: Value| ticket_ids(&d.admin, json!({"f": f}));
    let (ida, idb, idc) = (
        a["id"].as_str().unwrap(),
        b["id"].as_str().unwrap(),
        c["id"].as_str().unwrap(),
    );
    assert_eq!(all(json!({"tag": "bug"})).await, vec![idb]);
    assert_eq!(all(json!({"assigneeId": d.billing.id})).await, vec![ida]);
    assert_eq!(all(json!({"priority": "URGENT"})).await, vec![idc]);
    assert_eq!(all(json!({"search": "invoice"})).await, vec![idc]);
    assert_eq!(all(json!({"status": ["OPEN"]})).await.len(), 3);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    assert!(all(json!({"createdAfter": future})).await.is_empty());
    assert_eq!(all(json!({"createdBefore": future})).await.len(), 3);
    // Orderings.
    let by_priority = ticket_ids(&d.admin, json!({"o": {"field": "PRIORITY", "direction": "DESC"}})).await;
    assert_eq!(by_priority[0], idc);
    let oldest_first = ticket_ids(&d.admin, json!({"o": {"field": "CREATED_AT", "direction": "ASC"}})).await;
    assert_eq!(oldest_first, vec![ida, idb, idc]);
    // Keyset pages cover everything exactly once, and totalCount counts all.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = d
            .admin
            .client
            .data(
                "query($after: String) { tickets(first: 2, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
                json!({"after": after}),
            )
            .await["tickets"]
            .clone();
        assert_eq!(page["totalCount"], 3);
        for e in page["edges"].as_array().unwrap() {
            seen.push(e["node"]["id"].as_str().unwrap().to_string());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen, vec![idc, idb, ida]);
    let r = d
        .admin
        .client
        .run("{ tickets(after: \"garbage\") { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));

    // Transfers move tickets between departments that allow it.
    let deps = d.admin.client.data("{ departments { id code } }", json!({})).await["departments"].clone();
    let dep = |code: &str| deps.as_array().unwrap().iter().find(|x| x["code"] == code).unwrap()["id"].clone();
    let transfer =
        "mutation($i: TransferTicketInput!) { transferTicket(input: $i) { ticket { department { code } } } }";
    let moved = d
        .agent
        .client
        .data(
            transfer,
            json!({"i": {"ticketId": b["id"], "departmentId": dep("BILLING")}}),
        )
        .await;
    assert_eq!(moved["transferTicket"]["ticket"]["department"]["code"], "BILLING");
    d.admin
        .client
        .data(
            "mutation($i: DepartmentInput!) { saveDepartment(input: $i) { department { id } } }",
            json!({"i": {"id": dep("TECHNICAL"), "transfersEnabled": false}}),
        )
        .await;
    let r = d
        .admin
        .client
        .run(
            transfer,
            json!({"i": {"ticketId": b["id"], "departmentId": dep("TECHNICAL")}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    // The General agent no longer sees the moved ticket; the Billing agent does.
    assert_eq!(
        d.agent.client.data(TICKET, json!({"id": idb})).await["ticket"],
        Value::Null
    );
    assert_eq!(
        d.billing.client.data(TICKET, json!({"id": idb})).await["ticket"]["id"],
        idb
    );
    d.server.stop().await;
}

#[tokio::test]
async fn clients_inbound_channels_and_merging() {
    let d = desk(ServerOptions::default()).await;
    let inbound = "mutation($i: InboundMessageInput!) { ingestInboundMessage(input: $i) { ticket { id client { id displayName externalIds { kind value } } } message { senderKind sender { __typename } } } }";
    let first = d
        .agent
        .client
        .data(
            inbound,
            json!({"i": {"channel": "WHATSAPP", "externalId": "+55 11 98765-0000", "displayName": "Carlos", "body": "Olá, my deposit is missing"}}),
        )
        .await["ingestInboundMessage"]
        .clone();
    let client = first["ticket"]["client"].clone();
    assert_eq!(client["displayName"], "Carlos");
    assert_eq!(
        client["externalIds"],
        json!([{"kind": "WHATSAPP", "value": "+5511987650000"}])
    );
    assert_eq!(first["message"]["senderKind"], "CUSTOMER");
    assert_eq!(first["message"]["sender"]["__typename"], "Client");
    // The same number again finds the same client and can continue the ticket.
    let again = d
        .agent
        .client
        .data(
            inbound,
            json!({"i": {"channel": "WHATSAPP", "externalId": "+5511987650000", "body": "any news?", "ticketId": first["ticket"]["id"]}}),
        )
        .await["ingestInboundMessage"]
        .clone();
    assert_eq!(again["ticket"]["id"], first["ticket"]["id"]);
    assert_eq!(again["ticket"]["client"]["id"], client["id"]);
    // A Slack identity of the same person arrives as another client.
    let slack = d
        .agent
        .client
        .data(
            inbound,
            json!({"i": {"channel": "SLACK", "externalId": "T024/U0G9", "body": "hi from slack"}}),
        )
        .await["ingestInboundMessage"]["ticket"]
        .clone();
    let r = d
        .alice
        .client
        .run(
            inbound,
            json!({"i": {"channel": "EMAIL", "externalId": "x@y.test", "body": "x"}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));

    // Clients: create, identities, conflicts, merge.
    let create =
        "mutation($i: CreateClientInput!) { createClient(input: $i) { client { id externalIds { kind value } } } }";
    let made = d
        .agent
        .client
        .data(
            create,
            json!({"i": {"displayName": "Dana", "externalIds": [{"kind": "EMAIL", "value": "Dana@Example.test"}]}}),
        )
        .await["createClient"]["client"]
        .clone();
    assert_eq!(
        made["externalIds"],
        json!([{"kind": "EMAIL", "value": "dana@example.test"}])
    );
    let r = d
        .agent
        .client
        .run(
            create,
            json!({"i": {"displayName": "Dana 2", "externalIds": [{"kind": "EMAIL", "value": "dana@example.test"}]}}),
        )
        .await;
    assert_eq!(r.error_code(), Some("CONFLICT"));
    let merge =
        "mutation($i: MergeClientsInput!) { mergeClients(input: $i) { client { id externalIds { kind value } } } }";
    let merged = d
        .agent
        .client
        .data(
            merge,
            json!({"i": {"sourceId": slack["client"]["id"], "targetId": client["id"]}}),
        )
        .await["mergeClients"]["client"]
        .clone();
    let kinds: Vec<&str> = merged["externalIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["SLACK", "WHATSAPP"]);
    let moved = d.agent.client.data(TICKET, json!({"id": slack["id"]})).await;
    assert!(moved["ticket"]["messages"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["sender"]["id"] == client["id"]));
    let gone = d
        .agent
        .client
        .data(
            "query($id: ID!) { client(id: $id) { id } }",
            json!({"id": slack["client"]["id"]}),
        )
        .await;
    assert_eq!(gone["client"], Value::Null);
    let found = d
        .agent
        .client
        .data(
            "{ clients(search: \"5511987650000\", first: 5) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(found["clients"]["edges"].as_array().unwrap().len(), 1);
    // Customers see their own client record, not others'.
    open_ticket(&d.alice, "mine").await;
    let r = d
        .alice
        .client
        .run("{ clients(first: 1) { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    assert_eq!(
        d.alice
            .client
            .data(
                "query($id: ID!) { client(id: $id) { id } }",
                json!({"id": client["id"]})
            )
            .await["client"],
        Value::Null
    );
    d.server.stop().await;
}

const MSG_SUB: &str = "subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { id body isInternal } }";

async fn subscribe(server: &TestServer, who: &Persona, query: &str, vars: Value) -> Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", who.access_token)})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "sub", "payload": {"query": query, "variables": vars}}),
    )
    .await;
    s
}

/// The next `next` payload on the socket (skipping pings).
async fn next_item(s: &mut Socket) -> Value {
    loop {
        let m = recv(s).await;
        match m["type"].as_str() {
            Some("next") => return m["payload"].clone(),
            Some("ping") | Some("pong") => continue,
            _ => return m,
        }
    }
}

/// True when nothing but pings arrives within `ms`.
async fn quiet(s: &mut Socket, ms: u64) -> bool {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => return true,
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] != "ping" {
                    return false;
                }
            }
            Ok(_) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_notes_never_reach_a_customer_socket() {
    let d = desk(ServerOptions::default()).await;
    let t = open_ticket(&d.alice, "Live chat").await;
    let vars = json!({"t": t["id"]});
    let mut customer = subscribe(&d.server, &d.alice, MSG_SUB, vars.clone()).await;
    let mut agent = subscribe(&d.server, &d.agent, MSG_SUB, vars).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    say(&d.agent, &t, "internal: check the ledger", true).await;
    say(&d.agent, &t, "public: we are checking", false).await;
    let a1 = next_item(&mut agent).await;
    let a2 = next_item(&mut agent).await;
    assert_eq!(a1["data"]["ticketMessageAdded"]["body"], "internal: check the ledger");
    assert_eq!(a2["data"]["ticketMessageAdded"]["body"], "public: we are checking");
    // The customer's first event is the public reply: the note was skipped.
    let c1 = next_item(&mut customer).await;
    assert_eq!(
        c1["data"]["ticketMessageAdded"]["body"], "public: we are checking",
        "{c1}"
    );
    assert_eq!(c1["data"]["ticketMessageAdded"]["isInternal"], false);
    assert!(quiet(&mut customer, 500).await);

    // ticketUpdated without an id: the customer hears of their ticket only.
    let mut all = subscribe(
        &d.server,
        &d.alice,
        "subscription { ticketUpdated { id status } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    open_ticket(&d.bob, "someone else's").await;
    say(&d.alice, &t, "any update?", false).await;
    let u = next_item(&mut all).await;
    assert_eq!(u["data"]["ticketUpdated"]["id"], t["id"], "{u}");
    d.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_who_loses_access_stops_receiving() {
    let d = desk(ServerOptions::default()).await;
    let t = open_ticket(&d.alice, "Access").await;
    let vars = json!({"t": t["id"]});
    let mut agent = subscribe(&d.server, &d.agent, MSG_SUB, vars.clone()).await;
    let mut customer = subscribe(&d.server, &d.alice, MSG_SUB, vars).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    say(&d.alice, &t, "first", false).await;
    assert_eq!(
        next_item(&mut agent).await["data"]["ticketMessageAdded"]["body"],
        "first"
    );
    assert_eq!(
        next_item(&mut customer).await["data"]["ticketMessageAdded"]["body"],
        "first"
    );

    // The agent leaves General Support; the customer signs out.
    d.admin
        .client
        .data(
            "mutation($i: SetUserDepartmentsInput!) { setUserDepartments(input: $i) { user { id } } }",
            json!({"i": {"userId": d.agent.id, "departmentIds": []}}),
        )
        .await;
    d.alice.client.data("mutation { logout }", json!({})).await;
    let other = d.server.login(&d.alice.email, crate::support::personas::PASSWORD).await;
    say(&other, &t, "second", false).await;

    let ended = next_item(&mut agent).await;
    assert_eq!(ended["errors"][0]["extensions"]["code"], "FORBIDDEN", "{ended}");
    assert_eq!(recv(&mut agent).await["type"], "complete");
    // The customer's socket closes with the session (4403).
    assert_eq!(crate::websocket::closed(&mut customer).await.0, 4403);
    d.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_subscribers_on_another_instance_through_redis() {
    let d = desk(ServerOptions {
        redis: true,
        ..Default::default()
    })
    .await;
    let other = TestServer::with(ServerOptions {
        redis: true,
        database_url: Some(d.server.database_url.clone()),
        ..Default::default()
    })
    .await;
    let t = open_ticket(&d.alice, "Across instances").await;
    // The agent listens on instance B; the customer writes through instance A.
    let mut on_b = subscribe(&other, &d.agent, MSG_SUB, json!({"t": t["id"]})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    say(&d.alice, &t, "sent through A", false).await;
    let got = next_item(&mut on_b).await;
    assert_eq!(got["data"]["ticketMessageAdded"]["body"], "sent through A", "{got}");
    other.stop().await;
    d.server.stop().await;
}

const PAGE: &str =
    "query($n: Int!) { tickets(first: $n) { edges { node { id number subject status department { name } \
    client { displayName } assignees { displayName } tags \
    messages(last: 5) { totalCount pageInfo { hasPreviousPage startCursor } nodes { body ticket { id } sender { ... on User { displayName } ... on Client { displayName } } } } } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_page_costs_the_same_statements_at_any_size() {
    crate::support::test_log();
    let server = TestServer::start().await;
    switchboard::seed::scale::load_spec(
        &server.database_url,
        &switchboard::seed::scale::ScaleSpec::units(0.02),
        false,
    )
    .await
    .expect("seed tickets");
    let admin = server.admin().await;
    let mut counts = Vec::new();
    for n in [10, 100, 10, 100] {
        let before = server.ctx.db.statement_count();
        let d = admin.client.data(PAGE, json!({"n": n})).await;
        let after = server.ctx.db.statement_count();
        let edges = d["tickets"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n as usize);
        assert!(edges
            .iter()
            .any(|e| !e["node"]["messages"]["nodes"].as_array().unwrap().is_empty()));
        assert!(edges
            .iter()
            .any(|e| !e["node"]["assignees"].as_array().unwrap().is_empty()));
        counts.push(after - before);
    }
    println!(
        "SQL statements per ticket page: first 10 -> {}, first 100 -> {}",
        counts[2], counts[3]
    );
    assert_eq!(
        counts[2], counts[3],
        "statements must not grow with the page size: {counts:?}"
    );
    assert!(counts[3] <= 12, "a page is a handful of statements: {counts:?}");
    server.stop().await;
}

/// Drives the reference `graphql-ws` client (tests/node/ticket-subscribers.mjs)
/// with `clients` subscribed to one ticket; `post` runs once every
/// subscription is live. Returns the bodies each client received.
async fn with_graphql_ws_clients<F, Fut>(
    ticket_id: &str,
    clients: Vec<(&str, String, String)>,
    probe: impl Fn() -> Fut,
    post: F,
) -> Value
where
    F: std::future::Future<Output = ()>,
    Fut: std::future::Future<Output = ()>,
{
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = crate::support::node_modules();
    let config = json!({
        "ticketId": ticket_id,
        "probe": "probe",
        "until": "public: the end",
        "clients": clients.iter().map(|(n, u, t)| json!({"name": n, "url": u, "token": t})).collect::<Vec<_>>(),
    });
    let mut child = tokio::process::Command::new("node")
        .arg("ticket-subscribers.mjs")
        .arg(config.to_string())
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is needed for the graphql-ws client tests");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("SUBSCRIBED"));
    // Post probes until every subscription has seen one.
    let ready = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            probe().await;
            if let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_millis(500), lines.next_line()).await {
                if line == "READY" {
                    return;
                }
            }
        }
    })
    .await;
    assert!(ready.is_ok(), "the graphql-ws subscriptions never became live");
    post.await;
    let out = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.starts_with('{') {
                return line;
            }
        }
        String::new()
    })
    .await
    .expect("the graphql-ws clients finished");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON from the node script ({e}): {out:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_ws_client_sees_internal_notes_only_as_staff_and_across_instances() {
    let d = desk(ServerOptions {
        redis: true,
        ..Default::default()
    })
    .await;
    // A second instance on the same database and Redis.
    let b = TestServer::with(ServerOptions {
        redis: true,
        database_url: Some(d.server.database_url.clone()),
        ..Default::default()
    })
    .await;
    let t = open_ticket(&d.alice, "Reference client").await;
    let id = t["id"].as_str().unwrap().to_string();
    let clients = vec![
        ("customer", d.server.ws_url(), d.alice.access_token.clone()),
        ("agent", d.server.ws_url(), d.agent.access_token.clone()),
        ("agentOnB", b.ws_url(), d.agent.access_token.clone()),
    ];
    let got = with_graphql_ws_clients(
        &id,
        clients,
        || async {
            say(&d.agent, &t, "probe", false).await;
        },
        async {
            say(&d.agent, &t, "internal: not for the customer", true).await;
            say(&d.alice, &t, "customer: hello", false).await;
            say(&d.agent, &t, "public: the end", false).await;
        },
    )
    .await;
    let all = json!(["internal: not for the customer", "customer: hello", "public: the end"]);
    assert_eq!(got["agent"], all, "{got}");
    assert_eq!(
        got["agentOnB"], all,
        "messages posted through instance A reach B: {got}"
    );
    assert_eq!(got["customer"], json!(["customer: hello", "public: the end"]), "{got}");
    b.stop().await;
    d.server.stop().await;
}

/// The side-by-side benchmark's ticket page (bench/sidebyside.rs,
/// `TICKETS_OURS`), with the page size as a variable.
/// Waits until `who`'s session is served from the session cache. A seed
/// grants thousands of roles; each grant is announced on the credentials
/// channel and, while they are being heard, session checks are not cached
/// (a check that raced an invalidation never is). A barrier, not a delay.
async fn session_served_from_cache(server: &TestServer, who: &Persona) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let before = server.ctx.db.statement_count();
        who.client.data("{ viewer { id } }", json!({})).await;
        if server.ctx.db.statement_count() == before {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the session cache never served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const BENCH_PAGE: &str =
    "query($n: Int!) { tickets(first: $n, orderBy: {field: CREATED_AT, direction: DESC}) { nodes { \
    id number subject status department { name } \
    messages(first: 10) { nodes { id body sender { ... on User { displayName } ... on Client { displayName } } } } \
    assignees { id displayName } tags } } }";

/// The benchmark's `viewer` plus one ticket (`TICKET_OURS`).
const BENCH_TICKET: &str = "query($id: ID!) { viewer { id displayName email } ticket(id: $id) { id number subject status \
    messages(first: 12) { nodes { id body createdAt sender { ... on User { displayName } ... on Client { displayName } } } } } }";

/// The SQL statements one repeat of `query` costs (the first run warms
/// up; of three repeats the fewest count, so a background worker's
/// statement that happens to land in a window is not charged to the
/// request), and the last answer.
async fn statements_of(server: &TestServer, who: &Persona, query: &str, vars: Value) -> (u64, Value) {
    who.client.data(query, vars.clone()).await;
    let mut fewest = u64::MAX;
    let mut answer = Value::Null;
    for _ in 0..3 {
        let before = server.ctx.db.statement_count();
        answer = who.client.data(query, vars.clone()).await;
        fewest = fewest.min(server.ctx.db.statement_count() - before);
    }
    (fewest, answer)
}

/// Rows of a statement, each as its columns in text.
async fn text_rows(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<Vec<Option<String>>> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (0..r.column_names().len())
                .map(|i| r.try_get_by_index::<Option<String>>(i).unwrap())
                .collect()
        })
        .collect()
}

/// A conversation's first `n` messages as the API shows them to staff, read
/// with plain SQL: id, body and the sender's name (its user's, else its
/// client's); and how many of them a client without a user wrote.
async fn first_messages(db: &sea_orm::DatabaseConnection, ticket: &str, n: usize) -> (Vec<Value>, usize) {
    let sql = format!(
        "SELECT m.id::text, m.body, CASE WHEN m.sender_user_id IS NOT NULL THEN u.display_name ELSE c.display_name END, \
         (m.sender_user_id IS NULL AND m.sender_client_id IS NOT NULL)::text \
         FROM support_ticket_messages m LEFT JOIN users u ON u.id = m.sender_user_id \
         LEFT JOIN clients c ON c.id = m.sender_client_id \
         WHERE m.ticket_id = '{ticket}' ORDER BY m.created_at, m.id LIMIT {n}"
    );
    let rows = text_rows(db, &sql).await;
    let by_clients = rows.iter().filter(|r| r[3].as_deref() == Some("true")).count();
    let messages = rows
        .into_iter()
        .map(|r| json!({"id": r[0], "body": r[1], "sender": r[2]}))
        .collect();
    (messages, by_clients)
}

fn shown_messages(ticket: &Value) -> Vec<Value> {
    ticket["messages"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| json!({"id": m["id"], "body": m["body"], "sender": m["sender"]["displayName"]}))
        .collect()
}

/// The benchmark's ticket page costs the same statements at 10 and 50
/// tickets, and answers what plain SQL says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bench_ticket_page_costs_two_statements_at_any_size() {
    crate::support::test_log();
    let server = TestServer::start().await;
    switchboard::seed::scale::load_spec(
        &server.database_url,
        &switchboard::seed::scale::ScaleSpec::units(0.02),
        false,
    )
    .await
    .expect("seed tickets");
    let admin = server.admin().await;
    session_served_from_cache(&server, &admin).await;
    let mut counts = Vec::new();
    let mut page = Value::Null;
    for n in [10, 50] {
        let (count, answer) = statements_of(&server, &admin, BENCH_PAGE, json!({"n": n})).await;
        counts.push(count);
        page = answer;
        assert_eq!(page["tickets"]["nodes"].as_array().unwrap().len(), n as usize);
    }
    println!(
        "SQL statements per bench ticket page: first 10 -> {}, first 50 -> {}",
        counts[0], counts[1]
    );
    // The page with its departments, tags and assignee ids, and the
    // conversations with their senders and the assignees' users; the
    // session cache serves the session check.
    assert_eq!(counts, vec![2, 2], "statements per page at first 10 and 50");

    // The same answer as plain SQL.
    let db = Database::connect(&server.database_url).await.unwrap();
    let nodes = page["tickets"]["nodes"].as_array().unwrap();
    let ids: Vec<Option<String>> = text_rows(
        &db,
        "SELECT id::text FROM support_tickets ORDER BY created_at DESC, id DESC LIMIT 50",
    )
    .await
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let shown: Vec<Option<String>> = nodes.iter().map(|t| t["id"].as_str().map(String::from)).collect();
    assert_eq!(shown, ids, "newest first");
    let (mut with_assignees, mut with_tags, mut client_senders) = (0, 0, 0);
    for t in nodes {
        let id = t["id"].as_str().unwrap();
        let dep = text_rows(
            &db,
            &format!("SELECT d.name FROM support_tickets t LEFT JOIN departments d ON d.id = t.department_id WHERE t.id = '{id}'"),
        )
        .await;
        assert_eq!(
            t["department"]["name"].as_str(),
            dep[0][0].as_deref(),
            "department of {id}"
        );
        let tags: Vec<Value> = text_rows(
            &db,
            &format!("SELECT g.name FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.ticket_id = '{id}' ORDER BY g.name"),
        )
        .await
        .into_iter()
        .map(|r| json!(r[0]))
        .collect();
        assert_eq!(t["tags"].as_array().unwrap(), &tags, "tags of {id}");
        with_tags += usize::from(!tags.is_empty());
        let assignees: Vec<Value> = text_rows(
            &db,
            &format!(
                "SELECT u.id::text, u.display_name FROM ticket_assignments ta JOIN users u ON u.id = ta.user_id \
                 WHERE ta.ticket_id = '{id}' ORDER BY ta.assigned_at, u.id"
            ),
        )
        .await
        .into_iter()
        .map(|r| json!({"id": r[0], "displayName": r[1]}))
        .collect();
        assert_eq!(t["assignees"].as_array().unwrap(), &assignees, "assignees of {id}");
        with_assignees += usize::from(!assignees.is_empty());
        let (messages, by_clients) = first_messages(&db, id, 10).await;
        assert_eq!(shown_messages(t), messages, "messages of {id}");
        client_senders += by_clients;
    }
    assert!(
        with_tags > 0 && with_assignees > 0 && client_senders > 0,
        "the page exercises every relation"
    );
    server.stop().await;
}

/// `viewer` plus one ticket with its conversation costs the same
/// statements with 3 messages or 12, and answers what plain SQL says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bench_ticket_costs_the_same_statements_with_3_or_12_messages() {
    crate::support::test_log();
    let server = TestServer::start().await;
    switchboard::seed::scale::load_spec(
        &server.database_url,
        &switchboard::seed::scale::ScaleSpec::units(0.02),
        false,
    )
    .await
    .expect("seed tickets");
    let admin = server.admin().await;
    let db = Database::connect(&server.database_url).await.unwrap();
    let pick = |having: &str| {
        format!(
            "SELECT ticket_id::text FROM support_ticket_messages GROUP BY ticket_id HAVING {having} \
             ORDER BY ticket_id LIMIT 1"
        )
    };
    let short = text_rows(&db, &pick("count(*) = 3")).await[0][0].clone().unwrap();
    // A long one with both kinds of sender.
    let long = text_rows(
        &db,
        &pick("count(*) >= 12 AND bool_or(sender_user_id IS NULL AND sender_client_id IS NOT NULL) AND bool_or(sender_user_id IS NOT NULL)"),
    )
    .await[0][0]
        .clone()
        .unwrap();
    session_served_from_cache(&server, &admin).await;
    let mut counts = Vec::new();
    for (id, n) in [(&short, 3), (&long, 12)] {
        let (count, d) = statements_of(&server, &admin, BENCH_TICKET, json!({"id": id})).await;
        counts.push(count);
        assert_eq!(d["viewer"]["id"], admin.id);
        assert_eq!(d["ticket"]["id"], id.as_str());
        let shown = shown_messages(&d["ticket"]);
        assert_eq!(shown.len(), n);
        assert_eq!(shown, first_messages(&db, id, 12).await.0, "messages of {id}");
    }
    // Backward pages with their senders come in conversation order too.
    let (all, _) = first_messages(&db, &long, 100).await;
    let back = "query($id: ID!, $before: String) { ticket(id: $id) { messages(last: 5, before: $before) { \
        pageInfo { startCursor hasPreviousPage } nodes { id body sender { ... on User { displayName } ... on Client { displayName } } } } } }";
    let newest = admin.client.data(back, json!({"id": long})).await;
    assert_eq!(shown_messages(&newest["ticket"]), all[all.len() - 5..].to_vec());
    let before = &newest["ticket"]["messages"]["pageInfo"]["startCursor"];
    let older = admin.client.data(back, json!({"id": long, "before": before})).await;
    assert_eq!(
        shown_messages(&older["ticket"]),
        all[all.len() - 10..all.len() - 5].to_vec()
    );
    println!(
        "SQL statements per bench ticket: 3 messages -> {}, 12 -> {}",
        counts[0], counts[1]
    );
    // The ticket within the viewer's reach and its conversation with the
    // senders; the session cache serves the session check and the viewer's
    // own row.
    assert_eq!(counts, vec![2, 2], "statements per ticket with 3 and 12 messages");
    server.stop().await;
}

/// The bench queries' paths (a page of tickets with their conversations,
/// one ticket with its conversation, through `nodes` and `edges`) show
/// internal notes to staff only.
#[tokio::test]
async fn the_bench_queries_never_show_a_customer_an_internal_note() {
    let d = desk(ServerOptions::default()).await;
    let t = open_ticket(&d.alice, "Where is my refund").await;
    let id = t["id"].as_str().unwrap();
    say(&d.alice, &t, "customer: any news?", false).await;
    say(&d.agent, &t, "internal: refund blocked by fraud check", true).await;
    say(&d.agent, &t, "agent: we are on it", false).await;
    let edges = "query { tickets(first: 10) { edges { node { id messages(last: 10) { totalCount \
        edges { node { body isInternal sender { ... on User { displayName } } } } } } } } }";
    let bodies = |v: &Value| v.to_string();
    let mut totals = Vec::new();
    for (who, sees) in [(&d.alice, false), (&d.agent, true), (&d.admin, true)] {
        let page = who.client.data(BENCH_PAGE, json!({"n": 50})).await;
        let one = who.client.data(BENCH_TICKET, json!({"id": id})).await;
        let by_edges = who.client.data(edges, json!({})).await;
        for v in [&page, &one, &by_edges] {
            assert_eq!(bodies(v).contains("internal: refund blocked"), sees, "{v}");
            assert!(bodies(v).contains("agent: we are on it"), "{v}");
        }
        let mine = by_edges["tickets"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["id"] == id)
            .unwrap()
            .clone();
        totals.push(mine["node"]["messages"]["totalCount"].as_i64().unwrap());
    }
    assert_eq!(
        totals,
        vec![totals[0], totals[0] + 1, totals[0] + 1],
        "staff count the note too"
    );
    d.server.stop().await;
}
