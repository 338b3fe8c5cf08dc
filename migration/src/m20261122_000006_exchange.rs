//! Exchange (schema.md section 3).
//!
//! Tables: `currencies` (addition: the currency catalogue, with the
//! rotating-address policy and threshold per currency), `exchange_orders`,
//! `rotating_addresses`, `reserves`, `exchange_rates`, `price_history`,
//! `fee_config`, `deposit_addresses`, `withdrawals`, `user_kyc`.
//!
//! Source tables that land here: 000 orders (as exchange_orders),
//! rotating_addresses (private_key becomes private_key_encrypted), reserves;
//! 004 exchange_rates, price_history, fee_config, deposit_addresses,
//! user_kyc. `withdrawals` is implied by 004 and references
//! `approval_requests`, so this migration runs after `approval`.
//!
//! Amounts are NUMERIC(38,18); money-holding references are RESTRICT.
//! Reference rows: currencies TRC, BTC, ETH, USDT, INR, USD; reserves of the
//! crypto currencies at 0; fee_config WITHDRAWAL 0.5 %, TRADING 0.1 %,
//! DEPOSIT free (as 004's post-deployment SQL).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- currencies (addition). needsRotatingAddress(currency, amount) is true when
-- rotation_policy = 'PER_ORDER' or amount >= rotation_threshold.
CREATE TABLE currencies (
    code               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    decimals           SMALLINT NOT NULL,
    is_active          BOOLEAN NOT NULL DEFAULT true,
    rotation_policy    TEXT NOT NULL DEFAULT 'POOLED',
    rotation_threshold NUMERIC(38, 18),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT currencies_code_check CHECK (code ~ '^[A-Z0-9]{2,12}$'),
    CONSTRAINT currencies_kind_check CHECK (kind IN ('CRYPTO', 'FIAT', 'TOKEN')),
    CONSTRAINT currencies_decimals_check CHECK (decimals BETWEEN 0 AND 18),
    CONSTRAINT currencies_rotation_policy_check CHECK (rotation_policy IN ('PER_ORDER', 'POOLED')),
    CONSTRAINT currencies_rotation_threshold_check CHECK (rotation_threshold >= 0)
);
CREATE TRIGGER currencies_set_updated_at BEFORE UPDATE ON currencies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- exchange_orders (000 orders)
CREATE TABLE exchange_orders (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           UUID,
    from_currency     TEXT NOT NULL,
    to_currency       TEXT NOT NULL,
    from_amount       NUMERIC(38, 18) NOT NULL,
    to_amount         NUMERIC(38, 18) NOT NULL,
    rate              NUMERIC(38, 18) NOT NULL,
    fee_amount        NUMERIC(38, 18) NOT NULL DEFAULT 0,
    rate_type         TEXT NOT NULL DEFAULT 'FLOAT',
    status            TEXT NOT NULL DEFAULT 'PENDING',
    deposit_address   TEXT,
    receiving_address TEXT,
    refund_address    TEXT,
    deposit_tx_hash   TEXT,
    transaction_hash  TEXT,
    expires_at        TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT exchange_orders_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT exchange_orders_from_currency_fkey FOREIGN KEY (from_currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT exchange_orders_to_currency_fkey FOREIGN KEY (to_currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT exchange_orders_rate_type_check CHECK (rate_type IN ('FIXED', 'FLOAT')),
    CONSTRAINT exchange_orders_status_check
        CHECK (status IN ('PENDING', 'CONFIRMING', 'EXCHANGING', 'SENDING', 'COMPLETED',
                          'EXPIRED', 'REFUNDED', 'FAILED', 'HOLD')),
    CONSTRAINT exchange_orders_currencies_check CHECK (from_currency <> to_currency),
    CONSTRAINT exchange_orders_from_amount_check CHECK (from_amount > 0),
    CONSTRAINT exchange_orders_to_amount_check CHECK (to_amount >= 0),
    CONSTRAINT exchange_orders_rate_check CHECK (rate > 0),
    CONSTRAINT exchange_orders_fee_amount_check CHECK (fee_amount >= 0)
);
CREATE INDEX exchange_orders_user_id_idx ON exchange_orders (user_id, created_at DESC);
CREATE INDEX exchange_orders_from_currency_idx ON exchange_orders (from_currency);
CREATE INDEX exchange_orders_to_currency_idx ON exchange_orders (to_currency);
CREATE INDEX exchange_orders_status_idx ON exchange_orders (status);
CREATE INDEX exchange_orders_created_at_id_idx ON exchange_orders (created_at DESC, id DESC);
CREATE INDEX exchange_orders_deposit_address_idx ON exchange_orders (deposit_address);
CREATE TRIGGER exchange_orders_set_updated_at BEFORE UPDATE ON exchange_orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- rotating_addresses (000)
CREATE TABLE rotating_addresses (
    id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    currency              TEXT NOT NULL,
    address               TEXT NOT NULL,
    private_key_encrypted BYTEA NOT NULL,
    order_id              UUID,
    used_at               TIMESTAMPTZ,
    released_at           TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT rotating_addresses_currency_fkey FOREIGN KEY (currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT rotating_addresses_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES exchange_orders (id) ON DELETE RESTRICT,
    CONSTRAINT rotating_addresses_address_key UNIQUE (address)
);
CREATE INDEX rotating_addresses_currency_idx ON rotating_addresses (currency);
CREATE INDEX rotating_addresses_order_id_idx ON rotating_addresses (order_id);
CREATE INDEX rotating_addresses_free_idx ON rotating_addresses (currency, created_at)
    WHERE order_id IS NULL AND used_at IS NULL;
CREATE TRIGGER rotating_addresses_set_updated_at BEFORE UPDATE ON rotating_addresses
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- reserves (000): id is the currency code
CREATE TABLE reserves (
    id         TEXT PRIMARY KEY,
    amount     NUMERIC(38, 18) NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT reserves_id_fkey FOREIGN KEY (id)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT reserves_amount_check CHECK (amount >= 0)
);
CREATE TRIGGER reserves_set_updated_at BEFORE UPDATE ON reserves
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- exchange_rates (004); currencies are free text: feeds quote pairs we do not trade
CREATE TABLE exchange_rates (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    base_currency  TEXT NOT NULL,
    quote_currency TEXT NOT NULL,
    rate           NUMERIC(38, 18) NOT NULL,
    source         TEXT NOT NULL,
    fetched_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT exchange_rates_rate_check CHECK (rate > 0),
    CONSTRAINT exchange_rates_currencies_check CHECK (base_currency <> quote_currency)
);
CREATE INDEX exchange_rates_base_currency_quote_currency_fetched_at_idx
    ON exchange_rates (base_currency, quote_currency, fetched_at DESC);

-- price_history (004)
CREATE TABLE price_history (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    currency       TEXT NOT NULL,
    price_usd      NUMERIC(38, 18) NOT NULL,
    market_cap_usd NUMERIC(38, 18),
    volume_24h_usd NUMERIC(38, 18),
    change_24h_pct NUMERIC(12, 6),
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT price_history_price_usd_check CHECK (price_usd >= 0),
    CONSTRAINT price_history_market_cap_usd_check CHECK (market_cap_usd >= 0),
    CONSTRAINT price_history_volume_24h_usd_check CHECK (volume_24h_usd >= 0)
);
CREATE INDEX price_history_currency_recorded_at_idx ON price_history (currency, recorded_at DESC);

-- fee_config (004); currency NULL means every currency
CREATE TABLE fee_config (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    fee_type       TEXT NOT NULL,
    currency       TEXT,
    percentage_fee NUMERIC(9, 6) NOT NULL DEFAULT 0,
    flat_fee       NUMERIC(38, 18) NOT NULL DEFAULT 0,
    min_amount     NUMERIC(38, 18),
    max_amount     NUMERIC(38, 18),
    is_active      BOOLEAN NOT NULL DEFAULT true,
    description    TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fee_config_currency_fkey FOREIGN KEY (currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT fee_config_fee_type_check
        CHECK (fee_type IN ('WITHDRAWAL', 'TRADING', 'DEPOSIT', 'EXCHANGE')),
    CONSTRAINT fee_config_percentage_fee_check CHECK (percentage_fee BETWEEN 0 AND 100),
    CONSTRAINT fee_config_flat_fee_check CHECK (flat_fee >= 0),
    CONSTRAINT fee_config_amounts_check
        CHECK ((min_amount IS NULL OR min_amount >= 0)
               AND (max_amount IS NULL OR max_amount >= coalesce(min_amount, 0)))
);
CREATE INDEX fee_config_currency_idx ON fee_config (currency);
CREATE INDEX fee_config_fee_type_currency_idx ON fee_config (fee_type, currency);
CREATE TRIGGER fee_config_set_updated_at BEFORE UPDATE ON fee_config
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- deposit_addresses (004)
CREATE TABLE deposit_addresses (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID NOT NULL,
    currency         TEXT NOT NULL,
    address          TEXT NOT NULL,
    balance          NUMERIC(38, 18) NOT NULL DEFAULT 0,
    total_received   NUMERIC(38, 18) NOT NULL DEFAULT 0,
    last_activity_at TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT deposit_addresses_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT deposit_addresses_currency_fkey FOREIGN KEY (currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT deposit_addresses_address_key UNIQUE (address),
    CONSTRAINT deposit_addresses_user_id_currency_key UNIQUE (user_id, currency),
    CONSTRAINT deposit_addresses_balance_check CHECK (balance >= 0),
    CONSTRAINT deposit_addresses_total_received_check CHECK (total_received >= 0)
);
CREATE INDEX deposit_addresses_currency_idx ON deposit_addresses (currency);
CREATE TRIGGER deposit_addresses_set_updated_at BEFORE UPDATE ON deposit_addresses
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- withdrawals (implied by 004: KYC and approval before large withdrawals)
CREATE TABLE withdrawals (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    currency            TEXT NOT NULL,
    amount              NUMERIC(38, 18) NOT NULL,
    fee_amount          NUMERIC(38, 18) NOT NULL DEFAULT 0,
    destination_address TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'REQUESTED',
    tx_hash             TEXT,
    approval_request_id UUID,
    idempotency_key     TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT withdrawals_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT withdrawals_currency_fkey FOREIGN KEY (currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT withdrawals_approval_request_id_fkey FOREIGN KEY (approval_request_id)
        REFERENCES approval_requests (id) ON DELETE RESTRICT,
    CONSTRAINT withdrawals_approval_request_id_key UNIQUE (approval_request_id),
    CONSTRAINT withdrawals_user_id_idempotency_key_key UNIQUE (user_id, idempotency_key),
    CONSTRAINT withdrawals_status_check
        CHECK (status IN ('REQUESTED', 'PENDING_APPROVAL', 'APPROVED', 'SENT', 'REJECTED', 'FAILED')),
    CONSTRAINT withdrawals_amount_check CHECK (amount > 0),
    CONSTRAINT withdrawals_fee_amount_check CHECK (fee_amount >= 0)
);
CREATE INDEX withdrawals_currency_idx ON withdrawals (currency);
CREATE INDEX withdrawals_status_created_at_idx ON withdrawals (status, created_at);
CREATE INDEX withdrawals_user_id_created_at_idx ON withdrawals (user_id, created_at DESC);
CREATE TRIGGER withdrawals_set_updated_at BEFORE UPDATE ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- user_kyc (004)
CREATE TABLE user_kyc (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    status              TEXT NOT NULL DEFAULT 'PENDING',
    full_name           TEXT,
    date_of_birth       DATE,
    country             TEXT,
    address_line        TEXT,
    id_document_type    TEXT,
    id_number_encrypted BYTEA,
    id_front_file       TEXT,
    id_back_file        TEXT,
    selfie_file         TEXT,
    submitted_at        TIMESTAMPTZ,
    verified_at         TIMESTAMPTZ,
    expires_at          TIMESTAMPTZ,
    reviewed_by_user_id UUID,
    rejection_reason    TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_kyc_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT user_kyc_reviewed_by_user_id_fkey FOREIGN KEY (reviewed_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT user_kyc_user_id_key UNIQUE (user_id),
    CONSTRAINT user_kyc_status_check CHECK (status IN ('PENDING', 'VERIFIED', 'REJECTED', 'EXPIRED')),
    CONSTRAINT user_kyc_id_document_type_check
        CHECK (id_document_type IN ('PASSPORT', 'NATIONAL_ID', 'DRIVING_LICENSE', 'VOTER_ID',
                                    'PAN', 'AADHAAR', 'OTHER')),
    CONSTRAINT user_kyc_four_eyes_check CHECK (reviewed_by_user_id IS NULL OR reviewed_by_user_id <> user_id),
    CONSTRAINT user_kyc_rejection_reason_check
        CHECK (status <> 'REJECTED' OR btrim(coalesce(rejection_reason, '')) <> '')
);
CREATE INDEX user_kyc_reviewed_by_user_id_idx ON user_kyc (reviewed_by_user_id);
CREATE INDEX user_kyc_status_idx ON user_kyc (status);
CREATE TRIGGER user_kyc_set_updated_at BEFORE UPDATE ON user_kyc
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Reference rows -------------------------------------------------------

INSERT INTO currencies (code, name, kind, decimals, rotation_policy, rotation_threshold) VALUES
    ('TRC', 'Tracecoin', 'TOKEN', 0, 'POOLED', NULL),
    ('BTC', 'Bitcoin', 'CRYPTO', 8, 'PER_ORDER', NULL),
    ('ETH', 'Ether', 'CRYPTO', 18, 'POOLED', 5),
    ('USDT', 'Tether USD', 'CRYPTO', 6, 'POOLED', 10000),
    ('INR', 'Indian Rupee', 'FIAT', 2, 'POOLED', NULL),
    ('USD', 'US Dollar', 'FIAT', 2, 'POOLED', NULL);

INSERT INTO reserves (id, amount)
SELECT code, 0 FROM currencies WHERE kind = 'CRYPTO';

INSERT INTO fee_config (fee_type, currency, percentage_fee, flat_fee, is_active, description) VALUES
    ('WITHDRAWAL', NULL, 0.5, 0, true, 'Withdrawal fee 0.5%'),
    ('TRADING', NULL, 0.1, 0, true, 'Trading fee 0.1%'),
    ('DEPOSIT', NULL, 0, 0, true, 'Deposit fee (free)');
"#;

const DOWN: &str = r#"
DROP TABLE user_kyc;
DROP TABLE withdrawals;
DROP TABLE deposit_addresses;
DROP TABLE fee_config;
DROP TABLE price_history;
DROP TABLE exchange_rates;
DROP TABLE reserves;
DROP TABLE rotating_addresses;
DROP TABLE exchange_orders;
DROP TABLE currencies;
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
