//! Database pools (primary and optional read replica) and the mapping of
//! constraint violations to field errors, so no raw database message ever
//! reaches a client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, RuntimeErr, Statement};

use crate::error::{AppError, FieldError};

/// How long the first connection at start may take (requests wait only
/// the configured acquire timeout).
const STARTUP_CONNECT_WAIT: Duration = Duration::from_secs(10);

/// The pools of one server instance.
#[derive(Clone)]
pub struct Db {
    /// Writes and reads that must see their own writes.
    pub primary: DatabaseConnection,
    /// Queries that tolerate replica lag; the primary when no replica is set.
    pub read: DatabaseConnection,
    /// Statements issued since start, for tests that count SQL per request.
    pub statements: Arc<AtomicU64>,
}

impl Db {
    /// Connects both pools and checks the primary answers. A request waits
    /// at most `acquire_timeout` for a connection (then [`is_unavailable`]),
    /// so an outage is answered fast instead of piling requests up.
    pub async fn connect(
        primary_url: &str,
        read_url: Option<&str>,
        size: PoolSize,
        acquire_timeout: Duration,
    ) -> Result<Self, DbErr> {
        let statements = Arc::new(AtomicU64::new(0));
        let primary = connect_pool(primary_url, size, acquire_timeout, statements.clone()).await?;
        let read = match read_url {
            Some(url) => connect_pool(url, size, acquire_timeout, statements.clone()).await?,
            None => primary.clone(),
        };
        Ok(Db {
            primary,
            read,
            statements,
        })
    }

    /// Number of SQL statements issued so far through either pool.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// `SELECT 1` on the primary within `timeout`, for readiness.
    pub async fn ping(&self, timeout: Duration) -> Result<(), String> {
        let probe = self
            .primary
            .execute_raw(Statement::from_string(self.primary.get_database_backend(), "SELECT 1"));
        match tokio::time::timeout(timeout, probe).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }

    /// (size, idle, max) of the primary pool, for metrics.
    pub fn pool_usage(&self) -> (u32, u32, u32) {
        let pool = self.primary.get_postgres_connection_pool();
        (
            pool.size(),
            pool.num_idle() as u32,
            pool.options().get_max_connections(),
        )
    }

    /// Closes both pools, waiting for checked-out connections to return.
    pub async fn close(&self) {
        let _ = self.primary.clone().close().await;
    }
}

/// How many connections a pool holds: at most `max`, and `min` kept open
/// even when idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSize {
    pub max: u32,
    pub min: u32,
}

async fn connect_pool(
    url: &str,
    size: PoolSize,
    acquire_timeout: Duration,
    counter: Arc<AtomicU64>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    // sqlx has one deadline for taking a pooled connection or opening a new
    // one (it retries refused connects until then): both are this wait.
    // A pool that must grow under a burst opens its connections while
    // requests queue for them, and one waiter can lose its turn until its
    // acquire wait runs out (seen in the side-by-side benchmark's first
    // window): by default the pool is opened in full and kept so.
    opts.max_connections(size.max)
        .min_connections(size.min.min(size.max))
        .connect_timeout(acquire_timeout)
        .acquire_timeout(acquire_timeout)
        .idle_timeout(Duration::from_secs(300))
        // sqlx pings a pooled connection before every use by default: one
        // more round trip per statement. Only a connection that sat idle
        // (and may have been dropped by a proxy or a restart) is tested.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .sqlx_logging(false);
    // At start the database may still be coming up (a container started
    // alongside): keep trying for a while, unlike requests, which fail fast.
    let deadline = std::time::Instant::now() + STARTUP_CONNECT_WAIT;
    let mut conn = loop {
        match Database::connect(opts.clone()).await {
            Ok(conn) => break conn,
            Err(e) if is_unavailable(&e) && std::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e),
        }
    };
    conn.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::Relaxed);
        // Statement text only: bound values (which may be secrets) never.
        tracing::trace!(target: "switchboard::sql", elapsed_ms = info.elapsed.as_secs_f64() * 1000.0, sql = %info.statement.sql);
    });
    Ok(conn)
}

