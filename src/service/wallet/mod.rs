//! Wallets and their immutable ledger. A balance changes only through
//! [`post`], which locks the wallet row, writes the ledger row with its
//! `balance_after`, updates the balance, writes the audit row and queues the
//! `walletUpdated` event, all in the caller's transaction. Idempotency keys
//! make retries safe: a replay returns the first result and writes nothing.

pub mod perms;

use entity::{wallet_ledger, wallets};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::{Event, Tx};
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// The platform's own token, and the default wallet currency.
pub const TRACECOIN: &str = "TRC";

/// What a ledger row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryType {
    Credit,
    Debit,
}

impl EntryType {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryType::Credit => "CREDIT",
            EntryType::Debit => "DEBIT",
        }
    }
}

/// Why money moved (`wallet_ledger.reference_type`).
pub const REFERENCE_TYPES: &[&str] = &["JOB", "LEAD", "PURCHASE", "BONUS", "REFUND", "ADJUSTMENT"];

/// One movement of money.
#[derive(Clone, Debug)]
pub struct Posting {
    pub user_id: Uuid,
    pub currency: String,
    pub entry_type: EntryType,
    /// In the currency's smallest unit; always positive.
    pub amount: i64,
    pub reference_type: String,
    pub reference_id: Option<Uuid>,
    pub idempotency_key: Option<String>,
    pub remarks: Option<String>,
}

/// The outcome of a posting.
#[derive(Clone, Debug)]
pub struct Posted {
    pub wallet: wallets::Model,
    pub entry: wallet_ledger::Model,
    /// The idempotency key had been used: nothing was written now.
    pub replayed: bool,
}

/// The event topic of a user's wallets.
pub fn topic(user: Uuid) -> String {
    format!("wallet:user:{user}")
}

fn check_posting(p: &Posting) -> AppResult<()> {
    let mut problems = Vec::new();
    let mut bad = |field: &str, message: &str| {
        problems.push(crate::error::FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    if p.amount <= 0 {
        bad("amount", "must be greater than zero");
    }
    if !REFERENCE_TYPES.contains(&p.reference_type.as_str()) {
        bad("referenceType", "is not a known reference type");
    }
    if let Some(k) = &p.idempotency_key {
        if k.trim().is_empty() || k.len() > 200 {
            bad("idempotencyKey", "must be 1 to 200 characters");
        }
    }
    if p.remarks.as_ref().is_some_and(|r| r.chars().count() > 500) {
        bad("remarks", "must be at most 500 characters");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(problems))
    }
}

/// The wallet of `user` in `currency`, made on first use, locked for the
/// rest of the transaction.
async fn lock_wallet(tx: &Tx, user: Uuid, currency: &str) -> AppResult<wallets::Model> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO wallets (user_id, currency) VALUES ($1, $2) ON CONFLICT (user_id, currency) DO NOTHING",
        [user.into(), currency.into()],
    ))
    .await?;
    wallets::Entity::find()
        .filter(wallets::Column::UserId.eq(user))
        .filter(wallets::Column::Currency.eq(currency))
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("wallet vanished after insert")))
}

