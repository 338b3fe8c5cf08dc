//! Switchboard beside PostGraphile v5 on the same database (issue 11):
//! `cargo bench --bench sidebyside`. Runs only when cargo passes `--bench`.
//!
//! One throwaway PostgreSQL (embedded, with `pg_stat_statements` loaded) is
//! migrated and loaded with `seed --scale BENCH_SCALE`; the release
//! `switchboard` binary and PostGraphile (stock `amber` preset, no auth;
//! installed from npm into `bench/postgraphile` with the Node 22 it needs)
//! serve it side by side. Both must answer each query with the same rows;
//! then, for several rounds, each query is driven against one server and
//! then the other with the same load (`BENCH_CONNECTIONS` clients back to
//! back), and the window's figures are printed: req/s, p50, p99, SQL
//! statements per request (from `pg_stat_statements`, the same meter for
//! both) and CPU milliseconds per request of the server process and of
//! PostgreSQL (every backend plus the postmaster, from `/proc`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

use common::*;
use switchboard::seed::scale;

/// The three queries, as each server spells them. `$ticket`/`$user` are
/// filled in once the data is known.
struct Query {
    name: &'static str,
    ours: &'static str,
    theirs: &'static str,
    /// The rows of an answer, in a shape both servers' answers reduce to.
    rows: fn(&Value, Side) -> Value,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Ours,
    Theirs,
}

const TICKETS_OURS: &str = "query { tickets(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) { nodes { \
    id number subject status department { name } \
    messages(first: 10) { nodes { id body sender { ... on User { displayName } ... on Client { displayName } } } } \
    assignees { id displayName } tags } } }";
const TICKETS_THEIRS: &str =
    "query { allSupportTickets(first: 50, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { nodes { \
    rowId number subject status departmentByDepartmentId { name } \
    supportTicketMessagesByTicketId(first: 10, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { rowId body \
      userBySenderUserId { displayName } clientBySenderClientId { displayName } } } \
    ticketAssignmentsByTicketId { nodes { userByUserId { rowId displayName } } } \
    ticketTagsByTicketId { nodes { tagByTagId { name } } } } } }";

const ORDERS_OURS: &str = "query { orders(first: 50) { nodes { id status totalInr \
    items { id itemName totalPriceInr } invoice { id invoiceNumber } \
    payments { id status amountInr transactions { id transactionType status } } } } }";
const ORDERS_THEIRS: &str = "query { allOrders(first: 50, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { nodes { \
    rowId status totalInr orderItemsByOrderId { nodes { rowId itemName totalPriceInr } } \
    invoicesByOrderId { nodes { rowId invoiceNumber } } \
    paymentsByOrderId { nodes { rowId status amountInr paymentTransactionsByPaymentId { nodes { rowId transactionType status } } } } } } }";

const TICKET_OURS: &str = "query { viewer { id displayName email } ticket(id: \"$ticket\") { id number subject status \
    messages(first: 12) { nodes { id body createdAt sender { ... on User { displayName } ... on Client { displayName } } } } } }";
const TICKET_THEIRS: &str = "query { userByRowId(rowId: \"$user\") { rowId displayName email } \
    supportTicketByRowId(rowId: \"$ticket\") { rowId number subject status \
    supportTicketMessagesByTicketId(first: 12, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { rowId body createdAt \
      userBySenderUserId { displayName } clientBySenderClientId { displayName } } } } }";

fn s(v: &Value) -> Value {
    v.clone()
}

