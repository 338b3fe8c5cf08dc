//! Signing in: sign-up, sign-in with a password (and a two-factor code),
//! the steps every sign-in method shares, and refresh-token rotation with
//! reuse detection. Lock-out lives in `lockout`, ending sessions in
//! `sessions`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::enums::{DeviceType, UserStatus};
use entity::{refresh_tokens, user_sessions, users};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::accounts::{self, NewAccount};
use super::email::Email;
use super::lockout::{self, locked, locked_for};
use super::sessions::{end_sessions, Sessions};
use super::{totp, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::crypto::{random_token, token_hash};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};

/// What a successful sign-in (or refresh) hands the client.
#[derive(Clone, Debug)]
pub struct AuthSession {
    /// Short-lived bearer token.
    pub access_token: String,
    /// Single-use token that buys the next pair.
    pub refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The session both tokens belong to.
    pub session_id: Uuid,
    /// The signed-in user.
    pub user: users::Model,
}

/// A new account as a client asks for it (checked by [`register`]).
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

/// The kind of device a user agent names, for the sessions list.
pub fn device_type(user_agent: Option<&str>) -> DeviceType {
    let Some(ua) = user_agent.map(str::to_ascii_lowercase) else {
        return DeviceType::Unknown;
    };
    if ua.contains("ipad") || ua.contains("tablet") {
        DeviceType::Tablet
    } else if ua.contains("mobi") || ua.contains("android") || ua.contains("iphone") {
        DeviceType::Mobile
    } else if ua.contains("mozilla") || ua.contains("windows") || ua.contains("macintosh") || ua.contains("x11") {
        DeviceType::Desktop
    } else {
        DeviceType::Unknown
    }
}

/// Opens a session for `user` in `tx`: a `user_sessions` row, a refresh
/// token and an access token.
pub async fn start_session(tx: &Tx, ctx: &AppContext, user: &users::Model, client: &Viewer) -> AppResult<AuthSession> {
    let db: &DatabaseTransaction = tx;
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(ctx.config.auth.refresh_token_ttl).unwrap_or(chrono::Duration::days(30));
    let session_id = Uuid::now_v7();
    user_sessions::ActiveModel {
        id: Set(session_id),
        user_id: Set(user.id),
        session_token_hash: Set(token_hash(&random_token(32))),
        ip_address: Set(client.ip_address.clone()),
        user_agent: Set(client.user_agent.clone()),
        device_type: Set(device_type(client.user_agent.as_deref()).to_value()),
        last_active_at: Set(now.into()),
        expires_at: Set((now + ttl).into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let refresh_token = new_refresh_token(db, user.id, session_id, now + ttl).await?.0;
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
    db: &DatabaseTransaction,
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
    .insert(db)
    .await?;
    Ok((token, id))
}

/// Checks a sign-up: every problem at once, each naming its field.
fn check_registration(input: &RegisterInput) -> AppResult<(Email, String)> {
    let mut problems = Vec::new();
    let email = match Email::parse(&input.email) {
        Ok(e) => Some(e),
        Err(_) => {
            problems.push(FieldError {
                field: "email".into(),
                message: "is not a valid email address".into(),
            });
            None
        }
    };
    if let Err(msg) = super::password::check_policy(&input.password) {
        problems.push(FieldError {
            field: "password".into(),
            message: msg,
        });
    }
    let display_name = input.display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        problems.push(FieldError {
            field: "displayName".into(),
            message: "must be 1 to 100 characters".into(),
        });
    }
    match email {
        Some(email) if problems.is_empty() => Ok((email, display_name)),
        _ => Err(AppError::invalid_fields(problems)),
    }
}

/// Creates an account (role `customer`, default settings) and signs it in.
/// Validation, the sign-up rate limit and password hashing happen before
/// the transaction opens (hashing is slow; no lock is held meanwhile).
pub async fn register(ctx: &AppContext, client: &Viewer, input: RegisterInput) -> AppResult<AuthSession> {
    let (email, display_name) = check_registration(&input)?;
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
    let password_hash = ctx.keys.passwords.hash(&input.password).await?;
    let account = NewAccount {
        email,
        display_name,
        password_hash,
    };
    let tx = Tx::begin(&ctx.db.primary).await?;
    let session = register_in(&tx, ctx, client, account).await?;
    tx.commit(&ctx.bus).await?;
    Ok(session)
}

/// [`register`] inside `tx`, for an account already checked and hashed.
pub async fn register_in(tx: &Tx, ctx: &AppContext, client: &Viewer, account: NewAccount) -> AppResult<AuthSession> {
    let user = accounts::insert_account(tx, &account, "customer").await?;
    let session = start_session(tx, ctx, &user, client).await?;
    let actor = Viewer {
        user_id: Some(user.id),
        ..client.clone()
    };
    let db: &DatabaseTransaction = tx;
    audit::record(
        db,
        Some(&actor),
        Entry::new(
            Action::Create,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user.id),
            "account registered",
        )
        .label(account.email.into_string())
        .after(json!({"status": UserStatus::Active.to_value(), "roles": ["customer"]})),
    )
    .await?;
    Ok(session)
}

