//! Leads: a customer asks for a professional of one profession. A lead is
//! PENDING until moderators approve it (OPEN) and is then seen by every
//! professional with a live profile of that profession, without its
//! contact details: those are a snapshot of the poster's, shown only to
//! the poster, lead moderators, and professionals who paid to unlock it
//! ([`super::unlock`]). Every read selects `unlocked` with the row, so the
//! contact rule needs no further statement on any path.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::enums::{
    ApprovalEntityType, ApprovalStatus, ApprovalType, AuditEntity, LeadStatus, NotificationKind, ProfileStatus,
};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::perms::{LEADS_MANAGE, MARKETPLACE_USE};
use super::professions::{self, MAX_PAISE};
use super::profiles::MAX_LOCATION;
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::{Event, Tx};
use crate::service::approval::{self, Applier, Appliers, Decision, NewRequest};
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::notification::{self, Notice, Subject};
use crate::service::page::{self, PageRequest, Paged};

/// Longest title and description.
pub const MAX_TITLE: usize = 200;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 5000;
/// The topic a lead is announced on when it opens.
pub const OPENED_TOPIC: &str = "marketplace:leads:opened";

/// A lead as read by one viewer: the row, and whether this viewer
/// unlocked it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct LeadRow {
    pub id: Uuid,
    pub created_by_user_id: Uuid,
    pub profession_key: String,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub budget_inr: Option<i64>,
    pub required_date: Option<NaiveDate>,
    pub status: String,
    pub approved_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub unlocked: bool,
}

/// The contact details of a lead.
#[derive(Clone, Debug)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl LeadRow {
    /// The contact details, only for the poster, lead moderators and
    /// professionals who unlocked the lead.
    pub fn contact_for(&self, viewer: &Viewer) -> Option<Contact> {
        let allowed = viewer.user_id == Some(self.created_by_user_id) || viewer.can(LEADS_MANAGE) || self.unlocked;
        allowed.then(|| Contact {
            name: self.contact_name.clone(),
            email: self.contact_email.clone(),
            phone: self.contact_phone.clone(),
        })
    }

    /// Whether `viewer` posted it.
    pub fn is_mine(&self, viewer: &Viewer) -> bool {
        viewer.user_id == Some(self.created_by_user_id)
    }
}

/// The select list of [`LeadRow`] over `leads l` for viewer `$1`.
const SELECT: &str = "SELECT l.id, l.created_by_user_id, l.profession_key, l.title, l.description, l.location, \
    l.budget_inr, l.required_date, l.status, l.approved_at, l.created_at, l.updated_at, l.contact_name, \
    l.contact_email, l.contact_phone, EXISTS (SELECT 1 FROM lead_unlocks u WHERE u.lead_id = l.id \
    AND u.user_id IS NOT DISTINCT FROM $1) AS unlocked FROM leads l";

/// Who may see which leads: moderators all; others their own and the OPEN
/// leads of professions they have a live profile in. `$1` is the viewer.
fn visibility(viewer: &Viewer) -> AppResult<Option<String>> {
    if viewer.can(LEADS_MANAGE) {
        return Ok(None);
    }
    viewer.require_self_service(MARKETPLACE_USE)?;
    Ok(Some(format!(
        "(l.created_by_user_id = $1 OR (l.status = '{}' AND l.profession_key IN (SELECT r.role_key \
           FROM user_role_profiles r WHERE r.user_id = $1 AND r.status = '{}' AND r.approval_status = '{}')))",
        LeadStatus::Open.to_value(),
        ProfileStatus::Active.to_value(),
        ApprovalStatus::Approved.to_value(),
    )))
}

/// Which leads to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub profession_key: Option<String>,
    pub status: Option<LeadStatus>,
    /// Only the viewer's own.
    pub mine: bool,
}

/// The keyset of lead lists: newest first.
pub type Cursor = (DateTime<Utc>, Uuid);

/// The cursor of a lead.
pub fn cursor(l: &LeadRow) -> Cursor {
    (l.created_at.with_timezone(&Utc), l.id)
}

