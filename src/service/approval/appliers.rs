//! How a domain plugs into the engine: an [`Applier`] per entity type
//! checks what is submitted about its entities and applies each decision
//! inside the review's own transaction (an applier that fails rolls the
//! review back, and the request stays PENDING).

use std::collections::HashMap;
use std::sync::Arc;

use entity::approval_requests;
use entity::enums::{ApprovalEntityType, ApprovalType};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;

/// Where a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A reviewer approved: the change takes effect.
    Approved,
    /// A reviewer rejected (with remarks).
    Rejected,
    /// The submitter withdrew it.
    Cancelled,
    /// Nobody decided before its deadline.
    Expired,
}

/// A domain's side of the engine for the entity types it registers.
#[async_trait::async_trait]
pub trait Applier: Send + Sync + 'static {
    /// Checks a submission made through `submitApprovalRequest` by
    /// `submitter` and returns the payload to store (for an edit
    /// `{"old": …, "new": …}`, which reviewers see as a diff). Domains whose
    /// requests only their own flows open refuse it (the default).
    async fn prepare(
        &self,
        _tx: &Tx,
        _submitter: &Viewer,
        _entity_id: Uuid,
        _approval_type: ApprovalType,
        _payload: Value,
    ) -> AppResult<Value> {
        Err(AppError::invalid(
            "entityType",
            "requests about this kind of entity are opened by its own operations",
        ))
    }

    /// Applies `decision` to the entity inside the review's transaction.
    /// `remarks` are the reviewer's (a rejection always has them).
    async fn apply(
        &self,
        tx: &Tx,
        request: &approval_requests::Model,
        decision: Decision,
        actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()>;
}

/// The appliers of every domain, by entity type (built once at start).
#[derive(Clone, Default)]
pub struct Appliers(HashMap<ApprovalEntityType, Arc<dyn Applier>>);

impl Appliers {
    /// Registers `applier` for `kind` (a later registration replaces it).
    pub fn register(&mut self, kind: ApprovalEntityType, applier: Arc<dyn Applier>) {
        self.0.insert(kind, applier);
    }

    /// The applier of `kind`, if a domain registered one.
    pub fn get(&self, kind: ApprovalEntityType) -> Option<&Arc<dyn Applier>> {
        self.0.get(&kind)
    }

    /// The appliers of the domains built so far (each domain adds its own
    /// line here when it lands).
    pub fn standard() -> Self {
        let mut a = Appliers::default();
        crate::service::identity::roles::register_applier(&mut a);
        crate::service::verification::register_applier(&mut a);
        crate::service::custody::register_applier(&mut a);
        crate::service::marketplace::register_applier(&mut a);
        a
    }
}

impl std::fmt::Debug for Appliers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
