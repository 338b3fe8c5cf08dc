//! Settings from the environment and an optional `switchboard.toml`,
//! validated once at start so that a bad value fails fast and names its key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

mod exchange;
mod keys;
mod sections;

pub use exchange::{BitcoinNetwork, ExchangeConfig};
pub use keys::KEYS;

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
    /// Connections each pool keeps open when idle (by default all of them).
    pub db_min_connections: u32,
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
    /// How often pending approval requests past their deadline expire.
    pub expiry_every: Duration,
    /// Where uploaded files are kept, and the upload limits.
    pub storage: StorageConfig,
    /// Quotes, orders, the address pool, the chain webhook, the price feed.
    pub exchange: ExchangeConfig,
}

/// Uploaded files: the object store and the limits of an upload.
#[derive(Clone)]
pub struct StorageConfig {
    /// `s3://bucket`; unset: the local directory `<data dir>/files`.
    pub url: Option<String>,
    /// An S3-compatible endpoint (MinIO, Ceph, a test server).
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    /// Never logged.
    pub s3_secret_access_key: Option<String>,
    /// Largest file accepted, in bytes.
    pub max_file_bytes: usize,
    /// Most files in one request.
    pub max_files: usize,
    /// How long a download link stays valid.
    pub link_ttl: Duration,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageConfig")
            .field("url", &self.url)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("max_file_bytes", &self.max_file_bytes)
            .field("max_files", &self.max_files)
            .field("link_ttl", &self.link_ttl)
            .finish_non_exhaustive()
    }
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
            sections::read_file(&file)?
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
            db_min_connections: match src.get("SWITCHBOARD_DB_MIN_CONNECTIONS") {
                None => src.positive("SWITCHBOARD_DB_MAX_CONNECTIONS", 20)? as u32,
                Some(_) => src.positive("SWITCHBOARD_DB_MIN_CONNECTIONS", 1)? as u32,
            },
            db_acquire_timeout: Duration::from_millis(src.positive("SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS", 1500)?),
            limits: Limits {
                max_depth: src.positive("SWITCHBOARD_MAX_DEPTH", 12)? as usize,
                max_complexity: src.positive("SWITCHBOARD_MAX_COMPLEXITY", 5000)? as usize,
                max_batch: src.positive("SWITCHBOARD_MAX_BATCH", 10)? as usize,
                max_body_bytes: src.positive("SWITCHBOARD_MAX_BODY_BYTES", 1024 * 1024)? as usize,
                max_nesting: sections::max_nesting(&src)?,
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
            argon2: sections::argon2_params(&src)?,
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
                oidc_providers: sections::oidc_providers(&src)?,
            },
            payments: sections::payments_config(&src)?,
            trusted_proxies: match src.get("SWITCHBOARD_TRUSTED_PROXIES") {
                None => Default::default(),
                Some(raw) => raw
                    .parse()
                    .map_err(|reason: String| ConfigError::invalid("SWITCHBOARD_TRUSTED_PROXIES", reason))?,
            },
            redis_timeout: Duration::from_millis(src.positive("SWITCHBOARD_REDIS_TIMEOUT_MS", 250)?.min(60_000)),
            outbox_poll: Duration::from_millis(src.positive("SWITCHBOARD_OUTBOX_POLL_MS", 100)?.min(60_000)),
            expiry_every: Duration::from_millis(src.positive("SWITCHBOARD_EXPIRY_EVERY_MS", 60_000)?.min(3_600_000)),
            jobs: crate::infra::jobs::JobSettings {
                poll: Duration::from_millis(src.positive("SWITCHBOARD_JOBS_POLL_MS", 500)?.min(600_000)),
                lease: secs("SWITCHBOARD_JOBS_LEASE_SECS", 10)?,
                backoff_base: Duration::from_millis(src.positive("SWITCHBOARD_JOBS_BACKOFF_MS", 1000)?),
                backoff_max: Duration::from_secs(600),
                max_attempts: src.positive("SWITCHBOARD_JOBS_MAX_ATTEMPTS", 10)?.min(1_000_000) as i32,
                concurrency: src.positive("SWITCHBOARD_JOBS_CONCURRENCY", 4)?.min(1024) as usize,
            },
            storage: sections::storage_config(&src)?,
            exchange: exchange::exchange_config(&src)?,
        })
    }

    /// True when the server runs its own PostgreSQL cluster.
    pub fn embedded_database(&self) -> bool {
        self.database_url.is_none()
    }
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
