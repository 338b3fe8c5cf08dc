//! Custody (issue 14): per-user deposit addresses, exact crypto balances in
//! wallets, withdrawals with holds, thresholds and limits.
//!
//! - Wallet amounts become integer minor units in `NUMERIC(38, 0)`: a
//!   BIGINT of wei stops at 9.2 ETH, NUMERIC holds 10^28 wei (10 billion
//!   ETH) and stays exact; the bound keeps every value inside the server's
//!   96-bit decimal. TRC and INR wallets keep their values (whole
//!   tracecoins, paise).
//! - `wallets.held`: the part of the balance a pending withdrawal holds;
//!   the available balance is `balance - held`, never negative.
//! - Ledger reasons `DEPOSIT`, `WITHDRAWAL` and `FEE`.
//! - `rotating_addresses.dedicated_user_id`: a pool address given to one
//!   user for good (a deposit address); never claimed by an order again.
//! - `deposit_addresses.rotating_address_id`: the pool row (and sealed key)
//!   it came from.
//! - `chain_transactions` records wallet deposits (`matched` WALLET, the
//!   address, `credited_at` once credited) and withdrawal reports (kind
//!   WITHDRAWAL, `withdrawal_id`).
//! - `withdrawals` gains `status_reason`, `usd_value` (at request),
//!   `dispatched_at` (handed to the signer), `sent_at`.
//! - `currencies` gains per-transaction and daily withdrawal limits
//!   (NULL: none) and a minimum.
//! - Runtime config `withdrawal/thresholds`: KYC above USD 1,000 (the
//!   FATF travel-rule reference), four-eyes approval above USD 10,000.
//! - Permission `wallet.withdraw` (self-service scope); finance manages
//!   withdrawals.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE wallets
    ALTER COLUMN balance TYPE NUMERIC(38, 0),
    ADD COLUMN held NUMERIC(38, 0) NOT NULL DEFAULT 0,
    ADD CONSTRAINT wallets_held_check CHECK (held >= 0 AND held <= balance),
    ADD CONSTRAINT wallets_balance_max_check CHECK (balance < 1e28);
ALTER TABLE wallet_ledger
    ALTER COLUMN amount TYPE NUMERIC(38, 0),
    ALTER COLUMN balance_after TYPE NUMERIC(38, 0),
    DROP CONSTRAINT wallet_ledger_reference_type_check,
    ADD CONSTRAINT wallet_ledger_reference_type_check
        CHECK (reference_type IN ('JOB', 'LEAD', 'PURCHASE', 'BONUS', 'REFUND', 'ADJUSTMENT',
                                  'DEPOSIT', 'WITHDRAWAL', 'FEE')),
    ADD CONSTRAINT wallet_ledger_amount_max_check CHECK (amount < 1e28 AND balance_after < 1e28);

