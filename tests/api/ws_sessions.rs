//! A WebSocket is only as good as its session: after each way a session
//! (or API key, or account) ends, a query and a mutation sent on a socket
//! that was already open are refused, and an idle socket is closed with
//! 4403 without sending anything. Raw graphql-transport-ws frames.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::support::personas::{Persona, PASSWORD};
use crate::support::{ServerOptions, TestServer};
use crate::websocket::{closed, connect, init, recv, send, Socket};

const ME: &str = "{ viewer { id } }";
const MINT_KEY: &str =
    r#"mutation { createApiKey(input: {name: "from the socket", scopes: ["profile.read"]}) { key } }"#;
const OPEN_TICKET: &str = r#"mutation { createTicket(input: {subject: "from the socket", description: "should not exist"}) { ticket { id } } }"#;

fn bearer(token: &str) -> Value {
    json!({"authorization": format!("Bearer {token}")})
}

/// A signed-in socket, checked to run as `user_id`.
async fn open(server: &TestServer, payload: Value, user_id: &str) -> Socket {
    let mut s = connect(server, Some("graphql-transport-ws")).await;
    init(&mut s, payload).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "probe", "payload": {"query": ME}}),
    )
    .await;
    let m = recv(&mut s).await;
    assert_eq!(m["type"], "next", "{m}");
    assert_eq!(m["payload"]["data"]["viewer"]["id"], user_id, "{m}");
    assert_eq!(recv(&mut s).await["type"], "complete");
    s
}

