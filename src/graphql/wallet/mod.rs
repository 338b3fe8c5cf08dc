//! Wallets over GraphQL: the viewer's wallet and ledger, credits by
//! finance staff, debits of one's own wallet with idempotency keys, and the
//! live `walletUpdated` subscription.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, Subscription, ID};
use chrono::{DateTime, Utc};
use entity::enums::{LedgerEntryType, LedgerReferenceType};
use entity::{wallet_ledger, wallets};
use futures::{Stream, StreamExt};
use sea_orm::ActiveEnum;
use uuid::Uuid;

use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::identity::parse_id;
use crate::graphql::pagination::{connection, Page};
use crate::graphql::scalars::{MinorError, Money};
use crate::service::identity;
use crate::service::wallet::{self, EntryType, Posting};

/// A balance in one currency.
pub struct Wallet {
    pub model: wallets::Model,
    pub decimals: u32,
}

#[derive(InputObject, Default)]
pub struct LedgerFilter {
    pub entry_type: Option<LedgerEntryType>,
    pub reference_type: Option<LedgerReferenceType>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[Object]
impl Wallet {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn currency(&self) -> &str {
        &self.model.currency
    }
    async fn balance(&self) -> Money {
        Money::from_minor(self.model.balance, self.decimals)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at.with_timezone(&Utc)
    }
    /// The immutable history of this wallet, newest first.
    async fn ledger(
        &self,
        ctx: &Context<'_>,
        filter: Option<LedgerFilter>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, WalletLedgerEntry, EmptyFields, EmptyFields>> {
        let page = Page::<wallet::LedgerCursor>::forward(first, after)?;
        let f = filter.unwrap_or_default();
        let filter = wallet::LedgerFilter {
            entry_type: f.entry_type.map(|e| e.to_value()),
            reference_type: f.reference_type.map(|e| e.to_value()),
            after: f.created_after,
            before: f.created_before,
        };
        let rows = wallet::ledger(
            &app(ctx)?.db.read,
            self.model.id,
            &filter,
            page.after.clone(),
            page.fetch(),
        )
        .await?;
        let decimals = self.decimals;
        Ok(connection(&page, rows, wallet::ledger_cursor, |model| {
            WalletLedgerEntry { model, decimals }
        }))
    }
}

/// One immutable movement of a wallet.
pub struct WalletLedgerEntry {
    pub model: wallet_ledger::Model,
    pub decimals: u32,
}

fn db_enum<E: ActiveEnum<Value = String>>(v: &str) -> Result<E, AppError> {
    E::try_from_value(&v.to_string()).map_err(|e| AppError::internal(anyhow::anyhow!("bad enum value: {e}")))
}

#[Object]
impl WalletLedgerEntry {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn entry_type(&self) -> Result<LedgerEntryType> {
        Ok(db_enum(&self.model.entry_type)?)
    }
    async fn amount(&self) -> Money {
        Money::from_minor(self.model.amount, self.decimals)
    }
    /// The wallet's balance right after this entry.
    async fn balance_after(&self) -> Money {
        Money::from_minor(self.model.balance_after, self.decimals)
    }
    async fn reference_type(&self) -> Result<LedgerReferenceType> {
        Ok(db_enum(&self.model.reference_type)?)
    }
    async fn reference_id(&self) -> Option<ID> {
        self.model.reference_id.map(|i| ID(i.to_string()))
    }
    async fn remarks(&self) -> Option<&str> {
        self.model.remarks.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at.with_timezone(&Utc)
    }
}

/// The result of a credit or debit.
#[derive(SimpleObject)]
pub struct WalletPostingPayload {
    pub wallet: Wallet,
    pub entry: WalletLedgerEntry,
    /// The idempotency key had been used: this is the first result, and
    /// nothing was written now.
    pub replayed: bool,
}

#[derive(InputObject)]
pub struct CreditWalletInput {
    pub user_id: ID,
    pub amount: Money,
    #[graphql(default = "TRC")]
    pub currency: String,
    #[graphql(default_with = "LedgerReferenceType::Adjustment")]
    pub reference_type: LedgerReferenceType,
    pub reference_id: Option<ID>,
    pub remarks: Option<String>,
    /// Retries with the same key return the first result.
    pub idempotency_key: String,
}

#[derive(InputObject)]
pub struct DebitWalletInput {
    pub amount: Money,
    #[graphql(default = "TRC")]
    pub currency: String,
    pub reference_type: LedgerReferenceType,
    pub reference_id: Option<ID>,
    pub remarks: Option<String>,
    /// Retries with the same key return the first result.
    pub idempotency_key: String,
}

async fn wrap(app: &crate::app::AppContext, model: wallets::Model) -> Result<Wallet, AppError> {
    let decimals = wallet::currency_decimals(&app.db.read, &model.currency).await?;
    Ok(Wallet { model, decimals })
}

/// The fields both postings share, as the client sent them.
struct Requested {
    amount: Money,
    currency: String,
    reference_type: LedgerReferenceType,
    reference_id: Option<ID>,
    remarks: Option<String>,
    idempotency_key: String,
}

async fn posting(
    app: &crate::app::AppContext,
    user_id: Uuid,
    entry_type: EntryType,
    r: Requested,
) -> Result<Posting, AppError> {
    let currency = r.currency.trim().to_uppercase();
    let decimals = wallet::currency_decimals(&app.db.read, &currency).await?;
    let amount = r.amount.try_to_minor(decimals).map_err(|e| match e {
        MinorError::TooPrecise => AppError::invalid("amount", format!("{currency} has {decimals} decimal places")),
        MinorError::OutOfRange => AppError::invalid("amount", "the amount is out of range"),
    })?;
    Ok(Posting {
        user_id,
        currency,
        entry_type,
        amount,
        reference_type: r.reference_type.to_value(),
        reference_id: r.reference_id.map(|id| parse_id(&id, "referenceId")).transpose()?,
        idempotency_key: Some(r.idempotency_key),
        remarks: r.remarks,
    })
}

async fn payload(app: &crate::app::AppContext, posted: wallet::Posted) -> Result<WalletPostingPayload, AppError> {
    let wallet = wrap(app, posted.wallet).await?;
    let decimals = wallet.decimals;
    Ok(WalletPostingPayload {
        wallet,
        entry: WalletLedgerEntry {
            model: posted.entry,
            decimals,
        },
        replayed: posted.replayed,
    })
}

/// Wallet queries.
#[derive(Default)]
pub struct WalletQuery;

#[Object]
impl WalletQuery {
    /// Your wallet in `currency` (tracecoins by default).
    async fn wallet(&self, ctx: &Context<'_>, #[graphql(default = "TRC")] currency: String) -> Result<Wallet> {
        let app = app(ctx)?;
        let w = wallet::own_wallet(app, viewer(ctx), &currency.trim().to_uppercase()).await?;
        Ok(wrap(app, w).await?)
    }

