//! Per approval type: who reviews it, when a pending request expires and
//! when it is overdue. Stored in `runtime_configs` (group
//! `approval_policy`, key the approval type) so operators change them
//! without a release; a type without a row falls back to [`Policy::fallback`].

use std::collections::HashMap;

use chrono::Duration;
use entity::enums::ApprovalType;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement};
use serde::Deserialize;

use super::perms::{APPROVALS_REVIEW, REVIEW_PERMISSIONS};
use crate::error::AppResult;
use crate::service::identity::{Permission, Viewer};

/// The review rules of one approval type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Who may review (besides holders of `approvals.review`).
    pub review_permission: Permission,
    /// A pending request expires this long after submission.
    pub expires_after: Duration,
    /// A pending request is overdue this long after submission.
    pub sla: Duration,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    review_permission: String,
    expires_after_hours: f64,
    sla_hours: f64,
}

fn hours(h: f64) -> Duration {
    // Clamped so a typo in the configuration cannot overflow a timestamp.
    Duration::seconds((h.clamp(0.0, 24.0 * 3650.0) * 3600.0) as i64)
}

impl Policy {
    /// The rules of a type with no stored policy: `approvals.review` only,
    /// two weeks to expiry, a day to the SLA.
    pub fn fallback() -> Self {
        Policy {
            review_permission: APPROVALS_REVIEW,
            expires_after: Duration::days(14),
            sla: Duration::days(1),
        }
    }

    fn from_stored(s: Stored) -> Self {
        let review_permission = REVIEW_PERMISSIONS
            .iter()
            .copied()
            .find(|p| p.key() == s.review_permission)
            .unwrap_or_else(|| {
                tracing::warn!(permission = %s.review_permission, "approval policy names an unknown permission");
                APPROVALS_REVIEW
            });
        Policy {
            review_permission,
            expires_after: hours(s.expires_after_hours),
            sla: hours(s.sla_hours),
        }
    }
}

/// The policies of every approval type (one statement).
#[derive(Clone, Debug)]
pub struct Policies(HashMap<ApprovalType, Policy>);

impl Policies {
    /// Reads the stored policies.
    pub async fn load<C: ConnectionTrait>(conn: &C) -> AppResult<Self> {
        let rows = conn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT config_key, config_value_json FROM runtime_configs \
                 WHERE config_group = 'approval_policy' AND is_active",
            ))
            .await?;
        let mut map = HashMap::new();
        for r in rows {
            let key: String = r.try_get_by_index(0)?;
            let value: serde_json::Value = r.try_get_by_index(1)?;
            let Ok(kind) = ApprovalType::try_from_value(&key) else {
                continue;
            };
            match serde_json::from_value::<Stored>(value) {
                Ok(s) => {
                    map.insert(kind, Policy::from_stored(s));
                }
                Err(e) => tracing::warn!(approval_type = %key, error = %e, "unreadable approval policy"),
            }
        }
        Ok(Policies(map))
    }

    /// The policy of `kind`.
    pub fn of(&self, kind: ApprovalType) -> Policy {
        self.0.get(&kind).copied().unwrap_or_else(Policy::fallback)
    }

    /// Whether `viewer` may review requests of `kind`.
    pub fn may_review(&self, viewer: &Viewer, kind: ApprovalType) -> bool {
        viewer.user_id.is_some() && (viewer.can(APPROVALS_REVIEW) || viewer.can(self.of(kind).review_permission))
    }

    /// The approval types `viewer` may review.
    pub fn reviewable(&self, viewer: &Viewer) -> Vec<ApprovalType> {
        use sea_orm::Iterable;
        ApprovalType::iter().filter(|k| self.may_review(viewer, *k)).collect()
    }
}
