//! What the benchmarks share: settings from the environment, latency
//! samples, the database (embedded or `DATABASE_URL`), the server on a
//! loopback port, an administrator's token and a GraphQL client call.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use switchboard::app::{AppContext, Ctx};
use switchboard::config::Config;
use switchboard::infra::embedded_pg::{EmbeddedOptions, EmbeddedPostgres};

pub const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const JWT_SECRET: &str = "bench-jwt-secret-that-is-long-enough-0123456789";
pub const ADMIN_PASSWORD: &str = "bench-Password-0123456789";
pub const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";

/// Name of the benchmark database inside the embedded cluster.
pub const EMBEDDED_DB: &str = "switchboard_bench";

pub fn env_parse<T: std::str::FromStr>(key: &str, default: T) -> T {
    match std::env::var(key) {
        Ok(raw) if !raw.trim().is_empty() => raw
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{key}={raw:?} is not a valid value")),
        _ => default,
    }
}

/// Latency samples in microseconds; percentiles by nearest rank.
#[derive(Default)]
pub struct Samples(pub Vec<u64>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d.as_micros().min(u128::from(u64::MAX)) as u64);
    }

    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn finish(&mut self) {
        self.0.sort_unstable();
    }

    /// `p` in 0..=100; the list must be sorted.
    pub fn pct(&self, p: f64) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.0.len()) - 1;
        Some(Duration::from_micros(self.0[i]))
    }

    pub fn line(&self) -> String {
        let f = |p| self.pct(p).map_or_else(|| "-".to_string(), ms);
        format!("p50 {}  p90 {}  p99 {}  max {}", f(50.0), f(90.0), f(99.0), f(100.0))
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns (soft, hard).
pub fn raise_nofile() -> (libc::rlim_t, libc::rlim_t) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a valid, owned struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return (0, 0);
        }
        if lim.rlim_cur < lim.rlim_max {
            let wanted = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                lim = wanted;
            }
        }
    }
    (lim.rlim_cur, lim.rlim_max)
}

/// Creates a super administrator and signs it in; returns the access token.
pub async fn admin_token(ctx: &Ctx, http: &reqwest::Client, endpoint: &str) -> String {
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    switchboard::service::identity::accounts::create_admin(ctx, &email, ADMIN_PASSWORD, "Bench Admin")
        .await
        .expect("cannot create the benchmark administrator");
    let body = gql(
        http,
        endpoint,
        None,
        LOGIN,
        json!({"i": {"email": email, "password": ADMIN_PASSWORD}}),
    )
    .await
    .expect("the administrator cannot sign in");
    body["data"]["login"]["accessToken"]
        .as_str()
        .expect("login returned no accessToken")
        .to_string()
}

