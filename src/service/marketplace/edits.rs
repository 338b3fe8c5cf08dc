//! What every marketplace profile save shares: its audit entry, which
//! says whether it was created, written or sent for review, and the
//! notice its owner gets when a moderator decides on it.

use entity::enums::NotificationKind;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::error::AppResult;
use crate::service::approval::Decision;
use crate::service::audit::{Action, AuditEntity, Entry, Module};
use crate::service::notification::{self, Notice, Subject};

/// The audit entry of saving `noun` `id`: created or updated, written at
/// once or (`staged`) sent for review as an edit of the approved version.
pub fn save_entry(entity: AuditEntity, id: Uuid, noun: &str, created: bool, staged: bool) -> Entry {
    Entry::new(
        if created { Action::Create } else { Action::Update },
        Module::Marketplace,
        entity,
        Some(id),
        if staged {
            format!("{noun} edit sent for review")
        } else {
            format!("{noun} saved")
        },
    )
}

/// Whose entity a moderator decided on, and how to name it to them.
pub struct Owner<'a> {
    /// The user told.
    pub user: Uuid,
    /// What it is, as the owner knows it: "photographer profile".
    pub noun: &'a str,
    /// What the notice links to.
    pub subject: Subject,
    /// Its id.
    pub id: Uuid,
}

impl Owner<'_> {
    /// Tells the owner in-app what was decided on their first submission or
    /// on an edit (`edit`), with the moderator's remarks, so every reviewed
    /// marketplace entity sends the same four notices. Withdrawn and expired
    /// requests changed nothing and say nothing.
    pub async fn tell<C: ConnectionTrait>(
        &self,
        conn: &C,
        decision: Decision,
        edit: bool,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let noun = self.noun;
        let (title, body) = match (decision, edit) {
            (Decision::Cancelled | Decision::Expired, _) => return Ok(()),
            (Decision::Approved, false) => (format!("Your {noun} is approved"), "It is now live.".to_string()),
            (Decision::Approved, true) => (
                format!("Your {noun} changes are live"),
                "A moderator approved them.".to_string(),
            ),
            (Decision::Rejected, false) => (
                format!("Your {noun} was not approved"),
                remarks.unwrap_or("A moderator did not approve it.").to_string(),
            ),
            (Decision::Rejected, true) => (
                format!("Your {noun} changes were not accepted"),
                format!(
                    "{} The approved version stays as it was.",
                    remarks.unwrap_or("A moderator did not accept them.")
                ),
            ),
        };
        notification::notify_many(
            conn,
            &[self.user],
            Notice {
                kind: NotificationKind::Marketplace,
                title,
                body,
                entity_type: self.subject,
                entity_id: self.id,
            },
        )
        .await
    }
}
