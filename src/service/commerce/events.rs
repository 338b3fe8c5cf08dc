//! Commerce's events on the bus (topic [`super::topic`] of the buyer),
//! serialised with serde: subscribers match on variants.

use entity::enums::OrderStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Something that happened to a buyer's commerce records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CommerceEvent {
    /// An order was made or changed status (paid, failed, refunded).
    #[serde(rename_all = "camelCase")]
    OrderChanged {
        order_id: Uuid,
        /// The order's status after the change (its stored value).
        status: String,
    },
}

impl CommerceEvent {
    /// The "order changed" event of an order now in `status`.
    pub fn order_changed(order_id: Uuid, status: OrderStatus) -> Self {
        use sea_orm::ActiveEnum;
        CommerceEvent::OrderChanged {
            order_id,
            status: status.to_value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_the_bus_encoding() {
        let e = CommerceEvent::order_changed(Uuid::nil(), OrderStatus::Completed);
        let ev = crate::infra::events::Event::typed("commerce:user:x", &e);
        assert_eq!(ev.payload["kind"], "orderChanged");
        assert_eq!(
            ev.payload["status"],
            sea_orm::ActiveEnum::to_value(&entity::enums::OrderStatus::Completed)
        );
        assert_eq!(ev.decode::<CommerceEvent>(), Some(e));
    }
}
