//! Lock-out and rate limits of sign-in: per-address and per-account
//! attempt limits, failure counting that locks an account after repeated
//! failures, and the one answer every bad email/password pair gets.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::users;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use serde_json::json;

use super::Viewer;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};

/// One message for every bad email/password pair, known account or not.
pub(crate) fn invalid_credentials() -> AppError {
    AppError::Unauthenticated("invalid email or password".into())
}

/// The answer to a sign-in on a locked account.
pub(crate) fn locked(retry_after_secs: u64) -> AppError {
    AppError::RateLimited {
        retry_after_secs,
        reason: "this account is locked after repeated failed sign-ins",
    }
}

/// Seconds left on a lock-out, if the account is locked.
pub(crate) fn locked_for(user: &users::Model) -> Option<u64> {
    let now = Utc::now();
    user.locked_until
        .filter(|u| *u > now)
        .map(|until| (until.with_timezone(&Utc) - now).num_seconds().max(1) as u64)
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
        let tx = Tx::begin(&ctx.db.primary).await?;
        let txn: &DatabaseTransaction = &tx;
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
            txn,
            Some(&actor),
            Entry::new(
                Action::LoginFailed,
                Module::Identity,
                crate::service::audit::AuditEntity::User,
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
                txn,
                None,
                Entry::new(
                    Action::Update,
                    Module::Identity,
                    crate::service::audit::AuditEntity::User,
                    Some(user.id),
                    "account locked after failed sign-ins",
                )
                .label(user.email.clone())
                .before(json!({"locked": false}))
                .after(json!({"locked": true, "lockedUntil": locked_until.map(|t| t.to_rfc3339())})),
            )
            .await?;
        }
        tx.commit(&ctx.bus).await?;
        Ok(invalid_credentials())
    }
    .await;
    result.unwrap_or_else(|e| e)
}

/// Counts a sign-in failure for an address nobody registered, so that
/// unknown accounts lock like real ones and lock-out reveals nothing.
pub(crate) async fn record_unknown_failure(ctx: &AppContext, email: &str) -> AppError {
    let auth = &ctx.config.auth;
    let (count, left) = ctx.limiter.increment(&failures_key(email), auth.lock_duration).await;
    if count > u64::from(auth.max_failures) {
        locked(left)
    } else {
        invalid_credentials()
    }
}

/// The limiter key counting failures of an unknown address.
pub(crate) fn failures_key(email: &str) -> String {
    format!("login:fail:{email}")
}

/// Forgets the failures and attempts counted for `email` (after a
/// successful sign-in or an unlock).
pub(crate) async fn reset(ctx: &AppContext, email: &str, attempts_too: bool) {
    ctx.limiter.reset(&failures_key(email)).await;
    if attempts_too {
        ctx.limiter.reset(&format!("login:acct:{email}")).await;
    }
}
