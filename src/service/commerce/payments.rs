//! A payment's life after checkout: its append-only transaction log, the
//! tracecoins its order credits (exactly once), and refunds.

use entity::enums::{InvoiceStatus, OrderStatus, PaymentStatus, PaymentTransactionType, ProductType};
use entity::{invoices, orders, payment_transactions, payments, pricing_packages};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, Statement,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::money::Paise;
use super::workflow::{self, Workflow};
use super::{order_changed, orders::items_of, perms};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::money::Money;
use crate::service::wallet::{self, EntryType, Posting, ReferenceType, TRACECOIN};

/// The INITIATED transaction of a payment.
pub(crate) async fn initiated<C: ConnectionTrait>(
    conn: &C,
    payment: Uuid,
) -> AppResult<Option<payment_transactions::Model>> {
    Ok(payment_transactions::Entity::find()
        .filter(payment_transactions::Column::PaymentId.eq(payment))
        .filter(payment_transactions::Column::TransactionType.eq(PaymentTransactionType::Initiated.to_value()))
        .one(conn)
        .await?)
}

/// Appends to a payment's transaction log.
pub(crate) async fn log_transaction(
    tx: &Tx,
    payment: Uuid,
    kind: PaymentTransactionType,
    provider_reference: Option<String>,
    request: Option<Json>,
    response: Option<Json>,
    status: PaymentStatus,
) -> AppResult<payment_transactions::Model> {
    // Stamped with the clock so the log's order is the order of writing.
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO payment_transactions (id, payment_id, transaction_type, provider_reference, \
             request_payload_json, response_payload_json, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp()) RETURNING *",
            [
                Uuid::now_v7().into(),
                payment.into(),
                kind.to_value().into(),
                provider_reference.into(),
                request.into(),
                response.into(),
                status.to_value().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("transaction insert returned nothing")))?;
    Ok(payment_transactions::Model::from_query_result(&row, "")?)
}

/// Credits an order's tracecoins, exactly once per order (idempotency key
/// `purchase:<order id>`); nothing when the package has none.
pub(crate) async fn credit_tracecoins(
    tx: &Tx,
    actor: Option<&Viewer>,
    order: &orders::Model,
    coins: i64,
    what: &str,
) -> AppResult<Option<wallet::Posted>> {
    if coins <= 0 {
        return Ok(None);
    }
    let posted = wallet::post(
        tx,
        actor,
        Posting {
            user_id: order.user_id,
            entry_type: EntryType::Credit,
            amount: Money::from_minor(coins, TRACECOIN),
            reference_type: ReferenceType::Purchase,
            reference_id: Some(order.id),
            idempotency_key: Some(format!("purchase:{}", order.id)),
            remarks: Some(format!("Purchase of {}", what.chars().take(200).collect::<String>())),
        },
    )
    .await?;
    Ok(Some(posted))
}

/// The tracecoins promised at checkout (recorded on the INITIATED
/// transaction), else what the order's packages include now.
pub(crate) async fn promised_tracecoins(tx: &Tx, payment: &payments::Model) -> AppResult<(i64, String)> {
    let items = items_of(&**tx, payment.order_id).await?;
    let name = items.first().map(|i| i.item_name.clone()).unwrap_or_default();
    if let Some(coins) = initiated(&**tx, payment.id)
        .await?
        .and_then(|t| t.request_payload_json)
        .and_then(|j| j["tracecoins"].as_i64())
    {
        return Ok((coins, name));
    }
    let mut coins = 0i64;
    for i in items
        .iter()
        .filter(|i| workflow::is(&i.item_type, ProductType::Package))
    {
        if let Some(p) = pricing_packages::Entity::find_by_id(i.item_id).one(&**tx).await? {
            coins = coins.saturating_add(p.tracecoins_included.saturating_mul(i64::from(i.quantity)));
        }
    }
    Ok((coins, name))
}

