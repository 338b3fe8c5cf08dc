//! API keys for partner integrations: shown once at creation, stored as a
//! prefix (to recognise a key) and a SHA-256 hash, limited to scopes.

use chrono::{DateTime, Utc};
use entity::api_keys;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::{perms, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::crypto::{random_token, token_hash};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};

/// Scopes for operations on one's own data that need no permission.
pub const SELF_SERVICE_SCOPES: &[crate::service::identity::Permission] = &[
    perms::PROFILE_READ,
    perms::PROFILE_MANAGE,
    perms::SECURITY_MANAGE,
    perms::SESSIONS_READ,
    perms::SESSIONS_MANAGE,
    perms::SETTINGS_MANAGE,
    perms::ROLES_REQUEST,
    crate::service::support::perms::TICKETS_READ,
    crate::service::support::perms::TICKETS_CREATE,
    crate::service::support::perms::TICKETS_REPLY,
    crate::service::wallet::perms::WALLET_READ,
    crate::service::wallet::perms::WALLET_DEBIT,
    crate::service::marketplace::perms::MARKETPLACE_USE,
    crate::service::custody::perms::WALLET_WITHDRAW,
    crate::service::exchange::perms::EXCHANGE_ORDERS_CREATE,
    crate::service::commerce::perms::COMMERCE_PURCHASE,
    crate::service::approval::perms::APPROVALS_SUBMIT,
];

/// A new key; `key` is shown to the user once and never stored.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: String,
    pub model: api_keys::Model,
}

/// A verified key, for authentication.
#[derive(Debug, Clone)]
pub struct VerifiedKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub scopes: Vec<String>,
}

/// Creates a key for the viewer with `scopes` (permission keys the viewer
/// holds, self-service scopes, or `prefix.*` wildcards of those).
pub async fn create(
    ctx: &AppContext,
    viewer: &Viewer,
    name: &str,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
) -> AppResult<CreatedKey> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let created = create_in(&tx, viewer, name, scopes, expires_at).await?;
    tx.commit(&ctx.bus).await?;
    Ok(created)
}

/// [`create`] inside `tx`.
pub async fn create_in(
    tx: &Tx,
    viewer: &Viewer,
    name: &str,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
) -> AppResult<CreatedKey> {
    let db: &DatabaseTransaction = tx;
    let user = viewer.require_self_service(perms::SECURITY_MANAGE)?;
    if viewer.api_key_id.is_some() {
        return Err(AppError::Forbidden("an API key cannot create API keys; sign in".into()));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "must be 1 to 100 characters"));
    }
    if scopes.is_empty() {
        return Err(AppError::invalid("scopes", "name at least one scope"));
    }
    let mut clean = Vec::new();
    for scope in scopes {
        let scope = scope.trim().to_string();
        let mut grantable = viewer
            .permissions
            .iter()
            .map(String::as_str)
            .chain(SELF_SERVICE_SCOPES.iter().map(|p| p.key()));
        let held = match scope.strip_suffix(".*") {
            Some(base) => grantable.any(|p| p.starts_with(base) && p[base.len()..].starts_with('.')),
            None => grantable.any(|p| p == scope),
        };
        if !held {
            return Err(AppError::invalid(
                "scopes",
                format!("{scope} is not a permission you hold"),
            ));
        }
        if !clean.contains(&scope) {
            clean.push(scope);
        }
    }
    if expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(AppError::invalid("expiresAt", "must be in the future"));
    }
    let prefix = format!("sb_{}", &random_token(6)[..8]);
    let key = format!("{prefix}_{}", random_token(32));
    let model = api_keys::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        name: Set(name.to_string()),
        key_prefix: Set(prefix.clone()),
        key_hash: Set(token_hash(&key)),
        scopes: Set(clean.clone()),
        is_active: Set(true),
        expires_at: Set(expires_at.map(Into::into)),
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
            crate::service::audit::AuditEntity::ApiKey,
            Some(model.id),
            "API key created",
        )
        .label(format!("{name} ({prefix})"))
        .after(json!({"scopes": clean, "expiresAt": expires_at.map(|t| t.to_rfc3339())})),
    )
    .await?;
    Ok(CreatedKey { key, model })
}

/// The viewer's keys, newest first.
pub async fn list_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Vec<api_keys::Model>> {
    let user = viewer.require_self_service(perms::SECURITY_MANAGE)?;
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user))
        .order_by_desc(api_keys::Column::Id)
        .all(conn)
        .await?)
}

/// [`list_in`] on the read pool.
pub async fn list(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<api_keys::Model>> {
    list_in(&ctx.db.read, viewer).await
}

/// Revokes one of the viewer's keys (or anyone's, with `api_keys.manage`
/// as a permission).
pub async fn revoke(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<api_keys::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let key = revoke_in(&tx, viewer, id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(key)
}

/// [`revoke`] inside `tx`.
pub async fn revoke_in(tx: &Tx, viewer: &Viewer, id: Uuid) -> AppResult<api_keys::Model> {
    let db: &DatabaseTransaction = tx;
    let user = viewer.require_self_service(perms::SECURITY_MANAGE)?;
    let key = api_keys::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|k| k.user_id == user || viewer.can(perms::API_KEYS_MANAGE))
        .ok_or_else(|| AppError::NotFound("API key".into()))?;
    let label = format!("{} ({})", key.name, key.key_prefix);
    let mut active: api_keys::ActiveModel = key.into();
    active.is_active = Set(false);
    let key = active.update(db).await?;
    // Sockets signed in with the key close when this commits.
    super::signal_credentials_changed(tx, key.user_id).await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Revoke,
            Module::Identity,
            crate::service::audit::AuditEntity::ApiKey,
            Some(key.id),
            "API key revoked",
        )
        .label(label)
        .before(json!({"isActive": true}))
        .after(json!({"isActive": false})),
    )
    .await?;
    Ok(key)
}

/// Checks a presented key; records its use (at most once a minute).
pub async fn verify(ctx: &AppContext, presented: &str) -> AppResult<VerifiedKey> {
    let invalid = || AppError::Unauthenticated("invalid API key".into());
    let key = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(token_hash(presented.trim())))
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(invalid)?;
    if !key.is_active || key.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(invalid());
    }
    let db = ctx.db.primary.clone();
    let id = key.id;
    if !ctx.throttle.due(id, std::time::Duration::from_secs(60)) {
        return Ok(VerifiedKey {
            id: key.id,
            user_id: key.user_id,
            scopes: key.scopes,
        });
    }
    tokio::spawn(async move {
        let _ = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE api_keys SET last_used_at = now() \
                 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')",
                [id.into()],
            ))
            .await;
    });
    Ok(VerifiedKey {
        id: key.id,
        user_id: key.user_id,
        scopes: key.scopes,
    })
}
