//! The organisation: departments (tickets are routed to them), the
//! departments agents work in, designations and employee records.

use std::collections::HashMap;

use entity::enums::{Audience, EmploymentStatus};
use entity::{departments, designations, employees};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::roles::ensure_user;
use super::{perms, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::page::{PageRequest, Paged};

/// Fields of a department an administrator sets; `None` leaves a field.
#[derive(Clone, Debug, Default)]
pub struct DepartmentInput {
    pub name: Option<String>,
    pub code: Option<String>,
    pub description: Option<String>,
    pub department_email: Option<String>,
    pub is_active: Option<bool>,
    pub visibility: Option<Audience>,
    pub transfers_enabled: Option<bool>,
}

/// Every department (departments route tickets, so any signed-in user may
/// list them; inactive ones only for managers).
pub async fn list_departments_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Vec<departments::Model>> {
    viewer.require_user()?;
    let mut q = departments::Entity::find().order_by_asc(departments::Column::Name);
    if !viewer.can(perms::DEPARTMENTS_MANAGE) {
        q = q.filter(departments::Column::IsActive.eq(true));
    }
    Ok(q.all(conn).await?)
}

/// [`list_departments_in`] on the read pool.
pub async fn list_departments(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<departments::Model>> {
    list_departments_in(&ctx.db.read, viewer).await
}

/// Departments by id, for loaders: one statement for any number of ids.
pub async fn departments_by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, departments::Model>> {
    Ok(departments::Entity::find()
        .filter(departments::Column::Id.is_in(ids.to_vec()))
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect())
}

/// Creates (id None) or updates a department (`departments.manage`).
pub async fn save_department(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Option<Uuid>,
    input: DepartmentInput,
) -> AppResult<departments::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = save_department_in(&tx, viewer, id, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// [`save_department`] inside `tx`.
pub async fn save_department_in(
    tx: &Tx,
    viewer: &Viewer,
    id: Option<Uuid>,
    input: DepartmentInput,
) -> AppResult<departments::Model> {
    let db: &DatabaseTransaction = tx;
    viewer.require(perms::DEPARTMENTS_MANAGE)?;
    let (mut a, before): (departments::ActiveModel, _) = match id {
        Some(id) => {
            let m = departments::Entity::find_by_id(id)
                .one(db)
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
        a.visibility = Set(v.to_value());
    }
    if let Some(v) = input.transfers_enabled {
        a.transfers_enabled = Set(v);
    }
    let m = if id.is_some() {
        a.update(db).await?
    } else {
        a.insert(db).await?
    };
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            if id.is_some() { Action::Update } else { Action::Create },
            Module::Identity,
            crate::service::audit::AuditEntity::Department,
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
    Ok(m)
}

/// Sets the departments an agent works in (`departments.manage`).
pub async fn set_user_departments(
    ctx: &AppContext,
    viewer: &Viewer,
    user_id: Uuid,
    department_ids: Vec<Uuid>,
) -> AppResult<Vec<Uuid>> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let ids = set_user_departments_in(&tx, viewer, user_id, department_ids).await?;
    tx.commit(&ctx.bus).await?;
    Ok(ids)
}

/// [`set_user_departments`] inside `tx`.
pub async fn set_user_departments_in(
    tx: &Tx,
    viewer: &Viewer,
    user_id: Uuid,
    department_ids: Vec<Uuid>,
) -> AppResult<Vec<Uuid>> {
    let db: &DatabaseTransaction = tx;
    viewer.require(perms::DEPARTMENTS_MANAGE)?;
    let user = ensure_user(db, user_id).await?;
    let before = departments_of(db, user_id).await?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM user_departments WHERE user_id = $1",
        [user_id.into()],
    ))
    .await?;
    for d in &department_ids {
        db.execute_raw(Statement::from_sql_and_values(
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
    let after = departments_of(db, user_id).await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user_id),
            "departments set",
        )
        .label(user.email)
        .before(json!({"departments": before}))
        .after(json!({"departments": after})),
    )
    .await?;
    Ok(after)
}

/// Departments of `user_id`.
pub async fn departments_of<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(departments_of_many(conn, &[user_id])
        .await?
        .remove(&user_id)
        .unwrap_or_default())
}

/// Departments of many users in one statement, for loaders; every user
/// asked about has an entry (empty when in no department), so a loader
/// caches the answer for them too.
pub async fn departments_of_many<C: ConnectionTrait>(conn: &C, users: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT user_id, department_id FROM user_departments WHERE user_id = ANY($1) \
             ORDER BY user_id, department_id",
            [users.to_vec().into()],
        ))
        .await?;
    let mut out: HashMap<Uuid, Vec<Uuid>> = users.iter().map(|u| (*u, Vec::new())).collect();
    for r in &rows {
        if let (Ok(u), Ok(d)) = (r.try_get::<Uuid>("", "user_id"), r.try_get::<Uuid>("", "department_id")) {
            out.entry(u).or_default().push(d);
        }
    }
    Ok(out)
}

/// Designations (`departments.manage` or `employees.manage`).
pub async fn list_designations_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
) -> AppResult<Vec<designations::Model>> {
    if !viewer.can(perms::DEPARTMENTS_MANAGE) && !viewer.can(perms::EMPLOYEES_MANAGE) {
        viewer.require_user()?;
        return Err(AppError::forbidden());
    }
    Ok(designations::Entity::find()
        .order_by_asc(designations::Column::Name)
        .all(conn)
        .await?)
}

