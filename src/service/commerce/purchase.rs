//! Purchases: the order with its item, the coupon's redemption, the
//! invoice (numbered gap-free per year) and the pending payment.
//!
//! `purchase` runs in one transaction: the coupon's use is taken by a
//! single conditional `UPDATE` (so its usage limit holds under any
//! concurrency: the row lock queues redeemers and the condition is
//! re-checked on the latest row), the invoice number comes from the year's
//! counter row in the same transaction (a rolled-back purchase returns its
//! number), and an audit row records the money involved. Purchases are
//! idempotent: the order id is derived from the buyer and the idempotency
//! key, and concurrent requests with one key are serialized by an advisory
//! lock on that id.

use entity::enums::{InvoiceStatus, OrderStatus, PaymentStatus, PaymentTransactionType, ProductType};
use entity::{coupons, invoices, order_items, orders, payments, pricing_packages};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Statement,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::gateway::{GatewayKind, PaymentRequest};
use super::money::Paise;
use super::payments::{credit_tracecoins, initiated, log_transaction};
use super::pricing::{self, CouponProblem, Quote};
use super::{catalog, derived_id, gateways, order_changed, orders::items_of, perms};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;

/// The currency of every order.
pub const CURRENCY: CurrencyCode = CurrencyCode::INR;

/// A purchase request.
#[derive(Clone, Debug)]
pub struct Purchase {
    pub package_id: Uuid,
    pub coupon_code: Option<String>,
    pub gateway: GatewayKind,
    /// Retries with the same key return the first result.
    pub idempotency_key: String,
}

/// What a purchase made (or, on a replay, had made).
#[derive(Clone, Debug)]
pub struct Purchased {
    pub order: orders::Model,
    pub invoice: invoices::Model,
    /// None when the total was zero (the order completed at once).
    pub payment: Option<payments::Model>,
    /// Parameters for the provider's checkout (no secrets).
    pub checkout: Option<Json>,
    /// The gateway the payment goes through (None without a payment).
    pub gateway: Option<GatewayKind>,
    /// The price breakdown (None on a replay).
    pub quote: Option<Quote>,
    /// The idempotency key had been used: nothing was written now.
    pub replayed: bool,
}

fn coupon_error(message: impl Into<String>) -> AppError {
    AppError::invalid("couponCode", message)
}

fn coupon_problem(p: CouponProblem) -> AppError {
    match p {
        CouponProblem::BelowMinimum(min) => coupon_error(format!("needs an order of at least {}", Paise(min))),
    }
}

/// A coupon by code (any case).
async fn find_coupon<C: ConnectionTrait>(conn: &C, code: &str) -> AppResult<coupons::Model> {
    coupons::Entity::find()
        .filter(Expr::cust_with_values(
            "upper(coupons.code) = $1",
            [catalog::normalize_code(code)],
        ))
        .one(conn)
        .await?
        .ok_or_else(|| coupon_error("no such coupon"))
}

/// Why a coupon cannot be used now, if it cannot.
fn coupon_unusable(c: &coupons::Model, now: chrono::DateTime<chrono::Utc>) -> Option<&'static str> {
    if !c.is_active {
        Some("this coupon is no longer active")
    } else if c.valid_from.is_some_and(|f| f > now) {
        Some("this coupon is not valid yet")
    } else if c.valid_to.is_some_and(|t| t <= now) {
        Some("this coupon has expired")
    } else if c.usage_limit.is_some_and(|l| c.usage_count >= l) {
        Some("this coupon has been used up")
    } else {
        None
    }
}

/// Takes one use of a coupon, atomically: the row lock serializes
/// redeemers and the condition is re-evaluated on the latest row, so the
/// usage limit holds under any concurrency.
async fn redeem_coupon(tx: &Tx, coupon_id: Uuid) -> AppResult<Option<coupons::Model>> {
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE coupons SET usage_count = usage_count + 1 \
             WHERE id = $1 AND is_active AND (usage_limit IS NULL OR usage_count < usage_limit) \
             AND (valid_from IS NULL OR valid_from <= now()) AND (valid_to IS NULL OR valid_to > now()) \
             RETURNING *",
            [coupon_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(coupons::Model::from_query_result(&r, "")?),
        None => None,
    })
}

