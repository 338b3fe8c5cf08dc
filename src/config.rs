//! Settings from the environment and an optional `switchboard.toml`,
//! validated once at start so that a bad value fails fast and names its key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every key the server understands, with its default and meaning.
/// The README's configuration table is written from this list; a key in
/// `switchboard.toml` that is not here is rejected (a typo must not pass).
pub const KEYS: &[(&str, &str, &str)] = &[
    ("DATABASE_URL", "unset: embedded PostgreSQL", "the primary database"),
    ("DATABASE_READ_URL", "unset: the primary", "a read replica for queries"),
    (
        "REDIS_URL",
        "unset: in-process event bus",
        "event fan-out between instances, shared limits and caches",
    ),
    ("SWITCHBOARD_ADDR", "127.0.0.1:8080", "where to listen"),
    (
        "SWITCHBOARD_DATA_DIR",
        "./data",
        "embedded cluster and generated dev keys",
    ),
    (
        "SWITCHBOARD_MASTER_KEY",
        "dev only: generated into the data dir",
        "32-byte key (base64) for encrypted columns",
    ),
    (
        "SWITCHBOARD_JWT_SECRET",
        "dev only: generated into the data dir",
        "signs access tokens (at least 32 bytes)",
    ),
    (
        "SWITCHBOARD_LOG_FORMAT",
        "pretty on a terminal, else json",
        "log format (`pretty` or `json`); RUST_LOG filters",
    ),
    (
        "SWITCHBOARD_DB_MAX_CONNECTIONS",
        "20",
        "database pool size per instance",
    ),
    (
        "SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS",
        "1500",
        "longest wait for a database connection before answering UNAVAILABLE",
    ),
    ("SWITCHBOARD_MAX_DEPTH", "12", "maximum query depth"),
    (
        "SWITCHBOARD_MAX_COMPLEXITY",
        "5000",
        "maximum query complexity (a connection costs `first`)",
    ),
    (
        "SWITCHBOARD_MAX_BATCH",
        "10",
        "maximum operations in one batched HTTP request",
    ),
    (
        "SWITCHBOARD_MAX_BODY_BYTES",
        "1048576",
        "maximum HTTP request body and WebSocket message size",
    ),
    (
        "SWITCHBOARD_MAX_NESTING",
        "32",
        "deepest nesting of `{ [ (` in a query and of lists and objects in variables (at most 128)",
    ),
    (
        "SWITCHBOARD_MAX_SELECTIONS",
        "10000",
        "most selections in one document, every fragment spread expanded",
    ),
    (
        "SWITCHBOARD_MAX_ALIASES",
        "100",
        "most aliased fields in one document, fragments expanded",
    ),
    (
        "SWITCHBOARD_MAX_ERRORS",
        "50",
        "most errors in one response (one more says how many were left out)",
    ),
    ("SWITCHBOARD_INTROSPECTION", "true", "allow schema introspection"),
    (
        "SWITCHBOARD_APQ_TTL_SECS",
        "86400",
        "how long a persisted query stays cached",
    ),
    (
        "SWITCHBOARD_WS_INIT_TIMEOUT_SECS",
        "10",
        "time a socket has to send connection_init",
    ),
    (
        "SWITCHBOARD_WS_KEEPALIVE_SECS",
        "15",
        "interval of server pings on idle sockets",
    ),
    (
        "SWITCHBOARD_WS_MAX_OPERATIONS",
        "100",
        "concurrent operations on one socket",
    ),
    (
        "SWITCHBOARD_WS_MAX_ANON_PER_ADDRESS",
        "20",
        "open WebSocket connections per client address that are not signed in (per instance)",
    ),
    (
        "SWITCHBOARD_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS",
        "200",
        "running WebSocket operations per client (per user when signed in, else per address; per instance)",
    ),
    (
        "SWITCHBOARD_WS_SESSION_CHECK_SECS",
        "60",
        "interval of the batched re-check of every open socket's session or API key",
    ),
    (
        "SWITCHBOARD_TRUSTED_PROXIES",
        "none",
        "proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For names the client",
    ),
    (
        "SWITCHBOARD_SHUTDOWN_GRACE_SECS",
        "20",
        "how long SIGTERM waits for in-flight work",
    ),
    (
        "SWITCHBOARD_SHUTDOWN_DELAY_SECS",
        "5",
        "after SIGTERM, how long /readyz answers 503 while requests are still served (0: none)",
    ),
    (
        "SWITCHBOARD_ACCESS_TOKEN_TTL_SECS",
        "900",
        "lifetime of an access token",
    ),
    (
        "SWITCHBOARD_ARGON2_MEMORY_KIB",
        "19456",
        "argon2id memory per hash (OWASP minimum 19456)",
    ),
    (
        "SWITCHBOARD_ARGON2_ITERATIONS",
        "2",
        "argon2id passes (OWASP minimum 2)",
    ),
    ("SWITCHBOARD_ARGON2_PARALLELISM", "1", "argon2id lanes"),
    (
        "SWITCHBOARD_PASSWORD_HASH_CONCURRENCY",
        "the number of cores",
        "password hashes computed at once (each holds the argon2id memory); more wait",
    ),
    (
        "SWITCHBOARD_REFRESH_TOKEN_TTL_SECS",
        "2592000",
        "lifetime of a session's refresh token (30 days)",
    ),
    (
        "SWITCHBOARD_LOGIN_MAX_FAILURES",
        "5",
        "failed sign-ins in a row that lock an account",
    ),
    (
        "SWITCHBOARD_LOGIN_LOCK_SECS",
        "900",
        "how long a locked account stays locked",
    ),
    (
        "SWITCHBOARD_LOGIN_RATE_PER_ACCOUNT",
        "10",
        "sign-in attempts per account per minute",
    ),
    (
        "SWITCHBOARD_LOGIN_RATE_PER_ADDRESS",
        "60",
        "sign-in attempts per client address per minute",
    ),
    (
        "SWITCHBOARD_TOTP_RATE_PER_ACCOUNT",
        "5",
        "two-factor code checks by a signed-in user (enable, disable, new recovery codes) per account per 15 minutes",
    ),
    (
        "SWITCHBOARD_REGISTER_RATE_PER_ADDRESS",
        "20",
        "sign-ups per client address per hour",
    ),
    (
        "SWITCHBOARD_OIDC_PROVIDERS",
        "none",
        "OpenID Connect providers, JSON: [{\"name\", \"issuer\", \"clientId\", \"clientSecret\"}]",
    ),
    (
        "SWITCHBOARD_PAYMENTS_TEST_GATEWAY",
        "false",
        "enable the `test` payment gateway (development and tests only, never in production)",
    ),
    (
        "SWITCHBOARD_PAYMENTS_TEST_SECRET",
        "unset: random at each start",
        "HMAC secret the test gateway signs its webhooks with (at least 16 bytes)",
    ),
    (
        "SWITCHBOARD_PAYMENTS_WEBHOOK_TOLERANCE_SECS",
        "300",
        "largest age of a signed Stripe webhook timestamp",
    ),
    (
        "SWITCHBOARD_REDIS_TIMEOUT_MS",
        "250",
        "longest wait for one Redis call; then the call's fallback is used (Redis is then skipped for 1 s)",
    ),
    (
        "SWITCHBOARD_OUTBOX_POLL_MS",
        "100",
        "how often the event relay looks for events committed on other instances",
    ),
    (
        "SWITCHBOARD_JOBS_POLL_MS",
        "500",
        "how often an idle job worker looks for due background jobs",
    ),
    (
        "SWITCHBOARD_JOBS_LEASE_SECS",
        "10",
        "how long a claimed job stays claimed without renewal (a dead worker's jobs are retried after it)",
    ),
    (
        "SWITCHBOARD_JOBS_MAX_ATTEMPTS",
        "10",
        "attempts of a background job before it is kept as FAILED",
    ),
    (
        "SWITCHBOARD_JOBS_BACKOFF_MS",
        "1000",
        "delay before a failed job's first retry; doubles per attempt, at most 10 minutes",
    ),
    (
        "SWITCHBOARD_JOBS_CONCURRENCY",
        "4",
        "background jobs one instance runs at once",
    ),
];

