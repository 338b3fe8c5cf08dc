//! Support-desk benchmark (issues 5 and 11): `cargo bench --bench support`.
//!
//! Seeds `--scale` data, serves the real router in this process on a
//! loopback port, then measures
//! 1. a ticket-list page (messages, senders, assignees, tags) over HTTP at
//!    several client concurrencies: requests per second and latency
//!    percentiles;
//! 2. the delivery latency of a message to many subscribed WebSockets
//!    (`ticketMessageAdded` of one ticket, 10,000 by default), from just
//!    before the `addTicketMessage` request leaves to the moment each
//!    socket reads the event;
//! 3. the same across two instances (two routers on two ports, one
//!    PostgreSQL, a real Redis between them): half the sockets on each,
//!    messages posted to the first, latency printed per instance.
//!
//! The sockets' client ends live in a child process (this binary again,
//! with `BENCH_SUPPORT_CLIENT` set): 10,000 sockets need 20,000 descriptors
//! when both ends share a process, more than a typical hard limit. Both
//! processes read the same monotonic clock.
//!
//! A benchmark, not a test: it prints figures and asserts nothing. It runs
//! only when cargo passes `--bench` (so `cargo test --all-targets` builds it
//! but does not run it). Knobs (environment): see `bench/README.md`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
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
/// The server binary's allocator (`src/main.rs`), so the in-process
/// servers allocate as a deployed one does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Message bodies are `BODY_PREFIX` + message number (0 is the probe).
const BODY_PREFIX: &str = "bench fan-out #";
/// Set in the child process that holds the sockets' client ends.
const CLIENT_ENV: &str = "BENCH_SUPPORT_CLIENT";

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
    two_instances: bool,
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
            sockets: env_parse("BENCH_SOCKETS", 10_000usize),
            messages: env_parse("BENCH_MESSAGES", 20usize),
            interval_ms: env_parse("BENCH_INTERVAL_MS", 1000u64),
            connect_parallel: env_parse("BENCH_CONNECT_PARALLEL", 50usize).max(1),
            two_instances: env_parse("BENCH_TWO_INSTANCES", 1u8) != 0,
        };
        assert!(opts.scale >= 1, "BENCH_SCALE must be at least 1");
        assert!(opts.seconds >= 1, "BENCH_SECONDS must be at least 1");
        assert!(opts.page >= 1, "BENCH_PAGE must be at least 1");
        assert!(opts.pool >= 1, "BENCH_DB_POOL must be at least 1");
        opts
    }
}