async fn active_package<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<pricing_packages::Model> {
    pricing_packages::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::invalid("packageId", "no such package on sale"))
}

fn check_code(code: Option<&str>) -> AppResult<Option<String>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) if c.len() > 40 => Err(coupon_error("no such coupon")),
        Some(c) => Ok(Some(c.to_string())),
    }
}

/// The price of a package for the viewer, with a coupon if given (the
/// coupon is checked but not used).
pub async fn quote(ctx: &AppContext, viewer: &Viewer, package_id: Uuid, coupon_code: Option<&str>) -> AppResult<Quote> {
    viewer.require_self_service(perms::COMMERCE_PURCHASE)?;
    let code = check_code(coupon_code)?;
    let conn = &ctx.db.read;
    let package = active_package(conn, package_id).await?;
    let rules = catalog::applicable_rules(conn, package.id).await?;
    let taxes = catalog::applicable_taxes(conn, ProductType::Package).await?;
    let coupon = match code {
        Some(code) => {
            let c = find_coupon(conn, &code).await?;
            if let Some(why) = coupon_unusable(&c, chrono::Utc::now()) {
                return Err(coupon_error(why));
            }
            Some(c)
        }
        None => None,
    };
    pricing::price(package.price_inr, &rules, coupon.as_ref(), &taxes).map_err(coupon_problem)
}

/// The next invoice number of this year, `INV-<year>-<six digits>`, taken
/// from the year's counter row in `tx` (gap-free: a rollback returns it).
async fn next_invoice_number(tx: &Tx) -> AppResult<String> {
    let row = tx
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "INSERT INTO invoice_number_counters (year, last_number) \
             VALUES (EXTRACT(YEAR FROM now() AT TIME ZONE 'UTC')::int, 1) \
             ON CONFLICT (year) DO UPDATE SET last_number = invoice_number_counters.last_number + 1 \
             RETURNING year, last_number",
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice counter returned nothing")))?;
    let year: i32 = row.try_get("", "year")?;
    let n: i64 = row.try_get("", "last_number")?;
    Ok(format!("INV-{year}-{n:06}"))
}

