//! Commerce (schema.md section 4, second half; source 001 finance domain).
//!
//! Tables: `pricing_packages`, `coupons`, `orders`, `order_items`,
//! `coupon_redemptions`, `invoice_number_counters` (addition: gap-free
//! invoice numbers per year), `invoices`, `payment_gateway_configs`,
//! `payments`, `payment_transactions` (append-only), `discount_rules`,
//! `tax_rules`.
//!
//! Source tables that land here: the 001 tables of the same names (001
//! orders is this `orders`; coupon_uses is coupon_redemptions). Money is
//! BIGINT paise in `*_inr` columns; tax_rate is NUMERIC(7,4).
//!
//! `coupons.usage_count` (addition) makes the usage limit hold under
//! concurrent redemption: `UPDATE coupons SET usage_count = usage_count + 1`
//! takes the row lock and the CHECK refuses the redemption past the limit.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- pricing_packages (001)
CREATE TABLE pricing_packages (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name                TEXT NOT NULL,
    description         TEXT,
    package_type        TEXT NOT NULL,
    price_inr           BIGINT NOT NULL,
    tracecoins_included BIGINT NOT NULL DEFAULT 0,
    validity_days       INTEGER,
    is_active           BOOLEAN NOT NULL DEFAULT true,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pricing_packages_package_type_check
        CHECK (package_type IN ('JOB_POSTING', 'CONTACT_VIEWS', 'TRACECOIN_BUNDLE')),
    CONSTRAINT pricing_packages_price_inr_check CHECK (price_inr >= 0),
    CONSTRAINT pricing_packages_tracecoins_included_check CHECK (tracecoins_included >= 0),
    CONSTRAINT pricing_packages_validity_days_check CHECK (validity_days > 0)
);
CREATE TRIGGER pricing_packages_set_updated_at BEFORE UPDATE ON pricing_packages
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- coupons (001); codes are unique case-insensitively
CREATE TABLE coupons (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    code                TEXT NOT NULL,
    description         TEXT,
    discount_type       TEXT NOT NULL,
    discount_value      BIGINT NOT NULL,
    max_discount_inr    BIGINT,
    min_order_value_inr BIGINT,
    valid_from          TIMESTAMPTZ,
    valid_to            TIMESTAMPTZ,
    usage_limit         INTEGER,
    usage_count         INTEGER NOT NULL DEFAULT 0,
    is_active           BOOLEAN NOT NULL DEFAULT true,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT coupons_discount_type_check CHECK (discount_type IN ('PERCENT', 'FLAT')),
    CONSTRAINT coupons_discount_value_check
        CHECK (discount_value > 0 AND (discount_type <> 'PERCENT' OR discount_value <= 100)),
    CONSTRAINT coupons_max_discount_inr_check CHECK (max_discount_inr >= 0),
    CONSTRAINT coupons_min_order_value_inr_check CHECK (min_order_value_inr >= 0),
    CONSTRAINT coupons_validity_check CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from),
    CONSTRAINT coupons_usage_limit_check CHECK (usage_limit > 0),
    CONSTRAINT coupons_usage_count_check
        CHECK (usage_count >= 0 AND (usage_limit IS NULL OR usage_count <= usage_limit))
);
CREATE UNIQUE INDEX coupons_code_key ON coupons (upper(code));
CREATE TRIGGER coupons_set_updated_at BEFORE UPDATE ON coupons
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- orders (001 orders, the commerce one)
CREATE TABLE orders (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      UUID NOT NULL,
    order_type   TEXT NOT NULL,
    subtotal_inr BIGINT NOT NULL,
    discount_inr BIGINT NOT NULL DEFAULT 0,
    tax_inr      BIGINT NOT NULL DEFAULT 0,
    total_inr    BIGINT NOT NULL,
    coupon_id    UUID,
    status       TEXT NOT NULL DEFAULT 'PENDING',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT orders_coupon_id_fkey FOREIGN KEY (coupon_id)
        REFERENCES coupons (id) ON DELETE RESTRICT,
    CONSTRAINT orders_order_type_check CHECK (order_type IN ('PACKAGE', 'SERVICE')),
    CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'COMPLETED', 'CANCELLED')),
    CONSTRAINT orders_amounts_check
        CHECK (subtotal_inr >= 0 AND discount_inr >= 0 AND tax_inr >= 0
               AND discount_inr <= subtotal_inr
               AND total_inr = subtotal_inr - discount_inr + tax_inr)
);
CREATE INDEX orders_user_id_created_at_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_coupon_id_idx ON orders (coupon_id);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_created_at_id_idx ON orders (created_at DESC, id DESC);
CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- order_items (001); item_id points at a pricing package or a service
CREATE TABLE order_items (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id        UUID NOT NULL,
    item_type       TEXT NOT NULL,
    item_id         UUID NOT NULL,
    item_name       TEXT NOT NULL,
    quantity        INTEGER NOT NULL DEFAULT 1,
    unit_price_inr  BIGINT NOT NULL,
    total_price_inr BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT order_items_item_type_check CHECK (item_type IN ('PACKAGE', 'SERVICE')),
    CONSTRAINT order_items_quantity_check CHECK (quantity > 0),
    CONSTRAINT order_items_unit_price_inr_check CHECK (unit_price_inr >= 0),
    CONSTRAINT order_items_total_price_inr_check CHECK (total_price_inr = unit_price_inr * quantity)
);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
CREATE INDEX order_items_item_type_item_id_idx ON order_items (item_type, item_id);

