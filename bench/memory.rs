//! Memory benchmark (issue 9): `cargo bench --bench memory`.
//!
//! Starts the release server binary (`target/release/switchboard`, or
//! `BENCH_SERVER_BIN`) as its own process against a migrated database, then
//! reads the server's resident set size (`VmRSS` of `/proc/<pid>/status`)
//! 1. after each of `BENCH_BURSTS` bursts of `BENCH_BURST_SIZE` concurrent
//!    sign-ins (`login`, one account each, argon2id at the default
//!    parameters), `BENCH_SETTLE_MS` after the burst ends;
//! 2. on a second fresh server, before and after opening `BENCH_SOCKETS` idle `graphql-transport-ws`
//!    sockets from this process over loopback, each authenticated and
//!    subscribed to `ticketMessageAdded` of a ticket of its own (so each
//!    holds its own event topic; `BENCH_SHARED_TOPIC=1` puts them all on one
//!    ticket), and after closing them again.
//!
//! A benchmark, not a test: it prints figures and asserts nothing. It runs
//! only when cargo passes `--bench`. Knobs: see `bench/README.md`.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::*;
use switchboard::seed::scale::{self, ScaleSpec};

const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
const SUBSCRIPTION: &str = "subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { id body } }";
const PASSWORD: &str = "bench-memory-password-0123";

#[derive(Clone, Debug)]
struct Opts {
    bursts: usize,
    burst_size: usize,
    sockets: usize,
    connect_parallel: usize,
    settle: Duration,
    shared_topic: bool,
    server_bin: String,
}

impl Opts {
    fn from_env() -> Self {
        Opts {
            bursts: env_parse("BENCH_BURSTS", 8usize),
            burst_size: env_parse("BENCH_BURST_SIZE", 32usize).max(1),
            sockets: env_parse("BENCH_SOCKETS", 10_000usize),
            connect_parallel: env_parse("BENCH_CONNECT_PARALLEL", 32usize).max(1),
            settle: Duration::from_millis(env_parse("BENCH_SETTLE_MS", 2000u64)),
            shared_topic: env_parse("BENCH_SHARED_TOPIC", 0u8) == 1,
            server_bin: std::env::var("BENCH_SERVER_BIN")
                .ok()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| env!("CARGO_BIN_EXE_switchboard").to_string()),
        }
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("memory benchmark: not run outside `cargo bench --bench memory`");
        return;
    }
    let opts = Opts::from_env();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!("== Switchboard memory benchmark ==");
    println!(
        "machine: {cores} core(s), {}; bench profile: {profile}",
        std::env::consts::ARCH
    );
    println!("server binary: {}", opts.server_bin);
    println!(
        "settings: {} bursts x {} sign-ins, {} sockets ({} topic{}), settle {} ms",
        opts.bursts,
        opts.burst_size,
        opts.sockets,
        if opts.shared_topic {
            "one shared"
        } else {
            "one per socket"
        },
        if opts.shared_topic { "" } else { "s" },
        opts.settle.as_millis()
    );
    println!("load average before: {}", load_average());
    // The server inherits the raised limit.
    let (soft, hard) = raise_nofile();
    println!("open files limit: soft {soft}, hard {hard}");
    if (soft as usize) < opts.sockets + 512 {
        println!(
            "WARNING: {} sockets need about {} descriptors per process; the limit is {soft}",
            opts.sockets,
            opts.sockets + 512
        );
    }
    let database = Database::start("memory");
    let (url, admin_url) = (database.url.clone(), database.admin_url.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench")
        .build()
        .expect("cannot start the tokio runtime");
    let summary = runtime.block_on(run(&opts, url, admin_url));
    drop(runtime);
    database.stop();
    println!();
    println!("== Summary ({cores} core(s); load average now {}) ==", load_average());
    for line in summary {
        println!("{line}");
    }
}

/// `VmRSS` and `VmHWM` (peak) of `pid` in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn start_server(opts: &Opts, url: &str, port: u16) -> Child {
    let data = std::env::temp_dir().join(format!("switchboard-bench-memory-data-{}", std::process::id()));
    Command::new(&opts.server_bin)
        .args(["serve", "--no-migrate"])
        .env_remove("REDIS_URL")
        .env_remove("DATABASE_READ_URL")
        .env("DATABASE_URL", url)
        .env("SWITCHBOARD_MASTER_KEY", MASTER_KEY)
        .env("SWITCHBOARD_JWT_SECRET", JWT_SECRET)
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", data)
        .env("SWITCHBOARD_LOG_FORMAT", "json")
        .env("RUST_LOG", std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()))
        .env("SWITCHBOARD_ACCESS_TOKEN_TTL_SECS", "7200")
        .env("SWITCHBOARD_SHUTDOWN_DELAY_SECS", "0")
        .env("SWITCHBOARD_SHUTDOWN_GRACE_SECS", "5")
        .env("SWITCHBOARD_WS_MAX_OPERATIONS", "10")
        // 10,000 sockets from one address and one user: lift the per-address caps.
        .env("SWITCHBOARD_WS_MAX_ANON_PER_ADDRESS", "1000000")
        .env("SWITCHBOARD_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS", "1000000")
        .env("SWITCHBOARD_LOGIN_RATE_PER_ADDRESS", "1000000")
        .env("SWITCHBOARD_LOGIN_RATE_PER_ACCOUNT", "1000000")
        .env("SWITCHBOARD_REGISTER_RATE_PER_ADDRESS", "1000000")
        // Memory is measured here, not load shedding: wait for connections.
        .env("SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS", "30000")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start the server binary")
}

