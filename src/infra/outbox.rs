//! The transactional outbox: events are rows of `event_outbox`, written by
//! the transaction that causes them ([`insert`], called by `Tx::commit`),
//! and moved to the bus by one relay per deployment ([`Relay`]), which runs
//! as a singleton job on the job runner (`super::jobs`).
//!
//! # Ordering guarantee
//!
//! Events reach the bus in `id` order, and `id` order is commit order:
//!
//! - Ids are allocated by the transaction's last statement, after all its
//!   other work. If two transactions touch a common row, the later one
//!   waits on that row's lock until the earlier one has committed, so it
//!   cannot draw its ids before the earlier one's commit: conflicting
//!   transactions get ids in commit order. (Transactions with nothing in
//!   common are ordered by when they reached their commit.)
//! - A sequence hands out ids before commit, so a plain "after the last id
//!   relayed" scan could pass over an id whose transaction commits a moment
//!   later and lose it. The relay therefore never reads past a *barrier*:
//!   writers hold a shared advisory lock from drawing their ids until their
//!   transaction ends; the relay briefly takes the same lock exclusively,
//!   which waits for every such writer to finish, and reads the sequence's
//!   last value `H` while it holds it. Every id up to `H` is then final
//!   (committed, or rolled back and never coming), so relaying the rows up
//!   to `H` in id order skips nothing and never has to go back.
//! - There is one relay at a time (the singleton job's lease), and it
//!   deletes rows only after they are on the bus. After a crash its
//!   successor re-sends what may have been sent already; listeners drop
//!   sequence numbers they have passed (`events::Event::seq`).
//!
//! While the bus is down the relay retries with backoff and rows wait in
//! the table; requests never wait for it.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, TransactionTrait,
};
use tokio_util::sync::CancellationToken;

use super::events::{Event, EventBus};

/// Job kind (and singleton key) of the relay.
pub const RELAY_JOB: &str = "outbox.relay";
/// Advisory lock key of the barrier ("outbox" in ASCII).
const BARRIER_LOCK: i64 = 0x6f75_7462_6f78;
/// Rows relayed per round trip to the database.
const BATCH: i64 = 256;

/// Writes `events` to the outbox inside `txn`. Must be the transaction's
/// last statement before COMMIT (see the module's ordering guarantee), and
/// the COMMIT must not wait on row locks: the schema has no deferred
/// constraints, which keeps the barrier free of deadlocks.
pub async fn insert(txn: &DatabaseTransaction, events: &[Event]) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock_shared($1)",
        [BARRIER_LOCK.into()],
    ))
    .await?;
    let mut sql = String::from("INSERT INTO event_outbox (topic, payload) VALUES ");
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(events.len() * 2);
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
        values.push(event.topic.clone().into());
        values.push(event.payload.clone().into());
    }
    txn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .await?;
    Ok(())
}

/// Why a relay pass stopped early.
#[derive(Debug)]
pub enum RelayError {
    /// The bus refused an event; the pass stops there and is retried.
    Bus(String),
    /// The database failed; the job runner retries the relay.
    Db(DbErr),
}

impl From<DbErr> for RelayError {
    fn from(e: DbErr) -> Self {
        RelayError::Db(e)
    }
}

impl std::fmt::Display for RelayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelayError::Bus(e) => write!(f, "bus: {e}"),
            RelayError::Db(e) => write!(f, "database: {e}"),
        }
    }
}

/// Moves committed outbox rows to the bus in order.
pub struct Relay {
    db: DatabaseConnection,
    bus: EventBus,
    /// Sleep between passes when nothing woke the relay.
    poll: Duration,
    /// Names the sequence the ids count in (the database).
    origin: String,
}

