//! Operations under stress: a database outage is answered fast with
//! `UNAVAILABLE` (503 + `Retry-After` when nothing ran) and heals by
//! itself; SIGTERM turns `/readyz` to 503 while requests are still served
//! for the configured delay, then the server drains and exits.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::support::gql::Reply;
use crate::support::{free_port, fresh_database, ServerOptions, TestServer, TEST_JWT_SECRET, TEST_MASTER_KEY};

/// A TCP forwarder to PostgreSQL that the test can cut (existing
/// connections are dropped, new ones are accepted and then left hanging,
/// as with an unreachable host) and restore.
struct Proxy {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    /// Connections accepted while cut, held open until restored.
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let (up, _) = watch::channel(true);
        let held = Arc::new(Mutex::new(Vec::new()));
        let (state, parked) = (up.clone(), held.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*state.borrow() {
                    parked.lock().unwrap().push(client);
                    continue;
                }
                let mut cut = state.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|up| !*up) => {}
                    }
                    // Dropping both ends breaks the connection, as a dead server would.
                });
            }
        });
        Proxy { addr, up, held }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
        self.held.lock().unwrap().clear();
    }
}

/// `url` (postgres://user:pw@host:port/db) with its host and port replaced.
fn via(url: &str, addr: SocketAddr) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("database URL scheme");
    let (auth, rest) = rest.rsplit_once('@').map_or(("", rest), |(a, r)| (a, r));
    let (host_port, path) = rest.split_once('/').expect("database URL path");
    let at = if auth.is_empty() {
        String::new()
    } else {
        format!("{auth}@")
    };
    (format!("{scheme}://{at}{addr}/{path}"), host_port.to_string())
}

fn assert_unavailable_503(r: &Reply, what: &str) {
    assert_eq!(r.status, 503, "{what}: {}", r.body);
    assert_eq!(r.error_code(), Some("UNAVAILABLE"), "{what}: {}", r.body);
    assert_eq!(r.body["errors"][0]["extensions"]["retryAfterSeconds"], 1, "{what}");
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1"),
        "{what}: Retry-After"
    );
    assert!(
        r.body.get("data").is_none_or(|d| d.is_null()),
        "{what}: no data: {}",
        r.body
    );
}

