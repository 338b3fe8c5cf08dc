//! Accounts and sessions: sign-up, sign-in (with lock-out, rate limits and
//! two-factor codes), refresh-token rotation with reuse detection, sign-out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{refresh_tokens, user_sessions, users};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{totp, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::crypto::{random_token, token_hash};
use crate::service::audit::{self, Action, Entry, Module};

/// What a successful sign-in (or refresh) hands the client.
#[derive(Clone, Debug)]
pub struct AuthSession {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub session_id: Uuid,
    pub user: users::Model,
}

/// A new account.
#[derive(Clone, Debug)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// Credentials for signing in.
#[derive(Clone, Debug)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    pub totp_code: Option<String>,
}

/// One message for every bad email/password pair, known account or not.
fn invalid_credentials() -> AppError {
    AppError::Unauthenticated("invalid email or password".into())
}

pub(crate) fn locked(retry_after_secs: u64) -> AppError {
    AppError::RateLimited {
        retry_after_secs,
        reason: "this account is locked after repeated failed sign-ins",
    }
}

/// Trims and lower-cases an email and checks its shape. Emails are stored
/// lower-cased; the unique index is on `lower(email)` as well.
pub fn normalize_email(raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
                && email.matches('@').count() == 1
        });
    if valid {
        Ok(email)
    } else {
        Err(AppError::invalid("email", "is not a valid email address"))
    }
}

fn device_type(user_agent: Option<&str>) -> &'static str {
    let Some(ua) = user_agent.map(str::to_ascii_lowercase) else {
        return "UNKNOWN";
    };
    if ua.contains("ipad") || ua.contains("tablet") {
        "TABLET"
    } else if ua.contains("mobi") || ua.contains("android") || ua.contains("iphone") {
        "MOBILE"
    } else if ua.contains("mozilla") || ua.contains("windows") || ua.contains("macintosh") || ua.contains("x11") {
        "DESKTOP"
    } else {
        "UNKNOWN"
    }
}

/// Looks a user up by email, case-insensitively (uses `users_email_key`).
pub async fn find_by_email<C: ConnectionTrait>(conn: &C, email: &str) -> AppResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(sea_orm::sea_query::ExprTrait::eq(
            Func::lower(Expr::col(users::Column::Email)),
            email.to_lowercase(),
        ))
        .one(conn)
        .await?)
}

/// Opens a session for `user`: a `user_sessions` row, a refresh token and
/// an access token. Callers commit the transaction.
pub async fn start_session(
    txn: &DatabaseTransaction,
    ctx: &AppContext,
    user: &users::Model,
    client: &Viewer,
) -> AppResult<AuthSession> {
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(ctx.config.auth.refresh_token_ttl).unwrap_or(chrono::Duration::days(30));
    let session_id = Uuid::now_v7();
    user_sessions::ActiveModel {
        id: Set(session_id),
        user_id: Set(user.id),
        session_token_hash: Set(token_hash(&random_token(32))),
        ip_address: Set(client.ip_address.clone()),
        user_agent: Set(client.user_agent.clone()),
        device_type: Set(device_type(client.user_agent.as_deref()).to_string()),
        last_active_at: Set(now.into()),
        expires_at: Set((now + ttl).into()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let refresh_token = new_refresh_token(txn, user.id, session_id, now + ttl).await?.0;
    let (access_token, expires_at) = ctx.keys.tokens.issue(user.id, session_id);
    Ok(AuthSession {
        access_token,
        refresh_token,
        expires_at,
        session_id,
        user: user.clone(),
    })
}

async fn new_refresh_token(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    session_id: Uuid,
    expires_at: DateTime<Utc>,
) -> AppResult<(String, Uuid)> {
    let token = format!("rt_{}", random_token(32));
    let id = Uuid::now_v7();
    refresh_tokens::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        session_id: Set(session_id),
        token_hash: Set(token_hash(&token)),
        expires_at: Set(expires_at.into()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok((token, id))
}

/// Inserts an active account holding `role_key` (approved) with default
/// settings. `CONFLICT` on `email` when the address is taken in any case.
async fn insert_account(
    txn: &DatabaseTransaction,
    email: &str,
    display_name: &str,
    password_hash: String,
    role_key: &str,
) -> AppResult<users::Model> {
    let taken = || AppError::conflict(Some("email"), format!("{email} is already registered"));
    if find_by_email(txn, email).await?.is_some() {
        return Err(taken());
    }
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.to_string()),
        display_name: Set(display_name.to_string()),
        password_hash: Set(Some(password_hash)),
        account_type: Set("INDIVIDUAL".into()),
        status: Set("ACTIVE".into()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => taken(),
        other => other,
    })?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO user_roles (user_id, role_id, status, approved_at) \
         SELECT $1, id, 'APPROVED', now() FROM roles WHERE key = $2",
        [user.id.into(), role_key.into()],
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO user_settings (user_id) VALUES ($1)",
        [user.id.into()],
    ))
    .await?;
    Ok(user)
}

