//! Clients: the people tickets are for, with or without an account,
//! reachable through external identities (email, phone, WhatsApp, Slack).

use entity::{client_external_ids, clients, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::events;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// Kinds of external identity.
pub const KINDS: &[&str] = &["EMAIL", "PHONE", "WHATSAPP", "SLACK", "TELEGRAM", "OTHER"];

/// Normalizes an external id so one person has one identity: emails
/// lower-cased, phone numbers reduced to `+` and digits.
pub fn normalize_external(kind: &str, value: &str) -> AppResult<(String, String)> {
    let kind = kind.trim().to_uppercase();
    if !KINDS.contains(&kind.as_str()) {
        return Err(AppError::invalid(
            "kind",
            format!("must be one of {}", KINDS.join(", ")),
        ));
    }
    let value = value.trim();
    let value = match kind.as_str() {
        "EMAIL" => crate::service::identity::Email::parse_field(value, "value")
            .map(crate::service::identity::Email::into_string)
            .map_err(|_| AppError::invalid("value", "is not a valid email address"))?,
        "PHONE" | "WHATSAPP" => {
            let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
            if digits.len() < 6 || digits.len() > 15 {
                return Err(AppError::invalid("value", "is not a valid phone number"));
            }
            format!("+{digits}")
        }
        _ => {
            if value.is_empty() || value.len() > 255 {
                return Err(AppError::invalid("value", "must be 1 to 255 characters"));
            }
            value.to_string()
        }
    };
    Ok((kind, value))
}

/// A client by id (any caller of this already passed authorization).
pub async fn get_model<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<clients::Model> {
    clients::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::invalid("clientId", "no such client"))
}

/// The client record of a user with an account, made on first use with the
/// account's email as an external identity.
pub async fn client_of_user(tx: &Tx, user_id: Uuid) -> AppResult<clients::Model> {
    // Serialize a user's concurrent first tickets (one client per account).
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        [format!("client:user:{user_id}").into()],
    ))
    .await?;
    if let Some(c) = clients::Entity::find()
        .filter(clients::Column::UserId.eq(user_id))
        .one(&**tx)
        .await?
    {
        return Ok(c);
    }
    let user = users::Entity::find_by_id(user_id)
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))?;
    // An inbound email may already have made a client for this address.
    if let Some(existing) = client_by_external(&**tx, "EMAIL", &user.email).await? {
        if existing.user_id.is_none() {
            let mut a: clients::ActiveModel = existing.into();
            a.user_id = Set(Some(user_id));
            return Ok(a.update(&**tx).await?);
        }
    }
    let client = clients::ActiveModel {
        id: Set(Uuid::now_v7()),
        display_name: Set(user.display_name.clone()),
        user_id: Set(Some(user_id)),
        data: Set(json!({})),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO client_external_ids (client_id, kind, value) VALUES ($1, 'EMAIL', $2) \
         ON CONFLICT (kind, value) DO NOTHING",
        [client.id.into(), user.email.to_lowercase().into()],
    ))
    .await?;
    Ok(client)
}

async fn client_by_external<C: ConnectionTrait>(
    conn: &C,
    kind: &str,
    value: &str,
) -> AppResult<Option<clients::Model>> {
    let (kind, value) = normalize_external(kind, value)?;
    let Some(ext) = client_external_ids::Entity::find()
        .filter(client_external_ids::Column::Kind.eq(kind))
        .filter(client_external_ids::Column::Value.eq(value))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(clients::Entity::find_by_id(ext.client_id).one(conn).await?)
}

/// Finds the client owning an external identity, or creates one for it.
pub async fn find_or_create_by_external(
    tx: &Tx,
    kind: &str,
    value: &str,
    display_name: Option<&str>,
) -> AppResult<clients::Model> {
    let (kind, value) = normalize_external(kind, value)?;
    // Serialize concurrent first contacts from the same identity.
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        [format!("client:{kind}:{value}").into()],
    ))
    .await?;
    if let Some(c) = client_by_external(&**tx, &kind, &value).await? {
        return Ok(c);
    }
    let name = display_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| value.clone());
    let client = clients::ActiveModel {
        id: Set(Uuid::now_v7()),
        display_name: Set(name.chars().take(200).collect()),
        data: Set(json!({"source": kind.to_lowercase()})),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO client_external_ids (client_id, kind, value) VALUES ($1, $2, $3)",
        [client.id.into(), kind.into(), value.into()],
    ))
    .await?;
    Ok(client)
}