/// Refunds a successful payment (`commerce.refund`): the payment becomes
/// REFUNDED (with a REFUNDED transaction), the order CANCELLED and the
/// invoice VOID, and the package's tracecoins are taken back by a new DEBIT
/// ledger entry (idempotency key `refund:<payment id>`). When the buyer has
/// already spent them the refund is refused with INSUFFICIENT_FUNDS (no
/// partial reversal); staff settle such cases by hand. The money itself is
/// returned through the provider's dashboard: no provider API is called.
pub async fn refund_in(tx: &Tx, viewer: &Viewer, payment_id: Uuid, reason: &str) -> AppResult<payments::Model> {
    let actor = viewer.require(perms::COMMERCE_REFUND)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "must be 1 to 500 characters"));
    }
    let payment = payments::Entity::find_by_id(payment_id)
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::NotFound("payment".into()))?;
    let status: PaymentStatus = workflow::parse(&payment.status)?;
    if status == PaymentStatus::Refunded {
        return Err(AppError::conflict(
            Some("paymentId"),
            "the payment was already refunded",
        ));
    }
    if !status.may_become(PaymentStatus::Refunded) {
        return Err(AppError::conflict(
            Some("paymentId"),
            format!(
                "only a successful payment can be refunded; this one is {}",
                payment.status
            ),
        ));
    }
    let order = orders::Entity::find_by_id(payment.order_id)
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("payment {} has no order", payment.id)))?;
    let (coins, name) = promised_tracecoins(tx, &payment).await?;
    let debit = if coins > 0 {
        Some(
            wallet::post(
                tx,
                Some(viewer),
                Posting {
                    user_id: order.user_id,
                    entry_type: EntryType::Debit,
                    amount: Money::from_minor(coins, TRACECOIN),
                    reference_type: ReferenceType::Refund,
                    reference_id: Some(payment.id),
                    idempotency_key: Some(format!("refund:{}", payment.id)),
                    remarks: Some(format!("Refund of {}", name.chars().take(200).collect::<String>())),
                },
            )
            .await?,
        )
    } else {
        None
    };
    let mut a: payments::ActiveModel = payment.clone().into();
    a.status = Set(status.require_move(PaymentStatus::Refunded)?);
    let refunded = a.update(&**tx).await?;
    log_transaction(
        tx,
        payment.id,
        PaymentTransactionType::Refunded,
        payment.provider_payment_ref.clone(),
        Some(json!({"reason": reason, "refundedBy": actor, "tracecoinsReversed": coins})),
        None,
        PaymentStatus::Refunded,
    )
    .await?;
    let order_status: OrderStatus = workflow::parse(&order.status)?;
    let mut o: orders::ActiveModel = order.clone().into();
    o.status = Set(order_status.require_move(OrderStatus::Cancelled)?);
    o.update(&**tx).await?;
    // Every invoice of the order (ISSUED or PAID) becomes VOID.
    invoices::Entity::update_many()
        .col_expr(
            invoices::Column::Status,
            sea_orm::sea_query::Expr::value(InvoiceStatus::Void.to_value()),
        )
        .filter(invoices::Column::OrderId.eq(order.id))
        .exec(&**tx)
        .await?;
    audit::record(
        &**tx,
        Some(viewer),
        Entry::new(
            Action::Refund,
            Module::Commerce,
            super::audited::PAYMENT,
            Some(payment.id),
            format!(
                "refunded {} paise; reversed {coins} tracecoins",
                Paise(payment.amount_inr).get()
            ),
        )
        .before(json!({"status": payment.status, "orderStatus": order.status}))
        .after(json!({"status": PaymentStatus::Refunded.to_value(), "orderStatus": OrderStatus::Cancelled.to_value()}))
        .metadata(json!({
            "orderId": order.id,
            "userId": order.user_id,
            "amountInr": payment.amount_inr,
            "tracecoins": coins,
            "ledgerEntryId": debit.as_ref().map(|d| d.entry.id),
            "reason": reason,
        })),
    )
    .await?;
    order_changed(tx, order.user_id, order.id, OrderStatus::Cancelled);
    Ok(refunded)
}

/// [`refund_in`] in its own transaction.
pub async fn refund(ctx: &AppContext, viewer: &Viewer, payment_id: Uuid, reason: &str) -> AppResult<payments::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let refunded = refund_in(&tx, viewer, payment_id, reason).await?;
    tx.commit(&ctx.bus).await?;
    Ok(refunded)
}
