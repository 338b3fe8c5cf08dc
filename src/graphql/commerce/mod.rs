//! Commerce over GraphQL: thin resolvers over `service::commerce`.

pub mod loaders;
pub mod types;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{
    DiscountScope, DiscountType, InvoiceStatus, OrderStatus, PackageType, PaymentGateway, PaymentStatus, TaxAppliesTo,
    TaxType,
};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::identity::parse_id;
use crate::graphql::pagination::{connection, Page};
use crate::service::commerce::gateway::GatewayKind;
use crate::service::commerce::orders::{self as svc, Scope};
use crate::service::commerce::{catalog, gateways, webhooks, ListCursor, ListFilter};
use types::*;

fn to_db<E: ActiveEnum<Value = String>>(e: E) -> String {
    e.to_value()
}

fn opt_id(id: Option<&ID>, field: &str) -> Result<Option<Uuid>, AppError> {
    id.map(|i| parse_id(i, field)).transpose()
}

/// `undefined` → leave, `null` → clear, a value → set.
fn patch<T, U>(v: MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(x) => Some(Some(f(x))),
    }
}

// ------------------------------------------------------------------ inputs

/// Filters of the order lists.
#[derive(InputObject, Default, Clone)]
pub struct OrderFilter {
    pub status: Option<Vec<OrderStatus>>,
    /// Staff lists only (ignored for your own).
    pub user_id: Option<ID>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Filters of the invoice lists.
#[derive(InputObject, Default, Clone)]
pub struct InvoiceFilter {
    pub status: Option<Vec<InvoiceStatus>>,
    /// Staff lists only (ignored for your own).
    pub user_id: Option<ID>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Filters of the payment list.
#[derive(InputObject, Default, Clone)]
pub struct PaymentFilter {
    pub status: Option<Vec<PaymentStatus>>,
    pub user_id: Option<ID>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

fn list_filter<E: ActiveEnum<Value = String>>(
    status: Option<Vec<E>>,
    user_id: Option<ID>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
) -> Result<ListFilter, AppError> {
    Ok(ListFilter {
        status: status.unwrap_or_default().into_iter().map(to_db).collect(),
        user_id: opt_id(user_id.as_ref(), "filter.userId")?,
        created_after,
        created_before,
    })
}

/// A purchase of one package.
#[derive(InputObject)]
pub struct PurchasePackageInput {
    pub package_id: ID,
    /// Any case.
    pub coupon_code: Option<String>,
    /// Ignored when the total comes to zero (the order completes at once).
    pub gateway: CheckoutGateway,
    /// Retries with the same key return the first result; the same key for
    /// a different purchase is a CONFLICT.
    pub idempotency_key: String,
}

/// A price question: a package and, optionally, a coupon.
#[derive(InputObject)]
pub struct QuotePackageInput {
    pub package_id: ID,
    pub coupon_code: Option<String>,
}

/// A test-gateway payment outcome to deliver (development only).
#[derive(InputObject)]
pub struct SimulateTestPaymentInput {
    pub payment_id: ID,
    /// False delivers a payment failure.
    #[graphql(default = true)]
    pub succeed: bool,
}

/// A refund of a successful payment.
#[derive(InputObject)]
pub struct RefundPaymentInput {
    pub payment_id: ID,
    pub reason: String,
}

/// A new pricing package.
#[derive(InputObject)]
pub struct CreatePricingPackageInput {
    pub name: String,
    pub description: Option<String>,
    pub package_type: PackageType,
    pub price_inr: i64,
    #[graphql(default)]
    pub tracecoins_included: i64,
    pub validity_days: Option<i32>,
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a pricing package; omitted fields stay, `null` clears a nullable one.
#[derive(InputObject)]
pub struct UpdatePricingPackageInput {
    pub id: ID,
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub package_type: Option<PackageType>,
    pub price_inr: Option<i64>,
    pub tracecoins_included: Option<i64>,
    pub validity_days: MaybeUndefined<i32>,
    pub is_active: Option<bool>,
}

/// A new coupon.
#[derive(InputObject)]
pub struct CreateCouponInput {
    pub code: String,
    pub description: Option<String>,
    pub discount_type: DiscountType,
    /// A percentage (1-100) or, for FLAT, paise.
    pub discount_value: i64,
    pub max_discount_inr: Option<i64>,
    pub min_order_value_inr: Option<i64>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    /// Null: unlimited.
    pub usage_limit: Option<i32>,
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a coupon; omitted fields stay, `null` clears a nullable one.
#[derive(InputObject)]
pub struct UpdateCouponInput {
    pub id: ID,
    pub code: Option<String>,
    pub description: MaybeUndefined<String>,
    pub discount_type: Option<DiscountType>,
    pub discount_value: Option<i64>,
    pub max_discount_inr: MaybeUndefined<i64>,
    pub min_order_value_inr: MaybeUndefined<i64>,
    pub valid_from: MaybeUndefined<DateTime<Utc>>,
    pub valid_to: MaybeUndefined<DateTime<Utc>>,
    pub usage_limit: MaybeUndefined<i32>,
    pub is_active: Option<bool>,
}

/// A new discount rule.
#[derive(InputObject)]
pub struct CreateDiscountRuleInput {
    pub name: String,
    #[graphql(default_with = "DiscountScope::Global")]
    pub scope_type: DiscountScope,
    /// For CATEGORY and SERVICE rules: the package id it applies to.
    pub scope_id: Option<ID>,
    pub discount_type: DiscountType,
    pub discount_value: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a discount rule; omitted fields stay, `null` clears a nullable one.
#[derive(InputObject)]
pub struct UpdateDiscountRuleInput {
    pub id: ID,
    pub name: Option<String>,
    pub scope_type: Option<DiscountScope>,
    pub scope_id: MaybeUndefined<ID>,
    pub discount_type: Option<DiscountType>,
    pub discount_value: Option<i64>,
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    pub is_active: Option<bool>,
}

/// A new tax rule.
#[derive(InputObject)]
pub struct CreateTaxRuleInput {
    pub name: String,
    pub tax_type: TaxType,
    /// A percentage with at most 4 decimal places, as a string ("18").
    pub tax_rate: Decimal,
    #[graphql(default_with = "TaxAppliesTo::All")]
    pub applies_to: TaxAppliesTo,
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a tax rule; omitted fields stay.
#[derive(InputObject)]
pub struct UpdateTaxRuleInput {
    pub id: ID,
    pub name: Option<String>,
    pub tax_type: Option<TaxType>,
    pub tax_rate: Option<Decimal>,
    pub applies_to: Option<TaxAppliesTo>,
    pub is_active: Option<bool>,
}

/// The id of the record to delete.
#[derive(InputObject)]
pub struct DeleteByIdInput {
    pub id: ID,
}

/// A new payment gateway configuration; secrets are write-only.
#[derive(InputObject)]
pub struct CreatePaymentGatewayConfigInput {
    pub gateway_key: PaymentGateway,
    pub display_name: String,
    /// Public settings only (a Razorpay `keyId`, a Stripe `publishableKey`).
    pub public_config: Option<async_graphql::Json<serde_json::Value>>,
    /// Signs the provider's webhooks. Write-only: stored sealed, never returned.
    pub webhook_secret: Option<String>,
    /// The provider API secret. Write-only: stored sealed, never returned.
    pub api_secret: Option<String>,
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a payment gateway configuration; omitted fields (and secrets) stay.
#[derive(InputObject)]
pub struct UpdatePaymentGatewayConfigInput {
    pub id: ID,
    pub display_name: Option<String>,
    pub public_config: Option<async_graphql::Json<serde_json::Value>>,
    /// Replaces the stored webhook secret when given.
    pub webhook_secret: Option<String>,
    /// Replaces the stored API secret when given.
    pub api_secret: Option<String>,
    pub is_active: Option<bool>,
}

// ---------------------------------------------------------------- payloads

/// What a purchase made.
#[derive(SimpleObject)]
pub struct PurchasePackagePayload {
    pub order: Order,
    pub invoice: Invoice,
    /// Null when the total was zero: the order completed at once.
    pub payment: Option<Payment>,
    pub checkout: Option<PaymentCheckout>,
    /// The price breakdown (null on a replay).
    pub quote: Option<PriceQuote>,
    /// True when the idempotency key had been used: nothing was written.
    pub replayed: bool,
}

/// What a simulated test payment did.
#[derive(SimpleObject)]
pub struct SimulateTestPaymentPayload {
    pub payment: Payment,
    /// applied, recorded or ignored.
    pub outcome: String,
    /// The signed webhook body, to replay by hand against
    /// `POST /webhooks/payments/test`.
    pub webhook_body: String,
    /// Its `X-Test-Gateway-Signature`.
    pub webhook_signature: String,
}

/// The refunded payment.
#[derive(SimpleObject)]
pub struct RefundPaymentPayload {
    pub payment: Payment,
}

/// The created or changed package.
#[derive(SimpleObject)]
pub struct PricingPackagePayload {
    pub package: PricingPackage,
}

/// The created or changed coupon.
#[derive(SimpleObject)]
pub struct CouponPayload {
    pub coupon: Coupon,
}

/// The created or changed discount rule.
#[derive(SimpleObject)]
pub struct DiscountRulePayload {
    pub discount_rule: DiscountRule,
}

/// The created or changed tax rule.
#[derive(SimpleObject)]
pub struct TaxRulePayload {
    pub tax_rule: TaxRule,
}

/// The id of what was deleted.
#[derive(SimpleObject)]
pub struct DeletePayload {
    pub deleted_id: ID,
}

/// The created or changed configuration (without its secrets).
#[derive(SimpleObject)]
pub struct PaymentGatewayConfigPayload {
    pub config: PaymentGatewayConfig,
}

/// `totalCount` of an order, invoice or payment list, counted only when asked for.
pub struct CommerceCount {
    scope: Scope,
    filter: ListFilter,
    kind: ListKind,
}

#[derive(Clone, Copy)]
enum ListKind {
    Orders,
    Invoices,
    Payments,
}

#[Object]
impl CommerceCount {
    /// Rows matching the filter (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let app = app(ctx)?;
        let n = match self.kind {
            ListKind::Orders => svc::count_orders(app, self.scope, &self.filter).await?,
            ListKind::Invoices => svc::count_invoices(app, self.scope, &self.filter).await?,
            ListKind::Payments => svc::count_payments(app, self.scope, &self.filter).await?,
        };
        Ok(n as i64)
    }
}

type CountedConnection<N> = Connection<String, N, CommerceCount, EmptyFields>;

fn counted<N: async_graphql::OutputType>(
    conn: Connection<String, N, EmptyFields, EmptyFields>,
    count: CommerceCount,
) -> CountedConnection<N> {
    let mut out = Connection::with_additional_fields(conn.has_previous_page, conn.has_next_page, count);
    out.edges = conn.edges;
    out
}

async fn order_list(
    ctx: &Context<'_>,
    everyone: bool,
    filter: Option<OrderFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<CountedConnection<Order>> {
    let app = app(ctx)?;
    let scope = Scope::of(viewer(ctx), everyone)?;
    let page = Page::<ListCursor>::forward(first, after)?;
    let f = filter.unwrap_or_default();
    let filter = list_filter(f.status, f.user_id, f.created_after, f.created_before)?;
    let rows = svc::list_orders(app, scope, &filter, page.after.clone(), page.fetch()).await?;
    let conn = connection(&page, rows, |o| ListCursor::of(o.created_at, o.id), Order);
    Ok(counted(
        conn,
        CommerceCount {
            scope,
            filter,
            kind: ListKind::Orders,
        },
    ))
}

async fn invoice_list(
    ctx: &Context<'_>,
    everyone: bool,
    filter: Option<InvoiceFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<CountedConnection<Invoice>> {
    let app = app(ctx)?;
    let scope = Scope::of(viewer(ctx), everyone)?;
    let page = Page::<ListCursor>::forward(first, after)?;
    let f = filter.unwrap_or_default();
    let filter = list_filter(f.status, f.user_id, f.created_after, f.created_before)?;
    let rows = svc::list_invoices(app, scope, &filter, page.after.clone(), page.fetch()).await?;
    let conn = connection(&page, rows, |i| ListCursor::of(i.created_at, i.id), Invoice);
    Ok(counted(
        conn,
        CommerceCount {
            scope,
            filter,
            kind: ListKind::Invoices,
        },
    ))
}

fn not_found_is_none<T>(r: Result<T, AppError>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

// ----------------------------------------------------------------- queries

/// Commerce queries.
#[derive(Default)]
pub struct CommerceQuery;

#[Object]
impl CommerceQuery {
    /// Packages on sale, cheapest first (anyone); `includeInactive` needs
    /// `commerce.packages.manage`.
    async fn pricing_packages(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_inactive: bool,
    ) -> Result<Vec<PricingPackage>> {
        Ok(catalog::packages(app(ctx)?, viewer(ctx), include_inactive)
            .await?
            .into_iter()
            .map(PricingPackage)
            .collect())
    }

    /// A package on sale (inactive ones for managers); null otherwise.
    async fn pricing_package(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PricingPackage>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(catalog::package(app(ctx)?, viewer(ctx), id).await)?.map(PricingPackage))
    }

    /// What a package would cost you, with a coupon if given (the coupon
    /// is checked, not used).
    async fn quote_package(&self, ctx: &Context<'_>, input: QuotePackageInput) -> Result<PriceQuote> {
        let id = parse_id(&input.package_id, "packageId")?;
        Ok(svc::quote(app(ctx)?, viewer(ctx), id, input.coupon_code.as_deref())
            .await?
            .into())
    }

    /// An order of yours (any, with `commerce.orders.read_all`); null otherwise.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(svc::order(app(ctx)?, viewer(ctx), id).await)?.map(Order))
    }

    /// Your orders, newest first.
    async fn viewer_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Order>> {
        order_list(ctx, false, filter, first, after).await
    }

    /// Every order, newest first (`commerce.orders.read_all`).
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Order>> {
        order_list(ctx, true, filter, first, after).await
    }

    /// An invoice of yours (any, with `commerce.orders.read_all`); null otherwise.
    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Invoice>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(svc::invoice(app(ctx)?, viewer(ctx), id).await)?.map(Invoice))
    }

