//! One ticket's messages fanned out to many sockets: the re-checks of an
//! event are answered together, so a posted message costs the same SQL
//! statements at 5 subscribed sockets as at 50 (several users: a customer
//! with two sessions, agents, an administrator), while an internal note
//! still never reaches the customer's sockets and subscribers who lost
//! access (role revoked, moved out of the department) are told once and
//! dropped, in the same batch as those who still receive.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::personas::Persona;
use crate::support::{ServerOptions, TestServer};
use crate::websocket::{connect, init, recv, send, Socket};

const CREATE: &str = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }";
const MESSAGE: &str = "mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id } } }";
const SUB: &str = "subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { id body isInternal } }";

async fn say(p: &Persona, ticket: &Value, body: &str, internal: bool) {
    p.client
        .data(
            MESSAGE,
            json!({"i": {"ticketId": ticket, "body": body, "isInternal": internal}}),
        )
        .await;
}

/// A socket subscribed to the ticket's messages as `who`.
async fn subscribe(server: &TestServer, who: &Persona, ticket: &Value) -> Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {}", who.access_token)})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "m", "payload": {"query": SUB, "variables": {"t": ticket}}}),
    )
    .await;
    s
}

/// The next frame that is not a ping or pong.
async fn next_frame(s: &mut Socket) -> Value {
    loop {
        let m = recv(s).await;
        if !matches!(m["type"].as_str(), Some("ping" | "pong")) {
            return m;
        }
    }
}

