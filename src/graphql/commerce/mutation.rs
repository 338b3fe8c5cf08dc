//! Commerce mutations: purchases, test payments, refunds, and the
//! catalogue's changes. Each parses its input, calls one service function
//! and returns what changed.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use entity::{coupons, discount_rules, pricing_packages, tax_rules};

use super::inputs::*;
use super::types::*;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{id, parse_id, parse_opt_id};
use crate::service::commerce::catalog::{self, CatalogRecord};
use crate::service::commerce::{gateways, payments, purchase, webhooks};

/// What a purchase made.
#[derive(SimpleObject)]
pub struct PurchasePackagePayload {
    /// The order.
    pub order: Order,
    /// Its invoice.
    pub invoice: Invoice,
    /// Null when the total was zero: the order completed at once.
    pub payment: Option<Payment>,
    /// What to hand to the gateway's checkout (null without a payment,
    /// and on a replay of an old request).
    pub checkout: Option<PaymentCheckout>,
    /// The price breakdown (null on a replay).
    pub quote: Option<PriceQuote>,
    /// True when the idempotency key had been used: nothing was written.
    pub replayed: bool,
}

/// What a delivered webhook did to its payment.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum WebhookOutcome {
    /// It completed or failed the payment.
    Applied,
    /// It was recorded on the payment and changed nothing else.
    Recorded,
    /// It was not about any payment of ours.
    Ignored,
}

impl From<webhooks::Outcome> for WebhookOutcome {
    fn from(o: webhooks::Outcome) -> Self {
        match o {
            webhooks::Outcome::Applied => WebhookOutcome::Applied,
            webhooks::Outcome::Recorded => WebhookOutcome::Recorded,
            webhooks::Outcome::Ignored => WebhookOutcome::Ignored,
        }
    }
}

/// What a simulated test payment did.
#[derive(SimpleObject)]
pub struct SimulateTestPaymentPayload {
    /// The payment after the webhook.
    pub payment: Payment,
    /// What the webhook did.
    pub outcome: WebhookOutcome,
    /// The signed webhook body, to replay by hand against
    /// `POST /webhooks/payments/test`.
    pub webhook_body: String,
    /// Its `X-Test-Gateway-Signature`.
    pub webhook_signature: String,
}

/// The refunded payment (its order and invoice change with it: follow
/// `payment.order` and `payment.invoice`).
#[derive(SimpleObject)]
pub struct RefundPaymentPayload {
    /// The payment, now REFUNDED.
    pub payment: Payment,
}

/// The created or changed package.
#[derive(SimpleObject)]
pub struct PricingPackagePayload {
    /// The package as stored.
    pub package: PricingPackage,
}

/// The created or changed coupon.
#[derive(SimpleObject)]
pub struct CouponPayload {
    /// The coupon as stored.
    pub coupon: Coupon,
}

/// The created or changed discount rule.
#[derive(SimpleObject)]
pub struct DiscountRulePayload {
    /// The rule as stored.
    pub discount_rule: DiscountRule,
}

/// The created or changed tax rule.
#[derive(SimpleObject)]
pub struct TaxRulePayload {
    /// The rule as stored.
    pub tax_rule: TaxRule,
}

/// The id of what was deleted (to evict from a client cache).
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The deleted record's id.
    pub deleted_id: ID,
}

/// The created or changed configuration (without its secrets).
#[derive(SimpleObject)]
pub struct PaymentGatewayConfigPayload {
    /// The configuration as stored.
    pub config: PaymentGatewayConfig,
}

/// Creates (no `id`) or updates a catalogue record through the shared pattern.
async fn save<R: CatalogRecord>(ctx: &Context<'_>, id: Option<&ID>, f: R::Fields) -> Result<R> {
    let (app, viewer) = (app(ctx)?, viewer(ctx));
    Ok(match id {
        None => catalog::create::<R>(app, viewer, f).await?,
        Some(id) => catalog::update::<R>(app, viewer, parse_id(id, "id")?, f).await?,
    })
}

/// Deletes a catalogue record through the shared pattern.
async fn remove<R: CatalogRecord + catalog::Deletable>(
    ctx: &Context<'_>,
    input: DeleteByIdInput,
) -> Result<DeletePayload> {
    let m = catalog::delete::<R>(app(ctx)?, viewer(ctx), parse_id(&input.id, "id")?).await?;
    Ok(DeletePayload { deleted_id: id(m.id()) })
}

fn package_fields(i: CreatePricingPackageInput) -> catalog::PackageFields {
    catalog::PackageFields {
        name: Some(i.name),
        description: Some(i.description),
        package_type: Some(i.package_type),
        price_inr: Some(i.price_inr),
        tracecoins_included: Some(i.tracecoins_included),
        validity_days: Some(i.validity_days),
        is_active: Some(i.is_active),
    }
}

fn coupon_fields(i: CreateCouponInput) -> catalog::CouponFields {
    catalog::CouponFields {
        code: Some(i.code),
        description: Some(i.description),
        discount_type: Some(i.discount_type),
        discount_value: Some(i.discount_value),
        max_discount_inr: Some(i.max_discount_inr),
        min_order_value_inr: Some(i.min_order_value_inr),
        valid_from: Some(i.valid_from),
        valid_to: Some(i.valid_to),
        usage_limit: Some(i.usage_limit),
        is_active: Some(i.is_active),
    }
}

