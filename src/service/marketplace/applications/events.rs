//! The live `jobApplicationReceived`: each new application is announced
//! after its commit on its poster's topic; every delivery re-checks that
//! the subscriber is that poster and that their session still holds, and
//! reads the application as it is now.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApplicationRow;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::{Event, Tx};
use crate::service::identity::{self, Viewer};
use crate::service::marketplace::jobs::{self, JobRow};
use crate::service::marketplace::perms::MARKETPLACE_USE;
pub use crate::service::support::events::Delivery;

/// A new application, as the bus carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationReceived {
    pub application_id: Uuid,
    pub job_id: Uuid,
    pub poster_user_id: Uuid,
}

/// The topic of the applications to one poster's jobs.
pub fn topic(poster: Uuid) -> String {
    format!("marketplace:job-applications:{poster}")
}

/// Queues the announcement of `row` to `poster`, after the commit.
pub fn announce(tx: &Tx, poster: Uuid, row: &ApplicationRow) {
    let event = ApplicationReceived {
        application_id: row.id,
        job_id: row.job_id,
        poster_user_id: poster,
    };
    tx.publish_after_commit(Event::typed(topic(poster), &event));
}

/// The topic a `jobApplicationReceived` subscriber listens on: their own.
pub fn subscription_topic(viewer: &Viewer) -> AppResult<String> {
    Ok(topic(viewer.require_self_service(MARKETPLACE_USE)?))
}

/// For `jobApplicationReceived`: the application the event names, with
/// its job, if the subscriber posted that job and their session still
/// holds; an ended session ends the stream.
pub async fn received_for(ctx: &AppContext, viewer: &Viewer, event: &Event) -> Delivery<(ApplicationRow, JobRow)> {
    let Some(e) = event.decode::<ApplicationReceived>() else {
        return Delivery::Skip;
    };
    if viewer.user_id != Some(e.poster_user_id) {
        return Delivery::Skip;
    }
    match identity::credentials_valid(&ctx.db.primary, viewer).await {
        Ok(true) => {}
        Ok(false) => return Delivery::End(AppError::Unauthenticated("the session has ended".into())),
        Err(e) => return Delivery::End(e),
    }
    let db = &ctx.db.primary;
    let row = match super::by_id(db, e.application_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Delivery::Skip,
        Err(e) => return Delivery::End(e),
    };
    match jobs::by_ids(db, viewer.user_id, &[row.job_id]).await {
        // Still the subscriber's job (re-checked on the row as it is now).
        Ok(mut found) => match found.pop() {
            Some(job) if job.job.posted_by_user_id == viewer.user_id => Delivery::Deliver((row, job)),
            _ => Delivery::Skip,
        },
        Err(e) => Delivery::End(e),
    }
}