/// Posts one movement inside `tx` (see the module docs). `actor` is who
/// caused it (for the ledger's `created_by` and the audit row).
pub async fn post(tx: &Tx, actor: Option<&Viewer>, p: Posting) -> AppResult<Posted> {
    check_posting(&p)?;
    let wallet = lock_wallet(tx, p.user_id, &p.currency).await?;
    if let Some(key) = &p.idempotency_key {
        let previous = wallet_ledger::Entity::find()
            .filter(wallet_ledger::Column::WalletId.eq(wallet.id))
            .filter(wallet_ledger::Column::IdempotencyKey.eq(key.clone()))
            .one(&**tx)
            .await?;
        if let Some(entry) = previous {
            let same = entry.entry_type == p.entry_type.as_str()
                && entry.amount == p.amount
                && entry.reference_type == p.reference_type
                && entry.reference_id == p.reference_id;
            if !same {
                return Err(AppError::conflict(
                    Some("idempotencyKey"),
                    "this idempotency key was used for a different posting",
                ));
            }
            return Ok(Posted {
                wallet,
                entry,
                replayed: true,
            });
        }
    }
    let balance = match p.entry_type {
        EntryType::Credit => wallet
            .balance
            .checked_add(p.amount)
            .ok_or_else(|| AppError::invalid("amount", "is too large"))?,
        EntryType::Debit => {
            if wallet.balance < p.amount {
                return Err(AppError::InsufficientFunds);
            }
            wallet.balance - p.amount
        }
    };
    // Stamped with the database clock while the wallet is locked, so the
    // ledger's time order is its posting order on every instance.
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO wallet_ledger (id, wallet_id, entry_type, amount, balance_after, reference_type, \
             reference_id, idempotency_key, remarks, created_by_user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, clock_timestamp()) RETURNING *",
            [
                Uuid::now_v7().into(),
                wallet.id.into(),
                p.entry_type.as_str().into(),
                p.amount.into(),
                balance.into(),
                p.reference_type.clone().into(),
                p.reference_id.into(),
                p.idempotency_key.clone().into(),
                p.remarks.clone().into(),
                actor.and_then(|a| a.user_id).into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ledger insert returned nothing")))?;
    let entry = {
        use sea_orm::FromQueryResult;
        wallet_ledger::Model::from_query_result(&row, "")?
    };
    let before = wallet.balance;
    let mut a: wallets::ActiveModel = wallet.into();
    a.balance = Set(balance);
    let wallet = a.update(&**tx).await?;
    audit::record(
        &**tx,
        actor,
        Entry::new(
            match p.entry_type {
                EntryType::Credit => Action::Credit,
                EntryType::Debit => Action::Debit,
            },
            Module::Wallet,
            "WALLET",
            Some(wallet.id),
            format!(
                "{} {} {} ({})",
                p.entry_type.as_str().to_lowercase(),
                p.amount,
                p.currency,
                p.reference_type
            ),
        )
        .before(json!({"balance": before}))
        .after(json!({"balance": balance}))
        .metadata(json!({
            "ledgerEntryId": entry.id,
            "userId": p.user_id,
            "referenceType": p.reference_type,
            "referenceId": p.reference_id,
        })),
    )
    .await?;
    tx.publish_after_commit(Event::new(
        topic(p.user_id),
        json!({"walletId": wallet.id, "currency": wallet.currency, "balance": balance, "entryId": entry.id}),
    ));
    Ok(Posted {
        wallet,
        entry,
        replayed: false,
    })
}

/// Runs one posting in its own transaction. A unique-key race on the
/// idempotency key (two first uses at once) is answered as a replay.
pub async fn post_once(ctx: &AppContext, actor: Option<&Viewer>, p: Posting) -> AppResult<Posted> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let posted = post(&tx, actor, p).await?;
    tx.commit(&ctx.bus).await?;
    Ok(posted)
}

/// Credits a user's wallet (finance staff: `wallet.credit`).
pub async fn credit(ctx: &AppContext, viewer: &Viewer, p: Posting) -> AppResult<Posted> {
    viewer.require(crate::service::wallet::perms::WALLET_CREDIT)?;
    post_once(
        ctx,
        Some(viewer),
        Posting {
            entry_type: EntryType::Credit,
            ..p
        },
    )
    .await
}

/// Debits the viewer's own wallet (unlocking a lead, posting a job).
pub async fn debit_own(ctx: &AppContext, viewer: &Viewer, mut p: Posting) -> AppResult<Posted> {
    let user = viewer.require_self_service(crate::service::wallet::perms::WALLET_DEBIT)?;
    p.user_id = user;
    p.entry_type = EntryType::Debit;
    if p.idempotency_key.is_none() {
        return Err(AppError::invalid("idempotencyKey", "is required"));
    }
    post_once(ctx, Some(viewer), p).await
}

/// The viewer's wallet in `currency` (an empty one when none exists yet).
pub async fn own_wallet(ctx: &AppContext, viewer: &Viewer, currency: &str) -> AppResult<wallets::Model> {
    let user = viewer.require_self_service(crate::service::wallet::perms::WALLET_READ)?;
    wallet_of(ctx, user, currency).await
}

