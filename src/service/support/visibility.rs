//! Who sees which tickets: customers their own, agents their departments'
//! and those assigned to them, holders of `tickets.read_all` everything.
//! Queries, nested fields and subscriptions all go through here.

use std::collections::HashMap;

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

/// What a credential is, for a live check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum LiveCredential {
    Session(Uuid),
    ApiKey(Uuid),
    /// Neither (cannot hold).
    None,
}

/// Which rule a subscriber's scope was made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Reach {
    All,
    Agent,
    Customer,
}

/// Everything a live check reads of a subscriber: the credential, the user
/// and the kind of scope. Subscribers with equal keys (sockets of one
/// session) get one answer; an agent's departments are not part of it,
/// since the check reads them live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LiveViewer {
    credential: LiveCredential,
    user: Uuid,
    reach: Reach,
}

impl LiveViewer {
    /// The key of `viewer` subscribed with `scope`.
    pub fn of(viewer: &Viewer, scope: &Scope) -> Self {
        let credential = match (viewer.session_id, viewer.api_key_id) {
            (Some(s), _) => LiveCredential::Session(s),
            (None, Some(k)) => LiveCredential::ApiKey(k),
            (None, None) => LiveCredential::None,
        };
        let reach = match scope {
            Scope::All { .. } => Reach::All,
            Scope::Agent { .. } => Reach::Agent,
            Scope::Customer { .. } => Reach::Customer,
        };
        LiveViewer {
            credential,
            user: scope.user(),
            reach,
        }
    }
}

/// The answers of one live check for many subscribers: whose credentials
/// and scope still hold, who may see the ticket, and the ticket itself.
#[derive(Debug, Default)]
pub struct LiveBatch {
    /// The ticket as it is now (whoever may see it).
    ticket: Option<support_tickets::Model>,
    answers: HashMap<LiveViewer, LiveAnswer>,
}

#[derive(Clone, Copy, Debug)]
struct LiveAnswer {
    credentials_ok: bool,
    scope_ok: bool,
    sees_ticket: bool,
}

impl LiveBatch {
    /// `who`'s answer, or `None` when `who` was not part of the batch.
    pub fn get(&self, who: &LiveViewer) -> Option<LiveCheck> {
        let a = self.answers.get(who)?;
        Some(LiveCheck {
            credentials_ok: a.credentials_ok,
            scope_ok: a.scope_ok,
            ticket: if a.sees_ticket { self.ticket.clone() } else { None },
        })
    }
}

/// Subscribers answered per statement of [`live_check_many`].
const LIVE_BATCH: usize = 1_000;

/// One subscriber's live check: [`live_check_many`] for one.
pub async fn live_check<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    scope: &Scope,
    ticket_id: Uuid,
) -> AppResult<LiveCheck> {
    let who = LiveViewer::of(viewer, scope);
    let batch = live_check_many(conn, ticket_id, &[who]).await?;
    Ok(batch.get(&who).unwrap_or(LiveCheck {
        credentials_ok: false,
        scope_ok: false,
        ticket: None,
    }))
}