-- coupon_redemptions (001 coupon_uses); one redemption per order
CREATE TABLE coupon_redemptions (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    coupon_id           UUID NOT NULL,
    user_id             UUID NOT NULL,
    order_id            UUID NOT NULL,
    redeemed_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    discount_amount_inr BIGINT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT coupon_redemptions_coupon_id_fkey FOREIGN KEY (coupon_id)
        REFERENCES coupons (id) ON DELETE RESTRICT,
    CONSTRAINT coupon_redemptions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT coupon_redemptions_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT coupon_redemptions_order_id_key UNIQUE (order_id),
    CONSTRAINT coupon_redemptions_discount_amount_inr_check CHECK (discount_amount_inr >= 0)
);
CREATE INDEX coupon_redemptions_coupon_id_idx ON coupon_redemptions (coupon_id);
CREATE INDEX coupon_redemptions_user_id_idx ON coupon_redemptions (user_id);

-- invoice_number_counters (addition): the next invoice number of a year is
-- taken with INSERT ... ON CONFLICT (year) DO UPDATE SET last_number =
-- last_number + 1 RETURNING last_number, in the invoice's transaction, so a
-- rolled-back invoice leaves no gap.
CREATE TABLE invoice_number_counters (
    year        INTEGER PRIMARY KEY,
    last_number BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT invoice_number_counters_year_check CHECK (year BETWEEN 2000 AND 9999),
    CONSTRAINT invoice_number_counters_last_number_check CHECK (last_number >= 0)
);
CREATE TRIGGER invoice_number_counters_set_updated_at BEFORE UPDATE ON invoice_number_counters
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- invoices (001)
CREATE TABLE invoices (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id       UUID NOT NULL,
    user_id        UUID NOT NULL,
    invoice_number TEXT NOT NULL,
    subtotal_inr   BIGINT NOT NULL,
    discount_inr   BIGINT NOT NULL DEFAULT 0,
    tax_inr        BIGINT NOT NULL DEFAULT 0,
    total_inr      BIGINT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'ISSUED',
    issued_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    due_at         TIMESTAMPTZ,
    paid_at        TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT invoices_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT invoices_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT invoices_invoice_number_key UNIQUE (invoice_number),
    CONSTRAINT invoices_status_check CHECK (status IN ('ISSUED', 'PAID', 'VOID')),
    CONSTRAINT invoices_amounts_check
        CHECK (subtotal_inr >= 0 AND discount_inr >= 0 AND tax_inr >= 0
               AND discount_inr <= subtotal_inr
               AND total_inr = subtotal_inr - discount_inr + tax_inr)
);
CREATE INDEX invoices_order_id_idx ON invoices (order_id);
CREATE INDEX invoices_user_id_idx ON invoices (user_id, issued_at DESC);
CREATE TRIGGER invoices_set_updated_at BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- payment_gateway_configs (001); secrets only in secret_config_encrypted
CREATE TABLE payment_gateway_configs (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    gateway_key             TEXT NOT NULL,
    display_name            TEXT NOT NULL,
    config_json             JSONB NOT NULL DEFAULT '{}'::jsonb,
    secret_config_encrypted BYTEA,
    is_active               BOOLEAN NOT NULL DEFAULT true,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT payment_gateway_configs_gateway_key_check CHECK (gateway_key IN ('RAZORPAY', 'STRIPE'))
);
CREATE TRIGGER payment_gateway_configs_set_updated_at BEFORE UPDATE ON payment_gateway_configs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- payments (001)
CREATE TABLE payments (
    id                        UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id                  UUID NOT NULL,
    invoice_id                UUID,
    user_id                   UUID NOT NULL,
    payment_gateway_config_id UUID NOT NULL,
    payment_method            TEXT,
    provider_payment_ref      TEXT,
    amount_inr                BIGINT NOT NULL,
    currency_code             TEXT NOT NULL DEFAULT 'INR',
    status                    TEXT NOT NULL DEFAULT 'PENDING',
    initiated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at              TIMESTAMPTZ,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT payments_invoice_id_fkey FOREIGN KEY (invoice_id)
        REFERENCES invoices (id) ON DELETE RESTRICT,
    CONSTRAINT payments_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT payments_payment_gateway_config_id_fkey FOREIGN KEY (payment_gateway_config_id)
        REFERENCES payment_gateway_configs (id) ON DELETE RESTRICT,
    CONSTRAINT payments_payment_gateway_config_id_provider_payment_ref_key
        UNIQUE (payment_gateway_config_id, provider_payment_ref),
    CONSTRAINT payments_payment_method_check
        CHECK (payment_method IN ('CARD', 'UPI', 'NETBANKING', 'WALLET', 'BANK_TRANSFER', 'OTHER')),
    CONSTRAINT payments_currency_code_check CHECK (currency_code ~ '^[A-Z]{3}$'),
    CONSTRAINT payments_status_check CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED', 'REFUNDED')),
    CONSTRAINT payments_amount_inr_check CHECK (amount_inr > 0)
);
CREATE INDEX payments_order_id_idx ON payments (order_id);
CREATE INDEX payments_invoice_id_idx ON payments (invoice_id);
CREATE INDEX payments_user_id_idx ON payments (user_id, created_at DESC);
CREATE INDEX payments_status_idx ON payments (status);
CREATE TRIGGER payments_set_updated_at BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- payment_transactions (001; append-only)
CREATE TABLE payment_transactions (
    id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id            UUID NOT NULL,
    transaction_type      TEXT NOT NULL,
    provider_reference    TEXT,
    request_payload_json  JSONB,
    response_payload_json JSONB,
    status                TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT payment_transactions_payment_id_fkey FOREIGN KEY (payment_id)
        REFERENCES payments (id) ON DELETE RESTRICT,
    CONSTRAINT payment_transactions_transaction_type_check
        CHECK (transaction_type IN ('INITIATED', 'COMPLETED', 'FAILED', 'WEBHOOK', 'REFUNDED')),
    CONSTRAINT payment_transactions_status_check
        CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED', 'REFUNDED'))
);
CREATE INDEX payment_transactions_payment_id_idx ON payment_transactions (payment_id, created_at);
CREATE INDEX payment_transactions_provider_reference_idx ON payment_transactions (provider_reference);
CREATE TRIGGER payment_transactions_append_only BEFORE UPDATE OR DELETE ON payment_transactions
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER payment_transactions_append_only_truncate BEFORE TRUNCATE ON payment_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_guard();