/// Validated configuration. Built once; shared read-only.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: Option<String>,
    pub database_read_url: Option<String>,
    pub redis_url: Option<String>,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub master_key: Option<String>,
    pub jwt_secret: Option<String>,
    pub log_format: Option<LogFormat>,
    pub db_max_connections: u32,
    /// Longest wait for a pooled connection; past it a request answers
    /// `UNAVAILABLE` instead of hanging through a database outage.
    pub db_acquire_timeout: Duration,
    pub limits: Limits,
    pub ws: WsConfig,
    pub shutdown_grace: Duration,
    /// After SIGTERM, how long the server keeps serving with `/readyz` at
    /// 503, so a load balancer takes it out before it stops accepting.
    pub shutdown_delay: Duration,
    pub access_token_ttl: Duration,
    pub argon2: crate::service::identity::password::Argon2Params,
    /// Password hashes computed at once; each holds argon2's memory, so
    /// this bounds the memory of a sign-in burst.
    pub password_hash_concurrency: usize,
    pub auth: AuthConfig,
    pub payments: PaymentsConfig,
    /// Proxies whose `X-Forwarded-For` is believed (none: the peer address
    /// is the client).
    pub trusted_proxies: crate::http::auth::TrustedProxies,
    /// Longest wait for one Redis call before its fallback is used.
    pub redis_timeout: Duration,
    /// How often the outbox relay polls for events of other instances.
    pub outbox_poll: Duration,
    /// The background job runner.
    pub jobs: crate::infra::jobs::JobSettings,
}