ALTER TABLE rotating_addresses
    ADD COLUMN dedicated_user_id UUID,
    ADD CONSTRAINT rotating_addresses_dedicated_user_id_fkey FOREIGN KEY (dedicated_user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    ADD CONSTRAINT rotating_addresses_dedicated_check
        CHECK (dedicated_user_id IS NULL OR (order_id IS NULL AND last_order_id IS NULL));
CREATE INDEX rotating_addresses_dedicated_user_id_idx ON rotating_addresses (dedicated_user_id);

ALTER TABLE deposit_addresses
    ADD COLUMN rotating_address_id UUID,
    ADD CONSTRAINT deposit_addresses_rotating_address_id_fkey FOREIGN KEY (rotating_address_id)
        REFERENCES rotating_addresses (id) ON DELETE RESTRICT,
    ADD CONSTRAINT deposit_addresses_rotating_address_id_key UNIQUE (rotating_address_id);
CREATE INDEX deposit_addresses_lower_address_idx ON deposit_addresses (lower(address));

ALTER TABLE withdrawals
    ADD COLUMN status_reason TEXT,
    ADD COLUMN usd_value NUMERIC(38, 18),
    ADD COLUMN dispatched_at TIMESTAMPTZ,
    ADD COLUMN sent_at TIMESTAMPTZ,
    ADD CONSTRAINT withdrawals_idempotency_key_check
        CHECK (idempotency_key IS NOT NULL AND length(idempotency_key) BETWEEN 1 AND 200),
    ADD CONSTRAINT withdrawals_sent_check CHECK (status <> 'SENT' OR tx_hash IS NOT NULL);
CREATE INDEX withdrawals_user_id_currency_created_at_idx ON withdrawals (user_id, currency, created_at);
CREATE INDEX withdrawals_dispatch_idx ON withdrawals (created_at)
    WHERE status = 'APPROVED' AND dispatched_at IS NULL;

ALTER TABLE chain_transactions
    ADD COLUMN deposit_address_id UUID,
    ADD COLUMN withdrawal_id UUID,
    ADD COLUMN credited_at TIMESTAMPTZ,
    ADD CONSTRAINT chain_transactions_deposit_address_id_fkey FOREIGN KEY (deposit_address_id)
        REFERENCES deposit_addresses (id) ON DELETE RESTRICT,
    ADD CONSTRAINT chain_transactions_withdrawal_id_fkey FOREIGN KEY (withdrawal_id)
        REFERENCES withdrawals (id) ON DELETE RESTRICT,
    DROP CONSTRAINT chain_transactions_kind_check,
    ADD CONSTRAINT chain_transactions_kind_check CHECK (kind IN ('DEPOSIT', 'PAYOUT', 'WITHDRAWAL')),
    DROP CONSTRAINT chain_transactions_matched_check,
    ADD CONSTRAINT chain_transactions_matched_check
        CHECK (matched IN ('ORDER', 'LATE', 'UNKNOWN', 'WALLET', 'WITHDRAWAL')),
    ADD CONSTRAINT chain_transactions_wallet_check
        CHECK ((matched = 'WALLET') = (deposit_address_id IS NOT NULL)),
    ADD CONSTRAINT chain_transactions_credited_check CHECK (credited_at IS NULL OR matched = 'WALLET');
CREATE INDEX chain_transactions_deposit_address_id_idx ON chain_transactions (deposit_address_id, created_at);
CREATE INDEX chain_transactions_withdrawal_id_idx ON chain_transactions (withdrawal_id);
CREATE INDEX chain_transactions_deposits_idx ON chain_transactions (created_at, id)
    WHERE kind = 'DEPOSIT' AND matched IN ('WALLET', 'UNKNOWN');

ALTER TABLE currencies
    ADD COLUMN withdrawal_min NUMERIC(38, 18),
    ADD COLUMN withdrawal_max NUMERIC(38, 18),
    ADD COLUMN withdrawal_daily_limit NUMERIC(38, 18),
    ADD CONSTRAINT currencies_withdrawal_limits_check
        CHECK ((withdrawal_min IS NULL OR withdrawal_min >= 0)
               AND (withdrawal_max IS NULL OR withdrawal_max > 0)
               AND (withdrawal_daily_limit IS NULL OR withdrawal_daily_limit > 0)
               AND (withdrawal_max IS NULL OR withdrawal_min IS NULL OR withdrawal_max >= withdrawal_min));

INSERT INTO runtime_configs (config_group, config_key, config_value_json, description) VALUES
    ('withdrawal', 'thresholds',
     '{"kycUsd": "1000", "approvalUsd": "10000"}',
     'Withdrawals worth more than kycUsd (USD, at the current rate) need a VERIFIED KYC; more than approvalUsd, a four-eyes approval');

INSERT INTO permissions (key, name, description) VALUES
    ('wallet.withdraw', 'Withdraw', 'Withdraw one''s own crypto balance to an outside address');

INSERT INTO role_permissions (role_id, permission_key)
SELECT r.id, 'exchange.withdrawals.manage' FROM roles r WHERE r.key = 'finance'
ON CONFLICT DO NOTHING;
"#;

const DOWN: &str = r#"
DELETE FROM role_permissions
WHERE role_id = (SELECT id FROM roles WHERE key = 'finance') AND permission_key = 'exchange.withdrawals.manage';
DELETE FROM role_permissions WHERE permission_key = 'wallet.withdraw';
DELETE FROM permissions WHERE key = 'wallet.withdraw';
DELETE FROM runtime_configs WHERE config_group = 'withdrawal';
ALTER TABLE currencies
    DROP COLUMN withdrawal_daily_limit,
    DROP COLUMN withdrawal_max,
    DROP COLUMN withdrawal_min;
DROP INDEX chain_transactions_deposits_idx;
DELETE FROM chain_transactions WHERE matched IN ('WALLET', 'WITHDRAWAL');
ALTER TABLE chain_transactions
    DROP CONSTRAINT chain_transactions_credited_check,
    DROP CONSTRAINT chain_transactions_wallet_check,
    DROP CONSTRAINT chain_transactions_matched_check,
    ADD CONSTRAINT chain_transactions_matched_check CHECK (matched IN ('ORDER', 'LATE', 'UNKNOWN')),
    DROP CONSTRAINT chain_transactions_kind_check,
    ADD CONSTRAINT chain_transactions_kind_check CHECK (kind IN ('DEPOSIT', 'PAYOUT')),
    DROP COLUMN credited_at,
    DROP COLUMN withdrawal_id,
    DROP COLUMN deposit_address_id;
DROP INDEX withdrawals_dispatch_idx;
DROP INDEX withdrawals_user_id_currency_created_at_idx;
ALTER TABLE withdrawals
    DROP CONSTRAINT withdrawals_sent_check,
    DROP CONSTRAINT withdrawals_idempotency_key_check,
    DROP COLUMN sent_at,
    DROP COLUMN dispatched_at,
    DROP COLUMN usd_value,
    DROP COLUMN status_reason;
DROP INDEX deposit_addresses_lower_address_idx;
ALTER TABLE deposit_addresses DROP COLUMN rotating_address_id;
ALTER TABLE rotating_addresses DROP COLUMN dedicated_user_id;
ALTER TABLE wallet_ledger
    DROP CONSTRAINT wallet_ledger_amount_max_check,
    DROP CONSTRAINT wallet_ledger_reference_type_check,
    ADD CONSTRAINT wallet_ledger_reference_type_check
        CHECK (reference_type IN ('JOB', 'LEAD', 'PURCHASE', 'BONUS', 'REFUND', 'ADJUSTMENT')),
    ALTER COLUMN amount TYPE BIGINT,
    ALTER COLUMN balance_after TYPE BIGINT;
ALTER TABLE wallets
    DROP CONSTRAINT wallets_balance_max_check,
    DROP CONSTRAINT wallets_held_check,
    DROP COLUMN held,
    ALTER COLUMN balance TYPE BIGINT;
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