impl Relay {
    /// A relay reading `db` and publishing to `bus`.
    pub async fn new(db: DatabaseConnection, bus: EventBus, poll: Duration) -> Result<Self, DbErr> {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                // The sequence's oid changes when the table is made anew
                // (`migrate fresh`), so numbering that restarts is a new origin.
                "SELECT current_database() || ':' || 'event_outbox_id_seq'::regclass::oid::text",
            ))
            .await?;
        let origin = row
            .and_then(|r| r.try_get_by_index::<String>(0).ok())
            .unwrap_or_default();
        Ok(Relay { db, bus, poll, origin })
    }

    /// The highest id that can no longer change: waits for writers that
    /// hold ids but have not finished, then reads the sequence. `None` when
    /// no id was ever drawn.
    async fn barrier(&self) -> Result<Option<i64>, DbErr> {
        let txn = self.db.begin().await?;
        txn.execute_unprepared("SET LOCAL lock_timeout = '5s'").await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [BARRIER_LOCK.into()],
        ))
        .await?;
        let row = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT last_value, is_called FROM event_outbox_id_seq",
            ))
            .await?;
        txn.commit().await?;
        Ok(row.and_then(|r| {
            let called = r.try_get_by_index::<bool>(1).ok()?;
            called.then(|| r.try_get_by_index::<i64>(0).ok()).flatten()
        }))
    }

    /// One pass: relays every committed row up to the barrier, oldest
    /// first, deleting each batch once it is on the bus. Returns the number
    /// of events relayed.
    pub async fn pass(&self) -> Result<usize, RelayError> {
        let pending = self
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT EXISTS (SELECT id FROM event_outbox ORDER BY id LIMIT 1)",
            ))
            .await?
            .and_then(|r| r.try_get_by_index::<bool>(0).ok())
            .unwrap_or(false);
        if !pending {
            return Ok(0);
        }
        let Some(high) = self.barrier().await? else {
            return Ok(0);
        };
        let mut relayed = 0;
        loop {
            let rows = self
                .db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT id, topic, payload FROM event_outbox WHERE id <= $1 ORDER BY id LIMIT $2",
                    [high.into(), BATCH.into()],
                ))
                .await?;
            let count = rows.len();
            let mut last_sent: Option<i64> = None;
            let mut failure = None;
            for row in rows {
                let (Ok(id), Ok(topic), Ok(payload)) = (
                    row.try_get_by_index::<i64>(0),
                    row.try_get_by_index::<String>(1),
                    row.try_get_by_index::<serde_json::Value>(2),
                ) else {
                    return Err(RelayError::Bus("unreadable outbox row".into()));
                };
                let event = Event {
                    topic,
                    payload,
                    seq: Some(id),
                    origin: Some(self.origin.clone()),
                };
                match self.bus.publish(event).await {
                    Ok(()) => {
                        last_sent = Some(id);
                        relayed += 1;
                    }
                    Err(e) => {
                        failure = Some(e.to_string());
                        break;
                    }
                }
            }
            if let Some(last) = last_sent {
                self.db
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "DELETE FROM event_outbox WHERE id <= $1",
                        [last.into()],
                    ))
                    .await?;
            }
            if let Some(e) = failure {
                return Err(RelayError::Bus(e));
            }
            if (count as i64) < BATCH {
                return Ok(relayed);
            }
        }
    }

    /// Relays until `stop` fires: a pass whenever a local commit wakes it
    /// or the poll interval passes; while the bus refuses events, passes
    /// back off (doubling, up to 2 s). Returns a database error for the job
    /// runner to retry with its own backoff.
    pub async fn run(&self, stop: CancellationToken) -> Result<(), DbErr> {
        let min_backoff = Duration::from_millis(50);
        let mut backoff = min_backoff;
        let mut bus_down = false;
        loop {
            let wait = match self.pass().await {
                Ok(_) => {
                    if bus_down {
                        tracing::info!("outbox relay delivers again");
                        bus_down = false;
                    }
                    backoff = min_backoff;
                    None
                }
                Err(RelayError::Bus(e)) => {
                    if !bus_down {
                        tracing::warn!(error = %e, "outbox relay cannot reach the bus; events wait in the outbox");
                        bus_down = true;
                    }
                    let wait = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    Some(wait)
                }
                Err(RelayError::Db(e)) => return Err(e),
            };
            match wait {
                Some(wait) => tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(wait) => {}
                },
                None => tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = self.bus.relay_woken() => {}
                    _ = tokio::time::sleep(self.poll) => {}
                },
            }
        }
    }
}
