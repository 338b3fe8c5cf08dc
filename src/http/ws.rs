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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value as Json};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::auth::{self, ClientInfo};
use super::graphql_http::{ensure_codes, is_request_error};
use super::sockets::{AnonymousSlot, Credential, OperationSlot, Watch};
use super::AppState;
use crate::error::{AppError, ErrorCode};
use crate::graphql::extensions::RequestMeta;
use crate::infra::telemetry::Outcome;
use crate::service::identity::{self, Credentials, Viewer};

/// The two subprotocols, newest first.
const TRANSPORT_WS: &str = "graphql-transport-ws";
const LEGACY_WS: &str = "graphql-ws";

/// Close codes of graphql-transport-ws.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const INTERNAL: u16 = 1011;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL_NOT_ACCEPTABLE: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
}

/// The WebSocket limit on a close reason (125-byte control frame payload
/// less the 2-byte code).
pub const MAX_CLOSE_REASON: usize = 123;

/// Truncates `reason` to the close-frame limit on a character boundary.
pub fn close_reason(reason: &str) -> String {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason.to_string();
    }
    let mut end = MAX_CLOSE_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(close_reason(reason)),
    }))
}

/// True when the request asks to become a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Transport,
    Legacy,
}

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

/// Messages from operation tasks to the connection loop.
enum Outgoing {
    Text(String),
    /// An operation ended by itself; forget it unless replaced since.
    Finished {
        id: String,
        generation: u64,
    },
}

struct Operation {
    generation: u64,
    abort: AbortHandle,
    /// The client's running-operation slot, freed with the operation.
    _slot: OperationSlot,
}

struct Connection {
    state: AppState,
    protocol: Protocol,
    client: ClientInfo,
    viewer: Option<Viewer>,
    /// What `connection_init` (or a refresh) presented; every operation
    /// authenticates with it again.
    credentials: Credentials,
    /// Held while the socket is not signed in.
    anonymous: Option<AnonymousSlot>,
    /// Signals that the socket's session or API key ended.
    watch: Option<Watch>,
    /// When the access token expires (closing the socket unless refreshed).
    expires: Option<tokio::time::Instant>,
    init_received: bool,
    operations: HashMap<String, Operation>,
    next_generation: u64,
    out: mpsc::Sender<Outgoing>,
}

/// What the loop should do after a client message.
enum Next {
    Continue,
    Send(Json),
    Close(u16, String),
    /// An error for one operation, then the close.
    SendThenClose(Json, u16, String),
}

/// The close reasons of a socket whose credentials ended.
const SESSION_ENDED: &str = "Forbidden: the session has ended";
const TOKEN_EXPIRED: &str = "Forbidden: the access token expired; reconnect or refresh";

async fn ended(watch: Option<&Watch>) {
    match watch {
        Some(w) => w.ended().await,
        None => std::future::pending().await,
    }
}

