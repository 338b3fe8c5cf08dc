//! Identity and access: who is calling, and what they may do.

pub mod accounts;
pub mod api_keys;
pub mod oauth;
pub mod password;
pub mod perms;
pub mod roles;
pub mod settings;
pub mod tokens;
pub mod totp;
pub mod viewer;

pub use viewer::{Permission, Viewer};

use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::http::auth::ClientInfo;

/// Credentials a request presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    None,
    /// An access token from `Authorization: Bearer`.
    Bearer(String),
    /// A partner's API key from `X-Api-Key`.
    ApiKey(String),
    /// An `Authorization` header in a scheme we do not speak.
    Unsupported,
}

impl Credentials {
    /// From an `Authorization` value and an API key, the key winning when
    /// both are present would be ambiguous: a bearer token wins.
    pub fn from_parts(authorization: Option<&str>, api_key: Option<&str>) -> Self {
        if let Some(auth) = authorization.filter(|a| !a.is_empty()) {
            let (scheme, rest) = auth.split_once(' ').unwrap_or((auth, ""));
            return if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
                Credentials::Bearer(rest.trim().to_string())
            } else {
                Credentials::Unsupported
            };
        }
        match api_key.filter(|k| !k.is_empty()) {
            Some(k) => Credentials::ApiKey(k.to_string()),
            None => Credentials::None,
        }
    }
}

/// Roles, permissions and standing of a user, in one query.
struct Grants {
    active: bool,
    roles: Vec<String>,
    permissions: Vec<String>,
    staff: bool,
}

const GRANTS_SQL: &str = "SELECT u.status = 'ACTIVE' AS active, \
     coalesce(array_agg(DISTINCT r.key) FILTER (WHERE r.key IS NOT NULL), '{}') AS roles, \
     coalesce(array_agg(DISTINCT rp.permission_key) FILTER (WHERE rp.permission_key IS NOT NULL), '{}') AS permissions, \
     coalesce(bool_or(r.audience = 'INTERNAL'), false) AS staff \
     FROM users u \
     LEFT JOIN user_roles ur ON ur.user_id = u.id AND ur.status = 'APPROVED' \
     LEFT JOIN roles r ON r.id = ur.role_id AND r.is_active \
     LEFT JOIN role_permissions rp ON rp.role_id = r.id";

fn grants_from_row(row: &sea_orm::QueryResult) -> Grants {
    Grants {
        active: row.try_get::<bool>("", "active").unwrap_or(false),
        roles: row.try_get::<Vec<String>>("", "roles").unwrap_or_default(),
        permissions: row.try_get::<Vec<String>>("", "permissions").unwrap_or_default(),
        staff: row.try_get::<bool>("", "staff").unwrap_or(false),
    }
}

/// Resolves credentials to a viewer. Absent credentials give an anonymous
/// viewer; present but invalid ones are `UNAUTHENTICATED` (never silently
/// anonymous). A revoked session or suspended account stops working at
/// once, because every request checks them.
pub async fn authenticate(ctx: &AppContext, credentials: Credentials, client: ClientInfo) -> AppResult<Viewer> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let mut viewer = Viewer {
        ip_address: client.ip_address,
        user_agent: client.user_agent,
        request_id: client.request_id,
        ..Viewer::anonymous()
    };
    match credentials {
        Credentials::None => Ok(viewer),
        Credentials::Unsupported => Err(AppError::Unauthenticated(
            "unsupported Authorization scheme; use Bearer".into(),
        )),
        Credentials::Bearer(token) => {
            let claims = ctx
                .keys
                .tokens
                .verify(&token)
                .map_err(|e| AppError::Unauthenticated(e.to_string()))?;
            let sql = format!(
                "{GRANTS_SQL} JOIN user_sessions s ON s.user_id = u.id \
                 WHERE u.id = $1 AND s.id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() \
                 GROUP BY u.id"
            );
            let row = ctx
                .db
                .primary
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    [claims.sub.into(), claims.sid.into()],
                ))
                .await?;
            let grants = row.as_ref().map(grants_from_row).filter(|g| g.active);
            let Some(grants) = grants else {
                return Err(AppError::Unauthenticated("the session has ended; sign in again".into()));
            };
            touch_session(ctx, claims.sid);
            viewer.user_id = Some(claims.sub);
            viewer.session_id = Some(claims.sid);
            viewer.roles = grants.roles;
            viewer.permissions = grants.permissions.into_iter().collect();
            viewer.is_staff = grants.staff;
            Ok(viewer)
        }
        Credentials::ApiKey(key) => {
            let key = api_keys::verify(ctx, &key).await?;
            let sql = format!("{GRANTS_SQL} WHERE u.id = $1 GROUP BY u.id");
            let row = ctx
                .db
                .primary
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    [key.user_id.into()],
                ))
                .await?;
            let grants = row.as_ref().map(grants_from_row).filter(|g| g.active);
            let Some(grants) = grants else {
                return Err(AppError::Unauthenticated("invalid API key".into()));
            };
            viewer.user_id = Some(key.user_id);
            viewer.api_key_id = Some(key.id);
            viewer.api_key_scopes = Some(key.scopes.into_iter().collect());
            viewer.roles = grants.roles;
            viewer.permissions = grants.permissions.into_iter().collect();
            viewer.is_staff = grants.staff;
            Ok(viewer)
        }
    }
}

