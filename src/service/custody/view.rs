//! A withdrawal as clients see it and as its events carry it, and the
//! `withdrawalUpdated` stream: each event is the withdrawal as that
//! transition left it, on its owner's topic; every delivery re-checks that
//! the subscriber's session (or API key) still holds.

use chrono::{DateTime, FixedOffset};
use entity::enums::WithdrawalStatus;
use entity::withdrawals;
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::perms::WALLET_WITHDRAW;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::{Event, Tx};
use crate::service::identity::{self, Viewer};
pub use crate::service::support::events::Delivery;

/// A withdrawal, detached from the database row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub currency: String,
    pub amount: Decimal,
    pub fee_amount: Decimal,
    pub destination_address: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub tx_hash: Option<String>,
    pub approval_request_id: Option<Uuid>,
    pub usd_value: Option<Decimal>,
    pub dispatched_at: Option<DateTime<FixedOffset>>,
    pub sent_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl WithdrawalView {
    /// The typed status; an unknown stored value is a data bug.
    pub fn status(&self) -> AppResult<WithdrawalStatus> {
        WithdrawalStatus::try_from_value(&self.status)
            .map_err(|e| AppError::internal(anyhow::anyhow!("bad withdrawal status: {e}")))
    }

    /// Amount plus fee: what the withdrawal holds and, once sent, debits.
    pub fn total(&self) -> Decimal {
        self.amount + self.fee_amount
    }
}

impl From<withdrawals::Model> for WithdrawalView {
    fn from(m: withdrawals::Model) -> Self {
        WithdrawalView {
            id: m.id,
            user_id: m.user_id,
            currency: m.currency,
            amount: m.amount,
            fee_amount: m.fee_amount,
            destination_address: m.destination_address,
            status: m.status,
            status_reason: m.status_reason,
            tx_hash: m.tx_hash,
            approval_request_id: m.approval_request_id,
            usd_value: m.usd_value,
            dispatched_at: m.dispatched_at,
            sent_at: m.sent_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The topic of a user's withdrawals.
pub fn topic(user: Uuid) -> String {
    format!("custody:withdrawals:{user}")
}

/// Queues the withdrawal as it is now for its owner, after the commit.
pub fn announce(tx: &Tx, w: &WithdrawalView) {
    tx.publish_after_commit(Event::typed(topic(w.user_id), w));
}

/// The topic a `withdrawalUpdated` subscriber listens on: their own.
pub fn subscription_topic(viewer: &Viewer) -> AppResult<String> {
    Ok(topic(viewer.require_self_service(WALLET_WITHDRAW)?))
}

/// For `withdrawalUpdated`: the withdrawal the event carries, if it is the
/// viewer's and the session still holds; an ended session ends the stream.
pub async fn update_for(ctx: &AppContext, viewer: &Viewer, event: &Event) -> Delivery<WithdrawalView> {
    let Some(w) = event.decode::<WithdrawalView>() else {
        return Delivery::Skip;
    };
    if viewer.user_id != Some(w.user_id) {
        return Delivery::Skip;
    }
    match identity::credentials_valid(&ctx.db.primary, viewer).await {
        Ok(true) => Delivery::Deliver(w),
        Ok(false) => Delivery::End(AppError::Unauthenticated("the session has ended".into())),
        Err(e) => Delivery::End(e),
    }
}