    /// Your invoices, newest first.
    async fn viewer_invoices(
        &self,
        ctx: &Context<'_>,
        filter: Option<InvoiceFilter>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Invoice>> {
        invoice_list(ctx, false, filter, first, after).await
    }

    /// Every invoice, newest first (`commerce.orders.read_all`).
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        filter: Option<InvoiceFilter>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Invoice>> {
        invoice_list(ctx, true, filter, first, after).await
    }

    /// A payment of yours (any, with `commerce.orders.read_all`); null otherwise.
    async fn payment(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Payment>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(svc::payment(app(ctx)?, viewer(ctx), id).await)?.map(Payment))
    }

    /// Every payment, newest first (`commerce.orders.read_all`).
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaymentFilter>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Payment>> {
        let app = app(ctx)?;
        let scope = Scope::of(viewer(ctx), true)?;
        let page = Page::<ListCursor>::forward(first, after)?;
        let f = filter.unwrap_or_default();
        let filter = list_filter(f.status, f.user_id, f.created_after, f.created_before)?;
        let rows = svc::list_payments(app, scope, &filter, page.after.clone(), page.fetch()).await?;
        let conn = connection(&page, rows, |p| ListCursor::of(p.created_at, p.id), Payment);
        Ok(counted(
            conn,
            CommerceCount {
                scope,
                filter,
                kind: ListKind::Payments,
            },
        ))
    }