#[tokio::test]
async fn a_database_outage_answers_unavailable_and_heals_by_itself() {
    let direct = fresh_database().await;
    let (_, upstream) = via(&direct, "127.0.0.1:1".parse().unwrap());
    let proxy = Proxy::start(upstream).await;
    let (url, _) = via(&direct, proxy.addr);
    let server = TestServer::with(ServerOptions {
        database_url: Some(url),
        env: vec![("SWITCHBOARD_DB_ACQUIRE_TIMEOUT_MS", "700".into())],
        ..Default::default()
    })
    .await;
    let alice = server.customer("outage").await;
    let viewer = "{ viewer { id } }";
    assert_eq!(alice.client.data(viewer, json!({})).await["viewer"]["id"], alice.id);
    let anon = server.anon();
    anon.data("{ pricingPackages { id } }", json!({})).await;

    proxy.cut();
    // The instance's credentials listener loses its connection too; from
    // then on the session cache is off (a change could go unheard) and
    // sessions are checked against the database. A barrier, not a delay.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.ctx.sessions.is_live() {
        assert!(
            std::time::Instant::now() < deadline,
            "the listener did not notice the outage"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Signed in (the session is checked against the database), anonymous
    // queries and mutations: all UNAVAILABLE, 503, Retry-After.
    let r = alice.client.run(viewer, json!({})).await;
    assert_unavailable_503(&r, "signed-in query");
    let r = anon.run("{ pricingPackages { id } }", json!({})).await;
    assert_unavailable_503(&r, "anonymous query");
    let r = anon
        .run(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({"i": {"email": alice.email, "password": crate::support::personas::PASSWORD}}),
        )
        .await;
    assert_unavailable_503(&r, "login");
    let r = anon
        .accepting("application/json")
        .run("{ pricingPackages { id } }", json!({}))
        .await;
    assert_unavailable_503(&r, "legacy application/json");
    // Part of the answer did not need the database: a 200 with the data
    // and the field's UNAVAILABLE error.
    let r = anon
        .run(
            "query($id: ID!) { apiVersion pricingPackage(id: $id) { id } }",
            json!({"id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["data"]["apiVersion"].is_string(), "{}", r.body);
    assert_eq!(r.error_code(), Some("UNAVAILABLE"), "{}", r.body);
    assert!(r.headers.get("retry-after").is_none());
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    // Nothing internal leaks.
    assert!(!r.body.to_string().contains("sqlx"), "{}", r.body);

    proxy.restore();
    // The next requests succeed: the pool reconnects on its own.
    assert_eq!(alice.client.data(viewer, json!({})).await["viewer"]["id"], alice.id);
    anon.data("{ pricingPackages { id } }", json!({})).await;
    let login = anon
        .data(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({"i": {"email": alice.email, "password": crate::support::personas::PASSWORD}}),
        )
        .await;
    assert!(login["login"]["accessToken"].is_string());
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    server.stop().await;
}

/// The binary against a fresh database, with a drain delay.
fn serve_binary(database_url: &str, port: u16, delay_secs: u64) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.env_remove("REDIS_URL")
        .env_remove("DATABASE_READ_URL")
        .env("DATABASE_URL", database_url)
        .env("SWITCHBOARD_MASTER_KEY", TEST_MASTER_KEY)
        .env("SWITCHBOARD_JWT_SECRET", TEST_JWT_SECRET)
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_SHUTDOWN_DELAY_SECS", delay_secs.to_string())
        .env("SWITCHBOARD_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    crate::support::spawn_with_parent_death(&mut cmd).expect("start switchboard")
}

async fn typename(http: &reqwest::Client, port: u16) -> Result<serde_json::Value, reqwest::Error> {
    http.post(format!("http://127.0.0.1:{port}/graphql"))
        .header("content-type", "application/json")
        .body(r#"{"query":"{ __typename apiVersion pricingPackages { id } }"}"#)
        .send()
        .await?
        .json()
        .await
}

#[tokio::test]
async fn sigterm_turns_readiness_off_keeps_serving_through_the_delay_then_drains() {
    let url = fresh_database().await;
    let port = free_port();
    let mut child = serve_binary(&url, port, 3);
    // Fresh connections per request: each one is a new client arriving.
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while typename(&http, port).await.is_err() {
        assert!(child.try_wait().unwrap().is_none(), "switchboard exited early");
        assert!(Instant::now() < deadline, "switchboard did not serve within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let readyz = format!("http://127.0.0.1:{port}/readyz");
    assert_eq!(http.get(&readyz).send().await.unwrap().status(), 200);

    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    // Readiness goes to 503 (draining) while queries are still answered.
    let mut answered_while_draining = 0;
    let mut saw_draining = false;
    loop {
        let r = http.get(&readyz).send().await;
        let Ok(r) = r else {
            break; // stopped accepting: the delay is over
        };
        if r.status() == 503 {
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["status"], "draining", "{body}");
            saw_draining = true;
            match typename(&http, port).await {
                Ok(body) => {
                    assert_eq!(body["data"]["__typename"], "Query", "{body}");
                    answered_while_draining += 1;
                }
                Err(_) => break,
            }
        } else {
            assert!(!saw_draining, "readiness came back during the drain");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saw_draining, "/readyz never answered 503 after SIGTERM");
    assert!(
        answered_while_draining >= 3,
        "queries sent during the delay are answered ({answered_while_draining})"
    );
    // Then it drains and exits cleanly; nothing listens any more.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "switchboard did not exit after the delay");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "SIGTERM exits cleanly: {status}");
    assert!(typename(&http, port).await.is_err(), "nothing listens after exit");
}
