//! Reading tickets: one by id, pages of the list with filters, search and
//! keyset pagination in both directions, counts, tags, and the bulk reads
//! behind the loaders (tickets, tags and assignees of many tickets).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::enums::{TicketPriority, TicketStatus};
use entity::{departments, support_tickets, tags, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::rows::{self, select_list};
use super::super::shared::SeenTicket;
use super::super::status;
use super::super::visibility::{self, Scope};
use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::service::identity::Viewer;
use crate::service::page::{PageRequest, Paged};

/// A ticket by id, if the viewer may see it.
pub async fn get_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<SeenTicket> {
    let (model, scope) = visibility::visible_ticket(conn, viewer, id).await?;
    Ok(SeenTicket::new(model, &scope))
}

/// [`get_in`] on the read pool.
pub async fn get(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<SeenTicket> {
    get_in(&ctx.db.read, viewer, id).await
}

/// Ticket list filters.
#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    pub status: Vec<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Sort keys of the ticket list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TicketSort {
    #[default]
    CreatedAt,
    UpdatedAt,
    Priority,
}

/// The keyset of a ticket in a given order: the sort value and the id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TicketCursor {
    /// Microseconds since the epoch (times) or the priority rank.
    pub v: i64,
    pub id: Uuid,
}

/// The priority rank in SQL, made from [`status::PRIORITIES`] so the two
/// cannot disagree.
static PRIORITY_RANK: LazyLock<String> = LazyLock::new(|| {
    let whens: String = status::PRIORITIES
        .iter()
        .map(|p| format!(" WHEN '{}' THEN {}", p.to_value(), status::priority_rank(*p)))
        .collect();
    format!("(CASE support_tickets.priority{whens} ELSE 1 END)")
});

/// The sort value of `t` under `sort`, for cursors.
pub fn cursor_of(t: &support_tickets::Model, sort: TicketSort) -> TicketCursor {
    let v = match sort {
        TicketSort::CreatedAt => t.created_at.timestamp_micros(),
        TicketSort::UpdatedAt => t.updated_at.timestamp_micros(),
        TicketSort::Priority => status::priority_of(t).map(status::priority_rank).unwrap_or(1),
    };
    TicketCursor { v, id: t.id }
}

fn filter_condition(filter: &TicketFilter, scope: &Scope) -> AppResult<Condition> {
    let mut cond = scope.condition();
    if let Some(q) = &filter.search {
        if q.chars().count() > 200 {
            return Err(AppError::invalid_fields(vec![FieldError {
                field: "filter.search".into(),
                message: "must be at most 200 characters".into(),
            }]));
        }
    }
    if !filter.status.is_empty() {
        let values: Vec<String> = filter.status.iter().map(|s| s.to_value()).collect();
        cond = cond.add(support_tickets::Column::Status.is_in(values));
    }
    if let Some(p) = filter.priority {
        cond = cond.add(support_tickets::Column::Priority.eq(p.to_value()));
    }
    if let Some(d) = filter.department_id {
        cond = cond.add(support_tickets::Column::DepartmentId.eq(d));
    }
    if let Some(a) = filter.assignee_id {
        cond = cond.add(Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM ticket_assignments fa WHERE fa.ticket_id = support_tickets.id AND fa.user_id = $1)",
            [sea_orm::Value::from(a)],
        ));
    }
    if let Some(tag) = &filter.tag {
        cond = cond.add(Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM ticket_tags ft JOIN tags tg ON tg.id = ft.tag_id \
             WHERE ft.ticket_id = support_tickets.id AND tg.name = $1)",
            [sea_orm::Value::from(tag.trim().to_lowercase())],
        ));
    }
    if let Some(q) = filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // Messages count for search too, but a customer's search never
        // matches an internal note.
        let sql = if scope.sees_internal() {
            "(support_tickets.search_vector @@ plainto_tsquery('simple', $1) OR EXISTS (SELECT 1 FROM \
             support_ticket_messages sm WHERE sm.ticket_id = support_tickets.id \
             AND sm.search_vector @@ plainto_tsquery('simple', $1)))"
        } else {
            "(support_tickets.search_vector @@ plainto_tsquery('simple', $1) OR EXISTS (SELECT 1 FROM \
             support_ticket_messages sm WHERE sm.ticket_id = support_tickets.id AND NOT sm.is_internal \
             AND sm.search_vector @@ plainto_tsquery('simple', $1)))"
        };
        cond = cond.add(Expr::cust_with_values(sql, [q.to_string()]));
    }
    if let Some(t) = filter.created_after {
        cond = cond.add(support_tickets::Column::CreatedAt.gte(t));
    }
    if let Some(t) = filter.created_before {
        cond = cond.add(support_tickets::Column::CreatedAt.lt(t));
    }
    Ok(cond)
}