/// [`list_designations_in`] on the read pool.
pub async fn list_designations(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<designations::Model>> {
    list_designations_in(&ctx.db.read, viewer).await
}

/// Designations by id, for loaders.
pub async fn designations_by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, designations::Model>> {
    Ok(designations::Entity::find()
        .filter(designations::Column::Id.is_in(ids.to_vec()))
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect())
}

/// A new designation.
#[derive(Clone, Debug)]
pub struct NewDesignation {
    pub name: String,
    pub code: String,
    pub department_id: Option<Uuid>,
    pub level: Option<String>,
}

/// Creates a designation (`departments.manage`).
pub async fn create_designation(
    ctx: &AppContext,
    viewer: &Viewer,
    input: NewDesignation,
) -> AppResult<designations::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = create_designation_in(&tx, viewer, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// [`create_designation`] inside `tx`.
pub async fn create_designation_in(tx: &Tx, viewer: &Viewer, input: NewDesignation) -> AppResult<designations::Model> {
    let db: &DatabaseTransaction = tx;
    viewer.require(perms::DEPARTMENTS_MANAGE)?;
    if input.name.trim().is_empty() || input.code.trim().is_empty() {
        return Err(AppError::invalid("name", "a designation needs a name and a code"));
    }
    let m = designations::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_string()),
        code: Set(input.code.trim().to_uppercase()),
        department_id: Set(input.department_id),
        level: Set(input.level),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Identity,
            crate::service::audit::AuditEntity::Designation,
            Some(m.id),
            "designation created",
        )
        .label(m.name.clone()),
    )
    .await?;
    Ok(m)
}

fn require_employee_reader(viewer: &Viewer) -> AppResult<()> {
    if !viewer.can(perms::EMPLOYEES_MANAGE) && !viewer.can(perms::USERS_READ) {
        viewer.require_user()?;
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// The sort key of the employee list: by employee code (unique).
pub type EmployeeCursor = (String, Uuid);

/// The cursor of an employee.
pub fn employee_cursor(e: &employees::Model) -> EmployeeCursor {
    (e.employee_code.clone(), e.id)
}

/// A page of employees by employee code (`employees.manage` or `users.read`).
pub async fn list_employees_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    page: &PageRequest<EmployeeCursor>,
) -> AppResult<Paged<employees::Model>> {
    require_employee_reader(viewer)?;
    let mut cond = Condition::all();
    for (op, (code, id)) in page.bounds(false) {
        cond = cond.add(Expr::cust_with_values(
            format!("(employee_code, id) {op} ($1, $2)"),
            [sea_orm::Value::from(code.clone()), sea_orm::Value::from(*id)],
        ));
    }
    let q = employees::Entity::find().filter(cond);
    let q = if page.sql_descending(false) {
        q.order_by_desc(employees::Column::EmployeeCode)
            .order_by_desc(employees::Column::Id)
    } else {
        q.order_by_asc(employees::Column::EmployeeCode)
            .order_by_asc(employees::Column::Id)
    };
    Ok(page.finish(q.limit(page.fetch()).all(conn).await?))
}

/// [`list_employees_in`] on the read pool.
pub async fn list_employees(
    ctx: &AppContext,
    viewer: &Viewer,
    page: &PageRequest<EmployeeCursor>,
) -> AppResult<Paged<employees::Model>> {
    list_employees_in(&ctx.db.read, viewer, page).await
}

/// How many employee records exist, for `totalCount`.
pub async fn count_employees(ctx: &AppContext, viewer: &Viewer) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    require_employee_reader(viewer)?;
    Ok(employees::Entity::find().count(&ctx.db.read).await?)
}

/// Employees by id, for loaders (an employee's manager).
pub async fn employees_by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, employees::Model>> {
    Ok(employees::Entity::find()
        .filter(employees::Column::Id.is_in(ids.to_vec()))
        .all(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect())
}

/// Fields of an employee record; `None` leaves a field.
#[derive(Clone, Debug, Default)]
pub struct EmployeeInput {
    pub employee_code: Option<String>,
    pub department_id: Option<Uuid>,
    pub designation_id: Option<Uuid>,
    pub joining_date: Option<chrono::NaiveDate>,
    pub employment_status: Option<EmploymentStatus>,
    pub manager_employee_id: Option<Uuid>,
}

/// Creates or updates the employee record of `user_id` (`employees.manage`).
pub async fn save_employee(
    ctx: &AppContext,
    viewer: &Viewer,
    user_id: Uuid,
    input: EmployeeInput,
) -> AppResult<employees::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = save_employee_in(&tx, viewer, user_id, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// [`save_employee`] inside `tx`.
pub async fn save_employee_in(
    tx: &Tx,
    viewer: &Viewer,
    user_id: Uuid,
    input: EmployeeInput,
) -> AppResult<employees::Model> {
    let db: &DatabaseTransaction = tx;
    viewer.require(perms::EMPLOYEES_MANAGE)?;
    let user = ensure_user(db, user_id).await?;
    let existing = employees::Entity::find()
        .filter(employees::Column::UserId.eq(user_id))
        .one(db)
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
        a.employment_status = Set(v.to_value());
    }
    if input.manager_employee_id.is_some() {
        a.manager_employee_id = Set(input.manager_employee_id);
    }
    let m = if is_new {
        a.insert(db).await?
    } else {
        a.update(db).await?
    };
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            if is_new { Action::Create } else { Action::Update },
            Module::Identity,
            crate::service::audit::AuditEntity::Employee,
            Some(m.id),
            "employee record saved",
        )
        .label(user.email)
        .after(json!({"employeeCode": m.employee_code, "employmentStatus": m.employment_status})),
    )
    .await?;
    Ok(m)
}
