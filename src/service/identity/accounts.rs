//! Account administration: creating accounts (sign-up's insert, the
//! `create-admin` command), reading and listing users, changing a password,
//! unlocking and suspending accounts. Signing in is in `signin`, lock-out
//! in `lockout`, ending sessions in `sessions`.

use entity::enums::{AccountType, ApprovalStatus, UserStatus};
use entity::users;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::email::Email;
use super::sessions::{end_sessions, Sessions};
use super::{perms, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::page::{PageRequest, Paged};

/// An account about to be created: checked and hashed already.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: Email,
    pub display_name: String,
    pub password_hash: String,
}

/// Looks a user up by email, case-insensitively (uses `users_email_key`).
pub async fn find_by_email<C: ConnectionTrait>(conn: &C, email: &Email) -> AppResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(sea_orm::sea_query::ExprTrait::eq(
            Func::lower(Expr::col(users::Column::Email)),
            email.as_str(),
        ))
        .one(conn)
        .await?)
}

/// Inserts an active account holding `role_key` (approved) with default
/// settings. `CONFLICT` on `email` when the address is taken in any case.
pub async fn insert_account(tx: &Tx, account: &NewAccount, role_key: &str) -> AppResult<users::Model> {
    let db: &DatabaseTransaction = tx;
    let email = &account.email;
    let taken = || AppError::conflict(Some("email"), format!("{email} is already registered"));
    if find_by_email(db, email).await?.is_some() {
        return Err(taken());
    }
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.to_string()),
        display_name: Set(account.display_name.clone()),
        password_hash: Set(Some(account.password_hash.clone())),
        account_type: Set(AccountType::Individual.to_value()),
        status: Set(UserStatus::Active.to_value()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => taken(),
        other => other,
    })?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO user_roles (user_id, role_id, status, approved_at) \
         SELECT $1, id, $3, now() FROM roles WHERE key = $2",
        [
            user.id.into(),
            role_key.into(),
            ApprovalStatus::Approved.to_value().into(),
        ],
    ))
    .await?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO user_settings (user_id) VALUES ($1)",
        [user.id.into()],
    ))
    .await?;
    Ok(user)
}

/// A user by id, visible to themselves and to `users.read`.
pub async fn user_by_id_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<Option<users::Model>> {
    let me = viewer.require_user()?;
    if me != id && !viewer.can(perms::USERS_READ) {
        return Err(AppError::forbidden());
    }
    Ok(users::Entity::find_by_id(id).one(conn).await?)
}

/// [`user_by_id_in`] on the read pool.
pub async fn user_by_id(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<Option<users::Model>> {
    user_by_id_in(&ctx.db.read, viewer, id).await
}

/// Filters for the users list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Matches email or display name (case-insensitive substring).
    pub search: Option<String>,
    /// Only accounts in this standing.
    pub status: Option<UserStatus>,
    /// Only holders of this approved role.
    pub role_key: Option<String>,
}

fn user_condition(filter: &UserFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(s) = filter
        .search
        .as_ref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        cond = cond.add(
            Condition::any()
                .add(users::Column::Email.like(pattern.clone()))
                .add(Expr::cust_with_values("lower(display_name) LIKE $1", [pattern])),
        );
    }
    if let Some(status) = filter.status {
        cond = cond.add(users::Column::Status.eq(status.to_value()));
    }
    if let Some(role) = &filter.role_key {
        cond = cond.add(Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
             WHERE ur.user_id = users.id AND ur.status = $1 AND r.key = $2)",
            [ApprovalStatus::Approved.to_value(), role.clone()],
        ));
    }
    cond
}

/// A page of users ordered newest first (`users.read`); ids are UUIDv7,
/// so the id is the keyset.
pub async fn list_users_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &UserFilter,
    page: &PageRequest<Uuid>,
) -> AppResult<Paged<users::Model>> {
    use sea_orm::QueryOrder;
    viewer.require(perms::USERS_READ)?;
    let mut cond = user_condition(filter);
    if let Some(after) = page.after {
        cond = cond.add(users::Column::Id.lt(after));
    }
    if let Some(before) = page.before {
        cond = cond.add(users::Column::Id.gt(before));
    }
    let q = users::Entity::find().filter(cond);
    let q = if page.sql_descending(true) {
        q.order_by_desc(users::Column::Id)
    } else {
        q.order_by_asc(users::Column::Id)
    };
    Ok(page.finish(q.limit(page.fetch()).all(conn).await?))
}

/// [`list_users_in`] on the read pool.
pub async fn list_users(
    ctx: &AppContext,
    viewer: &Viewer,
    filter: &UserFilter,
    page: &PageRequest<Uuid>,
) -> AppResult<Paged<users::Model>> {
    list_users_in(&ctx.db.read, viewer, filter, page).await
}

/// How many users match `filter` (`users.read`), for `totalCount`.
pub async fn count_users(ctx: &AppContext, viewer: &Viewer, filter: &UserFilter) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    viewer.require(perms::USERS_READ)?;
    Ok(users::Entity::find()
        .filter(user_condition(filter))
        .count(&ctx.db.read)
        .await?)
}

/// Changes the viewer's password (the current one is required) and ends
/// every other session. The check and the new hash happen before the
/// transaction opens (hashing is slow).
pub async fn change_password(ctx: &AppContext, viewer: &Viewer, current: &str, new: &str) -> AppResult<()> {
    let user_id = viewer.require_self_service(perms::PROFILE_MANAGE)?;
    super::password::check_policy(new).map_err(|m| AppError::invalid("newPassword", m))?;
    let user = users::Entity::find_by_id(user_id)
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    if !ctx.keys.passwords.verify(current, user.password_hash.as_deref()).await {
        return Err(AppError::invalid("currentPassword", "is not your current password"));
    }
    let hash = ctx.keys.passwords.hash(new).await?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    set_password_in(&tx, viewer, hash).await?;
    tx.commit(&ctx.bus).await.map_err(AppError::from)
}

