//! Identity and access over GraphQL: thin resolvers over
//! `service::identity`.

pub mod loaders;
pub mod oauth;
pub mod types;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::pagination::{connection, Page};
use crate::service::identity::{self, accounts, api_keys, roles, settings, totp};
use types::*;

/// Parses an `ID` argument as a UUID, naming the field on failure.
pub fn parse_id(id: &ID, field: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str()).map_err(|_| AppError::invalid(field, "is not a valid id"))
}

#[derive(InputObject)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    /// Required when two-factor sign-in is on: a 6-digit code or a recovery code.
    pub totp_code: Option<String>,
}

#[derive(InputObject)]
pub struct AssignRoleInput {
    pub user_id: ID,
    pub role_key: String,
}

#[derive(InputObject)]
pub struct RequestRoleInput {
    pub role_key: String,
}

#[derive(InputObject)]
pub struct ReviewRoleRequestInput {
    /// The role grant (`RoleGrant.id`).
    pub id: ID,
    pub approve: bool,
    /// Required when rejecting.
    pub remarks: Option<String>,
}

#[derive(InputObject)]
pub struct UserIdInput {
    pub user_id: ID,
}

#[derive(InputObject)]
pub struct SetUserStatusInput {
    pub user_id: ID,
    pub status: UserStatus,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

#[derive(InputObject)]
pub struct IdInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct CodeInput {
    /// A current 6-digit code (or, where allowed, a recovery code).
    pub code: String,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub name: String,
    /// Permission keys or self-service scopes, or `prefix.*` wildcards.
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default)]
pub struct UpdateSettingsInput {
    /// `DARK`, `LIGHT` or `AUTO`.
    pub theme: Option<String>,
    pub language: Option<String>,
    pub notify_email: Option<bool>,
    pub notify_push: Option<bool>,
    pub notify_sms: Option<bool>,
    pub notify_in_app: Option<bool>,
    pub display_currency: Option<String>,
    pub auto_logout_minutes: Option<i32>,
    pub settings_json: Option<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct DepartmentInput {
    /// Absent: create a department (name and code required).
    pub id: Option<ID>,
    pub name: Option<String>,
    pub code: Option<String>,
    pub description: Option<String>,
    pub department_email: Option<String>,
    pub is_active: Option<bool>,
    /// `INTERNAL` or `EXTERNAL`.
    pub visibility: Option<String>,
    pub transfers_enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct SetUserDepartmentsInput {
    pub user_id: ID,
    pub department_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct CreateDesignationInput {
    pub name: String,
    pub code: String,
    pub department_id: Option<ID>,
    pub level: Option<String>,
}

#[derive(InputObject)]
pub struct SaveEmployeeInput {
    pub user_id: ID,
    pub employee_code: Option<String>,
    pub department_id: Option<ID>,
    pub designation_id: Option<ID>,
    pub joining_date: Option<chrono::NaiveDate>,
    /// `ACTIVE`, `INACTIVE` or `TERMINATED`.
    pub employment_status: Option<String>,
    pub manager_employee_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct UserFilter {
    /// Part of an email or display name.
    pub search: Option<String>,
    pub status: Option<UserStatus>,
    pub role_key: Option<String>,
}

fn opt_id(id: Option<ID>, field: &str) -> Result<Option<Uuid>, AppError> {
    id.as_ref().map(|i| parse_id(i, field)).transpose()
}

/// Identity queries.
#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in user; null when anonymous.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let v = viewer(ctx);
        let Some(id) = v.user_id else {
            return Ok(None);
        };
        v.require_self_service(crate::service::identity::perms::PROFILE_READ)?;
        Ok(identity::user_by_id(app(ctx)?, v, id).await?.map(User::new))
    }

    /// A user (yourself, or anyone with `users.read`).
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let id = parse_id(&id, "id")?;
        Ok(identity::user_by_id(app(ctx)?, viewer(ctx), id).await?.map(User::new))
    }

    /// Users, newest first (`users.read`).
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilter>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, User, EmptyFields, EmptyFields>> {
        let page = Page::<Uuid>::forward(first, after)?;
        let f = filter.unwrap_or_default();
        let rows = identity::list_users(
            app(ctx)?,
            viewer(ctx),
            identity::UserFilter {
                search: f.search,
                status: f.status.map(|s| sea_orm::ActiveEnum::to_value(&s)),
                role_key: f.role_key,
            },
            page.after,
            page.fetch(),
        )
        .await?;
        Ok(connection(&page, rows, |u| u.id, User::new))
    }

    /// Roles that exist (any signed-in user).
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        Ok(roles::list_roles(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Role::from)
            .collect())
    }