fn conditions(viewer: &Viewer, f: &Filter) -> AppResult<(Vec<String>, Vec<Value>)> {
    let mut wheres = Vec::new();
    let mut values: Vec<Value> = vec![viewer.user_id.into()];
    if let Some(v) = visibility(viewer)? {
        wheres.push(v);
    }
    if f.mine {
        viewer.require_user()?;
        wheres.push("l.created_by_user_id = $1".into());
    }
    if let Some(k) = &f.profession_key {
        values.push(k.trim().into());
        wheres.push(format!("l.profession_key = ${}", values.len()));
    }
    if let Some(s) = f.status {
        values.push(s.to_value().into());
        wheres.push(format!("l.status = ${}", values.len()));
    }
    if wheres.is_empty() {
        wheres.push("true".into());
    }
    Ok((wheres, values))
}

/// A page of the leads `viewer` may see, newest first (one statement).
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &Filter,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<LeadRow>> {
    let (mut wheres, mut values) = conditions(viewer, filter)?;
    let tail = page.sql(&["l.created_at", "l.id"], true, &mut wheres, &mut values);
    let sql = format!("{SELECT} WHERE {} {tail}", wheres.join(" AND "));
    let rows = LeadRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .all(conn)
        .await?;
    Ok(page.finish(rows))
}

/// How many leads of `filter` the viewer may see.
pub async fn count<C: ConnectionTrait>(conn: &C, viewer: &Viewer, filter: &Filter) -> AppResult<u64> {
    let (wheres, values) = conditions(viewer, filter)?;
    let sql = format!(
        "SELECT count(*) AS n FROM leads l WHERE $1::uuid IS NOT DISTINCT FROM $1 AND {}",
        wheres.join(" AND ")
    );
    page::count(conn, sql, values).await
}

/// One lead if `viewer` may see it.
pub async fn visible<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<Option<LeadRow>> {
    let mut wheres = vec!["l.id = $2".to_string()];
    if let Some(v) = visibility(viewer)? {
        wheres.push(v);
    }
    let sql = format!("{SELECT} WHERE {}", wheres.join(" AND "));
    Ok(LeadRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [viewer.user_id.into(), id.into()],
    ))
    .one(conn)
    .await?)
}

/// Leads by id as `viewer` reads them, regardless of visibility (callers
/// decide): for rows already known to be theirs to see.
pub async fn by_ids<C: ConnectionTrait>(conn: &C, viewer: &Viewer, ids: &[Uuid]) -> AppResult<Vec<LeadRow>> {
    let sql = format!("{SELECT} WHERE l.id = ANY($2)");
    Ok(LeadRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [viewer.user_id.into(), ids.to_vec().into()],
    ))
    .all(conn)
    .await?)
}

/// What `createLead` asks for.
#[derive(Clone, Debug, Default)]
pub struct NewLead {
    pub profession_key: String,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub budget_inr: Option<i64>,
    pub required_date: Option<NaiveDate>,
}

/// Posts a lead: PENDING with a LEAD/CONTENT approval request; the
/// contact details are the poster's at this moment.
pub async fn create(ctx: &AppContext, viewer: &Viewer, n: NewLead) -> AppResult<LeadRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let Some(p) = professions::profession(n.profession_key.trim()) else {
        return Err(AppError::invalid(
            "professionKey",
            format!("must be one of {}", professions::keys()),
        ));
    };
    let mut c = Checks::default();
    let title = c.required("title", &n.title, MAX_TITLE);
    let description = c.text("description", n.description.as_deref(), MAX_DESCRIPTION);
    let location = c.text("location", n.location.as_deref(), MAX_LOCATION);
    let budget = c.count("budgetInr", n.budget_inr, MAX_PAISE);
    if n.required_date.is_some_and(|d| d < Utc::now().date_naive()) {
        c.bad("requiredDate", "must not be in the past");
    }
    c.finish()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let id = Uuid::now_v7();
    let inserted = tx
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO leads (id, created_by_user_id, profession_key, title, description, location, budget_inr, \
               required_date, status, contact_name, contact_email, contact_phone) \
             SELECT $1, u.id, $3, $4, $5, $6, $7, $8, $9, u.display_name, u.email, u.phone FROM users u WHERE u.id = $2",
            [
                id.into(),
                me.into(),
                p.key.into(),
                title.clone().into(),
                description.into(),
                location.into(),
                budget.into(),
                n.required_date.into(),
                LeadStatus::Pending.to_value().into(),
            ],
        ))
        .await?;
    if inserted.rows_affected() != 1 {
        return Err(AppError::Unauthenticated("the account no longer exists".into()));
    }
    approval::submit(
        &tx,
        me,
        NewRequest {
            entity_type: ApprovalEntityType::Lead,
            entity_id: id,
            approval_type: ApprovalType::Content,
            payload: json!({"professionKey": p.key, "title": title}),
            remarks: None,
        },
    )
    .await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Marketplace,
            AuditEntity::Lead,
            Some(id),
            "lead posted",
        )
        .metadata(json!({"professionKey": p.key})),
    )
    .await?;
    let row = by_ids(&*tx, viewer, &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("lead vanished inside its transaction")))?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// Closes an OPEN lead (its poster or a lead moderator).