async fn expiry(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The access token's expiry as a timer deadline.
fn token_deadline(state: &AppState, credentials: &Credentials) -> Option<tokio::time::Instant> {
    let Credentials::Bearer(token) = credentials else {
        return None;
    };
    let exp = state.ctx.keys.tokens.verify(token).ok()?.exp;
    // The token verifies through the whole second `exp`.
    let left_ms = ((exp + 1) * 1000 - chrono::Utc::now().timestamp_millis()).max(0) as u64;
    Some(tokio::time::Instant::now() + std::time::Duration::from_millis(left_ms))
}

fn credential_of(viewer: &Viewer) -> Option<(uuid::Uuid, Credential)> {
    let user = viewer.user_id?;
    match (viewer.session_id, viewer.api_key_id) {
        (Some(s), _) => Some((user, Credential::Session(s))),
        (None, Some(k)) => Some((user, Credential::ApiKey(k))),
        (None, None) => None,
    }
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

/// Runs `f` on drop.
fn scopeguard<F: FnOnce()>(f: F) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

fn bad(reason: impl Into<String>) -> Next {
    Next::Close(close::BAD_REQUEST, reason.into())
}

impl Connection {
    async fn on_text(&mut self, text: &str) -> Next {
        let Ok(Json::Object(msg)) = serde_json::from_str::<Json>(text) else {
            return bad("Invalid message received");
        };
        let Some(kind) = msg.get("type").and_then(Json::as_str) else {
            return bad("Invalid message received: missing type");
        };
        match (self.protocol, kind) {
            (_, "connection_init") => self.on_init(msg.get("payload")).await,
            (Protocol::Transport, "ping")
                if auth::credentials_from_payload(msg.get("payload")) != Credentials::None =>
            {
                self.on_refresh(auth::credentials_from_payload(msg.get("payload")))
                    .await
            }
            (Protocol::Transport, "ping") => {
                let mut pong = json!({"type": "pong"});
                if let Some(p) = msg.get("payload").filter(|p| p.is_object()) {
                    pong["payload"] = p.clone();
                }
                Next::Send(pong)
            }
            (Protocol::Transport, "pong") => Next::Continue,
            (Protocol::Transport, "subscribe") | (Protocol::Legacy, "start") => self.on_subscribe(&msg).await,
            (Protocol::Transport, "complete") | (Protocol::Legacy, "stop") => {
                match msg.get("id").and_then(Json::as_str) {
                    Some(id) => {
                        if let Some(op) = self.operations.remove(id) {
                            op.abort.abort();
                        }
                        Next::Continue
                    }
                    None => bad("Invalid message received: complete needs an id"),
                }
            }
            (Protocol::Legacy, "connection_terminate") => Next::Close(close::NORMAL, "terminated".into()),
            (_, other) => bad(format!("Invalid message received: unknown type {other}")),
        }
    }

    async fn on_init(&mut self, payload: Option<&Json>) -> Next {
        if self.init_received {
            return Next::Close(close::TOO_MANY_INITS, "Too many initialisation requests".into());
        }
        self.init_received = true;
        if payload.is_some_and(|p| !p.is_object() && !p.is_null()) {
            return bad("Invalid message received: payload must be an object");
        }
        let credentials = auth::credentials_from_payload(payload);
        match identity::authenticate(&self.state.ctx, credentials.clone(), self.client.clone()).await {
            Ok(viewer) => {
                if let Some((user, credential)) = credential_of(&viewer) {
                    self.watch = Some(self.state.sockets.watch(user, credential));
                    self.anonymous = None;
                }
                self.expires = token_deadline(&self.state, &credentials);
                self.credentials = credentials;
                self.viewer = Some(viewer);
                Next::Send(json!({"type": "connection_ack"}))
            }
            Err(e) => {
                tracing::info!(reason = %e, "WebSocket connection refused");
                Next::Close(close::FORBIDDEN, "Forbidden".into())
            }
        }
    }

    /// A `ping` carrying new credentials: the socket continues with them
    /// when they authenticate as the same user; otherwise it closes 4403.
    async fn on_refresh(&mut self, credentials: Credentials) -> Next {
        let Some(current) = self.viewer.as_ref() else {
            return Next::Close(close::UNAUTHORIZED, "Unauthorized".into());
        };
        let current_user = current.user_id;
        let viewer = match identity::authenticate(&self.state.ctx, credentials.clone(), self.client.clone()).await {
            Ok(v) if v.user_id.is_some() && v.user_id == current_user => v,
            Ok(_) => {
                return Next::Close(
                    close::FORBIDDEN,
                    "Forbidden: a refresh must be for the same user".into(),
                )
            }
            Err(e) => {
                tracing::info!(reason = %e, "WebSocket refresh refused");
                return Next::Close(close::FORBIDDEN, SESSION_ENDED.into());
            }
        };
        if let (Some((user, credential)), Some(watch)) = (credential_of(&viewer), self.watch.as_ref()) {
            watch.replace(user, credential);
        }
        self.expires = token_deadline(&self.state, &credentials);
        self.credentials = credentials;
        self.viewer = Some(viewer);
        Next::Send(json!({"type": "pong", "payload": {"refreshed": true}}))
    }

    /// Authenticates one operation as HTTP would a request: the live
    /// session (or key) and the account's current roles.
    async fn operation_viewer(&self, id: &str) -> Result<Viewer, Next> {
        match identity::authenticate(&self.state.ctx, self.credentials.clone(), self.client.clone()).await {
            Ok(v) => Ok(v),
            Err(e) => {
                let code = e.code();
                let refused = matches!(code, ErrorCode::Unauthenticated | ErrorCode::Forbidden);
                let message = if refused {
                    "the session has ended; sign in again".to_string()
                } else {
                    e.to_graphql().message
                };
                let errors = json!([{"message": message, "extensions": {"code": code.as_str()}}]);
                let msg = self.error_message(id, errors);
                if refused {
                    Err(Next::SendThenClose(msg, close::FORBIDDEN, SESSION_ENDED.into()))
                } else {
                    if matches!(e, AppError::Internal(_)) {
                        tracing::error!(error = %e, "authenticating a WebSocket operation failed");
                    }
                    Err(Next::Send(msg))
                }
            }
        }
    }

    async fn on_subscribe(&mut self, msg: &serde_json::Map<String, Json>) -> Next {
        if self.viewer.is_none() {
            return Next::Close(close::UNAUTHORIZED, "Unauthorized".into());
        }
        let Some(id) = msg.get("id").and_then(Json::as_str).filter(|id| !id.is_empty()) else {
            return bad("Invalid message received: subscribe needs an id");
        };
        let id = id.to_string();
        let Some(Json::Object(payload)) = msg.get("payload") else {
            return bad("Invalid message received: subscribe needs a payload");
        };
        let query = match payload.get("query") {
            Some(Json::String(q)) => q.clone(),
            None | Some(Json::Null)
                if payload
                    .get("extensions")
                    .is_some_and(|e| e.get("persistedQuery").is_some()) =>
            {
                String::new()
            }
            _ => return bad("Invalid message received: payload.query must be a string"),
        };
        let operation_name = match payload.get("operationName") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            _ => return bad("Invalid message received: operationName must be a string"),
        };
        let variables = match payload.get("variables") {
            None | Some(Json::Null) => None,
            Some(v @ Json::Object(_)) => Some(v.clone()),
            _ => return bad("Invalid message received: variables must be an object"),
        };
        let extensions = match payload.get("extensions") {
            None | Some(Json::Null) => None,
            Some(Json::Object(m)) => Some(m.clone()),
            _ => return bad("Invalid message received: extensions must be an object"),
        };
        if self.operations.contains_key(&id) {
            return Next::Close(close::DUPLICATE_ID, format!("Subscriber for {id} already exists"));
        }
        if self.operations.len() >= self.state.ctx.config.ws.max_operations {
            let errors = json!([{
                "message": "too many operations on this connection",
                "extensions": {"code": "RATE_LIMITED"}
            }]);
            return Next::Send(self.error_message(&id, errors));
        }
        let viewer = match self.operation_viewer(&id).await {
            Ok(v) => v,
            Err(next) => return next,
        };
        let client_key = match (viewer.user_id, &self.client.ip_address) {
            (Some(user), _) => format!("user:{user}"),
            (None, ip) => format!("addr:{}", ip.as_deref().unwrap_or("unknown")),
        };
        let Some(slot) = self.state.sockets.start_operation(client_key) else {
            let errors = json!([{
                "message": "too many running operations for this client",
                "extensions": {"code": "RATE_LIMITED"}
            }]);
            return Next::Send(self.error_message(&id, errors));
        };

        let meta = RequestMeta::new(false, operation_name.clone());
        let mut request = async_graphql::Request::new(query);
        if let Some(name) = operation_name {
            request = request.operation_name(name);
        }
        if let Some(vars) = variables {
            request = request.variables(async_graphql::Variables::from_json(vars));
        }
        for (k, v) in extensions.unwrap_or_default() {
            if let Ok(value) = async_graphql::Value::from_json(v) {
                request.extensions.insert(k, value);
            }
        }
        let request = request
            .data(viewer)
            .data(meta.clone())
            .data(crate::graphql::loaders::Loaders::uncached(
                self.state.ctx.db.primary.clone(),
            ));

        self.next_generation += 1;
        let generation = self.next_generation;
        let task = tokio::spawn(run_operation(
            self.state.clone(),
            self.protocol,
            id.clone(),
            generation,
            request,
            meta,
            self.out.clone(),
        ));
        self.operations.insert(
            id,
            Operation {
                generation,
                abort: task.abort_handle(),
                _slot: slot,
            },
        );
        Next::Continue
    }

    fn error_message(&self, id: &str, errors: Json) -> Json {
        match self.protocol {
            Protocol::Transport => json!({"type": "error", "id": id, "payload": errors}),
            Protocol::Legacy => {
                json!({"type": "error", "id": id, "payload": errors.get(0).cloned().unwrap_or(Json::Null)})
            }
        }
    }
}

async fn run_operation(
    state: AppState,
    protocol: Protocol,
    id: String,
    generation: u64,
    request: async_graphql::Request,
    meta: Arc<RequestMeta>,
    out: mpsc::Sender<Outgoing>,
) {
    let metrics = state.ctx.metrics.clone();
    metrics.subscription_opened();
    let gauge_metrics = metrics.clone();
    let _gauge = scopeguard(move || gauge_metrics.subscription_closed());
    let started = Instant::now();
    let mut stream = state.schema.execute_stream(request);
    let mut first = true;
    let mut outcome = Outcome::Ok;
    while let Some(mut res) = stream.next().await {
        ensure_codes(&mut res.errors);
        if first && is_request_error(&res) {
            let errors = serde_json::to_value(&res.errors).unwrap_or(Json::Array(vec![]));
            let msg = match protocol {
                Protocol::Transport => json!({"type": "error", "id": id, "payload": errors}),
                Protocol::Legacy => {
                    json!({"type": "error", "id": id, "payload": errors.get(0).cloned().unwrap_or(Json::Null)})
                }
            };
            let _ = out.send(Outgoing::Text(msg.to_string())).await;
            metrics.record(
                "ws",
                meta.operation_name().as_deref(),
                Outcome::RequestError,
                started.elapsed().as_secs_f64(),
            );
            let _ = out.send(Outgoing::Finished { id, generation }).await;
            return;
        }
        if !res.errors.is_empty() {
            outcome = Outcome::FieldError;
        }
        first = false;
        let payload = serde_json::to_value(&res).unwrap_or(Json::Null);
        let kind = match protocol {
            Protocol::Transport => "next",
            Protocol::Legacy => "data",
        };
        let msg = json!({"type": kind, "id": id, "payload": payload});
        if out.send(Outgoing::Text(msg.to_string())).await.is_err() {
            return;
        }
    }
    metrics.record(
        "ws",
        meta.operation_name().as_deref(),
        outcome,
        started.elapsed().as_secs_f64(),
    );
    let _ = out
        .send(Outgoing::Text(json!({"type": "complete", "id": id}).to_string()))
        .await;
    let _ = out.send(Outgoing::Finished { id, generation }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_the_frame() {
        let long = format!("Subscriber for {} already exists", "é".repeat(200));
        let r = close_reason(&long);
        assert!(r.len() <= MAX_CLOSE_REASON);
        assert!(long.starts_with(&r));
    }
}
