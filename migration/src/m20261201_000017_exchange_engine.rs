//! The exchange engine (issue 13): pairs and limits, FIXED quotes, the
//! order lifecycle with its transition log, chain transactions reported by
//! the watcher, and the rotating pool's derivation.
//!
//! - `currencies` gains `network` (which address rules apply),
//!   `confirmations_required` and `network_fee` (what a payout costs on
//!   chain, taken from the amount sent).
//! - `exchange_pairs`: per pair the limits (in the from-currency) and the
//!   rate types offered.
//! - `exchange_quotes`: a FIXED quote locks its rate until `expires_at`;
//!   an order consumes it at most once (`order_id` unique).
//! - `exchange_orders` gains the anonymous reader's token (SHA-256 only),
//!   the quote, what actually arrived, the hold reason, the network fee,
//!   the linked support ticket and `reserves_moved_at` (the once-only mark
//!   of moving the reserves).
//! - `exchange_order_transitions`: every status change, who and why.
//! - `chain_transactions`: deposits and payouts the chain watcher reports,
//!   unique by (currency, kind, tx hash), so a replayed webhook changes
//!   nothing.
//! - `rotating_addresses` gains `derivation_index` (BIP32 child index,
//!   unique per currency) and `last_order_id` (the order a late deposit
//!   belongs to); `private_key_encrypted` becomes optional: a watch-only
//!   pool, derived from an extended public key, holds no private keys.
//! - A department `EXCHANGE` for tickets about orders on hold; finance
//!   reads and manages exchange orders and reserves.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE currencies
    ADD COLUMN network TEXT,
    ADD COLUMN confirmations_required INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN network_fee NUMERIC(38, 18) NOT NULL DEFAULT 0,
    ADD CONSTRAINT currencies_network_check CHECK (network IN ('BITCOIN', 'ETHEREUM', 'TRON')),
    ADD CONSTRAINT currencies_confirmations_required_check CHECK (confirmations_required BETWEEN 0 AND 1000),
    ADD CONSTRAINT currencies_network_fee_check CHECK (network_fee >= 0);
UPDATE currencies SET network = 'BITCOIN', confirmations_required = 2, network_fee = 0.00005 WHERE code = 'BTC';
UPDATE currencies SET network = 'ETHEREUM', confirmations_required = 12, network_fee = 0.0005 WHERE code = 'ETH';
UPDATE currencies SET network = 'TRON', confirmations_required = 19, network_fee = 1 WHERE code = 'USDT';

