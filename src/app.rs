//! What every request can reach: configuration, pools, the event bus, keys.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::infra::crypto::{self, Cipher};
use crate::infra::db::Db;
use crate::infra::events::EventBus;
use crate::infra::jobs::{self, JobQueue, Worker};
use crate::infra::outbox::{self, Relay};
use crate::infra::ratelimit::RateLimiter;
use crate::infra::redis::RedisLink;
use crate::infra::telemetry::Metrics;
use crate::service::approval;
use crate::service::identity::password::PasswordHasher;
use crate::service::identity::tokens::TokenSigner;

/// Secrets the server holds. Never logged, never sent.
#[derive(Clone, Debug)]
pub struct Keys {
    /// Seals `*_encrypted` columns.
    pub cipher: Cipher,
    /// Signs access tokens.
    pub tokens: TokenSigner,
    /// Hashes and checks passwords.
    pub passwords: PasswordHasher,
    /// Signs download links (a key derived from the master key).
    pub file_links: crate::infra::storage::LinkSigner,
    /// The exchange pool's key source: the configured seed (or one derived
    /// from the master key) and the watch-only currencies' public keys.
    pub pool: crate::service::exchange::keys::PoolKeys,
}

impl Keys {
    /// Keys from configuration; with the embedded database, missing keys are
    /// generated into the data directory (development only, with a warning).
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let master = match &config.master_key {
            Some(k) => k.clone(),
            None => {
                let path = config.data_dir.join("master.key");
                let (k, fresh) = crypto::load_or_generate_secret(&path, 32)
                    .with_context(|| format!("reading or creating {}", path.display()))?;
                if fresh {
                    tracing::warn!(path = %path.display(), "generated a development master key; set SWITCHBOARD_MASTER_KEY in production");
                }
                k
            }
        };
        let master = crypto::decode_master_key(&master).map_err(|e| anyhow::anyhow!("master key: {e}"))?;
        let jwt = match &config.jwt_secret {
            Some(s) => s.clone(),
            None => {
                let path = config.data_dir.join("jwt.secret");
                let (s, fresh) = crypto::load_or_generate_secret(&path, 48)
                    .with_context(|| format!("reading or creating {}", path.display()))?;
                if fresh {
                    tracing::warn!(path = %path.display(), "generated a development JWT secret; set SWITCHBOARD_JWT_SECRET in production");
                }
                s
            }
        };
        let pool = crate::service::exchange::keys::PoolKeys::load(&config.exchange, &master)
            .map_err(|e| anyhow::anyhow!("SWITCHBOARD_POOL_SEED / SWITCHBOARD_POOL_XPUBS: {e}"))?;
        Ok(Keys {
            pool,
            cipher: Cipher::new(&master),
            file_links: crate::infra::storage::LinkSigner::derive(&master),
            tokens: TokenSigner::new(jwt.as_bytes(), config.access_token_ttl.as_secs() as i64),
            passwords: PasswordHasher::with_concurrency(config.argon2, config.password_hash_concurrency)
                .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?,
        })
    }
}

/// Remembers when a key last passed, so frequent events cause at most one
/// write per interval (per instance).
#[derive(Default)]
pub struct Throttle {
    last: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, std::time::Instant>>,
}

impl Throttle {
    /// True (and remembered) when `key` has not passed within `every`.
    pub fn due(&self, key: uuid::Uuid, every: Duration) -> bool {
        let now = std::time::Instant::now();
        let mut map = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, t| now.duration_since(*t) < every);
        }
        match map.get(&key) {
            Some(t) if now.duration_since(*t) < every => false,
            _ => {
                map.insert(key, now);
                true
            }
        }
    }
}

/// Shared state of one server instance. Services receive it (or parts of
/// it); resolvers reach it through the schema data.
pub struct AppContext {
    pub config: Arc<Config>,
    pub db: Db,
    pub bus: EventBus,
    pub keys: Keys,
    /// Shared fail-fast Redis connection for caches and rate limits, when
    /// configured.
    pub redis: Option<RedisLink>,
    /// Enqueues background jobs (inside the caller's transaction).
    pub jobs: JobQueue,
    /// A small pool of its own for the job runner and the outbox relay, so
    /// background work neither waits for nor crowds out requests.
    pub background_db: sea_orm::DatabaseConnection,
    pub metrics: Arc<Metrics>,
    /// Uploaded files (local directory or S3-compatible bucket).
    pub storage: crate::infra::storage::Storage,
    /// Sign-in and other rate limits (Redis-backed when configured).
    pub limiter: RateLimiter,
    /// Sends exchange payouts and refunds; the fake chain unless a real
    /// signer is wired in (nothing here reaches a network).
    pub chain: Arc<dyn crate::service::exchange::chain::Chain>,
    /// Local once-per-interval gate for bookkeeping writes (last activity).
    pub throttle: Throttle,
    /// Session checks of this instance, dropped when credentials change.
    pub sessions: Arc<crate::service::identity::session_cache::SessionCache>,
    /// Random id of this process, to tell instances apart in logs.
    pub instance_id: String,
    /// Fires when the server begins shutting down.
    pub shutdown: CancellationToken,
}

