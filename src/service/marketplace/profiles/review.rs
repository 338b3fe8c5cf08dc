//! Reviews of professional profiles. A first submission takes a DRAFT to
//! ACTIVE and APPROVED (or REJECTED). An edit of an approved profile waits
//! in its request's payload as `{old, new}` (reviewers see the diff) while
//! the approved text stays live; approval writes `new` after checking it
//! again, rejection leaves the profile as it was. The owner hears of each
//! decision in-app.

use std::sync::Arc;

use entity::enums::{ApprovalEntityType, ApprovalStatus, ProfileStatus};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement, Value};
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::{by_ids, check, check_guests, lock_own, own_of, snapshot, write_content, ProfileRow, SaveProfile};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::{self, Applier, Appliers, Decision};
use crate::service::identity::Viewer;
use crate::service::marketplace::edits::Owner;
use crate::service::marketplace::perms::MARKETPLACE_USE;
use crate::service::marketplace::professions::{self, Profession};
use crate::service::notification::Subject;

/// Sends the viewer's profile of `role_key` for review (a PROFILE/CONTENT
/// request moderators decide). `CONFLICT` while one is pending or when it
/// is already approved.
pub async fn submit(ctx: &AppContext, viewer: &Viewer, role_key: &str) -> AppResult<ProfileRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let p = professions::profession(role_key.trim())
        .ok_or_else(|| AppError::invalid("roleKey", format!("must be one of {}", professions::keys())))?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = lock_own(&tx, me, p.key).await?;
    let state = (row.is_live(), row.status == ProfileStatus::Suspended.to_value());
    let payload = json!({"roleKey": p.key, "profile": snapshot(&row)});
    approval::submit_first(&tx, me, ApprovalEntityType::Profile, row.id, state, "profile", payload).await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE user_role_profiles SET approval_status = $2, rejection_reason = NULL WHERE id = $1",
        [row.id.into(), ApprovalStatus::Pending.to_value().into()],
    ))
    .await?;
    let after = own_of(&*tx, me, p.key)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("profile vanished inside its transaction")))?;
    tx.commit(&ctx.bus).await?;
    Ok(after)
}

/// What a profile shows, as reviewers compare it: its text and its
/// profession's fields by their GraphQL names (being listed is not
/// reviewed).
fn shown(p: &Profession, row: &ProfileRow) -> Json {
    let fields: Map<String, Json> = p
        .fields
        .iter()
        .map(|f| (f.name.to_string(), row.field(f.column).clone()))
        .collect();
    json!({
        "displayName": row.display_name, "bio": row.bio, "location": row.location,
        "tags": row.tags, "fields": fields,
    })
}

