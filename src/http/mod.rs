//! The axum router: `/graphql` (HTTP and WebSocket), `/graphiql`,
//! `/healthz`, `/readyz`, `/metrics`; and the server's life cycle.

pub mod auth;
pub mod files;
pub mod graphiql;
pub mod graphql_http;
pub mod media;
pub mod ops;
pub mod portfolio_media;
pub mod refusal;
pub mod sockets;
pub mod uploads;
pub mod webhooks;
pub mod ws;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::Ctx;
use crate::graphql::persisted::QueryStore;
use crate::graphql::{self as gql, AppSchema};

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub ctx: Ctx,
    pub schema: AppSchema,
    /// WebSocket connections, awaited on shutdown.
    pub tasks: TaskTracker,
    /// Set once shutdown begins; `/readyz` then answers 503.
    pub draining: Arc<AtomicBool>,
    /// This instance's sockets: their sessions and per-client caps.
    pub sockets: Arc<sockets::SocketRegistry>,
}

impl AppState {
    /// Builds the schema with its runtime data for `ctx`.
    pub fn new(ctx: Ctx) -> Self {
        let limits = &ctx.config.limits;
        let store = match &ctx.redis {
            Some(link) => QueryStore::redis(link.clone(), limits.apq_ttl),
            None => QueryStore::memory(10_000),
        };
        let schema = gql::builder(limits, Some(store)).data(ctx.clone()).finish();
        AppState {
            sockets: sockets::SocketRegistry::new(ctx.clone()),
            ctx,
            schema,
            tasks: TaskTracker::new(),
            draining: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The full router with its middleware.
pub fn router(state: AppState) -> Router {
    // Read by `auth::ClientInfo`: whose X-Forwarded-For to believe.
    let trusted_proxies = state.ctx.config.trusted_proxies.clone();
    Router::new()
        .route(
            "/graphql",
            get(graphql_http::get)
                .post(graphql_http::post)
                .fallback(graphql_http::other_method),
        )
        .route("/graphiql", get(graphiql::page))
        .route("/graphiql/assets/{version}/{file}", get(graphiql::asset))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/webhooks/payments/{gateway}", post(webhooks::payment))
        .route("/webhooks/chain/{currency}", post(webhooks::chain))
        .route("/files/{id}", get(files::download))
        .route("/media/portfolio/{id}", get(portfolio_media::original))
        .route("/media/portfolio/{id}/thumbnail", get(portfolio_media::thumbnail))
        .with_state(state)
        .layer(axum::Extension(trusted_proxies))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let request_id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("http", request_id, method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost, so panics, 404s and refusals carry it too.
        .layer(axum::middleware::map_response(nosniff))
}

/// Every response says `X-Content-Type-Options: nosniff`: browsers must
/// not guess a script or page out of a JSON answer.
async fn nosniff(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut res = (
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#,
    )
        .into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

/// Marks a server as draining: `/readyz` answers 503 from then on while
/// everything else keeps serving, so a load balancer takes the instance
/// out before the shutdown token stops it.
#[derive(Clone)]
pub struct DrainSwitch(Arc<AtomicBool>);

impl DrainSwitch {
    /// Starts draining (idempotent).
    pub fn begin(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A bound, not yet serving, server.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Binds the configured address (port 0 picks a free port).
    pub async fn bind(ctx: Ctx) -> std::io::Result<Self> {
        let listener = TcpListener::bind(ctx.config.addr).await?;
        Ok(Server {
            listener,
            state: AppState::new(ctx),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The switch that turns `/readyz` to 503 ahead of shutdown.
    pub fn drain_switch(&self) -> DrainSwitch {
        DrainSwitch(self.state.draining.clone())
    }

    /// Serves until the context's shutdown token fires, then drains:
    /// in-flight requests finish, sockets get a close frame (1001), all
    /// within the configured grace period.
    pub async fn run(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let shutdown = state.ctx.shutdown.clone();
        // Background jobs (the outbox relay among them) outlive the drain,
        // and stop however this function returns.
        let background_stop = tokio_util::sync::CancellationToken::new();
        let _stop_background = background_stop.clone().drop_guard();
        let background = crate::app::start_background(&state.ctx, background_stop.clone());
        let draining = state.draining.clone();
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let signal = {
            let shutdown = shutdown.clone();
            async move {
                shutdown.cancelled().await;
                draining.store(true, Ordering::Relaxed);
            }
        };
        let serve = axum::serve(self.listener, app).with_graceful_shutdown(signal);
        let grace = state.ctx.config.shutdown_grace;
        let served = tokio::spawn(async move { serve.await });
        shutdown.cancelled().await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: draining requests and sockets"
        );
        match tokio::time::timeout(grace, served).await {
            Ok(Ok(result)) => result?,
            Ok(Err(join)) => tracing::error!(error = %join, "server task failed"),
            Err(_) => tracing::warn!("requests still running after the grace period; closing them"),
        }
        state.tasks.close();
        if tokio::time::timeout(Duration::from_secs(5).min(grace), state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some WebSocket connections did not close in time");
        }
        background_stop.cancel();
        if tokio::time::timeout(Duration::from_secs(6), background).await.is_err() {
            tracing::warn!("background jobs did not stop in time");
        }
        Ok(())
    }
}
