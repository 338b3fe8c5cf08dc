//! One socket's state between messages: its credentials (checked again
//! for every operation), the operations it runs, and the handling of each
//! client message of either subprotocol.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde_json::{json, Value as Json};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::protocol::{close, Protocol};
use crate::error::{AppError, ErrorCode};
use crate::graphql::extensions::RequestMeta;
use crate::http::auth::{self, ClientInfo};
use crate::http::graphql_http::{ensure_codes, is_request_error};
use crate::http::sockets::{AnonymousSlot, Credential, OperationSlot, Watch};
use crate::http::AppState;
use crate::infra::telemetry::Outcome;
use crate::service::identity::{self, Credentials, Viewer};

/// Messages from operation tasks to the connection loop.
pub(super) enum Outgoing {
    Text(String),
    /// An operation ended by itself; forget it unless replaced since.
    Finished {
        id: String,
        generation: u64,
    },
}

pub(super) struct Operation {
    pub(super) generation: u64,
    pub(super) abort: AbortHandle,
    /// The client's running-operation slot, freed with the operation.
    pub(super) _slot: OperationSlot,
}

pub(super) struct Connection {
    pub(super) state: AppState,
    pub(super) protocol: Protocol,
    pub(super) client: ClientInfo,
    pub(super) viewer: Option<Viewer>,
    /// What `connection_init` (or a refresh) presented; every operation
    /// authenticates with it again.
    pub(super) credentials: Credentials,
    /// Held while the socket is not signed in.
    pub(super) anonymous: Option<AnonymousSlot>,
    /// Signals that the socket's session or API key ended.
    pub(super) watch: Option<Watch>,
    /// When the access token expires (closing the socket unless refreshed).
    pub(super) expires: Option<tokio::time::Instant>,
    pub(super) init_received: bool,
    pub(super) operations: HashMap<String, Operation>,
    pub(super) next_generation: u64,
    pub(super) out: mpsc::Sender<Outgoing>,
}

/// What the loop should do after a client message.
pub(super) enum Next {
    Continue,
    Send(Json),
    Close(u16, String),
    /// An error for one operation, then the close.
    SendThenClose(Json, u16, String),
}

/// The close reasons of a socket whose credentials ended.
pub(super) const SESSION_ENDED: &str = "Forbidden: the session has ended";
pub(super) const TOKEN_EXPIRED: &str = "Forbidden: the access token expired; reconnect or refresh";

pub(super) async fn ended(watch: Option<&Watch>) {
    match watch {
        Some(w) => w.ended().await,
        None => std::future::pending().await,
    }
}

pub(super) async fn expiry(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The access token's expiry as a timer deadline.
pub(super) fn token_deadline(state: &AppState, credentials: &Credentials) -> Option<tokio::time::Instant> {
    let Credentials::Bearer(token) = credentials else {
        return None;
    };
    let exp = state.ctx.keys.tokens.verify(token).ok()?.exp;
    // The token verifies through the whole second `exp`.
    let left_ms = ((exp + 1) * 1000 - chrono::Utc::now().timestamp_millis()).max(0) as u64;
    Some(tokio::time::Instant::now() + std::time::Duration::from_millis(left_ms))
}

pub(super) fn credential_of(viewer: &Viewer) -> Option<(uuid::Uuid, Credential)> {
    let user = viewer.user_id?;
    match (viewer.session_id, viewer.api_key_id) {
        (Some(s), _) => Some((user, Credential::Session(s))),
        (None, Some(k)) => Some((user, Credential::ApiKey(k))),
        (None, None) => None,
    }
}

pub(super) fn bad(reason: impl Into<String>) -> Next {
    Next::Close(close::BAD_REQUEST, reason.into())
}

impl Connection {
    pub(super) async fn on_text(&mut self, text: &str) -> Next {
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

    pub(super) async fn on_init(&mut self, payload: Option<&Json>) -> Next {
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
    pub(super) async fn on_refresh(&mut self, credentials: Credentials) -> Next {
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
    pub(super) async fn operation_viewer(&self, id: &str) -> Result<Viewer, Next> {
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

    pub(super) async fn on_subscribe(&mut self, msg: &serde_json::Map<String, Json>) -> Next {
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

    pub(super) fn error_message(&self, id: &str, errors: Json) -> Json {
        match self.protocol {
            Protocol::Transport => json!({"type": "error", "id": id, "payload": errors}),
            Protocol::Legacy => {
                json!({"type": "error", "id": id, "payload": errors.get(0).cloned().unwrap_or(Json::Null)})
            }
        }
    }
}

pub(super) async fn run_operation(
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

/// Runs `f` on drop.
pub(super) fn scopeguard<F: FnOnce()>(f: F) -> impl Drop {
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
