//! graphql-transport-ws (and legacy graphql-ws): the reference client's
//! happy path, then raw frames for every close code of the protocol.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::support::{run_node, ServerOptions, TestServer};

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn connect(server: &TestServer, protocol: Option<&str>) -> Socket {
    let mut req = server.ws_url().into_client_request().unwrap();
    if let Some(p) = protocol {
        req.headers_mut().insert("sec-websocket-protocol", p.parse().unwrap());
    }
    let (socket, _) = tokio_tungstenite::connect_async(req).await.expect("websocket connects");
    socket
}

pub(crate) async fn send(socket: &mut Socket, msg: Value) {
    socket.send(Message::Text(msg.to_string().into())).await.expect("send");
}

/// The next text message as JSON; panics on close or timeout.
pub(crate) async fn recv(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("socket open")
            .expect("frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Reads until the server closes; returns the close code and reason.
pub(crate) async fn closed(socket: &mut Socket) -> (u16, String) {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the server closes within 10 s");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return (u16::from(frame.code), frame.reason.to_string()),
            Some(Ok(Message::Close(None))) | None => panic!("closed without a close frame"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("socket error before close: {e}"),
        }
    }
}

pub(crate) async fn init(socket: &mut Socket, payload: Value) {
    send(socket, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(recv(socket).await["type"], "connection_ack");
}

const HEARTBEAT: &str = "subscription { heartbeat(everySeconds: 1) { sequence } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_ws_client_happy_path() {
    let server = TestServer::start().await;
    let token = server.customer("ws").await.access_token;
    let out = run_node("ws-client.mjs", &[&server.ws_url(), &token]).await;
    assert_eq!(out["acked"], 1);
    assert_eq!(out["query"][0]["data"]["apiVersion"], env!("CARGO_PKG_VERSION"));
    let beats = out["beats"].as_array().expect("beats");
    assert_eq!(beats.len(), 2);
    assert_eq!(beats[0]["data"]["heartbeat"]["sequence"], 1);
    assert_eq!(beats[1]["data"]["heartbeat"]["sequence"], 2);
    assert_eq!(beats[0]["data"]["heartbeat"]["instanceId"], server.ctx.instance_id);
    let invalid = out["invalid"]
        .as_str()
        .expect("an invalid operation is reported as an error");
    assert!(invalid.contains("noSuchField"), "{invalid}");
    server.stop().await;
}

#[tokio::test]
async fn close_4400_on_a_malformed_message() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    s.send(Message::Text("{not json".into())).await.unwrap();
    assert_eq!(closed(&mut s).await.0, 4400);

    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "1", "payload": {"query": 42}}),
    )
    .await;
    assert_eq!(closed(&mut s).await.0, 4400);

    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    send(&mut s, json!({"type": "what"})).await;
    assert_eq!(closed(&mut s).await.0, 4400);
    server.stop().await;
}

#[tokio::test]
async fn close_4401_on_subscribe_before_ack() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "1", "payload": {"query": "{ apiVersion }"}}),
    )
    .await;
    let (code, reason) = closed(&mut s).await;
    assert_eq!((code, reason.as_str()), (4401, "Unauthorized"));
    server.stop().await;
}

#[tokio::test]
async fn close_4403_on_bad_credentials_and_ack_on_good_ones() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    send(
        &mut s,
        json!({"type": "connection_init", "payload": {"authorization": "Bearer forged"}}),
    )
    .await;
    assert_eq!(closed(&mut s).await, (4403, "Forbidden".to_string()));

    // A well-signed token whose session does not exist is refused too.
    let (forged, _) = server.ctx.keys.tokens.issue(Uuid::now_v7(), Uuid::now_v7());
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    send(
        &mut s,
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {forged}")}}),
    )
    .await;
    assert_eq!(closed(&mut s).await.0, 4403);

    let token = server.customer("ws").await.access_token;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({"authorization": format!("Bearer {token}")})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "me", "payload": {"query": "{ viewer { displayName } }"}}),
    )
    .await;
    let m = recv(&mut s).await;
    assert_eq!(m["payload"]["data"]["viewer"]["displayName"], "ws", "{m}");
    server.stop().await;
}

#[tokio::test]
async fn close_4408_without_connection_init_in_time() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_WS_INIT_TIMEOUT_SECS", "1".into())],
        ..Default::default()
    })
    .await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    let (code, reason) = closed(&mut s).await;
    assert_eq!(code, 4408);
    assert_eq!(reason, "Connection initialisation timeout");
    server.stop().await;
}

