//! The services a professional offers: name, description, price in paise
//! and duration, active or not. Only the profile's owner changes them; a
//! trigger on `services` keeps `user_role_profiles.price_from_inr` (the
//! lowest active price) current. Free text passes the contact filter
//! ([`super::links`]) and every change is audited in its transaction.
//!
//! The ownership check every portfolio change shares ([`lock_owned`],
//! [`owned`]) lives here too.

use std::collections::HashMap;

use entity::enums::{AuditEntity, ProfileStatus};
use entity::services;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::perms::MARKETPLACE_USE;
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::tx::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// Longest service name.
pub const MAX_NAME: usize = 200;
/// Longest service description.
pub const MAX_DESCRIPTION: usize = 2000;
/// Highest price, in paise (₹10 crore).
pub const MAX_PRICE_INR: i64 = 10_000_000_000;
/// Longest duration, in minutes (a week).
pub const MAX_DURATION_MINUTES: i32 = 10_080;
/// Most services of one profile.
pub const MAX_SERVICES: u64 = 50;

/// Checks that `me` owns profile `id` and may change it, locking the
/// profile row so concurrent changes of its services and portfolio take
/// turns (the per-profile limits hold). `NOT_FOUND` for an unknown
/// profile, `FORBIDDEN` for someone else's or a suspended one.
pub async fn lock_owned<C: ConnectionTrait>(conn: &C, me: Uuid, id: Uuid) -> AppResult<()> {
    owned_inner(conn, me, id, " FOR NO KEY UPDATE").await
}

/// [`lock_owned`] without the lock (checks before expensive work).
pub async fn owned<C: ConnectionTrait>(conn: &C, me: Uuid, id: Uuid) -> AppResult<()> {
    owned_inner(conn, me, id, "").await
}

async fn owned_inner<C: ConnectionTrait>(conn: &C, me: Uuid, id: Uuid, lock: &str) -> AppResult<()> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT user_id, status FROM user_role_profiles WHERE id = $1{lock}"),
            [id.into()],
        ))
        .await?
        .ok_or_else(|| AppError::NotFound("profile".into()))?;
    let owner: Uuid = row.try_get("", "user_id")?;
    let status: String = row.try_get("", "status")?;
    if owner != me {
        return Err(AppError::Forbidden(
            "only the profile's owner changes its services and portfolio".into(),
        ));
    }
    if status == ProfileStatus::Suspended.to_value() {
        return Err(AppError::Forbidden("this profile is suspended".into()));
    }
    Ok(())
}

/// What `saveService` asks for. Optional text and duration are
/// `None` to keep, `Some(None)` to clear and `Some(Some(v))` to set;
/// `is_active` `None` keeps (true for a new service).
#[derive(Clone, Debug, Default)]
pub struct SaveService {
    pub id: Option<Uuid>,
    pub profile_id: Uuid,
    pub name: String,
    pub description: Option<Option<String>>,
    pub price_inr: i64,
    pub duration_minutes: Option<Option<i32>>,
    pub is_active: Option<bool>,
}

/// The checked values of a [`SaveService`].
struct Clean {
    name: String,
    description: Option<Option<String>>,
    duration_minutes: Option<Option<i32>>,
}

fn check(input: &SaveService) -> AppResult<Clean> {
    let mut c = Checks::default();
    let name = c.required("name", &input.name, MAX_NAME);
    let description = input
        .description
        .as_ref()
        .map(|d| c.text("description", d.as_deref(), MAX_DESCRIPTION));
    c.count("priceInr", Some(input.price_inr), MAX_PRICE_INR);
    if let Some(Some(d)) = input.duration_minutes {
        if !(1..=MAX_DURATION_MINUTES).contains(&d) {
            c.bad(
                "durationMinutes",
                format!("must be between 1 and {MAX_DURATION_MINUTES} minutes"),
            );
        }
    }
    c.finish()?;
    Ok(Clean {
        name,
        description,
        duration_minutes: input.duration_minutes,
    })
}

/// The audited picture of a service.
fn snapshot(s: &services::Model) -> Json {
    json!({
        "profileId": s.user_role_profile_id, "name": s.name, "description": s.description,
        "priceInr": s.price_inr, "durationMinutes": s.duration_minutes, "isActive": s.is_active,
    })
}

