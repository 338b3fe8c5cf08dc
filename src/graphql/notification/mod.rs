//! In-app notifications over GraphQL: the viewer's list (a connection
//! walkable both ways) and marking them read. Resolvers call
//! `service::notification` and map the result.

mod inputs;
mod mutation;
mod query;
mod types;

pub use inputs::MarkNotificationsReadInput;
pub use mutation::NotificationMutation;
pub use query::NotificationQuery;
pub use types::{MarkNotificationsReadPayload, Notification, NotificationCount, NotificationSubjectType};
