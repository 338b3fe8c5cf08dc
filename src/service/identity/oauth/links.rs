//! Accounts and their linked identities: signing in with one, linking
//! and unlinking, listing.

use entity::{user_oauth_accounts, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::{find_provider, not_linked, parse_input, present, verify, verify_input, OidcInput};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::lockout;
use crate::service::identity::signin::{finish_sign_in, AuthSession};
use crate::service::identity::{perms, Viewer};

/// Signs in with a linked identity. The identity must be linked to an
/// active, unlocked account; with two-factor sign-in on, `totpCode` is
/// required as for a password sign-in.
pub async fn sign_in(ctx: &AppContext, client: &Viewer, input: OidcInput) -> AppResult<AuthSession> {
    lockout::limit_address(ctx, client).await?;
    let identity = verify_input(ctx, &input).await?;
    let link = user_oauth_accounts::Entity::find()
        .filter(user_oauth_accounts::Column::Provider.eq(identity.provider.as_str()))
        .filter(user_oauth_accounts::Column::ProviderUserId.eq(identity.subject.as_str()))
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(not_linked)?;
    let user = users::Entity::find_by_id(link.user_id)
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(not_linked)?;
    lockout::limit_account(ctx, &user.email).await?;
    finish_sign_in(
        ctx,
        client,
        user,
        present(&input.totp_code),
        None,
        &format!("signed in with {}", identity.provider),
        json!({"method": "oidc", "provider": identity.provider, "oauthAccountId": link.id}),
    )
    .await
}

/// Links a verified identity to the viewer's account. An identity linked
/// to another account is a `CONFLICT`; one provider identity per account.
/// Linking the same identity again returns the existing link.
/// The provider is called before the transaction opens (no lock is held
/// while it answers); [`link_in`] stores the verified identity.
pub async fn link(ctx: &AppContext, viewer: &Viewer, input: OidcInput) -> AppResult<user_oauth_accounts::Model> {
    viewer.require_self_service(perms::SECURITY_MANAGE)?;
    let (provider, presentation) = parse_input(ctx, &input)?;
    let identity = verify(provider, &presentation).await?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = link_in(&tx, viewer, &identity, presentation.field()).await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// Links an identity verified already to the viewer's account inside
/// `tx`; `field` names the input that carried it, for a `CONFLICT`.
pub async fn link_in(
    tx: &Tx,
    viewer: &Viewer,
    identity: &super::VerifiedIdentity,
    field: &'static str,
) -> AppResult<user_oauth_accounts::Model> {
    let user_id = viewer.require_self_service(perms::SECURITY_MANAGE)?;
    let txn: &DatabaseTransaction = tx;
    // One link change per user at a time.
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    let taken = || AppError::conflict(Some(field), "this identity is already linked to another account");
    let existing = user_oauth_accounts::Entity::find()
        .filter(user_oauth_accounts::Column::Provider.eq(identity.provider.as_str()))
        .filter(user_oauth_accounts::Column::ProviderUserId.eq(identity.subject.as_str()))
        .one(txn)
        .await?;
    if let Some(existing) = existing {
        return if existing.user_id == user_id {
            Ok(existing)
        } else {
            Err(taken())
        };
    }
    let same_provider = user_oauth_accounts::Entity::find()
        .filter(user_oauth_accounts::Column::UserId.eq(user_id))
        .filter(user_oauth_accounts::Column::Provider.eq(identity.provider.as_str()))
        .one(txn)
        .await?;
    if same_provider.is_some() {
        return Err(AppError::conflict(
            Some("provider"),
            format!(
                "your account already has a linked {} identity; unlink it first",
                identity.provider
            ),
        ));
    }
    let row = user_oauth_accounts::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        provider: Set(identity.provider.clone()),
        provider_user_id: Set(identity.subject.clone()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => taken(),
        AppError::BadUserInput { .. } => AppError::invalid("provider", "is not a name that can be stored"),
        other => other,
    })?;
    audit::record(
        txn,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Identity,
            crate::service::audit::AuditEntity::UserOauthAccount,
            Some(row.id),
            format!("linked a {} identity", row.provider),
        )
        .label(user.email.clone())
        .after(json!({"userId": user_id, "provider": row.provider, "providerUserId": row.provider_user_id})),
    )
    .await?;
    Ok(row)
}

/// Removes the viewer's linked identity of `provider`; false when there
/// was none. Refused (`BAD_USER_INPUT` on `provider`) when it is the only
/// way left to sign in: no password and no other usable link.
pub async fn unlink(ctx: &AppContext, viewer: &Viewer, provider: &str) -> AppResult<bool> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let removed = unlink_in(&tx, ctx, viewer, provider).await?;
    tx.commit(&ctx.bus).await?;
    Ok(removed)
}

/// [`unlink`] inside `tx` (`ctx` tells which providers are configured).
pub async fn unlink_in(tx: &Tx, ctx: &AppContext, viewer: &Viewer, provider: &str) -> AppResult<bool> {
    let user_id = viewer.require_self_service(perms::SECURITY_MANAGE)?;
    let name = provider.trim().to_ascii_uppercase();
    let valid = !name.is_empty() && name.len() <= 32 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(AppError::invalid("provider", "must be 1-32 letters, digits or _"));
    }
    let txn: &DatabaseTransaction = tx;
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    let links = user_oauth_accounts::Entity::find()
        .filter(user_oauth_accounts::Column::UserId.eq(user_id))
        .all(txn)
        .await?;
    let Some(target) = links.iter().find(|l| l.provider == name).cloned() else {
        return Ok(false);
    };
    // Only links of configured providers can still be used to sign in.
    let other_ways = links
        .iter()
        .filter(|l| l.id != target.id && find_provider(ctx, &l.provider).is_some())
        .count();
    if user.password_hash.is_none() && other_ways == 0 {
        return Err(AppError::invalid(
            "provider",
            "this is your only way to sign in; link another identity first",
        ));
    }
    target.clone().delete(txn).await?;
    audit::record(
        txn,
        Some(viewer),
        Entry::new(
            Action::Delete,
            Module::Identity,
            crate::service::audit::AuditEntity::UserOauthAccount,
            Some(target.id),
            format!("unlinked a {} identity", target.provider),
        )
        .label(user.email.clone())
        .before(json!({"userId": user_id, "provider": target.provider, "providerUserId": target.provider_user_id})),
    )
    .await?;
    Ok(true)
}

/// The viewer's linked identities, oldest first.
pub async fn list(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<user_oauth_accounts::Model>> {
    let user_id = viewer.require_self_service(perms::SECURITY_MANAGE)?;
    Ok(user_oauth_accounts::Entity::find()
        .filter(user_oauth_accounts::Column::UserId.eq(user_id))
        .order_by_asc(user_oauth_accounts::Column::CreatedAt)
        .order_by_asc(user_oauth_accounts::Column::Id)
        .all(&ctx.db.read)
        .await?)
}
