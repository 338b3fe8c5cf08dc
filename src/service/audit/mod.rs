//! The audit trail: one `audit_logs` row (and its field changes) per
//! sensitive change, written in the caller's transaction so the record and
//! the change commit or roll back together.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::error::AppResult;
use crate::service::identity::Viewer;

/// What was done (`audit_logs.action`): the schema's enum, under the
/// short name every domain writes (`Action::Credit`).
pub use entity::enums::AuditAction as Action;
/// The domain a change belongs to (`audit_logs.module_key`).
pub use entity::enums::AuditModule as Module;

use entity::enums::{AuditActorType, AuditSourceType, AuditStatus};
use sea_orm::ActiveEnum;

/// What kind of thing changed (`audit_logs.entity_type`).
pub use entity::enums::AuditEntity;

/// One audit record. `before` and `after` must never hold secrets.
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: Action,
    pub module: Module,
    /// What kind of thing changed.
    pub entity_type: AuditEntity,
    pub entity_id: Option<Uuid>,
    pub entity_label: Option<String>,
    pub summary: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub metadata: Json,
    /// Records an attempt that was refused (a bad sign-in), status FAILED.
    pub failed: bool,
}

impl Entry {
    pub fn new(
        action: Action,
        module: Module,
        entity_type: AuditEntity,
        entity_id: Option<Uuid>,
        summary: impl Into<String>,
    ) -> Self {
        Entry {
            action,
            module,
            entity_type,
            entity_id,
            entity_label: None,
            summary: summary.into(),
            before: None,
            after: None,
            metadata: Json::Object(Default::default()),
            failed: false,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.entity_label = Some(label.into());
        self
    }

    pub fn before(mut self, before: Json) -> Self {
        self.before = Some(before);
        self
    }

    pub fn after(mut self, after: Json) -> Self {
        self.after = Some(after);
        self
    }

    pub fn metadata(mut self, metadata: Json) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn failed(mut self) -> Self {
        self.failed = true;
        self
    }
}

/// Field-level differences between two JSON objects, as text.
fn changes(before: Option<&Json>, after: Option<&Json>) -> Vec<(String, Option<String>, Option<String>)> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Json::as_object).unwrap_or(&empty);
    let a = after.and_then(Json::as_object).unwrap_or(&empty);
    let text = |v: Option<&Json>| match v {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| (k.clone(), text(b.get(k)), text(a.get(k))))
        .collect()
}

/// Writes `entry` for `actor` (None: the system) on `conn`.
pub async fn record<C: ConnectionTrait>(conn: &C, actor: Option<&Viewer>, entry: Entry) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let request_id = actor
        .and_then(|v| v.request_id.as_deref())
        .and_then(|r| Uuid::parse_str(r).ok());
    let diff = changes(entry.before.as_ref(), entry.after.as_ref());
    entity::audit_logs::ActiveModel {
        id: Set(id),
        actor_user_id: Set(actor.and_then(|v| v.user_id)),
        actor_type: Set(if actor.and_then(|v| v.user_id).is_some() {
            AuditActorType::User
        } else {
            AuditActorType::System
        }
        .to_value()),
        action: Set(entry.action.to_value()),
        entity_type: Set(Some(entry.entity_type.to_value())),
        entity_id: Set(entry.entity_id),
        entity_label: Set(entry.entity_label),
        module_key: Set(Some(entry.module.to_value())),
        source_type: Set(if actor.and_then(|v| v.api_key_id).is_some() {
            AuditSourceType::Api
        } else {
            AuditSourceType::Ui
        }
        .to_value()),
        source_id: Set(actor.and_then(|v| v.api_key_id)),
        request_id: Set(request_id),
        ip_address: Set(actor.and_then(|v| v.ip_address.clone())),
        user_agent: Set(actor.and_then(|v| v.user_agent.clone())),
        status: Set(if entry.failed {
            AuditStatus::Failed
        } else {
            AuditStatus::Success
        }
        .to_value()),
        summary: Set(Some(entry.summary)),
        metadata_json: Set(entry.metadata),
        before_json: Set(entry.before),
        after_json: Set(entry.after),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    for (field, old, new) in diff {
        entity::audit_log_changes::ActiveModel {
            id: Set(Uuid::now_v7()),
            audit_log_id: Set(id),
            field_name: Set(field),
            old_value_text: Set(old),
            new_value_text: Set(new),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_list_only_differing_fields() {
        let b = serde_json::json!({"status": "active", "name": "x", "gone": 1});
        let a = serde_json::json!({"status": "suspended", "name": "x", "new": true});
        let c = changes(Some(&b), Some(&a));
        assert_eq!(
            c,
            vec![
                ("gone".into(), Some("1".into()), None),
                ("new".into(), None, Some("true".into())),
                ("status".into(), Some("active".into()), Some("suspended".into())),
            ]
        );
    }
}
