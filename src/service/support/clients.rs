//! Clients: the people tickets are for, with or without an account,
//! reachable through external identities (email, phone, WhatsApp, Slack).

use entity::enums::ExternalIdKind;
use entity::{client_external_ids, clients, users};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::{events, perms};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::page::{PageRequest, Paged};

/// Normalizes an external id so one person has one identity: emails
/// lower-cased, phone numbers reduced to `+` and digits.
pub fn normalize_external(kind: ExternalIdKind, value: &str) -> AppResult<String> {
    let value = value.trim();
    Ok(match kind {
        ExternalIdKind::Email => crate::service::identity::Email::parse_field(value, "value")
            .map(crate::service::identity::Email::into_string)
            .map_err(|_| AppError::invalid("value", "is not a valid email address"))?,
        ExternalIdKind::Phone | ExternalIdKind::Whatsapp => {
            let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
            if digits.len() < 6 || digits.len() > 15 {
                return Err(AppError::invalid("value", "is not a valid phone number"));
            }
            format!("+{digits}")
        }
        ExternalIdKind::Slack | ExternalIdKind::Telegram | ExternalIdKind::Other => {
            if value.is_empty() || value.len() > 255 {
                return Err(AppError::invalid("value", "must be 1 to 255 characters"));
            }
            value.to_string()
        }
    })
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
    if let Some(existing) = client_by_external(&**tx, ExternalIdKind::Email, &user.email).await? {
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
        "INSERT INTO client_external_ids (client_id, kind, value) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, value) DO NOTHING",
        [
            client.id.into(),
            ExternalIdKind::Email.to_value().into(),
            user.email.to_lowercase().into(),
        ],
    ))
    .await?;
    Ok(client)
}

async fn client_by_external<C: ConnectionTrait>(
    conn: &C,
    kind: ExternalIdKind,
    value: &str,
) -> AppResult<Option<clients::Model>> {
    let value = normalize_external(kind, value)?;
    let Some(ext) = client_external_ids::Entity::find()
        .filter(client_external_ids::Column::Kind.eq(kind.to_value()))
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
    kind: ExternalIdKind,
    value: &str,
    display_name: Option<&str>,
) -> AppResult<clients::Model> {
    let value = normalize_external(kind, value)?;
    // Serialize concurrent first contacts from the same identity.
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        [format!("client:{}:{value}", kind.to_value()).into()],
    ))
    .await?;
    if let Some(c) = client_by_external(&**tx, kind, &value).await? {
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
        data: Set(json!({"source": kind.to_value().to_lowercase()})),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO client_external_ids (client_id, kind, value) VALUES ($1, $2, $3)",
        [client.id.into(), kind.to_value().into(), value.into()],
    ))
    .await?;
    Ok(client)
}

/// Whether the viewer may see a client: `clients.manage`, or it is theirs.
fn may_see(viewer: &Viewer, client: &clients::Model) -> bool {
    viewer.can(perms::CLIENTS_MANAGE) || (viewer.user_id.is_some() && client.user_id == viewer.user_id)
}

/// A client the viewer may see.
pub async fn get_in<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<clients::Model> {
    viewer.require_user()?;
    clients::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|c| may_see(viewer, c))
        .ok_or_else(|| AppError::NotFound("client".into()))
}

/// [`get_in`] on the read pool.
pub async fn get(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<clients::Model> {
    get_in(&ctx.db.read, viewer, id).await
}

/// Clients by id, for loaders (whoever was shown an id may follow it).
pub async fn of_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<clients::Model>> {
    // One statement text for any number of ids (an IN list would make one
    // prepared statement per count).
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {} FROM clients c WHERE c.id = ANY($1)",
            super::rows::select_list("c", &super::rows::CLIENT_COLUMNS)
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
        if let Some(c) = super::rows::client(&mut super::rows::Cols::new(r)?)? {
            out.push(c);
        }
    }
    Ok(out)
}

