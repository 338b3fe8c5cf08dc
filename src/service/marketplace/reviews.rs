//! Reviews: 1 to 5 stars with text, one per reviewer and reviewed entity,
//! only from someone who did business with them (the poster of a lead
//! whose request from that professional they accepted; an applicant a
//! company made an offer to). PENDING until a moderator publishes or hides
//! it; a trigger keeps each profile's rating and review count from the
//! published ones, so lists read stored columns.

use chrono::{DateTime, FixedOffset, Utc};
use entity::enums::{
    AuditEntity, JobApplicationStatus, LeadRequestStatus, NotificationKind, ReviewEntityType, ReviewStatus,
};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use super::perms::{MARKETPLACE_USE, REVIEWS_MODERATE};
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::notification::{self, Notice, Subject};
use crate::service::page::{self, PageRequest, Paged};

/// Longest review text.
pub const MAX_TEXT: usize = 2000;

/// A review with its reviewer's display name.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ReviewRow {
    pub id: Uuid,
    pub reviewer_user_id: Uuid,
    pub reviewer_name: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub rating: i16,
    pub review_text: Option<String>,
    pub status: String,
    pub created_at: DateTime<FixedOffset>,
}

const SELECT: &str = "SELECT v.id, v.reviewer_user_id, u.display_name AS reviewer_name, v.entity_type, v.entity_id, \
    v.rating, v.review_text, v.status, v.created_at FROM reviews v JOIN users u ON u.id = v.reviewer_user_id";

/// Which reviews to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub entity_type: Option<ReviewEntityType>,
    pub entity_id: Option<Uuid>,
    pub status: Option<ReviewStatus>,
}

/// The keyset of review lists: newest first.
pub type Cursor = (DateTime<Utc>, Uuid);

/// The cursor of a review.
pub fn cursor(r: &ReviewRow) -> Cursor {
    (r.created_at.with_timezone(&Utc), r.id)
}

/// Published reviews for everyone; moderators see every state; reviewers
/// also their own.
fn conditions(viewer: &Viewer, f: &Filter) -> (Vec<String>, Vec<Value>) {
    let mut values: Vec<Value> = Vec::new();
    let mut wheres = vec!["true".to_string()];
    if !viewer.can(REVIEWS_MODERATE) {
        values.push(viewer.user_id.into());
        values.push(ReviewStatus::Published.to_value().into());
        wheres.push("(v.status = $2 OR v.reviewer_user_id IS NOT DISTINCT FROM $1)".to_string());
    }
    if let Some(t) = f.entity_type {
        values.push(t.to_value().into());
        wheres.push(format!("v.entity_type = ${}", values.len()));
    }
    if let Some(id) = f.entity_id {
        values.push(id.into());
        wheres.push(format!("v.entity_id = ${}", values.len()));
    }
    if let Some(s) = f.status {
        values.push(s.to_value().into());
        wheres.push(format!("v.status = ${}", values.len()));
    }
    (wheres, values)
}

/// A page of reviews, newest first (one statement).
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &Filter,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<ReviewRow>> {
    let (mut wheres, mut values) = conditions(viewer, filter);
    let tail = page.sql(&["v.created_at", "v.id"], true, &mut wheres, &mut values);
    let sql = format!("{SELECT} WHERE {} {tail}", wheres.join(" AND "));
    let rows = ReviewRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .all(conn)
        .await?;
    Ok(page.finish(rows))
}

/// How many reviews of `filter` the viewer may see.
pub async fn count<C: ConnectionTrait>(conn: &C, viewer: &Viewer, filter: &Filter) -> AppResult<u64> {
    let (wheres, values) = conditions(viewer, filter);
    let sql = format!("SELECT count(*) AS n FROM reviews v WHERE {}", wheres.join(" AND "));
    page::count(conn, sql, values).await
}

async fn one<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<ReviewRow>> {
    let sql = format!("{SELECT} WHERE v.id = $1");
    Ok(
        ReviewRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, [id.into()]))
            .one(conn)
            .await?,
    )
}