#[tokio::test]
async fn close_4409_on_a_duplicate_id_with_a_reason_within_123_bytes() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    let id = "x".repeat(300);
    send(
        &mut s,
        json!({"type": "subscribe", "id": id, "payload": {"query": HEARTBEAT}}),
    )
    .await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": id, "payload": {"query": HEARTBEAT}}),
    )
    .await;
    let (code, reason) = closed(&mut s).await;
    assert_eq!(code, 4409);
    assert!(reason.starts_with("Subscriber for xxx"), "{reason}");
    assert!(reason.len() <= 123, "close reason is {} bytes", reason.len());
    server.stop().await;
}

#[tokio::test]
async fn close_4429_on_a_second_init() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    send(&mut s, json!({"type": "connection_init"})).await;
    assert_eq!(
        closed(&mut s).await,
        (4429, "Too many initialisation requests".to_string())
    );
    server.stop().await;
}

#[tokio::test]
async fn close_4406_without_a_known_subprotocol() {
    let server = TestServer::start().await;
    let mut s = connect(&server, None).await;
    assert_eq!(closed(&mut s).await.0, 4406);
    server.stop().await;
}

#[tokio::test]
async fn ping_pong_keepalive_and_complete() {
    let server = TestServer::with(ServerOptions {
        env: vec![("SWITCHBOARD_WS_KEEPALIVE_SECS", "1".into())],
        ..Default::default()
    })
    .await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    send(&mut s, json!({"type": "ping", "payload": {"n": 1}})).await;
    let pong = recv(&mut s).await;
    assert_eq!(pong, json!({"type": "pong", "payload": {"n": 1}}));
    // The server pings an idle socket.
    assert_eq!(recv(&mut s).await["type"], "ping");

    send(
        &mut s,
        json!({"type": "subscribe", "id": "beat", "payload": {"query": HEARTBEAT}}),
    )
    .await;
    let mut next = recv(&mut s).await;
    while next["type"] == "ping" {
        next = recv(&mut s).await;
    }
    assert_eq!(next["type"], "next");
    assert_eq!(next["id"], "beat");
    send(&mut s, json!({"type": "complete", "id": "beat"})).await;
    // A completed id may be reused at once: the first subscription is gone.
    send(
        &mut s,
        json!({"type": "subscribe", "id": "beat", "payload": {"query": "{ apiVersion }"}}),
    )
    .await;
    let mut seen = Vec::new();
    loop {
        let m = recv(&mut s).await;
        if m["type"] == "ping" {
            continue;
        }
        let done = m["type"] == "complete";
        seen.push(m);
        if done {
            break;
        }
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0]["payload"]["data"]["apiVersion"], env!("CARGO_PKG_VERSION"));
    server.stop().await;
}

#[tokio::test]
async fn request_errors_arrive_as_error_messages() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "e", "payload": {"query": "subscription { nope }"}}),
    )
    .await;
    let m = recv(&mut s).await;
    assert_eq!(m["type"], "error");
    assert_eq!(m["id"], "e");
    assert_eq!(m["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    server.stop().await;
}

#[tokio::test]
async fn legacy_graphql_ws_protocol() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-ws")).await;
    send(&mut s, json!({"type": "connection_init", "payload": {}})).await;
    assert_eq!(recv(&mut s).await["type"], "connection_ack");
    send(
        &mut s,
        json!({"type": "start", "id": "1", "payload": {"query": HEARTBEAT}}),
    )
    .await;
    let mut m = recv(&mut s).await;
    while m["type"] == "ka" {
        m = recv(&mut s).await;
    }
    assert_eq!(m["type"], "data");
    assert_eq!(m["payload"]["data"]["heartbeat"]["sequence"], 1);
    send(&mut s, json!({"type": "stop", "id": "1"})).await;
    send(&mut s, json!({"type": "connection_terminate"})).await;
    assert_eq!(closed(&mut s).await.0, 1000);
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let server = TestServer::start().await;
    let mut s = connect(&server, Some("graphql-transport-ws")).await;
    init(&mut s, json!({})).await;
    send(
        &mut s,
        json!({"type": "subscribe", "id": "1", "payload": {"query": HEARTBEAT}}),
    )
    .await;
    server.begin_shutdown();
    let (code, _) = closed(&mut s).await;
    assert_eq!(CloseCode::from(code), CloseCode::Away);
    server.stop().await;
}