/// Whether the viewer may see a client: `clients.manage`, or it is theirs.
fn may_see(viewer: &Viewer, client: &clients::Model) -> bool {
    viewer.can(crate::service::support::perms::CLIENTS_MANAGE)
        || (viewer.user_id.is_some() && client.user_id == viewer.user_id)
}

/// A client the viewer may see.
pub async fn get(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<clients::Model> {
    viewer.require_user()?;
    clients::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|c| may_see(viewer, c))
        .ok_or_else(|| AppError::NotFound("client".into()))
}

/// Clients matching `search` (name or external id), newest first
/// (`clients.manage`).
pub async fn search(
    ctx: &AppContext,
    viewer: &Viewer,
    search: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<clients::Model>> {
    viewer.require(crate::service::support::perms::CLIENTS_MANAGE)?;
    let mut q = clients::Entity::find().order_by_desc(clients::Column::Id).limit(limit);
    if let Some(after) = after {
        q = q.filter(clients::Column::Id.lt(after));
    }
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!(
            "%{}%",
            s.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        q = q.filter(sea_orm::sea_query::Expr::cust_with_values(
            "(lower(clients.display_name) LIKE $1 OR EXISTS (SELECT 1 FROM client_external_ids x \
             WHERE x.client_id = clients.id AND lower(x.value) LIKE $1))",
            [pattern],
        ));
    }
    Ok(q.all(&ctx.db.read).await?)
}

/// External identities of clients, for many clients at once.
pub async fn external_ids_of<C: ConnectionTrait>(
    conn: &C,
    client_ids: &[Uuid],
) -> AppResult<Vec<client_external_ids::Model>> {
    Ok(client_external_ids::Entity::find()
        .filter(client_external_ids::Column::ClientId.is_in(client_ids.to_vec()))
        .order_by_asc(client_external_ids::Column::Kind)
        .order_by_asc(client_external_ids::Column::Value)
        .all(conn)
        .await?)
}

fn check_data(data: Option<&Json>) -> AppResult<()> {
    if let Some(d) = data {
        if !d.is_object() || d.to_string().len() > 16 * 1024 {
            return Err(AppError::invalid("data", "must be a JSON object of at most 16 KiB"));
        }
    }
    Ok(())
}

/// Creates a client with optional external identities (`clients.manage`).
pub async fn create(
    ctx: &AppContext,
    viewer: &Viewer,
    display_name: &str,
    data: Option<Json>,
    external_ids: Vec<(String, String)>,
) -> AppResult<clients::Model> {
    viewer.require(crate::service::support::perms::CLIENTS_MANAGE)?;
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("displayName", "must be 1 to 200 characters"));
    }
    check_data(data.as_ref())?;
    let mut ids = Vec::new();
    for (k, v) in &external_ids {
        ids.push(normalize_external(k, v)?);
    }
    let txn = ctx.db.primary.begin().await?;
    let client = clients::ActiveModel {
        id: Set(Uuid::now_v7()),
        display_name: Set(name.to_string()),
        data: Set(data.unwrap_or_else(|| json!({}))),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (kind, value) in ids {
        insert_external(&txn, client.id, &kind, &value).await?;
    }
    txn.commit().await?;
    Ok(client)
}

async fn insert_external<C: ConnectionTrait>(conn: &C, client: Uuid, kind: &str, value: &str) -> AppResult<()> {
    client_external_ids::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        kind: Set(kind.to_string()),
        value: Set(value.to_string()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => {
            AppError::conflict(Some("value"), format!("{kind} {value} belongs to another client"))
        }
        other => other,
    })?;
    Ok(())
}

/// Renames a client or replaces its data (`clients.manage`).
pub async fn update(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    display_name: Option<String>,
    data: Option<Json>,
) -> AppResult<clients::Model> {
    viewer.require(crate::service::support::perms::CLIENTS_MANAGE)?;
    check_data(data.as_ref())?;
    let txn = ctx.db.primary.begin().await?;
    let c = clients::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("client".into()))?;
    let mut a: clients::ActiveModel = c.into();
    if let Some(n) = display_name {
        let n = n.trim().to_string();
        if n.is_empty() || n.chars().count() > 200 {
            return Err(AppError::invalid("displayName", "must be 1 to 200 characters"));
        }
        a.display_name = Set(n);
    }
    if let Some(d) = data {
        a.data = Set(d);
    }
    let c = a.update(&txn).await?;
    txn.commit().await?;
    Ok(c)
}

