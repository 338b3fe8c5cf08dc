//! Wallets and their immutable ledger. A balance changes only through
//! [`post`], which locks the wallet row, writes the ledger row with its
//! `balance_after`, updates the balance, writes the audit row and queues a
//! [`events::WalletEvent`], all in the caller's transaction. Idempotency
//! keys make retries safe: a replay returns the first result and writes
//! nothing. Amounts are [`Money`]: minor units that carry their currency.

pub mod events;
pub mod holds;
pub mod ledger;
pub mod perms;

use entity::{wallet_ledger, wallets};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::money::{self, Currency, CurrencyCode, Money, Rounding};

/// Direction of a ledger row: the schema's enum.
pub use entity::enums::LedgerEntryType as EntryType;
/// Why money moved (`wallet_ledger.reference_type`): the schema's enum.
pub use entity::enums::LedgerReferenceType as ReferenceType;
pub use events::topic;
pub use ledger::{LedgerCursor, LedgerFilter};

/// The platform's own token, and the default wallet currency.
pub const TRACECOIN: Currency = Currency::TRC;

/// Balances and amounts stay below 10^28 minor units (`wallets_balance_max_check`):
/// 10 billion ETH in wei, and inside the server's 96-bit decimal.
pub const MAX_MINOR: i128 = 10_000_000_000_000_000_000_000_000_000;

/// One movement of money.
#[derive(Clone, Debug)]
pub struct Posting {
    pub user_id: Uuid,
    pub entry_type: EntryType,
    /// Always positive; its currency is the wallet's.
    pub amount: Money,
    pub reference_type: ReferenceType,
    pub reference_id: Option<Uuid>,
    pub idempotency_key: Option<String>,
    pub remarks: Option<String>,
}

/// A wallet with its currency, so its balance is [`Money`].
#[derive(Clone, Debug)]
pub struct Wallet {
    pub model: wallets::Model,
    pub currency: Currency,
}

impl Wallet {
    /// The balance, in the wallet's currency.
    pub fn balance(&self) -> Money {
        Money::from_minor_decimal(self.model.balance, self.currency)
    }

    /// What pending withdrawals hold of the balance.
    pub fn held(&self) -> Money {
        Money::from_minor_decimal(self.model.held, self.currency)
    }

    /// The balance less what is held: what may be spent or withdrawn.
    pub fn available(&self) -> Money {
        Money::from_minor_i128(self.balance().minor() - self.held().minor(), self.currency)
    }
}

/// A ledger row with its wallet's currency.
#[derive(Clone, Debug)]
pub struct LedgerEntry {
    pub model: wallet_ledger::Model,
    pub currency: Currency,
}

impl LedgerEntry {
    /// How much moved (always positive).
    pub fn amount(&self) -> Money {
        Money::from_minor_decimal(self.model.amount, self.currency)
    }

    /// The wallet's balance right after this entry.
    pub fn balance_after(&self) -> Money {
        Money::from_minor_decimal(self.model.balance_after, self.currency)
    }

    /// Credit or debit.
    pub fn entry_type(&self) -> AppResult<EntryType> {
        stored(&self.model.entry_type)
    }

    /// Why the money moved.
    pub fn reference_type(&self) -> AppResult<ReferenceType> {
        stored(&self.model.reference_type)
    }
}

/// Read the row's columns directly (`entry.id`).
impl std::ops::Deref for LedgerEntry {
    type Target = wallet_ledger::Model;
    fn deref(&self) -> &wallet_ledger::Model {
        &self.model
    }
}

/// Read the row's columns directly (`wallet.id`).
impl std::ops::Deref for Wallet {
    type Target = wallets::Model;
    fn deref(&self) -> &wallets::Model {
        &self.model
    }
}

/// A stored enum value; one the enum lacks is a data bug (`INTERNAL`).
fn stored<E: ActiveEnum<Value = String>>(value: &str) -> AppResult<E> {
    E::try_from_value(&value.to_string()).map_err(|e| AppError::internal(anyhow::anyhow!("bad ledger value: {e}")))
}

/// The outcome of a posting.
#[derive(Clone, Debug)]
pub struct Posted {
    pub wallet: Wallet,
    pub entry: LedgerEntry,
    /// The idempotency key had been used: nothing was written now.
    pub replayed: bool,
}

/// A posting as a client asks for it: a decimal amount in a currency,
/// converted exactly by the service (never rounded).
#[derive(Clone, Debug)]
pub struct PostingRequest {
    pub amount: Decimal,
    pub currency: CurrencyCode,
    pub reference_type: ReferenceType,
    pub reference_id: Option<Uuid>,
    pub remarks: Option<String>,
    /// Retries with the same key return the first result.
    pub idempotency_key: String,
}

