//! Roles, permissions, role grants and the organisation (departments,
//! designations, employees).

use super::user_by_id;
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ApprovalStatus, Audience, EmploymentStatus};
use entity::{departments, designations, employees, roles, user_roles};

use super::{load_failed, User};
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::loaders::loaders;

/// A role users may hold.
pub struct Role(pub roles::Model);

impl From<roles::Model> for Role {
    fn from(m: roles::Model) -> Self {
        Role(m)
    }
}

/// A role users may hold; its permissions decide what holders may do.
#[Object]
impl Role {
    /// The role's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The stable key, such as `support_agent` (what `assignRole` takes).
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// The name shown to people.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Staff roles (INTERNAL) are granted by administrators; EXTERNAL roles
    /// (customers, professionals, companies) may be requested.
    async fn audience(&self) -> Result<Audience> {
        Ok(db_enum(&self.0.audience)?)
    }
    /// What the role is for.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Holders may review requests that need approval.
    async fn can_approve_requests(&self) -> bool {
        self.0.can_approve_requests
    }
    /// Holders may change system settings.
    async fn can_manage_system_settings(&self) -> bool {
        self.0.can_manage_system_settings
    }
}

/// A permission a role may grant.
pub struct Permission(pub entity::permissions::Model);

/// A permission a role may grant (an API-key scope too).
#[Object]
impl Permission {
    /// The key checked by the API, such as `tickets.reply`.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// A short name for people.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What holding it allows.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
}

/// A role held or requested by a user.
pub struct RoleGrant(pub user_roles::Model);

/// A role held or requested by a user: PENDING until reviewed, then APPROVED or REJECTED.
#[Object]
impl RoleGrant {
    /// The grant's id (for `reviewRoleRequest`).
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The user holding or asking for the role.
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    /// The user holding or asking for the role.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_by_id(ctx, self.0.user_id).await
    }
    /// The role's id.
    async fn role_id(&self) -> ID {
        id(self.0.role_id)
    }
    /// The role.
    async fn role(&self, ctx: &Context<'_>) -> Result<Option<Role>> {
        let r = loaders(ctx)?
            .identity
            .roles
            .load_one(self.0.role_id)
            .await
            .map_err(load_failed)?;
        Ok(r.map(Role))
    }
    /// Where the grant stands: PENDING until reviewed.
    async fn status(&self) -> Result<ApprovalStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    /// When it was approved.
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at.map(ts)
    }
    /// Who approved (or rejected) it.
    async fn approved_by_id(&self) -> Option<ID> {
        self.0.approved_by_user_id.map(id)
    }
    /// Who approved (or rejected) it.
    async fn approved_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(by) = self.0.approved_by_user_id else {
            return Ok(None);
        };
        user_by_id(ctx, by).await
    }
    /// When it was granted or requested.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A department (tickets are routed to departments).
pub struct Department(pub departments::Model);

/// A department: tickets are routed to departments, and agents work in them.
#[Object]
impl Department {
    /// The department's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The department's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A short upper-case code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// What the department handles.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The department's shared mailbox.
    async fn department_email(&self) -> Option<&str> {
        self.0.department_email.as_deref()
    }
    /// Inactive departments take no new tickets.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// Customers may pick EXTERNAL departments for their tickets; INTERNAL
    /// ones are for staff.
    async fn visibility(&self) -> Result<Audience> {
        Ok(db_enum(&self.0.visibility)?)
    }
    /// Whether tickets may be transferred into and out of it.
    async fn transfers_enabled(&self) -> bool {
        self.0.transfers_enabled
    }
}

/// A job title within the organisation.
pub struct Designation(pub designations::Model);

/// A job title within the organisation.
#[Object]
impl Designation {
    /// The designation's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The title.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A short upper-case code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The department it belongs to, if any.
    async fn department_id(&self) -> Option<ID> {
        self.0.department_id.map(id)
    }
    /// The department it belongs to, if any.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        department(ctx, self.0.department_id).await
    }
    /// A seniority level, free text.
    async fn level(&self) -> Option<&str> {
        self.0.level.as_deref()
    }
    /// Holders lead a team.
    async fn can_manage_team(&self) -> bool {
        self.0.can_manage_team
    }
    /// Holders may approve their team's requests.
    async fn can_approve(&self) -> bool {
        self.0.can_approve
    }
    /// Inactive designations are not given to new employees.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
}

async fn department(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Department>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let d = loaders(ctx)?
        .identity
        .departments
        .load_one(id)
        .await
        .map_err(load_failed)?;
    Ok(d.map(Department))
}

/// A staff member's employment record.
pub struct Employee(pub employees::Model);

/// A staff member's employment record.
#[Object]
impl Employee {
    /// The record's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The staff member's user id.
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    /// The staff member.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_by_id(ctx, self.0.user_id).await
    }
    /// The unique staff number.
    async fn employee_code(&self) -> &str {
        &self.0.employee_code
    }
    /// The department they work in.
    async fn department_id(&self) -> Option<ID> {
        self.0.department_id.map(id)
    }
    /// The department they work in.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        department(ctx, self.0.department_id).await
    }
    /// Their job title.
    async fn designation_id(&self) -> Option<ID> {
        self.0.designation_id.map(id)
    }
    /// Their job title.
    async fn designation(&self, ctx: &Context<'_>) -> Result<Option<Designation>> {
        let Some(d) = self.0.designation_id else {
            return Ok(None);
        };
        let d = loaders(ctx)?
            .identity
            .designations
            .load_one(d)
            .await
            .map_err(load_failed)?;
        Ok(d.map(Designation))
    }
    /// When they joined.
    async fn joining_date(&self) -> Option<chrono::NaiveDate> {
        self.0.joining_date
    }
    /// Whether they still work here.
    async fn employment_status(&self) -> Result<EmploymentStatus> {
        Ok(db_enum(&self.0.employment_status)?)
    }
    /// Their manager's employee record.
    async fn manager_employee_id(&self) -> Option<ID> {
        self.0.manager_employee_id.map(id)
    }
    /// Their manager's employee record.
    async fn manager(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        let Some(m) = self.0.manager_employee_id else {
            return Ok(None);
        };
        let m = loaders(ctx)?
            .identity
            .employees
            .load_one(m)
            .await
            .map_err(load_failed)?;
        Ok(m.map(Employee))
    }
}
