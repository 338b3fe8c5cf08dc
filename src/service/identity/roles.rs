//! Roles: granting and revoking them (never beyond what the granter
//! holds), role requests that need review (through the approval engine),
//! and the bulk reads loaders use. Departments, designations and employees
//! are in `org`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::enums::{ApprovalEntityType, ApprovalStatus, ApprovalType, Audience};
use entity::{roles, user_roles};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::{perms, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::{self, Decision, NewRequest};
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::page::{PageRequest, Paged};

async fn role_by_key<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<roles::Model> {
    roles::Entity::find()
        .filter(roles::Column::Key.eq(key))
        .one(conn)
        .await?
        .filter(|r| r.is_active)
        .ok_or_else(|| AppError::invalid("roleKey", format!("no active role {key}")))
}

async fn role_permissions<C: ConnectionTrait>(conn: &C, role_id: Uuid) -> AppResult<Vec<String>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT permission_key FROM role_permissions WHERE role_id = $1",
            [role_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "permission_key").ok())
        .collect())
}

/// The user `user_id`, or `NOT_FOUND`.
pub(crate) async fn ensure_user<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<entity::users::Model> {
    entity::users::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))
}

fn status_of(row: &user_roles::Model) -> Option<ApprovalStatus> {
    ApprovalStatus::try_from_value(&row.status).ok()
}

/// Grants `role_key` to a user at once (APPROVED). The granter needs
/// `roles.manage` and every permission of the role: no escalation.
pub async fn assign_role(ctx: &AppContext, viewer: &Viewer, user_id: Uuid, role_key: &str) -> AppResult<Uuid> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let id = assign_role_in(&tx, viewer, user_id, role_key).await?;
    tx.commit(&ctx.bus).await?;
    Ok(id)
}

/// [`assign_role`] inside `tx`.
pub async fn assign_role_in(tx: &Tx, viewer: &Viewer, user_id: Uuid, role_key: &str) -> AppResult<Uuid> {
    super::forget_sessions_on_commit(tx, user_id);
    let db: &DatabaseTransaction = tx;
    viewer.require(perms::ROLES_MANAGE)?;
    let user = ensure_user(db, user_id).await?;
    let role = role_by_key(db, role_key.trim()).await?;
    let missing: Vec<String> = role_permissions(db, role.id)
        .await?
        .into_iter()
        .filter(|p| !viewer.permissions.contains(p))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Forbidden(format!(
            "granting {} needs permissions you do not hold: {}",
            role.key,
            missing.join(", ")
        )));
    }
    let existing = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.eq(user_id))
        .filter(user_roles::Column::RoleId.eq(role.id))
        .one(db)
        .await?;
    let before = existing.as_ref().map(|r| r.status.clone());
    let was_approved = existing.as_ref().and_then(status_of) == Some(ApprovalStatus::Approved);
    let now = Utc::now();
    match existing {
        Some(_) if was_approved => {}
        Some(row) => {
            let mut a: user_roles::ActiveModel = row.into();
            a.status = Set(ApprovalStatus::Approved.to_value());
            a.approved_at = Set(Some(now.into()));
            a.approved_by_user_id = Set(viewer.user_id);
            a.update(db).await?;
        }
        None => {
            user_roles::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                role_id: Set(role.id),
                status: Set(ApprovalStatus::Approved.to_value()),
                approved_at: Set(Some(now.into())),
                approved_by_user_id: Set(viewer.user_id),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    if !was_approved {
        audit::record(
            db,
            Some(viewer),
            Entry::new(
                Action::Grant,
                Module::Identity,
                crate::service::audit::AuditEntity::User,
                Some(user_id),
                format!("role {} granted", role.key),
            )
            .label(user.email)
            .before(json!({"role": role.key, "status": before}))
            .after(json!({"role": role.key, "status": ApprovalStatus::Approved.to_value()})),
        )
        .await?;
    }
    Ok(user_id)
}

/// Takes a role away (`roles.manage`; not from oneself).
pub async fn revoke_role(ctx: &AppContext, viewer: &Viewer, user_id: Uuid, role_key: &str) -> AppResult<Uuid> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let id = revoke_role_in(&tx, viewer, user_id, role_key).await?;
    tx.commit(&ctx.bus).await?;
    Ok(id)
}