async fn run(opts: &Opts, url: String, admin_url: Option<String>) -> Vec<String> {
    let mut summary = Vec::new();
    // Migrates, and gives this process a context to seed and make the admin.
    let (ctx, _shutdown) = common::connect(&url, admin_url.as_deref(), 4).await;
    let units = opts.sockets.div_ceil(10_000).max(1) as u32;
    let have = ticket_ids(&ctx, 1).await.len();
    if !opts.shared_topic && opts.sockets > 0 && have == 0 {
        let wanted = ScaleSpec::units(f64::from(units)).tickets;
        println!("seed: scale {units} ({wanted} tickets), so every socket has a ticket of its own ...");
        let report = scale::load(&url, units, true).await.expect("the scale seed failed");
        println!("seed: {} rows in {:.1} s", report.rows, report.elapsed.as_secs_f64());
    }
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    switchboard::service::identity::accounts::create_admin(&ctx, &email, ADMIN_PASSWORD, "Bench Admin")
        .await
        .expect("cannot create the benchmark administrator");

    let http = http_client();

    // Phase 1, on a fresh server: sign-in bursts.
    let (mut server, pid, port) = serve(opts, &url, &http).await;
    let endpoint = format!("http://127.0.0.1:{port}/graphql");
    let (rss, _) = rss_kib(pid);
    let line = format!("server serving: RSS {}", mib(rss));
    println!("{line}");
    summary.push(line);

    // Sign-in bursts.
    let mut accounts = Vec::with_capacity(opts.burst_size);
    for i in 0..opts.burst_size {
        let email = format!("memory-{i}-{}@example.com", uuid::Uuid::new_v4().simple());
        gql(
            &http,
            &endpoint,
            None,
            REGISTER,
            json!({"i": {"email": email, "password": PASSWORD, "displayName": format!("Memory {i}")}}),
        )
        .await
        .expect("cannot register a benchmark account");
        accounts.push(email);
    }
    tokio::time::sleep(opts.settle).await;
    let (rss, _) = rss_kib(pid);
    let line = format!("after {} sequential sign-ups: RSS {}", opts.burst_size, mib(rss));
    println!("{line}");
    summary.push(line);
    let before_bursts = rss;
    for burst in 1..=opts.bursts {
        let started = Instant::now();
        let tasks: Vec<_> = accounts
            .iter()
            .map(|email| {
                let (http, endpoint, email) = (http.clone(), endpoint.clone(), email.clone());
                tokio::spawn(async move {
                    gql(
                        &http,
                        &endpoint,
                        None,
                        LOGIN,
                        json!({"i": {"email": email, "password": PASSWORD}}),
                    )
                    .await
                })
            })
            .collect();
        let mut ok = 0;
        let mut first_error = None;
        for t in tasks {
            match t.await.expect("a sign-in task panicked") {
                Ok(_) => ok += 1,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let took = started.elapsed();
        tokio::time::sleep(opts.settle).await;
        let (rss, hwm) = rss_kib(pid);
        let line = format!(
            "burst {burst}: {ok}/{} sign-ins in {:.2} s; RSS {} ({:+.1} MiB since before the bursts), peak {}",
            opts.burst_size,
            took.as_secs_f64(),
            mib(rss),
            (rss as f64 - before_bursts as f64) / 1024.0,
            mib(hwm)
        );
        println!("{line}");
        summary.push(line);
        if let Some(e) = first_error {
            println!("  first error: {e}");
        }
    }

    stop(&mut server, pid).await;

    // Phase 2, on another fresh server: idle subscribed sockets.
    if opts.sockets > 0 {
        let (mut server, pid, port) = serve(opts, &url, &http).await;
        // Signed in by this process (same keys and database), so the server
        // has hashed no password before the baseline is read.
        let token = switchboard::service::identity::signin::login(
            &ctx,
            &switchboard::service::identity::Viewer::anonymous(),
            switchboard::service::identity::signin::LoginInput {
                email: email.clone(),
                password: ADMIN_PASSWORD.into(),
                totp_code: None,
            },
        )
        .await
        .expect("the administrator cannot sign in")
        .access_token;
        summary.extend(socket_bench(opts, &ctx, &http, port, pid, &token).await);
        stop(&mut server, pid).await;
    }
    ctx.db.close().await;
    summary
}

/// Starts the server binary on a free port and waits until it answers.
async fn serve(opts: &Opts, url: &str, http: &reqwest::Client) -> (Child, u32, u16) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let mut server = start_server(opts, url, port);
    let pid = server.id();
    let endpoint = format!("http://127.0.0.1:{port}/graphql");
    let deadline = Instant::now() + Duration::from_secs(60);
    while gql(http, &endpoint, None, "{ apiVersion }", json!({})).await.is_err() {
        if let Ok(Some(status)) = server.try_wait() {
            panic!("the server exited early: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not serve within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (server, pid, port)
}

/// SIGTERM, then waits for the exit (kills after 30 s).
async fn stop(server: &mut Child, pid: u32) {
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
}

async fn ticket_ids(ctx: &switchboard::app::Ctx, limit: usize) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let rows = ctx
        .db
        .primary
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT id::text AS id FROM support_tickets ORDER BY id LIMIT {limit}"),
        ))
        .await
        .expect("cannot list tickets");
    rows.iter().filter_map(|r| r.try_get::<String>("", "id").ok()).collect()
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens, acknowledges and subscribes one socket (the client side keeps
/// small buffers too, so this process does not dwarf the server).
async fn open_socket(ws_url: &str, token: &str, ticket: &str) -> Result<Socket, String> {
    let mut req = ws_url.into_client_request().map_err(|e| format!("bad ws url: {e}"))?;
    req.headers_mut().insert(
        "sec-websocket-protocol",
        http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .map_err(|e| format!("send connection_init: {e}"))?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(60), socket.next())
            .await
            .map_err(|_| "no connection_ack within 60 s".to_string())?
            .ok_or("closed before connection_ack")?
            .map_err(|e| format!("read: {e}"))?;
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
            match v["type"].as_str() {
                Some("connection_ack") => break,
                Some("ping") => {
                    let _ = socket.send(Message::Text(r#"{"type":"pong"}"#.into())).await;
                }
                _ => return Err(format!("unexpected before ack: {t}")),
            }
        }
    }
    let sub = json!({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"t": ticket}}});
    socket
        .send(Message::Text(sub.to_string().into()))
        .await
        .map_err(|e| format!("send subscribe: {e}"))?;
    Ok(socket)
}

/// `graphql_subscriptions_open` from the server's /metrics.
async fn subscriptions_open(http: &reqwest::Client, port: u16) -> u64 {
    let text = match http.get(format!("http://127.0.0.1:{port}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => return 0,
    };
    text.lines()
        .find(|l| l.starts_with("graphql_subscriptions_open "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

async fn socket_bench(
    opts: &Opts,
    ctx: &switchboard::app::Ctx,
    http: &reqwest::Client,
    port: u16,
    pid: u32,
    token: &str,
) -> Vec<String> {
    let mut summary = Vec::new();
    let tickets = if opts.shared_topic {
        ticket_ids(ctx, 1).await
    } else {
        ticket_ids(ctx, opts.sockets).await
    };
    if tickets.is_empty() {
        return vec!["sockets: skipped, no tickets".into()];
    }
    tokio::time::sleep(opts.settle).await;
    let (before, _) = rss_kib(pid);
    println!("sockets: RSS before {}; opening {} ...", mib(before), opts.sockets);
    let ws_url = format!("ws://127.0.0.1:{port}/graphql");
    let gate = Arc::new(Semaphore::new(opts.connect_parallel));
    let started = Instant::now();
    let tasks: Vec<_> = (0..opts.sockets)
        .map(|i| {
            let (gate, ws_url, token) = (gate.clone(), ws_url.clone(), token.to_string());
            let ticket = tickets[i % tickets.len()].clone();
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.ok()?;
                open_socket(&ws_url, &token, &ticket)
                    .await
                    .map_err(|e| eprintln!("socket {i}: {e}"))
                    .ok()
            })
        })
        .collect();
    let mut sockets = Vec::with_capacity(opts.sockets);
    for t in tasks {
        if let Ok(Some(s)) = t.await {
            sockets.push(s);
        }
    }
    println!(
        "sockets: {} of {} open in {:.1} s",
        sockets.len(),
        opts.sockets,
        started.elapsed().as_secs_f64()
    );
    // Wait until the server counts every subscription (bounded).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut open = subscriptions_open(http, port).await;
    while open < sockets.len() as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        open = subscriptions_open(http, port).await;
    }
    tokio::time::sleep(opts.settle).await;
    let (after, hwm) = rss_kib(pid);
    let n = sockets.len().max(1) as f64;
    let line = format!(
        "{} idle subscribed sockets ({} subscriptions live, {}): RSS {} -> {}, {:.1} KiB per socket (peak {})",
        sockets.len(),
        open,
        if opts.shared_topic { "one topic" } else { "a topic each" },
        mib(before),
        mib(after),
        (after as f64 - before as f64) / n,
        mib(hwm)
    );
    println!("{line}");
    summary.push(line);
    for s in &mut sockets {
        let _ = s.close(None).await;
    }
    drop(sockets);
    let deadline = Instant::now() + Duration::from_secs(60);
    while subscriptions_open(http, port).await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(opts.settle).await;
    let (closed, _) = rss_kib(pid);
    let line = format!("after closing them: RSS {}", mib(closed));
    println!("{line}");
    summary.push(line);
    summary
}
