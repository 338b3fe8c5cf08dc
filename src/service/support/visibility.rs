//! Who sees which tickets: customers their own, agents their departments'
//! and those assigned to them, holders of `tickets.read_all` everything.
//! Queries, nested fields and subscriptions all go through here.

use entity::enums::{ApprovalStatus, UserStatus};
use entity::support_tickets;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
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
    if viewer.can(super::perms::TICKETS_READ_ALL) {
        return Ok(Scope::All { user });
    }
    if viewer.can(super::perms::TICKETS_READ_DEPARTMENT) {
        return Ok(Scope::Agent {
            user,
            departments: crate::service::identity::org::departments_of(conn, user).await?,
        });
    }
    viewer.require_self_service(super::perms::TICKETS_READ)?;
    Ok(Scope::Customer { user })
}

/// Whether the viewer reads internal notes of the tickets they see, for
/// presenting a ticket they just wrote: a viewer without read access to
/// tickets (an integration key that only creates) reads none.
pub async fn sees_internal<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<bool> {
    match scope(conn, viewer).await {
        Ok(s) => Ok(s.sees_internal()),
        Err(AppError::Forbidden(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A ticket the viewer may see, or `NOT_FOUND` (a ticket you may not see
/// does not exist for you).
pub async fn visible_ticket<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    ticket_id: Uuid,
) -> AppResult<(support_tickets::Model, Scope)> {
    find_in_scope(conn, viewer, ticket_id, false).await
}

/// A ticket the viewer may change, locked until the transaction ends, or
/// `NOT_FOUND`: every mutation that takes a ticket id goes through here, so
/// writes follow exactly the rule of the queries (an agent's reach is their
/// departments plus the tickets assigned to them).
pub async fn lock_visible_ticket<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    ticket_id: Uuid,
) -> AppResult<(support_tickets::Model, Scope)> {
    find_in_scope(conn, viewer, ticket_id, true).await
}

/// The one lookup behind both: the ticket within the viewer's scope,
/// optionally `FOR UPDATE`.
async fn find_in_scope<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    ticket_id: Uuid,
    lock: bool,
) -> AppResult<(support_tickets::Model, Scope)> {
    use sea_orm::QuerySelect;
    let scope = scope(conn, viewer).await?;
    let mut query = support_tickets::Entity::find_by_id(ticket_id).filter(scope.condition());
    if lock {
        query = query.lock_exclusive();
    }
    let ticket = query
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    Ok((ticket, scope))
}

/// `FORBIDDEN` unless every ticket of `clients` is within the viewer's
/// reach: a change to a client that moves or re-owns its tickets (a merge)
/// must not touch tickets the viewer could not change one by one.
pub async fn require_reach_over_clients<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    clients: &[Uuid],
) -> AppResult<()> {
    use sea_orm::{ColumnTrait, PaginatorTrait};
    let scope = scope(conn, viewer).await?;
    if matches!(scope, Scope::All { .. }) {
        return Ok(());
    }
    // Counted as all minus reachable: a negated condition would let rows
    // where it is NULL (a ticket without a department) slip through.
    let of_clients =
        || support_tickets::Entity::find().filter(support_tickets::Column::ClientId.is_in(clients.to_vec()));
    let all = of_clients().count(conn).await?;
    let reachable = of_clients().filter(scope.condition()).count(conn).await?;
    if reachable < all {
        return Err(AppError::Forbidden(
            "these clients have tickets outside your departments".into(),
        ));
    }
    Ok(())
}

/// What a live subscription learns about one ticket before an event.
#[derive(Debug)]
pub struct LiveCheck {
    /// The viewer's session (or API key) and account still hold.
    pub credentials_ok: bool,
    /// The viewer still holds the permission their scope was made from
    /// (an agent whose role was revoked no longer sees internal notes).
    pub scope_ok: bool,
    /// The ticket, when the viewer may still see it.
    pub ticket: Option<support_tickets::Model>,
}

/// One statement per subscriber per event: are the viewer's credentials
/// still good, and may they still see `ticket_id`? Unlike [`Scope::condition`],
/// an agent's departments are read live, so leaving one takes effect at once.
pub async fn live_check<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    scope: &Scope,
    ticket_id: Uuid,
) -> AppResult<LiveCheck> {
    use sea_orm::FromQueryResult;
    // Stored enum values and the permission key are bound, not spelled.
    let credentials = if viewer.session_id.is_some() {
        "(SELECT (s.revoked_at IS NULL AND s.expires_at > now() AND u.status = $5) \
          FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $2)"
    } else {
        "(SELECT (k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.status = $5) \
          FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $2)"
    };
    let grant = "EXISTS (SELECT 1 FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id \
                 WHERE ur.user_id = $3 AND ur.status = $4 AND rp.permission_key = $6)";
    let (scope_ok, permission) = match scope {
        Scope::All { .. } => (grant, super::perms::TICKETS_READ_ALL.key()),
        Scope::Agent { .. } => (grant, super::perms::TICKETS_READ_DEPARTMENT.key()),
        Scope::Customer { .. } => ("($6::text IS NOT NULL)", super::perms::TICKETS_READ.key()),
    };
    let visible = match scope {
        Scope::All { .. } => "true",
        Scope::Agent { .. } => {
            "(t.department_id IN (SELECT ud.department_id FROM user_departments ud WHERE ud.user_id = $3) \
              OR EXISTS (SELECT 1 FROM ticket_assignments ta WHERE ta.ticket_id = t.id AND ta.user_id = $3))"
        }
        Scope::Customer { .. } => {
            "(t.created_by_user_id = $3 OR t.client_id IN (SELECT c.id FROM clients c WHERE c.user_id = $3))"
        }
    };
    let sql = format!(
        "SELECT coalesce({credentials}, false) AS credentials_ok, {scope_ok} AS scope_ok, t.* \
         FROM (SELECT 1) one LEFT JOIN support_tickets t ON t.id = $1 AND {visible} \
         WHERE $4::text IS NOT NULL AND $5::text IS NOT NULL"
    );
    let credential_id = viewer.session_id.or(viewer.api_key_id);
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                ticket_id.into(),
                credential_id.into(),
                scope.user().into(),
                ApprovalStatus::Approved.to_value().into(),
                UserStatus::Active.to_value().into(),
                permission.to_string().into(),
            ],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(LiveCheck {
            credentials_ok: false,
            scope_ok: false,
            ticket: None,
        });
    };
    let credentials_ok = row.try_get::<bool>("", "credentials_ok").unwrap_or(false);
    let scope_ok = row.try_get::<bool>("", "scope_ok").unwrap_or(false);
    let present = row.try_get::<Option<Uuid>>("", "id").ok().flatten().is_some();
    let ticket = if present {
        Some(support_tickets::Model::from_query_result(&row, "")?)
    } else {
        None
    };
    Ok(LiveCheck {
        credentials_ok,
        scope_ok,
        ticket,
    })
}
