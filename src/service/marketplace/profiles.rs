//! Professionals' role profiles: one per user and profession, saved with
//! that profession's own fields ([`super::professions`]), DRAFT until a
//! moderator approves it through the approval engine (then ACTIVE and
//! APPROVED; [`review`]). Public when ACTIVE, APPROVED and
//! `is_profile_public`; the owner and moderators see every state. An edit
//! of an approved profile waits for review while the approved text stays
//! live.

mod review;

pub use review::{register_applier, submit};

use chrono::{DateTime, FixedOffset, Utc};
use entity::enums::{ApprovalEntityType, ApprovalStatus, AuditEntity, ProfileStatus, VerificationStatus};
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::edits::save_entry;
use super::perms::{MARKETPLACE_USE, PROFILES_MANAGE};
use super::professions::{self, Kind, Profession, FIELDS_SQL, MAX_COUNT, MAX_LABEL, MAX_LIST, MAX_PAISE, MAX_TEXT};
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::{ensure_editable, Saved};
use crate::service::audit;
use crate::service::identity::Viewer;

/// Longest display name.
pub const MAX_NAME: usize = 80;
/// Longest bio.
pub const MAX_BIO: usize = 2000;
/// Longest location.
pub const MAX_LOCATION: usize = 120;
/// Most search tags, and the longest.
pub const MAX_TAGS: usize = 20;
const MAX_TAG: usize = 40;

/// A profile as every read returns it: the root row, its profession's
/// extension row as JSON (`fields`, keyed by column), and the search rank
/// when it came from a full-text search.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ProfileRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role_key: String,
    pub display_name: String,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub status: String,
    pub verification_status: String,
    pub approval_status: String,
    pub rejection_reason: Option<String>,
    pub approved_at: Option<DateTime<FixedOffset>>,
    pub verified_at: Option<DateTime<FixedOffset>>,
    pub is_profile_public: bool,
    pub tags: Vec<String>,
    pub rating: Decimal,
    pub review_count: i32,
    pub price_from_inr: Option<i64>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub fields: Option<Json>,
    pub rank: f32,
}

impl ProfileRow {
    /// Whether anyone may see it.
    pub fn is_public(&self) -> bool {
        self.status == ProfileStatus::Active.to_value()
            && self.approval_status == ApprovalStatus::Approved.to_value()
            && self.is_profile_public
    }

    /// Whether `viewer` may see it: public, their own, or a moderator.
    pub fn visible_to(&self, viewer: &Viewer) -> bool {
        self.is_public() || viewer.user_id == Some(self.user_id) || viewer.can(PROFILES_MANAGE)
    }

    /// Whether it is ACTIVE and APPROVED (it may then work leads).
    pub fn is_live(&self) -> bool {
        self.status == ProfileStatus::Active.to_value() && self.approval_status == ApprovalStatus::Approved.to_value()
    }

    /// The extension column `column`, JSON null when unset.
    pub fn field(&self, column: &str) -> &Json {
        self.fields.as_ref().and_then(|f| f.get(column)).unwrap_or(&Json::Null)
    }
}

/// The select list of [`ProfileRow`] over `user_role_profiles p`, with the
/// rank expression `rank`.
pub fn select_sql(rank: &str) -> String {
    format!(
        "SELECT p.id, p.user_id, p.role_key, p.display_name, p.bio, p.location, p.status, \
           p.verification_status, p.approval_status, p.rejection_reason, p.approved_at, p.verified_at, \
           p.is_profile_public, p.tags, p.rating, p.review_count, p.price_from_inr, p.created_at, \
           p.updated_at, {} AS fields, ({rank})::real AS rank FROM user_role_profiles p",
        *FIELDS_SQL
    )
}

/// Profiles by id, in no particular order (one statement).
pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<ProfileRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{} WHERE p.id = ANY($1)", select_sql("0"));
    Ok(ProfileRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [ids.to_vec().into()],
    ))
    .all(conn)
    .await?)
}

/// One profile if `viewer` may see it.
pub async fn visible<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<Option<ProfileRow>> {
    Ok(by_ids(conn, &[id]).await?.pop().filter(|p| p.visible_to(viewer)))
}

/// The viewer's own profiles, in the catalogue's order.
pub async fn mine<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Vec<ProfileRow>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let sql = format!("{} WHERE p.user_id = $1 ORDER BY p.created_at, p.id", select_sql("0"));
    Ok(
        ProfileRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, [me.into()]))
            .all(conn)
            .await?,
    )
}