/// POSTs one GraphQL request; `Ok(body)` only for HTTP 200 without errors.
pub async fn gql(
    http: &reqwest::Client,
    endpoint: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let mut req = http
        .post(endpoint)
        .header("accept", "application/graphql-response+json, application/json;q=0.9")
        .json(&json!({"query": query, "variables": variables}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.map_err(|e| format!("request failed: {e}"))?;
    let status = res.status();
    let body: Value = res
        .json()
        .await
        .map_err(|e| format!("HTTP {status}: unreadable body: {e}"))?;
    if status != reqwest::StatusCode::OK || body.get("errors").is_some() || body["data"].is_null() {
        let mut text = body.to_string();
        text.truncate(300);
        return Err(format!("HTTP {status}: {text}"));
    }
    Ok(body)
}

/// `/proc/loadavg`'s three averages: other work on the machine skews every
/// figure here (client, server and PostgreSQL share the cores).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The database of a benchmark run: `DATABASE_URL`, or an embedded cluster
/// in a temporary folder (started on the calling thread, which must outlive
/// it; removed by [`Database::stop`]).
pub struct Database {
    pub url: String,
    pub admin_url: Option<String>,
    embedded: Option<(EmbeddedPostgres, PathBuf)>,
}

impl Database {
    pub fn start(name: &str) -> Self {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                println!("database: DATABASE_URL");
                Database {
                    url,
                    admin_url: None,
                    embedded: None,
                }
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("switchboard-bench-{name}-{}", std::process::id()));
                println!("database: embedded PostgreSQL in {}", dir.display());
                let pg = EmbeddedPostgres::start(&EmbeddedOptions {
                    data_dir: dir.clone(),
                    ephemeral: false,
                    max_connections: 200,
                })
                .expect("cannot start the embedded PostgreSQL (or set DATABASE_URL)");
                Database {
                    url: pg.url(EMBEDDED_DB),
                    admin_url: Some(pg.url("postgres")),
                    embedded: Some((pg, dir)),
                }
            }
        }
    }

    /// Restarts the embedded cluster with `pg_stat_statements` loaded, so a
    /// benchmark can count statements whoever issues them.
    pub fn enable_statement_stats(&mut self) {
        let Some((mut pg, dir)) = self.embedded.take() else {
            return;
        };
        pg.stop();
        // Dropping it releases the data directory's lock for the restart.
        drop(pg);
        let conf = dir.join("postgres/postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("cannot read postgresql.conf");
        text.push_str("\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_utility = on\n");
        std::fs::write(&conf, text).expect("cannot write postgresql.conf");
        let pg = EmbeddedPostgres::start(&EmbeddedOptions {
            data_dir: dir.clone(),
            ephemeral: false,
            max_connections: 200,
        })
        .expect("cannot restart the embedded PostgreSQL");
        self.url = pg.url(EMBEDDED_DB);
        self.admin_url = Some(pg.url("postgres"));
        self.embedded = Some((pg, dir));
    }

    /// The postmaster's pid (embedded only), for CPU accounting.
    pub fn postmaster_pid(&self) -> Option<u32> {
        self.embedded.as_ref().and_then(|(pg, _)| pg.pid())
    }

    /// Stops the embedded cluster and removes its folder.
    pub fn stop(self) {
        if let Some((mut pg, dir)) = self.embedded {
            pg.stop();
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                eprintln!("could not remove {}: {e}", dir.display());
            }
        }
    }
}

/// A connected app context for `url` with a pool of `pool`, migrated.
pub async fn connect(url: &str, admin_url: Option<&str>, pool: u32) -> (Ctx, CancellationToken) {
    connect_with(url, admin_url, pool, &[]).await
}

/// [`connect`] with further configuration keys (they win over the defaults).
pub async fn connect_with(
    url: &str,
    admin_url: Option<&str>,
    pool: u32,
    settings: &[(&str, String)],
) -> (Ctx, CancellationToken) {
    use switchboard::infra::db::{self, MigrateCommand};
    if let Some(admin) = admin_url {
        db::ensure_database(admin, EMBEDDED_DB)
            .await
            .expect("cannot create the benchmark database");
    }
    let mut map: HashMap<String, String> = HashMap::new();
    map.insert("DATABASE_URL".into(), url.to_string());
    map.insert("SWITCHBOARD_MASTER_KEY".into(), MASTER_KEY.into());
    map.insert("SWITCHBOARD_JWT_SECRET".into(), JWT_SECRET.into());
    map.insert("SWITCHBOARD_ADDR".into(), "127.0.0.1:0".into());
    map.insert("SWITCHBOARD_DB_MAX_CONNECTIONS".into(), pool.to_string());
    map.insert("SWITCHBOARD_ACCESS_TOKEN_TTL_SECS".into(), "7200".into());
    map.insert("SWITCHBOARD_SHUTDOWN_GRACE_SECS".into(), "5".into());
    map.insert(
        "SWITCHBOARD_DATA_DIR".into(),
        std::env::temp_dir()
            .join("switchboard-bench-data")
            .display()
            .to_string(),
    );
    if let Ok(redis) = std::env::var("REDIS_URL") {
        map.insert("REDIS_URL".into(), redis);
    }
    for (key, value) in settings {
        map.insert(key.to_string(), value.clone());
    }
    let config = Config::from_map(map).expect("benchmark configuration");
    let shutdown = CancellationToken::new();
    let ctx = AppContext::connect(config, url, shutdown.clone())
        .await
        .expect("cannot connect to the database");
    db::migrate(url, &ctx.db.primary, MigrateCommand::Up)
        .await
        .expect("cannot apply the migrations");
    (ctx, shutdown)
}

/// Waits for a serving task to drain after `shutdown` fires.
pub async fn stop_server(shutdown: CancellationToken, task: tokio::task::JoinHandle<()>) {
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
}

/// An HTTP client fit for many concurrent requests.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .build()
        .expect("cannot build the HTTP client")
}