/// Buys a package: order, item, coupon redemption, invoice, and either a
/// pending payment through `gateway` or (for a zero total) the completed
/// order with its tracecoins credited at once. The viewer's own purchase
/// (API keys need `commerce.purchase`).
pub async fn purchase(ctx: &AppContext, viewer: &Viewer, input: Purchase) -> AppResult<Purchased> {
    let user = viewer.require_self_service(perms::COMMERCE_PURCHASE)?;
    let key = input.idempotency_key.trim().to_string();
    if key.is_empty() || key.len() > 200 {
        return Err(AppError::invalid("idempotencyKey", "must be 1 to 200 characters"));
    }
    let code = check_code(input.coupon_code.as_deref())?;
    let order_id = derived_id(&format!("purchase:{user}:{key}"));
    if let Some(done) = replay(ctx, user, order_id, &input, code.as_deref()).await? {
        return Ok(done);
    }
    let package = active_package(&ctx.db.primary, input.package_id).await?;
    // Resolved before the transaction (it may use another connection); an
    // error matters only if something is left to pay.
    let checkout_gateway = gateways::for_checkout(ctx, input.gateway, "gateway").await;

    let tx = Tx::begin(&ctx.db.primary).await?;
    // Requests with the same key wait here for each other.
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [format!("purchase:{order_id}").into()],
    ))
    .await?;
    if orders::Entity::find_by_id(order_id).one(&*tx).await?.is_some() {
        tx.rollback().await?;
        return replay(ctx, user, order_id, &input, code.as_deref())
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {order_id} vanished")));
    }
    let rules = catalog::applicable_rules(&*tx, package.id).await?;
    let taxes = catalog::applicable_taxes(&*tx, ProductType::Package).await?;
    let coupon = match &code {
        Some(code) => {
            let seen = find_coupon(&*tx, code).await?;
            if let Some(why) = coupon_unusable(&seen, chrono::Utc::now()) {
                return Err(coupon_error(why));
            }
            // The minimum order is checked before the coupon is taken.
            pricing::price(package.price_inr, &rules, Some(&seen), &taxes).map_err(coupon_problem)?;
            let taken = redeem_coupon(&tx, seen.id).await?;
            let Some(taken) = taken else {
                // Someone else took the last use, or it just expired.
                let now = find_coupon(&*tx, code).await?;
                let why = coupon_unusable(&now, chrono::Utc::now()).unwrap_or("this coupon has been used up");
                return Err(coupon_error(why));
            };
            Some(taken)
        }
        None => None,
    };
    let quote = pricing::price(package.price_inr, &rules, coupon.as_ref(), &taxes).map_err(coupon_problem)?;
    let free = quote.total_inr == 0;
    let order = orders::ActiveModel {
        id: Set(order_id),
        user_id: Set(user),
        order_type: Set(ProductType::Package.to_value()),
        subtotal_inr: Set(quote.subtotal_inr),
        discount_inr: Set(quote.discount_inr),
        tax_inr: Set(quote.tax_inr),
        total_inr: Set(quote.total_inr),
        coupon_id: Set(coupon.as_ref().map(|c| c.id)),
        status: Set(if free {
            OrderStatus::Completed
        } else {
            OrderStatus::Pending
        }
        .to_value()),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    order_items::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        item_type: Set(ProductType::Package.to_value()),
        item_id: Set(package.id),
        item_name: Set(package.name.clone()),
        quantity: Set(1),
        unit_price_inr: Set(package.price_inr),
        total_price_inr: Set(package.price_inr),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    if let (Some(c), Some(applied)) = (&coupon, &quote.coupon) {
        entity::coupon_redemptions::ActiveModel {
            id: Set(Uuid::now_v7()),
            coupon_id: Set(c.id),
            user_id: Set(user),
            order_id: Set(order.id),
            discount_amount_inr: Set(applied.amount_inr),
            ..Default::default()
        }
        .insert(&*tx)
        .await?;
    }
    // Taken as late as possible: the counter row is locked until commit.
    let number = next_invoice_number(&tx).await?;
    let now: sea_orm::prelude::DateTimeWithTimeZone = chrono::Utc::now().into();
    let invoice = invoices::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        user_id: Set(user),
        invoice_number: Set(number),
        subtotal_inr: Set(quote.subtotal_inr),
        discount_inr: Set(quote.discount_inr),
        tax_inr: Set(quote.tax_inr),
        total_inr: Set(quote.total_inr),
        status: Set(if free {
            InvoiceStatus::Paid
        } else {
            InvoiceStatus::Issued
        }
        .to_value()),
        paid_at: Set(free.then_some(now)),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    let coins = package.tracecoins_included;
    let (payment, checkout, gateway_kind) = if free {
        credit_tracecoins(&tx, Some(viewer), &order, coins, &package.name).await?;
        (None, None, None)
    } else {
        let (config, gateway) = checkout_gateway?;
        let payment_id = Uuid::now_v7();
        let checkout = gateway.create_payment(&PaymentRequest {
            payment_id,
            amount: Paise(quote.total_inr),
            currency: CURRENCY.as_str().into(),
            receipt: invoice.invoice_number.clone(),
            description: package.name.clone(),
        });
        let payment = payments::ActiveModel {
            id: Set(payment_id),
            order_id: Set(order.id),
            invoice_id: Set(Some(invoice.id)),
            user_id: Set(user),
            payment_gateway_config_id: Set(config.id),
            amount_inr: Set(quote.total_inr),
            currency_code: Set(CURRENCY.as_str().into()),
            status: Set(PaymentStatus::Pending.to_value()),
            ..Default::default()
        }
        .insert(&*tx)
        .await?;
        log_transaction(
            &tx,
            payment.id,
            PaymentTransactionType::Initiated,
            Some(checkout.reference.clone()),
            Some(json!({"checkout": checkout.params, "tracecoins": coins})),
            None,
            PaymentStatus::Pending,
        )
        .await?;
        (Some(payment), Some(checkout.params), Some(gateway.kind()))
    };
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Commerce,
            super::audited::ORDER,
            Some(order.id),
            format!(
                "order for {} at {} paise ({})",
                package.name, quote.total_inr, invoice.invoice_number
            ),
        )
        .label(invoice.invoice_number.clone())
        .after(json!({
            "status": order.status, "subtotalInr": quote.subtotal_inr, "discountInr": quote.discount_inr,
            "taxInr": quote.tax_inr, "totalInr": quote.total_inr,
        }))
        .metadata(json!({
            "packageId": package.id,
            "invoiceId": invoice.id,
            "paymentId": payment.as_ref().map(|p| p.id),
            "discountRule": quote.rule.as_ref().map(|r| json!({"id": r.id, "amountInr": r.amount_inr})),
            "coupon": quote.coupon.as_ref().map(|c| json!({"id": c.id, "code": c.code, "amountInr": c.amount_inr})),
            "taxes": quote.taxes.iter().map(|t| json!({
                "id": t.id, "taxType": t.tax_type, "rate": t.rate.to_string(), "amountInr": t.amount_inr,
            })).collect::<Vec<_>>(),
            "idempotencyKey": key,
        })),
    )
    .await?;
    order_changed(
        &tx,
        user,
        order.id,
        if free {
            OrderStatus::Completed
        } else {
            OrderStatus::Pending
        },
    );
    tx.commit(&ctx.bus).await?;
    Ok(Purchased {
        order,
        invoice,
        payment,
        checkout,
        gateway: gateway_kind,
        quote: Some(quote),
        replayed: false,
    })
}

