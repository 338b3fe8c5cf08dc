//! Wallet output types.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{LedgerEntryType, LedgerReferenceType};

use super::inputs::LedgerFilter;
use crate::error::AppError;
use crate::graphql::context::app;
use crate::graphql::convert::{id, ts};
use crate::graphql::identity::types::User;
use crate::graphql::loaders::loaders;
use crate::graphql::pagination::{connection, Page};
use crate::graphql::scalars::Money as MoneyScalar;
use crate::service::money::Money;
use crate::service::wallet::{self, ledger, LedgerCursor};

/// An amount as the `Money` scalar: exactly its currency's decimal places.
pub(super) fn amount(m: Money) -> Result<MoneyScalar, AppError> {
    m.to_decimal()
        .map(MoneyScalar)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("amount {m:?} does not fit a decimal")))
}

/// A balance in one currency, owned by one user. Its history is the
/// append-only `ledger`; the balance changes only with a ledger entry.
pub struct Wallet(pub wallet::Wallet);

/// A balance in one currency, owned by one user. Its history is the
/// append-only `ledger`; the balance changes only with a ledger entry.
#[Object]
impl Wallet {
    /// Stable identifier of the wallet.
    async fn id(&self) -> ID {
        id(self.0.model.id)
    }
    /// Currency code of the wallet, such as `TRC` (tracecoins) or `INR`.
    async fn currency(&self) -> &str {
        self.0.currency.code.as_str()
    }
    /// Decimal places of the currency: amounts of this wallet have exactly
    /// this many digits after the point (0 for tracecoins).
    async fn decimals(&self) -> i32 {
        i32::from(self.0.currency.decimals)
    }
    /// The current balance, a decimal string in the wallet's currency.
    async fn balance(&self) -> Result<MoneyScalar> {
        Ok(amount(self.0.balance())?)
    }
    /// What pending withdrawals hold of the balance.
    async fn held(&self) -> Result<MoneyScalar> {
        Ok(amount(self.0.held())?)
    }
    /// The balance less what is held: what may be spent or withdrawn now.
    async fn available(&self) -> Result<MoneyScalar> {
        Ok(amount(self.0.available())?)
    }
    /// Id of the user who owns the wallet.
    async fn owner_id(&self) -> ID {
        id(self.0.model.user_id)
    }
    /// The user who owns the wallet.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)?
            .identity
            .users
            .load_one(self.0.model.user_id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(User::new))
    }
    /// When the balance last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.0.model.updated_at)
    }
    /// The immutable history of this wallet, newest first. Walk forward
    /// with `first`/`after` or back from the oldest end with `last`/`before`.
    async fn ledger(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries matching this filter.")] filter: Option<LedgerFilter>,
        #[graphql(desc = "Entries after `after`, from the newest: at most 100 (20 when no size is given).")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of an entry: only older entries.")] after: Option<String>,
        #[graphql(desc = "The last entries before `before` (the oldest end): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of an entry: only newer entries.")] before: Option<String>,
    ) -> Result<Connection<String, WalletLedgerEntry, LedgerCount, EmptyFields>> {
        let page = Page::<LedgerCursor>::from_args(first, after, last, before)?;
        let filter = filter.unwrap_or_default().into_service();
        let rows = ledger::page(app(ctx)?, &self.0, &filter, &page).await?;
        let conn = connection(&page, rows, LedgerCursor::of, WalletLedgerEntry);
        let mut out = Connection::with_additional_fields(
            conn.has_previous_page,
            conn.has_next_page,
            LedgerCount {
                wallet: self.0.clone(),
                filter,
            },
        );
        out.edges = conn.edges;
        Ok(out)
    }
}

/// `totalCount` of a ledger, counted only when asked for.
pub struct LedgerCount {
    wallet: wallet::Wallet,
    filter: wallet::LedgerFilter,
}

/// `totalCount` of a ledger, counted only when asked for.
#[Object]
impl LedgerCount {
    /// Entries matching the filter, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(ledger::count(app(ctx)?, &self.wallet, &self.filter).await? as i64)
    }
}

/// One immutable movement of a wallet.
pub struct WalletLedgerEntry(pub wallet::LedgerEntry);

/// One immutable movement of a wallet.
#[Object]
impl WalletLedgerEntry {
    /// Stable identifier of the entry.
    async fn id(&self) -> ID {
        id(self.0.model.id)
    }
    /// Whether money came in (credit) or went out (debit).
    async fn entry_type(&self) -> Result<LedgerEntryType> {
        Ok(self.0.entry_type()?)
    }
    /// How much moved, always positive, in the wallet's currency.
    async fn amount(&self) -> Result<MoneyScalar> {
        Ok(amount(self.0.amount())?)
    }
    /// The wallet's balance right after this entry.
    async fn balance_after(&self) -> Result<MoneyScalar> {
        Ok(amount(self.0.balance_after())?)
    }
    /// Why the money moved.
    async fn reference_type(&self) -> Result<LedgerReferenceType> {
        Ok(self.0.reference_type()?)
    }
    /// Id of what the movement was for (an order for a purchase, a payment
    /// for a refund, ...), when it names one; its kind is `referenceType`.
    async fn reference_id(&self) -> Option<ID> {
        self.0.model.reference_id.map(id)
    }
    /// A note left with the movement.
    async fn remarks(&self) -> Option<&str> {
        self.0.model.remarks.as_deref()
    }
    /// When the entry was posted (entries are ordered by this).
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.model.created_at)
    }
}

/// The result of a credit or debit: the wallet as it is now and the entry.
#[derive(SimpleObject)]
pub struct WalletPostingPayload {
    /// The wallet after the posting, with its new balance.
    pub wallet: Wallet,
    /// The ledger entry posted (or, on a replay, the one posted first).
    pub entry: WalletLedgerEntry,
    /// The idempotency key had been used: this is the first result, and
    /// nothing was written now.
    pub replayed: bool,
}

impl From<wallet::Posted> for WalletPostingPayload {
    fn from(p: wallet::Posted) -> Self {
        WalletPostingPayload {
            wallet: Wallet(p.wallet),
            entry: WalletLedgerEntry(p.entry),
            replayed: p.replayed,
        }
    }
}