/// Commerce mutations.
#[derive(Default)]
pub struct CommerceMutation;

#[Object]
impl CommerceMutation {
    /// Buys a package: an order, its invoice, and a pending payment whose
    /// `checkout` the client hands to the gateway (or, for a zero total, the
    /// completed order with its tracecoins credited).
    async fn purchase_package(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to buy and how to pay.")] input: PurchasePackageInput,
    ) -> Result<PurchasePackagePayload> {
        let done = purchase::purchase(
            app(ctx)?,
            viewer(ctx),
            purchase::Purchase {
                package_id: parse_id(&input.package_id, "packageId")?,
                coupon_code: input.coupon_code,
                gateway: input.gateway.into(),
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        let checkout = match (&done.payment, done.checkout, done.gateway) {
            (Some(p), Some(params), Some(kind)) => Some(PaymentCheckout {
                payment_id: id(p.id),
                gateway: kind.into(),
                amount_inr: p.amount_inr,
                currency_code: p.currency_code.clone(),
                params: async_graphql::Json(params),
            }),
            _ => None,
        };
        Ok(PurchasePackagePayload {
            order: Order::of(done.order)?,
            invoice: Invoice::of(done.invoice)?,
            payment: done.payment.map(Payment::of).transpose()?,
            checkout,
            quote: done.quote.map(PriceQuote::of).transpose()?,
            replayed: done.replayed,
        })
    }

    /// Development only (the test gateway must be enabled): delivers a
    /// signed test-gateway webhook for one of your test payments.
    async fn simulate_test_payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment and the outcome to deliver.")] input: SimulateTestPaymentInput,
    ) -> Result<SimulateTestPaymentPayload> {
        let payment_id = parse_id(&input.payment_id, "paymentId")?;
        let (payment, outcome, body, signature) =
            webhooks::simulate(app(ctx)?, viewer(ctx), payment_id, input.succeed).await?;
        Ok(SimulateTestPaymentPayload {
            payment: Payment::of(payment)?,
            outcome: outcome.into(),
            webhook_body: body,
            webhook_signature: signature,
        })
    }

    /// Refunds a successful payment and takes its tracecoins back
    /// (`commerce.refund`); INSUFFICIENT_FUNDS when they were spent.
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment and why.")] input: RefundPaymentInput,
    ) -> Result<RefundPaymentPayload> {
        let payment_id = parse_id(&input.payment_id, "paymentId")?;
        let p = payments::refund(app(ctx)?, viewer(ctx), payment_id, &input.reason).await?;
        Ok(RefundPaymentPayload {
            payment: Payment::of(p)?,
        })
    }

    /// Creates a pricing package (`commerce.packages.manage`).
    async fn create_pricing_package(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new package.")] input: CreatePricingPackageInput,
    ) -> Result<PricingPackagePayload> {
        let m = save::<pricing_packages::Model>(ctx, None, package_fields(input)).await?;
        Ok(PricingPackagePayload {
            package: PricingPackage::of(m)?,
        })
    }

    /// Updates a pricing package (`commerce.packages.manage`); set
    /// `isActive: false` to stop selling it.
    async fn update_pricing_package(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The package and its changes.")] input: UpdatePricingPackageInput,
    ) -> Result<PricingPackagePayload> {
        let f = catalog::PackageFields {
            name: input.name,
            description: patch(input.description),
            package_type: input.package_type,
            price_inr: input.price_inr,
            tracecoins_included: input.tracecoins_included,
            validity_days: patch(input.validity_days),
            is_active: input.is_active,
        };
        let m = save::<pricing_packages::Model>(ctx, Some(&input.id), f).await?;
        Ok(PricingPackagePayload {
            package: PricingPackage::of(m)?,
        })
    }

    /// Creates a coupon (`commerce.coupons.manage`).
    async fn create_coupon(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new coupon.")] input: CreateCouponInput,
    ) -> Result<CouponPayload> {
        let m = save::<coupons::Model>(ctx, None, coupon_fields(input)).await?;
        Ok(CouponPayload { coupon: Coupon::of(m)? })
    }

    /// Updates a coupon (`commerce.coupons.manage`).
    async fn update_coupon(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The coupon and its changes.")] input: UpdateCouponInput,
    ) -> Result<CouponPayload> {
        let f = catalog::CouponFields {
            code: input.code,
            description: patch(input.description),
            discount_type: input.discount_type,
            discount_value: input.discount_value,
            max_discount_inr: patch(input.max_discount_inr),
            min_order_value_inr: patch(input.min_order_value_inr),
            valid_from: patch(input.valid_from),
            valid_to: patch(input.valid_to),
            usage_limit: patch(input.usage_limit),
            is_active: input.is_active,
        };
        let m = save::<coupons::Model>(ctx, Some(&input.id), f).await?;
        Ok(CouponPayload { coupon: Coupon::of(m)? })
    }

