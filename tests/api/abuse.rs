//! Abuse limits: two-factor code attempts, anonymous sockets and running
//! operations per client, and which address a rate limit counts (a spoofed
//! `X-Forwarded-For` must not dodge it).

use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::identity::{base32_decode, now, totp};
use crate::support::personas::{unique_email, Persona};
use crate::support::{ServerOptions, TestServer};
use crate::websocket::{closed, connect, init, recv, send, Socket};

const CONFIRM: &str = "mutation($i: CodeInput!) { confirmTotp(input: $i) { recoveryCodes } }";
const DISABLE: &str = "mutation($i: CodeInput!) { disableTotp(input: $i) }";
const REGENERATE: &str = "mutation($i: CodeInput!) { regenerateRecoveryCodes(input: $i) { recoveryCodes } }";

async fn enrol(p: &Persona) -> Vec<u8> {
    let d = p.client.data("mutation { enrollTotp { secret } }", json!({})).await;
    base32_decode(d["enrollTotp"]["secret"].as_str().unwrap())
}

fn limited_totp_server() -> ServerOptions {
    ServerOptions {
        env: vec![("SWITCHBOARD_TOTP_RATE_PER_ACCOUNT", "3".into())],
        ..Default::default()
    }
}

#[tokio::test]
async fn confirming_two_factor_is_rate_limited_even_with_the_right_code() {
    let server = TestServer::with(limited_totp_server()).await;
    let p = server.customer("totpconfirm").await;
    let secret = enrol(&p).await;
    for _ in 0..3 {
        let r = p.client.run(CONFIRM, json!({"i": {"code": "000000"}})).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    }
    let r = p
        .client
        .run(CONFIRM, json!({"i": {"code": totp(&secret, now())}}))
        .await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"), "{}", r.body);
    let on = p.client.data("{ viewer { twoFactorEnabled } }", json!({})).await;
    assert_eq!(on["viewer"]["twoFactorEnabled"], false);
    // The limit is per account: another user confirms at once.
    let q = server.customer("totpother").await;
    let secret = enrol(&q).await;
    q.client
        .data(CONFIRM, json!({"i": {"code": totp(&secret, now())}}))
        .await;
    server.stop().await;
}

#[tokio::test]
async fn disabling_two_factor_and_new_recovery_codes_are_rate_limited() {
    let server = TestServer::with(limited_totp_server()).await;
    let p = server.customer("totpdisable").await;
    let secret = enrol(&p).await;
    let codes = p
        .client
        .data(CONFIRM, json!({"i": {"code": totp(&secret, now())}}))
        .await["confirmTotp"]["recoveryCodes"]
        .clone();
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    for _ in 0..2 {
        let r = p.client.run(DISABLE, json!({"i": {"code": "123456"}})).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    }
    // Fourth check: a valid recovery code is refused, and not consumed.
    let r = p.client.run(DISABLE, json!({"i": {"code": codes[0]}})).await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"), "{}", r.body);
    let r = p.client.run(REGENERATE, json!({"i": {"code": codes[1]}})).await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"), "{}", r.body);
    let v = p
        .client
        .data("{ viewer { twoFactorEnabled recoveryCodesLeft } }", json!({}))
        .await;
    assert_eq!(v["viewer"], json!({"twoFactorEnabled": true, "recoveryCodesLeft": 10}));
    server.stop().await;
}

/// Connects, returning the HTTP status of a refused upgrade.
async fn try_connect(server: &TestServer) -> Result<Socket, u16> {
    let mut req = server.ws_url().into_client_request().unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((s, _)) => Ok(s),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connect failed: {e}"),
    }
}

/// Closes from the client side and waits for the server's close reply.
async fn hang_up(mut s: Socket) {
    s.send(Message::Close(None)).await.unwrap();
    let _ = closed_quietly(&mut s).await;
}

async fn closed_quietly(s: &mut Socket) -> Option<()> {
    use futures::StreamExt;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), s.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return Some(()),
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("the server did not answer the close"),
        }
    }
}

