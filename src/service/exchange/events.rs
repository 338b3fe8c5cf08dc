//! What the exchange announces: every transition of an order, carrying the
//! order as that transition left it, on one topic. Subscribers re-check
//! who they are on every event (`live`).

use serde::{Deserialize, Serialize};

use super::view::OrderView;
use crate::infra::events::Event;

/// The topic of every exchange-order event.
pub const TOPIC: &str = "exchange.orders";

/// An exchange event.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ExchangeEvent {
    /// An order was created or moved to a new status.
    Changed {
        /// The order right after the change.
        order: Box<OrderView>,
    },
}

impl ExchangeEvent {
    /// The bus event for `order` as it is now.
    pub fn changed(order: &OrderView) -> Event {
        Event::typed(
            TOPIC,
            &ExchangeEvent::Changed {
                order: Box::new(order.clone()),
            },
        )
    }
}