/// The search condition: name or any external id contains `search`.
fn search_condition(search: Option<&str>) -> sea_orm::Condition {
    let mut cond = sea_orm::Condition::all();
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!(
            "%{}%",
            s.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        cond = cond.add(sea_orm::sea_query::Expr::cust_with_values(
            "(lower(clients.display_name) LIKE $1 OR EXISTS (SELECT 1 FROM client_external_ids x \
             WHERE x.client_id = clients.id AND lower(x.value) LIKE $1))",
            [pattern],
        ));
    }
    cond
}

/// A page of the clients matching `search` (name or external id), newest
/// first, keyset both ways (`clients.manage`).
pub async fn search_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    search: Option<&str>,
    page: &PageRequest<Uuid>,
) -> AppResult<Paged<clients::Model>> {
    viewer.require(perms::CLIENTS_MANAGE)?;
    let mut cond = search_condition(search);
    for (op, id) in page.bounds(true) {
        cond = cond.add(sea_orm::sea_query::Expr::cust_with_values(
            format!("clients.id {op} $1"),
            [*id],
        ));
    }
    let q = clients::Entity::find().filter(cond).limit(page.fetch());
    let q = if page.sql_descending(true) {
        q.order_by_desc(clients::Column::Id)
    } else {
        q.order_by_asc(clients::Column::Id)
    };
    Ok(page.finish(q.all(conn).await?))
}

/// [`search_in`] on the read pool.
pub async fn search(
    ctx: &AppContext,
    viewer: &Viewer,
    search: Option<&str>,
    page: &PageRequest<Uuid>,
) -> AppResult<Paged<clients::Model>> {
    search_in(&ctx.db.read, viewer, search, page).await
}

/// How many clients match `search` (for `totalCount`, `clients.manage`).
pub async fn count(ctx: &AppContext, viewer: &Viewer, search: Option<&str>) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    viewer.require(perms::CLIENTS_MANAGE)?;
    Ok(clients::Entity::find()
        .filter(search_condition(search))
        .count(&ctx.db.read)
        .await?)
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

/// A new client.
#[derive(Clone, Debug, Default)]
pub struct NewClient {
    pub display_name: String,
    pub data: Option<Json>,
    pub external_ids: Vec<(ExternalIdKind, String)>,
}

/// Creates a client with optional external identities in `tx`
/// (`clients.manage`).
pub async fn create_in(tx: &Tx, viewer: &Viewer, input: NewClient) -> AppResult<clients::Model> {
    viewer.require(perms::CLIENTS_MANAGE)?;
    let name = input.display_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("displayName", "must be 1 to 200 characters"));
    }
    check_data(input.data.as_ref())?;
    let mut ids = Vec::new();
    for (k, v) in &input.external_ids {
        ids.push((*k, normalize_external(*k, v)?));
    }
    let client = clients::ActiveModel {
        id: Set(Uuid::now_v7()),
        display_name: Set(name.to_string()),
        data: Set(input.data.unwrap_or_else(|| json!({}))),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    for (kind, value) in ids {
        insert_external(&**tx, client.id, kind, &value).await?;
    }
    Ok(client)
}

/// [`create_in`] in a transaction of its own.
pub async fn create(ctx: &AppContext, viewer: &Viewer, input: NewClient) -> AppResult<clients::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let c = create_in(&tx, viewer, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(c)
}

async fn insert_external<C: ConnectionTrait>(
    conn: &C,
    client: Uuid,
    kind: ExternalIdKind,
    value: &str,
) -> AppResult<()> {
    client_external_ids::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        kind: Set(kind.to_value()),
        value: Set(value.to_string()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict(
            Some("value"),
            format!("{} {value} belongs to another client", kind.to_value()),
        ),
        other => other,
    })?;
    Ok(())
}

async fn find_client(tx: &Tx, id: Uuid) -> AppResult<clients::Model> {
    clients::Entity::find_by_id(id)
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::NotFound("client".into()))
}

/// Renames a client or replaces its data in `tx` (`clients.manage`).
pub async fn update_in(
    tx: &Tx,
    viewer: &Viewer,
    id: Uuid,
    display_name: Option<String>,
    data: Option<Json>,
) -> AppResult<clients::Model> {
    viewer.require(perms::CLIENTS_MANAGE)?;
    check_data(data.as_ref())?;
    let c = find_client(tx, id).await?;
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
    Ok(a.update(&**tx).await?)
}

