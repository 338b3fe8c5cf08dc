//! Two-factor sign-in with time-based one-time passwords (RFC 6238,
//! HMAC-SHA1, 6 digits, 30-second steps) and one-time recovery codes.

use std::time::Duration;

use chrono::Utc;
use entity::users;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QuerySelect,
    Statement,
};
use serde_json::json;
use sha1::Sha1;
use uuid::Uuid;

use super::Viewer;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::crypto::token_hash;
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};

const STEP_SECS: u64 = 30;
const DIGITS: u32 = 6;
const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Switchboard";

/// RFC 4648 base32 without padding, as authenticator apps expect.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The code for time step `counter` (RFC 4226 dynamic truncation).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    format!("{:0width$}", value % 10u32.pow(digits), width = digits as usize)
}

/// The TOTP code of `secret` at Unix time `unix_secs`.
pub fn totp_at(secret: &[u8], unix_secs: u64) -> String {
    hotp(secret, unix_secs / STEP_SECS, DIGITS)
}

/// The time step whose code `code` is, within one step of `unix_secs`.
fn matching_step(secret: &[u8], code: &str, unix_secs: u64) -> Option<u64> {
    let now = unix_secs / STEP_SECS;
    [now, now.saturating_sub(1), now + 1]
        .into_iter()
        .find(|step| crate::infra::crypto::constant_time_eq(hotp(secret, *step, DIGITS).as_bytes(), code.as_bytes()))
}

fn unix_now() -> u64 {
    Utc::now().timestamp().max(0) as u64
}

/// What enrolment shows the user once: the secret and its otpauth URL.
#[derive(Clone, Debug)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_url: String,
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn load_user<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<users::Model> {
    users::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))
}

/// Starts enrolment: a new secret, stored sealed, shown once. Two-factor
/// sign-in is on only after [`confirm`].
pub async fn enrol(ctx: &AppContext, viewer: &Viewer) -> AppResult<Enrolment> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let out = enrol_in(&tx, ctx, viewer).await?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}

/// [`enrol`] inside `tx`.
pub async fn enrol_in(tx: &Tx, ctx: &AppContext, viewer: &Viewer) -> AppResult<Enrolment> {
    let user_id = viewer.require_self_service(super::perms::SECURITY_MANAGE)?;
    let txn: &DatabaseTransaction = tx;
    let user = load_user(txn, user_id).await?;
    if user.two_factor_enabled {
        return Err(AppError::conflict(
            None,
            "two-factor sign-in is already on; disable it first",
        ));
    }
    let mut secret = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let encoded = base32(&secret);
    let mut active: users::ActiveModel = user.clone().into();
    active.totp_secret_encrypted = Set(Some(ctx.keys.cipher.seal(&secret)));
    active.update(txn).await?;
    super::forget_sessions_on_commit(tx, user.id);
    let label = percent_encode(&format!("{ISSUER}:{}", user.email));
    Ok(Enrolment {
        otpauth_url: format!(
            "otpauth://totp/{label}?secret={encoded}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}"
        ),
        secret: encoded,
    })
}

fn new_recovery_code() -> String {
    let mut bytes = [0u8; 7];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let s = base32(&bytes).to_lowercase();
    format!("{}-{}", &s[..5], &s[5..10])
}

/// Replaces the user's recovery codes; returns the new ones (shown once).
async fn issue_recovery_codes<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<Vec<String>> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM user_recovery_codes WHERE user_id = $1",
        [user_id.into()],
    ))
    .await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    for code in &codes {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)",
            [user_id.into(), token_hash(code).into()],
        ))
        .await?;
    }
    Ok(codes)
}

fn secret_of(ctx: &AppContext, user: &users::Model) -> AppResult<Vec<u8>> {
    let sealed = user
        .totp_secret_encrypted
        .as_deref()
        .ok_or_else(|| AppError::conflict(None, "start two-factor enrolment first"))?;
    ctx.keys.cipher.open(sealed).map_err(AppError::internal)
}