/// [`revoke_role`] inside `tx`.
pub async fn revoke_role_in(tx: &Tx, viewer: &Viewer, user_id: Uuid, role_key: &str) -> AppResult<Uuid> {
    super::forget_sessions_on_commit(tx, user_id);
    let db: &DatabaseTransaction = tx;
    let me = viewer.require(perms::ROLES_MANAGE)?;
    if me == user_id {
        return Err(AppError::invalid("userId", "you cannot revoke your own roles"));
    }
    let user = ensure_user(db, user_id).await?;
    let role = role_by_key(db, role_key.trim()).await?;
    let missing = role_permissions(db, role.id)
        .await?
        .into_iter()
        .any(|p| !viewer.permissions.contains(&p));
    if missing {
        return Err(AppError::Forbidden(format!(
            "revoking {} needs every permission it grants",
            role.key
        )));
    }
    let res = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2",
            [user_id.into(), role.id.into()],
        ))
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("role {} on this user", role.key)));
    }
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Revoke,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user_id),
            format!("role {} revoked", role.key),
        )
        .label(user.email)
        .before(json!({"role": role.key, "held": true}))
        .after(json!({"role": role.key, "held": false})),
    )
    .await?;
    Ok(user_id)
}

/// Asks for an EXTERNAL role (a profession, company, candidate): a PENDING
/// grant plus an approval request for reviewers.
pub async fn request_role(ctx: &AppContext, viewer: &Viewer, role_key: &str) -> AppResult<user_roles::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = request_role_in(&tx, viewer, role_key).await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// [`request_role`] inside `tx`.
pub async fn request_role_in(tx: &Tx, viewer: &Viewer, role_key: &str) -> AppResult<user_roles::Model> {
    let db: &DatabaseTransaction = tx;
    let user_id = viewer.require_self_service(perms::ROLES_REQUEST)?;
    let role = role_by_key(db, role_key.trim()).await?;
    if role.audience != Audience::External.to_value() {
        return Err(AppError::invalid(
            "roleKey",
            "staff roles are granted by administrators, not requested",
        ));
    }
    let existing = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.eq(user_id))
        .filter(user_roles::Column::RoleId.eq(role.id))
        .one(db)
        .await?;
    let row = match existing {
        Some(r) => match status_of(&r) {
            Some(ApprovalStatus::Approved) => {
                return Err(AppError::conflict(Some("roleKey"), "you already hold this role"))
            }
            Some(ApprovalStatus::Pending) => {
                return Err(AppError::conflict(
                    Some("roleKey"),
                    "a request for this role is already pending",
                ))
            }
            _ => {
                let mut a: user_roles::ActiveModel = r.into();
                a.status = Set(ApprovalStatus::Pending.to_value());
                a.approved_at = Set(None);
                a.approved_by_user_id = Set(None);
                a.update(db).await?
            }
        },
        None => {
            user_roles::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                role_id: Set(role.id),
                status: Set(ApprovalStatus::Pending.to_value()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    approval::submit(
        tx,
        user_id,
        NewRequest {
            entity_type: ApprovalEntityType::Role,
            entity_id: row.id,
            approval_type: ApprovalType::Verification,
            payload: json!({"roleKey": role.key, "roleName": role.name}),
            remarks: Some(format!("requests the role {}", role.key)),
        },
    )
    .await?;
    Ok(row)
}

/// Whether the viewer may review role requests (`roles.manage`, or a
/// reviewer of VERIFICATION requests); `UNAUTHENTICATED` when anonymous.
fn require_reviewer(viewer: &Viewer) -> AppResult<Uuid> {
    use crate::service::approval::perms::{APPROVALS_REVIEW, VERIFICATION_REVIEW};
    let me = viewer.require_user()?;
    if viewer.can(perms::ROLES_MANAGE) || viewer.can(APPROVALS_REVIEW) || viewer.can(VERIFICATION_REVIEW) {
        Ok(me)
    } else {
        Err(AppError::forbidden())
    }
}

/// Approves or rejects a role request through the approval engine (a
/// reviewer of VERIFICATION requests; never one's own; a rejection needs
/// remarks).
pub async fn review_role_request(
    ctx: &AppContext,
    viewer: &Viewer,
    user_role_id: Uuid,
    approve: bool,
    remarks: Option<String>,
) -> AppResult<user_roles::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = review_role_request_in(&tx, viewer, user_role_id, approve, remarks).await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// [`review_role_request`] inside `tx`: the engine moves the pending
/// request and [`RoleApplier`] grants (or refuses) the role.
pub async fn review_role_request_in(
    tx: &Tx,
    viewer: &Viewer,
    user_role_id: Uuid,
    approve: bool,
    remarks: Option<String>,
) -> AppResult<user_roles::Model> {
    let db: &DatabaseTransaction = tx;
    require_reviewer(viewer)?;
    let row = user_roles::Entity::find_by_id(user_role_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("role request".into()))?;
    let Some(request) = approval::requests::pending_for(db, ApprovalEntityType::Role, user_role_id).await? else {
        return Err(AppError::conflict(
            None,
            format!("this request is already {}", row.status.to_lowercase()),
        ));
    };
    approval::requests::move_in(
        tx,
        Some(viewer),
        approval::Move {
            id: request.id,
            decision: if approve {
                Decision::Approved
            } else {
                Decision::Rejected
            },
            remarks: remarks.as_deref(),
            internal: false,
        },
    )
    .await?;
    user_roles::Entity::find_by_id(user_role_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("role request".into()))
}

/// Registers [`RoleApplier`] for ROLE requests.
pub fn register_applier(appliers: &mut approval::Appliers) {
    appliers.register(ApprovalEntityType::Role, std::sync::Arc::new(RoleApplier));
}

/// Applies decisions on role requests: approval grants the role (refused,
/// and the review undone, when the role was deactivated meanwhile); any
/// other end refuses it.
pub struct RoleApplier;

#[async_trait::async_trait]
impl approval::Applier for RoleApplier {
    /// `submitApprovalRequest` about one of your role grants asks again for
    /// a refused role (the grant goes back to PENDING); about a grant
    /// already pending it is the engine's `CONFLICT`.
    async fn prepare(
        &self,
        tx: &Tx,
        submitter: &Viewer,
        entity_id: Uuid,
        approval_type: ApprovalType,
        _payload: serde_json::Value,
    ) -> AppResult<serde_json::Value> {
        let db: &DatabaseTransaction = tx;
        let me = submitter.require_self_service(perms::ROLES_REQUEST)?;
        if approval_type != ApprovalType::Verification {
            return Err(AppError::invalid(
                "approvalType",
                "role requests are VERIFICATION requests",
            ));
        }
        let row = user_roles::Entity::find_by_id(entity_id)
            .lock_exclusive()
            .one(db)
            .await?
            .filter(|r| r.user_id == me)
            .ok_or_else(|| AppError::NotFound("role request".into()))?;
        let role = roles::Entity::find_by_id(row.role_id)
            .one(db)
            .await?
            .filter(|r| r.is_active && r.audience == Audience::External.to_value())
            .ok_or_else(|| AppError::invalid("entityId", "this role cannot be requested"))?;
        match status_of(&row) {
            Some(ApprovalStatus::Approved) => {
                return Err(AppError::conflict(Some("entityId"), "you already hold this role"));
            }
            Some(ApprovalStatus::Pending) => {}
            _ => {
                let mut a: user_roles::ActiveModel = row.into();
                a.status = Set(ApprovalStatus::Pending.to_value());
                a.approved_at = Set(None);
                a.approved_by_user_id = Set(None);
                a.update(db).await?;
            }
        }
        Ok(json!({"roleKey": role.key, "roleName": role.name}))
    }

    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let db: &DatabaseTransaction = tx;
        let row = user_roles::Entity::find_by_id(request.entity_id)
            .lock_exclusive()
            .one(db)
            .await?
            .ok_or_else(|| AppError::NotFound("role request".into()))?;
        if decision == Decision::Approved {
            let role = roles::Entity::find_by_id(row.role_id).one(db).await?;
            if !role.is_some_and(|r| r.is_active) {
                return Err(AppError::conflict(
                    None,
                    "the requested role is no longer active; the request stays pending",
                ));
            }
        }
        let status = if decision == Decision::Approved {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        let user_id = row.user_id;
        let mut a: user_roles::ActiveModel = row.into();
        a.status = Set(status.to_value());
        a.approved_at = Set((decision == Decision::Approved).then(|| Utc::now().into()));
        a.approved_by_user_id = Set(actor);
        a.update(db).await?;
        super::forget_sessions_on_commit(tx, user_id);
        audit::record(
            db,
            None,
            Entry::new(
                match decision {
                    Decision::Approved => Action::Approve,
                    Decision::Rejected => Action::Reject,
                    _ => Action::Cancel,
                },
                Module::Identity,
                crate::service::audit::AuditEntity::UserRole,
                Some(request.entity_id),
                format!("role request {}", status.to_value().to_lowercase()),
            )
            .before(json!({"status": ApprovalStatus::Pending.to_value()}))
            .after(json!({"status": status.to_value(), "remarks": remarks, "approvalRequest": request.id})),
        )
        .await?;
        Ok(())
    }
}

/// All active roles (any signed-in user).
pub async fn list_roles_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Vec<roles::Model>> {
    viewer.require_user()?;
    Ok(roles::Entity::find()
        .filter(roles::Column::IsActive.eq(true))
        .order_by_asc(roles::Column::Key)
        .all(conn)
        .await?)
}

/// [`list_roles_in`] on the read pool.
pub async fn list_roles(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<roles::Model>> {
    list_roles_in(&ctx.db.read, viewer).await
}

/// Roles by id, for loaders: one statement for any number of ids.
pub async fn roles_by_ids<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, roles::Model>> {
    Ok(roles::Entity::find()
        .filter(roles::Column::Id.is_in(ids.to_vec()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

/// The sort key of the role-request list: oldest first.
pub type RoleRequestCursor = (DateTime<Utc>, Uuid);

/// The cursor of a role request.
pub fn role_request_cursor(row: &user_roles::Model) -> RoleRequestCursor {
    (row.created_at.with_timezone(&Utc), row.id)
}

fn pending_requests() -> Condition {
    Condition::all().add(user_roles::Column::Status.eq(ApprovalStatus::Pending.to_value()))
}

/// A page of pending role requests, oldest first (`roles.manage` or
/// `approvals.review`).
pub async fn pending_role_requests_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    page: &PageRequest<RoleRequestCursor>,
) -> AppResult<Paged<user_roles::Model>> {
    require_reviewer(viewer)?;
    let mut cond = pending_requests();
    for (op, (at, id)) in page.bounds(false) {
        cond = cond.add(Expr::cust_with_values(
            format!("(created_at, id) {op} ($1, $2)"),
            [sea_orm::Value::from(*at), sea_orm::Value::from(*id)],
        ));
    }
    let desc = page.sql_descending(false);
    let q = user_roles::Entity::find().filter(cond);
    let q = if desc {
        q.order_by_desc(user_roles::Column::CreatedAt)
            .order_by_desc(user_roles::Column::Id)
    } else {
        q.order_by_asc(user_roles::Column::CreatedAt)
            .order_by_asc(user_roles::Column::Id)
    };
    Ok(page.finish(q.limit(page.fetch()).all(conn).await?))
}

/// [`pending_role_requests_in`] on the read pool.
pub async fn pending_role_requests(
    ctx: &AppContext,
    viewer: &Viewer,
    page: &PageRequest<RoleRequestCursor>,
) -> AppResult<Paged<user_roles::Model>> {
    pending_role_requests_in(&ctx.db.read, viewer, page).await
}

/// How many role requests are pending, for `totalCount`.
pub async fn count_pending_role_requests(ctx: &AppContext, viewer: &Viewer) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    require_reviewer(viewer)?;
    Ok(user_roles::Entity::find()
        .filter(pending_requests())
        .count(&ctx.db.read)
        .await?)
}

/// Every permission, by key (`roles.manage` or `users.read`).
pub async fn list_permissions_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
) -> AppResult<Vec<entity::permissions::Model>> {
    viewer.require_user()?;
    if !viewer.can(perms::ROLES_MANAGE) && !viewer.can(perms::USERS_READ) {
        return Err(AppError::forbidden());
    }
    Ok(entity::permissions::Entity::find()
        .order_by_asc(entity::permissions::Column::Key)
        .all(conn)
        .await?)
}

/// [`list_permissions_in`] on the read pool.
pub async fn list_permissions(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<entity::permissions::Model>> {
    list_permissions_in(&ctx.db.read, viewer).await
}
