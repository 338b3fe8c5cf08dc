//! Ledger postings per second, across 1,000 wallets and on one hot
//! wallet, at 1, 8 and 64 concurrent clients: through the public API
//! (`creditWallet` over HTTP) and through the posting engine directly
//! (`service::wallet::post_once`), so the cost of the API is visible.
//!
//! Run on demand: `cargo bench --bench wallet` (see bench/README.md).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use common::*;
use switchboard::app::Ctx;
use switchboard::http::Server;
use switchboard::service::wallet::{self, EntryType, Posting};

const CREDIT: &str = "mutation($i: CreditWalletInput!) { creditWallet(input: $i) { replayed entry { balanceAfter } } }";

struct Opts {
    wallets: usize,
    concurrency: Vec<usize>,
    seconds: u64,
    warmup: u64,
    pool: u32,
}

impl Opts {
    fn from_env() -> Self {
        let concurrency = std::env::var("BENCH_CONCURRENCY")
            .unwrap_or_else(|_| "1,8,64".into())
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .filter(|&c: &usize| c > 0)
            .collect();
        Opts {
            wallets: env_parse("BENCH_WALLETS", 1000usize).max(1),
            concurrency,
            seconds: env_parse("BENCH_SECONDS", 10u64).max(1),
            warmup: env_parse("BENCH_WARMUP", 1u64),
            pool: env_parse("BENCH_DB_POOL", 32u32).max(1),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Api,
    Engine,
}

#[derive(Clone, Copy)]
enum Target {
    Spread,
    Hot,
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("wallet benchmark: not run outside `cargo bench --bench wallet`");
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
    println!("== Switchboard wallet benchmark ==");
    println!(
        "machine: {cores} core(s); build profile: {profile}; load average {}",
        load_average()
    );
    println!(
        "settings: {} wallets, concurrency {:?}, {} s each (+{} s warm-up), db pool {}",
        opts.wallets, opts.concurrency, opts.seconds, opts.warmup, opts.pool
    );
    let database = Database::start("wallet");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the tokio runtime");
    let summary = runtime.block_on(run(&opts, &database.url, database.admin_url.as_deref()));
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

/// Makes `n` users (wallet owners) with one multi-row insert.
async fn make_users(ctx: &Ctx, n: usize) -> Vec<Uuid> {
    let run = Uuid::new_v4().simple().to_string();
    let rows = ctx
        .db
        .primary
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO users (email, display_name) \
             SELECT 'bench-wallet-' || g || '-' || $2 || '@example.com', 'Wallet ' || g \
             FROM generate_series(1, $1) AS g RETURNING id",
            [(n as i32).into(), run.into()],
        ))
        .await
        .expect("cannot create the wallet owners");
    rows.iter().filter_map(|r| r.try_get::<Uuid>("", "id").ok()).collect()
}

async fn run(opts: &Opts, url: &str, admin_url: Option<&str>) -> Vec<String> {
    let (ctx, shutdown) = connect(url, admin_url, opts.pool).await;
    let users = Arc::new(make_users(&ctx, opts.wallets).await);
    println!("{} wallet owners created", users.len());
    let server = Server::bind(ctx.clone()).await.expect("cannot bind the server");
    let addr = server.local_addr().expect("no local address");
    let task = tokio::spawn(async move {
        let _ = server.run().await;
    });
    let http = http_client();
    let endpoint = format!("http://{addr}/graphql");
    let token = admin_token(&ctx, &http, &endpoint).await;

    let mut summary = vec![format!(
        "{:<18} {:>6} {:>9} {:>12} {:>10} {:>10} {:>7}",
        "target", "mode", "clients", "postings/s", "p50", "p99", "errors"
    )];
    let sequence = Arc::new(AtomicU64::new(0));
    for target in [Target::Spread, Target::Hot] {
        for &clients in &opts.concurrency {
            for mode in [Mode::Engine, Mode::Api] {
                let line = measure(
                    opts, &ctx, &http, &endpoint, &token, &users, &sequence, target, mode, clients,
                )
                .await;
                println!("{line}");
                summary.push(line);
            }
        }
    }
    // The invariant must hold after all of it.
    let broken = ctx
        .db
        .primary
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM wallets w WHERE w.balance <> coalesce((SELECT sum(CASE entry_type \
             WHEN 'CREDIT' THEN amount ELSE -amount END) FROM wallet_ledger l WHERE l.wallet_id = w.id), 0)",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(-1);
    summary.push(format!(
        "wallets whose balance differs from their ledger sum afterwards: {broken}"
    ));
    stop_server(shutdown, task).await;
    ctx.db.close().await;
    summary
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    opts: &Opts,
    ctx: &Ctx,
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    users: &Arc<Vec<Uuid>>,
    sequence: &Arc<AtomicU64>,
    target: Target,
    mode: Mode,
    clients: usize,
) -> String {
    let start = Instant::now();
    let warm_until = start + Duration::from_secs(opts.warmup);
    let end = warm_until + Duration::from_secs(opts.seconds);
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (ctx, http, endpoint, token, users, sequence) = (
            ctx.clone(),
            http.clone(),
            endpoint.to_string(),
            token.to_string(),
            users.clone(),
            sequence.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut samples = Samples::default();
            let mut errors = 0u64;
            while Instant::now() < end {
                let user = match target {
                    Target::Hot => users[0],
                    Target::Spread => users[rand::thread_rng().gen_range(0..users.len())],
                };
                let key = format!("bench-{}", sequence.fetch_add(1, Ordering::Relaxed));
                let began = Instant::now();
                let ok = match mode {
                    Mode::Engine => wallet::post_once(
                        &ctx,
                        None,
                        Posting {
                            user_id: user,
                            entry_type: EntryType::Credit,
                            amount: switchboard::service::money::Money::from_minor(1, wallet::TRACECOIN),
                            reference_type: wallet::ReferenceType::Bonus,
                            reference_id: None,
                            idempotency_key: Some(key),
                            remarks: None,
                        },
                    )
                    .await
                    .is_ok(),
                    Mode::Api => gql(
                        &http,
                        &endpoint,
                        Some(&token),
                        CREDIT,
                        json!({"i": {"userId": user, "amount": "1", "referenceType": "BONUS", "idempotencyKey": key}}),
                    )
                    .await
                    .is_ok(),
                };
                if began >= warm_until {
                    if ok {
                        samples.push(began.elapsed());
                    } else {
                        errors += 1;
                    }
                }
            }
            (samples, errors)
        }));
    }
    let mut all = Samples::default();
    let mut errors = 0;
    for w in workers {
        let (s, e) = w.await.expect("a worker panicked");
        all.extend(s);
        errors += e;
    }
    all.finish();
    let rate = all.0.len() as f64 / opts.seconds as f64;
    let p = |q| all.pct(q).map_or_else(|| "-".to_string(), ms);
    format!(
        "{:<18} {:>6} {:>9} {:>12.0} {:>10} {:>10} {:>7}",
        match target {
            Target::Spread => format!("{} wallets", users.len()),
            Target::Hot => "one hot wallet".to_string(),
        },
        if mode == Mode::Api { "api" } else { "engine" },
        clients,
        rate,
        p(50.0),
        p(99.0),
        errors
    )
}
