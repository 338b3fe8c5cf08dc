//! GraphQL types of the approval engine.

use std::sync::Arc;

use async_graphql::{Context, Json, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ApprovalAction, ApprovalEntityType, ApprovalRequestStatus, ApprovalType};
use entity::{approval_logs, approval_requests};
use uuid::Uuid;

use crate::graphql::context::app;
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::types::User;
use crate::graphql::loaders::loaders;
use crate::service::approval::policy::Policy;
use crate::service::approval::queue;

/// A request for review: what it is about, the proposed change, where it
/// stands and who moved it.
pub struct ApprovalRequest {
    model: approval_requests::Model,
    policy: Policy,
    /// The viewer reviews requests of this type (reads internal remarks).
    reviewer: bool,
    /// The request's log, when the page read it in bulk.
    logs: Option<Arc<Vec<approval_logs::Model>>>,
}

impl ApprovalRequest {
    /// `model` as a viewer who does (or does not) review its type sees it.
    pub fn new(model: approval_requests::Model, policy: Policy, reviewer: bool) -> Self {
        ApprovalRequest {
            model,
            policy,
            reviewer,
            logs: None,
        }
    }

    /// `model` as the viewer of `ctx` sees it (reads the review policies),
    /// for payloads that return one request.
    pub async fn seen(ctx: &Context<'_>, model: approval_requests::Model) -> Result<Self> {
        let policies = crate::service::approval::policy::Policies::load(&app(ctx)?.db.primary).await?;
        let kind = crate::service::approval::requests::approval_type_of(&model)?;
        let reviewer = policies.may_review(crate::graphql::context::viewer(ctx), kind);
        Ok(ApprovalRequest::new(model, policies.of(kind), reviewer))
    }

    /// With its log already read.
    pub fn with_logs(mut self, logs: Arc<Vec<approval_logs::Model>>) -> Self {
        self.logs = Some(logs);
        self
    }

    /// The request's id.
    pub fn request_id(&self) -> Uuid {
        self.model.id
    }

    /// Whether the viewer reviews this request's type.
    pub fn is_reviewer(&self) -> bool {
        self.reviewer
    }

    fn pending(&self) -> bool {
        self.model.status == "PENDING"
    }

    fn age(&self) -> chrono::Duration {
        let end = match (&self.model.reviewed_at, self.pending()) {
            (_, true) => Utc::now(),
            (Some(at), false) => ts(*at),
            (None, false) => ts(self.model.updated_at),
        };
        end - ts(self.model.submitted_at)
    }
}

async fn user(ctx: &Context<'_>, uid: Option<Uuid>) -> Result<Option<User>> {
    let Some(uid) = uid else { return Ok(None) };
    Ok(loaders(ctx)?
        .identity
        .users
        .load_one(uid)
        .await
        .map_err(|e| e.to_graphql())?
        .map(User::new))
}

/// One field of a proposed edit: its old and its new value.
#[derive(SimpleObject)]
pub struct FieldChange {
    /// The field's name, as the payload spells it.
    pub field: String,
    /// The value before the change (null when the field is new).
    pub old_value: Option<Json<serde_json::Value>>,
    /// The proposed value (null when the field is removed).
    pub new_value: Option<Json<serde_json::Value>>,
}

/// The fields that differ between `payload.old` and `payload.new`, sorted.
fn diff(payload: &serde_json::Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let old = payload.get("old").and_then(|v| v.as_object()).unwrap_or(&empty);
    let new = payload.get("new").and_then(|v| v.as_object()).unwrap_or(&empty);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| FieldChange {
            field: k.clone(),
            old_value: old.get(k).cloned().map(Json),
            new_value: new.get(k).cloned().map(Json),
        })
        .collect()
}