    /// Coupons, newest first (`commerce.coupons.manage`).
    async fn coupons(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Coupon, EmptyFields, EmptyFields>> {
        let page = Page::<ListCursor>::forward(first, after)?;
        let rows = catalog::coupons(app(ctx)?, viewer(ctx), page.after.clone(), page.fetch()).await?;
        Ok(connection(&page, rows, |c| ListCursor::of(c.created_at, c.id), Coupon))
    }

    /// Discount rules, newest first (`commerce.coupons.manage`).
    async fn discount_rules(&self, ctx: &Context<'_>) -> Result<Vec<DiscountRule>> {
        Ok(catalog::discount_rules(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(DiscountRule)
            .collect())
    }

    /// Tax rules (`commerce.tax.manage`).
    async fn tax_rules(&self, ctx: &Context<'_>) -> Result<Vec<TaxRule>> {
        Ok(catalog::tax_rules(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(TaxRule)
            .collect())
    }

    /// Payment gateway configurations, without their secrets
    /// (`payments.gateways.manage`).
    async fn payment_gateway_configs(&self, ctx: &Context<'_>) -> Result<Vec<PaymentGatewayConfig>> {
        Ok(gateways::list(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(PaymentGatewayConfig)
            .collect())
    }
}

// --------------------------------------------------------------- mutations

/// Commerce mutations.
#[derive(Default)]
pub struct CommerceMutation;

#[Object]
impl CommerceMutation {
    /// Buys a package: an order, its invoice, and a pending payment whose
    /// `checkout` the client hands to the gateway (or, for a zero total, the
    /// completed order with its tracecoins credited).
    async fn purchase_package(&self, ctx: &Context<'_>, input: PurchasePackageInput) -> Result<PurchasePackagePayload> {
        let app = app(ctx)?;
        let done = svc::purchase(
            app,
            viewer(ctx),
            svc::Purchase {
                package_id: parse_id(&input.package_id, "packageId")?,
                coupon_code: input.coupon_code,
                gateway: input.gateway.into(),
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        let checkout = match (&done.payment, done.checkout) {
            (Some(p), Some(params)) => {
                let kind: GatewayKind = gateways::kind_of_config(&app.db.primary, p.payment_gateway_config_id).await?;
                Some(PaymentCheckout {
                    payment_id: ID(p.id.to_string()),
                    gateway: kind.into(),
                    amount_inr: p.amount_inr,
                    currency_code: p.currency_code.clone(),
                    params: async_graphql::Json(params),
                })
            }
            _ => None,
        };
        Ok(PurchasePackagePayload {
            order: Order(done.order),
            invoice: Invoice(done.invoice),
            payment: done.payment.map(Payment),
            checkout,
            quote: done.quote.map(PriceQuote::from),
            replayed: done.replayed,
        })
    }

    /// Development only (the test gateway must be enabled): delivers a
    /// signed test-gateway webhook for one of your test payments.
    async fn simulate_test_payment(
        &self,
        ctx: &Context<'_>,
        input: SimulateTestPaymentInput,
    ) -> Result<SimulateTestPaymentPayload> {
        let (payment, outcome, body, signature) = webhooks::simulate(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.payment_id, "paymentId")?,
            input.succeed,
        )
        .await?;
        Ok(SimulateTestPaymentPayload {
            payment: Payment(payment),
            outcome: outcome.as_str().to_string(),
            webhook_body: body,
            webhook_signature: signature,
        })
    }

    /// Refunds a successful payment and takes its tracecoins back
    /// (`commerce.refund`); INSUFFICIENT_FUNDS when they were spent.
    async fn refund_payment(&self, ctx: &Context<'_>, input: RefundPaymentInput) -> Result<RefundPaymentPayload> {
        let p = svc::refund(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.payment_id, "paymentId")?,
            &input.reason,
        )
        .await?;
        Ok(RefundPaymentPayload { payment: Payment(p) })
    }

    /// Creates a pricing package (`commerce.packages.manage`).
    async fn create_pricing_package(
        &self,
        ctx: &Context<'_>,
        input: CreatePricingPackageInput,
    ) -> Result<PricingPackagePayload> {
        let m = catalog::create_package(
            app(ctx)?,
            viewer(ctx),
            catalog::PackageFields {
                name: Some(input.name),
                description: Some(input.description),
                package_type: Some(to_db(input.package_type)),
                price_inr: Some(input.price_inr),
                tracecoins_included: Some(input.tracecoins_included),
                validity_days: Some(input.validity_days),
                is_active: Some(input.is_active),
            },
        )
        .await?;
        Ok(PricingPackagePayload {
            package: PricingPackage(m),
        })
    }

    /// Updates a pricing package (`commerce.packages.manage`); set
    /// `isActive: false` to stop selling it.
    async fn update_pricing_package(
        &self,
        ctx: &Context<'_>,
        input: UpdatePricingPackageInput,
    ) -> Result<PricingPackagePayload> {
        let m = catalog::update_package(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.id, "id")?,
            catalog::PackageFields {
                name: input.name,
                description: patch(input.description, |d| d),
                package_type: input.package_type.map(to_db),
                price_inr: input.price_inr,
                tracecoins_included: input.tracecoins_included,
                validity_days: patch(input.validity_days, |d| d),
                is_active: input.is_active,
            },
        )
        .await?;
        Ok(PricingPackagePayload {
            package: PricingPackage(m),
        })
    }

    /// Creates a coupon (`commerce.coupons.manage`).
    async fn create_coupon(&self, ctx: &Context<'_>, input: CreateCouponInput) -> Result<CouponPayload> {
        let m = catalog::create_coupon(
            app(ctx)?,
            viewer(ctx),
            catalog::CouponFields {
                code: Some(input.code),
                description: Some(input.description),
                discount_type: Some(to_db(input.discount_type)),
                discount_value: Some(input.discount_value),
                max_discount_inr: Some(input.max_discount_inr),
                min_order_value_inr: Some(input.min_order_value_inr),
                valid_from: Some(input.valid_from),
                valid_to: Some(input.valid_to),
                usage_limit: Some(input.usage_limit),
                is_active: Some(input.is_active),
            },
        )
        .await?;
        Ok(CouponPayload { coupon: Coupon(m) })
    }

    /// Updates a coupon (`commerce.coupons.manage`).
    async fn update_coupon(&self, ctx: &Context<'_>, input: UpdateCouponInput) -> Result<CouponPayload> {
        let m = catalog::update_coupon(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.id, "id")?,
            catalog::CouponFields {
                code: input.code,
                description: patch(input.description, |d| d),
                discount_type: input.discount_type.map(to_db),
                discount_value: input.discount_value,
                max_discount_inr: patch(input.max_discount_inr, |v| v),
                min_order_value_inr: patch(input.min_order_value_inr, |v| v),
                valid_from: patch(input.valid_from, |v| v),
                valid_to: patch(input.valid_to, |v| v),
                usage_limit: patch(input.usage_limit, |v| v),
                is_active: input.is_active,
            },
        )
        .await?;
        Ok(CouponPayload { coupon: Coupon(m) })
    }

    /// Creates a discount rule (`commerce.coupons.manage`).
    async fn create_discount_rule(
        &self,
        ctx: &Context<'_>,
        input: CreateDiscountRuleInput,
    ) -> Result<DiscountRulePayload> {
        let m = catalog::create_discount_rule(
            app(ctx)?,
            viewer(ctx),
            catalog::DiscountRuleFields {
                name: Some(input.name),
                scope_type: Some(to_db(input.scope_type)),
                scope_id: Some(opt_id(input.scope_id.as_ref(), "scopeId")?),
                discount_type: Some(to_db(input.discount_type)),
                discount_value: Some(input.discount_value),
                starts_at: Some(input.starts_at),
                ends_at: Some(input.ends_at),
                is_active: Some(input.is_active),
            },
        )
        .await?;
        Ok(DiscountRulePayload {
            discount_rule: DiscountRule(m),
        })
    }

    /// Updates a discount rule (`commerce.coupons.manage`).
    async fn update_discount_rule(
        &self,
        ctx: &Context<'_>,
        input: UpdateDiscountRuleInput,
    ) -> Result<DiscountRulePayload> {
        let scope_id = match input.scope_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(v) => Some(Some(parse_id(&v, "scopeId")?)),
        };
        let m = catalog::update_discount_rule(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.id, "id")?,
            catalog::DiscountRuleFields {
                name: input.name,
                scope_type: input.scope_type.map(to_db),
                scope_id,
                discount_type: input.discount_type.map(to_db),
                discount_value: input.discount_value,
                starts_at: patch(input.starts_at, |v| v),
                ends_at: patch(input.ends_at, |v| v),
                is_active: input.is_active,
            },
        )
        .await?;
        Ok(DiscountRulePayload {
            discount_rule: DiscountRule(m),
        })
    }