-- discount_rules (001); scope_id is NULL for GLOBAL rules
CREATE TABLE discount_rules (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name           TEXT NOT NULL,
    scope_type     TEXT NOT NULL DEFAULT 'GLOBAL',
    scope_id       UUID,
    discount_type  TEXT NOT NULL,
    discount_value BIGINT NOT NULL,
    starts_at      TIMESTAMPTZ,
    ends_at        TIMESTAMPTZ,
    is_active      BOOLEAN NOT NULL DEFAULT true,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT discount_rules_scope_type_check CHECK (scope_type IN ('GLOBAL', 'CATEGORY', 'SERVICE')),
    CONSTRAINT discount_rules_scope_check CHECK ((scope_type = 'GLOBAL') = (scope_id IS NULL)),
    CONSTRAINT discount_rules_discount_type_check CHECK (discount_type IN ('PERCENT', 'FLAT')),
    CONSTRAINT discount_rules_discount_value_check
        CHECK (discount_value > 0 AND (discount_type <> 'PERCENT' OR discount_value <= 100)),
    CONSTRAINT discount_rules_period_check CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX discount_rules_scope_idx ON discount_rules (scope_type, scope_id);
CREATE TRIGGER discount_rules_set_updated_at BEFORE UPDATE ON discount_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- tax_rules (001; tax_rate is a percentage, e.g. 18.0000 for GST 18 %)
CREATE TABLE tax_rules (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name       TEXT NOT NULL,
    tax_type   TEXT NOT NULL,
    tax_rate   NUMERIC(7, 4) NOT NULL,
    applies_to TEXT NOT NULL DEFAULT 'ALL',
    is_active  BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT tax_rules_tax_type_check CHECK (tax_type IN ('GST', 'TCS')),
    CONSTRAINT tax_rules_tax_rate_check CHECK (tax_rate >= 0 AND tax_rate <= 100),
    CONSTRAINT tax_rules_applies_to_check CHECK (applies_to IN ('ALL', 'PACKAGE', 'SERVICE'))
);
CREATE TRIGGER tax_rules_set_updated_at BEFORE UPDATE ON tax_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
"#;

const DOWN: &str = r#"
DROP TABLE tax_rules;
DROP TABLE discount_rules;
DROP TABLE payment_transactions;
DROP TABLE payments;
DROP TABLE payment_gateway_configs;
DROP TABLE invoices;
DROP TABLE invoice_number_counters;
DROP TABLE coupon_redemptions;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE coupons;
DROP TABLE pricing_packages;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