/// Payment gateway settings that are not stored in the database.
#[derive(Clone)]
pub struct PaymentsConfig {
    /// The `test` gateway is enabled (development and tests only).
    pub test_gateway: bool,
    /// The test gateway's webhook signing secret. Never logged.
    pub test_secret: String,
    /// Largest age (and clock skew) of a Stripe webhook's signed timestamp.
    pub webhook_tolerance: Duration,
}

impl std::fmt::Debug for PaymentsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentsConfig")
            .field("test_gateway", &self.test_gateway)
            .field("webhook_tolerance", &self.webhook_tolerance)
            .finish_non_exhaustive()
    }
}

/// Sign-in policy.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    pub refresh_token_ttl: Duration,
    pub max_failures: u32,
    pub lock_duration: Duration,
    pub rate_per_account: u64,
    pub rate_per_address: u64,
    pub register_rate_per_address: u64,
    /// Two-factor code checks by a signed-in user per account per 15
    /// minutes (against guessing a 6-digit code).
    pub totp_rate_per_account: u64,
    pub oidc_providers: Vec<OidcProvider>,
}

/// An OpenID Connect provider users may sign in with.
#[derive(Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcProvider {
    /// Short name clients use (`google`, `okta`); stored upper-cased.
    pub name: String,
    /// Issuer URL; its `/.well-known/openid-configuration` is read.
    pub issuer: String,
    pub client_id: String,
    /// Used to exchange authorization codes; never logged.
    pub client_secret: String,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Request limits enforced before or during execution.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    /// Deepest bracket nesting in query text, and value nesting in variables.
    pub max_nesting: usize,
    /// Most selections in a document with fragments expanded.
    pub max_selections: usize,
    /// Most aliased fields in a document with fragments expanded.
    pub max_aliases: usize,
    /// Most errors in one response.
    pub max_errors: usize,
    pub introspection: bool,
    pub apq_ttl: Duration,
}

/// WebSocket protocol timings.
#[derive(Clone, Debug)]
pub struct WsConfig {
    pub init_timeout: Duration,
    pub keepalive: Duration,
    pub max_operations: usize,
    /// Sockets not signed in per client address (per instance).
    pub max_anon_per_address: usize,
    /// Running operations per client: per user when signed in, else per
    /// address (per instance).
    pub max_subscriptions_per_client: usize,
    /// How often every open socket's credentials are re-checked in one
    /// batched query (a backstop to the session-ended notifications).
    pub session_check: Duration,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A configuration problem, always naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error("cannot read configuration file {path}: {reason}")]
    File { path: String, reason: String },
}

