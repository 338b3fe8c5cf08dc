//! Unlocking a lead's contact details: a professional with a live profile
//! of the lead's profession pays the runtime-configured tracecoins once.
//! The unique (lead, profile) row decides between concurrent unlocks: the
//! first inserts it and debits in the same transaction; the others wait
//! on that row and then find it (replayed, nothing debited). The debit's
//! own idempotency key is per lead and profile, so even a retry after a
//! lost answer cannot pay twice.

use chrono::Utc;
use entity::enums::{AuditEntity, LeadStatus};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use super::leads::{self, status_of, LeadRow};
use super::perms::MARKETPLACE_USE;
use super::profiles;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;
use crate::service::wallet::{self, PostingRequest, ReferenceType};

/// What the marketplace charges, from runtime config `marketplace/pricing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// Tracecoins to unlock one lead's contact.
    pub lead_unlock: i64,
    /// Tracecoins to post one job without a JOB_POSTING package.
    pub job_posting: i64,
}

impl Default for Pricing {
    fn default() -> Self {
        Pricing {
            lead_unlock: 20,
            job_posting: 50,
        }
    }
}

/// The prices in force (defaults when the config row is missing).
pub async fn pricing<C: ConnectionTrait>(conn: &C) -> AppResult<Pricing> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT config_value_json FROM runtime_configs WHERE config_group = $1 AND config_key = $2 AND is_active",
            ["marketplace".into(), "pricing".into()],
        ))
        .await?;
    let v = row.and_then(|r| r.try_get::<serde_json::Value>("", "config_value_json").ok());
    let d = Pricing::default();
    let read = |k: &str, d: i64| v.as_ref().and_then(|v| v[k].as_i64()).filter(|n| *n >= 0).unwrap_or(d);
    Ok(Pricing {
        lead_unlock: read("leadUnlockTracecoins", d.lead_unlock),
        job_posting: read("jobPostingTracecoins", d.job_posting),
    })
}

/// The unlocked lead, and whether it had been unlocked before.
pub struct Unlocked {
    pub lead: LeadRow,
    pub replayed: bool,
}

/// `unlockLeadContact`.
pub async fn unlock(ctx: &AppContext, viewer: &Viewer, lead_id: Uuid, key: &str) -> AppResult<Unlocked> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 200 {
        return Err(AppError::invalid("idempotencyKey", "must be 1 to 200 characters"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let Some(lead) = leads::by_ids(&*tx, viewer, &[lead_id]).await?.pop() else {
        return Err(AppError::NotFound("lead".into()));
    };
    if lead.created_by_user_id == me {
        return Err(AppError::invalid("leadId", "this is your own lead"));
    }
    let Some(profile) = profiles::live_of(&*tx, me, &lead.profession_key).await? else {
        return Err(AppError::Forbidden(format!(
            "unlocking needs an approved {} profile",
            lead.profession_key
        )));
    };
    if lead.unlocked {
        return Ok(Unlocked { lead, replayed: true });
    }
    if status_of(&lead)? != LeadStatus::Open {
        return Err(AppError::conflict(None, "only an OPEN lead can be unlocked"));
    }
    let price = pricing(&*tx).await?.lead_unlock;
    let inserted = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO lead_unlocks (lead_id, user_role_profile_id, user_id, tracecoins, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
            [lead_id.into(), profile.id.into(), me.into(), price.into(), key.into()],
        ))
        .await?;
    let Some(inserted) = inserted else {
        // Someone else's unlock of this lead committed first, or the key
        // already paid for another lead.
        let Some(lead) = leads::by_ids(&*tx, viewer, &[lead_id]).await?.pop() else {
            return Err(AppError::NotFound("lead".into()));
        };
        if lead.unlocked {
            return Ok(Unlocked { lead, replayed: true });
        }
        return Err(AppError::conflict(
            Some("idempotencyKey"),
            "this key already unlocked another lead",
        ));
    };
    let unlock_id: Uuid = inserted.try_get("", "id")?;
    if price > 0 {
        let posted = wallet::debit_own_in(
            &tx,
            viewer,
            PostingRequest {
                amount: Decimal::from(price),
                currency: CurrencyCode::TRC,
                reference_type: ReferenceType::Lead,
                reference_id: Some(lead_id),
                remarks: Some(format!("Unlocked the contact of lead \"{}\"", lead.title)),
                idempotency_key: format!("lead-unlock:{lead_id}:{}", profile.id),
            },
        )
        .await?;
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE lead_unlocks SET ledger_entry_id = $2 WHERE id = $1",
            [unlock_id.into(), posted.entry.model.id.into()],
        ))
        .await?;
    }
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Debit,
            Module::Marketplace,
            AuditEntity::LeadUnlock,
            Some(unlock_id),
            "lead contact unlocked",
        )
        .metadata(json!({"leadId": lead_id, "profileId": profile.id, "tracecoins": price, "at": Utc::now()})),
    )
    .await?;
    let lead = leads::by_ids(&*tx, viewer, &[lead_id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound("lead".into()))?;
    tx.commit(&ctx.bus).await?;
    Ok(Unlocked { lead, replayed: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveEnum;

    #[test]
    fn default_prices_match_the_migration() {
        assert_eq!(
            Pricing::default(),
            Pricing {
                lead_unlock: 20,
                job_posting: 50
            }
        );
        assert_eq!(LeadStatus::Open.to_value(), "OPEN");
    }
}