/// Stores a new password hash for the viewer inside `tx` and ends every
/// other session of theirs (the second half of [`change_password`]).
pub async fn set_password_in(tx: &Tx, viewer: &Viewer, password_hash: String) -> AppResult<()> {
    let db: &DatabaseTransaction = tx;
    let user_id = viewer.require_self_service(perms::PROFILE_MANAGE)?;
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    let mut active: users::ActiveModel = user.into();
    active.password_hash = Set(Some(password_hash));
    active.update(db).await?;
    super::forget_sessions_on_commit(tx, user_id);
    end_sessions(tx, Sessions::AllOfExcept(user_id, viewer.session_id)).await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user_id),
            "password changed",
        ),
    )
    .await?;
    Ok(())
}

/// Clears a lock-out (admins, `users.manage`).
pub async fn unlock_user(ctx: &AppContext, viewer: &Viewer, user_id: Uuid) -> AppResult<users::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let user = unlock_user_in(&tx, viewer, user_id).await?;
    tx.commit(&ctx.bus).await?;
    super::lockout::reset(ctx, &user.email, true).await;
    Ok(user)
}

/// [`unlock_user`] inside `tx` (the caller resets the rate limiter's
/// counters after committing).
pub async fn unlock_user_in(tx: &Tx, viewer: &Viewer, user_id: Uuid) -> AppResult<users::Model> {
    let db: &DatabaseTransaction = tx;
    viewer.require(perms::USERS_MANAGE)?;
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    let before = json!({"failedLoginAttempts": user.failed_login_attempts, "lockedUntil": user.locked_until.map(|t| t.to_rfc3339())});
    let mut active: users::ActiveModel = user.into();
    active.failed_login_attempts = Set(0);
    active.locked_until = Set(None);
    let user = active.update(db).await?;
    super::forget_sessions_on_commit(tx, user.id);
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user.id),
            "account unlocked",
        )
        .label(user.email.clone())
        .before(before)
        .after(json!({"failedLoginAttempts": 0, "lockedUntil": null})),
    )
    .await?;
    Ok(user)
}

/// Suspends or reactivates another user's account (`users.manage`); a
/// suspension ends their sessions.
pub async fn set_user_status(
    ctx: &AppContext,
    viewer: &Viewer,
    user_id: Uuid,
    status: UserStatus,
) -> AppResult<users::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let user = set_user_status_in(&tx, viewer, user_id, status).await?;
    tx.commit(&ctx.bus).await?;
    Ok(user)
}

/// [`set_user_status`] inside `tx`.
pub async fn set_user_status_in(
    tx: &Tx,
    viewer: &Viewer,
    user_id: Uuid,
    status: UserStatus,
) -> AppResult<users::Model> {
    let db: &DatabaseTransaction = tx;
    let me = viewer.require(perms::USERS_MANAGE)?;
    if !matches!(status, UserStatus::Active | UserStatus::Suspended) {
        return Err(AppError::invalid("status", "must be ACTIVE or SUSPENDED"));
    }
    if me == user_id {
        return Err(AppError::invalid("userId", "you cannot change your own account status"));
    }
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    let before = user.status.clone();
    let status = status.to_value();
    let mut active: users::ActiveModel = user.into();
    active.status = Set(status.clone());
    let user = active.update(db).await?;
    super::forget_sessions_on_commit(tx, user.id);
    if status == UserStatus::Suspended.to_value() {
        end_sessions(tx, Sessions::AllOf(user.id)).await?;
        // Sockets on the user's API keys close too.
        super::signal_credentials_changed(tx, user.id).await?;
    }
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user.id),
            format!("account status set to {status}"),
        )
        .label(user.email.clone())
        .before(json!({"status": before}))
        .after(json!({"status": status})),
    )
    .await?;
    Ok(user)
}

/// Creates a super administrator (the `create-admin` command, no viewer).
/// Fails with `CONFLICT` on `email` when the address is taken.
pub async fn create_admin(
    ctx: &AppContext,
    email: &str,
    password: &str,
    display_name: &str,
) -> AppResult<users::Model> {
    let email = Email::parse(email)?;
    super::password::check_policy(password).map_err(|m| AppError::invalid("password", m))?;
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(AppError::invalid("displayName", "must not be empty"));
    }
    let account = NewAccount {
        email,
        display_name: display_name.to_string(),
        password_hash: ctx.keys.passwords.hash(password).await?,
    };
    let tx = Tx::begin(&ctx.db.primary).await?;
    let user = create_admin_in(&tx, &account).await?;
    tx.commit(&ctx.bus).await?;
    Ok(user)
}

/// [`create_admin`] inside `tx`, for an account already checked and hashed.
pub async fn create_admin_in(tx: &Tx, account: &NewAccount) -> AppResult<users::Model> {
    let user = insert_account(tx, account, "super_admin").await?;
    let db: &DatabaseTransaction = tx;
    audit::record(
        db,
        None,
        Entry::new(
            Action::Grant,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user.id),
            "administrator created from the command line",
        )
        .label(account.email.to_string())
        .after(json!({"roles": ["super_admin"]})),
    )
    .await?;
    Ok(user)
}

/// Users by id, for loaders: one statement for any number of ids.
pub async fn users_by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids.to_vec()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}