/// PostgreSQL error details a violation carries.
struct PgViolation {
    code: String,
    constraint: Option<String>,
    table: Option<String>,
}

fn pg_violation(err: &DbErr) -> Option<PgViolation> {
    let runtime = match err {
        DbErr::Exec(r) | DbErr::Query(r) | DbErr::Conn(r) => r,
        _ => return None,
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return None;
    };
    let sea_orm::sqlx::Error::Database(db_err) = sqlx_err.as_ref() else {
        return None;
    };
    let pg = db_err.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()?;
    Some(PgViolation {
        code: pg.code().to_string(),
        constraint: pg.constraint().map(str::to_string),
        table: pg.table().map(str::to_string),
    })
}

/// The client-facing field a constraint guards: `users_email_key` on table
/// `users` guards `email`, reported in GraphQL's camelCase (`email`,
/// `displayName`).
pub fn constraint_field(table: Option<&str>, constraint: &str) -> String {
    let mut name = constraint;
    if let Some(t) = table {
        if let Some(rest) = name.strip_prefix(t).and_then(|r| r.strip_prefix('_')) {
            name = rest;
        }
    }
    for suffix in ["_key", "_fkey", "_check", "_idx", "_pkey"] {
        if let Some(rest) = name.strip_suffix(suffix) {
            name = rest;
            break;
        }
    }
    snake_to_camel(name)
}

