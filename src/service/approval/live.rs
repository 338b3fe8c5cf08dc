//! `approvalRequestChanged`: new and moved requests for the reviewers who
//! may review them and for their submitter. Every event is re-checked with
//! one statement against the subscriber's credentials and current grants,
//! so a revoked session or a withdrawn role stops the stream (told once
//! with `UNAUTHENTICATED` or `FORBIDDEN`), and a request the subscriber may
//! no longer see is skipped.

use std::collections::HashSet;
use std::sync::Arc;

use entity::approval_requests;
use entity::enums::{ApprovalStatus, UserStatus};
use futures::{Stream, StreamExt};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};
use uuid::Uuid;

use super::events::{ApprovalEvent, TOPIC};
use super::policy::Policies;
use super::requests::approval_type_of;
use crate::app::Ctx;
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;

/// What one event's re-check found.
struct Recheck {
    credentials_ok: bool,
    permissions: HashSet<String>,
    request: Option<approval_requests::Model>,
}

async fn recheck<C: ConnectionTrait>(conn: &C, viewer: &Viewer, request: Uuid) -> AppResult<Recheck> {
    const SQL: &str = "SELECT \
        coalesce(CASE \
          WHEN $2::uuid IS NOT NULL THEN (SELECT s.revoked_at IS NULL AND s.expires_at > now() AND u.status = $5 \
            FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $2 AND s.user_id = $1) \
          WHEN $3::uuid IS NOT NULL THEN (SELECT k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) \
            AND u.status = $5 FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $3 AND k.user_id = $1) \
        END, false) AS live_credentials_ok, \
        coalesce((SELECT array_agg(DISTINCT rp.permission_key) FROM user_roles ur \
          JOIN role_permissions rp ON rp.role_id = ur.role_id WHERE ur.user_id = $1 AND ur.status = $6), \
          '{}'::text[]) AS live_permissions, \
        r.* \
        FROM (SELECT 1) AS one LEFT JOIN approval_requests r ON r.id = $4";
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL,
            [
                viewer.user_id.into(),
                viewer.session_id.into(),
                viewer.api_key_id.into(),
                request.into(),
                UserStatus::Active.to_value().into(),
                ApprovalStatus::Approved.to_value().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the live check returned no row")))?;
    let credentials_ok: bool = row.try_get("", "live_credentials_ok")?;
    let permissions: Vec<String> = row.try_get("", "live_permissions")?;
    let id: Option<Uuid> = row.try_get("", "id")?;
    let request = match id {
        Some(_) => Some(approval_requests::Model::from_query_result(&row, "")?),
        None => None,
    };
    Ok(Recheck {
        credentials_ok,
        permissions: permissions.into_iter().collect(),
        request,
    })
}

/// Whether `viewer` sees `row`: its submitter, or a reviewer of its type.
pub fn sees(policies: &Policies, viewer: &Viewer, row: &approval_requests::Model) -> bool {
    if viewer.user_id.is_some() && row.submitted_by_user_id == viewer.user_id {
        return true;
    }
    approval_type_of(row).is_ok_and(|k| policies.may_review(viewer, k))
}

/// The stream of requests `viewer` may see as they are submitted and move.
/// Each item comes with the policies it was checked against.
pub fn changes(
    app: Ctx,
    viewer: Viewer,
) -> AppResult<impl Stream<Item = AppResult<(approval_requests::Model, Policies)>> + Send> {
    viewer.require_user()?;
    let events = Box::pin(app.bus.subscribe(TOPIC));
    let viewer = Arc::new(viewer);
    Ok(futures::stream::unfold((events, false), move |(mut events, ended)| {
        let (app, viewer) = (app.clone(), viewer.clone());
        async move {
            if ended {
                return None;
            }
            loop {
                let event = events.next().await?;
                let Some(ApprovalEvent::Changed { id }) = event.decode::<ApprovalEvent>() else {
                    continue;
                };
                let check = match recheck(&app.db.primary, &viewer, id).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "approval live check failed; event skipped");
                        continue;
                    }
                };
                if !check.credentials_ok {
                    return Some((Err(AppError::unauthenticated()), (events, true)));
                }
                // The subscriber as they are now: current grants, same key scopes.
                let mut now = (*viewer).clone();
                now.permissions = Arc::new(check.permissions);
                let Some(row) = check.request else { continue };
                let policies = match Policies::load(&app.db.primary).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(error = %e, "approval policies unreadable; event skipped");
                        continue;
                    }
                };
                if sees(&policies, &now, &row) {
                    return Some((Ok((row, policies)), (events, false)));
                }
            }
        }
    }))
}
