//! Payment webhooks, applied exactly once.
//!
//! A call is verified first (the signature over the raw body, against each
//! of the provider's configurations); an unverified call writes nothing.
//! A verified call is then applied in one transaction that locks the
//! payment row (`FOR UPDATE`), so concurrent deliveries queue:
//!
//! - every call tied to a payment appends a WEBHOOK transaction;
//! - a success for a PENDING payment whose amount and currency match marks
//!   the payment SUCCESS, the order COMPLETED and the invoice PAID, and
//!   credits the package's tracecoins with idempotency key
//!   `purchase:<order id>` (a second guard: the ledger refuses a second
//!   credit for the order even if the state check were bypassed);
//! - a failure for a PENDING payment marks it FAILED, cancels the order,
//!   voids the invoice and gives the coupon's use back;
//! - anything else (replays, events for settled payments, other event
//!   types, a mismatched amount) is recorded and changes nothing.

use entity::enums::{InvoiceStatus, OrderStatus, PaymentStatus, PaymentTransactionType};
use entity::{coupon_redemptions, invoices, orders, payments};
use http::{HeaderMap, HeaderValue};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::gateway::{EventKind, GatewayKind, WebhookError, WebhookEvent, TEST_SIGNATURE_HEADER};
use super::money::Paise;
use super::payments::{credit_tracecoins, log_transaction, promised_tracecoins};
use super::workflow::{self, Workflow};
use super::{gateways, order_changed, perms};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// What a verified call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It changed the payment (completed or failed it).
    Applied,
    /// It was recorded on the payment and changed nothing else (a replay,
    /// an event for a settled payment, a mismatched amount...).
    Recorded,
    /// It is not about any payment of ours; nothing was written.
    Ignored,
}

impl Outcome {
    /// The word the endpoint answers with.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Recorded => "recorded",
            Outcome::Ignored => "ignored",
        }
    }
}

/// Why a call was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No such gateway (or the test gateway is disabled).
    #[error("no such payment gateway")]
    UnknownGateway,
    /// The signature did not verify under any configuration.
    #[error("bad signature")]
    BadSignature,
    /// Correctly signed, but not a body we can read.
    #[error("{0}")]
    Malformed(String),
    /// Applying it failed (a conflict, the database...).
    #[error(transparent)]
    Failed(#[from] AppError),
}

/// Receives a call to `/webhooks/payments/<segment>`: verifies it, then
/// applies it (see the module docs).
pub async fn receive(ctx: &AppContext, segment: &str, headers: &HeaderMap, body: &[u8]) -> Result<Outcome, Refusal> {
    let kind = GatewayKind::from_path(segment).ok_or(Refusal::UnknownGateway)?;
    if kind == GatewayKind::Test && gateways::test_gateway(ctx).is_none() {
        return Err(Refusal::UnknownGateway);
    }
    let candidates = gateways::for_webhook(ctx, kind).await?;
    let now = chrono::Utc::now().timestamp();
    let mut verified = None;
    for (config_id, gw) in &candidates {
        match gw.verify_webhook(body, headers, now) {
            Ok(event) => {
                verified = Some((*config_id, event));
                break;
            }
            Err(WebhookError::BadSignature) => continue,
            Err(WebhookError::Malformed(why)) => return Err(Refusal::Malformed(why)),
        }
    }
    let Some((config_id, event)) = verified else {
        tracing::warn!(
            gateway = kind.path(),
            bytes = body.len(),
            "payment webhook with a bad signature refused"
        );
        return Err(Refusal::BadSignature);
    };
    Ok(apply(ctx, config_id, event).await?)
}

async fn lock_payment(tx: &Tx, config_id: Uuid, event: &WebhookEvent) -> AppResult<Option<payments::Model>> {
    let mut q = payments::Entity::find().filter(payments::Column::PaymentGatewayConfigId.eq(config_id));
    q = match (&event.payment_id, &event.provider_ref) {
        (Some(id), _) => q.filter(payments::Column::Id.eq(*id)),
        (None, Some(r)) => q.filter(payments::Column::ProviderPaymentRef.eq(r.clone())),
        (None, None) => return Ok(None),
    };
    Ok(q.lock_exclusive().one(&**tx).await?)
}

/// Applies a verified event of the configuration `config_id`, in its own
/// transaction.
pub async fn apply(ctx: &AppContext, config_id: Uuid, event: WebhookEvent) -> AppResult<Outcome> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let outcome = apply_in(&tx, config_id, event).await?;
    tx.commit(&ctx.bus).await?;
    Ok(outcome)
}