/// `display_name` → `displayName`.
pub fn snake_to_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// True when `err` means the database cannot be reached right now (no
/// connection within the acquire timeout, the connection broke, or the
/// database server is shutting down or starting): the request may be
/// retried later, so it is `UNAVAILABLE`, not `INTERNAL`. A pool closed by
/// this process is not such a case (it stays `INTERNAL`).
pub fn is_unavailable(err: &DbErr) -> bool {
    let runtime = match err {
        // A pool this process closed (shutdown) is not an outage.
        DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => return true,
        DbErr::ConnectionAcquire(_) => return false,
        DbErr::Exec(r) | DbErr::Query(r) | DbErr::Conn(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return false;
    };
    sqlx_is_unavailable(sqlx_err)
}

/// [`is_unavailable`] for a bare sqlx error (raw queries, migrations).
pub fn sqlx_is_unavailable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    match err {
        SqlxError::PoolTimedOut | SqlxError::WorkerCrashed | SqlxError::Io(_) => true,
        SqlxError::Database(db_err) => db_err
            .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
            // Class 08 (connection exception); 57P01-57P03: the server is
            // shutting down, crashed or not yet accepting connections.
            .is_some_and(|pg| pg.code().starts_with("08") || matches!(pg.code(), "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// Maps a database error to the API error it means. Constraint violations
/// name the field; an unreachable database is `UNAVAILABLE`; anything else
/// is internal (logged, never sent).
pub fn map_db_error(err: DbErr) -> AppError {
    if is_unavailable(&err) {
        tracing::warn!(error = %err, "database unavailable");
        return AppError::unavailable();
    }
    if let DbErr::RecordNotFound(what) = &err {
        return AppError::NotFound(what.clone());
    }
    if let Some(v) = pg_violation(&err) {
        let field = v
            .constraint
            .as_deref()
            .map(|c| constraint_field(v.table.as_deref(), c))
            .unwrap_or_else(|| "input".into());
        match v.code.as_str() {
            // unique_violation
            "23505" => return AppError::conflict(Some(&field), format!("{field} is already taken")),
            // foreign_key_violation
            "23503" => {
                return AppError::invalid_fields(vec![FieldError {
                    message: "refers to something that does not exist or is still in use".into(),
                    field,
                }])
            }
            // check_violation, not_null_violation
            "23514" | "23502" => {
                return AppError::invalid_fields(vec![FieldError {
                    message: "is not an allowed value".into(),
                    field,
                }])
            }
            // serialization_failure, deadlock_detected: the caller may retry
            "40001" | "40P01" => return AppError::conflict(None, "the record changed concurrently; retry the request"),
            _ => {}
        }
    }
    AppError::Internal(anyhow::Error::new(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_map_to_fields() {
        assert_eq!(constraint_field(Some("users"), "users_email_key"), "email");
        assert_eq!(
            constraint_field(Some("users"), "users_display_name_check"),
            "displayName"
        );
        assert_eq!(
            constraint_field(
                Some("support_ticket_messages"),
                "support_ticket_messages_ticket_id_fkey"
            ),
            "ticketId"
        );
        assert_eq!(constraint_field(None, "wallets_balance_check"), "walletsBalance");
    }

    #[test]
    fn an_unreachable_database_is_unavailable_not_internal() {
        use crate::error::ErrorCode;
        let timeout = || DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        assert!(is_unavailable(&timeout()));
        assert_eq!(map_db_error(timeout()).code(), ErrorCode::Unavailable);
        let refused = DbErr::Conn(RuntimeErr::SqlxError(Arc::new(sea_orm::sqlx::Error::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        ))));
        assert_eq!(map_db_error(refused).code(), ErrorCode::Unavailable);
        // Wrapped generically (anyhow) it is still UNAVAILABLE.
        assert_eq!(AppError::internal(timeout()).code(), ErrorCode::Unavailable);
        let gql = AppError::internal(anyhow::Error::new(timeout()).context("loading")).to_graphql();
        assert_eq!(
            gql.extensions.and_then(|e| e.get("code").cloned()),
            Some(async_graphql::Value::from("UNAVAILABLE"))
        );
        // Other failures stay what they were.
        assert!(!is_unavailable(&DbErr::RecordNotFound("x".into())));
        assert!(!is_unavailable(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::ConnectionClosed
        )));
        assert_eq!(AppError::internal(anyhow::anyhow!("boom")).code(), ErrorCode::Internal);
    }
}

/// A migration command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrateCommand {
    /// Apply every pending migration.
    Up,
    /// Roll back this many (None: all) applied migrations.
    Down(Option<u32>),
    /// Drop everything and apply all migrations again.
    Fresh,
}

/// Runs a migration command while holding a PostgreSQL advisory lock, so
/// instances starting together migrate one at a time.
pub async fn migrate(url: &str, db: &DatabaseConnection, command: MigrateCommand) -> Result<(), DbErr> {
    use sea_orm::sqlx::Connection;
    use sea_orm_migration::MigratorTrait;
    const LOCK_KEY: i64 = 0x5357_4254_4348; // "SWBTCH"
    let mut lock_conn = sea_orm::sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut lock_conn)
        .await
        .map_err(|e| DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))))?;
    let result = match command {
        MigrateCommand::Up => migration::Migrator::up(db, None).await,
        MigrateCommand::Down(steps) => migration::Migrator::down(db, steps).await,
        MigrateCommand::Fresh => migration::Migrator::fresh(db).await,
    };
    let _ = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut lock_conn)
        .await;
    let _ = lock_conn.close().await;
    result
}

/// Names of the migrations and whether each is applied.
pub async fn migration_status(db: &DatabaseConnection) -> Result<Vec<(String, bool)>, DbErr> {
    use sea_orm_migration::MigratorTrait;
    let all = migration::Migrator::get_migration_with_status(db).await?;
    Ok(all
        .iter()
        .map(|m| {
            (
                m.name().to_string(),
                matches!(m.status(), sea_orm_migration::MigrationStatus::Applied),
            )
        })
        .collect())
}

/// Creates database `name` on the server at `admin_url` if it is missing.
pub async fn ensure_database(admin_url: &str, name: &str) -> Result<(), DbErr> {
    use sea_orm::sqlx::Connection;
    let wrap = |e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)));
    let mut conn = sea_orm::sqlx::PgConnection::connect(admin_url).await.map_err(wrap)?;
    let exists: Option<(i32,)> = sea_orm::sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .map_err(wrap)?;
    if exists.is_none() {
        let quoted = name.replace('"', "\"\"");
        sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{quoted}\"")))
            .execute(&mut conn)
            .await
            .map_err(wrap)?;
    }
    let _ = conn.close().await;
    Ok(())
}