/// Configuration of every server instance of the benchmark: its sockets
/// share one address and one user, so the per-address caps are lifted.
fn server_settings() -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_WS_MAX_ANON_PER_ADDRESS", "1000000".into()),
        ("SWITCHBOARD_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS", "1000000".into()),
        ("SWITCHBOARD_LOGIN_RATE_PER_ADDRESS", "1000000".into()),
        ("SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS", "30000".into()),
    ]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("support benchmark: not run outside `cargo bench --bench support`");
        return;
    }
    if std::env::var_os(CLIENT_ENV).is_some() {
        client::main();
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
         {} sockets x {} messages every {} ms, two instances: {}",
        opts.scale,
        opts.page,
        opts.concurrency,
        opts.seconds,
        opts.warmup,
        opts.pool,
        opts.sockets,
        opts.messages,
        opts.interval_ms,
        opts.two_instances
    );
    println!("load average before: {}", load_average());
    let (soft, hard) = raise_nofile();
    println!("open files limit: soft {soft}, hard {hard} (per process; the client ends live in a child)");
    if (soft as usize) < opts.sockets + 512 {
        println!(
            "WARNING: {} sockets need about {} descriptors in each process; the limit is {soft}",
            opts.sockets,
            opts.sockets + 512
        );
    }

    // The embedded cluster and the throwaway Redis are started and stopped
    // on the main thread, which outlives them (both are told to stop when
    // this process dies).
    let database = Database::start("support");
    let (url, admin_url) = (database.url.clone(), database.admin_url.clone());
    let redis = if opts.two_instances {
        BenchRedis::start()
    } else {
        Err("BENCH_TWO_INSTANCES=0".to_string())
    };
    match &redis {
        Ok(r) => println!("redis: {}", r.describe()),
        Err(why) => println!("redis: none ({why}); the two-instance phase will be skipped"),
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench")
        .build()
        .expect("cannot start the tokio runtime");
    let redis_url = redis.as_ref().map(|r| r.url.clone()).map_err(Clone::clone);
    let summary = runtime.block_on(run(&opts, url, admin_url, redis_url));
    // Every pool is gone with the runtime; now the cluster can stop.
    drop(runtime);
    if let Ok(r) = redis {
        r.stop();
    }
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
async fn run(opts: &Opts, url: String, admin_url: Option<String>, redis: Result<String, String>) -> Vec<String> {
    let mut summary = Vec::new();
    let (ctx, shutdown) = common::connect_with(&url, admin_url.as_deref(), opts.pool, &server_settings()).await;

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

    let (addr, server_task) = serve(&ctx).await;
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

    let first = gql(
        &http,
        &endpoint,
        Some(&token),
        PAGE_QUERY,
        json!({"n": 1, "after": null}),
    )
    .await
    .expect("cannot read a ticket for the fan-out");
    let ticket = first["data"]["tickets"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("the database holds no ticket")
        .to_string();

    let bus = if ctx.bus.is_distributed() {
        "Redis bus"
    } else {
        "in-process bus"
    };
    let label = format!("one instance ({bus})");
    let fan = fanout_bench(opts, &label, &[(ctx.clone(), addr)], &http, &token, &ticket).await;
    summary.extend(fan);
    // This instance's outbox relay must not take events away from the two
    // instances below (its bus may be in-process): stop it first.
    stop_server(shutdown, server_task).await;
    ctx.db.close().await;

    match redis {
        Err(why) => {
            let line = format!("two instances through Redis: skipped ({why})");
            println!("{line}");
            summary.push(line);
        }
        Ok(redis_url) => {
            let mut settings = server_settings();
            settings.push(("REDIS_URL", redis_url));
            let mut instances = Vec::new();
            let mut running = Vec::new();
            for _ in 0..2 {
                let (ctx, shutdown) = common::connect_with(&url, None, opts.pool, &settings).await;
                let (addr, task) = serve(&ctx).await;
                println!("server: http://{addr}/graphql (Redis bus)");
                instances.push((ctx, addr));
                running.push((shutdown, task));
            }
            let fan = fanout_bench(
                opts,
                "two instances through Redis (posted to A)",
                &instances,
                &http,
                &token,
                &ticket,
            )
            .await;
            summary.extend(fan);
            for (shutdown, task) in running {
                stop_server(shutdown, task).await;
            }
            for (ctx, _) in instances {
                ctx.db.close().await;
            }
        }
    }
    summary
}

/// Serves `ctx`'s router on a loopback port.
async fn serve(ctx: &Ctx) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let server = Server::bind(ctx.clone()).await.expect("cannot bind the server");
    let addr = server.local_addr().expect("the server has no local address");
    let task = tokio::spawn(async move {
        if let Err(e) = server.run().await {
            eprintln!("server stopped with an error: {e}");
        }
    });
    (addr, task)
}

/// Nanoseconds of the system-wide monotonic clock: comparable between this
/// process and its socket client.
fn mono_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into an owned, valid timespec.
    unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
    }
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
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

/// A socket's deliveries: (message number, read instant in [`mono_ns`]).
type Deliveries = Vec<(usize, u64)>;

/// Reads protocol lines from the client until one starting with `word`
/// (echoing the others); returns its remaining fields.
async fn reply<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut tokio::io::Lines<R>, word: &str) -> Option<Vec<String>> {
    while let Ok(Some(line)) = lines.next_line().await {
        let mut fields = line.split_whitespace();
        if fields.next() == Some(word) {
            return Some(fields.map(str::to_string).collect());
        }
        println!("  {line}");
    }
    None
}