impl ConfigError {
    fn invalid(key: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.to_string(),
            reason: reason.into(),
        }
    }
}

/// Raw key/value source: the environment over the optional file.
struct Source {
    values: HashMap<String, String>,
}

impl Source {
    fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(&self, key: &str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| ConfigError::invalid(key, format!("expected {what}, got {raw:?}"))),
        }
    }

    fn positive(&self, key: &str, default: u64) -> Result<u64, ConfigError> {
        let v: u64 = self.parse(key, default, "a positive whole number")?;
        if v == 0 {
            return Err(ConfigError::invalid(key, "must be greater than zero"));
        }
        Ok(v)
    }
}

impl Config {
    /// Loads from the process environment and `switchboard.toml` in the
    /// working directory (or the file named by `SWITCHBOARD_CONFIG`).
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = env
            .get("SWITCHBOARD_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("switchboard.toml"));
        let explicit = env.contains_key("SWITCHBOARD_CONFIG");
        let mut values = if file.exists() || explicit {
            read_file(&file)?
        } else {
            HashMap::new()
        };
        for (key, _, _) in KEYS {
            if let Some(v) = env.get(*key) {
                values.insert((*key).to_string(), v.clone());
            }
        }
        Self::from_map(values)
    }

    /// Builds a configuration from explicit values (tests and tools).
    pub fn from_map(values: HashMap<String, String>) -> Result<Self, ConfigError> {
        let src = Source { values };
        let url_key = |key: &str, schemes: &[&str]| -> Result<Option<String>, ConfigError> {
            match src.get(key) {
                None => Ok(None),
                Some(v) => {
                    if schemes.iter().any(|s| v.starts_with(&format!("{s}://"))) {
                        Ok(Some(v.to_string()))
                    } else {
                        Err(ConfigError::invalid(
                            key,
                            format!("expected a URL starting with {}", schemes.join("://, ") + "://"),
                        ))
                    }
                }
            }
        };
        let database_url = url_key("DATABASE_URL", &["postgres", "postgresql"])?;
        let database_read_url = url_key("DATABASE_READ_URL", &["postgres", "postgresql"])?;
        let redis_url = url_key("REDIS_URL", &["redis", "rediss", "redis+unix", "unix"])?;
        let addr: SocketAddr = src.parse(
            "SWITCHBOARD_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            "host:port such as 127.0.0.1:8080",
        )?;
        let data_dir = PathBuf::from(src.get("SWITCHBOARD_DATA_DIR").unwrap_or("./data"));
        let log_format = match src.get("SWITCHBOARD_LOG_FORMAT") {
            None => None,
            Some("pretty") => Some(LogFormat::Pretty),
            Some("json") => Some(LogFormat::Json),
            Some(other) => {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_LOG_FORMAT",
                    format!("expected pretty or json, got {other:?}"),
                ))
            }
        };
        let master_key = src.get("SWITCHBOARD_MASTER_KEY").map(str::to_string);
        if let Some(key) = &master_key {
            crate::infra::crypto::decode_master_key(key)
                .map_err(|reason| ConfigError::invalid("SWITCHBOARD_MASTER_KEY", reason))?;
        }
        let jwt_secret = src.get("SWITCHBOARD_JWT_SECRET").map(str::to_string);
        if let Some(secret) = &jwt_secret {
            if secret.len() < 32 {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_JWT_SECRET",
                    "must be at least 32 bytes long",
                ));
            }
        }
        if database_url.is_some() {
            if master_key.is_none() {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_MASTER_KEY",
                    "required when DATABASE_URL is set (generate one with: openssl rand -base64 32)",
                ));
            }
            if jwt_secret.is_none() {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_JWT_SECRET",
                    "required when DATABASE_URL is set (generate one with: openssl rand -base64 48)",
                ));
            }
        }
        if database_read_url.is_some() && database_url.is_none() {
            return Err(ConfigError::invalid(
                "DATABASE_READ_URL",
                "a read replica needs DATABASE_URL for the primary",
            ));
        }
        let introspection = match src.get("SWITCHBOARD_INTROSPECTION").map(str::to_ascii_lowercase) {
            None => true,
            Some(v) if v == "true" || v == "1" || v == "yes" => true,
            Some(v) if v == "false" || v == "0" || v == "no" => false,
            Some(v) => {
                return Err(ConfigError::invalid(
                    "SWITCHBOARD_INTROSPECTION",
                    format!("expected true or false, got {v:?}"),
                ))
            }
        };
        let secs = |key: &str, default: u64| src.positive(key, default).map(Duration::from_secs);
        Ok(Config {
            database_url,
            database_read_url,
            redis_url,
            addr,
            data_dir,
            master_key,
            jwt_secret,
            log_format,
            db_max_connections: src.positive("SWITCHBOARD_DB_MAX_CONNECTIONS", 20)? as u32,
            db_acquire_timeout: Duration::from_millis(src.positive("SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS", 1500)?),
            limits: Limits {
                max_depth: src.positive("SWITCHBOARD_MAX_DEPTH", 12)? as usize,
                max_complexity: src.positive("SWITCHBOARD_MAX_COMPLEXITY", 5000)? as usize,
                max_batch: src.positive("SWITCHBOARD_MAX_BATCH", 10)? as usize,
                max_body_bytes: src.positive("SWITCHBOARD_MAX_BODY_BYTES", 1024 * 1024)? as usize,
                max_nesting: max_nesting(&src)?,
                max_selections: src.positive("SWITCHBOARD_MAX_SELECTIONS", 10_000)? as usize,
                max_aliases: src.positive("SWITCHBOARD_MAX_ALIASES", 100)? as usize,
                max_errors: src.positive("SWITCHBOARD_MAX_ERRORS", 50)? as usize,
                introspection,
                apq_ttl: secs("SWITCHBOARD_APQ_TTL_SECS", 86_400)?,
            },
            ws: WsConfig {
                init_timeout: secs("SWITCHBOARD_WS_INIT_TIMEOUT_SECS", 10)?,
                keepalive: secs("SWITCHBOARD_WS_KEEPALIVE_SECS", 15)?,
                max_operations: src.positive("SWITCHBOARD_WS_MAX_OPERATIONS", 100)? as usize,
                max_anon_per_address: src.positive("SWITCHBOARD_WS_MAX_ANON_PER_ADDRESS", 20)? as usize,
                max_subscriptions_per_client: src.positive("SWITCHBOARD_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS", 200)?
                    as usize,
                session_check: secs("SWITCHBOARD_WS_SESSION_CHECK_SECS", 60)?,
            },
            shutdown_grace: secs("SWITCHBOARD_SHUTDOWN_GRACE_SECS", 20)?,
            shutdown_delay: Duration::from_secs(src.parse(
                "SWITCHBOARD_SHUTDOWN_DELAY_SECS",
                5,
                "a whole number of seconds",
            )?),
            access_token_ttl: secs("SWITCHBOARD_ACCESS_TOKEN_TTL_SECS", 900)?,
            argon2: argon2_params(&src)?,
            password_hash_concurrency: src.positive(
                "SWITCHBOARD_PASSWORD_HASH_CONCURRENCY",
                std::thread::available_parallelism().map_or(2, |n| n.get()) as u64,
            )? as usize,
            auth: AuthConfig {
                refresh_token_ttl: secs("SWITCHBOARD_REFRESH_TOKEN_TTL_SECS", 30 * 86_400)?,
                max_failures: src.positive("SWITCHBOARD_LOGIN_MAX_FAILURES", 5)?.min(1000) as u32,
                lock_duration: secs("SWITCHBOARD_LOGIN_LOCK_SECS", 900)?,
                rate_per_account: src.positive("SWITCHBOARD_LOGIN_RATE_PER_ACCOUNT", 10)?,
                rate_per_address: src.positive("SWITCHBOARD_LOGIN_RATE_PER_ADDRESS", 60)?,
                register_rate_per_address: src.positive("SWITCHBOARD_REGISTER_RATE_PER_ADDRESS", 20)?,
                totp_rate_per_account: src.positive("SWITCHBOARD_TOTP_RATE_PER_ACCOUNT", 5)?,
                oidc_providers: oidc_providers(&src)?,
            },
            payments: payments_config(&src)?,
            trusted_proxies: match src.get("SWITCHBOARD_TRUSTED_PROXIES") {
                None => Default::default(),
                Some(raw) => raw
                    .parse()
                    .map_err(|reason: String| ConfigError::invalid("SWITCHBOARD_TRUSTED_PROXIES", reason))?,
            },
            redis_timeout: Duration::from_millis(src.positive("SWITCHBOARD_REDIS_TIMEOUT_MS", 250)?.min(60_000)),
            outbox_poll: Duration::from_millis(src.positive("SWITCHBOARD_OUTBOX_POLL_MS", 100)?.min(60_000)),
            jobs: crate::infra::jobs::JobSettings {
                poll: Duration::from_millis(src.positive("SWITCHBOARD_JOBS_POLL_MS", 500)?.min(600_000)),
                lease: secs("SWITCHBOARD_JOBS_LEASE_SECS", 10)?,
                backoff_base: Duration::from_millis(src.positive("SWITCHBOARD_JOBS_BACKOFF_MS", 1000)?),
                backoff_max: Duration::from_secs(600),
                max_attempts: src.positive("SWITCHBOARD_JOBS_MAX_ATTEMPTS", 10)?.min(1_000_000) as i32,
                concurrency: src.positive("SWITCHBOARD_JOBS_CONCURRENCY", 4)?.min(1024) as usize,
            },
        })
    }

    /// True when the server runs its own PostgreSQL cluster.
    pub fn embedded_database(&self) -> bool {
        self.database_url.is_none()
    }
}

