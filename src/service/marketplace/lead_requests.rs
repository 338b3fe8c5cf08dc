//! Lead requests: a professional with a live profile of the lead's
//! profession offers to take an OPEN lead (one request per lead and
//! profile); the lead's poster accepts or rejects it. Each side hears of
//! the other's move in-app. An accepted request is what lets the poster
//! review the professional.

use chrono::{DateTime, FixedOffset, Utc};
use entity::enums::{AuditEntity, LeadRequestStatus, LeadStatus, NotificationKind};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use uuid::Uuid;

use super::leads::{self, status_of};
use super::perms::{LEADS_MANAGE, MARKETPLACE_USE};
use super::profiles;
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::notification::{self, Notice, Subject};
use crate::service::page::{self, PageRequest, Paged};

/// Longest remark.
pub const MAX_REMARKS: usize = 1000;

/// A lead request with who owns each side.
#[derive(Clone, Debug, FromQueryResult)]
pub struct RequestRow {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub user_role_profile_id: Uuid,
    pub status: String,
    pub remarks: Option<String>,
    pub requested_at: DateTime<FixedOffset>,
    pub professional_user_id: Uuid,
    pub lead_owner_id: Uuid,
}

const SELECT: &str = "SELECT r.id, r.lead_id, r.user_role_profile_id, r.status, r.remarks, r.requested_at, \
    p.user_id AS professional_user_id, l.created_by_user_id AS lead_owner_id \
    FROM lead_requests r JOIN user_role_profiles p ON p.id = r.user_role_profile_id JOIN leads l ON l.id = r.lead_id";

/// The keyset of request lists: newest first.
pub type Cursor = (DateTime<Utc>, Uuid);

/// The cursor of a request.
pub fn cursor(r: &RequestRow) -> Cursor {
    (r.requested_at.with_timezone(&Utc), r.id)
}

/// The stored status.
pub fn status_of_request(r: &RequestRow) -> AppResult<LeadRequestStatus> {
    LeadRequestStatus::try_from_value(&r.status)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad lead request status: {e}")))
}

/// The requests for the leads `lead_ids` by lead, oldest first, in one
/// statement. Not filtered by viewer: callers show them only to the lead's
/// poster and lead moderators ([`may_see_requests`]).
pub async fn of_leads<C: ConnectionTrait>(
    conn: &C,
    lead_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<RequestRow>>> {
    let mut by_lead = std::collections::HashMap::<Uuid, Vec<RequestRow>>::new();
    if lead_ids.is_empty() {
        return Ok(by_lead);
    }
    let sql = format!("{SELECT} WHERE r.lead_id = ANY($1) ORDER BY r.requested_at, r.id");
    let rows = RequestRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [lead_ids.to_vec().into()],
    ))
    .all(conn)
    .await?;
    for r in rows {
        by_lead.entry(r.lead_id).or_default().push(r);
    }
    Ok(by_lead)
}

/// Whether `viewer` may see the requests for `lead`: its poster and lead
/// moderators only.
pub fn may_see_requests(viewer: &Viewer, lead: &leads::LeadRow) -> bool {
    lead.is_mine(viewer) || viewer.can(LEADS_MANAGE)
}

/// A page of the viewer's own requests (as a professional), newest first.
pub async fn mine<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<RequestRow>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let mut values: Vec<Value> = vec![me.into()];
    let mut wheres = vec!["p.user_id = $1".to_string()];
    let tail = page.sql(&["r.requested_at", "r.id"], true, &mut wheres, &mut values);
    let sql = format!("{SELECT} WHERE {} {tail}", wheres.join(" AND "));
    let rows = RequestRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .all(conn)
        .await?;
    Ok(page.finish(rows))
}

/// How many requests the viewer made (as a professional).
pub async fn count_mine<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<u64> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    page::count(
        conn,
        "SELECT count(*) AS n FROM lead_requests r JOIN user_role_profiles p ON p.id = r.user_role_profile_id \
         WHERE p.user_id = $1",
        [me.into()],
    )
    .await
}

