//! The rotating deposit-address pool (source 000's `rotating_addresses`):
//! every order gets an address that serves it alone; a released address
//! rests in quarantine before serving another order, and a deposit that
//! reaches it late still finds the order it belonged to (`last_order_id`).
//!
//! Addresses are derived (BIP32, see [`super::keys`]) in index order, per
//! currency; their private keys are sealed with the column cipher, or
//! absent for a watch-only pool. A background job keeps
//! `pool_min_free` never-used addresses per currency, and an empty pool
//! derives one inline, so an order never fails for want of an address.
//!
//! Concurrency: claims pick rows with `FOR UPDATE SKIP LOCKED`, so
//! concurrent orders never share an address; derivations of one currency
//! (inline or by the refill) are serialised by a transaction-scoped
//! advisory lock, so each reads the next free index after the previous
//! one committed, and `ON CONFLICT DO NOTHING` keeps a lost race from
//! aborting the caller's transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::enums::ChainNetwork;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement, TransactionTrait, Value};
use uuid::Uuid;

use super::keys::DerivedKey;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;

/// The recurring job that tops every pool up.
pub const REFILL_JOB: &str = "exchange.pool.refill";
/// How often the refill job runs.
pub const REFILL_EVERY: Duration = Duration::from_secs(60);
/// Addresses derived and inserted per transaction of the refill.
const REFILL_CHUNK: u32 = 100;
/// Attempts of an inline derivation before giving up (each conflict moves
/// to the next index).
const INLINE_ATTEMPTS: u32 = 20;

/// Who an address belongs to, for matching a deposit to its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressOwner {
    /// The order the address serves now, if any.
    pub current_order: Option<Uuid>,
    /// The last order it served (a late deposit belongs to it).
    pub last_order: Option<Uuid>,
    /// When it was released from its last order (start of quarantine).
    pub released_at: Option<DateTime<Utc>>,
}

/// One currency's pool, for operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// Currency code.
    pub currency: String,
    /// The chain its addresses belong to.
    pub network: ChainNetwork,
    /// No address of the pool holds a private key (it has addresses and
    /// every one came from an extended public key).
    pub watch_only: bool,
    /// Never used and unassigned: ready for any order, fresh ones included.
    pub free: i64,
    /// Serving an open order.
    pub in_use: i64,
    /// Released after an order and resting (reused by non-fresh orders
    /// once their quarantine has passed).
    pub quarantined: i64,
    /// Every address of the pool.
    pub total: i64,
}

fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// True for `0x` and 40 hex digits: compared without case.
fn is_hex_address(address: &str) -> bool {
    address.len() == 42 && address.starts_with("0x") && address[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Which addresses a claim may take.
enum Pick {
    /// Never used.
    Fresh,
    /// Used, released and past its quarantine.
    Rested(Duration),
}

/// Who takes an address.
#[derive(Clone, Copy, Debug)]
enum Claimant {
    /// An order, until it ends.
    Order(Uuid),
    /// A user, for good (their deposit address).
    User(Uuid),
}

impl Claimant {
    fn id(self) -> Uuid {
        match self {
            Claimant::Order(id) | Claimant::User(id) => id,
        }
    }
}

/// Assigns an address of `currency`'s pool to `order_id` (which must exist)
/// and returns it. `fresh`: one never used before; otherwise one out of
/// quarantine first, else a never-used one. An empty pool derives a new
/// address inline. Run it in the transaction that creates the order.
pub async fn claim<C>(conn: &C, ctx: &AppContext, currency: &str, fresh: bool, order_id: Uuid) -> AppResult<String>
where
    C: ConnectionTrait,
{
    let claimant = Claimant::Order(order_id);
    if !fresh {
        let rested = Pick::Rested(ctx.config.exchange.quarantine);
        if let Some((_, address)) = take(conn, currency, claimant, &rested).await? {
            return Ok(address);
        }
    }
    if let Some((_, address)) = take(conn, currency, claimant, &Pick::Fresh).await? {
        return Ok(address);
    }
    Ok(derive_inline(conn, ctx, currency, claimant).await?.1)
}

/// Gives a never-used address of `currency`'s pool to `user` for good (a
/// wallet deposit address): no order ever held it and none will. Returns
/// the pool row's id and the address. Run it in the transaction that
/// records the deposit address.
pub async fn dedicate<C>(conn: &C, ctx: &AppContext, currency: &str, user: Uuid) -> AppResult<(Uuid, String)>
where
    C: ConnectionTrait,
{
    let claimant = Claimant::User(user);
    if let Some(taken) = take(conn, currency, claimant, &Pick::Fresh).await? {
        return Ok(taken);
    }
    derive_inline(conn, ctx, currency, claimant).await
}

/// Takes one address matching `pick`, skipping rows other claims hold.
async fn take<C: ConnectionTrait>(
    conn: &C,
    currency: &str,
    claimant: Claimant,
    pick: &Pick,
) -> AppResult<Option<(Uuid, String)>> {
    let mut values: Vec<Value> = vec![currency.into(), claimant.id().into()];
    let (filter, order) = match pick {
        Pick::Fresh => (
            "order_id IS NULL AND used_at IS NULL AND dedicated_user_id IS NULL",
            "created_at, derivation_index",
        ),
        Pick::Rested(quarantine) => {
            values.push(quarantine.as_secs_f64().into());
            (
                "order_id IS NULL AND used_at IS NOT NULL AND dedicated_user_id IS NULL \
                 AND released_at <= now() - $3::float8 * interval '1 second'",
                "released_at",
            )
        }
    };
    let set = match claimant {
        Claimant::Order(_) => {
            "order_id = $2, last_order_id = $2, used_at = coalesce(r.used_at, now()), released_at = NULL"
        }
        Claimant::User(_) => "dedicated_user_id = $2, used_at = now()",
    };
    let sql = format!(
        "WITH pick AS (
            SELECT id FROM rotating_addresses
            WHERE currency = $1 AND {filter}
            ORDER BY {order}
            LIMIT 1
            FOR UPDATE SKIP LOCKED
         )
         UPDATE rotating_addresses r
            SET {set}
           FROM pick WHERE r.id = pick.id
         RETURNING r.id, r.address"
    );
    let row = conn.query_one_raw(stmt(&sql, values)).await?;
    Ok(match row {
        Some(r) => Some((r.try_get::<Uuid>("", "id")?, r.try_get::<String>("", "address")?)),
        None => None,
    })
}

/// The chain network of `currency`, or `BAD_USER_INPUT` when it has none.
async fn network_of<C: ConnectionTrait>(conn: &C, currency: &str) -> AppResult<ChainNetwork> {
    let row = conn
        .query_one_raw(stmt(
            "SELECT network FROM currencies WHERE code = $1",
            vec![currency.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Err(AppError::invalid("currency", "unknown currency"));
    };
    let network: Option<String> = row.try_get("", "network")?;
    network
        .and_then(|n| ChainNetwork::try_from_value(&n).ok())
        .ok_or_else(|| AppError::invalid("currency", "has no chain network, so no deposit address"))
}

/// Holds `currency`'s derivation lock until the transaction ends.
async fn lock_derivation<C: ConnectionTrait>(conn: &C, currency: &str) -> AppResult<()> {
    conn.execute_raw(stmt(
        "SELECT pg_advisory_xact_lock(hashtext('exchange.pool.derive:' || $1))",
        vec![currency.into()],
    ))
    .await?;
    Ok(())
}

/// The next derivation index of `currency`.
async fn next_index<C: ConnectionTrait>(conn: &C, currency: &str) -> AppResult<u32> {
    let row = conn
        .query_one_raw(stmt(
            "SELECT coalesce(max(derivation_index) + 1, 0)::bigint AS n FROM rotating_addresses WHERE currency = $1",
            vec![currency.into()],
        ))
        .await?;
    let n = row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
    u32::try_from(n)
        .ok()
        .filter(|n| *n < 0x8000_0000)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("{currency}: derivation indexes exhausted")))
}

/// An address ready to insert: derived, its private key sealed.
struct Sealed {
    index: u32,
    address: String,
    private_key_encrypted: Option<Vec<u8>>,
}

/// Derives `count` addresses of `currency` from `first` and seals their
/// keys, off the async threads.
async fn derive_sealed(
    ctx: &AppContext,
    currency: &str,
    network: ChainNetwork,
    first: u32,
    count: u32,
) -> AppResult<Vec<Sealed>> {
    let keys = ctx.keys.pool.clone();
    let cipher = ctx.keys.cipher.clone();
    let btc = ctx.config.exchange.bitcoin_network;
    let code = currency.to_string();
    let derived = tokio::task::spawn_blocking(move || {
        keys.derive_range(&code, network, btc, first, count).map(|all| {
            all.into_iter()
                .map(|k: DerivedKey| Sealed {
                    index: k.index,
                    private_key_encrypted: k.private_key.as_ref().map(|p| cipher.seal(p.secret_bytes())),
                    address: k.address,
                })
                .collect::<Vec<_>>()
        })
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("address derivation task: {e}")))?;
    derived.map_err(|e| AppError::internal(anyhow::anyhow!("{currency}: {e}")))
}

/// Derives the next address of `currency` for `claimant` (the pool was
/// empty). Waits for other derivations of the currency first, and takes a
/// free address if one of them just added some.
async fn derive_inline<C: ConnectionTrait>(
    conn: &C,
    ctx: &AppContext,
    currency: &str,
    claimant: Claimant,
) -> AppResult<(Uuid, String)> {
    let network = network_of(conn, currency).await?;
    lock_derivation(conn, currency).await?;
    if let Some(taken) = take(conn, currency, claimant, &Pick::Fresh).await? {
        return Ok(taken);
    }
    let (order_id, user_id) = match claimant {
        Claimant::Order(id) => (Some(id), None),
        Claimant::User(id) => (None, Some(id)),
    };
    let mut index = next_index(conn, currency).await?;
    for _ in 0..INLINE_ATTEMPTS {
        let Some(key) = derive_sealed(ctx, currency, network, index, 1).await?.pop() else {
            break;
        };
        let row = conn
            .query_one_raw(stmt(
                "INSERT INTO rotating_addresses
                    (id, currency, address, private_key_encrypted, derivation_index, order_id, last_order_id,
                     dedicated_user_id, used_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, now())
                 ON CONFLICT DO NOTHING
                 RETURNING id, address",
                vec![
                    Uuid::now_v7().into(),
                    currency.into(),
                    key.address.into(),
                    key.private_key_encrypted.into(),
                    (key.index as i32).into(),
                    order_id.into(),
                    user_id.into(),
                ],
            ))
            .await?;
        if let Some(row) = row {
            tracing::info!(
                currency,
                index = key.index,
                "address pool was empty: derived one inline"
            );
            return Ok((row.try_get::<Uuid>("", "id")?, row.try_get::<String>("", "address")?));
        }
        index = index.saturating_add(1);
    }
    Err(AppError::internal(anyhow::anyhow!(
        "{currency}: no free derivation index after {INLINE_ATTEMPTS} attempts"
    )))
}

/// The order's address leaves it and its quarantine begins; the address
/// remembers the order (`last_order_id`) for late deposits.
pub async fn release<C>(conn: &C, order_id: Uuid) -> AppResult<()>
where
    C: ConnectionTrait,
{
    conn.execute_raw(stmt(
        "UPDATE rotating_addresses SET order_id = NULL, released_at = now() WHERE order_id = $1",
        vec![order_id.into()],
    ))
    .await?;
    Ok(())
}

/// Who `address` of `currency` belongs to (hex addresses compared without
/// case), or `None` when it is not a pool address.
pub async fn owner<C>(conn: &C, currency: &str, address: &str) -> AppResult<Option<AddressOwner>>
where
    C: ConnectionTrait,
{
    let row = conn
        .query_one_raw(stmt(
            "SELECT order_id, last_order_id, released_at FROM rotating_addresses
             WHERE currency = $1 AND (address = $2 OR ($3 AND lower(address) = lower($2)))
             LIMIT 1",
            vec![currency.into(), address.into(), is_hex_address(address).into()],
        ))
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some(AddressOwner {
        current_order: r.try_get("", "order_id")?,
        last_order: r.try_get("", "last_order_id")?,
        released_at: r.try_get("", "released_at")?,
    }))
}

