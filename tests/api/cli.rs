//! The `switchboard` binary on a fresh data directory: the embedded
//! cluster is created, reused, guarded against a second server, and never
//! outlives the server.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{free_port, scratch_dir};

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for key in [
        "DATABASE_URL",
        "DATABASE_READ_URL",
        "REDIS_URL",
        "SWITCHBOARD_MASTER_KEY",
        "SWITCHBOARD_JWT_SECRET",
    ] {
        cmd.env_remove(key);
    }
    cmd.env("SWITCHBOARD_LOG_FORMAT", "json");
    cmd
}

fn serve(data: &Path, port: u16) -> Child {
    binary()
        .env("SWITCHBOARD_DATA_DIR", data)
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard")
}

/// Waits until `{ __typename }` answers on `port`.
fn wait_serving(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let http = reqwest::blocking::Client::new();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("switchboard exited early with {status}: {}", stderr_of(child));
        }
        let r = http
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .header("content-type", "application/json")
            .body(r#"{"query":"{ __typename }"}"#)
            .send();
        if let Ok(r) = r {
            let body: serde_json::Value = r.json().unwrap_or_default();
            assert_eq!(body["data"]["__typename"], "Query");
            return;
        }
        assert!(Instant::now() < deadline, "switchboard did not serve within 90 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn stderr_of(child: &mut Child) -> String {
    use std::io::Read;
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

fn stdout_of(child: &mut Child) -> String {
    use std::io::Read;
    let mut s = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut s);
    }
    s
}

fn signal(child: &Child, sig: i32) {
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "switchboard did not exit in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// PostgreSQL processes whose command line names `data`.
fn postgres_processes(data: &Path) -> Vec<u32> {
    let needle = data.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains("postgres") && cmd.contains(&needle)
        })
        .collect()
}