/// A BIGINT as text: PostGraphile sends 64-bit integers as strings.
fn num(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

fn nodes(v: &Value) -> Vec<Value> {
    v["nodes"].as_array().cloned().unwrap_or_default()
}

fn sender(m: &Value, side: Side) -> Value {
    match side {
        Side::Ours => s(&m["sender"]["displayName"]),
        Side::Theirs => {
            let u = &m["userBySenderUserId"]["displayName"];
            if u.is_null() {
                s(&m["clientBySenderClientId"]["displayName"])
            } else {
                s(u)
            }
        }
    }
}

fn ticket_rows(body: &Value, side: Side) -> Value {
    let list = match side {
        Side::Ours => nodes(&body["data"]["tickets"]),
        Side::Theirs => nodes(&body["data"]["allSupportTickets"]),
    };
    Value::Array(
        list.iter()
            .map(|t| {
                let (id, dept, msgs, assignees, tags) = match side {
                    Side::Ours => (
                        s(&t["id"]),
                        s(&t["department"]["name"]),
                        nodes(&t["messages"]),
                        t["assignees"].as_array().cloned().unwrap_or_default(),
                        t["tags"].as_array().cloned().unwrap_or_default(),
                    ),
                    Side::Theirs => (
                        s(&t["rowId"]),
                        s(&t["departmentByDepartmentId"]["name"]),
                        nodes(&t["supportTicketMessagesByTicketId"]),
                        nodes(&t["ticketAssignmentsByTicketId"])
                            .iter()
                            .map(|a| json!({"id": a["userByUserId"]["rowId"], "displayName": a["userByUserId"]["displayName"]}))
                            .collect(),
                        nodes(&t["ticketTagsByTicketId"])
                            .iter()
                            .map(|x| s(&x["tagByTagId"]["name"]))
                            .collect(),
                    ),
                };
                let messages: Vec<Value> = msgs
                    .iter()
                    .map(|m| {
                        let mid = if side == Side::Ours { &m["id"] } else { &m["rowId"] };
                        json!([mid, m["body"], sender(m, side)])
                    })
                    .collect();
                let assignees: BTreeSet<String> = assignees.iter().map(|a| format!("{}|{}", a["id"], a["displayName"])).collect();
                let tags: BTreeSet<String> = tags.iter().map(|x| x.to_string()).collect();
                json!({"id": id, "number": num(&t["number"]), "subject": t["subject"], "status": t["status"],
                       "department": dept, "messages": messages, "assignees": assignees, "tags": tags})
            })
            .collect(),
    )
}

fn order_rows(body: &Value, side: Side) -> Value {
    let list = match side {
        Side::Ours => nodes(&body["data"]["orders"]),
        Side::Theirs => nodes(&body["data"]["allOrders"]),
    };
    let set = |items: Vec<Value>, f: &dyn Fn(&Value) -> String| -> BTreeSet<String> { items.iter().map(f).collect() };
    Value::Array(
        list.iter()
            .map(|o| match side {
                Side::Ours => json!({
                    "id": o["id"], "status": o["status"], "total": num(&o["totalInr"]),
                    "items": set(o["items"].as_array().cloned().unwrap_or_default(), &|i| format!("{}|{}|{}", i["id"], i["itemName"], num(&i["totalPriceInr"]))),
                    "invoices": set(if o["invoice"].is_null() { vec![] } else { vec![o["invoice"].clone()] }, &|i| format!("{}|{}", i["id"], i["invoiceNumber"])),
                    "payments": set(o["payments"].as_array().cloned().unwrap_or_default(), &|p| {
                        let tx = set(p["transactions"].as_array().cloned().unwrap_or_default(), &|t| format!("{}|{}|{}", t["id"], t["transactionType"], t["status"]));
                        format!("{}|{}|{}|{:?}", p["id"], p["status"], num(&p["amountInr"]), tx)
                    }),
                }),
                Side::Theirs => json!({
                    "id": o["rowId"], "status": o["status"], "total": num(&o["totalInr"]),
                    "items": set(nodes(&o["orderItemsByOrderId"]), &|i| format!("{}|{}|{}", i["rowId"], i["itemName"], num(&i["totalPriceInr"]))),
                    "invoices": set(nodes(&o["invoicesByOrderId"]), &|i| format!("{}|{}", i["rowId"], i["invoiceNumber"])),
                    "payments": set(nodes(&o["paymentsByOrderId"]), &|p| {
                        let tx = set(nodes(&p["paymentTransactionsByPaymentId"]), &|t| format!("{}|{}|{}", t["rowId"], t["transactionType"], t["status"]));
                        format!("{}|{}|{}|{:?}", p["rowId"], p["status"], num(&p["amountInr"]), tx)
                    }),
                }),
            })
            .collect(),
    )
}

fn one_ticket_rows(body: &Value, side: Side) -> Value {
    let (user, t, msgs) = match side {
        Side::Ours => {
            let v = &body["data"]["viewer"];
            let t = &body["data"]["ticket"];
            (json!([v["id"], v["displayName"], v["email"]]), t, nodes(&t["messages"]))
        }
        Side::Theirs => {
            let v = &body["data"]["userByRowId"];
            let t = &body["data"]["supportTicketByRowId"];
            (
                json!([v["rowId"], v["displayName"], v["email"]]),
                t,
                nodes(&t["supportTicketMessagesByTicketId"]),
            )
        }
    };
    let id = if side == Side::Ours { &t["id"] } else { &t["rowId"] };
    let messages: Vec<Value> = msgs
        .iter()
        .map(|m| {
            let mid = if side == Side::Ours { &m["id"] } else { &m["rowId"] };
            json!([mid, m["body"], sender(m, side)])
        })
        .collect();
    json!({"viewer": user, "ticket": [id, num(&t["number"]), t["subject"], t["status"]], "messages": messages})
}

const QUERIES: &[Query] = &[
    Query {
        name: "50 newest tickets + department, 10 messages + senders, assignees, tags",
        ours: TICKETS_OURS,
        theirs: TICKETS_THEIRS,
        rows: ticket_rows,
    },
    Query {
        name: "50 newest orders + items, invoice, payments + transactions",
        ours: ORDERS_OURS,
        theirs: ORDERS_THEIRS,
        rows: order_rows,
    },
    Query {
        name: "viewer + one ticket with its 12 messages",
        ours: TICKET_OURS,
        theirs: TICKET_THEIRS,
        rows: one_ticket_rows,
    },
];

/// Settings read from the environment.
struct Opts {
    scale: u32,
    rounds: usize,
    seconds: u64,
    warmup: u64,
    connections: usize,
    pool: u32,
    /// 1-based indexes of the queries to drive (all by default).
    queries: Vec<usize>,
    /// Which servers to drive: both, or only one (for profiling).
    sides: Vec<Side>,
    /// Where to write a `perf record` of Switchboard per measured window.
    perf: Option<PathBuf>,
    /// Print each window's costliest statements (`pg_stat_statements`).
    top_statements: usize,
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("sidebyside benchmark: not run outside `cargo bench --bench sidebyside`");
        return;
    }
    if std::env::var("DATABASE_URL").is_ok_and(|v| !v.trim().is_empty()) {
        eprintln!(
            "sidebyside: runs on its own embedded PostgreSQL (it measures the cluster's CPU); unset DATABASE_URL"
        );
        std::process::exit(2);
    }
    let opts = Opts {
        scale: env_parse("BENCH_SCALE", 1),
        rounds: env_parse("BENCH_ROUNDS", 3),
        seconds: env_parse("BENCH_SECONDS", 10),
        warmup: env_parse("BENCH_WARMUP", 2),
        connections: env_parse("BENCH_CONNECTIONS", 32),
        pool: env_parse("BENCH_DB_POOL", 16),
        queries: std::env::var("BENCH_QUERIES")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
            .unwrap_or_else(|| (1..=QUERIES.len()).collect()),
        sides: match std::env::var("BENCH_SIDES").unwrap_or_default().trim() {
            "ours" => vec![Side::Ours],
            "theirs" => vec![Side::Theirs],
            _ => vec![Side::Ours, Side::Theirs],
        },
        perf: std::env::var("BENCH_PERF")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from),
        top_statements: env_parse("BENCH_TOP_STATEMENTS", 0),
    };
    if let Some(dir) = &opts.perf {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("sidebyside: BENCH_PERF={}: {e}", dir.display());
            std::process::exit(2);
        }
    }
    let mut db = Database::start("sidebyside");
    // pg_stat_statements counts both servers' statements the same way.
    db.enable_statement_stats();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("cannot start the tokio runtime");
    let outcome = runtime.block_on(run(&opts, &db));
    drop(runtime);
    db.stop();
    if let Err(e) = outcome {
        eprintln!("sidebyside: {e}");
        std::process::exit(1);
    }
}