/// Relations of a listed ticket the list may read in its own statement,
/// as the selection asks for them (each costs a join or a subquery).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListRelations {
    /// The ticket's department row.
    pub department: bool,
    /// Its tag names, sorted.
    pub tags: bool,
    /// Its assignees' ids, in assignment order.
    pub assignee_ids: bool,
}

/// One ticket of a page with the relations that were asked for (`None`
/// when not asked; an empty list when asked and there are none).
#[derive(Clone, Debug)]
pub struct ListedTicket {
    pub model: support_tickets::Model,
    /// Asked for and the ticket has a department.
    pub department: Option<departments::Model>,
    pub tags: Option<Vec<String>>,
    pub assignee_ids: Option<Vec<Uuid>>,
}

/// A page of the ticket list and whether its viewer reads internal notes.
#[derive(Debug)]
pub struct TicketPage {
    pub page: Paged<ListedTicket>,
    pub sees_internal: bool,
}

/// A page of the tickets the viewer may see, in `sort` order (`first` /
/// `after` forward, `last` / `before` backward, keyset both ways), with
/// the relations `with` asks for, all in one statement: the page is
/// chosen first (in a subquery), then only its rows meet their
/// department (a join), tags and assignees (array subqueries).
pub async fn list_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &TicketFilter,
    sort: TicketSort,
    descending: bool,
    page: &PageRequest<TicketCursor>,
    with: ListRelations,
) -> AppResult<TicketPage> {
    let scope = visibility::scope(conn, viewer).await?;
    let mut cond = filter_condition(filter, &scope)?;
    let column: &str = match sort {
        TicketSort::CreatedAt => "support_tickets.created_at",
        TicketSort::UpdatedAt => "support_tickets.updated_at",
        TicketSort::Priority => PRIORITY_RANK.as_str(),
    };
    for (op, c) in page.bounds(descending) {
        let value: sea_orm::Value = if sort == TicketSort::Priority {
            (c.v as i32).into()
        } else {
            DateTime::<Utc>::from_timestamp_micros(c.v)
                .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?
                .into()
        };
        cond = cond.add(Expr::cust_with_values(
            format!("({column}, support_tickets.id) {op} ($1, $2)"),
            [value, c.id.into()],
        ));
    }
    let (order, dir) = if page.sql_descending(descending) {
        (sea_orm::Order::Desc, "DESC")
    } else {
        (sea_orm::Order::Asc, "ASC")
    };
    let inner = support_tickets::Entity::find()
        .filter(cond)
        .order_by(Expr::cust(column.to_string()), order.clone())
        .order_by(support_tickets::Column::Id, order)
        .build(DbBackend::Postgres);
    // The subquery keeps the name `support_tickets`, so the sort
    // expression reads the same inside and out.
    let mut sql = format!("SELECT {}", select_list("support_tickets", &rows::TICKET_COLUMNS));
    if with.department {
        sql.push_str(", ");
        sql.push_str(&select_list("d", &rows::DEPARTMENT_COLUMNS));
    }
    if with.tags {
        sql.push_str(
            ", ARRAY(SELECT tg.name FROM ticket_tags tt JOIN tags tg ON tg.id = tt.tag_id \
             WHERE tt.ticket_id = support_tickets.id ORDER BY tg.name)",
        );
    }
    if with.assignee_ids {
        sql.push_str(
            ", ARRAY(SELECT ta.user_id FROM ticket_assignments ta \
             WHERE ta.ticket_id = support_tickets.id ORDER BY ta.assigned_at, ta.user_id)",
        );
    }
    // The page size is written out (at most 101 spellings): a statement
    // without parameters is planned once per connection, not per request.
    sql.push_str(" FROM (");
    sql.push_str(&inner.sql);
    sql.push_str(&format!(" LIMIT {}) AS support_tickets", page.fetch()));
    if with.department {
        sql.push_str(" LEFT JOIN departments d ON d.id = support_tickets.department_id");
    }
    sql.push_str(&format!(" ORDER BY {column} {dir}, support_tickets.id {dir}"));
    let values = inner.values.map(|v| v.0).unwrap_or_default();
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .await?;
    let mut listed = Vec::with_capacity(found.len());
    for r in &found {
        let mut c = rows::Cols::new(r)?;
        let model = rows::ticket(&mut c)?;
        let department = if with.department {
            rows::department(&mut c)?
        } else {
            None
        };
        let tags = if with.tags {
            Some(c.next::<Vec<String>>()?)
        } else {
            None
        };
        let assignee_ids = if with.assignee_ids {
            Some(c.next::<Vec<Uuid>>()?)
        } else {
            None
        };
        listed.push(ListedTicket {
            model,
            department,
            tags,
            assignee_ids,
        });
    }
    Ok(TicketPage {
        page: page.finish(listed),
        sees_internal: scope.sees_internal(),
    })
}

