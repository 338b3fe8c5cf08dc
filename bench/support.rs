//! Support-desk benchmark (issue 5): `cargo bench --bench support`.
//!
//! Seeds `--scale` data, serves the real router in this process on a
//! loopback port, then measures
//! 1. a ticket-list page (messages, senders, assignees, tags) over HTTP at
//!    several client concurrencies: requests per second and latency
//!    percentiles;
//! 2. the delivery latency of a message to many subscribed WebSockets
//!    (`ticketMessageAdded` of one ticket), from just before the
//!    `addTicketMessage` request leaves to the moment each socket reads the
//!    event.
//!
//! A benchmark, not a test: it prints figures and asserts nothing. It runs
//! only when cargo passes `--bench` (so `cargo test --all-targets` builds it
//! but does not run it). Knobs (environment): see `bench/README.md`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

mod common;

use common::*;
use switchboard::app::Ctx;
use switchboard::http::Server;
use switchboard::seed::scale::{self, ScaleSpec};

const PAGE_QUERY: &str = "query($n: Int!, $after: String) { tickets(first: $n, after: $after) { \
    edges { node { id number subject status department { name } client { displayName } \
    assignees { displayName } tags \
    messages(last: 5) { nodes { body sender { ... on User { displayName } ... on Client { displayName } } } } } } \
    pageInfo { endCursor } } }";
const SUBSCRIPTION: &str = "subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { id body } }";
const ADD_MESSAGE: &str = "mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id } } }";
/// Message bodies are `BODY_PREFIX` + message number (0 is the probe).
const BODY_PREFIX: &str = "bench fan-out #";

/// Settings read from the environment.
#[derive(Clone, Debug)]
struct Opts {
    scale: u32,
    concurrency: Vec<usize>,
    seconds: u64,
    warmup: u64,
    page: u32,
    pool: u32,
    sockets: usize,
    messages: usize,
    interval_ms: u64,
    connect_parallel: usize,
}

impl Opts {
    fn from_env() -> Self {
        let concurrency: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
            .unwrap_or_else(|_| "1,8,32".into())
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .unwrap_or_else(|_| panic!("BENCH_CONCURRENCY: {s:?} is not a number"))
            })
            .filter(|&c: &usize| c > 0)
            .collect();
        let opts = Opts {
            scale: env_parse("BENCH_SCALE", 1u32),
            concurrency,
            seconds: env_parse("BENCH_SECONDS", 15u64),
            warmup: env_parse("BENCH_WARMUP", 2u64),
            page: env_parse("BENCH_PAGE", 20u32),
            pool: env_parse("BENCH_DB_POOL", 32u32),
            sockets: env_parse("BENCH_SOCKETS", 1000usize),
            messages: env_parse("BENCH_MESSAGES", 20usize),
            interval_ms: env_parse("BENCH_INTERVAL_MS", 250u64),
            connect_parallel: env_parse("BENCH_CONNECT_PARALLEL", 50usize).max(1),
        };
        assert!(opts.scale >= 1, "BENCH_SCALE must be at least 1");
        assert!(opts.seconds >= 1, "BENCH_SECONDS must be at least 1");
        assert!(opts.page >= 1, "BENCH_PAGE must be at least 1");
        assert!(opts.pool >= 1, "BENCH_DB_POOL must be at least 1");
        opts
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("support benchmark: not run outside `cargo bench --bench support`");
        return;
    }
    let opts = Opts::from_env();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        ))
        .with_writer(std::io::stderr)
        .try_init();

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!("== Switchboard support benchmark ==");
    println!(
        "machine: {cores} core(s), {}; build profile: {profile}",
        std::env::consts::ARCH
    );
    println!(
        "settings: scale {}, page {} tickets, concurrency {:?} x {} s (+{} s warm-up), db pool {}, \
         {} sockets x {} messages every {} ms",
        opts.scale,
        opts.page,
        opts.concurrency,
        opts.seconds,
        opts.warmup,
        opts.pool,
        opts.sockets,
        opts.messages,
        opts.interval_ms
    );
    println!("load average before: {}", load_average());
    let (soft, hard) = raise_nofile();
    println!("open files limit: soft {soft}, hard {hard}");
    if (soft as usize) < opts.sockets * 2 + 256 {
        println!(
            "WARNING: {} sockets need about {} descriptors in this process; the limit is {soft}",
            opts.sockets,
            opts.sockets * 2 + 256
        );
    }

    // The embedded cluster is started and stopped on the main thread, which
    // outlives it (the postmaster is told to stop when this process dies).
    let database = Database::start("support");
    let (url, admin_url) = (database.url.clone(), database.admin_url.clone());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench")
        .build()
        .expect("cannot start the tokio runtime");
    let summary = runtime.block_on(run(&opts, url, admin_url));
    // Every pool is gone with the runtime; now the cluster can stop.
    drop(runtime);
    database.stop();
    println!();
    println!(
        "== Summary ({cores} core(s), {profile}; load average now {}) ==",
        load_average()
    );
    for line in summary {
        println!("{line}");
    }
}