/// A server process under test, killed when dropped.
struct Served {
    name: &'static str,
    child: Child,
    endpoint: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn postgraphile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/postgraphile")
}

/// `npm ci` in bench/postgraphile when its modules are missing or stale.
fn install_postgraphile() -> Result<PathBuf, String> {
    let dir = postgraphile_dir();
    let node = dir.join("node_modules/.bin/node");
    let cli = dir.join("node_modules/postgraphile/dist/cli-run.js");
    if !node.exists() || !cli.exists() {
        println!("installing PostGraphile and Node 22 into {} (npm ci)", dir.display());
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .map_err(|e| format!("npm is needed (Node.js 20 with npm): {e}"))?;
        if !status.success() {
            return Err("npm ci in bench/postgraphile failed".into());
        }
    }
    Ok(dir)
}

fn start_switchboard(url: &str, opts: &Opts) -> Result<Served, String> {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--no-migrate"])
        .env("DATABASE_URL", url)
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_MASTER_KEY", MASTER_KEY)
        .env("SWITCHBOARD_JWT_SECRET", JWT_SECRET)
        .env("SWITCHBOARD_DB_MAX_CONNECTIONS", opts.pool.to_string())
        .env("SWITCHBOARD_ACCESS_TOKEN_TTL_SECS", "7200")
        .env("SWITCHBOARD_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start switchboard: {e}"))?;
    Ok(Served {
        name: "Switchboard",
        child,
        endpoint: format!("http://127.0.0.1:{port}/graphql"),
    })
}