/// The viewer's profile of profession `role_key`, if any.
pub async fn own_of<C: ConnectionTrait>(conn: &C, user: Uuid, role_key: &str) -> AppResult<Option<ProfileRow>> {
    let sql = format!("{} WHERE p.user_id = $1 AND p.role_key = $2", select_sql("0"));
    Ok(ProfileRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [user.into(), role_key.into()],
    ))
    .one(conn)
    .await?)
}

/// What `saveProfessionalProfile` asks for. `fields` holds the profession
/// fields the client sent, by their camel-case names (unset ones keep
/// their value).
#[derive(Clone, Debug, Default)]
pub struct SaveProfile {
    pub role_key: String,
    pub display_name: String,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub is_profile_public: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub fields: Map<String, Json>,
}

/// A profession field's checked value, ready to bind.
fn field_value(c: &mut Checks, p: &Profession, name: &str, v: &Json) -> Option<(&'static str, Value)> {
    let Some(f) = p.field(name) else {
        c.bad(name, format!("is not a field of a {} profile", p.noun));
        return None;
    };
    let bad_type = |c: &mut Checks, what: &str| {
        c.bad(name, format!("must be {what}"));
        None
    };
    let value = match f.kind {
        Kind::List => {
            let Some(items) = v.as_array() else {
                return bad_type(c, "a list of text");
            };
            let items: Vec<String> = items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect();
            Value::from(c.labels(name, &items, MAX_LIST, MAX_LABEL, false))
        }
        Kind::Bool => match v.as_bool() {
            Some(b) => Value::from(b),
            None => return bad_type(c, "true or false"),
        },
        Kind::Count => match c.count(name, v.as_i64(), MAX_COUNT) {
            Some(n) => Value::from(n as i32),
            None => return None,
        },
        Kind::Paise => match c.count(name, v.as_i64(), MAX_PAISE) {
            Some(n) => Value::from(n),
            None => return None,
        },
        Kind::Text | Kind::Availability => match v.as_str() {
            Some(s) => Value::from(c.text(name, Some(s), MAX_TEXT)),
            None => return bad_type(c, "text"),
        },
    };
    Some((f.column, value))
}

/// A checked save: the profession, the cleaned common fields and the
/// extension columns to write.
type Checked = (&'static Profession, SaveProfile, Vec<(&'static str, Value)>);

/// Checks `input` against its profession; every problem at once.
fn check(input: &SaveProfile) -> AppResult<Checked> {
    let mut c = Checks::default();
    let Some(p) = professions::profession(input.role_key.trim()) else {
        return Err(AppError::invalid(
            "roleKey",
            format!("must be one of {}", professions::keys()),
        ));
    };
    let clean = SaveProfile {
        role_key: p.key.to_string(),
        display_name: c.required("displayName", &input.display_name, MAX_NAME),
        bio: c.text("bio", input.bio.as_deref(), MAX_BIO),
        location: c.text("location", input.location.as_deref(), MAX_LOCATION),
        is_profile_public: input.is_profile_public,
        tags: input
            .tags
            .as_ref()
            .map(|t| c.labels("tags", t, MAX_TAGS, MAX_TAG, true)),
        fields: Map::new(),
    };
    let mut columns = Vec::new();
    for (name, v) in &input.fields {
        if let Some(col) = field_value(&mut c, p, name, v) {
            columns.push(col);
        }
    }
    c.finish()?;
    Ok((p, clean, columns))
}

/// Creates or edits the viewer's profile of `input.role_key` (DRAFT when
/// new). Edits are refused while a review is pending and on a suspended
/// profile. An edit that changes what an approved profile shows is sent
/// for review instead of written (only `isProfilePublic` applies at once).
pub async fn save(ctx: &AppContext, viewer: &Viewer, input: SaveProfile) -> AppResult<Saved<ProfileRow>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let (p, clean, columns) = check(&input)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let created = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO user_role_profiles (user_id, role_key, display_name) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, role_key) DO NOTHING RETURNING id",
            [me.into(), p.key.into(), clean.display_name.clone().into()],
        ))
        .await?
        .is_some();
    let before = lock_own(&tx, me, p.key).await?;
    let suspended = before.status == ProfileStatus::Suspended.to_value();
    ensure_editable(&tx, ApprovalEntityType::Profile, before.id, suspended, "profile").await?;
    check_guests(p, &before, &columns)?;
    let staged = if before.is_live() {
        review::stage_edit(&tx, me, p, &before, &clean, &columns).await?
    } else {
        None
    };
    if staged.is_none() {
        write_content(&tx, p, before.id, &clean, &columns).await?;
    }
    let after = own_of(&*tx, me, p.key)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("profile vanished inside its transaction")))?;
    audit::record(
        &*tx,
        Some(viewer),
        save_entry(
            AuditEntity::UserRoleProfile,
            after.id,
            &format!("{} profile", p.noun),
            created,
            staged.is_some(),
        )
        .before(if created { Json::Null } else { snapshot(&before) })
        .after(snapshot(&after)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(Saved {
        row: after,
        review: staged,
    })
}

/// Writes checked content into profile `id` and its extension row.
async fn write_content(
    tx: &Tx,
    p: &Profession,
    id: Uuid,
    clean: &SaveProfile,
    columns: &[(&'static str, Value)],
) -> AppResult<()> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE user_role_profiles SET display_name = $2, bio = $3, location = $4, \
           is_profile_public = coalesce($5, is_profile_public), tags = coalesce($6, tags) WHERE id = $1",
        [
            id.into(),
            clean.display_name.clone().into(),
            clean.bio.clone().into(),
            clean.location.clone().into(),
            clean.is_profile_public.into(),
            clean
                .tags
                .clone()
                .map(Value::from)
                .unwrap_or(Value::Array(sea_orm::sea_query::ArrayType::String, None)),
        ],
    ))
    .await?;
    upsert_fields(tx, p, id, columns).await
}

