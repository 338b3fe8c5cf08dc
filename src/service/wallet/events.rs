//! Wallet events on the bus, and who may receive each one. A posting
//! queues [`WalletEvent::BalanceChanged`] on its user's topic; each
//! `walletUpdated` subscriber is re-checked per event (the event is its
//! own wallet, its session still holds) before anything reaches it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{LedgerEntry, Wallet};
use crate::app::AppContext;
use crate::error::AppError;
use crate::infra::events::{Event, Tx};
use crate::service::identity::{self, Viewer};
use crate::service::money::CurrencyCode;
pub use crate::service::support::events::Delivery;

/// The event topic of a user's wallets.
pub fn topic(user: Uuid) -> String {
    format!("wallet:user:{user}")
}

/// Something that happened to a wallet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum WalletEvent {
    /// A ledger entry was posted and the balance moved.
    #[serde(rename_all = "camelCase")]
    BalanceChanged {
        wallet_id: Uuid,
        user_id: Uuid,
        currency: CurrencyCode,
        /// The new balance in the currency's smallest unit (a decimal
        /// string: 18-decimal balances exceed 64 bits).
        balance: rust_decimal::Decimal,
        entry_id: Uuid,
    },
}

/// Queues "this balance changed" for after the commit.
pub fn balance_changed(tx: &Tx, user: Uuid, wallet: &Wallet, entry: &LedgerEntry) {
    let event = WalletEvent::BalanceChanged {
        wallet_id: wallet.model.id,
        user_id: user,
        currency: wallet.currency.code,
        balance: wallet.model.balance,
        entry_id: entry.model.id,
    };
    tx.publish_after_commit(Event::typed(topic(user), &event));
}

/// The topic a `walletUpdated` subscriber listens on: their own wallets
/// (`wallet.read`); refused up front for anyone else.
pub fn subscription_topic(viewer: &Viewer) -> Result<String, AppError> {
    Ok(topic(viewer.require_self_service(super::perms::WALLET_READ)?))
}

/// For `walletUpdated`: the changed wallet as it is now, if `viewer` may
/// read it by query now (their own wallet, `wallet.read`, the session
/// still valid). An ended session or a lost scope ends the stream.
pub async fn update_for(ctx: &AppContext, viewer: &Viewer, event: &Event) -> Delivery<Wallet> {
    let Some(WalletEvent::BalanceChanged { user_id, currency, .. }) = event.decode::<WalletEvent>() else {
        return Delivery::Skip;
    };
    let user = match viewer.require_self_service(super::perms::WALLET_READ) {
        Ok(u) => u,
        Err(e) => return Delivery::End(e),
    };
    if user != user_id {
        return Delivery::Skip;
    }
    match identity::credentials_valid(&ctx.db.primary, viewer).await {
        Ok(true) => {}
        Ok(false) => return Delivery::End(AppError::Unauthenticated("the session has ended".into())),
        Err(e) => return Delivery::End(e),
    }
    match super::wallet_of(ctx, user, currency).await {
        Ok(w) => Delivery::Deliver(w),
        Err(e) => Delivery::End(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_others_are_not_mine() {
        let e = WalletEvent::BalanceChanged {
            wallet_id: Uuid::nil(),
            user_id: Uuid::nil(),
            currency: CurrencyCode::TRC,
            balance: rust_decimal::Decimal::from(25),
            entry_id: Uuid::nil(),
        };
        let ev = Event::typed("t", &e);
        assert_eq!(ev.payload["kind"], "balanceChanged");
        assert_eq!(ev.payload["balance"], "25");
        assert_eq!(
            ev.payload["currency"],
            crate::service::money::CurrencyCode::TRC.as_str()
        );
        assert_eq!(ev.decode::<WalletEvent>(), Some(e));
        let other = Event::new("t", serde_json::json!({"kind": "updated", "ticketId": Uuid::nil()}));
        assert_eq!(other.decode::<WalletEvent>(), None);
    }
}