/// Creates an account (role `customer`, default settings) and signs it in.
pub async fn register(ctx: &AppContext, client: &Viewer, input: RegisterInput) -> AppResult<AuthSession> {
    let mut problems = Vec::new();
    let email = match normalize_email(&input.email) {
        Ok(e) => Some(e),
        Err(_) => {
            problems.push(crate::error::FieldError {
                field: "email".into(),
                message: "is not a valid email address".into(),
            });
            None
        }
    };
    if let Err(msg) = super::password::check_policy(&input.password) {
        problems.push(crate::error::FieldError {
            field: "password".into(),
            message: msg,
        });
    }
    let display_name = input.display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        problems.push(crate::error::FieldError {
            field: "displayName".into(),
            message: "must be 1 to 100 characters".into(),
        });
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let email = email.unwrap_or_default();
    let ip = client.ip_address.clone().unwrap_or_default();
    ctx.limiter
        .hit(
            &format!("register:addr:{ip}"),
            ctx.config.auth.register_rate_per_address,
            Duration::from_secs(3600),
        )
        .await
        .map_err(|l| AppError::RateLimited {
            retry_after_secs: l.retry_after_secs,
            reason: "too many sign-ups from this address",
        })?;
    let hash = ctx.keys.passwords.hash(&input.password).await?;
    let txn = ctx.db.primary.begin().await?;
    let user = insert_account(&txn, &email, &display_name, hash, "customer").await?;
    let session = start_session(&txn, ctx, &user, client).await?;
    let actor = Viewer {
        user_id: Some(user.id),
        ..client.clone()
    };
    audit::record(
        &txn,
        Some(&actor),
        Entry::new(
            Action::Create,
            Module::Identity,
            "USER",
            Some(user.id),
            "account registered",
        )
        .label(email)
        .after(json!({"status": "ACTIVE", "roles": ["customer"]})),
    )
    .await?;
    txn.commit().await?;
    Ok(session)
}

/// Signs in with email and password (and a two-factor code when enabled).
pub async fn login(ctx: &AppContext, client: &Viewer, input: LoginInput) -> AppResult<AuthSession> {
    let auth = &ctx.config.auth;
    limit_address(ctx, client).await?;
    let email = input.email.trim().to_lowercase();
    limit_account(ctx, &email).await?;
    let user = match normalize_email(&email) {
        Ok(e) => find_by_email(&ctx.db.primary, &e).await?,
        Err(_) => None,
    };
    let password_ok = ctx
        .keys
        .passwords
        .verify(&input.password, user.as_ref().and_then(|u| u.password_hash.as_deref()))
        .await;
    let Some(user) = user else {
        // Unknown accounts lock like real ones, so lock-out reveals nothing.
        let failures_key = format!("login:fail:{email}");
        let (count, left) = ctx.limiter.increment(&failures_key, auth.lock_duration).await;
        if count > u64::from(auth.max_failures) {
            return Err(locked(left));
        }
        return Err(invalid_credentials());
    };
    if let Some(retry) = locked_for(&user) {
        return Err(locked(retry));
    }
    if !password_ok {
        return Err(record_failure(ctx, client, &user, "wrong password").await);
    }
    let rehash = if ctx
        .keys
        .passwords
        .needs_rehash(user.password_hash.as_deref().unwrap_or_default())
    {
        Some(ctx.keys.passwords.hash(&input.password).await?)
    } else {
        None
    };
    finish_sign_in(
        ctx,
        client,
        user,
        input.totp_code.as_deref(),
        rehash,
        "signed in",
        json!({"method": "password"}),
    )
    .await
}