/// Posts the message numbered `k` to `endpoint`; returns its send instant
/// (taken just before the request leaves) and round trip.
async fn post_message(
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    ticket: &str,
    k: usize,
) -> (u64, Result<Duration, String>) {
    let sent_ns = mono_ns();
    let sent = Instant::now();
    let result = gql(
        http,
        endpoint,
        Some(token),
        ADD_MESSAGE,
        json!({"i": {"ticketId": ticket, "body": format!("{BODY_PREFIX}{k}")}}),
    )
    .await
    .map(|_| sent.elapsed());
    (sent_ns, result)
}

fn instance_name(i: usize) -> char {
    char::from(b'A' + (i % 26) as u8)
}

/// One fan-out phase: `opts.sockets` sockets spread evenly over
/// `instances` (their client ends in a child process), subscribed to
/// `ticket`; messages are posted to the first instance. Returns the
/// summary lines.
async fn fanout_bench(
    opts: &Opts,
    label: &str,
    instances: &[(Ctx, SocketAddr)],
    http: &reqwest::Client,
    token: &str,
    ticket: &str,
) -> Vec<String> {
    let k = instances.len();
    let per: Vec<usize> = (0..k)
        .map(|i| opts.sockets / k + usize::from(i < opts.sockets % k))
        .collect();
    let targets: Vec<String> = instances
        .iter()
        .zip(&per)
        .map(|((_, addr), n)| format!("ws://{addr}/graphql={n}"))
        .collect();
    let endpoint = format!("http://{}/graphql", instances[0].1);
    println!(
        "fan-out, {label}: opening {} sockets ({} at a time) on ticket {ticket}: {}",
        opts.sockets,
        opts.connect_parallel,
        instances
            .iter()
            .zip(&per)
            .enumerate()
            .map(|(i, ((_, addr), n))| format!("{n} on {} ({addr})", instance_name(i)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut child = tokio::process::Command::new(exe)
        .arg("--bench")
        .env(CLIENT_ENV, "1")
        .env("BENCH_CLIENT_TARGETS", targets.join(","))
        .env("BENCH_CLIENT_TOKEN", token)
        .env("BENCH_CLIENT_TICKET", ticket)
        .env("BENCH_CONNECT_PARALLEL", opts.connect_parallel.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("cannot start the socket client process");
    let mut to_child = child.stdin.take().expect("the client's stdin");
    let mut from_child = BufReader::new(child.stdout.take().expect("the client's stdout")).lines();

    let Some(fields) = reply(&mut from_child, "SUBSCRIBED").await else {
        let line = format!("fan-out, {label}: the socket client ended before subscribing");
        println!("{line}");
        return vec![line];
    };
    let subscribed: Vec<usize> = fields[0].split(',').map(|n| n.parse().unwrap_or(0)).collect();
    let failed_to_open: usize = fields.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    let open_secs: f64 = fields.get(2).and_then(|n| n.parse().ok()).unwrap_or(0.0);
    let total: usize = subscribed.iter().sum();
    println!(
        "fan-out, {label}: {total}/{} sockets subscribed in {open_secs:.1} s ({failed_to_open} failed)",
        opts.sockets
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Unmeasured probes (message 0) until every subscription has heard one.
    for attempt in 1..=3 {
        let started = Instant::now();
        if let (_, Err(e)) = post_message(http, &endpoint, token, ticket, 0).await {
            println!("fan-out: probe {attempt} failed: {e}");
        }
        let _ = to_child.write_all(b"PROBE\n").await;
        let probed: usize = reply(&mut from_child, "PROBED")
            .await
            .and_then(|f| f.first().and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        println!(
            "fan-out: probe {attempt} reached {probed}/{total} sockets in {}",
            ms(started.elapsed())
        );
        if probed >= total {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    println!(
        "fan-out, {label}: posting {} messages to {}, one every {} ms ...",
        opts.messages,
        instance_name(0),
        opts.interval_ms
    );
    let statements_before: Vec<u64> = instances.iter().map(|(c, _)| c.db.statement_count()).collect();
    let mut sent: Vec<Option<u64>> = vec![None; opts.messages + 1];
    let mut post_samples = Samples::default();
    let mut posted = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(opts.interval_ms.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for (m, slot) in sent.iter_mut().enumerate().skip(1) {
        tick.tick().await;
        let (sent_ns, result) = post_message(http, &endpoint, token, ticket, m).await;
        match result {
            Ok(d) => {
                *slot = Some(sent_ns);
                posted.push(m);
                post_samples.push(d);
            }
            Err(e) => println!("  message {m} failed: {e}"),
        }
    }
    let list: Vec<String> = posted.iter().map(usize::to_string).collect();
    let _ = to_child
        .write_all(format!("DRAIN {}\n", list.join(",")).as_bytes())
        .await;
    let waited: f64 = reply(&mut from_child, "RESULT")
        .await
        .and_then(|f| f.first().and_then(|n| n.parse().ok()))
        .unwrap_or(f64::NAN);
    // Per instance: every delivery's latency, and per message the last one.
    let mut all: Vec<Samples> = (0..k).map(|_| Samples::default()).collect();
    let mut last: Vec<HashMap<usize, u64>> = vec![HashMap::new(); k];
    let (mut failed, mut first_failure) = (0usize, String::new());
    while let Ok(Some(line)) = from_child.next_line().await {
        let mut f = line.split_whitespace();
        match f.next() {
            Some("D") => {
                let mut num = || f.next().and_then(|n| n.parse::<u64>().ok());
                let (Some(g), Some(m), Some(at)) = (num(), num(), num()) else {
                    continue;
                };
                let (g, m) = (g as usize, m as usize);
                let Some(Some(sent_ns)) = sent.get(m) else {
                    continue;
                };
                if g >= k {
                    continue;
                }
                let latency = at.saturating_sub(*sent_ns);
                all[g].push(Duration::from_nanos(latency));
                let slot = last[g].entry(m).or_insert(0);
                *slot = (*slot).max(latency);
            }
            Some("END") => {
                failed = f.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                first_failure = f.collect::<Vec<_>>().join(" ");
                break;
            }
            _ => println!("  {line}"),
        }
    }
    let statements: Vec<u64> = instances
        .iter()
        .zip(&statements_before)
        .map(|((c, _), before)| c.db.statement_count() - before)
        .collect();
    let _ = child.wait().await;
    post_samples.finish();

    let mut lines = vec![format!(
        "fan-out, {label}: {total}/{} sockets subscribed in {open_secs:.1} s; {} messages posted ({} failed)",
        opts.sockets,
        posted.len(),
        opts.messages - posted.len()
    )];
    let mut every = Samples::default();
    let mut every_last = Samples::default();
    let (mut received_all, mut expected_all) = (0u64, 0u64);
    for g in 0..k {
        let mut lasts = Samples::default();
        for d in last[g].values() {
            lasts.push(Duration::from_nanos(*d));
            every_last.push(Duration::from_nanos(*d));
        }
        lasts.finish();
        let received = all[g].0.len() as u64;
        let expected = (subscribed.get(g).copied().unwrap_or(0) * posted.len()) as u64;
        received_all += received;
        expected_all += expected;
        let mut samples = std::mem::take(&mut all[g]);
        samples.finish();
        if k > 1 {
            lines.push(format!(
                "fan-out, {label}, instance {} ({} sockets): delivery {}; last socket per message {}; \
                 delivered {received}/{expected}",
                instance_name(g),
                subscribed.get(g).copied().unwrap_or(0),
                samples.line(),
                lasts.line()
            ));
        }
        every.extend(samples);
    }
    every.finish();
    every_last.finish();
    lines.push(format!(
        "fan-out, {label}: delivery latency (post sent -> socket read), all sockets: {}",
        every.line()
    ));
    lines.push(format!(
        "fan-out, {label}: last socket reached per message: {}",
        every_last.line()
    ));
    lines.push(format!(
        "fan-out, {label}: addTicketMessage round trip: {}",
        post_samples.line()
    ));
    let per_message = |n: u64| n as f64 / posted.len().max(1) as f64;
    let total_statements: u64 = statements.iter().sum();
    let by_instance = statements
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{}: {:.1}", instance_name(i), per_message(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    lines.push(format!(
        "fan-out, {label}: {:.1} SQL statements per posted message ({by_instance}; {total_statements} in all)",
        per_message(total_statements)
    ));
    lines.push(format!(
        "fan-out, {label}: delivered {received_all}/{expected_all} ({} missing; waited {waited:.1} s after the \
         last post)",
        expected_all.saturating_sub(received_all)
    ));
    if failed > 0 {
        lines.push(format!(
            "fan-out, {label}: {failed} socket failure(s); first: {first_failure}"
        ));
    }
    for l in &lines {
        println!("{l}");
    }
    lines
}

/// A Redis for the two-instance phase: `REDIS_URL`, or a throwaway
/// `redis-server` on a free loopback port in a temporary folder.
struct BenchRedis {
    url: String,
    own: Option<(std::process::Child, PathBuf)>,
}

impl BenchRedis {
    fn start() -> Result<Self, String> {
        if let Ok(url) = std::env::var("REDIS_URL") {
            if !url.trim().is_empty() {
                return Ok(BenchRedis { url, own: None });
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port: {e}"))?;
        let dir = std::env::temp_dir().join(format!("switchboard-bench-redis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut cmd = std::process::Command::new("redis-server");
        cmd.args([
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
        .stderr(Stdio::null());
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl only, between fork and exec: Redis stops if we die.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            format!("no REDIS_URL and redis-server cannot start ({e}); apt-get install redis-server")
        })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&dir);
                return Err("redis-server did not start listening".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(BenchRedis {
            url: format!("redis://127.0.0.1:{port}"),
            own: Some((child, dir)),
        })
    }

    fn describe(&self) -> String {
        match &self.own {
            None => "REDIS_URL".into(),
            Some(_) => format!("throwaway redis-server at {}", self.url),
        }
    }

    fn stop(self) {
        if let Some((mut child, dir)) = self.own {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// The child process that holds the sockets' client ends. It opens the
/// sockets of `BENCH_CLIENT_TARGETS` (`url=count,...`), prints
/// `SUBSCRIBED <per target> <failed> <seconds>`, then answers the parent
/// on stdin: `PROBE` (wait until every socket heard message 0; prints
/// `PROBED <n>`) and `DRAIN <k,...>` (wait up to 10 s for every socket to
/// read those messages, then print `RESULT <seconds waited>`, one
/// `D <target> <k> <mono ns>` per delivery and `END <failures> <first>`).
mod client {
    use std::collections::HashSet;
    use std::io::Write;

    use super::*;

    struct Shared {
        subscribed: Vec<AtomicUsize>,
        done: AtomicUsize,
        probed: AtomicUsize,
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

        fn subscribed(&self) -> usize {
            self.subscribed.iter().map(|n| n.load(Ordering::Relaxed)).sum()
        }
    }

    type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

    pub fn main() {
        let targets: Vec<(String, usize)> = std::env::var("BENCH_CLIENT_TARGETS")
            .unwrap_or_default()
            .split(',')
            .filter_map(|t| t.rsplit_once('='))
            .map(|(url, n)| (url.to_string(), n.parse().unwrap_or(0)))
            .collect();
        let token = std::env::var("BENCH_CLIENT_TOKEN").unwrap_or_default();
        let ticket = std::env::var("BENCH_CLIENT_TICKET").unwrap_or_default();
        let parallel = env_parse("BENCH_CONNECT_PARALLEL", 50usize).max(1);
        raise_nofile();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("bench-client")
            .build()
            .expect("cannot start the client's tokio runtime");
        runtime.block_on(run(targets, token, ticket, parallel));
    }

    async fn run(targets: Vec<(String, usize)>, token: String, ticket: String, parallel: usize) {
        let total: usize = targets.iter().map(|(_, n)| n).sum();
        let shared = Arc::new(Shared {
            subscribed: targets.iter().map(|_| AtomicUsize::new(0)).collect(),
            done: AtomicUsize::new(0),
            probed: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
            failed: AtomicUsize::new(0),
            first_failure: std::sync::Mutex::new(None),
        });
        let stop = CancellationToken::new();
        let permits = Arc::new(Semaphore::new(parallel));
        let opening = Instant::now();
        let mut tasks = Vec::with_capacity(total);
        for (g, (url, n)) in targets.iter().enumerate() {
            for _ in 0..*n {
                let (shared, stop, permits) = (shared.clone(), stop.clone(), permits.clone());
                let (url, token, ticket) = (url.clone(), token.clone(), ticket.clone());
                tasks.push(tokio::spawn(async move {
                    let opened = {
                        let _permit = permits.acquire_owned().await.ok();
                        open_socket(&url, &token, &ticket).await
                    };
                    let done = shared.done.fetch_add(1, Ordering::Relaxed) + 1;
                    if done % 1000 == 0 || done == total {
                        println!("sockets opened {done}/{total}");
                    }
                    match opened {
                        Ok(socket) => {
                            shared.subscribed[g].fetch_add(1, Ordering::Relaxed);
                            (g, listen(socket, shared, stop).await)
                        }
                        Err(e) => {
                            shared.fail(e);
                            (g, Vec::new())
                        }
                    }
                }));
            }
        }
        let deadline = Instant::now() + Duration::from_secs(300);
        while shared.done.load(Ordering::Relaxed) < total && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let counts: Vec<String> = shared
            .subscribed
            .iter()
            .map(|n| n.load(Ordering::Relaxed).to_string())
            .collect();
        println!(
            "SUBSCRIBED {} {} {:.1}",
            counts.join(","),
            shared.failed.load(Ordering::Relaxed),
            opening.elapsed().as_secs_f64()
        );

        let mut stdin = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = stdin.next_line().await {
            if line == "PROBE" {
                let deadline = Instant::now() + Duration::from_secs(10);
                while shared.probed.load(Ordering::Relaxed) < shared.subscribed() && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                println!("PROBED {}", shared.probed.load(Ordering::Relaxed));
            } else if let Some(list) = line.strip_prefix("DRAIN") {
                let posted: HashSet<usize> = list.split(',').filter_map(|k| k.trim().parse().ok()).collect();
                let expected = (shared.subscribed() * posted.len()) as u64;
                let from = Instant::now();
                while shared.delivered.load(Ordering::Relaxed) < expected && from.elapsed() < Duration::from_secs(10) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let waited = from.elapsed().as_secs_f64();
                stop.cancel();
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                let _ = writeln!(out, "RESULT {waited:.2}");
                for t in tasks {
                    if let Ok((g, deliveries)) = t.await {
                        for (k, at) in deliveries {
                            if posted.contains(&k) {
                                let _ = writeln!(out, "D {g} {k} {at}");
                            }
                        }
                    }
                }
                let first = shared
                    .first_failure
                    .lock()
                    .ok()
                    .and_then(|f| f.clone())
                    .unwrap_or_default()
                    .replace('\n', " ");
                let _ = writeln!(out, "END {} {first}", shared.failed.load(Ordering::Relaxed));
                let _ = out.flush();
                return;
            }
        }
    }

    /// Opens, acknowledges and subscribes one socket (small buffers, so
    /// 10,000 of them stay cheap).
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
                        Some("ping") => {
                            let _ = socket.send(Message::Text(r#"{"type":"pong"}"#.into())).await;
                        }
                        _ => return Err(format!("expected connection_ack, got {v}")),
                    }
                }
                Some(Ok(Message::Close(frame))) => return Err(format!("closed before ack: {frame:?}")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("socket error before ack: {e}")),
                None => return Err("socket ended before ack".into()),
            }
        }
        let sub =
            json!({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTION, "variables": {"t": ticket}}});
        socket
            .send(Message::Text(sub.to_string().into()))
            .await
            .map_err(|e| format!("send subscribe: {e}"))?;
        Ok(socket)
    }

    /// Reads events until `stop`; records when each message was read.
    async fn listen(mut socket: Socket, shared: Arc<Shared>, stop: CancellationToken) -> Deliveries {
        let mut out = Vec::new();
        let mut probed = false;
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => break,
                m = socket.next() => m,
            };
            let received = mono_ns();
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
                                if !probed {
                                    probed = true;
                                    shared.probed.fetch_add(1, Ordering::Relaxed);
                                }
                            } else {
                                out.push((k, received));
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
}