/// A code is used once: remember its step for the length of the window.
async fn not_replayed(ctx: &AppContext, user_id: Uuid, step: u64) -> bool {
    let (count, _) = ctx
        .limiter
        .increment(
            &format!("totp:used:{user_id}:{step}"),
            Duration::from_secs(STEP_SECS * 3),
        )
        .await;
    count <= 1
}

/// The window of [`limit_code_checks`].
const CODE_CHECK_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Counts one two-factor code check of `user_id` by a signed-in user
/// (confirm, disable, new recovery codes) and refuses it beyond the
/// per-account limit, right or wrong code alike: a 6-digit code must not be
/// guessable by trying. Codes at sign-in count against sign-in's own
/// limits and lock-out instead.
async fn limit_code_checks(ctx: &AppContext, user_id: Uuid) -> AppResult<()> {
    ctx.limiter
        .hit(
            &format!("totp:check:{user_id}"),
            ctx.config.auth.totp_rate_per_account,
            CODE_CHECK_WINDOW,
        )
        .await
        .map_err(|l| AppError::RateLimited {
            retry_after_secs: l.retry_after_secs,
            reason: "too many two-factor code attempts for this account",
        })
}

/// Turns two-factor sign-in on with a current code; returns the recovery codes.
pub async fn confirm(ctx: &AppContext, viewer: &Viewer, code: &str) -> AppResult<Vec<String>> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let out = confirm_in(&tx, ctx, viewer, code).await?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}

/// [`confirm`] inside `tx`.
pub async fn confirm_in(tx: &Tx, ctx: &AppContext, viewer: &Viewer, code: &str) -> AppResult<Vec<String>> {
    let user_id = viewer.require_self_service(super::perms::SECURITY_MANAGE)?;
    limit_code_checks(ctx, user_id).await?;
    let txn: &DatabaseTransaction = tx;
    let user = load_user(txn, user_id).await?;
    if user.two_factor_enabled {
        return Err(AppError::conflict(None, "two-factor sign-in is already on"));
    }
    let secret = secret_of(ctx, &user)?;
    let step = matching_step(&secret, code.trim(), unix_now());
    let Some(step) = step else {
        return Err(AppError::invalid(
            "code",
            "the code does not match; check the device clock",
        ));
    };
    if !not_replayed(ctx, user_id, step).await {
        return Err(AppError::invalid(
            "code",
            "this code was already used; wait for the next one",
        ));
    }
    let mut active: users::ActiveModel = user.clone().into();
    active.two_factor_enabled = Set(true);
    active.update(txn).await?;
    super::forget_sessions_on_commit(tx, user.id);
    let codes = issue_recovery_codes(txn, user_id).await?;
    audit::record(
        txn,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user_id),
            "two-factor sign-in enabled",
        )
        .label(user.email)
        .before(json!({"twoFactorEnabled": false}))
        .after(json!({"twoFactorEnabled": true})),
    )
    .await?;
    Ok(codes)
}

/// Checks a current TOTP code or an unused recovery code (consumed).
async fn check_code<C: ConnectionTrait>(
    ctx: &AppContext,
    conn: &C,
    user: &users::Model,
    code: &str,
) -> AppResult<bool> {
    let code = code.trim().to_lowercase();
    if code.len() == DIGITS as usize && code.chars().all(|c| c.is_ascii_digit()) {
        let secret = secret_of(ctx, user)?;
        return Ok(match matching_step(&secret, &code, unix_now()) {
            Some(step) => not_replayed(ctx, user.id, step).await,
            None => false,
        });
    }
    let used = conn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE user_recovery_codes SET used_at = now() \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            [user.id.into(), token_hash(&code).into()],
        ))
        .await?;
    Ok(used.rows_affected() == 1)
}

/// For sign-in: true when `code` is a valid TOTP or recovery code.
pub async fn check_login_code(ctx: &AppContext, user: &users::Model, code: &str) -> AppResult<bool> {
    check_code(ctx, &ctx.db.primary, user, code).await
}