fn check_posting(p: &Posting) -> AppResult<()> {
    let mut problems = Vec::new();
    let mut bad = |field: &str, message: &str| {
        problems.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    if !p.amount.is_positive() {
        bad("amount", "must be greater than zero");
    } else if p.amount.minor() >= MAX_MINOR {
        bad("amount", "is out of range (a wallet holds less than 10^28 minor units)");
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

/// Makes the (empty) wallet of `user` in `code` unless it exists.
async fn ensure_wallet<C: ConnectionTrait>(conn: &C, user: Uuid, code: CurrencyCode) -> AppResult<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO wallets (user_id, currency) VALUES ($1, $2) ON CONFLICT (user_id, currency) DO NOTHING",
        [user.into(), code.into()],
    ))
    .await?;
    Ok(())
}

/// The wallet of `user` in `currency`, made on first use, locked for the
/// rest of the transaction.
async fn lock_wallet(tx: &Tx, user: Uuid, currency: Currency) -> AppResult<Wallet> {
    ensure_wallet(&**tx, user, currency.code).await?;
    let model = wallets::Entity::find()
        .filter(wallets::Column::UserId.eq(user))
        .filter(wallets::Column::Currency.eq(currency.code.as_str()))
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("wallet vanished after insert")))?;
    Ok(Wallet { model, currency })
}

/// Posts one movement inside `tx` (see the module docs). `actor` is who
/// caused it (for the ledger's `created_by` and the audit row).
pub async fn post(tx: &Tx, actor: Option<&Viewer>, p: Posting) -> AppResult<Posted> {
    check_posting(&p)?;
    let currency = p.amount.currency();
    let amount = p.amount.minor_decimal().map_err(|e| e.on("amount"))?;
    let wallet = lock_wallet(tx, p.user_id, currency).await?;
    if let Some(key) = &p.idempotency_key {
        let previous = wallet_ledger::Entity::find()
            .filter(wallet_ledger::Column::WalletId.eq(wallet.model.id))
            .filter(wallet_ledger::Column::IdempotencyKey.eq(key.clone()))
            .one(&**tx)
            .await?;
        if let Some(model) = previous {
            let same = model.entry_type == p.entry_type.to_value()
                && model.amount == amount
                && model.reference_type == p.reference_type.to_value()
                && model.reference_id == p.reference_id;
            if !same {
                return Err(AppError::conflict(
                    Some("idempotencyKey"),
                    "this idempotency key was used for a different posting",
                ));
            }
            return Ok(Posted {
                wallet,
                entry: LedgerEntry { model, currency },
                replayed: true,
            });
        }
    }
    let before = wallet.balance();
    let after = match p.entry_type {
        EntryType::Credit => before.checked_add(p.amount).map_err(|e| e.on("amount"))?,
        EntryType::Debit => {
            // What withdrawals hold cannot be spent twice.
            if wallet
                .available()
                .checked_sub(p.amount)
                .map_err(|e| e.on("amount"))?
                .is_negative()
            {
                return Err(AppError::InsufficientFunds);
            }
            before.checked_sub(p.amount).map_err(|e| e.on("amount"))?
        }
    };
    if after.minor() >= MAX_MINOR {
        return Err(AppError::invalid(
            "amount",
            "would take the balance beyond what a wallet holds",
        ));
    }
    let balance = after
        .minor_decimal()
        .map_err(|_| AppError::invalid("amount", "is too large"))?;
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
                wallet.model.id.into(),
                p.entry_type.to_value().into(),
                amount.into(),
                balance.into(),
                p.reference_type.to_value().into(),
                p.reference_id.into(),
                p.idempotency_key.clone().into(),
                p.remarks.clone().into(),
                actor.and_then(|a| a.user_id).into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ledger insert returned nothing")))?;
    let entry = LedgerEntry {
        model: wallet_ledger::Model::from_query_result(&row, "")?,
        currency,
    };
    let before_minor = wallet.model.balance;
    let mut a: wallets::ActiveModel = wallet.model.into();
    a.balance = Set(balance);
    let wallet = Wallet {
        model: a.update(&**tx).await?,
        currency,
    };
    let (action, verb) = match p.entry_type {
        EntryType::Credit => (Action::Credit, "credit"),
        EntryType::Debit => (Action::Debit, "debit"),
    };
    audit::record(
        &**tx,
        actor,
        // A wallet is audited under its module's name.
        Entry::new(
            action,
            Module::Wallet,
            crate::service::audit::AuditEntity::Wallet,
            Some(wallet.model.id),
            format!(
                "{verb} {} {} ({})",
                p.amount,
                currency.code,
                p.reference_type.to_value()
            ),
        )
        .before(json!({"balance": before_minor}))
        .after(json!({"balance": balance}))
        .metadata(json!({
            "ledgerEntryId": entry.model.id,
            "userId": p.user_id,
            "referenceType": p.reference_type.to_value(),
            "referenceId": p.reference_id,
        })),
    )
    .await?;
    events::balance_changed(tx, p.user_id, &wallet, &entry);
    Ok(Posted {
        wallet,
        entry,
        replayed: false,
    })
}

/// Runs one posting in its own transaction.
pub async fn post_once(ctx: &AppContext, actor: Option<&Viewer>, p: Posting) -> AppResult<Posted> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let posted = post(&tx, actor, p).await?;
    tx.commit(&ctx.bus).await?;
    Ok(posted)
}

