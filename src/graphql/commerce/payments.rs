//! GraphQL types of payments and their logs (see `types` for how a page's
//! rows keep the columns they were read with).

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::{PaymentMethod, PaymentStatus, PaymentTransactionType};
use entity::payments;
use serde_json::Value as Json;
use tokio::sync::OnceCell;

use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::types::User;
use crate::graphql::loaders::loaders;
use crate::service::commerce::order_page::{cols, Cols, PaymentWith, TransactionEntry};
use crate::service::commerce::orders as svc;

use super::types::{follow, need, user, CheckoutGateway, Invoice, Order};

/// A payment of an order through a gateway.
#[derive(Clone)]
pub struct Payment {
    /// The row, with the columns of `cols` read.
    pub row: payments::Model,
    pub cols: Cols,
    /// Its log, filled by its page or else, when first resolved, by the
    /// loaders.
    pub log: OnceCell<Vec<PaymentTransaction>>,
}

impl Payment {
    /// The payment as the API shows it (every column read).
    pub fn of(m: payments::Model) -> Result<Self, AppError> {
        Ok(Payment::read(m, Cols(cols::payment::ALL)))
    }

    /// A payment read with the columns `cols`.
    pub fn read(row: payments::Model, cols: Cols) -> Self {
        Payment {
            row,
            cols,
            log: OnceCell::new(),
        }
    }

    /// A payment read with the columns `cols`, with the log its page read
    /// with the columns `log_cols` (if it read one).
    pub fn with_log(p: PaymentWith, cols: Cols, log_cols: Cols) -> Self {
        let mut out = Payment::read(p.payment, cols);
        if let Some(log) = p.transactions {
            let log = log.into_iter().map(|t| PaymentTransaction::read(t, log_cols)).collect();
            out.log = OnceCell::new_with(Some(log));
        }
        out
    }

    fn col(&self, bits: u32) -> Result<(), AppError> {
        need(self.cols, bits)
    }
}

/// A payment of an order through a gateway.
#[Object]
impl Payment {
    /// The payment's id.
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// The id of the order it pays (see `order`).
    async fn order_id(&self) -> Result<ID> {
        self.col(cols::payment::ORDER_ID)?;
        Ok(id(self.row.order_id))
    }
    /// The id of the invoice it pays (see `invoice`).
    async fn invoice_id(&self) -> Result<Option<ID>> {
        self.col(cols::payment::INVOICE_ID)?;
        Ok(self.row.invoice_id.map(id))
    }
    /// The payer's id (see `user`).
    async fn user_id(&self) -> Result<ID> {
        self.col(cols::payment::USER_ID)?;
        Ok(id(self.row.user_id))
    }
    /// The id of the gateway configuration it goes through (see `gateway`).
    async fn gateway_config_id(&self) -> Result<ID> {
        self.col(cols::payment::GATEWAY_CONFIG_ID)?;
        Ok(id(self.row.payment_gateway_config_id))
    }
    /// How the buyer paid, once the provider said.
    async fn payment_method(&self) -> Result<Option<PaymentMethod>> {
        self.col(cols::payment::METHOD)?;
        Ok(self.row.payment_method.as_deref().map(db_enum).transpose()?)
    }
    /// The provider's id of the payment (`pay_...`, `pi_...`), once known.
    async fn provider_payment_ref(&self) -> Result<Option<&str>> {
        self.col(cols::payment::PROVIDER_REF)?;
        Ok(self.row.provider_payment_ref.as_deref())
    }
    /// What is paid: an integer amount in paise.
    async fn amount_inr(&self) -> Result<i64> {
        self.col(cols::payment::AMOUNT)?;
        Ok(self.row.amount_inr)
    }
    /// ISO 4217 code of the amount's currency (always INR).
    async fn currency_code(&self) -> Result<&str> {
        self.col(cols::payment::CURRENCY)?;
        Ok(&self.row.currency_code)
    }
    /// PENDING until the provider reports; SUCCESS, FAILED or REFUNDED.
    async fn status(&self) -> Result<PaymentStatus> {
        self.col(cols::payment::STATUS)?;
        Ok(db_enum(&self.row.status)?)
    }
    /// When it was handed to the gateway.
    async fn initiated_at(&self) -> Result<DateTime<Utc>> {
        self.col(cols::payment::INITIATED_AT)?;
        Ok(ts(self.row.initiated_at))
    }
    /// When it succeeded.
    async fn completed_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.col(cols::payment::COMPLETED_AT)?;
        Ok(self.row.completed_at.map(ts))
    }
    /// When it was made.
    async fn created_at(&self) -> Result<DateTime<Utc>> {
        self.col(cols::payment::CREATED_AT)?;
        Ok(ts(self.row.created_at))
    }
    /// The gateway it goes through.
    async fn gateway(&self, ctx: &Context<'_>) -> Result<CheckoutGateway> {
        self.col(cols::payment::GATEWAY_CONFIG_ID)?;
        let kind = loaders(ctx)?
            .commerce
            .gateway_kinds
            .load_one(self.row.payment_gateway_config_id)
            .await
            .map_err(|e| e.to_graphql())?;
        Ok(kind
            .ok_or_else(|| AppError::NotFound("payment gateway configuration".into()))?
            .into())
    }
    /// The order it pays.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        self.col(cols::payment::ORDER_ID)?;
        Ok(follow!(ctx, orders, self.row.order_id, Order::of))
    }
    /// The invoice it pays.
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        self.col(cols::payment::INVOICE_ID)?;
        let Some(i) = self.row.invoice_id else { return Ok(None) };
        Ok(follow!(ctx, invoices, i, Invoice::of))
    }
    /// The payer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        self.col(cols::payment::USER_ID)?;
        user(ctx, self.row.user_id).await
    }
    /// The append-only log: initiation, every webhook call, completion,
    /// failure, refund (`commerce.orders.read_all`; it holds the providers'
    /// payloads).
    async fn transactions(&self, ctx: &Context<'_>) -> Result<&[PaymentTransaction]> {
        svc::require_transactions(viewer(ctx))?;
        let log = self.log.get_or_try_init(|| async {
            let rows = loaders(ctx)?
                .commerce
                .transactions
                .load_one(self.row.id)
                .await
                .map_err(|e| e.to_graphql())?
                .unwrap_or_default();
            Ok::<_, async_graphql::Error>(rows.into_iter().map(PaymentTransaction::of).collect())
        });
        Ok(log.await?)
    }
}

