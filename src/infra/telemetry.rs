//! Structured logs (`tracing`) and Prometheus metrics.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::Mutex;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` filters (default `info`).
pub fn init_logging(format: Option<LogFormat>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let format = format.unwrap_or(if std::io::stderr().is_terminal() {
        LogFormat::Pretty
    } else {
        LogFormat::Json
    });
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// Distinct operation names kept as labels; past this they count as
/// `__other`, so clients cannot blow up the metric's cardinality.
const MAX_OPERATION_LABELS: usize = 200;

/// The server's metrics, registered in their own registry.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    subscriptions: IntGauge,
    sockets: IntGauge,
    pool: IntGaugeVec,
    known_operations: Mutex<HashSet<String>>,
}

/// How a GraphQL operation ended, as a metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Data and no errors.
    Ok,
    /// Executed, with field errors.
    FieldError,
    /// Refused before execution (parse, validation, limits, auth).
    RequestError,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::FieldError => "field_error",
            Outcome::RequestError => "request_error",
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "graphql_requests_total",
                "GraphQL operations by operation name and outcome",
            ),
            &["operation", "outcome"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let latency = HistogramVec::new(
            HistogramOpts::new("graphql_request_duration_seconds", "GraphQL operation latency").buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["transport"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let subscriptions = IntGauge::new("graphql_subscriptions_open", "Subscriptions currently open")
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let sockets = IntGauge::new("graphql_websockets_open", "WebSocket connections currently open")
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Primary database pool connections by state"),
            &["state"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(subscriptions.clone()),
            Box::new(sockets.clone()),
            Box::new(pool.clone()),
        ] {
            let _ = registry.register(collector);
        }
        Metrics {
            registry,
            requests,
            latency,
            subscriptions,
            sockets,
            pool,
            known_operations: Mutex::new(HashSet::new()),
        }
    }

    fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return "__anonymous".into();
        };
        let mut known = self.known_operations.lock().unwrap_or_else(|p| p.into_inner());
        if known.contains(name) {
            return name.to_string();
        }
        let valid = name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid && known.len() < MAX_OPERATION_LABELS {
            known.insert(name.to_string());
            name.to_string()
        } else {
            "__other".into()
        }
    }

    /// Records one finished operation.
    pub fn record(&self, transport: &str, operation: Option<&str>, outcome: Outcome, seconds: f64) {
        let label = self.operation_label(operation);
        self.requests
            .with_label_values(&[label.as_str(), outcome.as_str()])
            .inc();
        self.latency.with_label_values(&[transport]).observe(seconds);
    }

    pub fn subscription_opened(&self) {
        self.subscriptions.inc();
    }

    pub fn subscription_closed(&self) {
        self.subscriptions.dec();
    }

    pub fn socket_opened(&self) {
        self.sockets.inc();
    }

    pub fn socket_closed(&self) {
        self.sockets.dec();
    }

    /// The text exposition, with pool gauges refreshed from `(size, idle, max)`.
    pub fn render(&self, pool: (u32, u32, u32)) -> String {
        let (size, idle, max) = pool;
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(size.saturating_sub(idle)));
        self.pool.with_label_values(&["idle"]).set(i64::from(idle));
        self.pool.with_label_values(&["max"]).set(i64::from(max));
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
