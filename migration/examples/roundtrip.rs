//! Round trip of every migration against a real PostgreSQL database.
//!
//! `DATABASE_URL=postgres://... cargo run -p migration --example roundtrip`
//!
//! 1. `Migrator::up`, then `pg_dump --schema-only` (dump A);
//! 2. `Migrator::down` of every migration, then checks that no table,
//!    view, sequence, function, type or migration record is left behind;
//! 3. `Migrator::up` again, dump B; A and B must be identical;
//! 4. `Migrator::fresh` (what `switchboard migrate fresh` runs: drop every
//!    table, then up), dump C; A and C must be identical.
//!
//! Prints what differs and exits non-zero on any difference or leftover.
//! `pg_dump` is taken from `PG_DUMP`, else the newest
//! `/usr/lib/postgresql/*/bin/pg_dump`, else `PATH`. Use a scratch database:
//! step 2 drops everything the migrations created.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use migration::{Migrator, MigratorTrait};

type AnyError = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => {
            println!("roundtrip: OK");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("roundtrip: FAILED");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("roundtrip: error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<bool, AnyError> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let db = Database::connect(url.as_str()).await?;
    let mut ok = true;

    let migrations = Migrator::migrations().len();
    Migrator::up(&db, None).await?;
    let applied = Migrator::get_applied_migrations(&db).await?.len();
    let tables = count(
        &db,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seaql_migrations'",
    )
    .await?;
    println!("up: {applied}/{migrations} migrations applied, {tables} tables");
    if applied != migrations {
        println!("  expected every migration to be applied");
        ok = false;
    }
    let first = pg_dump(&url)?;

    Migrator::down(&db, None).await?;
    let leftovers = leftovers(&db).await?;
    if leftovers.is_empty() {
        println!("down: nothing left behind");
    } else {
        ok = false;
        println!("down: {} object(s) left behind:", leftovers.len());
        for l in &leftovers {
            println!("  {l}");
        }
    }

    Migrator::up(&db, None).await?;
    let second = pg_dump(&url)?;
    let diff = diff_lines(&first, &second);
    if diff.is_empty() {
        println!("up again: schema dump identical ({} lines)", first.lines().count());
    } else {
        ok = false;
        println!("up again: schema dump differs ({} line(s)):", diff.len());
        for d in diff.iter().take(200) {
            println!("  {d}");
        }
    }

    Migrator::fresh(&db).await?;
    let third = pg_dump(&url)?;
    let diff = diff_lines(&first, &third);
    if diff.is_empty() {
        println!("fresh: schema dump identical");
    } else {
        ok = false;
        println!("fresh: schema dump differs ({} line(s)):", diff.len());
        for d in diff.iter().take(200) {
            println!("  {d}");
        }
    }
    Ok(ok)
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, AnyError> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Everything in `public` that the migrations could have created, except the
/// migration bookkeeping table itself (which must be empty).
async fn leftovers(db: &DatabaseConnection) -> Result<Vec<String>, AnyError> {
    let sql = r#"
        SELECT 'relation ' || c.relname || ' (' || c.relkind::text || ')'
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace
          AND c.relname NOT IN ('seaql_migrations', 'seaql_migrations_pkey')
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure::text
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'type ' || t.typname
        FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace
          AND t.typtype IN ('e', 'd', 'r', 'm', 'c')
          AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
        UNION ALL
        SELECT 'trigger ' || tgname FROM pg_trigger tg
        JOIN pg_class c ON c.oid = tg.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT tg.tgisinternal
        UNION ALL
        SELECT 'migration record ' || version FROM seaql_migrations
        ORDER BY 1
    "#;
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?;
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).map_err(Into::into))
        .collect()
}

fn pg_dump_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PG_DUMP") {
        return PathBuf::from(p);
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin/pg_dump");
            bin.exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates
        .pop()
        .map(|(_, p)| p)
        .unwrap_or_else(|| PathBuf::from("pg_dump"))
}

/// Schema-only dump, without the per-run random `\restrict` keys that
/// recent pg_dump releases write.
fn pg_dump(url: &str) -> Result<String, AnyError> {
    let bin = pg_dump_binary();
    let out = Command::new(&bin)
        .args(["--schema-only", "--no-owner", "--no-privileges", "--dbname"])
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", bin.display(), String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8(out.stdout)?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Lines present more often in one dump than in the other.
fn diff_lines(a: &str, b: &str) -> Vec<String> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for l in a.lines() {
        *counts.entry(l).or_default() += 1;
    }
    for l in b.lines() {
        *counts.entry(l).or_default() -= 1;
    }
    let mut out: Vec<String> = counts
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|(l, n)| {
            let side = if n > 0 { "- first " } else { "+ second" };
            format!("{side} x{}: {l}", n.abs())
        })
        .collect();
    if out.is_empty() && a != b {
        out.push("same lines, different order".to_owned());
    }
    out
}