fn start_postgraphile(url: &str) -> Result<Served, String> {
    let dir = install_postgraphile()?;
    let port = free_port();
    let child = Command::new(dir.join("node_modules/.bin/node"))
        .arg(dir.join("node_modules/postgraphile/dist/cli-run.js"))
        .args(["-P", "postgraphile/presets/amber", "-s", "public", "-n", "127.0.0.1"])
        .args(["-c", url, "-p", &port.to_string()])
        .env("GRAPHILE_ENV", "production")
        .env("NODE_ENV", "production")
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start PostGraphile: {e}"))?;
    Ok(Served {
        name: "PostGraphile",
        child,
        endpoint: format!("http://127.0.0.1:{port}/graphql"),
    })
}

async fn wait_ready(http: &reqwest::Client, served: &Served) -> Result<Duration, String> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if gql(http, &served.endpoint, None, "{ __typename }", json!({}))
            .await
            .is_ok()
        {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{} did not answer within 60 s", served.name))
}

/// CPU time (user + system) of one process, from `/proc/<pid>/stat`;
/// `children` adds the CPU of its exited children.
fn cpu_of(pid: u32, children: bool) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name; utime is field 14.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return Duration::ZERO;
    };
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // rest starts at field 3 (state): utime = 14 -> index 11.
    let mut ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    if children {
        ticks += f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0);
    }
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// CPU of the whole cluster: the postmaster (with its exited children)
/// plus every live backend and helper it forked.
fn cluster_cpu(postmaster: u32) -> Duration {
    let mut total = cpu_of(postmaster, true);
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let ppid = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|s| {
                let rest = &s[s.rfind(')')? + 2..];
                rest.split_whitespace().nth(1)?.parse::<u32>().ok()
            });
            if ppid == Some(postmaster) {
                total += cpu_of(pid, false);
            }
        }
    }
    total
}

/// Statements executed so far in the benchmark database, as
/// `pg_stat_statements` counts them (this meter's own queries excluded).
async fn statements(conn: &sea_orm::DatabaseConnection) -> u64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
             WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_statements%'",
        ))
        .await
        .ok()
        .flatten();
    row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0) as u64
}

