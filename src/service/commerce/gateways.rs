//! Payment gateway configurations (`payments.gateways.manage`). The public
//! part (`config_json`: a Razorpay key id, a Stripe publishable key) is
//! readable; the secrets (webhook signing secret, API secret) are sealed
//! with the master key into `secret_config_encrypted` and never leave the
//! server: no query returns them, audit rows only say that they changed.
//!
//! The test gateway is configured by `SWITCHBOARD_PAYMENTS_TEST_*`, not
//! here. Its payments still need a configuration row (a foreign key), so
//! one fixed row ([`TEST_GATEWAY_CONFIG_ID`]) is made on first use; the
//! schema allows only the real providers' keys, so that row carries
//! `RAZORPAY` and is told apart by its id. It holds no secret and cannot
//! be edited.

use std::collections::HashMap;

use entity::enums::PaymentGateway as GatewayKey;
use entity::payment_gateway_configs;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::gateway::{GatewayKind, PaymentGateway, Razorpay, Stripe, TestGateway};
use super::{perms, workflow, Problems};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// The id of the test gateway's configuration row.
pub const TEST_GATEWAY_CONFIG_ID: Uuid = Uuid::from_u128(0x7e57_6a7e_0000_4000_8000_0000_0000_0001);

/// The sealed part of a configuration.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySecrets {
    /// Signs the provider's webhooks (Razorpay webhook secret, Stripe `whsec_...`).
    pub webhook_secret: Option<String>,
    /// The provider API secret (Razorpay key secret, Stripe `sk_...`).
    pub api_secret: Option<String>,
}