pub async fn close(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<LeadRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let Some(lead) = visible(&*tx, viewer, id).await? else {
        return Err(AppError::NotFound("lead".into()));
    };
    if lead.created_by_user_id != me && !viewer.can(LEADS_MANAGE) {
        return Err(AppError::Forbidden("only the lead's poster closes it".into()));
    }
    let moved = tx
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE leads SET status = $2 WHERE id = $1 AND status = $3",
            [
                id.into(),
                LeadStatus::Closed.to_value().into(),
                LeadStatus::Open.to_value().into(),
            ],
        ))
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::conflict(None, "only an OPEN lead can be closed"));
    }
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Marketplace,
            AuditEntity::Lead,
            Some(id),
            "lead closed",
        ),
    )
    .await?;
    let row = by_ids(&*tx, viewer, &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound("lead".into()))?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// What the bus carries when a lead opens.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Opened {
    pub lead_id: Uuid,
    pub profession_key: String,
}

/// Applies moderators' decisions on LEAD requests.
struct LeadApplier;

#[async_trait::async_trait]
impl Applier for LeadApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        _actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let to = match decision {
            Decision::Approved => LeadStatus::Open,
            Decision::Rejected => LeadStatus::Rejected,
            Decision::Cancelled | Decision::Expired => LeadStatus::Draft,
        };
        let row = tx
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE leads SET status = $2, approved_at = CASE WHEN $2 = $4 THEN now() ELSE approved_at END \
                 WHERE id = $1 AND status = $3 RETURNING profession_key, title, created_by_user_id",
                [
                    request.entity_id.into(),
                    to.to_value().into(),
                    LeadStatus::Pending.to_value().into(),
                    LeadStatus::Open.to_value().into(),
                ],
            ))
            .await?;
        let Some(row) = row else {
            return Err(AppError::conflict(None, "the lead no longer waits for approval"));
        };
        let (title, poster): (String, Uuid) = (row.try_get("", "title")?, row.try_get("", "created_by_user_id")?);
        let told = match to {
            LeadStatus::Open => Some(("Your lead is live", format!("\"{title}\" is open to professionals."))),
            LeadStatus::Rejected => Some((
                "Your lead was not approved",
                format!("\"{title}\": {}", remarks.unwrap_or("rejected by a reviewer")),
            )),
            _ => None,
        };
        if let Some((headline, body)) = told {
            notification::notify_many(
                &**tx,
                &[poster],
                Notice {
                    kind: NotificationKind::Marketplace,
                    title: headline.to_string(),
                    body,
                    entity_type: Subject::Lead,
                    entity_id: request.entity_id,
                },
            )
            .await?;
        }
        if to == LeadStatus::Open {
            let profession_key: String = row.try_get("", "profession_key")?;
            tx.publish_after_commit(Event::typed(
                OPENED_TOPIC,
                &Opened {
                    lead_id: request.entity_id,
                    profession_key,
                },
            ));
        }
        Ok(())
    }
}

/// Registers the LEAD applier.
pub fn register_applier(a: &mut Appliers) {
    a.register(ApprovalEntityType::Lead, Arc::new(LeadApplier));
}

/// Shared with the lead requests: the stored status of a row.
pub fn status_of(l: &LeadRow) -> AppResult<LeadStatus> {
    LeadStatus::try_from_value(&l.status).map_err(|e| AppError::internal(anyhow::anyhow!("bad lead status: {e}")))
}