/// Signs in with email and password (and a two-factor code when enabled).
/// Not a function over a caller's `Tx`: a failed attempt must commit its
/// failure count while the sign-in itself is refused.
pub async fn login(ctx: &AppContext, client: &Viewer, input: LoginInput) -> AppResult<AuthSession> {
    lockout::limit_address(ctx, client).await?;
    let raw = input.email.trim().to_lowercase();
    lockout::limit_account(ctx, &raw).await?;
    let user = match Email::parse(&raw) {
        Ok(e) => accounts::find_by_email(&ctx.db.primary, &e).await?,
        Err(_) => None,
    };
    let password_ok = ctx
        .keys
        .passwords
        .verify(&input.password, user.as_ref().and_then(|u| u.password_hash.as_deref()))
        .await;
    let Some(user) = user else {
        return Err(lockout::record_unknown_failure(ctx, &raw).await);
    };
    if let Some(retry) = locked_for(&user) {
        return Err(locked(retry));
    }
    if !password_ok {
        return Err(lockout::record_failure(ctx, client, &user, "wrong password").await);
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
                    let _ = lockout::record_failure(ctx, client, &user, "wrong two-factor code").await;
                    return Err(AppError::invalid("totpCode", "the two-factor code is not valid"));
                }
            }
        }
    }
    if user.status != UserStatus::Active.to_value() {
        return Err(AppError::Forbidden(format!(
            "this account is {}; contact support",
            user.status.to_lowercase()
        )));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let db: &DatabaseTransaction = &tx;
    let mut active: users::ActiveModel = user.into();
    active.failed_login_attempts = Set(0);
    active.locked_until = Set(None);
    active.last_login_at = Set(Some(Utc::now().into()));
    if let Some(h) = new_password_hash {
        active.password_hash = Set(Some(h));
    }
    let user = active.update(db).await?;
    let session = start_session(&tx, ctx, &user, client).await?;
    let actor = Viewer {
        user_id: Some(user.id),
        ..client.clone()
    };
    audit::record(
        db,
        Some(&actor),
        Entry::new(
            Action::Login,
            Module::Identity,
            crate::service::audit::AuditEntity::UserSession,
            Some(session.session_id),
            summary,
        )
        .label(user.email.clone())
        .metadata(metadata),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    lockout::reset(ctx, &user.email, false).await;
    Ok(session)
}

/// Exchanges a refresh token for a new pair. A token that was already
/// exchanged (reuse: likely stolen) ends its whole session. Not a function
/// over a caller's `Tx`: on reuse the revocation commits while the
/// exchange is refused.
pub async fn refresh(ctx: &AppContext, client: &Viewer, token: &str) -> AppResult<AuthSession> {
    let invalid = || AppError::Unauthenticated("invalid or expired refresh token".into());
    let tx = Tx::begin(&ctx.db.primary).await?;
    let db: &DatabaseTransaction = &tx;
    let Some(row) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash(token.trim())))
        .lock_exclusive()
        .one(db)
        .await?
    else {
        return Err(invalid());
    };
    if row.revoked_at.is_some() || row.replaced_by_id.is_some() {
        let ended = end_sessions(&tx, Sessions::One(row.session_id)).await? > 0;
        if ended {
            audit::record(
                db,
                None,
                Entry::new(
                    Action::Revoke,
                    Module::Identity,
                    crate::service::audit::AuditEntity::UserSession,
                    Some(row.session_id),
                    "refresh token reused; session revoked",
                )
                .metadata(json!({"userId": row.user_id, "ip": client.ip_address})),
            )
            .await?;
        }
        tx.commit(&ctx.bus).await?;
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
        .one(db)
        .await?
        .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
        .ok_or_else(invalid)?;
    let user = users::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .filter(|u| u.status == UserStatus::Active.to_value())
        .ok_or_else(invalid)?;
    let (new_token, new_id) =
        new_refresh_token(db, user.id, session.id, session.expires_at.with_timezone(&Utc)).await?;
    let mut old: refresh_tokens::ActiveModel = row.into();
    old.revoked_at = Set(Some(now.into()));
    old.replaced_by_id = Set(Some(new_id));
    old.update(db).await?;
    let mut s: user_sessions::ActiveModel = session.clone().into();
    s.last_active_at = Set(now.into());
    if client.ip_address.is_some() {
        s.ip_address = Set(client.ip_address.clone());
    }
    s.update(db).await?;
    tx.commit(&ctx.bus).await?;
    let (access_token, expires_at) = ctx.keys.tokens.issue(user.id, session.id);
    Ok(AuthSession {
        access_token,
        refresh_token: new_token,
        expires_at,
        session_id: session.id,
        user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_types() {
        assert_eq!(
            device_type(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)")),
            DeviceType::Mobile
        );
        assert_eq!(
            device_type(Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")),
            DeviceType::Desktop
        );
        assert_eq!(device_type(Some("Mozilla/5.0 (iPad; CPU OS 17_0)")), DeviceType::Tablet);
        assert_eq!(device_type(None), DeviceType::Unknown);
    }
}