impl std::fmt::Debug for GatewaySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewaySecrets")
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "<redacted>"))
            .field("api_secret", &self.api_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Fields of a configuration; `None` leaves a field unchanged (and keeps a
/// stored secret).
#[derive(Clone, Default)]
pub struct GatewayConfigFields {
    pub gateway_key: Option<GatewayKey>,
    pub display_name: Option<String>,
    pub public_config: Option<Json>,
    pub webhook_secret: Option<String>,
    pub api_secret: Option<String>,
    pub is_active: Option<bool>,
}

/// Whether a configuration holds sealed secrets.
pub fn has_secret(m: &payment_gateway_configs::Model) -> bool {
    m.secret_config_encrypted.as_ref().is_some_and(|s| !s.is_empty())
}

/// Whether a configuration is the test gateway's row.
pub fn is_test(m: &payment_gateway_configs::Model) -> bool {
    m.id == TEST_GATEWAY_CONFIG_ID
}

/// What audit rows may say about a configuration (never a secret).
fn config_json(m: &payment_gateway_configs::Model) -> Json {
    json!({
        "gatewayKey": m.gateway_key, "displayName": m.display_name, "publicConfig": m.config_json,
        "isActive": m.is_active, "hasSecret": has_secret(m),
    })
}

/// Key names that must not appear in the public part.
fn secret_like_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    ["secret", "password", "private", "token"].iter().any(|w| k.contains(w))
}

/// Values that look like provider secrets.
fn secret_like_value(v: &str) -> bool {
    ["sk_", "rk_", "whsec_"].iter().any(|p| v.starts_with(p))
}

fn check_public(p: &mut Problems, v: &Json) {
    let Some(obj) = v.as_object() else {
        p.add("publicConfig", "must be a JSON object");
        return;
    };
    if v.to_string().len() > 8 * 1024 {
        p.add("publicConfig", "must be at most 8 KiB");
    }
    for (k, val) in obj {
        if secret_like_key(k) || val.as_str().is_some_and(secret_like_value) {
            p.add(
                "publicConfig",
                format!("{k} looks like a secret; pass secrets as webhookSecret or apiSecret"),
            );
        }
    }
}

fn check_fields(f: &GatewayConfigFields) -> AppResult<()> {
    let mut p = Problems::default();
    if let Some(n) = &f.display_name {
        p.text("displayName", n, 100);
    }
    if let Some(v) = &f.public_config {
        check_public(&mut p, v);
    }
    if let Some(s) = &f.webhook_secret {
        if !(8..=500).contains(&s.len()) {
            p.add("webhookSecret", "must be 8 to 500 bytes");
        }
    }
    if let Some(s) = &f.api_secret {
        if !(1..=500).contains(&s.len()) {
            p.add("apiSecret", "must be 1 to 500 bytes");
        }
    }
    p.check()
}

/// Opens a configuration's secrets.
pub fn open_secrets(ctx: &AppContext, m: &payment_gateway_configs::Model) -> AppResult<GatewaySecrets> {
    let Some(sealed) = m.secret_config_encrypted.as_ref().filter(|s| !s.is_empty()) else {
        return Ok(GatewaySecrets::default());
    };
    let plain = ctx
        .keys
        .cipher
        .open(sealed)
        .map_err(|e| AppError::internal(anyhow::anyhow!("gateway configuration {}: {e}", m.id)))?;
    serde_json::from_slice(&plain)
        .map_err(|e| AppError::internal(anyhow::anyhow!("gateway configuration {}: bad secret JSON: {e}", m.id)))
}

fn seal(ctx: &AppContext, s: &GatewaySecrets) -> AppResult<Vec<u8>> {
    let plain = serde_json::to_vec(s).map_err(AppError::internal)?;
    Ok(ctx.keys.cipher.seal(&plain))
}

/// Every configuration (`payments.gateways.manage`).
pub async fn list(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<payment_gateway_configs::Model>> {
    viewer.require(perms::PAYMENTS_GATEWAYS_MANAGE)?;
    Ok(payment_gateway_configs::Entity::find()
        .order_by_asc(payment_gateway_configs::Column::GatewayKey)
        .order_by_asc(payment_gateway_configs::Column::CreatedAt)
        .all(&ctx.db.read)
        .await?)
}

/// Creates a configuration (`payments.gateways.manage`).
pub async fn create(
    ctx: &AppContext,
    viewer: &Viewer,
    f: GatewayConfigFields,
) -> AppResult<payment_gateway_configs::Model> {
    viewer.require(perms::PAYMENTS_GATEWAYS_MANAGE)?;
    let mut p = Problems::default();
    if f.gateway_key.is_none() {
        p.add("gatewayKey", "is required");
    }
    if f.display_name.is_none() {
        p.add("displayName", "is required");
    }
    p.check()?;
    check_fields(&f)?;
    let secrets = GatewaySecrets {
        webhook_secret: f.webhook_secret,
        api_secret: f.api_secret,
    };
    let sealed = (secrets.webhook_secret.is_some() || secrets.api_secret.is_some())
        .then(|| seal(ctx, &secrets))
        .transpose()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = payment_gateway_configs::ActiveModel {
        id: Set(Uuid::now_v7()),
        gateway_key: Set(f.gateway_key.unwrap_or(GatewayKey::Razorpay).to_value()),
        display_name: Set(f.display_name.unwrap_or_default().trim().to_string()),
        config_json: Set(f.public_config.unwrap_or_else(|| json!({}))),
        secret_config_encrypted: Set(sealed),
        is_active: Set(f.is_active.unwrap_or(true)),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Commerce,
            super::audited::GATEWAY_CONFIG,
            Some(m.id),
            format!("created {} gateway configuration {}", m.gateway_key, m.display_name),
        )
        .after(config_json(&m)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Updates a configuration (`payments.gateways.manage`); a secret given
/// replaces the stored one, the other stays.
pub async fn update(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    f: GatewayConfigFields,
) -> AppResult<payment_gateway_configs::Model> {
    viewer.require(perms::PAYMENTS_GATEWAYS_MANAGE)?;
    check_fields(&f)?;
    if id == TEST_GATEWAY_CONFIG_ID {
        return Err(AppError::invalid(
            "id",
            "the test gateway is configured with SWITCHBOARD_PAYMENTS_TEST_GATEWAY and _SECRET",
        ));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let old = payment_gateway_configs::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("payment gateway configuration".into()))?;
    let secret_changed = f.webhook_secret.is_some() || f.api_secret.is_some();
    let mut a: payment_gateway_configs::ActiveModel = old.clone().into();
    if secret_changed {
        let mut secrets = open_secrets(ctx, &old)?;
        if let Some(s) = f.webhook_secret {
            secrets.webhook_secret = Some(s);
        }
        if let Some(s) = f.api_secret {
            secrets.api_secret = Some(s);
        }
        a.secret_config_encrypted = Set(Some(seal(ctx, &secrets)?));
    }
    if let Some(v) = f.gateway_key {
        a.gateway_key = Set(v.to_value());
    }
    if let Some(v) = f.display_name {
        a.display_name = Set(v.trim().to_string());
    }
    if let Some(v) = f.public_config {
        a.config_json = Set(v);
    }
    if let Some(v) = f.is_active {
        a.is_active = Set(v);
    }
    let m = a.update(&*tx).await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Commerce,
            super::audited::GATEWAY_CONFIG,
            Some(m.id),
            format!("updated {} gateway configuration {}", m.gateway_key, m.display_name),
        )
        .before(config_json(&old))
        .after(config_json(&m))
        .metadata(json!({"secretChanged": secret_changed})),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// The test gateway, when enabled by configuration.
pub fn test_gateway(ctx: &AppContext) -> Option<TestGateway> {
    let p = &ctx.config.payments;
    p.test_gateway.then(|| TestGateway {
        secret: p.test_secret.clone(),
    })
}

/// The test gateway's configuration row, made on first use.
async fn ensure_test_config(ctx: &AppContext) -> AppResult<payment_gateway_configs::Model> {
    ctx.db
        .primary
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO payment_gateway_configs (id, gateway_key, display_name, config_json, is_active) \
             VALUES ($1, $2, 'Test gateway (development only)', '{\"testGateway\": true}'::jsonb, true) \
             ON CONFLICT (id) DO NOTHING",
            [
                TEST_GATEWAY_CONFIG_ID.into(),
                GatewayKind::Test.db_key().to_value().into(),
            ],
        ))
        .await?;
    payment_gateway_configs::Entity::find_by_id(TEST_GATEWAY_CONFIG_ID)
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the test gateway row vanished")))
}

/// The implementation behind a (non-test) configuration, with its secrets.
fn build(ctx: &AppContext, m: &payment_gateway_configs::Model) -> AppResult<Option<Box<dyn PaymentGateway>>> {
    let secrets = open_secrets(ctx, m)?;
    let Some(webhook_secret) = secrets.webhook_secret else {
        return Ok(None);
    };
    let public = |k: &str| m.config_json.get(k).and_then(Json::as_str).map(str::to_string);
    Ok(match workflow::parse::<GatewayKey>(&m.gateway_key)? {
        GatewayKey::Razorpay => Some(Box::new(Razorpay {
            key_id: public("keyId"),
            webhook_secret,
        })),
        GatewayKey::Stripe => Some(Box::new(Stripe {
            publishable_key: public("publishableKey"),
            webhook_secret,
            tolerance_secs: ctx.config.payments.webhook_tolerance.as_secs() as i64,
        })),
    })
}

/// The configuration new payments through `kind` use: the test row, or
/// the most recently updated active configuration of that provider that
/// can verify webhooks. `field` names the input for errors.
pub async fn for_checkout(
    ctx: &AppContext,
    kind: GatewayKind,
    field: &str,
) -> AppResult<(payment_gateway_configs::Model, Box<dyn PaymentGateway>)> {
    if kind == GatewayKind::Test {
        let gw = test_gateway(ctx).ok_or_else(|| AppError::invalid(field, "the test gateway is not enabled"))?;
        return Ok((ensure_test_config(ctx).await?, Box::new(gw)));
    }
    let rows = payment_gateway_configs::Entity::find()
        .filter(payment_gateway_configs::Column::GatewayKey.eq(kind.db_key().to_value()))
        .filter(payment_gateway_configs::Column::IsActive.eq(true))
        .filter(payment_gateway_configs::Column::Id.ne(TEST_GATEWAY_CONFIG_ID))
        .order_by_desc(payment_gateway_configs::Column::UpdatedAt)
        .limit(20)
        .all(&ctx.db.read)
        .await?;
    for m in rows {
        if let Some(gw) = build(ctx, &m)? {
            return Ok((m, gw));
        }
    }
    Err(AppError::invalid(
        field,
        format!(
            "no active {} configuration with a webhook secret",
            kind.db_key().to_value()
        ),
    ))
}

/// Every configuration that may have signed a webhook arriving at
/// `/webhooks/payments/<kind>`, with its implementation: all of the
/// provider's configurations holding a webhook secret (inactive ones too,
/// so payments begun before a deactivation still complete).
pub async fn for_webhook(ctx: &AppContext, kind: GatewayKind) -> AppResult<Vec<(Uuid, Box<dyn PaymentGateway>)>> {
    if kind == GatewayKind::Test {
        return Ok(match test_gateway(ctx) {
            Some(gw) => vec![(TEST_GATEWAY_CONFIG_ID, Box::new(gw) as Box<dyn PaymentGateway>)],
            None => Vec::new(),
        });
    }
    let rows = payment_gateway_configs::Entity::find()
        .filter(payment_gateway_configs::Column::GatewayKey.eq(kind.db_key().to_value()))
        .filter(payment_gateway_configs::Column::Id.ne(TEST_GATEWAY_CONFIG_ID))
        .filter(payment_gateway_configs::Column::SecretConfigEncrypted.is_not_null())
        .order_by_desc(payment_gateway_configs::Column::IsActive)
        .order_by_desc(payment_gateway_configs::Column::UpdatedAt)
        .limit(20)
        .all(&ctx.db.read)
        .await?;
    let mut out = Vec::new();
    for m in rows {
        match build(ctx, &m) {
            Ok(Some(gw)) => out.push((m.id, gw)),
            Ok(None) => {}
            // One broken row must not stop the others from verifying.
            Err(e) => tracing::error!(config = %m.id, error = %e, "cannot open a gateway configuration's secrets"),
        }
    }
    Ok(out)
}

/// Which gateway a configuration is: the test row, or its provider's.
pub fn kind_of(m: &payment_gateway_configs::Model) -> AppResult<GatewayKind> {
    if is_test(m) {
        return Ok(GatewayKind::Test);
    }
    Ok(GatewayKind::of_key(workflow::parse(&m.gateway_key)?))
}

/// Which gateway a payment went through.
pub async fn kind_of_config<C: ConnectionTrait>(conn: &C, config_id: Uuid) -> AppResult<GatewayKind> {
    kinds_of_many(conn, &[config_id])
        .await?
        .remove(&config_id)
        .ok_or_else(|| AppError::NotFound("payment gateway configuration".into()))
}

/// Which gateway each of several configurations is, in one statement
/// (the test row needs none).
pub async fn kinds_of_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, GatewayKind>> {
    let mut out = HashMap::new();
    let mut real = Vec::new();
    for id in ids {
        if *id == TEST_GATEWAY_CONFIG_ID {
            out.insert(*id, GatewayKind::Test);
        } else {
            real.push(*id);
        }
    }
    if !real.is_empty() {
        let rows = payment_gateway_configs::Entity::find()
            .filter(super::any_of("payment_gateway_configs.id", &real))
            .all(conn)
            .await?;
        for m in rows {
            out.insert(m.id, kind_of(&m)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_config_refuses_secret_looking_entries() {
        let mut p = Problems::default();
        check_public(&mut p, &json!({"keyId": "rzp_live_1", "publishableKey": "pk_live_1"}));
        assert!(p.0.is_empty());
        let mut p = Problems::default();
        check_public(
            &mut p,
            &json!({"keySecret": "x", "other": "sk_live_1", "hook": "whsec_1"}),
        );
        assert_eq!(p.0.len(), 3);
    }

    #[test]
    fn secrets_never_print() {
        let s = GatewaySecrets {
            webhook_secret: Some("hunter2-hunter2".into()),
            api_secret: Some("sk_live_x".into()),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("sk_live"), "{shown}");
    }
}