/// Turns two-factor sign-in off; needs a current code or a recovery code.
pub async fn disable(ctx: &AppContext, viewer: &Viewer, code: &str) -> AppResult<()> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    disable_in(&tx, ctx, viewer, code).await?;
    tx.commit(&ctx.bus).await?;
    Ok(())
}

/// [`disable`] inside `tx`.
pub async fn disable_in(tx: &Tx, ctx: &AppContext, viewer: &Viewer, code: &str) -> AppResult<()> {
    let user_id = viewer.require_self_service(super::perms::SECURITY_MANAGE)?;
    limit_code_checks(ctx, user_id).await?;
    let txn: &DatabaseTransaction = tx;
    let user = load_user(txn, user_id).await?;
    if !user.two_factor_enabled {
        return Err(AppError::conflict(None, "two-factor sign-in is not on"));
    }
    if !check_code(ctx, txn, &user, code).await? {
        return Err(AppError::invalid("code", "the code is not valid"));
    }
    let mut active: users::ActiveModel = user.clone().into();
    active.two_factor_enabled = Set(false);
    active.totp_secret_encrypted = Set(None);
    active.update(txn).await?;
    super::forget_sessions_on_commit(tx, user.id);
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM user_recovery_codes WHERE user_id = $1",
        [user_id.into()],
    ))
    .await?;
    audit::record(
        txn,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user_id),
            "two-factor sign-in disabled",
        )
        .label(user.email)
        .before(json!({"twoFactorEnabled": true}))
        .after(json!({"twoFactorEnabled": false})),
    )
    .await?;
    Ok(())
}

/// New recovery codes (the old ones stop working); needs a current code.
pub async fn regenerate_recovery_codes(ctx: &AppContext, viewer: &Viewer, code: &str) -> AppResult<Vec<String>> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let out = regenerate_recovery_codes_in(&tx, ctx, viewer, code).await?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}

/// [`regenerate_recovery_codes`] inside `tx`.
pub async fn regenerate_recovery_codes_in(
    tx: &Tx,
    ctx: &AppContext,
    viewer: &Viewer,
    code: &str,
) -> AppResult<Vec<String>> {
    let user_id = viewer.require_self_service(super::perms::SECURITY_MANAGE)?;
    limit_code_checks(ctx, user_id).await?;
    let txn: &DatabaseTransaction = tx;
    let user = load_user(txn, user_id).await?;
    if !user.two_factor_enabled {
        return Err(AppError::conflict(None, "two-factor sign-in is not on"));
    }
    if !check_code(ctx, txn, &user, code).await? {
        return Err(AppError::invalid("code", "the code is not valid"));
    }
    let codes = issue_recovery_codes(txn, user_id).await?;
    audit::record(
        txn,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user_id),
            "recovery codes regenerated",
        ),
    )
    .await?;
    Ok(codes)
}

/// How many unused recovery codes the viewer has left.
pub async fn recovery_codes_left(ctx: &AppContext, user_id: Uuid) -> AppResult<i64> {
    let row = ctx
        .db
        .read
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            [user_id.into()],
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vectors() {
        // RFC 6238 appendix B, SHA1, truncated to 8 and 6 digits.
        let secret = b"12345678901234567890";
        assert_eq!(hotp(secret, 59 / 30, 8), "94287082");
        assert_eq!(hotp(secret, 1_111_111_109 / 30, 8), "07081804");
        assert_eq!(hotp(secret, 2_000_000_000 / 30, 8), "69279037");
        assert_eq!(totp_at(secret, 59), "287082");
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn window_accepts_neighbouring_steps_only() {
        let secret = b"12345678901234567890";
        let t = 1_000_000_000u64;
        assert!(matching_step(secret, &totp_at(secret, t - 30), t).is_some());
        assert!(matching_step(secret, &totp_at(secret, t + 30), t).is_some());
        assert!(matching_step(secret, &totp_at(secret, t - 90), t).is_none());
    }
}
