//! Notification output types.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{NotificationKind, NotificationStatus};
use entity::notifications;

use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{db_enum, id, ts};
use crate::service::notification::{self, NotificationFilter, Subject};

/// What kind of thing a notification is about.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum NotificationSubjectType {
    /// A support ticket (open it with `supportTicket(id:)`).
    SupportTicket,
    /// An approval request.
    ApprovalRequest,
    /// A crypto withdrawal (open it with `withdrawal(id:)`).
    Withdrawal,
    /// A crypto deposit (listed by `cryptoDeposits`).
    CryptoDeposit,
    /// A professional's profile (open it with `professional(id:)`).
    Professional,
    /// A company profile.
    Company,
    /// A job (open it with `job(id:)`).
    Job,
    /// An application to a job.
    JobApplication,
    /// A customer's lead (open it with `lead(id:)`).
    Lead,
    /// A professional's request for a lead.
    LeadRequest,
    /// A review.
    Review,
    /// A candidate profile (yours: `myCandidateProfile`).
    Candidate,
}

impl From<Subject> for NotificationSubjectType {
    fn from(s: Subject) -> Self {
        match s {
            Subject::SupportTicket => NotificationSubjectType::SupportTicket,
            Subject::ApprovalRequest => NotificationSubjectType::ApprovalRequest,
            Subject::Withdrawal => NotificationSubjectType::Withdrawal,
            Subject::CryptoDeposit => NotificationSubjectType::CryptoDeposit,
            Subject::Professional => NotificationSubjectType::Professional,
            Subject::Company => NotificationSubjectType::Company,
            Subject::Job => NotificationSubjectType::Job,
            Subject::JobApplication => NotificationSubjectType::JobApplication,
            Subject::Lead => NotificationSubjectType::Lead,
            Subject::LeadRequest => NotificationSubjectType::LeadRequest,
            Subject::Review => NotificationSubjectType::Review,
            Subject::Candidate => NotificationSubjectType::Candidate,
        }
    }
}

/// Something the platform told you, shown in the app.
pub struct Notification(pub notifications::Model);

/// Something the platform told you, shown in the app.
#[Object]
impl Notification {
    /// Stable identifier of the notification.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Its topic (a ticket reply, an approval, a transaction, ...).
    async fn kind(&self) -> Result<NotificationKind> {
        Ok(db_enum(&self.0.kind)?)
    }
    /// A one-line headline.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// More detail, when there is any.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// Whether it is waiting, delivered or read.
    async fn status(&self) -> Result<NotificationStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    /// What kind of thing it is about; null when it is about nothing in
    /// particular (or about a kind this API version does not know).
    async fn related_entity_type(&self) -> Option<NotificationSubjectType> {
        self.0
            .related_entity_type
            .as_deref()
            .and_then(Subject::from_db)
            .map(Into::into)
    }
    /// Id of what it is about (of the kind in `relatedEntityType`).
    async fn related_entity_id(&self) -> Option<ID> {
        self.0.related_entity_id.map(id)
    }
    /// A link into the app to open, when it has one.
    async fn action_url(&self) -> Option<&str> {
        self.0.action_url.as_deref()
    }
    /// When you read it; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at.map(ts)
    }
    /// When it was sent (the list is ordered by this, newest first).
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// `totalCount` of your notifications, counted only when asked for.
pub struct NotificationCount {
    pub(super) filter: NotificationFilter,
}

/// `totalCount` of your notifications, counted only when asked for.
#[Object]
impl NotificationCount {
    /// Notifications matching the filter, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(notification::count_for_viewer(app(ctx)?, viewer(ctx), self.filter).await? as i64)
    }
}

/// What `markNotificationsRead` changed.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// The notifications this call marked read (now with `status` READ and
    /// `readAt` set), newest first; ones already read are not repeated.
    pub notifications: Vec<Notification>,
    /// How many this call marked read.
    pub count: i32,
}
