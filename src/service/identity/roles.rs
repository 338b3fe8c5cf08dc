//! Roles and the organisation: granting and revoking roles (never beyond
//! what the granter holds), role requests that need review, departments,
//! designations, employees and agents' departments.

use entity::{departments, designations, employees, roles, user_roles};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, Statement, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::Viewer;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Action, Entry, Module};

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

async fn ensure_user<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<entity::users::Model> {
    entity::users::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))
}

/// Grants `role_key` to a user at once (APPROVED). The granter needs
/// `roles.manage` and every permission of the role: no escalation.
pub async fn assign_role(ctx: &AppContext, viewer: &Viewer, user_id: Uuid, role_key: &str) -> AppResult<Uuid> {
    viewer.require(crate::service::identity::perms::ROLES_MANAGE)?;
    let txn = ctx.db.primary.begin().await?;
    let user = ensure_user(&txn, user_id).await?;
    let role = role_by_key(&txn, role_key.trim()).await?;
    let missing: Vec<String> = role_permissions(&txn, role.id)
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
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|r| r.status.clone());
    let now = chrono::Utc::now();
    match existing {
        Some(row) if row.status == "APPROVED" => {}
        Some(row) => {
            let mut a: user_roles::ActiveModel = row.into();
            a.status = Set("APPROVED".into());
            a.approved_at = Set(Some(now.into()));
            a.approved_by_user_id = Set(viewer.user_id);
            a.update(&txn).await?;
        }
        None => {
            user_roles::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                role_id: Set(role.id),
                status: Set("APPROVED".into()),
                approved_at: Set(Some(now.into())),
                approved_by_user_id: Set(viewer.user_id),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    if before.as_deref() != Some("APPROVED") {
        audit::record(
            &txn,
            Some(viewer),
            Entry::new(
                Action::Grant,
                Module::Identity,
                "USER",
                Some(user_id),
                format!("role {} granted", role.key),
            )
            .label(user.email)
            .before(json!({"role": role.key, "status": before}))
            .after(json!({"role": role.key, "status": "APPROVED"})),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(user_id)
}

/// Takes a role away (`roles.manage`; not from oneself).
pub async fn revoke_role(ctx: &AppContext, viewer: &Viewer, user_id: Uuid, role_key: &str) -> AppResult<Uuid> {
    let me = viewer.require(crate::service::identity::perms::ROLES_MANAGE)?;
    if me == user_id {
        return Err(AppError::invalid("userId", "you cannot revoke your own roles"));
    }
    let txn = ctx.db.primary.begin().await?;
    let user = ensure_user(&txn, user_id).await?;
    let role = role_by_key(&txn, role_key.trim()).await?;
    let missing = role_permissions(&txn, role.id)
        .await?
        .into_iter()
        .any(|p| !viewer.permissions.contains(&p));
    if missing {
        return Err(AppError::Forbidden(format!(
            "revoking {} needs every permission it grants",
            role.key
        )));
    }
    let res = txn
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
        &txn,
        Some(viewer),
        Entry::new(
            Action::Revoke,
            Module::Identity,
            "USER",
            Some(user_id),
            format!("role {} revoked", role.key),
        )
        .label(user.email)
        .before(json!({"role": role.key, "held": true}))
        .after(json!({"role": role.key, "held": false})),
    )
    .await?;
    txn.commit().await?;
    Ok(user_id)
}

/// Asks for an EXTERNAL role (a profession, company, candidate): a PENDING
/// grant plus an approval request for reviewers.
pub async fn request_role(ctx: &AppContext, viewer: &Viewer, role_key: &str) -> AppResult<user_roles::Model> {
    let user_id = viewer.require_self_service(crate::service::identity::perms::ROLES_REQUEST)?;
    let txn = ctx.db.primary.begin().await?;
    let role = role_by_key(&txn, role_key.trim()).await?;
    if role.audience != "EXTERNAL" {
        return Err(AppError::invalid(
            "roleKey",
            "staff roles are granted by administrators, not requested",
        ));
    }
    let existing = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.eq(user_id))
        .filter(user_roles::Column::RoleId.eq(role.id))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(r) if r.status == "APPROVED" => {
            return Err(AppError::conflict(Some("roleKey"), "you already hold this role"))
        }
        Some(r) if r.status == "PENDING" => {
            return Err(AppError::conflict(
                Some("roleKey"),
                "a request for this role is already pending",
            ))
        }
        Some(r) => {
            let mut a: user_roles::ActiveModel = r.into();
            a.status = Set("PENDING".into());
            a.approved_at = Set(None);
            a.approved_by_user_id = Set(None);
            a.update(&txn).await?
        }
        None => {
            user_roles::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                role_id: Set(role.id),
                status: Set("PENDING".into()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let request_id = Uuid::now_v7();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO approval_requests (id, entity_type, entity_id, approval_type, status, submitted_by_user_id) \
         VALUES ($1, 'ROLE', $2, 'VERIFICATION', 'PENDING', $3)",
        [request_id.into(), row.id.into(), user_id.into()],
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO approval_logs (approval_request_id, action, new_status, acted_by_user_id, remarks) \
         VALUES ($1, 'SUBMITTED', 'PENDING', $2, $3)",
        [
            request_id.into(),
            user_id.into(),
            format!("requests the role {}", role.key).into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Approves or rejects a role request (`roles.manage` or
/// `approvals.review`; never one's own; a rejection needs remarks).
pub async fn review_role_request(
    ctx: &AppContext,
    viewer: &Viewer,
    user_role_id: Uuid,
    approve: bool,
    remarks: Option<String>,
) -> AppResult<user_roles::Model> {
    let me = viewer.require_user()?;
    if !viewer.can(crate::service::identity::perms::ROLES_MANAGE)
        && !viewer.can(crate::service::approval::perms::APPROVALS_REVIEW)
    {
        return Err(AppError::forbidden());
    }
    let remarks = remarks.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    if !approve && remarks.is_none() {
        return Err(AppError::invalid("remarks", "a rejection needs remarks"));
    }
    let txn = ctx.db.primary.begin().await?;
    let row = user_roles::Entity::find_by_id(user_role_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("role request".into()))?;
    if row.user_id == me {
        return Err(AppError::Forbidden("nobody reviews their own request".into()));
    }
    if row.status != "PENDING" {
        return Err(AppError::conflict(
            None,
            format!("this request is already {}", row.status.to_lowercase()),
        ));
    }
    let status = if approve { "APPROVED" } else { "REJECTED" };
    let mut a: user_roles::ActiveModel = row.clone().into();
    a.status = Set(status.into());
    a.approved_at = Set(approve.then(|| chrono::Utc::now().into()));
    a.approved_by_user_id = Set(Some(me));
    let updated = a.update(&txn).await?;
    close_approval_request(&txn, user_role_id, status, me, remarks.as_deref()).await?;
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            if approve { Action::Approve } else { Action::Reject },
            Module::Identity,
            "USER_ROLE",
            Some(user_role_id),
            format!("role request {}", status.to_lowercase()),
        )
        .before(json!({"status": "PENDING"}))
        .after(json!({"status": status, "remarks": remarks})),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

async fn close_approval_request(
    txn: &DatabaseTransaction,
    user_role_id: Uuid,
    status: &str,
    reviewer: Uuid,
    remarks: Option<&str>,
) -> AppResult<()> {
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE approval_requests SET status = $2, reviewed_by_user_id = $3, reviewed_at = now(), remarks = $4 \
             WHERE entity_type = 'ROLE' AND entity_id = $1 AND status = 'PENDING' RETURNING id",
            [
                user_role_id.into(),
                status.into(),
                reviewer.into(),
                remarks.map(str::to_string).into(),
            ],
        ))
        .await?;
    for r in rows {
        let id: Uuid = r
            .try_get("", "id")
            .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO approval_logs (approval_request_id, action, old_status, new_status, acted_by_user_id, remarks) \
             VALUES ($1, $2, 'PENDING', $3, $4, $5)",
            [
                id.into(),
                status.into(),
                status.into(),
                reviewer.into(),
                remarks.map(str::to_string).into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// All active roles.
pub async fn list_roles(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<roles::Model>> {
    viewer.require_user()?;
    Ok(roles::Entity::find()
        .filter(roles::Column::IsActive.eq(true))
        .order_by_asc(roles::Column::Key)
        .all(&ctx.db.read)
        .await?)
}

/// Pending role requests, oldest first.
pub async fn pending_role_requests(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<user_roles::Model>> {
    if !viewer.can(crate::service::identity::perms::ROLES_MANAGE)
        && !viewer.can(crate::service::approval::perms::APPROVALS_REVIEW)
    {
        viewer.require_user()?;
        return Err(AppError::forbidden());
    }
    Ok(user_roles::Entity::find()
        .filter(user_roles::Column::Status.eq("PENDING"))
        .order_by_asc(user_roles::Column::CreatedAt)
        .all(&ctx.db.read)
        .await?)
}

/// Fields of a department an administrator sets.
#[derive(Clone, Debug, Default)]
pub struct DepartmentInput {
    pub name: Option<String>,
    pub code: Option<String>,
    pub description: Option<String>,
    pub department_email: Option<String>,
    pub is_active: Option<bool>,
    pub visibility: Option<String>,
    pub transfers_enabled: Option<bool>,
}

/// Every department (departments route tickets, so any signed-in user may
/// list them; inactive ones only for managers).
pub async fn list_departments(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<departments::Model>> {
    viewer.require_user()?;
    let mut q = departments::Entity::find().order_by_asc(departments::Column::Name);
    if !viewer.can(crate::service::identity::perms::DEPARTMENTS_MANAGE) {
        q = q.filter(departments::Column::IsActive.eq(true));
    }
    Ok(q.all(&ctx.db.read).await?)
}

/// Creates (id None) or updates a department (`departments.manage`).
pub async fn save_department(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Option<Uuid>,
    input: DepartmentInput,
) -> AppResult<departments::Model> {
    viewer.require(crate::service::identity::perms::DEPARTMENTS_MANAGE)?;
    if let Some(v) = &input.visibility {
        if !matches!(v.as_str(), "INTERNAL" | "EXTERNAL") {
            return Err(AppError::invalid("visibility", "must be INTERNAL or EXTERNAL"));
        }
    }
    let txn = ctx.db.primary.begin().await?;
    let (mut a, before): (departments::ActiveModel, _) = match id {
        Some(id) => {
            let m = departments::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::NotFound("department".into()))?;
            let before = json!({"name": m.name, "code": m.code, "isActive": m.is_active, "transfersEnabled": m.transfers_enabled});
            (m.into(), Some(before))
        }
        None => {
            let (Some(name), Some(code)) = (&input.name, &input.code) else {
                return Err(AppError::invalid("name", "a new department needs a name and a code"));
            };
            (
                departments::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    name: Set(name.trim().to_string()),
                    code: Set(code.trim().to_uppercase()),
                    ..Default::default()
                },
                None,
            )
        }
    };
    if let Some(v) = input.name {
        a.name = Set(v.trim().to_string());
    }
    if let Some(v) = input.code {
        a.code = Set(v.trim().to_uppercase());
    }
    if let Some(v) = input.description {
        a.description = Set(Some(v));
    }
    if let Some(v) = input.department_email {
        a.department_email = Set(Some(v));
    }
    if let Some(v) = input.is_active {
        a.is_active = Set(v);
    }
    if let Some(v) = input.visibility {
        a.visibility = Set(v);
    }
    if let Some(v) = input.transfers_enabled {
        a.transfers_enabled = Set(v);
    }
    let m = if id.is_some() {
        a.update(&txn).await?
    } else {
        a.insert(&txn).await?
    };
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            if id.is_some() { Action::Update } else { Action::Create },
            Module::Identity,
            "DEPARTMENT",
            Some(m.id),
            "department saved",
        )
        .label(m.name.clone())
        .before(before.unwrap_or(serde_json::Value::Null))
        .after(
            json!({"name": m.name, "code": m.code, "isActive": m.is_active, "transfersEnabled": m.transfers_enabled}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Sets the departments an agent works in (`departments.manage`).
pub async fn set_user_departments(
    ctx: &AppContext,
    viewer: &Viewer,
    user_id: Uuid,
    department_ids: Vec<Uuid>,
) -> AppResult<Vec<Uuid>> {
    viewer.require(crate::service::identity::perms::DEPARTMENTS_MANAGE)?;
    let txn = ctx.db.primary.begin().await?;
    let user = ensure_user(&txn, user_id).await?;
    let before = departments_of(&txn, user_id).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM user_departments WHERE user_id = $1",
        [user_id.into()],
    ))
    .await?;
    for d in &department_ids {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [user_id.into(), (*d).into()],
        ))
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::BadUserInput { .. } => AppError::invalid("departmentIds", "a department does not exist"),
            other => other,
        })?;
    }
    let after = departments_of(&txn, user_id).await?;
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            "USER",
            Some(user_id),
            "departments set",
        )
        .label(user.email)
        .before(json!({"departments": before}))
        .after(json!({"departments": after})),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Departments of `user_id`.
pub async fn departments_of<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<Vec<Uuid>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT department_id FROM user_departments WHERE user_id = $1 ORDER BY department_id",
            [user_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<Uuid>("", "department_id").ok())
        .collect())
}

/// Designations (`departments.manage` or `employees.manage`).
pub async fn list_designations(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<designations::Model>> {
    if !viewer.can(crate::service::identity::perms::DEPARTMENTS_MANAGE)
        && !viewer.can(crate::service::identity::perms::EMPLOYEES_MANAGE)
    {
        viewer.require_user()?;
        return Err(AppError::forbidden());
    }
    Ok(designations::Entity::find()
        .order_by_asc(designations::Column::Name)
        .all(&ctx.db.read)
        .await?)
}

/// Creates a designation (`departments.manage`).
pub async fn create_designation(
    ctx: &AppContext,
    viewer: &Viewer,
    name: &str,
    code: &str,
    department_id: Option<Uuid>,
    level: Option<String>,
) -> AppResult<designations::Model> {
    viewer.require(crate::service::identity::perms::DEPARTMENTS_MANAGE)?;
    if name.trim().is_empty() || code.trim().is_empty() {
        return Err(AppError::invalid("name", "a designation needs a name and a code"));
    }
    let txn = ctx.db.primary.begin().await?;
    let m = designations::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.trim().to_string()),
        code: Set(code.trim().to_uppercase()),
        department_id: Set(department_id),
        level: Set(level),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Identity,
            "DESIGNATION",
            Some(m.id),
            "designation created",
        )
        .label(m.name.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Employees (`employees.manage` or `users.read`).
pub async fn list_employees(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<employees::Model>> {
    if !viewer.can(crate::service::identity::perms::EMPLOYEES_MANAGE)
        && !viewer.can(crate::service::identity::perms::USERS_READ)
    {
        viewer.require_user()?;
        return Err(AppError::forbidden());
    }
    Ok(employees::Entity::find()
        .order_by_asc(employees::Column::EmployeeCode)
        .all(&ctx.db.read)
        .await?)
}

/// Fields of an employee record.
#[derive(Clone, Debug, Default)]
pub struct EmployeeInput {
    pub employee_code: Option<String>,
    pub department_id: Option<Uuid>,
    pub designation_id: Option<Uuid>,
    pub joining_date: Option<chrono::NaiveDate>,
    pub employment_status: Option<String>,
    pub manager_employee_id: Option<Uuid>,
}

/// Creates or updates the employee record of `user_id` (`employees.manage`).
pub async fn save_employee(
    ctx: &AppContext,
    viewer: &Viewer,
    user_id: Uuid,
    input: EmployeeInput,
) -> AppResult<employees::Model> {
    viewer.require(crate::service::identity::perms::EMPLOYEES_MANAGE)?;
    if let Some(s) = &input.employment_status {
        if !matches!(s.as_str(), "ACTIVE" | "INACTIVE" | "TERMINATED") {
            return Err(AppError::invalid(
                "employmentStatus",
                "must be ACTIVE, INACTIVE or TERMINATED",
            ));
        }
    }
    let txn = ctx.db.primary.begin().await?;
    let user = ensure_user(&txn, user_id).await?;
    let existing = employees::Entity::find()
        .filter(employees::Column::UserId.eq(user_id))
        .one(&txn)
        .await?;
    let is_new = existing.is_none();
    let mut a: employees::ActiveModel = match existing {
        Some(m) => m.into(),
        None => {
            let Some(code) = &input.employee_code else {
                return Err(AppError::invalid(
                    "employeeCode",
                    "a new employee needs an employee code",
                ));
            };
            employees::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                employee_code: Set(code.trim().to_string()),
                ..Default::default()
            }
        }
    };
    if let Some(v) = input.employee_code {
        a.employee_code = Set(v.trim().to_string());
    }
    if input.department_id.is_some() {
        a.department_id = Set(input.department_id);
    }
    if input.designation_id.is_some() {
        a.designation_id = Set(input.designation_id);
    }
    if input.joining_date.is_some() {
        a.joining_date = Set(input.joining_date);
    }
    if let Some(v) = input.employment_status {
        a.employment_status = Set(v);
    }
    if input.manager_employee_id.is_some() {
        a.manager_employee_id = Set(input.manager_employee_id);
    }
    let m = if is_new {
        a.insert(&txn).await?
    } else {
        a.update(&txn).await?
    };
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            if is_new { Action::Create } else { Action::Update },
            Module::Identity,
            "EMPLOYEE",
            Some(m.id),
            "employee record saved",
        )
        .label(user.email)
        .after(json!({"employeeCode": m.employee_code, "employmentStatus": m.employment_status})),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}