/// Before an event: are each subscriber's credentials still good, do they
/// still hold their scope's permission, and may they still see
/// `ticket_id`? One statement per [`LIVE_BATCH`] distinct subscribers,
/// however many sockets share them. Unlike [`Scope::condition`], an
/// agent's departments are read live, so leaving one takes effect at once.
pub async fn live_check_many<C: ConnectionTrait>(
    conn: &C,
    ticket_id: Uuid,
    viewers: &[LiveViewer],
) -> AppResult<LiveBatch> {
    use sea_orm::FromQueryResult;
    // Stored enum values and permission keys are bound, not spelled.
    const SQL: &str = "SELECT v.n AS live_n, \
        coalesce(CASE v.kind \
          WHEN 'session' THEN (SELECT (s.revoked_at IS NULL AND s.expires_at > now() AND u.status = $3) \
            FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = v.cred) \
          WHEN 'api_key' THEN (SELECT (k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) \
            AND u.status = $3) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = v.cred) \
        END, false) AS live_credentials_ok, \
        (v.perm = '' OR EXISTS (SELECT 1 FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id \
          WHERE ur.user_id = v.uid AND ur.status = $2 AND rp.permission_key = v.perm)) AS live_scope_ok, \
        coalesce(tt.id IS NOT NULL AND CASE v.reach \
          WHEN 'all' THEN true \
          WHEN 'agent' THEN (tt.department_id IN (SELECT ud.department_id FROM user_departments ud \
              WHERE ud.user_id = v.uid) \
            OR EXISTS (SELECT 1 FROM ticket_assignments ta WHERE ta.ticket_id = tt.id AND ta.user_id = v.uid)) \
          WHEN 'customer' THEN (tt.created_by_user_id = v.uid \
            OR tt.client_id IN (SELECT c.id FROM clients c WHERE c.user_id = v.uid)) \
        END, false) AS live_sees_ticket, \
        t.* \
        FROM unnest($4::int4[], $5::text[], $6::uuid[], $7::uuid[], $8::text[], $9::text[]) \
          AS v(n, kind, cred, uid, reach, perm) \
        LEFT JOIN support_tickets tt ON tt.id = $1 \
        LEFT JOIN support_tickets t ON t.id = $1 AND v.n = 0";
    let mut distinct: Vec<LiveViewer> = Vec::with_capacity(viewers.len());
    let mut seen = std::collections::HashSet::with_capacity(viewers.len());
    for v in viewers {
        if seen.insert(*v) {
            distinct.push(*v);
        }
    }
    let mut batch = LiveBatch::default();
    for (c, chunk) in distinct.chunks(LIVE_BATCH).enumerate() {
        let mut n = Vec::with_capacity(chunk.len());
        let mut kind = Vec::with_capacity(chunk.len());
        let mut cred = Vec::with_capacity(chunk.len());
        let mut uid = Vec::with_capacity(chunk.len());
        let mut reach = Vec::with_capacity(chunk.len());
        let mut perm = Vec::with_capacity(chunk.len());
        for (i, v) in chunk.iter().enumerate() {
            // Row 0 (of the first statement) alone carries the ticket.
            n.push((c * LIVE_BATCH + i) as i32);
            let (k, id) = match v.credential {
                LiveCredential::Session(id) => ("session", id),
                LiveCredential::ApiKey(id) => ("api_key", id),
                LiveCredential::None => ("none", Uuid::nil()),
            };
            kind.push(k.to_string());
            cred.push(id);
            uid.push(v.user);
            let (r, p) = match v.reach {
                Reach::All => ("all", super::perms::TICKETS_READ_ALL.key()),
                Reach::Agent => ("agent", super::perms::TICKETS_READ_DEPARTMENT.key()),
                Reach::Customer => ("customer", ""),
            };
            reach.push(r.to_string());
            perm.push(p.to_string());
        }
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                SQL,
                [
                    ticket_id.into(),
                    ApprovalStatus::Approved.to_value().into(),
                    UserStatus::Active.to_value().into(),
                    n.into(),
                    kind.into(),
                    cred.into(),
                    uid.into(),
                    reach.into(),
                    perm.into(),
                ],
            ))
            .await?;
        for row in rows {
            let i = row.try_get::<i32>("", "live_n")?;
            let Some(who) = usize::try_from(i).ok().and_then(|i| distinct.get(i)) else {
                continue;
            };
            let answer = LiveAnswer {
                credentials_ok: row.try_get::<bool>("", "live_credentials_ok").unwrap_or(false),
                scope_ok: row.try_get::<bool>("", "live_scope_ok").unwrap_or(false),
                sees_ticket: row.try_get::<bool>("", "live_sees_ticket").unwrap_or(false),
            };
            if i == 0 && row.try_get::<Option<Uuid>>("", "id").ok().flatten().is_some() {
                batch.ticket = Some(support_tickets::Model::from_query_result(&row, "")?);
            }
            batch.answers.insert(*who, answer);
        }
    }
    Ok(batch)
}