    /// Creates a discount rule (`commerce.coupons.manage`).
    async fn create_discount_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new rule.")] input: CreateDiscountRuleInput,
    ) -> Result<DiscountRulePayload> {
        let f = catalog::DiscountRuleFields {
            name: Some(input.name),
            scope_type: Some(input.scope_type),
            scope_id: Some(parse_opt_id(input.scope_id.as_ref(), "scopeId")?),
            discount_type: Some(input.discount_type),
            discount_value: Some(input.discount_value),
            starts_at: Some(input.starts_at),
            ends_at: Some(input.ends_at),
            is_active: Some(input.is_active),
        };
        let m = save::<discount_rules::Model>(ctx, None, f).await?;
        Ok(DiscountRulePayload {
            discount_rule: DiscountRule::of(m)?,
        })
    }

    /// Updates a discount rule (`commerce.coupons.manage`).
    async fn update_discount_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule and its changes.")] input: UpdateDiscountRuleInput,
    ) -> Result<DiscountRulePayload> {
        let scope_id = match patch(input.scope_id) {
            Some(Some(v)) => Some(Some(parse_id(&v, "scopeId")?)),
            Some(None) => Some(None),
            None => None,
        };
        let f = catalog::DiscountRuleFields {
            name: input.name,
            scope_type: input.scope_type,
            scope_id,
            discount_type: input.discount_type,
            discount_value: input.discount_value,
            starts_at: patch(input.starts_at),
            ends_at: patch(input.ends_at),
            is_active: input.is_active,
        };
        let m = save::<discount_rules::Model>(ctx, Some(&input.id), f).await?;
        Ok(DiscountRulePayload {
            discount_rule: DiscountRule::of(m)?,
        })
    }

    /// Deletes a discount rule (`commerce.coupons.manage`).
    async fn delete_discount_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule to delete.")] input: DeleteByIdInput,
    ) -> Result<DeletePayload> {
        remove::<discount_rules::Model>(ctx, input).await
    }

    /// Creates a tax rule (`commerce.tax.manage`).
    async fn create_tax_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new rule.")] input: CreateTaxRuleInput,
    ) -> Result<TaxRulePayload> {
        let f = catalog::TaxRuleFields {
            name: Some(input.name),
            tax_type: Some(input.tax_type),
            tax_rate: Some(input.tax_rate),
            applies_to: Some(input.applies_to),
            is_active: Some(input.is_active),
        };
        let m = save::<tax_rules::Model>(ctx, None, f).await?;
        Ok(TaxRulePayload {
            tax_rule: TaxRule::of(m)?,
        })
    }

    /// Updates a tax rule (`commerce.tax.manage`).
    async fn update_tax_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule and its changes.")] input: UpdateTaxRuleInput,
    ) -> Result<TaxRulePayload> {
        let f = catalog::TaxRuleFields {
            name: input.name,
            tax_type: input.tax_type,
            tax_rate: input.tax_rate,
            applies_to: input.applies_to,
            is_active: input.is_active,
        };
        let m = save::<tax_rules::Model>(ctx, Some(&input.id), f).await?;
        Ok(TaxRulePayload {
            tax_rule: TaxRule::of(m)?,
        })
    }

    /// Deletes a tax rule (`commerce.tax.manage`).
    async fn delete_tax_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule to delete.")] input: DeleteByIdInput,
    ) -> Result<DeletePayload> {
        remove::<tax_rules::Model>(ctx, input).await
    }

    /// Creates a payment gateway configuration (`payments.gateways.manage`);
    /// secrets are sealed and can never be read back.
    async fn create_payment_gateway_config(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new configuration.")] input: CreatePaymentGatewayConfigInput,
    ) -> Result<PaymentGatewayConfigPayload> {
        let f = gateways::GatewayConfigFields {
            gateway_key: Some(input.gateway_key),
            display_name: Some(input.display_name),
            public_config: input.public_config.map(|j| j.0),
            webhook_secret: input.webhook_secret,
            api_secret: input.api_secret,
            is_active: Some(input.is_active),
        };
        let m = gateways::create(app(ctx)?, viewer(ctx), f).await?;
        Ok(PaymentGatewayConfigPayload {
            config: PaymentGatewayConfig::of(m)?,
        })
    }

    /// Updates a payment gateway configuration (`payments.gateways.manage`).
    async fn update_payment_gateway_config(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The configuration and its changes.")] input: UpdatePaymentGatewayConfigInput,
    ) -> Result<PaymentGatewayConfigPayload> {
        let f = gateways::GatewayConfigFields {
            gateway_key: None,
            display_name: input.display_name,
            public_config: input.public_config.map(|j| j.0),
            webhook_secret: input.webhook_secret,
            api_secret: input.api_secret,
            is_active: input.is_active,
        };
        let id = parse_id(&input.id, "id")?;
        let m = gateways::update(app(ctx)?, viewer(ctx), id, f).await?;
        Ok(PaymentGatewayConfigPayload {
            config: PaymentGatewayConfig::of(m)?,
        })
    }
}