/// Everything after the database is up; returns the summary lines.
async fn run(opts: &Opts, url: String, admin_url: Option<String>) -> Vec<String> {
    let mut summary = Vec::new();
    let (ctx, shutdown) = common::connect(&url, admin_url.as_deref(), opts.pool).await;

    // Seed unless the database already holds the tickets of this scale.
    let wanted = ScaleSpec::units(f64::from(opts.scale)).tickets;
    let have = ticket_count(&ctx).await;
    if have >= wanted {
        println!(
            "seed: skipped, the database already holds {have} tickets (scale {} needs {wanted})",
            opts.scale
        );
        summary.push(format!("seed: skipped ({have} tickets already present)"));
    } else {
        println!("seed: loading scale {} ({wanted} tickets) ...", opts.scale);
        let report = scale::load(&url, opts.scale, true)
            .await
            .expect("the scale seed failed");
        let line = format!(
            "seed: scale {}: {} rows in {:.1} s ({:.0} rows/s)",
            opts.scale,
            report.rows,
            report.elapsed.as_secs_f64(),
            report.rows_per_second()
        );
        println!("{line}");
        for (table, rows) in &report.per_table {
            println!("  {table:<28} {rows:>10}");
        }
        summary.push(line);
    }

    let server = Server::bind(ctx.clone()).await.expect("cannot bind the server");
    let addr = server.local_addr().expect("the server has no local address");
    let server_task = tokio::spawn(async move {
        if let Err(e) = server.run().await {
            eprintln!("server stopped with an error: {e}");
        }
    });
    println!("server: http://{addr}/graphql (db pool {})", opts.pool);

    let http = http_client();
    let endpoint = format!("http://{addr}/graphql");
    let token = admin_token(&ctx, &http, &endpoint).await;
    println!("admin signed in");

    summary.push(format!(
        "ticket page: first {} tickets (+ every 5th request the next page), messages(last: 5) with senders, \
         assignees, tags",
        opts.page
    ));
    for &c in &opts.concurrency {
        let line = page_bench(opts, &ctx, &http, &endpoint, &token, c).await;
        summary.push(line);
    }

    let fan = fanout_bench(opts, &ctx, &http, &endpoint, addr, &token).await;
    summary.extend(fan);

    stop_server(shutdown, server_task).await;
    ctx.db.close().await;
    summary
}

async fn ticket_count(ctx: &Ctx) -> u64 {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let row = ctx
        .db
        .primary
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*)::bigint AS n FROM support_tickets",
        ))
        .await
        .expect("cannot count the tickets");
    row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0).max(0) as u64
}