/// A request for review: what it is about, the proposed change, where it
/// stands and who moved it.
#[Object]
impl ApprovalRequest {
    /// The request's id.
    async fn id(&self) -> ID {
        id(self.model.id)
    }
    /// The kind of entity under review.
    async fn entity_type(&self) -> Result<ApprovalEntityType> {
        Ok(db_enum(&self.model.entity_type)?)
    }
    /// The entity's id.
    async fn entity_id(&self) -> ID {
        id(self.model.entity_id)
    }
    /// The kind of approval asked for (it decides who reviews).
    async fn approval_type(&self) -> Result<ApprovalType> {
        Ok(db_enum(&self.model.approval_type)?)
    }
    /// Where the request stands.
    async fn status(&self) -> Result<ApprovalRequestStatus> {
        Ok(db_enum(&self.model.status)?)
    }
    /// The proposed change as submitted (for an edit: `old` and `new`).
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.model.payload.clone())
    }
    /// The fields an edit changes, from the payload's `old` and `new`.
    async fn changes(&self) -> Vec<FieldChange> {
        diff(&self.model.payload)
    }
    /// Who asked for the review.
    async fn submitted_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.model.submitted_by_user_id).await
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        ts(self.model.submitted_at)
    }
    /// Who approved or rejected it.
    async fn reviewed_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.model.reviewed_by_user_id).await
    }
    /// When it was approved or rejected.
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.model.reviewed_at.map(ts)
    }
    /// The last remarks on it; internal remarks only for reviewers.
    async fn remarks(&self) -> Option<&str> {
        queue::remarks_for(&self.model, self.reviewer)
    }
    /// Whether the remarks are internal to reviewers (null for submitters).
    async fn remarks_internal(&self) -> Option<bool> {
        self.reviewer.then_some(self.model.remarks_internal)
    }
    /// Seconds since submission (until the decision, once decided).
    async fn age_seconds(&self) -> i64 {
        self.age().num_seconds().max(0)
    }
    /// Pending for longer than its approval type's SLA.
    async fn overdue(&self) -> bool {
        self.pending() && self.age() > self.policy.sla
    }
    /// When a pending request expires if nobody decides it.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.model.expires_at.map(ts)
    }
    /// Every move of the request, oldest first (internal remarks only for
    /// reviewers).
    async fn logs(&self, ctx: &Context<'_>) -> Result<Vec<ApprovalLog>> {
        let rows = match &self.logs {
            Some(l) => l.as_ref().clone(),
            None => queue::logs(&app(ctx)?.db.read, self.model.id, self.reviewer).await?,
        };
        Ok(rows.into_iter().map(ApprovalLog).collect())
    }
    /// When the request was created.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model.created_at)
    }
    /// When the request last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.model.updated_at)
    }
}

/// One move of a request, as logged (append-only).
pub struct ApprovalLog(pub approval_logs::Model);

/// One move of a request, as logged (append-only).
#[Object]
impl ApprovalLog {
    /// The log row's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// What happened.
    async fn action(&self) -> Result<ApprovalAction> {
        Ok(db_enum(&self.0.action)?)
    }
    /// The status before.
    async fn old_status(&self) -> Result<Option<ApprovalRequestStatus>> {
        Ok(self.0.old_status.as_deref().map(db_enum).transpose()?)
    }
    /// The status after.
    async fn new_status(&self) -> Result<Option<ApprovalRequestStatus>> {
        Ok(self.0.new_status.as_deref().map(db_enum).transpose()?)
    }
    /// Who acted (null: the system, such as expiry).
    async fn acted_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.acted_by_user_id).await
    }
    /// The remarks given (null when internal and you are not a reviewer).
    async fn remarks(&self) -> Option<&str> {
        self.0.remarks.as_deref()
    }
    /// Whether the remarks were internal to reviewers.
    async fn is_internal(&self) -> bool {
        self.0.is_internal
    }
    /// When it happened.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// The request a mutation submitted or moved.
#[derive(SimpleObject)]
pub struct ApprovalRequestPayload {
    /// The request as it is now.
    pub request: ApprovalRequest,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_lists_only_the_fields_that_change() {
        let p = json!({"old": {"a": 1, "b": "x", "gone": true}, "new": {"a": 1, "b": "y", "added": [1]}});
        let d: Vec<(String, Option<serde_json::Value>, Option<serde_json::Value>)> = diff(&p)
            .into_iter()
            .map(|c| (c.field, c.old_value.map(|j| j.0), c.new_value.map(|j| j.0)))
            .collect();
        assert_eq!(
            d,
            vec![
                ("added".into(), None, Some(json!([1]))),
                ("b".into(), Some(json!("x")), Some(json!("y"))),
                ("gone".into(), Some(json!(true)), None),
            ]
        );
        assert!(diff(&json!({"anything": 1})).is_empty());
    }
}