/// [`update_in`] in a transaction of its own.
pub async fn update(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    display_name: Option<String>,
    data: Option<Json>,
) -> AppResult<clients::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let c = update_in(&tx, viewer, id, display_name, data).await?;
    tx.commit(&ctx.bus).await?;
    Ok(c)
}

/// Adds an external identity to a client in `tx` (`clients.manage`).
pub async fn add_external_id_in(
    tx: &Tx,
    viewer: &Viewer,
    client: Uuid,
    kind: ExternalIdKind,
    value: &str,
) -> AppResult<clients::Model> {
    viewer.require(perms::CLIENTS_MANAGE)?;
    let value = normalize_external(kind, value)?;
    let c = find_client(tx, client).await?;
    insert_external(&**tx, c.id, kind, &value).await?;
    Ok(c)
}

/// [`add_external_id_in`] in a transaction of its own.
pub async fn add_external_id(
    ctx: &AppContext,
    viewer: &Viewer,
    client: Uuid,
    kind: ExternalIdKind,
    value: &str,
) -> AppResult<clients::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let c = add_external_id_in(&tx, viewer, client, kind, value).await?;
    tx.commit(&ctx.bus).await?;
    Ok(c)
}

/// Removes an external identity from a client in `tx` (`clients.manage`).
pub async fn remove_external_id_in(
    tx: &Tx,
    viewer: &Viewer,
    client: Uuid,
    kind: ExternalIdKind,
    value: &str,
) -> AppResult<clients::Model> {
    viewer.require(perms::CLIENTS_MANAGE)?;
    let value = normalize_external(kind, value)?;
    let c = find_client(tx, client).await?;
    let res = tx
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM client_external_ids WHERE client_id = $1 AND kind = $2 AND value = $3",
            [c.id.into(), kind.to_value().into(), value.into()],
        ))
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::NotFound("external id".into()));
    }
    Ok(c)
}

/// [`remove_external_id_in`] in a transaction of its own.
pub async fn remove_external_id(
    ctx: &AppContext,
    viewer: &Viewer,
    client: Uuid,
    kind: ExternalIdKind,
    value: &str,
) -> AppResult<clients::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let c = remove_external_id_in(&tx, viewer, client, kind, value).await?;
    tx.commit(&ctx.bus).await?;
    Ok(c)
}

/// Merges `source` into `target`: tickets, messages and external ids move,
/// then `source` is deleted (`clients.manage`, and every ticket of both
/// clients within the caller's reach). Two clients that belong to two
/// different accounts cannot merge.
pub async fn merge_in(tx: &Tx, viewer: &Viewer, source: Uuid, target: Uuid) -> AppResult<clients::Model> {
    viewer.require(perms::CLIENTS_MANAGE)?;
    if source == target {
        return Err(AppError::invalid("sourceId", "cannot merge a client into itself"));
    }
    // Lock both rows in id order so concurrent merges cannot deadlock.
    let mut ids = [source, target];
    ids.sort();
    let rows = clients::Entity::find()
        .filter(clients::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(clients::Column::Id)
        .lock_exclusive()
        .all(&**tx)
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
    super::visibility::require_reach_over_clients(&**tx, viewer, &ids).await?;
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
    let merged = a.update(&**tx).await?;
    audit::record(
        &**tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Support,
            crate::service::audit::AuditEntity::Client,
            Some(target),
            "clients merged",
        )
        .label(merged.display_name.clone())
        .metadata(json!({"mergedFrom": source, "mergedFromName": src.display_name, "ticketsMoved": moved.len()})),
    )
    .await?;
    for r in &moved {
        if let Ok(id) = r.try_get::<Uuid>("", "id") {
            events::ticket_changed(tx, id);
        }
    }
    Ok(merged)
}

/// [`merge_in`] in a transaction of its own.
pub async fn merge(ctx: &AppContext, viewer: &Viewer, source: Uuid, target: Uuid) -> AppResult<clients::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let merged = merge_in(&tx, viewer, source, target).await?;
    tx.commit(&ctx.bus).await?;
    Ok(merged)
}
