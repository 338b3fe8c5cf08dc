//! Identity queries: thin resolvers over `service::identity`.

use std::collections::HashSet;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, ObjectType, OutputType, Result, ID};
use serde::Serialize;
use uuid::Uuid;

use super::inputs::UserFilter;
use super::types::*;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::graphql::loaders::loaders;
use crate::graphql::pagination::{encode_cursor, Page, Paged};
use crate::service::identity::{accounts, org, perms, roles};

/// A connection over a page the service already finished, with `extra`
/// (the connection's `totalCount`) beside the edges.
pub(crate) fn paged_connection<T, K, N, C>(
    paged: Paged<T>,
    key: impl Fn(&T) -> K,
    node: impl Fn(T) -> N,
    extra: C,
) -> Connection<String, N, C, EmptyFields>
where
    K: Serialize,
    N: OutputType,
    C: ObjectType,
{
    let mut conn = Connection::with_additional_fields(paged.has_previous, paged.has_next, extra);
    conn.edges.extend(
        paged
            .rows
            .into_iter()
            .map(|row| Edge::new(encode_cursor(&key(&row)), node(row))),
    );
    conn
}

/// Whether the selection of a connection asks for `field` of its nodes.
fn wants(ctx: &Context<'_>, field: &str) -> bool {
    let look = ctx.look_ahead();
    look.field("edges").field("node").field(field).exists() || look.field("nodes").field(field).exists()
}

/// Loads, one statement per relation, what the selection asks of a page
/// of users, into the request's loaders: a page costs the same statements
/// at any size, whatever the batching timing.
async fn prime_users(ctx: &Context<'_>, users: &[entity::users::Model]) -> Result<()> {
    let l = &loaders(ctx)?.identity;
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    if ["roles", "permissions", "isAdmin"].iter().any(|f| wants(ctx, f)) {
        l.grants.load_many(ids.iter().copied()).await.map_err(load_failed)?;
    }
    if wants(ctx, "departments") {
        let of = l
            .user_departments
            .load_many(ids.iter().copied())
            .await
            .map_err(load_failed)?;
        let deps: HashSet<Uuid> = of.values().flatten().copied().collect();
        l.departments.load_many(deps).await.map_err(load_failed)?;
    }
    Ok(())
}

/// As [`prime_users`], for a page of role grants.
async fn prime_grants(ctx: &Context<'_>, grants: &[entity::user_roles::Model]) -> Result<()> {
    let l = &loaders(ctx)?.identity;
    if wants(ctx, "role") {
        let ids: HashSet<Uuid> = grants.iter().map(|g| g.role_id).collect();
        l.roles.load_many(ids).await.map_err(load_failed)?;
    }
    let mut users: HashSet<Uuid> = HashSet::new();
    if wants(ctx, "user") {
        users.extend(grants.iter().map(|g| g.user_id));
    }
    if wants(ctx, "approvedBy") {
        users.extend(grants.iter().filter_map(|g| g.approved_by_user_id));
    }
    if !users.is_empty() {
        l.users.load_many(users).await.map_err(load_failed)?;
    }
    Ok(())
}

/// Identity queries.
#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in user; null when anonymous.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let v = viewer(ctx);
        let Some(id) = v.user_id else {
            return Ok(None);
        };
        v.require_self_service(perms::PROFILE_READ)?;
        // The session check read the row: no statement needed.
        if let Some(account) = v.account.0.as_ref().filter(|a| a.id == id) {
            return Ok(Some(User::new(account.as_ref().clone())));
        }
        Ok(accounts::user_by_id(app(ctx)?, v, id).await?.map(User::new))
    }

    /// A user (yourself, or anyone with `users.read`).
    async fn user(&self, ctx: &Context<'_>, #[graphql(desc = "The user's id.")] id: ID) -> Result<Option<User>> {
        let id = parse_id(&id, "id")?;
        Ok(accounts::user_by_id(app(ctx)?, viewer(ctx), id).await?.map(User::new))
    }

    /// Users, newest first (`users.read`).
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which users to list; absent: everyone.")] filter: Option<UserFilter>,
        #[graphql(desc = "Users after `after`, newest first; at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the user to start after.")] after: Option<String>,
        #[graphql(desc = "Users before `before`, the oldest end; at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the user to end before.")] before: Option<String>,
    ) -> Result<Connection<String, User, UserCount, EmptyFields>> {
        let page = Page::<Uuid>::from_args(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let filter = accounts::UserFilter {
            search: f.search,
            status: f.status,
            role_key: f.role_key,
        };
        let v = viewer(ctx);
        let paged = accounts::list_users(app(ctx)?, v, &filter, &page).await?;
        prime_users(ctx, &paged.rows).await?;
        Ok(paged_connection(
            paged,
            |u| u.id,
            User::new,
            UserCount {
                viewer: v.clone(),
                filter,
            },
        ))
    }

    /// Roles that exist (any signed-in user).
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        Ok(roles::list_roles(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Role)
            .collect())
    }

    /// Every permission (`roles.manage` or `users.read`).
    async fn permissions(&self, ctx: &Context<'_>) -> Result<Vec<Permission>> {
        Ok(roles::list_permissions(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Permission)
            .collect())
    }

    /// Role requests waiting for review, oldest first (`roles.manage` or
    /// `approvals.review`).
    async fn role_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Requests after `after`, oldest first; at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the request to start after.")] after: Option<String>,
        #[graphql(desc = "Requests before `before`, the newest end; at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the request to end before.")] before: Option<String>,
    ) -> Result<Connection<String, RoleGrant, RoleRequestCount, EmptyFields>> {
        let page = Page::<roles::RoleRequestCursor>::from_args(first, after, last, before)?;
        let v = viewer(ctx);
        let paged = roles::pending_role_requests(app(ctx)?, v, &page).await?;
        prime_grants(ctx, &paged.rows).await?;
        Ok(paged_connection(
            paged,
            roles::role_request_cursor,
            RoleGrant,
            RoleRequestCount { viewer: v.clone() },
        ))
    }

    /// Departments, by name (any signed-in user; inactive ones only for
    /// department managers).
    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<Department>> {
        Ok(org::list_departments(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Department)
            .collect())
    }

    /// Designations, by name (`departments.manage` or `employees.manage`).
    async fn designations(&self, ctx: &Context<'_>) -> Result<Vec<Designation>> {
        Ok(org::list_designations(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Designation)
            .collect())
    }

    /// Employee records by employee code (`employees.manage` or `users.read`).
    async fn employees(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Records after `after`, by employee code; at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the record to start after.")] after: Option<String>,
        #[graphql(desc = "Records before `before`, the end of the list; at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the record to end before.")] before: Option<String>,
    ) -> Result<Connection<String, Employee, EmployeeCount, EmptyFields>> {
        let page = Page::<org::EmployeeCursor>::from_args(first, after, last, before)?;
        let v = viewer(ctx);
        let paged = org::list_employees(app(ctx)?, v, &page).await?;
        Ok(paged_connection(
            paged,
            org::employee_cursor,
            Employee,
            EmployeeCount { viewer: v.clone() },
        ))
    }
}