#[tokio::test]
async fn anonymous_sockets_are_capped_per_address() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_WS_MAX_ANON_PER_ADDRESS", "2".into())],
        ..Default::default()
    })
    .await;
    let mut first = try_connect(&server).await.expect("first socket");
    init(&mut first, json!({})).await;
    let second = try_connect(&server).await.expect("second socket (not yet initialised)");
    assert_eq!(try_connect(&server).await.err(), Some(429), "the third is refused");
    // Closing one frees its slot.
    hang_up(second).await;
    let third = try_connect(&server).await.expect("a slot was freed");
    assert_eq!(try_connect(&server).await.err(), Some(429));
    hang_up(third).await;

    // Signed-in sockets do not count: after signing in, a socket gives its
    // anonymous slot back.
    let p = server.customer("wsanon").await;
    let mut signed = try_connect(&server).await.expect("slot for the sign-in");
    init(
        &mut signed,
        json!({"authorization": format!("Bearer {}", p.access_token)}),
    )
    .await;
    let other = try_connect(&server).await.expect("the signed-in socket left its slot");
    assert_eq!(try_connect(&server).await.err(), Some(429));
    drop(other);
    drop(first);
    server.stop().await;
}

fn heartbeat(id: &str) -> Value {
    json!({"type": "subscribe", "id": id, "payload": {"query": "subscription { heartbeat(everySeconds: 1) { sequence } }"}})
}

/// The next message about `id` (skipping other operations' beats).
async fn next_for(s: &mut Socket, id: &str) -> Value {
    loop {
        let m = recv(s).await;
        if m["id"] == id {
            return m;
        }
    }
}

#[tokio::test]
async fn running_operations_are_capped_per_client() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS", "2".into())],
        ..Default::default()
    })
    .await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    send(&mut s, heartbeat("a")).await;
    send(&mut s, heartbeat("b")).await;
    assert_eq!(next_for(&mut s, "a").await["type"], "next");
    assert_eq!(next_for(&mut s, "b").await["type"], "next");
    send(&mut s, heartbeat("c")).await;
    let m = next_for(&mut s, "c").await;
    assert_eq!(m["type"], "error", "{m}");
    assert_eq!(m["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{m}");

    // The cap is per address, not per socket.
    let mut t = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut t, json!({})).await;
    send(&mut t, heartbeat("d")).await;
    let m = next_for(&mut t, "d").await;
    assert_eq!(m["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{m}");

    // Completing one frees a slot.
    send(&mut s, json!({"type": "complete", "id": "a"})).await;
    send(&mut s, heartbeat("c")).await;
    assert_eq!(next_for(&mut s, "c").await["type"], "next");

    // A signed-in user counts on their own.
    let p = server.customer("wscap").await;
    let mut u = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut u, json!({"authorization": format!("Bearer {}", p.access_token)})).await;
    send(&mut u, heartbeat("e")).await;
    assert_eq!(next_for(&mut u, "e").await["type"], "next");

    // Closing a socket frees its operations' slots.
    send(&mut s, json!({"type": "connection_init"})).await;
    assert_eq!(closed(&mut s).await.0, 4429);
    send(&mut t, heartbeat("f")).await;
    assert_eq!(next_for(&mut t, "f").await["type"], "next");
    server.stop().await;
}

const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";

/// A failed sign-in claiming to come from `forwarded`; returns the code.
async fn login_from(server: &TestServer, forwarded: &str) -> String {
    let body =
        json!({"query": LOGIN, "variables": {"i": {"email": unique_email("nobody"), "password": "not the password"}}});
    let res = server
        .anon()
        .raw()
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", forwarded)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_reset_the_login_limit() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_LOGIN_RATE_PER_ADDRESS", "3".into())],
        ..Default::default()
    })
    .await;
    for i in 0..3 {
        assert_eq!(login_from(&server, &format!("198.51.100.{i}")).await, "UNAUTHENTICATED");
    }
    assert_eq!(login_from(&server, "198.51.100.99").await, "RATE_LIMITED");
    assert_eq!(login_from(&server, "203.0.113.7, 198.51.100.98").await, "RATE_LIMITED");
    server.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let server = TestServer::with(ServerOptions {
        env: vec![
            ("SWITCHBOARD_LOGIN_RATE_PER_ADDRESS", "3".into()),
            ("SWITCHBOARD_TRUSTED_PROXIES", "127.0.0.1".into()),
        ],
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(login_from(&server, "198.51.100.1").await, "UNAUTHENTICATED");
    }
    assert_eq!(login_from(&server, "198.51.100.1").await, "RATE_LIMITED");
    // A spoofed entry left of the proxy's does not help.
    assert_eq!(login_from(&server, "203.0.113.7, 198.51.100.1").await, "RATE_LIMITED");
    // Another client behind the same proxy has its own budget.
    assert_eq!(login_from(&server, "198.51.100.2").await, "UNAUTHENTICATED");
    server.stop().await;
}
