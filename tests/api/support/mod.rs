//! Test harness: one ephemeral PostgreSQL cluster per test run, a template
//! database migrated once, a fresh database per test; throwaway Redis for
//! fan-out tests; the real router served on a loopback port.

#![allow(dead_code)]

pub mod gql;
pub mod personas;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use switchboard::app::{AppContext, Ctx};
use switchboard::config::Config;
use switchboard::http::Server;
use switchboard::infra::db::{self, MigrateCommand};
use switchboard::infra::embedded_pg::{EmbeddedOptions, EmbeddedPostgres};
use tokio_util::sync::CancellationToken;

pub const TEST_MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const TEST_JWT_SECRET: &str = "test-jwt-secret-that-is-long-enough-0123456789";
const TEMPLATE_DB: &str = "switchboard_template";

/// Root of the repository.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where test clusters live: somewhere the `postgres` user can reach.
pub fn scratch_root() -> PathBuf {
    let dir = std::env::temp_dir().join("switchboard-tests");
    let _ = std::fs::create_dir_all(&dir);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777));
    }
    dir
}

/// A fresh scratch folder.
pub fn scratch_dir(prefix: &str) -> PathBuf {
    let dir = scratch_root().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes folders of earlier runs whose process is gone.
fn sweep_old_runs() {
    let Ok(entries) = std::fs::read_dir(scratch_root()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let pid = name.split('-').nth(1).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !pid_alive(pid) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// The PostgreSQL server of this test run: `DATABASE_URL` if set, else an
/// embedded cluster started once, owned by a thread that lives as long as
/// the test process (the cluster dies with the process).
pub fn pg_admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            return url;
        }
        sweep_old_runs();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("test-postgres".into())
            .spawn(move || {
                let dir = scratch_root().join(format!("cluster-{}", std::process::id()));
                let started = EmbeddedPostgres::start(&EmbeddedOptions {
                    data_dir: dir,
                    ephemeral: true,
                    max_connections: 400,
                });
                match started {
                    Ok(pg) => {
                        let _ = tx.send(Ok(pg.url("postgres")));
                        // Keep the cluster (and this thread, its parent) alive.
                        loop {
                            std::thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            })
            .expect("spawn test-postgres thread");
        match rx.recv() {
            Ok(Ok(url)) => url,
            Ok(Err(e)) => panic!("cannot start the test PostgreSQL cluster: {e}"),
            Err(_) => panic!("the test PostgreSQL thread died"),
        }
    })
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("database URL has a path");
    let query = url.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    format!("{base}/{db}{query}")
}

async fn ensure_template() {
    static TEMPLATE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let admin = pg_admin_url();
            let admin_db = sea_orm::Database::connect(admin).await.expect("connect admin");
            use sea_orm::ConnectionTrait;
            let _ = admin_db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))
                .await;
            admin_db
                .execute_unprepared(&format!("CREATE DATABASE {TEMPLATE_DB}"))
                .await
                .expect("create template");
            let url = with_database(admin, TEMPLATE_DB);
            let template = sea_orm::Database::connect(&url).await.expect("connect template");
            db::migrate(&url, &template, MigrateCommand::Up)
                .await
                .expect("migrate template");
            template.close().await.expect("close template");
            admin_db.close().await.expect("close admin");
        })
        .await;
}

/// A new database cloned from the migrated template; returns its URL.
pub async fn fresh_database() -> String {
    static CREATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ensure_template().await;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = pg_admin_url();
    // Cloning needs the template idle; clone one at a time.
    let _guard = CREATE.lock().await;
    let admin_db = sea_orm::Database::connect(admin).await.expect("connect admin");
    use sea_orm::ConnectionTrait;
    admin_db
        .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
        .await
        .expect("clone template");
    admin_db.close().await.expect("close admin");
    with_database(admin, &name)
}

