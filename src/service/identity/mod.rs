//! Identity and access: who is calling, and what they may do.

pub mod accounts;
pub mod api_keys;
pub mod email;
pub mod lockout;
pub mod oauth;
pub mod org;
pub mod password;
pub mod perms;
pub mod roles;
pub mod session_cache;
pub mod sessions;
pub mod settings;
pub mod signin;
pub mod tokens;
pub mod totp;
pub mod viewer;

pub use email::Email;
pub use viewer::{Permission, Viewer};

use entity::enums::{ApprovalStatus, Audience, UserStatus};
use sea_orm::ActiveEnum;

use crate::app::AppContext;
use crate::error::{AppError, AppResult};

/// Who is on the other end of the connection, as far as the transport
/// knows. The HTTP layer fills it in (`http::auth` reads the peer and the
/// trusted `X-Forwarded-For`); services only read it.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    /// The client's address: the connecting peer, or (behind a trusted
    /// proxy) the right-most untrusted `X-Forwarded-For` entry. Rate limits
    /// and socket caps key on it.
    pub ip_address: Option<String>,
    /// The `User-Agent` header, cut to 512 characters.
    pub user_agent: Option<String>,
    /// The `X-Request-Id` header, for audit rows.
    pub request_id: Option<String>,
}

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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// The account is ACTIVE.
    pub active: bool,
    /// Keys of the approved, active roles, sorted.
    pub roles: Vec<String>,
    /// Permission keys those roles grant, sorted.
    pub permissions: Vec<String>,
    /// Holds an INTERNAL (staff) role.
    pub staff: bool,
}

/// The grants query; callers append a `WHERE` on `u.id` and `GROUP BY u.id`.
/// The enum values are spliced from `entity::enums` (constants, not input).
fn grants_sql() -> String {
    format!(
        "SELECT u.id AS user_id, u.status = '{active}' AS active, \
         coalesce(array_agg(DISTINCT r.key) FILTER (WHERE r.key IS NOT NULL), '{{}}') AS roles, \
         coalesce(array_agg(DISTINCT rp.permission_key) FILTER (WHERE rp.permission_key IS NOT NULL), '{{}}') AS permissions, \
         coalesce(bool_or(r.audience = '{internal}'), false) AS staff \
         FROM users u \
         LEFT JOIN user_roles ur ON ur.user_id = u.id AND ur.status = '{approved}' \
         LEFT JOIN roles r ON r.id = ur.role_id AND r.is_active \
         LEFT JOIN role_permissions rp ON rp.role_id = r.id",
        active = UserStatus::Active.to_value(),
        internal = Audience::Internal.to_value(),
        approved = ApprovalStatus::Approved.to_value(),
    )
}

fn grants_from_row(row: &sea_orm::QueryResult) -> Grants {
    let mut g = Grants {
        active: row.try_get::<bool>("", "active").unwrap_or(false),
        roles: row.try_get::<Vec<String>>("", "roles").unwrap_or_default(),
        permissions: row.try_get::<Vec<String>>("", "permissions").unwrap_or_default(),
        staff: row.try_get::<bool>("", "staff").unwrap_or(false),
    };
    g.roles.sort();
    g.permissions.sort();
    g
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
            let checked = match ctx.sessions.get(claims.sid, claims.sub) {
                Some(checked) => checked,
                None => check_session(ctx, claims.sub, claims.sid).await?,
            };
            touch_session(ctx, claims.sid);
            viewer.user_id = Some(claims.sub);
            viewer.session_id = Some(claims.sid);
            viewer.roles = checked.roles;
            viewer.permissions = checked.permissions;
            viewer.is_staff = checked.is_staff;
            viewer.account = checked.account;
            Ok(viewer)
        }
        Credentials::ApiKey(key) => {
            let key = api_keys::verify(ctx, &key).await?;
            let sql = format!("{} WHERE u.id = $1 GROUP BY u.id", grants_sql());
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
            viewer.permissions = std::sync::Arc::new(grants.permissions.into_iter().collect());
            viewer.is_staff = grants.staff;
            Ok(viewer)
        }
    }
}

