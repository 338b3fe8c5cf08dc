//! Reading KYC: the user's own (through `viewer { kyc }`) and, for
//! reviewers, anyone's, with the ID number masked (last four characters)
//! and the documents reachable through signed links. The number in the
//! clear never leaves this module.

use entity::{user_kyc, verification_documents};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::kyc::mask;
use super::perms::is_reviewer;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;

/// The KYC of `user_id` when the viewer is that user or a reviewer;
/// `None` when there is none or the viewer may not see it.
pub async fn of_user<C: ConnectionTrait>(db: &C, viewer: &Viewer, user_id: Uuid) -> AppResult<Option<user_kyc::Model>> {
    if viewer.user_id != Some(user_id) && !is_reviewer(viewer) {
        return Ok(None);
    }
    Ok(user_kyc::Entity::find()
        .filter(user_kyc::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// `kycSubmission(userId)`: reviewers only (`FORBIDDEN` otherwise).
pub async fn for_reviewer(ctx: &AppContext, viewer: &Viewer, user_id: Uuid) -> AppResult<Option<user_kyc::Model>> {
    viewer.require_user()?;
    if !is_reviewer(viewer) {
        return Err(AppError::forbidden());
    }
    of_user(&ctx.db.read, viewer, user_id).await
}

/// The masked ID number (`****1234`) for the owner or a reviewer.
pub fn masked_id_number(ctx: &AppContext, viewer: &Viewer, row: &user_kyc::Model) -> Option<String> {
    if viewer.user_id != Some(row.user_id) && !is_reviewer(viewer) {
        return None;
    }
    let sealed = row.id_number_encrypted.as_deref()?;
    match ctx.keys.cipher.open(sealed) {
        Ok(plain) => Some(mask(&String::from_utf8_lossy(&plain))),
        Err(_) => {
            tracing::error!(kyc = %row.id, "a KYC ID number does not decrypt");
            None
        }
    }
}

/// The submission's documents (front, back, selfie) for the owner or a
/// reviewer, in that order.
pub async fn documents<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    row: &user_kyc::Model,
) -> AppResult<Vec<verification_documents::Model>> {
    if viewer.user_id != Some(row.user_id) && !is_reviewer(viewer) {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = [&row.id_front_file, &row.id_back_file, &row.selfie_file]
        .into_iter()
        .filter_map(|f| f.as_deref().and_then(|s| Uuid::parse_str(s).ok()))
        .collect();
    let mut docs = verification_documents::Entity::find()
        .filter(verification_documents::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    docs.sort_by_key(|d| ids.iter().position(|i| *i == d.id));
    Ok(docs)
}