    /// Deletes a discount rule (`commerce.coupons.manage`).
    async fn delete_discount_rule(&self, ctx: &Context<'_>, input: DeleteByIdInput) -> Result<DeletePayload> {
        let id = catalog::delete_discount_rule(app(ctx)?, viewer(ctx), parse_id(&input.id, "id")?).await?;
        Ok(DeletePayload {
            deleted_id: ID(id.to_string()),
        })
    }

    /// Creates a tax rule (`commerce.tax.manage`).
    async fn create_tax_rule(&self, ctx: &Context<'_>, input: CreateTaxRuleInput) -> Result<TaxRulePayload> {
        let m = catalog::create_tax_rule(
            app(ctx)?,
            viewer(ctx),
            catalog::TaxRuleFields {
                name: Some(input.name),
                tax_type: Some(to_db(input.tax_type)),
                tax_rate: Some(input.tax_rate),
                applies_to: Some(to_db(input.applies_to)),
                is_active: Some(input.is_active),
            },
        )
        .await?;
        Ok(TaxRulePayload { tax_rule: TaxRule(m) })
    }

    /// Updates a tax rule (`commerce.tax.manage`).
    async fn update_tax_rule(&self, ctx: &Context<'_>, input: UpdateTaxRuleInput) -> Result<TaxRulePayload> {
        let m = catalog::update_tax_rule(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.id, "id")?,
            catalog::TaxRuleFields {
                name: input.name,
                tax_type: input.tax_type.map(to_db),
                tax_rate: input.tax_rate,
                applies_to: input.applies_to.map(to_db),
                is_active: input.is_active,
            },
        )
        .await?;
        Ok(TaxRulePayload { tax_rule: TaxRule(m) })
    }