/// Past a few hundred levels the recursive GraphQL parser overflows its
/// stack, and serde_json stops at 128: the nesting bound stays below both.
fn max_nesting(src: &Source) -> Result<usize, ConfigError> {
    const KEY: &str = "SWITCHBOARD_MAX_NESTING";
    let v = src.positive(KEY, 32)?;
    if v > 128 {
        return Err(ConfigError::invalid(KEY, "must be at most 128"));
    }
    Ok(v as usize)
}

fn oidc_providers(src: &Source) -> Result<Vec<OidcProvider>, ConfigError> {
    const KEY: &str = "SWITCHBOARD_OIDC_PROVIDERS";
    let Some(raw) = src.get(KEY) else {
        return Ok(Vec::new());
    };
    let mut list: Vec<OidcProvider> = serde_json::from_str(raw)
        .map_err(|e| ConfigError::invalid(KEY, format!("expected a JSON list of providers: {e}")))?;
    let mut seen = std::collections::HashSet::new();
    for p in &mut list {
        p.name = p.name.trim().to_ascii_uppercase();
        let valid_name =
            !p.name.is_empty() && p.name.len() <= 32 && p.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider name {:?} must be 1-32 letters, digits or _", p.name),
            ));
        }
        if !(p.issuer.starts_with("https://")
            || p.issuer.starts_with("http://127.0.0.1")
            || p.issuer.starts_with("http://localhost"))
        {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider {}: issuer must be an https URL", p.name),
            ));
        }
        if p.client_id.is_empty() {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider {}: clientId is empty", p.name),
            ));
        }
        if !seen.insert(p.name.clone()) {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider {} is listed twice", p.name),
            ));
        }
    }
    Ok(list)
}