    /// Every permission (`roles.manage` or `users.read`).
    async fn permissions(&self, ctx: &Context<'_>) -> Result<Vec<Permission>> {
        use sea_orm::{EntityTrait, QueryOrder};
        let v = viewer(ctx);
        v.require_user()?;
        if !v.can(crate::service::identity::perms::ROLES_MANAGE) && !v.can(crate::service::identity::perms::USERS_READ)
        {
            return Err(AppError::forbidden().into());
        }
        let rows = entity::permissions::Entity::find()
            .order_by_asc(entity::permissions::Column::Key)
            .all(&app(ctx)?.db.read)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|p| Permission {
                key: p.key,
                name: p.name,
                description: p.description,
            })
            .collect())
    }

    /// Role requests waiting for review (`roles.manage` or `approvals.review`).
    async fn role_requests(&self, ctx: &Context<'_>) -> Result<Vec<RoleGrant>> {
        Ok(roles::pending_role_requests(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(RoleGrant)
            .collect())
    }

    /// Departments (any signed-in user).
    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<Department>> {
        Ok(roles::list_departments(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Department)
            .collect())
    }

    /// Designations (`departments.manage` or `employees.manage`).
    async fn designations(&self, ctx: &Context<'_>) -> Result<Vec<Designation>> {
        Ok(roles::list_designations(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Designation)
            .collect())
    }

    /// Employees (`employees.manage` or `users.read`).
    async fn employees(&self, ctx: &Context<'_>) -> Result<Vec<Employee>> {
        Ok(roles::list_employees(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Employee)
            .collect())
    }
}

/// Identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates an account and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let s = accounts::register(
            app(ctx)?,
            viewer(ctx),
            accounts::RegisterInput {
                email: input.email,
                password: input.password,
                display_name: input.display_name,
            },
        )
        .await?;
        Ok(AuthPayload(s))
    }

    /// Signs in. With two-factor sign-in on, `totpCode` is required.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let s = accounts::login(
            app(ctx)?,
            viewer(ctx),
            accounts::LoginInput {
                email: input.email,
                password: input.password,
                totp_code: input.totp_code,
            },
        )
        .await?;
        Ok(AuthPayload(s))
    }

    /// Exchanges a refresh token for a new pair (the old one stops working;
    /// using it again ends the session).
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        Ok(AuthPayload(
            accounts::refresh(app(ctx)?, viewer(ctx), &refresh_token).await?,
        ))
    }

    /// Ends the current session.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(accounts::logout(app(ctx)?, viewer(ctx)).await?)
    }

    /// Ends one of your sessions.
    async fn revoke_session(&self, ctx: &Context<'_>, input: IdInput) -> Result<bool> {
        accounts::revoke_session(app(ctx)?, viewer(ctx), parse_id(&input.id, "id")?).await?;
        Ok(true)
    }

    /// Ends all your sessions, this one included; returns how many.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(accounts::sign_out_everywhere(app(ctx)?, viewer(ctx)).await? as i32)
    }

    /// Changes your password; your other sessions end.
    async fn change_password(&self, ctx: &Context<'_>, input: ChangePasswordInput) -> Result<bool> {
        accounts::change_password(app(ctx)?, viewer(ctx), &input.current_password, &input.new_password).await?;
        Ok(true)
    }

    /// Grants a role at once (`roles.manage`, and every permission of the role).
    async fn assign_role(&self, ctx: &Context<'_>, input: AssignRoleInput) -> Result<AssignRolePayload> {
        let app = app(ctx)?;
        let v = viewer(ctx);
        let id = roles::assign_role(app, v, parse_id(&input.user_id, "userId")?, &input.role_key).await?;
        user_payload(app, id).await.map(|user| AssignRolePayload { user })
    }

    /// Takes a role away (`roles.manage`).
    async fn revoke_role(&self, ctx: &Context<'_>, input: AssignRoleInput) -> Result<AssignRolePayload> {
        let app = app(ctx)?;
        let id = roles::revoke_role(app, viewer(ctx), parse_id(&input.user_id, "userId")?, &input.role_key).await?;
        user_payload(app, id).await.map(|user| AssignRolePayload { user })
    }

    /// Asks for a role that needs review (professions, company, candidate).
    async fn request_role(&self, ctx: &Context<'_>, input: RequestRoleInput) -> Result<RoleRequestPayload> {
        let row = roles::request_role(app(ctx)?, viewer(ctx), &input.role_key).await?;
        Ok(RoleRequestPayload {
            request: RoleGrant(row),
        })
    }

    /// Approves or rejects a role request.
    async fn review_role_request(
        &self,
        ctx: &Context<'_>,
        input: ReviewRoleRequestInput,
    ) -> Result<RoleRequestPayload> {
        let row = roles::review_role_request(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.id, "id")?,
            input.approve,
            input.remarks,
        )
        .await?;
        Ok(RoleRequestPayload {
            request: RoleGrant(row),
        })
    }

    /// Lifts a lock-out (`users.manage`).
    async fn unlock_user(&self, ctx: &Context<'_>, input: UserIdInput) -> Result<UserPayload> {
        let u = accounts::unlock_user(app(ctx)?, viewer(ctx), parse_id(&input.user_id, "userId")?).await?;
        Ok(UserPayload { user: User::new(u) })
    }

    /// Suspends or reactivates an account (`users.manage`).
    async fn set_user_status(&self, ctx: &Context<'_>, input: SetUserStatusInput) -> Result<UserPayload> {
        let u = accounts::set_user_status(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.user_id, "userId")?,
            &sea_orm::ActiveEnum::to_value(&input.status),
        )
        .await?;
        Ok(UserPayload { user: User::new(u) })
    }

    /// Starts two-factor enrolment: shows the secret once.
    async fn enroll_totp(&self, ctx: &Context<'_>) -> Result<TotpEnrolment> {
        let e = totp::enrol(app(ctx)?, viewer(ctx)).await?;
        Ok(TotpEnrolment {
            secret: e.secret,
            otpauth_url: e.otpauth_url,
        })
    }

    /// Turns two-factor sign-in on with a current code; shows recovery codes once.
    async fn confirm_totp(&self, ctx: &Context<'_>, input: CodeInput) -> Result<RecoveryCodesPayload> {
        let codes = totp::confirm(app(ctx)?, viewer(ctx), &input.code).await?;
        Ok(RecoveryCodesPayload { recovery_codes: codes })
    }

    /// Turns two-factor sign-in off (a current or recovery code is required).
    async fn disable_totp(&self, ctx: &Context<'_>, input: CodeInput) -> Result<bool> {
        totp::disable(app(ctx)?, viewer(ctx), &input.code).await?;
        Ok(true)
    }

    /// Replaces your recovery codes (a current code is required).
    async fn regenerate_recovery_codes(&self, ctx: &Context<'_>, input: CodeInput) -> Result<RecoveryCodesPayload> {
        let codes = totp::regenerate_recovery_codes(app(ctx)?, viewer(ctx), &input.code).await?;
        Ok(RecoveryCodesPayload { recovery_codes: codes })
    }

    /// Creates an API key; the key is in this response only.
    async fn create_api_key(&self, ctx: &Context<'_>, input: CreateApiKeyInput) -> Result<CreateApiKeyPayload> {
        let created = api_keys::create(app(ctx)?, viewer(ctx), &input.name, input.scopes, input.expires_at).await?;
        Ok(CreateApiKeyPayload {
            key: created.key,
            api_key: ApiKey(created.model),
        })
    }

    /// Revokes an API key.
    async fn revoke_api_key(&self, ctx: &Context<'_>, input: IdInput) -> Result<ApiKeyPayload> {
        let k = api_keys::revoke(app(ctx)?, viewer(ctx), parse_id(&input.id, "id")?).await?;
        Ok(ApiKeyPayload { api_key: ApiKey(k) })
    }

    /// Updates your preferences.
    async fn update_settings(&self, ctx: &Context<'_>, input: UpdateSettingsInput) -> Result<UserSettingsPayload> {
        let s = settings::update(
            app(ctx)?,
            viewer(ctx),
            settings::SettingsInput {
                theme: input.theme,
                language: input.language,
                notify_email: input.notify_email,
                notify_push: input.notify_push,
                notify_sms: input.notify_sms,
                notify_in_app: input.notify_in_app,
                display_currency: input.display_currency,
                auto_logout_minutes: input.auto_logout_minutes,
                settings_json: input.settings_json.map(|j| j.0),
            },
        )
        .await?;
        Ok(UserSettingsPayload {
            settings: UserSettings(s),
        })
    }

    /// Creates or updates a department (`departments.manage`).
    async fn save_department(&self, ctx: &Context<'_>, input: DepartmentInput) -> Result<DepartmentPayload> {
        let d = roles::save_department(
            app(ctx)?,
            viewer(ctx),
            opt_id(input.id, "id")?,
            roles::DepartmentInput {
                name: input.name,
                code: input.code,
                description: input.description,
                department_email: input.department_email,
                is_active: input.is_active,
                visibility: input.visibility,
                transfers_enabled: input.transfers_enabled,
            },
        )
        .await?;
        Ok(DepartmentPayload {
            department: Department(d),
        })
    }

    /// Sets the departments an agent works in (`departments.manage`).
    async fn set_user_departments(&self, ctx: &Context<'_>, input: SetUserDepartmentsInput) -> Result<UserPayload> {
        let app = app(ctx)?;
        let user_id = parse_id(&input.user_id, "userId")?;
        let ids = input
            .department_ids
            .iter()
            .map(|d| parse_id(d, "departmentIds"))
            .collect::<Result<Vec<_>, _>>()?;
        roles::set_user_departments(app, viewer(ctx), user_id, ids).await?;
        Ok(UserPayload {
            user: user_payload(app, user_id).await?,
        })
    }

    /// Creates a designation (`departments.manage`).
    async fn create_designation(&self, ctx: &Context<'_>, input: CreateDesignationInput) -> Result<DesignationPayload> {
        let d = roles::create_designation(
            app(ctx)?,
            viewer(ctx),
            &input.name,
            &input.code,
            opt_id(input.department_id, "departmentId")?,
            input.level,
        )
        .await?;
        Ok(DesignationPayload {
            designation: Designation(d),
        })
    }

    /// Creates or updates a user's employee record (`employees.manage`).
    async fn save_employee(&self, ctx: &Context<'_>, input: SaveEmployeeInput) -> Result<EmployeePayload> {
        let e = roles::save_employee(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.user_id, "userId")?,
            roles::EmployeeInput {
                employee_code: input.employee_code,
                department_id: opt_id(input.department_id, "departmentId")?,
                designation_id: opt_id(input.designation_id, "designationId")?,
                joining_date: input.joining_date,
                employment_status: input.employment_status,
                manager_employee_id: opt_id(input.manager_employee_id, "managerEmployeeId")?,
            },
        )
        .await?;
        Ok(EmployeePayload { employee: Employee(e) })
    }
}

async fn user_payload(app: &crate::app::AppContext, id: Uuid) -> Result<User> {
    use sea_orm::EntityTrait;
    entity::users::Entity::find_by_id(id)
        .one(&app.db.primary)
        .await
        .map_err(AppError::from)?
        .map(User::new)
        .ok_or_else(|| AppError::NotFound("user".into()).into())
}