/// Seconds left on a lock-out, if the account is locked.
pub(crate) fn locked_for(user: &users::Model) -> Option<u64> {
    let now = Utc::now();
    user.locked_until
        .filter(|u| *u > now)
        .map(|until| (until.with_timezone(&Utc) - now).num_seconds().max(1) as u64)
}

/// Everything after the first factor checked out, for every sign-in method:
/// lock-out, the two-factor code, account standing, then a new session and
/// the audit row. A wrong two-factor code counts as a failed sign-in.
pub(crate) async fn finish_sign_in(
    ctx: &AppContext,
    client: &Viewer,
    user: users::Model,
    totp_code: Option<&str>,
    new_password_hash: Option<String>,
    summary: &str,
    metadata: serde_json::Value,
) -> AppResult<AuthSession> {
    if let Some(retry) = locked_for(&user) {
        return Err(locked(retry));
    }
    if user.two_factor_enabled {
        match totp_code.map(str::trim).filter(|c| !c.is_empty()) {
            None => {
                return Err(AppError::invalid(
                    "totpCode",
                    "a two-factor code is required for this account",
                ))
            }
            Some(code) => {
                if !totp::check_login_code(ctx, &user, code).await? {
                    let _ = record_failure(ctx, client, &user, "wrong two-factor code").await;
                    return Err(AppError::invalid("totpCode", "the two-factor code is not valid"));
                }
            }
        }
    }
    if user.status != "ACTIVE" {
        return Err(AppError::Forbidden(format!(
            "this account is {}; contact support",
            user.status.to_lowercase()
        )));
    }
    let txn = ctx.db.primary.begin().await?;
    let mut active: users::ActiveModel = user.into();
    active.failed_login_attempts = Set(0);
    active.locked_until = Set(None);
    active.last_login_at = Set(Some(Utc::now().into()));
    if let Some(h) = new_password_hash {
        active.password_hash = Set(Some(h));
    }
    let user = active.update(&txn).await?;
    let session = start_session(&txn, ctx, &user, client).await?;
    let actor = Viewer {
        user_id: Some(user.id),
        ..client.clone()
    };
    audit::record(
        &txn,
        Some(&actor),
        Entry::new(
            Action::Login,
            Module::Identity,
            "USER_SESSION",
            Some(session.session_id),
            summary,
        )
        .label(user.email.clone())
        .metadata(metadata),
    )
    .await?;
    txn.commit().await?;
    ctx.limiter.reset(&format!("login:fail:{}", user.email)).await;
    Ok(session)
}

/// Refuses a sign-in attempt over the per-address limit.
pub(crate) async fn limit_address(ctx: &AppContext, client: &Viewer) -> AppResult<()> {
    let ip = client.ip_address.clone().unwrap_or_default();
    ctx.limiter
        .hit(
            &format!("login:addr:{ip}"),
            ctx.config.auth.rate_per_address,
            Duration::from_secs(60),
        )
        .await
        .map_err(|l| AppError::RateLimited {
            retry_after_secs: l.retry_after_secs,
            reason: "too many sign-in attempts from this address",
        })
}

/// Refuses a sign-in attempt over the per-account limit.
pub(crate) async fn limit_account(ctx: &AppContext, email: &str) -> AppResult<()> {
    ctx.limiter
        .hit(
            &format!("login:acct:{email}"),
            ctx.config.auth.rate_per_account,
            Duration::from_secs(60),
        )
        .await
        .map_err(|l| AppError::RateLimited {
            retry_after_secs: l.retry_after_secs,
            reason: "too many sign-in attempts for this account",
        })
}