/// Checks `session` of `user` against the database: live, not expired,
/// the account ACTIVE; reads the user's grants and row in the same
/// statement, and caches the result ([`session_cache`]).
async fn check_session(ctx: &AppContext, user: uuid::Uuid, session: uuid::Uuid) -> AppResult<session_cache::Checked> {
    use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
    let ticket = ctx.sessions.ticket();
    let sql = format!(
        "{} JOIN user_sessions s ON s.user_id = u.id \
         WHERE u.id = $1 AND s.id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() \
         GROUP BY u.id",
        grants_sql().replacen("SELECT ", "SELECT u.*, max(s.expires_at) AS session_expires_at, ", 1)
    );
    let row = ctx
        .db
        .primary
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [user.into(), session.into()],
        ))
        .await?;
    let ended = || AppError::Unauthenticated("the session has ended; sign in again".into());
    let row = row.ok_or_else(ended)?;
    let grants = grants_from_row(&row);
    if !grants.active {
        return Err(ended());
    }
    let account = entity::users::Model::from_query_result(&row, "").map_err(AppError::from)?;
    let expires_at = row
        .try_get::<chrono::DateTime<chrono::Utc>>("", "session_expires_at")
        .map_err(AppError::from)?;
    let checked = session_cache::Checked {
        user,
        roles: grants.roles,
        permissions: std::sync::Arc::new(grants.permissions.into_iter().collect()),
        is_staff: grants.staff,
        account: viewer::Account(Some(std::sync::Arc::new(account))),
        expires_at,
    };
    ctx.sessions.put(ticket, session, checked.clone());
    Ok(checked)
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

/// Grants of many users in one statement, for loaders: a page of users
/// costs one statement for all their roles and permissions. Unknown ids
/// are absent from the map.
pub async fn grants_of_many<C: sea_orm::ConnectionTrait>(
    conn: &C,
    users: &[uuid::Uuid],
) -> AppResult<std::collections::HashMap<uuid::Uuid, Grants>> {
    use sea_orm::{DbBackend, Statement};
    let sql = format!("{} WHERE u.id = ANY($1) GROUP BY u.id", grants_sql());
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [users.to_vec().into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r.try_get::<uuid::Uuid>("", "user_id").ok()?, grants_from_row(r))))
        .collect())
}

/// The PostgreSQL notification channel on which a transaction announces,
/// when it commits, that a user's sessions, API keys or standing changed
/// (payload: the user id). Every instance listens, and re-checks the
/// sockets of that user (see `http::sockets`).
pub const CREDENTIALS_CHANNEL: &str = "switchboard_credentials";

/// Drops `user`'s cached session checks in this process once `tx`
/// commits; the database triggers tell every instance as well.
pub fn forget_sessions_on_commit(tx: &crate::infra::events::Tx, user: uuid::Uuid) {
    tx.after_commit(move || session_cache::forget_everywhere(user));
}

/// Announces on [`CREDENTIALS_CHANNEL`] that `user`'s credentials changed.
/// Sent inside the caller's transaction, so it is delivered only if that
/// commits, and needs no Redis.
pub async fn signal_credentials_changed(tx: &crate::infra::events::Tx, user: uuid::Uuid) -> AppResult<()> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    forget_sessions_on_commit(tx, user);
    let conn: &sea_orm::DatabaseTransaction = tx;
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
            "SELECT (s.revoked_at IS NULL AND s.expires_at > now() AND u.status = $2) AS ok \
             FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
            s,
        ),
        (None, Some(k)) => (
            "SELECT (k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.status = $2) AS ok \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
            k,
        ),
        (None, None) => return Ok(false),
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [id.into(), UserStatus::Active.to_value().into()],
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get::<bool>("", "ok").ok()).unwrap_or(false))
}