/// A throwaway `redis-server` on a loopback port (or `REDIS_URL`), shared
/// by the run.
pub fn redis_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("REDIS_URL") {
            return url;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("test-redis".into())
            .spawn(move || {
                let port = free_port();
                let dir = scratch_dir("redis");
                let spawned = spawn_with_parent_death(
                    Command::new("redis-server")
                        .args([
                            "--port",
                            &port.to_string(),
                            "--bind",
                            "127.0.0.1",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                        ])
                        .arg("--dir")
                        .arg(&dir)
                        .stdout(Stdio::null())
                        .stderr(Stdio::null()),
                );
                match spawned {
                    Ok(_child) => {
                        let _ = tx.send(Ok(port));
                        loop {
                            std::thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
            .expect("spawn test-redis thread");
        let port = match rx.recv() {
            Ok(Ok(port)) => port,
            Ok(Err(e)) => {
                panic!("cannot start redis-server ({e}); install it (apt-get install redis-server) or set REDIS_URL")
            }
            Err(_) => panic!("the test-redis thread died"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        format!("redis://127.0.0.1:{port}")
    })
}

/// Spawns `cmd` so that it receives SIGTERM when the spawning thread's
/// process dies.
pub fn spawn_with_parent_death(cmd: &mut Command) -> Result<Child, String> {
    use std::os::unix::process::CommandExt;
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| e.to_string())
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Options of a test server.
#[derive(Default, Clone)]
pub struct ServerOptions {
    /// Extra configuration keys.
    pub env: Vec<(&'static str, String)>,
    /// Use the run's Redis for the event bus and caches.
    pub redis: bool,
    /// Share this database instead of making a fresh one.
    pub database_url: Option<String>,
}

/// A server running in this test's runtime on a loopback port.
pub struct TestServer {
    pub addr: SocketAddr,
    pub ctx: Ctx,
    pub database_url: String,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with(ServerOptions::default()).await
    }

    pub async fn with(opts: ServerOptions) -> Self {
        let database_url = match opts.database_url {
            Some(url) => url,
            None => fresh_database().await,
        };
        let mut map: HashMap<String, String> = HashMap::new();
        map.insert("DATABASE_URL".into(), database_url.clone());
        map.insert("SWITCHBOARD_MASTER_KEY".into(), TEST_MASTER_KEY.into());
        map.insert("SWITCHBOARD_JWT_SECRET".into(), TEST_JWT_SECRET.into());
        map.insert("SWITCHBOARD_ADDR".into(), "127.0.0.1:0".into());
        map.insert("SWITCHBOARD_DB_MAX_CONNECTIONS".into(), "10".into());
        // Many test servers share one cluster: their pools open lazily.
        map.insert("SWITCHBOARD_DB_MIN_CONNECTIONS".into(), "1".into());
        map.insert("SWITCHBOARD_SHUTDOWN_GRACE_SECS".into(), "5".into());
        // The shared, loaded test machine may keep a request waiting for a
        // pooled connection longer than production's short wait; outage
        // tests set their own.
        map.insert("SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS".into(), "10000".into());
        // Tests sign many users up from one address.
        map.insert("SWITCHBOARD_REGISTER_RATE_PER_ADDRESS".into(), "100000".into());
        if opts.redis {
            map.insert("REDIS_URL".into(), redis_url().to_string());
        }
        for (k, v) in opts.env {
            map.insert(k.to_string(), v);
        }
        let config = Config::from_map(map).expect("test configuration");
        let shutdown = CancellationToken::new();
        let ctx = AppContext::connect(config, &database_url, shutdown.clone())
            .await
            .expect("connect test context");
        let server = Server::bind(ctx.clone()).await.expect("bind test server");
        let addr = server.local_addr().expect("local addr");
        let handle = tokio::spawn(async move {
            let _ = server.run().await;
        });
        // A barrier, not a timing assumption: the session cache serves once
        // the credentials listener is connected (outage tests may start
        // without a database; they do not wait).
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ctx.sessions.is_live() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        TestServer {
            addr,
            ctx,
            database_url,
            shutdown,
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql", self.addr)
    }

    /// Starts the server's graceful shutdown and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }

    /// Two instances on one fresh database, both on the test Redis: how
    /// fan-out between instances is tested.
    pub async fn pair_with_redis() -> (Self, Self) {
        let a = Self::with(ServerOptions {
            redis: true,
            ..Default::default()
        })
        .await;
        let b = Self::with(ServerOptions {
            redis: true,
            database_url: Some(a.database_url.clone()),
            ..Default::default()
        })
        .await;
        (a, b)
    }

    /// Waits until every event committed so far has been relayed to the
    /// bus (the outbox is empty), so a subscription opened next hears only
    /// what happens after it: a barrier, not a timing assumption.
    pub async fn events_relayed(&self) {
        use sea_orm::{ConnectionTrait, Statement};
        let db = &self.ctx.db.primary;
        let sql = "SELECT count(*) FROM event_outbox";
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
                .await
                .expect("count the outbox")
                .expect("a row");
            if row.try_get_by_index::<i64>(0).expect("a count") == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "the outbox was not relayed within 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Fires shutdown without waiting.
    pub fn begin_shutdown(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Installs the Node test dependencies once per machine (`npm ci`).
pub fn node_modules() -> PathBuf {
    static DONE: Mutex<bool> = Mutex::new(false);
    let dir = repo_root().join("tests/node");
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if !*done {
        let marker = dir.join("node_modules/.package-lock.json");
        let lock = dir.join("package-lock.json");
        let stale = match (std::fs::metadata(&marker), std::fs::metadata(&lock)) {
            (Ok(m), Ok(l)) => m.modified().ok() < l.modified().ok(),
            _ => true,
        };
        if stale {
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .expect("npm is needed for the conformance tests (install Node.js 20)");
            assert!(
                out.status.success(),
                "npm ci in tests/node failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        *done = true;
    }
    dir
}

/// Runs `node tests/node/<script> args…` and parses its JSON output.
pub async fn run_node(script: &str, args: &[&str]) -> serde_json::Value {
    let dir = node_modules();
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(script).args(args).current_dir(&dir).kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("node {script} timed out"))
        .expect("node is needed for the conformance tests (install Node.js 20)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node {script} failed:\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("node {script} printed no JSON ({e}): {stdout}"))
}

/// Installs a log subscriber for one test when `TEST_LOG` is set (e.g.
/// `TEST_LOG=switchboard::sql=trace`).
pub fn test_log() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}