fn payments_config(src: &Source) -> Result<PaymentsConfig, ConfigError> {
    let test_gateway = match src
        .get("SWITCHBOARD_PAYMENTS_TEST_GATEWAY")
        .map(str::to_ascii_lowercase)
    {
        None => false,
        Some(v) if v == "true" || v == "1" || v == "yes" => true,
        Some(v) if v == "false" || v == "0" || v == "no" => false,
        Some(v) => {
            return Err(ConfigError::invalid(
                "SWITCHBOARD_PAYMENTS_TEST_GATEWAY",
                format!("expected true or false, got {v:?}"),
            ))
        }
    };
    let test_secret = match src.get("SWITCHBOARD_PAYMENTS_TEST_SECRET") {
        Some(s) if s.len() < 16 => {
            return Err(ConfigError::invalid(
                "SWITCHBOARD_PAYMENTS_TEST_SECRET",
                "must be at least 16 bytes long",
            ))
        }
        Some(s) => s.to_string(),
        None => crate::infra::crypto::random_token(32),
    };
    Ok(PaymentsConfig {
        test_gateway,
        test_secret,
        webhook_tolerance: Duration::from_secs(src.positive("SWITCHBOARD_PAYMENTS_WEBHOOK_TOLERANCE_SECS", 300)?),
    })
}