/// Sends a query and `mutation` on the socket, then reads to the end:
/// neither may run (an `UNAUTHENTICATED` error for it, or the socket closed
/// with 4403 first). Returns the close code, if a close frame arrived.
async fn assert_refused(socket: &mut Socket, mutation: &str) -> Option<u16> {
    for (id, query) in [("q", ME), ("m", mutation)] {
        let msg = json!({"type": "subscribe", "id": id, "payload": {"query": query}});
        // The server may have closed already; that refuses them too.
        let _ = socket.send(Message::Text(msg.to_string().into())).await;
    }
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the socket answers or closes within 10 s");
        match frame {
            Some(Ok(Message::Text(t))) => {
                let m: Value = serde_json::from_str(t.as_str()).unwrap();
                match m["type"].as_str() {
                    Some("next") => panic!("an operation ran after the session ended: {m}"),
                    Some("error") => assert_eq!(m["payload"][0]["extensions"]["code"], "UNAUTHENTICATED", "{m}"),
                    _ => {}
                }
            }
            Some(Ok(Message::Close(Some(f)))) => {
                let code = u16::from(f.code);
                assert_eq!(code, 4403, "closed with {code} {}", f.reason);
                return Some(code);
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn count(server: &TestServer, sql: &str, user_id: &str) -> i64 {
    let user: uuid::Uuid = user_id.parse().unwrap();
    server
        .ctx
        .db
        .primary
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [user.into()]))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

async fn api_keys_of(server: &TestServer, user_id: &str) -> i64 {
    count(server, "SELECT count(*) FROM api_keys WHERE user_id = $1", user_id).await
}

/// Two sockets on `payload` as `who`, opened before `end` runs: the idle
/// one is closed with 4403, the other refuses a query and `mutation`.
async fn check_ending<F, Fut>(server: &TestServer, who: &Persona, payload: Value, mutation: &str, end: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut idle = open(server, payload.clone(), &who.id).await;
    let mut busy = open(server, payload, &who.id).await;
    let keys_before = api_keys_of(server, &who.id).await;
    end().await;
    assert_refused(&mut busy, mutation).await;
    let (code, reason) = closed(&mut idle).await;
    assert_eq!(code, 4403, "{reason}");
    assert_eq!(
        api_keys_of(server, &who.id).await,
        keys_before,
        "no API key was minted on the dead socket"
    );
}

#[tokio::test]
async fn logout_ends_open_sockets() {
    let server = TestServer::start().await;
    let p = server.customer("wslogout").await;
    check_ending(&server, &p, bearer(&p.access_token), MINT_KEY, || async {
        p.client.data("mutation { logout }", json!({})).await;
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn sign_out_everywhere_ends_open_sockets() {
    let server = TestServer::start().await;
    let p = server.customer("wseverywhere").await;
    let other = server.login(&p.email, PASSWORD).await;
    let mut elsewhere = open(&server, bearer(&other.access_token), &p.id).await;
    check_ending(&server, &p, bearer(&p.access_token), MINT_KEY, || async {
        p.client.data("mutation { signOutEverywhere }", json!({})).await;
    })
    .await;
    assert_eq!(closed(&mut elsewhere).await.0, 4403);
    server.stop().await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_sockets() {
    let server = TestServer::start().await;
    let p = server.customer("wspassword").await;
    let other = server.login(&p.email, PASSWORD).await;
    check_ending(&server, &p, bearer(&other.access_token), MINT_KEY, || async {
        p.client
            .data(
                "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }",
                json!({"i": {"currentPassword": PASSWORD, "newPassword": "another long passphrase"}}),
            )
            .await;
    })
    .await;
    // The session that changed the password goes on, as over HTTP.
    open(&server, bearer(&p.access_token), &p.id).await;
    server.stop().await;
}

#[tokio::test]
async fn revoking_a_session_ends_its_sockets() {
    let server = TestServer::start().await;
    let p = server.customer("wsrevoke").await;
    let other = server.login(&p.email, PASSWORD).await;
    let sessions = p
        .client
        .data("{ viewer { sessions { nodes { id current } } } }", json!({}))
        .await;
    let victim = sessions["viewer"]["sessions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .map(|s| s["id"].clone())
        .expect("the other session is listed");
    check_ending(&server, &p, bearer(&other.access_token), MINT_KEY, || async {
        p.client
            .data(
                "mutation($i: IdInput!) { revokeSession(input: $i) }",
                json!({"i": {"id": victim}}),
            )
            .await;
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn refresh_token_reuse_ends_the_sessions_sockets() {
    let server = TestServer::start().await;
    let p = server.customer("wsreuse").await;
    let refresh = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }";
    check_ending(&server, &p, bearer(&p.access_token), MINT_KEY, || async {
        let anon = server.anon();
        anon.data(refresh, json!({"t": p.refresh_token})).await;
        let r = anon.run(refresh, json!({"t": p.refresh_token})).await;
        assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "{}", r.body);
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn suspension_ends_the_accounts_sockets_api_keys_included() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let p = server.customer("wssuspend").await;
    let key = create_key(&p).await.0;
    let mut keyed = open(&server, json!({"x-api-key": key}), &p.id).await;
    check_ending(&server, &p, bearer(&p.access_token), MINT_KEY, || async {
        admin
            .client
            .data(
                "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { id } } }",
                json!({"i": {"userId": p.id, "status": "SUSPENDED"}}),
            )
            .await;
    })
    .await;
    assert_eq!(closed(&mut keyed).await.0, 4403);
    server.stop().await;
}

/// An API key of `p` for tickets and the profile: (key, id).
async fn create_key(p: &Persona) -> (String, String) {
    let d = p
        .client
        .data(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id } } }",
            json!({"i": {"name": "socket", "scopes": ["profile.read", "tickets.create", "tickets.read"]}}),
        )
        .await;
    (
        d["createApiKey"]["key"].as_str().unwrap().to_string(),
        d["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn revoking_an_api_key_ends_its_sockets() {
    let server = TestServer::start().await;
    let p = server.customer("wskey").await;
    let (key, id) = create_key(&p).await;
    check_ending(&server, &p, json!({"x-api-key": key}), OPEN_TICKET, || async {
        p.client
            .data(
                "mutation($i: IdInput!) { revokeApiKey(input: $i) { apiKey { isActive } } }",
                json!({"i": {"id": id}}),
            )
            .await;
    })
    .await;
    let tickets = count(
        &server,
        "SELECT count(*) FROM support_tickets WHERE created_by_user_id = $1",
        &p.id,
    )
    .await;
    assert_eq!(tickets, 0, "no ticket was opened on the dead socket");
    // A session's socket of the same user is not affected.
    open(&server, bearer(&p.access_token), &p.id).await;
    server.stop().await;
}

#[tokio::test]
async fn an_expired_access_token_closes_the_socket() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_ACCESS_TOKEN_TTL_SECS", "2".into())],
        ..Default::default()
    })
    .await;
    let p = server.customer("wsexpiry").await;
    let mut idle = open(&server, bearer(&p.access_token), &p.id).await;
    let mut busy = open(&server, bearer(&p.access_token), &p.id).await;
    let keys_before = api_keys_of(&server, &p.id).await;
    // Nothing is sent: the server closes when the token expires.
    let (code, reason) = closed(&mut idle).await;
    assert_eq!(code, 4403, "{reason}");
    assert!(reason.contains("expired"), "{reason}");
    assert_refused(&mut busy, MINT_KEY).await;
    assert_eq!(api_keys_of(&server, &p.id).await, keys_before);
    server.stop().await;
}

#[tokio::test]
async fn a_refresh_on_the_open_socket_keeps_it_past_the_old_expiry() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_ACCESS_TOKEN_TTL_SECS", "4".into())],
        ..Default::default()
    })
    .await;
    let p = server.customer("wsrefresh").await;
    let mut s = open(&server, bearer(&p.access_token), &p.id).await;
    // Halfway through the first token's life, a new one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let fresh = server
        .anon()
        .data(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({"t": p.refresh_token}),
        )
        .await["refreshSession"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    send(
        &mut s,
        json!({"type": "ping", "payload": {"authorization": format!("Bearer {fresh}")}}),
    )
    .await;
    let pong = recv(&mut s).await;
    assert_eq!(pong, json!({"type": "pong", "payload": {"refreshed": true}}));
    // Past the first token's expiry the socket still serves.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "later", "payload": {"query": ME}}),
    )
    .await;
    let m = recv(&mut s).await;
    assert_eq!(m["payload"]["data"]["viewer"]["id"], p.id.as_str(), "{m}");
    assert_eq!(recv(&mut s).await["type"], "complete");

    // A token of someone else is no refresh: the socket closes.
    let q = server.customer("wsother").await;
    send(
        &mut s,
        json!({"type": "ping", "payload": {"authorization": format!("Bearer {}", q.access_token)}}),
    )
    .await;
    assert_eq!(closed(&mut s).await.0, 4403);
    server.stop().await;
}

/// Ends a session in SQL, as an operator would: the server hears of it
/// only through the database's credentials notification.
async fn revoke_silently(server: &TestServer) {
    server
        .ctx
        .db
        .primary
        .execute_unprepared("UPDATE user_sessions SET revoked_at = now() WHERE revoked_at IS NULL")
        .await
        .unwrap();
}

#[tokio::test]
async fn every_operation_authenticates_against_the_live_session() {
    // No periodic re-check during the test: only the operation's own
    // authentication can refuse it.
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_WS_SESSION_CHECK_SECS", "3600".into())],
        ..Default::default()
    })
    .await;
    let p = server.customer("wslive").await;
    let mut s = open(&server, bearer(&p.access_token), &p.id).await;
    revoke_silently(&server).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "m", "payload": {"query": MINT_KEY}}),
    )
    .await;
    // The revocation is refused either by the operation's own check (an
    // UNAUTHENTICATED error, then 4403) or, when the database's
    // credentials notification reaches the socket first, by the socket
    // closing with 4403 at once; never is the operation run.
    let code = loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), s.next())
            .await
            .expect("an answer within 10 s");
        match frame {
            Some(Ok(Message::Text(t))) => {
                let m: Value = serde_json::from_str(t.as_str()).unwrap();
                if m["type"] == "ping" || m["type"] == "pong" {
                    continue;
                }
                assert_eq!(m["type"], "error", "{m}");
                assert_eq!(m["id"], "m");
                assert_eq!(m["payload"][0]["extensions"]["code"], "UNAUTHENTICATED", "{m}");
            }
            Some(Ok(Message::Close(Some(f)))) => break u16::from(f.code),
            Some(Ok(_)) => continue,
            other => panic!("closed without a close frame: {other:?}"),
        }
    };
    assert_eq!(code, 4403);
    assert_eq!(api_keys_of(&server, &p.id).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn the_periodic_recheck_closes_sockets_whose_session_ended_unannounced() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_WS_SESSION_CHECK_SECS", "1".into())],
        ..Default::default()
    })
    .await;
    let p = server.customer("wssweep").await;
    let mut s = open(&server, bearer(&p.access_token), &p.id).await;
    revoke_silently(&server).await;
    assert_eq!(closed(&mut s).await.0, 4403);
    server.stop().await;
}