/// Whether `reviewer` did business with the entity: for a professional,
/// an accepted request on one of the reviewer's leads; for a company, an
/// offer on one of its jobs to the reviewer.
async fn did_business<C: ConnectionTrait>(
    conn: &C,
    reviewer: Uuid,
    kind: ReviewEntityType,
    id: Uuid,
) -> AppResult<bool> {
    let (sql, values): (&str, Vec<Value>) = match kind {
        ReviewEntityType::Professional => (
            "SELECT 1 FROM lead_requests r JOIN leads l ON l.id = r.lead_id \
             WHERE r.user_role_profile_id = $1 AND l.created_by_user_id = $2 AND r.status = $3 LIMIT 1",
            vec![
                id.into(),
                reviewer.into(),
                LeadRequestStatus::Accepted.to_value().into(),
            ],
        ),
        ReviewEntityType::Company => (
            "SELECT 1 FROM job_applications a JOIN jobs j ON j.id = a.job_id \
             WHERE j.company_profile_id = $1 AND a.applicant_user_id = $2 AND a.status = $3 LIMIT 1",
            vec![
                id.into(),
                reviewer.into(),
                JobApplicationStatus::Offered.to_value().into(),
            ],
        ),
    };
    Ok(conn
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .await?
        .is_some())
}

/// What `submitReview` asks for.
#[derive(Clone, Debug)]
pub struct NewReview {
    pub entity_type: ReviewEntityType,
    pub entity_id: Uuid,
    pub rating: i32,
    pub text: Option<String>,
}

/// `submitReview`: PENDING until moderated.
pub async fn submit(ctx: &AppContext, viewer: &Viewer, n: NewReview) -> AppResult<ReviewRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let mut c = Checks::default();
    if !(1..=5).contains(&n.rating) {
        c.bad("rating", "must be from 1 to 5");
    }
    let text = c.text("text", n.text.as_deref(), MAX_TEXT);
    c.finish()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    if !did_business(&*tx, me, n.entity_type, n.entity_id).await? {
        return Err(AppError::Forbidden(
            "only someone who did business with them may review them".into(),
        ));
    }
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO reviews (reviewer_user_id, entity_type, entity_id, rating, review_text, status) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (reviewer_user_id, entity_type, entity_id) DO NOTHING RETURNING id",
            [
                me.into(),
                n.entity_type.to_value().into(),
                n.entity_id.into(),
                (n.rating as i16).into(),
                text.into(),
                ReviewStatus::Pending.to_value().into(),
            ],
        ))
        .await?;
    let Some(row) = row else {
        return Err(AppError::conflict(None, "you already reviewed them"));
    };
    let id: Uuid = row.try_get("", "id")?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Marketplace,
            AuditEntity::Review,
            Some(id),
            "review submitted",
        )
        .metadata(json!({"entityType": n.entity_type.to_value(), "entityId": n.entity_id, "rating": n.rating})),
    )
    .await?;
    let out = one(&*tx, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("review vanished inside its transaction")))?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}

/// `moderateReview`: publishes or hides a review (moderators); the
/// reviewed profile's rating follows through the trigger.
pub async fn moderate(ctx: &AppContext, viewer: &Viewer, id: Uuid, to: ReviewStatus) -> AppResult<ReviewRow> {
    viewer.require(REVIEWS_MODERATE)?;
    if to == ReviewStatus::Pending {
        return Err(AppError::invalid("status", "must be PUBLISHED or HIDDEN"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let before = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT status, reviewer_user_id FROM reviews WHERE id = $1 FOR UPDATE",
            [id.into()],
        ))
        .await?
        .ok_or_else(|| AppError::NotFound("review".into()))?;
    let old: String = before.try_get("", "status")?;
    let reviewer: Uuid = before.try_get("", "reviewer_user_id")?;
    if old != to.to_value() {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE reviews SET status = $2 WHERE id = $1",
            [id.into(), to.to_value().into()],
        ))
        .await?;
        audit::record(
            &*tx,
            Some(viewer),
            Entry::new(
                if to == ReviewStatus::Published {
                    Action::Approve
                } else {
                    Action::Reject
                },
                Module::Marketplace,
                AuditEntity::Review,
                Some(id),
                format!("review {}", to.to_value().to_lowercase()),
            )
            .before(json!({"status": old}))
            .after(json!({"status": to.to_value()})),
        )
        .await?;
        notification::notify_many(
            &*tx,
            &[reviewer],
            Notice {
                kind: NotificationKind::Marketplace,
                title: if to == ReviewStatus::Published {
                    "Your review is published".into()
                } else {
                    "Your review was hidden".into()
                },
                body: "A moderator looked at your review.".into(),
                entity_type: Subject::Review,
                entity_id: id,
            },
        )
        .await?;
    }
    let out = one(&*tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("review".into()))?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}