/// Applies a verified event of the configuration `config_id` in the
/// caller's transaction (the payment row stays locked until it commits).
pub async fn apply_in(tx: &Tx, config_id: Uuid, event: WebhookEvent) -> AppResult<Outcome> {
    let Some(payment) = lock_payment(tx, config_id, &event).await? else {
        tracing::info!(event = %event.event_type, "payment webhook for no payment of ours ignored");
        return Ok(Outcome::Ignored);
    };
    let status: PaymentStatus = workflow::parse(&payment.status)?;
    let pending = status == PaymentStatus::Pending;
    let amount_ok = event.amount == Some(Paise(payment.amount_inr))
        && event.currency.as_deref().is_none_or(|c| c == payment.currency_code);
    let (result, new_status) = match (&event.kind, pending) {
        (EventKind::Succeeded, true) if amount_ok => ("completed", PaymentStatus::Success),
        (EventKind::Succeeded, true) => ("amount_mismatch", PaymentStatus::Pending),
        (EventKind::Failed, true) => ("failed", PaymentStatus::Failed),
        (EventKind::Other(_), _) => ("recorded", status),
        (_, false) => ("already_settled", status),
    };
    if result == "amount_mismatch" {
        tracing::warn!(payment = %payment.id, expected = payment.amount_inr, got = ?event.amount,
            "payment webhook amount does not match; left pending for review");
    }
    log_transaction(
        tx,
        payment.id,
        PaymentTransactionType::Webhook,
        event.provider_ref.clone(),
        Some(event.payload.clone()),
        Some(json!({"event": event.event_type, "result": result})),
        new_status,
    )
    .await?;
    let outcome = match result {
        "completed" => {
            complete(tx, &payment, &event).await?;
            Outcome::Applied
        }
        "failed" => {
            fail(tx, &payment, &event).await?;
            Outcome::Applied
        }
        _ => Outcome::Recorded,
    };
    Ok(outcome)
}

/// Sets the payment's final status with the provider's reference.
async fn settle(
    tx: &Tx,
    payment: &payments::Model,
    event: &WebhookEvent,
    status: PaymentStatus,
) -> AppResult<payments::Model> {
    let from: PaymentStatus = workflow::parse(&payment.status)?;
    let status = from.require_move(status)?;
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE payments SET status = $2, provider_payment_ref = COALESCE($3, provider_payment_ref), \
             payment_method = COALESCE($4, payment_method), \
             completed_at = CASE WHEN $2 = $5 THEN now() ELSE completed_at END \
             WHERE id = $1 RETURNING *",
            [
                payment.id.into(),
                status.into(),
                event.provider_ref.clone().into(),
                event.method.map(|m| m.to_value()).into(),
                PaymentStatus::Success.to_value().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("payment {} vanished", payment.id)))?;
    Ok(payments::Model::from_query_result(&row, "")?)
}

/// Locks an order and moves it to `to` (checked against its workflow);
/// returns it as it was before.
async fn move_order(tx: &Tx, id: Uuid, to: OrderStatus) -> AppResult<orders::Model> {
    let order = orders::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {id} vanished")))?;
    let from: OrderStatus = workflow::parse(&order.status)?;
    let mut o: orders::ActiveModel = order.clone().into();
    o.status = Set(from.require_move(to)?);
    o.update(&**tx).await?;
    Ok(order)
}

/// Success: payment SUCCESS, order COMPLETED, invoice PAID, tracecoins
/// credited once, audit row.
async fn complete(tx: &Tx, payment: &payments::Model, event: &WebhookEvent) -> AppResult<()> {
    let paid = settle(tx, payment, event, PaymentStatus::Success).await?;
    log_transaction(
        tx,
        payment.id,
        PaymentTransactionType::Completed,
        event.provider_ref.clone(),
        None,
        Some(json!({"amountInr": payment.amount_inr, "method": paid.payment_method})),
        PaymentStatus::Success,
    )
    .await?;
    let order = move_order(tx, payment.order_id, OrderStatus::Completed).await?;
    invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(InvoiceStatus::Paid.to_value()))
        .col_expr(invoices::Column::PaidAt, Expr::cust("now()"))
        .filter(invoices::Column::OrderId.eq(order.id))
        .filter(invoices::Column::Status.eq(InvoiceStatus::Issued.to_value()))
        .exec(&**tx)
        .await?;
    let (coins, name) = promised_tracecoins(tx, payment).await?;
    let posted = credit_tracecoins(tx, None, &order, coins, &name).await?;
    audit::record(
        &**tx,
        None,
        Entry::new(
            Action::Update,
            Module::Commerce,
            super::audited::PAYMENT,
            Some(payment.id),
            format!(
                "payment of {} paise succeeded; {coins} tracecoins credited",
                payment.amount_inr
            ),
        )
        .before(json!({"status": PaymentStatus::Pending.to_value(), "orderStatus": order.status}))
        .after(json!({"status": PaymentStatus::Success.to_value(), "orderStatus": OrderStatus::Completed.to_value()}))
        .metadata(json!({
            "orderId": order.id,
            "userId": order.user_id,
            "amountInr": payment.amount_inr,
            "providerRef": event.provider_ref,
            "event": event.event_type,
            "tracecoins": coins,
            "ledgerEntryId": posted.as_ref().map(|p| p.entry.id),
            "creditReplayed": posted.as_ref().map(|p| p.replayed),
        })),
    )
    .await?;
    order_changed(tx, order.user_id, order.id, OrderStatus::Completed);
    Ok(())
}