async fn one<C: ConnectionTrait>(conn: &C, id: Uuid, lock: bool) -> AppResult<Option<RequestRow>> {
    let sql = format!("{SELECT} WHERE r.id = $1{}", if lock { " FOR UPDATE OF r" } else { "" });
    Ok(
        RequestRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, [id.into()]))
            .one(conn)
            .await?,
    )
}

/// `requestLead`: the viewer's live profile of the lead's profession asks
/// for an OPEN lead; `CONFLICT` when it already did.
pub async fn request(ctx: &AppContext, viewer: &Viewer, lead_id: Uuid, remarks: Option<&str>) -> AppResult<RequestRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let mut c = Checks::default();
    let remarks = c.text("remarks", remarks, MAX_REMARKS);
    c.finish()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let Some(lead) = leads::visible(&*tx, viewer, lead_id).await? else {
        return Err(AppError::NotFound("lead".into()));
    };
    if lead.created_by_user_id == me {
        return Err(AppError::invalid("leadId", "this is your own lead"));
    }
    let Some(profile) = profiles::live_of(&*tx, me, &lead.profession_key).await? else {
        return Err(AppError::Forbidden(format!(
            "requesting needs an approved {} profile",
            lead.profession_key
        )));
    };
    if status_of(&lead)? != LeadStatus::Open {
        return Err(AppError::conflict(None, "only an OPEN lead takes requests"));
    }
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO lead_requests (lead_id, user_role_profile_id, status, remarks) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (lead_id, user_role_profile_id) DO NOTHING RETURNING id",
            [
                lead_id.into(),
                profile.id.into(),
                LeadRequestStatus::Pending.to_value().into(),
                remarks.into(),
            ],
        ))
        .await?;
    let Some(row) = row else {
        return Err(AppError::conflict(None, "you already asked for this lead"));
    };
    let id: Uuid = row.try_get("", "id")?;
    notification::notify_many(
        &*tx,
        &[lead.created_by_user_id],
        Notice {
            kind: NotificationKind::Marketplace,
            title: "A professional asked for your lead".into(),
            body: format!("{} would like to take \"{}\".", profile.display_name, lead.title),
            entity_type: Subject::LeadRequest,
            entity_id: id,
        },
    )
    .await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Marketplace,
            AuditEntity::LeadRequest,
            Some(id),
            "lead requested",
        ),
    )
    .await?;
    let out = one(&*tx, id, false)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("request vanished inside its transaction")))?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}

/// `respondToLeadRequest`: the lead's poster accepts or rejects a PENDING
/// request; the professional is told.
pub async fn respond(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    accept: bool,
    remarks: Option<&str>,
) -> AppResult<RequestRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let mut c = Checks::default();
    let remarks = c.text("remarks", remarks, MAX_REMARKS);
    c.finish()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let Some(r) = one(&*tx, id, true).await? else {
        return Err(AppError::NotFound("lead request".into()));
    };
    if r.lead_owner_id != me {
        return Err(AppError::Forbidden(
            "only the lead's poster answers its requests".into(),
        ));
    }
    if status_of_request(&r)? != LeadRequestStatus::Pending {
        return Err(AppError::conflict(None, "the request was already answered"));
    }
    let to = if accept {
        LeadRequestStatus::Accepted
    } else {
        LeadRequestStatus::Rejected
    };
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE lead_requests SET status = $2, remarks = coalesce($3, remarks) WHERE id = $1",
        [id.into(), to.to_value().into(), remarks.into()],
    ))
    .await?;
    notification::notify_many(
        &*tx,
        &[r.professional_user_id],
        Notice {
            kind: NotificationKind::Marketplace,
            title: if accept {
                "Your lead request was accepted".into()
            } else {
                "Your lead request was declined".into()
            },
            body: "Open the lead to see what the customer said.".into(),
            entity_type: Subject::LeadRequest,
            entity_id: id,
        },
    )
    .await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            if accept { Action::Approve } else { Action::Reject },
            Module::Marketplace,
            AuditEntity::LeadRequest,
            Some(id),
            format!("lead request {}", to.to_value().to_lowercase()),
        ),
    )
    .await?;
    let out = one(&*tx, id, false)
        .await?
        .ok_or_else(|| AppError::NotFound("lead request".into()))?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}