/// `perf record` of `pid` for `seconds` into `out` (call graphs through
/// DWARF, so the release build needs line tables, not frame pointers).
fn record_perf(pid: u32, out: &Path, seconds: u64) -> Option<Child> {
    Command::new("perf")
        .args(["record", "-q", "-F", "499", "--call-graph", "dwarf,32768", "-o"])
        .arg(out)
        .args(["-p", &pid.to_string(), "--", "sleep", &seconds.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| eprintln!("perf record: {e}"))
        .ok()
}

/// Forgets `pg_stat_statements`' counts, so the next window's top
/// statements are its own.
async fn reset_statements(conn: &sea_orm::DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    let _ = conn.execute_unprepared("SELECT pg_stat_statements_reset()").await;
}

/// Prints the `n` statements of this database that took the most time
/// since the last reset: calls, mean and total execution time, the text.
async fn print_top_statements(conn: &sea_orm::DatabaseConnection, n: usize) {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT calls::bigint, mean_exec_time, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 220) \
                 FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
                 WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_statements%' \
                 ORDER BY total_exec_time DESC LIMIT {n}"
            ),
        ))
        .await
        .unwrap_or_default();
    for r in rows {
        let calls: i64 = r.try_get_by_index(0).unwrap_or(0);
        let mean: f64 = r.try_get_by_index(1).unwrap_or(0.0);
        let total: f64 = r.try_get_by_index(2).unwrap_or(0.0);
        let text: String = r.try_get_by_index(3).unwrap_or_default();
        println!("    {calls:>8} calls {mean:>8.3} ms mean {total:>10.1} ms total  {text}");
    }
}

/// Where a window's statements and PostgreSQL CPU are read.
#[derive(Clone, Copy)]
struct Meters<'a> {
    db: &'a sea_orm::DatabaseConnection,
    postmaster: u32,
}

/// One measured window of one query against one server.
struct Window {
    requests: u64,
    errors: u64,
    latency: Samples,
    statements: u64,
    server_cpu: Duration,
    pg_cpu: Duration,
    seconds: f64,
}

async fn drive(
    http: &reqwest::Client,
    served: &Served,
    token: Option<&str>,
    query: &str,
    opts: &Opts,
    meters: Meters<'_>,
    perf_target: Option<&Path>,
) -> Window {
    let Meters { db: meter, postmaster } = meters;
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..opts.connections {
        let (http, endpoint, token, query) = (
            http.clone(),
            served.endpoint.clone(),
            token.map(str::to_string),
            query.to_string(),
        );
        let (measuring, stop) = (measuring.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut samples = Samples::default();
            let (mut ok, mut errors) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let counted = measuring.load(Ordering::Relaxed);
                let t = Instant::now();
                let r = gql(&http, &endpoint, token.as_deref(), &query, json!({})).await;
                if counted && measuring.load(Ordering::Relaxed) {
                    match r {
                        Ok(_) => {
                            ok += 1;
                            samples.push(t.elapsed());
                        }
                        Err(_) => errors += 1,
                    }
                }
            }
            (ok, errors, samples)
        }));
    }
    tokio::time::sleep(Duration::from_secs(opts.warmup)).await;
    if opts.top_statements > 0 {
        reset_statements(meter).await;
    }
    let pid = served.child.id();
    let (cpu0, pg0, st0) = (cpu_of(pid, true), cluster_cpu(postmaster), statements(meter).await);
    let started = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    let perf = perf_target.and_then(|out| record_perf(pid, out, opts.seconds));
    tokio::time::sleep(Duration::from_secs(opts.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    if let Some(mut p) = perf {
        let _ = p.wait();
    }
    let seconds = started.elapsed().as_secs_f64();
    let (cpu1, pg1, st1) = (cpu_of(pid, true), cluster_cpu(postmaster), statements(meter).await);
    stop.store(true, Ordering::Relaxed);
    if opts.top_statements > 0 {
        println!("  costliest statements of {} in this window:", served.name);
        print_top_statements(meter, opts.top_statements).await;
    }
    let mut w = Window {
        requests: 0,
        errors: 0,
        latency: Samples::default(),
        statements: st1.saturating_sub(st0),
        server_cpu: cpu1.saturating_sub(cpu0),
        pg_cpu: pg1.saturating_sub(pg0),
        seconds,
    };
    for h in workers {
        if let Ok((ok, errors, samples)) = h.await {
            w.requests += ok;
            w.errors += errors;
            w.latency.extend(samples);
        }
    }
    w.latency.finish();
    w
}

/// Totals of one query on one server over every round.
#[derive(Default)]
struct Total {
    requests: u64,
    errors: u64,
    latency: Samples,
    statements: u64,
    server_cpu: Duration,
    pg_cpu: Duration,
    seconds: f64,
}

impl Total {
    fn add(&mut self, w: Window) {
        self.requests += w.requests;
        self.errors += w.errors;
        self.latency.extend(w.latency);
        self.statements += w.statements;
        self.server_cpu += w.server_cpu;
        self.pg_cpu += w.pg_cpu;
        self.seconds += w.seconds;
    }
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }
    fn per_req(&self, d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0 / (self.requests.max(1) as f64)
    }
    fn statements_per_req(&self) -> f64 {
        self.statements as f64 / self.requests.max(1) as f64
    }
}