/// Counts a failed sign-in, locking the account at the configured number
/// of failures in a row (atomically, so concurrent guesses cannot skip it).
pub(crate) async fn record_failure(ctx: &AppContext, client: &Viewer, user: &users::Model, why: &str) -> AppError {
    let auth = &ctx.config.auth;
    let result: AppResult<AppError> = async {
        let txn = ctx.db.primary.begin().await?;
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE users SET failed_login_attempts = failed_login_attempts + 1, \
                 locked_until = CASE WHEN failed_login_attempts + 1 >= $2 \
                   THEN now() + make_interval(secs => $3) ELSE locked_until END \
                 WHERE id = $1 RETURNING failed_login_attempts, locked_until",
                [
                    user.id.into(),
                    (auth.max_failures as i32).into(),
                    (auth.lock_duration.as_secs() as f64).into(),
                ],
            ))
            .await?;
        let (failures, locked_until) = match row {
            Some(r) => (
                r.try_get::<i32>("", "failed_login_attempts").unwrap_or(0),
                r.try_get::<Option<DateTime<Utc>>>("", "locked_until").ok().flatten(),
            ),
            None => (0, None),
        };
        let actor = Viewer {
            user_id: None,
            ..client.clone()
        };
        audit::record(
            &txn,
            Some(&actor),
            Entry::new(
                Action::LoginFailed,
                Module::Identity,
                "USER",
                Some(user.id),
                format!("sign-in failed: {why}"),
            )
            .label(user.email.clone())
            .metadata(json!({"failedAttempts": failures}))
            .failed(),
        )
        .await?;
        let just_locked = failures == auth.max_failures as i32;
        if just_locked {
            audit::record(
                &txn,
                None,
                Entry::new(
                    Action::Update,
                    Module::Identity,
                    "USER",
                    Some(user.id),
                    "account locked after failed sign-ins",
                )
                .label(user.email.clone())
                .before(json!({"locked": false}))
                .after(json!({"locked": true, "lockedUntil": locked_until.map(|t| t.to_rfc3339())})),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(invalid_credentials())
    }
    .await;
    result.unwrap_or_else(|e| e)
}

/// Exchanges a refresh token for a new pair. A token that was already
/// exchanged (reuse: likely stolen) ends its whole session.
pub async fn refresh(ctx: &AppContext, client: &Viewer, token: &str) -> AppResult<AuthSession> {
    let invalid = || AppError::Unauthenticated("invalid or expired refresh token".into());
    let txn = ctx.db.primary.begin().await?;
    let Some(row) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash(token.trim())))
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Err(invalid());
    };
    if row.revoked_at.is_some() || row.replaced_by_id.is_some() {
        let ended = end_sessions(&txn, Sessions::One(row.session_id)).await? > 0;
        if ended {
            audit::record(
                &txn,
                None,
                Entry::new(
                    Action::Revoke,
                    Module::Identity,
                    "USER_SESSION",
                    Some(row.session_id),
                    "refresh token reused; session revoked",
                )
                .metadata(json!({"userId": row.user_id, "ip": client.ip_address})),
            )
            .await?;
        }
        txn.commit().await?;
        return Err(AppError::Unauthenticated(
            "this refresh token was already used; the session has been revoked, sign in again".into(),
        ));
    }
    let now = Utc::now();
    if row.expires_at < now {
        return Err(invalid());
    }
    let session = user_sessions::Entity::find_by_id(row.session_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
        .ok_or_else(invalid)?;
    let user = users::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.status == "ACTIVE")
        .ok_or_else(invalid)?;
    let (new_token, new_id) =
        new_refresh_token(&txn, user.id, session.id, session.expires_at.with_timezone(&Utc)).await?;
    let mut old: refresh_tokens::ActiveModel = row.into();
    old.revoked_at = Set(Some(now.into()));
    old.replaced_by_id = Set(Some(new_id));
    old.update(&txn).await?;
    let mut s: user_sessions::ActiveModel = session.clone().into();
    s.last_active_at = Set(now.into());
    if client.ip_address.is_some() {
        s.ip_address = Set(client.ip_address.clone());
    }
    s.update(&txn).await?;
    txn.commit().await?;
    let (access_token, expires_at) = ctx.keys.tokens.issue(user.id, session.id);
    Ok(AuthSession {
        access_token,
        refresh_token: new_token,
        expires_at,
        session_id: session.id,
        user,
    })
}

/// Which sessions to end.
#[derive(Clone, Copy, Debug)]
pub enum Sessions {
    /// One session.
    One(Uuid),
    /// Every session of a user.
    AllOf(Uuid),
    /// Every session of a user but one (a password change keeps the
    /// session that made it).
    AllOfExcept(Uuid, Option<Uuid>),
}