/// The first result of a purchase with this order id, if it exists; a
/// CONFLICT when the key was used for a different purchase.
async fn replay(
    ctx: &AppContext,
    user: Uuid,
    order_id: Uuid,
    input: &Purchase,
    code: Option<&str>,
) -> AppResult<Option<Purchased>> {
    let conn = &ctx.db.primary;
    let Some(order) = orders::Entity::find_by_id(order_id).one(conn).await? else {
        return Ok(None);
    };
    let items = items_of(conn, order.id).await?;
    let payment = payments::Entity::find()
        .filter(payments::Column::OrderId.eq(order.id))
        .order_by_asc(payments::Column::CreatedAt)
        .one(conn)
        .await?;
    let coupon_code = match order.coupon_id {
        Some(id) => coupons::Entity::find_by_id(id).one(conn).await?.map(|c| c.code),
        None => None,
    };
    let gateway = match &payment {
        Some(p) => Some(gateways::kind_of_config(conn, p.payment_gateway_config_id).await?),
        None => None,
    };
    let same = order.user_id == user
        && items.first().map(|i| i.item_id) == Some(input.package_id)
        && coupon_code.map(|c| c.to_ascii_uppercase()) == code.map(catalog::normalize_code)
        && gateway.is_none_or(|g| g == input.gateway);
    if !same {
        return Err(AppError::conflict(
            Some("idempotencyKey"),
            "this idempotency key was used for a different purchase",
        ));
    }
    let invoice = invoices::Entity::find()
        .filter(invoices::Column::OrderId.eq(order.id))
        .order_by_asc(invoices::Column::CreatedAt)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {} has no invoice", order.id)))?;
    let checkout = match &payment {
        Some(p) => initiated(conn, p.id)
            .await?
            .and_then(|t| t.request_payload_json)
            .map(|j| j["checkout"].clone()),
        None => None,
    };
    Ok(Some(Purchased {
        order,
        invoice,
        payment,
        checkout,
        gateway,
        quote: None,
        replayed: true,
    }))
}