async fn run(opts: &Opts, db: &Database) -> Result<(), String> {
    println!("load average at start: {}", load_average());
    let (ctx, shutdown) = connect(&db.url, db.admin_url.as_deref(), 4).await;
    {
        use sea_orm::ConnectionTrait;
        ctx.db
            .primary
            .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .await
            .map_err(|e| format!("pg_stat_statements: {e}"))?;
    }
    let started = Instant::now();
    let report = scale::load(&db.url, opts.scale, true)
        .await
        .map_err(|e| format!("seed --scale {}: {e:#}", opts.scale))?;
    println!(
        "seed --scale {}: {} rows in {:.1}s",
        opts.scale,
        report.rows,
        started.elapsed().as_secs_f64()
    );
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let admin = switchboard::service::identity::accounts::create_admin(&ctx, &email, ADMIN_PASSWORD, "Bench Admin")
        .await
        .map_err(|e| format!("create admin: {e}"))?;
    let ticket: String = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = ctx
            .db
            .primary
            .query_one_raw(Statement::from_string(
                ctx.db.primary.get_database_backend(),
                "SELECT ticket_id::text FROM support_ticket_messages GROUP BY ticket_id ORDER BY count(*) DESC, ticket_id LIMIT 1",
            ))
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no ticket with messages")?;
        row.try_get_by_index(0).map_err(|e| e.to_string())?
    };
    let meter = ctx.db.primary.clone();

    let http = http_client();
    let ours = start_switchboard(&db.url, opts)?;
    let theirs = start_postgraphile(&db.url)?;
    println!(
        "Switchboard ready in {:.2}s",
        wait_ready(&http, &ours).await?.as_secs_f64()
    );
    println!(
        "PostGraphile ready in {:.2}s",
        wait_ready(&http, &theirs).await?.as_secs_f64()
    );
    let body = gql(
        &http,
        &ours.endpoint,
        None,
        LOGIN,
        json!({"i": {"email": email, "password": ADMIN_PASSWORD}}),
    )
    .await?;
    let token = body["data"]["login"]["accessToken"]
        .as_str()
        .ok_or("login returned no token")?
        .to_string();
    let admin = admin.id.to_string();
    let fill = |q: &str| q.replace("$ticket", &ticket).replace("$user", &admin);

    // Same answers first: a benchmark of different work proves nothing.
    for q in QUERIES {
        let a = gql(&http, &ours.endpoint, Some(&token), &fill(q.ours), json!({})).await?;
        let b = gql(&http, &theirs.endpoint, None, &fill(q.theirs), json!({})).await?;
        let (ra, rb) = ((q.rows)(&a, Side::Ours), (q.rows)(&b, Side::Theirs));
        let n = ra.as_array().map_or(1, Vec::len);
        if ra != rb || n == 0 {
            return Err(format!(
                "the servers disagree on \"{}\" at {}:\n ours:   {}\n theirs: {}",
                q.name,
                first_difference(&ra, &rb, String::new()).unwrap_or_else(|| "no rows".into()),
                truncate(&ra.to_string()),
                truncate(&rb.to_string())
            ));
        }
        println!("same answer from both: {} ({} rows)", q.name, n);
    }

    let postmaster = db.postmaster_pid().ok_or("the cluster has no postmaster pid")?;
    let mut totals: Vec<[Total; 2]> = QUERIES.iter().map(|_| Default::default()).collect();
    for round in 1..=opts.rounds {
        for (qi, q) in QUERIES.iter().enumerate() {
            if !opts.queries.contains(&(qi + 1)) {
                continue;
            }
            // Alternate which server goes first, round by round.
            let order: [(Side, &Served); 2] = if round % 2 == 1 {
                [(Side::Ours, &ours), (Side::Theirs, &theirs)]
            } else {
                [(Side::Theirs, &theirs), (Side::Ours, &ours)]
            };
            for (side, served) in order {
                if !opts.sides.contains(&side) {
                    continue;
                }
                let perf_out = match (&opts.perf, side) {
                    (Some(dir), Side::Ours) => Some(dir.join(format!("q{}-round{round}.data", qi + 1))),
                    _ => None,
                };
                let (text, tok) = match side {
                    Side::Ours => (fill(q.ours), Some(token.as_str())),
                    Side::Theirs => (fill(q.theirs), None),
                };
                let meters = Meters { db: &meter, postmaster };
                let w = drive(&http, served, tok, &text, opts, meters, perf_out.as_deref()).await;
                println!(
                    "round {round} {:<12} {:<70} {:>8.0} req/s {:>6} errors",
                    served.name,
                    q.name,
                    w.requests as f64 / w.seconds.max(1e-9),
                    w.errors
                );
                totals[qi][if side == Side::Ours { 0 } else { 1 }].add(w);
            }
        }
    }

    println!(
        "\n{} rounds of {} s per query and server, {} connections, load average now {}",
        opts.rounds,
        opts.seconds,
        opts.connections,
        load_average()
    );
    for pair in &mut totals {
        for t in pair.iter_mut() {
            t.latency.finish();
        }
    }
    println!("| query | server | req/s | p50 | p99 | errors | SQL statements/req | server CPU ms/req | PostgreSQL CPU ms/req |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (qi, q) in QUERIES.iter().enumerate() {
        if !opts.queries.contains(&(qi + 1)) {
            continue;
        }
        for (i, name) in ["Switchboard", "PostGraphile"].iter().enumerate() {
            let t = &totals[qi][i];
            println!(
                "| {} | {} | {:.0} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
                q.name,
                name,
                t.rps(),
                t.latency.pct(50.0).map_or("-".into(), ms),
                t.latency.pct(99.0).map_or("-".into(), ms),
                t.errors,
                t.statements_per_req(),
                t.per_req(t.server_cpu),
                t.per_req(t.pg_cpu),
            );
        }
        let [a, b] = &totals[qi];
        if a.requests == 0 || b.requests == 0 {
            continue;
        }
        let total_a = a.per_req(a.server_cpu) + a.per_req(a.pg_cpu);
        let total_b = b.per_req(b.server_cpu) + b.per_req(b.pg_cpu);
        println!(
            "| {} | ratio ours/theirs | {:.2}× | | | | | {:.2}× | {:.2}× |",
            q.name,
            a.rps() / b.rps().max(1e-9),
            a.per_req(a.server_cpu) / b.per_req(b.server_cpu).max(1e-9),
            a.per_req(a.pg_cpu) / b.per_req(b.pg_cpu).max(1e-9),
        );
        println!(
            "| {} | total CPU ms/req (server + PostgreSQL) | {:.2} vs {:.2} ({:.2}×) | | | | | | |",
            q.name,
            total_a,
            total_b,
            total_a / total_b.max(1e-9)
        );
    }
    drop(ours);
    drop(theirs);
    stop_server(shutdown, tokio::spawn(async {})).await;
    drop(ctx);
    Ok(())
}

/// Where two answers first differ, as a JSON path with both values.
fn first_difference(a: &Value, b: &Value, path: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                if let Some(d) = first_difference(v, y.get(k).unwrap_or(&Value::Null), format!("{path}.{k}")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: keys differ"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(v, w, format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: {} vs {} items", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{path}: {} vs {}", truncate(&a.to_string()), truncate(&b.to_string()))),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(600).collect()
}
