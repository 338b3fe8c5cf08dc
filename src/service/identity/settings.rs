//! A user's preferences: typed fields plus `settings_json` for the rest.

use entity::enums::Theme;
use entity::user_settings;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, QueryFilter, Statement,
};
use uuid::Uuid;

use super::{perms, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;

/// Changes to settings; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct SettingsInput {
    pub theme: Option<Theme>,
    pub language: Option<String>,
    pub notify_email: Option<bool>,
    pub notify_push: Option<bool>,
    pub notify_sms: Option<bool>,
    pub notify_in_app: Option<bool>,
    pub display_currency: Option<String>,
    pub auto_logout_minutes: Option<i32>,
    pub settings_json: Option<serde_json::Value>,
}

/// The settings of `user_id`, created with defaults on first read.
pub async fn get(ctx: &AppContext, user_id: Uuid) -> AppResult<user_settings::Model> {
    if let Some(s) = find(&ctx.db.primary, user_id).await? {
        return Ok(s);
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let s = get_in(&tx, user_id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(s)
}

async fn find<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<Option<user_settings::Model>> {
    Ok(user_settings::Entity::find()
        .filter(user_settings::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// [`get`] inside `tx`: the row, inserted with defaults when missing.
pub async fn get_in(tx: &Tx, user_id: Uuid) -> AppResult<user_settings::Model> {
    let db: &DatabaseTransaction = tx;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO user_settings (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
        [user_id.into()],
    ))
    .await?;
    find(db, user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("settings".into()))
}

/// Updates the viewer's settings after validating every field.
pub async fn update(ctx: &AppContext, viewer: &Viewer, input: SettingsInput) -> AppResult<user_settings::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let s = update_in(&tx, viewer, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(s)
}

/// [`update`] inside `tx`.
pub async fn update_in(tx: &Tx, viewer: &Viewer, input: SettingsInput) -> AppResult<user_settings::Model> {
    let db: &DatabaseTransaction = tx;
    let user_id = viewer.require_self_service(perms::SETTINGS_MANAGE)?;
    let mut problems = Vec::new();
    let mut bad = |field: &str, msg: &str| {
        problems.push(crate::error::FieldError {
            field: field.into(),
            message: msg.into(),
        })
    };
    if let Some(l) = &input.language {
        if l.is_empty() || l.len() > 16 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            bad("language", "must be a language tag such as en or pt-BR");
        }
    }
    if let Some(c) = &input.display_currency {
        if c.len() < 3 || c.len() > 8 || !c.chars().all(|c| c.is_ascii_uppercase()) {
            bad("displayCurrency", "must be a currency code such as INR");
        }
    }
    if let Some(m) = input.auto_logout_minutes {
        if !(1..=10_080).contains(&m) {
            bad("autoLogoutMinutes", "must be between 1 and 10080 (a week)");
        }
    }
    if let Some(j) = &input.settings_json {
        if !j.is_object() {
            bad("settingsJson", "must be a JSON object");
        } else if j.to_string().len() > 16 * 1024 {
            bad("settingsJson", "must be at most 16 KiB");
        }
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let current = get_in(tx, user_id).await?;
    let mut a: user_settings::ActiveModel = current.into();
    if let Some(v) = input.theme {
        a.theme = Set(v.to_value());
    }
    if let Some(v) = input.language {
        a.language = Set(v);
    }
    if let Some(v) = input.notify_email {
        a.notify_email = Set(v);
    }
    if let Some(v) = input.notify_push {
        a.notify_push = Set(v);
    }
    if let Some(v) = input.notify_sms {
        a.notify_sms = Set(v);
    }
    if let Some(v) = input.notify_in_app {
        a.notify_in_app = Set(v);
    }
    if let Some(v) = input.display_currency {
        a.display_currency = Set(v);
    }
    if let Some(v) = input.auto_logout_minutes {
        a.auto_logout_minutes = Set(v);
    }
    if let Some(v) = input.settings_json {
        a.settings_json = Set(v);
    }
    Ok(a.update(db).await?)
}