/// Revokes sessions and every refresh token of them; returns how many
/// sessions were still live.
pub async fn end_sessions<C: ConnectionTrait>(conn: &C, which: Sessions) -> AppResult<u64> {
    let (filter, values): (&str, Vec<sea_orm::Value>) = match which {
        Sessions::One(id) => ("id = $1", vec![id.into()]),
        Sessions::AllOf(user) => ("user_id = $1", vec![user.into()]),
        Sessions::AllOfExcept(user, keep) => (
            "user_id = $1 AND id IS DISTINCT FROM $2",
            vec![user.into(), keep.into()],
        ),
    };
    // One statement: the sessions that end now, then their refresh tokens
    // (every revocation goes through here, so ended sessions hold no live
    // token), and a notification per user, delivered when the transaction
    // commits, that closes the sockets those sessions hold on every
    // instance.
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "WITH ended AS (UPDATE user_sessions SET revoked_at = now() \
                   WHERE {filter} AND revoked_at IS NULL RETURNING id, user_id), \
                 tokens AS (UPDATE refresh_tokens SET revoked_at = now() \
                   WHERE revoked_at IS NULL AND session_id IN (SELECT id FROM ended)), \
                 signalled AS (SELECT pg_notify('{channel}', u.user_id::text) \
                   FROM (SELECT DISTINCT user_id FROM ended) u) \
                 SELECT (SELECT count(*) FROM ended) AS n, (SELECT count(*) FROM signalled) AS signalled",
                channel = super::CREDENTIALS_CHANNEL
            ),
            values,
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0).max(0) as u64)
}