/// argon2id parameters, refused below OWASP's minimum (19 MiB, 2 passes).
fn argon2_params(src: &Source) -> Result<crate::service::identity::password::Argon2Params, ConfigError> {
    let memory_kib = src.positive("SWITCHBOARD_ARGON2_MEMORY_KIB", 19_456)?;
    if memory_kib < 19_456 {
        return Err(ConfigError::invalid(
            "SWITCHBOARD_ARGON2_MEMORY_KIB",
            "must be at least 19456 (OWASP's minimum for argon2id)",
        ));
    }
    let iterations = src.positive("SWITCHBOARD_ARGON2_ITERATIONS", 2)?;
    if iterations < 2 {
        return Err(ConfigError::invalid(
            "SWITCHBOARD_ARGON2_ITERATIONS",
            "must be at least 2 (OWASP's minimum for argon2id)",
        ));
    }
    let parallelism = src.positive("SWITCHBOARD_ARGON2_PARALLELISM", 1)?;
    let narrow = |key: &str, v: u64| u32::try_from(v).map_err(|_| ConfigError::invalid(key, "is too large"));
    Ok(crate::service::identity::password::Argon2Params {
        memory_kib: narrow("SWITCHBOARD_ARGON2_MEMORY_KIB", memory_kib)?,
        iterations: narrow("SWITCHBOARD_ARGON2_ITERATIONS", iterations)?,
        parallelism: narrow("SWITCHBOARD_ARGON2_PARALLELISM", parallelism)?,
    })
}

fn read_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let err = |reason: String| ConfigError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err(e.message().to_string()))?;
    let mut values = HashMap::new();
    for (key, value) in table {
        let upper = key.to_ascii_uppercase();
        if !KEYS.iter().any(|(k, _, _)| *k == upper) {
            return Err(ConfigError::invalid(&key, "unknown key in switchboard.toml"));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::invalid(
                    &key,
                    format!("expected a string, number or boolean, got {}", other.type_str()),
                ))
            }
        };
        values.insert(upper, text);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::from_map(HashMap::new()).expect("defaults");
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert!(c.embedded_database());
        assert_eq!(c.limits.max_batch, 10);
    }

    #[test]
    fn bad_value_names_its_key() {
        let e = Config::from_map(map(&[("SWITCHBOARD_MAX_DEPTH", "deep")])).unwrap_err();
        assert!(e.to_string().contains("SWITCHBOARD_MAX_DEPTH"), "{e}");
        let e = Config::from_map(map(&[("SWITCHBOARD_ADDR", "nowhere")])).unwrap_err();
        assert!(e.to_string().contains("SWITCHBOARD_ADDR"), "{e}");
        let e = Config::from_map(map(&[("REDIS_URL", "localhost:6379")])).unwrap_err();
        assert!(e.to_string().contains("REDIS_URL"), "{e}");
    }

    #[test]
    fn production_needs_secrets() {
        let e = Config::from_map(map(&[("DATABASE_URL", "postgres://x@h/db")])).unwrap_err();
        assert!(e.to_string().contains("SWITCHBOARD_MASTER_KEY"), "{e}");
    }
}