/// The audited picture of a profile.
fn snapshot(p: &ProfileRow) -> Json {
    json!({
        "displayName": p.display_name, "bio": p.bio, "location": p.location,
        "isProfilePublic": p.is_profile_public, "tags": p.tags, "fields": p.fields,
    })
}

/// Locks the profile of `user` and `role_key`.
async fn lock_own(tx: &Tx, user: Uuid, role_key: &str) -> AppResult<ProfileRow> {
    let sql = format!(
        "{} WHERE p.user_id = $1 AND p.role_key = $2 FOR UPDATE OF p",
        select_sql("0")
    );
    ProfileRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [user.into(), role_key.into()],
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| AppError::NotFound("profile".into()))
}

/// A caterer's minimum guests may not exceed the maximum, counting what
/// is already stored.
fn check_guests(p: &Profession, before: &ProfileRow, columns: &[(&str, Value)]) -> AppResult<()> {
    if p.key != "catering_service" {
        return Ok(());
    }
    let pick = |col: &str| -> Option<i64> {
        match columns.iter().find(|(c, _)| *c == col) {
            Some((_, Value::Int(v))) => v.map(i64::from),
            Some(_) => None,
            None => before.field(col).as_i64(),
        }
    };
    match (pick("min_guests"), pick("max_guests")) {
        (Some(min), Some(max)) if min > max => Err(AppError::invalid("maxGuests", "must be at least minGuests")),
        _ => Ok(()),
    }
}

/// Writes the sent profession fields into the extension row (created on
/// first save).
async fn upsert_fields(tx: &Tx, p: &Profession, profile: Uuid, columns: &[(&'static str, Value)]) -> AppResult<()> {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let mut values: Vec<Value> = vec![profile.into()];
    values.extend(columns.iter().map(|(_, v)| v.clone()));
    let placeholders: String = (2..=values.len()).map(|i| format!(", ${i}")).collect();
    let conflict = if names.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let sets: Vec<String> = names.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect();
        format!("DO UPDATE SET {}", sets.join(", "))
    };
    let cols: String = names.iter().map(|c| format!(", {c}")).collect();
    let sql = format!(
        "INSERT INTO {} (user_role_profile_id{cols}) VALUES ($1{placeholders}) \
         ON CONFLICT (user_role_profile_id) {conflict}",
        p.table
    );
    tx.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .await?;
    Ok(())
}

/// Whether `user` has a live (ACTIVE, APPROVED) profile of `role_key`,
/// and which.
pub async fn live_of<C: ConnectionTrait>(conn: &C, user: Uuid, role_key: &str) -> AppResult<Option<ProfileRow>> {
    Ok(own_of(conn, user, role_key).await?.filter(ProfileRow::is_live))
}

/// The professions in which `user` has a live profile.
pub async fn live_professions<C: ConnectionTrait>(conn: &C, user: Uuid) -> AppResult<Vec<String>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT role_key FROM user_role_profiles WHERE user_id = $1 AND status = $2 AND approval_status = $3",
            [
                user.into(),
                ProfileStatus::Active.to_value().into(),
                ApprovalStatus::Approved.to_value().into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "role_key").map_err(AppError::from))
        .collect()
}

/// Whether a verification is on record.
pub fn is_verified(p: &ProfileRow) -> bool {
    p.verification_status == VerificationStatus::Verified.to_value()
}

/// The time as UTC.
pub fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}
