//! Identity mutations: each parses its input, calls one service function
//! and maps the result.

use async_graphql::{Context, Object, Result};
use uuid::Uuid;

use super::inputs::*;
use super::types::*;
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{parse_id, parse_opt_id};
use crate::service::identity::{accounts, api_keys, org, roles, sessions, settings, signin, totp};

/// Identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

/// The user `id` as it is now, for payloads.
async fn user_payload(app: &crate::app::AppContext, id: Uuid) -> Result<User> {
    accounts::users_by_ids(&app.db.primary, &[id])
        .await?
        .remove(&id)
        .map(User::new)
        .ok_or_else(|| AppError::NotFound("user".into()).into())
}

#[Object]
impl IdentityMutation {
    /// Creates an account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account: email, password and display name.")] input: RegisterInput,
    ) -> Result<AuthPayload> {
        let s = signin::register(
            app(ctx)?,
            viewer(ctx),
            signin::RegisterInput {
                email: input.email,
                password: input.password,
                display_name: input.display_name,
            },
        )
        .await?;
        Ok(AuthPayload(s))
    }

    /// Signs in. With two-factor sign-in on, `totpCode` is required.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The credentials, with a two-factor code when it is on.")] input: LoginInput,
    ) -> Result<AuthPayload> {
        let s = signin::login(
            app(ctx)?,
            viewer(ctx),
            signin::LoginInput {
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
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token of the last sign-in or refresh.")] refresh_token: String,
    ) -> Result<AuthPayload> {
        Ok(AuthPayload(
            signin::refresh(app(ctx)?, viewer(ctx), &refresh_token).await?,
        ))
    }

    /// Ends the current session; false when it had ended already.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(sessions::logout(app(ctx)?, viewer(ctx)).await?)
    }

    /// Ends one of your sessions (`Session.id`).
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session to end.")] input: IdInput,
    ) -> Result<bool> {
        sessions::revoke_session(app(ctx)?, viewer(ctx), parse_id(&input.id, "id")?).await?;
        Ok(true)
    }

    /// Ends all your sessions, this one included; returns how many.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(sessions::sign_out_everywhere(app(ctx)?, viewer(ctx)).await? as i32)
    }

    /// Changes your password; your other sessions end.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current password and the new one.")] input: ChangePasswordInput,
    ) -> Result<bool> {
        accounts::change_password(app(ctx)?, viewer(ctx), &input.current_password, &input.new_password).await?;
        Ok(true)
    }

    /// Grants a role at once (`roles.manage`, and every permission of the role).
    async fn assign_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and the role to grant.")] input: AssignRoleInput,
    ) -> Result<AssignRolePayload> {
        let app = app(ctx)?;
        let id = roles::assign_role(app, viewer(ctx), parse_id(&input.user_id, "userId")?, &input.role_key).await?;
        user_payload(app, id).await.map(|user| AssignRolePayload { user })
    }

    /// Takes a role away (`roles.manage`).
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and the role to take away.")] input: AssignRoleInput,
    ) -> Result<AssignRolePayload> {
        let app = app(ctx)?;
        let id = roles::revoke_role(app, viewer(ctx), parse_id(&input.user_id, "userId")?, &input.role_key).await?;
        user_payload(app, id).await.map(|user| AssignRolePayload { user })
    }

    /// Asks for a role that needs review (professions, company, candidate).
    async fn request_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The role you ask for.")] input: RequestRoleInput,
    ) -> Result<RoleRequestPayload> {
        let row = roles::request_role(app(ctx)?, viewer(ctx), &input.role_key).await?;
        Ok(RoleRequestPayload {
            request: RoleGrant(row),
        })
    }

    /// Approves or rejects a role request.
    async fn review_role_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request and the decision.")] input: ReviewRoleRequestInput,
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
    async fn unlock_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to unlock.")] input: UserIdInput,
    ) -> Result<UserPayload> {
        let u = accounts::unlock_user(app(ctx)?, viewer(ctx), parse_id(&input.user_id, "userId")?).await?;
        Ok(UserPayload { user: User::new(u) })
    }

    /// Suspends or reactivates an account (`users.manage`).
    async fn set_user_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and the new status.")] input: SetUserStatusInput,
    ) -> Result<UserPayload> {
        let u = accounts::set_user_status(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.user_id, "userId")?,
            input.status,
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
    async fn confirm_totp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A current authenticator code (or a recovery code).")] input: CodeInput,
    ) -> Result<RecoveryCodesPayload> {
        let codes = totp::confirm(app(ctx)?, viewer(ctx), &input.code).await?;
        Ok(RecoveryCodesPayload { recovery_codes: codes })
    }

    /// Turns two-factor sign-in off (a current or recovery code is required).
    async fn disable_totp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A current authenticator code (or a recovery code).")] input: CodeInput,
    ) -> Result<bool> {
        totp::disable(app(ctx)?, viewer(ctx), &input.code).await?;
        Ok(true)
    }

    /// Replaces your recovery codes (a current code is required).
    async fn regenerate_recovery_codes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A current authenticator code (or a recovery code).")] input: CodeInput,
    ) -> Result<RecoveryCodesPayload> {
        let codes = totp::regenerate_recovery_codes(app(ctx)?, viewer(ctx), &input.code).await?;
        Ok(RecoveryCodesPayload { recovery_codes: codes })
    }

    /// Creates an API key; the key is in this response only.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's name, scopes and expiry.")] input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        let created = api_keys::create(app(ctx)?, viewer(ctx), &input.name, input.scopes, input.expires_at).await?;
        Ok(CreateApiKeyPayload {
            key: created.key,
            api_key: ApiKey(created.model),
        })
    }

    /// Revokes an API key (yours, or anyone's with `api_keys.manage`).
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key to revoke.")] input: IdInput,
    ) -> Result<ApiKeyPayload> {
        let k = api_keys::revoke(app(ctx)?, viewer(ctx), parse_id(&input.id, "id")?).await?;
        Ok(ApiKeyPayload { api_key: ApiKey(k) })
    }

    /// Updates your preferences; returns them and you.
    async fn update_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The settings to change; omitted ones stay.")] input: UpdateSettingsInput,
    ) -> Result<UserSettingsPayload> {
        let app = app(ctx)?;
        let s = settings::update(
            app,
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
        let user = user_payload(app, s.user_id).await?;
        Ok(UserSettingsPayload {
            settings: UserSettings(s),
            user,
        })
    }

    /// Creates or updates a department (`departments.manage`).
    async fn save_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The department; with an id it is updated.")] input: DepartmentInput,
    ) -> Result<DepartmentPayload> {
        let d = org::save_department(
            app(ctx)?,
            viewer(ctx),
            parse_opt_id(input.id.as_ref(), "id")?,
            org::DepartmentInput {
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
    async fn set_user_departments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and the full list of their departments.")] input: SetUserDepartmentsInput,
    ) -> Result<UserPayload> {
        let app = app(ctx)?;
        let user_id = parse_id(&input.user_id, "userId")?;
        let ids = input
            .department_ids
            .iter()
            .map(|d| parse_id(d, "departmentIds"))
            .collect::<Result<Vec<_>, _>>()?;
        org::set_user_departments(app, viewer(ctx), user_id, ids).await?;
        Ok(UserPayload {
            user: user_payload(app, user_id).await?,
        })
    }

    /// Creates a designation (`departments.manage`).
    async fn create_designation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The designation to create.")] input: CreateDesignationInput,
    ) -> Result<DesignationPayload> {
        let d = org::create_designation(
            app(ctx)?,
            viewer(ctx),
            org::NewDesignation {
                name: input.name,
                code: input.code,
                department_id: parse_opt_id(input.department_id.as_ref(), "departmentId")?,
                level: input.level,
            },
        )
        .await?;
        Ok(DesignationPayload {
            designation: Designation(d),
        })
    }

    /// Creates or updates a user's employee record (`employees.manage`).
    async fn save_employee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee record; with an id it is updated.")] input: SaveEmployeeInput,
    ) -> Result<EmployeePayload> {
        let e = org::save_employee(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.user_id, "userId")?,
            org::EmployeeInput {
                employee_code: input.employee_code,
                department_id: parse_opt_id(input.department_id.as_ref(), "departmentId")?,
                designation_id: parse_opt_id(input.designation_id.as_ref(), "designationId")?,
                joining_date: input.joining_date,
                employment_status: input.employment_status,
                manager_employee_id: parse_opt_id(input.manager_employee_id.as_ref(), "managerEmployeeId")?,
            },
        )
        .await?;
        Ok(EmployeePayload { employee: Employee(e) })
    }
}
