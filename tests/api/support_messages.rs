//! A ticket's conversation as a connection in both directions: a chat view
//! opens on the newest page and scrolls back through any number of older
//! messages, each exactly once and in order; internal notes only for staff.
//! And what `addTicketMessage` returns for a client cache.

use serde_json::{json, Value};

use crate::support::personas::Persona;
use crate::support::TestServer;

const CREATE: &str = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }";
const MESSAGE: &str = "mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id ticket { id } } ticket { id status updatedAt } } }";
const BACK: &str = "query($id: ID!, $before: String) { ticket(id: $id) { messages(last: 20, before: $before) { totalCount edges { cursor node { id isInternal } } pageInfo { hasPreviousPage hasNextPage startCursor } } } }";
const FORWARD: &str = "query($id: ID!, $after: String) { ticket(id: $id) { messages(first: 20, after: $after) { totalCount nodes { id isInternal } pageInfo { hasPreviousPage hasNextPage endCursor } } } }";

/// Every message id, newest page first and walking back with `before`.
async fn walk_back(p: &Persona, ticket: &str) -> (Vec<String>, i64) {
    let mut ids: Vec<String> = Vec::new();
    let mut before = Value::Null;
    for _ in 0..100 {
        let d = p.client.data(BACK, json!({"id": ticket, "before": before})).await;
        let conn = &d["ticket"]["messages"];
        let total = conn["totalCount"].as_i64().unwrap();
        let page: Vec<String> = conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect();
        assert!(page.len() <= 20);
        assert_eq!(conn["pageInfo"]["hasNextPage"], !before.is_null(), "{conn}");
        ids.splice(0..0, page);
        if conn["pageInfo"]["hasPreviousPage"] == false {
            return (ids, total);
        }
        before = conn["pageInfo"]["startCursor"].clone();
    }
    panic!("the walk back did not end");
}

/// Every message id, oldest page first and walking on with `after`.
async fn walk_forward(p: &Persona, ticket: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    for _ in 0..100 {
        let d = p.client.data(FORWARD, json!({"id": ticket, "after": after})).await;
        let conn = &d["ticket"]["messages"];
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], !after.is_null(), "{conn}");
        ids.extend(
            conn["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string()),
        );
        if conn["pageInfo"]["hasNextPage"] == false {
            return ids;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    panic!("the walk forward did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_fifty_messages_walk_both_ways_each_once_in_order() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let agent = server.agent(&admin, "GENERAL").await;
    let alice = server.customer("alice").await;
    let ticket = alice
        .client
        .data(
            CREATE,
            json!({"i": {"subject": "Long chat", "description": "many messages"}}),
        )
        .await["createTicket"]["ticket"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Customer replies, agent replies and internal notes, interleaved.
    let mut all = Vec::new();
    let mut public = Vec::new();
    for i in 0..250 {
        let (who, internal) = match i % 5 {
            1 => (&agent, false),
            3 => (&agent, true),
            _ => (&alice, false),
        };
        let d = who
            .client
            .data(
                MESSAGE,
                json!({"i": {"ticketId": ticket, "body": format!("message {i}"), "isInternal": internal}}),
            )
            .await;
        let id = d["addTicketMessage"]["message"]["id"].as_str().unwrap().to_string();
        all.push(id.clone());
        if !internal {
            public.push(id);
        }
    }
    assert_eq!(public.len(), 200);

    let (agent_back, agent_total) = walk_back(&agent, &ticket).await;
    assert_eq!(
        agent_back, all,
        "the agent walks back through every message, notes included"
    );
    assert_eq!(agent_total, 250);
    assert_eq!(walk_forward(&agent, &ticket).await, all);

    let (alice_back, alice_total) = walk_back(&alice, &ticket).await;
    assert_eq!(alice_back, public, "the customer never meets an internal note");
    assert_eq!(alice_total, 200);
    assert_eq!(walk_forward(&alice, &ticket).await, public);

    // A cursor from the agent's view pointing at a note still pages the
    // customer's view without showing the note.
    let d = agent.client.data(BACK, json!({"id": ticket, "before": null})).await;
    let note = d["ticket"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["isInternal"] == true)
        .unwrap()["cursor"]
        .clone();
    let d = alice.client.data(BACK, json!({"id": ticket, "before": note})).await;
    assert!(d["ticket"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["node"]["isInternal"] == false));
    server.stop().await;
}

#[tokio::test]
async fn a_posted_message_returns_its_ticket_and_links_to_it() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let agent = server.agent(&admin, "GENERAL").await;
    let alice = server.customer("alice").await;
    let ticket = alice
        .client
        .data(CREATE, json!({"i": {"subject": "Status", "description": "moves"}}))
        .await["createTicket"]["ticket"]["id"]
        .clone();
    let d = agent
        .client
        .data(MESSAGE, json!({"i": {"ticketId": ticket, "body": "On it"}}))
        .await;
    let p = &d["addTicketMessage"];
    assert_eq!(p["ticket"]["id"], ticket);
    assert_eq!(
        p["ticket"]["status"], "WAITING_FOR_CUSTOMER",
        "the payload shows the new status"
    );
    assert!(p["ticket"]["updatedAt"].is_string());
    assert_eq!(p["message"]["ticket"]["id"], ticket);
    let d = alice
        .client
        .data(MESSAGE, json!({"i": {"ticketId": ticket, "body": "Thanks"}}))
        .await;
    assert_eq!(d["addTicketMessage"]["ticket"]["status"], "WAITING_FOR_AGENT");
    server.stop().await;
}

const TAGS: &str = "query($first: Int, $after: String, $last: Int, $before: String) { ticketTags(first: $first, after: $after, last: $last, before: $before) { totalCount nodes { name } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }";

#[tokio::test]
async fn ticket_tags_walk_both_ways_with_a_total() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let agent = server.agent(&admin, "GENERAL").await;
    let alice = server.customer("alice").await;
    let ticket = alice
        .client
        .data(CREATE, json!({"i": {"subject": "Tags", "description": "many"}}))
        .await["createTicket"]["ticket"]["id"]
        .clone();
    let mut names: Vec<String> = (0..25).map(|i| format!("tag-{i:02}")).collect();
    agent
        .client
        .data(
            "mutation($i: TagTicketInput!) { tagTicket(input: $i) { ticket { tags } } }",
            json!({"i": {"ticketId": ticket, "add": names}}),
        )
        .await;
    names.sort();
    let names_of = |d: &Value| -> Vec<String> {
        d["ticketTags"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    };
    // Forward in pages of 10.
    let mut forward = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = agent.client.data(TAGS, json!({"first": 10, "after": after})).await;
        assert_eq!(d["ticketTags"]["totalCount"], 25);
        forward.extend(names_of(&d));
        if d["ticketTags"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = d["ticketTags"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(forward, names);
    // Backward in pages of 10.
    let mut backward: Vec<String> = Vec::new();
    let mut before = Value::Null;
    loop {
        let d = agent.client.data(TAGS, json!({"last": 10, "before": before})).await;
        backward.splice(0..0, names_of(&d));
        if d["ticketTags"]["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = d["ticketTags"]["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backward, names);
    server.stop().await;
}