    /// Deletes a tax rule (`commerce.tax.manage`).
    async fn delete_tax_rule(&self, ctx: &Context<'_>, input: DeleteByIdInput) -> Result<DeletePayload> {
        let id = catalog::delete_tax_rule(app(ctx)?, viewer(ctx), parse_id(&input.id, "id")?).await?;
        Ok(DeletePayload {
            deleted_id: ID(id.to_string()),
        })
    }

    /// Creates a payment gateway configuration (`payments.gateways.manage`);
    /// secrets are sealed and can never be read back.
    async fn create_payment_gateway_config(
        &self,
        ctx: &Context<'_>,
        input: CreatePaymentGatewayConfigInput,
    ) -> Result<PaymentGatewayConfigPayload> {
        let m = gateways::create(
            app(ctx)?,
            viewer(ctx),
            gateways::GatewayConfigFields {
                gateway_key: Some(to_db(input.gateway_key)),
                display_name: Some(input.display_name),
                public_config: input.public_config.map(|j| j.0),
                webhook_secret: input.webhook_secret,
                api_secret: input.api_secret,
                is_active: Some(input.is_active),
            },
        )
        .await?;
        Ok(PaymentGatewayConfigPayload {
            config: PaymentGatewayConfig(m),
        })
    }

    /// Updates a payment gateway configuration (`payments.gateways.manage`).
    async fn update_payment_gateway_config(
        &self,
        ctx: &Context<'_>,
        input: UpdatePaymentGatewayConfigInput,
    ) -> Result<PaymentGatewayConfigPayload> {
        let m = gateways::update(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.id, "id")?,
            gateways::GatewayConfigFields {
                gateway_key: None,
                display_name: input.display_name,
                public_config: input.public_config.map(|j| j.0),
                webhook_secret: input.webhook_secret,
                api_secret: input.api_secret,
                is_active: input.is_active,
            },
        )
        .await?;
        Ok(PaymentGatewayConfigPayload {
            config: PaymentGatewayConfig(m),
        })
    }
}
