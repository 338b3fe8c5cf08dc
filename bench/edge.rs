//! On-demand benchmark of the request edge (issue 9): how long the schema
//! takes to answer each hostile document, and how a cheap query fares on
//! the same runtime while hostile documents are refused back to back.
//! Needs no database: every document here is answered before a resolver
//! would touch one. Prints figures, asserts nothing.
//!
//! `cargo bench --bench edge` (release), or `--profile dev` for a quick
//! look at debug-build figures. Knobs: `BENCH_RUNS` (default 20),
//! `BENCH_SECONDS` of the busy-runtime probe (default 3).

// Executing the merged schema in a release build nests deeper than the
// default limit of 128 when computing future layouts.
#![recursion_limit = "256"]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard::config::Config;

fn env_parse<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn fan_out(levels: usize) -> String {
    let mut q = String::from("query { ...F0 }\n");
    for i in 0..levels {
        q.push_str(&format!("fragment F{i} on Query {{ ...F{n} ...F{n} }}\n", n = i + 1));
    }
    q.push_str(&format!("fragment F{levels} on Query {{ __typename }}\n"));
    q
}

fn cases(body_limit: usize) -> Vec<(&'static str, String)> {
    let list_depth = (body_limit - 64) / 2;
    let sel_depth = (body_limit - 64) / 3;
    let args: Vec<String> = (0..60).map(|i| format!("x{i}: 1")).collect();
    let unknown = format!("apiVersion({})", args.join(", "));
    vec![
        ("fragment fan-out, 2^40 leaves", fan_out(40)),
        (
            "fragment cycle with fan-out",
            "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A }".into(),
        ),
        (
            "list literal nested to the body limit",
            format!(
                "{{ __type(name: {}\"x\"{}) {{ name }} }}",
                "[".repeat(list_depth),
                "]".repeat(list_depth)
            ),
        ),
        (
            "selections nested to the body limit",
            format!("{}{}", "{a".repeat(sel_depth), "}".repeat(sel_depth)),
        ),
        (
            "3,000 unknown arguments",
            format!("{{ {} }}", vec![unknown; 50].join(" ")),
        ),
        (
            "one 500 KB unknown argument name",
            format!("{{ apiVersion(a{}: 1) }}", "b".repeat(500_000)),
        ),
        (
            "101 aliases",
            format!(
                "{{ {} }}",
                (0..101)
                    .map(|i| format!("a{i}: __typename"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ),
        ("legal fan-out, 2^11 leaves (answered)", fan_out(11)),
        (
            "9,999 flat selections (answered)",
            format!("{{ {} }}", vec!["__typename"; 9_999].join(" ")),
        ),
    ]
}

fn summary(res: &Value) -> String {
    match res["errors"].as_array() {
        Some(errs) if !errs.is_empty() => {
            let e = &errs[0]["extensions"];
            format!(
                "{} {} ({} errors)",
                e["code"].as_str().unwrap_or("-"),
                e["reason"].as_str().unwrap_or(""),
                errs.len()
            )
        }
        _ => "data".into(),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = env_parse("BENCH_RUNS", 20);
    let seconds: u64 = env_parse("BENCH_SECONDS", 3);
    let config = match Config::from_map(Default::default()) {
        Ok(c) => c,
        Err(e) => panic!("default configuration: {e}"),
    };
    let schema = switchboard::graphql::builder(&config.limits, None).finish();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "request edge: {runs} runs per document, limits: nesting {}, selections {}, aliases {}, errors {}",
        config.limits.max_nesting, config.limits.max_selections, config.limits.max_aliases, config.limits.max_errors
    );
    println!(
        "{:<42} {:>10} {:>10} {:>10} {:>10}  answer",
        "document", "bytes", "p50", "max", "response"
    );
    let all = cases(config.limits.max_body_bytes);
    rt.block_on(async {
        for (name, query) in &all {
            let mut times = Vec::with_capacity(runs);
            let mut last = Value::Null;
            for _ in 0..runs {
                let started = Instant::now();
                let res = schema.execute(async_graphql::Request::new(query.clone())).await;
                times.push(started.elapsed());
                last = serde_json::to_value(&res).unwrap_or(Value::Null);
            }
            times.sort_unstable();
            println!(
                "{:<42} {:>10} {:>10} {:>10} {:>10}  {}",
                name,
                query.len(),
                ms(pct(&times, 50.0)),
                ms(pct(&times, 100.0)),
                last.to_string().len(),
                summary(&last)
            );
        }

        // A cheap query's latency, idle and while four tasks refuse the
        // largest hostile documents back to back on the same runtime.
        let probe = |schema: switchboard::graphql::AppSchema, stop: Arc<AtomicBool>| async move {
            let mut t = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let res = schema.execute("{ __typename }").await;
                if res.errors.is_empty() {
                    t.push(started.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            t.sort_unstable();
            t
        };
        for busy in [false, true] {
            let stop = Arc::new(AtomicBool::new(false));
            let mut load = Vec::new();
            if busy {
                for (_, query) in all.iter().take(4) {
                    let (schema, stop, query) = (schema.clone(), stop.clone(), query.clone());
                    load.push(tokio::spawn(async move {
                        let mut n = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            let _ = schema.execute(async_graphql::Request::new(query.clone())).await;
                            n += 1;
                            // A refusal never waits on anything; give the
                            // scheduler (and its timers) a turn, as separate
                            // requests would.
                            tokio::task::yield_now().await;
                        }
                        n
                    }));
                }
            }
            let p = tokio::spawn(probe(schema.clone(), stop.clone()));
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            stop.store(true, Ordering::Relaxed);
            let t = p.await.unwrap_or_default();
            let mut refused = 0;
            for l in load {
                refused += l.await.unwrap_or(0);
            }
            if t.is_empty() {
                continue;
            }
            println!(
                "probe `{{ __typename }}` {}: {} requests, p50 {}, p99 {}, max {}{}",
                if busy { "while refusing" } else { "idle" },
                t.len(),
                ms(pct(&t, 50.0)),
                ms(pct(&t, 99.0)),
                ms(pct(&t, 100.0)),
                if busy {
                    format!(" ({refused} hostile documents refused meanwhile)")
                } else {
                    String::new()
                }
            );
        }
    });
}