CREATE TABLE exchange_pairs (
    from_currency TEXT NOT NULL,
    to_currency   TEXT NOT NULL,
    min_amount    NUMERIC(38, 18) NOT NULL,
    max_amount    NUMERIC(38, 18) NOT NULL,
    rate_types    TEXT[] NOT NULL DEFAULT ARRAY['FLOAT', 'FIXED'],
    is_active     BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT exchange_pairs_pkey PRIMARY KEY (from_currency, to_currency),
    CONSTRAINT exchange_pairs_from_currency_fkey FOREIGN KEY (from_currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT exchange_pairs_to_currency_fkey FOREIGN KEY (to_currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT exchange_pairs_currencies_check CHECK (from_currency <> to_currency),
    CONSTRAINT exchange_pairs_amounts_check CHECK (min_amount > 0 AND max_amount >= min_amount),
    CONSTRAINT exchange_pairs_rate_types_check
        CHECK (cardinality(rate_types) > 0 AND rate_types <@ ARRAY['FLOAT', 'FIXED'])
);
CREATE INDEX exchange_pairs_to_currency_idx ON exchange_pairs (to_currency);
CREATE TRIGGER exchange_pairs_set_updated_at BEFORE UPDATE ON exchange_pairs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

INSERT INTO fee_config (fee_type, currency, percentage_fee, flat_fee, min_amount, max_amount, is_active, description) VALUES
    ('EXCHANGE', NULL, 0.5, 0, NULL, NULL, true, 'Exchange fee 0.5% of the deposit');

INSERT INTO exchange_pairs (from_currency, to_currency, min_amount, max_amount) VALUES
    ('BTC', 'ETH', 0.0005, 10),
    ('BTC', 'USDT', 0.0005, 10),
    ('ETH', 'BTC', 0.01, 200),
    ('ETH', 'USDT', 0.01, 200),
    ('USDT', 'BTC', 20, 500000),
    ('USDT', 'ETH', 20, 500000);

CREATE TABLE exchange_quotes (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    from_currency TEXT NOT NULL,
    to_currency   TEXT NOT NULL,
    from_amount   NUMERIC(38, 18) NOT NULL,
    to_amount     NUMERIC(38, 18) NOT NULL,
    rate          NUMERIC(38, 18) NOT NULL,
    fee_amount    NUMERIC(38, 18) NOT NULL,
    network_fee   NUMERIC(38, 18) NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    order_id      UUID,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT exchange_quotes_pair_fkey FOREIGN KEY (from_currency, to_currency)
        REFERENCES exchange_pairs (from_currency, to_currency) ON DELETE RESTRICT,
    CONSTRAINT exchange_quotes_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES exchange_orders (id) ON DELETE RESTRICT,
    CONSTRAINT exchange_quotes_order_id_key UNIQUE (order_id),
    CONSTRAINT exchange_quotes_amounts_check
        CHECK (from_amount > 0 AND to_amount >= 0 AND rate > 0 AND fee_amount >= 0 AND network_fee >= 0)
);
CREATE INDEX exchange_quotes_expires_at_idx ON exchange_quotes (expires_at) WHERE order_id IS NULL;

ALTER TABLE exchange_orders
    ADD COLUMN access_token_hash BYTEA,
    ADD COLUMN quote_id UUID,
    ADD COLUMN network_fee NUMERIC(38, 18) NOT NULL DEFAULT 0,
    ADD COLUMN deposit_amount NUMERIC(38, 18),
    ADD COLUMN deposit_confirmations INTEGER,
    ADD COLUMN hold_reason TEXT,
    ADD COLUMN status_reason TEXT,
    ADD COLUMN support_ticket_id UUID,
    ADD COLUMN reserves_moved_at TIMESTAMPTZ,
    ADD COLUMN completed_at TIMESTAMPTZ,
    ADD CONSTRAINT exchange_orders_quote_id_fkey FOREIGN KEY (quote_id)
        REFERENCES exchange_quotes (id) ON DELETE RESTRICT,
    ADD CONSTRAINT exchange_orders_quote_id_key UNIQUE (quote_id),
    ADD CONSTRAINT exchange_orders_support_ticket_id_fkey FOREIGN KEY (support_ticket_id)
        REFERENCES support_tickets (id) ON DELETE SET NULL,
    ADD CONSTRAINT exchange_orders_network_fee_check CHECK (network_fee >= 0),
    ADD CONSTRAINT exchange_orders_deposit_amount_check CHECK (deposit_amount > 0),
    ADD CONSTRAINT exchange_orders_hold_reason_check
        CHECK (hold_reason IN ('UNDERPAID', 'OVERPAID', 'BELOW_MINIMUM', 'ABOVE_MAXIMUM',
                               'LATE_DEPOSIT', 'RESERVE_SHORT', 'MANUAL'));
CREATE INDEX exchange_orders_support_ticket_id_idx ON exchange_orders (support_ticket_id);
-- Candle volumes: completed orders of a currency by completion time.
CREATE INDEX exchange_orders_completed_idx ON exchange_orders (completed_at) WHERE status = 'COMPLETED';
CREATE INDEX exchange_orders_pending_expiry_idx ON exchange_orders (expires_at) WHERE status = 'PENDING';
CREATE INDEX exchange_orders_status_created_at_idx ON exchange_orders (status, created_at DESC, id DESC);

CREATE TABLE exchange_order_transitions (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id      UUID NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    actor_user_id UUID,
    reason        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT exchange_order_transitions_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES exchange_orders (id) ON DELETE RESTRICT,
    CONSTRAINT exchange_order_transitions_actor_user_id_fkey FOREIGN KEY (actor_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT exchange_order_transitions_actor_check
        CHECK (actor IN ('CUSTOMER', 'OPERATOR', 'CHAIN', 'SYSTEM')),
    CONSTRAINT exchange_order_transitions_from_status_check
        CHECK (from_status IN ('PENDING', 'CONFIRMING', 'EXCHANGING', 'SENDING', 'COMPLETED',
                               'EXPIRED', 'REFUNDED', 'FAILED', 'HOLD')),
    CONSTRAINT exchange_order_transitions_to_status_check
        CHECK (to_status IN ('PENDING', 'CONFIRMING', 'EXCHANGING', 'SENDING', 'COMPLETED',
                             'EXPIRED', 'REFUNDED', 'FAILED', 'HOLD'))
);
CREATE INDEX exchange_order_transitions_order_id_idx ON exchange_order_transitions (order_id, created_at);
CREATE INDEX exchange_order_transitions_actor_user_id_idx ON exchange_order_transitions (actor_user_id);

CREATE TABLE chain_transactions (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    currency      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    tx_hash       TEXT NOT NULL,
    address       TEXT,
    amount        NUMERIC(38, 18),
    confirmations INTEGER NOT NULL DEFAULT 0,
    order_id      UUID,
    matched       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chain_transactions_currency_fkey FOREIGN KEY (currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT chain_transactions_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES exchange_orders (id) ON DELETE RESTRICT,
    CONSTRAINT chain_transactions_kind_check CHECK (kind IN ('DEPOSIT', 'PAYOUT')),
    CONSTRAINT chain_transactions_matched_check CHECK (matched IN ('ORDER', 'LATE', 'UNKNOWN')),
    CONSTRAINT chain_transactions_amount_check CHECK (amount > 0),
    CONSTRAINT chain_transactions_confirmations_check CHECK (confirmations >= 0),
    CONSTRAINT chain_transactions_currency_kind_tx_hash_key UNIQUE (currency, kind, tx_hash)
);
CREATE INDEX chain_transactions_order_id_idx ON chain_transactions (order_id);
CREATE INDEX chain_transactions_address_idx ON chain_transactions (address);
CREATE TRIGGER chain_transactions_set_updated_at BEFORE UPDATE ON chain_transactions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE rotating_addresses
    ALTER COLUMN private_key_encrypted DROP NOT NULL,
    ADD COLUMN derivation_index INTEGER,
    ADD COLUMN last_order_id UUID,
    ADD CONSTRAINT rotating_addresses_last_order_id_fkey FOREIGN KEY (last_order_id)
        REFERENCES exchange_orders (id) ON DELETE RESTRICT,
    ADD CONSTRAINT rotating_addresses_derivation_index_check CHECK (derivation_index >= 0),
    ADD CONSTRAINT rotating_addresses_currency_derivation_index_key UNIQUE (currency, derivation_index);
CREATE INDEX rotating_addresses_last_order_id_idx ON rotating_addresses (last_order_id);
CREATE INDEX rotating_addresses_released_idx ON rotating_addresses (currency, released_at)
    WHERE order_id IS NULL AND used_at IS NOT NULL;

INSERT INTO departments (name, code, description, visibility) VALUES
    ('Exchange', 'EXCHANGE', 'Exchange orders on hold, late deposits, payouts and refunds', 'EXTERNAL');

INSERT INTO role_permissions (role_id, permission_key)
SELECT r.id, g.permission_key
FROM roles r
JOIN (VALUES
    ('finance', 'exchange.orders.read_all'),
    ('finance', 'exchange.orders.manage'),
    ('finance', 'exchange.reserves.manage')
) AS g (role_key, permission_key) ON g.role_key = r.key;
"#;

const DOWN: &str = r#"
DELETE FROM role_permissions
WHERE role_id = (SELECT id FROM roles WHERE key = 'finance')
  AND permission_key IN ('exchange.orders.read_all', 'exchange.orders.manage', 'exchange.reserves.manage');
DELETE FROM departments WHERE code = 'EXCHANGE';
DROP INDEX rotating_addresses_released_idx;
ALTER TABLE rotating_addresses
    DROP COLUMN last_order_id,
    DROP COLUMN derivation_index;
DELETE FROM rotating_addresses WHERE private_key_encrypted IS NULL;
ALTER TABLE rotating_addresses ALTER COLUMN private_key_encrypted SET NOT NULL;
DROP TABLE chain_transactions;
DROP TABLE exchange_order_transitions;
ALTER TABLE exchange_orders
    DROP COLUMN completed_at,
    DROP COLUMN reserves_moved_at,
    DROP COLUMN support_ticket_id,
    DROP COLUMN status_reason,
    DROP COLUMN hold_reason,
    DROP COLUMN deposit_confirmations,
    DROP COLUMN deposit_amount,
    DROP COLUMN network_fee,
    DROP COLUMN quote_id,
    DROP COLUMN access_token_hash;
DROP INDEX IF EXISTS exchange_orders_status_created_at_idx;
DROP TABLE exchange_quotes;
DROP TABLE exchange_pairs;
DELETE FROM fee_config WHERE fee_type = 'EXCHANGE' AND currency IS NULL;
ALTER TABLE currencies
    DROP COLUMN network_fee,
    DROP COLUMN confirmations_required,
    DROP COLUMN network;
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
