//! What every marketplace profile save shares: its audit entry, which
//! says whether it was created, written or sent for review.

use uuid::Uuid;

use crate::service::audit::{Action, AuditEntity, Entry, Module};

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