/// Marks a session active, at most once a minute per instance, off the
/// request path.
fn touch_session(ctx: &AppContext, session: uuid::Uuid) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if !ctx.throttle.due(session, std::time::Duration::from_secs(60)) {
        return;
    }
    let db = ctx.db.primary.clone();
    tokio::spawn(async move {
        let _ = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE user_sessions SET last_active_at = now() \
                 WHERE id = $1 AND last_active_at < now() - interval '60 seconds'",
                [session.into()],
            ))
            .await;
    });
}

async fn grants_of(ctx: &AppContext, user: uuid::Uuid) -> AppResult<Grants> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let sql = format!("{GRANTS_SQL} WHERE u.id = $1 GROUP BY u.id");
    let row = ctx
        .db
        .read
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [user.into()]))
        .await?;
    Ok(row.as_ref().map(grants_from_row).unwrap_or(Grants {
        active: false,
        roles: Vec::new(),
        permissions: Vec::new(),
        staff: false,
    }))
}

/// Approved role keys of `user`, sorted.
pub async fn roles_of(ctx: &AppContext, user: uuid::Uuid) -> AppResult<Vec<String>> {
    let mut r = grants_of(ctx, user).await?.roles;
    r.sort();
    Ok(r)
}

/// Permission keys `user` holds, sorted.
pub async fn permissions_of(ctx: &AppContext, user: uuid::Uuid) -> AppResult<Vec<String>> {
    let mut p = grants_of(ctx, user).await?.permissions;
    p.sort();
    Ok(p)
}

/// Whether `user` holds a staff (INTERNAL) role.
pub async fn is_staff(ctx: &AppContext, user: uuid::Uuid) -> AppResult<bool> {
    Ok(grants_of(ctx, user).await?.staff)
}

/// A user by id, visible to themselves and to `users.read`.
pub async fn user_by_id(ctx: &AppContext, viewer: &Viewer, id: uuid::Uuid) -> AppResult<Option<entity::users::Model>> {
    use sea_orm::EntityTrait;
    let me = viewer.require_user()?;
    if me != id && !viewer.can(crate::service::identity::perms::USERS_READ) {
        return Err(AppError::forbidden());
    }
    Ok(entity::users::Entity::find_by_id(id).one(&ctx.db.read).await?)
}

/// Filters for the users list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Matches email or display name (case-insensitive substring).
    pub search: Option<String>,
    pub status: Option<String>,
    pub role_key: Option<String>,
}

/// A page of users ordered newest first (`users.read`); ids are UUIDv7,
/// so the id is the keyset.
pub async fn list_users(
    ctx: &AppContext,
    viewer: &Viewer,
    filter: UserFilter,
    after: Option<uuid::Uuid>,
    limit: u64,
) -> AppResult<Vec<entity::users::Model>> {
    use entity::users;
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    viewer.require(crate::service::identity::perms::USERS_READ)?;
    let mut cond = Condition::all();
    if let Some(s) = filter.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        cond = cond.add(Condition::any().add(users::Column::Email.like(pattern.clone())).add(
            sea_orm::sea_query::Expr::cust_with_values("lower(display_name) LIKE $1", [pattern]),
        ));
    }
    if let Some(status) = filter.status {
        cond = cond.add(users::Column::Status.eq(status));
    }
    if let Some(role) = filter.role_key {
        cond = cond.add(sea_orm::sea_query::Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
             WHERE ur.user_id = users.id AND ur.status = 'APPROVED' AND r.key = $1)",
            [role],
        ));
    }
    if let Some(after) = after {
        cond = cond.add(users::Column::Id.lt(after));
    }
    Ok(users::Entity::find()
        .filter(cond)
        .order_by_desc(users::Column::Id)
        .limit(limit)
        .all(&ctx.db.read)
        .await?)
}

/// The PostgreSQL notification channel on which a transaction announces,
/// when it commits, that a user's sessions, API keys or standing changed
/// (payload: the user id). Every instance listens, and re-checks the
/// sockets of that user (see `http::sockets`).
pub const CREDENTIALS_CHANNEL: &str = "switchboard_credentials";

/// Announces on [`CREDENTIALS_CHANNEL`] that `user`'s credentials changed.
/// Sent inside the caller's transaction, so it is delivered only if that
/// commits, and needs no Redis.
pub async fn signal_credentials_changed<C: sea_orm::ConnectionTrait>(conn: &C, user: uuid::Uuid) -> AppResult<()> {
    use sea_orm::{DbBackend, Statement};
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CREDENTIALS_CHANNEL.into(), user.to_string().into()],
    ))
    .await?;
    Ok(())
}

/// For live subscriptions: whether the viewer's session (or API key) and
/// account still hold, checked against the database now.
pub async fn credentials_valid<C: sea_orm::ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<bool> {
    use sea_orm::{DbBackend, Statement};
    let (sql, id) = match (viewer.session_id, viewer.api_key_id) {
        (Some(s), _) => (
            "SELECT (s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'ACTIVE') AS ok \
             FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
            s,
        ),
        (None, Some(k)) => (
            "SELECT (k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.status = 'ACTIVE') AS ok \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
            k,
        ),
        (None, None) => return Ok(false),
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [id.into()]))
        .await?;
    Ok(row.and_then(|r| r.try_get::<bool>("", "ok").ok()).unwrap_or(false))
}
