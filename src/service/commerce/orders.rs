//! Purchases and what they leave behind: the order with its items, the
//! invoice (numbered gap-free per year), the payment with its
//! append-only transaction log, coupon redemptions, and refunds.
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

use entity::{coupons, invoices, order_items, orders, payment_transactions, payments, pricing_packages};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::gateway::{GatewayKind, PaymentRequest};
use super::pricing::{self, CouponProblem, Quote};
use super::{catalog, derived_id, gateways, order_changed, ListCursor, ListFilter};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::money::Money;
use crate::service::wallet::{self, EntryType, Posting, ReferenceType, TRACECOIN};

/// The currency of every order.
pub const CURRENCY: &str = "INR";

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
        CouponProblem::BelowMinimum(min) => {
            coupon_error(format!("needs an order of at least ₹{}.{:02}", min / 100, min % 100))
        }
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
    viewer.require_self_service(crate::service::commerce::perms::COMMERCE_PURCHASE)?;
    let code = check_code(coupon_code)?;
    let conn = &ctx.db.read;
    let package = active_package(conn, package_id).await?;
    let rules = catalog::applicable_rules(conn, package.id).await?;
    let taxes = catalog::applicable_taxes(conn, "PACKAGE").await?;
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
    let user = viewer.require_self_service(crate::service::commerce::perms::COMMERCE_PURCHASE)?;
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
    let taxes = catalog::applicable_taxes(&*tx, "PACKAGE").await?;
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
        order_type: Set("PACKAGE".into()),
        subtotal_inr: Set(quote.subtotal_inr),
        discount_inr: Set(quote.discount_inr),
        tax_inr: Set(quote.tax_inr),
        total_inr: Set(quote.total_inr),
        coupon_id: Set(coupon.as_ref().map(|c| c.id)),
        status: Set(if free { "COMPLETED" } else { "PENDING" }.into()),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    order_items::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        item_type: Set("PACKAGE".into()),
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
        status: Set(if free { "PAID" } else { "ISSUED" }.into()),
        paid_at: Set(free.then_some(now)),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    let coins = package.tracecoins_included;
    let (payment, checkout) = if free {
        credit_tracecoins(&tx, Some(viewer), &order, coins, &package.name).await?;
        (None, None)
    } else {
        let (config, gateway) = checkout_gateway?;
        let payment_id = Uuid::now_v7();
        let checkout = gateway.create_payment(&PaymentRequest {
            payment_id,
            amount_inr: quote.total_inr,
            currency: CURRENCY.into(),
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
            currency_code: Set(CURRENCY.into()),
            status: Set("PENDING".into()),
            ..Default::default()
        }
        .insert(&*tx)
        .await?;
        log_transaction(
            &tx,
            payment.id,
            "INITIATED",
            Some(checkout.reference.clone()),
            Some(json!({"checkout": checkout.params, "tracecoins": coins})),
            None,
            "PENDING",
        )
        .await?;
        (Some(payment), Some(checkout.params))
    };
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Commerce,
            "ORDER",
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
    order_changed(&tx, user, order.id, &order.status);
    tx.commit(&ctx.bus).await?;
    Ok(Purchased {
        order,
        invoice,
        payment,
        checkout,
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
        quote: None,
        replayed: true,
    }))
}

/// The INITIATED transaction of a payment.
async fn initiated<C: ConnectionTrait>(conn: &C, payment: Uuid) -> AppResult<Option<payment_transactions::Model>> {
    Ok(payment_transactions::Entity::find()
        .filter(payment_transactions::Column::PaymentId.eq(payment))
        .filter(payment_transactions::Column::TransactionType.eq("INITIATED"))
        .one(conn)
        .await?)
}

/// Appends to a payment's transaction log.
pub(crate) async fn log_transaction(
    tx: &Tx,
    payment: Uuid,
    kind: &str,
    provider_reference: Option<String>,
    request: Option<Json>,
    response: Option<Json>,
    status: &str,
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
                kind.into(),
                provider_reference.into(),
                request.into(),
                response.into(),
                status.into(),
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
    for i in items.iter().filter(|i| i.item_type == "PACKAGE") {
        if let Some(p) = pricing_packages::Entity::find_by_id(i.item_id).one(&**tx).await? {
            coins = coins.saturating_add(p.tracecoins_included.saturating_mul(i64::from(i.quantity)));
        }
    }
    Ok((coins, name))
}