/// Creates (no `id`) or edits a service of the viewer's profile.
pub async fn save(ctx: &AppContext, viewer: &Viewer, input: SaveService) -> AppResult<services::Model> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let clean = check(&input)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (before, row) = match input.id {
        None => {
            lock_owned(&*tx, me, input.profile_id).await?;
            let n = services::Entity::find()
                .filter(services::Column::UserRoleProfileId.eq(input.profile_id))
                .count(&*tx)
                .await?;
            if n >= MAX_SERVICES {
                return Err(AppError::conflict(
                    Some("profileId"),
                    format!("a profile offers at most {MAX_SERVICES} services"),
                ));
            }
            let now = chrono::Utc::now().into();
            let row = services::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_role_profile_id: Set(input.profile_id),
                name: Set(clean.name),
                description: Set(clean.description.flatten()),
                price_inr: Set(input.price_inr),
                duration_minutes: Set(clean.duration_minutes.flatten()),
                is_active: Set(input.is_active.unwrap_or(true)),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&*tx)
            .await?;
            (None, row)
        }
        Some(id) => {
            let current = lock_service(&tx, id).await?;
            lock_owned(&*tx, me, current.user_role_profile_id).await?;
            if current.user_role_profile_id != input.profile_id {
                return Err(AppError::invalid(
                    "profileId",
                    "a service stays with the profile it was created for",
                ));
            }
            let mut am: services::ActiveModel = current.clone().into();
            am.name = Set(clean.name);
            if let Some(d) = clean.description {
                am.description = Set(d);
            }
            am.price_inr = Set(input.price_inr);
            if let Some(d) = clean.duration_minutes {
                am.duration_minutes = Set(d);
            }
            if let Some(a) = input.is_active {
                am.is_active = Set(a);
            }
            let row = am.update(&*tx).await?;
            (Some(current), row)
        }
    };
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            if before.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            Module::Marketplace,
            AuditEntity::Service,
            Some(row.id),
            "service saved",
        )
        .label(row.name.clone())
        .before(before.as_ref().map_or(Json::Null, snapshot))
        .after(snapshot(&row)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// The service `id`, locked; `NOT_FOUND` when unknown.
async fn lock_service(tx: &Tx, id: Uuid) -> AppResult<services::Model> {
    services::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::NotFound("service".into()))
}

/// Deletes a service of the viewer's profile; returns its id.
pub async fn delete(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let current = lock_service(&tx, id).await?;
    lock_owned(&*tx, me, current.user_role_profile_id).await?;
    services::Entity::delete_by_id(id).exec(&*tx).await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Delete,
            Module::Marketplace,
            AuditEntity::Service,
            Some(id),
            "service deleted",
        )
        .label(current.name.clone())
        .before(snapshot(&current)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(id)
}

/// The services of many profiles (all of them, active or not), cheapest
/// first: one statement.
pub async fn of_profiles<C: ConnectionTrait>(
    conn: &C,
    profiles: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<services::Model>>> {
    let mut out: HashMap<Uuid, Vec<services::Model>> = HashMap::new();
    if profiles.is_empty() {
        return Ok(out);
    }
    let rows = services::Entity::find()
        .filter(services::Column::UserRoleProfileId.is_in(profiles.to_vec()))
        .order_by_asc(services::Column::PriceInr)
        .order_by_asc(services::Column::CreatedAt)
        .order_by_asc(services::Column::Id)
        .all(conn)
        .await?;
    for r in rows {
        out.entry(r.user_role_profile_id).or_default().push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SaveService {
        SaveService {
            name: "Wedding shoot".into(),
            price_inr: 500_000,
            ..Default::default()
        }
    }

    fn fields(r: AppResult<Clean>) -> Vec<String> {
        match r {
            Err(AppError::BadUserInput { fields, .. }) => fields.into_iter().map(|f| f.field).collect(),
            Err(e) => panic!("expected field errors, got {e:?}"),
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn services_are_bounded_and_free_of_contacts() {
        assert!(fields(check(&input())).is_empty());
        let bad = SaveService {
            name: " ".into(),
            description: Some(Some("see www.example.com".into())),
            price_inr: -1,
            duration_minutes: Some(Some(0)),
            ..input()
        };
        assert_eq!(
            fields(check(&bad)),
            ["name", "description", "priceInr", "durationMinutes"]
        );
        let high = SaveService {
            price_inr: MAX_PRICE_INR + 1,
            duration_minutes: Some(Some(MAX_DURATION_MINUTES + 1)),
            ..input()
        };
        assert_eq!(fields(check(&high)), ["priceInr", "durationMinutes"]);
    }
}