/// The handle passed around.
pub type Ctx = Arc<AppContext>;

impl AppContext {
    /// Connects to the database and, when configured, Redis.
    pub async fn connect(config: Config, database_url: &str, shutdown: CancellationToken) -> anyhow::Result<Ctx> {
        let keys = Keys::load(&config)?;
        if config.exchange.chain_webhook_secret.is_some() {
            tracing::warn!(
                "exchange payouts and refunds go to the fake chain: they are recorded, nothing is broadcast"
            );
        }
        let db = Db::connect(
            database_url,
            config.database_read_url.as_deref(),
            crate::infra::db::PoolSize {
                max: config.db_max_connections,
                min: config.db_min_connections,
            },
            config.db_acquire_timeout,
        )
        .await
        .context("connecting to the database")?;
        // Nothing here waits for Redis: the link connects on first use and
        // the bus starts degraded when Redis is down.
        let (bus, redis) = match &config.redis_url {
            Some(url) => {
                let link = RedisLink::new(url, config.redis_timeout).context("REDIS_URL")?;
                let bus = EventBus::redis(link.clone(), shutdown.clone()).await;
                (bus, Some(link))
            }
            None => (EventBus::in_process(), None),
        };
        let limiter = match &redis {
            Some(link) => RateLimiter::redis(link.clone()),
            None => RateLimiter::local(),
        };
        let mut background = sea_orm::ConnectOptions::new(database_url.to_string());
        background
            .max_connections(config.jobs.concurrency as u32 + 3)
            .min_connections(0)
            .connect_lazy(true)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(300))
            .sqlx_logging(false);
        let background_db = sea_orm::Database::connect(background)
            .await
            .context("connecting the background pool")?;
        let jobs = JobQueue::new(config.jobs.clone());
        let storage = crate::infra::storage::Storage::open(&config.storage, &config.data_dir)
            .context("opening the file storage")?;
        Ok(Arc::new(AppContext {
            config: Arc::new(config),
            db,
            bus,
            keys,
            redis,
            jobs,
            background_db,
            limiter,
            chain: Arc::new(crate::service::exchange::chain::FakeChain::default()),
            storage,
            throttle: Throttle::default(),
            sessions: crate::service::identity::session_cache::SessionCache::registered(),
            metrics: Arc::new(Metrics::new()),
            instance_id: crypto::random_token(6),
            shutdown,
        }))
    }
}

/// Starts this instance's background work: the job worker, with the
/// outbox relay and the approval expiry registered as recurring singleton
/// jobs (so one instance runs each at a time and another takes over when it stops or dies). Runs
/// until `stop` fires; the server stops it after draining requests, so
/// events committed during the drain are still relayed.
pub fn start_background(ctx: &Ctx, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let db = ctx.background_db.clone();
        let poll = ctx.config.outbox_poll;
        // Retried until it works: the worker is useless without its tables.
        let mut wait = Duration::from_millis(200);
        loop {
            let registered = async {
                jobs::ensure_recurring(&db, outbox::RELAY_JOB, poll).await?;
                jobs::ensure_recurring(&db, approval::requests::EXPIRY_JOB, ctx.config.expiry_every).await
            };
            match registered.await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot register the recurring jobs; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
        let mut worker = Worker::new(
            db.clone(),
            ctx.config.jobs.clone(),
            format!("{}:{}", ctx.instance_id, std::process::id()),
        );
        crate::service::verification::register_jobs(&db, &mut worker, &ctx.bus).await;
        crate::service::exchange::register_jobs(&ctx, &mut worker).await;
        crate::service::custody::register_jobs(&ctx, &mut worker).await;
        let bus = ctx.bus.clone();
        worker.register(outbox::RELAY_JOB, move |job| {
            let (db, bus) = (db.clone(), bus.clone());
            async move {
                let relay = Relay::new(db, bus, poll).await.map_err(|e| e.to_string())?;
                relay.run(job.cancel).await.map_err(|e| e.to_string())
            }
        });
        let (db2, bus2) = (ctx.background_db.clone(), ctx.bus.clone());
        worker.register(approval::requests::EXPIRY_JOB, move |_job| {
            let (db, bus) = (db2.clone(), bus2.clone());
            async move {
                let n = approval::requests::expire_due(&db, &bus)
                    .await
                    .map_err(|e| e.to_string())?;
                if n > 0 {
                    tracing::info!(expired = n, "approval requests expired");
                }
                Ok(())
            }
        });
        worker.run(stop).await;
    })
}