/// An order's items.
pub async fn items_of<C: ConnectionTrait>(conn: &C, order: Uuid) -> AppResult<Vec<order_items::Model>> {
    Ok(order_items::Entity::find()
        .filter(order_items::Column::OrderId.eq(order))
        .order_by_asc(order_items::Column::CreatedAt)
        .order_by_asc(order_items::Column::Id)
        .all(conn)
        .await?)
}

/// An order's invoice.
pub async fn invoice_of<C: ConnectionTrait>(conn: &C, order: Uuid) -> AppResult<Option<invoices::Model>> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::OrderId.eq(order))
        .order_by_asc(invoices::Column::CreatedAt)
        .one(conn)
        .await?)
}

/// An order's payments, oldest first.
pub async fn payments_of<C: ConnectionTrait>(conn: &C, order: Uuid) -> AppResult<Vec<payments::Model>> {
    Ok(payments::Entity::find()
        .filter(payments::Column::OrderId.eq(order))
        .order_by_asc(payments::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// A payment's transaction log, oldest first (`commerce.orders.read_all`:
/// it holds the providers' raw payloads).
pub async fn transactions_of(
    ctx: &AppContext,
    viewer: &Viewer,
    payment: Uuid,
) -> AppResult<Vec<payment_transactions::Model>> {
    viewer.require(crate::service::commerce::perms::COMMERCE_ORDERS_READ_ALL)?;
    Ok(payment_transactions::Entity::find()
        .filter(payment_transactions::Column::PaymentId.eq(payment))
        .order_by_asc(payment_transactions::Column::CreatedAt)
        .order_by_asc(payment_transactions::Column::Id)
        .all(&ctx.db.read)
        .await?)
}

/// A coupon by id (for showing an order's coupon code).
pub async fn coupon_of<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<coupons::Model>> {
    Ok(coupons::Entity::find_by_id(id).one(conn).await?)
}

// ----------------------------------------------------------------- reading

/// Whose records a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The viewer's own (API keys need `commerce.purchase`).
    Own(Uuid),
    /// Everyone's (`commerce.orders.read_all`).
    All,
}

impl Scope {
    /// The viewer's own records, or everyone's for staff.
    pub fn of(viewer: &Viewer, everyone: bool) -> AppResult<Scope> {
        if everyone {
            viewer.require(crate::service::commerce::perms::COMMERCE_ORDERS_READ_ALL)?;
            Ok(Scope::All)
        } else {
            Ok(Scope::Own(viewer.require_self_service(
                crate::service::commerce::perms::COMMERCE_PURCHASE,
            )?))
        }
    }
}

/// May the viewer see a record of `owner`?
fn visible(viewer: &Viewer, owner: Uuid) -> bool {
    viewer.can(crate::service::commerce::perms::COMMERCE_ORDERS_READ_ALL)
        || (viewer.user_id == Some(owner) && viewer.scope_allows(crate::service::commerce::perms::COMMERCE_PURCHASE))
}

fn list_condition(table: &str, scope: Scope, filter: &ListFilter, after: Option<&ListCursor>) -> AppResult<Condition> {
    let mut cond = Condition::all();
    let user = match scope {
        Scope::Own(u) => Some(u),
        Scope::All => filter.user_id,
    };
    if let Some(u) = user {
        cond = cond.add(Expr::cust_with_values(format!("{table}.user_id = $1"), [u]));
    }
    if !filter.status.is_empty() {
        cond = cond.add(Expr::cust_with_values(
            format!("{table}.status = ANY($1)"),
            [sea_orm::Value::from(filter.status.clone())],
        ));
    }
    if let Some(t) = filter.created_after {
        cond = cond.add(Expr::cust_with_values(format!("{table}.created_at >= $1"), [t]));
    }
    if let Some(t) = filter.created_before {
        cond = cond.add(Expr::cust_with_values(format!("{table}.created_at < $1"), [t]));
    }
    if let Some(c) = after {
        let t = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(c.t)
            .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?;
        cond = cond.add(Expr::cust_with_values(
            format!("({table}.created_at, {table}.id) < ($1, $2)"),
            [sea_orm::Value::from(t), c.id.into()],
        ));
    }
    Ok(cond)
}

macro_rules! lister {
    ($list:ident, $count:ident, $entity:ident, $table:literal, $what:literal) => {
        #[doc = concat!("A page of ", $what, " in `scope`, newest first.")]
        pub async fn $list(
            ctx: &AppContext,
            scope: Scope,
            filter: &ListFilter,
            after: Option<ListCursor>,
            limit: u64,
        ) -> AppResult<Vec<$entity::Model>> {
            let cond = list_condition($table, scope, filter, after.as_ref())?;
            Ok($entity::Entity::find()
                .filter(cond)
                .order_by_desc($entity::Column::CreatedAt)
                .order_by_desc($entity::Column::Id)
                .limit(limit)
                .all(&ctx.db.read)
                .await?)
        }

        #[doc = concat!("How many ", $what, " match (for `totalCount`).")]
        pub async fn $count(ctx: &AppContext, scope: Scope, filter: &ListFilter) -> AppResult<u64> {
            let cond = list_condition($table, scope, filter, None)?;
            Ok($entity::Entity::find().filter(cond).count(&ctx.db.read).await?)
        }
    };
}

lister!(list_orders, count_orders, orders, "orders", "orders");
lister!(list_invoices, count_invoices, invoices, "invoices", "invoices");
lister!(list_payments, count_payments, payments, "payments", "payments");

/// An order the viewer may see (their own, or any with `commerce.orders.read_all`).
pub async fn order(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<orders::Model> {
    viewer.require_user()?;
    orders::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|o| visible(viewer, o.user_id))
        .ok_or_else(|| AppError::NotFound("order".into()))
}

/// An invoice the viewer may see.
pub async fn invoice(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<invoices::Model> {
    viewer.require_user()?;
    invoices::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|i| visible(viewer, i.user_id))
        .ok_or_else(|| AppError::NotFound("invoice".into()))
}

/// A payment the viewer may see.
pub async fn payment(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<payments::Model> {
    viewer.require_user()?;
    payments::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|p| visible(viewer, p.user_id))
        .ok_or_else(|| AppError::NotFound("payment".into()))
}

// ----------------------------------------------------------------- refunds

/// Refunds a successful payment (`commerce.refund`): the payment becomes
/// REFUNDED (with a REFUNDED transaction), the order CANCELLED and the
/// invoice VOID, and the package's tracecoins are taken back by a new DEBIT
/// ledger entry (idempotency key `refund:<payment id>`). When the buyer has
/// already spent them the refund is refused with INSUFFICIENT_FUNDS (no
/// partial reversal); staff settle such cases by hand. The money itself is
/// returned through the provider's dashboard: no provider API is called.
pub async fn refund(ctx: &AppContext, viewer: &Viewer, payment_id: Uuid, reason: &str) -> AppResult<payments::Model> {
    let actor = viewer.require(crate::service::commerce::perms::COMMERCE_REFUND)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "must be 1 to 500 characters"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let payment = payments::Entity::find_by_id(payment_id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("payment".into()))?;
    match payment.status.as_str() {
        "SUCCESS" => {}
        "REFUNDED" => {
            return Err(AppError::conflict(
                Some("paymentId"),
                "the payment was already refunded",
            ))
        }
        other => {
            return Err(AppError::conflict(
                Some("paymentId"),
                format!("only a successful payment can be refunded; this one is {other}"),
            ))
        }
    }
    let order = orders::Entity::find_by_id(payment.order_id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("payment {} has no order", payment.id)))?;
    let (coins, name) = promised_tracecoins(&tx, &payment).await?;
    let debit = if coins > 0 {
        Some(
            wallet::post(
                &tx,
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
    a.status = Set("REFUNDED".into());
    let refunded = a.update(&*tx).await?;
    log_transaction(
        &tx,
        payment.id,
        "REFUNDED",
        payment.provider_payment_ref.clone(),
        Some(json!({"reason": reason, "refundedBy": actor, "tracecoinsReversed": coins})),
        None,
        "REFUNDED",
    )
    .await?;
    let mut o: orders::ActiveModel = order.clone().into();
    o.status = Set("CANCELLED".into());
    o.update(&*tx).await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE invoices SET status = 'VOID' WHERE order_id = $1",
        [order.id.into()],
    ))
    .await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Refund,
            Module::Commerce,
            "PAYMENT",
            Some(payment.id),
            format!("refunded {} paise; reversed {coins} tracecoins", payment.amount_inr),
        )
        .before(json!({"status": payment.status, "orderStatus": order.status}))
        .after(json!({"status": "REFUNDED", "orderStatus": "CANCELLED"}))
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
    order_changed(&tx, order.user_id, order.id, "CANCELLED");
    tx.commit(&ctx.bus).await?;
    Ok(refunded)
}
