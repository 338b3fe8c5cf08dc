//! Wallets (schema.md section 4, first half).
//!
//! Tables: `wallets`, `wallet_ledger` (append-only).
//!
//! Source tables that land here: 001 tracecoin_wallets (current_balance
//! becomes balance, one wallet per user and currency, default 'TRC') and
//! 001 tracecoin_ledger (IMMUTABLE; transaction_type becomes entry_type).
//!
//! Balances and amounts are BIGINT tracecoins. The database enforces what
//! it can of the ledger rules: balance >= 0, amount > 0, balance_after >= 0,
//! one row per (wallet, idempotency key), and no UPDATE, DELETE or TRUNCATE
//! of the ledger. That a wallet's balance moves only together with a ledger
//! row is the wallet service's job (one transaction, row lock on the wallet).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- wallets (001 tracecoin_wallets)
CREATE TABLE wallets (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID NOT NULL,
    currency   TEXT NOT NULL DEFAULT 'TRC',
    balance    BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT wallets_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT wallets_currency_fkey FOREIGN KEY (currency)
        REFERENCES currencies (code) ON DELETE RESTRICT,
    CONSTRAINT wallets_user_id_currency_key UNIQUE (user_id, currency),
    CONSTRAINT wallets_balance_check CHECK (balance >= 0)
);
CREATE INDEX wallets_currency_idx ON wallets (currency);
CREATE TRIGGER wallets_set_updated_at BEFORE UPDATE ON wallets
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- wallet_ledger (001 tracecoin_ledger; append-only).
-- Idempotency: a plain UNIQUE constraint; NULL keys never collide, so it is
-- "unique where idempotency_key is not null" and usable by ON CONFLICT.
CREATE TABLE wallet_ledger (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    wallet_id          UUID NOT NULL,
    entry_type         TEXT NOT NULL,
    amount             BIGINT NOT NULL,
    balance_after      BIGINT NOT NULL,
    reference_type     TEXT NOT NULL,
    reference_id       UUID,
    idempotency_key    TEXT,
    remarks            TEXT,
    created_by_user_id UUID,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT wallet_ledger_wallet_id_fkey FOREIGN KEY (wallet_id)
        REFERENCES wallets (id) ON DELETE RESTRICT,
    CONSTRAINT wallet_ledger_created_by_user_id_fkey FOREIGN KEY (created_by_user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT wallet_ledger_wallet_id_idempotency_key_key UNIQUE (wallet_id, idempotency_key),
    CONSTRAINT wallet_ledger_entry_type_check CHECK (entry_type IN ('CREDIT', 'DEBIT')),
    CONSTRAINT wallet_ledger_reference_type_check
        CHECK (reference_type IN ('JOB', 'LEAD', 'PURCHASE', 'BONUS', 'REFUND', 'ADJUSTMENT')),
    CONSTRAINT wallet_ledger_amount_check CHECK (amount > 0),
    CONSTRAINT wallet_ledger_balance_after_check CHECK (balance_after >= 0)
);
CREATE INDEX wallet_ledger_wallet_id_created_at_id_idx
    ON wallet_ledger (wallet_id, created_at DESC, id DESC);
CREATE INDEX wallet_ledger_created_by_user_id_idx ON wallet_ledger (created_by_user_id);
CREATE INDEX wallet_ledger_reference_idx ON wallet_ledger (reference_type, reference_id);
CREATE TRIGGER wallet_ledger_append_only BEFORE UPDATE OR DELETE ON wallet_ledger
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER wallet_ledger_append_only_truncate BEFORE TRUNCATE ON wallet_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_guard();
"#;

const DOWN: &str = r#"
DROP TABLE wallet_ledger;
DROP TABLE wallets;
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