/// True when `address` is one of ours (a pool or a wallet deposit
/// address): an order must never pay out to it.
pub async fn is_ours<C>(conn: &C, address: &str) -> AppResult<bool>
where
    C: ConnectionTrait,
{
    let row = conn
        .query_one_raw(stmt(
            "SELECT EXISTS (SELECT 1 FROM rotating_addresses
                            WHERE address = $1 OR ($2 AND lower(address) = lower($1)))
                 OR EXISTS (SELECT 1 FROM deposit_addresses
                            WHERE address = $1 OR ($2 AND lower(address) = lower($1))) AS ours",
            vec![address.into(), is_hex_address(address).into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<bool>("", "ours")).transpose()?.unwrap_or(false))
}

/// Per currency with a chain network: how many addresses are free, in use,
/// resting, and whether the pool holds no private key.
pub async fn stats<C>(conn: &C) -> AppResult<Vec<PoolStats>>
where
    C: ConnectionTrait,
{
    let rows = conn
        .query_all_raw(stmt(
            "SELECT c.code, c.network,
                    count(r.id) AS total,
                    count(r.id) FILTER (WHERE r.order_id IS NULL AND r.used_at IS NULL) AS free,
                    count(r.id) FILTER (WHERE r.order_id IS NOT NULL) AS in_use,
                    count(r.id) FILTER (WHERE r.order_id IS NULL AND r.used_at IS NOT NULL
                                        AND r.dedicated_user_id IS NULL) AS quarantined,
                    count(r.private_key_encrypted) AS keyed
             FROM currencies c
             LEFT JOIN rotating_addresses r ON r.currency = c.code
             WHERE c.network IS NOT NULL
             GROUP BY c.code, c.network
             ORDER BY c.code",
            vec![],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let network: String = r.try_get("", "network")?;
        let Ok(network) = ChainNetwork::try_from_value(&network) else {
            continue;
        };
        let total: i64 = r.try_get("", "total")?;
        let keyed: i64 = r.try_get("", "keyed")?;
        out.push(PoolStats {
            currency: r.try_get("", "code")?,
            network,
            watch_only: total > 0 && keyed == 0,
            free: r.try_get("", "free")?,
            in_use: r.try_get("", "in_use")?,
            quarantined: r.try_get("", "quarantined")?,
            total,
        });
    }
    Ok(out)
}

/// [`stats`] for an operator holding `exchange.addresses.manage`; a pool
/// still empty reports whether it will be watch-only from configuration.
pub async fn address_pools(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<PoolStats>> {
    viewer.require(super::perms::EXCHANGE_ADDRESSES_MANAGE)?;
    let mut all = stats(&ctx.db.read).await?;
    for s in &mut all {
        if s.total == 0 {
            s.watch_only = ctx.keys.pool.is_watch_only(&s.currency);
        }
    }
    Ok(all)
}

/// Tops every active currency's pool up to `pool_min_free` never-used
/// addresses; returns how many it added. A currency that fails (a bad
/// key) is logged and the others still get theirs.
pub async fn refill(ctx: &AppContext) -> AppResult<u32> {
    let db = &ctx.background_db;
    let min_free = i64::from(ctx.config.exchange.pool_min_free);
    let rows = db
        .query_all_raw(stmt(
            "SELECT c.code, c.network,
                    (SELECT count(*) FROM rotating_addresses r
                     WHERE r.currency = c.code AND r.order_id IS NULL AND r.used_at IS NULL) AS free
             FROM currencies c
             WHERE c.is_active AND c.network IS NOT NULL
             ORDER BY c.code",
            vec![],
        ))
        .await?;
    let mut added_all = 0u32;
    let mut failed = None;
    for r in rows {
        let code: String = r.try_get("", "code")?;
        let network: String = r.try_get("", "network")?;
        let free: i64 = r.try_get("", "free")?;
        let Ok(network) = ChainNetwork::try_from_value(&network) else {
            continue;
        };
        let missing = u32::try_from((min_free - free).max(0)).unwrap_or(u32::MAX);
        if missing == 0 {
            continue;
        }
        match refill_one(ctx, &code, network, missing).await {
            Ok(added) => {
                added_all = added_all.saturating_add(added);
                tracing::info!(currency = %code, added, "address pool refilled");
            }
            Err(e) => {
                tracing::warn!(currency = %code, error = %describe(&e), "address pool refill failed");
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) if added_all == 0 => Err(e),
        _ => Ok(added_all),
    }
}

/// An error with its cause chain, for logs (the chain names no secret:
/// derivation errors never carry key material).
pub fn describe(e: &AppError) -> String {
    match e {
        AppError::Internal(cause) => format!("{cause:#}"),
        other => other.to_string(),
    }
}

/// Adds `missing` addresses to `currency`'s pool, a chunk per transaction.
async fn refill_one(ctx: &AppContext, currency: &str, network: ChainNetwork, missing: u32) -> AppResult<u32> {
    let mut added = 0u32;
    while added < missing {
        let chunk = (missing - added).min(REFILL_CHUNK);
        let tx = ctx.background_db.begin().await?;
        lock_derivation(&tx, currency).await?;
        let first = next_index(&tx, currency).await?;
        let keys = derive_sealed(ctx, currency, network, first, chunk).await?;
        let mut sql = String::from(
            "INSERT INTO rotating_addresses (id, currency, address, private_key_encrypted, derivation_index) VALUES ",
        );
        let mut values: Vec<Value> = Vec::with_capacity(keys.len() * 5);
        for (i, k) in keys.into_iter().enumerate() {
            let p = i * 5;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5));
            values.push(Uuid::now_v7().into());
            values.push(currency.into());
            values.push(k.address.into());
            values.push(k.private_key_encrypted.into());
            values.push((k.index as i32).into());
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let inserted = tx.execute_raw(stmt(&sql, values)).await?.rows_affected();
        tx.commit().await?;
        if inserted == 0 {
            return Err(AppError::internal(anyhow::anyhow!(
                "{currency}: every derived address is already taken (another currency on the same chain?)"
            )));
        }
        added = added.saturating_add(u32::try_from(inserted).unwrap_or(u32::MAX));
    }
    Ok(added)
}