    /// Another user's wallet (`wallet.read_all`).
    async fn user_wallet(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        #[graphql(default = "TRC")] currency: String,
    ) -> Result<Wallet> {
        let app = app(ctx)?;
        let w = wallet::user_wallet(
            app,
            viewer(ctx),
            parse_id(&user_id, "userId")?,
            &currency.trim().to_uppercase(),
        )
        .await?;
        Ok(wrap(app, w).await?)
    }
}

/// Wallet mutations.
#[derive(Default)]
pub struct WalletMutation;

#[Object]
impl WalletMutation {
    /// Credits a user's wallet (finance staff, `wallet.credit`).
    async fn credit_wallet(&self, ctx: &Context<'_>, input: CreditWalletInput) -> Result<WalletPostingPayload> {
        let app = app(ctx)?;
        let v = viewer(ctx);
        v.require(crate::service::wallet::perms::WALLET_CREDIT)?;
        let requested = Requested {
            amount: input.amount,
            currency: input.currency,
            reference_type: input.reference_type,
            reference_id: input.reference_id,
            remarks: input.remarks,
            idempotency_key: input.idempotency_key,
        };
        let p = posting(app, parse_id(&input.user_id, "userId")?, EntryType::Credit, requested).await?;
        Ok(payload(app, wallet::credit(app, v, p).await?).await?)
    }

    /// Debits your own wallet; beyond the balance is `INSUFFICIENT_FUNDS`.
    async fn debit_wallet(&self, ctx: &Context<'_>, input: DebitWalletInput) -> Result<WalletPostingPayload> {
        let app = app(ctx)?;
        let v = viewer(ctx);
        let user = v.require_self_service(crate::service::wallet::perms::WALLET_DEBIT)?;
        let requested = Requested {
            amount: input.amount,
            currency: input.currency,
            reference_type: input.reference_type,
            reference_id: input.reference_id,
            remarks: input.remarks,
            idempotency_key: input.idempotency_key,
        };
        let p = posting(app, user, EntryType::Debit, requested).await?;
        Ok(payload(app, wallet::debit_own(app, v, p).await?).await?)
    }
}

/// Wallet subscriptions.
#[derive(Default)]
pub struct WalletSubscription;

#[Subscription]
impl WalletSubscription {
    /// Your wallets, after each change commits. Ends when your session does.
    async fn wallet_updated(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Wallet>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        let user = v.require_self_service(crate::service::wallet::perms::WALLET_READ)?;
        let events = Box::pin(app.bus.subscribe(&wallet::topic(user)));
        Ok(futures::stream::unfold((events, false), move |(mut events, ended)| {
            let app = app.clone();
            let v = v.clone();
            async move {
                if ended {
                    return None;
                }
                let event = events.next().await?;
                let item: Result<Wallet> = async {
                    if !identity::credentials_valid(&app.db.primary, &v).await? {
                        return Err(AppError::Unauthenticated("the session has ended".into()));
                    }
                    let currency = event
                        .payload
                        .get("currency")
                        .and_then(|c| c.as_str())
                        .unwrap_or(wallet::TRACECOIN)
                        .to_string();
                    wrap(&app, wallet::wallet_of(&app, user, &currency).await?).await
                }
                .await
                .map_err(Into::into);
                let end = item.is_err();
                Some((item, (events, end)))
            }
        }))
    }
}
