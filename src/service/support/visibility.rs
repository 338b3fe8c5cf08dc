//! Who sees which tickets: customers their own, agents their departments'
//! and those assigned to them, holders of `tickets.read_all` everything.
//! Queries, nested fields and subscriptions all go through here.

use entity::support_tickets;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;

/// How much of the desk a viewer may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every ticket (`tickets.read_all`).
    All { user: Uuid },
    /// Tickets of these departments and those assigned to the agent.
    Agent { user: Uuid, departments: Vec<Uuid> },
    /// The customer's own tickets (created by them or for their client).
    Customer { user: Uuid },
}

impl Scope {
    pub fn user(&self) -> Uuid {
        match self {
            Scope::All { user } | Scope::Agent { user, .. } | Scope::Customer { user } => *user,
        }
    }

    /// Staff see internal notes of the tickets they can see; customers never.
    pub fn sees_internal(&self) -> bool {
        !matches!(self, Scope::Customer { .. })
    }

    pub fn is_staff(&self) -> bool {
        self.sees_internal()
    }

    /// A SQL condition on `support_tickets` limiting rows to this scope.
    pub fn condition(&self) -> sea_orm::Condition {
        match self {
            Scope::All { .. } => sea_orm::Condition::all(),
            Scope::Agent { user, departments } => sea_orm::Condition::all().add(Expr::cust_with_values(
                "(support_tickets.department_id = ANY($1) OR EXISTS (SELECT 1 FROM ticket_assignments ta \
                 WHERE ta.ticket_id = support_tickets.id AND ta.user_id = $2))",
                [sea_orm::Value::from(departments.clone()), (*user).into()],
            )),
            Scope::Customer { user } => sea_orm::Condition::all().add(Expr::cust_with_values(
                "(support_tickets.created_by_user_id = $1 OR support_tickets.client_id IN \
                 (SELECT c.id FROM clients c WHERE c.user_id = $1))",
                [sea_orm::Value::from(*user)],
            )),
        }
    }
}

/// The viewer's scope. Staff need a ticket permission; everyone else sees
/// their own tickets (an API key needs the `tickets.read` scope for that).
pub async fn scope<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Scope> {
    let user = viewer.require_user()?;
    if viewer.can("tickets.read_all") {
        return Ok(Scope::All { user });
    }
    if viewer.can("tickets.read_department") {
        return Ok(Scope::Agent {
            user,
            departments: crate::service::identity::roles::departments_of(conn, user).await?,
        });
    }
    viewer.require_self_service("tickets.read")?;
    Ok(Scope::Customer { user })
}

/// A ticket the viewer may see, or `NOT_FOUND` (a ticket you may not see
/// does not exist for you).
pub async fn visible_ticket<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    ticket_id: Uuid,
) -> AppResult<(support_tickets::Model, Scope)> {
    let scope = scope(conn, viewer).await?;
    let ticket = support_tickets::Entity::find_by_id(ticket_id)
        .filter(scope.condition())
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    Ok((ticket, scope))
}

/// Re-checks, for a live subscription, that the viewer's sign-in still
/// holds (session not revoked, API key still active) before each event.
pub async fn credentials_still_valid<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<bool> {
    let row = if let Some(session) = viewer.session_id {
        conn.query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT (s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'ACTIVE') AS ok \
             FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
            [session.into()],
        ))
        .await?
    } else if let Some(key) = viewer.api_key_id {
        conn.query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT (k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.status = 'ACTIVE') AS ok \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
            [key.into()],
        ))
        .await?
    } else {
        return Ok(false);
    };
    Ok(row.and_then(|r| r.try_get::<bool>("", "ok").ok()).unwrap_or(false))
}