/// Adds an external identity to a client (`clients.manage`).
pub async fn add_external_id(
    ctx: &AppContext,
    viewer: &Viewer,
    client: Uuid,
    kind: &str,
    value: &str,
) -> AppResult<clients::Model> {
    viewer.require(crate::service::support::perms::CLIENTS_MANAGE)?;
    let (kind, value) = normalize_external(kind, value)?;
    let txn = ctx.db.primary.begin().await?;
    let c = clients::Entity::find_by_id(client)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("client".into()))?;
    insert_external(&txn, c.id, &kind, &value).await?;
    txn.commit().await?;
    Ok(c)
}

/// Removes an external identity from a client (`clients.manage`).
pub async fn remove_external_id(
    ctx: &AppContext,
    viewer: &Viewer,
    client: Uuid,
    kind: &str,
    value: &str,
) -> AppResult<clients::Model> {
    viewer.require(crate::service::support::perms::CLIENTS_MANAGE)?;
    let (kind, value) = normalize_external(kind, value)?;
    let txn = ctx.db.primary.begin().await?;
    let c = clients::Entity::find_by_id(client)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("client".into()))?;
    let res = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM client_external_ids WHERE client_id = $1 AND kind = $2 AND value = $3",
            [c.id.into(), kind.into(), value.into()],
        ))
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::NotFound("external id".into()));
    }
    txn.commit().await?;
    Ok(c)
}

/// Merges `source` into `target`: tickets, messages and external ids move,
/// then `source` is deleted (`clients.manage`, and every ticket of both
/// clients within the caller's reach). Two clients that belong to two
/// different accounts cannot merge.
pub async fn merge(ctx: &AppContext, viewer: &Viewer, source: Uuid, target: Uuid) -> AppResult<clients::Model> {
    viewer.require(crate::service::support::perms::CLIENTS_MANAGE)?;
    if source == target {
        return Err(AppError::invalid("sourceId", "cannot merge a client into itself"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    // Lock both rows in id order so concurrent merges cannot deadlock.
    let mut ids = [source, target];
    ids.sort();
    let rows = clients::Entity::find()
        .filter(clients::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(clients::Column::Id)
        .lock_exclusive()
        .all(&*tx)
        .await?;
    let src = rows
        .iter()
        .find(|c| c.id == source)
        .cloned()
        .ok_or_else(|| AppError::NotFound("source client".into()))?;
    let dst = rows
        .iter()
        .find(|c| c.id == target)
        .cloned()
        .ok_or_else(|| AppError::NotFound("target client".into()))?;
    // A merge moves the source's tickets and may give either side's
    // tickets a new customer: all of them must be within the caller's reach.
    super::visibility::require_reach_over_clients(&*tx, viewer, &ids).await?;
    if let (Some(a), Some(b)) = (src.user_id, dst.user_id) {
        if a != b {
            return Err(AppError::conflict(
                Some("sourceId"),
                "both clients belong to different accounts",
            ));
        }
    }
    let moved = tx
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE support_tickets SET client_id = $2 WHERE client_id = $1 RETURNING id",
            [source.into(), target.into()],
        ))
        .await?;
    for stmt in [
        "UPDATE support_ticket_messages SET sender_client_id = $2 WHERE sender_client_id = $1",
        "UPDATE client_external_ids SET client_id = $2 WHERE client_id = $1",
    ] {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            stmt,
            [source.into(), target.into()],
        ))
        .await?;
    }
    // Keys of the target win; the account link survives.
    let mut data = src.data.as_object().cloned().unwrap_or_default();
    data.extend(dst.data.as_object().cloned().unwrap_or_default());
    let mut a: clients::ActiveModel = dst.clone().into();
    a.data = Set(Json::Object(data));
    if dst.user_id.is_none() {
        a.user_id = Set(src.user_id);
    }
    // Free the unique user link before the target takes it.
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM clients WHERE id = $1",
        [source.into()],
    ))
    .await?;
    let merged = a.update(&*tx).await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Support,
            "CLIENT",
            Some(target),
            "clients merged",
        )
        .label(merged.display_name.clone())
        .metadata(json!({"mergedFrom": source, "mergedFromName": src.display_name, "ticketsMoved": moved.len()})),
    )
    .await?;
    for r in &moved {
        if let Ok(id) = r.try_get::<Uuid>("", "id") {
            events::ticket_changed(&tx, id);
        }
    }
    tx.commit(&ctx.bus).await?;
    Ok(merged)
}