/// What `before` would show after the checked save `clean`, `columns`.
fn proposed(p: &Profession, before: &ProfileRow, clean: &SaveProfile, columns: &[(&'static str, Value)]) -> Json {
    let fields: Map<String, Json> = p
        .fields
        .iter()
        .map(|f| {
            let v = match columns.iter().find(|(c, _)| *c == f.column) {
                Some((_, v)) => value_json(v),
                None => before.field(f.column).clone(),
            };
            (f.name.to_string(), v)
        })
        .collect();
    json!({
        "displayName": clean.display_name, "bio": clean.bio, "location": clean.location,
        "tags": clean.tags.as_ref().unwrap_or(&before.tags), "fields": fields,
    })
}

/// A bound value as the JSON the database returns for its column.
fn value_json(v: &Value) -> Json {
    match v {
        Value::Bool(Some(b)) => json!(b),
        Value::Int(Some(n)) => json!(n),
        Value::BigInt(Some(n)) => json!(n),
        Value::String(Some(s)) => json!(s.as_str()),
        Value::Array(_, Some(items)) => Json::Array(items.iter().map(value_json).collect()),
        _ => Json::Null,
    }
}

/// The save that writes `new` (a [`shown`] picture) over profile `role_key`.
fn save_of(role_key: &str, new: &Json) -> SaveProfile {
    let text = |k: &str| new.get(k).and_then(Json::as_str).map(str::to_string);
    SaveProfile {
        role_key: role_key.to_string(),
        display_name: text("displayName").unwrap_or_default(),
        bio: text("bio"),
        location: text("location"),
        is_profile_public: None,
        tags: new
            .get("tags")
            .and_then(Json::as_array)
            .map(|t| t.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()),
        fields: new
            .get("fields")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// For an approved profile: when the checked save changes what it shows,
/// applies only `isProfilePublic` and opens a PROFILE review of the rest
/// (returned); otherwise `None`, and the caller writes the save.
pub(super) async fn stage_edit(
    tx: &Tx,
    me: Uuid,
    p: &Profession,
    before: &ProfileRow,
    clean: &SaveProfile,
    columns: &[(&'static str, Value)],
) -> AppResult<Option<entity::approval_requests::Model>> {
    let (old, new) = (shown(p, before), proposed(p, before, clean, columns));
    let request = approval::submit_edit(tx, me, ApprovalEntityType::Profile, before.id, old, new).await?;
    if request.is_some() {
        if let Some(public) = clean.is_profile_public {
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE user_role_profiles SET is_profile_public = $2 WHERE id = $1",
                [before.id.into(), public.into()],
            ))
            .await?;
        }
    }
    Ok(request)
}

/// Writes an approved edit (checked again: the rules may have changed
/// since it was sent).
async fn apply_edit(tx: &Tx, row: &ProfileRow, new: &Json) -> AppResult<()> {
    let (p, clean, columns) = check(&save_of(&row.role_key, new))?;
    let locked = lock_own(tx, row.user_id, p.key).await?;
    check_guests(p, &locked, &columns)?;
    write_content(tx, p, locked.id, &clean, &columns).await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE user_role_profiles SET approved_at = now(), rejection_reason = NULL WHERE id = $1",
        [locked.id.into()],
    ))
    .await?;
    Ok(())
}

/// Applies moderators' decisions on PROFILE requests.
struct ProfileApplier;

#[async_trait::async_trait]
impl Applier for ProfileApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        _actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        if matches!(decision, Decision::Cancelled | Decision::Expired) {
            // Withdrawn or unanswered: the profile stays as it was.
            return Ok(());
        }
        let row = by_ids(&**tx, &[request.entity_id])
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound("profile".into()))?;
        let noun = professions::profession(&row.role_key).map_or("professional", |p| p.noun);
        let edit = approval::edit_of(request);
        match (decision, edit) {
            (Decision::Approved, Some(new)) => apply_edit(tx, &row, new).await?,
            (Decision::Approved, None) => {
                tx.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "UPDATE user_role_profiles SET status = $2, approval_status = $3, approved_at = now(), \
                       rejection_reason = NULL WHERE id = $1",
                    [
                        row.id.into(),
                        ProfileStatus::Active.to_value().into(),
                        ApprovalStatus::Approved.to_value().into(),
                    ],
                ))
                .await?;
            }
            (_, None) => {
                tx.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "UPDATE user_role_profiles SET approval_status = $2, rejection_reason = $3 WHERE id = $1",
                    [
                        row.id.into(),
                        ApprovalStatus::Rejected.to_value().into(),
                        remarks.unwrap_or("rejected by a reviewer").into(),
                    ],
                ))
                .await?;
            }
            // A rejected edit: the approved profile stays as it was.
            (_, Some(_)) => {}
        }
        Owner {
            user: row.user_id,
            noun: &format!("{noun} profile"),
            subject: Subject::Professional,
            id: row.id,
        }
        .tell(&**tx, decision, edit.is_some(), remarks)
        .await
    }
}

/// Registers the PROFILE applier.
pub fn register_applier(a: &mut Appliers) {
    a.register(ApprovalEntityType::Profile, Arc::new(ProfileApplier));
}