/// The exact amount of a request in its (active) currency.
async fn amount_of<C: ConnectionTrait>(conn: &C, r: &PostingRequest) -> AppResult<Money> {
    let currency = money::currency(conn, r.currency, "currency").await?;
    Money::from_decimal(r.amount, currency, Rounding::Exact).map_err(|e| e.on("amount"))
}

fn posting(user_id: Uuid, entry_type: EntryType, amount: Money, r: PostingRequest) -> Posting {
    Posting {
        user_id,
        entry_type,
        amount,
        reference_type: r.reference_type,
        reference_id: r.reference_id,
        idempotency_key: Some(r.idempotency_key),
        remarks: r.remarks,
    }
}

/// Credits `user`'s wallet inside `tx` (finance staff: `wallet.credit`).
pub async fn credit_in(tx: &Tx, viewer: &Viewer, user: Uuid, r: PostingRequest) -> AppResult<Posted> {
    viewer.require(perms::WALLET_CREDIT)?;
    let amount = amount_of(&**tx, &r).await?;
    post(tx, Some(viewer), posting(user, EntryType::Credit, amount, r)).await
}

/// [`credit_in`] in its own transaction.
pub async fn credit(ctx: &AppContext, viewer: &Viewer, user: Uuid, r: PostingRequest) -> AppResult<Posted> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let posted = credit_in(&tx, viewer, user, r).await?;
    tx.commit(&ctx.bus).await?;
    Ok(posted)
}

/// Debits the viewer's own wallet inside `tx` (unlocking a lead, posting
/// a job); beyond the balance is `INSUFFICIENT_FUNDS`.
pub async fn debit_own_in(tx: &Tx, viewer: &Viewer, r: PostingRequest) -> AppResult<Posted> {
    let user = viewer.require_self_service(perms::WALLET_DEBIT)?;
    let amount = amount_of(&**tx, &r).await?;
    post(tx, Some(viewer), posting(user, EntryType::Debit, amount, r)).await
}

/// [`debit_own_in`] in its own transaction.
pub async fn debit_own(ctx: &AppContext, viewer: &Viewer, r: PostingRequest) -> AppResult<Posted> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let posted = debit_own_in(&tx, viewer, r).await?;
    tx.commit(&ctx.bus).await?;
    Ok(posted)
}

/// The currency of a stored wallet.
async fn currency_of<C: ConnectionTrait>(conn: &C, model: &wallets::Model) -> AppResult<Currency> {
    let code = CurrencyCode::parse(&model.currency).map_err(|e| {
        AppError::internal(anyhow::anyhow!(
            "wallet {} has currency {:?}: {e}",
            model.id,
            model.currency
        ))
    })?;
    money::currency(conn, code, "currency").await
}

/// A user's wallet in `code` on `conn`, created (empty) on first use.
pub async fn wallet_of_in<C: ConnectionTrait>(conn: &C, user: Uuid, code: CurrencyCode) -> AppResult<Wallet> {
    let find = || {
        wallets::Entity::find()
            .filter(wallets::Column::UserId.eq(user))
            .filter(wallets::Column::Currency.eq(code.as_str()))
    };
    if let Some(model) = find().one(conn).await? {
        let currency = currency_of(conn, &model).await?;
        return Ok(Wallet { model, currency });
    }
    // An unknown currency is refused before anything is written.
    let currency = money::currency(conn, code, "currency").await?;
    ensure_wallet(conn, user, code).await?;
    let model = find()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("wallet".into()))?;
    Ok(Wallet { model, currency })
}

/// A user's wallet in `code`, created (empty) on first use.
pub async fn wallet_of(ctx: &AppContext, user: Uuid, code: CurrencyCode) -> AppResult<Wallet> {
    wallet_of_in(&ctx.db.primary, user, code).await
}

/// The viewer's wallet in `code` (an empty one when none exists yet).
pub async fn viewer_wallet(ctx: &AppContext, viewer: &Viewer, code: CurrencyCode) -> AppResult<Wallet> {
    let user = viewer.require_self_service(perms::WALLET_READ)?;
    wallet_of(ctx, user, code).await
}

/// Every wallet the viewer holds, by currency code; the tracecoin wallet
/// is always among them (made empty on first use).
pub async fn viewer_wallets(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<Wallet>> {
    let user = viewer.require_self_service(perms::WALLET_READ)?;
    ensure_wallet(&ctx.db.primary, user, TRACECOIN.code).await?;
    let models = wallets::Entity::find()
        .filter(wallets::Column::UserId.eq(user))
        .order_by_asc(wallets::Column::Currency)
        .all(&ctx.db.primary)
        .await?;
    let mut out = Vec::with_capacity(models.len());
    for model in models {
        let currency = currency_of(&ctx.db.primary, &model).await?;
        out.push(Wallet { model, currency });
    }
    Ok(out)
}

/// Another user's wallet (`wallet.read_all`).
pub async fn user_wallet(ctx: &AppContext, viewer: &Viewer, user: Uuid, code: CurrencyCode) -> AppResult<Wallet> {
    viewer.require(perms::WALLET_READ_ALL)?;
    wallet_of(ctx, user, code).await
}