/// A user's wallet in `currency`, created (empty) on first use.
pub async fn wallet_of(ctx: &AppContext, user: Uuid, currency: &str) -> AppResult<wallets::Model> {
    if let Some(w) = wallets::Entity::find()
        .filter(wallets::Column::UserId.eq(user))
        .filter(wallets::Column::Currency.eq(currency))
        .one(&ctx.db.primary)
        .await?
    {
        return Ok(w);
    }
    currency_decimals(&ctx.db.primary, currency).await?;
    ctx.db
        .primary
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO wallets (user_id, currency) VALUES ($1, $2) ON CONFLICT (user_id, currency) DO NOTHING",
            [user.into(), currency.into()],
        ))
        .await?;
    wallets::Entity::find()
        .filter(wallets::Column::UserId.eq(user))
        .filter(wallets::Column::Currency.eq(currency))
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(|| AppError::NotFound("wallet".into()))
}

/// Decimal places of an active currency; `BAD_USER_INPUT` on `currency`
/// for an unknown one.
pub async fn currency_decimals<C: ConnectionTrait>(conn: &C, code: &str) -> AppResult<u32> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT decimals FROM currencies WHERE code = $1 AND is_active",
            [code.into()],
        ))
        .await?;
    row.and_then(|r| r.try_get::<i16>("", "decimals").ok())
        .map(|d| d.max(0) as u32)
        .ok_or_else(|| AppError::invalid("currency", format!("{code} is not an active currency")))
}

/// Another user's wallet (`wallet.read_all`).
pub async fn user_wallet(ctx: &AppContext, viewer: &Viewer, user: Uuid, currency: &str) -> AppResult<wallets::Model> {
    viewer.require(crate::service::wallet::perms::WALLET_READ_ALL)?;
    wallet_of(ctx, user, currency).await
}

/// Ledger filters.
#[derive(Clone, Debug, Default)]
pub struct LedgerFilter {
    pub entry_type: Option<String>,
    pub reference_type: Option<String>,
    pub after: Option<chrono::DateTime<chrono::Utc>>,
    pub before: Option<chrono::DateTime<chrono::Utc>>,
}

/// Keyset of a ledger row: its time (microseconds) and id.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct LedgerCursor {
    pub t: i64,
    pub id: Uuid,
}

/// The cursor of a ledger row.
pub fn ledger_cursor(e: &wallet_ledger::Model) -> LedgerCursor {
    LedgerCursor {
        t: e.created_at.timestamp_micros(),
        id: e.id,
    }
}

/// A page of a wallet's ledger, newest first.
pub async fn ledger<C: ConnectionTrait>(
    conn: &C,
    wallet_id: Uuid,
    filter: &LedgerFilter,
    after: Option<LedgerCursor>,
    limit: u64,
) -> AppResult<Vec<wallet_ledger::Model>> {
    let mut cond = Condition::all().add(wallet_ledger::Column::WalletId.eq(wallet_id));
    if let Some(t) = &filter.entry_type {
        cond = cond.add(wallet_ledger::Column::EntryType.eq(t.clone()));
    }
    if let Some(t) = &filter.reference_type {
        cond = cond.add(wallet_ledger::Column::ReferenceType.eq(t.clone()));
    }
    if let Some(t) = filter.after {
        cond = cond.add(wallet_ledger::Column::CreatedAt.gte(t));
    }
    if let Some(t) = filter.before {
        cond = cond.add(wallet_ledger::Column::CreatedAt.lt(t));
    }
    if let Some(a) = after {
        let t = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(a.t)
            .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?;
        cond = cond.add(sea_orm::sea_query::Expr::cust_with_values(
            "(wallet_ledger.created_at, wallet_ledger.id) < ($1, $2)",
            [sea_orm::Value::from(t), a.id.into()],
        ));
    }
    Ok(wallet_ledger::Entity::find()
        .filter(cond)
        .order_by_desc(wallet_ledger::Column::CreatedAt)
        .order_by_desc(wallet_ledger::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}
