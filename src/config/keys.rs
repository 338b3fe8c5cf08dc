//! The configuration keys, in one table: the README's configuration
//! table is written from it and a file key outside it is refused.

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
        "SWITCHBOARD_DB_MIN_CONNECTIONS",
        "the pool size",
        "connections kept open when idle (a full pool never opens connections under a burst)",
    ),
    (
        "SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS",
        "1500",
        "longest wait for a database connection before answering UNAVAILABLE",
    ),
    (
        "SWITCHBOARD_MAX_DEPTH",
        "12",
        "maximum query depth (introspection selections have their own bound, 32)",
    ),
    (
        "SWITCHBOARD_MAX_COMPLEXITY",
        "5000",
        "maximum query complexity (a connection costs `first`; introspection fields are not counted)",
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
    (
        "SWITCHBOARD_STORAGE_URL",
        "unset: the local directory `<data dir>/files`",
        "where uploaded documents are kept: `s3://bucket` for an S3-compatible bucket",
    ),
    (
        "SWITCHBOARD_S3_ENDPOINT",
        "unset: AWS",
        "endpoint of an S3-compatible service (MinIO, Ceph); `http://` allows plain HTTP",
    ),
    ("SWITCHBOARD_S3_REGION", "us-east-1", "region of the bucket"),
    (
        "SWITCHBOARD_S3_ACCESS_KEY_ID",
        "unset: the AWS environment or instance credentials",
        "access key of the bucket (with SWITCHBOARD_S3_SECRET_ACCESS_KEY)",
    ),
    (
        "SWITCHBOARD_S3_SECRET_ACCESS_KEY",
        "unset",
        "secret key of the bucket; never logged",
    ),
    (
        "SWITCHBOARD_UPLOAD_MAX_FILE_BYTES",
        "10485760",
        "largest uploaded file (10 MiB); larger ones refuse the whole request and nothing is stored",
    ),
    ("SWITCHBOARD_UPLOAD_MAX_FILES", "10", "most files in one upload request"),
    (
        "SWITCHBOARD_FILE_LINK_TTL_SECS",
        "300",
        "lifetime of a signed download link (`/files/{id}`)",
    ),
    (
        "SWITCHBOARD_QUOTE_TTL_SECS",
        "900",
        "how long a FIXED exchange quote locks its rate",
    ),
    (
        "SWITCHBOARD_ORDER_TTL_SECS",
        "3600",
        "how long an exchange order waits for its deposit before it expires",
    ),
    (
        "SWITCHBOARD_ADDRESS_QUARANTINE_SECS",
        "604800",
        "how long a released deposit address rests before it serves another order",
    ),
    (
        "SWITCHBOARD_POOL_MIN_FREE",
        "20",
        "free addresses the refill job keeps in each currency's pool",
    ),
    (
        "SWITCHBOARD_POOL_SEED",
        "unset: derived from the master key",
        "hex BIP32 seed (16 to 64 bytes) of the pool's keys; never logged",
    ),
    (
        "SWITCHBOARD_POOL_XPUBS",
        "unset",
        "watch-only pools, `BTC=zpub...,ETH=xpub...`: addresses derived from extended public keys, no private key held",
    ),
    (
        "SWITCHBOARD_BITCOIN_NETWORK",
        "mainnet",
        "the network Bitcoin addresses must belong to: mainnet, testnet or regtest",
    ),
    (
        "SWITCHBOARD_CHAIN_WEBHOOK_SECRET",
        "unset: the chain webhook is off",
        "HMAC secret (at least 16 bytes) of `POST /webhooks/chain/{currency}`",
    ),
    (
        "SWITCHBOARD_CHAIN_WEBHOOK_TOLERANCE_SECS",
        "300",
        "how far a chain webhook's timestamp may be from now",
    ),
    (
        "SWITCHBOARD_PRICE_API_URL",
        "unset: manual rates only",
        "public price API polled for USD prices",
    ),
    ("SWITCHBOARD_PRICE_POLL_SECS", "60", "how often the price API is polled"),
];
