//! The one durable job runner: a queue in PostgreSQL (`background_jobs`)
//! that every domain uses for background work (the outbox relay now;
//! expiry, pool refill and email later).
//!
//! - Enqueue inside the caller's transaction ([`JobQueue::enqueue`]), so a
//!   job exists exactly when the work that asked for it committed.
//! - Workers claim due jobs with `FOR UPDATE SKIP LOCKED` and mark them
//!   `RUNNING` under a lease (`locked_by`, `locked_until`) in one
//!   statement, so any number of instances can run workers and no two
//!   claim the same job. A worker renews the leases of its running jobs;
//!   a job whose lease ran out (its worker died) is claimed again, and its
//!   handler is told to stop if its own worker finds it has lost the lease.
//!   Delivery is therefore at least once: handlers must be idempotent.
//! - A failed run is retried after an exponential backoff (`base * 2^(n-1)`,
//!   capped) until `max_attempts`, then kept as `FAILED` with its last
//!   error for an operator. A successful one-off job is deleted.
//! - A job with a `singleton_key` exists once; with `repeat_every_ms` it is
//!   queued again after every run (success or failure) instead of being
//!   deleted or failed: recurring work such as the relay, run by one
//!   instance at a time.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Runner settings (from `SWITCHBOARD_JOBS_*`).
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// How often an idle worker looks for due jobs.
    pub poll: Duration,
    /// How long a claim holds before another worker may take the job.
    pub lease: Duration,
    /// First retry delay; doubles with every failed attempt.
    pub backoff_base: Duration,
    /// Largest retry delay.
    pub backoff_max: Duration,
    /// Attempts of a job that does not set its own.
    pub max_attempts: i32,
    /// Jobs one worker runs at once.
    pub concurrency: usize,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(600),
            max_attempts: 10,
            concurrency: 4,
        }
    }
}

impl JobSettings {
    /// Delay before the retry that follows failed attempt number `attempt`.
    pub fn backoff(&self, attempt: i32) -> Duration {
        let exp = attempt.clamp(1, 31) as u32 - 1;
        self.backoff_base
            .checked_mul(1u32 << exp.min(20))
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max)
    }
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    /// Run no earlier than this far from now.
    pub delay: Duration,
    /// Attempts before the job is kept as FAILED; the runner's default when unset.
    pub max_attempts: Option<i32>,
}

impl NewJob {
    /// A job of `kind` (the handler's name) with `payload`, due now.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        NewJob {
            kind: kind.into(),
            payload,
            delay: Duration::ZERO,
            max_attempts: None,
        }
    }

    /// Due `delay` from now.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// At most `n` attempts.
    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = Some(n.max(1));
        self
    }
}

/// Enqueues jobs; shared by every request through the app context.
#[derive(Clone, Debug)]
pub struct JobQueue {
    settings: JobSettings,
}

impl JobQueue {
    pub fn new(settings: JobSettings) -> Self {
        JobQueue { settings }
    }

    pub fn settings(&self) -> &JobSettings {
        &self.settings
    }

    /// Adds `job` through `conn`: pass the caller's transaction (a `Tx`
    /// derefs to one) so the job commits or rolls back with its cause.
    pub async fn enqueue<C: ConnectionTrait>(&self, conn: &C, job: NewJob) -> Result<Uuid, DbErr> {
        let id = Uuid::now_v7();
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO background_jobs (id, kind, payload, run_at, max_attempts)
             VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)",
            [
                id.into(),
                job.kind.into(),
                job.payload.into(),
                job.delay.as_secs_f64().into(),
                job.max_attempts.unwrap_or(self.settings.max_attempts).into(),
            ],
        ))
        .await?;
        Ok(id)
    }
}

/// Makes sure the recurring singleton job `key` exists (of kind `key`),
/// queued again `every` after each run. Safe to call from every instance.
pub async fn ensure_recurring<C: ConnectionTrait>(conn: &C, key: &str, every: Duration) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO background_jobs (id, kind, singleton_key, repeat_every_ms, max_attempts)
         VALUES ($1, $2, $2, $3, 1000000)
         ON CONFLICT (singleton_key) DO UPDATE
            SET repeat_every_ms = EXCLUDED.repeat_every_ms",
        [
            Uuid::now_v7().into(),
            key.into(),
            (every.as_millis().max(1) as i64).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// One claimed run of a job, handed to its handler.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    /// 1 on the first run.
    pub attempt: i32,
    /// Fires when the worker stops or lost this job's lease: a long handler
    /// should return soon after.
    pub cancel: CancellationToken,
}

