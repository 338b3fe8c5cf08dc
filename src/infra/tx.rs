//! The transaction every domain writes in: it carries the events it
//! causes to the outbox and runs this process's after-commit work.

use std::sync::Mutex;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};

use super::events::{Event, EventBus};

/// A database transaction that carries the events it caused. They are
/// written to the outbox in the same transaction, at [`Tx::commit`], so
/// they reach the bus exactly when the transaction commits (and never on
/// rollback), without the request waiting for the bus.
pub struct Tx {
    txn: DatabaseTransaction,
    events: Mutex<Vec<Event>>,
    after_commit: Mutex<Vec<AfterCommit>>,
}

/// Work for this process once the transaction has committed.
type AfterCommit = Box<dyn FnOnce() + Send>;

impl Tx {
    /// Begins a transaction on `db`.
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Ok(Tx {
            txn: db.begin().await?,
            events: Mutex::new(Vec::new()),
            after_commit: Mutex::new(Vec::new()),
        })
    }

    /// Queues `event`; it is written to the outbox when the transaction
    /// commits and relayed to the bus after that, in commit order.
    pub fn publish_after_commit(&self, event: Event) {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }

    /// Runs `f` in this process right after the transaction commits (never
    /// on rollback): local caches that must not serve a moment longer than
    /// the data they hold (other instances hear of it from the database).
    pub fn after_commit(&self, f: impl FnOnce() + Send + 'static) {
        self.after_commit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(f));
    }

    /// Writes the queued events to the outbox as the transaction's last
    /// statement (see `outbox::insert` for why last), commits, and wakes
    /// the relay. Never waits on the bus.
    pub async fn commit(self, bus: &EventBus) -> Result<(), DbErr> {
        let events = self.events.into_inner().unwrap_or_else(|p| p.into_inner());
        let after = self.after_commit.into_inner().unwrap_or_else(|p| p.into_inner());
        let any = !events.is_empty();
        if any {
            super::outbox::insert(&self.txn, &events).await?;
        }
        self.txn.commit().await?;
        for f in after {
            f();
        }
        if any {
            bus.wake_relay();
        }
        Ok(())
    }

    /// Rolls back and drops the queued events.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}