/// The body of the next message; panics on anything else.
async fn next_body(s: &mut Socket) -> String {
    let m = next_frame(s).await;
    assert_eq!(m["type"], "next", "{m}");
    assert!(m["payload"].get("errors").is_none(), "an error event: {m}");
    m["payload"]["data"]["ticketMessageAdded"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Reads messages until `body`; returns those before it.
async fn until(s: &mut Socket, body: &str) -> Vec<String> {
    let mut before = Vec::new();
    loop {
        let got = next_body(s).await;
        if got == body {
            return before;
        }
        before.push(got);
    }
}

/// A subscribed socket and whether its user is a customer.
struct Sub {
    socket: Socket,
    customer: bool,
    /// Index of the session it runs as.
    session: usize,
}

/// `n` sockets spread over `sessions` in turn, each live (it has heard a
/// message posted after it subscribed) and caught up to one sync message.
async fn crowd(
    server: &TestServer,
    poster: &Persona,
    ticket: &Value,
    sessions: &[(&Persona, bool)],
    n: usize,
) -> Vec<Sub> {
    let mut subs = Vec::with_capacity(n);
    for i in 0..n {
        let (who, customer) = sessions[i % sessions.len()];
        subs.push(Sub {
            socket: subscribe(server, who, ticket).await,
            customer,
            session: i % sessions.len(),
        });
    }
    // Subscriptions join the bus asynchronously: post probes until every
    // socket has heard one (a barrier, not a timing assumption).
    let mut live = vec![false; n];
    for k in 0.. {
        assert!(k < 40, "not every subscription became live");
        say(poster, ticket, &format!("probe {n}/{k}"), false).await;
        for (i, s) in subs.iter_mut().enumerate() {
            if !live[i] {
                use futures::StreamExt;
                use tokio_tungstenite::tungstenite::Message;
                if let Ok(Some(Ok(Message::Text(t)))) =
                    tokio::time::timeout(Duration::from_millis(300), s.socket.next()).await
                {
                    let frame: Value = serde_json::from_str(t.as_str()).unwrap();
                    live[i] = frame["type"] == "next";
                }
            }
        }
        if live.iter().all(|l| *l) {
            break;
        }
    }
    let sync = format!("sync {n}");
    say(poster, ticket, &sync, false).await;
    for s in subs.iter_mut() {
        until(&mut s.socket, &sync).await;
    }
    subs
}

/// Statements the server issued while `post` ran and every socket in
/// `reached` read the message `body`.
async fn cost_of(
    server: &TestServer,
    subs: &mut [Sub],
    reached: impl Fn(&Sub) -> bool,
    body: &str,
    post: impl std::future::Future<Output = ()>,
) -> u64 {
    let before = server.ctx.db.statement_count();
    post.await;
    for s in subs.iter_mut().filter(|s| reached(s)) {
        assert_eq!(next_body(&mut s.socket).await, body);
    }
    server.ctx.db.statement_count() - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_costs_the_same_statements_at_5_and_50_sockets() {
    let server = TestServer::with(ServerOptions {
        // No periodic socket session sweep inside a measured window.
        env: vec![("SWITCHBOARD_WS_SESSION_CHECK_SECS", "3600".to_string())],
        ..Default::default()
    })
    .await;
    let admin = server.admin().await;
    let agent = server.agent(&admin, "GENERAL").await;
    let doomed = server.agent(&admin, "GENERAL").await;
    let mover = server.agent(&admin, "GENERAL").await;
    let alice = server.customer("alice").await;
    let alice_again = server.login(&alice.email, crate::support::personas::PASSWORD).await;
    let ticket = alice
        .client
        .data(
            CREATE,
            json!({"i": {"subject": "Fan-out", "description": "many sockets"}}),
        )
        .await["createTicket"]["ticket"]["id"]
        .clone();
    // Six sessions of five users; 5 sockets use the first five.
    let sessions = [
        (&alice, true),
        (&agent, false),
        (&doomed, false),
        (&admin, false),
        (&mover, false),
        (&alice_again, true),
    ];

    let mut costs = Vec::new();
    let mut last = Vec::new();
    for n in [5usize, 50] {
        let mut subs = crowd(&server, &agent, &ticket, &sessions, n).await;
        let public = format!("public {n}");
        let note = format!("internal {n}");
        let after = format!("after the note {n}");
        let public_cost = cost_of(
            &server,
            &mut subs,
            |_| true,
            &public,
            say(&agent, &ticket, &public, false),
        )
        .await;
        let note_cost = cost_of(
            &server,
            &mut subs,
            |s| !s.customer,
            &note,
            say(&agent, &ticket, &note, true),
        )
        .await;
        // The next message of every socket, a customer's included, is the
        // one after the note: the note never reached a customer.
        say(&agent, &ticket, &after, false).await;
        for s in subs.iter_mut() {
            assert_eq!(next_body(&mut s.socket).await, after, "customer: {}", s.customer);
        }
        println!("{n} sockets: a public message costs {public_cost} statements, an internal note {note_cost}");
        costs.push((public_cost, note_cost));
        last = subs;
    }
    assert_eq!(
        costs[0], costs[1],
        "(public, internal) statements per message at 5 and at 50 sockets: {costs:?}"
    );
    assert!(
        costs[1].0 <= 20,
        "a posted message is a handful of statements: {costs:?}"
    );

    // One agent loses the role, another the department: their sockets are
    // told and dropped, everyone else hears the next message.
    admin
        .client
        .data(
            "mutation($i: AssignRoleInput!) { revokeRole(input: $i) { user { id } } }",
            json!({"i": {"userId": doomed.id, "roleKey": "support_agent"}}),
        )
        .await;
    admin
        .client
        .data(
            "mutation($i: SetUserDepartmentsInput!) { setUserDepartments(input: $i) { user { id } } }",
            json!({"i": {"userId": mover.id, "departmentIds": []}}),
        )
        .await;
    let body = "after the revocation";
    say(&agent, &ticket, body, true).await;
    let (mut dropped, mut reached) = (0, 0);
    for s in last.iter_mut() {
        match s.session {
            2 | 4 => {
                let m = next_frame(&mut s.socket).await;
                assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
                assert!(!m.to_string().contains(body), "{m}");
                assert_eq!(next_frame(&mut s.socket).await["type"], "complete");
                dropped += 1;
            }
            _ if s.customer => {}
            _ => {
                assert_eq!(next_body(&mut s.socket).await, body);
                reached += 1;
            }
        }
    }
    assert_eq!((dropped, reached), (16, 17), "sockets dropped and reached");
    // Customers heard nothing of the note; the next public message is next.
    say(&agent, &ticket, "the end", false).await;
    for s in last.iter_mut().filter(|s| s.customer) {
        assert_eq!(next_body(&mut s.socket).await, "the end");
    }
    server.stop().await;
}