fn no_postgres_left(data: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = postgres_processes(data);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "PostgreSQL processes left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn fresh_start_serves_reuses_the_cluster_refuses_a_second_server_and_stops_clean() {
    let data = scratch_dir("cli");
    let port = free_port();
    let mut first = serve(&data, port);
    wait_serving(&mut first, port);
    let cluster = data.join("postgres");
    assert!(cluster.join("PG_VERSION").exists(), "the cluster lives in the data dir");
    assert!(!postgres_processes(&data).is_empty(), "the embedded PostgreSQL runs");
    let created = std::fs::metadata(cluster.join("PG_VERSION"))
        .unwrap()
        .modified()
        .unwrap();

    // A second server on the same data dir is refused with a clear message.
    let mut second = serve(&data, free_port());
    let status = wait_exit(&mut second, Duration::from_secs(30));
    assert!(!status.success());
    let err = stderr_of(&mut second);
    assert!(err.contains("already using the data directory"), "{err}");
    // ...and the first is unharmed.
    wait_serving(&mut first, port);

    signal(&first, libc::SIGTERM);
    let status = wait_exit(&mut first, Duration::from_secs(60));
    assert!(
        status.success(),
        "SIGTERM exits cleanly: {status}: {}",
        stderr_of(&mut first)
    );
    no_postgres_left(&data);

    // A second start reuses the cluster (initdb does not run again).
    let port = free_port();
    let mut again = serve(&data, port);
    wait_serving(&mut again, port);
    let reused = std::fs::metadata(cluster.join("PG_VERSION"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(created, reused, "the cluster was reused, not recreated");
    signal(&again, libc::SIGINT);
    assert!(wait_exit(&mut again, Duration::from_secs(60)).success());
    no_postgres_left(&data);
    // Not empty any more: no second seeding.
    let out = stdout_of(&mut again);
    assert!(!out.contains("demo data loaded"), "{out}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_killed_server_takes_its_postgres_with_it() {
    let data = scratch_dir("cli-kill");
    let port = free_port();
    let mut server = serve(&data, port);
    wait_serving(&mut server, port);
    signal(&server, libc::SIGKILL);
    wait_exit(&mut server, Duration::from_secs(10));
    no_postgres_left(&data);
    // The next start recovers the cluster.
    let port = free_port();
    let mut again = serve(&data, port);
    wait_serving(&mut again, port);
    signal(&again, libc::SIGTERM);
    assert!(wait_exit(&mut again, Duration::from_secs(60)).success());
    no_postgres_left(&data);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn bad_configuration_names_the_key() {
    let out = binary()
        .env("SWITCHBOARD_MAX_DEPTH", "deep")
        .arg("serve")
        .output()
        .expect("run switchboard");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SWITCHBOARD_MAX_DEPTH"), "{err}");
}

#[test]
fn a_data_dir_postgres_cannot_reach_is_explained() {
    // Only meaningful as root (the cluster then runs as `postgres`).
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let private = scratch_dir("private");
    std::fs::set_permissions(&private, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let out = binary()
        .env("SWITCHBOARD_DATA_DIR", private.join("data"))
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{}", free_port()))
        .arg("migrate")
        .arg("status")
        .output()
        .expect("run switchboard");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach") && err.contains("SWITCHBOARD_DATA_DIR"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&private);
}

#[tokio::test]
async fn create_admin_prints_the_id_and_refuses_a_taken_email() {
    let url = crate::support::fresh_database().await;
    let run = |email: &str| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.env("DATABASE_URL", &url)
            .env("SWITCHBOARD_MASTER_KEY", crate::support::TEST_MASTER_KEY)
            .env("SWITCHBOARD_JWT_SECRET", crate::support::TEST_JWT_SECRET)
            .env("SWITCHBOARD_ADMIN_PASSWORD", "an admin passphrase")
            .env("SWITCHBOARD_LOG_FORMAT", "json")
            .args(["create-admin", "--email", email]);
        cmd.output()
    };
    let email = crate::support::personas::unique_email("root");
    let out = run(&email).await.expect("run create-admin");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "prints the user id: {id:?}");
    // The new administrator can sign in and holds every permission.
    let server = crate::support::TestServer::with(crate::support::ServerOptions {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let admin = server.login(&email, "an admin passphrase").await;
    assert_eq!(admin.id, id);
    let me = admin
        .client
        .data("{ viewer { roles isAdmin } }", serde_json::json!({}))
        .await;
    assert_eq!(me["viewer"]["roles"], serde_json::json!(["super_admin"]));
    server.stop().await;

    let again = run(&email.to_uppercase()).await.expect("run create-admin");
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already registered"), "{err}");
    assert!(!err.contains("an admin passphrase"), "no secret in errors");
}

#[tokio::test]
async fn migrate_status_down_and_up_from_the_command_line() {
    let admin = crate::support::pg_admin_url();
    let name = format!("cli_{}", uuid::Uuid::new_v4().simple());
    let db = sea_orm::Database::connect(admin).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&db, &format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    db.close().await.unwrap();
    let url = crate::support::with_database(admin, &name);
    let run = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.env("DATABASE_URL", &url)
            .env("SWITCHBOARD_MASTER_KEY", crate::support::TEST_MASTER_KEY)
            .env("SWITCHBOARD_JWT_SECRET", crate::support::TEST_JWT_SECRET)
            .env("SWITCHBOARD_LOG_FORMAT", "json")
            .args(args);
        cmd.output()
    };
    let status = run(&["migrate", "status"]).await.unwrap();
    let text = String::from_utf8_lossy(&status.stdout).to_string();
    assert!(status.status.success());
    assert!(
        text.lines().count() >= 12 && text.lines().all(|l| l.starts_with("pending ")),
        "{text}"
    );
    let up = run(&["migrate", "up"]).await.unwrap();
    let text = String::from_utf8_lossy(&up.stdout).to_string();
    assert!(text.lines().all(|l| l.starts_with("applied ")), "{text}");
    let down = run(&["migrate", "down", "--steps", "2"]).await.unwrap();
    let text = String::from_utf8_lossy(&down.stdout).to_string();
    assert_eq!(text.lines().filter(|l| l.starts_with("pending ")).count(), 2, "{text}");
    let all = run(&["migrate", "down", "--all"]).await.unwrap();
    assert!(String::from_utf8_lossy(&all.stdout)
        .lines()
        .all(|l| l.starts_with("pending ")));
    let up = run(&["migrate", "up"]).await.unwrap();
    assert!(up.status.success());
    assert!(String::from_utf8_lossy(&up.stdout)
        .lines()
        .all(|l| l.starts_with("applied ")));
}
