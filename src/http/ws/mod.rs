//! Subscriptions over WebSocket on `/graphql`.
//!
//! Speaks `graphql-transport-ws` (the graphql-ws library's protocol) with
//! every close code it defines, and the legacy `graphql-ws` protocol of
//! subscriptions-transport-ws for old clients. Written here rather than
//! taken from async-graphql, whose handler closes with 1002/3008 where the
//! protocol requires 4400/4408 and lacks 4401 and 4409.
//!
//! A socket is only as good as its credentials: every operation sent on it
//! authenticates again with the `connection_init` credentials, exactly as
//! an HTTP request does, and the socket closes with 4403 when its session
//! (or API key, or account) ends or its access token expires (see
//! [`super::sockets`]). A client refreshes on an open socket by sending
//! `{"type": "ping", "payload": {"authorization": "Bearer <new token>"}}`
//! with a token of the same user before the old one expires.

mod protocol;
mod session;

use std::collections::HashMap;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::mpsc;

use crate::error::ErrorCode;
use crate::http::auth::ClientInfo;
use crate::http::sockets::AnonymousSlot;
use crate::http::AppState;
use crate::service::identity::Credentials;

pub use protocol::{close, close_reason, is_upgrade, MAX_CLOSE_REASON};
use protocol::{close_message, Protocol, LEGACY_WS, TRANSPORT_WS};
use session::{ended, expiry, scopeguard, Connection, Next, Outgoing, SESSION_ENDED, TOKEN_EXPIRED};

/// Initial read buffer of a socket (it grows for larger frames).
const WS_READ_BUFFER: usize = 4 * 1024;

/// Accepts the upgrade and runs the connection.
pub async fn upgrade(state: AppState, req: axum::extract::Request) -> Response {
    let client = ClientInfo::from_parts(req.headers(), req.extensions());
    let (mut parts, _) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let max = state.ctx.config.limits.max_body_bytes;
    // Small per-socket buffers: tungstenite preallocates a 128 KiB read
    // buffer and gathers 128 KiB of writes by default, which made an idle
    // subscribed socket cost about 150 KiB. Client messages are small; the
    // read buffer still grows to a larger frame when one arrives, and each
    // outgoing message is written (and flushed) as it is sent anyway.
    let ws = ws
        .protocols([TRANSPORT_WS, LEGACY_WS])
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(max)
        .max_frame_size(max);
    let protocol = match ws.selected_protocol().and_then(|p| p.to_str().ok()) {
        Some(TRANSPORT_WS) => Some(Protocol::Transport),
        Some(LEGACY_WS) => Some(Protocol::Legacy),
        _ => None,
    };
    let Some(anonymous) = state.sockets.admit_anonymous(client.ip_address.as_deref()) else {
        return too_many_anonymous();
    };
    let tracker = state.tasks.clone();
    ws.on_upgrade(move |socket| {
        tracker.track_future(async move {
            let span = tracing::info_span!("ws", request_id = client.request_id.as_deref().unwrap_or(""));
            let _ = tracing::Instrument::instrument(run(state, socket, protocol, client, anonymous), span).await;
        })
    })
}

/// 429 before the upgrade: the address holds its share of sockets that
/// are not signed in.
fn too_many_anonymous() -> Response {
    let body = json!({"errors": [{
        "message": "too many WebSocket connections from this address; sign in or close some",
        "extensions": {"code": ErrorCode::RateLimited.as_str()}
    }]});
    let mut res = (axum::http::StatusCode::TOO_MANY_REQUESTS, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("10"));
    res
}

async fn run(
    state: AppState,
    socket: WebSocket,
    protocol: Option<Protocol>,
    client: ClientInfo,
    anonymous: AnonymousSlot,
) {
    let metrics = state.ctx.metrics.clone();
    metrics.socket_opened();
    let _socket_gauge = scopeguard(move || metrics.socket_closed());
    let (mut sink, mut stream) = socket.split();
    let Some(protocol) = protocol else {
        let _ = sink
            .send(close_message(
                close::SUBPROTOCOL_NOT_ACCEPTABLE,
                "Subprotocol not acceptable",
            ))
            .await;
        return;
    };
    let (out_tx, mut out_rx) = mpsc::channel::<Outgoing>(256);
    let ws_config = state.ctx.config.ws.clone();
    let shutdown = state.ctx.shutdown.clone();
    let mut conn = Connection {
        state,
        protocol,
        client,
        viewer: None,
        credentials: Credentials::None,
        anonymous: Some(anonymous),
        watch: None,
        expires: None,
        init_received: false,
        operations: HashMap::new(),
        next_generation: 0,
        out: out_tx,
    };
    let init_deadline = tokio::time::sleep(ws_config.init_timeout);
    tokio::pin!(init_deadline);
    let mut keepalive = tokio::time::interval(ws_config.keepalive);
    keepalive.tick().await;

    let close_with = loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break Some((close::GOING_AWAY, "server shutting down".to_string())),
            _ = &mut init_deadline, if !conn.init_received => {
                break Some((close::INIT_TIMEOUT, "Connection initialisation timeout".to_string()));
            }
            _ = ended(conn.watch.as_ref()) => break Some((close::FORBIDDEN, SESSION_ENDED.to_string())),
            _ = expiry(conn.expires) => break Some((close::FORBIDDEN, TOKEN_EXPIRED.to_string())),
            incoming = stream.next() => {
                let msg = match incoming {
                    None | Some(Err(_)) => break None,
                    Some(Ok(m)) => m,
                };
                let next = match msg {
                    Message::Text(text) => conn.on_text(text.as_str()).await,
                    Message::Binary(_) => Next::Close(close::BAD_REQUEST, "binary messages are not supported".into()),
                    Message::Ping(_) | Message::Pong(_) => Next::Continue,
                    Message::Close(_) => break None,
                };
                match next {
                    Next::Continue => {}
                    Next::Send(json) => {
                        if sink.send(Message::Text(json.to_string().into())).await.is_err() {
                            break None;
                        }
                    }
                    Next::Close(code, reason) => break Some((code, reason)),
                    Next::SendThenClose(json, code, reason) => {
                        let _ = sink.send(Message::Text(json.to_string().into())).await;
                        break Some((code, reason));
                    }
                }
            }
            Some(out) = out_rx.recv() => match out {
                Outgoing::Text(text) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break None;
                    }
                }
                Outgoing::Finished { id, generation } => {
                    if conn.operations.get(&id).is_some_and(|op| op.generation == generation) {
                        conn.operations.remove(&id);
                    }
                }
            },
            _ = keepalive.tick(), if conn.viewer.is_some() => {
                let ping = match conn.protocol {
                    Protocol::Transport => json!({"type": "ping", "payload": {"keepalive": true}}),
                    Protocol::Legacy => json!({"type": "ka"}),
                };
                if sink.send(Message::Text(ping.to_string().into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    for (_, op) in conn.operations.drain() {
        op.abort.abort();
    }
    // Free the client's slots before the close frame, so a client that saw
    // the close may connect again at once.
    conn.watch = None;
    conn.anonymous = None;
    if let Some((code, reason)) = close_with {
        let _ = sink.send(close_message(code, &reason)).await;
    }
    let _ = sink.close().await;
}