/// [`list_in`] on the read pool.
pub async fn list(
    ctx: &AppContext,
    viewer: &Viewer,
    filter: &TicketFilter,
    sort: TicketSort,
    descending: bool,
    page: &PageRequest<TicketCursor>,
    with: ListRelations,
) -> AppResult<TicketPage> {
    list_in(&ctx.db.read, viewer, filter, sort, descending, page, with).await
}

/// How many tickets match (for `totalCount`, computed only when asked).
pub async fn count(ctx: &AppContext, viewer: &Viewer, filter: &TicketFilter) -> AppResult<u64> {
    let scope = visibility::scope(&ctx.db.read, viewer).await?;
    let cond = filter_condition(filter, &scope)?;
    Ok(support_tickets::Entity::find().filter(cond).count(&ctx.db.read).await?)
}

/// A page of the tag names in use, by name, keyset both ways (anyone who
/// may see tickets).
pub async fn tags_page(ctx: &AppContext, viewer: &Viewer, page: &PageRequest<String>) -> AppResult<Paged<tags::Model>> {
    visibility::scope(&ctx.db.read, viewer).await?;
    let mut cond = Condition::all();
    for (op, name) in page.bounds(false) {
        cond = cond.add(Expr::cust_with_values(format!("tags.name {op} $1"), [name.clone()]));
    }
    let q = tags::Entity::find().filter(cond).limit(page.fetch());
    let q = if page.sql_descending(false) {
        q.order_by_desc(tags::Column::Name)
    } else {
        q.order_by_asc(tags::Column::Name)
    };
    Ok(page.finish(q.all(&ctx.db.read).await?))
}

/// How many tag names are in use (for `totalCount`).
pub async fn tag_count(ctx: &AppContext, viewer: &Viewer) -> AppResult<u64> {
    visibility::scope(&ctx.db.read, viewer).await?;
    Ok(tags::Entity::find().count(&ctx.db.read).await?)
}

/// Tickets by id, for loaders: only call with ids the viewer was already
/// shown (a message's ticket), since this checks nothing.
pub async fn of_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<support_tickets::Model>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {} FROM support_tickets t WHERE t.id = ANY($1)",
            select_list("t", &rows::TICKET_COLUMNS)
        )
    });
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL.as_str(),
            [ids.to_vec().into()],
        ))
        .await?;
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        out.push(rows::ticket(&mut rows::Cols::new(r)?)?);
    }
    Ok(out)
}

/// Tag names of many tickets, sorted; every ticket gets a list.
pub async fn tags_of_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<String>>> {
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT tt.ticket_id, t.name FROM ticket_tags tt JOIN tags t ON t.id = tt.tag_id \
             WHERE tt.ticket_id = ANY($1) ORDER BY t.name",
            [ids.to_vec().into()],
        ))
        .await?;
    let mut out: HashMap<Uuid, Vec<String>> = ids.iter().map(|k| (*k, Vec::new())).collect();
    for r in &found {
        let ticket: Uuid = r.try_get_by_index(0)?;
        let name: String = r.try_get_by_index(1)?;
        out.entry(ticket).or_default().push(name);
    }
    Ok(out)
}

/// Assigned users of many tickets (the users themselves, in one
/// statement, for display: no secrets), in assignment order; every ticket
/// gets a list.
pub async fn assignees_of_many<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<users::Model>>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT ta.ticket_id, {} FROM ticket_assignments ta JOIN users u ON u.id = ta.user_id \
             WHERE ta.ticket_id = ANY($1) ORDER BY ta.assigned_at, u.id",
            select_list("u", &rows::USER_COLUMNS)
        )
    });
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL.as_str(),
            [ids.to_vec().into()],
        ))
        .await?;
    let mut out: HashMap<Uuid, Vec<users::Model>> = ids.iter().map(|k| (*k, Vec::new())).collect();
    for r in &found {
        let mut c = rows::Cols::new(r)?;
        let ticket: Uuid = c.next()?;
        if let Some(u) = rows::user(&mut c)? {
            out.entry(ticket).or_default().push(u);
        }
    }
    Ok(out)
}

/// Users by id for display (assignees, authors): every column a user's
/// public fields read, never the password hash or TOTP secret (those are
/// `None` in the rows returned).
pub async fn users_for_display<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, users::Model>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {} FROM users u WHERE u.id = ANY($1)",
            select_list("u", &rows::USER_COLUMNS)
        )
    });
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL.as_str(),
            [ids.to_vec().into()],
        ))
        .await?;
    let mut out = HashMap::with_capacity(found.len());
    for r in &found {
        if let Some(u) = rows::user(&mut rows::Cols::new(r)?)? {
            out.insert(u.id, u);
        }
    }
    Ok(out)
}