struct WorkerResult {
    samples: Samples,
    /// Requests sent, warm-up included.
    issued: u64,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

/// One concurrency level of the page benchmark; returns its summary line.
async fn page_bench(
    opts: &Opts,
    ctx: &Ctx,
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    concurrency: usize,
) -> String {
    println!(
        "page: concurrency {concurrency}: {} s warm-up, {} s measured ...",
        opts.warmup, opts.seconds
    );
    let statements_before = ctx.db.statement_count();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(opts.warmup);
    let measure_to = measure_from + Duration::from_secs(opts.seconds);
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let http = http.clone();
        let endpoint = endpoint.to_string();
        let token = token.to_string();
        let page = opts.page;
        workers.push(tokio::spawn(async move {
            let mut out = WorkerResult {
                samples: Samples::default(),
                issued: 0,
                ok: 0,
                errors: 0,
                first_error: None,
            };
            let mut cursor: Option<String> = None;
            let mut i: u64 = 0;
            loop {
                let sent = Instant::now();
                if sent >= measure_to {
                    break;
                }
                i += 1;
                out.issued += 1;
                let after = if i % 5 == 0 { cursor.clone() } else { None };
                let second_page = after.is_some();
                let result = gql(
                    &http,
                    &endpoint,
                    Some(&token),
                    PAGE_QUERY,
                    json!({"n": page, "after": after}),
                )
                .await;
                let done = Instant::now();
                let result = result.and_then(|body| {
                    let edges = body["data"]["tickets"]["edges"].as_array().map_or(0, Vec::len);
                    if edges == 0 {
                        return Err("an empty ticket page".to_string());
                    }
                    if !second_page {
                        cursor = body["data"]["tickets"]["pageInfo"]["endCursor"]
                            .as_str()
                            .map(str::to_string);
                    }
                    Ok(())
                });
                // Only requests that started and ended inside the window count.
                if sent < measure_from || done > measure_to {
                    continue;
                }
                match result {
                    Ok(()) => {
                        out.ok += 1;
                        out.samples.push(done - sent);
                    }
                    Err(e) => {
                        out.errors += 1;
                        out.first_error.get_or_insert(e);
                    }
                }
            }
            out
        }));
    }
    let mut samples = Samples::default();
    let (mut ok, mut errors, mut issued, mut first_error) = (0u64, 0u64, 0u64, None);
    for w in workers {
        let r = w.await.expect("a page worker panicked");
        samples.extend(r.samples);
        ok += r.ok;
        issued += r.issued;
        errors += r.errors;
        if first_error.is_none() {
            first_error = r.first_error;
        }
    }
    samples.finish();
    let statements = ctx.db.statement_count() - statements_before;
    let rps = ok as f64 / opts.seconds as f64;
    let line = format!(
        "page c={concurrency:<3} {rps:>8.1} req/s  {}  ({ok} ok, {errors} errors, {:.1} SQL statements/request)",
        samples.line(),
        statements as f64 / issued.max(1) as f64
    );
    println!("{line}");
    if let Some(e) = first_error {
        println!("  first error: {e}");
    }
    line
}

/// What the fan-out sockets share.
struct Shared {
    /// Sockets requested.
    total: usize,
    /// When message `k` (1-based; 0 is the probe) was sent.
    sent: Vec<OnceLock<Instant>>,
    subscribed: AtomicUsize,
    probes: AtomicUsize,
    delivered: AtomicU64,
    failed: AtomicUsize,
    first_failure: std::sync::Mutex<Option<String>>,
}