/// Ends the viewer's current session.
pub async fn logout(ctx: &AppContext, viewer: &Viewer) -> AppResult<bool> {
    let user = viewer.require_user()?;
    let Some(session) = viewer.session_id else {
        return Ok(false);
    };
    let txn = ctx.db.primary.begin().await?;
    let ended = end_sessions(&txn, Sessions::One(session)).await? > 0;
    if ended {
        audit::record(
            &txn,
            Some(viewer),
            Entry::new(
                Action::Logout,
                Module::Identity,
                "USER_SESSION",
                Some(session),
                "signed out",
            )
            .metadata(json!({"userId": user})),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ended)
}

/// The viewer's sessions, newest first (active and ended in the last 30 days).
pub async fn sessions(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<user_sessions::Model>> {
    let user = viewer.require_self_service(crate::service::identity::perms::SESSIONS_READ)?;
    Ok(user_sessions::Entity::find()
        .filter(user_sessions::Column::UserId.eq(user))
        .filter(user_sessions::Column::CreatedAt.gt(Utc::now() - chrono::Duration::days(30)))
        .order_by_desc(user_sessions::Column::Id)
        .limit(100)
        .all(&ctx.db.read)
        .await?)
}

/// Ends one of the viewer's sessions.
pub async fn revoke_session(ctx: &AppContext, viewer: &Viewer, session_id: Uuid) -> AppResult<()> {
    let user = viewer.require_self_service(crate::service::identity::perms::SESSIONS_MANAGE)?;
    let txn = ctx.db.primary.begin().await?;
    let owned = user_sessions::Entity::find_by_id(session_id)
        .one(&txn)
        .await?
        .is_some_and(|s| s.user_id == user);
    if !owned {
        return Err(AppError::NotFound("session".into()));
    }
    if end_sessions(&txn, Sessions::One(session_id)).await? > 0 {
        audit::record(
            &txn,
            Some(viewer),
            Entry::new(
                Action::Revoke,
                Module::Identity,
                "USER_SESSION",
                Some(session_id),
                "session revoked",
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends every session of the viewer (this one included); returns how many.
pub async fn sign_out_everywhere(ctx: &AppContext, viewer: &Viewer) -> AppResult<u64> {
    let user = viewer.require_self_service(crate::service::identity::perms::SESSIONS_MANAGE)?;
    let txn = ctx.db.primary.begin().await?;
    let n = end_sessions(&txn, Sessions::AllOf(user)).await?;
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            Action::Revoke,
            Module::Identity,
            "USER",
            Some(user),
            "signed out everywhere",
        )
        .metadata(json!({"sessions": n})),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// Changes the viewer's password (the current one is required) and ends
/// every other session.
pub async fn change_password(ctx: &AppContext, viewer: &Viewer, current: &str, new: &str) -> AppResult<()> {
    let user_id = viewer.require_self_service(crate::service::identity::perms::PROFILE_MANAGE)?;
    super::password::check_policy(new).map_err(|m| AppError::invalid("newPassword", m))?;
    let user = users::Entity::find_by_id(user_id)
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    if !ctx.keys.passwords.verify(current, user.password_hash.as_deref()).await {
        return Err(AppError::invalid("currentPassword", "is not your current password"));
    }
    let hash = ctx.keys.passwords.hash(new).await?;
    let txn = ctx.db.primary.begin().await?;
    let mut active: users::ActiveModel = user.into();
    active.password_hash = Set(Some(hash));
    active.update(&txn).await?;
    end_sessions(&txn, Sessions::AllOfExcept(user_id, viewer.session_id)).await?;
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            "USER",
            Some(user_id),
            "password changed",
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Clears a lock-out (admins, `users.manage`).
pub async fn unlock_user(ctx: &AppContext, viewer: &Viewer, user_id: Uuid) -> AppResult<users::Model> {
    viewer.require(crate::service::identity::perms::USERS_MANAGE)?;
    let txn = ctx.db.primary.begin().await?;
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    let before = json!({"failedLoginAttempts": user.failed_login_attempts, "lockedUntil": user.locked_until.map(|t| t.to_rfc3339())});
    let mut active: users::ActiveModel = user.into();
    active.failed_login_attempts = Set(0);
    active.locked_until = Set(None);
    let user = active.update(&txn).await?;
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            "USER",
            Some(user.id),
            "account unlocked",
        )
        .label(user.email.clone())
        .before(before)
        .after(json!({"failedLoginAttempts": 0, "lockedUntil": null})),
    )
    .await?;
    txn.commit().await?;
    ctx.limiter.reset(&format!("login:fail:{}", user.email)).await;
    ctx.limiter.reset(&format!("login:acct:{}", user.email)).await;
    Ok(user)
}

/// Suspends or reactivates another user's account (`users.manage`); a
/// suspension ends their sessions.
pub async fn set_user_status(
    ctx: &AppContext,
    viewer: &Viewer,
    user_id: Uuid,
    status: &str,
) -> AppResult<users::Model> {
    let me = viewer.require(crate::service::identity::perms::USERS_MANAGE)?;
    if !matches!(status, "ACTIVE" | "SUSPENDED") {
        return Err(AppError::invalid("status", "must be ACTIVE or SUSPENDED"));
    }
    if me == user_id {
        return Err(AppError::invalid("userId", "you cannot change your own account status"));
    }
    let txn = ctx.db.primary.begin().await?;
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    let before = user.status.clone();
    let mut active: users::ActiveModel = user.into();
    active.status = Set(status.to_string());
    let user = active.update(&txn).await?;
    if status == "SUSPENDED" {
        end_sessions(&txn, Sessions::AllOf(user.id)).await?;
        // Sockets on the user's API keys close too.
        super::signal_credentials_changed(&txn, user.id).await?;
    }
    audit::record(
        &txn,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            "USER",
            Some(user.id),
            format!("account status set to {status}"),
        )
        .label(user.email.clone())
        .before(json!({"status": before}))
        .after(json!({"status": status})),
    )
    .await?;
    txn.commit().await?;
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
    let email = normalize_email(email)?;
    super::password::check_policy(password).map_err(|m| AppError::invalid("password", m))?;
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(AppError::invalid("displayName", "must not be empty"));
    }
    let hash = ctx.keys.passwords.hash(password).await?;
    let txn = ctx.db.primary.begin().await?;
    let user = insert_account(&txn, &email, display_name, hash, "super_admin").await?;
    audit::record(
        &txn,
        None,
        Entry::new(
            Action::Grant,
            Module::Identity,
            "USER",
            Some(user.id),
            "administrator created from the command line",
        )
        .label(email)
        .after(json!({"roles": ["super_admin"]})),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in ["", "alice", "alice@", "@x.io", "a@b", "a b@c.io", "a@@c.io", "a@.c.io"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn device_types() {
        assert_eq!(device_type(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)")), "MOBILE");
        assert_eq!(
            device_type(Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")),
            "DESKTOP"
        );
        assert_eq!(device_type(Some("Mozilla/5.0 (iPad; CPU OS 17_0)")), "TABLET");
        assert_eq!(device_type(None), "UNKNOWN");
    }
}