/// One entry of a payment's log. Its payloads are read only when asked
/// for (they can be large, and a list of logs rarely wants them).
#[derive(Clone)]
pub struct PaymentTransaction {
    /// The entry, with the columns of `cols` read.
    pub row: TransactionEntry,
    pub cols: Cols,
}

impl PaymentTransaction {
    /// The entry as the API shows it (every column read).
    pub fn of(m: TransactionEntry) -> Self {
        PaymentTransaction::read(m, Cols(cols::transaction::ALL))
    }

    /// An entry read with the columns `cols`.
    pub fn read(row: TransactionEntry, cols: Cols) -> Self {
        PaymentTransaction { row, cols }
    }

    fn col(&self, bits: u32) -> Result<(), AppError> {
        need(self.cols, bits)
    }

    async fn payloads(&self, ctx: &Context<'_>) -> Result<Option<(Option<Json>, Option<Json>)>> {
        loaders(ctx)?
            .commerce
            .payloads
            .load_one(self.row.id)
            .await
            .map_err(|e| e.to_graphql())
    }
}

/// One entry of a payment's log.
#[Object]
impl PaymentTransaction {
    /// The entry's id.
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// What happened.
    async fn transaction_type(&self) -> Result<PaymentTransactionType> {
        self.col(cols::transaction::TYPE)?;
        Ok(db_enum(&self.row.transaction_type)?)
    }
    /// The provider's reference it concerns.
    async fn provider_reference(&self) -> Result<Option<&str>> {
        self.col(cols::transaction::PROVIDER_REF)?;
        Ok(self.row.provider_reference.as_deref())
    }
    /// What was sent (checkout parameters) or received (a webhook body).
    async fn request_payload(&self, ctx: &Context<'_>) -> Result<Option<async_graphql::Json<Json>>> {
        Ok(self
            .payloads(ctx)
            .await?
            .and_then(|(request, _)| request)
            .map(async_graphql::Json))
    }
    /// What we made of it.
    async fn response_payload(&self, ctx: &Context<'_>) -> Result<Option<async_graphql::Json<Json>>> {
        Ok(self
            .payloads(ctx)
            .await?
            .and_then(|(_, response)| response)
            .map(async_graphql::Json))
    }
    /// The payment's status after this entry.
    async fn status(&self) -> Result<PaymentStatus> {
        self.col(cols::transaction::STATUS)?;
        Ok(db_enum(&self.row.status)?)
    }
    /// When it was written (the log's order).
    async fn created_at(&self) -> Result<DateTime<Utc>> {
        self.col(cols::transaction::CREATED_AT)?;
        Ok(ts(self.row.created_at))
    }
}