impl Shared {
    fn fail(&self, why: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut f) = self.first_failure.lock() {
            f.get_or_insert(why);
        }
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Per socket: (message number, delivery latency).
type Deliveries = Vec<(usize, Duration)>;

/// Opens, acknowledges and subscribes one socket.
async fn open_socket(ws_url: &str, token: &str, ticket: &str) -> Result<Socket, String> {
    let mut req = ws_url.into_client_request().map_err(|e| format!("bad ws url: {e}"))?;
    req.headers_mut().insert(
        "sec-websocket-protocol",
        http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .map_err(|e| format!("send connection_init: {e}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let msg = tokio::time::timeout_at(deadline, socket.next())
            .await
            .map_err(|_| "no connection_ack within 30 s".to_string())?;
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).map_err(|e| format!("bad frame: {e}"))?;
                match v["type"].as_str() {
                    Some("connection_ack") => break,
                    Some("ping") => {}
                    _ => return Err(format!("expected connection_ack, got {v}")),
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed before ack: {frame:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("socket error before ack: {e}")),
            None => return Err("socket ended before ack".into()),
        }
    }
    let sub = json!({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTION, "variables": {"t": ticket}}});
    socket
        .send(Message::Text(sub.to_string().into()))
        .await
        .map_err(|e| format!("send subscribe: {e}"))?;
    Ok(socket)
}

/// Reads events until `stop`; records each message's delivery latency.
async fn listen(mut socket: Socket, shared: Arc<Shared>, stop: CancellationToken) -> Deliveries {
    let mut out = Vec::new();
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => break,
            m = socket.next() => m,
        };
        let received = Instant::now();
        match msg {
            Some(Ok(Message::Text(t))) => {
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                    shared.fail(format!("unparsable frame: {}", t.as_str()));
                    break;
                };
                match v["type"].as_str() {
                    Some("next") => {
                        let body = v["payload"]["data"]["ticketMessageAdded"]["body"]
                            .as_str()
                            .unwrap_or("");
                        let Some(k) = body.strip_prefix(BODY_PREFIX).and_then(|n| n.parse::<usize>().ok()) else {
                            // Someone else's message, or an error payload.
                            if v["payload"]["errors"].is_array() {
                                shared.fail(format!("subscription error: {v}"));
                                break;
                            }
                            continue;
                        };
                        if k == 0 {
                            shared.probes.fetch_add(1, Ordering::Relaxed);
                        } else if let Some(sent) = shared.sent.get(k).and_then(OnceLock::get) {
                            out.push((k, received.saturating_duration_since(*sent)));
                            shared.delivered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Some("ping") => {
                        let _ = socket.send(Message::Text(r#"{"type":"pong"}"#.into())).await;
                    }
                    Some("pong") => {}
                    _ => {
                        shared.fail(format!("unexpected frame: {v}"));
                        break;
                    }
                }
            }
            Some(Ok(Message::Close(frame))) => {
                shared.fail(format!("server closed the socket: {frame:?}"));
                break;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                shared.fail(format!("socket error: {e}"));
                break;
            }
            None => {
                shared.fail("socket ended".into());
                break;
            }
        }
    }
    let _ = socket.close(None).await;
    out
}

/// Posts the message numbered `k`, recording its send instant first.
async fn post_message(
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    ticket: &str,
    shared: &Shared,
    k: usize,
) -> Result<Duration, String> {
    let sent = Instant::now();
    let _ = shared.sent[k].set(sent);
    gql(
        http,
        endpoint,
        Some(token),
        ADD_MESSAGE,
        json!({"i": {"ticketId": ticket, "body": format!("{BODY_PREFIX}{k}")}}),
    )
    .await
    .map(|_| sent.elapsed())
}

/// The WebSocket fan-out benchmark; returns its summary lines.
async fn fanout_bench(
    opts: &Opts,
    ctx: &Ctx,
    http: &reqwest::Client,
    endpoint: &str,
    addr: SocketAddr,
    token: &str,
) -> Vec<String> {
    let first = gql(http, endpoint, Some(token), PAGE_QUERY, json!({"n": 1, "after": null}))
        .await
        .expect("cannot read a ticket for the fan-out");
    let ticket = first["data"]["tickets"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("the database holds no ticket")
        .to_string();
    println!(
        "fan-out: opening {} sockets ({} at a time) on ticket {ticket} ...",
        opts.sockets, opts.connect_parallel
    );

    let shared = Arc::new(Shared {
        total: opts.sockets,
        sent: (0..=opts.messages).map(|_| OnceLock::new()).collect(),
        subscribed: AtomicUsize::new(0),
        probes: AtomicUsize::new(0),
        delivered: AtomicU64::new(0),
        failed: AtomicUsize::new(0),
        first_failure: std::sync::Mutex::new(None),
    });
    let stop = CancellationToken::new();
    let permits = Arc::new(Semaphore::new(opts.connect_parallel));
    let ws_url = format!("ws://{addr}/graphql");
    let opening = Instant::now();
    let mut tasks = Vec::with_capacity(opts.sockets);
    for _ in 0..opts.sockets {
        let (shared, stop, permits) = (shared.clone(), stop.clone(), permits.clone());
        let (ws_url, token, ticket) = (ws_url.clone(), token.to_string(), ticket.clone());
        tasks.push(tokio::spawn(async move {
            let opened = {
                let _permit = permits.acquire_owned().await.ok();
                open_socket(&ws_url, &token, &ticket).await
            };
            match opened {
                Ok(socket) => {
                    let n = shared.subscribed.fetch_add(1, Ordering::Relaxed) + 1;
                    if n % 100 == 0 || n == shared.total {
                        println!("  sockets subscribed {n}/{}", shared.total);
                    }
                    listen(socket, shared, stop).await
                }
                Err(e) => {
                    shared.fail(e);
                    Vec::new()
                }
            }
        }));
    }
    // Wait until every socket is subscribed or has failed.
    let open_deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = shared.subscribed.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed);
        if done >= opts.sockets || Instant::now() > open_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let subscribed = shared.subscribed.load(Ordering::Relaxed);
    let open_time = opening.elapsed();
    println!(
        "fan-out: {subscribed}/{} sockets subscribed in {:.1} s ({} failed)",
        opts.sockets,
        open_time.as_secs_f64(),
        shared.failed.load(Ordering::Relaxed)
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A probe (message 0, not measured) proves every subscription is live.
    let probe_started = Instant::now();
    if let Err(e) = post_message(http, endpoint, token, &ticket, &shared, 0).await {
        println!("fan-out: the probe message failed: {e}");
    }
    let probe_deadline = Instant::now() + Duration::from_secs(30);
    while shared.probes.load(Ordering::Relaxed) < subscribed && Instant::now() < probe_deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "fan-out: probe reached {}/{subscribed} sockets in {}",
        shared.probes.load(Ordering::Relaxed),
        ms(probe_started.elapsed())
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The measured messages.
    println!(
        "fan-out: posting {} messages, one every {} ms ...",
        opts.messages, opts.interval_ms
    );
    let statements_before = ctx.db.statement_count();
    let mut post_samples = Samples::default();
    let mut post_errors = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(opts.interval_ms.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for k in 1..=opts.messages {
        tick.tick().await;
        match post_message(http, endpoint, token, &ticket, &shared, k).await {
            Ok(d) => post_samples.push(d),
            Err(e) => {
                post_errors += 1;
                println!("  message {k} failed: {e}");
            }
        }
    }
    let posted = opts.messages - post_errors;
    let expected = (subscribed * posted) as u64;
    let last_post = Instant::now();
    while shared.delivered.load(Ordering::Relaxed) < expected && last_post.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained = last_post.elapsed();
    let statements = ctx.db.statement_count() - statements_before;
    stop.cancel();

    let mut all = Samples::default();
    let mut per_message: Vec<Samples> = (0..=opts.messages).map(|_| Samples::default()).collect();
    for t in tasks {
        if let Ok(deliveries) = t.await {
            for (k, d) in deliveries {
                all.push(d);
                per_message[k].push(d);
            }
        }
    }
    all.finish();
    // How long until the last socket had each message.
    let mut last_socket = Samples::default();
    for s in per_message.iter_mut().skip(1) {
        s.finish();
        if let Some(max) = s.pct(100.0) {
            last_socket.push(max);
        }
    }
    last_socket.finish();
    post_samples.finish();

    let received = all.0.len() as u64;
    let mut lines = vec![
        format!(
            "fan-out: {subscribed}/{} sockets subscribed in {:.1} s; {posted} messages posted ({post_errors} failed)",
            opts.sockets,
            open_time.as_secs_f64()
        ),
        format!("fan-out delivery latency (post sent -> socket read): {}", all.line()),
        format!("fan-out: last socket reached per message: {}", last_socket.line()),
        format!("fan-out: addTicketMessage round trip: {}", post_samples.line()),
        format!(
            "fan-out: {:.0} SQL statements per posted message ({statements} in all)",
            statements as f64 / posted.max(1) as f64
        ),
        format!(
            "fan-out: delivered {received}/{expected} ({} missing; waited {:.1} s after the last post)",
            expected.saturating_sub(received),
            drained.as_secs_f64()
        ),
    ];
    let failed = shared.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first = shared
            .first_failure
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .unwrap_or_default();
        lines.push(format!("fan-out: {failed} socket failure(s); first: {first}"));
    }
    for l in &lines {
        println!("{l}");
    }
    lines
}