type Handler = Arc<dyn Fn(Job) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// A claimed row.
struct Claimed {
    job: Job,
    max_attempts: i32,
    repeating: bool,
}

/// Runs jobs of the kinds it has handlers for, until stopped.
pub struct Worker {
    db: DatabaseConnection,
    settings: JobSettings,
    id: String,
    handlers: HashMap<String, Handler>,
}

impl Worker {
    /// A worker named `id` (unique per process: it owns the leases it takes).
    pub fn new(db: DatabaseConnection, settings: JobSettings, id: impl Into<String>) -> Self {
        Worker {
            db,
            settings,
            id: id.into(),
            handlers: HashMap::new(),
        }
    }

    /// Runs jobs of `kind` with `handler`; an `Err` (or a panic) is a
    /// failed attempt, retried with backoff.
    pub fn register<F, Fut>(&mut self, kind: &str, handler: F)
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.handlers
            .insert(kind.to_string(), Arc::new(move |job| Box::pin(handler(job))));
    }

    fn kinds(&self) -> String {
        let mut kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        kinds.join(",")
    }

    /// Claims up to `limit` due jobs (or jobs whose lease ran out).
    async fn claim(&self, limit: usize) -> Result<Vec<Claimed>, DbErr> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH due AS (
                    SELECT id FROM background_jobs
                    WHERE ((status = 'QUEUED' AND run_at <= now())
                           OR (status = 'RUNNING' AND locked_until < now()))
                      AND kind = ANY (string_to_array($3, ','))
                    ORDER BY run_at, id
                    LIMIT $4
                    FOR UPDATE SKIP LOCKED
                 )
                 UPDATE background_jobs j
                 SET status = 'RUNNING', attempts = j.attempts + 1, locked_by = $1,
                     locked_until = now() + make_interval(secs => $2)
                 FROM due WHERE j.id = due.id
                 RETURNING j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.repeat_every_ms IS NOT NULL",
                [
                    self.id.clone().into(),
                    self.settings.lease.as_secs_f64().into(),
                    self.kinds().into(),
                    (limit as i64).into(),
                ],
            ))
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.try_get_by_index::<Uuid>(0)?;
            claimed.push(Claimed {
                job: Job {
                    id,
                    kind: row.try_get_by_index::<String>(1)?,
                    payload: row.try_get_by_index::<serde_json::Value>(2)?,
                    attempt: row.try_get_by_index::<i32>(3)?,
                    cancel: CancellationToken::new(),
                },
                max_attempts: row.try_get_by_index::<i32>(4)?,
                repeating: row.try_get_by_index::<bool>(5)?,
            });
        }
        Ok(claimed)
    }

    /// Records the outcome of a run, if this worker still holds the lease.
    async fn finish(&self, claimed: &Claimed, outcome: Result<(), String>) -> Result<(), DbErr> {
        let id = claimed.job.id;
        let statement = match (outcome, claimed.repeating) {
            (Ok(()), false) => Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM background_jobs WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'",
                [id.into(), self.id.clone().into()],
            ),
            (Ok(()), true) => Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE background_jobs
                 SET status = 'QUEUED', attempts = 0, last_error = NULL, locked_by = NULL, locked_until = NULL,
                     run_at = now() + make_interval(secs => repeat_every_ms / 1000.0)
                 WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'",
                [id.into(), self.id.clone().into()],
            ),
            (Err(error), repeating) => {
                let error: String = error.chars().take(2000).collect();
                let give_up = !repeating && claimed.job.attempt >= claimed.max_attempts;
                let mut delay = self.settings.backoff(claimed.job.attempt);
                if repeating {
                    // Recurring work must come back soon, whatever happened.
                    delay = delay.min(Duration::from_secs(30));
                }
                let delay = delay.as_secs_f64();
                if give_up {
                    tracing::error!(job = %id, kind = %claimed.job.kind, attempts = claimed.job.attempt, error = %error, "job failed for good");
                } else {
                    tracing::warn!(job = %id, kind = %claimed.job.kind, attempt = claimed.job.attempt, retry_in_secs = delay, error = %error, "job failed; will retry");
                }
                Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "UPDATE background_jobs
                     SET status = CASE WHEN $3 THEN 'FAILED' ELSE 'QUEUED' END,
                         last_error = $4, locked_by = NULL, locked_until = NULL,
                         run_at = now() + make_interval(secs => $5)
                     WHERE id = $1 AND locked_by = $2 AND status = 'RUNNING'",
                    [
                        id.into(),
                        self.id.clone().into(),
                        give_up.into(),
                        error.into(),
                        delay.into(),
                    ],
                )
            }
        };
        self.db.execute_raw(statement).await?;
        Ok(())
    }

    /// Extends the leases of this worker's running jobs; returns the ids
    /// it still holds.
    async fn renew(&self) -> Result<Vec<Uuid>, DbErr> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE background_jobs SET locked_until = now() + make_interval(secs => $2)
                 WHERE locked_by = $1 AND status = 'RUNNING' RETURNING id",
                [self.id.clone().into(), self.settings.lease.as_secs_f64().into()],
            ))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.try_get_by_index::<Uuid>(0).ok())
            .collect())
    }

    /// Claims and runs jobs until `stop` fires; then tells running jobs to
    /// stop, waits briefly for them and records their outcome.
    pub async fn run(self, stop: CancellationToken) {
        if self.handlers.is_empty() {
            return;
        }
        let worker = Arc::new(self);
        let slots = Arc::new(Semaphore::new(worker.settings.concurrency.max(1)));
        let running: Arc<Mutex<HashMap<Uuid, CancellationToken>>> = Arc::default();
        let finished = Arc::new(tokio::sync::Notify::new());
        let mut tasks = tokio::task::JoinSet::new();

        // Lease renewal.
        {
            let worker = worker.clone();
            let running = running.clone();
            let stop = stop.clone();
            tasks.spawn(async move {
                let every = (worker.settings.lease / 3).max(Duration::from_millis(100));
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(every) => {}
                    }
                    match worker.renew().await {
                        Ok(held) => {
                            let map = running.lock().unwrap_or_else(|p| p.into_inner());
                            for (id, cancel) in map.iter() {
                                if !held.contains(id) {
                                    tracing::warn!(job = %id, "lost the lease of a running job; stopping it");
                                    cancel.cancel();
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "renewing job leases failed"),
                    }
                }
            });
        }

        let mut idle_error_logged = false;
        while !stop.is_cancelled() {
            let free = slots.available_permits();
            let mut full_batch = false;
            if free > 0 {
                match worker.claim(free).await {
                    Ok(claimed) => {
                        idle_error_logged = false;
                        full_batch = claimed.len() == free;
                        for mut claimed in claimed {
                            // Stopping the worker stops its jobs.
                            claimed.job.cancel = stop.child_token();
                            let Ok(permit) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            running
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .insert(claimed.job.id, claimed.job.cancel.clone());
                            let worker = worker.clone();
                            let running = running.clone();
                            let finished = finished.clone();
                            tasks.spawn(async move {
                                let outcome = worker.execute(&claimed).await;
                                if let Err(e) = worker.finish(&claimed, outcome).await {
                                    tracing::warn!(job = %claimed.job.id, error = %e, "recording a job outcome failed; its lease will expire");
                                }
                                running
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .remove(&claimed.job.id);
                                drop(permit);
                                finished.notify_one();
                            });
                        }
                    }
                    Err(e) => {
                        if !idle_error_logged {
                            tracing::warn!(error = %e, "claiming jobs failed; retrying");
                            idle_error_logged = true;
                        }
                    }
                }
            }
            if full_batch && slots.available_permits() > 0 {
                continue;
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = finished.notified() => {}
                _ = tokio::time::sleep(worker.settings.poll) => {}
            }
        }
        for cancel in running.lock().unwrap_or_else(|p| p.into_inner()).values() {
            cancel.cancel();
        }
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
            tracing::warn!("some jobs did not stop in time; their leases will expire");
        }
    }

    /// Runs one claimed job on its own task, so a panic is a failed attempt.
    async fn execute(&self, claimed: &Claimed) -> Result<(), String> {
        if !claimed.repeating && claimed.job.attempt > claimed.max_attempts {
            return Err("attempts exhausted (its worker stopped during the last attempt)".into());
        }
        let Some(handler) = self.handlers.get(&claimed.job.kind).cloned() else {
            return Err(format!("no handler for job kind {}", claimed.job.kind));
        };
        match tokio::spawn(handler(claimed.job.clone())).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => Err("the job panicked".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = JobSettings {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(10),
            ..JobSettings::default()
        };
        assert_eq!(s.backoff(1), Duration::from_secs(1));
        assert_eq!(s.backoff(2), Duration::from_secs(2));
        assert_eq!(s.backoff(3), Duration::from_secs(4));
        assert_eq!(s.backoff(5), Duration::from_secs(10));
        assert_eq!(s.backoff(1000), Duration::from_secs(10));
    }
}
