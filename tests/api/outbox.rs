//! Redis outages never stall writes: events go through the transactional
//! outbox and one relay, in commit order, and nothing committed during an
//! outage is lost; the job runner underneath retries with backoff and never
//! runs one job on two workers.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use switchboard::infra::jobs::{JobQueue, JobSettings, NewJob, Worker};
use tokio_util::sync::CancellationToken;

use crate::support::personas::{Persona, PASSWORD};
use crate::support::{free_port, fresh_database, scratch_dir, spawn_with_parent_death, ServerOptions, TestServer};
use crate::websocket::{connect, init, recv, send, Socket};

/// A `redis-server` of this test alone, which it can kill and start again
/// on the same port.
struct OwnRedis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> Self {
        let mut r = OwnRedis {
            port: free_port(),
            dir: scratch_dir("own-redis"),
            child: None,
        };
        r.restart();
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn listening(&self) -> bool {
        std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
    }

    /// Starts it (empty: nothing is persisted) on its port.
    fn restart(&mut self) {
        let child = spawn_with_parent_death(
            Command::new("redis-server")
                .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&self.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("redis-server starts (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.listening() {
            assert!(Instant::now() < deadline, "redis-server did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it outright (no goodbye to clients), and waits until the port
    /// refuses connections.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.listening() {
            assert!(Instant::now() < deadline, "redis-server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

const CREATE: &str = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }";
const MESSAGE: &str = "mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id body } } }";
const MSG_SUB: &str = "subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { id body } }";
const CREDIT: &str = "mutation($i: CreditWalletInput!) { creditWallet(input: $i) { wallet { balance } } }";

async fn say(p: &Persona, ticket: &str, body: &str) {
    let d = p
        .client
        .data(MESSAGE, json!({"i": {"ticketId": ticket, "body": body}}))
        .await;
    assert_eq!(d["addTicketMessage"]["message"]["body"], body);
}

async fn credit(finance: &Persona, user: &str, key: &str) -> Value {
    finance
        .client
        .data(
            CREDIT,
            json!({"i": {"userId": user, "amount": "1", "referenceType": "BONUS", "idempotencyKey": key}}),
        )
        .await["creditWallet"]
        .clone()
}

/// The next `next` payload's message body (skipping pings).
async fn next_body(s: &mut Socket) -> String {
    loop {
        let m = recv(s).await;
        match m["type"].as_str() {
            Some("next") => {
                return m["payload"]["data"]["ticketMessageAdded"]["body"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a message: {m}"))
                    .to_string()
            }
            Some("ping") | Some("pong") => continue,
            _ => panic!("unexpected frame {m}"),
        }
    }
}

async fn readyz(server: &TestServer) -> (u16, Value) {
    let r = reqwest::get(server.url("/readyz")).await.expect("readyz answers");
    let status = r.status().as_u16();
    (status, r.json().await.expect("readyz JSON"))
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .expect("query")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_stalls_no_write_and_loses_or_reorders_no_event() {
    let mut redis = OwnRedis::start();
    let env = vec![("REDIS_URL", redis.url())];
    let a = TestServer::with(ServerOptions {
        env: env.clone(),
        ..Default::default()
    })
    .await;
    let b = TestServer::with(ServerOptions {
        env,
        database_url: Some(a.database_url.clone()),
        ..Default::default()
    })
    .await;
    let admin = a.admin().await;
    let finance = a.with_role(&admin, "finance", "finance").await;
    let alice = a.customer("alice").await;
    let ticket = alice
        .client
        .data(
            CREATE,
            json!({"i": {"subject": "Outage", "description": "while Redis is down"}}),
        )
        .await["createTicket"]["ticket"]["id"]
        .as_str()
        .expect("ticket id")
        .to_string();

    // Alice listens on instance B; she writes through instance A.
    let mut on_b = connect(&b, Some("graphql-transport-ws")).await;
    init(
        &mut on_b,
        json!({"authorization": format!("Bearer {}", alice.access_token)}),
    )
    .await;
    send(
        &mut on_b,
        json!({"type": "subscribe", "id": "sub", "payload": {"query": MSG_SUB, "variables": {"t": ticket}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    say(&alice, &ticket, "before").await;
    assert_eq!(next_body(&mut on_b).await, "before");
    let (status, body) = readyz(&a).await;
    assert_eq!((status, body["bus"].as_str()), (200, Some("ok")), "{body}");

    redis.kill();

    // Writes and sign-ins answer while Redis is down, each well within
    // 5 s (they used to wait 45 s and more).
    let mut sent = Vec::new();
    for i in 0..8 {
        let started = Instant::now();
        let body = format!("during {i}");
        say(&alice, &ticket, &body).await;
        assert!(started.elapsed() < Duration::from_secs(5), "addTicketMessage hung");
        sent.push(body);
        let started = Instant::now();
        let credited = credit(&finance, &alice.id, &format!("outage-{i}")).await;
        assert_eq!(credited["wallet"]["balance"], json!((i + 1).to_string()), "{credited}");
        assert!(started.elapsed() < Duration::from_secs(5), "creditWallet hung");
    }
    // Persisted queries fall back to this instance's cache at once.
    let query = format!("query Outage{} {{ apiVersion }}", uuid::Uuid::new_v4().simple());
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
    let apq = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let started = Instant::now();
    let miss = a.anon().post_json(&json!({ "extensions": apq })).await;
    assert_eq!(miss.error_code(), Some("PERSISTED_QUERY_NOT_FOUND"), "{}", miss.body);
    let registered = a.anon().post_json(&json!({ "query": query, "extensions": apq })).await;
    assert_eq!(registered.data()["apiVersion"], env!("CARGO_PKG_VERSION"));
    let hit = a.anon().post_json(&json!({ "extensions": apq })).await;
    assert_eq!(hit.data()["apiVersion"], env!("CARGO_PKG_VERSION"));
    assert!(started.elapsed() < Duration::from_secs(5), "persisted queries hung");
    let started = Instant::now();
    let again = a.login(&alice.email, PASSWORD).await;
    assert!(!again.access_token.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5), "login hung");
    // Readiness shows the degraded bus, and stays 200: the instance serves.
    let (status, body) = readyz(&a).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["bus"], "degraded", "{body}");
    assert_eq!(body["status"], "degraded", "{body}");
    // An instance starting now does not wait for Redis either.
    let started = Instant::now();
    let late = TestServer::with(ServerOptions {
        env: vec![("REDIS_URL", redis.url())],
        database_url: Some(a.database_url.clone()),
        ..Default::default()
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5), "starting hung on Redis");
    let (status, body) = readyz(&late).await;
    assert_eq!((status, body["bus"].as_str()), (200, Some("degraded")), "{body}");
    let ticket_id: uuid::Uuid = ticket.parse().expect("uuid");
    let mut on_late = Box::pin(
        late.ctx
            .bus
            .subscribe(&switchboard::service::support::events::ticket_topic(ticket_id)),
    );
    // All of the above happened with Redis down; the events wait in the outbox.
    assert!(!redis.listening(), "Redis was down throughout");
    let waiting = scalar(&a.ctx.db.primary, "SELECT count(*) FROM event_outbox").await;
    assert!(waiting >= 16, "the outage's events wait in the outbox, found {waiting}");

    redis.restart();

    // B receives every message committed during the outage, in commit
    // order, none twice, then the next one.
    let mut received = Vec::new();
    for _ in 0..sent.len() {
        received.push(next_body(&mut on_b).await);
    }
    assert_eq!(received, sent, "events of the outage, in commit order");
    say(&alice, &ticket, "after").await;
    assert_eq!(next_body(&mut on_b).await, "after", "nothing duplicated in between");
    // The instance that started during the outage is connected now too:
    // it hears the message sent after Redis came back.
    loop {
        let event = tokio::time::timeout(Duration::from_secs(15), on_late.next())
            .await
            .expect("the late instance hears events once Redis is back")
            .expect("stream open");
        if event.payload["message"]["body"] == "after" {
            break;
        }
    }
    late.stop().await;

    // Readiness recovers by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = readyz(&a).await;
        if status == 200 && body["bus"] == "ok" {
            assert_eq!(body["status"], "ready");
            break;
        }
        assert!(Instant::now() < deadline, "readiness did not recover: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Relayed rows are removed: the outbox stays small.
    let deadline = Instant::now() + Duration::from_secs(10);
    while scalar(&a.ctx.db.primary, "SELECT count(*) FROM event_outbox").await > 0 {
        assert!(Instant::now() < deadline, "the outbox was not emptied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_from_two_instances_arrive_in_commit_order() {
    let (a, b) = TestServer::pair_with_redis().await;
    let admin = a.admin().await;
    let finance = a.with_role(&admin, "finance", "finance").await;
    let alice = a.customer("alice").await;
    let user: uuid::Uuid = alice.id.parse().expect("uuid");
    let mut on_b = Box::pin(b.ctx.bus.subscribe(&switchboard::service::wallet::topic(user)));
    // The same finance user through both instances, all at once: credits of
    // one wallet conflict on its row, so commit order is balance order.
    let through_b = Persona {
        client: crate::support::gql::Client::new(b.url("/graphql")).with_token(&finance.access_token),
        ..finance.clone()
    };
    let n = 30;
    let mut calls = Vec::new();
    for i in 0..n {
        let who = if i % 2 == 0 { finance.clone() } else { through_b.clone() };
        let user = alice.id.clone();
        calls.push(tokio::spawn(
            async move { credit(&who, &user, &format!("race-{i}")).await },
        ));
    }
    for c in calls {
        c.await.expect("credit task");
    }
    let mut balances = Vec::new();
    for _ in 0..n {
        let event = tokio::time::timeout(Duration::from_secs(10), on_b.next())
            .await
            .expect("every event within 10 s")
            .expect("stream open");
        // Minor units as a decimal string (18-decimal balances exceed 64 bits).
        let balance = event.payload["balance"].as_str().expect("balance");
        balances.push(balance.parse::<i64>().expect("a whole number of tracecoins"));
    }
    let expected: Vec<i64> = (1..=n as i64).collect();
    assert_eq!(balances, expected, "events in commit order, each once");
    a.stop().await;
    b.stop().await;
}

fn quick_settings() -> JobSettings {
    JobSettings {
        poll: Duration::from_millis(20),
        lease: Duration::from_secs(5),
        backoff_base: Duration::from_millis(30),
        backoff_max: Duration::from_millis(200),
        max_attempts: 5,
        concurrency: 8,
    }
}

async fn jobs_db() -> (String, DatabaseConnection) {
    let url = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    (url, db)
}

async fn wait_until_no_queued_jobs(db: &DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while scalar(db, "SELECT count(*) FROM background_jobs WHERE status <> 'FAILED'").await > 0 {
        assert!(Instant::now() < deadline, "jobs did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_twice_then_succeeds_runs_three_times() {
    let (_, db) = jobs_db().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let doomed_runs = Arc::new(AtomicUsize::new(0));
    let mut worker = Worker::new(db.clone(), quick_settings(), "worker-1");
    {
        let runs = runs.clone();
        worker.register("test.flaky", move |job| {
            let runs = runs.clone();
            async move {
                let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                assert_eq!(job.attempt as usize, n, "attempts are counted");
                if n < 3 {
                    Err(format!("failure {n}"))
                } else {
                    Ok(())
                }
            }
        });
    }
    {
        let doomed_runs = doomed_runs.clone();
        worker.register("test.doomed", move |_job| {
            let doomed_runs = doomed_runs.clone();
            async move {
                doomed_runs.fetch_add(1, Ordering::SeqCst);
                if doomed_runs.load(Ordering::SeqCst) == 1 {
                    panic!("a panicking job is a failed attempt, not a dead worker");
                }
                Err("always".to_string())
            }
        });
    }
    let queue = JobQueue::new(quick_settings());
    // Enqueued inside a transaction: a rolled-back job never runs.
    let txn = sea_orm::TransactionTrait::begin(&db).await.expect("begin");
    queue
        .enqueue(&txn, NewJob::new("test.flaky", json!({"n": 0})))
        .await
        .expect("enqueue");
    txn.rollback().await.expect("rollback");
    let txn = sea_orm::TransactionTrait::begin(&db).await.expect("begin");
    queue
        .enqueue(&txn, NewJob::new("test.flaky", json!({"n": 1})))
        .await
        .expect("enqueue");
    queue
        .enqueue(&txn, NewJob::new("test.doomed", json!({})).max_attempts(3))
        .await
        .expect("enqueue");
    txn.commit().await.expect("commit");

    let stop = CancellationToken::new();
    let running = tokio::spawn(worker.run(stop.clone()));
    wait_until_no_queued_jobs(&db).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    running.await.expect("worker stops");

    assert_eq!(runs.load(Ordering::SeqCst), 3, "two failures, then success");
    assert_eq!(doomed_runs.load(Ordering::SeqCst), 3, "max_attempts runs, no more");
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM background_jobs WHERE kind = 'test.flaky'").await,
        0,
        "a succeeded job is removed"
    );
    let failed = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT status, attempts::bigint, last_error, locked_by IS NULL FROM background_jobs WHERE kind = 'test.doomed'",
        ))
        .await
        .expect("query")
        .expect("the failed job is kept");
    assert_eq!(failed.try_get_by_index::<String>(0).unwrap(), "FAILED");
    assert_eq!(failed.try_get_by_index::<i64>(1).unwrap(), 3);
    assert_eq!(failed.try_get_by_index::<String>(2).unwrap(), "always");
    assert!(failed.try_get_by_index::<bool>(3).unwrap(), "no lease left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_never_run_one_job_twice() {
    let (url, db) = jobs_db().await;
    let queue = JobQueue::new(quick_settings());
    let total = 200;
    for n in 0..total {
        queue
            .enqueue(&db, NewJob::new("test.once", json!({"n": n})))
            .await
            .expect("enqueue");
    }
    let seen: Arc<Mutex<Vec<(usize, i64)>>> = Arc::default();
    let stop = CancellationToken::new();
    let mut workers = Vec::new();
    for w in 0..2usize {
        // Each worker on its own pool, as two instances would be.
        let own = Database::connect(&url).await.expect("connect");
        let mut worker = Worker::new(own, quick_settings(), format!("worker-{w}"));
        let seen = seen.clone();
        worker.register("test.once", move |job| {
            let seen = seen.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                let n = job.payload["n"].as_i64().ok_or("payload")?;
                seen.lock().unwrap().push((w, n));
                Ok(())
            }
        });
        workers.push(tokio::spawn(worker.run(stop.clone())));
    }
    wait_until_no_queued_jobs(&db).await;
    stop.cancel();
    for w in workers {
        w.await.expect("worker stops");
    }
    let seen = seen.lock().unwrap().clone();
    let distinct: HashSet<i64> = seen.iter().map(|(_, n)| *n).collect();
    assert_eq!(
        seen.len(),
        total as usize,
        "every job ran exactly once: {} runs",
        seen.len()
    );
    assert_eq!(distinct.len(), total as usize);
    let by_first = seen.iter().filter(|(w, _)| *w == 0).count();
    println!("worker 0 ran {by_first} of {total} jobs, worker 1 the rest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_moves_to_another_instance_when_its_instance_stops() {
    let (a, b) = TestServer::pair_with_redis().await;
    // One relay for both instances: the singleton job's lease holder.
    let holder = |db: DatabaseConnection| async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT coalesce(locked_by, '') FROM background_jobs WHERE singleton_key = 'outbox.relay'",
                ))
                .await
                .expect("query")
                .expect("the relay job exists once");
            let by = row.try_get_by_index::<String>(0).expect("text");
            if !by.is_empty() {
                return by;
            }
            assert!(Instant::now() < deadline, "nobody holds the relay");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(
        scalar(
            &a.ctx.db.primary,
            "SELECT count(*) FROM background_jobs WHERE kind = 'outbox.relay'"
        )
        .await,
        1
    );
    let first = holder(a.ctx.db.primary.clone()).await;
    let (leader, other) = if first.starts_with(&a.ctx.instance_id) {
        (a, b)
    } else {
        (b, a)
    };
    let topic = format!("test:{}", uuid::Uuid::new_v4());
    let mut on_other = Box::pin(other.ctx.bus.subscribe(&topic));
    leader.stop().await;
    let tx = switchboard::infra::events::Tx::begin(&other.ctx.db.primary)
        .await
        .unwrap();
    tx.publish_after_commit(switchboard::infra::events::Event::new(topic.clone(), json!({"n": 1})));
    tx.commit(&other.ctx.bus).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), on_other.next())
        .await
        .expect("relayed by the remaining instance within 10 s")
        .expect("stream open");
    assert_eq!(got.payload, json!({"n": 1}));
    let now = holder(other.ctx.db.primary.clone()).await;
    assert!(now.starts_with(&other.ctx.instance_id), "the relay moved: {now}");
    other.stop().await;
}