/// Failure: payment FAILED, order CANCELLED, invoice VOID (its number
/// stays used), the coupon's use given back, audit row.
async fn fail(tx: &Tx, payment: &payments::Model, event: &WebhookEvent) -> AppResult<()> {
    settle(tx, payment, event, PaymentStatus::Failed).await?;
    log_transaction(
        tx,
        payment.id,
        PaymentTransactionType::Failed,
        event.provider_ref.clone(),
        None,
        Some(json!({"event": event.event_type})),
        PaymentStatus::Failed,
    )
    .await?;
    let order = move_order(tx, payment.order_id, OrderStatus::Cancelled).await?;
    invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(InvoiceStatus::Void.to_value()))
        .filter(invoices::Column::OrderId.eq(order.id))
        .filter(invoices::Column::Status.eq(InvoiceStatus::Issued.to_value()))
        .exec(&**tx)
        .await?;
    let released = coupon_redemptions::Entity::delete_many()
        .filter(coupon_redemptions::Column::OrderId.eq(order.id))
        .exec(&**tx)
        .await?
        .rows_affected;
    if let (Some(coupon), true) = (order.coupon_id, released > 0) {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE coupons SET usage_count = usage_count - 1 WHERE id = $1 AND usage_count > 0",
            [coupon.into()],
        ))
        .await?;
    }
    audit::record(
        &**tx,
        None,
        Entry::new(
            Action::Cancel,
            Module::Commerce,
            super::audited::PAYMENT,
            Some(payment.id),
            format!("payment of {} paise failed; order cancelled", payment.amount_inr),
        )
        .before(json!({"status": PaymentStatus::Pending.to_value(), "orderStatus": order.status}))
        .after(json!({"status": PaymentStatus::Failed.to_value(), "orderStatus": OrderStatus::Cancelled.to_value()}))
        .metadata(json!({
            "orderId": order.id,
            "userId": order.user_id,
            "amountInr": payment.amount_inr,
            "providerRef": event.provider_ref,
            "event": event.event_type,
            "couponReleased": released > 0,
        })),
    )
    .await?;
    order_changed(tx, order.user_id, order.id, OrderStatus::Cancelled);
    Ok(())
}

/// Development aid (only with the test gateway enabled): signs a test
/// gateway webhook for one of the viewer's payments (or any, for staff
/// with `commerce.orders.read_all`) and delivers it through the same path
/// as the HTTP endpoint. Returns the payment after it, the outcome, and
/// the signed body and signature (to replay by hand).
pub async fn simulate(
    ctx: &AppContext,
    viewer: &Viewer,
    payment_id: Uuid,
    succeed: bool,
) -> AppResult<(payments::Model, Outcome, String, String)> {
    viewer.require_self_service(perms::COMMERCE_PURCHASE)?;
    let gw = gateways::test_gateway(ctx).ok_or_else(|| AppError::NotFound("test gateway (not enabled)".into()))?;
    let payment = super::orders::payment(ctx, viewer, payment_id).await?;
    if payment.payment_gateway_config_id != gateways::TEST_GATEWAY_CONFIG_ID {
        return Err(AppError::invalid(
            "paymentId",
            "is not a payment through the test gateway",
        ));
    }
    let (body, signature) = gw.signed_event(payment.id, Paise(payment.amount_inr), succeed);
    let mut headers = HeaderMap::new();
    headers.insert(
        TEST_SIGNATURE_HEADER,
        HeaderValue::from_str(&signature).map_err(AppError::internal)?,
    );
    let outcome = match receive(ctx, GatewayKind::Test.path(), &headers, body.as_bytes()).await {
        Ok(o) => o,
        Err(Refusal::Failed(e)) => return Err(e),
        Err(other) => return Err(AppError::internal(anyhow::anyhow!("test webhook refused: {other}"))),
    };
    let payment = payments::Entity::find_by_id(payment.id)
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(|| AppError::NotFound("payment".into()))?;
    Ok((payment, outcome, body, signature))
}
